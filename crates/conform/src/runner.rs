//! The run: generated cases per operation, probes, sequences, shrinking,
//! replays and snapshots, feeding one [`Report`].

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::erased::{EraseExt, Erased, Tree};
use decoy_spec::{ParameterLocation, Spec};
use decoy_synth::{Direction, Generator, InvalidKind, Options, derive_seed};
use decoy_validate::Validators;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

use crate::checks::{self, Draft, Expect, body_value};
use crate::client::{Auth, Client, Exchange, Failure, Payload, Request};
use crate::links::{self, Creator};
use crate::model::{Input, OpModel, encode, scalar, segment_stays};
use crate::report::{Coverage, Finding, Reproduction, SnapshotSummary, Step};
use crate::repro::{body_summary, curl};
use crate::snapshot::{self, Normalizer};
use crate::{Check, Config, ConformError, Report};

#[derive(Default)]
struct Stats {
    seen: BTreeMap<u16, u32>,
    requests: u32,
    total_ms: f64,
    max_ms: f64,
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
    stats: Mutex<Vec<Stats>>,
    findings: Mutex<Findings>,
    snapshots: Mutex<SnapshotSummary>,
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
    let client = Client::new(&config)?;
    client.probe(config.connect_timeout).await?;
    let generator = Generator::new(
        spec.document().clone(),
        Options::default().direction(Direction::Request),
    );
    let mut models = Vec::new();
    for op in spec.operations() {
        models.push(OpModel::build(spec, &generator, &config, op)?);
    }
    let started = Instant::now();
    let ctx = Arc::new(Ctx {
        spec: spec.clone(),
        creators: links::infer(spec),
        validators: Validators::new(spec),
        client,
        stats: Mutex::new((0..models.len()).map(|_| Stats::default()).collect()),
        models,
        requests: AtomicU64::new(0),
        deadline: config.time_limit.map(|t| started + t),
        cut: AtomicBool::new(false),
        findings: Mutex::new(Findings::default()),
        snapshots: Mutex::new(SnapshotSummary::default()),
        config,
    });
    let owned: Vec<usize> = (0..ctx.models.len())
        .filter(|&i| ctx.config.shard.is_none_or(|s| s.owns(i)))
        .collect();
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

    let permits = Arc::new(tokio::sync::Semaphore::new(ctx.config.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for &i in &owned {
        let ctx = ctx.clone();
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            ctx.operation(i).await;
            ctx.progress(|p| p.unit_done());
        });
    }
    while tasks.join_next().await.is_some() {}

