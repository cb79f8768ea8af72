//! A small in-process implementation of the Calls API
//! (`specs/calls.openapi.yaml`), correct by default, with one switchable bug
//! per class a contract tester must catch. `decoy test` runs against it in
//! `conform.rs`: the correct build must give zero findings, and each bug
//! must be found.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use decoy_spec::Spec;
use decoy_validate::Validators;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

/// Serves `handle` with `state` on a free loopback port until the task is
/// aborted; returns the address and the task.
pub(crate) async fn serve<S, F, Fut, E>(
    state: Arc<S>,
    handle: F,
) -> (SocketAddr, tokio::task::JoinHandle<()>)
where
    S: Send + Sync + 'static,
    F: Fn(Arc<S>, Request<Incoming>) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = Result<Response<Full<Bytes>>, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(state.clone(), req));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, task)
}

/// The bearer token the faulty server accepts.
pub(crate) const TOKEN: &str = "faulty-token";

/// One bug class each; the server has at most one switched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bug {
    /// `getCall` leaves out the required `language`.
    MissingRequired,
    /// `listCallEvents` sends `sip_status_code` as a string.
    WrongType,
    /// `getCall` sends a transcript entry with `source: "caller"`, outside its enum.
    OutsideEnum,
    /// `getCallReport` sends `summary: null`.
    NullNotAllowed,
    /// `blindTransfer` sends `created_at: "2025-03-14 17:21:40"`.
    MalformedDateTime,
    /// `getCallRecording` answers 202, which is not documented.
    UndocumentedStatus,
    /// `getCallReport` is labelled `text/plain`.
    WrongContentType,
    /// `getCallRecording` does not check credentials.
    AuthNotEnforced,
    /// `blindTransfer` does not validate its body.
    InvalidBodyAccepted,
    /// Call ids with characters outside `[A-Za-z0-9_-]` crash with 500.
    ServerErrorOnOddId,
    /// `getCall`'s `report.transcript.entries` break the `source` enum from
    /// the fourth entry on (only calls with more than three entries).
    DeepNestedViolation,
    /// `finalizeCallReport` sends `cost_micro_usd: "12.50"`.
    PatternViolation,
    /// Completing a cancelled warm transfer succeeds.
    StateMachine,
    /// Error bodies are `{"message", "status"}` instead of `{"error", "code"}`.
    WrongErrorShape,
    /// One `getCallReport` response in 15 has `analysis_status: "pending"`.
    Intermittent,
    /// A request body over 64 KiB drops the connection.
    CrashOnLargeBody,
    /// Blind transfers are missing from `getCall`'s `transfers`.
    MissingFromListing,
}

impl Bug {
    /// Every bug class.
    pub(crate) const ALL: [Bug; 17] = [
        Bug::MissingRequired,
        Bug::WrongType,
        Bug::OutsideEnum,
        Bug::NullNotAllowed,
        Bug::MalformedDateTime,
        Bug::UndocumentedStatus,
        Bug::WrongContentType,
        Bug::AuthNotEnforced,
        Bug::InvalidBodyAccepted,
        Bug::ServerErrorOnOddId,
        Bug::DeepNestedViolation,
        Bug::PatternViolation,
        Bug::StateMachine,
        Bug::WrongErrorShape,
        Bug::Intermittent,
        Bug::CrashOnLargeBody,
        Bug::MissingFromListing,
    ];
}

struct State {
    bug: Option<Bug>,
    spec: Spec,
    validators: Validators,
    transfers: Mutex<HashMap<String, Vec<Transfer>>>,
    next_id: Mutex<u64>,
    report_count: Mutex<u64>,
    requests: std::sync::atomic::AtomicU64,
}

#[derive(Clone)]
struct Transfer {
    value: Value,
    queue: Vec<Value>,
}

