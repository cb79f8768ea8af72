//! `decoy test` (decoy-conform) against the faulty Calls implementation in
//! `faulty.rs`: no findings on the correct build, and each bug class found
//! with a reproduction; and against `decoy mock` on the same document.

use decoy_conform::{Check, Config, Finding, Report};
use decoy_spec::Spec;

use crate::faulty::{Bug, Faulty, TOKEN, calls_path};

const SEED: u64 = 5;

fn config(uri: String) -> Config {
    let mut config = Config::new(uri);
    config.token = Some(TOKEN.into());
    config.ids.push(("id".into(), "call_1".into()));
    config.cases = 25;
    config.sequences = 40;
    config.seed = SEED;
    config
}

async fn run(bug: Option<Bug>) -> Report {
    let server = Faulty::start(bug).await;
    let spec = Spec::load(&calls_path()).expect("document");
    decoy_conform::run(&spec, config(server.uri()))
        .await
        .expect("the run completes")
}

/// Like [`run`], and the rendered report (what a user reads) matches its
/// committed snapshot `snapshots/conform_<Bug>.snap`, with ports, timings
/// and rates filtered out. Review changes with `cargo insta review`.
async fn run_snap(bug: Bug) -> Report {
    let report = run(Some(bug)).await;
    let text = report
        .render_text(decoy_conform::TextOptions::colour(false))
        .replace(&report.target, "http://127.0.0.1:[PORT]");
    crate::util::snapshots(|| {
        let mut settings = insta::Settings::clone_current();
        // Timings in the coverage table and the summary line.
        // The mean's width varies with its value: fix it, or the table
        // shifts on a loaded machine.
        settings.add_filter(r"(?m)^(\S+ +\d+) +\d+\.\d+", "${1}      [ms]");
        settings.add_filter(r"in \d+\.\d+s", "in [s]");
        settings.bind(|| insta::assert_snapshot!(format!("conform_{bug:?}"), text));
    });
    report
}

/// The report has a finding of `check` on `operation` with a reproduction
/// (seed and curl line or script); returns it.
fn found<'r>(report: &'r Report, check: Check, operation: &str) -> &'r Finding {
    let text = report.render_text(Default::default());
    let f = report
        .findings
        .iter()
        .find(|f| f.check == check && f.operation == operation)
        .unwrap_or_else(|| panic!("no {check} finding on {operation}:\n{text}"));
    assert_eq!(f.reproduction.seed, SEED, "{text}");
    assert!(f.reproduction.script.contains("curl "), "{text}");
    // Pasteable: no raw control byte but the newlines between commands.
    assert!(
        !f.reproduction
            .script
            .chars()
            .any(|c| c.is_control() && c != '\n'),
        "{:?}",
        f.reproduction.script
    );
    assert_eq!(report.exit_code(), 1);
    f
}

/// Like [`found`], and the reproduction was shrunk (or is a fixed probe).
fn found_shrunk<'r>(report: &'r Report, check: Check, operation: &str) -> &'r Finding {
    let f = found(report, check, operation);
    assert!(
        f.reproduction.shrunk,
        "not shrunk:\n{}",
        report.render_text(Default::default())
    );
    assert!(!f.flaky);
    f
}

fn pointer_hit(f: &Finding, pointer: &str) -> bool {
    f.violations.iter().any(|v| v.instance_pointer == pointer)
}

#[tokio::test]
async fn correct_build_has_no_findings() {
    let report = run(None).await;
    assert!(
        report.findings.is_empty(),
        "{}",
        report.render_text(Default::default())
    );
    assert_eq!(report.exit_code(), 0);
    // Every operation was exercised, and its 200 seen.
    for c in &report.coverage {
        assert!(c.seen.contains_key(&200), "{}", report.coverage_table());
    }
}

#[tokio::test]
async fn missing_required_field() {
    let report = run_snap(Bug::MissingRequired).await;
    let f = found_shrunk(&report, Check::ResponseSchema, "getCall");
    assert!(
        f.violations
            .iter()
            .any(|v| v.keyword == "required" && v.message.contains("language"))
    );
}

