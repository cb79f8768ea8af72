//! Where stored resources live: in memory (one process), or in Redis
//! (replicas that agree), split into namespaces (one per test worker).
//!
//! The request pipeline is synchronous: it reads and changes state through
//! [`Rows`], inside one request's [`Tx`]. In memory, a `Tx` is the
//! namespace's [`Store`] itself, locked for each use (no `await` inside).
//! On Redis, a request is an optimistic transaction:
//!
//! 1. one script call loads what the request will touch (its plan, from the
//!    model) into a [`View`];
//! 2. the pipeline runs against the view, which records what it read, what
//!    it missed and what it changed;
//! 3. a miss loads more and runs again; changes commit in one script that
//!    first checks every collection read is at the revision it was read at
//!    (a compare-and-set), else the request runs again on fresh state.
//!
//! So of N concurrent transitions on one resource through N replicas, one
//! commits and the others run again and see the guard refuse (409); nothing
//! is half applied, because a commit is one script.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use hyper::HeaderMap;

pub(crate) mod redis;
mod store;
pub(crate) mod view;

pub(crate) use store::{Item, Store};
pub(crate) use view::{Need, View};

/// Most namespaces kept in memory; the least recently created go first.
const MAX_NAMESPACES: usize = 1024;
/// Longest namespace name.
const MAX_NAMESPACE_LEN: usize = 64;

/// Reads and changes of stored resources, as one request sees them.
pub(crate) trait Rows {
    /// The next creation number in a collection (0, 1, ...).
    fn next_number(&mut self, collection: &str) -> u64;
    /// Stores a new resource.
    fn insert(&mut self, collection: &str, item: Item, max: usize);
    /// Stores a resource, replacing one with the same id in place.
    fn put(&mut self, collection: &str, item: Item, max: usize);
    /// Removes a resource and everything below it, and remembers it is gone.
    fn delete(&mut self, collection: &str, id: &str, max: usize);
    /// The stored members of a collection, oldest first.
    fn list(&mut self, collection: &str) -> Vec<Item>;
    /// How many members a collection has.
    fn count(&mut self, collection: &str) -> usize;
    /// One stored member.
    fn get(&mut self, collection: &str, id: &str) -> Option<Item>;
    /// Whether `path` is, or is below, a deleted resource.
    fn is_gone(&mut self, path: &str) -> bool;
    /// Whether anything below `collection` was ever deleted.
    fn has_gone_in(&mut self, collection: &str) -> bool;
}

impl Rows for Store {
    fn next_number(&mut self, collection: &str) -> u64 {
        Store::next_number(self, collection)
    }
    fn insert(&mut self, collection: &str, item: Item, max: usize) {
        Store::insert(self, collection, item, max);
    }
    fn put(&mut self, collection: &str, item: Item, max: usize) {
        Store::put(self, collection, item, max);
    }
    fn delete(&mut self, collection: &str, id: &str, max: usize) {
        Store::delete(self, collection, id, max);
    }
    fn list(&mut self, collection: &str) -> Vec<Item> {
        Store::list(self, collection).to_vec()
    }
    fn count(&mut self, collection: &str) -> usize {
        Store::list(self, collection).len()
    }
    fn get(&mut self, collection: &str, id: &str) -> Option<Item> {
        Store::get(self, collection, id).cloned()
    }
    fn is_gone(&mut self, path: &str) -> bool {
        Store::is_gone(self, path)
    }
    fn has_gone_in(&mut self, collection: &str) -> bool {
        Store::has_gone_in(self, collection)
    }
}

/// [`Rows`] that notes whether they were changed.
pub(crate) struct Noted<'a> {
    pub(crate) rows: &'a mut dyn Rows,
    pub(crate) changed: bool,
}

impl Rows for Noted<'_> {
    fn next_number(&mut self, collection: &str) -> u64 {
        self.changed = true;
        self.rows.next_number(collection)
    }
    fn insert(&mut self, collection: &str, item: Item, max: usize) {
        self.changed = true;
        self.rows.insert(collection, item, max);
    }
    fn put(&mut self, collection: &str, item: Item, max: usize) {
        self.changed = true;
        self.rows.put(collection, item, max);
    }
    fn delete(&mut self, collection: &str, id: &str, max: usize) {
        self.changed = true;
        self.rows.delete(collection, id, max);
    }
    fn list(&mut self, collection: &str) -> Vec<Item> {
        self.rows.list(collection)
    }
    fn count(&mut self, collection: &str) -> usize {
        self.rows.count(collection)
    }
    fn get(&mut self, collection: &str, id: &str) -> Option<Item> {
        self.rows.get(collection, id)
    }
    fn is_gone(&mut self, path: &str) -> bool {
        self.rows.is_gone(path)
    }
    fn has_gone_in(&mut self, collection: &str) -> bool {
        self.rows.has_gone_in(collection)
    }
}

/// One request's access to state.
#[derive(Clone)]
pub(crate) enum Tx {
    /// A namespace's store in memory.
    Memory(Arc<Mutex<Store>>),
    /// What this request loaded from Redis.
    View(Arc<Mutex<View>>),
}

