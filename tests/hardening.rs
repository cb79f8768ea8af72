//! Hardening (issue 6): broken documents through `decoy lint` and `decoy
//! fake` (`specs/broken/`), and hostile targets for `decoy test`.
//!
//! Messages are pinned, timings never: every case must end on its own (a
//! parser budget, a size limit, a request timeout, a response-size cap),
//! and the test harness would hang, not fail, if one did not.

use std::io::Write as _;
use std::time::Duration;

use decoy_conform::{Check, Config, Report};
use decoy_spec::Spec;

use crate::util::{decoy, parts};

// ---------------------------------------------------------------------------
// Bad documents

/// Runs `decoy ARGS`; asserts the exit code and that the output (stdout and
/// stderr together) contains every one of `expected`.
fn check(args: &[&str], code: i32, expected: &[&str]) -> Result<(), String> {
    let (got, stdout, stderr) = parts(&decoy(args));
    let output = format!("{stdout}{stderr}");
    let missing: Vec<&&str> = expected.iter().filter(|e| !output.contains(*e)).collect();
    if got != code || !missing.is_empty() {
        return Err(format!(
            "decoy {}: exit {got} (want {code}), missing {missing:?}\n{output}",
            args.join(" ")
        ));
    }
    Ok(())
}

/// Every file of `specs/broken/`, what `decoy lint` says of it and its exit
/// code (1: the document loads but has errors; 2: it cannot be loaded).
const BROKEN: &[(&str, i32, &[&str])] = &[
    (
        "cyclic-ref.yaml",
        1,
        &[
            "error: specs/broken/cyclic-ref.yaml:12: /paths/~1nodes/get/responses/200/content/application~1json/schema/$ref: cyclic $ref: /components/schemas/Node -> /components/schemas/Wrapper -> /components/schemas/Node",
            "error: specs/broken/cyclic-ref.yaml:16: /components/schemas/Node/$ref: cyclic $ref:",
            "3 errors",
        ],
    ),
    (
        "dangling-ref.yaml",
        1,
        &[
            "error: specs/broken/dangling-ref.yaml:14: /paths/~1pets/get/responses/200/content/application~1json/schema/items/$ref: `#/components/schemas/Pet` does not exist in the document",
        ],
    ),
    (
        "deep-nesting.yaml",
        2,
        &[
            "decoy: error: specs/broken/deep-nesting.yaml:101:129: not valid YAML: nested deeper than 64 levels, the YAML parser's limit",
        ],
    ),
    (
        "deep-nesting.json",
        2,
        &[
            "decoy: error: specs/broken/deep-nesting.json:196:137: not valid JSON: nested deeper than 128 levels, the JSON parser's limit",
        ],
    ),
    (
        "alias-bomb.yaml",
        2,
        &[
            "decoy: error: specs/broken/alias-bomb.yaml:12:24: not valid YAML: more than 250000 YAML nodes once aliases are expanded (an alias bomb?)",
        ],
    ),
    (
        "duplicate-keys.yaml",
        2,
        &[
            "decoy: error: specs/broken/duplicate-keys.yaml:10:5: not valid YAML: duplicate mapping key: get",
        ],
    ),
    (
        "invalid-regex.yaml",
        1,
        &[
            "error: specs/broken/invalid-regex.yaml:7: /paths/~1codes~1{code}/get/parameters/0/schema: cannot compile the schema: at /paths/~1codes~1{code}/get/parameters/0/schema/pattern: \"^[A-Z\" is not a \"regex\"",
            "error: specs/broken/invalid-regex.yaml:16: /components/schemas/Code: cannot compile the schema: at /components/schemas/Code/pattern: \"(?<name\" is not a \"regex\"",
        ],
    ),
    (
        "not-yaml.bin",
        2,
        &["decoy: error: specs/broken/not-yaml.bin: #: not UTF-8 text (invalid byte at offset 0)"],
    ),
    (
        "not-openapi.yaml",
        2,
        &[
            "decoy: error: specs/broken/not-openapi.yaml: #: expected an OpenAPI document (an object), found an array",
        ],
    ),
    (
        "swagger2.yaml",
        2,
        &[
            "decoy: error: specs/broken/swagger2.yaml: /swagger: Swagger \"2.0\" is not supported; convert it to OpenAPI 3 first",
        ],
    ),
    (
        "huge-counts.yaml",
        0,
        &["ok: specs/broken/huge-counts.yaml: OpenAPI 3.1.0, 0 operations, 2 schemas"],
    ),
    // Keyword values JSON Schema forbids. jsonschema's meta-schema check
    // catches the fractional count; `multipleOf: 0` gets past it (a known
    // gap of lint), and `decoy fake` refuses both.
    (
        "malformed-keywords.yaml",
        1,
        &[
            "error: specs/broken/malformed-keywords.yaml:9: /components/schemas/FractionalCount: cannot compile the schema: at /components/schemas/FractionalCount/minItems: 4.5 is not of type \"integer\"",
        ],
    ),
    // Malformed `x-decoy-*` extensions: each a lint error at its pointer and line.
    (
        "ext-echo-bad-source.yaml",
        1,
        &[
            "error: specs/broken/ext-echo-bad-source.yaml:9: /paths/~1notes/post/x-decoy-echo/title: `body:/title`: a source is /pointer, origin:/pointer, path:NAME, query:NAME, header:NAME, now, const:TEXT or template:TEXT",
        ],
    ),
    (
        "ext-faults-rate.yaml",
        1,
        &[
            "error: specs/broken/ext-faults-rate.yaml:8: /paths/~1feeds/get/x-decoy-faults/error-rate: `error-rate` must be a number in 0..1, found 2",
        ],
    ),
    (
        "ext-latency-no-unit.yaml",
        1,
        &[
            "error: specs/broken/ext-latency-no-unit.yaml:8: /paths/~1feeds/get/x-decoy-faults/latency: `50` needs a unit: 50ms, 50s or 50m",
        ],
    ),
    (
        "ext-parent-unknown.yaml",
        1,
        &[
            "error: specs/broken/ext-parent-unknown.yaml:14: /paths/~1shelves~1{shelfId}~1books/get/x-decoy-parent: no other operation has operationId `getShelve`",
        ],
    ),
    (
        "ext-state-unknown-key.yaml",
        1,
        &[
            "error: specs/broken/ext-state-unknown-key.yaml:9: /paths/~1orders/post/x-decoy-state/creat: unknown key `creat` (expected create, list or transition)",
        ],
    ),
    (
        "ext-transition-no-item.yaml",
        1,
        &[
            "error: specs/broken/ext-transition-no-item.yaml:10: /paths/~1tickets~1{ticketId}~1close/post/x-decoy-state/transition: `item` is required",
        ],
    ),
    // Schema-level hints of the wrong shape, each with its pointer and line,
    // and one naming a property its object does not have.
    (
        "malformed-schema-hints.yaml",
        1,
        &[
            "error: specs/broken/malformed-schema-hints.yaml:10: /components/schemas/Session/x-decoy-timeline: expected a list of date-time property names in order ([created_at, updated_at]), found \"created_at\"",
            "error: specs/broken/malformed-schema-hints.yaml:12: /components/schemas/Session/properties/id/x-decoy-id-prefix: expected a string: the prefix of every generated id, found 7",
            "error: specs/broken/malformed-schema-hints.yaml:17: /components/schemas/Session/properties/length/x-decoy-duration: expected `to`: the name of the sibling timestamp that ends the span",
            "error: specs/broken/malformed-schema-hints.yaml:20: /components/schemas/Session/properties/length_ms/x-decoy-duration: expected `unit` to be seconds or milliseconds, found \"hours\"",
            "error: specs/broken/malformed-schema-hints.yaml:21: /components/schemas/Session/properties/seq/x-decoy-counter: expected true or false, found \"yes\"",
            "error: specs/broken/malformed-schema-hints.yaml:22: /components/schemas/Session/properties/org/x-decoy-shared: expected a key that names the shared value, found an empty string",
            "error: specs/broken/malformed-schema-hints.yaml:23: /components/schemas/Session/properties/self/x-decoy-template: the `{` at byte 10 is never closed",
            "warning: specs/broken/malformed-schema-hints.yaml:26: /components/schemas/Renamed/x-decoy-timeline: `updatedAt` is not a property of this object, so the hint does nothing there",
            "7 errors, 1 warnings",
        ],
    ),
    // Unsatisfiable schemas are well-formed: lint passes, `decoy fake` fails.
    (
        "unsatisfiable.yaml",
        0,
        &["ok: specs/broken/unsatisfiable.yaml: OpenAPI 3.1.0, 0 operations, 9 schemas"],
    ),
];

