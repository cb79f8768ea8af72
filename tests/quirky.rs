//! `decoy test` against small servers that are correct but quirky the way
//! real ones are (issue 11): a router that 404s empty segments, a
//! keep-alive connection closed after a 500 without a word, a create that
//! answers differently the second time, a naming rule the document does not
//! state, a URL without the server base path, API keys, basic and bearer
//! auth. Each test asserts decoy reports exactly what is true of the server.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use decoy_conform::{Check, Config, Report};
use decoy_spec::Spec;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SEED: u64 = 11;

/// What a quirky server answers: status, body (`None`: no body at all).
type Answer = (u16, Option<Value>);

/// The request as a handler sees it.
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: hyper::HeaderMap,
    body: Option<Value>,
}

type Handler = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

/// A hyper server on 127.0.0.1 port 0 answering with `handler`; aborted on
/// drop.
struct Quirky {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Quirky {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Quirky {
    async fn start(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Quirky {
        let handler: Handler = Arc::new(handler);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = handler.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let handler = handler.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let bytes = body.collect().await.map(|b| b.to_bytes());
                            let seen = Seen {
                                method: parts.method.to_string(),
                                path: parts.uri.path().to_owned(),
                                query: parts.uri.query().unwrap_or("").to_owned(),
                                headers: parts.headers,
                                body: bytes.ok().and_then(|b| serde_json::from_slice(&b).ok()),
                            };
                            let (status, body) = handler(&seen);
                            let mut r = Response::builder().status(status);
                            let bytes = match body {
                                Some(v) => {
                                    r = r.header("content-type", "application/json");
                                    Bytes::from(v.to_string())
                                }
                                None => Bytes::new(),
                            };
                            Ok::<_, std::convert::Infallible>(r.body(Full::new(bytes)).unwrap())
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Quirky { addr, task }
    }

    fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn config(uri: String) -> Config {
    let mut c = Config::new(uri);
    c.cases = 20;
    c.sequences = 10;
    c.seed = SEED;
    c
}

async fn run(doc: &str, config: Config) -> Report {
    let spec = Spec::parse(doc, "quirky.yaml").unwrap();
    decoy_conform::run(&spec, config).await.unwrap()
}

fn text(report: &Report) -> String {
    report.render_text(Default::default())
}

/// (check, operation) of every finding, sorted.
fn found(report: &Report) -> Vec<(Check, String)> {
    let mut out: Vec<(Check, String)> = report
        .findings
        .iter()
        .map(|f| (f.check, f.operation.clone()))
        .collect();
    out.sort();
    out
}

// ---------------------------------------------------------------- item 1

const TENANTS: &str = r#"
openapi: 3.1.0
info: {title: Tenants, version: "1"}
paths:
  /tenants/{tenant}:
    get:
      operationId: getTenant
      parameters:
        # An example that is another operation's path: never sent as getTenant.
        - {name: tenant, in: path, required: true, schema: {type: string}, example: me}
      responses:
        "200":
          description: A tenant
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: string}}}
  /tenants/me:
    get:
      operationId: getMe
      responses:
        "200":
          description: The caller
          content:
            application/json:
              schema: {type: object, required: [me], properties: {me: {type: boolean}}}
  /tenants/{tenant}/users/{user}:
    get:
      operationId: getUser
      parameters:
        - {name: tenant, in: path, required: true, schema: {type: string}}
        - {name: user, in: path, required: true, schema: {type: string, enum: ["", ana, bo]}}
      responses:
        "404": {description: No such user}
        "200":
          description: A user
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: string}}}
"#;

/// A router that answers a bodiless 404 to any empty segment (the path no
/// longer matches a route), and `/tenants/me` with another operation's body.
fn tenants(seen: &Seen) -> Answer {
    let segments: Vec<&str> = seen.path.split('/').skip(1).collect();
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return (404, None);
    }
    match segments.as_slice() {
        ["tenants", "me"] => (200, Some(json!({"me": true}))),
        ["tenants", t] => (200, Some(json!({"id": t}))),
        ["tenants", _, "users", u @ ("ana" | "bo")] => (200, Some(json!({"id": u}))),
        _ => (404, None),
    }
}

