//! The matcher: does a value satisfy a compiled node? Used for `oneOf`
//! exclusivity, `not`, `if`, enum and example filtering, and to confirm
//! invalid values. It follows JSON Schema 2020-12 semantics for the keywords
//! the compiler keeps; formats are checked lightly (see `format::check`).
//!
//! It reads values through [`Json`], a borrowed view of either a
//! `serde_json::Value` or a [`Tree`] under construction, so generation checks
//! what it built without copying it into a `Value` first.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::format::{self, Format};
use crate::ir::{Addl, Arena, ArrC, NodeId, ObjC, Types};
use crate::time;
use crate::tree::{Scalar, Tree};

/// Past this nesting the matcher answers "no" rather than recurse further
/// (only a schema that refers to itself without consuming input gets here).
const MAX_DEPTH: u32 = 200;

/// A borrowed JSON value: a plain [`Value`] or a generated [`Tree`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Json<'v> {
    Value(&'v Value),
    Tree(&'v Tree<'v>),
}

/// The members of a JSON array, either way it is held.
#[derive(Clone, Copy)]
enum Items<'v> {
    Value(&'v [Value]),
    Tree(&'v [Tree<'v>]),
}

/// The members of a JSON object, either way it is held.
#[derive(Clone, Copy)]
enum Members<'v> {
    Value(&'v Map<String, Value>),
    Tree(&'v [(Cow<'v, str>, Tree<'v>)]),
}

/// What a [`Json`] is, one level down.
enum Shape<'v> {
    Scalar(Scalar<'v>),
    Array(Items<'v>),
    Object(Members<'v>),
}

impl<'v> Json<'v> {
    pub(crate) fn tree(t: &'v Tree<'v>) -> Json<'v> {
        match t {
            Tree::Whole(v) => Json::Value(v),
            Tree::Ref(v) => Json::Value(v),
            t => Json::Tree(t),
        }
    }

    fn shape(self) -> Shape<'v> {
        match self {
            Json::Tree(Tree::Ref(v)) => Json::Value(v).shape(),
            Json::Tree(Tree::Whole(v)) => Json::Value(v).shape(),
            Json::Value(v) => match v {
                Value::Array(a) => Shape::Array(Items::Value(a)),
                Value::Object(m) => Shape::Object(Members::Value(m)),
                Value::Null => Shape::Scalar(Scalar::Null),
                Value::Bool(b) => Shape::Scalar(Scalar::Bool(*b)),
                Value::Number(n) => Shape::Scalar(Scalar::Number(n)),
                Value::String(s) => Shape::Scalar(Scalar::Str(s)),
            },
            Json::Tree(Tree::Array(a)) => Shape::Array(Items::Tree(a)),
            Json::Tree(Tree::Object(m)) => Shape::Object(Members::Tree(m)),
            Json::Tree(Tree::Null) => Shape::Scalar(Scalar::Null),
            Json::Tree(Tree::Bool(b)) => Shape::Scalar(Scalar::Bool(*b)),
            Json::Tree(Tree::Number(n)) => Shape::Scalar(Scalar::Number(n)),
            Json::Tree(Tree::Text(s)) => Shape::Scalar(Scalar::Str(s)),
            Json::Tree(Tree::Time(t)) => Shape::Scalar(Scalar::Time(*t)),
        }
    }

    fn types(self) -> Types {
        match self.shape() {
            Shape::Scalar(v) => v.types(),
            Shape::Array(_) => Types::ARRAY,
            Shape::Object(_) => Types::OBJECT,
        }
    }
}

impl<'v> Items<'v> {
    fn len(self) -> usize {
        match self {
            Items::Value(a) => a.len(),
            Items::Tree(a) => a.len(),
        }
    }

    fn at(self, i: usize) -> Json<'v> {
        match self {
            Items::Value(a) => Json::Value(&a[i]),
            Items::Tree(a) => Json::tree(&a[i]),
        }
    }

    fn iter(self) -> impl Iterator<Item = Json<'v>> {
        (0..self.len()).map(move |i| self.at(i))
    }
}

