//! Stored resources in memory (created, changed or deleted by clients):
//! bounded, oldest out. The in-memory backend keeps one per namespace; a
//! Redis [`View`](super::view::View) keeps the part one request loaded.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

/// One stored resource.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) id: String,
    /// What a listing shows and a transition starts from.
    pub(crate) body: Value,
    /// The body of the request that created it (`origin:` sources).
    pub(crate) origin: Value,
    /// Attempts still to dial (`create.queue`), in order.
    pub(crate) queue: Vec<Value>,
}

impl Item {
    /// The item as stored in Redis.
    pub(crate) fn to_json(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "body": self.body,
            "origin": self.origin,
            "queue": self.queue,
        })
    }

    /// An item stored by [`Item::to_json`]; `None` for anything else.
    pub(crate) fn from_json(v: &Value) -> Option<Item> {
        Some(Item {
            id: v.get("id")?.as_str()?.to_owned(),
            body: v.get("body")?.clone(),
            origin: v.get("origin").cloned().unwrap_or(Value::Null),
            queue: v
                .get("queue")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        })
    }
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    collections: HashMap<String, Vec<Item>>,
    /// (collection, id) in creation order, for eviction.
    order: VecDeque<(String, String)>,
    /// Resources created per collection, ever: seeds new ids.
    created: HashMap<String, u64>,
    /// Paths of deleted resources (`/pets/7`), oldest first: they and
    /// everything below them answer 404.
    gone: VecDeque<String>,
}

impl Store {
    pub(crate) fn clear(&mut self) {
        *self = Store::default();
    }

    /// The next creation number in a collection (0, 1, ...).
    pub(crate) fn next_number(&mut self, collection: &str) -> u64 {
        let n = self.created.entry(collection.to_owned()).or_insert(0);
        *n += 1;
        *n - 1
    }

    pub(crate) fn insert(&mut self, collection: &str, item: Item, max: usize) {
        self.order
            .push_back((collection.to_owned(), item.id.clone()));
        self.collections
            .entry(collection.to_owned())
            .or_default()
            .push(item);
        while self.order.len() > max.max(1) {
            let Some((c, id)) = self.order.pop_front() else {
                break;
            };
            if let Some(items) = self.collections.get_mut(&c) {
                items.retain(|i| i.id != id);
                if items.is_empty() {
                    self.collections.remove(&c);
                    self.created.remove(&c);
                }
            }
        }
    }

    /// Sets a collection's creation count (loaded from Redis).
    pub(crate) fn set_created(&mut self, collection: &str, n: u64) {
        self.created.insert(collection.to_owned(), n);
    }

    /// Remembers a deleted path (loaded from Redis).
    pub(crate) fn add_gone(&mut self, path: String) {
        if !self.gone.contains(&path) {
            self.gone.push_back(path);
        }
    }

    pub(crate) fn list(&self, collection: &str) -> &[Item] {
        self.collections.get(collection).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn get(&self, collection: &str, id: &str) -> Option<&Item> {
        self.collections
            .get(collection)?
            .iter()
            .find(|i| i.id == id)
    }

    /// Stores `item`, replacing a stored one with the same id in place.
    pub(crate) fn put(&mut self, collection: &str, item: Item, max: usize) {
        let path = format!("{collection}/{}", item.id);
        self.gone.retain(|g| *g != path);
        if let Some(slot) = self.get_mut(collection, &item.id) {
            *slot = item;
        } else {
            self.insert(collection, item, max);
        }
    }

    /// Removes a resource and everything stored below it, and remembers it
    /// is gone.
    pub(crate) fn delete(&mut self, collection: &str, id: &str, max: usize) {
        let path = format!("{collection}/{id}");
        if let Some(items) = self.collections.get_mut(collection) {
            items.retain(|i| i.id != id);
        }
        let below = format!("{path}/");
        self.collections.retain(|c, _| !c.starts_with(&below));
        self.order
            .retain(|(c, i)| !(c.starts_with(&below) || c == collection && i == id));
        self.gone.push_back(path);
        while self.gone.len() > max.max(1) {
            self.gone.pop_front();
        }
    }

    /// Whether `path` (a resource's path) is, or is below, a deleted one.
    pub(crate) fn is_gone(&self, path: &str) -> bool {
        self.gone.iter().any(|g| {
            path.strip_prefix(g.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }

    /// Whether anything below `collection` was ever deleted.
    pub(crate) fn has_gone_in(&self, collection: &str) -> bool {
        let prefix = format!("{collection}/");
        self.gone.iter().any(|g| g.starts_with(&prefix))
    }

    pub(crate) fn get_mut(&mut self, collection: &str, id: &str) -> Option<&mut Item> {
        self.collections
            .get_mut(collection)?
            .iter_mut()
            .find(|i| i.id == id)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn item(id: &str) -> Item {
        Item {
            id: id.to_owned(),
            body: Value::Null,
            origin: Value::Null,
            queue: Vec::new(),
        }
    }

    #[test]
    fn oldest_is_evicted() {
        let mut s = Store::default();
        for id in ["a", "b", "c"] {
            s.insert("/x", item(id), 2);
        }
        let ids: Vec<_> = s.list("/x").iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
    }

    #[test]
    fn deleted_resources_take_their_children() {
        let mut s = Store::default();
        s.insert("/owners", item("1"), 10);
        s.insert("/owners/1/pets", item("p"), 10);
        s.delete("/owners", "1", 10);
        assert!(s.get("/owners", "1").is_none());
        assert!(s.list("/owners/1/pets").is_empty());
        assert!(s.is_gone("/owners/1") && s.is_gone("/owners/1/pets/p"));
        assert!(!s.is_gone("/owners/10"));
        s.put("/owners", item("1"), 10);
        assert!(!s.is_gone("/owners/1"));
    }
}
