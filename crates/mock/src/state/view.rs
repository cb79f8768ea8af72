//! What one request loaded from Redis, and what it did with it: the read
//! set (each member read, as it was; each listing read, at its revision),
//! the misses to load before the answer can be trusted, and the changes to
//! commit. Reads are checked member by member, so writes to different
//! members of one collection do not conflict.

use std::collections::{HashMap, HashSet};

use super::{Item, Rows, Store};

/// Something a request needs loaded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Need {
    /// A collection's revision and creation count.
    Meta(String),
    /// A creation number of a collection, reserved for this request.
    Reserve(String),
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
    /// A collection's creation count is at least this.
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
    /// Members as stored when loaded (`SEQ\nJSON`): a commit expects them.
    raw: HashMap<(String, String), String>,
    /// Creation numbers reserved for this request.
    reserved: HashMap<String, u64>,
    /// Paths whose deleted ancestors and descendants are loaded.
    scopes: Vec<String>,
    /// The revision of the namespace's deletions, when a scope was loaded.
    gone_revision: Option<u64>,
    /// Listings the request read (checked by revision at commit).
    listed: HashSet<String>,
    /// Members the request read: as loaded (`Some(raw)`) or absent
    /// (`None`, loaded or assumed), checked at commit.
    read: Vec<(String, String, Option<String>)>,
    /// Members read absent without having been loaded.
    assumed: bool,
    /// Whether the request asked what is deleted.
    asked_gone: bool,
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

    pub(crate) fn loaded_item(&mut self, collection: &str, id: &str, item: Option<(Item, String)>) {
        let key = (collection.to_owned(), id.to_owned());
        self.probed.insert(key.clone());
        if let Some((item, raw)) = item
            && self.local.get(collection, id).is_none()
        {
            self.local.insert(collection, item, usize::MAX);
            self.raw.insert(key, raw);
        }
    }

    pub(crate) fn reserved(&mut self, collection: &str, n: u64) {
        self.reserved.insert(collection.to_owned(), n);
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
        // A read-only answer has no commit to check its assumptions.
        if self.changes.is_empty() && self.assumed {
            for (c, id, _) in &self.read {
                if !self.probed.contains(&(c.clone(), id.clone())) && !self.full.contains(c) {
                    needs.push(Need::Item(c.clone(), id.clone()));
                }
            }
        }
        needs
    }

    pub(crate) fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Listing revisions the commit must still find.
    pub(crate) fn listings_read(&self) -> Vec<(String, u64)> {
        let mut set: Vec<(String, u64)> = self
            .listed
            .iter()
            .map(|c| (c.clone(), self.metas.get(c).map_or(0, |m| m.revision)))
            .collect();
        set.sort();
        set
    }

    /// Members the commit must still find as they were read.
    pub(crate) fn members_read(&self) -> &[(String, String, Option<String>)] {
        &self.read
    }

    /// The deletions' revision the commit must still find, if the request
    /// asked what is deleted.
    pub(crate) fn gone_read(&self) -> Option<u64> {
        self.asked_gone.then_some(self.gone_revision).flatten()
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
        // A number reserved at load is this request's alone, on any
        // replica; a second one in the same request follows it.
        let Some(n) = self.reserved.get_mut(collection) else {
            self.need(Need::Reserve(collection.to_owned()));
            return 0;
        };
        let mine = *n;
        *n += 1;
        self.changes
            .push(Change::Counter(collection.to_owned(), mine + 1));
        mine
    }

    fn insert(&mut self, collection: &str, item: Item, _max: usize) {
        self.changes
            .push(Change::Put(collection.to_owned(), item.clone()));
        self.local.insert(collection, item, usize::MAX);
    }

    fn put(&mut self, collection: &str, item: Item, _max: usize) {
        self.changes
            .push(Change::Put(collection.to_owned(), item.clone()));
        self.local.put(collection, item, usize::MAX);
    }

    fn delete(&mut self, collection: &str, id: &str, _max: usize) {
        self.asked_gone = true;
        self.changes
            .push(Change::Delete(collection.to_owned(), id.to_owned()));
        self.local.delete(collection, id, usize::MAX);
    }

    fn list(&mut self, collection: &str) -> Vec<Item> {
        self.listed.insert(collection.to_owned());
        if !self.full.contains(collection) {
            self.need(Need::Full(collection.to_owned()));
        }
        self.local.list(collection).to_vec()
    }

    fn count(&mut self, collection: &str) -> usize {
        self.listed.insert(collection.to_owned());
        if !self.full.contains(collection) {
            self.need(Need::Full(collection.to_owned()));
        }
        self.local.list(collection).len()
    }

    fn get(&mut self, collection: &str, id: &str) -> Option<Item> {
        let key = (collection.to_owned(), id.to_owned());
        let written = self.changes.iter().any(|c| match c {
            Change::Put(k, item) => *k == key.0 && item.id == key.1,
            Change::Delete(k, i) => *k == key.0 && *i == key.1,
            Change::Counter(..) => false,
        });
        if !written && !self.read.iter().any(|(c, i, _)| (c, i) == (&key.0, &key.1)) {
            if !self.full.contains(collection) && !self.probed.contains(&key) {
                self.assumed = true;
            }
            self.read
                .push((key.0.clone(), key.1.clone(), self.raw.get(&key).cloned()));
        }
        self.local.get(collection, id).cloned()
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
    use crate::state::store::tests::item;

    #[test]
    fn misses_become_needs_and_changes_are_recorded() {
        let mut v = View::default();
        assert!(v.list("/pets").is_empty());
        assert!(!v.is_gone("/pets/1"));
        let needs = v.needs();
        assert!(needs.contains(&Need::Full("/pets".into())));
        assert!(needs.contains(&Need::Scope("/pets/1".into())));
        assert!(v.next_number("/pets") == 0 && v.needs().contains(&Need::Reserve("/pets".into())));

        let mut v = View::default();
        v.loaded_meta(
            "/pets",
            Meta {
                revision: 3,
                created: 5,
            },
        );
        v.loaded_scope("/pets", 1, vec!["/pets/9".into()]);
        v.reserved("/pets", 5);
        v.loaded_item("/pets", "a", Some((item("a"), "1\n{}".into())));
        assert!(v.is_gone("/pets/9/toys") && !v.is_gone("/pets/1"));
        assert_eq!(v.next_number("/pets"), 5);
        assert!(v.get("/pets", "a").is_some() && v.get("/pets", "x").is_none());
        v.put("/pets", item("x"), 10);
        assert!(v.get("/pets", "x").is_some());
        assert!(v.needs().is_empty());
        assert!(v.listings_read().is_empty());
        assert_eq!(v.count("/pets"), 2);
        assert_eq!(v.listings_read(), [("/pets".to_owned(), 3)]);
        assert_eq!(v.gone_read(), Some(1));
        let read: Vec<_> = v
            .members_read()
            .iter()
            .map(|(_, id, raw)| (id.as_str(), raw.is_some()))
            .collect();
        assert_eq!(read, [("a", true), ("x", false)]);
        assert_eq!(v.changes().len(), 2);
    }
}
