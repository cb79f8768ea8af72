//! The model-driven chain: create → read → update → read → list → actions
//! → delete → read on one resource, with the state oracles
//! (`created-readable`, `update-visible`, `listing`, `deleted-gone`).
//!
//! Each stage after the create is a flag the shrinker can clear, so a
//! failure is reported with the shortest chain that still shows it. An
//! oracle fails only on what the document says: a read that documents a
//! 2xx, a field the read's schema names, a delete read back where the read
//! documents 404 or 410 (otherwise the run notes it as unsure).

use serde_json::Value;

use super::{Ctx, Done, Resource};
use crate::Check;
use crate::checks::{Draft, Expect, body_value};
use crate::client::{Auth, Exchange, Request};
use crate::links::Kind;
use crate::model::{encode, scalar};

/// Which stages of a chain run; the shrinker switches them off.
#[derive(Debug, Clone)]
pub(super) struct Chain {
    pub(super) c: usize,
    pub(super) body: Option<Value>,
    pub(super) read: bool,
    pub(super) update: Option<Option<Value>>,
    pub(super) list: bool,
    pub(super) act: bool,
    pub(super) delete: bool,
}

/// What a played chain did, for the sequences summary.
pub(super) struct Outcome {
    /// The stages that completed with a 2xx, `create→read→…`.
    pub(super) stages: Vec<&'static str>,
    /// Create bodies the target refused before one was accepted (or all).
    pub(super) rejected: u32,
    /// A delete that could not be judged, and why.
    pub(super) unsure: Option<String>,
}

fn ok(status: Option<u16>) -> bool {
    status.is_some_and(|s| (200..300).contains(&s))
}

