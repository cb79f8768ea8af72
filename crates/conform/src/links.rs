//! Which operation's output feeds which one's input, and what the document
//! says about the resources they share.
//!
//! Sources, strongest first:
//! 1. OpenAPI `links` on a response (`parameters: {transferId:
//!    $response.body#/id}`).
//! 2. decoy's `x-decoy-state` hints (`create.collection`, `list`, and
//!    `transition.when` guards), which the mock also obeys.
//! 3. Inference: a POST whose 2xx body has an `id` creates a resource in a
//!    collection (its path, or its path without a trailing literal such as
//!    `/blind`); an operation under `{collection}/{param}` acts on it; a GET
//!    whose body has an array of the created schema lists it.

use decoy_spec::{Operation, Spec};
use serde_json::Value;

/// An operation that creates resources others act on.
#[derive(Debug, Clone)]
pub(crate) struct Creator {
    pub(crate) op: usize,
    /// Operations that take the created id, and as which path parameter.
    pub(crate) targets: Vec<Target>,
    /// Where created resources are listed.
    pub(crate) listing: Option<Listing>,
}

#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) op: usize,
    pub(crate) param: String,
    /// When the action is allowed; otherwise it must be refused.
    pub(crate) guard: Guard,
    /// A response field holding a further resource the action started
    /// (`next_transfer`).
    pub(crate) spawns: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum Guard {
    /// From `x-decoy-state.transition.when`: allowed values per field.
    When(Vec<(String, Vec<Value>)>),
    /// Inferred: not allowed once `status` is one of these.
    Terminal(Vec<String>),
    /// Nothing known.
    None,
}

impl Guard {
    /// `Some(reason)` when the action must be refused on `resource`.
    pub(crate) fn forbids(&self, resource: &Value) -> Option<String> {
        match self {
            Guard::When(fields) => fields.iter().find_map(|(field, allowed)| {
                let v = resource.get(field)?;
                (!allowed.contains(v)).then(|| {
                    let allowed: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
                    format!("its {field} is {v}, and the document allows the action only when {field} is one of {}", allowed.join(", "))
                })
            }),
            Guard::Terminal(states) => {
                let s = resource.get("status")?.as_str()?;
                states
                    .iter()
                    .any(|t| t == s)
                    .then(|| format!("its status is \"{s}\", a finished state"))
            }
            Guard::None => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub(crate) op: usize,
    /// Pointer to the array in the listing's 2xx body (`/transfers`, or ``).
    pub(crate) array: String,
}

const TERMINAL: &[&str] = &[
    "completed",
    "complete",
    "failed",
    "cancelled",
    "canceled",
    "closed",
    "done",
    "ended",
    "expired",
    "rejected",
    "deleted",
    "finished",
];

fn state<'a>(spec: &'a Spec, op: &Operation) -> Option<&'a Value> {
    spec.get(&format!("{}/x-decoy-state", op.pointer))
}

/// Path parameters of a template, in order.
fn params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// The 2xx JSON schema of an operation, as a pointer.
fn success_schema(op: &Operation) -> Option<&str> {
    op.responses
        .iter()
        .filter(|r| {
            matches!(
                r.status,
                decoy_spec::StatusKey::Code(200..=299) | decoy_spec::StatusKey::Range(2)
            )
        })
        .flat_map(|r| r.content.iter())
        .find(|m| m.is_json())
        .and_then(|m| m.schema.as_deref())
}

/// `$ref` targets a schema is made of (itself, and its `allOf` parts).
fn refs_of(spec: &Spec, pointer: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![pointer.to_owned()];
    while let Some(p) = stack.pop() {
        if out.len() > 16 {
            break;
        }
        let Some(v) = spec.get(&p) else { continue };
        if let Some(r) = v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(decoy_spec::pointer::from_ref)
        {
            out.push(r.clone());
            stack.push(r);
        }
        if let Some(all) = v.get("allOf").and_then(Value::as_array) {
            for i in 0..all.len() {
                stack.push(format!("{p}/allOf/{i}"));
            }
        }
    }
    out
}

fn has_id(spec: &Spec, pointer: &str) -> bool {
    let mut ptrs = refs_of(spec, pointer);
    ptrs.push(pointer.to_owned());
    ptrs.iter()
        .any(|p| spec.get(&format!("{p}/properties/id")).is_some())
        || spec
            .get(pointer)
            .and_then(|v| v.get("allOf"))
            .and_then(Value::as_array)
            .is_some_and(|a| (0..a.len()).any(|i| has_id(spec, &format!("{pointer}/allOf/{i}"))))
}