#[tokio::test]
async fn empty_segments_and_other_routes_are_never_charged() {
    let paths = Arc::new(Mutex::new(Vec::new()));
    let log = paths.clone();
    let server = Quirky::start(move |seen: &Seen| {
        log.lock().unwrap().push(seen.path.clone());
        tenants(seen)
    })
    .await;
    let report = run(TENANTS, config(server.uri())).await;
    assert!(report.passed(), "{}", text(&report));
    // Not even the `""` the enum allows is sent.
    let paths = paths.lock().unwrap().clone();
    assert!(
        paths.iter().all(|p| !p.contains("//") && !p.ends_with('/')),
        "{paths:?}"
    );
    // `/tenants/me` is getMe's, never getTenant's.
    let me = paths.iter().filter(|p| *p == "/tenants/me").count() as u32;
    let get_me = report.coverage.iter().find(|c| c.operation == "getMe");
    assert_eq!(Some(me), get_me.map(|c| c.requests));
    let get_tenant = report.coverage.iter().find(|c| c.operation == "getTenant");
    assert!(get_tenant.is_some_and(|c| c.rerouted > 0), "{get_tenant:?}");
    for c in &report.coverage {
        assert!(c.seen.contains_key(&200), "{}", text(&report));
    }
    // JUnit: checks that never ran on an operation are skipped, not passed.
    let junit = report.to_junit();
    assert!(
        junit.contains(
            "<testcase classname=\"getTenant\" name=\"negative-rejected\">\n      <skipped"
        ),
        "{junit}"
    );
    assert!(
        junit.contains("<testcase classname=\"getTenant\" name=\"response-schema\"/>"),
        "{junit}"
    );
}

// ---------------------------------------------------------------- item 2

const BOOM: &str = r#"
openapi: 3.1.0
info: {title: Boom, version: "1"}
paths:
  /boom:
    get:
      operationId: getBoom
      responses:
        "200": {description: Fine}
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^[a-z]+$"}}
      responses:
        "200": {description: An item}
        "400": {description: Not an id}
"#;

/// Raw HTTP/1.1: `/boom` answers 500 and leaves the connection open without
/// `Connection: close`, then drops the next request on that connection
/// unanswered (a server that closes after a 500 without saying so, seen
/// from the client's side).
async fn close_after_500(mut stream: TcpStream) {
    let mut after_500 = false;
    loop {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte).await {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        if after_500 {
            return;
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        let path = head.split(' ').nth(1).unwrap_or("").to_owned();
        let (status, reason) = if path == "/boom" {
            after_500 = true;
            (500, "Internal Server Error")
        } else if path
            .strip_prefix("/items/")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase()))
        {
            (200, "OK")
        } else {
            (400, "Bad Request")
        };
        let reply = format!("HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n\r\n");
        if stream.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_connection_closed_after_a_500_is_not_charged_to_the_next_operation() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(close_after_500(stream));
        }
    });
    let mut c = config(uri);
    c.workers = 1;
    let report = run(BOOM, c).await;
    task.abort();
    // The 500 is real (and undocumented); nothing else is.
    assert_eq!(
        found(&report),
        [
            (Check::ServerError, "getBoom".to_owned()),
            (Check::StatusDocumented, "getBoom".to_owned()),
        ],
        "{}",
        text(&report)
    );
}

// ---------------------------------------------------------------- item 3

const WIDGETS: &str = r##"
openapi: 3.1.0
info: {title: Widgets, version: "1"}
paths:
  /widgets:
    post:
      operationId: createWidget
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties: {name: {type: string, enum: [gear, cog]}}
      responses:
        "200": {description: Already there, content: {application/json: {schema: {$ref: "#/components/schemas/Widget"}}}}
        "201": {description: Created, content: {application/json: {schema: {$ref: "#/components/schemas/Widget"}}}}
        "400": {description: Bad widget}
        "415": {description: Not JSON}
components:
  schemas:
    Widget:
      type: object
      required: [name, created_at]
      properties:
        name: {type: string}
        created_at: {type: string}
"##;

