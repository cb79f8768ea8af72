//! From a request to a response: routing, security, validation, response
//! selection, state. No sockets here: `App::handle` takes any `http` request,
//! so it can be driven in-process.

use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use decoy_spec::model::{Rules, Source};
use decoy_spec::{OpId, ParameterLocation, RouteMatch, Severity, Spec};
use decoy_validate::{Validator, Validators};
use http_body_util::Full;
use hyper::body::Body;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response};

use crate::config::{Config, RecordedRequest};
use crate::context::Reach;
use crate::error::MockError;

use crate::generate::Bodies;
use crate::state::{Backend, Memory, Noted, Rows, TX, Tx};
use crate::util;

pub(crate) use crate::state::lock;

mod admin;
mod answer;
mod auth;
mod body;
mod cache;
mod crud;
mod echo;
mod error_body;
mod params;
mod parent;
mod prefer;
pub(crate) use prefer::HEADER as PREFER;
mod recorder;
mod reply;
mod resource;
mod state;
mod tx;

use answer::{lowest_success, pick_media};
use cache::Cache;
use parent::shared_properties;
use prefer::Prefer;
use recorder::{Operation, Record, Recorder};
use reply::Reply;

/// What the document and the mock know about one operation.
struct OpInfo {
    name: String,
    /// Index into `responses` of the lowest documented 2xx.
    success: Option<usize>,
    /// Index into that response's `content` of the media type it answers
    /// with ([`answer::pick_media`]), chosen once: every new resource asks.
    success_media: Option<usize>,
    /// The operation's validators, compiled when it is first asked for:
    /// startup does not wait for operations nobody calls.
    validators: OnceLock<OpValidators>,
    /// Whether a plain GET can be answered from the cache.
    cacheable: bool,
    /// The last template segment is a bare `{param}`: echo it as `id`.
    id_param: Option<String>,
    /// An echo uses `template:`, which may need the context.
    templated: bool,
    /// No header or cookie parameters: the request target alone decides
    /// whether the parameters are valid.
    target_decides: bool,
    security: auth::Security,
    /// What the success body's `id` property accepts, found on first use.
    id_check: OnceLock<IdCheck>,
    /// The id parameter's schema is a plain string: its raw text is its
    /// value, with no style or type to read it by.
    id_is_text: OnceLock<bool>,
    /// For a read: every create and update of its resource answers the
    /// read's own schema, so what the store holds needs no check on the way
    /// out.
    stored_fits: OnceLock<bool>,
    /// The success schema leaves its body open (see `says_little`).
    says_little: OnceLock<bool>,
    /// The success schema's node in the document's context reach, if marks
    /// can be reached from it: the walk starts there without a pointer
    /// lookup per request.
    agree_node: OnceLock<Option<usize>>,
    /// The generator's plan for the success schema, made on first use: a
    /// plan per request costs a pointer parse, a locked lookup and the
    /// plan's own pointer string.
    success_plan: OnceLock<Option<decoy_synth::Plan>>,
}

/// Whether a path id may stand as the success body's `id`.
enum IdCheck {
    /// No `id` property (or no body): any id.
    Any,
    /// Its schema does not compile: none.
    Never,
    Schema(Validator),
}

struct OpValidators {
    /// Per parameter: its validator.
    params: Vec<Option<Validator>>,
    /// Per parameter: a path parameter in the simple style whose schema is
    /// a plain string, so its text as routed is its value (no reading by
    /// style and type per request).
    text: Vec<bool>,
    /// Per request media type: its validator.
    bodies: Vec<Option<Validator>>,
}

/// Per-operation knowledge, indexed by [`OpId`].
struct Ops(Vec<OpInfo>);

impl std::ops::Index<OpId> for Ops {
    type Output = OpInfo;

    fn index(&self, id: OpId) -> &OpInfo {
        &self.0[id.index()]
    }
}

