//! Compiles schema locations into the [`Arena`]: follows `$ref`, merges
//! `allOf`, and distributes `oneOf`/`anyOf` so each branch is a whole node.
//!
//! A node's key is the set of schema locations ("leaves") it merges. A leaf is
//! a schema object whose own keywords count; `$ref` and `allOf` are expanded
//! into more leaves. When a leaf has a `oneOf`, the node gets one branch node
//! per alternative, keyed by the same leaves with that `oneOf` marked as
//! distributed plus the alternative's leaves. Keys are memoised, so recursive
//! schemas become cycles in the graph, not infinite work.

use decoy_spec::hints::{self, SchemaHints};
use serde_json::{Map, Value};

use crate::SynthError;
use crate::analyze;
use crate::format::Format;
use crate::ir::{
    Addl, Arena, ArrC, Checks, Choice, GroupKind, Key, Meta, Node, NodeId, NumC, ObjC, Prop, StrC,
    Types,
};
use crate::realism;
use crate::regex_gen::Pattern;

const SKIP_ONE_OF: u8 = 1;
const SKIP_ANY_OF: u8 = 2;

/// Above this many combinations, only the first `oneOf`/`anyOf` of a schema is
/// distributed; the others are checked after generation.
const MAX_PRODUCT: usize = 64;

/// Keywords that never change what a value may be, so a leaf made only of
/// them can be dropped from a key (`{"$ref": .., "description": ..}`).
fn is_inert(key: &str) -> bool {
    matches!(
        key,
        "$ref"
            | "allOf"
            | "description"
            | "title"
            | "$comment"
            | "deprecated"
            | "externalDocs"
            | "xml"
            | "discriminator"
            | "$schema"
            | "$id"
            | "$anchor"
            | "$defs"
            | "definitions"
            | "$recursiveAnchor"
            | "$dynamicAnchor"
            | "$recursiveRef"
            | "$dynamicRef"
            | "nullable"
            | "contentMediaType"
            | "contentEncoding"
            | "contentSchema"
            | "$vocabulary"
    ) || (key.starts_with("x-") && key != "x-faker" && !hints::is_extension(key))
}

fn meaningful(map: &Map<String, Value>, skip: u8) -> bool {
    map.keys().any(|k| {
        let distributed =
            (k == "oneOf" && skip & SKIP_ONE_OF != 0) || (k == "anyOf" && skip & SKIP_ANY_OF != 0);
        !(is_inert(k) || distributed)
    })
}