/// A create that answers 201 the first time for a name (forgetting
/// `created_at`, a real bug) and 200 with a valid body after.
fn widgets() -> impl Fn(&Seen) -> Answer + Send + Sync {
    let names = Mutex::new(HashSet::new());
    move |seen: &Seen| {
        let ct = seen
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/json") {
            return (415, None);
        }
        let Some(name) = seen
            .body
            .as_ref()
            .and_then(|b| b.get("name"))
            .and_then(Value::as_str)
            .filter(|n| ["gear", "cog"].contains(n))
        else {
            return (400, None);
        };
        if names.lock().unwrap().insert(name.to_owned()) {
            (201, Some(json!({"name": name})))
        } else {
            (200, Some(json!({"name": name, "created_at": "2026-01-01"})))
        }
    }
}

#[tokio::test]
async fn a_create_that_answers_differently_the_second_time_is_not_flaky() {
    let server = Quirky::start(widgets()).await;
    let report = run(WIDGETS, config(server.uri())).await;
    assert_eq!(
        found(&report),
        [(Check::ResponseSchema, "createWidget".to_owned())],
        "{}",
        text(&report)
    );
    let f = &report.findings[0];
    assert!(!f.flaky && f.unconfirmed, "{}", text(&report));
    assert_eq!(f.status, Some(201));
    assert!(
        text(&report).contains("not seen again on replay: the request writes"),
        "{}",
        text(&report)
    );
}

// ------------------------------------------------------------ items 4, 16

const PROJECTS: &str = r#"
openapi: 3.1.0
info: {title: Projects, version: "1"}
paths:
  /projects:
    post:
      operationId: createProject
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name, owner]
              properties:
                name: {type: string, minLength: 1}
                owner: {type: string, minLength: 1}
            example: {name: my-project, owner: ana}
      responses:
        "201":
          description: Created
          content:
            application/json:
              schema:
                type: object
                required: [id, name]
                properties: {id: {type: string}, name: {type: string}}
        "400": {description: Invalid}
        "415": {description: Not JSON}
  /projects/{project}/transfers:
    post:
      operationId: transferProject
      parameters:
        - {name: project, in: path, required: true, schema: {type: string}, example: p1}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [to]
              properties:
                to: {type: string, minLength: 1}
                note: {type: string}
            example: {to: bob}
      responses:
        "200": {description: Transferred}
        "400": {description: Invalid}
        "404": {description: No such project}
        "415": {description: Not JSON}
"#;

/// Names must be `word-word` (a rule the document does not state);
/// transfers need an existing project (only `p1`), and then accept a body
/// without `to` (the bug).
fn projects(seen: &Seen) -> Answer {
    let ct = seen
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/json") {
        return (415, None);
    }
    let Some(body) = seen.body.as_ref().and_then(Value::as_object) else {
        return (400, None);
    };
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let segments: Vec<&str> = seen.path.split('/').skip(1).collect();
    match segments.as_slice() {
        ["projects"] => {
            let kebab = text("name").is_some_and(|n| {
                n.split_once('-').is_some_and(|(a, b)| {
                    !a.is_empty()
                        && !b.is_empty()
                        && (a.chars().chain(b.chars())).all(|c| c.is_ascii_lowercase())
                })
            });
            if !kebab || text("owner").is_none() {
                return (400, None);
            }
            (201, Some(json!({"id": "p2", "name": text("name")})))
        }
        ["projects", p, "transfers"] => {
            if *p != "p1" {
                return (404, None);
            }
            if body.get("to").is_some() && text("to").is_none() {
                return (400, None);
            }
            (200, None)
        }
        _ => (404, None),
    }
}

#[tokio::test]
async fn negatives_go_to_a_resource_that_exists_and_examples_come_first() {
    let server = Quirky::start(projects).await;
    let mut c = config(server.uri());
    c.sequences = 0;
    let report = run(PROJECTS, c).await;
    // The transfer without `to` is accepted: found, against project p1.
    assert_eq!(
        found(&report),
        [(Check::NegativeRejected, "transferProject".to_owned())],
        "{}",
        text(&report)
    );
    let f = &report.findings[0];
    assert!(
        f.message.contains("body: missing-required"),
        "{}",
        f.message
    );
    assert!(
        f.reproduction.script.contains("/projects/p1/transfers"),
        "{}",
        f.reproduction.script
    );
    // The document's example passes the unstated naming rule: a 201, and
    // negative cases of createProject start from it.
    let create = report
        .coverage
        .iter()
        .find(|c| c.operation == "createProject")
        .unwrap();
    assert!(create.seen.contains_key(&201), "{}", text(&report));
    assert!(
        report.coverage.iter().all(|c| !c.blind_negatives),
        "{}",
        text(&report)
    );
}

