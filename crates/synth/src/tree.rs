//! The value under construction. Objects are a `Vec` of entries whose keys
//! borrow the plan's property names: no key allocation and no hashing per
//! property (a `serde_json::Map` costs both, a third of generation time).
//! Scalars stay [`Value`]s. A tree becomes a `Value` only when the caller
//! wants one, and serializes straight to JSON otherwise; the matcher reads
//! it in place (`check::Json`), and a caller that changes a few fields
//! before writing it ([`crate::Plan::generate_tree`]) does so in place too.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::json;

/// A generated JSON value before it becomes a [`Value`], borrowing from the
/// plan what the plan holds (property names, examples, enum members).
#[derive(Debug, Clone)]
pub enum Tree<'a> {
    /// Scalars, and whole values taken as they are (pins, poison values).
    Leaf(Value),
    /// A value the plan or the caller holds (an example, an enum member, a
    /// pin), borrowed rather than copied.
    Ref(&'a Value),
    /// Items in order.
    Array(Vec<Tree<'a>>),
    /// Entries in insertion order, keys unique.
    Object(Vec<(Cow<'a, str>, Tree<'a>)>),
}

impl<'a> Tree<'a> {
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Tree::Leaf(Value::Null) | Tree::Ref(Value::Null))
    }

    /// The value, when it is a whole JSON value (a scalar, or taken whole).
    pub fn as_value(&self) -> Option<&Value> {
        match self {
            Tree::Leaf(v) => Some(v),
            Tree::Ref(v) => Some(v),
            _ => None,
        }
    }

    /// The text, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        self.as_value().and_then(Value::as_str)
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
            Tree::Leaf(v @ (Value::Object(_) | Value::Array(_))) => match std::mem::take(v) {
                Value::Object(map) => Tree::Object(
                    map.into_iter()
                        .map(|(k, v)| (Cow::Owned(k), Tree::Leaf(v)))
                        .collect(),
                ),
                Value::Array(items) => Tree::Array(items.into_iter().map(Tree::Leaf).collect()),
                other => Tree::Leaf(other),
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
/// `serde_json::to_writer` writes for it (see [`json`]).
pub(crate) fn write_json(t: &Tree<'_>, out: &mut Vec<u8>) {
    match t {
        Tree::Leaf(v) => json::write_value(v, out),
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
