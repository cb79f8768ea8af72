//! Lifecycles: the state of an object is chosen before its fields.
//!
//! An object whose `if`/`then`/`else` rules test some of its own properties
//! (`if: {properties: {status: {enum: [failed]}}}`) is compiled into a
//! chain of two-way choices, one per `if` (see `compile::distribute`).
//! Picking those branches at random makes states as likely as branch
//! combinations are, and a value drawn from a branch may still fail an `if`
//! it did not choose. Here the analysis finds, per chain, the properties the
//! `if`s test (the selectors) and the values to draw them from; generation
//! then draws the selectors, follows each `if` to the one leaf branch they
//! pick, and generates that leaf with the selectors pinned: every state is
//! equally likely and nothing is generated twice.
//!
//! Only what can be decided from the selectors alone qualifies: an `if`
//! made of `properties` (and `required`) over properties the object itself
//! declares. Anything else keeps the generic path (pick a branch, check the
//! whole value, retry).

use serde_json::Value;

use crate::check;
use crate::ir::{Arena, Checks, Choice, Node, NodeId, Selector, States, Types};
use crate::tree::{self, Tree};

/// More chained nodes than this: left to the generic path.
const MAX_CHAIN: usize = 256;

/// Plans the state-first choice of every new node whose choice is an `if`.
pub(crate) fn plan(arena: &mut Arena, first_new: usize) {
    for i in first_new..arena.nodes.len() {
        let has_condition = arena.nodes[i]
            .choice
            .as_ref()
            .is_some_and(|c| c.condition.is_some());
        if !has_condition {
            continue;
        }
        if let Some(states) = plan_one(arena, &arena.nodes[i])
            && let Some(choice) = arena.nodes[i].choice.as_mut()
        {
            choice.states = Some(Box::new(states));
        }
    }
}

/// Checks left after distribution are only the `if`s themselves.
fn only_conditionals(checks: Option<&Checks>) -> bool {
    checks.is_none_or(|c| {
        c.one_of.is_empty() && c.any_of.is_empty() && c.not.is_empty() && !c.undistributed
    })
}

