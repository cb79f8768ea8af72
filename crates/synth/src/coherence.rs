//! The coherence rules of objects, settled once their property nodes exist:
//! which properties count (`x-decoy-counter`, or an integer named `index`),
//! measure a span (`x-decoy-duration`), follow a template
//! (`x-decoy-template`), and which date-times keep an order (the
//! `x-decoy-timeline`, else the lifecycle rule on names).

use crate::format::Format;
use crate::ir::{Arena, Prop, Types};
use crate::realism;

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
