//! Invalid values for negative tests: a valid value with exactly one named
//! constraint broken, labelled with what was broken and where.

use std::fmt;

use rand::RngExt;
use serde_json::{Map, Value};

use crate::check;
use crate::format;
use crate::ir::{Addl, Arena, NodeId, Types};
use crate::pointer::{display_pointer, push_token};

/// The constraint an invalid value breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum InvalidKind {
    /// A value of a type the schema does not allow (`type`).
    WrongType,
    /// A required property left out (`required`).
    MissingRequired,
    /// A number below `minimum` / at or below `exclusiveMinimum`.
    BelowMinimum,
    /// A number above `maximum` / at or above `exclusiveMaximum`.
    AboveMaximum,
    /// A string shorter than `minLength`.
    TooShort,
    /// A string longer than `maxLength`.
    TooLong,
    /// An array shorter than `minItems`.
    TooFewItems,
    /// An array longer than `maxItems`.
    TooManyItems,
    /// A value outside `enum` / different from `const`.
    NotInEnum,
    /// A string that does not match `pattern`.
    PatternMismatch,
    /// A property the schema forbids (`additionalProperties: false`).
    ExtraProperty,
    /// A string that breaks its `format`.
    BadFormat,
}

impl InvalidKind {
    /// Every kind, in a stable order.
    pub const ALL: [InvalidKind; 12] = [
        InvalidKind::WrongType,
        InvalidKind::MissingRequired,
        InvalidKind::BelowMinimum,
        InvalidKind::AboveMaximum,
        InvalidKind::TooShort,
        InvalidKind::TooLong,
        InvalidKind::TooFewItems,
        InvalidKind::TooManyItems,
        InvalidKind::NotInEnum,
        InvalidKind::PatternMismatch,
        InvalidKind::ExtraProperty,
        InvalidKind::BadFormat,
    ];

    /// A short kebab-case label (`wrong-type`).
    pub fn name(self) -> &'static str {
        match self {
            InvalidKind::WrongType => "wrong-type",
            InvalidKind::MissingRequired => "missing-required",
            InvalidKind::BelowMinimum => "below-minimum",
            InvalidKind::AboveMaximum => "above-maximum",
            InvalidKind::TooShort => "too-short",
            InvalidKind::TooLong => "too-long",
            InvalidKind::TooFewItems => "too-few-items",
            InvalidKind::TooManyItems => "too-many-items",
            InvalidKind::NotInEnum => "not-in-enum",
            InvalidKind::PatternMismatch => "pattern-mismatch",
            InvalidKind::ExtraProperty => "extra-property",
            InvalidKind::BadFormat => "bad-format",
        }
    }

    /// The JSON Schema keywords a validator reports for this kind.
    pub fn keywords(self) -> &'static [&'static str] {
        match self {
            InvalidKind::WrongType => &["type"],
            InvalidKind::MissingRequired => &["required"],
            InvalidKind::BelowMinimum => &["minimum", "exclusiveMinimum"],
            InvalidKind::AboveMaximum => &["maximum", "exclusiveMaximum"],
            InvalidKind::TooShort => &["minLength"],
            InvalidKind::TooLong => &["maxLength"],
            InvalidKind::TooFewItems => &["minItems"],
            InvalidKind::TooManyItems => &["maxItems"],
            InvalidKind::NotInEnum => &["enum", "const"],
            InvalidKind::PatternMismatch => &["pattern"],
            InvalidKind::ExtraProperty => &["additionalProperties", "unevaluatedProperties"],
            InvalidKind::BadFormat => &["format"],
        }
    }
}

impl fmt::Display for InvalidKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value that breaks one constraint, and which.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Invalid {
    /// The whole invalid value.
    pub value: Value,
    /// The constraint broken.
    pub kind: InvalidKind,
    /// Where the broken schema lives (`#/components/schemas/Pet`).
    pub schema_pointer: String,
    /// Where in `value` the break is (`/tags/0`, or `` for the root).
    pub instance_pointer: String,
}