#[test]
fn every_broken_document_is_covered() {
    let dir = crate::util::root().join("specs/broken");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut listed: Vec<&str> = BROKEN.iter().map(|(f, _, _)| *f).collect();
    listed.sort();
    assert_eq!(files, listed, "add the new file to BROKEN");
    for (doc, schema, _) in TOO_LARGE {
        let spec = Spec::load(&crate::util::root().join(doc)).unwrap();
        assert!(spec.schema_names().any(|n| n == *schema), "{doc}: {schema}");
    }
}

#[test]
fn broken_documents_get_precise_errors() {
    let failures: Vec<String> = BROKEN
        .iter()
        .filter_map(|(file, code, expected)| {
            let path = format!("specs/broken/{file}");
            check(&["lint", &path], *code, expected).err()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Satisfiable schemas whose smallest value is enormous, and keyword values
/// JSON Schema does not allow: `decoy fake` refuses them up front with the
/// pointer and the limit (found by `fuzz/`, synth target: before, the first
/// two aborted on allocation and the others produced invalid values).
const TOO_LARGE: &[(&str, &str, &str)] = &[
    (
        "specs/broken/huge-counts.yaml",
        "ManyItems",
        "minItems 1888888888888888 is more than the 10000 items decoy generates in one array",
    ),
    (
        "specs/broken/huge-counts.yaml",
        "LongString",
        "minLength 100000000000 is more than the 1000000 characters decoy generates in one string",
    ),
    (
        "specs/broken/malformed-keywords.yaml",
        "FractionalCount",
        "minItems must be a non-negative integer, found 4.5",
    ),
    (
        "specs/broken/malformed-keywords.yaml",
        "ZeroMultiple",
        "multipleOf must be a number above 0, found 0",
    ),
];

#[test]
fn too_large_or_malformed_counts_are_refused_with_the_limit() {
    let failures: Vec<String> = TOO_LARGE
        .iter()
        .filter_map(|(doc, name, message)| {
            let head = format!(
                "decoy: error: cannot generate `{name}` (schema at /components/schemas/{name}): #/components/schemas/{name}: "
            );
            check(&["fake", name, "--doc", doc], 2, &[&head, message]).err()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn unsatisfiable_schemas_say_why_nothing_can_be_generated() {
    const DOC: &str = "specs/broken/unsatisfiable.yaml";
    let cases: &[(&str, &str)] = &[
        (
            "Range",
            "#/components/schemas/Range: the schema cannot be satisfied: no integer satisfies minimum 10 and maximum 5",
        ),
        (
            "Length",
            "#/components/schemas/Length: the schema cannot be satisfied: minLength 5 is above maxLength",
        ),
        (
            "Types",
            "#/components/schemas/Types: the schema cannot be satisfied: the `type` keywords contradict each other",
        ),
        (
            "EmptyEnum",
            "#/components/schemas/EmptyEnum: the schema cannot be satisfied: the `enum`/`const` values contradict each other (or the enum is empty)",
        ),
        (
            "Never",
            "#/components/schemas/Never: the schema cannot be satisfied: the schema is `false`",
        ),
        (
            "RequiredNever",
            "#/components/schemas/RequiredNever/properties/id: the schema cannot be satisfied: the schema is `false`",
        ),
        (
            "Items",
            "#/components/schemas/Items: the schema cannot be satisfied: minItems 3 is above maxItems",
        ),
        (
            "Multiple",
            "#/components/schemas/Multiple: the schema cannot be satisfied: no integer satisfies minimum 1, maximum 2 and multipleOf",
        ),
    ];
    let mut failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, message)| {
            let head = format!(
                "decoy: error: cannot generate `{name}` (schema at /components/schemas/{name}): "
            );
            check(&["fake", name, "--doc", DOC], 2, &[&head, message]).err()
        })
        .collect();
    // Satisfiable in principle, but not by any value decoy tries: the
    // generator gives up after a bounded number of attempts.
    failures.extend(
        check(
            &["fake", "Unique", "--doc", DOC],
            2,
            &["decoy: error: record 0 (seed 1): #/components/schemas/Unique: could not generate a value after 16 attempts: uniqueItems: not enough distinct items"],
        )
        .err(),
    );
    // An invalid regex is also a schema nothing can be generated from.
    failures.extend(
        check(
            &["fake", "Code", "--doc", "specs/broken/invalid-regex.yaml"],
            2,
            &["#/components/schemas/Code: the schema cannot be satisfied: pattern \"(?<name\" is not a valid ECMA-262 regex"],
        )
        .err(),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A scratch directory unique to one test, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("decoy-hardening-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes a document of at least `bytes`: one operation and a large
/// `x-payload` of ordinary JSON records, in JSON or YAML flow style.
fn write_large(path: &std::path::Path, bytes: usize, yaml: bool) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let head = r#""openapi": "3.1.0", "info": {"title": "Large", "version": "1"}, "paths": {"/items": {"get": {"operationId": "listItems", "responses": {"200": {"description": "Items", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}}}}}"#;
    if yaml {
        // Block style at the top, so the text is YAML and not JSON.
        writeln!(out, "openapi: 3.1.0\ninfo: {{title: Large, version: '1'}}").unwrap();
        writeln!(
            out,
            "paths: {{/items: {{get: {{responses: {{'200': {{description: Items}}}}}}}}}}"
        )
        .unwrap();
        writeln!(out, "x-payload:").unwrap();
    } else {
        write!(out, "{{{head}, \"x-payload\": [").unwrap();
    }
    let mut written = 0;
    let mut i = 0;
    while written < bytes {
        let record = format!(
            r#"{{"id": "item_{i}", "name": "a name of thirty characters..", "tags": ["a", "b", "c"], "score": {i}.5, "ok": true}}"#
        );
        // Exact: the record, plus `, ` (JSON) or `  - ` and a newline (YAML).
        written += record.len() + if yaml { 5 } else { 2 };
        if yaml {
            writeln!(out, "  - {record}").unwrap();
        } else {
            write!(out, "{}{record}", if i == 0 { "" } else { ", " }).unwrap();
        }
        i += 1;
    }
    if !yaml {
        write!(out, "]}}").unwrap();
    }
    out.flush().unwrap();
}

#[test]
fn a_50_mb_json_document_loads_and_lints() {
    // Under MAX_DOCUMENT_BYTES (64 MiB): a large JSON document is parsed
    // whole, and linted like any other.
    let dir = TempDir::new("large-json");
    let path = dir.0.join("large.json");
    write_large(&path, 50 * 1024 * 1024, false);
    assert!(std::fs::metadata(&path).unwrap().len() >= 50 * 1024 * 1024);
    let path = path.to_str().unwrap();
    let ok = format!("ok: {path}: OpenAPI 3.1.0, 1 operations, 0 schemas");
    check(&["lint", path], 0, &[&ok]).unwrap();
}

#[test]
fn a_large_yaml_document_hits_the_parser_budget_early() {
    // YAML keeps serde-saphyr's event and node budgets (they are what stops
    // alias bombs), so a document this large is refused with the budget
    // named and JSON suggested, as soon as the budget is spent.
    let dir = TempDir::new("large-yaml");
    let path = dir.0.join("large.yaml");
    write_large(&path, 50 * 1024 * 1024, true);
    let path = path.to_str().unwrap();
    check(
        &["lint", path],
        2,
        &[
            &format!("decoy: error: {path}:"),
            "not valid YAML: more than",
            "a larger document loads as JSON, up to the size limit",
        ],
    )
    .unwrap();
}

#[test]
fn a_document_over_the_size_limit_is_refused_unread() {
    // A sparse file: the size check comes before reading, so this costs
    // neither time nor memory.
    let dir = TempDir::new("too-large");
    let path = dir.0.join("huge.yaml");
    let size = decoy_spec::MAX_DOCUMENT_BYTES as u64 + 1;
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();
    let path = path.to_str().unwrap();
    check(
        &["lint", path],
        2,
        &[&format!(
            "decoy: error: {path}: #: the document is {size} bytes; the limit is {}",
            decoy_spec::MAX_DOCUMENT_BYTES
        )],
    )
    .unwrap();
}

// ---------------------------------------------------------------------------
// Hostile targets

/// One operation, so a run is a handful of requests.
const THING: &str = r#"
openapi: 3.1.0
info: {title: Hostile, version: "1"}
paths:
  /thing:
    get:
      operationId: getThing
      responses:
        "200":
          description: A thing
          content:
            application/json:
              schema:
                type: object
                required: [id]
                properties: {id: {type: string}}
"#;

pub(crate) use crate::targets::{Hostile, Target};

/// A short run: one case, no sequences, short timeouts, a 1 MiB cap.
fn config(uri: String) -> Config {
    let mut config = Config::new(uri);
    config.cases = 1;
    config.sequences = 0;
    config.replays = 1;
    config.shrink_budget = 2;
    config.large_body_bytes = 0;
    config.connect_timeout = Duration::from_secs(5);
    config.request_timeout = Duration::from_millis(300);
    config.max_response_bytes = 1024 * 1024;
    config
}

async fn run_against(mode: Hostile, config: impl FnOnce(String) -> Config) -> Report {
    let target = Target::start(mode).await;
    let spec = Spec::parse(THING, "thing.yaml").unwrap();
    decoy_conform::run(&spec, config(target.uri()))
        .await
        .unwrap_or_else(|e| panic!("{mode:?}: the run fails: {e}"))
}

/// The run found exactly one `check` finding whose message contains every
/// one of `expected`.
fn single(report: &Report, check: Check, expected: &[&str]) {
    let text = report.render_text(Default::default());
    assert_eq!(report.exit_code(), 1, "{text}");
    assert_eq!(report.findings.len(), 1, "{text}");
    let f = &report.findings[0];
    assert_eq!(
        (f.check, f.operation.as_str()),
        (check, "getThing"),
        "{text}"
    );
    for e in expected {
        assert!(
            f.message.contains(e),
            "{e:?} not in {:?}\n{text}",
            f.message
        );
    }
    assert!(f.reproduction.script.contains("curl "), "{text}");
}

#[tokio::test]
async fn a_target_that_resets_connections() {
    let report = run_against(Hostile::Reset, config).await;
    single(&report, Check::Transport, &["connection failed: "]);
}

#[tokio::test]
async fn a_target_that_never_answers() {
    let report = run_against(Hostile::Silent, config).await;
    single(
        &report,
        Check::Transport,
        &["no complete response within 300ms"],
    );
}

#[tokio::test]
async fn a_target_that_answers_after_30_seconds() {
    let report = run_against(Hostile::Late, config).await;
    single(
        &report,
        Check::Transport,
        &["no complete response within 300ms"],
    );
}

#[tokio::test]
async fn a_target_that_streams_an_endless_body() {
    let report = run_against(Hostile::Endless, config).await;
    single(
        &report,
        Check::Transport,
        &["response body larger than 1048576 bytes"],
    );
}

#[tokio::test]
async fn a_target_that_returns_10_mb_of_json() {
    // Over the cap: a finding, and no more than the cap is held. The cap,
    // not the clock, must end the read: a loaded machine may take more
    // than the short timeout to move 1 MiB.
    let report = run_against(Hostile::Huge, |uri| {
        let mut c = config(uri);
        c.request_timeout = Duration::from_secs(30);
        c
    })
    .await;
    single(
        &report,
        Check::Transport,
        &["response body larger than 1048576 bytes"],
    );
    // Under the default cap (16 MiB) the body is valid, so nothing is found.
    let report = run_against(Hostile::Huge, |uri| {
        let mut c = config(uri);
        c.max_response_bytes = Config::new("").max_response_bytes;
        c.request_timeout = Duration::from_secs(30);
        c
    })
    .await;
    assert!(
        report.passed(),
        "{}",
        report.render_text(Default::default())
    );
}

#[tokio::test]
async fn a_target_that_returns_invalid_utf8_as_json() {
    let report = run_against(Hostile::InvalidUtf8, config).await;
    single(
        &report,
        Check::ResponseSchema,
        &["the 200 body is not JSON: "],
    );
}

#[tokio::test]
async fn a_target_that_returns_html_as_json() {
    let report = run_against(Hostile::NotJson, config).await;
    single(
        &report,
        Check::ResponseSchema,
        &["the 200 body is not JSON: expected value at line 1 column 1"],
    );
}

#[tokio::test]
async fn a_target_that_closes_mid_body() {
    let report = run_against(Hostile::MidBody, config).await;
    single(&report, Check::Transport, &["connection failed: "]);
}

#[tokio::test]
async fn decoy_test_exits_1_on_a_hostile_target_and_2_when_nothing_listens() {
    let dir = TempDir::new("cli");
    let doc = dir.0.join("thing.yaml");
    std::fs::write(&doc, THING).unwrap();
    let doc = doc.to_str().unwrap().to_owned();

    let target = Target::start(Hostile::Silent).await;
    let url = target.uri();
    let args = [
        "test",
        &doc,
        "--url",
        &url,
        "--cases",
        "1",
        "--sequences",
        "0",
        "--timeout",
        "300ms",
        "--connect-timeout",
        "2s",
        "--max-response-bytes",
        "65536",
    ];
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        parts(&decoy(&args))
    })
    .await
    .unwrap();
    let (code, stdout, stderr) = out;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("transport") && stdout.contains("no complete response within 300ms"),
        "{stdout}{stderr}"
    );

    // A port nobody listens on: bound, then released.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let (code, stdout, stderr) = parts(&decoy(&["test", &doc, "--url", &url]));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("decoy: error: cannot connect to {url}: ")),
        "{stderr}"
    );
}
