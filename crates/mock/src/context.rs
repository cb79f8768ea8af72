//! Agreement between a resource and its sub-resources, read from the schemas.
//!
//! A sub-resource (`/v1/calls/{id}/events`) belongs to a parent resource (the
//! `GET` operation whose path is the longest prefix of its own, or the one
//! named by `x-decoy-parent`). The parent's generated body is its *context*:
//!
//! - every property marked `x-decoy-shared: KEY` in a sub-resource takes the
//!   parent's value for KEY (or, when the parent shows none, one value drawn
//!   per resource, so siblings still agree);
//! - every date-time named in an `x-decoy-timeline` of the sub-resource is
//!   moved, order kept, into the parent's span (the first to the last
//!   non-null date-time of the parent's own timeline). Nested timelines of a
//!   resource (a call's report, transcript, transfers) move into its own span.
//!
//! Nothing here names a field: the marks come from the document.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use decoy_spec::hints::SchemaHints;
use decoy_spec::pointer;
use decoy_synth::Tree;
use decoy_synth::time::{format_date_time, format_date_time_like, parse_date_time};
use serde_json::Value;

/// What the agreement walks ([`scan`], [`apply`]) read and change: a
/// `serde_json::Value`, or the generator's [`Tree`] before it becomes one
/// (the fast path for new resources writes JSON straight from the tree).
pub(crate) trait Json: Sized {
    fn member_mut(&mut self, key: &str) -> Option<&mut Self>;
    fn items_mut(&mut self) -> Option<&mut [Self]>;
    fn is_string(&self) -> bool;
    fn is_number(&self) -> bool;
    /// The Unix seconds of a date-time.
    fn as_time(&self) -> Option<i64>;
    fn set(&mut self, v: Value);
    /// Sets a date-time, as Unix seconds.
    fn set_time(&mut self, secs: i64);
}

impl Json for Value {
    fn member_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.as_object_mut()?.get_mut(key)
    }
    fn items_mut(&mut self) -> Option<&mut [Value]> {
        self.as_array_mut().map(Vec::as_mut_slice)
    }
    fn is_string(&self) -> bool {
        Value::is_string(self)
    }
    fn is_number(&self) -> bool {
        Value::is_number(self)
    }
    fn as_time(&self) -> Option<i64> {
        self.as_str().and_then(parse_date_time)
    }
    fn set(&mut self, v: Value) {
        *self = v;
    }
    fn set_time(&mut self, secs: i64) {
        *self = Value::String(match self.as_str() {
            Some(like) => format_date_time_like(secs, like),
            None => format_date_time(secs),
        });
    }
}

impl Json for Tree<'_> {
    fn member_mut(&mut self, key: &str) -> Option<&mut Self> {
        Tree::member_mut(self, key)
    }
    fn items_mut(&mut self) -> Option<&mut [Self]> {
        Tree::items_mut(self)
    }
    fn is_string(&self) -> bool {
        Tree::is_string(self)
    }
    fn is_number(&self) -> bool {
        Tree::is_number(self)
    }
    fn as_time(&self) -> Option<i64> {
        Tree::as_time(self)
    }
    fn set(&mut self, v: Value) {
        *self = Tree::leaf(v);
    }
    fn set_time(&mut self, secs: i64) {
        // A date-time longer than the plain form (for a `minLength`) keeps
        // its form; the plain one stays a time, written when the body is.
        *self = match self.as_str() {
            Some(like) if like.len() > 20 => Tree::Text(format_date_time_like(secs, like)),
            _ => Tree::Time(secs),
        };
    }
}

/// What a resource tells its sub-resources.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// `x-decoy-shared` key → value.
    pub(crate) shared: Vec<(String, Value)>,
    /// Unix seconds: the parent's first and last timeline date-time.
    pub(crate) span: Option<(i64, i64)>,
}

impl Context {
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.shared.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Where a value carries shared keys, as JSON pointers into it (in pointer
/// order, which decides the value a parent gives), and its own timeline.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    pub(crate) shared: Vec<(String, String)>,
    /// The root object's own timeline names, in order.
    pub(crate) root_timeline: Vec<String>,
}

const MAX_DEPTH: usize = 32;

/// Follows `$ref`s (local ones; the document is the whole world).
pub(crate) fn deref<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    decoy_spec::refs::deref(doc, s)
}

