//! What the leaves of one node say, merged keyword by keyword: the first
//! half of building a node (`compile.rs` builds the children it names).
//!
//! Each family of keywords has its own method (numbers, strings, arrays,
//! objects, composition, annotations); a keyword's locations are kept as
//! pointers for the compiler to turn into child nodes.

use decoy_spec::hints::SchemaHints;
use serde_json::{Map, Value};

use crate::format::Format;
use crate::ir::{ArrC, GroupKind, Meta, Node, NumC, StrC, Types};
use crate::pointer::{component_name, push_token, unescape};
use crate::realism;

/// A `oneOf`/`anyOf` already distributed into this node's key.
pub(crate) const SKIP_ONE_OF: u8 = 1;
/// See [`SKIP_ONE_OF`].
pub(crate) const SKIP_ANY_OF: u8 = 2;
/// See [`SKIP_ONE_OF`]: the leaf's `if`/`then`/`else` is distributed.
pub(crate) const SKIP_IF: u8 = 4;

/// One `oneOf` or `anyOf` of a leaf.
pub(crate) struct Group {
    pub(crate) kind: GroupKind,
    /// The index of its leaf in the node's key.
    pub(crate) leaf: usize,
    /// Each branch: the locations it merges (an `if` with its `then`; an
    /// `else`, or nothing).
    pub(crate) branches: Vec<Vec<String>>,
    pub(crate) discriminator: Option<Value>,
}

/// One leaf's object keywords.
pub(crate) struct ObjMember {
    pub(crate) ptr: String,
    pub(crate) props: Vec<String>,
    pub(crate) patterns: Vec<String>,
    pub(crate) additional: Option<String>,
}

/// Array keywords: the constraints, and where the item schemas are.
#[derive(Default)]
pub(crate) struct ArrayParts {
    pub(crate) used: bool,
    pub(crate) constraints: ArrC,
    /// Per position: the `prefixItems` (or tuple `items`) locations.
    pub(crate) prefix: Vec<Vec<String>>,
    pub(crate) items: Vec<String>,
    pub(crate) contains: Vec<String>,
}

/// Object keywords, by leaf, and the `x-decoy-timeline` hint.
#[derive(Default)]
pub(crate) struct ObjectParts {
    pub(crate) used: bool,
    pub(crate) members: Vec<ObjMember>,
    pub(crate) required: Vec<String>,
    pub(crate) min_props: u64,
    pub(crate) max_props: Option<u64>,
    pub(crate) property_names: Vec<String>,
    pub(crate) dependent_required: Vec<(Box<str>, Vec<Box<str>>)>,
    pub(crate) timeline: Vec<String>,
}

/// `oneOf`/`anyOf` groups, `not` and `if`/`then`/`else`, as locations.
#[derive(Default)]
pub(crate) struct Composition {
    pub(crate) groups: Vec<Group>,
    pub(crate) nots: Vec<String>,
    pub(crate) conditionals: Vec<(String, Option<String>, Option<String>)>,
}

impl Composition {
    pub(crate) fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.nots.is_empty() && self.conditionals.is_empty()
    }
}

/// Everything the leaves of one node say, merged.
#[derive(Default)]
pub(crate) struct Merged {
    pub(crate) num: NumC,
    pub(crate) num_used: bool,
    pub(crate) string: StrC,
    pub(crate) str_used: bool,
    /// `pattern` sources, in order, for the compiler to intern.
    pub(crate) patterns: Vec<String>,
    pub(crate) array: ArrayParts,
    pub(crate) object: ObjectParts,
    pub(crate) composition: Composition,
    pub(crate) meta: Meta,
    pub(crate) meta_used: bool,
    /// A keyword whose value JSON Schema does not allow (`minItems: 4.4`,
    /// `multipleOf: 0`): no value can be checked against it.
    pub(crate) malformed: Option<String>,
}