/// A place in a valid value where one constraint can be broken.
struct Site {
    node: NodeId,
    instance: String,
    kind: InvalidKind,
    /// For `MissingRequired`: the property to drop.
    property: Option<Box<str>>,
}

/// Walks a valid value along its schema, through merged keywords, properties
/// and items, but not into `oneOf`/`anyOf`/`not` (a break there is reported
/// under the combinator's keyword, not the broken one).
fn collect(arena: &Arena, id: NodeId, v: &Value, ptr: &str, sites: &mut Vec<Site>, depth: u32) {
    let node = arena.node(id);
    if node.choice.is_some() || node.checks.is_some() || depth > 24 {
        return;
    }
    let mut site = |kind, property: Option<Box<str>>| {
        sites.push(Site {
            node: id,
            instance: ptr.to_owned(),
            kind,
            property,
        });
    };
    if node.types != Types::ALL {
        site(InvalidKind::WrongType, None);
    }
    if let Some(e) = &node.enumeration {
        if e.first()
            .is_some_and(|x| matches!(x, Value::String(_) | Value::Number(_)))
        {
            site(InvalidKind::NotInEnum, None);
        }
        return;
    }
    match v {
        Value::Number(n) => {
            if let Some(num) = &node.num {
                let x = n.as_f64().unwrap_or(0.0);
                if num.min.is_finite() && num.min > -1e15 && x.is_finite() {
                    site(InvalidKind::BelowMinimum, None);
                }
                if num.max.is_finite() && num.max < 1e15 {
                    site(InvalidKind::AboveMaximum, None);
                }
            }
        }
        Value::String(_) => {
            if let Some(s) = &node.string {
                if s.min_len > 0 {
                    site(InvalidKind::TooShort, None);
                }
                if s.max_len.is_some_and(|m| m < 100_000) {
                    site(InvalidKind::TooLong, None);
                }
                if !s.patterns.is_empty() {
                    site(InvalidKind::PatternMismatch, None);
                }
                if s.formats
                    .first()
                    .is_some_and(|&f| format::bad_value(f).is_some())
                {
                    site(InvalidKind::BadFormat, None);
                }
            }
        }
        Value::Array(items) => {
            if let Some(a) = &node.array {
                if a.min > 0 && items.len() as u64 >= a.min {
                    site(InvalidKind::TooFewItems, None);
                }
                if a.max.is_some_and(|m| m < 1000) {
                    site(InvalidKind::TooManyItems, None);
                }
                for (i, item) in items.iter().enumerate() {
                    if let Some(child) = a.prefix.get(i).copied().or(a.items) {
                        collect(arena, child, item, &format!("{ptr}/{i}"), sites, depth + 1);
                    }
                }
            }
        }
        Value::Object(map) => {
            if let Some(o) = &node.object {
                for p in &o.props {
                    if p.required && map.contains_key(&*p.name) {
                        site(InvalidKind::MissingRequired, Some(p.name.clone()));
                    }
                }
                if o.additional == Addl::Never && o.max_props.is_none() {
                    site(InvalidKind::ExtraProperty, None);
                }
                for p in &o.props {
                    if let Some(x) = map.get(&*p.name) {
                        collect(
                            arena,
                            p.node,
                            x,
                            &push_token(ptr, &p.name),
                            sites,
                            depth + 1,
                        );
                    }
                }
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

/// The replacement (or edited) value for a site, given the valid one.
fn mutate(arena: &Arena, site: &Site, v: &Value) -> Option<Value> {
    let node = arena.node(site.node);
    Some(match site.kind {
        InvalidKind::WrongType => {
            let candidates = [
                Value::from(12_345),
                Value::from("not-a-number"),
                Value::Bool(true),
                Value::from(1.5),
                Value::Array(Vec::new()),
                Value::Object(Map::new()),
                Value::Null,
            ];
            candidates
                .into_iter()
                .find(|c| !node.types.has(Types::of(c)))?
        }
        InvalidKind::MissingRequired => {
            let mut map = v.as_object()?.clone();
            map.remove(&**site.property.as_ref()?);
            Value::Object(map)
        }
        InvalidKind::BelowMinimum => {
            let num = node.num.as_ref()?;
            let integer = !node.types.has(Types::FRACTION);
            let x = if num.min_excl {
                num.min
            } else if integer {
                num.min.ceil() - 1.0
            } else {
                num.min - 1.0
            };
            number(x, integer)?
        }
        InvalidKind::AboveMaximum => {
            let num = node.num.as_ref()?;
            let integer = !node.types.has(Types::FRACTION);
            let x = if num.max_excl {
                num.max
            } else if integer {
                num.max.floor() + 1.0
            } else {
                num.max + 1.0
            };
            number(x, integer)?
        }
        InvalidKind::TooShort => {
            let s = node.string.as_ref()?;
            Value::String(v.as_str()?.chars().take(s.min_len as usize - 1).collect())
        }
        InvalidKind::TooLong => {
            let s = node.string.as_ref()?;
            let mut text: String = v.as_str()?.to_owned();
            let fill = text.chars().last().unwrap_or('x');
            while (text.chars().count() as u64) <= s.max_len? {
                text.push(fill);
            }
            Value::String(text)
        }
        InvalidKind::TooFewItems => {
            let a = node.array.as_ref()?;
            let mut items = v.as_array()?.clone();
            items.truncate(a.min as usize - 1);
            Value::Array(items)
        }
        InvalidKind::TooManyItems => {
            let a = node.array.as_ref()?;
            let mut items = v.as_array()?.clone();
            let mut n = 0u64;
            while items.len() as u64 <= a.max? {
                let next = match items.last() {
                    Some(last) if !a.unique => last.clone(),
                    _ => Value::from(format!("extra-{n}")),
                };
                items.push(next);
                n += 1;
            }
            Value::Array(items)
        }
        InvalidKind::NotInEnum => {
            let e = node.enumeration.as_ref()?;
            let candidates: Vec<Value> = match e.first()? {
                Value::String(_) => (0..8)
                    .map(|i| Value::from(format!("not-in-enum-{i}")))
                    .collect(),
                Value::Number(_) => {
                    let max = e.iter().filter_map(Value::as_f64).fold(f64::MIN, f64::max);
                    (1..8).map(|i| Value::from(max as i64 + i)).collect()
                }
                _ => return None,
            };
            candidates
                .into_iter()
                .find(|c| !e.iter().any(|x| check::json_eq(x, c)))?
        }
        InvalidKind::PatternMismatch => {
            let s = node.string.as_ref()?;
            let pattern = &arena.patterns[*s.patterns.first()? as usize];
            let len = s.min_len.max(1) as usize;
            let candidates = [
                "!".repeat(len),
                " ".repeat(len),
                "~".repeat(len),
                String::new(),
                "0".repeat(len),
                "zz".repeat(len),
            ];
            Value::String(candidates.into_iter().find(|c| !pattern.is_match(c))?)
        }
        InvalidKind::ExtraProperty => {
            let o = node.object.as_ref()?;
            let mut map = v.as_object()?.clone();
            let key = (0..8)
                .map(|i| format!("unexpected_property_{i}"))
                .find(|k| {
                    !map.contains_key(k)
                        && !o.props.iter().any(|p| *p.name == **k)
                        && !o
                            .pattern_props
                            .iter()
                            .any(|&(pid, _)| arena.patterns[pid as usize].is_match(k))
                })?;
            map.insert(key, Value::from("surprise"));
            Value::Object(map)
        }
        InvalidKind::BadFormat => {
            let s = node.string.as_ref()?;
            let f = *s.formats.first()?;
            let bad = format::bad_value(f)?;
            if format::check(f, bad) {
                return None;
            }
            Value::from(bad)
        }
    })
}

fn number(x: f64, integer: bool) -> Option<Value> {
    if integer {
        Some(Value::from(x as i64))
    } else {
        serde_json::Number::from_f64(x).map(Value::Number)
    }
}

fn replace_at(root: &mut Value, pointer: &str, new: Value) -> bool {
    if pointer.is_empty() {
        *root = new;
        return true;
    }
    match root.pointer_mut(pointer) {
        Some(slot) => {
            *slot = new;
            true
        }
        None => false,
    }
}

/// Breaks one constraint of `valid` (a value of node `root`), chosen by the
/// RNG among the sites of `kind` (any kind when `None`).
pub(crate) fn break_one(
    arena: &Arena,
    root: NodeId,
    valid: &Value,
    kind: Option<InvalidKind>,
    rng: &mut crate::Rng,
) -> Option<Invalid> {
    let mut sites = Vec::new();
    collect(arena, root, valid, "", &mut sites, 0);
    sites.retain(|s| kind.is_none_or(|k| s.kind == k));
    for _ in 0..32 {
        if sites.is_empty() {
            return None;
        }
        let site = sites.swap_remove(rng.random_range(0..sites.len()));
        let Some(current) = valid.pointer(&site.instance) else {
            continue;
        };
        let Some(new) = mutate(arena, &site, current) else {
            continue;
        };
        let mut value = valid.clone();
        if !replace_at(&mut value, &site.instance, new) {
            continue;
        }
        // Confirm: the whole value must now be invalid.
        if check::matches(arena, root, &value) {
            continue;
        }
        return Some(Invalid {
            value,
            kind: site.kind,
            schema_pointer: display_pointer(&arena.node(site.node).ptr),
            instance_pointer: site.instance,
        });
    }
    None
}

/// The kinds some value of `root` can be broken by (a static walk).
pub(crate) fn kinds(arena: &Arena, root: NodeId) -> Vec<InvalidKind> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    kinds_walk(arena, root, &mut out, &mut seen);
    out.sort();
    out.dedup();
    out
}

fn kinds_walk(arena: &Arena, id: NodeId, out: &mut Vec<InvalidKind>, seen: &mut Vec<NodeId>) {
    if seen.contains(&id) || seen.len() > 4096 {
        return;
    }
    seen.push(id);
    let node = arena.node(id);
    if node.choice.is_some() || node.checks.is_some() || node.sat.is_empty() {
        return;
    }
    if node.types != Types::ALL {
        out.push(InvalidKind::WrongType);
    }
    if let Some(e) = &node.enumeration {
        if e.first()
            .is_some_and(|x| matches!(x, Value::String(_) | Value::Number(_)))
        {
            out.push(InvalidKind::NotInEnum);
        }
        return;
    }
    if let Some(num) = &node.num
        && node.sat.has(Types::NUMBER)
    {
        if num.min.is_finite() && num.min > -1e15 {
            out.push(InvalidKind::BelowMinimum);
        }
        if num.max.is_finite() && num.max < 1e15 {
            out.push(InvalidKind::AboveMaximum);
        }
    }
    if let Some(s) = &node.string
        && node.sat.has(Types::STRING)
    {
        if s.min_len > 0 {
            out.push(InvalidKind::TooShort);
        }
        if s.max_len.is_some_and(|m| m < 100_000) {
            out.push(InvalidKind::TooLong);
        }
        if !s.patterns.is_empty() {
            out.push(InvalidKind::PatternMismatch);
        }
        if s.formats
            .first()
            .is_some_and(|&f| format::bad_value(f).is_some())
        {
            out.push(InvalidKind::BadFormat);
        }
    }
    if let Some(a) = &node.array
        && node.sat.has(Types::ARRAY)
    {
        if a.min > 0 {
            out.push(InvalidKind::TooFewItems);
        }
        if a.max.is_some_and(|m| m < 1000) {
            out.push(InvalidKind::TooManyItems);
        }
        for &c in a.prefix.iter().chain(a.items.iter()) {
            kinds_walk(arena, c, out, seen);
        }
    }
    if let Some(o) = &node.object
        && node.sat.has(Types::OBJECT)
    {
        if o.props.iter().any(|p| p.required) {
            out.push(InvalidKind::MissingRequired);
        }
        if o.additional == Addl::Never && o.max_props.is_none() {
            out.push(InvalidKind::ExtraProperty);
        }
        for p in &o.props {
            kinds_walk(arena, p.node, out, seen);
        }
    }
}
