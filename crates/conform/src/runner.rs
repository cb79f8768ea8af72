//! The run: generated cases per operation, probes, sequences, shrinking,
//! replays and snapshots, feeding one [`Report`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::erased::{EraseExt, Erased, Tree};
use decoy_spec::{ParameterLocation, Spec, media};
use decoy_synth::{Direction, Generator, InvalidKind, Options, derive_seed};
use decoy_validate::Validators;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

use crate::auth;
use crate::checks::{self, Draft, Expect, body_value};
use crate::client::{Auth, Client, Exchange, Failure, Payload, Request};
use crate::links::{self, Creator};
use crate::model::{Input, OpModel, encode, scalar, segment_stays};
use crate::report::{Coverage, Finding, Reproduction, SequenceSummary, SnapshotSummary, Step};
use crate::repro::{body_summary, curl};
use crate::snapshot::{self, Normalizer};
use crate::{Check, Config, ConformError, Report};

mod chain;

#[derive(Default)]
struct Stats {
    seen: BTreeMap<u16, u32>,
    requests: u32,
    total_ms: f64,
    max_ms: f64,
    /// Checks that looked at a response of this operation.
    ran: BTreeSet<Check>,
    /// Valid cases sent (examples included).
    cases: u32,
    /// Cases not sent: their path would route to another operation.
    rerouted: u32,
    /// Timeouts since the last response.
    timeouts_in_row: u32,
    /// Response body bytes received.
    bytes: u64,
    /// This operation's share of the time limit ends here.
    deadline: Option<Instant>,
    /// Why testing stopped early, if it did.
    stopped: Option<Stop>,
    /// Negative cases were sent although no valid request had succeeded,
    /// so their 4xx may be about the resource rather than the invalid part.
    blind_negatives: bool,
}

/// Why an operation was not tested to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    NotReached,
    TimeLimit,
    Timeouts(u32),
    Bytes(u64),
    Unresponsive,
}

#[derive(Default)]
struct Findings {
    by_signature: HashMap<String, usize>,
    list: Vec<(usize, Finding)>,
}

pub(crate) struct Ctx {
    spec: Spec,
    config: Config,
    client: Client,
    validators: Validators,
    models: Vec<OpModel>,
    creators: Vec<Creator>,
    requests: AtomicU64,
    deadline: Option<Instant>,
    cut: AtomicBool,
    /// Timeouts in a row across the run, and whether that many mean the
    /// target has stopped answering altogether.
    silent_in_row: AtomicU32,
    unresponsive: AtomicBool,
    /// Wakes requests in flight when the target is found unresponsive, so
    /// the run ends without waiting out their timeouts.
    halt: tokio::sync::Notify,
    /// Operations not yet started, to share out what is left of the time
    /// limit.
    ops_left: AtomicUsize,
    /// Held while a large body is parsed and validated: its parsed form
    /// takes several times its size, so one at a time bounds memory.
    large: Mutex<()>,
    stats: Mutex<Vec<Stats>>,
    findings: Mutex<Findings>,
    snapshots: Mutex<SnapshotSummary>,
    summary: Mutex<SequenceSummary>,
}

