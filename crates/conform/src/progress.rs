//! Live counters of a run, so a front end can draw a progress bar while the
//! run goes on. The library draws nothing itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A handle on a run's counters: put a clone in [`crate::Config::progress`]
/// and read [`Progress::get`] from anywhere (another thread, a timer) while
/// the run goes. Cheap to update: a few relaxed atomic adds per request.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    total: AtomicU64,
    done: AtomicU64,
    requests: AtomicU64,
    findings: AtomicU64,
}

/// What [`Progress::get`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ProgressState {
    /// Units of work in the run: operations, then sequences (known once the
    /// run has started; 0 before).
    pub total: u64,
    /// Units finished.
    pub done: u64,
    /// HTTP requests sent so far (replays and shrinking included).
    pub requests: u64,
    /// Distinct findings so far.
    pub findings: u64,
}

impl Progress {
    /// Fresh counters, all zero.
    pub fn new() -> Progress {
        Progress::default()
    }

    /// The counters now.
    pub fn get(&self) -> ProgressState {
        let c = &self.0;
        ProgressState {
            total: c.total.load(Ordering::Relaxed),
            done: c.done.load(Ordering::Relaxed),
            requests: c.requests.load(Ordering::Relaxed),
            findings: c.findings.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn start(&self, total: u64) {
        self.0.total.store(total, Ordering::Relaxed);
    }

    pub(crate) fn unit_done(&self) {
        self.0.done.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn request(&self) {
        self.0.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn finding(&self) {
        self.0.findings.fetch_add(1, Ordering::Relaxed);
    }
}