/// Appends a reference token to a JSON pointer.
pub(crate) fn push_token(ptr: &str, token: &str) -> String {
    let mut s = String::with_capacity(ptr.len() + token.len() + 1);
    s.push_str(ptr);
    s.push('/');
    for c in token.chars() {
        match c {
            '~' => s.push_str("~0"),
            '/' => s.push_str("~1"),
            c => s.push(c),
        }
    }
    s
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(n) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(n);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The document pointer a local `$ref` names (`#/components/schemas/A%7Bb%7D`
/// → `/components/schemas/A{b}`), or `None` for a remote one.
pub(crate) fn ref_pointer(reference: &str) -> Option<String> {
    let fragment = reference.strip_prefix('#')?;
    Some(percent_decode(fragment))
}

/// Normalises a user-supplied pointer (`#/a/b` or `/a/b`).
pub(crate) fn user_pointer(pointer: &str) -> String {
    match pointer.strip_prefix('#') {
        Some(rest) => percent_decode(rest),
        None => pointer.to_owned(),
    }
}

/// Shows a pointer the way errors print it.
pub(crate) fn display_pointer(ptr: &str) -> String {
    match ptr.strip_prefix('~') {
        Some(rest) => format!("(inline){rest}"),
        None => format!("#{ptr}"),
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The component name when `ptr` is `/components/schemas/NAME`.
fn component_name(ptr: &str) -> Option<&str> {
    let rest = ptr.strip_prefix("/components/schemas/")?;
    (!rest.contains('/')).then_some(rest)
}

/// Result of expanding one location.
#[derive(Default)]
struct Flat {
    leaves: Key,
    never: Option<String>,
}

struct Group {
    kind: GroupKind,
    leaf: usize,
    branches: Vec<String>,
    discriminator: Option<Value>,
}

struct ObjMember {
    ptr: String,
    props: Vec<String>,
    patterns: Vec<String>,
    additional: Option<String>,
}

pub(crate) struct Compiler<'a> {
    doc: &'a Value,
    inline: Option<&'a Value>,
    arena: &'a mut Arena,
    queue: Vec<(NodeId, Key, Option<String>)>,
    first_new: usize,
    limit: usize,
}

impl<'a> Compiler<'a> {
    pub(crate) fn new(
        doc: &'a Value,
        inline: Option<&'a Value>,
        arena: &'a mut Arena,
        limit: usize,
    ) -> Self {
        let first_new = arena.nodes.len();
        Compiler {
            doc,
            inline,
            arena,
            queue: Vec::new(),
            first_new,
            limit,
        }
    }

    fn resolve(&self, ptr: &str) -> Option<&'a Value> {
        match ptr.strip_prefix('~') {
            Some(rest) => self.inline?.pointer(rest),
            None => self.doc.pointer(ptr),
        }
    }

    /// Compiles the schema at `ptr` (and all it reaches) and analyses the new
    /// nodes. Returns the root node.
    pub(crate) fn compile_root(mut self, ptr: &str) -> Result<NodeId, SynthError> {
        if self.resolve(ptr).is_none() {
            return Err(SynthError::NoSchema {
                pointer: display_pointer(ptr),
            });
        }
        let flat = self.flatten_one(ptr);
        let root = self.node_for(flat, ptr);
        while let Some((id, key, never)) = self.queue.pop() {
            if self.arena.nodes.len() - self.first_new > self.limit {
                // Roll back so the arena holds no half-built nodes.
                self.rollback();
                return Err(SynthError::TooComplex {
                    pointer: display_pointer(ptr),
                    limit: self.limit,
                });
            }
            self.build(id, &key, never);
        }
        analyze::analyze(self.arena, self.first_new);
        Ok(root)
    }

    fn rollback(&mut self) {
        let first = self.first_new as NodeId;
        self.arena.nodes.truncate(self.first_new);
        self.arena.memo.retain(|_, id| *id < first);
    }

    fn flatten_one(&self, ptr: &str) -> Flat {
        let mut flat = Flat::default();
        let mut seen = Vec::new();
        self.flatten(ptr, &mut flat, &mut seen, 0);
        normalize(&mut flat.leaves);
        flat
    }

    fn flatten(&self, ptr: &str, flat: &mut Flat, seen: &mut Vec<String>, depth: u32) {
        if depth > 64 || flat.leaves.len() > 512 {
            flat.never = Some("`$ref`/`allOf` nesting is too deep".to_owned());
            return;
        }
        let Some(value) = self.resolve(ptr) else {
            flat.never = Some(format!("no schema at {}", display_pointer(ptr)));
            return;
        };
        let map = match value {
            Value::Object(map) => map,
            Value::Bool(false) => {
                flat.never = Some("the schema is `false`".to_owned());
                return;
            }
            // `true`, and anything malformed, constrains nothing.
            _ => return,
        };
        if seen.iter().any(|s| s == ptr) {
            return;
        }
        seen.push(ptr.to_owned());
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            match ref_pointer(reference) {
                Some(target) => self.flatten(&target, flat, seen, depth + 1),
                None => {
                    flat.never = Some(format!("`$ref` {reference:?} points outside the document"));
                }
            }
        }
        if let Some(Value::Array(all)) = map.get("allOf") {
            for i in 0..all.len() {
                self.flatten(
                    &push_token(&push_token(ptr, "allOf"), &i.to_string()),
                    flat,
                    seen,
                    depth + 1,
                );
            }
        }
        if meaningful(map, 0) {
            flat.leaves.push((ptr.into(), 0));
        }
    }

    fn flatten_many<'s>(&self, ptrs: impl IntoIterator<Item = &'s String>) -> Flat {
        let mut flat = Flat::default();
        for ptr in ptrs {
            let mut seen = Vec::new();
            self.flatten(ptr, &mut flat, &mut seen, 0);
        }
        normalize(&mut flat.leaves);
        flat
    }

    fn node_for(&mut self, flat: Flat, display: &str) -> NodeId {
        if let Some(never) = flat.never {
            let id = self.arena.nodes.len() as NodeId;
            self.arena.nodes.push(Node::new(display.into()));
            self.queue.push((id, Vec::new(), Some(never)));
            return id;
        }
        if let Some(&id) = self.arena.memo.get(&flat.leaves) {
            return id;
        }
        let id = self.arena.nodes.len() as NodeId;
        self.arena.nodes.push(Node::new(display.into()));
        self.arena.memo.insert(flat.leaves.clone(), id);
        self.queue.push((id, flat.leaves, None));
        id
    }

    fn pattern(&mut self, source: &str) -> u32 {
        if let Some(&i) = self.arena.pattern_memo.get(source) {
            return i;
        }
        let i = self.arena.patterns.len() as u32;
        self.arena.patterns.push(Pattern::compile(source));
        self.arena.pattern_memo.insert(source.into(), i);
        i
    }

    #[allow(clippy::too_many_lines)]
    fn build(&mut self, id: NodeId, key: &Key, never: Option<String>) {
        let mut node = Node::new(self.arena.nodes[id as usize].ptr.clone());
        if let Some(never) = never {
            node.never = Some(never.into());
            self.arena.nodes[id as usize] = node;
            return;
        }
        let mut num = NumC::default();
        let mut num_used = false;
        let mut string = StrC::default();
        let mut str_used = false;
        let mut prefix: Vec<Vec<String>> = Vec::new();
        let mut items: Vec<String> = Vec::new();
        let mut arr = ArrC::default();
        let mut arr_used = false;
        let mut contains: Vec<String> = Vec::new();
        let mut members: Vec<ObjMember> = Vec::new();
        let mut required: Vec<String> = Vec::new();
        let mut min_props = 0u64;
        let mut max_props: Option<u64> = None;
        let mut property_names: Vec<String> = Vec::new();
        let mut dependent_required: Vec<(Box<str>, Vec<Box<str>>)> = Vec::new();
        let mut obj_used = false;
        let mut groups: Vec<Group> = Vec::new();
        let mut nots: Vec<String> = Vec::new();
        let mut conditionals: Vec<(String, Option<String>, Option<String>)> = Vec::new();
        let mut meta = Meta::default();
        let mut meta_used = false;
        let mut timeline: Vec<String> = Vec::new();
        let mut inferred = Types::NONE;
        // A keyword whose value JSON Schema does not allow (`minItems: 4.4`,
        // `multipleOf: 0`): no value can be checked against it.
        let mut malformed: Option<String> = None;

        for (leaf_index, (ptr, skip)) in key.iter().enumerate() {
            let Some(Value::Object(m)) = self.resolve(ptr) else {
                continue;
            };
            let ptr: &str = ptr;
            if meta.component.is_none()
                && let Some(name) = component_name(ptr)
            {
                meta.component = Some(unescape(name).into());
            }
            for (k, v) in m {
                match k.as_str() {
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
                    "const" => intersect_enum(&mut node.enumeration, vec![v.clone()]),
                    "minimum" => {
                        if let Some(x) = v.as_f64() {
                            let excl = m.get("exclusiveMinimum") == Some(&Value::Bool(true));
                            raise_min(&mut num, x, excl);
                            num_used = true;
                        }
                    }
                    "maximum" => {
                        if let Some(x) = v.as_f64() {
                            let excl = m.get("exclusiveMaximum") == Some(&Value::Bool(true));
                            lower_max(&mut num, x, excl);
                            num_used = true;
                        }
                    }
                    "exclusiveMinimum" => {
                        if let Some(x) = v.as_f64() {
                            raise_min(&mut num, x, true);
                            num_used = true;
                        }
                    }
                    "exclusiveMaximum" => {
                        if let Some(x) = v.as_f64() {
                            lower_max(&mut num, x, true);
                            num_used = true;
                        }
                    }
                    "multipleOf" => match v.as_f64() {
                        Some(x) if x > 0.0 => {
                            num.multiple_of.push(x);
                            num_used = true;
                        }
                        _ => {
                            malformed =
                                Some(format!("multipleOf must be a number above 0, found {v}"))
                        }
                    },
                    "format" => {
                        if let Some(f) = v.as_str().and_then(Format::parse) {
                            if f.is_numeric() {
                                num.format.get_or_insert(f);
                                num_used = true;
                            } else {
                                string.formats.push(f);
                                str_used = true;
                            }
                        }
                    }
                    "minLength" => match count("minLength", v) {
                        Ok(x) => {
                            string.min_len = string.min_len.max(x);
                            str_used = true;
                        }
                        Err(e) => malformed = Some(e),
                    },
                    "maxLength" => match count("maxLength", v) {
                        Ok(x) => {
                            string.max_len = Some(string.max_len.map_or(x, |y| y.min(x)));
                            str_used = true;
                        }
                        Err(e) => malformed = Some(e),
                    },
                    "pattern" => {
                        if let Some(p) = v.as_str() {
                            let i = self.pattern(p);
                            string.patterns.push(i);
                            str_used = true;
                        }
                    }
                    "items" => {
                        arr_used = true;
                        let base = push_token(ptr, "items");
                        match v {
                            Value::Array(list) => {
                                for i in 0..list.len() {
                                    add_at(&mut prefix, i, push_token(&base, &i.to_string()));
                                }
                                if m.contains_key("additionalItems") {
                                    items.push(push_token(ptr, "additionalItems"));
                                }
                            }
                            _ => items.push(base),
                        }
                    }
                    "prefixItems" => {
                        if let Value::Array(list) = v {
                            arr_used = true;
                            let base = push_token(ptr, "prefixItems");
                            for i in 0..list.len() {
                                add_at(&mut prefix, i, push_token(&base, &i.to_string()));
                            }
                        }
                    }
                    "minItems" => match count("minItems", v) {
                        Ok(x) => {
                            arr.min = arr.min.max(x);
                            arr_used = true;
                        }
                        Err(e) => malformed = Some(e),
                    },
                    "maxItems" => match count("maxItems", v) {
                        Ok(x) => {
                            arr.max = Some(arr.max.map_or(x, |y| y.min(x)));
                            arr_used = true;
                        }
                        Err(e) => malformed = Some(e),
                    },
                    "uniqueItems" => {
                        arr.unique |= v == &Value::Bool(true);
                        arr_used = true;
                    }
                    "contains" => {
                        contains.push(push_token(ptr, "contains"));
                        arr_used = true;
                    }
                    "minContains" => match count("minContains", v) {
                        Ok(x) => arr.min_contains = arr.min_contains.max(x),
                        Err(e) => malformed = Some(e),
                    },
                    "maxContains" => match count("maxContains", v) {
                        Ok(x) => arr.max_contains = Some(x),
                        Err(e) => malformed = Some(e),
                    },
                    "properties" | "patternProperties" | "additionalProperties" => {
                        obj_used = true;
                        if members.last().is_none_or(|mm| mm.ptr != ptr) {
                            members.push(ObjMember {
                                ptr: ptr.to_owned(),
                                props: Vec::new(),
                                patterns: Vec::new(),
                                additional: None,
                            });
                        }
                        let member = members.last_mut().expect("pushed above");
                        match (k.as_str(), v) {
                            ("properties", Value::Object(props)) => {
                                member.props = props.keys().cloned().collect()
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
                            obj_used = true;
                            for name in names.iter().filter_map(Value::as_str) {
                                if !required.iter().any(|r| r == name) {
                                    required.push(name.to_owned());
                                }
                            }
                        }
                    }
                    "minProperties" => match count("minProperties", v) {
                        Ok(x) => {
                            min_props = min_props.max(x);
                            obj_used = true;
                        }
                        Err(e) => malformed = Some(e),
                    },
                    "maxProperties" => match count("maxProperties", v) {
                        Ok(x) => {
                            max_props = Some(max_props.map_or(x, |y| y.min(x)));
                            obj_used = true;
                        }
                        Err(e) => malformed = Some(e),
                    },
                    "propertyNames" => {
                        property_names.push(push_token(ptr, "propertyNames"));
                        obj_used = true;
                    }
                    "dependentRequired" | "dependencies" => {
                        if let Value::Object(deps) = v {
                            for (name, list) in deps {
                                if let Value::Array(list) = list {
                                    dependent_required.push((
                                        name.as_str().into(),
                                        list.iter()
                                            .filter_map(Value::as_str)
                                            .map(Into::into)
                                            .collect(),
                                    ));
                                }
                            }
                            obj_used = true;
                        }
                    }
                    "oneOf" | "anyOf" => {
                        let (kind, flag) = if k == "oneOf" {
                            (GroupKind::OneOf, SKIP_ONE_OF)
                        } else {
                            (GroupKind::AnyOf, SKIP_ANY_OF)
                        };
                        if skip & flag != 0 {
                            continue;
                        }
                        if let Value::Array(list) = v {
                            let base = push_token(ptr, k);
                            groups.push(Group {
                                kind,
                                leaf: leaf_index,
                                branches: (0..list.len())
                                    .map(|i| push_token(&base, &i.to_string()))
                                    .collect(),
                                discriminator: m.get("discriminator").cloned(),
                            });
                        }
                    }
                    "not" => nots.push(push_token(ptr, "not")),
                    "if" => conditionals.push((
                        push_token(ptr, "if"),
                        m.contains_key("then").then(|| push_token(ptr, "then")),
                        m.contains_key("else").then(|| push_token(ptr, "else")),
                    )),
                    "examples" => {
                        if let Value::Array(list) = v {
                            meta.examples.extend(list.iter().cloned());
                            meta_used = true;
                        }
                    }
                    "example" | "default" => {
                        meta.examples.push(v.clone());
                        meta_used = true;
                    }
                    "readOnly" => {
                        meta.read_only |= v == &Value::Bool(true);
                        meta_used = true;
                    }
                    "writeOnly" => {
                        meta.write_only |= v == &Value::Bool(true);
                        meta_used = true;
                    }
                    "x-faker" => {
                        let method = match v {
                            Value::String(s) => Some(s.as_str()),
                            Value::Object(o) => o.keys().next().map(String::as_str),
                            _ => None,
                        };
                        if let Some(h) = method.and_then(realism::from_faker) {
                            meta.faker = Some(h);
                            meta_used = true;
                        }
                    }
                    _ => {}
                }
            }
            // A malformed hint is left out: the load reported it.
            let (hints, _) = SchemaHints::read(m);
            if let Some(names) = &hints.timeline {
                timeline = names.iter().map(|&n| n.to_owned()).collect();
                obj_used = true;
            }
            meta_used |= meta.add_hints(&hints);
        }
        if meta.component.is_some() {
            meta_used = true;
        }
        if meta.id_prefix.is_none()
            && let Some(prefix) = realism::example_prefix(&meta.examples)
        {
            meta.id_prefix = Some(prefix.into());
        }

        // What the keywords suggest when `type` is silent.
        if obj_used {
            inferred = inferred.or(Types::OBJECT);
        } else if arr_used {
            inferred = inferred.or(Types::ARRAY);
        } else if str_used {
            inferred = inferred.or(Types::STRING);
        } else if num_used {
            inferred = inferred.or(Types::NUMBER);
        }
        node.inferred = inferred;
        if node.types.is_empty() {
            node.never = Some("the `type` keywords contradict each other".into());
        }
        if node.enumeration.as_ref().is_some_and(Vec::is_empty) {
            node.never = Some(
                "the `enum`/`const` values contradict each other (or the enum is empty)".into(),
            );
        }
        if let Some(why) = malformed {
            node.never = Some(why.into());
        }

        if num_used {
            node.num = Some(Box::new(num));
        }
        if str_used {
            node.string = Some(Box::new(string));
        }
        if arr_used {
            let ptr = node.ptr.to_string();
            for (i, locs) in prefix.iter().enumerate() {
                let flat = self.flatten_many(locs);
                arr.prefix.push(self.node_for(
                    flat,
                    &push_token(&push_token(&ptr, "prefixItems"), &i.to_string()),
                ));
            }
            if !items.is_empty() {
                let flat = self.flatten_many(&items);
                arr.items = Some(self.node_for(flat, &push_token(&ptr, "items")));
            }
            if !contains.is_empty() {
                let flat = self.flatten_many(&contains);
                arr.contains = Some(self.node_for(flat, &push_token(&ptr, "contains")));
                let both: Vec<String> = contains.iter().chain(items.iter()).cloned().collect();
                let flat = self.flatten_many(&both);
                arr.contains_gen = Some(self.node_for(flat, &push_token(&ptr, "contains")));
                arr.min_contains = arr.min_contains.max(1);
            }
            node.array = Some(Box::new(arr));
        }
        if obj_used {
            node.object = Some(Box::new(self.build_object(
                &node.ptr,
                &members,
                &required,
                min_props,
                max_props,
                &property_names,
                dependent_required,
                &timeline,
                meta.component.as_deref(),
            )));
        }
        if !groups.is_empty() || !nots.is_empty() || !conditionals.is_empty() {
            let mut checks = Checks::default();
            for loc in &nots {
                let flat = self.flatten_one(loc);
                checks.not.push(self.node_for(flat, loc));
            }
            for (i, t, e) in &conditionals {
                let fi = self.flatten_one(i);
                let ni = self.node_for(fi, i);
                let nt = t.as_ref().map(|t| {
                    let f = self.flatten_one(t);
                    self.node_for(f, t)
                });
                let ne = e.as_ref().map(|e| {
                    let f = self.flatten_one(e);
                    self.node_for(f, e)
                });
                checks.conditionals.push((ni, nt, ne));
            }
            for g in &groups {
                let raw: Vec<NodeId> = g
                    .branches
                    .iter()
                    .map(|b| {
                        let f = self.flatten_one(b);
                        self.node_for(f, b)
                    })
                    .collect();
                match g.kind {
                    GroupKind::OneOf => checks.one_of.push(raw),
                    GroupKind::AnyOf => checks.any_of.push(raw),
                }
            }
            if let Some(first) = groups.first() {
                let product = groups
                    .iter()
                    .try_fold(1usize, |p, g| p.checked_mul(g.branches.len().max(1)));
                let distribute_all = product.is_some_and(|p| p <= MAX_PRODUCT);
                checks.undistributed = !distribute_all && groups.len() > 1;
                if first.kind == GroupKind::OneOf {
                    checks.exclusive.push(0);
                }
                node.choice = Some(Box::new(self.distribute(key, &groups, distribute_all)));
            }
            node.checks = Some(Box::new(checks));
        }
        if meta_used {
            node.meta = Some(Box::new(meta));
        }
        self.arena.nodes[id as usize] = node;
    }

    /// One branch node per alternative of the first group: the node's own
    /// leaves (with that group marked as distributed) plus the alternative.
    fn distribute(&mut self, key: &Key, groups: &[Group], distribute_all: bool) -> Choice {
        let first = &groups[0];
        let mut base = key.clone();
        let flag = |kind| match kind {
            GroupKind::OneOf => SKIP_ONE_OF,
            GroupKind::AnyOf => SKIP_ANY_OF,
        };
        base[first.leaf].1 |= flag(first.kind);
        if !distribute_all {
            for g in &groups[1..] {
                base[g.leaf].1 |= flag(g.kind);
            }
        }
        base.retain(|(ptr, skip)| match self.resolve(ptr) {
            Some(Value::Object(m)) => meaningful(m, *skip),
            _ => false,
        });
        let mut branches = Vec::with_capacity(first.branches.len());
        for b in &first.branches {
            let mut flat = self.flatten_one(b);
            flat.leaves.extend(base.iter().cloned());
            normalize(&mut flat.leaves);
            branches.push(self.node_for(flat, b));
        }
        let discriminator = first.discriminator.as_ref().and_then(|d| {
            let property = d.get("propertyName")?.as_str()?;
            let mapping = d.get("mapping").and_then(Value::as_object);
            let values = first
                .branches
                .iter()
                .map(|b| {
                    let target = self
                        .resolve(b)
                        .and_then(|v| v.get("$ref"))
                        .and_then(Value::as_str)
                        .and_then(ref_pointer)?;
                    if let Some(mapping) = mapping {
                        for (name, to) in mapping {
                            let to = to.as_str()?;
                            let to_ptr = ref_pointer(to)
                                .unwrap_or_else(|| format!("/components/schemas/{to}"));
                            if to_ptr == target {
                                return Some(Value::String(name.clone()));
                            }
                        }
                    }
                    component_name(&target).map(|n| Value::String(unescape(n)))
                })
                .collect();
            Some((property.into(), values))
        });
        Choice {
            branches,
            discriminator,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn build_object(
        &mut self,
        ptr: &str,
        members: &[ObjMember],
        required: &[String],
        min_props: u64,
        max_props: Option<u64>,
        property_names: &[String],
        dependent_required: Vec<(Box<str>, Vec<Box<str>>)>,
        timeline: &[String],
        component: Option<&str>,
    ) -> ObjC {
        let mut names: Vec<&str> = Vec::new();
        for m in members {
            for p in &m.props {
                if !names.contains(&p.as_str()) {
                    names.push(p);
                }
            }
        }
        for r in required {
            if !names.contains(&r.as_str()) {
                names.push(r);
            }
        }
        let mut member_patterns: Vec<Vec<u32>> = Vec::with_capacity(members.len());
        for m in members {
            let ids = m.patterns.iter().map(|p| self.pattern(p)).collect();
            member_patterns.push(ids);
        }
        let mut props = Vec::with_capacity(names.len());
        for name in names {
            let mut locs: Vec<String> = Vec::new();
            for (m, pats) in members.iter().zip(&member_patterns) {
                if m.props.iter().any(|p| p == name) {
                    locs.push(push_token(&push_token(&m.ptr, "properties"), name));
                    continue;
                }
                let mut matched = false;
                for (src, &pid) in m.patterns.iter().zip(pats) {
                    if self.arena.patterns[pid as usize].is_match(name) {
                        locs.push(push_token(&push_token(&m.ptr, "patternProperties"), src));
                        matched = true;
                    }
                }
                if !matched && let Some(a) = &m.additional {
                    locs.push(a.clone());
                }
            }
            let flat = self.flatten_many(&locs);
            let node = self.node_for(flat, &push_token(&push_token(ptr, "properties"), name));
            props.push(Prop {
                name: name.into(),
                node,
                required: required.iter().any(|r| r == name),
                hint: realism::from_name(name, component),
                counter: false,
            });
        }
        let additional_locs: Vec<String> = members
            .iter()
            .filter_map(|m| m.additional.clone())
            .collect();
        let additional = if additional_locs.is_empty() {
            Addl::Any
        } else {
            let flat = self.flatten_many(&additional_locs);
            if flat.never.is_some() {
                Addl::Never
            } else if flat.leaves.is_empty() {
                Addl::Any
            } else {
                Addl::Schema(self.node_for(flat, &push_token(ptr, "additionalProperties")))
            }
        };
        let mut pattern_props = Vec::new();
        for (m, pats) in members.iter().zip(&member_patterns) {
            for (src, &pid) in m.patterns.iter().zip(pats) {
                let loc = push_token(&push_token(&m.ptr, "patternProperties"), src);
                let flat = self.flatten_one(&loc);
                pattern_props.push((pid, self.node_for(flat, &loc)));
            }
        }
        let property_names = if property_names.is_empty() {
            None
        } else {
            let flat = self.flatten_many(property_names);
            Some(self.node_for(flat, &push_token(ptr, "propertyNames")))
        };
        let timeline = timeline
            .iter()
            .filter_map(|t| props.iter().position(|p: &Prop| &*p.name == t))
            .collect();
        ObjC {
            props,
            additional,
            pattern_props,
            min_props,
            max_props,
            property_names,
            dependent_required,
            timeline,
            durations: Vec::new(),
            templates: Vec::new(),
        }
    }
}

fn normalize(key: &mut Key) {
    key.sort();
    // The same location with different distributed groups: keep the
    // constraints of both (a group marked distributed in one copy is still
    // live in the other).
    key.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 &= b.1;
            true
        } else {
            false
        }
    });
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

/// Hints and object rules that need the children built: called by the
/// analysis once every new node exists.
pub(crate) fn finalize_objects(arena: &mut Arena, first_new: usize) {
    for i in first_new..arena.nodes.len() {
        let Some(obj) = arena.nodes[i].object.take() else {
            continue;
        };
        let mut obj = *obj;
        for p in &mut obj.props {
            let child = arena.node(p.node);
            let meta = child.meta.as_deref();
            if let Some(h) = meta.and_then(|m| m.faker) {
                p.hint = h;
            }
            let integer = child.types.has(Types::INTEGER) || child.inferred.has(Types::INTEGER);
            p.counter = meta.is_some_and(|m| m.counter) || (&*p.name == "index" && integer);
        }
        for (idx, p) in obj.props.iter().enumerate() {
            let meta = arena.node(p.node).meta.as_deref();
            if let Some((from, to, millis)) = meta.and_then(|m| m.duration.as_ref()) {
                let from = obj.props.iter().position(|q| q.name == *from);
                let to = obj.props.iter().position(|q| q.name == *to);
                if let (Some(from), Some(to)) = (from, to) {
                    obj.durations.push(crate::ir::DurationRule {
                        prop: idx,
                        from,
                        to,
                        millis: *millis,
                    });
                }
            }
            if let Some(t) = meta.and_then(|m| m.template.as_ref()) {
                obj.templates.push((idx, t.clone()));
            }
        }
        if obj.timeline.is_empty() {
            obj.timeline = lifecycle(arena, &obj.props);
        }
        arena.nodes[i].object = Some(Box::new(obj));
    }
}

/// The general timeline rule: date-time properties named like a lifecycle
/// (created, started, updated, ended) keep that order.
fn lifecycle(arena: &Arena, props: &[Prop]) -> Vec<usize> {
    let mut ranked: Vec<(u8, usize)> = Vec::new();
    for (i, p) in props.iter().enumerate() {
        let child = arena.node(p.node);
        let is_date_time = child
            .string
            .as_ref()
            .is_some_and(|s| s.formats.first() == Some(&Format::DateTime) && s.patterns.is_empty());
        if !is_date_time {
            continue;
        }
        let w = realism::words(&p.name);
        let Some(first) = w.first() else { continue };
        let rank = match first.as_str() {
            "created" | "inserted" | "requested" | "submitted" => 0,
            "started" | "began" | "opened" | "scheduled" => 1,
            "answered" | "connected" | "accepted" => 2,
            "updated" | "modified" => 3,
            "ended" | "completed" | "finished" | "closed" | "cancelled" | "canceled"
            | "resolved" => 4,
            _ => continue,
        };
        ranked.push((rank, i));
    }
    if ranked.len() < 2 {
        return Vec::new();
    }
    ranked.sort_by_key(|&(rank, i)| (rank, i));
    ranked.into_iter().map(|(_, i)| i).collect()
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