/// A TestRunner whose every draw follows from `seed` and `key`.
fn runner(seed: u64, key: &str) -> TestRunner {
    let s = derive_seed(seed, key);
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&decoy_synth::record_seed(s, i as u64).to_le_bytes());
    }
    let config = proptest::test_runner::Config {
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// Simplifies `tree` as far as it goes (the simplest valid input).
fn simplest<T: std::fmt::Debug>(tree: &mut Tree<T>) {
    for _ in 0..64 {
        if !tree.simplify() {
            break;
        }
    }
}

/// One step of proptest's shrinking loop, driven by hand because the test
/// is async: after a failing candidate simplify, after a passing one
/// complicate. Returns false when the tree has nothing left to try.
fn advance<T: std::fmt::Debug>(tree: &mut Tree<T>, failed: bool) -> bool {
    if failed {
        tree.simplify()
    } else {
        tree.complicate()
    }
}

pub(crate) async fn run(spec: &Spec, config: Config) -> Result<Report, ConformError> {
    if config.cases == 0 && config.sequences == 0 {
        return Err(ConformError::Usage {
            setting: "cases",
            message: "nothing to do: cases and sequences are both 0".into(),
        });
    }
    auth::check_names(spec, &config)?;
    let chosen = selection(spec, &config)?;
    let client = Client::new(&config)?;
    client.probe(config.connect_timeout).await?;
    let generator = Generator::new(
        spec.document().clone(),
        Options::default().direction(Direction::Request),
    );
    let mut models = Vec::new();
    for op in spec.operations() {
        models.push(OpModel::build(spec, &generator, &config, op));
    }
    // An operation nothing valid can be generated for is never sent.
    let usable = |op: usize| chosen[op] && !models[op].unusable;
    let mut creators = links::infer(spec);
    creators.retain(|c| usable(c.op));
    for c in &mut creators {
        c.targets.retain(|t| usable(t.op));
        if c.listing.as_ref().is_some_and(|l| !usable(l.op)) {
            c.listing = None;
        }
    }
    let started = Instant::now();
    let owned: Vec<usize> = (0..models.len())
        .filter(|&i| chosen[i])
        .enumerate()
        .filter(|&(k, _)| config.shard.is_none_or(|s| s.owns(k)))
        .map(|(_, i)| i)
        .collect();
    let ctx = Arc::new(Ctx {
        spec: spec.clone(),
        creators,
        validators: Validators::new(spec),
        client,
        stats: Mutex::new((0..models.len()).map(|_| Stats::default()).collect()),
        models,
        requests: AtomicU64::new(0),
        deadline: config.time_limit.map(|t| started + t),
        cut: AtomicBool::new(false),
        silent_in_row: AtomicU32::new(0),
        unresponsive: AtomicBool::new(false),
        halt: tokio::sync::Notify::new(),
        ops_left: AtomicUsize::new(owned.len()),
        large: Mutex::new(()),
        findings: Mutex::new(Findings::default()),
        snapshots: Mutex::new(SnapshotSummary::default()),
        summary: Mutex::new(SequenceSummary::default()),
        config,
    });
    let sequence_units = if ctx.creators.is_empty() {
        0
    } else {
        (0..ctx.config.sequences)
            .filter(|&i| ctx.config.shard.is_none_or(|s| s.owns(i as usize)))
            .count()
    };
    ctx.progress(|p| p.start((owned.len() + sequence_units) as u64));

    if ctx.config.snapshots.is_some() {
        for &i in &owned {
            ctx.snapshot_pass(i).await?;
        }
    }

    let permits = Arc::new(tokio::sync::Semaphore::new(ctx.config.workers.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for &i in &owned {
        let ctx = ctx.clone();
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            ctx.start_operation(i);
            if ctx.stats(i, |s| s.stopped.is_none()) {
                ctx.operation(i).await;
            }
            ctx.progress(|p| p.unit_done());
        });
    }
    while tasks.join_next().await.is_some() {}

    let sequences: Vec<u32> = (0..ctx.config.sequences)
        .filter(|&i| ctx.config.shard.is_none_or(|s| s.owns(i as usize)))
        .collect();
    let mut sequences_run = 0;
    if !ctx.creators.is_empty() && !sequences.is_empty() {
        // One lane: sequences share the target's state, and a read-twice
        // oracle must not see another sequence's writes.
        for i in sequences {
            if ctx.expired() || ctx.unresponsive.load(Ordering::Relaxed) {
                break;
            }
            ctx.sequence(i).await;
            sequences_run += 1;
            ctx.progress(|p| p.unit_done());
        }
    }
    if ctx.unresponsive.load(Ordering::Relaxed) {
        let n = ctx.silence_limit();
        return Err(ConformError::Unresponsive {
            url: ctx.client.base.clone(),
            message: format!(
                "{n} requests in a row got no complete response within {:?}; check the target, or raise --timeout",
                ctx.config.request_timeout
            ),
        });
    }

    let stats = std::mem::take(&mut *ctx.stats.lock().unwrap_or_else(|e| e.into_inner()));
    let coverage: Vec<Coverage> = owned
        .iter()
        .map(|&i| {
            let op = &ctx.spec.operations()[i];
            let s = &stats[i];
            Coverage {
                operation: op.name(),
                route: format!("{} {}", op.method, op.path),
                documented: op.responses.iter().map(|r| r.status.to_string()).collect(),
                seen: s.seen.clone(),
                requests: s.requests,
                mean_ms: if s.requests > 0 {
                    s.total_ms / f64::from(s.requests)
                } else {
                    0.0
                },
                max_ms: s.max_ms,
                cases: s.cases,
                rerouted: s.rerouted,
                checks_run: s.ran.iter().copied().collect(),
                note: note(s, ctx.config.cases),
                blind_negatives: s.blind_negatives,
                no_success: if ctx.models[i].unusable {
                    Some("never sent: a required part cannot be generated (see hints)".to_owned())
                } else {
                    no_success(s)
                },
            }
        })
        .collect();
    let mut findings =
        std::mem::take(&mut ctx.findings.lock().unwrap_or_else(|e| e.into_inner()).list);
    findings
        .sort_by(|(a, fa), (b, fb)| (a, fa.check, &fa.message).cmp(&(b, fb.check, &fb.message)));
    let snapshots = ctx
        .config
        .snapshots
        .is_some()
        .then(|| std::mem::take(&mut *ctx.snapshots.lock().unwrap_or_else(|e| e.into_inner())));
    let hints = hints(&ctx, &owned, &coverage);
    Ok(Report {
        document: ctx.spec.origin().to_owned(),
        target: ctx.client.base.clone(),
        seed: ctx.config.seed,
        shard: ctx.config.shard,
        requests: ctx.requests.load(Ordering::Relaxed),
        elapsed_ms: started.elapsed().as_millis() as u64,
        cut_short: ctx.cut.load(Ordering::Relaxed),
        skipped_checks: ctx.config.skip.clone(),
        sequences: sequences_run,
        sequence_summary: std::mem::take(
            &mut *ctx.summary.lock().unwrap_or_else(|e| e.into_inner()),
        ),
        hints,
        findings: findings.into_iter().map(|(_, f)| f).collect(),
        coverage,
        snapshots,
    })
}

/// Which operations the include/exclude selectors keep.
fn selection(spec: &Spec, config: &Config) -> Result<Vec<bool>, ConformError> {
    let chosen: Vec<bool> = spec
        .operations()
        .iter()
        .map(|op| {
            let tags: Vec<&str> = spec
                .get(&format!("{}/tags", op.pointer))
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let name = op.name();
            crate::config::selected(&config.include, &config.exclude, |s| {
                s.matches(&name, &op.method, &op.path, &tags)
            })
        })
        .collect();
    if spec.operations().is_empty() {
        return Err(ConformError::Usage {
            setting: "document",
            message: format!(
                "{} has no operations under `paths` to test (webhooks and callbacks are requests the API sends, not ones it answers)",
                spec.origin()
            ),
        });
    }
    if !chosen.contains(&true) {
        return Err(ConformError::Usage {
            setting: "include",
            message: format!(
                "no operation of the document's {} is left by the include/exclude filters",
                spec.operations().len()
            ),
        });
    }
    Ok(chosen)
}

/// What the report says about an operation not tested to the end.
fn note(s: &Stats, cases: u32) -> Option<String> {
    let stop = s.stopped?;
    Some(match stop {
        Stop::NotReached => "not reached: the time limit was spent before it".to_owned(),
        Stop::TimeLimit => format!(
            "cut short by its share of the time limit after {} of {cases} cases",
            s.cases
        ),
        Stop::Timeouts(n) => format!("stopped after {n} timeouts in a row"),
        Stop::Bytes(n) => format!(
            "stopped after {} MiB of responses (each checked in full; the budget keeps the run short)",
            n >> 20
        ),
        Stop::Unresponsive => "stopped: the target stopped answering".to_owned(),
    })
}

/// Why an operation never got a 2xx, read from what it did get.
fn no_success(s: &Stats) -> Option<String> {
    if s.seen.keys().any(|c| (200..300).contains(c)) {
        return None;
    }
    if s.seen.is_empty() {
        return Some(if s.rerouted > 0 {
            "never sent: every generated path routes to another operation".to_owned()
        } else {
            "never sent".to_owned()
        });
    }
    // Auth probes and negative cases answer 401 and 400 whatever happens
    // to valid requests: look past them when anything else came back.
    let codes: Vec<u16> = s.seen.keys().copied().collect();
    let past_auth: Vec<u16> = codes
        .iter()
        .copied()
        .filter(|c| !matches!(c, 401 | 403))
        .collect();
    let valid = if past_auth.is_empty() {
        &codes
    } else {
        &past_auth
    };
    let all = |f: &dyn Fn(u16) -> bool| valid.iter().all(|&c| f(c));
    let list = codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Some(if all(&|c| c == 401 || c == 403) {
        format!("always {list}: the credentials are missing or refused (--token, --auth)")
    } else if valid.contains(&404) && all(&|c| matches!(c, 400 | 404 | 410 | 415 | 422)) {
        format!("got {list}: no valid id found (seed one with --id)")
    } else if all(&|c| matches!(c, 400 | 409 | 415 | 422)) {
        format!("every request refused ({list}): no body or parameters it accepts")
    } else if all(&|c| c >= 500) {
        format!("only server errors ({list})")
    } else {
        format!("no 2xx; got {list}")
    })
}

/// Advice the numbers support (a missing base path, an overloaded target),
/// and what the document made impossible to generate for the operations run.
fn hints(ctx: &Ctx, owned: &[usize], coverage: &[Coverage]) -> Vec<String> {
    let mut out: Vec<String> = owned
        .iter()
        .flat_map(|&i| ctx.models[i].cannot.iter().cloned())
        .collect();
    let count = |f: &dyn Fn(u16) -> bool| -> u32 {
        coverage
            .iter()
            .flat_map(|c| c.seen.iter())
            .filter(|(s, _)| f(**s))
            .map(|(_, n)| n)
            .sum()
    };
    let total = count(&|_| true);
    let not_found = count(&|s| s == 404);
    let undocumented_404 = coverage
        .iter()
        .filter(|c| c.seen.contains_key(&404) && !c.documented.iter().any(|k| k == "404"))
        .count();
    if total >= 10 && not_found * 10 >= total * 9 && undocumented_404 * 2 >= coverage.len() {
        let base = ctx
            .spec
            .operations()
            .iter()
            .flat_map(|op| op.servers.iter())
            .map(|s| s.base_path.as_str())
            .find(|b| !b.is_empty());
        let url = &ctx.client.base;
        out.push(match base {
            Some(b) if !url.ends_with(b) => format!(
                "{not_found} of {total} responses were 404: the URL probably lacks the document's server base path (try --url {url}{b})"
            ),
            _ => format!(
                "{not_found} of {total} responses were 404: is {url} the base URL the document's paths hang from?"
            ),
        });
    }
    let overloaded = count(&|s| s == 503 || s == 429);
    if overloaded > 0 && ctx.config.workers > 1 {
        out.push(format!(
            "{overloaded} responses were 503 or 429 with {} workers: the target may be overloaded; try --workers 1",
            ctx.config.workers
        ));
    }
    out
}

/// How a probe changes the request built from a valid input.
#[derive(Debug, Clone, Copy)]
enum Variant {
    Malformed,
    MediaType,
    Pad(usize),
}

/// Bodies over this size are checked one at a time (see `Ctx::large`).
const LARGE_BODY: usize = 1024 * 1024;

/// What replaying a failure showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replayed {
    /// It came back (or replays are off): a solid finding.
    Again,
    /// It did not come back, and the request changes nothing: flaky.
    Gone,
    /// It did not come back, but the request writes (POST, PUT, PATCH,
    /// DELETE): the target's state differs between tries, which is not
    /// flakiness.
    GoneAfterWrite,
}

