//! The one duration grammar every flag and extension uses.
//!
//! A duration is a number and a unit: `250ms`, `1.5s`, `2m`, `1h`, `500us`.
//! A bare number is refused, because `10` means milliseconds to one reader
//! and seconds to another; `0` alone is accepted, since it means the same in
//! every unit. Ranges (`20ms..80ms`) are [`Latency`]'s business.
//!
//! ```
//! use std::time::Duration;
//! use decoy_spec::duration::parse;
//!
//! assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
//! assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
//! assert!(parse("10").unwrap_err().contains("needs a unit"));
//! ```

use std::time::Duration;

/// Parses one duration; the error says what was expected.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 250ms, 10s or 2m"))?;
    let seconds = match unit.trim() {
        "" if n == 0.0 => 0.0,
        "" => {
            return Err(format!(
                "`{text}` needs a unit: {number}ms, {number}s or {number}m"
            ));
        }
        "us" | "µs" => n / 1e6,
        "ms" => n / 1e3,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (use us, ms, s, m or h)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{text}`: {e}"))
}

/// A delay: fixed (`min == max`) or uniform in `min..=max`, as
/// `x-decoy-faults.latency` and `decoy mock --latency` write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Latency {
    /// The shortest delay.
    pub min: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Latency {
    /// A fixed delay.
    pub fn fixed(delay: Duration) -> Latency {
        Latency {
            min: delay,
            max: delay,
        }
    }

    /// Parses `50ms`, `1s`, `20ms..80ms` (or `20ms-80ms`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let l = decoy_spec::duration::Latency::parse("20ms..80ms").unwrap();
    /// assert_eq!((l.min, l.max), (Duration::from_millis(20), Duration::from_millis(80)));
    /// assert!(decoy_spec::duration::Latency::parse("soon").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Latency, String> {
        let text = text.trim();
        let (a, b) = match text.split_once("..").or_else(|| text.split_once('-')) {
            Some((a, b)) => (a, b),
            None => (text, text),
        };
        let (min, max) = (parse(a)?, parse(b)?);
        if min > max {
            return Err(format!(
                "latency range {text}: the minimum is above the maximum"
            ));
        }
        Ok(Latency { min, max })
    }

    /// The delay for a draw `r` in `0..1`.
    pub fn pick(self, r: f64) -> Duration {
        let span = self.max.saturating_sub(self.min);
        self.min + span.mul_f64(r.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_refusals() {
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("500us"), Ok(Duration::from_micros(500)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert!(parse("10").is_err());
        assert!(parse("10 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse("").is_err());
        assert!(parse("1e400s").is_err());
        assert!(Latency::parse("80ms..20ms").is_err());
    }
}
