//! From a request to a response: routing, security, validation, response
//! selection, state. No sockets here: `App::handle` takes any `http` request,
//! so it can be driven in-process.

use std::collections::{HashMap, VecDeque};
use std::error::Error as StdError;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use decoy_spec::{
    MediaType, Operation, ParameterLocation, RouteMatch, SecurityScheme, Spec, StatusKey,
};
use decoy_validate::{Validator, Validators};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Body;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Request, Response};
use serde_json::{Map, Value, json};

use crate::config::{Config, RecordedRequest};
use crate::context::{self, Context};
use crate::error::MockError;
use crate::ext::{Echo, Rules, Source, Template};
use crate::generate::{Bodies, Seeds};
use crate::store::{Item, Store};
use crate::util;

/// Cached response bodies before the cache starts over.
const CACHE_ENTRIES: usize = 256;

/// An answer on its way out.
struct Reply {
    status: u16,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    delay: Option<Duration>,
}

impl Reply {
    fn json(status: u16, content_type: &str, body: &Value) -> Reply {
        let mut r = Reply::empty(status);
        r.body = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
        r.header(header::CONTENT_TYPE, content_type);
        r
    }

    fn replayed(answer: crate::replay::Answer) -> Reply {
        let mut r = Reply::empty(answer.status);
        r.body = answer.body;
        for (n, v) in answer.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(n.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                r.headers.push((n, v));
            }
        }
        r
    }

    fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            delay: None,
        }
    }

    fn header(&mut self, name: HeaderName, value: &str) {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
    }
}

/// One problem with a request: where (`path`, `query`, `header`, `body`),
/// a JSON pointer inside it, and what.
struct Problem {
    location: &'static str,
    pointer: String,
    message: String,
}

/// What the document and the mock know about one operation.
struct OpInfo {
    name: String,
    rules: Rules,
    /// Index into `responses` of the lowest documented 2xx.
    success: Option<usize>,
    /// Per parameter: its validator and the JSON type to read it as.
    params: Vec<(Option<Validator>, &'static str)>,
    /// Per request media type: its validator.
    bodies: Vec<Option<Validator>>,
    /// Whether a plain GET can be answered from the cache.
    cacheable: bool,
    /// The last template segment is a bare `{param}`: echo it as `id`.
    id_param: Option<String>,
    /// The operation whose resource this one belongs to (its context).
    parent: Option<usize>,
    /// An echo uses `template:`, which may need the context.
    templated: bool,
}

/// `Prefer` header settings (Prism's conventions).
#[derive(Default)]
struct Prefer {
    code: Option<u16>,
    example: Option<String>,
    dynamic: Option<bool>,
}

impl Prefer {
    fn parse(headers: &hyper::HeaderMap) -> Result<Prefer, String> {
        let mut p = Prefer::default();
        for value in headers.get_all("prefer") {
            let text = String::from_utf8_lossy(value.as_bytes());
            for pref in text.split([',', ';']) {
                let Some((k, v)) = pref.split_once('=') else {
                    continue;
                };
                let v = v.trim().trim_matches('"');
                match k.trim().to_ascii_lowercase().as_str() {
                    "code" => {
                        p.code = Some(
                            v.parse()
                                .ok()
                                .filter(|c| (100..=599).contains(c))
                                .ok_or_else(|| {
                                    format!(
                                        "Prefer: code={} is not an HTTP status code",
                                        util::truncate(v, 40)
                                    )
                                })?,
                        )
                    }
                    "example" => p.example = Some(v.to_owned()),
                    "dynamic" => {
                        p.dynamic = Some(match v {
                            "true" => true,
                            "false" => false,
                            _ => {
                                return Err(format!(
                                    "Prefer: dynamic={} must be true or false",
                                    util::truncate(v, 40)
                                ));
                            }
                        })
                    }
                    _ => {}
                }
            }
        }
        Ok(p)
    }

    fn is_empty(&self) -> bool {
        self.code.is_none() && self.example.is_none() && self.dynamic.is_none()
    }
}

/// The request as sources see it.
struct Ctx<'a> {
    body: &'a Value,
    params: &'a [(String, String)],
    parts: &'a Parts,
    context: Option<&'a Context>,
}

