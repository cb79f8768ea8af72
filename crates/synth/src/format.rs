//! `format`: generators for the formats JSON Schema and OpenAPI name, and
//! light checks used to tell `oneOf` branches apart.

use rand::RngExt;

use crate::{Rng, draw, time};

/// The formats decoy knows. Unknown names are ignored (as annotations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    DateTime,
    Date,
    Time,
    Duration,
    Uuid,
    Uri,
    UriReference,
    UriTemplate,
    Email,
    Hostname,
    Ipv4,
    Ipv6,
    Byte,
    Binary,
    Password,
    JsonPointer,
    RelativeJsonPointer,
    Regex,
    // Numeric formats.
    Int32,
    Int64,
    Float,
    Double,
    /// Seconds since the Unix epoch (OpenAI's `unixtime`).
    UnixTime,
}

impl Format {
    pub(crate) fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "date-time" => Format::DateTime,
            "date" => Format::Date,
            "time" => Format::Time,
            "duration" => Format::Duration,
            "uuid" => Format::Uuid,
            "uri" | "iri" | "url" => Format::Uri,
            "uri-reference" | "iri-reference" => Format::UriReference,
            "uri-template" => Format::UriTemplate,
            "email" | "idn-email" => Format::Email,
            "hostname" | "idn-hostname" => Format::Hostname,
            "ipv4" => Format::Ipv4,
            "ipv6" => Format::Ipv6,
            "byte" => Format::Byte,
            "binary" => Format::Binary,
            "password" => Format::Password,
            "json-pointer" => Format::JsonPointer,
            "relative-json-pointer" => Format::RelativeJsonPointer,
            "regex" => Format::Regex,
            "int32" => Format::Int32,
            "int64" => Format::Int64,
            "float" => Format::Float,
            "double" => Format::Double,
            "unixtime" | "unix-time" | "timestamp" => Format::UnixTime,
            _ => return None,
        })
    }

    pub(crate) fn is_numeric(self) -> bool {
        matches!(
            self,
            Format::Int32 | Format::Int64 | Format::Float | Format::Double | Format::UnixTime
        )
    }
}

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

/// Appends `n` characters drawn from `alphabet` (ASCII), one draw each.
pub(crate) fn push_random(out: &mut String, rng: &mut Rng, alphabet: &[u8], n: usize) {
    debug_assert!(alphabet.is_ascii());
    // Bytes gathered on the stack and appended as one `str`: pushing each
    // `char` checks capacity and encodes it, which cost more than the draw.
    let mut buf = [0u8; 32];
    let mut left = n;
    out.reserve(n);
    while left > 0 {
        let chunk = &mut buf[..left.min(32)];
        for b in chunk.iter_mut() {
            *b = draw::item(rng, alphabet);
        }
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        left -= chunk.len();
    }
}

/// `<prefix><16 base62 chars>`, the shape of `x-decoy-id-prefix` ids.
pub(crate) fn prefixed_id(prefix: &str, rng: &mut Rng) -> String {
    let mut s = String::with_capacity(prefix.len() + 16);
    s.push_str(prefix);
    push_random(&mut s, rng, ALNUM, 16);
    s
}

pub(crate) fn uuid(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(36);
    let version_at = 14;
    let variant_at = 19;
    for i in 0..36 {
        match i {
            8 | 13 | 18 | 23 => s.push('-'),
            _ if i == version_at => s.push('4'),
            _ if i == variant_at => s.push(char::from(draw::item(rng, b"89ab"))),
            _ => s.push(char::from(draw::item(rng, HEX))),
        }
    }
    s
}

fn push_2(out: &mut String, n: u32) {
    out.push((b'0' + (n / 10 % 10) as u8) as char);
    out.push((b'0' + (n % 10) as u8) as char);
}

fn push_time(out: &mut String, secs_of_day: i64) {
    let s = secs_of_day as u32;
    push_2(out, s / 3600);
    out.push(':');
    push_2(out, s / 60 % 60);
    out.push(':');
    push_2(out, s % 60);
}

/// A Unix time in the window `[anchor - window, anchor)`.
pub(crate) fn recent_unix(rng: &mut Rng, anchor: i64, window: i64) -> i64 {
    anchor - rng.random_range(1..=window.max(1))
}

/// A date-time `len` characters long, for a `minLength` above the plain
/// form's 20: RFC 3339 allows any number of fraction-of-second digits, so
/// `2026-05-12T05:19:02.4817Z` grows one digit at a time from 22. `None`
/// for 21, which no UTC date-time is.
pub(crate) fn long_date_time(secs: i64, len: u64, rng: &mut Rng) -> Option<String> {
    let digits = usize::try_from(len.checked_sub(21)?)
        .ok()
        .filter(|d| *d > 0)?;
    let mut s = time::format_date_time(secs);
    s.pop(); // the `Z`, put back after the fraction
    s.reserve(digits + 2);
    s.push('.');
    for _ in 0..digits {
        s.push(char::from(draw::item(rng, b"0123456789")));
    }
    s.push('Z');
    Some(s)
}

