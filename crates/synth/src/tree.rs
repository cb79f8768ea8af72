//! The value under construction. Objects are a `Vec` of entries whose keys
//! borrow the plan's property names: no key allocation and no hashing per
//! property (a `serde_json::Map` costs both, a third of generation time).
//! Scalars are held bare (a `serde_json::Value` is 72 bytes with
//! `preserve_order`; a tree node is 32), so the generator moves small values
//! and allocates only the text it makes. A tree becomes a `Value` only when
//! the caller wants one, and serializes straight to JSON otherwise; the
//! matcher reads it in place (`check::Json`), and a caller that changes a
//! few fields before writing it ([`crate::Plan::generate_tree`]) does so in
//! place too.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use crate::ir::Types;
use crate::json;

/// A generated JSON value before it becomes a [`Value`], borrowing from the
/// plan what the plan holds (property names, examples, enum members).
#[derive(Debug, Clone)]
pub enum Tree<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// Text: most of what the generator makes.
    Text(String),
    /// A date-time as Unix seconds, written as RFC 3339 text
    /// ([`crate::time::format_date_time`]): timelines read and move it
    /// without parsing or writing text.
    Time(i64),
    /// An object or array taken whole (a pin, a poison value), boxed so it
    /// does not make every node as large as a `Value`.
    Whole(Box<Value>),
    /// A value the plan or the caller holds (an example, an enum member, a
    /// pin), borrowed rather than copied.
    Ref(&'a Value),
    /// Items in order.
    Array(Vec<Tree<'a>>),
    /// Entries in insertion order, keys unique.
    Object(Vec<(Cow<'a, str>, Tree<'a>)>),
}

/// A scalar, however it is held: what the matcher compares and checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'v> {
    Null,
    Bool(bool),
    Number(&'v Number),
    Str(&'v str),
    /// A [`Tree::Time`]: a string.
    Time(i64),
}

impl<'v> Scalar<'v> {
    /// The scalar `v` is, or `None` for an array or object.
    pub(crate) fn of(v: &'v Value) -> Option<Scalar<'v>> {
        Some(match v {
            Value::Null => Scalar::Null,
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => Scalar::Number(n),
            Value::String(s) => Scalar::Str(s),
            Value::Array(_) | Value::Object(_) => return None,
        })
    }

    pub(crate) fn types(self) -> Types {
        match self {
            Scalar::Null => Types::NULL,
            Scalar::Bool(_) => Types::BOOLEAN,
            Scalar::Number(n) => {
                if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|x| x.fract() == 0.0) {
                    Types::INTEGER
                } else {
                    Types::FRACTION
                }
            }
            Scalar::Str(_) | Scalar::Time(_) => Types::STRING,
        }
    }
}

impl<'a> Tree<'a> {
    /// The node for a whole value: scalars bare, objects and arrays boxed.
    pub fn leaf(v: Value) -> Tree<'a> {
        match v {
            Value::Null => Tree::Null,
            Value::Bool(b) => Tree::Bool(b),
            Value::Number(n) => Tree::Number(n),
            Value::String(s) => Tree::Text(s),
            v => Tree::Whole(Box::new(v)),
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Tree::Null | Tree::Ref(Value::Null))
    }

    /// The scalar this is, or `None` for an object or array.
    pub(crate) fn scalar(&self) -> Option<Scalar<'_>> {
        match self {
            Tree::Null => Some(Scalar::Null),
            Tree::Bool(b) => Some(Scalar::Bool(*b)),
            Tree::Number(n) => Some(Scalar::Number(n)),
            Tree::Text(s) => Some(Scalar::Str(s)),
            Tree::Time(t) => Some(Scalar::Time(*t)),
            Tree::Ref(v) => Scalar::of(v),
            Tree::Whole(_) | Tree::Array(_) | Tree::Object(_) => None,
        }
    }

    /// The text, when this is a string held as text (not a [`Tree::Time`]).
    pub fn as_str(&self) -> Option<&str> {
        match self.scalar()? {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is a string, held as text or as a time.
    pub fn is_string(&self) -> bool {
        matches!(self.scalar(), Some(Scalar::Str(_) | Scalar::Time(_)))
    }

    /// The Unix seconds of a date-time: a [`Tree::Time`] as it is, a
    /// string parsed as RFC 3339.
    pub fn as_time(&self) -> Option<i64> {
        match self {
            Tree::Time(t) => Some(*t),
            t => t.as_str().and_then(crate::time::parse_date_time),
        }
    }

    /// Whether this is a number.
    pub fn is_number(&self) -> bool {
        matches!(self.scalar(), Some(Scalar::Number(_)))
    }

    /// The member `key` of an object, to change in place.
    pub fn member_mut(&mut self, key: &str) -> Option<&mut Tree<'a>> {
        self.open();
        match self {
            Tree::Object(entries) => get_mut(entries, key),
            _ => None,
        }
    }

    /// The items of an array, to change in place.
    pub fn items_mut(&mut self) -> Option<&mut [Tree<'a>]> {
        self.open();
        match self {
            Tree::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Appends the compact JSON of this tree to `out`: the bytes
    /// `serde_json::to_writer` writes for the same value.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        write_json(self, out);
    }

    /// An object or array taken whole (a `Leaf` or `Ref`) becomes entries
    /// or items, one level down, so they can be reached and changed; the
    /// JSON it writes stays the same.
    fn open(&mut self) {
        let opened = match self {
            Tree::Ref(v) => {
                let v: &'a Value = v;
                match v {
                    Value::Object(map) => Tree::Object(
                        map.iter()
                            .map(|(k, v)| (Cow::Borrowed(k.as_str()), Tree::Ref(v)))
                            .collect(),
                    ),
                    Value::Array(items) => Tree::Array(items.iter().map(Tree::Ref).collect()),
                    _ => return,
                }
            }
            Tree::Whole(v) => match std::mem::take(&mut **v) {
                Value::Object(map) => Tree::Object(
                    map.into_iter()
                        .map(|(k, v)| (Cow::Owned(k), Tree::leaf(v)))
                        .collect(),
                ),
                Value::Array(items) => Tree::Array(items.into_iter().map(Tree::leaf).collect()),
                other => Tree::leaf(other),
            },
            _ => return,
        };
        *self = opened;
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
            Tree::Null => Value::Null,
            Tree::Bool(b) => Value::Bool(b),
            Tree::Number(n) => Value::Number(n),
            Tree::Text(s) => Value::String(s),
            Tree::Time(t) => Value::String(crate::time::format_date_time(t)),
            Tree::Whole(v) => *v,
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
/// `serde_json::to_writer` writes for it (see [`json`]).
pub(crate) fn write_json(t: &Tree<'_>, out: &mut Vec<u8>) {
    match t {
        Tree::Null => out.extend_from_slice(b"null"),
        Tree::Bool(true) => out.extend_from_slice(b"true"),
        Tree::Bool(false) => out.extend_from_slice(b"false"),
        Tree::Number(n) => json::write_number(n, out),
        Tree::Text(s) => json::write_str(s, out),
        Tree::Time(t) => {
            // Digits and separators: nothing to escape.
            out.push(b'"');
            out.extend_from_slice(&crate::time::date_time_bytes(*t));
            out.push(b'"');
        }
        Tree::Whole(v) => json::write_value(v, out),
        Tree::Ref(v) => json::write_value(v, out),
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
                json::write_str(k, out);
                out.push(b':');
                write_json(v, out);
            }
            out.push(b'}');
        }
    }
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
                Tree::Array(vec![Tree::leaf(Value::from(text)), Tree::Ref(&v)]),
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