/// A running faulty server; stops when dropped.
pub(crate) struct Faulty {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Faulty {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Faulty {
    /// Starts on 127.0.0.1 port 0 with `bug` switched on (or none).
    pub(crate) async fn start(bug: Option<Bug>) -> Faulty {
        let spec = Spec::load(&calls_path()).expect("the Calls document loads");
        let state = Arc::new(State {
            bug,
            validators: Validators::new(&spec),
            spec,
            transfers: Mutex::new(HashMap::new()),
            next_id: Mutex::new(0),
            report_count: Mutex::new(0),
            requests: Default::default(),
        });
        let (addr, task) =
            serve(state, |state, req| async move { handle(&state, req).await }).await;
        Faulty { addr, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// The Calls document in the workspace.
pub(crate) fn calls_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|p| p.join("specs/calls.openapi.yaml").exists())
        .expect("workspace root")
        .join("specs/calls.openapi.yaml")
}

type Reply = Response<Full<Bytes>>;

fn reply(status: u16, content_type: &str, body: &Value) -> Reply {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("response")
}

fn error(state: &State, status: u16, code: &str, message: &str) -> Reply {
    let body = if state.bug == Some(Bug::WrongErrorShape) {
        json!({"message": message, "status": status})
    } else {
        json!({"error": message, "code": code})
    };
    let mut r = reply(status, "application/json", &body);
    if status == 429 {
        r.headers_mut()
            .insert("retry-after", "1".parse().expect("header"));
    }
    r
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// The service. `Err` drops the connection without an answer (the crash bug).
async fn handle(state: &State, req: Request<Incoming>) -> Result<Reply, std::io::Error> {
    // Benchmarks read how many requests each tool sent.
    if req.uri().path() == "/__faulty/requests" {
        let n = state.requests.load(std::sync::atomic::Ordering::Relaxed);
        return Ok(reply(200, "application/json", &json!({ "requests": n })));
    }
    state
        .requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}"));
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let body = match Limited::new(req.into_body(), 1024 * 1024).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(error(
                state,
                400,
                "VALIDATION_ERROR",
                "request body too large",
            ));
        }
    };
    if state.bug == Some(Bug::CrashOnLargeBody) && body.len() > 64 * 1024 {
        return Err(std::io::Error::other("crashed on a large body"));
    }
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode)
        .collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (op, call, transfer) = match (method.as_str(), seg.as_slice()) {
        ("GET", ["v1", "calls", id]) => ("getCall", *id, None),
        ("GET", ["v1", "calls", id, "events"]) => ("listCallEvents", *id, None),
        ("GET", ["v1", "calls", id, "report"]) => ("getCallReport", *id, None),
        ("POST", ["v1", "calls", id, "report", "finalize"]) => ("finalizeCallReport", *id, None),
        ("GET", ["v1", "calls", id, "recording"]) => ("getCallRecording", *id, None),
        ("POST", ["v1", "calls", id, "transfers", "blind"]) => ("blindTransfer", *id, None),
        ("POST", ["v1", "calls", id, "transfers", "warm"]) => ("warmTransfer", *id, None),
        ("POST", ["v1", "calls", id, "transfers", t, "complete"]) => {
            ("completeWarmTransfer", *id, Some(*t))
        }
        ("POST", ["v1", "calls", id, "transfers", t, "cancel"]) => {
            ("cancelWarmTransfer", *id, Some(*t))
        }
        _ => return Ok(error(state, 404, "NOT_FOUND", "no such route")),
    };
    let open = state.bug == Some(Bug::AuthNotEnforced) && op == "getCallRecording";
    if !authorized && !open {
        return Ok(error(state, 401, "UNAUTHORIZED", "Unauthorized"));
    }
    let ordinary = !call.is_empty()
        && call.len() <= 64
        && call
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ordinary {
        if state.bug == Some(Bug::ServerErrorOnOddId) {
            return Ok(error(state, 500, "INTERNAL_ERROR", "Internal server error"));
        }
        return Ok(error(state, 404, "NOT_FOUND", "Call not found"));
    }
    // The request body: JSON of the operation's schema.
    let input = if method == "POST" {
        let operation = state.spec.operation(op).expect("operation");
        let rb = operation.request_body.as_ref().expect("body");
        if body.is_empty() {
            if rb.required {
                return Ok(error(state, 400, "VALIDATION_ERROR", "a body is required"));
            }
            Value::Object(Default::default())
        } else {
            if content_type.as_deref() != Some("application/json") {
                return Ok(error(
                    state,
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "send application/json",
                ));
            }
            let Ok(value) = serde_json::from_slice::<Value>(&body) else {
                return Ok(error(state, 400, "VALIDATION_ERROR", "malformed JSON"));
            };
            let skip = state.bug == Some(Bug::InvalidBodyAccepted) && op == "blindTransfer";
            let schema = rb.content[0].schema.as_deref().expect("schema");
            let violations = state
                .validators
                .compile(schema)
                .expect("validator")
                .validate(&value);
            if !skip && !violations.is_empty() {
                return Ok(error(
                    state,
                    400,
                    "VALIDATION_ERROR",
                    &violations[0].to_string(),
                ));
            }
            value
        }
    } else {
        Value::Null
    };
    Ok(respond(state, op, call, transfer, &input))
}

fn now() -> &'static str {
    "2025-03-14T17:21:40Z"
}