/// Iterates [`Members`].
enum MemberIter<'v> {
    Value(serde_json::map::Iter<'v>),
    Tree(std::slice::Iter<'v, (Cow<'v, str>, Tree<'v>)>),
}

impl<'v> Iterator for MemberIter<'v> {
    type Item = (&'v str, Json<'v>);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            MemberIter::Value(it) => it.next().map(|(k, v)| (k.as_str(), Json::Value(v))),
            MemberIter::Tree(it) => it.next().map(|(k, t)| (&**k, Json::tree(t))),
        }
    }
}

impl<'v> Members<'v> {
    fn len(self) -> usize {
        match self {
            Members::Value(m) => m.len(),
            Members::Tree(m) => m.len(),
        }
    }

    fn get(self, key: &str) -> Option<Json<'v>> {
        match self {
            Members::Value(m) => m.get(key).map(Json::Value),
            Members::Tree(m) => crate::tree::get(m, key).map(Json::tree),
        }
    }

    fn iter(self) -> MemberIter<'v> {
        match self {
            Members::Value(m) => MemberIter::Value(m.iter()),
            Members::Tree(m) => MemberIter::Tree(m.iter()),
        }
    }
}

/// JSON equality as JSON Schema means it: `1` equals `1.0`.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    same(Json::Value(a), Json::Value(b))
}

/// [`json_eq`] on views.
pub(crate) fn same(a: Json<'_>, b: Json<'_>) -> bool {
    match (a.shape(), b.shape()) {
        (Shape::Scalar(Scalar::Number(x)), Shape::Scalar(Scalar::Number(y))) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                x == y
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        // A time equals the text it is written as.
        (Shape::Scalar(Scalar::Time(t)), Shape::Scalar(Scalar::Str(s)))
        | (Shape::Scalar(Scalar::Str(s)), Shape::Scalar(Scalar::Time(t))) => {
            time::with_date_time(t, |text| text == s)
        }
        (Shape::Scalar(x), Shape::Scalar(y)) => x == y,
        (Shape::Array(x), Shape::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| same(a, b))
        }
        (Shape::Object(x), Shape::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => false,
    }
}

fn is_scalar(v: Json<'_>) -> bool {
    matches!(v.shape(), Shape::Scalar(_))
}

pub(crate) fn matches(arena: &Arena, id: NodeId, v: &Value) -> bool {
    matches_at(arena, id, Json::Value(v), 0)
}

/// [`matches`] on a generated tree, without copying it.
pub(crate) fn matches_tree(arena: &Arena, id: NodeId, v: &Tree<'_>) -> bool {
    matches_at(arena, id, Json::tree(v), 0)
}

fn is_multiple(v: f64, m: f64) -> bool {
    if m.fract() == 0.0 && v.fract() == 0.0 {
        return (v % m) == 0.0;
    }
    let q = v / m;
    (q - q.round()).abs() < 1e-9 * q.abs().max(1.0)
}

pub(crate) fn number_ok(num: &crate::ir::NumC, x: f64) -> bool {
    if x < num.min
        || (num.min_excl && x == num.min)
        || x > num.max
        || (num.max_excl && x == num.max)
    {
        return false;
    }
    if !num.multiple_of.iter().all(|&mo| is_multiple(x, mo)) {
        return false;
    }
    match num.format {
        Some(Format::Int32) => {
            x.fract() == 0.0 && (-2_147_483_648.0..=2_147_483_647.0).contains(&x)
        }
        Some(Format::Int64) => {
            x.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x)
        }
        _ => true,
    }
}

pub(crate) fn string_ok(arena: &Arena, s: &crate::ir::StrC, text: &str) -> bool {
    // Counting chars walks the string: skip it when no bound asks.
    let n = || text.chars().count() as u64;
    (s.min_len == 0 || n() >= s.min_len)
        && s.max_len
            .is_none_or(|max| text.len() as u64 <= max || n() <= max)
        && s.formats.iter().all(|&f| format::check(f, text))
        && s.patterns
            .iter()
            .all(|&p| arena.patterns[p as usize].is_match(text))
}

