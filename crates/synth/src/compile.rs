//! Compiles schema locations into the [`Arena`]: follows `$ref`, merges
//! `allOf`, and distributes `oneOf`/`anyOf` so each branch is a whole node.
//!
//! A node's key is the set of schema locations ("leaves") it merges. A leaf is
//! a schema object whose own keywords count; `$ref` and `allOf` are expanded
//! into more leaves. When a leaf has a `oneOf`, the node gets one branch node
//! per alternative, keyed by the same leaves with that `oneOf` marked as
//! distributed plus the alternative's leaves. Keys are memoised, so recursive
//! schemas become cycles in the graph, not infinite work.

use std::cell::RefCell;

use decoy_spec::hints;
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use crate::SynthError;
use crate::analyze;
use crate::ir::{Addl, Arena, ArrC, Checks, Choice, GroupKind, Key, Node, NodeId, ObjC, Prop};
use crate::merge::{
    ArrayParts, Composition, Group, Merged, ObjMember, ObjectParts, SKIP_ANY_OF, SKIP_IF,
    SKIP_ONE_OF,
};
use crate::pointer::{component_name, display_pointer, push_token, ref_pointer, unescape};
use crate::realism::{self, Hint};
use crate::regex_gen::Pattern;

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
    ) || key == hints::RULES
        || (key.starts_with("x-") && key != "x-faker" && !hints::is_extension(key))
}

fn meaningful(map: &Map<String, Value>, skip: u8) -> bool {
    map.keys().any(|k| {
        let distributed = (k == "oneOf" && skip & SKIP_ONE_OF != 0)
            || (k == "anyOf" && skip & SKIP_ANY_OF != 0)
            || (matches!(k.as_str(), "if" | "then" | "else") && skip & SKIP_IF != 0);
        !(is_inert(k) || distributed)
    })
}

/// Result of expanding one location.
#[derive(Default)]
struct Flat {
    leaves: Key,
    never: Option<String>,
}

