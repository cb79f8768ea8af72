//! `decoy proxy` over real sockets: in front of decoy mock (nothing to
//! report), in front of the faulty Calls implementation (each response bug
//! class found), `--strict` (rejects what the mock rejects), record then
//! replay (the same bytes), an https upstream with its own CA, and hostile
//! upstreams (a clear 502 or 504, in bounded time and memory).
//!
//! Timeouts are set short through `Config`; nothing sleeps to wait (a hostile
//! upstream sleeps between its own writes; assertions wait on events, with a
//! generous deadline that only guards against a hang).

use std::net::SocketAddr;
use std::time::Duration;

use decoy_conform::Check;
use decoy_mock::MockServer;
use decoy_proxy::{Config, Proxy, Report};
use decoy_spec::Spec;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::faulty::{Bug, Faulty, TOKEN, calls_path};
use crate::hostile::rss_kib;
use crate::util::http::{Reply, raw, request};
use crate::util::{Scratch, decoy, parts, wild_dir};

/// Guards against a hang on a loaded 2-core machine; never a measurement.
const DEADLINE: Duration = Duration::from_secs(60);

fn calls() -> Spec {
    Spec::load(&calls_path()).expect("the Calls document loads")
}

fn petstore() -> Spec {
    Spec::load(&wild_dir().join("swaggerapi-petstore3.yaml")).expect("petstore3 loads")
}

async fn start(spec: Spec, upstream: String, tune: impl FnOnce(&mut Config)) -> Proxy {
    let mut config = Config::new(upstream);
    config.port = 0;
    tune(&mut config);
    Proxy::start(spec, config).await.expect("the proxy starts")
}

async fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    raw(&addr, &request(method, target, headers, body)).await
}

const AUTH: (&str, &str) = ("Authorization", "Bearer t");
const JSON: (&str, &str) = ("Content-Type", "application/json");