/// Methods that change nothing on the server, so a replay sees the state
/// the first try saw.
fn safe(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

impl Ctx {
    fn progress(&self, update: impl FnOnce(&crate::Progress)) {
        if let Some(p) = &self.config.progress {
            update(p);
        }
    }

    fn stats<R>(&self, op: usize, f: impl FnOnce(&mut Stats) -> R) -> R {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner())[op])
    }

    fn expired(&self) -> bool {
        match self.deadline {
            Some(d) if Instant::now() >= d => {
                self.cut.store(true, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Gives operation `op` its share of what is left of the time limit:
    /// the time left (less a fifth kept for sequences) times the workers,
    /// over the operations not started yet. Time an operation does not use
    /// goes to those after it.
    fn start_operation(&self, op: usize) {
        let not_started = self.ops_left.fetch_sub(1, Ordering::Relaxed).max(1);
        let Some(end) = self.deadline else { return };
        let now = Instant::now();
        if now >= end {
            self.cut.store(true, Ordering::Relaxed);
            self.stats(op, |s| s.stopped = Some(Stop::NotReached));
            return;
        }
        let mut left = end - now;
        if !self.creators.is_empty() && self.config.sequences > 0 {
            left = left.mul_f64(0.8);
        }
        let lanes = self.config.workers.max(1).min(not_started) as u32;
        let share = left * lanes / not_started as u32;
        self.stats(op, |s| s.deadline = Some(now + share));
    }

    /// Timeouts in a row, across operations, after which the target counts
    /// as no longer answering.
    fn silence_limit(&self) -> u32 {
        (self.config.max_timeouts_in_row.max(1) * 4).max(self.config.workers as u32)
    }

    /// Whether operation `op` timed out too often in a row or received its
    /// budget of bytes, or the target stopped answering (the time limit
    /// aside, which sequences check on their own).
    fn exhausted(&self, op: usize) -> bool {
        let limit = self.config.max_timeouts_in_row.max(1);
        let bytes = self.config.max_bytes_per_operation as u64;
        self.unresponsive.load(Ordering::Relaxed)
            || self.stats(op, |s| s.timeouts_in_row >= limit || s.bytes >= bytes)
    }

    /// Whether operation `op` is done for: its share of the time is spent,
    /// it timed out too often in a row, or the target stopped answering.
    fn op_over(&self, op: usize) -> bool {
        let unresponsive = self.unresponsive.load(Ordering::Relaxed);
        let limit = self.config.max_timeouts_in_row.max(1);
        let bytes = self.config.max_bytes_per_operation as u64;
        let now = Instant::now();
        let (over, timed) = self.stats(op, |s| {
            if s.stopped.is_none() {
                if unresponsive {
                    s.stopped = Some(Stop::Unresponsive);
                } else if s.timeouts_in_row >= limit {
                    s.stopped = Some(Stop::Timeouts(s.timeouts_in_row));
                } else if s.bytes >= bytes {
                    s.stopped = Some(Stop::Bytes(bytes));
                } else if s.deadline.is_some_and(|d| now >= d) {
                    s.stopped = Some(Stop::TimeLimit);
                }
            }
            (s.stopped.is_some(), s.stopped == Some(Stop::TimeLimit))
        });
        if timed {
            self.cut.store(true, Ordering::Relaxed);
        }
        over
    }

    /// Whether `request` can be charged to operation `op`: not when a value
    /// turned its path into another operation's (`/users/me`), whose answer
    /// says nothing about `op`. A path the router matches to nothing is
    /// sent (the router cannot tell, and path values never leave their
    /// segment).
    fn attributable(&self, op: usize, request: &Request) -> bool {
        match self.spec.router().find(&request.method, &request.target) {
            decoy_spec::RouteMatch::Found { operation, .. } => operation.index() == op,
            decoy_spec::RouteMatch::MethodNotAllowed { .. } => false,
            decoy_spec::RouteMatch::NotFound => true,
        }
    }

    async fn send(&self, op: usize, request: &Request) -> Result<Exchange, Failure> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.progress(|p| p.request());
        let halted = self.halt.notified();
        let outcome = if self.unresponsive.load(Ordering::Relaxed) {
            Err(Failure::Timeout(self.config.request_timeout))
        } else {
            tokio::select! {
                outcome = self.client.send(request) => outcome,
                () = halted => Err(Failure::Timeout(self.config.request_timeout)),
            }
        };
        match &outcome {
            Ok(ex) => {
                let ms = ex.elapsed.as_secs_f64() * 1000.0;
                self.silent_in_row.store(0, Ordering::Relaxed);
                self.stats(op, |s| {
                    *s.seen.entry(ex.status).or_default() += 1;
                    s.requests += 1;
                    s.total_ms += ms;
                    s.max_ms = s.max_ms.max(ms);
                    s.timeouts_in_row = 0;
                    s.bytes += ex.body.len() as u64;
                });
            }
            Err(failure) => {
                let timeout = matches!(failure, Failure::Timeout(_));
                self.stats(op, |s| {
                    s.requests += 1;
                    if timeout {
                        s.timeouts_in_row += 1;
                    }
                });
                if timeout {
                    let n = self.silent_in_row.fetch_add(1, Ordering::Relaxed) + 1;
                    if n >= self.silence_limit() {
                        self.unresponsive.store(true, Ordering::Relaxed);
                        self.halt.notify_waiters();
                    }
                }
            }
        }
        outcome
    }

    async fn exchange(
        &self,
        op: usize,
        request: &Request,
        expect: &Expect,
    ) -> (Result<Exchange, Failure>, Vec<Draft>) {
        let outcome = self.send(op, request).await;
        let operation = &self.spec.operations()[op];
        let ran = checks::applied(&self.config, operation, expect, &outcome);
        self.stats(op, |s| s.ran.extend(ran));
        let large = outcome
            .as_ref()
            .is_ok_and(|e| e.body.len() > LARGE_BODY)
            .then(|| self.large.lock().unwrap_or_else(|e| e.into_inner()));
        let drafts = checks::check(&self.config, &self.validators, operation, expect, &outcome);
        drop(large);
        (outcome, drafts)
    }

    /// Marks `check` as run on operation `op` (checks outside
    /// [`checks::check`]: sequences, snapshots).
    fn ran(&self, op: usize, check: Check) {
        if self.config.enabled(check) {
            self.stats(op, |s| s.ran.insert(check));
        }
    }

    /// Counts `draft` against an existing finding; false when it is new.
    fn seen(&self, draft: &Draft) -> bool {
        let mut f = self.findings.lock().unwrap_or_else(|e| e.into_inner());
        match f.by_signature.get(&draft.signature) {
            Some(&i) => {
                f.list[i].1.occurrences += 1;
                true
            }
            None => false,
        }
    }

    fn record(&self, order: usize, draft: Draft, replayed: Replayed, reproduction: Reproduction) {
        let mut f = self.findings.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&i) = f.by_signature.get(&draft.signature) {
            f.list[i].1.occurrences += 1;
            return;
        }
        let operation = draft
            .signature
            .split('|')
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let i = f.list.len();
        f.by_signature.insert(draft.signature.clone(), i);
        self.progress(|p| p.finding());
        f.list.push((
            order,
            Finding {
                check: draft.check,
                operation,
                message: draft.message,
                status: draft.status,
                violations: draft.violations,
                body: draft.body,
                diff: draft.diff,
                occurrences: 1,
                flaky: replayed == Replayed::Gone,
                unconfirmed: replayed == Replayed::GoneAfterWrite,
                reproduction,
            },
        ));
    }

    fn one_step(
        &self,
        op: usize,
        request: &Request,
        status: Option<u16>,
        shrunk: bool,
    ) -> Reproduction {
        Reproduction {
            seed: self.config.seed,
            shrunk,
            steps: vec![Step {
                operation: self.models[op].name.clone(),
                request: format!("{} {}{}", request.method, self.client.base, request.target),
                body: body_summary(request),
                status,
            }],
            script: curl(&self.client, request, &request.target),
        }
    }

    /// Runs one case: send, check, and for each new kind of failure replay
    /// it (flaky if it does not come back) and shrink it. Returns the
    /// status, if a response came; nothing is sent when the request would
    /// route to another operation.
    async fn case<T: Clone + Send + Sync + std::fmt::Debug>(
        &self,
        op: usize,
        tree: &mut Tree<T>,
        make: &(dyn Fn(&T) -> (Request, Expect) + Send + Sync),
    ) -> Option<u16> {
        let (request, expect) = make(&tree.current());
        if !self.attributable(op, &request) {
            self.stats(op, |s| s.rerouted += 1);
            return None;
        }
        let (outcome, drafts) = self.exchange(op, &request, &expect).await;
        let status = outcome.as_ref().ok().map(|e| e.status);
        let fresh: Vec<Draft> = drafts.into_iter().filter(|d| !self.seen(d)).collect();
        let mut shrunk_one = false;
        for draft in fresh {
            let signature = draft.signature.clone();
            let mut replayed = Replayed::Again;
            for k in 0..self.config.replays {
                if self.op_over(op) {
                    break;
                }
                if self.fails(op, &request, &expect, &signature).await {
                    replayed = Replayed::Again;
                    break;
                }
                if k == 0 {
                    replayed = if safe(&request.method) {
                        Replayed::Gone
                    } else {
                        Replayed::GoneAfterWrite
                    };
                }
            }
            // A timeout costs the whole timeout per try: not worth shrinking.
            let slow = signature.ends_with("|timeout");
            // A tree shrinks once; later failures of the same case keep the
            // original request.
            let (best, shrunk) = if replayed == Replayed::Again && !shrunk_one && !slow {
                shrunk_one = true;
                let mut best = request.clone();
                let mut more = tree.simplify();
                let mut budget = self.config.shrink_budget;
                while more && budget > 0 && !self.op_over(op) {
                    budget -= 1;
                    let (r, e) = make(&tree.current());
                    let failed =
                        self.attributable(op, &r) && self.fails(op, &r, &e, &signature).await;
                    if failed {
                        best = r;
                    }
                    more = advance(tree, failed);
                }
                (best, true)
            } else {
                (request.clone(), false)
            };
            let status = draft.status;
            self.record(
                op * 100 + 1,
                draft,
                replayed,
                self.one_step(op, &best, status, shrunk),
            );
        }
        status
    }

    async fn fails(&self, op: usize, request: &Request, expect: &Expect, signature: &str) -> bool {
        let (_, drafts) = self.exchange(op, request, expect).await;
        drafts.iter().any(|d| d.signature == signature)
    }

    async fn sequence_fails(
        &self,
        base: &[(String, String)],
        steps: &[SeqStep],
        signature: &str,
    ) -> bool {
        self.play(base, steps)
            .await
            .0
            .iter()
            .any(|d| d.signature == signature)
    }

    /// Every case and probe of one operation, in a fixed order: the
    /// document's request examples, generated cases, auth probes, body
    /// probes, negative cases. Probes and negative cases start from a
    /// valid input the target accepted (2xx), so that a refusal is about
    /// what they break, not about a resource that does not exist.
    async fn operation(&self, i: usize) {
        let model = &self.models[i];
        if model.unusable {
            return;
        }
        let edge = |p: &crate::model::ParamModel, s: &str| {
            let Some(plan) = &p.plan else { return false };
            self.validators
                .compile(plan_pointer(plan))
                .is_ok_and(|v| v.is_valid(&Value::String(s.to_owned())))
        };
        let strategy = model.strategy(&edge);
        let valid = |input: &Input| (model.request(input, Auth::Configured), Expect::Valid);
        let mut live: Option<Input> = None;
        let mut note_live = |status: Option<u16>, input: &Input| {
            if live.is_none() && status.is_some_and(|s| (200..300).contains(&s)) {
                live = Some(input.clone());
            }
        };
        let mut aside = runner(self.config.seed, &format!("examples {}", model.name));
        let examples = self.examples(i);
        if !examples.is_empty()
            && let Ok(mut base) = strategy.new_tree(&mut aside)
        {
            simplest(&mut base);
            let base = base.current();
            for body in examples {
                if self.op_over(i) {
                    return;
                }
                let input = Input {
                    params: base.params.clone(),
                    body: Some(body),
                };
                let Ok(mut tree) = Just(input.clone()).erased().new_tree(&mut aside) else {
                    break;
                };
                let status = self.case(i, &mut tree, &valid).await;
                self.stats(i, |s| s.cases += 1);
                note_live(status, &input);
            }
        }
        let mut runner = runner(self.config.seed, &model.name);
        for _ in 0..self.config.cases {
            if self.op_over(i) {
                return;
            }
            let Ok(mut tree) = strategy.new_tree(&mut runner) else {
                break;
            };
            let input = tree.current();
            let status = self.case(i, &mut tree, &valid).await;
            self.stats(i, |s| s.cases += 1);
            note_live(status, &input);
        }
        // Probes start from the accepted input, else the simplest valid one.
        let base: Erased<Input> = match &live {
            Some(input) => Just(input.clone()).erased(),
            None => {
                let Ok(mut tree) = strategy.new_tree(&mut runner) else {
                    return;
                };
                simplest(&mut tree);
                Just(tree.current()).erased()
            }
        };
        let Ok(mut tree) = base.new_tree(&mut runner) else {
            return;
        };
        if model.protected {
            let no_auth = |input: &Input| (model.request(input, Auth::Missing), Expect::NoAuth);
            self.case(i, &mut tree, &no_auth).await;
            if self.config.token.is_some() || !model.creds.is_empty() {
                let bad = |input: &Input| (model.request(input, Auth::Invalid), Expect::BadAuth);
                self.case(i, &mut tree, &bad).await;
            }
        }
        if let Some(body) = &model.body {
            let variants = [
                Variant::Malformed,
                Variant::MediaType,
                Variant::Pad(self.config.large_body_bytes),
            ];
            // Broken JSON is invalid only where JSON is all the operation
            // takes, and `text/plain` only where no documented type covers it
            // (`application/octet-stream` and `*/*` take any bytes).
            let documented: Vec<&str> = self.spec.operations()[i]
                .request_body
                .iter()
                .flat_map(|rb| rb.content.iter().map(|m| m.name.as_str()))
                .collect();
            let json_only = media::kind(&body.media) == media::MediaKind::Json
                && !body.media.contains('*')
                && documented
                    .iter()
                    .all(|d| media::kind(d) == media::MediaKind::Json && !d.contains('*'));
            let takes_text = media::best(documented.iter().copied(), "text/plain").is_some();
            for v in variants {
                let pointless = match v {
                    Variant::Malformed => !json_only,
                    Variant::MediaType => takes_text,
                    Variant::Pad(n) => n == 0,
                };
                if pointless || self.op_over(i) {
                    continue;
                }
                let make = move |input: &Input| self.variant(model, input, v);
                self.case(i, &mut tree, &make).await;
            }
        }
        let known = live.is_some();
        let valid = if known { base } else { strategy };
        self.negative(i, &valid, known, &mut runner).await;
    }

    /// The document's request body examples for operation `i` that are
    /// valid against the body schema (an invalid example is not a valid
    /// case).
    fn examples(&self, i: usize) -> Vec<Value> {
        let model = &self.models[i];
        let Some(schema) = model.body.as_ref().and_then(|b| b.schema.as_deref()) else {
            return Vec::new();
        };
        let Ok(validator) = self.validators.compile(schema) else {
            return Vec::new();
        };
        model
            .examples
            .iter()
            .filter(|e| validator.is_valid(e))
            .cloned()
            .collect()
    }

    fn variant(&self, model: &OpModel, input: &Input, v: Variant) -> (Request, Expect) {
        let mut input = input.clone();
        if input.body.is_none()
            && let Some(plan) = model.body.as_ref().and_then(|b| b.plan.as_ref())
        {
            input.body = plan.generate(0).ok();
        }
        let mut req = model.request(&input, Auth::Configured);
        let text = req
            .body
            .as_ref()
            .map(|b| b.text.clone())
            .unwrap_or_else(|| "{}".into());
        let json = model
            .body
            .as_ref()
            .map_or("application/json".into(), |b| b.media.clone());
        match v {
            Variant::Malformed => {
                let cut = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(text.chars().count() / 2)
                    .unwrap_or(0);
                let broken = format!("{}{}", &text[..cut.max(1).min(text.len())], "\u{0}");
                req.body = Some(Payload {
                    content_type: json,
                    text: broken,
                    pad: 0,
                });
                (req, Expect::Invalid("malformed JSON body".into()))
            }
            Variant::MediaType => {
                req.body = Some(Payload {
                    content_type: "text/plain".into(),
                    text,
                    pad: 0,
                });
                (req, Expect::MediaType)
            }
            Variant::Pad(n) => {
                req.body = Some(Payload {
                    content_type: json,
                    text,
                    pad: n,
                });
                (req, Expect::Large)
            }
        }
    }

    /// Labelled invalid bodies and parameters; each must get a documented
    /// 4xx. A value the validator finds valid after all is not sent as
    /// invalid.
    /// `known`: `valid` is an input the target accepted, so invalid bodies
    /// are grafted into its body and sent to the same resource.
    async fn negative(
        &self,
        i: usize,
        valid: &Erased<Input>,
        known: bool,
        runner: &mut TestRunner,
    ) {
        let model = &self.models[i];
        let budget = (self.config.cases / 5).max(2);
        let mut targets: Vec<(Option<usize>, decoy_synth::Plan, String)> = Vec::new();
        if let Some(b) = &model.body
            && let (Some(plan), Some(schema)) = (&b.plan, &b.schema)
        {
            targets.push((None, plan.clone(), schema.clone()));
        }
        for (pi, p) in model.params.iter().enumerate() {
            let Some(plan) = &p.plan else { continue };
            // A path segment is text, and never empty: a plain string
            // parameter (`type: string`, `minLength: 1`) has no invalid
            // value left once sent, so spend no requests on it.
            if p.location == ParameterLocation::Path {
                let validator = self.validators.compile(plan_pointer(plan)).ok();
                let survives = plan.invalid_kinds().into_iter().any(|kind| {
                    (0..4).any(|seed| {
                        let bad = plan.generate_invalid_kind(kind, seed).ok().flatten();
                        bad.zip(validator.as_ref()).is_some_and(|(bad, v)| {
                            wire_invalid(v, ParameterLocation::Path, &bad.value)
                        })
                    })
                });
                if !survives {
                    continue;
                }
            }
            targets.push((Some(pi), plan.clone(), plan_pointer(plan).to_owned()));
        }
        for (slot, plan, schema) in targets {
            if plan.invalid_kinds().is_empty() {
                continue;
            }
            let validator = self.validators.compile(&schema).ok();
            // Each kind of break once first (a server that forgets one
            // `required` check is caught however few cases there are), then
            // any kind.
            let kinds = plan.invalid_kinds();
            let strategies: Vec<Erased<(Input, decoy_synth::Invalid)>> = (0..budget as usize)
                .map(|k| {
                    let kind = kinds.get(k).copied();
                    (valid.clone(), plan.invalid_strategy(kind)).erased()
                })
                .collect();
            let where_ = match slot {
                None => "body".to_owned(),
                Some(pi) => format!(
                    "{} parameter `{}`",
                    model.params[pi].location.as_str(),
                    model.params[pi].name
                ),
            };
            let make = |(input, bad): &(Input, decoy_synth::Invalid)| {
                let mut input = input.clone();
                let value = match slot {
                    None if known => graft(input.body.as_ref(), bad),
                    _ => bad.value.clone(),
                };
                let really = validator.as_ref().is_some_and(|v| match slot {
                    None => !v.is_valid(&value),
                    Some(pi) => wire_invalid(v, model.params[pi].location, &value),
                });
                match slot {
                    None => input.body = Some(value),
                    Some(pi) => input.params[pi] = Some(value),
                }
                let expect = if really {
                    let at = if bad.instance_pointer.is_empty() {
                        "(root)"
                    } else {
                        &bad.instance_pointer
                    };
                    Expect::Invalid(format!("{where_}: {} at {at}", kind_text(bad.kind)))
                } else {
                    Expect::Valid
                };
                (model.request(&input, Auth::Configured), expect)
            };
            if !known {
                self.stats(i, |s| s.blind_negatives = true);
            }
            for strategy in &strategies {
                if self.op_over(i) {
                    return;
                }
                let Ok(mut tree) = strategy.new_tree(runner) else {
                    break;
                };
                self.case(i, &mut tree, &make).await;
            }
        }
        // A required query or header parameter left out.
        for (pi, p) in model.params.iter().enumerate() {
            if p.location == ParameterLocation::Path || !p.required {
                continue;
            }
            let Ok(mut tree) = valid.new_tree(runner) else {
                break;
            };
            simplest(&mut tree);
            let what = format!(
                "required {} parameter `{}` missing",
                p.location.as_str(),
                p.name
            );
            let make = |input: &Input| {
                let mut input = input.clone();
                input.params[pi] = None;
                (
                    model.request(&input, Auth::Configured),
                    Expect::Invalid(what.clone()),
                )
            };
            self.case(i, &mut tree, &make).await;
        }
    }

    /// Records the normalized response of each operation's simplest valid
    /// request (and, for protected ones, its refusal) and compares it with
    /// the snapshot on disk. Runs before anything else, one request at a
    /// time, so a stateful target is seen in the same state every run.
    async fn snapshot_pass(&self, i: usize) -> Result<(), ConformError> {
        let Some(dir) = self.config.snapshots.clone() else {
            return Ok(());
        };
        let model = &self.models[i];
        let op = &self.spec.operations()[i];
        let edge = |_: &crate::model::ParamModel, _: &str| false;
        let mut runner = runner(self.config.seed, &format!("snapshot {}", model.name));
        let Ok(mut tree) = model.strategy(&edge).new_tree(&mut runner) else {
            return Ok(());
        };
        simplest(&mut tree);
        let input = tree.current();
        let mut auths = vec![Auth::Configured];
        if model.protected {
            auths.push(Auth::Missing);
        }
        for auth in auths {
            let request = model.request(&input, auth);
            let Ok(ex) = self.send(i, &request).await else {
                continue;
            };
            let Some(body) = body_value(&ex.body) else {
                continue;
            };
            let schema = op
                .response(ex.status)
                .and_then(|r| r.content.iter().find(|m| m.is_json()))
                .and_then(|m| m.schema.as_deref());
            let normalizer = Normalizer {
                document: self.spec.document(),
                names: &self.config.redact,
            };
            let value = normalizer.normalize(&body, schema);
            let name = snapshot::file_name(&model.name, ex.status);
            let expression = format!("{} {} -> {}", op.method, op.path, ex.status);
            let outcome = snapshot::compare(
                &dir,
                &name,
                &expression,
                &value,
                self.config.update_snapshots,
            )?;
            self.ran(i, Check::Snapshot);
            let mut s = self.snapshots.lock().unwrap_or_else(|e| e.into_inner());
            match outcome {
                snapshot::Outcome::Written => s.written.push(name),
                snapshot::Outcome::Matched => s.matched.push(name),
                snapshot::Outcome::Changed(diff) => {
                    s.changed.push(name.clone());
                    drop(s);
                    if self.config.enabled(Check::Snapshot) {
                        let mut d = Draft::new(
                            Check::Snapshot,
                            &model.name,
                            &ex.status.to_string(),
                            format!(
                                "the {} response differs from snapshot {name} (a .snap.new was written beside it)",
                                ex.status
                            ),
                        );
                        d.status = Some(ex.status);
                        d.diff = Some(diff);
                        self.record(
                            i * 100,
                            d,
                            Replayed::Again,
                            self.one_step(i, &request, Some(ex.status), true),
                        );
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whether a parameter value is still invalid once it is text on the wire.
/// A server reads `5` as the string "5" or the number 5, whichever its
/// schema wants, so the value is invalid only if neither reading is valid
/// (else a lax-but-correct server would be blamed). An empty path segment
/// is never sent as invalid: `/pets/` may rightly route elsewhere.
fn wire_invalid(v: &decoy_validate::Validator, location: ParameterLocation, value: &Value) -> bool {
    if matches!(value, Value::Array(_) | Value::Object(_)) && location != ParameterLocation::Path {
        // On the wire every leaf is text (`ids=123` reads as `["123"]` or
        // `[123]`), and a repeated name may be read as its one value: the
        // value is invalid only if no such reading is valid.
        let mut readings = vec![leaves(value, false), leaves(value, true)];
        if let Value::Array(items) = value {
            for item in items.iter().filter(|i| !i.is_array() && !i.is_object()) {
                readings.push(leaves(item, false));
                readings.push(leaves(item, true));
            }
        }
        return readings.iter().all(|r| !v.is_valid(r));
    }
    let text = scalar(value);
    if location == ParameterLocation::Path && !segment_stays(&text) {
        return false;
    }
    let as_json = serde_json::from_str::<Value>(&text).ok();
    // One value is also an array of one (`ids=12345` is `["12345"]`), and
    // an object read from `name[key]=` pairs finds no member in `name=12345`.
    let mut readings = vec![Value::String(text)];
    readings.extend(as_json);
    let singles: Vec<Value> = readings
        .iter()
        .map(|r| Value::Array(vec![r.clone()]))
        .collect();
    readings.extend(singles);
    if location != ParameterLocation::Path {
        readings.push(Value::Object(serde_json::Map::new()));
    }
    readings.iter().all(|r| !v.is_valid(r))
}

/// `value` with every scalar leaf as the text it is sent as, or (`typed`)
/// that text read back as JSON where it parses.
fn leaves(value: &Value, typed: bool) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|i| leaves(i, typed)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), leaves(v, typed)))
                .collect(),
        ),
        scalar_value => {
            let text = scalar(scalar_value);
            match serde_json::from_str::<Value>(&text) {
                Ok(j) if typed && !j.is_array() && !j.is_object() => j,
                _ => Value::String(text),
            }
        }
    }
}

/// The broken part of `bad` put into `base`, a body the target accepted,
/// so that a refusal is about that part alone: a dropped required property
/// is dropped from `base`, an extra one added to it, any other broken value
/// replaces `base`'s value at the same place. `bad` whole when `base` has
/// no such place.
fn graft(base: Option<&Value>, bad: &decoy_synth::Invalid) -> Value {
    let ptr = bad.instance_pointer.as_str();
    let (Some(base), Some(broken)) = (base, bad.value.pointer(ptr)) else {
        return bad.value.clone();
    };
    let mut out = base.clone();
    if let Some(slot) = out.pointer_mut(ptr) {
        match (bad.kind, broken, &*slot) {
            (InvalidKind::MissingRequired, Value::Object(b), Value::Object(l)) => {
                let kept = l
                    .iter()
                    .filter(|(k, _)| b.contains_key(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                *slot = Value::Object(kept);
            }
            (InvalidKind::ExtraProperty, Value::Object(b), Value::Object(l)) => {
                let mut more = l.clone();
                for (k, v) in b {
                    if !more.contains_key(k) {
                        more.insert(k.clone(), v.clone());
                    }
                }
                *slot = Value::Object(more);
            }
            _ => *slot = broken.clone(),
        }
        return out;
    }
    // Absent from `base` (an optional property it left out): add it there
    // when its parent object is.
    let (parent, key) = ptr.rsplit_once('/').unwrap_or(("", ptr));
    let key = key.replace("~1", "/").replace("~0", "~");
    match out.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.insert(key, broken.clone());
            out
        }
        _ => bad.value.clone(),
    }
}

fn plan_pointer(plan: &decoy_synth::Plan) -> &str {
    plan.pointer().trim_start_matches('#')
}

fn kind_text(kind: InvalidKind) -> &'static str {
    kind.name()
}

