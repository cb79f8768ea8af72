//! What one request loaded from Redis, and what it did with it: the read
//! set (collections and their revisions), the misses to load before the
//! answer can be trusted, and the changes to commit.

use std::collections::{HashMap, HashSet};

use super::{Item, Rows, Store};

/// Something a request needs loaded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Need {
    /// A collection's revision and creation count.
    Meta(String),
    /// A whole collection.
    Full(String),
    /// One member (and its collection's revision).
    Item(String, String),
    /// Which deleted paths are at, above or below a path.
    Scope(String),
}

/// A change to commit.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// A collection's creation count is now this.
    Counter(String, u64),
    /// Store (or replace) a member.
    Put(String, Item),
    /// Delete a member and everything below it.
    Delete(String, String),
}

/// A collection's state when loaded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    pub(crate) revision: u64,
    pub(crate) created: u64,
}

/// One loaded snapshot, plus what the request did with it.
#[derive(Debug, Default)]
pub(crate) struct View {
    local: Store,
    metas: HashMap<String, Meta>,
    full: HashSet<String>,
    /// Members looked up (found or not).
    probed: HashSet<(String, String)>,
    /// Paths whose deleted ancestors and descendants are loaded.
    scopes: Vec<String>,
    /// The revision of the namespace's deletions, when a scope was loaded.
    gone_revision: Option<u64>,
    /// Collections the request read or changed.
    touched: HashSet<String>,
    /// Whether the request asked what is deleted.
    asked_gone: bool,
    /// Members assumed absent without loading them (checked at commit).
    assumed: Vec<(String, String)>,
    needs: Vec<Need>,
    changes: Vec<Change>,
}

impl View {
    pub(crate) fn loaded_meta(&mut self, collection: &str, meta: Meta) {
        self.local.set_created(collection, meta.created);
        self.metas.insert(collection.to_owned(), meta);
    }

    pub(crate) fn loaded_full(&mut self, collection: &str) {
        self.full.insert(collection.to_owned());
    }

    pub(crate) fn loaded_item(&mut self, collection: &str, id: &str, item: Option<Item>) {
        self.probed.insert((collection.to_owned(), id.to_owned()));
        if let Some(item) = item
            && self.local.get(collection, id).is_none()
        {
            self.local.insert(collection, item, usize::MAX);
        }
    }

    pub(crate) fn loaded_scope(&mut self, path: &str, revision: u64, gone: Vec<String>) {
        self.scopes.push(path.to_owned());
        self.gone_revision = Some(revision);
        for g in gone {
            self.local.add_gone(g);
        }
    }

    /// What the run missed: load it and run again.
    pub(crate) fn needs(&self) -> Vec<Need> {
        let mut needs = self.needs.clone();
        for c in &self.touched {
            if !self.metas.contains_key(c) {
                needs.push(Need::Meta(c.clone()));
            }
        }
        // A read-only answer cannot check its assumptions at commit.
        if self.changes.is_empty() {
            needs.extend(
                self.assumed
                    .iter()
                    .map(|(c, id)| Need::Item(c.clone(), id.clone())),
            );
        }
        needs
    }

    pub(crate) fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Revisions the commit must still find: every collection touched.
    pub(crate) fn read_set(&self) -> Vec<(String, u64)> {
        let mut set: Vec<(String, u64)> = self
            .touched
            .iter()
            .filter_map(|c| Some((c.clone(), self.metas.get(c)?.revision)))
            .collect();
        set.sort();
        set
    }

    /// The deletions' revision the commit must still find, if the request
    /// asked what is deleted.
    pub(crate) fn gone_read(&self) -> Option<u64> {
        self.asked_gone.then_some(self.gone_revision).flatten()
    }

    pub(crate) fn assumed(&self) -> &[(String, String)] {
        &self.assumed
    }

    fn touch(&mut self, collection: &str) {
        if !self.touched.contains(collection) {
            self.touched.insert(collection.to_owned());
        }
    }

