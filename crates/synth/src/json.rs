//! Compact JSON, written by hand: the bytes `serde_json::to_writer` writes,
//! with strings that need no escape (nearly all generated text) checked and
//! copied a word at a time in one pass. The generator writes trees with it,
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

/// Appends `s` as a JSON string. Text with nothing to escape (nearly all
/// generated text) is checked and copied in the same pass, eight bytes at
/// a time, each copy a fixed-size move: short strings are most of a body,
/// and a `memcpy` call per string, with its branches on the length, cost
/// more than the copying.
#[inline]
pub(crate) fn write_str(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    let start = out.len();
    // Room for the text, both quotes and a word written past the end then
    // taken back (below), so no copy grows the buffer.
    out.reserve(bytes.len() + 2 + 8);
    out.push(b'"');
    let mut rest = bytes;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        if !clean(word) {
            return escaped(s, start, out);
        }
        out.extend_from_slice(word);
        rest = tail;
    }
    if !rest.is_empty() {
        match bytes.last_chunk::<8>() {
            // The last bytes as one word, overlapping bytes already copied:
            // step back over those (the same bytes) and write it whole.
            Some(last) => {
                if !clean(last) {
                    return escaped(s, start, out);
                }
                out.truncate(out.len() - (8 - rest.len()));
                out.extend_from_slice(last);
            }
            // Under eight bytes: gathered into one word, written whole,
            // and the bytes past the text taken back.
            None => {
                let word = short_word(rest);
                if !clean(&word) {
                    return escaped(s, start, out);
                }
                out.extend_from_slice(&word);
                out.truncate(out.len() - (8 - rest.len()));
            }
        }
    }
    out.push(b'"');
}

/// Text with something to escape: rare, so kept out of line. What the
/// fast path wrote of it is taken back first.
#[cold]
#[inline(never)]
fn escaped(s: &str, start: usize, out: &mut Vec<u8>) {
    out.truncate(start);
    serde_json::to_writer(&mut *out, s).expect("JSON into a Vec");
}

/// One to seven bytes as the first bytes of a word, the rest spaces (which
/// need no escape): two overlapping reads of two or four bytes, not a loop.
#[inline]
fn short_word(b: &[u8]) -> [u8; 8] {
    let n = b.len();
    let x = match n {
        4..=7 => {
            let head = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let tail = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]);
            u64::from(head) | u64::from(tail) << ((n - 4) * 8)
        }
        2..=3 => {
            let head = u16::from_le_bytes([b[0], b[1]]);
            let tail = u16::from_le_bytes([b[n - 2], b[n - 1]]);
            u64::from(head) | u64::from(tail) << ((n - 2) * 8)
        }
        _ => u64::from(b[0]),
    };
    // Spaces where the text ends; the overlapping bytes above are the same
    // bytes, so or-ing them changes nothing.
    let fill = !0u64 << (n * 8) & 0x2020_2020_2020_2020;
    (x | fill).to_le_bytes()
}

/// True when no byte of the word is one JSON escapes (a control
/// character, `"`, `\`).
#[inline]
fn clean(word: &[u8; 8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Some byte of `x` is below `n` (for n <= 128), or equals `b`.
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let equal = |x: u64, b: u64| below(x ^ (ONES * b), 1);
    let x = u64::from_le_bytes(*word);
    below(x, 0x20) | equal(x, u64::from(b'"')) | equal(x, u64::from(b'\\')) == 0
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

    /// Every prefix of mixed text (one to four bytes a character), written
    /// after other JSON and before more: each length's copy (short word,
    /// whole words, overlapping last word) writes the text and nothing
    /// else, and an escape found late takes back what was copied.
    #[test]
    fn text_of_every_length_is_copied_whole() {
        let mixed = "Zoë Ångström 東京 🙂 plain words, then some more of them";
        let ends = mixed.char_indices().map(|(i, _)| i).chain([mixed.len()]);
        for end in ends {
            let text = &mixed[..end];
            for tail in ["", "\"", "\n"] {
                let text = format!("{text}{tail}");
                let mut ours = b"[1,".to_vec();
                super::write_str(&text, &mut ours);
                ours.push(b']');
                let theirs = serde_json::to_vec(&serde_json::json!([1, text])).unwrap();
                assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    String::from_utf8(theirs).unwrap()
                );
            }
        }
    }
}
