//! One exchange, start to end: read the request (whole up to the
//! validation limit), check it, reject it (`--strict`) or forward it,
//! read the response the same way, check it, record it, answer the client.
//! Upstream failures become 502 or 504 with a JSON body that says which.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use decoy_conform::{Check, Observed, check_response};
use decoy_mock::replay::{Prefixed, Recorded, concat, read_prefix};
use decoy_spec::{OpId, RouteMatch, Spec};
use decoy_validate::Validators;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Request, Response};
use serde_json::{Value, json};

use crate::Config;
use crate::body::{self, End, ProxyBody, Watched};
use crate::curl::curl;
use crate::record::{Recorder, Taken};
use crate::report::Finding;
use crate::request::{self, Problem, Rule, View};
use crate::session::{Seen, Session};
use crate::upstream::{Client, Failure, Upstream};

/// Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authorization",
];

pub(crate) struct Forwarder {
    pub(crate) spec: Spec,
    pub(crate) validators: Validators,
    pub(crate) client: Client,
    pub(crate) upstream: Upstream,
    /// The in-process mock that answers invalid requests (`--strict`).
    pub(crate) rejector: Option<Upstream>,
    pub(crate) config: Config,
    pub(crate) session: Arc<Session>,
    pub(crate) recorder: Option<Arc<Recorder>>,
}

/// What the route lookup found.
enum Route {
    /// A CORS preflight: passed through, not checked.
    Preflight,
    Found(OpId, Vec<(String, String)>),
    Missing(String),
}

/// The request, as read.
struct Inbound {
    parts: Parts,
    /// The whole body, when it fit the limit.
    whole: Option<Bytes>,
    /// What to forward.
    forward: Option<ProxyBody>,
}