/// [`string_ok`] for a [`Tree::Time`]. Its text is a 20-character RFC 3339
/// date-time wherever the year has four digits, so length bounds and a
/// `date-time` format are answered without writing it.
pub(crate) fn time_ok(arena: &Arena, s: &crate::ir::StrC, secs: i64) -> bool {
    if time::FOUR_DIGIT_YEARS.contains(&secs)
        && s.patterns.is_empty()
        && s.formats.iter().all(|&f| f == Format::DateTime)
    {
        return s.min_len <= 20 && s.max_len.is_none_or(|max| max >= 20);
    }
    time::with_date_time(secs, |text| string_ok(arena, s, text))
}

/// Whether `v` matches node `id`: its own keywords, then the keywords of
/// its kind of value, then the composition checks.
fn matches_at(arena: &Arena, id: NodeId, v: Json<'_>, depth: u32) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let node = arena.node(id);
    if node.never.is_some() || !node.types.has(v.types()) {
        return false;
    }
    if let Some(e) = &node.enumeration
        && !e.iter().any(|x| same(Json::Value(x), v))
    {
        return false;
    }
    let kind_ok = match v.shape() {
        Shape::Scalar(Scalar::Number(n)) => match (&node.num, n.as_f64()) {
            (Some(num), Some(x)) => number_ok(num, x),
            _ => true,
        },
        Shape::Scalar(Scalar::Str(text)) => node
            .string
            .as_ref()
            .is_none_or(|s| string_ok(arena, s, text)),
        Shape::Scalar(Scalar::Time(t)) => node.string.as_ref().is_none_or(|s| time_ok(arena, s, t)),
        Shape::Scalar(_) => true,
        Shape::Array(items) => node
            .array
            .as_ref()
            .is_none_or(|a| array_ok(arena, a, items, depth)),
        Shape::Object(map) => node
            .object
            .as_ref()
            .is_none_or(|o| object_ok(arena, o, map, depth)),
    };
    kind_ok
        && match &node.checks {
            Some(c) => checks_ok(arena, c, v, depth, None),
            None => true,
        }
}

/// Array keywords: counts, items by position, uniqueness, `contains`.
fn array_ok(arena: &Arena, a: &ArrC, items: Items<'_>, depth: u32) -> bool {
    let n = items.len() as u64;
    if n < a.min || a.max.is_some_and(|max| n > max) {
        return false;
    }
    for (i, item) in items.iter().enumerate() {
        let child = a.prefix.get(i).copied().or(a.items);
        if let Some(child) = child
            && !matches_at(arena, child, item, depth + 1)
        {
            return false;
        }
    }
    if a.unique {
        for i in 0..items.len() {
            for j in i + 1..items.len() {
                if same(items.at(i), items.at(j)) {
                    return false;
                }
            }
        }
    }
    if let Some(c) = a.contains {
        let hits = items
            .iter()
            .filter(|&x| matches_at(arena, c, x, depth + 1))
            .count() as u64;
        if hits < a.min_contains || a.max_contains.is_some_and(|max| hits > max) {
            return false;
        }
    }
    true
}

