//! Analysis of freshly compiled nodes: enum and example filtering, which
//! types each node can actually produce (so contradictions are reported up
//! front, and unsatisfiable optional parts are skipped), and the least depth
//! each node needs (so recursion can stop early and still be valid).

use crate::check;
use crate::coherence;
use crate::format::Format;
use crate::ir::{Arena, Node, NodeId, NumC, Types};
use crate::states;

/// Integers kept within ±2^53 so they survive every JSON reader.
const SAFE: i64 = 1 << 53;

/// The integer interval a numeric node allows (before `multipleOf`).
pub(crate) fn int_bounds(num: &NumC) -> (i64, i64) {
    let mut lo = if num.min.is_finite() {
        if num.min_excl {
            num.min.floor() as i64 + 1
        } else {
            num.min.ceil() as i64
        }
    } else {
        -SAFE
    };
    let mut hi = if num.max.is_finite() {
        if num.max_excl {
            num.max.ceil() as i64 - 1
        } else {
            num.max.floor() as i64
        }
    } else {
        SAFE
    };
    if num.format == Some(Format::Int32) {
        lo = lo.max(i64::from(i32::MIN));
        hi = hi.min(i64::from(i32::MAX));
    }
    (lo.max(-SAFE), hi.min(SAFE))
}

/// An integer the node allows, searching from `start` upwards (bounded).
pub(crate) fn find_int(num: &NumC, start: i64) -> Option<i64> {
    let (lo, hi) = int_bounds(num);
    if lo > hi {
        return None;
    }
    let start = start.clamp(lo, hi);
    if num.multiple_of.is_empty() {
        return Some(start);
    }
    let m = num.multiple_of[0];
    // Walk multiples of the first `multipleOf`, checking the others.
    let mut k = (start as f64 / m).ceil();
    for _ in 0..10_000 {
        let x = k * m;
        if x > hi as f64 {
            break;
        }
        if x.fract() == 0.0 && x >= lo as f64 && check::number_ok(num, x) {
            return Some(x as i64);
        }
        k += 1.0;
    }
    if start > lo { find_int(num, lo) } else { None }
}

/// The largest string and array decoy generates: a schema that demands more
/// is refused up front with its pointer instead of exhausting memory.
pub(crate) const MAX_STRING_CHARS: u64 = 1_000_000;
/// See [`MAX_STRING_CHARS`].
pub(crate) const MAX_ARRAY_ITEMS: u64 = 10_000;

