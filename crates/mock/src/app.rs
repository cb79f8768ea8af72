//! From a request to a response: routing, security, validation, response
//! selection, state. No sockets here: `App::handle` takes any `http` request,
//! so it can be driven in-process.

use std::collections::{HashMap, VecDeque};
use std::error::Error as StdError;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use decoy_spec::model::{Rules, Source};
use decoy_spec::{OpId, RouteMatch, SecurityScheme, Severity, Spec};
use decoy_validate::{Validator, Validators};
use http_body_util::Full;
use hyper::body::Body;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response};

use crate::config::{Config, RecordedRequest};
use crate::error::MockError;

use crate::generate::Bodies;
use crate::store::Store;
use crate::util;

mod admin;
mod answer;
mod auth;
mod body;
mod crud;
mod echo;
mod error_body;
mod params;
mod parent;
mod prefer;
mod reply;
mod resource;
mod state;

use answer::{lowest_success, pick_media};
use parent::shared_properties;
use prefer::Prefer;
use reply::Reply;

/// Cached response bodies before the cache starts over.
const CACHE_ENTRIES: usize = 256;

/// What the document and the mock know about one operation.
struct OpInfo {
    name: String,
    /// Index into `responses` of the lowest documented 2xx.
    success: Option<usize>,
    /// Per parameter: its validator.
    params: Vec<Option<Validator>>,
    /// Per request media type: its validator.
    bodies: Vec<Option<Validator>>,
    /// Whether a plain GET can be answered from the cache.
    cacheable: bool,
    /// The last template segment is a bare `{param}`: echo it as `id`.
    id_param: Option<String>,
    /// An echo uses `template:`, which may need the context.
    templated: bool,
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
    schemes: HashMap<String, SecurityScheme>,
    /// Every `x-decoy-shared` property: (key, pointer), in document order.
    shared: Vec<(String, String)>,
    store: Mutex<Store>,
    recorded: Mutex<VecDeque<RecordedRequest>>,
    cache: Mutex<HashMap<(OpId, String), Bytes>>,
    counter: AtomicU64,
    /// A hash of the document, reported by `/__decoy/health`.
    revision: String,
    /// Why the last reload of a watched document failed, if it did.
    reload_error: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere must not take the server down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
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
            let params = op
                .parameters
                .iter()
                .map(|p| p.schema.as_deref().and_then(|s| validators.compile(s).ok()))
                .collect();
            let bodies = op
                .request_body
                .iter()
                .flat_map(|rb| &rb.content)
                .map(|m| m.schema.as_deref().and_then(|s| validators.compile(s).ok()))
                .collect();
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
            ops.push(OpInfo {
                name: op.name(),
                success,
                params,
                bodies,
                cacheable,
                id_param,
                templated,
            });
        }
        let mut shared = Vec::new();
        shared_properties(spec.document(), &mut String::new(), 0, &mut shared);
        let mut schemes = HashMap::new();
        for op in spec.operations() {
            for req in &op.security {
                for (name, _) in &req.schemes {
                    if let Some(s) = spec.security_scheme(name) {
                        schemes.insert(name.clone(), s);
                    }
                }
            }
        }
        let spec_text = spec.document().to_string();
        let bodies = Bodies::new(&spec, config.profile);
        let success_schemas: Vec<&str> = spec
            .operations()
            .iter()
            .zip(&ops)
            .filter_map(|(op, info)| info.success.map(|k| &op.responses[k]))
            .filter_map(|r| pick_media(&r.content)?.schema.as_deref())
            .collect();
        bodies.prepare(&success_schemas);
        Ok(App {
            bodies,
            validators,
            ops: Ops(ops),
            schemes,
            shared,
            spec,
            config,
            store: Mutex::new(Store::default()),
            recorded: Mutex::new(VecDeque::new()),
            cache: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
            revision: format!("{:016x}", util::mix(0, spec_text)),
            reload_error: Mutex::new(None),
        })
    }

    /// The operation's `x-decoy-*` rules, from the document's model.
    fn rules(&self, op_id: OpId) -> &Rules {
        &self.spec.model().operation(op_id).rules
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn revision(&self) -> &str {
        &self.revision
    }

    pub(crate) fn set_reload_error(&self, error: Option<String>) {
        *lock(&self.reload_error) = error;
    }

    /// Forgets stored resources and recorded requests.
    pub(crate) fn reset(&self) {
        lock(&self.store).clear();
        lock(&self.recorded).clear();
    }

    pub(crate) fn recorded(&self) -> Vec<RecordedRequest> {
        lock(&self.recorded).iter().cloned().collect()
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
        let method = req.method().as_str().to_owned();
        let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let target = util::truncate(target, 2048).to_owned();
        let origin = req.headers().get(header::ORIGIN).cloned();
        let path = req.uri().path().to_owned();

        let (mut reply, operation) = if self.config.cors
            && req.method() == hyper::Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            (self.preflight(req.headers()), None)
        } else if let Some(admin) = path.strip_prefix("/__decoy/") {
            (self.admin(&method, admin), None)
        } else {
            self.respond(req).await
        };
        // Sleep with no lock held: other requests go on meanwhile.
        if let Some(d) = reply.delay {
            tokio::time::sleep(d).await;
        }
        // A preflight answer carries its own CORS headers; a second
        // `Access-Control-Allow-Origin` makes browsers refuse both.
        let answered = reply
            .headers
            .iter()
            .any(|(n, _)| n == header::ACCESS_CONTROL_ALLOW_ORIGIN);
        if self.config.cors && !answered {
            let names: Vec<String> = reply
                .headers
                .iter()
                .map(|(n, _)| n.as_str().to_owned())
                .collect();
            let allow = origin.unwrap_or(HeaderValue::from_static("*"));
            reply
                .headers
                .push((header::ACCESS_CONTROL_ALLOW_ORIGIN, allow));
            reply
                .headers
                .push((header::VARY, HeaderValue::from_static("Origin")));
            if !names.is_empty() {
                reply.header(header::ACCESS_CONTROL_EXPOSE_HEADERS, &names.join(", "));
            }
        }
        let record = RecordedRequest {
            at,
            method,
            path: target,
            status: reply.status,
            operation,
            duration: started.elapsed(),
        };
        if let Some(cb) = &self.config.on_request {
            cb(&record);
        }
        {
            let mut recorded = lock(&self.recorded);
            if recorded.len() >= self.config.max_recorded.max(1) {
                recorded.pop_front();
            }
            recorded.push_back(record);
        }
        let mut response = Response::new(Full::new(reply.body));
        *response.status_mut() =
            hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::OK);
        for (name, value) in reply.headers {
            response.headers_mut().append(name, value);
        }
        response
    }

    async fn respond<B>(&self, req: Request<B>) -> (Reply, Option<String>)
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let (parts, body) = req.into_parts();
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
        let op = &self.spec.operations()[op_id];
        let info = &self.ops[op_id];
        let name = Some(info.name.clone());

        if !self.authorized(op, &parts) {
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

        let n = self.counter.fetch_add(1, Ordering::Relaxed);
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
            self.answer(op_id, &params, &parts, &body_value, &prefer)
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