#[tokio::test]
async fn wrong_type() {
    let report = run_snap(Bug::WrongType).await;
    let f = found_shrunk(&report, Check::ResponseSchema, "listCallEvents");
    assert!(pointer_hit(f, "/events/0/sip_status_code"));
}

#[tokio::test]
async fn value_outside_enum() {
    let report = run_snap(Bug::OutsideEnum).await;
    let f = found_shrunk(&report, Check::ResponseSchema, "getCall");
    assert!(
        f.violations
            .iter()
            .any(|v| v.instance_pointer == "/transcript/entries/0/source" && v.keyword == "enum")
    );
}

#[tokio::test]
async fn null_where_not_allowed() {
    let report = run_snap(Bug::NullNotAllowed).await;
    let f = found_shrunk(&report, Check::ResponseSchema, "getCallReport");
    assert!(pointer_hit(f, "/summary"));
}

#[tokio::test]
async fn malformed_date_time() {
    let report = run_snap(Bug::MalformedDateTime).await;
    let f = found_shrunk(&report, Check::ResponseSchema, "blindTransfer");
    assert!(
        f.violations
            .iter()
            .any(|v| v.instance_pointer == "/created_at" && v.keyword == "format")
    );
}

#[tokio::test]
async fn undocumented_status() {
    let report = run_snap(Bug::UndocumentedStatus).await;
    let f = found_shrunk(&report, Check::StatusDocumented, "getCallRecording");
    assert_eq!(f.status, Some(202));
}

#[tokio::test]
async fn wrong_content_type() {
    let report = run_snap(Bug::WrongContentType).await;
    found_shrunk(&report, Check::ContentType, "getCallReport");
}

#[tokio::test]
async fn auth_not_enforced() {
    let report = run_snap(Bug::AuthNotEnforced).await;
    let f = found_shrunk(&report, Check::AuthRequired, "getCallRecording");
    assert!(!f.reproduction.script.contains("Authorization"));
    found_shrunk(&report, Check::AuthInvalid, "getCallRecording");
}

#[tokio::test]
async fn invalid_body_accepted() {
    let report = run_snap(Bug::InvalidBodyAccepted).await;
    let f = found_shrunk(&report, Check::NegativeRejected, "blindTransfer");
    assert!(f.message.contains("body"), "{}", f.message);
}

#[tokio::test]
async fn server_error_on_odd_path_ids() {
    let report = run_snap(Bug::ServerErrorOnOddId).await;
    let f = found_shrunk(&report, Check::ServerError, "getCall");
    assert_eq!(f.status, Some(500));
    // The curl line carries the odd id, percent-encoded.
    assert!(
        f.reproduction.script.contains("/v1/calls/"),
        "{}",
        f.reproduction.script
    );
}

#[tokio::test]
async fn deep_nested_violation_after_third_item() {
    let report = run_snap(Bug::DeepNestedViolation).await;
    let f = found_shrunk(&report, Check::ResponseSchema, "getCall");
    assert!(
        pointer_hit(f, "/report/transcript/entries/3/source"),
        "{:?}",
        f.violations
    );
    assert!(!pointer_hit(f, "/report/transcript/entries/2/source"));
}

#[tokio::test]
async fn pattern_violation() {
    let report = run_snap(Bug::PatternViolation).await;
    let f = found_shrunk(&report, Check::ResponseSchema, "finalizeCallReport");
    assert!(
        f.violations
            .iter()
            .any(|v| v.instance_pointer == "/cost_micro_usd" && v.keyword == "pattern")
    );
}

#[tokio::test]
async fn state_bug_needs_a_sequence() {
    let report = run_snap(Bug::StateMachine).await;
    let f = found_shrunk(&report, Check::StatefulConflict, "completeWarmTransfer");
    // The shortest sequence: create a warm transfer, cancel it, complete it.
    let ops: Vec<&str> = f
        .reproduction
        .steps
        .iter()
        .map(|s| s.operation.as_str())
        .collect();
    assert!(
        ops.ends_with(&["cancelWarmTransfer", "completeWarmTransfer"]),
        "{ops:?}"
    );
    assert!(ops.len() <= 4, "{ops:?}");
    assert!(
        f.reproduction.script.contains("$R1"),
        "{}",
        f.reproduction.script
    );
}