    fn covered(&self, path: &str) -> bool {
        self.scopes.iter().any(|s| {
            path.strip_prefix(s.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }

    fn need(&mut self, need: Need) {
        if !self.needs.contains(&need) {
            self.needs.push(need);
        }
    }
}

impl Rows for View {
    fn next_number(&mut self, collection: &str) -> u64 {
        self.touch(collection);
        let n = self.local.next_number(collection);
        self.changes
            .push(Change::Counter(collection.to_owned(), n + 1));
        n
    }

    fn insert(&mut self, collection: &str, item: Item, _max: usize) {
        self.touch(collection);
        self.changes
            .push(Change::Put(collection.to_owned(), item.clone()));
        self.local.insert(collection, item, usize::MAX);
    }

    fn put(&mut self, collection: &str, item: Item, _max: usize) {
        self.touch(collection);
        self.changes
            .push(Change::Put(collection.to_owned(), item.clone()));
        self.local.put(collection, item, usize::MAX);
    }

    fn delete(&mut self, collection: &str, id: &str, _max: usize) {
        self.touch(collection);
        self.asked_gone = true;
        self.changes
            .push(Change::Delete(collection.to_owned(), id.to_owned()));
        self.local.delete(collection, id, usize::MAX);
    }

    fn list(&mut self, collection: &str) -> Vec<Item> {
        self.touch(collection);
        if !self.full.contains(collection) {
            self.need(Need::Full(collection.to_owned()));
        }
        self.local.list(collection).to_vec()
    }

    fn count(&mut self, collection: &str) -> usize {
        self.touch(collection);
        if !self.full.contains(collection) {
            self.need(Need::Full(collection.to_owned()));
        }
        self.local.list(collection).len()
    }

    fn get(&mut self, collection: &str, id: &str) -> Option<Item> {
        self.touch(collection);
        if let Some(item) = self.local.get(collection, id) {
            return Some(item.clone());
        }
        let key = (collection.to_owned(), id.to_owned());
        if !self.full.contains(collection) && !self.probed.contains(&key) {
            self.assumed.push(key);
        }
        None
    }

    fn is_gone(&mut self, path: &str) -> bool {
        self.asked_gone = true;
        if !self.covered(path) {
            self.need(Need::Scope(path.to_owned()));
        }
        self.local.is_gone(path)
    }

    fn has_gone_in(&mut self, collection: &str) -> bool {
        self.asked_gone = true;
        if !self.covered(collection) {
            self.need(Need::Scope(collection.to_owned()));
        }
        self.local.has_gone_in(collection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn item(id: &str) -> Item {
        Item {
            id: id.to_owned(),
            body: Value::Null,
            origin: Value::Null,
            queue: Vec::new(),
        }
    }

    #[test]
    fn misses_become_needs_and_changes_are_recorded() {
        let mut v = View::default();
        assert!(v.list("/pets").is_empty());
        assert!(!v.is_gone("/pets/1"));
        let needs = v.needs();
        assert!(needs.contains(&Need::Full("/pets".into())));
        assert!(needs.contains(&Need::Scope("/pets/1".into())));
        assert!(needs.contains(&Need::Meta("/pets".into())));

        let mut v = View::default();
        v.loaded_meta(
            "/pets",
            Meta {
                revision: 3,
                created: 5,
            },
        );
        v.loaded_scope("/pets", 1, vec!["/pets/9".into()]);
        assert!(v.is_gone("/pets/9/toys") && !v.is_gone("/pets/1"));
        assert_eq!(v.next_number("/pets"), 5);
        assert!(v.get("/pets", "x").is_none());
        v.put("/pets", item("x"), 10);
        assert!(v.get("/pets", "x").is_some());
        assert!(v.needs().is_empty());
        assert_eq!(v.read_set(), [("/pets".to_owned(), 3)]);
        assert_eq!(v.gone_read(), Some(1));
        assert_eq!(v.assumed(), [("/pets".to_owned(), "x".to_owned())]);
        assert_eq!(v.changes().len(), 2);
    }
}