/// A compiled document plus everything the server remembers.
pub(crate) struct App {
    spec: Spec,
    config: Config,
    bodies: Bodies,
    validators: Validators,
    ops: Ops,
    /// Every `x-decoy-shared` property: (key, pointer), in document order.
    shared: Vec<(String, String)>,
    /// Stored resources: in memory or in Redis, per namespace.
    state: Backend,
    /// Whether a request may ever have written state: until one does,
    /// reads skip the store. Set before the write, never cleared; always
    /// set with a shared (Redis) store, which other replicas write.
    written: AtomicBool,
    /// Changes applied to the store in memory so far: counted after each
    /// change is made, so an answer computed at one count and kept is
    /// served again only while the count stays.
    changes: AtomicU64,
    recorded: Recorder,
    cache: Cache,
    /// Fault and latency draws so far; counted only where `draws` says a
    /// draw is ever used, so plain requests share no counter.
    counter: AtomicU64,
    draws: bool,
    /// A hash of the document, reported by `/__decoy/health`.
    /// Hashed on first need: startup does not serialize the document.
    revision: OnceLock<String>,
    /// Why the last reload of a watched document failed, if it did.
    reload_error: Mutex<Option<String>>,
    /// The schemas marks can be reached from, built on first use.
    reach: OnceLock<Reach>,
}