// ------------------------------------------------------------- sequences

/// One step of a generated sequence. Indices point into the run's creators
/// and their targets; `pick` chooses among the resources created so far
/// (0 = the newest).
#[derive(Debug, Clone)]
enum SeqStep {
    Create {
        c: usize,
        body: Option<Value>,
    },
    Act {
        op: usize,
        pick: usize,
        body: Option<Value>,
    },
    List {
        c: usize,
    },
    /// The model's whole life of one resource (see [`chain`]).
    Chain(chain::Chain),
}

/// A request of an executed sequence, for the reproduction script.
struct Done {
    op: usize,
    request: Request,
    status: Option<u16>,
    /// The resource variable this step's `id` was stored in.
    defines: Option<usize>,
    /// The resource variable (and its encoded id) the path uses.
    uses: Option<(usize, String)>,
}

/// What a sequence played: its findings, its requests, its chains.
type Played = (Vec<Draft>, Vec<Done>, Vec<(usize, chain::Outcome)>);

struct Resource {
    c: usize,
    var: usize,
    id: String,
    last: Value,
}

impl Ctx {
    fn body_strategy(&self, op: usize) -> Erased<Option<Value>> {
        match &self.models[op].body {
            Some(b) => match &b.plan {
                Some(plan) if b.required => plan.strategy().prop_map(Some).erased(),
                Some(plan) => proptest::option::weighted(0.7, plan.strategy()).erased(),
                None => Just(None).erased(),
            },
            None => Just(None).erased(),
        }
    }

