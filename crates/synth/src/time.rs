//! RFC 3339 date-times to and from Unix seconds, the one place decoy reads
//! and writes them: the generator for `date-time` strings and timelines,
//! the mock for the timelines it moves into a parent's window.
//!
//! Both directions run for every date-time of every new resource, so the
//! common shapes are done by hand: writing puts digits in place, and reading
//! takes `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` directly. Anything else
//! (a leap second, an odd separator) is left to chrono, so what is accepted
//! and what it means are chrono's.
//!
//! ```
//! use decoy_synth::time;
//! assert_eq!(time::format_date_time(86_400), "1970-01-02T00:00:00Z");
//! assert_eq!(time::parse_date_time("1970-01-02T01:00:00+01:00"), Some(86_400));
//! assert_eq!(time::parse_date_time_millis("1970-01-01T00:00:01.25Z"), Some(1_250));
//! assert_eq!(time::parse_date_time("1970-02-30T00:00:00Z"), None);
//! ```

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds, the year kept to four digits
/// (clamped to `0000..=9999`) so the text stays an RFC 3339 date-time.
pub fn format_date_time(secs: i64) -> String {
    with_date_time(secs, str::to_owned)
}

/// [`format_date_time`] in the form of `like`, a date-time being moved: a
/// fraction of a second it has stays, so the text keeps the length its
/// schema may ask for (`minLength`). Any other form becomes the plain one.
///
/// ```
/// use decoy_synth::time::format_date_time_like;
/// assert_eq!(format_date_time_like(86_400, "2026-05-12T05:19:02.4817Z"), "1970-01-02T00:00:00.4817Z");
/// assert_eq!(format_date_time_like(86_400, "2026-05-12T05:19:02Z"), "1970-01-02T00:00:00Z");
/// ```
pub fn format_date_time_like(secs: i64, like: &str) -> String {
    let b = like.as_bytes();
    let fraction = b.len() > 21 && b[19] == b'.' && b[b.len() - 1] == b'Z';
    match fraction && b[20..b.len() - 1].iter().all(u8::is_ascii_digit) {
        true => {
            let mut out = String::with_capacity(like.len());
            with_date_time(secs, |plain| out.push_str(&plain[..19]));
            out.push_str(&like[19..]);
            out
        }
        false => format_date_time(secs),
    }
}

/// The bytes [`format_date_time`] writes, on the stack.
pub(crate) fn date_time_bytes(secs: i64) -> [u8; 20] {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400) as u32;
    let y = y.clamp(0, 9999) as u32;
    let mut out = *b"0000-00-00T00:00:00Z";
    put_two(&mut out, 0, y / 100);
    put_two(&mut out, 2, y % 100);
    put_two(&mut out, 5, m);
    put_two(&mut out, 8, d);
    put_two(&mut out, 11, rem / 3600);
    put_two(&mut out, 14, rem / 60 % 60);
    put_two(&mut out, 17, rem % 60);
    out
}

/// [`format_date_time`] handed to `f` without allocating.
pub(crate) fn with_date_time<R>(secs: i64, f: impl FnOnce(&str) -> R) -> R {
    let bytes = date_time_bytes(secs);
    f(std::str::from_utf8(&bytes).expect("ASCII digits and separators"))
}

/// The two digits of `n` (below 100) at `at`.
#[inline(always)]
fn put_two(out: &mut [u8; 20], at: usize, n: u32) {
    out[at] = b'0' + (n / 10) as u8;
    out[at + 1] = b'0' + (n % 10) as u8;
}

/// The number the two digits at `at` spell, or `None`.
#[inline(always)]
fn read_two(head: &[u8; 20], at: usize) -> Option<i64> {
    let (hi, lo) = (head[at].wrapping_sub(b'0'), head[at + 1].wrapping_sub(b'0'));
    (hi < 10 && lo < 10).then(|| i64::from(hi * 10 + lo))
}

/// The Unix seconds whose year [`format_date_time`] writes as it is
/// (0000-01-01 to 9999-12-31), not clamped.
pub(crate) const FOUR_DIGIT_YEARS: std::ops::RangeInclusive<i64> =
    -62_167_219_200..=253_402_300_799;

/// Unix seconds of an RFC 3339 date-time (its fraction dropped), or `None`
/// when `s` is not one.
pub fn parse_date_time(s: &str) -> Option<i64> {
    match parse_common(s) {
        Some((secs, _)) => Some(secs),
        None => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp()),
    }
}

/// Unix milliseconds of an RFC 3339 date-time, or `None`.
pub fn parse_date_time_millis(s: &str) -> Option<i64> {
    match parse_common(s) {
        Some((secs, millis)) => Some(secs * 1000 + millis),
        None => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis()),
    }
}