fn plan_one(arena: &Arena, node: &Node) -> Option<States> {
    let object = node.object.as_deref()?;
    if node.sat != Types::OBJECT || !only_conditionals(node.checks.as_deref()) {
        return None;
    }
    let mut conditions = Vec::new();
    let mut seen = Vec::new();
    chain(arena, node.choice.as_deref()?, &mut conditions, &mut seen)?;
    let mut names: Vec<&str> = Vec::new();
    for &c in &conditions {
        for name in tested(arena, c)? {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names.sort_unstable();
    let mut selectors = Vec::with_capacity(names.len());
    for name in names {
        let p = object.props.iter().find(|p| &*p.name == name)?;
        let values = domain(arena, p.node, name, &conditions);
        if values.is_empty() {
            return None;
        }
        selectors.push(Selector {
            name: name.into(),
            node: p.node,
            hint: p.hint,
            values,
        });
    }
    Some(States { selectors })
}

/// Collects the `if`s of a chain of choices; `None` when a node of the chain
/// is not a pure `if` choice (a `oneOf` inside, a `not` beside).
fn chain(
    arena: &Arena,
    choice: &Choice,
    conditions: &mut Vec<NodeId>,
    seen: &mut Vec<NodeId>,
) -> Option<()> {
    let condition = choice.condition?;
    if !conditions.contains(&condition) {
        conditions.push(condition);
    }
    for &b in &choice.branches {
        if seen.contains(&b) {
            continue;
        }
        seen.push(b);
        if seen.len() > MAX_CHAIN {
            return None;
        }
        let branch = arena.node(b);
        if branch.sat.is_empty() {
            continue;
        }
        if let Some(next) = branch.choice.as_deref() {
            if !only_conditionals(branch.checks.as_deref()) {
                return None;
            }
            chain(arena, next, conditions, seen)?;
        }
    }
    Some(())
}

/// The property names an `if` tests, when it tests nothing else.
fn tested(arena: &Arena, condition: NodeId) -> Option<Vec<&str>> {
    let n = arena.node(condition);
    if n.never.is_some() || n.enumeration.is_some() || n.checks.is_some() || n.choice.is_some() {
        return None;
    }
    let Some(o) = n.object.as_deref() else {
        return Some(Vec::new());
    };
    let plain = o.additional == crate::ir::Addl::Any
        && o.pattern_props.is_empty()
        && o.property_names.is_none()
        && o.min_props == 0
        && o.max_props.is_none()
        && o.dependent_required.is_empty();
    plain.then(|| o.props.iter().map(|p| &*p.name).collect())
}

/// The values a selector is drawn from: its enum; else the document's
/// examples, the values the `if`s name, and `null` or booleans where its
/// type allows them (plus anything else it generates when it has no
/// examples), each once.
fn domain(arena: &Arena, id: NodeId, name: &str, conditions: &[NodeId]) -> Vec<Option<Value>> {
    let node = arena.node(id);
    if let Some(e) = &node.enumeration {
        return e.iter().cloned().map(Some).collect();
    }
    let examples = node.meta.as_deref().map_or(&[][..], |m| &m.examples[..]);
    let named = conditions.iter().filter_map(|&c| {
        let o = arena.node(c).object.as_deref()?;
        let p = o.props.iter().find(|p| &*p.name == name)?;
        arena.node(p.node).enumeration.as_deref()
    });
    let mut candidates: Vec<Value> = examples.to_vec();
    candidates.extend(named.flatten().cloned());
    if node.sat.has(Types::NULL) {
        candidates.push(Value::Null);
    }
    if node.sat.has(Types::BOOLEAN) {
        candidates.extend([Value::Bool(false), Value::Bool(true)]);
    }
    let mut values: Vec<Option<Value>> = Vec::new();
    for v in candidates {
        if check::matches(arena, id, &v)
            && !values
                .iter()
                .any(|w| w.as_ref().is_some_and(|w| check::json_eq(w, &v)))
        {
            values.push(Some(v));
        }
    }
    if examples.is_empty() && node.sat.without(Types::NULL.or(Types::BOOLEAN)) != Types::NONE {
        values.push(None);
    }
    values
}

/// The leaf branch the drawn selectors pick, following each `if`.
pub(crate) fn settle(arena: &Arena, choice: &Choice, drawn: &[(&str, Tree<'_>)]) -> NodeId {
    let mut choice = choice;
    loop {
        let pick = match choice.condition {
            Some(c) if !holds(arena, c, drawn) => 1,
            _ => 0,
        };
        let branch = choice.branches[pick];
        match arena.node(branch).choice.as_deref() {
            Some(next) if next.condition.is_some() => choice = next,
            _ => return branch,
        }
    }
}

/// Whether an `if` holds for an object with the drawn selectors.
fn holds(arena: &Arena, condition: NodeId, drawn: &[(&str, Tree<'_>)]) -> bool {
    let n = arena.node(condition);
    n.types.has(Types::OBJECT)
        && n.object.as_deref().is_none_or(|o| {
            o.props.iter().all(|p| {
                drawn
                    .iter()
                    .find(|(name, _)| *name == &*p.name)
                    .is_some_and(|(_, v)| check::matches_tree(arena, p.node, v))
            })
        })
}

/// Whether the leaf branch allows the drawn selectors (a `then` may narrow
/// one selector when another has a value: a blind transfer is never in
/// `screening`).
pub(crate) fn admits(arena: &Arena, leaf: NodeId, drawn: &[(&str, Tree<'_>)]) -> bool {
    let n = arena.node(leaf);
    let Some(o) = n.object.as_deref() else {
        return false;
    };
    n.sat.has(Types::OBJECT)
        && drawn.iter().all(|(name, v)| {
            o.props
                .iter()
                .find(|p| &*p.name == *name)
                .is_some_and(|p| check::matches_tree(arena, p.node, v))
        })
}

/// Whether the generated value kept the pinned selectors (a whole example
/// taken for the object would not).
pub(crate) fn kept(value: &Tree<'_>, drawn: &[(&str, Tree<'_>)]) -> bool {
    let Tree::Object(entries) = value else {
        return false;
    };
    drawn.iter().all(|(name, v)| {
        tree::get(entries, name)
            .is_some_and(|t| check::same(check::Json::tree(t), check::Json::tree(v)))
    })
}