/// Valid traffic over every Calls operation, a warm transfer completed and
/// another cancelled, as a frontend would send it.
async fn calls_session(addr: SocketAddr) {
    for path in ["", "/events", "/report", "/recording"] {
        let r = send(
            addr,
            "GET",
            &format!("/v1/calls/call_1{path}"),
            &[AUTH],
            None,
        )
        .await;
        assert_eq!(
            r.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let r = send(
        addr,
        "POST",
        "/v1/calls/call_1/report/finalize",
        &[AUTH, JSON],
        Some("{}"),
    )
    .await;
    assert!(r.status < 300, "{}", String::from_utf8_lossy(&r.body));
    let blind = r#"{"to": "+14155550123"}"#;
    let r = send(
        addr,
        "POST",
        "/v1/calls/call_1/transfers/blind",
        &[AUTH, JSON],
        Some(blind),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    for action in ["complete", "cancel"] {
        let warm = r#"{"to": "+14155550124"}"#;
        let r = send(
            addr,
            "POST",
            "/v1/calls/call_1/transfers/warm",
            &[AUTH, JSON],
            Some(warm),
        )
        .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let id = r.json()["id"].as_str().expect("a transfer id").to_owned();
        let r = send(
            addr,
            "POST",
            &format!("/v1/calls/call_1/transfers/{id}/{action}"),
            &[AUTH, JSON],
            Some("{}"),
        )
        .await;
        assert_eq!(
            r.status,
            200,
            "{action}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
}

#[tokio::test]
async fn in_front_of_the_mock_valid_traffic_reports_nothing() {
    let mock = MockServer::start(calls()).await;
    let proxy = start(calls(), mock.uri(), |_| {}).await;
    calls_session(proxy.address()).await;
    let report = proxy.stop().await;
    assert!(report.passed(), "{}", report.render_text(false));
    assert_eq!(report.exit_code(), 0);
    assert!(
        report.never_exercised().is_empty(),
        "{:?}",
        report.never_exercised()
    );
    let junit = report.to_junit();
    assert!(junit.contains("failures=\"0\""), "{junit}");
    assert!(junit.contains("skipped=\"0\""), "{junit}");
}

/// `decoy test` against a fresh mock of `spec`, through a proxy when
/// `proxied`: decoy test's report, and the proxy's.
async fn conform_run(spec: &Spec, proxied: bool) -> (decoy_conform::Report, Option<Report>) {
    let mock = MockServer::builder()
        .token("t")
        .start(spec.clone())
        .await
        .unwrap();
    let proxy = match proxied {
        true => Some(start(spec.clone(), mock.uri(), |_| {}).await),
        false => None,
    };
    let target = proxy.as_ref().map_or_else(|| mock.uri(), Proxy::uri);
    let mut config = decoy_conform::Config::new(target);
    config.token = Some("t".into());
    config.cases = 10;
    config.sequences = 5;
    config.seed = 3;
    let conform = decoy_conform::run(spec, config)
        .await
        .expect("the run completes");
    let report = match proxy {
        Some(p) => Some(p.stop().await),
        None => None,
    };
    (conform, report)
}

/// `decoy test` run through the proxy finds what it finds without it, and
/// the proxy holds nothing against the mock's responses beyond what
/// decoy test holds; what it reports is the invalid requests decoy test
/// sends on purpose.
async fn conform_through(spec: Spec) -> Report {
    let (direct, _) = conform_run(&spec, false).await;
    let (through, report) = conform_run(&spec, true).await;
    let report = report.unwrap();
    let keys = |r: &decoy_conform::Report| -> Vec<(String, String)> {
        r.findings
            .iter()
            .map(|f| (f.check.to_string(), f.operation.clone()))
            .collect()
    };
    assert_eq!(
        keys(&direct),
        keys(&through),
        "the proxy changed what decoy test sees"
    );
    let text = report.render_text(false);
    assert!(report.exchanges > 0);
    for f in report
        .findings
        .iter()
        .filter(|f| !f.check.starts_with("request-"))
    {
        assert!(
            keys(&through).contains(&(f.check.clone(), f.operation.clone())),
            "a response finding decoy test does not share:\n{text}"
        );
    }
    report
}

#[tokio::test]
async fn decoy_test_through_the_proxy_in_front_of_the_mock() {
    let report = conform_through(calls()).await;
    // The mock keeps the Calls contract: only decoy test's deliberate
    // probes without credentials and with broken bodies are reported.
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.check.starts_with("request-"))
    );
    assert!(report.findings_of("request-auth").next().is_some());
    assert!(report.findings_of("request-body").next().is_some());
    let report = conform_through(petstore()).await;
    assert!(report.findings_of("request-parameters").next().is_some());
}

/// What the proxy must report for each bug of the faulty build, seen only
/// through the traffic `decoy test` sends: (bug, check, operation).
const RESPONSE_BUGS: [(Bug, Check, &str); 15] = [
    (Bug::MissingRequired, Check::ResponseSchema, "getCall"),
    (Bug::WrongType, Check::ResponseSchema, "listCallEvents"),
    (Bug::OutsideEnum, Check::ResponseSchema, "getCall"),
    (Bug::NullNotAllowed, Check::ResponseSchema, "getCallReport"),
    (
        Bug::MalformedDateTime,
        Check::ResponseSchema,
        "blindTransfer",
    ),
    (
        Bug::UndocumentedStatus,
        Check::StatusDocumented,
        "getCallRecording",
    ),
    (Bug::WrongContentType, Check::ContentType, "getCallReport"),
    (
        Bug::AuthNotEnforced,
        Check::AuthRequired,
        "getCallRecording",
    ),
    (
        Bug::InvalidBodyAccepted,
        Check::NegativeRejected,
        "blindTransfer",
    ),
    (Bug::ServerErrorOnOddId, Check::ServerError, "getCall"),
    (Bug::DeepNestedViolation, Check::ResponseSchema, "getCall"),
    (
        Bug::PatternViolation,
        Check::ResponseSchema,
        "finalizeCallReport",
    ),
    (Bug::WrongErrorShape, Check::ResponseSchema, "getCall"),
    (Bug::Intermittent, Check::ResponseSchema, "getCallReport"),
    (Bug::CrashOnLargeBody, Check::Transport, "blindTransfer"),
];

async fn through_faulty(bug: Option<Bug>) -> Report {
    let faulty = Faulty::start(bug).await;
    let proxy = start(calls(), faulty.uri(), |_| {}).await;
    let mut config = decoy_conform::Config::new(proxy.uri());
    config.token = Some(TOKEN.into());
    config.ids.push(("id".into(), "call_1".into()));
    config.cases = 25;
    config.sequences = 10;
    config.seed = 5;
    decoy_conform::run(&calls(), config)
        .await
        .expect("the run completes");
    proxy.stop().await
}

#[tokio::test]
async fn in_front_of_the_faulty_build_every_response_bug_class_is_reported() {
    let clean = through_faulty(None).await;
    let response_side: Vec<_> = clean
        .findings
        .iter()
        .filter(|f| !f.check.starts_with("request-"))
        .collect();
    assert!(response_side.is_empty(), "{}", clean.render_text(false));
    for (bug, check, operation) in RESPONSE_BUGS {
        let report = through_faulty(Some(bug)).await;
        let text = report.render_text(false);
        let f = report
            .findings
            .iter()
            .find(|f| f.check == check.name() && f.operation == operation)
            .unwrap_or_else(|| panic!("{bug:?}: no {check} finding on {operation}:\n{text}"));
        assert!(f.curl.starts_with("curl "), "{text}");
        assert_eq!(report.exit_code(), 1);
        if check == Check::ResponseSchema {
            assert!(!f.violations.is_empty(), "{bug:?}: no pointers\n{text}");
            assert!(f.body.is_some(), "{bug:?}: no offending body\n{text}");
        }
        if bug == Bug::DeepNestedViolation {
            let at = "/report/transcript/entries/3/source";
            assert!(
                f.violations.iter().any(|v| v.instance_pointer == at),
                "{text}"
            );
        }
    }
    // The other two classes (a state machine that allows a forbidden
    // transition, a created resource missing from its listing) need
    // decoy test's sequence oracles: no single exchange shows them.
    assert_eq!(RESPONSE_BUGS.len() + 2, Bug::ALL.len());
}

/// An upstream that answers `response` (raw bytes) to anything.
async fn canned(response: &'static [u8]) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(response).await;
            });
        }
    });
    (format!("http://{addr}"), task)
}