impl Forwarder {
    pub(crate) async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<ProxyBody> {
        let started = Instant::now();
        let (parts, body) = req.into_parts();
        let method = parts.method.as_str().to_owned();
        let target = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let route = self.route(&parts);
        let mut notes = Vec::new();
        let cap = self.config.max_body_bytes;
        let read = tokio::time::timeout(self.config.body_timeout, read_prefix(body, cap)).await;
        let incoming = match read {
            Ok(Ok(chunks)) => {
                let whole = concat(&chunks);
                Inbound {
                    parts,
                    forward: Some(body::full(whole.clone())),
                    whole: Some(whole),
                }
            }
            Ok(Err((chunks, Some(rest)))) => {
                notes.push(format!(
                    "request body over {cap} bytes: forwarded unvalidated"
                ));
                Inbound {
                    parts,
                    whole: None,
                    forward: Some(body::boxed(Prefixed::new(chunks, Some(rest)))),
                }
            }
            Ok(Err((_, None))) => {
                return plain(400, "bad-request", "the request body could not be read");
            }
            Err(_) => {
                return plain(
                    408,
                    "request-timeout",
                    "the request body took too long to arrive",
                );
            }
        };
        let problems = self.check_request(&route, &incoming);
        let url = self.upstream.url(&target);
        let operation = match &route {
            Route::Found(i, _) => Some(*i),
            _ => None,
        };
        let label = operation.map_or_else(
            || format!("{method} {}", path_of(&target)),
            |i| self.spec.operations()[i].name(),
        );
        let reproduce = curl(
            &method,
            &url,
            &incoming.parts.headers,
            incoming.whole.as_ref(),
        );
        let findings = problems
            .iter()
            .map(|p| request_finding(p, &label, &reproduce, incoming.whole.as_ref()))
            .collect();
        let mut seen = Seen {
            operation: operation.map(OpId::index),
            method,
            target,
            status: 0,
            elapsed: started.elapsed(),
            rejected: false,
            findings,
            notes,
        };
        let story = Story {
            started,
            label,
            reproduce,
            url,
        };

        if self.config.strict && !problems.is_empty() {
            let response = self.reject(incoming, &problems).await;
            for (_, f) in &mut seen.findings {
                f.status = Some(response.status().as_u16());
            }
            seen.rejected = true;
            self.tell(seen, &story, response.status().as_u16());
            return response;
        }

        let request_headers = incoming.parts.headers.clone();
        let recorded_request = match &incoming.whole {
            Some(b) => Recorded::Bytes(b.clone()),
            None => Recorded::Omitted(0),
        };
        let response = match self.send(incoming, &story.url).await {
            Ok(r) => r,
            Err(failure) => return self.fail(seen, &story, failure),
        };
        let (head, body) = response.into_parts();
        let status = head.status.as_u16();
        let streaming = head
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let read = match self
            .read_response(&head.headers, body, streaming, started)
            .await
        {
            Ok(read) => read,
            Err(failure) => return self.fail(seen, &story, failure),
        };
        let out_headers = forwardable(&head.headers);
        let mut skip = self.config.skip.clone();
        let (client_body, whole) = match read {
            Ok(whole) => (body::full(whole.clone()), Some(whole)),
            Err((chunks, rest)) => {
                seen.notes.push(if streaming {
                    "event stream: passed through, body not validated".to_owned()
                } else {
                    format!(
                        "response body over {} bytes: passed through unvalidated",
                        self.config.max_body_bytes
                    )
                });
                skip.push(Check::ResponseSchema);
                let pending = Pending {
                    operation: operation.map(|i| self.spec.operations()[i].name()),
                    method: seen.method.clone(),
                    target: seen.target.clone(),
                    request_headers: request_headers.clone(),
                    request_body: recorded_request.clone(),
                    response_headers: out_headers.clone(),
                };
                let stream = Prefixed::new(chunks, Some(rest));
                (self.watch(stream, &story, status, pending), None)
            }
        };
        let encoded = head
            .headers
            .get(header::CONTENT_ENCODING)
            .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
        if encoded && whole.is_some() {
            seen.notes
                .push("content-encoded response body: not validated".to_owned());
            skip.push(Check::ResponseSchema);
        }
        // HEAD answers carry no body; a 304 answers a conditional request
        // from a cache, below what the document describes.
        if seen.method == "HEAD" {
            skip.push(Check::ResponseSchema);
        }
        let revalidated = status == 304
            && [header::IF_NONE_MATCH, header::IF_MODIFIED_SINCE]
                .iter()
                .any(|h| request_headers.contains_key(h));
        if let Some(i) = operation.filter(|_| !revalidated) {
            let observed = Observed::new(
                status,
                header_pairs(&head.headers),
                whole.clone().unwrap_or_default(),
            );
            let op = &self.spec.operations()[i];
            // An undocumented 415 or 413 is the right answer to a body in
            // the wrong media type or over a limit, as `decoy test` holds.
            let excused = (status == 415 && problems.iter().any(|p| p.status == 415))
                || (status == 413 && problems.iter().any(|p| p.rule == Rule::Body));
            for o in check_response(&self.validators, op, &skip, &observed) {
                if excused && o.check == Check::StatusDocumented {
                    continue;
                }
                let finding = Finding {
                    check: o.check.name().to_owned(),
                    operation: story.label.clone(),
                    message: o.message,
                    status: Some(status),
                    violations: o.violations,
                    body: o.body,
                    occurrences: 1,
                    curl: story.reproduce.clone(),
                };
                seen.findings.push((o.signature, finding));
            }
        }
        if status < 400 {
            let skip = &self.config.skip;
            seen.findings
                .extend(accepted(&problems, &story, status, skip));
        }
        if let (Some(recorder), Some(whole)) = (&self.recorder, &whole) {
            let _ = recorder.write(Taken {
                operation: operation.map(|i| self.spec.operations()[i].name()),
                method: &seen.method,
                path: path_of(&seen.target),
                query: query_of(&seen.target),
                request_headers: &request_headers,
                request_body: recorded_request,
                status,
                response_headers: &out_headers,
                response_body: Recorded::Bytes(whole.clone()),
            });
        }
        self.tell(seen, &story, status);
        let mut response = Response::new(client_body);
        *response.status_mut() = head.status;
        *response.headers_mut() = out_headers;
        via(response.headers_mut());
        response
    }