impl Ctx {
    /// Plays one chain; appends what it sent to `done` and what went wrong
    /// to `drafts`; returns the resource it created, if any.
    pub(super) async fn chain(
        &self,
        chain: &Chain,
        base: &[(String, String)],
        drafts: &mut Vec<Draft>,
        done: &mut Vec<Done>,
        vars: &mut usize,
    ) -> (Option<Resource>, Outcome) {
        let mut outcome = Outcome {
            stages: Vec::new(),
            rejected: 0,
            unsure: None,
        };
        // A nested collection needs its parent first: create one, as a
        // person would, and use its id.
        let mut base = base.to_vec();
        for (param, id) in self
            .parents(chain.c, &base, drafts, done, vars, &mut outcome)
            .await
        {
            base.retain(|(n, _)| *n != param);
            base.push((param, id));
        }
        let base = base.as_slice();
        let created = self
            .create(
                chain.c,
                chain.body.clone(),
                base,
                drafts,
                done,
                &mut outcome,
            )
            .await;
        let Some((id, value, sent_body)) = created else {
            return (None, outcome);
        };
        *vars += 1;
        let var = *vars;
        if let Some(last) = done.last_mut() {
            last.defines = Some(var);
        }
        outcome.stages.push("create");
        let creator = &self.creators[chain.c];
        let mut resource = Resource {
            c: chain.c,
            var,
            id: id.clone(),
            last: value.clone(),
        };
        // Fields the create request sent and the response echoed unchanged:
        // the target keeps those, so a read must agree on them.
        let mut expected = echoed(sent_body.as_ref(), &value);
        let target = |kind: Kind| creator.targets.iter().find(|t| t.kind == kind);
        let read = target(Kind::Read);

        if chain.read
            && let Some(read) = read
            && !self
                .read_check(
                    read.op,
                    &read.param,
                    &resource,
                    base,
                    &expected,
                    Check::CreatedReadable,
                    "created",
                    drafts,
                    done,
                )
                .await
        {
            return (Some(resource), outcome);
        }
        if chain.read && read.is_some() {
            outcome.stages.push("read");
        }

        if let (Some(body), Some(update)) = (&chain.update, target(Kind::Update)) {
            let (status, reply) = self
                .act_on(
                    update.op,
                    &update.param,
                    &resource,
                    base,
                    body.clone(),
                    drafts,
                    done,
                )
                .await;
            if ok(status) {
                outcome.stages.push("update");
                let sent = self.input_for(update.op, &[], body.clone()).body;
                let changed = match &reply {
                    Some(v) if v.is_object() => echoed(sent.as_ref(), v),
                    // No body back: trust only fields the create echoed.
                    _ => echoed(sent.as_ref(), &value)
                        .into_iter()
                        .filter(|(k, _)| expected.iter().any(|(e, _)| e == k))
                        .collect(),
                };
                if let Some(v) = reply.filter(|v| v.get(&creator.id_field).is_some()) {
                    resource.last = v;
                }
                // A field the update sent but the reply did not echo as sent
                // may have been merged (JSON Merge Patch), normalized or
                // refused: its value is unknown now, so it is not checked.
                if let Some(Value::Object(sent)) = sent.as_ref() {
                    expected.retain(|(e, _)| {
                        !sent.contains_key(e) || changed.iter().any(|(k, _)| k == e)
                    });
                }
                for (k, v) in changed {
                    expected.retain(|(e, _)| *e != k);
                    expected.push((k, v));
                }
                if let Some(read) = read {
                    if !self
                        .read_check(
                            read.op,
                            &read.param,
                            &resource,
                            base,
                            &expected,
                            Check::UpdateVisible,
                            "updated",
                            drafts,
                            done,
                        )
                        .await
                    {
                        return (Some(resource), outcome);
                    }
                    outcome.stages.push("read");
                }
            }
        }

        if chain.list && creator.listing.is_some() {
            let before = drafts.len();
            self.listed(chain.c, &id, base, drafts, done).await;
            if drafts[before..].iter().any(|d| d.check == Check::Listing) {
                return (Some(resource), outcome);
            }
            outcome.stages.push("list");
        }

        if chain.act {
            // What the member holds, in the order a person would try it:
            // actions that add or change, then reads of what belongs to it,
            // then actions that remove.
            let removes = |t: &&crate::links::Target| {
                self.spec.operations()[t.op]
                    .method
                    .eq_ignore_ascii_case("delete")
            };
            let order = creator
                .targets
                .iter()
                .filter(|t| t.kind == Kind::Action && !removes(t))
                .chain(creator.targets.iter().filter(|t| t.kind == Kind::Related))
                .chain(
                    creator
                        .targets
                        .iter()
                        .filter(|t| t.kind == Kind::Action && removes(t)),
                );
            for t in order {
                // Guarded actions move the member through its lifecycle:
                // they are the act steps' business (a refusal is an oracle
                // of its own), on members the chain leaves as created.
                if t.guard != crate::links::Guard::Always {
                    continue;
                }
                let (status, reply) = self
                    .act_on(t.op, &t.param, &resource, base, None, drafts, done)
                    .await;
                if ok(status) {
                    outcome.stages.push("act");
                }
                // The member's new state decides which action is allowed next.
                if let Some(v) = reply
                    .filter(|v| v.get(&creator.id_field).map(scalar).as_ref() == Some(&resource.id))
                {
                    resource.last = v;
                }
            }
        }

        if chain.delete
            && let Some(delete) = target(Kind::Delete)
        {
            let (status, _) = self
                .act_on(
                    delete.op,
                    &delete.param,
                    &resource,
                    base,
                    None,
                    drafts,
                    done,
                )
                .await;
            if !ok(status) {
                return (Some(resource), outcome);
            }
            outcome.stages.push("delete");
            let Some(read) = read else {
                return (None, outcome);
            };
            let rop = &self.spec.operations()[read.op];
            let gone_documented = [404u16, 410].iter().any(|&s| {
                rop.response(s)
                    .is_some_and(|r| r.status == decoy_spec::StatusKey::Code(s))
            });
            self.ran(read.op, Check::DeletedGone);
            let (sent, request) = self
                .send_on(read.op, &read.param, &resource, base, None, drafts)
                .await;
            let status = sent.as_ref().ok().map(|e| e.status);
            push(done, read.op, request, status, &resource);
            if ok(status) && self.config.enabled(Check::DeletedGone) {
                let (rname, dname) = (&self.models[read.op].name, &self.models[delete.op].name);
                if gone_documented {
                    let mut d = Draft::new(
                        Check::DeletedGone,
                        dname,
                        rname,
                        format!(
                            "{rname} still answers {} for {id} after {dname} succeeded; expected 404 or 410",
                            status.unwrap_or_default()
                        ),
                    );
                    d.status = status;
                    d.body = sent.as_ref().ok().and_then(|e| body_value(&e.body));
                    drafts.push(d);
                    return (None, outcome);
                }
                outcome.unsure = Some(format!(
                    "{rname} answered {} after {dname}; it documents no 404 or 410, so whether the delete took is unsure",
                    status.unwrap_or_default()
                ));
            }
            outcome.stages.push("read");
            return (None, outcome);
        }
        (Some(resource), outcome)
    }