    /// The first step of sequence `i` (a chain of creator `i` mod their
    /// number three times in four, so that every creator gets one when
    /// there are enough sequences; else a plain create) and the strategy for the
    /// steps after it.
    fn step_strategy(&self, i: u32) -> (Erased<SeqStep>, Erased<SeqStep>) {
        let mut creates = Vec::new();
        let mut any = Vec::new();
        for (ci, c) in self.creators.iter().enumerate() {
            let update = match c.targets.iter().find(|t| t.kind == links::Kind::Update) {
                Some(t) => proptest::option::weighted(0.9, self.body_strategy(t.op)).erased(),
                None => Just(None).erased(),
            };
            let flag = || proptest::bool::weighted(0.9);
            let whole = (
                self.body_strategy(c.op),
                flag(),
                update,
                flag(),
                flag(),
                flag(),
            )
                .prop_map(move |(body, read, update, list, act, delete)| {
                    SeqStep::Chain(chain::Chain {
                        c: ci,
                        body,
                        read,
                        update,
                        list,
                        act,
                        delete,
                    })
                })
                .erased();
            // Chains for resources a client can read, update or delete;
            // the others (lifecycles driven by actions) keep the random
            // create-then-act sequences.
            let crud = c.targets.iter().any(|t| {
                matches!(
                    t.kind,
                    links::Kind::Read | links::Kind::Update | links::Kind::Delete
                )
            });
            if crud {
                if ci == i as usize % self.creators.len() {
                    creates.push((3 * self.creators.len() as u32, whole.clone()));
                }
                any.push((1, whole));
            }
            let create = self
                .body_strategy(c.op)
                .prop_map(move |body| SeqStep::Create { c: ci, body })
                .erased();
            creates.push((1, create.clone()));
            any.push((2, create));
            if c.listing.is_some() {
                any.push((1, Just(SeqStep::List { c: ci }).erased()));
            }
        }
        // Actions are not tied to a creator: any resource whose creator
        // links to the operation is a candidate, so no step is wasted.
        let mut acting: Vec<usize> = self
            .creators
            .iter()
            .flat_map(|c| c.targets.iter().map(|t| t.op))
            .collect();
        acting.sort_unstable();
        acting.dedup();
        for op in acting {
            let act = (0..3usize, self.body_strategy(op))
                .prop_map(move |(pick, body)| SeqStep::Act { op, pick, body })
                .erased();
            any.push((3, act));
        }
        (
            proptest::strategy::Union::new_weighted(creates).erased(),
            proptest::strategy::Union::new_weighted(any).erased(),
        )
    }

