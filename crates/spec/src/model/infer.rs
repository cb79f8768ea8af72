//! Building the model: extensions parsed, resources and roles inferred.
//!
//! Resources, strongest source first:
//! 1. `x-decoy-state` hints (`create.collection`, `list`, `transition`).
//! 2. OpenAPI `links` on a create's response (`$response.body#/id`).
//! 3. Paths and schemas: a POST whose 2xx JSON body has an `id` creates a
//!    member of its path's collection (or of its path without a trailing
//!    literal, as in `/orders/{id}/refunds/partial`); an operation under
//!    `{collection}/{param}` acts on a member; a GET whose 2xx body is (or
//!    holds) an array of the created schema lists the collection. Item
//!    paths no create reaches (`/users/{id}` with only a GET) are resources
//!    too, so every operation on a member has a role.

use serde_json::Value;

use super::{Act, Guard, Kind, Lifecycle, Link, Listing, Model, OperationModel, Resource, Rules};
use crate::error::Problem;
use crate::index::{OpId, Operation, StatusKey};
use crate::pointer;
use crate::refs;

/// Finished states: an action on a resource in one of them is refused,
/// unless the document says otherwise with an `x-decoy-state` `when`.
pub const TERMINAL_STATES: &[&str] = &[
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

/// How many `$ref`s and `allOf` parts a schema is followed through.
const SCHEMA_PARTS: usize = 16;

pub(crate) fn build(doc: &Value, ops: &[Operation], problems: &mut Vec<Problem>) -> Model {
    let ids: Vec<OpId> = (0..ops.len()).map(OpId).collect();
    let mut operations: Vec<OperationModel> = ops
        .iter()
        .map(|op| {
            let raw = doc.pointer(&op.pointer).unwrap_or(&Value::Null);
            let rules = Rules::read(raw, &op.pointer).unwrap_or_else(|p| {
                problems.push(p);
                Rules::default()
            });
            OperationModel {
                rules,
                ..OperationModel::default()
            }
        })
        .collect();
    for &k in &ids {
        operations[k.0].parent = parent_of(ops, &ids, k, &operations[k.0].rules, problems);
    }
    let links = links(doc, ops, &ids);
    let mut resources = created(doc, ops, &ids, &operations, &links);
    members(doc, ops, &ids, &mut resources);
    for &k in &ids {
        let m = &mut operations[k.0];
        let creates = resources.iter().position(|r| r.creates.contains(&k));
        // The deepest resource an operation takes an id of is the one it
        // is about (`/libraries/{l}/shelves/{s}` is a shelf, not a library).
        let acts = resources
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i, r.acts.iter().find(|a| a.op == k)?)))
            .max_by_key(|(i, _)| resources[*i].collection.len());
        let lists = resources
            .iter()
            .position(|r| r.listing.as_ref().is_some_and(|l| l.op == k));
        (m.kind, m.resource) = match (creates, lists, acts) {
            (Some(r), _, _) => (Kind::Create, Some(r)),
            (None, Some(r), _) => (Kind::List, Some(r)),
            (None, None, Some((r, act))) => (role(&ops[k.0], &act.param), Some(r)),
            (None, None, None) => (Kind::Other, None),
        };
    }
    Model {
        operations,
        resources,
        links,
    }
}

/// The role of an operation that takes a member's id in `param`.
pub(super) fn role(op: &Operation, param: &str) -> Kind {
    let on_member = op.path.ends_with(&format!("{{{param}}}"));
    match (op.method.as_str(), on_member) {
        ("GET", true) => Kind::Read,
        // POST on a member is an update in many APIs (Twilio, form-based
        // ones): `POST /pets/{id}` "updates a pet with form data".
        ("PUT" | "PATCH" | "POST", true) => Kind::Update,
        ("DELETE", true) => Kind::Delete,
        ("GET" | "HEAD", false) => Kind::Related,
        _ => Kind::Action,
    }
}