/// A compiled document plus everything the server remembers.
pub(crate) struct App {
    spec: Spec,
    config: Config,
    bodies: Bodies,
    validators: Validators,
    ops: Vec<OpInfo>,
    schemes: HashMap<String, SecurityScheme>,
    /// Every `x-decoy-shared` property: (key, pointer), in document order.
    shared: Vec<(String, String)>,
    store: Mutex<Store>,
    recorded: Mutex<VecDeque<RecordedRequest>>,
    cache: Mutex<HashMap<(usize, String), Bytes>>,
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
        let validators = Validators::new(&spec);
        let mut ops = Vec::new();
        for op in spec.operations() {
            let raw = spec.get(&op.pointer).unwrap_or(&Value::Null);
            let rules = Rules::read(raw, &op.pointer)?;
            let success = lowest_success(op);
            let params = op
                .parameters
                .iter()
                .map(|p| {
                    let v = p.schema.as_deref().and_then(|s| validators.compile(s).ok());
                    let ty = p
                        .schema
                        .as_deref()
                        .map_or("string", |s| primary_type(&spec, s));
                    (v, ty)
                })
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
                rules,
                success,
                params,
                bodies,
                cacheable,
                id_param,
                parent: None,
                templated,
            });
        }
        for (k, info) in ops.iter_mut().enumerate() {
            info.parent = parent_of(&spec, k, &info.rules)?;
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
        let bodies = Bodies::new(&spec);
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
            ops,
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
        if let Some(replay) = &self.config.replay {
            replay.rewind();
        }
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
        } else if let Some(replay) = &self.config.replay {
            let (limit, timeout) = (self.config.body_limit, self.config.body_timeout);
            match replay.answer(req.map(Box::pin), limit, timeout).await {
                Ok(answer) => {
                    let operation = answer.operation.clone();
                    (Reply::replayed(answer), operation)
                }
                Err(req) => self.respond(req).await,
            }
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

    fn preflight(&self, headers: &hyper::HeaderMap) -> Reply {
        let mut r = Reply::empty(204);
        let origin = headers
            .get(header::ORIGIN)
            .cloned()
            .unwrap_or(HeaderValue::from_static("*"));
        r.headers
            .push((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin));
        r.header(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
        );
        let allow_headers = headers
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or(HeaderValue::from_static(
                "Authorization, Content-Type, Prefer",
            ));
        r.headers
            .push((header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers));
        r.header(header::ACCESS_CONTROL_MAX_AGE, "600");
        r.header(
            header::VARY,
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        );
        r
    }

    fn admin(&self, method: &str, what: &str) -> Reply {
        match (method, what) {
            ("GET" | "HEAD", "health") => {
                let title = self.spec.get("/info/title").cloned().unwrap_or(Value::Null);
                let body = json!({
                    "status": "ok",
                    "document": title,
                    "operations": self.ops.len(),
                    "revision": self.revision,
                    "reload_error": *lock(&self.reload_error),
                });
                Reply::json(200, "application/json", &body)
            }
            ("POST", "reset") => {
                self.reset();
                Reply::empty(204)
            }
            ("GET" | "HEAD", "requests") => {
                let list: Vec<Value> = lock(&self.recorded)
                    .iter()
                    .map(RecordedRequest::to_json)
                    .collect();
                Reply::json(200, "application/json", &json!({ "requests": list }))
            }
            (_, "health" | "reset" | "requests") => {
                let mut r = self.error(
                    None,
                    405,
                    &format!("{method} is not allowed on /__decoy/{what}"),
                    &[],
                    false,
                );
                r.header(
                    header::ALLOW,
                    if what == "reset" { "POST" } else { "GET, HEAD" },
                );
                r
            }
            _ => self.error(
                None,
                404,
                "unknown admin endpoint (try /__decoy/health, /__decoy/reset, /__decoy/requests)",
                &[],
                false,
            ),
        }
    }

    async fn respond<B>(&self, req: Request<B>) -> (Reply, Option<String>)
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let (parts, body) = req.into_parts();
        let method = parts.method.as_str();
        let (i, params) = match self.spec.router().find(method, parts.uri.path()) {
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
        let op = &self.spec.operations()[i];
        let info = &self.ops[i];
        let name = Some(info.name.clone());

        if !self.authorized(op, &parts) {
            return (
                self.error(Some(i), 401, "missing or invalid credentials", &[], true),
                name,
            );
        }
        let prefer = match Prefer::parse(&parts.headers) {
            Ok(p) => p,
            Err(m) => return (self.error(Some(i), 400, &m, &[], false), name),
        };

        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let draw = util::splitmix(self.config.seed ^ util::splitmix(n));
        let delay = info
            .rules
            .faults
            .latency
            .or(self.config.latency)
            .map(|l| l.pick(util::unit(draw)));
        let rate = info
            .rules
            .faults
            .error_rate
            .unwrap_or(self.config.error_rate);
        if rate > 0.0 && util::unit(util::splitmix(draw)) < rate {
            let mut r = self.fault(i, draw);
            r.delay = delay;
            return (r, name);
        }

        let mut problems = Vec::new();
        self.check_params(i, &params, &parts, &mut problems);
        let body_value = match self.read_body(i, &parts, body, &mut problems).await {
            Ok(v) => v,
            Err(mut r) => {
                r.delay = delay;
                return (r, name);
            }
        };
        let mut reply = if problems.is_empty() {
            self.answer(i, &params, &parts, &body_value, &prefer)
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
                Some(i),
                400,
                &format!("the request is invalid: {message}"),
                &problems,
                false,
            )
        };
        reply.delay = delay;
        (reply, name)
    }

    fn authorized(&self, op: &Operation, parts: &Parts) -> bool {
        op.security.is_empty()
            || op.security.iter().any(|req| {
                req.schemes
                    .iter()
                    .all(|(name, _)| self.scheme_met(name, parts))
            })
    }

    fn scheme_met(&self, name: &str, parts: &Parts) -> bool {
        let token_ok =
            |t: &str| !t.is_empty() && self.config.token.as_deref().is_none_or(|want| want == t);
        let auth = |scheme: &str| {
            let v = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            match v.split_once(' ') {
                Some((s, t)) if s.eq_ignore_ascii_case(scheme) => Some(t.trim().to_owned()),
                _ => None,
            }
        };
        match self.schemes.get(name) {
            None => true,
            Some(SecurityScheme::Http { scheme }) if scheme == "basic" => {
                auth("basic").is_some_and(|t| !t.is_empty())
            }
            Some(SecurityScheme::ApiKey { name, location }) => {
                let value = match location {
                    ParameterLocation::Query => query_pairs(parts.uri.query())
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v),
                    ParameterLocation::Cookie => cookie(parts, name),
                    _ => parts
                        .headers
                        .get(name.as_str())
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                };
                value.is_some_and(|v| token_ok(&v))
            }
            Some(_) => auth("bearer").is_some_and(|t| token_ok(&t)),
        }
    }

    fn check_params(
        &self,
        i: usize,
        params: &[(String, String)],
        parts: &Parts,
        problems: &mut Vec<Problem>,
    ) {
        let op = &self.spec.operations()[i];
        for (p, (validator, ty)) in op.parameters.iter().zip(&self.ops[i].params) {
            let raw = match p.location {
                ParameterLocation::Path => params
                    .iter()
                    .find(|(k, _)| *k == p.name)
                    .map(|(_, v)| v.clone()),
                ParameterLocation::Query => query_pairs(parts.uri.query())
                    .find(|(k, _)| *k == p.name)
                    .map(|(_, v)| v),
                ParameterLocation::Header => parts
                    .headers
                    .get(p.name.as_str())
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
                ParameterLocation::Cookie => cookie(parts, &p.name),
            };
            let location = p.location.as_str();
            let Some(raw) = raw else {
                if p.required {
                    problems.push(Problem {
                        location,
                        pointer: decoy_spec::pointer::push("", &p.name),
                        message: "required parameter is missing".to_owned(),
                    });
                }
                continue;
            };
            let Some(validator) = validator else { continue };
            let value = coerce(&raw, ty);
            for v in validator.validate(&value) {
                problems.push(Problem {
                    location,
                    pointer: format!(
                        "{}{}",
                        decoy_spec::pointer::push("", &p.name),
                        v.instance_pointer
                    ),
                    message: v.message,
                });
            }
        }
    }

    /// Reads the body within the limit; `Err` is an answer to send at once
    /// (413, 415, 408).
    async fn read_body<B>(
        &self,
        i: usize,
        parts: &Parts,
        body: B,
        problems: &mut Vec<Problem>,
    ) -> Result<Value, Reply>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let limit = self.config.body_limit;
        let too_large = || {
            self.error(
                Some(i),
                413,
                &format!("the request body is larger than {limit} bytes"),
                &[],
                false,
            )
        };
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let bytes = match tokio::time::timeout(
            self.config.body_timeout,
            Limited::new(body, limit).collect(),
        )
        .await
        {
            Ok(Ok(c)) => c.to_bytes(),
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(too_large()),
            Ok(Err(_)) => {
                return Err(self.error(
                    Some(i),
                    400,
                    "the request body could not be read",
                    &[],
                    false,
                ));
            }
            Err(_) => {
                return Err(self.error(
                    Some(i),
                    408,
                    "the request body took too long to arrive",
                    &[],
                    false,
                ));
            }
        };
        let op = &self.spec.operations()[i];
        let Some(rb) = &op.request_body else {
            return Ok(Value::Null);
        };
        if bytes.is_empty() {
            if rb.required {
                problems.push(Problem {
                    location: "body",
                    pointer: String::new(),
                    message: "a request body is required".to_owned(),
                });
            }
            return Ok(Value::Null);
        }
        let ct = parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let essence = ct.as_deref().map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        let found = essence
            .as_deref()
            .and_then(|e| rb.content.iter().position(|m| media_matches(&m.name, e)));
        let Some(k) = found else {
            let accepted: Vec<&str> = rb.content.iter().map(|m| m.name.as_str()).collect();
            let sent = ct.as_deref().map_or("no Content-Type".to_owned(), |c| {
                format!("Content-Type {}", util::truncate(c, 100))
            });
            let message = format!(
                "{sent} is not accepted here; send one of: {}",
                accepted.join(", ")
            );
            return Err(self.error(Some(i), 415, &message, &[], false));
        };
        let media = &rb.content[k];
        if !media.is_json() {
            return Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        }
        let value: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                problems.push(Problem {
                    location: "body",
                    pointer: String::new(),
                    message: format!("malformed JSON: {e}"),
                });
                return Ok(Value::Null);
            }
        };
        if let Some(Some(validator)) = self.ops[i].bodies.get(k) {
            for v in validator.validate(&value) {
                problems.push(Problem {
                    location: "body",
                    pointer: v.instance_pointer,
                    message: v.message,
                });
            }
        }
        Ok(value)
    }

    /// The answer to a valid request.
    fn answer(
        &self,
        i: usize,
        params: &[(String, String)],
        parts: &Parts,
        body: &Value,
        prefer: &Prefer,
    ) -> Reply {
        let op = &self.spec.operations()[i];
        let info = &self.ops[i];
        let success = info.success.map(|k| &op.responses[k]);
        let response = match prefer.code {
            Some(code) => match op.response(code) {
                Some(r) => r,
                None => {
                    let documented: Vec<String> =
                        op.responses.iter().map(|r| r.status.to_string()).collect();
                    let message = format!(
                        "Prefer: code={code} is not documented for {}; documented: {}",
                        info.name,
                        documented.join(", ")
                    );
                    return self.error(Some(i), 400, &message, &[], false);
                }
            },
            None => match success {
                Some(r) => r,
                None => return Reply::empty(if op.method == "POST" { 201 } else { 200 }),
            },
        };
        let status = status_of(response.status, prefer.code);
        let media = pick_media(&response.content);
        let is_success = success.is_some_and(|s| std::ptr::eq(s, response));

        if let Some(name) = &prefer.example {
            let Some(media) = media else {
                return self.error(
                    Some(i),
                    400,
                    &format!(
                        "Prefer: example={name}: status {status} of {} has no body",
                        info.name
                    ),
                    &[],
                    false,
                );
            };
            let Some(value) = self.bodies.example(media, name) else {
                let names: Vec<&str> = media.examples.iter().map(|e| e.name.as_str()).collect();
                let known = if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                };
                let message = format!(
                    "Prefer: example={name} is not an example of status {status} of {}; examples: {known}",
                    info.name
                );
                return self.error(Some(i), 400, &message, &[], false);
            };
            return self.finish(status, response, media, &value);
        }
        let Some(media) = media else {
            let mut r = Reply::empty(status);
            self.documented_headers(response, &mut r);
            return r;
        };
        if prefer.dynamic == Some(false)
            && let Some(value) = self.bodies.first_example(media)
        {
            return self.finish(status, response, media, &value);
        }
        // An explicit code asks for the documented response, not for state.
        if !is_success || prefer.code.is_some() {
            let value = self
                .bodies
                .first_example(media)
                .unwrap_or_else(|| self.generate(i, params, media));
            return self.finish(status, response, media, &value);
        }

        let context = if info.templated {
            self.context(i, params, 0)
        } else {
            None
        };
        let ctx = Ctx {
            body,
            params,
            parts,
            context: context.as_ref(),
        };
        // A listing with stored resources is built fresh; an empty one is
        // the generated body, which the cache holds.
        let listed = match (&info.rules.list, self.config.stateless) {
            (Some(l), false) => !lock(&self.store)
                .list(&l.collection.render(params))
                .is_empty(),
            _ => false,
        };
        let cache_key = (info.cacheable && prefer.is_empty() && !listed)
            .then(|| (i, resource_path(&op.path, params)));
        if let Some(key) = &cache_key
            && let Some(bytes) = lock(&self.cache).get(key).cloned()
        {
            let mut r = Reply::empty(status);
            r.header(header::CONTENT_TYPE, content_type(media));
            r.body = bytes;
            self.documented_headers(response, &mut r);
            return r;
        }
        let value = match self.stateful(i, &ctx, media) {
            Ok(Some(v)) => v,
            Ok(None) => self.generate_success(i, &ctx, media),
            Err(r) => return r,
        };
        let reply = self.finish(status, response, media, &value);
        if let Some(key) = cache_key {
            let mut cache = lock(&self.cache);
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, reply.body.clone());
        }
        reply
    }

    fn finish(
        &self,
        status: u16,
        response: &decoy_spec::Response,
        media: &MediaType,
        value: &Value,
    ) -> Reply {
        let mut r = Reply::empty(status);
        r.header(header::CONTENT_TYPE, content_type(media));
        r.body = match value {
            Value::String(s) if !media.is_json() => Bytes::from(s.clone()),
            v => Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
        };
        self.documented_headers(response, &mut r);
        r
    }

    /// Required documented headers (and `Retry-After` on a 429) get a value.
    fn documented_headers(&self, response: &decoy_spec::Response, r: &mut Reply) {
        for h in &response.headers {
            if !h.required && !h.name.eq_ignore_ascii_case("retry-after") {
                continue;
            }
            let Ok(name) = HeaderName::from_bytes(h.name.as_bytes()) else {
                continue;
            };
            let value = h
                .schema
                .as_deref()
                .map_or(Value::Null, |s| self.bodies.schema(s, self.config.seed));
            let text = match value {
                Value::String(s) => s,
                Value::Number(n) if n.as_f64().is_some_and(|f| f <= 0.0) => "1".to_owned(),
                Value::Null => "1".to_owned(),
                v => v.to_string(),
            };
            r.header(name, &text);
        }
        if r.status == 429 && !r.headers.iter().any(|(n, _)| n == header::RETRY_AFTER) {
            r.header(header::RETRY_AFTER, "1");
        }
    }

    fn seeds(&self, op: &Operation, params: &[(String, String)]) -> Seeds {
        let full = resource_path(&op.path, params);
        let root = match op.path.find('}') {
            Some(end) => resource_path(&op.path[..=end], params),
            None => full.clone(),
        };
        Seeds {
            resource: util::mix(self.config.seed, &root),
            request: util::mix(self.config.seed, &full),
        }
    }

    /// A body for the operation's resource, its path id pinned as `id`,
    /// agreeing with its parent resource.
    fn generate(&self, i: usize, params: &[(String, String)], media: &MediaType) -> Value {
        self.generate_at(i, params, media, 0)
    }

    fn generate_at(
        &self,
        i: usize,
        params: &[(String, String)],
        media: &MediaType,
        depth: usize,
    ) -> Value {
        let pin = self
            .id_pin(i, params)
            .filter(|v| self.id_fits(media, v))
            .map(|v| ("id", v));
        let seeds = self.seeds(&self.spec.operations()[i], params);
        let mut value = self.bodies.generate(media, seeds, pin.as_slice());
        self.agree(i, params, media, &mut value, depth);
        value
    }

    /// Makes a generated body agree with its resource's context (see
    /// `context`): shared values and timelines.
    fn agree(
        &self,
        i: usize,
        params: &[(String, String)],
        media: &MediaType,
        value: &mut Value,
        depth: usize,
    ) {
        let Some(schema) = media.schema.as_deref() else {
            return;
        };
        let marks = context::marks(self.spec.document(), schema, value);
        if marks.shared.is_empty() && marks.timeline.is_empty() {
            return;
        }
        match self.context(i, params, depth) {
            Some(ctx) => context::conform(&ctx, &marks, value, true),
            // A root resource: its nested timelines move into its own span.
            None => {
                let own = Context {
                    shared: Vec::new(),
                    span: context::harvest(&marks, value).span,
                };
                context::conform(&own, &marks, value, false);
            }
        }
    }

    /// What the parent resource of operation `i` tells it: the parent's
    /// generated body (itself agreeing with its parent), plus one value per
    /// resource for shared keys the parent does not show.
    fn context(&self, i: usize, params: &[(String, String)], depth: usize) -> Option<Context> {
        // Parents are GETs on shorter paths, so chains are short; the bound
        // guards against a document whose `x-decoy-parent`s loop.
        if depth > 4 {
            return None;
        }
        let p = self.ops[i].parent?;
        let op = &self.spec.operations()[p];
        let media = pick_media(&op.responses[self.ops[p].success?].content)?;
        let schema = media.schema.as_deref()?;
        let value = self.generate_at(p, params, media, depth + 1);
        let marks = context::marks(self.spec.document(), schema, &value);
        let mut ctx = context::harvest(&marks, &value);
        let seed = self.seeds(op, params).request;
        for (key, pointer) in &self.shared {
            if ctx.get(key).is_some() {
                continue;
            }
            // Generate the object that holds the property, so its name
            // still shapes the value (`organization_id` → `org_...`).
            let v = match pointer.rsplit_once("/properties/") {
                Some((object, name)) => self
                    .bodies
                    .schema_value(object, util::mix(seed, key))
                    .and_then(|o| o.get(name.replace("~1", "/").replace("~0", "~")).cloned()),
                None => self.bodies.schema_value(pointer, util::mix(seed, key)),
            };
            if let Some(v) = v.filter(|v| !v.is_null()) {
                ctx.shared.push((key.clone(), v));
            }
        }
        Some(ctx)
    }

    /// A generated success body with the operation's pins, echoes and sets.
    fn generate_success(&self, i: usize, ctx: &Ctx<'_>, media: &MediaType) -> Value {
        let mut value = self.generate(i, ctx.params, media);
        self.decorate(i, ctx, &mut value);
        if ctx
            .params
            .iter()
            .any(|(_, v)| !v.bytes().all(is_unreserved))
        {
            self.repair_formats(media, &mut value);
        }
        let rules = &self.ops[i].rules;
        if self.config.stateless {
            if let Some(t) = &rules.transition {
                apply(&mut value, &t.set, &t.echo, ctx, &Value::Null);
                if let Some(f) = &t.fallback {
                    let built = build(&f.build, ctx, &Value::Null);
                    util::assign(&mut value, &f.into, built);
                }
            }
            if rules.create.is_some() {
                let n = util::mix(self.config.seed, ctx.body.to_string());
                fresh_id(&mut value, n);
            }
        } else if let Some(l) = &rules.list {
            let key = l.collection.render(ctx.params);
            let store = lock(&self.store);
            let items = store.list(&key);
            if !items.is_empty()
                && let Some(Value::Array(a)) = util::field_mut(&mut value, &l.into)
            {
                a.extend(items.iter().map(|it| it.body.clone()));
            }
        }
        value
    }

    /// The path id as the body's `id`, typed as its parameter is
    /// (`/pet/1` gives `1` where the parameter is an integer).
    fn id_pin(&self, i: usize, params: &[(String, String)]) -> Option<Value> {
        let name = self.ops[i].id_param.as_ref()?;
        let (_, raw) = params.iter().find(|(k, _)| k == name)?;
        let op = &self.spec.operations()[i];
        let ty = op
            .parameters
            .iter()
            .zip(&self.ops[i].params)
            .find(|(p, _)| p.name == *name && p.location == ParameterLocation::Path)
            .map_or("string", |(_, (_, ty))| *ty);
        Some(coerce(raw, ty))
    }

    /// Whether the response's `id` property may hold `id` by its `type`
    /// (`/user/{username}` must not turn an integer `id` into a name).
    fn id_fits(&self, media: &MediaType, id: &Value) -> bool {
        let doc = self.spec.document();
        let Some(schema) = media.schema.as_deref().and_then(|p| doc.pointer(p)) else {
            return true;
        };
        let schema = context::deref(doc, schema);
        let Some(prop) = schema.pointer("/properties/id") else {
            return true;
        };
        let prop = context::deref(doc, prop);
        let wanted = match id {
            Value::String(_) => "string",
            Value::Number(n) if n.is_f64() => "number",
            Value::Number(_) => "integer",
            _ => return true,
        };
        match prop.get("type") {
            Some(Value::String(t)) => t == wanted || (t == "number" && wanted == "integer"),
            Some(Value::Array(ts)) => ts
                .iter()
                .any(|t| t == wanted || (t == "number" && wanted == "integer")),
            _ => true,
        }
    }

    /// Pins the path id and applies `x-decoy-set` and `x-decoy-echo`.
    fn decorate(&self, i: usize, ctx: &Ctx<'_>, value: &mut Value) {
        let info = &self.ops[i];
        if let Some(id) = self.id_pin(i, ctx.params)
            && let Some(slot) = value.get_mut("id")
            && (slot.is_string() && id.is_string() || slot.is_number() && id.is_number())
        {
            *slot = id;
        }
        apply(value, &info.rules.set, &info.rules.echo, ctx, &Value::Null);
    }

    /// An odd path id (`a/b`, `日本`, `%`) copied into a `uri` or
    /// `uri-reference` field breaks its format; percent-encode such fields.
    fn repair_formats(&self, media: &MediaType, value: &mut Value) {
        let Some(validator) = media
            .schema
            .as_deref()
            .and_then(|s| self.validators.compile(s).ok())
        else {
            return;
        };
        for v in validator.validate(value) {
            if v.keyword != "format" {
                continue;
            }
            if let Some(Value::String(s)) = value.pointer_mut(&v.instance_pointer) {
                *s = percent_encoding::utf8_percent_encode(s, URI_UNSAFE).to_string();
            }
        }
    }

    /// Creation and transitions. `Ok(None)`: the operation keeps no state.
    fn stateful(&self, i: usize, ctx: &Ctx<'_>, media: &MediaType) -> Result<Option<Value>, Reply> {
        if self.config.stateless {
            return Ok(None);
        }
        let rules = &self.ops[i].rules;
        if let Some(c) = &rules.create {
            let key = c.collection.render(ctx.params);
            let n = lock(&self.store).next_number(&key);
            let op = &self.spec.operations()[i];
            let seeds = self.seeds(op, ctx.params);
            let seeds = Seeds {
                resource: seeds.resource,
                request: util::mix(seeds.request, n.to_string()),
            };
            let mut value = self.bodies.generate(media, seeds, &[]);
            self.agree(i, ctx.params, media, &mut value, 0);
            self.decorate(i, ctx, &mut value);
            let id = fresh_id(&mut value, seeds.request);
            let mut stored = value.clone();
            if let Value::Object(m) = &mut stored {
                for f in &c.omit {
                    m.shift_remove(f);
                }
            }
            let queue = c
                .queue
                .as_deref()
                .and_then(|p| ctx.body.pointer(p))
                .and_then(Value::as_array)
                .map(|a| a.iter().skip(1).cloned().collect())
                .unwrap_or_default();
            let item = Item {
                id,
                body: stored,
                origin: ctx.body.clone(),
                queue,
            };
            lock(&self.store).insert(&key, item, self.config.max_resources);
            return Ok(Some(value));
        }
        let Some(t) = &rules.transition else {
            return Ok(None);
        };
        let key = t.collection.render(ctx.params);
        let id = ctx
            .params
            .iter()
            .find(|(k, _)| *k == t.item)
            .map_or("", |(_, v)| v.as_str());
        let name = &self.ops[i].name;
        let mut store = lock(&self.store);
        let Some(item) = store.get_mut(&key, id) else {
            drop(store);
            let message = format!("{key}/{} does not exist", util::truncate(id, 200));
            return Err(self.error(Some(i), 404, &message, &[], false));
        };
        for (field, allowed) in &t.when {
            let have = if field.starts_with('/') {
                item.body.pointer(field)
            } else {
                item.body.get(field)
            };
            let have = have.cloned().unwrap_or(Value::Null);
            if !allowed.contains(&have) {
                let allowed: Vec<String> = allowed.iter().map(Value::to_string).collect();
                let message = format!(
                    "{} has {field} {have}; {name} needs {field} to be one of {}",
                    util::truncate(id, 200),
                    allowed.join(", ")
                );
                drop(store);
                return Err(self.error(Some(i), 409, &message, &[], false));
            }
        }
        let origin = item.origin.clone();
        apply(&mut item.body, &t.set, &t.echo, ctx, &origin);
        let mut response = item.body.clone();
        let mut dialled = false;
        if let Some(next) = &t.next {
            util::assign(&mut response, &next.into, Value::Null);
            let wanted = next
                .when
                .as_deref()
                .is_none_or(|p| ctx.body.pointer(p) == Some(&Value::Bool(true)));
            if wanted && !item.queue.is_empty() {
                let dest = item.queue.remove(0);
                let queue = std::mem::take(&mut item.queue);
                let current = item.body.clone();
                let n = store.next_number(&key);
                let mut attempt = current.clone();
                let new_id = fresh_id(
                    &mut attempt,
                    util::mix(self.config.seed, format!("{key}#{n}")),
                );
                let dest_ctx = Ctx {
                    body: &dest,
                    params: ctx.params,
                    parts: ctx.parts,
                    context: ctx.context,
                };
                apply(&mut attempt, &next.set, &next.echo, &dest_ctx, &origin);
                if let Some(a) = &next.attempts {
                    util::assign(
                        &mut response,
                        a,
                        Value::Array(vec![current, attempt.clone()]),
                    );
                }
                util::assign(&mut response, &next.into, attempt.clone());
                store.insert(
                    &key,
                    Item {
                        id: new_id,
                        body: attempt,
                        origin: origin.clone(),
                        queue,
                    },
                    self.config.max_resources,
                );
                dialled = true;
            }
        }
        drop(store);
        if let Some(f) = &t.fallback {
            let value = if dialled {
                Value::Null
            } else {
                build(&f.build, ctx, &origin)
            };
            util::assign(&mut response, &f.into, value);
        }
        apply(
            &mut response,
            &self.ops[i].rules.set,
            &self.ops[i].rules.echo,
            ctx,
            &origin,
        );
        Ok(Some(response))
    }

    /// A documented 5xx or 429, chosen by the draw.
    fn fault(&self, i: usize, draw: u64) -> Reply {
        let op = &self.spec.operations()[i];
        let faults: Vec<&decoy_spec::Response> = op
            .responses
            .iter()
            .filter(|r| matches!(r.status, StatusKey::Code(c) if c >= 500 || c == 429))
            .collect();
        let Some(response) = faults.get((draw % faults.len().max(1) as u64) as usize) else {
            return self.error(Some(i), 500, "injected fault", &[], false);
        };
        let status = status_of(response.status, None);
        match pick_media(&response.content) {
            Some(media) => {
                let value = self.bodies.first_example(media).unwrap_or_else(|| {
                    let seeds = Seeds {
                        resource: draw,
                        request: draw,
                    };
                    self.bodies.generate(media, seeds, &[])
                });
                self.finish(status, response, media, &value)
            }
            None => {
                let mut r = Reply::empty(status);
                self.documented_headers(response, &mut r);
                r
            }
        }
    }

    /// An error answer in the document's shape for `status`: the operation's
    /// documented response, else any operation's, else the document's first
    /// 4xx shape. With `as_documented`, the document's example is sent as is;
    /// otherwise its message field says what happened and, where the schema
    /// allows, `details` lists every problem. The body is checked against
    /// the schema and falls back to the plain example if a change broke it.
    fn error(
        &self,
        op: Option<usize>,
        status: u16,
        message: &str,
        problems: &[Problem],
        as_documented: bool,
    ) -> Reply {
        let ops = self.spec.operations();
        let own = op
            .and_then(|i| ops[i].response(status))
            .filter(|r| r.status.covers(status) && !r.content.is_empty());
        let found = own
            .map(|r| (r, true))
            .or_else(|| {
                ops.iter()
                    .flat_map(|o| &o.responses)
                    .find(|r| r.status == StatusKey::Code(status) && !r.content.is_empty())
                    .map(|r| (r, true))
            })
            .or_else(|| {
                ops.iter()
                    .flat_map(|o| &o.responses)
                    .find(|r| {
                        matches!(r.status, StatusKey::Code(400..=499))
                            && r.content.iter().any(MediaType::is_json)
                    })
                    .map(|r| (r, false))
            });
        let fallback = || {
            let mut body = json!({"error": message, "code": code_for(status)});
            if !problems.is_empty() {
                body["details"] = details(problems);
            }
            Reply::json(status, "application/json", &body)
        };
        let Some((response, same_status)) = found else {
            return fallback();
        };
        let Some(media) = response.content.iter().find(|m| m.is_json()) else {
            return fallback();
        };
        let example = self.bodies.first_example(media).filter(|_| same_status);
        let base = example.clone().unwrap_or_else(|| {
            media
                .schema
                .as_deref()
                .map_or(Value::Null, |s| self.bodies.schema(s, u64::from(status)))
        });
        let validator = media
            .schema
            .as_deref()
            .and_then(|s| self.validators.compile(s).ok());
        let valid = |v: &Value| validator.as_ref().is_none_or(|val| val.is_valid(v));
        let mut body = base.clone();
        if !as_documented || example.is_none() {
            let props = media
                .schema
                .as_deref()
                .map(|s| self.properties(s))
                .unwrap_or_default();
            let message_field = [
                "error",
                "message",
                "detail",
                "title",
                "description",
                "error_description",
            ]
            .into_iter()
            .find(|f| props.get(*f).is_some_and(is_plain_string));
            if let (Some(f), Value::Object(m)) = (message_field, &mut body) {
                m.insert(f.to_owned(), Value::String(message.to_owned()));
            }
            if example.is_none()
                && props.get("code").is_some_and(is_plain_string)
                && let Value::Object(m) = &mut body
            {
                m.insert(
                    "code".to_owned(),
                    Value::String(code_for(status).to_owned()),
                );
            }
            if !valid(&body) {
                body = base.clone();
            }
            if !problems.is_empty() && body.is_object() {
                let before = body.clone();
                body["details"] = details(problems);
                if !valid(&body) {
                    body = before;
                }
            }
        }
        let mut r = Reply::json(status, content_type(media), &body);
        self.documented_headers(response, &mut r);
        r
    }

    /// The properties of an object schema, through `$ref` and `allOf`.
    fn properties(&self, pointer: &str) -> Map<String, Value> {
        let mut out = Map::new();
        let mut stack = vec![pointer.to_owned()];
        let mut seen = 0;
        while let Some(p) = stack.pop() {
            seen += 1;
            if seen > 64 {
                break;
            }
            let Ok((s, at)) = self.spec.resolve(&p) else {
                continue;
            };
            if let Some(Value::Object(props)) = s.get("properties") {
                for (k, v) in props {
                    let v = match v
                        .get("$ref")
                        .and_then(Value::as_str)
                        .and_then(decoy_spec::pointer::from_ref)
                    {
                        Some(r) => self.spec.get(&r).cloned().unwrap_or(Value::Null),
                        None => v.clone(),
                    };
                    out.entry(k.clone()).or_insert(v);
                }
            }
            if let Some(Value::Array(all)) = s.get("allOf") {
                for k in 0..all.len() {
                    stack.push(format!("{at}/allOf/{k}"));
                }
            }
        }
        out
    }
}