/// The schemas of a document from which a mark can be reached (through
/// `$ref`s, properties, items and branches), each read once into a [`Node`]:
/// the walk skips every other schema, so a value pays only for the parts of
/// its schema that carry marks, and reads no schema object (hints, `$ref`s,
/// pointer tokens) per request. Built once per document, on first use.
#[derive(Debug, Default)]
pub(crate) struct Reach {
    nodes: Vec<Node>,
    /// Schema address → its node.
    index: HashMap<usize, usize>,
}

/// What the walk needs of one reachable schema.
#[derive(Debug, Default)]
struct Node {
    /// `x-decoy-timeline`: the property names, in order.
    timeline: Option<Vec<String>>,
    /// Reachable `allOf`/`anyOf`/`oneOf` branches, in order.
    branches: Vec<usize>,
    /// Properties that carry a shared key or lead to a mark, in order.
    props: Vec<Prop>,
    /// The `items` schema, where reachable.
    items: Option<usize>,
}

#[derive(Debug)]
struct Prop {
    name: String,
    /// The name as a pointer token.
    token: String,
    /// `x-decoy-shared` on the property (or the schema it refers to).
    shared: Option<String>,
    node: Option<usize>,
}

impl Reach {
    pub(crate) fn new(doc: &Value) -> Reach {
        // Edges child → parents over every object of the document read as
        // a schema, then everything upstream of a marked schema: cycles
        // (recursive schemas) need no special case.
        let mut parents: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut objects: HashMap<usize, &Value> = HashMap::new();
        let mut marked = Vec::new();
        let mut stack = vec![doc];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(map) => {
                    let at = addr(v);
                    objects.insert(at, v);
                    if schema_marks(doc, v) {
                        marked.push(at);
                    }
                    for child in children(v) {
                        parents.entry(addr(deref(doc, child))).or_default().push(at);
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        let mut reach = HashSet::new();
        while let Some(at) = marked.pop() {
            if reach.insert(at) {
                marked.extend(parents.get(&at).into_iter().flatten());
            }
        }
        let mut schemas: Vec<&Value> = reach
            .iter()
            .filter_map(|a| objects.get(a))
            .copied()
            .collect();
        schemas.sort_by_key(|s| addr(s));
        let index: HashMap<usize, usize> = schemas
            .iter()
            .enumerate()
            .map(|(i, s)| (addr(s), i))
            .collect();
        let node_of = |s: &Value| index.get(&addr(deref(doc, s))).copied();
        let nodes = schemas
            .iter()
            .map(|s| Node {
                timeline: SchemaHints::of(s)
                    .timeline
                    .map(|names| names.into_iter().map(str::to_owned).collect()),
                branches: ["allOf", "anyOf", "oneOf"]
                    .into_iter()
                    .filter_map(|k| s.get(k)?.as_array())
                    .flatten()
                    .filter_map(node_of)
                    .collect(),
                props: s
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(name, sub)| Prop {
                        name: name.clone(),
                        token: pointer::escape(name),
                        shared: SchemaHints::of(sub)
                            .shared
                            .or_else(|| SchemaHints::of(deref(doc, sub)).shared)
                            .map(str::to_owned),
                        node: node_of(sub),
                    })
                    .filter(|p| p.shared.is_some() || p.node.is_some())
                    .collect(),
                items: s.get("items").and_then(node_of),
            })
            .collect();
        Reach { nodes, index }
    }

    /// The node of schema `s` (after `$ref`s), if marks can be reached from it.
    fn node(&self, doc: &Value, s: &Value) -> Option<usize> {
        self.index.get(&addr(deref(doc, s))).copied()
    }

    #[cfg(test)]
    fn has(&self, s: &Value) -> bool {
        self.index.contains_key(&addr(s))
    }
}

fn addr(v: &Value) -> usize {
    std::ptr::from_ref(v) as usize
}

/// Where a slot of a walked value lives: the same slot reached twice (through
/// two `allOf` branches) is changed once.
fn slot_addr<J>(v: &J) -> usize {
    std::ptr::from_ref(v) as usize
}

/// Whether a timeline slot holds a string and this walk meets it for the
/// first time (noted in `seen`).
fn first_time_string<J: Json>(slot: &J, seen: &mut Vec<usize>) -> bool {
    let at = slot_addr(slot);
    if !slot.is_string() || seen.contains(&at) {
        return false;
    }
    seen.push(at);
    true
}

/// The schemas `walk` goes on to from `s`.
fn children(s: &Value) -> impl Iterator<Item = &Value> {
    let branches = ["allOf", "anyOf", "oneOf"]
        .into_iter()
        .filter_map(|k| s.get(k)?.as_array())
        .flatten();
    let props = s
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values());
    branches.chain(props).chain(s.get("items"))
}