const WORDS: &[&str] = &[
    "alpha", "amber", "apex", "atlas", "beacon", "birch", "blue", "bright", "cedar", "cloud",
    "coral", "delta", "ember", "falcon", "forest", "frost", "harbor", "island", "jade", "lake",
    "maple", "meadow", "north", "nova", "ocean", "orbit", "pine", "prairie", "quartz", "river",
    "sage", "silver", "sky", "solar", "spruce", "stone", "summit", "swift", "tide", "valley",
];
const TLDS: &[&str] = &["com", "io", "net", "org", "dev", "app"];

pub(crate) fn word(rng: &mut Rng) -> &'static str {
    draw::item(rng, WORDS)
}

pub(crate) fn domain(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(24);
    push_domain(&mut s, rng);
    s
}

fn push_domain(s: &mut String, rng: &mut Rng) {
    s.push_str(word(rng));
    if rng.random_bool(0.5) {
        s.push_str(word(rng));
    }
    s.push('.');
    s.push_str(TLDS[rng.random_range(0..TLDS.len())]);
}

pub(crate) fn https_url(rng: &mut Rng) -> String {
    // Room for the longest URL drawn here: no growing on the way.
    let mut s = String::with_capacity(64);
    s.push_str("https://");
    if rng.random_bool(0.5) {
        s.push_str("www.");
    }
    push_domain(&mut s, rng);
    let segments = rng.random_range(0..=2);
    for _ in 0..segments {
        s.push('/');
        s.push_str(word(rng));
    }
    if segments > 0 && rng.random_bool(0.3) {
        s.push('/');
        push_random(&mut s, rng, ALNUM, 8);
    }
    s
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// A value of a string format; `max_len` steers the variable-length ones.
pub(crate) fn generate(
    format: Format,
    rng: &mut Rng,
    anchor: i64,
    window: i64,
    max_len: Option<u64>,
) -> Option<String> {
    let fits = |n: usize| max_len.is_none_or(|m| n as u64 <= m);
    Some(match format {
        Format::DateTime => time::format_date_time(recent_unix(rng, anchor, window)),
        Format::Date => {
            let mut s = time::format_date_time(recent_unix(rng, anchor, window));
            s.truncate(10);
            s
        }
        Format::Time => {
            let mut s = String::with_capacity(9);
            push_time(&mut s, rng.random_range(0..86_400));
            s.push('Z');
            s
        }
        Format::Duration => match rng.random_range(0..3) {
            0 => format!("PT{}M{}S", rng.random_range(1..60), rng.random_range(0..60)),
            1 => format!("PT{}H", rng.random_range(1..24)),
            _ => format!("P{}D", rng.random_range(1..30)),
        },
        Format::Uuid => uuid(rng),
        Format::Uri => https_url(rng),
        Format::UriReference => {
            if rng.random_bool(0.5) {
                format!("/{}/{}", word(rng), word(rng))
            } else {
                https_url(rng)
            }
        }
        Format::UriTemplate => format!("https://{}/{}/{{id}}", domain(rng), word(rng)),
        Format::Email => {
            let first = crate::names::first_name(rng).to_ascii_lowercase();
            let last = crate::names::last_name(rng).to_ascii_lowercase();
            let mut s = String::with_capacity(first.len() + last.len() + 16);
            for c in first.chars().chain(['.']).chain(last.chars()) {
                if c.is_ascii_alphanumeric() || c == '.' {
                    s.push(c);
                }
            }
            s.push_str("@example.");
            s.push_str(["com", "org", "net"][rng.random_range(0..3)]);
            s
        }
        Format::Hostname => format!("{}.{}", word(rng), domain(rng)),
        Format::Ipv4 => format!(
            "{}.{}.{}.{}",
            rng.random_range(1..=223),
            rng.random_range(0..=255),
            rng.random_range(0..=255),
            rng.random_range(1..=254)
        ),
        Format::Ipv6 => {
            let mut s = String::from("2001:db8");
            for _ in 0..6 {
                s.push(':');
                s.push_str(&format!("{:x}", rng.random_range(0..=0xffffu32)));
            }
            s
        }
        Format::Byte => {
            let mut n = rng.random_range(6..=24usize);
            while n > 0 && !fits(n.div_ceil(3) * 4) {
                n -= 1;
            }
            let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            base64(&bytes)
        }
        Format::Binary | Format::Password => {
            let mut s = String::new();
            let mut n = rng.random_range(12..=24usize);
            if let Some(m) = max_len {
                n = n.min(m as usize);
            }
            push_random(&mut s, rng, ALNUM, n);
            s
        }
        Format::JsonPointer => format!("/{}/{}", word(rng), rng.random_range(0..10)),
        Format::RelativeJsonPointer => format!("{}/{}", rng.random_range(0..3), word(rng)),
        Format::Regex => "^[a-z]+$".to_owned(),
        Format::Int32 | Format::Int64 | Format::Float | Format::Double | Format::UnixTime => {
            return None;
        }
    })
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) => time::is_date(y, m, d),
        _ => false,
    }
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 9 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    if !(digits(&s[0..2]) && digits(&s[3..5]) && digits(&s[6..8])) {
        return false;
    }
    let mut rest = &s[8..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        "Z" | "z" => true,
        _ => {
            let b = rest.as_bytes();
            b.len() == 6
                && (b[0] == b'+' || b[0] == b'-')
                && b[3] == b':'
                && digits(&rest[1..3])
                && digits(&rest[4..6])
        }
    }
}

