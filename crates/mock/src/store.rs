//! Resources created by `x-decoy-state` operations: bounded, oldest out.

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

#[derive(Debug, Default)]
pub(crate) struct Store {
    collections: HashMap<String, Vec<Item>>,
    /// (collection, id) in creation order, for eviction.
    order: VecDeque<(String, String)>,
    /// Resources created per collection, ever: seeds new ids.
    created: HashMap<String, u64>,
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

    pub(crate) fn list(&self, collection: &str) -> &[Item] {
        self.collections.get(collection).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn get_mut(&mut self, collection: &str, id: &str) -> Option<&mut Item> {
        self.collections
            .get_mut(collection)?
            .iter_mut()
            .find(|i| i.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str) -> Item {
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
}