    /// Tells the session how the exchange ended.
    fn tell(&self, mut seen: Seen, story: &Story, status: u16) {
        seen.status = status;
        seen.elapsed = story.started.elapsed();
        self.session.observe(seen);
    }

    /// Answers an upstream failure with 502 or 504, and reports it.
    fn fail(&self, mut seen: Seen, story: &Story, failure: Failure) -> Response<ProxyBody> {
        seen.findings
            .push(transport(story, &failure, failure.status()));
        self.tell(seen, story, failure.status());
        failure_response(&failure, &story.url)
    }

    /// Reads the response body whole (`Ok(Ok)`) within what is left of the
    /// upstream timeout, or hands back what it read and the rest to stream
    /// (`Ok(Err)`): event streams and bodies over the limit.
    async fn read_response(
        &self,
        headers: &HeaderMap,
        body: Incoming,
        streaming: bool,
        started: Instant,
    ) -> Result<Result<Bytes, (Vec<Bytes>, Incoming)>, Failure> {
        let cap = self.config.max_body_bytes;
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if streaming || declared.is_some_and(|n| n > cap as u64) {
            return Ok(Err((Vec::new(), body)));
        }
        let deadline = started + self.config.upstream_timeout;
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, read_prefix(body, cap)).await {
            Ok(Ok(chunks)) => Ok(Ok(concat(&chunks))),
            Ok(Err((chunks, Some(rest)))) => Ok(Err((chunks, rest))),
            Ok(Err((chunks, None))) => {
                Err(Failure::BrokenBody(chunks.iter().map(Bytes::len).sum()))
            }
            Err(_) => Err(Failure::SlowBody(self.config.upstream_timeout)),
        }
    }

    fn route(&self, parts: &Parts) -> Route {
        if parts.method == hyper::Method::OPTIONS
            && parts
                .headers
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return Route::Preflight;
        }
        let method = parts.method.as_str();
        match self.spec.router().find(method, parts.uri.path()) {
            RouteMatch::Found { operation, params } => Route::Found(operation, params),
            RouteMatch::MethodNotAllowed { allowed } => Route::Missing(format!(
                "{method} is not allowed on this path; the document allows {}",
                allowed.join(", ")
            )),
            _ => Route::Missing(format!(
                "no operation of the document matches {method} {}",
                parts.uri.path()
            )),
        }
    }

    fn check_request(&self, route: &Route, incoming: &Inbound) -> Vec<Problem> {
        match route {
            Route::Preflight => Vec::new(),
            Route::Missing(message) => vec![Problem::new(Rule::Route, message.clone())],
            Route::Found(i, params) => {
                let view = View {
                    query: incoming.parts.uri.query(),
                    headers: &incoming.parts.headers,
                    body: incoming.whole.as_ref(),
                };
                let op = &self.spec.operations()[*i];
                request::check(&self.spec, &self.validators, op, params, &view)
            }
        }
    }

    /// Sends the request to `url`, waiting at most the upstream timeout for
    /// the response head.
    async fn send(&self, incoming: Inbound, url: &str) -> Result<Response<Incoming>, Failure> {
        let Inbound { parts, forward, .. } = incoming;
        let mut builder = Request::builder().method(parts.method.clone()).uri(url);
        if let Some(headers) = builder.headers_mut() {
            *headers = forwardable(&parts.headers);
            headers.remove(header::HOST);
            // The proxy validates what it reads: ask for bodies it can read.
            headers.remove(header::ACCEPT_ENCODING);
            via(headers);
        }
        let request = match builder.body(forward.unwrap_or_else(|| body::full(Bytes::new()))) {
            Ok(r) => r,
            Err(e) => return Err(Failure::Connect(format!("cannot build the request: {e}"))),
        };
        let timeout = self.config.upstream_timeout;
        match tokio::time::timeout(timeout, self.client.request(request)).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(Failure::from_client(&e, self.config.connect_timeout)),
            Err(_) => Err(Failure::NoHead(timeout)),
        }
    }

    /// `--strict`: the answer `decoy mock` gives this request (the
    /// document's own error), or a plain 400 if the mock would take it.
    async fn reject(&self, incoming: Inbound, problems: &[Problem]) -> Response<ProxyBody> {
        let message = problems
            .iter()
            .map(|p| p.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let Some(mock) = &self.rejector else {
            return plain(400, "invalid-request", &message);
        };
        let target = incoming
            .parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let url = mock.url(&target);
        let Ok(answer) = self.send(incoming, &url).await else {
            return plain(400, "invalid-request", &message);
        };
        if answer.status().as_u16() < 400 {
            return plain(400, "invalid-request", &message);
        }
        let (head, body) = answer.into_parts();
        let mut response = Response::new(body::boxed(body));
        *response.status_mut() = head.status;
        *response.headers_mut() = forwardable(&head.headers);
        via(response.headers_mut());
        response
    }

    /// A body too large to validate, streamed with the stream deadline; when
    /// it ends it is recorded (size only) and a cut is reported.
    fn watch(
        &self,
        stream: Prefixed<Incoming>,
        story: &Story,
        status: u16,
        pending: Pending,
    ) -> ProxyBody {
        let session = self.session.clone();
        let recorder = self.recorder.clone();
        let label = story.label.clone();
        let reproduce = story.reproduce.clone();
        let limit = self.config.stream_timeout;
        let on_end = move |end: End| {
            let failure = match end {
                End::Cut(n) => Some(format!(
                    "the upstream was still streaming its body after {limit:?} ({n} bytes): cut off"
                )),
                End::Broken(n) => Some(format!("the upstream broke off its body after {n} bytes")),
                End::Complete(_) | End::Abandoned(_) => None,
            };
            if let Some(message) = failure {
                let finding = Finding {
                    check: Check::Transport.name().to_owned(),
                    operation: label.clone(),
                    message,
                    status: Some(status),
                    violations: Vec::new(),
                    body: None,
                    occurrences: 1,
                    curl: reproduce,
                };
                session.late(format!("transport|{label}|stream"), finding);
            }
            if let (Some(recorder), End::Complete(n)) = (recorder, end) {
                let _ = recorder.write(Taken {
                    operation: pending.operation,
                    method: &pending.method,
                    path: path_of(&pending.target),
                    query: query_of(&pending.target),
                    request_headers: &pending.request_headers,
                    request_body: pending.request_body,
                    status,
                    response_headers: &pending.response_headers,
                    response_body: Recorded::Omitted(n),
                });
            }
        };
        body::boxed(Watched::new(body::boxed(stream), limit, Box::new(on_end)))
    }
}