// ---------------------------------------------------------------- item 11

const PETS: &str = r#"
openapi: 3.1.0
info: {title: Pets, version: "1"}
servers: [{url: "http://localhost/api"}]
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        "200": {description: Pets}
  /pets/{id}:
    get:
      operationId: getPet
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        "200": {description: A pet}
        "400": {description: Not an id}
"#;

#[tokio::test]
async fn a_url_without_the_base_path_gets_a_hint() {
    let server = Quirky::start(|seen: &Seen| match seen.path.strip_prefix("/api/pets") {
        Some("") => (200, None),
        Some(id) if id[1..].parse::<i64>().is_ok() => (200, None),
        Some(_) => (400, None),
        None => (404, None),
    })
    .await;
    let report = run(PETS, config(server.uri())).await;
    let hint = format!(
        "the URL probably lacks the document's server base path (try --url {}/api)",
        server.uri()
    );
    assert!(
        report.hints.iter().any(|h| h.contains(&hint)),
        "{}",
        text(&report)
    );
    assert!(text(&report).contains("hints"), "{}", text(&report));
    let report = run(PETS, config(format!("{}/api", server.uri()))).await;
    assert!(report.passed(), "{}", text(&report));
    assert!(report.hints.is_empty(), "{:?}", report.hints);
}

// ------------------------------------------------------------- items 8, 10

const KEYS: &str = r#"
openapi: 3.1.0
info: {title: Keys, version: "1"}
components:
  securitySchemes:
    headerKey: {type: apiKey, in: header, name: X-API-Key}
    queryKey: {type: apiKey, in: query, name: api_key}
    cookieKey: {type: apiKey, in: cookie, name: sid}
    basic: {type: http, scheme: basic}
    bearer: {type: http, scheme: bearer}
paths:
  /header:
    get:
      operationId: viaHeader
      tags: [keys]
      security: [{headerKey: []}]
      responses: {"200": {description: Ok}, "401": {description: No}}
  /query:
    get:
      operationId: viaQuery
      tags: [keys]
      security: [{queryKey: []}]
      responses: {"200": {description: Ok}, "401": {description: No}}
  /cookie:
    get:
      operationId: viaCookie
      tags: [keys]
      security: [{cookieKey: []}]
      responses: {"200": {description: Ok}, "401": {description: No}}
  /basic:
    get:
      operationId: viaBasic
      security: [{basic: []}]
      responses: {"200": {description: Ok}, "401": {description: No}}
    delete:
      operationId: deleteBasic
      security: [{basic: []}]
      responses: {"204": {description: Gone}, "401": {description: No}}
  /bearer:
    get:
      operationId: viaBearer
      security: [{bearer: []}]
      responses: {"200": {description: Ok}, "401": {description: No}}
"#;