/// The types a node allows by its own keywords, and why a type is ruled out.
fn local_types(arena: &Arena, node: &Node) -> (Types, Option<String>) {
    if let Some(never) = &node.never {
        return (Types::NONE, Some(never.to_string()));
    }
    if let Some(c) = &node.checks
        && c.not.iter().any(|&n| arena.node(n).is_any())
    {
        return (
            Types::NONE,
            Some("`not: {}` rejects every value".to_owned()),
        );
    }
    let mut t = node.types;
    if let Some(e) = &node.enumeration {
        let of = e.iter().fold(Types::NONE, |t, v| t.or(Types::of(v)));
        // `number` allows integers, so an integral member fits `number`.
        let t = t.and(of);
        return if t.is_empty() {
            (
                t,
                Some("no `enum`/`const` value satisfies the rest of the schema".to_owned()),
            )
        } else {
            (t, None)
        };
    }
    let mut reason = None;
    if let Some(num) = &node.num {
        if t.has(Types::INTEGER) && find_int(num, 0).is_none() {
            t = t.without(Types::INTEGER);
            let multiples: Vec<String> = num.multiple_of.iter().map(f64::to_string).collect();
            reason = Some(if multiples.is_empty() {
                format!(
                    "no integer satisfies minimum {} and maximum {}",
                    num.min, num.max
                )
            } else {
                format!(
                    "no integer satisfies minimum {}, maximum {} and multipleOf {}",
                    num.min,
                    num.max,
                    multiples.join(", ")
                )
            });
        }
        let empty = num.min > num.max || (num.min == num.max && (num.min_excl || num.max_excl));
        let integral_only = num.multiple_of.iter().any(|m| m.fract() == 0.0)
            || matches!(num.format, Some(Format::Int32 | Format::Int64));
        if t.has(Types::FRACTION)
            && (empty || integral_only || (num.min == num.max && num.min.fract() == 0.0))
        {
            t = t.without(Types::FRACTION);
            if empty {
                reason = Some(format!("minimum {} is above maximum {}", num.min, num.max));
            }
        }
    }
    if let Some(s) = &node.string
        && t.has(Types::STRING)
        && s.min_len > MAX_STRING_CHARS
    {
        t = t.without(Types::STRING);
        reason = Some(format!(
            "minLength {} is more than the {MAX_STRING_CHARS} characters decoy generates in one string",
            s.min_len
        ));
    }
    if let Some(a) = &node.array
        && t.has(Types::ARRAY)
        && a.min.max(a.min_contains) > MAX_ARRAY_ITEMS
    {
        t = t.without(Types::ARRAY);
        reason = Some(format!(
            "minItems {} is more than the {MAX_ARRAY_ITEMS} items decoy generates in one array",
            a.min.max(a.min_contains)
        ));
    }
    if let Some(o) = &node.object
        && t.has(Types::OBJECT)
        && o.min_props > MAX_ARRAY_ITEMS
    {
        t = t.without(Types::OBJECT);
        reason = Some(format!(
            "minProperties {} is more than the {MAX_ARRAY_ITEMS} properties decoy generates in one object",
            o.min_props
        ));
    }
    if let Some(s) = &node.string
        && t.has(Types::STRING)
    {
        let need = s.formats.first().map_or(0, |f| match f {
            Format::DateTime => 20,
            Format::Uuid => 36,
            Format::Date => 10,
            Format::Time => 9,
            _ => 0,
        });
        if s.max_len.is_some_and(|max| max < s.min_len) {
            t = t.without(Types::STRING);
            reason = Some(format!(
                "minLength {} is above maxLength {}",
                s.min_len,
                s.max_len.unwrap_or(0)
            ));
        } else if s.max_len.is_some_and(|max| max < need) {
            t = t.without(Types::STRING);
            reason = Some(format!(
                "maxLength {} is too short for the format",
                s.max_len.unwrap_or(0)
            ));
        } else if let Some(p) = s
            .patterns
            .iter()
            .find_map(|&p| arena.patterns[p as usize].unsat.clone())
        {
            t = t.without(Types::STRING);
            reason = Some(p);
        }
    }
    if let Some(a) = &node.array
        && t.has(Types::ARRAY)
        && (a.max.is_some_and(|max| max < a.min)
            || a.max_contains.is_some_and(|mc| mc < a.min_contains))
    {
        t = t.without(Types::ARRAY);
        reason = Some(match a.max {
            Some(max) if max < a.min => format!("minItems {} is above maxItems {max}", a.min),
            _ => format!(
                "minContains {} is above maxContains {}",
                a.min_contains,
                a.max_contains.unwrap_or(0)
            ),
        });
    }
    if let Some(o) = &node.object
        && t.has(Types::OBJECT)
    {
        let required = o.props.iter().filter(|p| p.required).count() as u64;
        if o.max_props
            .is_some_and(|max| max < o.min_props.max(required))
        {
            t = t.without(Types::OBJECT);
            reason = Some(format!(
                "maxProperties {} is below minProperties {} or the {} required properties",
                o.max_props.unwrap_or(0),
                o.min_props,
                required
            ));
        }
    }
    if t.is_empty() && reason.is_none() {
        reason = Some("no type satisfies every keyword".to_owned());
    }
    (t, reason)
}

fn sat_of(arena: &Arena, id: usize, local: Types) -> Types {
    let node = &arena.nodes[id];
    if local.is_empty() {
        return Types::NONE;
    }
    if let Some(choice) = &node.choice {
        return choice
            .branches
            .iter()
            .fold(Types::NONE, |t, &b| t.or(arena.node(b).sat))
            .and(local);
    }
    let mut t = local;
    if node.enumeration.is_some() {
        return t;
    }
    let ok = |n: NodeId| !arena.node(n).sat.is_empty();
    if t.has(Types::ARRAY)
        && let Some(a) = &node.array
    {
        let min = a.min as usize;
        let prefix_ok = a.prefix.iter().take(min).all(|&n| ok(n));
        let items_ok = min <= a.prefix.len() || a.items.is_none_or(ok);
        let contains_ok = a.contains_gen.is_none_or(ok) || a.min_contains == 0;
        if !(prefix_ok && items_ok && contains_ok) {
            t = t.without(Types::ARRAY);
        }
    }
    if t.has(Types::OBJECT)
        && let Some(o) = &node.object
        && !o.props.iter().filter(|p| p.required).all(|p| ok(p.node))
    {
        t = t.without(Types::OBJECT);
    }
    t
}