/// An upstream that answers 200 `{}` to anything: it would take every
/// invalid request, so only the proxy can refuse them.
async fn yes_upstream() -> (String, tokio::task::JoinHandle<()>) {
    canned(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}").await
}

#[tokio::test]
async fn a_304_to_a_conditional_request_is_not_held_against_the_upstream() {
    let (up, _task) =
        canned(b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n").await;
    let proxy = start(calls(), up, |_| {}).await;
    let cached = [AUTH, ("If-None-Match", "\"v1\"")];
    let r = send(proxy.address(), "GET", "/v1/calls/call_1", &cached, None).await;
    assert_eq!(r.status, 304);
    assert!(
        proxy.report().passed(),
        "{}",
        proxy.report().render_text(false)
    );
    // Unasked for, a 304 is an undocumented status.
    send(proxy.address(), "GET", "/v1/calls/call_1", &[AUTH], None).await;
    let report = proxy.stop().await;
    assert_eq!(report.findings_of("status-documented").count(), 1);
}

type Case = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
    Option<&'static str>,
);

async fn strict_agrees_with_the_mock(spec: Spec, cases: Vec<Case>) {
    let mock = MockServer::builder()
        .stateless(true)
        .start(spec.clone())
        .await
        .unwrap();
    let (yes, _task) = yes_upstream().await;
    let proxy = start(spec, yes, |c| c.strict = true).await;
    let mut rejected = 0;
    for (method, target, headers, body) in &cases {
        let direct = send(*mock.address(), method, target, headers, *body).await;
        let through = send(proxy.address(), method, target, headers, *body).await;
        if direct.status >= 400 {
            rejected += 1;
            assert_eq!(
                (through.status, through.json()),
                (direct.status, direct.json()),
                "{method} {target}: the strict proxy answered otherwise than the mock"
            );
        } else {
            // Forwarded: the yes-upstream's answer.
            assert_eq!(
                (through.status, through.body.as_slice()),
                (200, &b"{}"[..]),
                "{method} {target}"
            );
        }
    }
    let report = proxy.stop().await;
    assert_eq!(report.rejected, rejected, "{}", report.render_text(false));
    assert!(rejected >= 4);
}