pub(crate) struct Compiler<'a> {
    doc: &'a Value,
    inline: Option<&'a Value>,
    arena: &'a mut Arena,
    queue: Vec<(NodeId, Key, Option<String>)>,
    first_new: usize,
    limit: usize,
    /// Name-based hints by (property, component): a schema with many
    /// distributed branches names the same properties many times.
    named: FxHashMap<(String, Option<String>), Hint>,
    /// The value at each pointer asked for so far (and at its prefixes):
    /// schemas are named by pointers, the same ones are asked for many times
    /// (flattening, then building), and a walk from the root hashes every
    /// key on the way with the document map's SipHash.
    resolved: RefCell<FxHashMap<String, Option<&'a Value>>>,
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
            named: FxHashMap::default(),
            resolved: RefCell::default(),
        }
    }

    /// The value at `ptr`: in the document, or in the inline schema for a
    /// pointer that starts with `~`. Each pointer is walked once, one token
    /// from its parent's value.
    fn resolve(&self, ptr: &str) -> Option<&'a Value> {
        if let Some(&found) = self.resolved.borrow().get(ptr) {
            return found;
        }
        let found = match ptr.rfind('/') {
            // One step from the parent: the same value a walk from the root
            // finds (RFC 6901 reads a pointer a token at a time).
            Some(cut) => {
                let parent = self.resolve(&ptr[..cut]);
                parent.and_then(|v| decoy_spec::pointer::get(v, &ptr[cut..]))
            }
            // A root: the document's (`""`) or the inline schema's (`~`).
            None => match ptr.strip_prefix('~') {
                Some(rest) => decoy_spec::pointer::get(self.inline?, rest),
                None => decoy_spec::pointer::get(self.doc, ptr),
            },
        };
        self.resolved.borrow_mut().insert(ptr.to_owned(), found);
        found
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
        // Generation-only rules merge like `allOf` members (validators
        // ignore the key, so only generated values follow them).
        if let Some(Value::Array(rules)) = map.get(hints::RULES) {
            for i in 0..rules.len() {
                self.flatten(
                    &push_token(&push_token(ptr, hints::RULES), &i.to_string()),
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

    /// Builds node `id` from its key: merges what the leaves say, then
    /// compiles the child schemas they name.
    fn build(&mut self, id: NodeId, key: &Key, never: Option<String>) {
        let mut node = Node::new(self.arena.nodes[id as usize].ptr.clone());
        if let Some(never) = never {
            node.never = Some(never.into());
            self.arena.nodes[id as usize] = node;
            return;
        }
        let mut merged = Merged::default();
        for (leaf, (ptr, skip)) in key.iter().enumerate() {
            if let Some(Value::Object(m)) = self.resolve(ptr) {
                merged.leaf(&mut node, leaf, ptr, *skip, m);
            }
        }
        merged.finish();
        node.inferred = merged.inferred();
        settle_never(&mut node, merged.malformed.take());
        let Merged {
            num,
            num_used,
            mut string,
            str_used,
            patterns,
            array,
            object,
            composition,
            meta,
            meta_used,
            ..
        } = merged;
        for p in &patterns {
            let i = self.pattern(p);
            string.patterns.push(i);
        }
        if num_used {
            node.num = Some(Box::new(num));
        }
        if str_used {
            node.string = Some(Box::new(string));
        }
        if array.used {
            node.array = Some(Box::new(self.build_array(&node.ptr, array)));
        }
        if object.used {
            let component = meta.component.as_deref();
            node.object = Some(Box::new(self.build_object(&node.ptr, object, component)));
        }
        if !composition.is_empty() {
            let (checks, choice) = self.build_checks(key, &composition);
            node.checks = Some(Box::new(checks));
            node.choice = choice.map(Box::new);
        }
        if meta_used {
            node.meta = Some(Box::new(meta));
        }
        self.arena.nodes[id as usize] = node;
    }

    /// The item nodes of an array: by position, the rest, and `contains`.
    fn build_array(&mut self, ptr: &str, parts: ArrayParts) -> ArrC {
        let mut arr = parts.constraints;
        for (i, locs) in parts.prefix.iter().enumerate() {
            let flat = self.flatten_many(locs);
            arr.prefix.push(self.node_for(
                flat,
                &push_token(&push_token(ptr, "prefixItems"), &i.to_string()),
            ));
        }
        if !parts.items.is_empty() {
            let flat = self.flatten_many(&parts.items);
            arr.items = Some(self.node_for(flat, &push_token(ptr, "items")));
        }
        if !parts.contains.is_empty() {
            let flat = self.flatten_many(&parts.contains);
            arr.contains = Some(self.node_for(flat, &push_token(ptr, "contains")));
            let both: Vec<String> = parts
                .contains
                .iter()
                .chain(parts.items.iter())
                .cloned()
                .collect();
            let flat = self.flatten_many(&both);
            arr.contains_gen = Some(self.node_for(flat, &push_token(ptr, "contains")));
            arr.min_contains = arr.min_contains.max(1);
        }
        arr
    }

    /// The `not`, `if`/`then`/`else` and raw `oneOf`/`anyOf` nodes checked
    /// after generation, and the choice the first group is distributed into.
    fn build_checks(&mut self, key: &Key, c: &Composition) -> (Checks, Option<Choice>) {
        let mut checks = Checks::default();
        for loc in &c.nots {
            let id = self.compile_at(loc);
            checks.not.push(id);
        }
        for (i, t, e) in &c.conditionals {
            let ni = self.compile_at(i);
            let nt = t.as_ref().map(|t| self.compile_at(t));
            let ne = e.as_ref().map(|e| self.compile_at(e));
            checks.conditionals.push((ni, nt, ne));
        }
        for g in &c.groups {
            if g.kind == GroupKind::If {
                continue;
            }
            let raw: Vec<NodeId> = g.branches.iter().map(|b| self.compile_at(&b[0])).collect();
            match g.kind {
                GroupKind::OneOf => checks.one_of.push(raw),
                _ => checks.any_of.push(raw),
            }
        }
        let Some(first) = c.groups.first() else {
            return (checks, None);
        };
        let product = c
            .groups
            .iter()
            .try_fold(1usize, |p, g| p.checked_mul(g.branches.len().max(1)));
        let distribute_all = product.is_some_and(|p| p <= MAX_PRODUCT);
        checks.undistributed = !distribute_all && c.groups.len() > 1;
        if first.kind == GroupKind::OneOf {
            checks.exclusive.push(0);
        }
        // `if` groups are pushed with their conditional, in order: the
        // first group's `if` is the first conditional.
        let condition = (first.kind == GroupKind::If).then(|| checks.conditionals[0].0);
        let choice = self.distribute(key, &c.groups, distribute_all, condition);
        (checks, Some(choice))
    }

    /// The node of the schema at one location, alone.
    fn compile_at(&mut self, loc: &str) -> NodeId {
        let flat = self.flatten_one(loc);
        self.node_for(flat, loc)
    }

    /// One branch node per alternative of the first group: the node's own
    /// leaves (with that group marked as distributed) plus the alternative.
    fn distribute(
        &mut self,
        key: &Key,
        groups: &[Group],
        distribute_all: bool,
        condition: Option<NodeId>,
    ) -> Choice {
        let first = &groups[0];
        let mut base = key.clone();
        let flag = |kind| match kind {
            GroupKind::OneOf => SKIP_ONE_OF,
            GroupKind::AnyOf => SKIP_ANY_OF,
            GroupKind::If => SKIP_IF,
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
            let mut flat = self.flatten_many(b);
            flat.leaves.extend(base.iter().cloned());
            normalize(&mut flat.leaves);
            let display = b.first().map_or(&*key[first.leaf].0, String::as_str);
            branches.push(self.node_for(flat, display));
        }
        let discriminator = first.discriminator.as_ref().and_then(|d| {
            let property = d.get("propertyName")?.as_str()?;
            let mapping = d.get("mapping").and_then(Value::as_object);
            let values = first
                .branches
                .iter()
                .map(|b| {
                    let target = self
                        .resolve(b.first()?)
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
            condition,
            states: None,
        }
    }

    /// The property nodes of an object (each merging every leaf's schema
    /// for that name), `additionalProperties`, `patternProperties` and
    /// `propertyNames`.
    fn build_object(&mut self, ptr: &str, parts: ObjectParts, component: Option<&str>) -> ObjC {
        let ObjectParts {
            members,
            required,
            min_props,
            max_props,
            property_names,
            dependent_required,
            timeline,
            ..
        } = parts;
        let mut names: Vec<&str> = Vec::new();
        // In the document's order: a generation rule's properties (leaves
        // under another schema's `x-decoy-rules`, which may sort first)
        // come after the schema's own.
        let rule = format!("/{}/", hints::RULES);
        let (own, ruled): (Vec<&ObjMember>, Vec<&ObjMember>) =
            members.iter().partition(|m| !m.ptr.contains(&rule));
        for m in own.into_iter().chain(ruled) {
            for p in &m.props {
                if !names.contains(&p.as_str()) {
                    names.push(p);
                }
            }
        }
        for r in &required {
            if !names.contains(&r.as_str()) {
                names.push(r);
            }
        }
        let mut member_patterns: Vec<Vec<u32>> = Vec::with_capacity(members.len());
        for m in &members {
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
                name_hash: decoy_spec::seed::hash(name.as_bytes()),
                node,
                required: required.iter().any(|r| r == name),
                hint: *self
                    .named
                    .entry((name.to_owned(), component.map(str::to_owned)))
                    .or_insert_with(|| realism::from_name(name, component)),
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
            let flat = self.flatten_many(&property_names);
            Some(self.node_for(flat, &push_token(ptr, "propertyNames")))
        };
        let timeline = timeline
            .iter()
            .filter_map(|t| props.iter().position(|p: &Prop| &*p.name == t))
            .collect();
        let mut order: Vec<usize> = (0..props.len()).collect();
        order.sort_by(|&a, &b| props[a].name.cmp(&props[b].name));
        ObjC {
            props,
            order,
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

/// The node's own contradictions: no type left, no enum member left, or a
/// malformed keyword (which wins: it names the keyword).
fn settle_never(node: &mut Node, malformed: Option<String>) {
    if node.types.is_empty() {
        node.never = Some("the `type` keywords contradict each other".into());
    }
    if node.enumeration.as_ref().is_some_and(Vec::is_empty) {
        node.never =
            Some("the `enum`/`const` values contradict each other (or the enum is empty)".into());
    }
    if let Some(why) = malformed {
        node.never = Some(why.into());
    }
}