fn transfer_value(state: &State, call: &str, kind: &str, status: &str, to: &str) -> Value {
    let mut n = state.next_id.lock().expect("lock");
    *n += 1;
    let created = if state.bug == Some(Bug::MalformedDateTime) && kind == "blind" {
        "2025-03-14 17:21:40"
    } else {
        now()
    };
    json!({
        "id": format!("tr_{n:06}"),
        "session_id": format!("sess_{call}"),
        "organization_id": "org_5tRb2MxW9eLs7UvC",
        "kind": kind,
        "status": status,
        "transfer_to": to,
        "from_room_name": format!("room_{call}"),
        "consultation_room_name": if kind == "warm" { Value::String(format!("room_{call}_consult")) } else { Value::Null },
        "caller_participant_identity": null,
        "recipient_participant_identity": null,
        "outbound_trunk_id": null,
        "screening_prompt": null,
        "summary": null,
        "failure_cause": null,
        "metadata": {},
        "created_at": created,
        "updated_at": now(),
        "completed_at": null
    })
}

fn entries(state: &State, n: u64) -> Value {
    let sources = ["agent", "user", "system"];
    Value::Array(
        (0..n)
            .map(|i| {
                let source = if state.bug == Some(Bug::DeepNestedViolation) && i >= 3 {
                    "bot"
                } else {
                    sources[i as usize % 3]
                };
                json!({
                    "id": format!("te_{i}"),
                    "index": i,
                    "source": source,
                    "text": "Hello.",
                    "started_at": "2025-03-14T16:02:07Z",
                    "ended_at": null,
                    "provider": null,
                    "model": null,
                    "metadata": {}
                })
            })
            .collect(),
    )
}

fn report(state: &State, call: &str) -> Value {
    let n = 1 + hash(call) % 6;
    json!({
        "session_id": format!("sess_{call}"),
        "organization_id": "org_5tRb2MxW9eLs7UvC",
        "summary": if state.bug == Some(Bug::NullNotAllowed) { Value::Null } else { json!("Caller asked for a refund.") },
        "outcome": "resolved",
        "structured_data": {},
        "transcript": {"entries": entries(state, n)},
        "cost_micro_usd": "162760",
        "cost_breakdown": [{"provider": "deepgram", "metric": "stt_seconds", "quantity": 252, "keySource": "MANAGED", "costMicroUsd": "32760"}],
        "metadata": {},
        "scheduled_callback": null,
        "analysis_status": "completed",
        "post_call_webhook_status": "delivered",
        "created_at": "2025-03-14T16:06:18Z",
        "updated_at": "2025-03-14T16:06:29Z"
    })
}