#[tokio::test]
async fn wrong_error_body_shape() {
    let report = run_snap(Bug::WrongErrorShape).await;
    let f = report
        .findings
        .iter()
        .find(|f| f.check == Check::ResponseSchema && matches!(f.status, Some(400..=499)))
        .unwrap_or_else(|| panic!("{}", report.render_text(Default::default())));
    assert!(f.violations.iter().any(|v| v.keyword == "required"));
    assert!(f.reproduction.script.contains("curl "));
}

#[tokio::test]
async fn intermittent_violation_is_flaky() {
    let report = run_snap(Bug::Intermittent).await;
    let f = found(&report, Check::ResponseSchema, "getCallReport");
    assert!(f.flaky, "{}", report.render_text(Default::default()));
    assert!(pointer_hit(f, "/analysis_status"));
}

#[tokio::test]
async fn crash_on_large_body() {
    let report = run_snap(Bug::CrashOnLargeBody).await;
    let f = found_shrunk(&report, Check::Transport, "blindTransfer");
    assert!(
        f.reproduction.script.contains("head -c"),
        "{}",
        f.reproduction.script
    );
}

#[tokio::test]
async fn created_resource_missing_from_listing() {
    let report = run_snap(Bug::MissingFromListing).await;
    let f = found_shrunk(&report, Check::Listing, "blindTransfer");
    let ops: Vec<&str> = f
        .reproduction
        .steps
        .iter()
        .map(|s| s.operation.as_str())
        .collect();
    assert_eq!(ops, ["blindTransfer", "getCall"]);
}

#[tokio::test]
async fn every_bug_class_has_a_test() {
    // Keeps this file and `Bug::ALL` in step.
    assert_eq!(Bug::ALL.len(), 17);
}

#[tokio::test]
async fn reports_render() {
    let report = run(Some(Bug::OutsideEnum)).await;
    let junit = report.to_junit();
    assert!(
        junit.contains("<failure type=\"response-schema\""),
        "{junit}"
    );
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("JSON report");
    assert_eq!(json["findings"][0]["check"], "response-schema");
    let text = report.render_text(decoy_conform::TextOptions::colour(false));
    assert!(text.contains("/transcript/entries/0/source"), "{text}");
    assert!(report.coverage_table().contains("getCall"));
}

#[tokio::test]
async fn same_seed_same_report() {
    let a = run(Some(Bug::DeepNestedViolation)).await;
    let b = run(Some(Bug::DeepNestedViolation)).await;
    // The two servers listen on different ports; the rest must agree.
    let scripts = |r: &Report| {
        r.findings
            .iter()
            .map(|f| f.reproduction.script.replace(&r.target, "URL"))
            .collect::<Vec<_>>()
    };
    assert_eq!(scripts(&a), scripts(&b));
}