impl Merged {
    /// Merges one leaf (the schema object at `ptr`, the `leaf`-th of the key,
    /// with the groups in `skip` already distributed). `type`, `enum` and
    /// `const` narrow `node` directly.
    pub(crate) fn leaf(
        &mut self,
        node: &mut Node,
        leaf: usize,
        ptr: &str,
        skip: u8,
        m: &Map<String, Value>,
    ) {
        if self.meta.component.is_none()
            && let Some(name) = component_name(ptr)
        {
            self.meta.component = Some(unescape(name).into());
        }
        for (k, v) in m {
            match k.as_str() {
                "type" | "enum" | "const" => value_keyword(node, k, v),
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" => {
                    self.number(k, v, m);
                }
                "format" => self.format(v),
                "minLength" | "maxLength" | "pattern" => self.string(k, v),
                "items" | "prefixItems" | "minItems" | "maxItems" | "uniqueItems" | "contains"
                | "minContains" | "maxContains" => self.array(ptr, k, v, m),
                "properties"
                | "patternProperties"
                | "additionalProperties"
                | "required"
                | "minProperties"
                | "maxProperties"
                | "propertyNames"
                | "dependentRequired"
                | "dependencies" => self.object(ptr, k, v),
                "oneOf" | "anyOf" | "not" | "if" => self.composition(ptr, leaf, skip, k, v, m),
                "examples" | "example" | "default" | "readOnly" | "writeOnly" | "x-faker" => {
                    self.annotation(k, v);
                }
                _ => {}
            }
        }
        // A malformed hint is left out: the load reported it.
        let (hints, _) = SchemaHints::read(m);
        if let Some(names) = &hints.timeline {
            self.object.timeline = names.iter().map(|&n| n.to_owned()).collect();
            self.object.used = true;
        }
        self.meta_used |= self.meta.add_hints(&hints);
        if hints.sequence {
            self.array.constraints.sequence = true;
        }
    }

    /// What the merged leaves leave for later: an id prefix the examples
    /// show, and whether the node needs its [`Meta`].
    pub(crate) fn finish(&mut self) {
        if self.meta.component.is_some() {
            self.meta_used = true;
        }
        if self.meta.id_prefix.is_none()
            && let Some(prefix) = realism::example_prefix(&self.meta.examples)
        {
            self.meta.id_prefix = Some(prefix.into());
        }
    }

    /// What the keywords suggest when `type` is silent (`properties` →
    /// object), checked in this order.
    pub(crate) fn inferred(&self) -> Types {
        if self.object.used {
            Types::OBJECT
        } else if self.array.used {
            Types::ARRAY
        } else if self.str_used {
            Types::STRING
        } else if self.num_used {
            Types::NUMBER
        } else {
            Types::NONE
        }
    }

    fn number(&mut self, k: &str, v: &Value, m: &Map<String, Value>) {
        let num = &mut self.num;
        match k {
            "minimum" => {
                if let Some(x) = v.as_f64() {
                    let excl = m.get("exclusiveMinimum") == Some(&Value::Bool(true));
                    raise_min(num, x, excl);
                    self.num_used = true;
                }
            }
            "maximum" => {
                if let Some(x) = v.as_f64() {
                    let excl = m.get("exclusiveMaximum") == Some(&Value::Bool(true));
                    lower_max(num, x, excl);
                    self.num_used = true;
                }
            }
            "exclusiveMinimum" => {
                if let Some(x) = v.as_f64() {
                    raise_min(num, x, true);
                    self.num_used = true;
                }
            }
            "exclusiveMaximum" => {
                if let Some(x) = v.as_f64() {
                    lower_max(num, x, true);
                    self.num_used = true;
                }
            }
            _ => match v.as_f64() {
                Some(x) if x > 0.0 => {
                    num.multiple_of.push(x);
                    self.num_used = true;
                }
                _ => {
                    self.malformed =
                        Some(format!("multipleOf must be a number above 0, found {v}"));
                }
            },
        }
    }

    fn format(&mut self, v: &Value) {
        if let Some(f) = v.as_str().and_then(Format::parse) {
            if f.is_numeric() {
                self.num.format.get_or_insert(f);
                self.num_used = true;
            } else {
                self.string.formats.push(f);
                self.str_used = true;
            }
        }
    }

    fn string(&mut self, k: &str, v: &Value) {
        let s = &mut self.string;
        match k {
            "minLength" | "maxLength" => {
                if let Some(x) = counted(&mut self.malformed, k, v) {
                    if k == "minLength" {
                        s.min_len = s.min_len.max(x);
                    } else {
                        lower(&mut s.max_len, x);
                    }
                    self.str_used = true;
                }
            }
            _ => {
                if let Some(p) = v.as_str() {
                    self.patterns.push(p.to_owned());
                    self.str_used = true;
                }
            }
        }
    }

    fn array(&mut self, ptr: &str, k: &str, v: &Value, m: &Map<String, Value>) {
        let a = &mut self.array;
        let arr = &mut a.constraints;
        match k {
            "items" => {
                a.used = true;
                let base = push_token(ptr, "items");
                match v {
                    Value::Array(list) => {
                        for i in 0..list.len() {
                            add_at(&mut a.prefix, i, push_token(&base, &i.to_string()));
                        }
                        if m.contains_key("additionalItems") {
                            a.items.push(push_token(ptr, "additionalItems"));
                        }
                    }
                    _ => a.items.push(base),
                }
            }
            "prefixItems" => {
                if let Value::Array(list) = v {
                    a.used = true;
                    let base = push_token(ptr, "prefixItems");
                    for i in 0..list.len() {
                        add_at(&mut a.prefix, i, push_token(&base, &i.to_string()));
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let Some(x) = counted(&mut self.malformed, k, v) {
                    if k == "minItems" {
                        arr.min = arr.min.max(x);
                    } else {
                        lower(&mut arr.max, x);
                    }
                    a.used = true;
                }
            }
            "uniqueItems" => {
                arr.unique |= v == &Value::Bool(true);
                a.used = true;
            }
            "contains" => {
                a.contains.push(push_token(ptr, "contains"));
                a.used = true;
            }
            _ => {
                if let Some(x) = counted(&mut self.malformed, k, v) {
                    if k == "minContains" {
                        arr.min_contains = arr.min_contains.max(x);
                    } else {
                        arr.max_contains = Some(x);
                    }
                }
            }
        }
    }

    fn object(&mut self, ptr: &str, k: &str, v: &Value) {
        let o = &mut self.object;
        match k {
            "properties" | "patternProperties" | "additionalProperties" => {
                o.used = true;
                if o.members.last().is_none_or(|mm| mm.ptr != ptr) {
                    o.members.push(ObjMember {
                        ptr: ptr.to_owned(),
                        props: Vec::new(),
                        patterns: Vec::new(),
                        additional: None,
                    });
                }
                let member = o.members.last_mut().expect("pushed above");
                match (k, v) {
                    ("properties", Value::Object(props)) => {
                        member.props = props.keys().cloned().collect();
                    }
                    ("patternProperties", Value::Object(props)) => {
                        member.patterns = props.keys().cloned().collect();
                    }
                    ("additionalProperties", _) => {
                        member.additional = Some(push_token(ptr, "additionalProperties"));
                    }
                    _ => {}
                }
            }
            "required" => {
                if let Value::Array(names) = v {
                    o.used = true;
                    for name in names.iter().filter_map(Value::as_str) {
                        if !o.required.iter().any(|r| r == name) {
                            o.required.push(name.to_owned());
                        }
                    }
                }
            }
            "minProperties" | "maxProperties" => {
                if let Some(x) = counted(&mut self.malformed, k, v) {
                    if k == "minProperties" {
                        o.min_props = o.min_props.max(x);
                    } else {
                        lower(&mut o.max_props, x);
                    }
                    o.used = true;
                }
            }
            "propertyNames" => {
                o.property_names.push(push_token(ptr, "propertyNames"));
                o.used = true;
            }
            _ => {
                if let Value::Object(deps) = v {
                    for (name, list) in deps {
                        if let Value::Array(list) = list {
                            o.dependent_required.push((
                                name.as_str().into(),
                                list.iter()
                                    .filter_map(Value::as_str)
                                    .map(Into::into)
                                    .collect(),
                            ));
                        }
                    }
                    o.used = true;
                }
            }
        }
    }

    fn composition(
        &mut self,
        ptr: &str,
        leaf: usize,
        skip: u8,
        k: &str,
        v: &Value,
        m: &Map<String, Value>,
    ) {
        let c = &mut self.composition;
        match k {
            "oneOf" | "anyOf" => {
                let (kind, flag) = if k == "oneOf" {
                    (GroupKind::OneOf, SKIP_ONE_OF)
                } else {
                    (GroupKind::AnyOf, SKIP_ANY_OF)
                };
                if skip & flag != 0 {
                    return;
                }
                if let Value::Array(list) = v {
                    let base = push_token(ptr, k);
                    c.groups.push(Group {
                        kind,
                        leaf,
                        branches: (0..list.len())
                            .map(|i| vec![push_token(&base, &i.to_string())])
                            .collect(),
                        discriminator: m.get("discriminator").cloned(),
                    });
                }
            }
            "not" => c.nots.push(push_token(ptr, "not")),
            _ => {
                if skip & SKIP_IF != 0 {
                    return;
                }
                let then = m.contains_key("then").then(|| push_token(ptr, "then"));
                let otherwise = m.contains_key("else").then(|| push_token(ptr, "else"));
                // Generated by choosing the branch first: `if` with `then`,
                // or `else` (whose values must then fail `if`: checked).
                c.groups.push(Group {
                    kind: GroupKind::If,
                    leaf,
                    branches: vec![
                        std::iter::once(push_token(ptr, "if"))
                            .chain(then.clone())
                            .collect(),
                        otherwise.iter().cloned().collect(),
                    ],
                    discriminator: None,
                });
                c.conditionals
                    .push((push_token(ptr, "if"), then, otherwise));
            }
        }
    }

    fn annotation(&mut self, k: &str, v: &Value) {
        let meta = &mut self.meta;
        match k {
            "examples" => {
                if let Value::Array(list) = v {
                    meta.examples.extend(list.iter().cloned());
                    self.meta_used = true;
                }
            }
            "example" | "default" => {
                meta.examples.push(v.clone());
                self.meta_used = true;
            }
            "readOnly" => {
                meta.read_only |= v == &Value::Bool(true);
                self.meta_used = true;
            }
            "writeOnly" => {
                meta.write_only |= v == &Value::Bool(true);
                self.meta_used = true;
            }
            _ => {
                // `x-faker`: Prism's extension, a faker.js method name.
                let method = match v {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(o) => o.keys().next().map(String::as_str),
                    _ => None,
                };
                if let Some(h) = method.and_then(realism::from_faker) {
                    meta.faker = Some(h);
                    self.meta_used = true;
                }
            }
        }
    }
}

/// `type`, `enum` and `const`: they narrow the node's own value set.
fn value_keyword(node: &mut Node, k: &str, v: &Value) {
    match k {
        "type" => {
            let t = match v {
                Value::String(s) => Types::from_name(s),
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .fold(Types::NONE, |t, s| t.or(Types::from_name(s))),
                _ => Types::ALL,
            };
            node.types = node.types.and(t);
        }
        "enum" => {
            if let Value::Array(values) = v {
                intersect_enum(&mut node.enumeration, values.clone());
            }
        }
        _ => intersect_enum(&mut node.enumeration, vec![v.clone()]),
    }
}

fn add_at(prefix: &mut Vec<Vec<String>>, i: usize, loc: String) {
    if prefix.len() <= i {
        prefix.resize_with(i + 1, Vec::new);
    }
    prefix[i].push(loc);
}

fn intersect_enum(current: &mut Option<Vec<Value>>, values: Vec<Value>) {
    *current = Some(match current.take() {
        None => {
            // Wild documents repeat enum members; one copy is enough.
            let mut unique: Vec<Value> = Vec::with_capacity(values.len());
            for v in values {
                if !unique.iter().any(|u| crate::check::json_eq(u, &v)) {
                    unique.push(v);
                }
            }
            unique
        }
        Some(old) => old
            .into_iter()
            .filter(|v| values.iter().any(|w| crate::check::json_eq(v, w)))
            .collect(),
    });
}

fn raise_min(num: &mut NumC, x: f64, excl: bool) {
    if x > num.min || (x == num.min && excl) {
        num.min = x;
        num.min_excl = excl;
    }
}

fn lower_max(num: &mut NumC, x: f64, excl: bool) {
    if x < num.max || (x == num.max && excl) {
        num.max = x;
        num.max_excl = excl;
    }
}

/// A count keyword's value, or `None` with the reason kept in `malformed`.
fn counted(malformed: &mut Option<String>, keyword: &str, v: &Value) -> Option<u64> {
    count(keyword, v).map_err(|e| *malformed = Some(e)).ok()
}

/// Lowers an upper bound (`maxItems` in two leaves: the smaller wins).
fn lower(max: &mut Option<u64>, x: u64) {
    *max = Some(max.map_or(x, |y| y.min(x)));
}

/// A count keyword's value (`minItems`, `minLength`): a non-negative
/// integer, as JSON Schema requires. Integral floats (`1e20`) are counts too,
/// saturated at `u64::MAX` (limits elsewhere then refuse them with words).
fn count(keyword: &str, v: &Value) -> Result<u64, String> {
    if let Some(x) = v.as_u64() {
        return Ok(x);
    }
    match v.as_f64() {
        Some(x) if x >= 0.0 && x.fract() == 0.0 => Ok(if x >= u64::MAX as f64 {
            u64::MAX
        } else {
            x as u64
        }),
        _ => Err(format!(
            "{keyword} must be a non-negative integer, found {v}"
        )),
    }
}