    /// Creates one member with creator `c`: `body`, then the document's
    /// examples, then bodies generated from other seeds, until the target
    /// accepts one. Returns its id, the response and the body sent.
    async fn create(
        &self,
        c: usize,
        body: Option<Value>,
        base: &[(String, String)],
        drafts: &mut Vec<Draft>,
        done: &mut Vec<Done>,
        outcome: &mut Outcome,
    ) -> Option<(String, Value, Option<Value>)> {
        let creator = &self.creators[c];
        let op = creator.op;
        let mut bodies: Vec<Option<Value>> = vec![body];
        bodies.extend(self.examples(op).into_iter().map(Some));
        if let Some(plan) = self.models[op].body.as_ref().and_then(|b| b.plan.as_ref()) {
            bodies.extend((1..4).filter_map(|s| plan.generate(s).ok()).map(Some));
        }
        for body in bodies {
            let input = self.input_for(op, base, body.clone());
            let request = self.models[op].request(&input, Auth::Configured);
            let (sent, mut d) = self.exchange(op, &request, &Expect::Valid).await;
            drafts.append(&mut d);
            let status = sent.as_ref().ok().map(|e| e.status);
            done.push(Done {
                op,
                request,
                status,
                defines: None,
                uses: None,
            });
            match sent {
                Ok(ex) if ok(Some(ex.status)) => {
                    let value = body_value(&ex.body).unwrap_or(Value::Null);
                    let id = value.get(&creator.id_field).map(scalar)?;
                    return Some((id, value, body));
                }
                Ok(ex) if (400..500).contains(&ex.status) => outcome.rejected += 1,
                _ => return None,
            }
        }
        None
    }

    /// Ids for the path parameters of creator `c` that another creator's
    /// members fill (`libraryId` for `PUT /libraries/{libraryId}/shelves/{code}`):
    /// one member of each such parent, created now.
    async fn parents(
        &self,
        c: usize,
        base: &[(String, String)],
        drafts: &mut Vec<Draft>,
        done: &mut Vec<Done>,
        vars: &mut usize,
        outcome: &mut Outcome,
    ) -> Vec<(String, String)> {
        let op = self.creators[c].op;
        let own: Vec<&str> = self.creators[c]
            .targets
            .iter()
            .map(|t| t.param.as_str())
            .collect();
        let mut out = Vec::new();
        for p in self.models[op]
            .params
            .iter()
            .filter(|p| p.location == decoy_spec::ParameterLocation::Path)
        {
            if own.contains(&p.name.as_str()) {
                continue;
            }
            // The parent: a creator whose members this parameter names, and
            // whose own path does not need it.
            let parent = self.creators.iter().position(|other| {
                other.targets.iter().any(|t| t.param == p.name)
                    && !self.models[other.op].params.iter().any(|q| {
                        q.location == decoy_spec::ParameterLocation::Path && q.name == p.name
                    })
            });
            let Some(parent) = parent.filter(|&x| x != c) else {
                continue;
            };
            if let Some((id, _, _)) = self.create(parent, None, base, drafts, done, outcome).await {
                *vars += 1;
                if let Some(last) = done.last_mut() {
                    last.defines = Some(*vars);
                }
                out.push((p.name.clone(), id));
            }
        }
        out
    }