#[tokio::test]
async fn unreachable_target_is_an_error() {
    // Bind then drop a listener: nothing listens on that port now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let spec = Spec::load(&calls_path()).expect("document");
    let err = decoy_conform::run(&spec, config(format!("http://127.0.0.1:{port}")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, decoy_conform::ConformError::Connect { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn mock_and_runner_agree() {
    let spec = Spec::load(&calls_path()).expect("document");
    let mock = decoy_mock::MockServer::builder()
        .seed(3)
        .token(TOKEN)
        .start(spec.clone())
        .await
        .expect("the mock starts");
    let report = decoy_conform::run(&spec, config(mock.uri()))
        .await
        .expect("the run completes");
    assert!(
        report.findings.is_empty(),
        "{}",
        report.render_text(Default::default())
    );
}

#[tokio::test]
async fn snapshots_record_then_match() {
    let dir = std::env::temp_dir().join(format!("decoy-snapshots-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spec = Spec::load(&calls_path()).expect("document");
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = Faulty::start(None).await;
        let mut c = config(server.uri());
        c.cases = 2;
        c.sequences = 0;
        c.snapshots = Some(dir.clone());
        runs.push(decoy_conform::run(&spec, c).await.expect("run"));
    }
    let first = runs[0].snapshots.as_ref().expect("summary");
    let second = runs[1].snapshots.as_ref().expect("summary");
    assert!(!first.written.is_empty());
    assert_eq!(second.matched.len(), first.written.len(), "{:?}", second);
    assert!(second.changed.is_empty());
    // A changed implementation shows up as a diff, and a .snap.new to review.
    let server = Faulty::start(Some(Bug::OutsideEnum)).await;
    let mut c = config(server.uri());
    c.cases = 1;
    c.sequences = 0;
    c.snapshots = Some(dir.clone());
    let report = decoy_conform::run(&spec, c).await.expect("run");
    let f = found(&report, Check::Snapshot, "getCall");
    assert!(
        f.diff
            .as_deref()
            .is_some_and(|d| d.contains("\"source\": \"caller\"")),
        "{:?}",
        f.diff
    );
    assert!(dir.join("getCall__200.snap.new").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A path parameter with a pattern, and a 400 and 404 to refuse with.
const CODES: &str = r#"
openapi: 3.1.0
info: {title: Codes, version: "1"}
paths:
  /codes/{code}:
    get:
      operationId: getCode
      parameters:
        - {name: code, in: path, required: true, schema: {type: string, pattern: "^[A-Z]{3}$"}}
      responses:
        "200":
          description: A code
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: string}}}
        "400": {description: Not a code}
        "404": {description: No such code}
"#;

fn codes_config(uri: String) -> Config {
    let mut c = Config::new(uri);
    c.cases = 10;
    c.sequences = 0;
    c.seed = SEED;
    c
}

#[tokio::test]
async fn invalid_path_parameters_must_be_refused() {
    // A server that answers 200 to any code, `abc1` included.
    let lax = crate::targets::Target::start(crate::targets::Hostile::Lax).await;
    let spec = Spec::parse(CODES, "codes.yaml").unwrap();
    let report = decoy_conform::run(&spec, codes_config(lax.uri()))
        .await
        .unwrap();
    let f = found_shrunk(&report, Check::NegativeRejected, "getCode");
    assert!(
        f.message
            .starts_with("invalid input was accepted with 200: path parameter `code`: "),
        "{}",
        f.message
    );
    assert!(
        f.reproduction.script.contains("/codes/"),
        "{}",
        f.reproduction.script
    );
}

#[tokio::test]
async fn the_mock_refuses_invalid_path_parameters() {
    let spec = Spec::parse(CODES, "codes.yaml").unwrap();
    let mock = decoy_mock::MockServer::builder()
        .seed(3)
        .start(spec.clone())
        .await
        .expect("the mock starts");
    let report = decoy_conform::run(&spec, codes_config(mock.uri()))
        .await
        .unwrap();
    assert!(
        report.passed(),
        "{}",
        report.render_text(Default::default())
    );
}

/// The Calls document with every `x-decoy-*` key removed: what decoy
/// knows from standard OpenAPI alone.
fn plain_calls() -> Spec {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| !k.starts_with("x-decoy-"));
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut doc = Spec::load(&calls_path())
        .expect("document")
        .document()
        .clone();
    strip(&mut doc);
    let text = serde_json::to_string(&doc).expect("JSON");
    Spec::parse(&text, "calls-plain.json").expect("the plain document loads")
}

/// Where each bug class must show up: (check, operation; `None` for any).
fn expected(bug: Bug) -> (Check, Option<&'static str>) {
    match bug {
        Bug::MissingRequired | Bug::OutsideEnum | Bug::DeepNestedViolation => {
            (Check::ResponseSchema, Some("getCall"))
        }
        Bug::WrongType => (Check::ResponseSchema, Some("listCallEvents")),
        Bug::NullNotAllowed | Bug::Intermittent => (Check::ResponseSchema, Some("getCallReport")),
        Bug::MalformedDateTime => (Check::ResponseSchema, Some("blindTransfer")),
        Bug::UndocumentedStatus => (Check::StatusDocumented, Some("getCallRecording")),
        Bug::WrongContentType => (Check::ContentType, Some("getCallReport")),
        Bug::AuthNotEnforced => (Check::AuthRequired, Some("getCallRecording")),
        Bug::InvalidBodyAccepted => (Check::NegativeRejected, Some("blindTransfer")),
        Bug::ServerErrorOnOddId => (Check::ServerError, Some("getCall")),
        Bug::PatternViolation => (Check::ResponseSchema, Some("finalizeCallReport")),
        Bug::StateMachine => (Check::StatefulConflict, Some("completeWarmTransfer")),
        Bug::WrongErrorShape => (Check::ResponseSchema, None),
        Bug::CrashOnLargeBody => (Check::Transport, Some("blindTransfer")),
        Bug::MissingFromListing => (Check::Listing, Some("blindTransfer")),
    }
}

#[tokio::test]
async fn without_x_decoy_hints_every_bug_class_is_still_caught() {
    let spec = plain_calls();
    let clean = {
        let server = Faulty::start(None).await;
        decoy_conform::run(&spec, config(server.uri()))
            .await
            .expect("run")
    };
    assert!(clean.passed(), "{}", clean.render_text(Default::default()));
    // One run per bug class, side by side (each has its own server).
    let mut runs = tokio::task::JoinSet::new();
    for bug in Bug::ALL {
        let spec = spec.clone();
        runs.spawn(async move {
            let server = Faulty::start(Some(bug)).await;
            let report = decoy_conform::run(&spec, config(server.uri()))
                .await
                .expect("run");
            let (check, op) = expected(bug);
            let caught = report
                .findings
                .iter()
                .any(|f| f.check == check && op.is_none_or(|o| f.operation == o));
            (!caught).then(|| format!("{bug:?}"))
        });
    }
    let mut missed: Vec<String> = runs.join_all().await.into_iter().flatten().collect();
    missed.sort();
    assert_eq!(
        missed,
        Vec::<String>::new(),
        "missed without x-decoy-* hints"
    );
}

/// A document part nothing can satisfy (discord's `enum: []`) does not stop
/// the run: an optional parameter is left out, an operation that needs it
/// is never sent, and the report says which and why.
#[tokio::test]
async fn unsatisfiable_parts_are_left_out_and_said() {
    let doc = r#"
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /joins:
    get:
      operationId: listJoins
      parameters:
        - {name: status, in: query, schema: {type: string, enum: []}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: array, items: {type: string}}}}}
  /bans:
    get:
      operationId: listBans
      parameters:
        - {name: reason, in: query, required: true, schema: {type: string, enum: []}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: array, items: {type: string}}}}}
"#;
    let spec = Spec::parse(doc, "unsatisfiable.yaml").unwrap();
    let mock = decoy_mock::MockServer::builder()
        .seed(1)
        .start(spec.clone())
        .await
        .unwrap();
    let mut config = Config::new(mock.uri());
    config.cases = 5;
    config.seed = SEED;
    let report = decoy_conform::run(&spec, config)
        .await
        .expect("the run completes");
    let text = report.render_text(Default::default());
    let coverage = |op: &str| report.coverage.iter().find(|c| c.operation == op).unwrap();
    assert!(coverage("listJoins").seen.contains_key(&200), "{text}");
    assert_eq!(coverage("listBans").requests, 0, "{text}");
    assert!(
        coverage("listBans")
            .no_success
            .as_deref()
            .is_some_and(|s| s.contains("cannot be generated")),
        "{text}"
    );
    assert!(
        report
            .hints
            .iter()
            .any(|h| h.starts_with("listJoins: query parameter `status` cannot be generated")),
        "{text}"
    );
    assert!(report.findings.is_empty(), "{text}");
}