/// Checks each scheme's exact credential; `DELETE /basic` forgets to (the
/// bug).
fn keys(seen: &Seen) -> Answer {
    let header = |n: &str| {
        seen.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let ok = match (seen.method.as_str(), seen.path.as_str()) {
        ("GET", "/header") => header("x-api-key") == "k1",
        ("GET", "/query") => seen.query.split('&').any(|p| p == "api_key=k%202"),
        ("GET", "/cookie") => header("cookie").split("; ").any(|c| c == "sid=k3"),
        // ana:pw in base64
        ("GET", "/basic") => header("authorization") == "Basic YW5hOnB3",
        ("DELETE", "/basic") => return (204, None),
        ("GET", "/bearer") => header("authorization") == "Bearer k5",
        _ => return (404, None),
    };
    if ok { (200, None) } else { (401, None) }
}

fn keys_config(uri: String) -> Config {
    let mut c = config(uri);
    c.auth = [
        ("headerKey", "k1"),
        ("queryKey", "k 2"),
        ("cookieKey", "k3"),
        ("basic", "ana:pw"),
        ("bearer", "k5"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    c
}

#[tokio::test]
async fn every_security_scheme_is_sent_by_name() {
    let server = Quirky::start(keys).await;
    let report = run(KEYS, keys_config(server.uri())).await;
    // Only the delete that checks nothing.
    assert_eq!(
        found(&report),
        [
            (Check::AuthRequired, "deleteBasic".to_owned()),
            (Check::AuthInvalid, "deleteBasic".to_owned()),
        ],
        "{}",
        text(&report)
    );
    for c in report
        .coverage
        .iter()
        .filter(|c| c.operation != "deleteBasic")
    {
        // Valid credentials get 200, missing and invalid ones 401.
        assert_eq!(
            c.seen.keys().copied().collect::<Vec<_>>(),
            [200, 401],
            "{}",
            text(&report)
        );
        assert!(c.checks_run.contains(&Check::AuthInvalid), "{c:?}");
    }
    // Reproductions name the credential's variable, never its value.
    let f = &report.findings[1];
    assert!(
        !f.reproduction.script.contains("ana:pw") && !f.reproduction.script.contains("YW5h"),
        "{}",
        f.reproduction.script
    );
    // An unknown scheme name is a usage error naming the known ones.
    let mut c = keys_config(server.uri());
    c.auth.push(("nope".into(), "x".into()));
    let spec = Spec::parse(KEYS, "keys.yaml").unwrap();
    let err = decoy_conform::run(&spec, c).await.unwrap_err().to_string();
    assert!(
        err.contains(
            "no security scheme `nope` (declared: headerKey, queryKey, cookieKey, basic, bearer)"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn operations_are_chosen_by_id_path_tag_and_method() {
    use decoy_conform::Selector;
    let server = Quirky::start(keys).await;
    let ops = |report: &Report| {
        report
            .coverage
            .iter()
            .map(|c| c.operation.clone())
            .collect::<Vec<_>>()
    };
    let mut c = keys_config(server.uri());
    c.cases = 2;
    c.include = vec![Selector::Tag("keys".into())];
    c.exclude = vec![Selector::Operation("viaCookie".into())];
    assert_eq!(ops(&run(KEYS, c).await), ["viaHeader", "viaQuery"]);
    let mut c = keys_config(server.uri());
    c.cases = 2;
    c.include = vec![Selector::Path("/b*".into()), Selector::Method("get".into())];
    assert_eq!(ops(&run(KEYS, c).await), ["viaBasic", "viaBearer"]);
    let mut c = keys_config(server.uri());
    c.include = vec![Selector::Method("PUT".into())];
    let spec = Spec::parse(KEYS, "keys.yaml").unwrap();
    let err = decoy_conform::run(&spec, c).await.unwrap_err().to_string();
    assert!(err.contains("no operation of the document's 6"), "{err}");
}

// ---------------------------------------------------------------- item 9

#[tokio::test]
async fn busy_answers_suggest_fewer_workers() {
    let server = Quirky::start(|_: &Seen| (429, None)).await;
    let doc = PETS.replace(
        "\"200\": {description: Pets}",
        "\"429\": {description: Busy}",
    );
    let report = run(&doc, config(format!("{}/api", server.uri()))).await;
    assert!(
        report
            .hints
            .iter()
            .any(|h| h.ends_with("with 4 workers: the target may be overloaded; try --workers 1")),
        "{}",
        text(&report)
    );
    let mut c = config(format!("{}/api", server.uri()));
    c.workers = 1;
    let report = run(&doc, c).await;
    assert!(report.hints.is_empty(), "{:?}", report.hints);
}

// ---------------------------------------------------------------- item 6

#[tokio::test]
async fn the_time_limit_is_shared_by_every_operation() {
    // 24 operations, far more cases than the limit allows.
    let mut doc = String::from("openapi: 3.1.0\ninfo: {title: Many, version: \"1\"}\npaths:\n");
    for i in 0..24 {
        doc.push_str(&format!(
            "  /r{i}:\n    get:\n      operationId: op{i}\n      parameters:\n        - {{name: q, in: query, schema: {{type: integer}}}}\n      responses:\n        \"200\": {{description: Ok}}\n"
        ));
    }
    let server = Quirky::start(|_: &Seen| (200, None)).await;
    let mut c = config(server.uri());
    c.cases = 100_000;
    c.sequences = 0;
    c.time_limit = Some(std::time::Duration::from_secs(3));
    let report = run(&doc, c).await;
    assert!(report.cut_short);
    assert_eq!(report.coverage.len(), 24);
    // Every operation got cases, none was dropped unannounced.
    for c in &report.coverage {
        assert!(c.cases >= 1, "{}", text(&report));
        assert!(
            c.note
                .as_deref()
                .is_some_and(|n| n.starts_with("cut short by its share of the time limit after ")),
            "{c:?}"
        );
    }
    assert!(
        text(&report).contains("24 of 24 operations not tested to the end"),
        "{}",
        text(&report)
    );
}

// ---------------------------------------------------------------- item 5

const THINGS: &str = r#"
openapi: 3.1.0
info: {title: Things, version: "1"}
paths:
  /a: {get: {operationId: getA, responses: {"200": {description: Ok}}}}
  /b: {get: {operationId: getB, responses: {"200": {description: Ok}}}}
  /c: {get: {operationId: getC, responses: {"200": {description: Ok}}}}
  /d: {get: {operationId: getD, responses: {"200": {description: Ok}}}}
  /e: {get: {operationId: getE, responses: {"200": {description: Ok}}}}
"#;

#[tokio::test]
async fn a_silent_target_stops_the_operation_then_the_run() {
    use crate::targets::{Hostile, Target};
    let target = Target::start(Hostile::Silent).await;
    let short = |uri: String| {
        let mut c = Config::new(uri);
        c.request_timeout = std::time::Duration::from_millis(200);
        c
    };
    // One operation: stopped after 3 timeouts in a row, one finding.
    let spec = Spec::parse(THINGS, "things.yaml").unwrap();
    let first: Vec<&str> = THINGS.lines().take(5).collect();
    let one = Spec::parse(&first.join("\n"), "one.yaml").unwrap();
    let report = decoy_conform::run(&one, short(target.uri())).await.unwrap();
    assert_eq!(
        found(&report),
        [(Check::Transport, "getA".to_owned())],
        "{}",
        text(&report)
    );
    assert_eq!(report.requests, 3, "{}", text(&report));
    assert_eq!(
        report.coverage[0].note.as_deref(),
        Some("stopped after 3 timeouts in a row")
    );
    // Five: 12 timeouts in a row across them, and the run stops (exit 2).
    let err = decoy_conform::run(&spec, short(target.uri()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, decoy_conform::ConformError::Unresponsive { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("stopped answering: 12 requests in a row got no complete response within 200ms; check the target, or raise --timeout"),
        "{err}"
    );
}

// ------------------------------------------------------------ items 7, 12

/// Runs the `decoy` binary off the test's runtime (the target it talks to
/// runs on that runtime).
async fn decoy_cli(args: Vec<String>) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::util::parts(&crate::util::decoy(&args))
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn list_checks_names_every_check_within_100_columns() {
    let (code, stdout, stderr) = decoy_cli(vec!["test".into(), "--list-checks".into()]).await;
    assert_eq!(code, 0, "{stderr}");
    for c in Check::ALL {
        assert!(
            stdout.lines().any(|l| l.starts_with(c.name())),
            "{c} missing:\n{stdout}"
        );
    }
    assert!(stdout.lines().all(|l| l.chars().count() <= 100), "{stdout}");
}

#[tokio::test]
async fn off_a_terminal_progress_is_a_line_and_silence_is_exit_2() {
    let server = Quirky::start(tenants).await;
    let doc = crate::util::Scratch::new("tenants.yaml", TENANTS);
    let args = |doc: &str, url: String, extra: &[&str]| {
        let mut a: Vec<String> = ["test", doc, "--url", &url, "--cases", "2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let (code, stdout, stderr) = decoy_cli(args(doc.path(), server.uri(), &[])).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.first(), Some(&"decoy test: started"), "{stderr}");
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("decoy test: done, 3/3 units, ")),
        "{stderr}"
    );
    assert!(stdout.starts_with("contract holds\n"), "{stdout}");

    // Five operations that all time out: 12 timeouts in a row stop the run.
    let silent = crate::targets::Target::start(crate::targets::Hostile::Silent).await;
    let things = crate::util::Scratch::new("things.yaml", THINGS);
    let (code, stdout, stderr) =
        decoy_cli(args(things.path(), silent.uri(), &["--timeout", "200ms"])).await;
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "decoy: error: {} stopped answering: 12 requests in a row",
            silent.uri()
        )),
        "{stderr}"
    );
}