fn respond(state: &State, op: &str, call: &str, transfer: Option<&str>, input: &Value) -> Reply {
    let ok = |v: Value| reply(200, "application/json", &v);
    match op {
        "getCall" => {
            let transfers: Vec<Value> = state
                .transfers
                .lock()
                .expect("lock")
                .get(call)
                .into_iter()
                .flatten()
                .filter(|t| {
                    !(state.bug == Some(Bug::MissingFromListing) && t.value["kind"] == "blind")
                })
                .map(|t| t.value.clone())
                .collect();
            let mut v = json!({
                "id": call,
                "call_id": call,
                "resource_uri": format!("/v1/calls/{call}"),
                "agent_id": null,
                "status": "in_progress",
                "kind": "inbound",
                "room_name": format!("room_{call}"),
                "language": "en-US",
                "pipeline_config": {},
                "metadata": {},
                "created_at": "2025-03-14T16:02:05Z",
                "updated_at": "2025-03-14T16:06:17Z",
                "ended_at": null,
                "duration_seconds": null,
                "recording_status": null,
                "recording_duration_ms": null,
                "recording_resource_uri": format!("/v1/calls/{call}/recording"),
                "report": report(state, call),
                "transfers": transfers,
                "transcript": {"entries": entries(state, 1)},
                "span_tree": {}
            });
            if state.bug == Some(Bug::MissingRequired) {
                v.as_object_mut().expect("object").remove("language");
            }
            // `source` is one of the SDK's fixed literals (`kind` is a free
            // string, so "sip" there would be no bug).
            if state.bug == Some(Bug::OutsideEnum) {
                v["transcript"]["entries"][0]["source"] = json!("caller");
            }
            ok(v)
        }
        "listCallEvents" => {
            let n = 1 + hash(call) % 4;
            let events: Vec<Value> = (0..n)
                .map(|i| {
                    json!({
                        "id": format!("evt_{i}"),
                        "session_id": format!("sess_{call}"),
                        "organization_id": "org_5tRb2MxW9eLs7UvC",
                        "provider": "telnyx",
                        "event_type": "call.initiated",
                        "status": "ringing",
                        "failure_cause": null,
                        "sip_status_code": if state.bug == Some(Bug::WrongType) { json!("180") } else { json!(180) },
                        "sip_status": "Ringing",
                        "occurred_at": "2025-03-14T16:02:05Z",
                        "payload": {},
                        "created_at": "2025-03-14T16:02:05Z"
                    })
                })
                .collect();
            ok(json!({"events": events}))
        }
        "getCallReport" => {
            let mut v = report(state, call);
            if state.bug == Some(Bug::Intermittent) {
                let mut c = state.report_count.lock().expect("lock");
                *c += 1;
                if c.is_multiple_of(15) {
                    v["analysis_status"] = json!("pending");
                }
            }
            let ct = if state.bug == Some(Bug::WrongContentType) {
                "text/plain"
            } else {
                "application/json"
            };
            reply(200, ct, &v)
        }
        "finalizeCallReport" => ok(json!({
            "session_id": format!("sess_{call}"),
            "summary": "Caller asked for a refund.",
            "outcome": "resolved",
            "cost_micro_usd": if state.bug == Some(Bug::PatternViolation) { "12.50" } else { "162760" },
            "webhook": {}
        })),
        "getCallRecording" => {
            let status = if state.bug == Some(Bug::UndocumentedStatus) {
                202
            } else {
                200
            };
            reply(
                status,
                "application/json",
                &json!({"url": format!("https://recordings.example.com/{call}.ogg")}),
            )
        }
        "blindTransfer" => {
            let to = input
                .get("to")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .unwrap_or("+14155550123");
            let v = transfer_value(state, call, "blind", "requested", to);
            state
                .transfers
                .lock()
                .expect("lock")
                .entry(call.to_owned())
                .or_default()
                .push(Transfer {
                    value: v.clone(),
                    queue: Vec::new(),
                });
            ok(v)
        }
        "warmTransfer" => {
            let mut queue: Vec<Value> = input
                .get("destinations")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let to = match input.get("to").and_then(Value::as_str) {
                Some(to) => to.to_owned(),
                None => queue.remove(0)["to"]
                    .as_str()
                    .unwrap_or("+14155550123")
                    .to_owned(),
            };
            let mut v = transfer_value(state, call, "warm", "screening", &to);
            state
                .transfers
                .lock()
                .expect("lock")
                .entry(call.to_owned())
                .or_default()
                .push(Transfer {
                    value: v.clone(),
                    queue,
                });
            v["routing_attempts"] = Value::Null;
            v["next_transfer"] = Value::Null;
            v["fallback"] = Value::Null;
            ok(v)
        }
        "completeWarmTransfer" | "cancelWarmTransfer" => {
            let id = transfer.unwrap_or_default();
            let mut all = state.transfers.lock().expect("lock");
            let list = all.entry(call.to_owned()).or_default();
            let Some(pos) = list.iter().position(|t| t.value["id"] == id) else {
                drop(all);
                return error(state, 404, "NOT_FOUND", "Transfer not found");
            };
            let t = &list[pos];
            let live = t.value["kind"] == "warm"
                && (t.value["status"] == "screening" || t.value["status"] == "bridging");
            let buggy = state.bug == Some(Bug::StateMachine)
                && op == "completeWarmTransfer"
                && t.value["status"] == "cancelled";
            if !live && !buggy {
                drop(all);
                return error(state, 409, "CONFLICT", "Transfer is already finished");
            }
            let complete = op == "completeWarmTransfer";
            let mut queue = list[pos].queue.clone();
            {
                let v = &mut list[pos].value;
                v["status"] = json!(if complete { "completed" } else { "cancelled" });
                v["completed_at"] = json!(now());
                v["updated_at"] = json!(now());
            }
            let mut out = list[pos].value.clone();
            if complete {
                return ok(out);
            }
            let try_next = input
                .get("tryNext")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            out["routing_attempts"] = Value::Null;
            out["next_transfer"] = Value::Null;
            out["fallback"] = Value::Null;
            if try_next && !queue.is_empty() {
                let dest = queue.remove(0);
                let to = dest["to"].as_str().unwrap_or("+14155550123").to_owned();
                drop(all);
                let next = transfer_value(state, call, "warm", "screening", &to);
                state
                    .transfers
                    .lock()
                    .expect("lock")
                    .entry(call.to_owned())
                    .or_default()
                    .push(Transfer {
                        value: next.clone(),
                        queue,
                    });
                out["next_transfer"] = next;
            }
            ok(out)
        }
        _ => error(state, 404, "NOT_FOUND", "no such route"),
    }
}