#[tokio::test]
async fn strict_rejects_what_the_mock_rejects() {
    let calls_cases: Vec<Case> = vec![
        ("GET", "/v1/calls/call_1", vec![AUTH], None),
        ("GET", "/v1/calls/call_1", vec![], None),
        ("GET", "/v1/nowhere", vec![AUTH], None),
        ("DELETE", "/v1/calls/call_1", vec![AUTH], None),
        (
            "POST",
            "/v1/calls/call_1/transfers/blind",
            vec![AUTH, JSON],
            Some(r#"{"to": "+14155550123"}"#),
        ),
        (
            "POST",
            "/v1/calls/call_1/transfers/blind",
            vec![AUTH, JSON],
            Some(r#"{"to": 7}"#),
        ),
        (
            "POST",
            "/v1/calls/call_1/transfers/blind",
            vec![AUTH, JSON],
            Some("{\"to\": "),
        ),
        (
            "POST",
            "/v1/calls/call_1/transfers/blind",
            vec![AUTH, ("Content-Type", "text/plain")],
            Some("hi"),
        ),
        (
            "POST",
            "/v1/calls/call_1/transfers/blind",
            vec![AUTH, JSON],
            None,
        ),
    ];
    strict_agrees_with_the_mock(calls(), calls_cases).await;
    let pet_cases: Vec<Case> = vec![
        (
            "GET",
            "/api/v3/pet/findByStatus?status=sold",
            vec![AUTH],
            None,
        ),
        (
            "GET",
            "/api/v3/pet/findByStatus?status=lost",
            vec![AUTH],
            None,
        ),
        ("GET", "/api/v3/pet/12", vec![("api_key", "k")], None),
        ("GET", "/api/v3/pet/twelve", vec![("api_key", "k")], None),
        ("GET", "/api/v3/store/inventory", vec![], None),
        ("GET", "/api/v3/store/order/abc", vec![], None),
        (
            "POST",
            "/api/v3/store/order",
            vec![JSON],
            Some(r#"{"id": 1, "quantity": "many"}"#),
        ),
        (
            "POST",
            "/api/v3/store/order",
            vec![JSON],
            Some(r#"{"id": 1, "quantity": 2}"#),
        ),
    ];
    strict_agrees_with_the_mock(petstore(), pet_cases).await;
}

/// Requests whose answers are recorded, then replayed; the blind transfer
/// is sent three times (three different recorded answers, replayed in
/// order) and the login carries a password the recording must not keep.
async fn record_session(addr: SocketAddr) -> Vec<Reply> {
    let mut out = Vec::new();
    for _ in 0..3 {
        out.push(
            send(
                addr,
                "POST",
                "/v1/calls/call_9/transfers/blind",
                &[AUTH, JSON],
                Some(r#"{"to": "+14155550123"}"#),
            )
            .await,
        );
    }
    out.push(send(addr, "GET", "/v1/calls/call_9", &[AUTH], None).await);
    out.push(send(addr, "GET", "/v1/calls/call_9/events", &[AUTH], None).await);
    out
}

/// A document whose API key travels in the query, as many public APIs do.
const QUERY_KEY_DOC: &str = r#"
openapi: 3.1.0
info: {title: Weather, version: "1"}
components:
  securitySchemes:
    key: {type: apiKey, in: query, name: appid}
security: [{key: []}]
paths:
  /forecast:
    get:
      operationId: forecast
      parameters:
        - {name: city, in: query, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [city, celsius]
                properties:
                  city: {type: string}
                  celsius: {type: number, minimum: -60, maximum: 60}
"#;

#[tokio::test]
async fn a_query_api_key_is_redacted_in_recordings_and_replays_for_any_key() {
    let spec = || Spec::parse(QUERY_KEY_DOC, "weather.yaml").unwrap();
    let file = Scratch::new("proxy-record-query-key.ndjson", "");
    let mock = MockServer::builder().seed(1).start(spec()).await.unwrap();
    let proxy = start(spec(), mock.uri(), |c| {
        c.record = Some(file.0.clone());
        c.redact.push("city".into());
    })
    .await;
    let target = "/forecast?city=Oslo&appid=s3cret-key";
    let recorded = send(proxy.address(), "GET", target, &[], None).await;
    assert_eq!(
        recorded.status,
        200,
        "{}",
        String::from_utf8_lossy(&recorded.body)
    );
    proxy.stop().await;

    let text = std::fs::read_to_string(&file.0).unwrap();
    assert!(!text.contains("s3cret"), "an API key was recorded:\n{text}");
    assert!(
        !text.contains("Oslo"),
        "a --redact name was recorded:\n{text}"
    );
    let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        line["request"]["query"], "city=[redacted]&appid=[redacted]",
        "{line}"
    );

    // Replayed for another key and city (a redacted value matches any), from
    // a mock whose own seed would answer differently.
    let mut config = decoy_mock::Config::default();
    config.seed = 2;
    config.replay = Some(std::sync::Arc::new(
        decoy_mock::replay::Replay::load(&file.0).unwrap(),
    ));
    let replaying = MockServer::builder()
        .config(config)
        .start(spec())
        .await
        .unwrap();
    let target = "/forecast?appid=another&city=Bergen";
    let replayed = send(*replaying.address(), "GET", target, &[], None).await;
    assert_eq!(replayed.body, recorded.body);
    let unrecorded = MockServer::builder().seed(2).start(spec()).await.unwrap();
    let generated = send(*unrecorded.address(), "GET", target, &[], None).await;
    assert_ne!(
        generated.body, recorded.body,
        "seed 2 alone answers differently"
    );
}

#[tokio::test]
async fn record_then_replay_serves_the_same_bytes() {
    let file = Scratch::new("proxy-record.ndjson", "");
    let mock = MockServer::builder().seed(1).start(calls()).await.unwrap();
    let proxy = start(calls(), mock.uri(), |c| {
        c.record = Some(file.0.clone());
        c.redact.push("/to".into());
    })
    .await;
    let recorded = record_session(proxy.address()).await;
    let report = proxy.stop().await;
    assert!(report.passed(), "{}", report.render_text(false));
    // Each blind transfer made a new transfer: three different answers.
    assert_ne!(recorded[0].body, recorded[1].body);
    assert_ne!(recorded[1].body, recorded[2].body);

    let text = std::fs::read_to_string(&file.0).unwrap();
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(
        !text.contains("Bearer t"),
        "a credential was recorded:\n{text}"
    );
    // The pointer is redacted in request bodies (the response echoes the
    // number under another name, which --redact did not name).
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let body = v["request"]["body"].as_str().unwrap_or("");
        assert!(
            !body.contains("+14155550123"),
            "a redacted value was recorded:\n{line}"
        );
    }

    // Another seed: whatever is not replayed would differ.
    let replay = decoy_mock::replay::Replay::load(&file.0).unwrap();
    assert_eq!(replay.len(), 5);
    let mut config = decoy_mock::Config::default();
    config.seed = 2;
    config.replay = Some(std::sync::Arc::new(replay));
    let replaying = MockServer::builder()
        .config(config)
        .start(calls())
        .await
        .unwrap();
    let replayed = record_session(*replaying.address()).await;
    for (a, b) in recorded.iter().zip(&replayed) {
        assert_eq!(a.status, b.status);
        assert_eq!(a.body, b.body, "{}", String::from_utf8_lossy(&b.body));
        assert_eq!(a.header("content-type"), b.header("content-type"));
    }
    // Past the recorded answers, the last one repeats.
    let again = send(
        *replaying.address(),
        "POST",
        "/v1/calls/call_9/transfers/blind",
        &[AUTH, JSON],
        Some(r#"{ "to": "+14155550199" }"#),
    )
    .await;
    assert_eq!(again.body, recorded[2].body);
    // Not recorded: generated as usual, from the replaying mock's seed.
    let other = send(
        *replaying.address(),
        "GET",
        "/v1/calls/call_10",
        &[AUTH],
        None,
    )
    .await;
    let plain = MockServer::builder().seed(2).start(calls()).await.unwrap();
    let expected = send(*plain.address(), "GET", "/v1/calls/call_10", &[AUTH], None).await;
    assert_eq!(other.body, expected.body);
}

#[test]
fn a_broken_recording_is_a_usage_error_naming_the_line() {
    let line = r#"{"request": {"method": "GET"}, "response": {"status": 200}}"#;
    let file = Scratch::new("proxy-broken.ndjson", &format!("{line}\n"));
    let (code, _, err) = parts(&decoy(&["mock", "--replay", file.path(), "--port", "0"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(":1: /request/path: expected a string"),
        "{err}"
    );
}

/// A self-signed CA and a certificate it signs for 127.0.0.1 and localhost.
fn test_ca() -> (String, rustls::ServerConfig) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (ca_cert.pem(), server)
}

/// An https server with the test CA's certificate: answers a Calls call.
async fn tls_upstream(config: rustls::ServerConfig) -> SocketAddr {
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(s).await else {
                    return;
                };
                let mut buf = vec![0u8; 16 * 1024];
                let _ = tls.read(&mut buf).await;
                let body = br#"{"error": "not found", "code": "NOT_FOUND"}"#;
                let head = format!(
                    "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(body).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn an_https_upstream_with_its_own_ca() {
    let (ca_pem, server) = test_ca();
    let upstream = tls_upstream(server).await;
    let ca = Scratch::new("proxy-ca.pem", &ca_pem);
    let url = format!("https://localhost:{}", upstream.port());
    let proxy = start(calls(), url.clone(), |c| c.upstream_ca = Some(ca.0.clone())).await;
    let r = send(proxy.address(), "GET", "/v1/calls/nope", &[AUTH], None).await;
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["code"], "NOT_FOUND");
    let report = proxy.stop().await;
    assert!(report.passed(), "{}", report.render_text(false));

    // Without the CA the certificate is not trusted: a clear 502.
    let proxy = start(calls(), url, |_| {}).await;
    let r = send(proxy.address(), "GET", "/v1/calls/nope", &[AUTH], None).await;
    assert_eq!(r.status, 502);
    let body = r.json();
    assert_eq!(body["error"], "connect", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("certificate"),
        "{body}"
    );

    // A file without a certificate is refused at start.
    let empty = Scratch::new("proxy-empty.pem", "not a certificate\n");
    let mut config = Config::new("https://localhost:1");
    config.port = 0;
    config.upstream_ca = Some(empty.0.clone());
    let err = Proxy::start(calls(), config).await.err().expect("refused");
    assert!(err.to_string().contains("no CERTIFICATE"), "{err}");
}

/// How a hostile upstream behaves once a request has arrived.
#[derive(Debug, Clone, Copy)]
enum Hostile {
    /// Reads the request, says nothing, keeps the connection open.
    Silent,
    /// Reads the request and resets the connection.
    Reset,
    /// Sends a 200 head, then a byte now and then, forever.
    Trickle,
    /// Sends a 200 head, then 64 KiB chunks as fast as it can, forever.
    Flood,
    /// Sends a valid 10 MB JSON body with its length.
    Huge,
}

const HUGE: usize = 10 * 1024 * 1024;

async fn hostile(kind: Hostile) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                if let Hostile::Reset = kind {
                    // Closing with the request unread makes the kernel
                    // send a reset rather than a clean close.
                    let _ = s.peek(&mut buf).await;
                    drop(s);
                    return;
                }
                let _ = s.read(&mut buf).await;
                let chunked = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
                match kind {
                    Hostile::Silent => {
                        let _ = s.read(&mut buf).await;
                    }
                    Hostile::Reset => {}
                    Hostile::Trickle => {
                        let _ = s.write_all(chunked.as_bytes()).await;
                        while s.write_all(b"1\r\n \r\n").await.is_ok() {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                    Hostile::Flood => {
                        let _ = s.write_all(chunked.as_bytes()).await;
                        let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
                        while s.write_all(chunk.as_bytes()).await.is_ok() {}
                    }
                    Hostile::Huge => {
                        let mut body = String::with_capacity(HUGE);
                        body.push_str("{\"id\": \"call_1\", \"pad\": \"");
                        body.push_str(&"x".repeat(HUGE - body.len() - 2));
                        body.push_str("\"}");
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                            body.len()
                        );
                        let _ = s.write_all(head.as_bytes()).await;
                        let _ = s.write_all(body.as_bytes()).await;
                    }
                }
            });
        }
    });
    addr
}

async fn behind(kind: Hostile) -> Proxy {
    let addr = hostile(kind).await;
    start(calls(), format!("http://{addr}"), |c| {
        c.upstream_timeout = Duration::from_millis(500);
        c.stream_timeout = Duration::from_millis(500);
        c.max_body_bytes = 256 * 1024;
    })
    .await
}

fn transport_finding(report: &Report, fragment: &str) {
    let text = report.render_text(false);
    assert!(
        report
            .findings_of("transport")
            .any(|f| f.message.contains(fragment)),
        "no transport finding saying `{fragment}`:\n{text}"
    );
}

#[tokio::test]
async fn hostile_upstreams_get_a_clear_502_or_504() {
    let cases = [
        (Hostile::Silent, 504, "no-response", "sent no response"),
        (Hostile::Reset, 502, "closed", "closed the connection"),
        (
            Hostile::Trickle,
            504,
            "body-timeout",
            "did not finish its response body",
        ),
    ];
    for (kind, status, error, says) in cases {
        let proxy = behind(kind).await;
        let r = send(proxy.address(), "GET", "/v1/calls/call_1", &[AUTH], None).await;
        assert_eq!(r.status, status, "{kind:?}");
        let body = r.json();
        assert_eq!(body["error"], error, "{kind:?}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(says),
            "{kind:?}: {body}"
        );
        transport_finding(&proxy.stop().await, says);
    }

    // Nobody listening: refused.
    let gone = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let proxy = start(calls(), format!("http://{gone}"), |_| {}).await;
    let r = send(proxy.address(), "GET", "/v1/calls/call_1", &[AUTH], None).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.json()["error"], "connect");
    transport_finding(&proxy.stop().await, "could not be reached");
}

