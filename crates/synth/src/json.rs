//! Compact JSON, written by hand: the bytes `serde_json::to_writer` writes,
//! with strings that need no escape (nearly all generated text) copied in
//! one go after a word-at-a-time scan. The generator writes trees with it,
//! and the mock its response bodies.

use serde_json::Value;

/// Appends the compact JSON of `v` to `out`: the bytes
/// `serde_json::to_writer` writes for it.
///
/// ```
/// let mut out = Vec::new();
/// decoy_synth::json::write_value(&serde_json::json!({"a": [1, "x\"y"]}), &mut out);
/// assert_eq!(out, br#"{"a":[1,"x\"y"]}"#);
/// ```
pub fn write_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write_value(v, out);
            }
            out.push(b'}');
        }
    }
}

pub(crate) fn write_number(n: &serde_json::Number, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    serde_json::to_writer(&mut *out, n).expect("JSON into a Vec");
}

#[inline]
pub(crate) fn write_str(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    if needs_no_escape(bytes) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else {
        write_escaped(s, out);
    }
}

/// Text with something to escape: rare, so kept out of line, which keeps
/// [`write_str`] small enough to inline where every key is written.
#[cold]
#[inline(never)]
fn write_escaped(s: &str, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, s).expect("JSON into a Vec");
}

/// True when no byte is one JSON escapes (a control character, `"`, `\`),
/// eight bytes at a time.
#[inline]
fn needs_no_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Some byte of `x` is below `n` (for n <= 128), or equals `b`.
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let equal = |x: u64, b: u64| below(x ^ (ONES * b), 1);
    let mut rest = bytes;
    // Indexing by a fixed-size split, not a chunk iterator: most strings
    // are short, and the iterator's setup cost more than the scan.
    let clean = |word: &[u8; 8]| {
        let x = u64::from_le_bytes(*word);
        below(x, 0x20) | equal(x, u64::from(b'"')) | equal(x, u64::from(b'\\')) == 0
    };
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        if !clean(word) {
            return false;
        }
        rest = tail;
    }
    if rest.is_empty() {
        return true;
    }
    // The last bytes as one word, overlapping ones already read, rather
    // than a loop over up to seven bytes.
    match bytes.last_chunk::<8>() {
        Some(last) => clean(last),
        None => rest.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\'),
    }
}

#[cfg(test)]
mod tests {
    /// Text of every length up to three words, with each byte JSON
    /// escapes at each position (and none), written as serde_json writes
    /// it: the word-at-a-time scan misses no byte, the last word included.
    #[test]
    fn every_escape_at_every_position_is_seen() {
        for len in 0..=24 {
            let mut texts = vec!["a".repeat(len)];
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1f}', '\u{0}'] {
                    let mut t: Vec<char> = "a".repeat(len).chars().collect();
                    t[at] = special;
                    texts.push(t.into_iter().collect());
                }
            }
            for text in texts {
                let mut ours = Vec::new();
                super::write_str(&text, &mut ours);
                assert_eq!(ours, serde_json::to_vec(&text).unwrap(), "{text:?}");
            }
        }
    }
}
