//! The value under construction. Objects are a `Vec` of entries whose keys
//! borrow the plan's property names: no key allocation and no hashing per
//! property (a `serde_json::Map` costs both, a third of generation time).
//! Scalars stay [`Value`]s. A tree becomes a `Value` only when the caller
//! wants one, and serializes straight to JSON otherwise; the matcher reads
//! it in place (`check::Json`).

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
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

impl Serialize for Tree<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Tree::Leaf(v) => v.serialize(s),
            Tree::Ref(v) => v.serialize(s),
            Tree::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Tree::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(&**k, v)?;
                }
                map.end()
            }
        }
    }
}