    /// Reads the resource back; a 404/410 where the read documents a 2xx,
    /// or a documented field that disagrees with `expected`, is a finding
    /// of `check`. Returns false when one was found.
    #[allow(clippy::too_many_arguments)]
    async fn read_check(
        &self,
        op: usize,
        param: &str,
        resource: &Resource,
        base: &[(String, String)],
        expected: &[(String, Value)],
        check: Check,
        what: &str,
        drafts: &mut Vec<Draft>,
        done: &mut Vec<Done>,
    ) -> bool {
        self.ran(op, check);
        let (sent, request) = self.send_on(op, param, resource, base, None, drafts).await;
        let status = sent.as_ref().ok().map(|e| e.status);
        push(done, op, request, status, resource);
        if !self.config.enabled(check) {
            return true;
        }
        let Ok(ex) = sent else { return true };
        let rname = &self.models[op].name;
        let cname = &self.models[self.creators[resource.c].op].name;
        let documents_2xx = self.spec.operations()[op]
            .responses
            .iter()
            .any(|r| r.status.to_string().starts_with('2'));
        let id = &resource.id;
        if matches!(ex.status, 404 | 410) && documents_2xx {
            let mut d = Draft::new(
                check,
                rname,
                "gone",
                format!(
                    "{rname} answers {} for {id}, which {cname} {what} successfully",
                    ex.status
                ),
            );
            d.status = Some(ex.status);
            d.body = body_value(&ex.body);
            drafts.push(d);
            return false;
        }
        if !ok(Some(ex.status)) {
            return true;
        }
        let Some(got) = body_value(&ex.body) else {
            return true;
        };
        for (field, want) in expected {
            if !self.documents_field(op, ex.status, field) {
                continue;
            }
            let have = got.get(field);
            if have != Some(want) {
                let mut d = Draft::new(
                    check,
                    rname,
                    field,
                    format!(
                        "{rname} of {id} has {field} = {}, but it was {what} as {want}",
                        have.map_or("nothing".to_owned(), Value::to_string)
                    ),
                );
                d.status = Some(ex.status);
                d.body = Some(got);
                drafts.push(d);
                return false;
            }
        }
        true
    }

    /// Whether the JSON schema of `op`'s `status` response names `field`
    /// among its properties (through `$ref` and `allOf`).
    fn documents_field(&self, op: usize, status: u16, field: &str) -> bool {
        let Some(pointer) = self.spec.operations()[op]
            .response(status)
            .and_then(|r| r.content.iter().find(|m| m.is_json()))
            .and_then(|m| m.schema.clone())
        else {
            return false;
        };
        let Ok((schema, _)) = self.spec.resolve(&pointer) else {
            return false;
        };
        names(self.spec.document(), schema, field, 0)
    }

    async fn send_on(
        &self,
        op: usize,
        param: &str,
        resource: &Resource,
        base: &[(String, String)],
        body: Option<Value>,
        drafts: &mut Vec<Draft>,
    ) -> (Result<Exchange, crate::client::Failure>, Request) {
        let mut path = base.to_vec();
        path.retain(|(n, _)| n != param);
        path.push((param.to_owned(), resource.id.clone()));
        let input = self.input_for(op, &path, body);
        let request = self.models[op].request(&input, Auth::Configured);
        let (sent, mut d) = self.exchange(op, &request, &Expect::Valid).await;
        drafts.append(&mut d);
        (sent, request)
    }

    /// Sends `op` on the resource (its response checked like any other);
    /// returns its status and JSON body.
    #[allow(clippy::too_many_arguments)]
    async fn act_on(
        &self,
        op: usize,
        param: &str,
        resource: &Resource,
        base: &[(String, String)],
        body: Option<Value>,
        drafts: &mut Vec<Draft>,
        done: &mut Vec<Done>,
    ) -> (Option<u16>, Option<Value>) {
        let (sent, request) = self.send_on(op, param, resource, base, body, drafts).await;
        let status = sent.as_ref().ok().map(|e| e.status);
        push(done, op, request, status, resource);
        (
            status,
            sent.ok().and_then(|e| serde_json::from_slice(&e.body).ok()),
        )
    }
}

fn push(done: &mut Vec<Done>, op: usize, request: Request, status: Option<u16>, r: &Resource) {
    done.push(Done {
        op,
        request,
        status,
        defines: None,
        uses: Some((r.var, encode(&r.id))),
    });
}

/// Top-level fields of `sent` that `reply` echoes with the same value.
fn echoed(sent: Option<&Value>, reply: &Value) -> Vec<(String, Value)> {
    let Some(Value::Object(sent)) = sent else {
        return Vec::new();
    };
    sent.iter()
        .filter(|(k, v)| reply.get(k.as_str()) == Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Whether `schema` (or an `allOf` part) declares property `field`.
fn names(doc: &Value, schema: &Value, field: &str, depth: u8) -> bool {
    let schema = decoy_spec::refs::deref(doc, schema);
    if depth > 8 {
        return false;
    }
    schema
        .get("properties")
        .is_some_and(|p| p.get(field).is_some())
        || schema
            .get("allOf")
            .and_then(Value::as_array)
            .is_some_and(|parts| parts.iter().any(|s| names(doc, s, field, depth + 1)))
}
