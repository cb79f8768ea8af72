//! Everything a running proxy has seen: findings counted by signature,
//! coverage per operation, notes; the event callback; the final report.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use decoy_conform::{Check, Coverage};
use decoy_spec::Spec;

use crate::report::{Event, Finding, Note, Report};
use crate::{Config, EventCallback};

/// One exchange's outcome.
pub(crate) struct Seen {
    pub(crate) operation: Option<usize>,
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) status: u16,
    pub(crate) elapsed: Duration,
    pub(crate) rejected: bool,
    /// Findings with their signatures (what makes two the same).
    pub(crate) findings: Vec<(String, Finding)>,
    pub(crate) notes: Vec<String>,
}

#[derive(Default)]
struct State {
    exchanges: u64,
    rejected: u64,
    signatures: HashMap<String, usize>,
    findings: Vec<Finding>,
    notes: Vec<Note>,
    coverage: Vec<Coverage>,
}

pub(crate) struct Session {
    document: String,
    upstream: String,
    started: Instant,
    skip: Vec<Check>,
    names: Vec<String>,
    on_event: Option<EventCallback>,
    state: Mutex<State>,
}

impl Session {
    pub(crate) fn new(spec: &Spec, config: &Config) -> Session {
        let state = State {
            coverage: spec.operations().iter().map(Coverage::new).collect(),
            ..State::default()
        };
        Session {
            document: spec.origin().to_owned(),
            upstream: config.upstream.clone(),
            started: Instant::now(),
            skip: config.skip.clone(),
            names: spec.operations().iter().map(|o| o.name()).collect(),
            on_event: config.on_event.clone(),
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one exchange and tells the callback.
    pub(crate) fn observe(&self, seen: Seen) {
        let event = Event {
            method: seen.method,
            target: seen.target,
            operation: seen.operation.map(|i| self.names[i].clone()),
            status: seen.status,
            elapsed_ms: seen.elapsed.as_secs_f64() * 1000.0,
            rejected: seen.rejected,
            findings: seen.findings.iter().map(|(_, f)| f.clone()).collect(),
            notes: seen.notes.clone(),
        };
        {
            let mut state = self.lock();
            state.exchanges += 1;
            if seen.rejected {
                state.rejected += 1;
            } else if let Some(i) = seen.operation {
                state.coverage[i].record(seen.status, event.elapsed_ms);
            }
            let operation = event.operation.clone().unwrap_or_else(|| "-".into());
            for message in seen.notes {
                match state
                    .notes
                    .iter_mut()
                    .find(|n| n.operation == operation && n.message == message)
                {
                    Some(n) => n.occurrences += 1,
                    None => state.notes.push(Note {
                        operation: operation.clone(),
                        message,
                        occurrences: 1,
                    }),
                }
            }
            for (signature, finding) in seen.findings {
                add(&mut state, signature, finding);
            }
        }
        if let Some(cb) = &self.on_event {
            cb(&event);
        }
    }

    /// A finding that showed up after the exchange was told (a stream cut
    /// at its deadline).
    pub(crate) fn late(&self, signature: String, finding: Finding) {
        add(&mut self.lock(), signature, finding);
    }

    pub(crate) fn report(&self) -> Report {
        let state = self.lock();
        Report {
            document: self.document.clone(),
            upstream: self.upstream.clone(),
            exchanges: state.exchanges,
            rejected: state.rejected,
            elapsed_ms: self.started.elapsed().as_millis() as u64,
            skipped_checks: self.skip.clone(),
            findings: state.findings.clone(),
            notes: state.notes.clone(),
            coverage: state.coverage.clone(),
        }
    }
}

fn add(state: &mut State, signature: String, finding: Finding) {
    match state.signatures.get(&signature) {
        Some(&k) => state.findings[k].occurrences += 1,
        None => {
            state.signatures.insert(signature, state.findings.len());
            state.findings.push(finding);
        }
    }
}
