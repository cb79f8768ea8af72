//! Repeated reads, kept per worker thread: a hit takes no lock and touches
//! no memory another thread writes. Each thread may build its own copy, as
//! everything kept is a pure function of the document, the seed and the
//! request.
//!
//! Two levels:
//! - bodies by (operation, resource path): a generated body, shared by
//!   every request for that resource whatever its query or headers;
//! - whole answers by request target (path and query): for an operation
//!   whose answer the target alone decides (no header or cookie
//!   parameters), a target once answered with a cacheable 2xx has proven
//!   its parameters valid, so a repeat skips routing, parameter reading and
//!   validation and response selection. The caller still checks what the
//!   target does not decide: credentials, `Prefer`, namespaces, a body. An
//!   answer is kept with the count of changes made to the store when it
//!   was computed, and served only while that count stays: any change
//!   outdates every kept answer, and the pipeline (which consults the store
//!   first) answers again.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use decoy_spec::OpId;
use hyper::HeaderMap;

use super::reply::Reply;
use crate::util::FxMap as Map;

/// Entries per thread, per level, before that level starts over.
const ENTRIES: usize = 256;

/// (app, operation, resource path) → body.
type Key = (u64, OpId, String);

/// A whole answer, as the pipeline gave it.
struct Answer {
    app: u64,
    /// The store's change count it was computed at.
    changes: u64,
    op_id: OpId,
    status: u16,
    /// With the CORS headers a request without `Origin` gets, when on.
    headers: HeaderMap,
    body: Bytes,
}

thread_local! {
    static BODIES: RefCell<Map<Key, Bytes>> = RefCell::new(Map::default());
    /// Request target → the answer. One app per thread is the rule (a
    /// reload replaces it), so entries carry their app rather than keying
    /// on it: a lookup needs no owned key.
    static ANSWERS: RefCell<Map<String, Answer>> = RefCell::new(Map::default());
}

/// One app's view of the per-thread caches: its entries are keyed by an id
/// no other app (a reloaded document, another server in the process) has.
pub(super) struct Cache {
    app: u64,
}

impl Cache {
    pub(super) fn new() -> Cache {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Cache {
            app: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    pub(super) fn get(&self, op: OpId, path: String) -> Result<Bytes, Key> {
        let key = (self.app, op, path);
        BODIES.with(|b| b.borrow().get(&key).cloned()).ok_or(key)
    }

    pub(super) fn put(&self, key: Key, body: Bytes) {
        BODIES.with(|b| {
            let mut b = b.borrow_mut();
            if b.len() >= ENTRIES {
                b.clear();
            }
            b.insert(key, body);
        });
    }

    /// The answer kept for `target` at the store's change count `changes`,
    /// and its operation.
    pub(super) fn answer(&self, target: &str, changes: u64) -> Option<(OpId, Reply)> {
        ANSWERS.with(|a| {
            let a = a.borrow();
            let hit = a
                .get(target)
                .filter(|h| h.app == self.app && h.changes == changes)?;
            let mut reply = Reply::empty(hit.status);
            reply.headers = hit.headers.clone();
            reply.body = hit.body.clone();
            Some((hit.op_id, reply))
        })
    }

    /// Keeps `reply`, computed at the store's change count `changes` and
    /// with `headers` for its headers, as the answer to every request for
    /// `target` that the caller proves equivalent.
    pub(super) fn keep_answer(
        &self,
        target: &str,
        op_id: OpId,
        changes: u64,
        reply: &Reply,
        headers: HeaderMap,
    ) {
        ANSWERS.with(|a| {
            let mut a = a.borrow_mut();
            if a.len() >= ENTRIES {
                a.clear();
            }
            let answer = Answer {
                app: self.app,
                changes,
                op_id,
                status: reply.status,
                headers,
                body: reply.body.clone(),
            };
            a.insert(target.to_owned(), answer);
        });
    }
}