impl Tx {
    /// Runs `f` on the state; in memory, under the namespace's lock, so a
    /// guard check and its change are one step.
    pub(crate) fn run<T>(&self, f: impl FnOnce(&mut dyn Rows) -> T) -> T {
        match self {
            Tx::Memory(s) => f(&mut *lock(s)),
            Tx::View(v) => f(&mut *lock(v)),
        }
    }
}

tokio::task_local! {
    /// The state of the request being answered.
    pub(crate) static TX: Tx;
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the server down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Stores in memory, one per namespace.
#[derive(Default)]
pub(crate) struct Memory {
    /// Requests without a namespace: no map lookup on the common path.
    default: Arc<Mutex<Store>>,
    named: Mutex<Named>,
}

/// Named namespaces' stores, and their names oldest first (for the cap).
#[derive(Default)]
struct Named {
    stores: HashMap<String, Arc<Mutex<Store>>>,
    order: VecDeque<String>,
}

impl Memory {
    /// The store of `namespace` (`None`: the default one), created when new.
    pub(crate) fn store(&self, namespace: Option<&str>) -> Arc<Mutex<Store>> {
        let Some(name) = namespace else {
            return self.default.clone();
        };
        let mut named = lock(&self.named);
        if let Some(s) = named.stores.get(name) {
            return s.clone();
        }
        let s = Arc::new(Mutex::new(Store::default()));
        named.stores.insert(name.to_owned(), s.clone());
        named.order.push_back(name.to_owned());
        while named.order.len() > MAX_NAMESPACES {
            if let Some(old) = named.order.pop_front() {
                named.stores.remove(&old);
            }
        }
        s
    }

    /// Forgets one namespace's resources.
    pub(crate) fn clear(&self, namespace: Option<&str>) {
        match namespace {
            None => lock(&self.default).clear(),
            Some(name) => {
                if let Some(s) = lock(&self.named).stores.get(name) {
                    lock(s).clear();
                }
            }
        }
    }
}

/// Where this server keeps state.
pub(crate) enum Backend {
    Memory(Memory),
    Redis(Box<redis::RedisState>),
}

/// The request header that names a namespace, `X-Decoy-Namespace` (an
/// HTTP header, not a document extension). A `HeaderName`, not text: a
/// lookup by text lower-cases and parses it on every request.
pub(crate) const NAMESPACE_HEADER: hyper::header::HeaderName =
    hyper::header::HeaderName::from_static("x-decoy-namespace");

/// The namespace a request names: `X-Decoy-Namespace: worker-7`, or
/// `Prefer: namespace=worker-7`. `Ok(None)`: the default namespace.
pub(crate) fn namespace(headers: &HeaderMap) -> Result<Option<String>, String> {
    let named = headers
        .get(NAMESPACE_HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        .or_else(|| {
            // `Prefer`, which may name a namespace too.
            headers.get_all(crate::app::PREFER).iter().find_map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split([',', ';'])
                    .filter_map(|p| p.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("namespace"))
                    .map(|(_, v)| v.trim().trim_matches('"').to_owned())
            })
        });
    named.map(|n| check_namespace(&n)).transpose()
}

/// A namespace name: 1 to 64 letters, digits, `-`, `_` or `.` (no `:`,
/// which separates Redis key parts).
pub(crate) fn check_namespace(name: &str) -> Result<String, String> {
    let fine = !name.is_empty()
        && name.len() <= MAX_NAMESPACE_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if fine {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "namespace {:?} must be 1 to {MAX_NAMESPACE_LEN} letters, digits, '-', '_' or '.'",
            crate::util::truncate(name, 80)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_come_from_a_header_or_prefer() {
        let mut h = HeaderMap::new();
        assert_eq!(namespace(&h), Ok(None));
        h.insert(
            "prefer",
            "code=200, namespace=\"worker-7\"".parse().unwrap(),
        );
        assert_eq!(namespace(&h), Ok(Some("worker-7".to_owned())));
        let name = hyper::header::HeaderName::from_bytes(b"X-Decoy-Namespace").unwrap();
        assert_eq!(name, NAMESPACE_HEADER);
        h.insert(name.clone(), "w2".parse().unwrap());
        assert_eq!(namespace(&h), Ok(Some("w2".to_owned())));
        h.insert(name, "a b".parse().unwrap());
        assert!(namespace(&h).is_err());
    }

    #[test]
    fn memory_namespaces_are_apart() {
        let m = Memory::default();
        lock(&m.store(Some("a"))).insert("/x", store::tests::item("1"), 10);
        assert_eq!(lock(&m.store(Some("a"))).list("/x").len(), 1);
        assert!(lock(&m.store(Some("b"))).list("/x").is_empty());
        assert!(lock(&m.store(None)).list("/x").is_empty());
        m.clear(Some("a"));
        assert!(lock(&m.store(Some("a"))).list("/x").is_empty());
    }
}