/// The common shapes, checked as strictly as chrono checks them: `(seconds,
/// milliseconds of the fraction)`, or `None` to let chrono decide.
fn parse_common(s: &str) -> Option<(i64, i64)> {
    let b = s.as_bytes();
    // The fixed-width head, as an array: the reads below need no bounds checks.
    let head: &[u8; 20] = b.get(..20)?.try_into().ok()?;
    if head[4] != b'-' || head[7] != b'-' || !matches!(head[10], b'T' | b't' | b' ') {
        return None;
    }
    if head[13] != b':' || head[16] != b':' {
        return None;
    }
    let two = |at: usize| read_two(head, at);
    let (y, mo, d) = (two(0)? * 100 + two(2)?, two(5)?, two(8)?);
    let (h, mi, sec) = (two(11)?, two(14)?, two(17)?);
    // A leap second (`:60`) goes to chrono, which knows what it means.
    if !is_date(y, mo, d) || h > 23 || mi > 59 {
        return None;
    }
    if sec > 59 {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0;
    if let Some((b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, &c) in frac[..n.min(3)].iter().enumerate() {
            millis += i64::from(c - b'0') * [100, 10, 1][i];
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2].map(|c| c.wrapping_sub(b'0'));
            if digits.iter().any(|&c| c > 9) {
                return None;
            }
            let oh = i64::from(digits[0] * 10 + digits[1]);
            let om = i64::from(digits[2] * 10 + digits[3]);
            if oh > 23 || om > 59 {
                return None;
            }
            let span = oh * 3600 + om * 60;
            if *sign == b'-' { -span } else { span }
        }
        _ => return None,
    };
    // In range: `is_date` checked the month and the day.
    let days = days_from_civil(y, mo as u32, d as u32);
    Some((days * 86_400 + h * 3600 + mi * 60 + sec - offset, millis))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether year `y`, month `m`, day `d` is a date of the Gregorian calendar.
pub(crate) fn is_date(y: i64, m: i64, d: i64) -> bool {
    (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's algorithm.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand parser and chrono agree on every shape either accepts.
    #[test]
    fn the_common_shapes_read_as_chrono_reads_them() {
        let cases = [
            "2025-03-14T17:02:05Z",
            "2025-03-14t17:02:05z",
            "2025-03-14 17:02:05Z",
            "2025-03-14T17:02:05.1Z",
            "2025-03-14T17:02:05.123456789Z",
            "2025-03-14T17:02:05.999+01:00",
            "1969-12-31T23:59:59.5-00:30",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2024-02-29T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2025-04-31T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-00-01T00:00:00Z",
            "2025-01-01T24:00:00Z",
            "2025-01-01T23:60:00Z",
            "2016-12-31T23:59:60Z",
            "2025-01-01T00:00:00+24:00",
            "2025-01-01T00:00:00+23:59",
            "2025-01-01T00:00:00.Z",
            "2025-01-01T00:00:00",
            "2025-01-01T00:00:00+0100",
            "2025-01-01X00:00:00Z",
            "yesterday at noon, roughly",
        ];
        for s in cases {
            let chrono = chrono::DateTime::parse_from_rfc3339(s).ok();
            assert_eq!(parse_date_time(s), chrono.map(|t| t.timestamp()), "{s}");
            assert_eq!(
                parse_date_time_millis(s),
                chrono.map(|t| t.timestamp_millis()),
                "{s}"
            );
            if let Some((secs, _)) = parse_common(s) {
                assert_eq!(Some(secs), chrono.map(|t| t.timestamp()), "{s}");
            }
        }
    }

    #[test]
    fn four_digit_years_are_those_written_as_they_are() {
        let (lo, hi) = (*FOUR_DIGIT_YEARS.start(), *FOUR_DIGIT_YEARS.end());
        assert_eq!(lo, days_from_civil(0, 1, 1) * 86_400);
        assert_eq!(format_date_time(lo), "0000-01-01T00:00:00Z");
        assert_eq!(format_date_time(hi), "9999-12-31T23:59:59Z");
        assert_eq!(parse_date_time(&format_date_time(hi)), Some(hi));
    }

    #[test]
    fn civil_round_trips() {
        for days in [-1000, 0, 59, 365, 20_000, 20_393] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn formatting_round_trips() {
        for secs in [0, 1, 86_399, 951_782_400, 1_710_435_725, -1, -86_401] {
            let text = format_date_time(secs);
            assert_eq!(parse_date_time(&text), Some(secs), "{text}");
            let chrono = chrono::DateTime::from_timestamp(secs, 0).unwrap();
            assert_eq!(text, chrono.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
    }
}