/// `x-decoy-parent`, else the `GET` whose path is the longest proper prefix
/// of `k`'s at a segment boundary.
fn parent_of(
    ops: &[Operation],
    ids: &[OpId],
    k: OpId,
    rules: &Rules,
    problems: &mut Vec<Problem>,
) -> Option<OpId> {
    match &rules.parent {
        Some(None) => None,
        Some(Some(name)) => {
            let found = ids
                .iter()
                .copied()
                .find(|&p| ops[p.0].id.as_deref() == Some(name) && p != k);
            if found.is_none() {
                problems.push(Problem::error(
                    pointer::push(&ops[k.0].pointer, "x-decoy-parent"),
                    format!("no other operation has operationId `{name}`"),
                ));
            }
            found
        }
        None => {
            let path = &ops[k.0].path;
            ids.iter()
                .copied()
                .filter(|&p| ops[p.0].method == "GET" && ops[p.0].path.len() < path.len())
                .filter(|&p| {
                    let o = &ops[p.0].path;
                    path.starts_with(o.as_str()) && path.as_bytes().get(o.len()) == Some(&b'/')
                })
                .max_by_key(|&p| ops[p.0].path.len())
        }
    }
}

/// Every OpenAPI link of every operation's responses.
fn links(doc: &Value, ops: &[Operation], ids: &[OpId]) -> Vec<Link> {
    let mut out = Vec::new();
    for &from in ids {
        for r in &ops[from.0].responses {
            let Some(links) = doc
                .pointer(&format!("{}/links", r.pointer))
                .and_then(Value::as_object)
            else {
                continue;
            };
            for link in links.values() {
                let link = refs::follow(doc, link, "").map(|(v, _)| v).unwrap_or(link);
                let Some(name) = link.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let Some(&to) = ids.iter().find(|&&t| ops[t.0].id.as_deref() == Some(name)) else {
                    continue;
                };
                for (parameter, expr) in link
                    .get("parameters")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    if let Some(expression) = expr.as_str() {
                        out.push(Link {
                            from,
                            status: r.status.to_string(),
                            to,
                            parameter: parameter.clone(),
                            expression: expression.to_owned(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// Resources that some operation creates.
fn created(
    doc: &Value,
    ops: &[Operation],
    ids: &[OpId],
    model: &[OperationModel],
    links: &[Link],
) -> Vec<Resource> {
    let mut resources: Vec<Resource> = Vec::new();
    for &c in ids {
        let op = &ops[c.0];
        if op.method != "POST" {
            continue;
        }
        let hinted = model[c.0]
            .rules
            .create
            .as_ref()
            .map(|h| h.collection.0.clone());
        let schema = success_schema(op);
        let mut collections: Vec<String> = Vec::new();
        // A POST to a member's own path (`POST /users/{id}`) changes that
        // member; only a hint makes it a create. (`POST /kinds/{kind}` with
        // `/kinds/{kind}/{id}` below it is a collection of its own.)
        let members_below = ids
            .iter()
            .any(|&t| ops[t.0].path.starts_with(&format!("{}/{{", op.path)));
        let on_member = op.path.ends_with('}') && !members_below;
        if let Some(h) = &hinted {
            collections.push(h.clone());
        } else if !on_member && (schema.is_some_and(|s| has_id(doc, s)) || members_below) {
            collections.push(op.path.clone());
            if let Some((parent, last)) = op.path.rsplit_once('/')
                && !last.starts_with('{')
                && !parent.is_empty()
                && !answers_otherwise(doc, ops, ids, parent, schema)
            {
                collections.push(parent.to_owned());
            }
        }
        let mut acts: Vec<Act> = Vec::new();
        for l in links.iter().filter(|l| l.from == c) {
            if l.expression == "$response.body#/id" {
                let param = l.parameter.trim_start_matches("path.");
                acts.push(act(doc, ops, model, l.to, param));
            }
        }
        // Acts the document links to are kept whatever their path.
        let linked = acts.len();
        let own = params(&op.path);
        for col in &collections {
            let prefix = format!("{col}/{{");
            for &t in ids {
                let Some(rest) = ops[t.0].path.strip_prefix(&prefix) else {
                    continue;
                };
                let Some(param) = rest.split('}').next() else {
                    continue;
                };
                if own.contains(&param) || acts.iter().any(|a| a.op == t) {
                    continue;
                }
                acts.push(act(doc, ops, model, t, param));
            }
        }
        if acts.is_empty() && collections.is_empty() {
            continue;
        }
        let listing = listing(doc, ops, ids, model, op, collections.first(), schema);
        if acts.is_empty() && listing.is_none() {
            continue;
        }
        // Of the candidates, the one whose members some operation addresses.
        let collection = collections
            .iter()
            .find(|col| {
                acts.iter()
                    .any(|a| ops[a.op.0].path.starts_with(&format!("{col}/{{")))
            })
            .or(collections.first())
            .cloned()
            .unwrap_or_else(|| op.path.clone());
        // Members of the other candidate are not this resource's: `POST
        // /eval/run` makes runs, and `/eval/{id}` stays the evals' own.
        let member_prefix = format!("{collection}/{{");
        let mut i = 0;
        acts.retain(|a| {
            i += 1;
            i <= linked || ops[a.op.0].path.starts_with(&member_prefix)
        });
        if let Some(r) = resources.iter_mut().find(|r| r.collection == collection) {
            r.creates.push(c);
            for a in acts {
                if !r.acts.iter().any(|x| x.op == a.op) {
                    r.acts.push(a);
                }
            }
            r.listing = r.listing.take().or(listing);
            continue;
        }
        let id_param = acts.first().map(|a| a.param.clone());
        let lifecycle = schema.and_then(|s| lifecycle(doc, s));
        resources.push(Resource {
            id_field: schema.and_then(|s| id_field(doc, s, id_param.as_deref())),
            collection,
            id_param,
            schema: schema.map(str::to_owned),
            creates: vec![c],
            listing,
            acts,
            lifecycle,
            hinted: hinted.is_some(),
        });
    }
    // An operation that acts on a member is not itself a create, even when
    // its body has an `id` (completing a transfer returns it).
    let acting: Vec<OpId> = resources
        .iter()
        .flat_map(|r| r.acts.iter().map(|a| a.op))
        .collect();
    for r in &mut resources {
        r.creates.retain(|c| !acting.contains(c));
    }
    resources.retain(|r| !r.creates.is_empty());
    resources
}

/// Item paths no create reaches: `/users/{id}` with only a GET, or a
/// nested `/libraries/{l}/shelves/{code}` filled by PUT, is still a
/// collection of members.
fn members(doc: &Value, ops: &[Operation], ids: &[OpId], resources: &mut Vec<Resource>) {
    for &k in ids {
        let path = &ops[k.0].path;
        let Some((collection, last)) = path.rsplit_once('/') else {
            continue;
        };
        let Some(param) = last.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            continue;
        };
        if param.contains(['{', '}']) || resources.iter().any(|r| r.collection == collection) {
            continue;
        }
        let item = path.clone();
        let acts: Vec<Act> = ids
            .iter()
            .copied()
            .filter(|&t| {
                let p = &ops[t.0].path;
                p == &item || p.starts_with(&format!("{item}/"))
            })
            .map(|t| Act {
                op: t,
                param: param.to_owned(),
                guard: Guard::Always,
                spawns: None,
            })
            .collect();
        let schema = ids
            .iter()
            .find(|&&t| ops[t.0].path == item && ops[t.0].method == "GET")
            .and_then(|&t| success_schema(&ops[t.0]));
        let listing = ids
            .iter()
            .copied()
            .filter(|_| !collection.is_empty())
            .find(|&t| ops[t.0].path == collection && ops[t.0].method == "GET")
            .and_then(|op| {
                let array = array_of(doc, success_schema(&ops[op.0])?, schema)?;
                Some(Listing { op, array })
            });
        resources.push(Resource {
            collection: collection.to_owned(),
            id_field: schema.and_then(|s| id_field(doc, s, Some(param))),
            id_param: Some(param.to_owned()),
            schema: schema.map(str::to_owned),
            creates: Vec::new(),
            listing,
            acts,
            lifecycle: schema.and_then(|s| lifecycle(doc, s)),
            hinted: false,
        });
    }
}

/// Where a listing's body holds its items: the body itself when it is an
/// array, else its one array property (the one holding `member`, if known).
fn array_of(doc: &Value, listing: &str, member: Option<&str>) -> Option<String> {
    let made = member.map(|m| parts_of(doc, m)).unwrap_or_default();
    let mut arrays = Vec::new();
    for part in parts_of(doc, listing) {
        let v = doc.pointer(&part)?;
        if v.get("type").and_then(Value::as_str) == Some("array") || v.get("items").is_some() {
            return Some(String::new());
        }
        for (name, prop) in v
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let prop = refs::deref(doc, prop);
            if prop.get("type").and_then(Value::as_str) == Some("array")
                || prop.get("items").is_some()
            {
                let holds = items_ref(prop).is_some_and(|i| made.contains(&i));
                arrays.push((holds, pointer::push("", name)));
            }
        }
    }
    arrays.sort_by_key(|(holds, _)| !holds);
    match arrays.as_slice() {
        [(true, a), ..] | [(false, a)] => Some(a.clone()),
        _ => None,
    }
}

fn act(doc: &Value, ops: &[Operation], model: &[OperationModel], t: OpId, param: &str) -> Act {
    let op = &ops[t.0];
    let transition = model[t.0].rules.transition.as_ref();
    let guard = match transition {
        Some(tr) if !tr.when.is_empty() => tr.guard(),
        _ if op.method == "GET" => Guard::Always,
        _ => terminal_guard(doc, op),
    };
    Act {
        op: t,
        param: param.to_owned(),
        guard,
        spawns: transition.and_then(|t| t.next.as_ref().map(|n| n.into.clone())),
    }
}

/// Finished states named in the operation's 2xx `status` enum.
fn terminal_guard(doc: &Value, op: &Operation) -> Guard {
    match success_schema(op).and_then(|s| lifecycle(doc, s)) {
        Some(l) if !l.terminal.is_empty() => Guard::Terminal {
            field: l.field,
            states: l.terminal,
        },
        _ => Guard::Always,
    }
}

/// A `status` (or `state`) string enum of the schema.
fn lifecycle(doc: &Value, schema: &str) -> Option<Lifecycle> {
    let parts = parts_of(doc, schema);
    for field in ["status", "state"] {
        let states: Vec<String> = parts
            .iter()
            .filter_map(|p| {
                doc.pointer(&format!("{p}/properties/{field}/enum"))
                    .and_then(Value::as_array)
            })
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        if !states.is_empty() {
            let terminal = states
                .iter()
                .filter(|s| TERMINAL_STATES.contains(&s.as_str()))
                .cloned()
                .collect();
            return Some(Lifecycle {
                field: field.to_owned(),
                states,
                terminal,
            });
        }
    }
    None
}

/// The member property that holds the id: one named like the path
/// parameter (`username` for `{username}`), or like its last word (`code`
/// for `{shelfCode}`, `id` for `{pet_id}`), else `id`.
fn id_field(doc: &Value, schema: &str, param: Option<&str>) -> Option<String> {
    let parts = parts_of(doc, schema);
    let has = |name: &str| {
        parts.iter().any(|p| {
            doc.pointer(&pointer::push(&format!("{p}/properties"), name))
                .is_some()
        })
    };
    let mut names: Vec<String> = Vec::new();
    if let Some(p) = param {
        names.push(p.to_owned());
        let tail = match p.rfind(|c: char| c.is_ascii_uppercase() || c == '_' || c == '-') {
            Some(i) => p[i..].trim_start_matches(['_', '-']).to_ascii_lowercase(),
            None => p.to_ascii_lowercase(),
        };
        names.push(tail);
    }
    names.push("id".to_owned());
    names.into_iter().find(|n| !n.is_empty() && has(n))
}

/// Whether a POST beside `parent`'s members answers with something else than
/// a member (a preview, a search, a run: `POST /insights/preview` makes no
/// insight): its success schema differs from the member read's.
fn answers_otherwise(
    doc: &Value,
    ops: &[Operation],
    ids: &[OpId],
    parent: &str,
    schema: Option<&str>,
) -> bool {
    let prefix = format!("{parent}/{{");
    let read = ids.iter().map(|&t| &ops[t.0]).find(|o| {
        o.method == "GET"
            && o.path
                .strip_prefix(&prefix)
                .is_some_and(|rest| rest.ends_with('}') && !rest.contains('/'))
    });
    let (Some(read), Some(schema)) = (read.and_then(success_schema), schema) else {
        return false;
    };
    let resolved = |p: &str| doc.pointer(p).map(|v| crate::refs::deref(doc, v));
    match (resolved(read), resolved(schema)) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}

/// Path parameters of a template, in order.
fn params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// The 2xx JSON schema of an operation, as a pointer.
pub(crate) fn success_schema(op: &Operation) -> Option<&str> {
    op.responses
        .iter()
        .filter(|r| matches!(r.status, StatusKey::Code(200..=299) | StatusKey::Range(2)))
        .flat_map(|r| r.content.iter())
        .find(|m| m.is_json())
        .and_then(|m| m.schema.as_deref())
}

/// The schema at `pointer` and every part it is made of: `$ref` targets
/// and `allOf` members, followed to a bounded depth.
fn parts_of(doc: &Value, schema: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stack = vec![schema.to_owned()];
    while let Some(p) = stack.pop() {
        if out.len() > SCHEMA_PARTS || out.contains(&p) {
            continue;
        }
        let Some(v) = doc.pointer(&p) else { continue };
        out.push(p.clone());
        if let Some(r) = v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(pointer::from_ref)
        {
            stack.push(r);
        }
        if let Some(all) = v.get("allOf").and_then(Value::as_array) {
            stack.extend((0..all.len()).map(|i| format!("{p}/allOf/{i}")));
        }
    }
    out
}

/// `$ref` targets a schema is made of (through `allOf` parts).
fn refs_of(doc: &Value, schema: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stack = vec![schema.to_owned()];
    while let Some(p) = stack.pop() {
        if out.len() > SCHEMA_PARTS {
            break;
        }
        let Some(v) = doc.pointer(&p) else { continue };
        if let Some(r) = v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(pointer::from_ref)
            && !out.contains(&r)
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

fn has_id(doc: &Value, schema: &str) -> bool {
    id_field(doc, schema, None).is_some()
}

fn listing(
    doc: &Value,
    ops: &[Operation],
    ids: &[OpId],
    model: &[OperationModel],
    creator: &Operation,
    collection: Option<&String>,
    schema: Option<&str>,
) -> Option<Listing> {
    if let Some(col) = collection {
        for &l in ids {
            let Some(list) = &model[l.0].rules.list else {
                continue;
            };
            if &list.collection.0 == col {
                let into = &list.into;
                let array = if into.is_empty() || into.starts_with('/') {
                    into.clone()
                } else {
                    format!("/{into}")
                };
                return Some(Listing { op: l, array });
            }
        }
    }
    // A GET needing no more path parameters than the creator, whose 2xx
    // body holds an array of the created schema.
    let made = schema.map(|s| refs_of(doc, s)).unwrap_or_default();
    if made.is_empty() {
        // A create answering a shape the model cannot name (a `oneOf`): the
        // GET on the collection's own path, when its body is (or has one)
        // array, lists it.
        let col = collection?;
        let l = ids
            .iter()
            .copied()
            .find(|&l| ops[l.0].method == "GET" && ops[l.0].path == *col)?;
        let array = array_of(doc, success_schema(&ops[l.0])?, None)?;
        return Some(Listing { op: l, array });
    }
    let own = params(&creator.path);
    // The collection's own GET first, then the GETs that share most of the
    // creator's path: `/apps/{a}/guilds/{g}/commands` is listed by its own
    // GET, not by `/apps/{a}/commands`, nor by `/guilds/{g}`'s embedded array.
    let shared = |path: &str| {
        path.split('/')
            .zip(creator.path.split('/'))
            .take_while(|(a, b)| a == b)
            .count()
    };
    let mut candidates: Vec<OpId> = ids
        .iter()
        .copied()
        .filter(|&l| ops[l.0].method == "GET")
        .collect();
    candidates.sort_by_key(|&l| {
        let path = &ops[l.0].path;
        let own_path = collection.is_some_and(|c| c == path) || *path == creator.path;
        (!own_path, std::cmp::Reverse(shared(path)))
    });
    for l in candidates {
        let op = &ops[l.0];
        if !params(&op.path).iter().all(|p| own.contains(p)) {
            continue;
        }
        let Some(ls) = success_schema(op) else {
            continue;
        };
        for root in parts_of(doc, ls) {
            let Some(v) = doc.pointer(&root) else {
                continue;
            };
            if items_ref(v).is_some_and(|i| made.contains(&i)) {
                return Some(Listing {
                    op: l,
                    array: String::new(),
                });
            }
            for (name, prop) in v
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if items_ref(prop).is_some_and(|i| made.contains(&i)) {
                    return Some(Listing {
                        op: l,
                        array: pointer::push("", name),
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
        .and_then(pointer::from_ref)
}