/// Sends a GET and reads the answer without keeping it: the bytes that
/// came, and whether the response ended properly (a final chunk).
async fn drain(addr: SocketAddr, target: &str) -> (usize, bool) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "GET {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    let mut tail = Vec::new();
    let read = tokio::time::timeout(DEADLINE, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    total += n;
                    tail.extend_from_slice(&buf[..n]);
                    let keep = tail.len().saturating_sub(8);
                    tail.drain(..keep);
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the stream was not cut within {DEADLINE:?}");
    (total, tail.ends_with(b"0\r\n\r\n"))
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_stream_deadline_in_bounded_memory() {
    let proxy = behind(Hostile::Flood).await;
    let before = rss_kib();
    // Over the validation limit: it streams through until the deadline cuts
    // it, so the client's read ends, without the final chunk, instead of
    // running forever; the proxy holds one chunk at a time.
    let (bytes, complete) = drain(proxy.address(), "/v1/calls/call_1").await;
    let grown = rss_kib().saturating_sub(before);
    assert!(
        !complete,
        "an endless body ended properly after {bytes} bytes"
    );
    assert!(bytes > 256 * 1024, "only {bytes} bytes came through");
    assert!(
        grown < 64 * 1024,
        "memory grew by {grown} KiB while {bytes} bytes streamed through"
    );
    let report = proxy.stop().await;
    transport_finding(&report, "still streaming");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.message.contains("passed through unvalidated"))
    );
}

