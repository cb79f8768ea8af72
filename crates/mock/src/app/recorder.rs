//! The requests kept for `/__decoy/requests`: one shard per worker thread,
//! so recording a request takes no lock another thread holds; a read merges
//! the shards in the order the requests were answered. A record names its
//! operation by id and keeps its method as sent: recording allocates only
//! the path.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use decoy_spec::OpId;
use hyper::Method;

use super::lock;
use crate::config::RecordedRequest;
use crate::util::{SHARDS, thread_shard};

/// The operation that answered: one of the document's, or the name a
/// recording gave (`--replay`).
#[derive(Clone)]
pub(super) enum Operation {
    Id(OpId),
    Named(String),
}

/// One answered request, as kept.
#[derive(Clone)]
pub(super) struct Record {
    pub(super) at: SystemTime,
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) status: u16,
    pub(super) operation: Option<Operation>,
    pub(super) duration: Duration,
}

impl Record {
    /// The public record; `name` names an operation id.
    pub(super) fn to_public(&self, name: impl Fn(OpId) -> String) -> RecordedRequest {
        RecordedRequest {
            at: self.at,
            method: self.method.as_str().to_owned(),
            path: self.path.clone(),
            status: self.status,
            operation: self.operation.as_ref().map(|o| match o {
                Operation::Id(id) => name(*id),
                Operation::Named(n) => n.clone(),
            }),
            duration: self.duration,
        }
    }
}

/// One shard on its own cache line: threads writing to neighbours do not
/// slow each other down.
#[repr(align(128))]
#[derive(Default)]
struct Shard(Mutex<VecDeque<(Instant, Record)>>);

pub(super) struct Recorder {
    shards: Box<[Shard]>,
}

impl Recorder {
    pub(super) fn new() -> Recorder {
        Recorder {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
        }
    }

    /// Keeps `record`, answered at `ended`; each shard keeps at most `max`,
    /// so the merge still holds the latest `max` of all.
    pub(super) fn push(&self, ended: Instant, record: Record, max: usize) {
        let mut shard = lock(&self.shards[thread_shard()].0);
        if shard.len() >= max.max(1) {
            shard.pop_front();
        }
        shard.push_back((ended, record));
    }

    /// The latest `max` requests, oldest first.
    pub(super) fn list(&self, max: usize) -> Vec<Record> {
        let mut all: Vec<(Instant, Record)> = self
            .shards
            .iter()
            .flat_map(|s| lock(&s.0).iter().cloned().collect::<Vec<_>>())
            .collect();
        // Stable: within a shard the order is already the answering order.
        all.sort_by_key(|(at, _)| *at);
        let skip = all.len().saturating_sub(max.max(1));
        all.into_iter().skip(skip).map(|(_, r)| r).collect()
    }

    pub(super) fn clear(&self) {
        for s in &self.shards {
            lock(&s.0).clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str) -> Record {
        Record {
            at: SystemTime::now(),
            method: Method::GET,
            path: path.to_owned(),
            status: 200,
            operation: None,
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn threads_merge_in_answering_order_and_keep_the_latest() {
        let r = Recorder::new();
        r.push(Instant::now(), request("/a"), 3);
        std::thread::scope(|s| {
            s.spawn(|| r.push(Instant::now(), request("/b"), 3));
        });
        r.push(Instant::now(), request("/c"), 3);
        std::thread::scope(|s| {
            s.spawn(|| r.push(Instant::now(), request("/d"), 3));
        });
        let paths: Vec<String> = r.list(3).into_iter().map(|q| q.path).collect();
        assert_eq!(paths, ["/b", "/c", "/d"]);
        r.clear();
        assert!(r.list(3).is_empty());
    }
}