pub(crate) fn infer(spec: &Spec) -> Vec<Creator> {
    let ops = spec.operations();
    let mut creators = Vec::new();
    for (ci, c) in ops.iter().enumerate() {
        if c.method != "POST" {
            continue;
        }
        let hinted = state(spec, c)
            .and_then(|s| s.pointer("/create/collection"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let schema = success_schema(c);
        let mut collections: Vec<String> = Vec::new();
        if let Some(h) = &hinted {
            collections.push(h.clone());
        } else if schema.is_some_and(|s| has_id(spec, s)) {
            collections.push(c.path.clone());
            if let Some((parent, last)) = c.path.rsplit_once('/')
                && !last.starts_with('{')
                && !parent.is_empty()
            {
                collections.push(parent.to_owned());
            }
        }
        let mut targets = Vec::new();
        // OpenAPI links: `$response.body#/id` into a parameter.
        for r in &c.responses {
            let Some(links) = spec
                .get(&format!("{}/links", r.pointer))
                .and_then(Value::as_object)
            else {
                continue;
            };
            for link in links.values() {
                let Some(tid) = link.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let Some(ti) = ops.iter().position(|o| o.id.as_deref() == Some(tid)) else {
                    continue;
                };
                for (param, expr) in link
                    .get("parameters")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    if expr.as_str() == Some("$response.body#/id") {
                        targets.push(target(spec, ti, param.trim_start_matches("path.")));
                    }
                }
            }
        }
        let own: Vec<&str> = params(&c.path);
        for col in &collections {
            let prefix = format!("{col}/{{");
            for (ti, t) in ops.iter().enumerate() {
                let Some(rest) = t.path.strip_prefix(&prefix) else {
                    continue;
                };
                let Some(param) = rest.split('}').next() else {
                    continue;
                };
                if own.contains(&param) || targets.iter().any(|x: &Target| x.op == ti) {
                    continue;
                }
                targets.push(target(spec, ti, param));
            }
        }
        if targets.is_empty() && collections.is_empty() {
            continue;
        }
        let listing = listing(spec, c, collections.first().map(String::as_str), schema);
        if targets.is_empty() && listing.is_none() {
            continue;
        }
        creators.push(Creator {
            op: ci,
            targets,
            listing,
        });
    }
    // An operation that acts on a created resource is not itself a create,
    // even when its body has an `id` (completing a transfer returns it).
    let acting: Vec<usize> = creators
        .iter()
        .flat_map(|c| c.targets.iter().map(|t| t.op))
        .collect();
    creators.retain(|c| !acting.contains(&c.op));
    creators
}

fn target(spec: &Spec, ti: usize, param: &str) -> Target {
    let op = &spec.operations()[ti];
    let transition = state(spec, op).and_then(|s| s.get("transition"));
    let guard = match transition
        .and_then(|t| t.get("when"))
        .and_then(Value::as_object)
    {
        Some(when) => Guard::When(
            when.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]),
                    )
                })
                .collect(),
        ),
        None if op.method == "GET" => Guard::None,
        None => terminal_guard(spec, op),
    };
    let spawns = transition
        .and_then(|t| t.pointer("/next/into"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Target {
        op: ti,
        param: param.to_owned(),
        guard,
        spawns,
    }
}

/// Finished states named in the target's `status` enum, if it has one.
fn terminal_guard(spec: &Spec, op: &Operation) -> Guard {
    let Some(schema) = success_schema(op) else {
        return Guard::None;
    };
    let mut ptrs = refs_of(spec, schema);
    ptrs.push(schema.to_owned());
    let states: Vec<String> = ptrs
        .iter()
        .filter_map(|p| {
            spec.get(&format!("{p}/properties/status/enum"))
                .and_then(Value::as_array)
        })
        .flatten()
        .filter_map(Value::as_str)
        .filter(|s| TERMINAL.contains(s))
        .map(str::to_owned)
        .collect();
    if states.is_empty() {
        Guard::None
    } else {
        Guard::Terminal(states)
    }
}

fn listing(
    spec: &Spec,
    creator: &Operation,
    collection: Option<&str>,
    schema: Option<&str>,
) -> Option<Listing> {
    let ops = spec.operations();
    if let Some(col) = collection {
        for (li, l) in ops.iter().enumerate() {
            let Some(list) = state(spec, l).and_then(|s| s.get("list")) else {
                continue;
            };
            if list.get("collection").and_then(Value::as_str) == Some(col) {
                let into = list.get("into").and_then(Value::as_str).unwrap_or("");
                let array = if into.is_empty() || into.starts_with('/') {
                    into.to_owned()
                } else {
                    format!("/{into}")
                };
                return Some(Listing { op: li, array });
            }
        }
    }
    // Inferred: a GET needing no more path parameters than the creator,
    // whose 2xx body holds an array of the created schema.
    let made = schema.map(|s| refs_of(spec, s)).unwrap_or_default();
    if made.is_empty() {
        return None;
    }
    let own = params(&creator.path);
    for (li, l) in ops.iter().enumerate() {
        if l.method != "GET" || !params(&l.path).iter().all(|p| own.contains(p)) {
            continue;
        }
        let Some(ls) = success_schema(l) else {
            continue;
        };
        let mut roots = refs_of(spec, ls);
        roots.push(ls.to_owned());
        for root in roots {
            let Some(v) = spec.get(&root) else { continue };
            if let Some(items) = items_ref(v)
                && made.contains(&items)
            {
                return Some(Listing {
                    op: li,
                    array: String::new(),
                });
            }
            for (name, prop) in v
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(items) = items_ref(prop)
                    && made.contains(&items)
                {
                    return Some(Listing {
                        op: li,
                        array: decoy_spec::pointer::push("", name),
                    });
                }
            }
        }
    }
    None
}

/// The pointer an array schema's `items: {$ref}` names, if it has one.
fn items_ref(schema: &Value) -> Option<String> {
    schema
        .get("items")
        .and_then(|i| i.get("$ref"))
        .and_then(Value::as_str)
        .and_then(decoy_spec::pointer::from_ref)
}
