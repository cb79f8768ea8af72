//! Answering inside the request's state: its namespace's store in memory,
//! or an optimistic transaction on Redis (see `crate::state`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use decoy_spec::OpId;
use decoy_spec::model::{Kind, Template};
use hyper::http::request::Parts;
use serde_json::{Value, json};

use super::App;
use super::prefer::Prefer;
use super::reply::Reply;
use crate::state::redis::{Commit, Unavailable};
use crate::state::{Backend, Need, TX, Tx, View};

/// Runs of one request on Redis before it gives up on contention.
const MAX_RUNS: usize = 100;

/// A valid request, ready to be answered.
pub(super) struct Request<'a> {
    pub(super) op_id: OpId,
    pub(super) params: &'a [(String, String)],
    pub(super) parts: &'a Parts,
    pub(super) body: &'a Value,
    pub(super) prefer: &'a Prefer,
}

impl App {
    /// The answer to a valid request, its state read and changed in
    /// `namespace` (`None`: the default one).
    pub(super) async fn answer_in(&self, namespace: Option<&str>, req: &Request<'_>) -> Reply {
        let answer = || self.answer(req.op_id, req.params, req.parts, req.body, req.prefer);
        let redis = match &self.state {
            Backend::Memory(m) => return TX.sync_scope(Tx::Memory(m.store(namespace)), answer),
            Backend::Redis(r) => r,
        };
        let mut needs = self.plan(req.op_id, req.params);
        let mut reserved = HashMap::new();
        for _ in 0..MAX_RUNS {
            let view = match redis.load(namespace, &needs, &mut reserved).await {
                Ok(v) => Arc::new(Mutex::new(v)),
                Err(e) => return unavailable(&e),
            };
            let reply = TX.sync_scope(Tx::View(view.clone()), answer);
            let view: View = match Arc::try_unwrap(view) {
                Ok(m) => m.into_inner().unwrap_or_else(|e| e.into_inner()),
                Err(_) => return unavailable(&Unavailable("a request's state leaked".into())),
            };
            let more: Vec<Need> = view
                .needs()
                .into_iter()
                .filter(|n| !needs.contains(n))
                .collect();
            if !more.is_empty() {
                needs.extend(more);
                continue;
            }
            if view.changes().is_empty() {
                return reply;
            }
            match redis
                .commit(namespace, &view, self.config.max_resources)
                .await
            {
                Ok(Commit::Done) => return reply,
                Ok(Commit::Conflict) => tokio::task::yield_now().await,
                Ok(Commit::Stale(more)) => needs.extend(more),
                // A commit is one script: applied whole or not at all, but
                // whether it ran before the connection failed is unknown.
                Err(e) => return unconfirmed(&e),
            }
        }
        unavailable(&Unavailable(format!(
            "the state changed under this request {MAX_RUNS} times; try again"
        )))
    }

    /// What a request will read, from the model: loaded up front so that
    /// most requests take one load and at most one commit.
    fn plan(&self, op_id: OpId, params: &[(String, String)]) -> Vec<Need> {
        let mut needs = Vec::new();
        if self.config.stateless {
            return needs;
        }
        let model = self.spec.model();
        if let Some(r) = model.resource_of(op_id).filter(|r| !r.hinted) {
            let key = Template::fill(&r.collection, params);
            let id = r
                .id_param
                .as_ref()
                .and_then(|p| params.iter().find(|(k, _)| k == p))
                .map(|(_, v)| v.clone());
            needs.push(Need::Scope(key.clone()));
            needs.push(match (model.operation(op_id).kind, id) {
                (Kind::List, _) => Need::Full(key),
                (Kind::Create, _) => Need::Reserve(key),
                (_, None) => Need::Meta(key),
                (_, Some(id)) => Need::Item(key, id),
            });
        }
        let rules = self.rules(op_id);
        if let Some(c) = &rules.create {
            needs.push(Need::Reserve(c.collection.render(params)));
        }
        if let Some(t) = &rules.transition
            && let Some((_, id)) = params.iter().find(|(k, _)| *k == t.item)
        {
            let key = t.collection.render(params);
            if t.next.is_some() {
                needs.push(Need::Reserve(key.clone()));
            }
            needs.push(Need::Item(key, id.clone()));
        }
        if let Some(l) = &rules.list {
            needs.push(Need::Full(l.collection.render(params)));
        }
        needs
    }
}

/// The documented answer when the state store is down before anything was
/// sent to it: 503, a JSON body saying why, `Retry-After: 1`.
pub(super) fn unavailable(e: &Unavailable) -> Reply {
    state_unavailable(&format!("{}; nothing was changed, retry later", e.0))
}

/// The 503 when the connection failed during a commit.
fn unconfirmed(e: &Unavailable) -> Reply {
    state_unavailable(&format!(
        "{}; the change was applied whole or not at all, read it back to know which",
        e.0
    ))
}

fn state_unavailable(message: &str) -> Reply {
    let body = json!({"error": "state_unavailable", "message": message});
    let mut r = Reply::json(503, "application/json", &body);
    r.header(hyper::header::RETRY_AFTER, "1");
    r
}