    /// Path values shared by a sequence (the call id): the first known value
    /// of each parameter, else one generated from the seed.
    fn base_params(&self, i: u32) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let ops = self
            .creators
            .iter()
            .flat_map(|c| std::iter::once(c.op).chain(c.targets.iter().map(|t| t.op)));
        for op in ops {
            let model = &self.models[op];
            for (pi, p) in model
                .params
                .iter()
                .filter(|p| p.location == ParameterLocation::Path)
                .enumerate()
            {
                if out.iter().any(|(n, _)| *n == p.name) {
                    continue;
                }
                let value = model.known[pi].first().cloned().or_else(|| {
                    p.plan
                        .as_ref()
                        .and_then(|plan| {
                            plan.generate(derive_seed(self.config.seed, &format!("sequence {i}")))
                                .ok()
                        })
                        .map(|v| scalar(&v))
                        .filter(|v| segment_stays(v))
                });
                if let Some(v) = value {
                    out.push((p.name.clone(), v));
                }
            }
        }
        out
    }

    fn input_for(&self, op: usize, path: &[(String, String)], body: Option<Value>) -> Input {
        let model = &self.models[op];
        let params = model
            .params
            .iter()
            .map(|p| match p.location {
                ParameterLocation::Path => path
                    .iter()
                    .find(|(n, _)| *n == p.name)
                    .map(|(_, v)| Value::String(v.clone())),
                _ if p.required => p.plan.as_ref().and_then(|plan| plan.generate(0).ok()),
                _ => None,
            })
            .collect();
        let body = body.or_else(|| {
            model
                .body
                .as_ref()
                .filter(|b| b.required)
                .and_then(|b| b.plan.as_ref())
                .and_then(|p| p.generate(0).ok())
        });
        Input { params, body }
    }

    async fn sequence(&self, i: u32) {
        let (first, any) = self.step_strategy(i);
        let strategy = (
            first,
            proptest::collection::vec(any, 0..self.config.max_sequence_len.max(1)),
        )
            .prop_map(|(first, mut rest)| {
                rest.insert(0, first);
                rest
            })
            .erased();
        let mut runner = runner(self.config.seed, &format!("sequence {i}"));
        let Ok(mut tree) = strategy.new_tree(&mut runner) else {
            return;
        };
        let base = self.base_params(i);
        let (drafts, done, outcomes) = self.play(&base, &tree.current()).await;
        self.tally(&done, outcomes);
        let fresh: Vec<Draft> = drafts.into_iter().filter(|d| !self.seen(d)).collect();
        let Some(draft) = fresh.into_iter().next() else {
            return;
        };
        let signature = draft.signature.clone();
        let steps = tree.current();
        let mut again = false;
        for _ in 0..self.config.replays {
            if self.sequence_fails(&base, &steps, &signature).await {
                again = true;
                break;
            }
        }
        // A replay plays the whole sequence again on fresh resources, so
        // one that does not fail again is flaky whatever its methods.
        let flaky = self.config.replays > 0 && !again;
        let (best, shrunk) = if flaky {
            (steps, false)
        } else {
            let mut best = steps;
            let mut more = tree.simplify();
            let mut budget = self.config.shrink_budget;
            while more && budget > 0 {
                budget -= 1;
                let candidate = tree.current();
                let failed = self.sequence_fails(&base, &candidate, &signature).await;
                if failed {
                    best = candidate;
                }
                more = advance(&mut tree, failed);
            }
            (best, true)
        };
        // Run the smallest sequence once more to print exactly what it sends.
        let (drafts, done, _) = self.play(&base, &best).await;
        let draft = drafts
            .into_iter()
            .find(|d| d.signature == signature)
            .unwrap_or(draft);
        let reproduction = self.script(&done, shrunk);
        let order = self
            .spec
            .operations()
            .iter()
            .position(|o| o.name() == draft.signature.split('|').nth(1).unwrap_or(""))
            .unwrap_or(0);
        let replayed = if flaky {
            Replayed::Gone
        } else {
            Replayed::Again
        };
        self.record(order * 100 + 50, draft, replayed, reproduction);
    }

    /// Plays a sequence against the target; returns what went wrong and
    /// what was sent.
    async fn play(&self, base: &[(String, String)], steps: &[SeqStep]) -> Played {
        let mut outcomes = Vec::new();
        let mut drafts = Vec::new();
        let mut done = Vec::new();
        let mut resources: Vec<Resource> = Vec::new();
        let mut vars = 0;
        for step in steps {
            // A step on an operation that is done for (timeouts, bytes)
            // ends the sequence: it would only repeat what stopped it.
            let op = match step {
                SeqStep::Create { c, .. } | SeqStep::List { c } => self.creators[*c].op,
                SeqStep::Chain(ch) => self.creators[ch.c].op,
                SeqStep::Act { op, .. } => *op,
            };
            if self.exhausted(op) {
                break;
            }
            match step {
                SeqStep::Chain(ch) => {
                    let (made, outcome) = self
                        .chain(ch, base, &mut drafts, &mut done, &mut vars)
                        .await;
                    resources.extend(made);
                    outcomes.push((ch.c, outcome));
                }
                SeqStep::Create { c, body } => {
                    let creator = &self.creators[*c];
                    let op = creator.op;
                    let input = self.input_for(op, base, body.clone());
                    let request = self.models[op].request(&input, Auth::Configured);
                    let (outcome, mut d) = self.exchange(op, &request, &Expect::Valid).await;
                    drafts.append(&mut d);
                    let mut entry = Done {
                        op,
                        request,
                        status: outcome.as_ref().ok().map(|e| e.status),
                        defines: None,
                        uses: None,
                    };
                    let created = outcome
                        .ok()
                        .filter(|e| (200..300).contains(&e.status))
                        .and_then(|e| serde_json::from_slice::<Value>(&e.body).ok())
                        .and_then(|v| Some((v.get(&creator.id_field).map(scalar)?, v)));
                    let Some((id, value)) = created else {
                        done.push(entry);
                        continue;
                    };
                    vars += 1;
                    entry.defines = Some(vars);
                    done.push(entry);
                    resources.push(Resource {
                        c: *c,
                        var: vars,
                        id: id.clone(),
                        last: value,
                    });
                    self.listed(*c, &id, base, &mut drafts, &mut done).await;
                }
                SeqStep::Act { op, pick, body } => {
                    let mine: Vec<usize> = (0..resources.len())
                        .rev()
                        .filter(|&r| {
                            self.creators[resources[r].c]
                                .targets
                                .iter()
                                .any(|t| t.op == *op)
                        })
                        .collect();
                    if mine.is_empty() {
                        continue;
                    }
                    let r = mine[pick % mine.len()];
                    let c = &resources[r].c;
                    let Some(target) = self.creators[*c].targets.iter().find(|t| t.op == *op)
                    else {
                        continue;
                    };
                    let mut path = base.to_vec();
                    path.retain(|(n, _)| *n != target.param);
                    path.push((target.param.clone(), resources[r].id.clone()));
                    let input = self.input_for(target.op, &path, body.clone());
                    let request = self.models[target.op].request(&input, Auth::Configured);
                    let forbidden = target.guard.forbids(&resources[r].last);
                    if forbidden.is_some() {
                        self.ran(target.op, Check::StatefulConflict);
                    }
                    let (outcome, mut d) = self.exchange(target.op, &request, &Expect::Valid).await;
                    drafts.append(&mut d);
                    let status = outcome.as_ref().ok().map(|e| e.status);
                    let tname = &self.models[target.op].name;
                    if let (Some(reason), Some(s)) = (&forbidden, status)
                        && (200..300).contains(&s)
                        && self.config.enabled(Check::StatefulConflict)
                    {
                        let refusal = self.spec.operations()[target.op]
                            .response(409)
                            .filter(|r| r.status == decoy_spec::StatusKey::Code(409))
                            .map_or("a 4xx".to_owned(), |_| "the documented 409".to_owned());
                        let mut d = Draft::new(
                            Check::StatefulConflict,
                            tname,
                            "",
                            format!(
                                "{tname} succeeded ({s}) on {}, but {reason}; expected {refusal}",
                                resources[r].id
                            ),
                        );
                        d.status = Some(s);
                        d.body = outcome.as_ref().ok().and_then(|e| body_value(&e.body));
                        drafts.push(d);
                    }
                    if let Ok(ex) = &outcome
                        && (200..300).contains(&ex.status)
                        && let Ok(v) = serde_json::from_slice::<Value>(&ex.body)
                    {
                        if let Some(next) = target.spawns.as_deref().and_then(|f| v.get(f))
                            && let Some(nid) = next.get("id").map(scalar)
                        {
                            vars += 1;
                            resources.push(Resource {
                                c: *c,
                                var: vars,
                                id: nid,
                                last: next.clone(),
                            });
                        }
                        if v.get("id").map(scalar).as_deref() == Some(resources[r].id.as_str()) {
                            resources[r].last = v;
                        }
                    }
                    let encoded = encode(&resources[r].id);
                    done.push(Done {
                        op: target.op,
                        request,
                        status,
                        defines: None,
                        uses: Some((resources[r].var, encoded)),
                    });
                }
                SeqStep::List { c } => {
                    let Some(listing) = &self.creators[*c].listing else {
                        continue;
                    };
                    let input = self.input_for(listing.op, base, None);
                    let request = self.models[listing.op].request(&input, Auth::Configured);
                    let (first, mut d) = self.exchange(listing.op, &request, &Expect::Valid).await;
                    drafts.append(&mut d);
                    let (second, mut d) = self.exchange(listing.op, &request, &Expect::Valid).await;
                    drafts.append(&mut d);
                    if let (Ok(a), Ok(b)) = (&first, &second)
                        && self.config.enabled(Check::ReadConsistency)
                    {
                        self.ran(listing.op, Check::ReadConsistency);
                        let op = &self.spec.operations()[listing.op];
                        let schema = |s: u16| {
                            op.response(s)
                                .and_then(|r| r.content.iter().find(|m| m.is_json()))
                                .and_then(|m| m.schema.as_deref())
                        };
                        let n = Normalizer {
                            document: self.spec.document(),
                            names: &self.config.redact,
                        };
                        let norm = |e: &Exchange| {
                            body_value(&e.body).map(|v| n.normalize(&v, schema(e.status)))
                        };
                        if a.status != b.status || norm(a) != norm(b) {
                            let pretty = |e: &Exchange| {
                                format!(
                                    "status {}\n{}",
                                    e.status,
                                    norm(e)
                                        .map(|v| serde_json::to_string_pretty(&v)
                                            .unwrap_or_default())
                                        .unwrap_or_default()
                                )
                            };
                            let diff = similar::TextDiff::from_lines(&pretty(a), &pretty(b))
                                .unified_diff()
                                .context_radius(2)
                                .to_string();
                            let lname = &self.models[listing.op].name;
                            let mut d = Draft::new(
                                Check::ReadConsistency,
                                lname,
                                "",
                                format!("two reads of {lname} in a row disagree"),
                            );
                            d.status = Some(b.status);
                            d.diff = Some(diff);
                            drafts.push(d);
                        }
                    }
                    let status = second.as_ref().ok().map(|e| e.status);
                    done.push(Done {
                        op: listing.op,
                        request: request.clone(),
                        status: first.as_ref().ok().map(|e| e.status),
                        defines: None,
                        uses: None,
                    });
                    done.push(Done {
                        op: listing.op,
                        request,
                        status,
                        defines: None,
                        uses: None,
                    });
                }
            }
        }
        (drafts, done, outcomes)
    }

    /// The `listing` oracle: the resource `id` just created by creator `c`
    /// appears in the creator's listing.
    async fn listed(
        &self,
        c: usize,
        id: &str,
        base: &[(String, String)],
        drafts: &mut Vec<Draft>,
        done: &mut Vec<Done>,
    ) {
        let op = self.creators[c].op;
        if let Some(listing) = &self.creators[c].listing
            && self.config.enabled(Check::Listing)
        {
            self.ran(op, Check::Listing);
            let input = self.input_for(listing.op, base, None);
            let request = self.models[listing.op].request(&input, Auth::Configured);
            let (outcome, mut d) = self.exchange(listing.op, &request, &Expect::Valid).await;
            drafts.append(&mut d);
            let status = outcome.as_ref().ok().map(|e| e.status);
            if let Ok(ex) = outcome
                && (200..300).contains(&ex.status)
                && let Ok(list) = serde_json::from_slice::<Value>(&ex.body)
            {
                let items = list.pointer(&listing.array).and_then(Value::as_array);
                let present = items.is_some_and(|items| {
                    items.iter().any(|it| {
                        it.get(&self.creators[c].id_field).map(scalar).as_deref() == Some(id)
                    })
                });
                if !present {
                    let lname = &self.models[listing.op].name;
                    let cname = &self.models[op].name;
                    let mut d = Draft::new(
                        Check::Listing,
                        cname,
                        lname,
                        format!(
                            "the resource {id} created by {cname} is missing from {lname} (at {})",
                            if listing.array.is_empty() {
                                "(root)"
                            } else {
                                &listing.array
                            }
                        ),
                    );
                    d.status = Some(ex.status);
                    d.body = body_value(&ex.body);
                    drafts.push(d);
                }
            }
            done.push(Done {
                op: listing.op,
                request,
                status,
                defines: None,
                uses: None,
            });
        }
    }

    /// Counts what one sequence's first play did into the summary.
    fn tally(&self, done: &[Done], outcomes: Vec<(usize, chain::Outcome)>) {
        let mut s = self.summary.lock().unwrap_or_else(|e| e.into_inner());
        for d in done.iter().filter(|d| d.defines.is_some()) {
            *s.created.entry(self.models[d.op].name.clone()).or_default() += 1;
        }
        for (c, o) in outcomes {
            s.creates_rejected += o.rejected;
            let name = &self.models[self.creators[c].op].name;
            let stages = if o.stages.is_empty() {
                "create refused".to_owned()
            } else {
                o.stages.join("→")
            };
            *s.chains.entry(format!("{name}: {stages}")).or_default() += 1;
            if let Some(u) = o.unsure
                && s.unsure.len() < 5
                && !s.unsure.contains(&u)
            {
                s.unsure.push(u);
            }
        }
    }

    /// A shell script replaying a sequence; ids flow through variables.
    fn script(&self, done: &[Done], shrunk: bool) -> Reproduction {
        let mut lines = vec!["set -e".to_owned()];
        let mut steps = Vec::new();
        for d in done {
            let mut target = d.request.target.clone();
            if let Some((var, encoded)) = &d.uses {
                target = target.replacen(encoded.as_str(), &format!("@@R{var}@@"), 1);
            }
            let mut line = curl(&self.client, &d.request, &target);
            if let Some((var, _)) = &d.uses {
                line = line.replace(&format!("@@R{var}@@"), &format!("'\"$R{var}\"'"));
            }
            if let Some(var) = d.defines {
                line = format!(
                    "R{var}=$({} | tee /dev/stderr | jq -r .id)",
                    line.replacen("curl -sS -i", "curl -sS", 1)
                );
            }
            lines.push(line);
            steps.push(Step {
                operation: self.models[d.op].name.clone(),
                request: format!(
                    "{} {}{}",
                    d.request.method, self.client.base, d.request.target
                ),
                body: body_summary(&d.request),
                status: d.status,
            });
        }
        Reproduction {
            seed: self.config.seed,
            shrunk,
            steps,
            script: lines.join("\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn validator(schema: Value) -> decoy_validate::Validator {
        let doc = json!({
            "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "components": {"schemas": {"S": schema}}
        });
        let spec = Spec::parse(&doc.to_string(), "t.json").unwrap();
        Validators::new(&spec)
            .compile("/components/schemas/S")
            .unwrap()
    }

    #[test]
    fn a_query_value_is_invalid_only_if_no_reading_of_its_text_is_valid() {
        let q = ParameterLocation::Query;
        let strings = validator(json!({"type": "array", "items": {"type": "string"}}));
        // `ids=123` reads as `["123"]`: no wrong type can be sent.
        assert!(!wire_invalid(&strings, q, &json!([123])));
        let ints = validator(json!({"type": "array", "items": {"type": "integer"}}));
        assert!(!wire_invalid(&ints, q, &json!(["7"])));
        assert!(wire_invalid(&ints, q, &json!(["seven"])));
        let bounded = validator(json!({"type": "array", "maxItems": 1}));
        assert!(wire_invalid(&bounded, q, &json!([1, 2])));
        // A repeated name may be read as one value.
        let one = validator(json!({"type": "string"}));
        assert!(!wire_invalid(&one, q, &json!(["a", "b"])));
        assert!(wire_invalid(&ints, q, &json!("x")));
        assert!(!wire_invalid(&strings, q, &json!(12345)));
        assert!(!wire_invalid(&ints, q, &json!("12")));
        let range = validator(json!({"type": "object", "properties": {"gt": {"type": "integer"}}}));
        assert!(!wire_invalid(&range, q, &json!(12345)));
        assert!(wire_invalid(&range, ParameterLocation::Path, &json!(12345)));
    }
}