/// A light check of a string format, close to what validators accept; used
/// to keep `oneOf` branches apart and to confirm "bad format" values.
pub(crate) fn check(format: Format, s: &str) -> bool {
    match format {
        Format::DateTime => {
            s.len() > 11
                && matches!(s.as_bytes()[10], b'T' | b't')
                && is_date(&s[..10])
                && is_time(&s[11..])
        }
        Format::Date => is_date(s),
        Format::Time => is_time(s),
        Format::Duration => {
            s.len() > 1
                && s.starts_with('P')
                && s[1..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.')
        }
        Format::Uuid => {
            s.len() == 36
                && s.bytes().enumerate().all(|(i, b)| match i {
                    8 | 13 | 18 | 23 => b == b'-',
                    _ => b.is_ascii_hexdigit(),
                })
        }
        Format::Uri => match s.split_once(':') {
            Some((scheme, rest)) => {
                !scheme.is_empty()
                    && scheme.as_bytes()[0].is_ascii_alphabetic()
                    && scheme
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                    && !rest.contains(' ')
            }
            None => false,
        },
        Format::UriReference | Format::UriTemplate => !s.contains(' '),
        Format::Email => match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty() && !domain.is_empty() && !s.contains(' ') && !domain.contains('@')
            }
            None => false,
        },
        Format::Hostname => {
            !s.is_empty()
                && s.len() <= 253
                && s.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        }
        Format::Ipv4 => s.parse::<std::net::Ipv4Addr>().is_ok(),
        Format::Ipv6 => s.parse::<std::net::Ipv6Addr>().is_ok(),
        Format::Byte => {
            s.len().is_multiple_of(4)
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
        }
        Format::JsonPointer => s.is_empty() || s.starts_with('/'),
        Format::RelativeJsonPointer => s.bytes().next().is_some_and(|b| b.is_ascii_digit()),
        Format::Regex => jsonschema_regex::to_rust_regex(s).is_ok(),
        Format::Binary
        | Format::Password
        | Format::Int32
        | Format::Int64
        | Format::Float
        | Format::Double
        | Format::UnixTime => true,
    }
}

/// A string that breaks the format (for invalid values), if the format is
/// one validators assert.
pub(crate) fn bad_value(format: Format) -> Option<&'static str> {
    Some(match format {
        Format::DateTime => "2026-13-45 25:61",
        Format::Date => "2026-02-31",
        Format::Time => "25:61:00",
        Format::Duration => "1 hour",
        Format::Uuid => "not-a-uuid",
        Format::Uri => "not a uri",
        Format::Email => "not-an-email",
        Format::Hostname => "-bad-.host-",
        Format::Ipv4 => "999.1.2",
        Format::Ipv6 => "2001:::zz",
        Format::Regex => "[unclosed",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generated_formats_pass_their_checks() {
        let mut rng = Rng::seed_from_u64(7);
        let all = [
            Format::DateTime,
            Format::Date,
            Format::Time,
            Format::Duration,
            Format::Uuid,
            Format::Uri,
            Format::UriReference,
            Format::Email,
            Format::Hostname,
            Format::Ipv4,
            Format::Ipv6,
            Format::Byte,
        ];
        for _ in 0..200 {
            for f in all {
                let s = generate(f, &mut rng, 1_793_491_200, 300 * 86_400, None).unwrap();
                assert!(check(f, &s), "{f:?} {s}");
                if let Some(bad) = bad_value(f) {
                    assert!(!check(f, bad), "{f:?} {bad}");
                }
            }
        }
    }
}
