//! decoy-mock over real sockets: every Calls operation, every documented
//! error, the transfer lifecycle, determinism, Prefer, CORS, bad input.

use decoy_mock::MockServer;
use decoy_spec::{Spec, StatusKey};
use decoy_validate::Validators;
use serde_json::{Value, json};

use crate::util::http::{Reply, raw, request};

const CALLS: &str = include_str!("../specs/calls.openapi.yaml");

pub(crate) fn calls() -> Spec {
    Spec::parse(CALLS, "calls.openapi.yaml").expect("the Calls document loads")
}

pub(crate) async fn send(
    server: &MockServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    raw(server.address(), &request(method, path, headers, body)).await
}

pub(crate) const AUTH: (&str, &str) = ("Authorization", "Bearer test-token");
pub(crate) const JSON: (&str, &str) = ("Content-Type", "application/json");

async fn get(server: &MockServer, path: &str) -> Reply {
    send(server, "GET", path, &[AUTH], None).await
}

async fn post(server: &MockServer, path: &str, body: Value) -> Reply {
    send(server, "POST", path, &[AUTH, JSON], Some(&body.to_string())).await
}

/// Asserts the body validates against the documented schema of its status.
fn assert_documented(spec: &Spec, validators: &Validators, op_id: &str, reply: &Reply) {
    let op = spec.operation(op_id).expect("operation");
    let response = op
        .response(reply.status)
        .unwrap_or_else(|| panic!("{op_id}: status {} is not documented", reply.status));
    let Some(media) = response.content.iter().find(|m| m.is_json()) else {
        return;
    };
    let schema = media.schema.as_deref().expect("a schema");
    let violations = validators
        .compile(schema)
        .expect("compiles")
        .validate(&reply.json());
    assert!(
        violations.is_empty(),
        "{op_id} {}: {violations:#?}\n{}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
}

/// A concrete path and a valid body for each operation.
fn request_for(spec: &Spec, op_id: &str) -> (String, Option<Value>) {
    let op = spec.operation(op_id).expect("operation");
    let path = op
        .path
        .replace("{id}", "call_abc")
        .replace("{transferId}", "tr_xyz");
    let body = op.request_body.as_ref().and_then(|rb| {
        let media = rb.content.first()?;
        let example = media.examples.first()?.value.as_deref()?;
        spec.get(example).cloned()
    });
    (path, body)
}

#[tokio::test]
async fn edge_profile_answers_validate_for_every_operation() {
    let spec = calls();
    let validators = Validators::new(&spec);
    let server = MockServer::builder()
        .stateless(true)
        .profile(decoy_synth::Profile::Edge)
        .start(calls())
        .await
        .unwrap();
    // The same extremes on a realistic server, asked for per request.
    let realistic = MockServer::builder()
        .stateless(true)
        .start(calls())
        .await
        .unwrap();
    let prefer = ("Prefer", "profile=edge");
    for op in spec.operations() {
        let id = op.id.clone().unwrap();
        let (path, body) = request_for(&spec, &id);
        let body = body.map(|b| b.to_string());
        let reply = send(&server, &op.method, &path, &[AUTH, JSON], body.as_deref()).await;
        assert_eq!(
            reply.status,
            200,
            "{id}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_documented(&spec, &validators, &id, &reply);
        // Seeded and stable, except where the document asks for the present
        // (an `x-decoy-echo` source `now`): that part follows the clock.
        let op_id = spec
            .op_ids()
            .find(|&o| spec.operations()[o].id == op.id)
            .unwrap();
        let rules = &spec.model().operation(op_id).rules;
        let now = rules
            .echo
            .iter()
            .chain(rules.transition.iter().flat_map(|t| &t.echo))
            .flat_map(|(_, sources)| sources)
            .any(|s| matches!(s, decoy_spec::model::Source::Now));
        let again = send(&server, &op.method, &path, &[AUTH, JSON], body.as_deref()).await;
        if !now {
            assert_eq!(reply.body, again.body, "{id}: seeded and stable");
        }
        let asked = send(
            &realistic,
            &op.method,
            &path,
            &[AUTH, JSON, prefer],
            body.as_deref(),
        )
        .await;
        assert_eq!(
            asked.status,
            200,
            "{id}: {}",
            String::from_utf8_lossy(&asked.body)
        );
        assert_documented(&spec, &validators, &id, &asked);
    }
    let call = send(&realistic, "GET", "/v1/calls/abc", &[AUTH, prefer], None).await;
    assert!(call.json()["transcript"]["entries"].is_array());
    let bad = send(
        &realistic,
        "GET",
        "/v1/calls/abc",
        &[AUTH, ("Prefer", "profile=wild")],
        None,
    )
    .await;
    assert_eq!(bad.status, 400, "{}", String::from_utf8_lossy(&bad.body));
}

#[tokio::test]
async fn every_operation_answers_a_valid_200() {
    let spec = calls();
    let validators = Validators::new(&spec);
    // Stateless, so complete and cancel answer without a created transfer.
    let server = MockServer::builder()
        .stateless(true)
        .start(calls())
        .await
        .unwrap();
    for op in spec.operations() {
        let id = op.id.clone().unwrap();
        let (path, body) = request_for(&spec, &id);
        let reply = match body {
            Some(b) => post(&server, &path, b).await,
            None => send(&server, &op.method, &path, &[AUTH], None).await,
        };
        assert_eq!(
            reply.status,
            200,
            "{id}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{id}"
        );
        assert_documented(&spec, &validators, &id, &reply);
    }
}

#[tokio::test]
async fn every_documented_status_is_reachable_with_prefer_and_validates() {
    let spec = calls();
    let validators = Validators::new(&spec);
    let server = MockServer::start(calls()).await;
    for op in spec.operations() {
        let id = op.id.clone().unwrap();
        let (path, body) = request_for(&spec, &id);
        for r in &op.responses {
            let StatusKey::Code(code) = r.status else {
                continue;
            };
            let prefer = format!("code={code}");
            let body = body.as_ref().map(Value::to_string);
            let headers: &[(&str, &str)] = &[AUTH, JSON, ("Prefer", &prefer)];
            let reply = send(&server, &op.method, &path, headers, body.as_deref()).await;
            assert_eq!(
                reply.status,
                code,
                "{id} {prefer}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            assert_documented(&spec, &validators, &id, &reply);
            if code == 429 {
                assert!(
                    reply.header("retry-after").is_some(),
                    "{id}: 429 without Retry-After"
                );
            }
        }
    }
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_the_documented_401() {
    let server = MockServer::builder()
        .token("s3cret")
        .start(calls())
        .await
        .unwrap();
    for headers in [
        &[][..],
        &[("Authorization", "Bearer ")][..],
        &[("Authorization", "Bearer nope")][..],
        &[("Authorization", "Basic czNjcmV0")][..],
    ] {
        let reply = send(&server, "GET", "/v1/calls/abc", headers, None).await;
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.json(),
            json!({"error": "Unauthorized", "code": "UNAUTHORIZED"})
        );
    }
    let ok = send(
        &server,
        "GET",
        "/v1/calls/abc",
        &[("Authorization", "Bearer s3cret")],
        None,
    )
    .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn real_errors_follow_the_error_schema() {
    let spec = calls();
    let validators = Validators::new(&spec);
    let error = validators.compile("/components/schemas/Error").unwrap();
    let server = MockServer::builder()
        .body_limit(1024)
        .start(calls())
        .await
        .unwrap();

    let unknown = get(&server, "/v1/nothing/here").await;
    assert_eq!(unknown.status, 404);
    assert!(error.validate(&unknown.json()).is_empty());
    assert_eq!(unknown.json()["code"], "NOT_FOUND");

    let wrong_method = send(&server, "DELETE", "/v1/calls/abc", &[AUTH], None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("GET"));
    assert!(error.validate(&wrong_method.json()).is_empty());

    let big = json!({"to": "x".repeat(2000)}).to_string();
    let too_large = send(
        &server,
        "POST",
        "/v1/calls/abc/transfers/blind",
        &[AUTH, JSON],
        Some(&big),
    )
    .await;
    assert_eq!(too_large.status, 413);
    assert!(error.validate(&too_large.json()).is_empty());

    let form = send(
        &server,
        "POST",
        "/v1/calls/abc/transfers/blind",
        &[AUTH, ("Content-Type", "text/plain")],
        Some("to=1"),
    )
    .await;
    assert_eq!(form.status, 415);
    assert!(error.validate(&form.json()).is_empty());
    assert!(
        form.json()["error"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );

    let malformed = send(
        &server,
        "POST",
        "/v1/calls/abc/transfers/blind",
        &[AUTH, JSON],
        Some("{\"to\": "),
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_documented(&spec, &validators, "blindTransfer", &malformed);
    assert!(
        malformed.json()["error"]
            .as_str()
            .unwrap()
            .contains("malformed JSON")
    );

    // Every problem is listed, each with its pointer.
    let invalid = post(
        &server,
        "/v1/calls/abc/transfers/blind",
        json!({"ringingTimeout": 0, "playDialtone": "yes"}),
    )
    .await;
    assert_eq!(invalid.status, 400);
    assert_documented(&spec, &validators, "blindTransfer", &invalid);
    let body = invalid.json();
    assert_eq!(body["code"], "VALIDATION_ERROR");
    let details = body["details"].as_array().expect("details");
    assert_eq!(details.len(), 3, "{body:#}");
    assert!(
        details.iter().any(|d| d["pointer"] == "/ringingTimeout"),
        "{body:#}"
    );

    let missing = send(
        &server,
        "POST",
        "/v1/calls/abc/transfers/blind",
        &[AUTH, JSON],
        None,
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_documented(&spec, &validators, "blindTransfer", &missing);
}

#[tokio::test]
async fn transfers_live_through_their_lifecycle() {
    let spec = calls();
    let validators = Validators::new(&spec);
    let server = MockServer::start(calls()).await;

    // A blind transfer echoes its request and shows up on the call.
    let blind = post(
        &server,
        "/v1/calls/c1/transfers/blind",
        json!({"to": "+14155550100"}),
    )
    .await;
    assert_eq!(blind.status, 200);
    assert_documented(&spec, &validators, "blindTransfer", &blind);
    let blind = blind.json();
    assert_eq!(
        (blind["kind"].as_str(), blind["status"].as_str()),
        (Some("blind"), Some("requested"))
    );
    assert_eq!(blind["transfer_to"], "+14155550100");
    let blind_id = blind["id"].as_str().unwrap().to_owned();
    assert!(blind_id.starts_with("tr_"), "{blind_id}");

    let call = get(&server, "/v1/calls/c1").await;
    assert_documented(&spec, &validators, "getCall", &call);
    let transfers = call.json()["transfers"].as_array().unwrap().clone();
    assert_eq!(transfers.last().unwrap()["id"], blind_id.as_str());
    // Another call does not see it.
    let other = get(&server, "/v1/calls/c2").await.json();
    assert!(
        other["transfers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != blind_id.as_str())
    );

    // Completing a blind transfer is a conflict.
    let conflict = post(
        &server,
        &format!("/v1/calls/c1/transfers/{blind_id}/complete"),
        json!({}),
    )
    .await;
    assert_eq!(conflict.status, 409);
    assert_documented(&spec, &validators, "completeWarmTransfer", &conflict);

    // A warm transfer over two destinations: screening, then the next.
    let warm = post(
        &server,
        "/v1/calls/c1/transfers/warm",
        json!({"destinations": [{"to": "+14155550101"}, {"to": "sip:b@pbx.example.com", "label": "B"}],
               "fallback": {"strategy": "take_message", "message": "Leave a message"}}),
    )
    .await;
    assert_eq!(warm.status, 200);
    assert_documented(&spec, &validators, "warmTransfer", &warm);
    let warm = warm.json();
    assert_eq!(
        (warm["kind"].as_str(), warm["status"].as_str()),
        (Some("warm"), Some("screening"))
    );
    assert_eq!(warm["transfer_to"], "+14155550101");
    let first = warm["id"].as_str().unwrap().to_owned();
    assert_ne!(first, blind_id);

    let cancel = post(
        &server,
        &format!("/v1/calls/c1/transfers/{first}/cancel"),
        json!({"tryNext": true}),
    )
    .await;
    assert_eq!(cancel.status, 200);
    assert_documented(&spec, &validators, "cancelWarmTransfer", &cancel);
    let cancel = cancel.json();
    assert_eq!(cancel["status"], "cancelled");
    assert_eq!(cancel["id"], first.as_str());
    let next = &cancel["next_transfer"];
    assert_eq!(
        (next["status"].as_str(), next["transfer_to"].as_str()),
        (Some("screening"), Some("sip:b@pbx.example.com"))
    );
    assert_eq!(cancel["fallback"], Value::Null);
    assert_eq!(cancel["routing_attempts"].as_array().map(Vec::len), Some(2));
    let second = next["id"].as_str().unwrap().to_owned();

    // The cancelled one cannot be cancelled or completed again.
    for action in ["cancel", "complete"] {
        let again = post(
            &server,
            &format!("/v1/calls/c1/transfers/{first}/{action}"),
            json!({}),
        )
        .await;
        assert_eq!(again.status, 409, "{action}");
        assert_documented(&spec, &validators, "cancelWarmTransfer", &again);
    }

    // The last destination declines: no one left, the fallback applies.
    let last = post(
        &server,
        &format!("/v1/calls/c1/transfers/{second}/cancel"),
        json!({"tryNext": true, "voicemailDetected": true}),
    )
    .await;
    assert_eq!(last.status, 200);
    assert_documented(&spec, &validators, "cancelWarmTransfer", &last);
    let last = last.json();
    assert_eq!(last["next_transfer"], Value::Null);
    assert_eq!(last["fallback"]["action"], "take_message");
    assert_eq!(last["fallback"]["message"], "Leave a message");
    assert_eq!(last["fallback"]["voicemail_detected"], true);

    // A single warm transfer completes once.
    let single = post(
        &server,
        "/v1/calls/c1/transfers/warm",
        json!({"to": "+14155550102"}),
    )
    .await
    .json();
    let id = single["id"].as_str().unwrap();
    let done = post(
        &server,
        &format!("/v1/calls/c1/transfers/{id}/complete"),
        json!({"summary": "Done"}),
    )
    .await;
    assert_eq!(done.status, 200);
    assert_documented(&spec, &validators, "completeWarmTransfer", &done);
    assert_eq!(
        (
            done.json()["status"].as_str(),
            done.json()["summary"].as_str()
        ),
        (Some("completed"), Some("Done"))
    );
    let twice = post(
        &server,
        &format!("/v1/calls/c1/transfers/{id}/complete"),
        json!({}),
    )
    .await;
    assert_eq!(twice.status, 409);

    // All four are listed on the call, in order; unknown ids are 404.
    let listed: Vec<Value> = get(&server, "/v1/calls/c1").await.json()["transfers"]
        .as_array()
        .unwrap()
        .clone();
    let statuses: Vec<&str> = listed
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["requested", "cancelled", "cancelled", "completed"]
    );
    let unknown = post(
        &server,
        "/v1/calls/c1/transfers/tr_nope/complete",
        json!({}),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_documented(&spec, &validators, "completeWarmTransfer", &unknown);

    // Reset forgets everything.
    let reset = send(&server, "POST", "/__decoy/reset", &[], None).await;
    assert_eq!(reset.status, 204);
    let gone = post(
        &server,
        &format!("/v1/calls/c1/transfers/{id}/complete"),
        json!({}),
    )
    .await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn same_seed_same_bytes_across_a_restart() {
    let first = MockServer::builder().seed(7).start(calls()).await.unwrap();
    let a = get(&first, "/v1/calls/abc").await.body;
    let again = get(&first, "/v1/calls/abc").await.body;
    drop(first);
    let second = MockServer::builder().seed(7).start(calls()).await.unwrap();
    let b = get(&second, "/v1/calls/abc").await.body;
    assert_eq!(a, again);
    assert_eq!(a, b);
    let other = get(&second, "/v1/calls/xyz").await.json();
    assert_eq!(other["id"], "xyz");
    let parsed: Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(parsed["id"], "abc");
    assert_eq!(parsed["resource_uri"], "/v1/calls/abc");
    // Another seed, another world.
    let third = MockServer::builder().seed(8).start(calls()).await.unwrap();
    assert_ne!(get(&third, "/v1/calls/abc").await.body, a);
    // Document property order is kept.
    let keys: Vec<&String> = parsed.as_object().unwrap().keys().take(3).collect();
    assert_eq!(keys, ["id", "call_id", "resource_uri"]);
}

#[tokio::test]
async fn prefer_selects_examples_and_codes() {
    let spec = calls();
    let server = MockServer::start(calls()).await;
    let named = send(
        &server,
        "GET",
        "/v1/calls/abc",
        &[AUTH, ("Prefer", "example=completed")],
        None,
    )
    .await;
    assert_eq!(named.status, 200);
    let example = spec.operation("getCall").unwrap().responses[0].content[0].examples[0]
        .value
        .clone()
        .unwrap();
    assert_eq!(named.json(), *spec.get(&example).unwrap());

    let static_ = send(
        &server,
        "GET",
        "/v1/calls/abc",
        &[AUTH, ("Prefer", "dynamic=false")],
        None,
    )
    .await;
    assert_eq!(static_.json(), *spec.get(&example).unwrap());

    let not_found = send(
        &server,
        "GET",
        "/v1/calls/abc",
        &[AUTH, ("Prefer", "code=404")],
        None,
    )
    .await;
    assert_eq!(not_found.status, 404);
    assert_eq!(
        not_found.json(),
        json!({"error": "Call not found", "code": "NOT_FOUND"})
    );

    let unknown_code = send(
        &server,
        "GET",
        "/v1/calls/abc",
        &[AUTH, ("Prefer", "code=418")],
        None,
    )
    .await;
    assert_eq!(unknown_code.status, 400);
    assert!(
        unknown_code.json()["error"]
            .as_str()
            .unwrap()
            .contains("code=418 is not documented")
    );

    let unknown_example = send(
        &server,
        "GET",
        "/v1/calls/abc",
        &[AUTH, ("Prefer", "example=nope")],
        None,
    )
    .await;
    assert_eq!(unknown_example.status, 400);
    assert!(
        unknown_example.json()["error"]
            .as_str()
            .unwrap()
            .contains("completed"),
        "lists the examples"
    );

    let garbage = send(
        &server,
        "GET",
        "/v1/calls/abc",
        &[AUTH, ("Prefer", "code=abc")],
        None,
    )
    .await;
    assert_eq!(garbage.status, 400);
}

#[tokio::test]
async fn cors_is_on_by_default_and_can_be_turned_off() {
    let server = MockServer::start(calls()).await;
    let preflight = send(
        &server,
        "OPTIONS",
        "/v1/calls/abc",
        &[
            ("Origin", "http://localhost:3000"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
        None,
    )
    .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header_count("access-control-allow-origin"), 1);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase()
            .contains("authorization")
    );
    let call = send(
        &server,
        "GET",
        "/v1/calls/abc",
        &[AUTH, ("Origin", "http://localhost:3000")],
        None,
    )
    .await;
    assert_eq!(
        call.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert_eq!(call.header_count("access-control-allow-origin"), 1);
    assert_eq!(call.header_count("access-control-expose-headers"), 1);
    assert!(
        call.header("access-control-expose-headers")
            .unwrap()
            .contains("content-type")
    );

    let closed = MockServer::builder()
        .cors(false)
        .start(calls())
        .await
        .unwrap();
    let preflight = send(
        &closed,
        "OPTIONS",
        "/v1/calls/abc",
        &[
            ("Origin", "http://x"),
            ("Access-Control-Request-Method", "GET"),
        ],
        None,
    )
    .await;
    assert_eq!(preflight.status, 405);
    assert_eq!(preflight.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn admin_endpoints_report_health_and_requests() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = MockServer::builder()
        .on_request(move |r| {
            log.lock()
                .unwrap()
                .push(r.log_line(decoy_mock::LogFormat::Human))
        })
        .start(calls())
        .await
        .unwrap();
    let health = get(&server, "/__decoy/health").await;
    assert_eq!(
        (health.status, health.json()["status"].as_str()),
        (200, Some("ok"))
    );
    get(&server, "/v1/calls/abc").await;
    let requests = get(&server, "/__decoy/requests").await.json();
    let list = requests["requests"].as_array().unwrap();
    assert!(list.iter().any(|r| r["path"] == "/v1/calls/abc"
        && r["status"] == 200
        && r["operation"] == "getCall"));
    assert_eq!(server.received_requests().len(), 3);
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("GET /v1/calls/abc 200 getCall"))
    );
}

#[tokio::test]
async fn bad_input_never_takes_the_server_down() {
    let spec = calls();
    let validators = Validators::new(&spec);
    let server = MockServer::start(calls()).await;
    let addr = server.address();

    let garbage = raw(addr, b"\x00\xffNOT HTTP AT ALL\r\n\r\n").await;
    assert_eq!(garbage.status, 400);
    let huge = format!(
        "GET /v1/calls/a HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(100_000)
    );
    let huge = raw(addr, huge.as_bytes()).await;
    assert_eq!(huge.status, 431);

    let long = format!("/v1/calls/{}", "k".repeat(10_000));
    for path in [
        long.as_str(),
        "/v1/calls/a%2Fb",
        "/v1/calls/%E6%97%A5%E6%9C%AC",
        "/v1/calls/%FF%FE",
        "/v1/calls/%",
    ] {
        let reply = get(&server, path).await;
        assert_eq!(reply.status, 200, "{}", &path[..path.len().min(40)]);
        assert_documented(&spec, &validators, "getCall", &reply);
    }
    let decoded = get(&server, "/v1/calls/a%2Fb").await.json();
    assert_eq!(decoded["id"], "a/b");

    // Still serving.
    assert_eq!(get(&server, "/v1/calls/abc").await.status, 200);
}

/// Six statuses from a server that fails every request.
async fn fault_statuses(seed: u64, spec: &Spec, validators: &Validators) -> Vec<u16> {
    let server = MockServer::builder()
        .seed(seed)
        .error_rate(1.0)
        .start(calls())
        .await
        .unwrap();
    let mut out = Vec::new();
    for _ in 0..6 {
        let reply = get(&server, "/v1/calls/abc").await;
        assert_documented(spec, validators, "getCall", &reply);
        out.push(reply.status);
    }
    out
}

#[tokio::test]
async fn faults_are_documented_and_reproducible() {
    let spec = calls();
    let validators = Validators::new(&spec);
    let a = fault_statuses(3, &spec, &validators).await;
    assert_eq!(a, fault_statuses(3, &spec, &validators).await);
    assert!(a.iter().all(|s| *s == 429 || *s >= 500), "{a:?}");
}

/// Seconds of an RFC 3339 UTC date-time, comparable with each other
/// (`2025-03-14T16:02:05Z`; fractions and offsets are not expected).
fn seconds(v: &Value) -> i64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a date-time: {v}"));
    let n = |r: std::ops::Range<usize>| -> i64 { s[r].parse().unwrap_or_else(|_| panic!("{s}")) };
    assert!(
        s.ends_with('Z') && s.len() == 20,
        "unexpected date-time {s}"
    );
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days since a fixed epoch, good enough to order and bound.
    let days = y * 372 + m * 31 + d;
    ((days * 24 + n(11..13)) * 60 + n(14..16)) * 60 + n(17..19)
}

/// Every string at a key named `key` anywhere in `v`.
fn all_at<'v>(v: &'v Value, key: &str, out: &mut Vec<&'v Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == key && !x.is_null() {
                    out.push(x);
                }
                all_at(x, key, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| all_at(x, key, out)),
        _ => {}
    }
}

#[tokio::test]
async fn sub_resources_agree_with_their_call() {
    let spec = calls();
    let validators = Validators::new(&spec);
    for seed in [0, 1, 2] {
        let server = MockServer::builder()
            .seed(seed)
            .start(calls())
            .await
            .unwrap();
        for id in ["abc", "call_7Qm2VxR9kLp4TnB8", "%E6%97%A5"] {
            let base = format!("/v1/calls/{id}");
            let transfer = post(
                &server,
                &format!("{base}/transfers/blind"),
                json!({"to": "+14155550123"}),
            )
            .await;
            assert_documented(&spec, &validators, "blindTransfer", &transfer);
            let mut replies = Vec::new();
            for (op, suffix) in [
                ("getCall", ""),
                ("listCallEvents", "/events"),
                ("getCallReport", "/report"),
                ("getCallRecording", "/recording"),
            ] {
                let reply = get(&server, &format!("{base}{suffix}")).await;
                assert_eq!(reply.status, 200, "{op} {base}");
                assert_documented(&spec, &validators, op, &reply);
                replies.push(reply.json());
            }
            let finalize = post(&server, &format!("{base}/report/finalize"), json!({})).await;
            assert_documented(&spec, &validators, "finalizeCallReport", &finalize);
            let (call, events, report, recording) =
                (&replies[0], &replies[1], &replies[2], &replies[3]);
            // Stored transfers were made just now, not during the call.
            let mut call_then = call.clone();
            call_then["transfers"] = json!([]);
            let mut everything = vec![call, events, report, recording, &transfer.json()]
                .into_iter()
                .cloned()
                .collect::<Vec<_>>();
            everything.push(finalize.json());
            let all = Value::Array(everything);
            // One session and one organization across the call's resources.
            for key in ["session_id", "organization_id"] {
                let mut found = Vec::new();
                all_at(&all, key, &mut found);
                found.dedup();
                assert_eq!(
                    found.len(),
                    1,
                    "seed {seed} {base}: {key} differs: {found:?}"
                );
            }
            let org = report["organization_id"].as_str().unwrap();
            // The recording points at this call.
            assert_eq!(call["recording_resource_uri"], format!("{base}/recording"));
            let url = recording["url"].as_str().unwrap();
            assert!(
                url.contains(&format!("/{}/{id}.", org.replace(' ', "%20"))),
                "seed {seed}: {url} names neither {org} nor {id}"
            );
            // Events and report happen within the call.
            let start = seconds(&call["created_at"]);
            let end = [&call["updated_at"], &call["ended_at"]]
                .into_iter()
                .filter(|v| !v.is_null())
                .map(seconds)
                .max()
                .unwrap();
            for (what, v) in [("events", events), ("report", report), ("call", &call_then)] {
                for key in ["created_at", "updated_at", "occurred_at", "started_at"] {
                    let mut found = Vec::new();
                    all_at(v, key, &mut found);
                    for t in found {
                        let t = seconds(t);
                        assert!(
                            (start..=end).contains(&t),
                            "seed {seed} {base}: {what} {key} {t} outside {start}..={end}"
                        );
                    }
                }
            }
        }
    }
}

/// Replaces a file in one step, so a watcher never reads half of it.
fn replace(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Polls `/__decoy/health` until `done` holds (a bounded wait, not a sleep).
async fn health_until(server: &MockServer, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let health = get(server, "/__decoy/health").await.json();
        if done(&health) {
            return health;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "health never got there: {health}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn watch_reloads_and_keeps_the_last_good_document() {
    let dir = std::env::temp_dir().join(format!("decoy-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("calls.yaml");
    replace(&path, CALLS);
    let mut config = decoy_mock::Config::default();
    config.watch = Some(path.clone());
    config.watch_interval = std::time::Duration::from_millis(25);
    let server = MockServer::builder()
        .config(config)
        .start(calls())
        .await
        .unwrap();
    let first = get(&server, "/__decoy/health").await.json();
    assert_eq!(first["document"], "Calls API");
    let r0 = first["revision"].as_str().unwrap().to_owned();

    replace(
        &path,
        &CALLS.replacen("title: Calls API", "title: Calls API v2", 1),
    );
    let second = health_until(&server, |h| h["revision"] != r0.as_str()).await;
    assert_eq!(
        (&second["document"], &second["reload_error"]),
        (&json!("Calls API v2"), &Value::Null)
    );

    // A broken edit: still serving v2, and the error says where.
    replace(&path, "openapi: 3.1.0\ninfo: {title: x\npaths: {}\n");
    let broken = health_until(&server, |h| !h["reload_error"].is_null()).await;
    assert_eq!(broken["revision"], second["revision"]);
    let error = broken["reload_error"].as_str().unwrap();
    assert!(error.contains("calls.yaml:"), "{error}");
    assert_eq!(get(&server, "/v1/calls/abc").await.status, 200);

    replace(&path, CALLS);
    let fixed = health_until(&server, |h| h["reload_error"].is_null()).await;
    assert_eq!(fixed["revision"], r0.as_str());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The operations of a real-world document a test can call without
/// inventing query parameters: (operation id, method, concrete path).
fn simple_operations(spec: &Spec, method: &str) -> Vec<(String, String)> {
    spec.operations()
        .iter()
        .filter(|op| op.method == method)
        .filter(|op| {
            op.parameters
                .iter()
                .all(|p| !p.required || p.location == decoy_spec::ParameterLocation::Path)
        })
        .map(|op| {
            // Path parameters valid for their schemas (Twilio's `Sid`s have
            // patterns), made by synth.
            let generator =
                decoy_synth::Generator::new(spec.document().clone(), Default::default());
            let mut path = op.path.clone();
            for p in &op.parameters {
                let value = p
                    .schema
                    .as_deref()
                    .and_then(|s| generator.generate(s, 1).ok())
                    .map_or("1".to_owned(), |v| match v {
                        Value::String(s) => s,
                        v => v.to_string(),
                    });
                let value = percent_encoding::utf8_percent_encode(
                    &value,
                    percent_encoding::NON_ALPHANUMERIC,
                )
                .to_string();
                path = path.replace(&format!("{{{}}}", p.name), &value);
            }
            (op.name(), path)
        })
        .collect()
}

#[tokio::test]
async fn serves_real_world_documents_with_valid_responses() {
    // (document, credentials, GET operations that must answer 2xx at least)
    let basic = ("Authorization", "Basic QUN4eHg6c2VjcmV0");
    for (file, auth, min_ok) in [
        ("swaggerapi-petstore3.yaml", AUTH, 5),
        ("discord-api.json", AUTH, 40),
        ("twilio-voice-v1.json", basic, 10),
    ] {
        let path = crate::util::wild_dir().join(file);
        let spec = Spec::load(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let validators = Validators::new(&spec);
        let server = MockServer::start(Spec::load(&path).unwrap()).await;
        let headers = [auth, ("api_key", "t")];
        let mut ok = 0;
        for (name, path) in simple_operations(&spec, "GET").into_iter().take(80) {
            let reply = send(&server, "GET", &path, &headers, None).await;
            assert!(reply.status < 500, "{file} {name} {path}: {}", reply.status);
            let op = spec.operations().iter().find(|o| o.name() == name).unwrap();
            if let Some(id) = op.id.as_deref()
                && op.response(reply.status).is_some()
                && reply
                    .header("content-type")
                    .is_some_and(|t| t.contains("json"))
            {
                assert_documented(&spec, &validators, id, &reply);
            }
            ok += usize::from((200..300).contains(&reply.status));
        }
        assert!(ok >= min_ok, "{file}: only {ok} GETs answered 2xx");
    }

    // One with a body: petstore's addPet, with a body synth makes valid.
    let path = crate::util::wild_dir().join("swaggerapi-petstore3.yaml");
    let spec = Spec::load(&path).unwrap();
    let validators = Validators::new(&spec);
    let server = MockServer::start(Spec::load(&path).unwrap()).await;
    let op = spec.operation("addPet").unwrap();
    let media = op
        .request_body
        .as_ref()
        .unwrap()
        .content
        .iter()
        .find(|m| m.is_json())
        .unwrap();
    let generator = decoy_synth::Generator::new(spec.document().clone(), Default::default());
    let pet = generator
        .generate(media.schema.as_deref().unwrap(), 3)
        .unwrap();
    let reply = send(
        &server,
        "POST",
        "/pet",
        &[AUTH, JSON],
        Some(&pet.to_string()),
    )
    .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_documented(&spec, &validators, "addPet", &reply);
    // And a broken body gets the documented 4xx, not a 200.
    let bad = send(
        &server,
        "POST",
        "/pet",
        &[AUTH, JSON],
        Some(r#"{"name": 7}"#),
    )
    .await;
    assert!((400..500).contains(&bad.status), "{}", bad.status);
}

/// One step of a schedule: what to do, and to which transfer (by creation
/// index, modulo how many exist).
#[derive(Debug, Clone, Copy)]
enum Step {
    Complete(usize),
    Cancel(usize),
}

/// Runs `steps` in `lanes` concurrent lanes against the transfers of one
/// call, and returns, per step, (transfer index, action, status).
async fn run_schedule(
    server: &MockServer,
    call: &str,
    ids: &[String],
    steps: &[Step],
    lanes: usize,
) -> Vec<(usize, &'static str, u16)> {
    let tasks = (0..lanes).map(|lane| {
        let mine: Vec<Step> = steps.iter().copied().skip(lane).step_by(lanes).collect();
        async move {
            let mut out = Vec::new();
            for step in mine {
                let (k, action) = match step {
                    Step::Complete(k) => (k % ids.len(), "complete"),
                    Step::Cancel(k) => (k % ids.len(), "cancel"),
                };
                let path = format!("/v1/calls/{call}/transfers/{}/{action}", ids[k]);
                out.push((k, action, post(server, &path, json!({})).await.status));
            }
            out
        }
    });
    let mut all = Vec::new();
    for lane in futures_join_all(tasks).await {
        all.extend(lane);
    }
    all
}

/// Polls the futures together on this task (no extra dependency).
pub(crate) async fn futures_join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut slots: Vec<Option<F::Output>> = handles.iter().map(|_| None).collect();
    let mut handles: Vec<_> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (h, slot) in handles.iter_mut().zip(slots.iter_mut()) {
            if let Some(f) = h {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *slot = Some(v);
                        *h = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    slots
        .into_iter()
        .map(|s| s.expect("polled to the end"))
        .collect()
}

/// A runtime with two workers, for tests that drive proptest themselves.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A proptest runner with a fixed seed (`[seed; 32]`, printed on failure by
/// the caller) and no persistence files.
pub(crate) fn seeded_runner(cases: u32, seed: u8) -> proptest::test_runner::TestRunner {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

/// What the transitions tried on one warm transfer (`mine`: transfer,
/// action, status) must leave: every refusal the documented 409, exactly
/// one success if any was tried; returns the status the transfer must show.
pub(crate) fn warm_outcome(
    call: &str,
    id: &str,
    mine: &[&(usize, &'static str, u16)],
) -> Result<&'static str, proptest::test_runner::TestCaseError> {
    use proptest::prelude::*;
    prop_assert!(
        mine.iter().all(|(_, _, s)| *s == 200 || *s == 409),
        "{call} {id}: {mine:?}"
    );
    let ok: Vec<_> = mine.iter().filter(|(_, _, s)| *s == 200).collect();
    prop_assert_eq!(
        ok.len(),
        usize::from(!mine.is_empty()),
        "{} {}: {:?}",
        call,
        id,
        mine
    );
    Ok(match ok.first().map(|(_, a, _)| *a) {
        Some("complete") => "completed",
        Some(_) => "cancelled",
        None => "screening",
    })
}

#[test]
fn concurrent_transfer_schedules_keep_the_lifecycle() {
    use proptest::prelude::*;

    let rt = runtime();
    let server = rt.block_on(MockServer::start(calls()));
    let step = prop_oneof![
        (0..6usize).prop_map(Step::Complete),
        (0..6usize).prop_map(Step::Cancel),
    ];
    // (warm transfers, blind transfers, schedule, lanes)
    let strategy = (
        1..4usize,
        0..3usize,
        proptest::collection::vec(step, 4..24),
        2..6usize,
    );
    let mut runner = seeded_runner(24, 7);
    let case = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&strategy, |(warm, blind, steps, lanes)| {
        let call = format!(
            "conc{}",
            case.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        rt.block_on(async {
            // Created concurrently too: listings must hold each exactly once.
            let creates = (0..warm + blind).map(|k| {
                let (kind, body) = if k < warm {
                    (
                        "warm",
                        json!({"destinations": [{"to": format!("+1415555{k:04}")}]}),
                    )
                } else {
                    ("blind", json!({"to": format!("+1415556{k:04}")}))
                };
                let path = format!("/v1/calls/{call}/transfers/{kind}");
                let server = &server;
                async move { post(server, &path, body).await }
            });
            let created = futures_join_all(creates).await;
            let ids: Vec<String> = created
                .iter()
                .map(|r| {
                    assert_eq!(r.status, 200);
                    r.json()["id"].as_str().unwrap().to_owned()
                })
                .collect();
            let outcomes = run_schedule(&server, &call, &ids, &steps, lanes).await;
            let listing = get(&server, &format!("/v1/calls/{call}")).await.json();
            let listed = listing["transfers"].as_array().unwrap();
            for (k, id) in ids.iter().enumerate() {
                let mine: Vec<_> = outcomes.iter().filter(|(t, _, _)| *t == k).collect();
                let ok: Vec<_> = mine.iter().filter(|(_, _, s)| *s == 200).collect();
                let shown: Vec<_> = listed.iter().filter(|t| t["id"] == id.as_str()).collect();
                prop_assert_eq!(
                    shown.len(),
                    1,
                    "{} {} listed {} times",
                    call,
                    id,
                    shown.len()
                );
                let status = shown[0]["status"].as_str().unwrap();
                if k < warm {
                    prop_assert_eq!(status, warm_outcome(&call, id, &mine)?);
                } else {
                    prop_assert!(
                        mine.iter().all(|(_, _, s)| *s == 200 || *s == 409),
                        "{call} {id}: {mine:?}"
                    );
                    // Blind transfers have no transitions: all 409.
                    prop_assert!(ok.is_empty(), "{} {}: {:?}", call, id, mine);
                    prop_assert_eq!(status, "requested");
                }
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("seeded schedule (ChaCha [7; 32]) failed: {e}");
    }
}

/// A document whose reads take query and header parameters: the answer a
/// repeated read reuses must be the one the pipeline would give.
const REPEATED: &str = r#"
openapi: 3.0.3
info: {title: Repeated, version: '1'}
security: [{bearer: []}]
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Item:
      type: object
      required: [id, name]
      properties:
        id: {type: string}
        name: {type: string}
paths:
  /items/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    get:
      operationId: getItem
      parameters:
        - {name: verbose, in: query, schema: {type: boolean}}
      responses:
        '200':
          description: The item.
          content:
            application/json: {schema: {$ref: '#/components/schemas/Item'}}
        '404': {description: No such item.}
    delete:
      operationId: deleteItem
      responses:
        '204': {description: Deleted.}
    put:
      operationId: putItem
      requestBody:
        required: true
        content:
          application/json: {schema: {$ref: '#/components/schemas/Item'}}
      responses:
        '200':
          description: Stored.
          content:
            application/json: {schema: {$ref: '#/components/schemas/Item'}}
  /traced/{id}:
    get:
      operationId: getTraced
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: X-Trace, in: header, required: true, schema: {type: string}}
      responses:
        '200':
          description: The item.
          content:
            application/json: {schema: {$ref: '#/components/schemas/Item'}}
"#;

#[tokio::test]
async fn a_repeated_read_gets_the_same_answer_and_every_check() {
    let spec = Spec::parse(REPEATED, "repeated.yaml").unwrap();
    let server = MockServer::start(spec).await;
    let first = get(&server, "/items/7?verbose=true").await;
    assert_eq!(first.status, 200);
    for _ in 0..3 {
        let again = get(&server, "/items/7?verbose=true").await;
        assert_eq!((again.status, &again.body), (200, &first.body));
        assert_eq!(again.header("content-type"), Some("application/json"));
        assert_eq!(again.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            again.header("access-control-expose-headers"),
            Some("content-type")
        );
        let site = ("Origin", "https://app.example");
        let from_site = send(&server, "GET", "/items/7?verbose=true", &[AUTH, site], None).await;
        assert_eq!((from_site.status, &from_site.body), (200, &first.body));
        assert_eq!(
            from_site.header("access-control-allow-origin"),
            Some("https://app.example")
        );
        for reply in [&again, &from_site] {
            assert_eq!(reply.header_count("access-control-allow-origin"), 1);
            assert_eq!(reply.header_count("vary"), 1);
        }
        // What the target does not decide is checked every time.
        let anonymous = send(&server, "GET", "/items/7?verbose=true", &[], None).await;
        assert_eq!(anonymous.status, 401);
        let bad = get(&server, "/items/7?verbose=maybe").await;
        assert_eq!(bad.status, 400, "{:?}", bad.json());
        let asked = send(
            &server,
            "GET",
            "/items/7?verbose=true",
            &[AUTH, ("Prefer", "code=404")],
            None,
        )
        .await;
        assert_eq!(asked.status, 404);
        let namespaced = send(
            &server,
            "GET",
            "/items/7?verbose=true",
            &[AUTH, ("X-Decoy-Namespace", "not ok")],
            None,
        )
        .await;
        assert_eq!(namespaced.status, 400, "{:?}", namespaced.json());
    }
    // A header parameter is read on every request, even for a target
    // answered before.
    let traced = send(&server, "GET", "/traced/1", &[AUTH, ("X-Trace", "t")], None).await;
    assert_eq!(traced.status, 200);
    let untraced = get(&server, "/traced/1").await;
    assert_eq!(untraced.status, 400, "{:?}", untraced.json());
    // Stored state decides after a write: the repeat shows the stored item.
    let item = json!({"id": "7", "name": "stored"});
    let put = send(
        &server,
        "PUT",
        "/items/7",
        &[AUTH, JSON],
        Some(&item.to_string()),
    )
    .await;
    assert_eq!(put.status, 200, "{:?}", put.json());
    let after = get(&server, "/items/7?verbose=true").await;
    assert_eq!(after.status, 200);
    assert_eq!(after.json()["name"], "stored");
    // A change to another resource leaves this one's answer as it was,
    // whether it is answered again or from what was kept.
    let other = send(&server, "DELETE", "/items/8", &[AUTH], None).await;
    assert_eq!(other.status, 204);
    for _ in 0..2 {
        let again = get(&server, "/items/7?verbose=true").await;
        assert_eq!((again.status, &again.body), (200, &after.body));
    }
    // With state stored, a resource never stored is generated and kept;
    // deleting it outdates what was kept: 404 from then on.
    let generated = get(&server, "/items/9").await;
    assert_eq!(generated.status, 200);
    let kept = get(&server, "/items/9").await;
    assert_eq!((kept.status, &kept.body), (200, &generated.body));
    let deleted = send(&server, "DELETE", "/items/9", &[AUTH], None).await;
    assert_eq!(deleted.status, 204);
    for _ in 0..2 {
        let gone = get(&server, "/items/9").await;
        assert_eq!(gone.status, 404);
    }
    // A reset forgets the deletion: the generated item again.
    server.reset(None).await.unwrap();
    for _ in 0..2 {
        let fresh = get(&server, "/items/7?verbose=true").await;
        assert_eq!((fresh.status, &fresh.body), (200, &first.body));
    }
}

/// Every leaf of `v` by its JSON pointer.
fn leaves(v: &Value, at: String, out: &mut std::collections::BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, c)| leaves(c, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| leaves(c, format!("{at}/{i}"), out)),
        _ => {
            out.insert(at, v.clone());
        }
    }
}

/// The mock's answers are stable when the document changes elsewhere:
/// adding a property to `CallDetail`, removing another and reordering the
/// rest leaves at least 99% of the other values of 50 calls unchanged
/// (issue 12's experiment, through the mock).
#[tokio::test]
async fn answers_are_stable_when_the_schema_changes_elsewhere() {
    let spec = calls();
    let mut doc = spec.document().clone();
    let detail = doc
        .pointer_mut("/components/schemas/CallDetail")
        .and_then(Value::as_object_mut)
        .unwrap();
    let props = detail["properties"].as_object().unwrap().clone();
    let mut changed = serde_json::Map::new();
    changed.insert(
        "priority".into(),
        json!({"type": "string", "examples": ["high", "low"]}),
    );
    for (k, v) in props.into_iter().rev().filter(|(k, _)| k != "room_name") {
        changed.insert(k, v);
    }
    detail.insert("properties".into(), Value::Object(changed));
    let required = detail["required"].as_array_mut().unwrap();
    required.retain(|r| r != "room_name");
    required.push(json!("priority"));
    let edited = Spec::parse(&doc.to_string(), "calls-edited.json").unwrap();

    let before = MockServer::builder().seed(11).start(spec).await.unwrap();
    let after = MockServer::builder().seed(11).start(edited).await.unwrap();
    let (mut same, mut total) = (0, 0);
    for n in 0..50 {
        let path = format!("/v1/calls/call_{n}");
        let a = send(&before, "GET", &path, &[AUTH], None).await;
        let b = send(&after, "GET", &path, &[AUTH], None).await;
        assert_eq!((a.status, b.status), (200, 200), "{path}");
        let (mut la, mut lb) = (Default::default(), Default::default());
        leaves(&a.json(), String::new(), &mut la);
        leaves(&b.json(), String::new(), &mut lb);
        for (at, v) in &la {
            if at.starts_with("/room_name") {
                continue;
            }
            total += 1;
            same += usize::from(lb.get(at) == Some(v));
        }
    }
    eprintln!("stability through the mock: {same} of {total} values unchanged");
    assert!(
        same * 100 >= total * 99,
        "{same} of {total} values unchanged (want 99%)"
    );
}

/// Date-times a schema wants longer than the plain form (`minLength` 24)
/// keep their length when the mock moves a sub-resource's timeline into
/// its parent's: every answer validates, the moved ones included.
#[tokio::test]
async fn long_date_times_stay_long_when_moved_into_a_parents_timeline() {
    let stamp = json!({"type": "string", "format": "date-time", "minLength": 24});
    let object = |id_prefix: &str| {
        json!({
            "type": "object",
            "required": ["id", "created_at", "updated_at"],
            "x-decoy-timeline": ["created_at", "updated_at"],
            "properties": {
                "id": {"type": "string", "x-decoy-id-prefix": id_prefix},
                "created_at": stamp,
                "updated_at": stamp
            }
        })
    };
    let answer = |schema: &str| {
        json!({"responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": format!("#/components/schemas/{schema}")}
        }}}}})
    };
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "long stamps", "version": "1"},
        "paths": {
            "/things/{id}": {"parameters": [{"name": "id", "in": "path", "required": true,
                "schema": {"type": "string"}}], "get": answer("Thing")},
            "/things/{id}/parts": {"parameters": [{"name": "id", "in": "path", "required": true,
                "schema": {"type": "string"}}], "get": answer("Part")}
        },
        "components": {"schemas": {"Thing": object("th_"), "Part": object("pt_")}}
    });
    let spec = Spec::parse(&doc.to_string(), "long-stamps.json").expect("parses");
    let validators = Validators::new(&spec);
    let server = MockServer::builder()
        .start(Spec::parse(&doc.to_string(), "long-stamps.json").unwrap())
        .await
        .unwrap();
    for n in 0..20 {
        for (path, schema) in [
            (format!("/things/th_{n}"), "Thing"),
            (format!("/things/th_{n}/parts"), "Part"),
        ] {
            let reply = get(&server, &path).await;
            assert_eq!(reply.status, 200, "{path}");
            let body = reply.json();
            let pointer = format!("/components/schemas/{schema}");
            let violations = validators.compile(&pointer).unwrap().validate(&body);
            assert!(violations.is_empty(), "{path}: {body} {violations:?}");
        }
    }
}