/// What one path segment cannot hold raw (everything but unreserved).
const SEGMENT_UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What a URI reference cannot hold raw (everything but unreserved
/// characters and `/`, `:`, `@`, `?`, `=`, `&`).
const URI_UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/')
    .remove(b':')
    .remove(b'@')
    .remove(b'?')
    .remove(b'=')
    .remove(b'&');

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn details(problems: &[Problem]) -> Value {
    Value::Array(
        problems
            .iter()
            .map(|p| json!({"in": p.location, "pointer": p.pointer, "message": p.message}))
            .collect(),
    )
}

fn is_plain_string(schema: &Value) -> bool {
    let string = match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    string
        && schema.get("enum").is_none()
        && schema.get("const").is_none()
        && schema.get("pattern").is_none()
}

/// A conventional machine-readable code for a status.
fn code_for(status: u16) -> &'static str {
    match status {
        400 => "VALIDATION_ERROR",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        408 => "REQUEST_TIMEOUT",
        409 => "CONFLICT",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        429 => "RATE_LIMITED",
        500..=599 => "INTERNAL_ERROR",
        _ => "ERROR",
    }
}

/// Applies literal sets, then echoes.
fn apply(value: &mut Value, set: &[(String, Value)], echo: &Echo, ctx: &Ctx<'_>, origin: &Value) {
    if !value.is_object() {
        return;
    }
    for (field, v) in set {
        util::assign(value, field, v.clone());
    }
    for (field, sources) in echo {
        if let Some(v) = resolve(sources, ctx, origin) {
            util::assign(value, field, v);
        }
    }
}