/// Whether `walk` may collect a mark at `s` itself.
fn schema_marks(doc: &Value, s: &Value) -> bool {
    let shared = |sub: &Value| {
        SchemaHints::of(sub).shared.is_some() || SchemaHints::of(deref(doc, sub)).shared.is_some()
    };
    SchemaHints::of(s).timeline.is_some()
        || s.get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| p.values().any(shared))
}

/// Walks `value` along the schema at `pointer`, collecting marks; `reach`
/// is the document's.
pub(crate) fn marks(doc: &Value, reach: &Reach, pointer: &str, value: &Value) -> Marks {
    let mut m = Marks::default();
    if let Some(node) = node(doc, reach, pointer) {
        walk(reach, node, value, &mut String::new(), 0, &mut m);
    }
    m.shared.sort();
    m.shared.dedup();
    m
}

fn walk(reach: &Reach, node: usize, v: &Value, at: &mut String, depth: usize, m: &mut Marks) {
    if depth > MAX_DEPTH {
        return;
    }
    let node = &reach.nodes[node];
    for &b in &node.branches {
        walk(reach, b, v, at, depth + 1, m);
    }
    match v {
        Value::Object(obj) => {
            if at.is_empty() {
                for n in node.timeline.iter().flatten() {
                    if !m.root_timeline.contains(n) {
                        m.root_timeline.push(n.clone());
                    }
                }
            }
            for p in &node.props {
                let Some(child) = obj.get(&p.name) else {
                    continue;
                };
                let len = at.len();
                at.push('/');
                at.push_str(&p.token);
                if let Some(key) = &p.shared {
                    m.shared.push((at.clone(), key.clone()));
                }
                if let Some(n) = p.node {
                    walk(reach, n, child, at, depth + 1, m);
                }
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            let Some(item) = node.items else {
                return;
            };
            for (k, child) in items.iter().enumerate() {
                let len = at.len();
                let _ = write!(at, "/{k}");
                walk(reach, item, child, at, depth + 1, m);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// The context a resource gives: its first non-null shared values and the
/// span of its root timeline.
pub(crate) fn harvest(marks: &Marks, value: &Value) -> Context {
    let mut shared: Vec<(String, Value)> = Vec::new();
    for (p, key) in &marks.shared {
        if shared.iter().any(|(k, _)| k == key) {
            continue;
        }
        if let Some(v) = pointer::get(value, p).filter(|v| !v.is_null()) {
            shared.push((key.clone(), v.clone()));
        }
    }
    let times: Vec<i64> = marks
        .root_timeline
        .iter()
        .filter_map(|n| value.get(n)?.as_str())
        .filter_map(parse_date_time)
        .collect();
    let span = match (times.iter().min(), times.iter().max()) {
        (Some(&a), Some(&b)) => Some((a, b)),
        _ => None,
    };
    Context { shared, span }
}

/// The node of the schema at `pointer`, if marks can be reached from it.
pub(crate) fn node(doc: &Value, reach: &Reach, pointer: &str) -> Option<usize> {
    pointer::get(doc, pointer).and_then(|s| reach.node(doc, s))
}

/// What one look at a value finds before it is made to agree (see
/// [`scan`]): no pointers are built, nothing is looked up twice.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// A property marked shared is present.
    shared: bool,
    /// A timeline names a date-time that is present.
    timeline: bool,
    /// The range of the timeline date-times, all of them and those below
    /// the root object.
    all: Option<(i64, i64)>,
    nested: Option<(i64, i64)>,
    /// The root object's own span: its timeline's first and last date-time.
    pub(crate) root_span: Option<(i64, i64)>,
}

impl Found {
    /// Nothing to agree: no shared property and no timeline date-time.
    pub(crate) fn is_empty(&self) -> bool {
        !self.shared && !self.timeline
    }
}

fn widen(range: &mut Option<(i64, i64)>, t: i64) {
    *range = Some(match *range {
        Some((lo, hi)) => (lo.min(t), hi.max(t)),
        None => (t, t),
    });
}

/// Walks `value` along the schema node `node` (see [`node`]) and notes what
/// [`apply`] will change. A slot reached twice (through two `allOf`
/// branches) counts once.
pub(crate) fn scan<J: Json>(reach: &Reach, node: usize, value: &mut J) -> Found {
    let mut found = Found::default();
    // `seen` holds a slot per timeline date-time: a handful.
    scan_walk(
        reach,
        node,
        value,
        true,
        0,
        &mut Vec::with_capacity(16),
        &mut found,
    );
    found
}

fn scan_walk<J: Json>(
    reach: &Reach,
    node: usize,
    v: &mut J,
    on_root: bool,
    depth: usize,
    seen: &mut Vec<usize>,
    f: &mut Found,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let node = &reach.nodes[node];
    for &b in &node.branches {
        scan_walk(reach, b, v, on_root, depth + 1, seen, f);
    }
    for n in node.timeline.iter().flatten() {
        let Some(slot) = v.member_mut(n) else {
            continue;
        };
        if !first_time_string(slot, seen) {
            continue;
        }
        f.timeline = true;
        if let Some(t) = slot.as_time() {
            widen(&mut f.all, t);
            if on_root {
                widen(&mut f.root_span, t);
            } else {
                widen(&mut f.nested, t);
            }
        }
    }
    for p in &node.props {
        let Some(child) = v.member_mut(&p.name) else {
            continue;
        };
        f.shared |= p.shared.is_some();
        if let Some(n) = p.node {
            scan_walk(reach, n, child, false, depth + 1, seen, f);
        }
    }
    if let Some(item) = node.items
        && let Some(items) = v.items_mut()
    {
        for child in items {
            scan_walk(reach, item, child, false, depth + 1, seen, f);
        }
    }
}

/// Makes `value` agree with `context`: shared properties take its values,
/// and timeline date-times (the root object's too when `root` is set) move
/// into its span by one affine map, so order within and across objects is
/// kept (flooring to seconds never reverses it). `found` is [`scan`]'s.
pub(crate) fn apply<J: Json>(
    reach: &Reach,
    node: usize,
    context: &Context,
    found: &Found,
    value: &mut J,
    root: bool,
) {
    let range = if root { found.all } else { found.nested };
    let map = match (context.span, range) {
        (Some((start, end)), Some((lo, hi))) => Some(Affine { start, end, lo, hi }),
        _ => None,
    };
    if context.shared.is_empty() && map.is_none() {
        return;
    }
    let mut walk = Apply {
        reach,
        context,
        map,
        root,
        seen: Vec::with_capacity(16),
    };
    walk.walk(node, value, true, 0);
}

/// `[lo, hi]` onto `[start, end]`.
#[derive(Clone, Copy)]
struct Affine {
    start: i64,
    end: i64,
    lo: i64,
    hi: i64,
}

impl Affine {
    fn map(self, t: i64) -> i64 {
        let Affine { start, end, lo, hi } = self;
        if hi == lo {
            start + (end - start) / 2
        } else {
            // In 64 bits when the product fits (spans of years in seconds
            // do, by far): 128-bit division is a libcall. Same quotient.
            let (offset, width, range) = (t - lo, end - start, hi - lo);
            match offset.checked_mul(width) {
                Some(p) => start + p / range,
                None => start + (i128::from(offset) * i128::from(width) / i128::from(range)) as i64,
            }
        }
    }
}

struct Apply<'a> {
    reach: &'a Reach,
    context: &'a Context,
    map: Option<Affine>,
    root: bool,
    seen: Vec<usize>,
}

impl Apply<'_> {
    fn walk<J: Json>(&mut self, node: usize, v: &mut J, on_root: bool, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let reach = self.reach;
        let node = &reach.nodes[node];
        for &b in &node.branches {
            self.walk(b, v, on_root, depth + 1);
        }
        let moves = self.map.filter(|_| self.root || !on_root);
        for n in node.timeline.iter().flatten() {
            let Some(slot) = v.member_mut(n) else {
                continue;
            };
            if !first_time_string(slot, &mut self.seen) {
                continue;
            }
            if let Some(m) = moves
                && let Some(t) = slot.as_time()
            {
                slot.set_time(m.map(t));
            }
        }
        for p in &node.props {
            let Some(child) = v.member_mut(&p.name) else {
                continue;
            };
            if let Some(key) = &p.shared
                && let Some(shared) = self.context.get(key)
            {
                // The parent's value stands whole: nothing below it is
                // this resource's to move.
                child.set(shared.clone());
                continue;
            }
            if let Some(n) = p.node {
                self.walk(n, child, false, depth + 1);
            }
        }
        if let Some(item) = node.items
            && let Some(items) = v.items_mut()
        {
            for child in items {
                self.walk(item, child, false, depth + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use decoy_spec::hints::{SHARED, TIMELINE};
    use serde_json::json;

    /// The 64-bit path gives the 128-bit quotient, and products that do
    /// not fit 64 bits still map.
    #[test]
    fn affine_maps_as_wide_arithmetic_does() {
        let wide = |a: Affine, t: i64| {
            a.start
                + (i128::from(t - a.lo) * i128::from(a.end - a.start) / i128::from(a.hi - a.lo))
                    as i64
        };
        let times = [
            0,
            1,
            59,
            86_399,
            1_700_000_000,
            1_790_000_000,
            4_102_444_800,
        ];
        for &start in &times {
            for &end in &times {
                for &lo in &times {
                    for &hi in &times {
                        if hi <= lo {
                            continue;
                        }
                        let a = Affine { start, end, lo, hi };
                        for t in [lo, lo + (hi - lo) / 3, hi] {
                            assert_eq!(a.map(t), wide(a, t), "{start} {end} {lo} {hi} {t}");
                        }
                    }
                }
            }
        }
        let huge = Affine {
            start: 0,
            end: i64::MAX / 2,
            lo: 0,
            hi: i64::MAX / 4,
        };
        assert_eq!(huge.map(i64::MAX / 8), wide(huge, i64::MAX / 8));
    }

    #[test]
    fn marks_are_found_through_recursive_schemas_and_only_there() {
        let doc = json!({
            "a": {"properties": {"next": {"$ref": "#/b"}, "plain": {"$ref": "#/c"}}},
            "b": {"properties": {"back": {"$ref": "#/a"}, "k": {SHARED: "org"}}},
            "c": {"properties": {"x": {"type": "string"}}}
        });
        let reach = Reach::new(&doc);
        let v =
            json!({"next": {"back": {"next": {"k": "deep"}}, "k": "near"}, "plain": {"x": "s"}});
        let m = marks(&doc, &reach, "/a", &v);
        assert_eq!(
            m.shared,
            [
                ("/next/back/next/k".to_owned(), "org".to_owned()),
                ("/next/k".to_owned(), "org".to_owned())
            ]
        );
        assert!(reach.has(&doc["b"]) && !reach.has(&doc["c"]));
    }

    #[test]
    fn timelines_move_into_the_span_in_order() {
        let doc = json!({"s": {"type": "array", "items": {
            TIMELINE: ["a", "b"],
            "properties": {"a": {}, "b": {}, "k": {SHARED: "org"}}
        }}});
        let mut v = json!([
            {"a": "2020-01-01T00:00:00Z", "b": "2020-01-03T00:00:00Z", "k": "x"},
            {"a": "2020-01-02T00:00:00Z", "b": null, "k": "y"}
        ]);
        let reach = Reach::new(&doc);
        let n = node(&doc, &reach, "/s").unwrap();
        let found = scan(&reach, n, &mut v);
        let ctx = Context {
            shared: vec![("org".into(), json!("o1"))],
            span: Some((1000, 3000)),
        };
        apply(&reach, n, &ctx, &found, &mut v, true);
        assert_eq!(v[0]["a"], format_date_time(1000));
        assert_eq!(v[1]["a"], format_date_time(2000));
        assert_eq!(v[0]["b"], format_date_time(3000));
        assert_eq!(v[1]["b"], Value::Null);
        assert_eq!((&v[0]["k"], &v[1]["k"]), (&json!("o1"), &json!("o1")));
    }
}
