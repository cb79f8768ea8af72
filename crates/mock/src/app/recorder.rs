//! The requests kept for `/__decoy/requests`: one shard per worker thread,
//! so recording a request takes no lock another thread holds; a read merges
//! the shards in the order the requests were answered.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::lock;
use crate::config::RecordedRequest;

/// Shards: more than the worker threads of any machine decoy runs on, so
/// two threads rarely share one.
const SHARDS: usize = 64;

/// One shard on its own cache line: threads writing to neighbours do not
/// slow each other down.
#[repr(align(128))]
#[derive(Default)]
struct Shard(Mutex<VecDeque<(Instant, RecordedRequest)>>);

pub(super) struct Recorder {
    shards: Box<[Shard]>,
}

impl Recorder {
    pub(super) fn new() -> Recorder {
        Recorder {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
        }
    }

    /// Keeps `record`; each shard keeps at most `max`, so the merge still
    /// holds the latest `max` of all.
    pub(super) fn push(&self, record: RecordedRequest, max: usize) {
        let mut shard = lock(&self.shards[thread_index() % SHARDS].0);
        if shard.len() >= max.max(1) {
            shard.pop_front();
        }
        shard.push_back((Instant::now(), record));
    }

    /// The latest `max` requests, oldest first.
    pub(super) fn list(&self, max: usize) -> Vec<RecordedRequest> {
        let mut all: Vec<(Instant, RecordedRequest)> = self
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

/// A small number of this thread's own, handed out once per thread.
fn thread_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    INDEX.with(|i| *i)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    fn request(path: &str) -> RecordedRequest {
        RecordedRequest {
            at: SystemTime::now(),
            method: "GET".to_owned(),
            path: path.to_owned(),
            status: 200,
            operation: None,
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn threads_merge_in_answering_order_and_keep_the_latest() {
        let r = Recorder::new();
        r.push(request("/a"), 3);
        std::thread::scope(|s| {
            s.spawn(|| r.push(request("/b"), 3));
        });
        r.push(request("/c"), 3);
        std::thread::scope(|s| {
            s.spawn(|| r.push(request("/d"), 3));
        });
        let paths: Vec<String> = r.list(3).into_iter().map(|q| q.path).collect();
        assert_eq!(paths, ["/b", "/c", "/d"]);
        r.clear();
        assert!(r.list(3).is_empty());
    }
}