#[tokio::test]
async fn a_body_over_the_limit_passes_through_unvalidated_with_a_note() {
    let proxy = behind(Hostile::Huge).await;
    let r = send(proxy.address(), "GET", "/v1/calls/call_1", &[AUTH], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), HUGE);
    assert!(r.body.starts_with(b"{\"id\": \"call_1\""));
    let report = proxy.stop().await;
    let text = report.render_text(false);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.message.contains("passed through unvalidated")),
        "{text}"
    );
    // Not validated, so no schema finding for a body decoy never read whole.
    assert!(
        report.findings_of("response-schema").next().is_none(),
        "{text}"
    );
    assert!(report.findings_of("transport").next().is_none(), "{text}");
}

#[tokio::test]
async fn the_cli_runs_a_command_through_the_proxy_and_writes_junit() {
    let mock = MockServer::start(calls()).await;
    let junit = Scratch::new("proxy-junit.xml", "");
    let json_report = Scratch::new("proxy-report.json", "");
    let upstream = mock.uri();
    let script = "curl -s -o /dev/null -H 'Authorization: Bearer t' $DECOY_PROXY_URL/v1/calls/c1 \
                  && curl -s -o /dev/null $DECOY_PROXY_URL/v1/calls/c1";
    let args: Vec<String> = [
        "proxy",
        "--upstream",
        &upstream,
        "--port",
        "0",
        "--log",
        "json",
        "--report",
        &format!("junit={}", junit.path()),
        "--report",
        &format!("json={}", json_report.path()),
        "--",
        "sh",
        "-c",
        script,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        decoy(&args)
    })
    .await
    .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    // One JSON line per exchange, the second with its violation.
    let events: Vec<Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{stdout}");
    assert_eq!(events[0]["findings"], json!([]));
    assert_eq!(events[1]["findings"][0]["check"], "request-auth");
    let xml = std::fs::read_to_string(&junit.0).unwrap();
    assert!(
        xml.contains("<testcase classname=\"getCall\" name=\"request-auth\">"),
        "{xml}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_report.0).unwrap()).unwrap();
    assert_eq!(report["exchanges"], 2);
    assert!(report["never_exercised"].as_array().unwrap().len() == 8);
    assert!(stdout.contains("1 findings: 2 exchanges"), "{stdout}");
}