/// An object built field by field from sources (fields with no value left out).
fn build(spec: &Echo, ctx: &Ctx<'_>, origin: &Value) -> Value {
    let mut out = Value::Object(Map::new());
    for (field, sources) in spec {
        if let Some(v) = resolve(sources, ctx, origin) {
            util::assign(&mut out, field, v);
        }
    }
    out
}

/// The first source with a value (a `null` from the request counts as none).
fn resolve(sources: &[Source], ctx: &Ctx<'_>, origin: &Value) -> Option<Value> {
    sources.iter().find_map(|s| {
        let v = match s {
            Source::Body(p) => ctx.body.pointer(p).cloned(),
            Source::Origin(p) => origin.pointer(p).cloned(),
            Source::Path(n) => ctx
                .params
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| Value::String(v.clone())),
            Source::Query(n) => query_pairs(ctx.parts.uri.query())
                .find(|(k, _)| k == n)
                .map(|(_, v)| Value::String(v)),
            Source::Header(n) => ctx
                .parts
                .headers
                .get(n.as_str())
                .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned())),
            Source::Now => Some(Value::String(util::now_rfc3339())),
            Source::Template(t) => render(t, ctx),
            Source::Literal(v) => return Some(v.clone()),
        };
        v.filter(|v| !v.is_null())
    })
}

