//! The value under construction. Objects are a `Vec` of entries whose keys
//! borrow the plan's property names: no key allocation and no hashing per
//! property (a `serde_json::Map` costs both, a third of generation time).
//! Scalars stay [`Value`]s. A tree becomes a `Value` only when the caller
//! wants one, and serializes straight to JSON otherwise; the matcher reads
//! it in place (`check::Json`).

use std::borrow::Cow;

use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub(crate) enum Tree<'a> {
    /// Scalars, and whole values taken as they are (pins, poison values).
    Leaf(Value),
    /// A value the plan or the caller holds (an example, an enum member, a
    /// pin), borrowed rather than copied.
    Ref(&'a Value),
    Array(Vec<Tree<'a>>),
    /// Entries in insertion order, keys unique.
    Object(Vec<(Cow<'a, str>, Tree<'a>)>),
}

impl<'a> Tree<'a> {
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Tree::Leaf(Value::Null) | Tree::Ref(Value::Null))
    }

    /// The value, when it is a whole JSON value (a scalar, or taken whole).
    pub(crate) fn as_value(&self) -> Option<&Value> {
        match self {
            Tree::Leaf(v) => Some(v),
            Tree::Ref(v) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        self.as_value().and_then(Value::as_str)
    }

    /// The member `key` of an object.
    pub(crate) fn get(&self, key: &str) -> Option<&Tree<'a>> {
        match self {
            Tree::Object(entries) => get(entries, key),
            _ => None,
        }
    }

    pub(crate) fn into_value(self) -> Value {
        match self {
            Tree::Leaf(v) => v,
            Tree::Ref(v) => v.clone(),
            Tree::Array(items) => Value::Array(items.into_iter().map(Tree::into_value).collect()),
            Tree::Object(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    map.insert(k.into_owned(), v.into_value());
                }
                Value::Object(map)
            }
        }
    }
}

pub(crate) fn get<'t, 'a>(
    entries: &'t [(Cow<'a, str>, Tree<'a>)],
    key: &str,
) -> Option<&'t Tree<'a>> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

pub(crate) fn get_mut<'t, 'a>(
    entries: &'t mut [(Cow<'a, str>, Tree<'a>)],
    key: &str,
) -> Option<&'t mut Tree<'a>> {
    entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
}

pub(crate) fn contains(entries: &[(Cow<'_, str>, Tree<'_>)], key: &str) -> bool {
    entries.iter().any(|(k, _)| k == key)
}

/// Replaces the value of `key` in place, or appends it: the order a
/// `serde_json::Map` with `preserve_order` keeps.
pub(crate) fn set<'a>(entries: &mut Vec<(Cow<'a, str>, Tree<'a>)>, key: Cow<'a, str>, v: Tree<'a>) {
    match get_mut(entries, &key) {
        Some(slot) => *slot = v,
        None => entries.push((key, v)),
    }
}

/// Appends the compact JSON of `t` to `out`: the bytes
/// `serde_json::to_writer` writes for it, with strings that need no escape
/// (nearly all generated text) copied in one go after a word-at-a-time scan.
pub(crate) fn write_json(t: &Tree<'_>, out: &mut Vec<u8>) {
    match t {
        Tree::Leaf(v) => write_value(v, out),
        Tree::Ref(v) => write_value(v, out),
        Tree::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(item, out);
            }
            out.push(b']');
        }
        Tree::Object(entries) => {
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write_json(v, out);
            }
            out.push(b'}');
        }
    }
}

fn write_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // Writing into a Vec cannot fail.
        Value::Number(n) => serde_json::to_writer(&mut *out, n).expect("JSON into a Vec"),
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

fn write_str(s: &str, out: &mut Vec<u8>) {
    if needs_no_escape(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, s).expect("JSON into a Vec");
    }
}

/// True when no byte is one JSON escapes (a control character, `"`, `\`),
/// eight bytes at a time.
fn needs_no_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Some byte of `x` is below `n` (for n <= 128), or equals `b`.
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let equal = |x: u64, b: u64| below(x ^ (ONES * b), 1);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        if below(x, 0x20) | equal(x, u64::from(b'"')) | equal(x, u64::from(b'\\')) != 0 {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_serde_json_writes() {
        let texts = [
            "",
            "plain words",
            "exactly8",
            "a quote \" here",
            "back\\slash",
            "tab\there",
            "new\nline",
            "\u{1}\u{1f}\u{7f}",
            "Zoë Ångström 東京 🙂",
            "0123456789abcdef\"",
            "é\u{0}",
            "~~~~~~~~~~~~~~~~",
        ];
        for text in texts {
            let v = serde_json::json!({text: [text, 1, -2.5, 1e300, null, true, {"k": text}]});
            let mut ours = Vec::new();
            write_json(&Tree::Ref(&v), &mut ours);
            let tree = Tree::Object(vec![(
                Cow::Borrowed(text),
                Tree::Array(vec![Tree::Leaf(Value::from(text)), Tree::Ref(&v)]),
            )]);
            write_json(&tree, &mut ours);
            let mut theirs = serde_json::to_vec(&v).unwrap();
            theirs.extend(serde_json::to_vec(&serde_json::json!({text: [text, v]})).unwrap());
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap()
            );
        }
    }
}