/// Object keywords: counts, named properties, the others, names,
/// dependencies.
fn object_ok(arena: &Arena, o: &ObjC, map: Members<'_>, depth: u32) -> bool {
    let n = map.len() as u64;
    if n < o.min_props || o.max_props.is_some_and(|max| n > max) {
        return false;
    }
    // Cheap checks first (presence, enums, scalars), so a value
    // checked against a sibling `oneOf` branch fails before any
    // deep recursion.
    for p in &o.props {
        match map.get(&p.name) {
            None if p.required => return false,
            Some(x) if is_scalar(x) && !matches_at(arena, p.node, x, depth + 1) => return false,
            _ => {}
        }
    }
    for p in &o.props {
        if let Some(x) = map.get(&p.name)
            && !is_scalar(x)
            && !matches_at(arena, p.node, x, depth + 1)
        {
            return false;
        }
    }
    for (k, x) in map.iter() {
        if !o.props.iter().any(|p| *p.name == *k) && !other_property_ok(arena, o, k, x, depth) {
            return false;
        }
    }
    if let Some(pn) = o.property_names
        && !map.iter().all(|(k, _)| {
            matches_at(
                arena,
                pn,
                Json::Value(&Value::String(k.to_owned())),
                depth + 1,
            )
        })
    {
        return false;
    }
    for (name, deps) in &o.dependent_required {
        if map.get(name).is_some() && !deps.iter().all(|d| map.get(d).is_some()) {
            return false;
        }
    }
    true
}

/// A property no `properties` entry names: every `patternProperties` schema
/// its name matches, else `additionalProperties`.
fn other_property_ok(arena: &Arena, o: &ObjC, k: &str, x: Json<'_>, depth: u32) -> bool {
    let mut covered = false;
    for &(pid, pn) in &o.pattern_props {
        if arena.patterns[pid as usize].is_match(k) {
            covered = true;
            if !matches_at(arena, pn, x, depth + 1) {
                return false;
            }
        }
    }
    covered
        || match o.additional {
            Addl::Any => true,
            Addl::Never => false,
            Addl::Schema(a) => matches_at(arena, a, x, depth + 1),
        }
}

/// The composition checks of a node. With `only_exclusive`, checks just what
/// generation from a distributed branch does not guarantee.
pub(crate) fn checks_ok(
    arena: &Arena,
    c: &crate::ir::Checks,
    v: Json<'_>,
    depth: u32,
    only_exclusive: Option<()>,
) -> bool {
    if only_exclusive.is_none() || c.undistributed {
        for group in &c.one_of {
            if group
                .iter()
                .filter(|&&b| matches_at(arena, b, v, depth + 1))
                .take(2)
                .count()
                != 1
            {
                return false;
            }
        }
        for group in &c.any_of {
            if !group.iter().any(|&b| matches_at(arena, b, v, depth + 1)) {
                return false;
            }
        }
    } else {
        for &g in &c.exclusive {
            if c.one_of[g]
                .iter()
                .filter(|&&b| matches_at(arena, b, v, depth + 1))
                .take(2)
                .count()
                != 1
            {
                return false;
            }
        }
    }
    if c.not.iter().any(|&n| matches_at(arena, n, v, depth + 1)) {
        return false;
    }
    for &(i, t, e) in &c.conditionals {
        let branch = if matches_at(arena, i, v, depth + 1) {
            t
        } else {
            e
        };
        if let Some(b) = branch
            && !matches_at(arena, b, v, depth + 1)
        {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::StrC;

    /// `time_ok` answers as `string_ok` on the written text, for every mix
    /// of bounds and formats, and for years written clamped.
    #[test]
    fn a_time_meets_string_keywords_as_its_text_does() {
        let arena = Arena::default();
        let formats = [
            vec![],
            vec![Format::DateTime],
            vec![Format::Date],
            vec![Format::DateTime, Format::Uri],
            vec![Format::DateTime, Format::Email],
        ];
        let secs = [
            0,
            1_710_435_725,
            -1,
            253_402_300_800,
            400_000_000_000,
            -70_000_000_000,
        ];
        for formats in &formats {
            for min_len in [0, 19, 20, 21] {
                for max_len in [None, Some(19), Some(20), Some(64)] {
                    let s = StrC {
                        min_len,
                        max_len,
                        patterns: Vec::new(),
                        formats: formats.clone(),
                    };
                    for t in secs {
                        let text = time::format_date_time(t);
                        assert_eq!(
                            time_ok(&arena, &s, t),
                            string_ok(&arena, &s, &text),
                            "{s:?} {text}"
                        );
                    }
                }
            }
        }
    }
}