/// Fills a `template:` source; `None` when a placeholder has no value.
fn render(template: &str, ctx: &Ctx<'_>) -> Option<Value> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}')?;
        let name = &rest[open + 1..close];
        let text = match name.strip_prefix("shared:") {
            Some(key) => match ctx.context?.get(key)? {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            },
            None => ctx.params.iter().find(|(k, _)| k == name)?.1.clone(),
        };
        out.extend(percent_encoding::utf8_percent_encode(&text, SEGMENT_UNSAFE));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(Value::String(out))
}

/// The parent of operation `k`: named by `x-decoy-parent`, else the `GET`
/// whose path is the longest proper prefix of `k`'s, at a segment boundary.
fn parent_of(spec: &Spec, k: usize, rules: &Rules) -> Result<Option<usize>, MockError> {
    let ops = spec.operations();
    match &rules.parent {
        Some(None) => Ok(None),
        Some(Some(id)) => match ops.iter().position(|o| o.id.as_deref() == Some(id)) {
            Some(p) if p != k => Ok(Some(p)),
            _ => Err(MockError::Extension {
                pointer: format!("{}/x-decoy-parent", ops[k].pointer),
                message: format!("no other operation has operationId `{id}`"),
            }),
        },
        None => {
            let path = &ops[k].path;
            Ok(ops
                .iter()
                .enumerate()
                .filter(|(_, o)| o.method == "GET" && o.path.len() < path.len())
                .filter(|(_, o)| {
                    path.starts_with(o.path.as_str())
                        && path.as_bytes().get(o.path.len()) == Some(&b'/')
                })
                .max_by_key(|(_, o)| o.path.len())
                .map(|(p, _)| p))
        }
    }
}