/// What every report line of one exchange repeats.
struct Story {
    started: Instant,
    /// The operation's name, or `METHOD /path`.
    label: String,
    /// The curl line of the request.
    reproduce: String,
    /// Where it went.
    url: String,
}

/// What a streamed exchange records once its body has ended.
struct Pending {
    operation: Option<String>,
    method: String,
    target: String,
    request_headers: HeaderMap,
    request_body: Recorded,
    response_headers: HeaderMap,
}

fn path_of(target: &str) -> &str {
    target.split_once('?').map_or(target, |(p, _)| p)
}

fn query_of(target: &str) -> Option<&str> {
    target.split_once('?').map(|(_, q)| q)
}

/// Headers without the hop-by-hop ones (and those `Connection` names).
fn forwardable(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n) || named.iter().any(|h| h == n) {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

/// Header names and values as text.
fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    let text = |v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned();
    headers
        .iter()
        .map(|(n, v)| (n.to_string(), text(v)))
        .collect()
}

/// Adds this proxy to `Via`, as RFC 9110 asks of proxies.
fn via(headers: &mut HeaderMap) {
    headers.append(header::VIA, HeaderValue::from_static("1.1 decoy"));
}

fn request_finding(
    p: &Problem,
    label: &str,
    reproduce: &str,
    body: Option<&Bytes>,
) -> (String, Finding) {
    let mut keys: Vec<&str> = p
        .violations
        .iter()
        .map(|v| v.schema_pointer.as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let detail = if keys.is_empty() {
        p.message.clone()
    } else {
        keys.join(",")
    };
    let offending = match p.rule {
        Rule::Body => body.and_then(|b| serde_json::from_slice::<Value>(b).ok()),
        _ => None,
    };
    let finding = Finding {
        check: p.rule.name().to_owned(),
        operation: label.to_owned(),
        message: p.message.clone(),
        status: None,
        violations: p.violations.clone(),
        body: offending,
        occurrences: 1,
        curl: reproduce.to_owned(),
    };
    (format!("{}|{label}|{detail}", p.rule.name()), finding)
}

/// An invalid request the upstream accepted: missing credentials
/// (`auth-required`) or invalid input (`negative-rejected`).
fn accepted(
    problems: &[Problem],
    story: &Story,
    status: u16,
    skip: &[Check],
) -> Vec<(String, Finding)> {
    let label = &story.label;
    let mut out = Vec::new();
    for p in problems {
        let (check, message) = match p.rule {
            Rule::Auth => (
                Check::AuthRequired,
                format!(
                    "a request without credentials got {status}; the operation requires authentication"
                ),
            ),
            Rule::Parameters | Rule::Body => (
                Check::NegativeRejected,
                format!(
                    "an invalid request was accepted with {status}: {}",
                    p.message
                ),
            ),
            Rule::Route => continue,
        };
        if skip.contains(&check) {
            continue;
        }
        let finding = Finding {
            check: check.name().to_owned(),
            operation: label.clone(),
            message,
            status: Some(status),
            violations: p.violations.clone(),
            body: None,
            occurrences: 1,
            curl: story.reproduce.clone(),
        };
        out.push((
            format!("{}|{label}|{}", check.name(), p.rule.name()),
            finding,
        ));
    }
    out
}

fn transport(story: &Story, failure: &Failure, status: u16) -> (String, Finding) {
    let label = &story.label;
    let finding = Finding {
        check: Check::Transport.name().to_owned(),
        operation: label.clone(),
        message: failure.to_string(),
        status: Some(status),
        violations: Vec::new(),
        body: None,
        occurrences: 1,
        curl: story.reproduce.clone(),
    };
    (format!("transport|{label}|{}", failure.kind()), finding)
}

/// A JSON answer of the proxy's own.
fn plain(status: u16, error: &str, message: &str) -> Response<ProxyBody> {
    answer(status, json!({"error": error, "message": message}))
}

fn failure_response(failure: &Failure, url: &str) -> Response<ProxyBody> {
    answer(
        failure.status(),
        json!({
            "error": failure.kind(),
            "message": failure.to_string(),
            "upstream": url,
            "proxy": "decoy",
        }),
    )
}

fn answer(status: u16, body: Value) -> Response<ProxyBody> {
    let mut r = Response::new(body::full(body.to_string()));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    via(r.headers_mut());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_stay_behind() {
        let mut h = HeaderMap::new();
        for (n, v) in [
            ("connection", "keep-alive, x-trace"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("x-trace", "1"),
            ("authorization", "Bearer t"),
            ("content-type", "application/json"),
        ] {
            h.append(n, HeaderValue::from_static(v));
        }
        let kept = forwardable(&h);
        let kept: Vec<&str> = kept.keys().map(|k| k.as_str()).collect();
        assert_eq!(kept, ["authorization", "content-type"]);
    }

    #[test]
    fn targets_split_into_path_and_query() {
        assert_eq!(path_of("/a/b?x=1&y"), "/a/b");
        assert_eq!(query_of("/a/b?x=1&y"), Some("x=1&y"));
        assert_eq!(query_of("/a"), None);
    }
}