fn height_of(arena: &Arena, id: usize) -> u32 {
    let node = &arena.nodes[id];
    if node.sat.is_empty() {
        return u32::MAX;
    }
    if let Some(choice) = &node.choice {
        return choice
            .branches
            .iter()
            .filter(|&&b| !arena.node(b).sat.is_empty())
            .map(|&b| arena.node(b).height)
            .min()
            .unwrap_or(u32::MAX);
    }
    if node.enumeration.is_some() || node.sat.has(Types(1 | 2 | 4 | 8 | 16)) {
        return 0;
    }
    let mut best = u32::MAX;
    if node.sat.has(Types::ARRAY) {
        let h = match &node.array {
            Some(a) if a.min > 0 => {
                let min = a.min as usize;
                let mut h = a
                    .prefix
                    .iter()
                    .take(min)
                    .map(|&n| arena.node(n).height)
                    .max()
                    .unwrap_or(0);
                if min > a.prefix.len()
                    && let Some(items) = a.items
                {
                    h = h.max(arena.node(items).height);
                }
                h.saturating_add(1)
            }
            _ => 1,
        };
        best = best.min(h);
    }
    if node.sat.has(Types::OBJECT) {
        let h = node.object.as_ref().map_or(0, |o| {
            o.props
                .iter()
                .filter(|p| p.required)
                .map(|p| arena.node(p.node).height)
                .max()
                .unwrap_or(0)
        });
        best = best.min(h.saturating_add(1));
    }
    best
}

pub(crate) fn analyze(arena: &mut Arena, first_new: usize) {
    coherence::finalize_objects(arena, first_new);
    let end = arena.nodes.len();
    for i in first_new..end {
        if let Some(values) = arena.nodes[i].enumeration.take() {
            let kept: Vec<_> = values
                .into_iter()
                .filter(|v| check::matches(arena, i as NodeId, v))
                .collect();
            arena.nodes[i].enumeration = Some(kept);
        }
    }
    for i in first_new..end {
        if let Some(mut meta) = arena.nodes[i].meta.take() {
            let examples = std::mem::take(&mut meta.examples);
            arena.nodes[i].meta = Some(meta);
            let kept: Vec<_> = examples
                .into_iter()
                .filter(|v| check::matches(arena, i as NodeId, v))
                .collect();
            if let Some(meta) = arena.nodes[i].meta.as_mut() {
                meta.examples = kept;
            }
        }
    }
    let local: Vec<Types> = (first_new..end)
        .map(|i| local_types(arena, &arena.nodes[i]).0)
        .collect();
    // Least fixpoint: a node is satisfiable once what it needs is.
    for _ in 0..10_000 {
        let mut changed = false;
        for i in first_new..end {
            let t = sat_of(arena, i, local[i - first_new]);
            if t != arena.nodes[i].sat {
                arena.nodes[i].sat = t;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for _ in 0..10_000 {
        let mut changed = false;
        for i in first_new..end {
            let h = height_of(arena, i);
            if h < arena.nodes[i].height {
                arena.nodes[i].height = h;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    states::plan(arena, first_new);
}

/// Why a node is unsatisfiable: the deepest culprit's pointer and reason.
pub(crate) fn explain(arena: &Arena, id: NodeId) -> (String, String) {
    let mut seen = Vec::new();
    explain_inner(arena, id, &mut seen)
}

fn explain_inner(arena: &Arena, id: NodeId, seen: &mut Vec<NodeId>) -> (String, String) {
    let node = arena.node(id);
    let here = crate::pointer::display_pointer(&node.ptr);
    if seen.contains(&id) || seen.len() > 64 {
        return (
            here,
            "a required property or item recurses without end, so no finite value exists"
                .to_owned(),
        );
    }
    seen.push(id);
    let (local, reason) = local_types(arena, node);
    if local.is_empty() {
        return (here, reason.unwrap_or_default());
    }
    if let Some(choice) = &node.choice {
        if let Some(&b) = choice.branches.first() {
            let (p, r) = explain_inner(arena, b, seen);
            return (
                p,
                format!("no oneOf/anyOf branch can be satisfied; the first fails because {r}"),
            );
        }
        return (here, "the oneOf/anyOf has no branches".to_owned());
    }
    if let Some(o) = &node.object
        && local.has(Types::OBJECT)
        && let Some(p) = o
            .props
            .iter()
            .find(|p| p.required && arena.node(p.node).sat.is_empty())
    {
        return explain_inner(arena, p.node, seen);
    }
    if let Some(a) = &node.array
        && local.has(Types::ARRAY)
        && let Some(items) = a.items.filter(|&n| arena.node(n).sat.is_empty())
    {
        return explain_inner(arena, items, seen);
    }
    (
        here,
        reason.unwrap_or_else(|| "no value satisfies every keyword".to_owned()),
    )
}