/// Every property schema marked `x-decoy-shared`, as (key, pointer).
fn shared_properties(v: &Value, at: &mut String, depth: usize, out: &mut Vec<(String, String)>) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(m) => {
            if let Some(Value::String(key)) = m.get("x-decoy-shared")
                && at.contains("/properties/")
            {
                out.push((key.clone(), at.clone()));
            }
            for (name, child) in m {
                let len = at.len();
                at.push('/');
                at.push_str(&name.replace('~', "~0").replace('/', "~1"));
                shared_properties(child, at, depth + 1, out);
                at.truncate(len);
            }
        }
        Value::Array(a) => {
            for (n, child) in a.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&n.to_string());
                shared_properties(child, at, depth + 1, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Gives a created resource an id of its own, keeping the generated id's
/// prefix (`tr_`), so resources made from one example do not collide.
fn fresh_id(value: &mut Value, seed: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let old = value.get("id").and_then(Value::as_str).unwrap_or("");
    let prefix = old.rfind('_').map_or("", |k| &old[..=k]).to_owned();
    let mut h = seed;
    let mut id = prefix;
    for _ in 0..16 {
        h = util::splitmix(h);
        id.push(ALPHABET[(h % 62) as usize] as char);
    }
    if let Some(slot) = value.get_mut("id")
        && slot.is_string()
    {
        *slot = Value::String(id.clone());
    }
    id
}

/// The lowest documented 2xx: exact codes first, then `2XX`, then `default`.
fn lowest_success(op: &Operation) -> Option<usize> {
    let mut best: Option<(u16, usize)> = None;
    for (k, r) in op.responses.iter().enumerate() {
        let rank = match r.status {
            StatusKey::Code(c) if (200..300).contains(&c) => c,
            StatusKey::Range(2) => 300,
            StatusKey::Default => 301,
            _ => continue,
        };
        if best.is_none_or(|(b, _)| rank < b) {
            best = Some((rank, k));
        }
    }
    best.map(|(_, k)| k)
}

fn status_of(key: StatusKey, asked: Option<u16>) -> u16 {
    match (key, asked) {
        (StatusKey::Code(c), _) => c,
        (_, Some(c)) => c,
        (StatusKey::Range(d), None) => u16::from(d) * 100,
        (StatusKey::Default, None) => 200,
    }
}

/// The first JSON media type, else the first.
fn pick_media(content: &[MediaType]) -> Option<&MediaType> {
    content
        .iter()
        .find(|m| m.is_json())
        .or_else(|| content.first())
}

fn content_type(media: &MediaType) -> &str {
    if media.name.contains('*') {
        "application/json"
    } else {
        &media.name
    }
}

fn media_matches(documented: &str, sent: &str) -> bool {
    let doc = documented
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    doc == sent
        || doc == "*/*"
        || doc
            .strip_suffix("/*")
            .is_some_and(|t| sent.split('/').next() == Some(t))
}

/// The template with its parameters filled in: the resource's identity.
fn resource_path(template: &str, params: &[(String, String)]) -> String {
    Template(template.to_owned()).render(params)
}

fn query_pairs(query: Option<&str>) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
}

fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts.headers.get_all(header::COOKIE).iter().find_map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .split(';')
            .find_map(|c| {
                let (k, v) = c.trim().split_once('=')?;
                (k == name).then(|| v.to_owned())
            })
    })
}

/// The JSON type a parameter's text should be read as.
fn primary_type(spec: &Spec, pointer: &str) -> &'static str {
    let Ok((schema, _)) = spec.resolve(pointer) else {
        return "string";
    };
    let names: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    ["integer", "number", "boolean", "array", "object"]
        .into_iter()
        .find(|t| names.contains(t))
        .unwrap_or("string")
}

/// Reads parameter text as the schema's type; text that does not parse stays
/// a string, so the validator reports the type mismatch.
fn coerce(raw: &str, ty: &str) -> Value {
    match ty {
        "integer" | "number" => serde_json::from_str::<serde_json::Number>(raw.trim())
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(raw.to_owned())),
        "boolean" => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(raw.to_owned()),
        },
        "array" => Value::Array(
            raw.split(',')
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        "object" => serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned())),
        _ => Value::String(raw.to_owned()),
    }
}