impl App {
    pub(crate) fn new(spec: Spec, config: Config) -> Result<App, MockError> {
        // The model parsed every extension at load; one it could not
        // understand would make the mock lie, so it does not start.
        if let Some(p) = spec
            .problems()
            .iter()
            .find(|p| p.severity == Severity::Error && p.pointer.contains("/x-decoy-"))
        {
            return Err(MockError::Extension {
                pointer: p.pointer.clone(),
                message: p.message.clone(),
            });
        }
        let validators = Validators::new(&spec);
        let mut ops = Vec::new();
        for (op_id, op) in spec.op_ids().zip(spec.operations()) {
            let rules = &spec.model().operation(op_id).rules;
            let success = lowest_success(op);
            let dynamic_echo = rules.echo.iter().flat_map(|(_, s)| s).any(|s| {
                !matches!(
                    s,
                    Source::Path(_) | Source::Literal(_) | Source::Template(_)
                )
            });
            let templated = rules
                .echo
                .iter()
                .flat_map(|(_, s)| s)
                .any(|s| matches!(s, Source::Template(_)));
            let cacheable = op.method == "GET"
                && rules.create.is_none()
                && rules.transition.is_none()
                && !dynamic_echo;
            let id_param = op
                .path
                .rsplit('/')
                .next()
                .and_then(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .filter(|s| !s.contains(['{', '}']))
                .map(str::to_owned);
            let target_decides = !op.parameters.iter().any(|p| {
                matches!(
                    p.location,
                    ParameterLocation::Header | ParameterLocation::Cookie
                )
            });
            let success_media =
                success.and_then(|k| answer::pick_media_index(&op.responses[k].content));
            ops.push(OpInfo {
                name: op.name(),
                success,
                success_media,
                validators: OnceLock::new(),
                cacheable,
                id_param,
                templated,
                target_decides,
                security: auth::Security::of(&spec, op),
                id_check: OnceLock::new(),
                id_is_text: OnceLock::new(),
                stored_fits: OnceLock::new(),
                says_little: OnceLock::new(),
                agree_node: OnceLock::new(),
                success_plan: OnceLock::new(),
            });
        }
        let mut shared = Vec::new();
        shared_properties(spec.document(), &mut String::new(), 0, &mut shared);
        let bodies = Bodies::new(&spec, config.profile);
        let success_schemas: Vec<String> = spec
            .operations()
            .iter()
            .zip(&ops)
            .filter_map(|(op, info)| info.success.map(|k| &op.responses[k]))
            .filter_map(|r| pick_media(&r.content)?.schema.clone())
            .collect();
        bodies.prepare(success_schemas);
        let shared_state = config.state.is_some();
        let state = match &config.state {
            None => Backend::Memory(Memory::default()),
            Some(url) => Backend::Redis(Box::new(
                crate::state::redis::RedisState::new(url, config.state_ttl)
                    .map_err(MockError::State)?,
            )),
        };
        let draws = config.latency.is_some()
            || config.error_rate > 0.0
            || spec.op_ids().any(|id| {
                let f = &spec.model().operation(id).rules.faults;
                f.latency.is_some() || f.error_rate.is_some()
            });
        Ok(App {
            bodies,
            validators,
            ops: Ops(ops),
            shared,
            spec,
            config,
            written: AtomicBool::new(shared_state),
            changes: AtomicU64::new(0),
            state,
            recorded: Recorder::new(),
            cache: Cache::new(),
            counter: AtomicU64::new(0),
            draws,
            revision: OnceLock::new(),
            reload_error: Mutex::new(None),
            reach: OnceLock::new(),
        })
    }

    /// The operation's `x-decoy-*` rules, from the document's model.
    fn rules(&self, op_id: OpId) -> &Rules {
        &self.spec.model().operation(op_id).rules
    }

    fn reach(&self) -> &Reach {
        self.reach.get_or_init(|| Reach::new(self.spec.document()))
    }

    /// The operation's parameter and body validators.
    fn validators(&self, op_id: OpId) -> &OpValidators {
        self.ops[op_id].validators.get_or_init(|| {
            let op = &self.spec.operations()[op_id];
            let compile = |s: Option<&str>| s.and_then(|s| self.validators.compile(s).ok());
            OpValidators {
                params: op
                    .parameters
                    .iter()
                    .map(|p| compile(p.schema.as_deref()))
                    .collect(),
                text: op
                    .parameters
                    .iter()
                    .map(|p| {
                        p.location == ParameterLocation::Path
                            && p.style.as_deref().is_none_or(|s| s == "simple")
                            && self.plain_string(p.schema.as_deref())
                    })
                    .collect(),
                bodies: op
                    .request_body
                    .iter()
                    .flat_map(|rb| &rb.content)
                    .map(|m| compile(m.schema.as_deref()))
                    .collect(),
            }
        })
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn revision(&self) -> &str {
        self.revision
            .get_or_init(|| format!("{:016x}", util::mix(0, self.spec.document().to_string())))
    }

    pub(crate) fn set_reload_error(&self, error: Option<String>) {
        *lock(&self.reload_error) = error;
    }

    /// Forgets recorded requests and the stored resources of `namespace`
    /// (`None`: the default one), in memory or in Redis.
    pub(crate) async fn reset(
        &self,
        namespace: Option<&str>,
    ) -> Result<(), crate::state::redis::Unavailable> {
        self.recorded.clear();
        if let Some(replay) = &self.config.replay {
            replay.rewind();
        }
        match &self.state {
            Backend::Memory(m) => m.clear(namespace),
            Backend::Redis(r) => r.reset(namespace).await?,
        }
        self.changes.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Runs `f` on the stored state of the request being answered.
    fn rows<T>(&self, f: impl FnOnce(&mut dyn Rows) -> T) -> T {
        let tx = TX
            .try_with(Tx::clone)
            .unwrap_or_else(|_| match &self.state {
                Backend::Memory(m) => Tx::Memory(m.store(None)),
                // Outside a request (never on Redis): an empty view.
                Backend::Redis(_) => Tx::View(Default::default()),
            });
        let mut changed = false;
        let out = tx.run(|rows| {
            let mut noted = Noted {
                rows,
                changed: false,
            };
            let out = f(&mut noted);
            changed = noted.changed;
            out
        });
        // Counted once the change is made and its lock released.
        if changed {
            self.changes.fetch_add(1, Ordering::Release);
        }
        out
    }

    pub(crate) fn recorded(&self) -> Vec<RecordedRequest> {
        let name = |id: OpId| self.ops[id].name.clone();
        self.recorded
            .list(self.config.max_recorded)
            .iter()
            .map(|r| r.to_public(name))
            .collect()
    }

    /// Marks the store as written; call before writing to it.
    fn will_write(&self) {
        if !self.written.load(Ordering::Relaxed) {
            self.written.store(true, Ordering::Release);
        }
    }

    /// Whether the store may hold anything (resources or deletions).
    fn may_have_state(&self) -> bool {
        self.written.load(Ordering::Acquire)
    }

    /// Answers one request. Never panics on client input; every failure is
    /// an HTTP answer.
    pub(crate) async fn handle<B>(&self, req: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let started = Instant::now();
        let at = SystemTime::now();
        let method = req.method().clone();
        let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let target = util::truncate(target, 2048).to_owned();
        let origin = req.headers().get(header::ORIGIN).cloned();

        let (mut reply, operation) = if self.config.cors
            && req.method() == hyper::Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            (self.preflight(req.headers()), None)
        } else if let Some(admin) = req.uri().path().strip_prefix("/__decoy/") {
            (
                self.admin(method.as_str(), admin, req.headers(), req.uri().query())
                    .await,
                None,
            )
        } else if let Some(replay) = &self.config.replay {
            let (limit, timeout) = (self.config.body_limit, self.config.body_timeout);
            match replay.answer(req.map(Box::pin), limit, timeout).await {
                Ok(answer) => {
                    let operation = answer.operation.clone().map(Operation::Named);
                    (Reply::replayed(answer), operation)
                }
                Err(req) => {
                    let (reply, op_id) = self.respond(req, origin.as_ref()).await;
                    (reply, op_id.map(Operation::Id))
                }
            }
        } else {
            let (reply, op_id) = self.respond(req, origin.as_ref()).await;
            (reply, op_id.map(Operation::Id))
        };
        // Sleep with no lock held: other requests go on meanwhile.
        if let Some(d) = reply.delay {
            tokio::time::sleep(d).await;
        }
        // A preflight or kept answer carries its CORS headers already, and
        // so may a generated or replayed one; a second
        // `Access-Control-Allow-Origin` makes browsers refuse both.
        if self.config.cors
            && !reply.cors_done
            && !reply
                .headers
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        {
            cors(&mut reply.headers, origin);
        }
        // One clock read for the duration and the recorder's order.
        let ended = Instant::now();
        let record = Record {
            at,
            method,
            path: target,
            status: reply.status,
            operation,
            duration: ended.saturating_duration_since(started),
        };
        if let Some(cb) = &self.config.on_request {
            cb(&record.to_public(|id| self.ops[id].name.clone()));
        }
        self.recorded.push(ended, record, self.config.max_recorded);
        let mut response = Response::new(Full::new(reply.body));
        *response.status_mut() =
            hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::OK);
        *response.headers_mut() = reply.headers;
        response
    }

    /// Whether a request may be answered with the kept answer to its
    /// target: a bodiless GET with nothing that the target does not decide
    /// (`Prefer`, a namespace, fault draws, state other replicas change).
    fn repeatable(&self, parts: &hyper::http::request::Parts, bodiless: bool) -> bool {
        parts.method == hyper::Method::GET
            && bodiless
            && !self.draws
            && matches!(self.state, Backend::Memory(_))
            // One pass over the few names a request has, not two lookups.
            && !parts
                .headers
                .keys()
                .any(|k| *k == prefer::HEADER || *k == crate::state::NAMESPACE_HEADER)
    }

    /// The kept answer to this request's target, if its credentials are
    /// good; else `None`, and the pipeline says what is wrong. `origin` is
    /// the request's `Origin`, read once by [`App::handle`].
    fn repeated(
        &self,
        parts: &hyper::http::request::Parts,
        origin: Option<&HeaderValue>,
        changes: u64,
    ) -> Option<(OpId, Reply)> {
        let target = parts.uri.path_and_query()?.as_str();
        let (op_id, mut reply) = self.cache.answer(target, changes)?;
        if !self.authorized(op_id, parts) {
            return None;
        }
        // Kept with the CORS headers of a request without `Origin`.
        if self.config.cors {
            reply.allow_origin(origin);
        }
        Some((op_id, reply))
    }

    /// The answer, and the operation that gave it.
    async fn respond<B>(
        &self,
        req: Request<B>,
        origin: Option<&HeaderValue>,
    ) -> (Reply, Option<OpId>)
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let (parts, body) = req.into_parts();
        let bodiless = body.is_end_stream();
        let repeat = self.repeatable(&parts, bodiless);
        // Read before answering: a change made meanwhile outdates the answer.
        let changes = self.changes.load(Ordering::Acquire);
        if repeat && let Some((op_id, reply)) = self.repeated(&parts, origin, changes) {
            return (reply, Some(op_id));
        }
        let method = parts.method.as_str();
        let (op_id, params) = match self.spec.router().find(method, parts.uri.path()) {
            RouteMatch::Found { operation, params } => (operation, params),
            RouteMatch::MethodNotAllowed { allowed } => {
                let message = format!(
                    "{method} is not allowed here; allowed: {}",
                    allowed.join(", ")
                );
                let mut r = self.error(None, 405, &message, &[], false);
                r.header(header::ALLOW, &allowed.join(", "));
                return (r, None);
            }
            _ => {
                let path = util::truncate(parts.uri.path(), 200);
                return (
                    self.error(
                        None,
                        404,
                        &format!("no operation matches {method} {path}"),
                        &[],
                        false,
                    ),
                    None,
                );
            }
        };
        let (op_id, body) = match self.variant(op_id, &parts, body).await {
            Ok(found) => found,
            Err(r) => return (r, None),
        };
        let info = &self.ops[op_id];
        let name = Some(op_id);

        if !self.authorized(op_id, &parts) {
            return (
                self.error(
                    Some(op_id),
                    401,
                    "missing or invalid credentials",
                    &[],
                    true,
                ),
                name,
            );
        }
        let prefer = match Prefer::parse(&parts.headers) {
            Ok(p) => p,
            Err(m) => return (self.error(Some(op_id), 400, &m, &[], false), name),
        };
        let namespace = match crate::state::namespace(&parts.headers) {
            Ok(n) => n,
            Err(m) => return (self.error(Some(op_id), 400, &m, &[], false), name),
        };

        let n = match self.draws {
            true => self.counter.fetch_add(1, Ordering::Relaxed),
            false => 0,
        };
        let draw = util::splitmix(self.config.seed ^ util::splitmix(n));
        let faults = &self.rules(op_id).faults;
        let delay = faults
            .latency
            .or(self.config.latency)
            .map(|l| l.pick(util::unit(draw)));
        let rate = faults.error_rate.unwrap_or(self.config.error_rate);
        if rate > 0.0 && util::unit(util::splitmix(draw)) < rate {
            let mut r = self.fault(op_id, draw);
            r.delay = delay;
            return (r, name);
        }

        let mut problems = Vec::new();
        self.check_params(op_id, &params, &parts, &mut problems);
        let body_value = match self.read_body(op_id, &parts, body, &mut problems).await {
            Ok(v) => v,
            Err(mut r) => {
                r.delay = delay;
                return (r, name);
            }
        };
        let mut reply = if problems.is_empty() {
            let req = tx::Request {
                op_id,
                params: &params,
                parts: &parts,
                body: &body_value,
                prefer: &prefer,
            };
            let mut reply = self.answer_in(namespace.as_deref(), &req).await;
            if repeat && reply.repeatable && info.target_decides && namespace.is_none() {
                let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                // Kept with the CORS headers of a request without `Origin`,
                // computed once for both: this answer then differs from the
                // kept one only in the origin it allows.
                let with_cors = self.config.cors
                    && !reply
                        .headers
                        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN);
                if with_cors {
                    cors(&mut reply.headers, None);
                }
                let headers = reply.headers.clone();
                self.cache
                    .keep_answer(target, op_id, changes, &reply, headers);
                if with_cors {
                    reply.allow_origin(origin);
                }
            }
            reply
        } else {
            let message = problems
                .iter()
                .map(|p| {
                    format!(
                        "{} {}: {}",
                        p.location,
                        if p.pointer.is_empty() {
                            "(root)"
                        } else {
                            &p.pointer
                        },
                        p.message
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            self.error(
                Some(op_id),
                400,
                &format!("the request is invalid: {message}"),
                &problems,
                false,
            )
        };
        reply.delay = delay;
        (reply, name)
    }
}

/// Adds the CORS headers of an answer: the origin allowed (the request's,
/// else any), and the answer's own headers exposed to scripts.
fn cors(headers: &mut hyper::HeaderMap, origin: Option<HeaderValue>) {
    let mut names = String::with_capacity(96);
    // Each name once, however many values it has.
    for name in headers.keys() {
        if !names.is_empty() {
            names.push_str(", ");
        }
        names.push_str(name.as_str());
    }
    let allow = origin.unwrap_or(HeaderValue::from_static("*"));
    headers.append(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Ok(names) = HeaderValue::from_str(&names)
        && !names.is_empty()
    {
        headers.append(header::ACCESS_CONTROL_EXPOSE_HEADERS, names);
    }
}