    let sequences: Vec<u32> = (0..ctx.config.sequences)
        .filter(|&i| ctx.config.shard.is_none_or(|s| s.owns(i as usize)))
        .collect();
    if !ctx.creators.is_empty() && !sequences.is_empty() {
        // One lane: sequences share the target's state, and a read-twice
        // oracle must not see another sequence's writes.
        let lanes = 1;
        for lane in 0..lanes {
            let ctx = ctx.clone();
            let mine: Vec<u32> = sequences
                .iter()
                .copied()
                .skip(lane)
                .step_by(lanes)
                .collect();
            tasks.spawn(async move {
                for i in mine {
                    if ctx.expired() {
                        break;
                    }
                    ctx.sequence(i).await;
                    ctx.progress(|p| p.unit_done());
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    let stats = std::mem::take(&mut *ctx.stats.lock().unwrap_or_else(|e| e.into_inner()));
    let coverage = owned
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
    Ok(Report {
        document: ctx.spec.origin().to_owned(),
        target: ctx.client.base.clone(),
        seed: ctx.config.seed,
        shard: ctx.config.shard,
        requests: ctx.requests.load(Ordering::Relaxed),
        elapsed_ms: started.elapsed().as_millis() as u64,
        cut_short: ctx.cut.load(Ordering::Relaxed),
        skipped_checks: ctx.config.skip.clone(),
        findings: findings.into_iter().map(|(_, f)| f).collect(),
        coverage,
        snapshots,
    })
}

/// How a probe changes the request built from a valid input.
#[derive(Debug, Clone, Copy)]
enum Variant {
    Malformed,
    MediaType,
    Pad(usize),
}

impl Ctx {
    fn progress(&self, update: impl FnOnce(&crate::Progress)) {
        if let Some(p) = &self.config.progress {
            update(p);
        }
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

    async fn send(&self, op: usize, request: &Request) -> Result<Exchange, Failure> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.progress(|p| p.request());
        let outcome = self.client.send(request).await;
        if let Ok(ex) = &outcome {
            let ms = ex.elapsed.as_secs_f64() * 1000.0;
            let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
            let s = &mut stats[op];
            *s.seen.entry(ex.status).or_default() += 1;
            s.requests += 1;
            s.total_ms += ms;
            s.max_ms = s.max_ms.max(ms);
        } else {
            self.stats.lock().unwrap_or_else(|e| e.into_inner())[op].requests += 1;
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
        let drafts = checks::check(
            &self.config,
            &self.validators,
            &self.spec.operations()[op],
            expect,
            &outcome,
        );
        (outcome, drafts)
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

    fn record(&self, order: usize, draft: Draft, flaky: bool, reproduction: Reproduction) {
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
                flaky,
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
    /// it (flaky if it does not come back) and shrink it.
    async fn case<T: Clone + Send + Sync + std::fmt::Debug>(
        &self,
        op: usize,
        tree: &mut Tree<T>,
        make: &(dyn Fn(&T) -> (Request, Expect) + Send + Sync),
    ) {
        let (request, expect) = make(&tree.current());
        let (_, drafts) = self.exchange(op, &request, &expect).await;
        let fresh: Vec<Draft> = drafts.into_iter().filter(|d| !self.seen(d)).collect();
        let mut shrunk_one = false;
        for draft in fresh {
            let signature = draft.signature.clone();
            let mut again = false;
            for _ in 0..self.config.replays {
                if self.fails(op, &request, &expect, &signature).await {
                    again = true;
                    break;
                }
            }
            let flaky = self.config.replays > 0 && !again;
            // A tree shrinks once; later failures of the same case keep the
            // original request.
            let (best, shrunk) = if !flaky && !shrunk_one {
                shrunk_one = true;
                let mut best = request.clone();
                let mut more = tree.simplify();
                let mut budget = self.config.shrink_budget;
                while more && budget > 0 {
                    budget -= 1;
                    let (r, e) = make(&tree.current());
                    let failed = self.fails(op, &r, &e, &signature).await;
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
                flaky,
                self.one_step(op, &best, status, shrunk),
            );
        }
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

    /// Every case and probe of one operation, in a fixed order.
    async fn operation(&self, i: usize) {
        let model = &self.models[i];
        let edge = |p: &crate::model::ParamModel, s: &str| {
            let Some(plan) = &p.plan else { return false };
            self.validators
                .compile(plan_pointer(plan))
                .is_ok_and(|v| v.is_valid(&Value::String(s.to_owned())))
        };
        let strategy = model.strategy(&edge);
        let mut runner = runner(self.config.seed, &model.name);
        let valid = |input: &Input| (model.request(input, Auth::Configured), Expect::Valid);
        for _ in 0..self.config.cases {
            if self.expired() {
                return;
            }
            let Ok(mut tree) = strategy.new_tree(&mut runner) else {
                break;
            };
            self.case(i, &mut tree, &valid).await;
        }
        // Probes start from the simplest valid input.
        let Ok(mut tree) = strategy.new_tree(&mut runner) else {
            return;
        };
        simplest(&mut tree);
        if model.protected {
            let no_auth = |input: &Input| (model.request(input, Auth::Missing), Expect::NoAuth);
            self.case(i, &mut tree, &no_auth).await;
            if self.config.token.is_some() {
                let bad = |input: &Input| (model.request(input, Auth::Invalid), Expect::BadAuth);
                self.case(i, &mut tree, &bad).await;
            }
        }
        if model.body.is_some() {
            let variants = [
                Variant::Malformed,
                Variant::MediaType,
                Variant::Pad(self.config.large_body_bytes),
            ];
            for v in variants {
                if matches!(v, Variant::Pad(0)) || self.expired() {
                    continue;
                }
                let make = move |input: &Input| self.variant(model, input, v);
                self.case(i, &mut tree, &make).await;
            }
        }
        self.negative(i, &strategy, &mut runner).await;
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
    async fn negative(&self, i: usize, valid: &Erased<Input>, runner: &mut TestRunner) {
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
            let strategy = (valid.clone(), plan.invalid_strategy(None)).erased();
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
                match slot {
                    None => input.body = Some(bad.value.clone()),
                    Some(pi) => input.params[pi] = Some(bad.value.clone()),
                }
                let really = validator.as_ref().is_some_and(|v| match slot {
                    None => !v.is_valid(&bad.value),
                    Some(pi) => wire_invalid(v, model.params[pi].location, &bad.value),
                });
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
            for _ in 0..budget {
                if self.expired() {
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
                            false,
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
        return !v.is_valid(value);
    }
    let text = scalar(value);
    if location == ParameterLocation::Path && !segment_stays(&text) {
        return false;
    }
    let as_json = serde_json::from_str::<Value>(&text).ok();
    !v.is_valid(&Value::String(text)) && as_json.is_none_or(|j| !v.is_valid(&j))
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

    fn step_strategy(&self) -> (Erased<SeqStep>, Erased<SeqStep>) {
        let mut creates = Vec::new();
        let mut any = Vec::new();
        for (ci, c) in self.creators.iter().enumerate() {
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
        for c in &self.creators {
            let model = &self.models[c.op];
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
        let (first, any) = self.step_strategy();
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
        let (drafts, _) = self.play(&base, &tree.current()).await;
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
        let (drafts, done) = self.play(&base, &best).await;
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
        self.record(order * 100 + 50, draft, flaky, reproduction);
    }

    /// Plays a sequence against the target; returns what went wrong and
    /// what was sent.
    async fn play(&self, base: &[(String, String)], steps: &[SeqStep]) -> (Vec<Draft>, Vec<Done>) {
        let mut drafts = Vec::new();
        let mut done = Vec::new();
        let mut resources: Vec<Resource> = Vec::new();
        let mut vars = 0;
        for step in steps {
            match step {
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
                        .and_then(|v| {
                            Some((
                                v.get("id")?
                                    .as_str()
                                    .map(str::to_owned)
                                    .or_else(|| v.get("id").map(|i| i.to_string()))?,
                                v,
                            ))
                        });
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
                    if let Some(listing) = &creator.listing
                        && self.config.enabled(Check::Listing)
                    {
                        let input = self.input_for(listing.op, base, None);
                        let request = self.models[listing.op].request(&input, Auth::Configured);
                        let (outcome, mut d) =
                            self.exchange(listing.op, &request, &Expect::Valid).await;
                        drafts.append(&mut d);
                        let status = outcome.as_ref().ok().map(|e| e.status);
                        if let Ok(ex) = outcome
                            && (200..300).contains(&ex.status)
                            && let Ok(list) = serde_json::from_slice::<Value>(&ex.body)
                        {
                            let items = list.pointer(&listing.array).and_then(Value::as_array);
                            let present = items.is_some_and(|items| {
                                items.iter().any(|it| {
                                    it.get("id").map(scalar).as_deref() == Some(id.as_str())
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
                    path.push((target.param.clone(), resources[r].id.clone()));
                    let input = self.input_for(target.op, &path, body.clone());
                    let request = self.models[target.op].request(&input, Auth::Configured);
                    let forbidden = target.guard.forbids(&resources[r].last);
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
        (drafts, done)
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