#[test]
fn a_bad_upstream_is_a_usage_error() {
    let (code, _, err) = parts(&decoy(&["proxy", "--upstream", "ftp://x", "--port", "0"]));
    assert_eq!(code, 2);
    assert!(err.contains("only http:// and https:// upstreams"), "{err}");
}

/// The README's example of a violation printed as it happens is what the
/// proxy prints (timing and port aside).
#[tokio::test]
async fn the_readme_example_violation_is_what_the_proxy_prints() {
    let readme = std::fs::read_to_string(crate::util::root().join("README.md")).unwrap();
    let block = readme
        .split("```text\nPOST /v1/calls/abc/transfers/blind")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the README shows a proxy violation");
    let expected = format!("POST /v1/calls/abc/transfers/blind{block}");
    let faulty = Faulty::start(Some(Bug::MalformedDateTime)).await;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx = std::sync::Mutex::new(tx);
    let proxy = start(calls(), faulty.uri(), move |c| {
        c.on_event = Some(std::sync::Arc::new(move |e: &decoy_proxy::Event| {
            let _ = tx.lock().unwrap().send(e.to_text(false));
        }));
    })
    .await;
    let token = format!("Bearer {TOKEN}");
    send(
        proxy.address(),
        "POST",
        "/v1/calls/abc/transfers/blind",
        &[("Authorization", &token), JSON],
        Some(r#"{"to":"+14155550123"}"#),
    )
    .await;
    let printed = rx.recv_timeout(DEADLINE).unwrap();
    let normal = |s: &str| -> String {
        let s = s.replace(&faulty.uri(), "http://127.0.0.1:8080");
        let (first, rest) = s.split_once('\n').unwrap_or((&s, ""));
        let first = first.rsplit_once(' ').map_or(first, |(a, _)| a);
        format!("{first} [ms]\n{rest}")
    };
    assert_eq!(normal(&printed), normal(&expected));
}
