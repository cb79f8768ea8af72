//! Response bodies of repeated reads, kept per worker thread: a hit takes no
//! lock and touches no memory another thread writes. A body is a pure
//! function of the document, the seed and the request's resource path, so
//! each thread may build its own copy.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use decoy_spec::OpId;

/// Cached bodies per thread before its cache starts over.
const ENTRIES: usize = 256;

/// (app, operation, resource path) → body.
type Key = (u64, OpId, String);

thread_local! {
    static BODIES: RefCell<HashMap<Key, Bytes>> = RefCell::new(HashMap::new());
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
}
