//! decoy mock on documents it has never seen: every operation of every
//! real-world document, called with generated valid requests (parameters
//! serialized by their style and explode, bodies by their media kind), is
//! answered as documented; and one small document per shape that real
//! documents showed decoy getting wrong (issue 16).

use std::fmt::Write as _;
use std::net::SocketAddr;

use decoy_mock::MockServer;
use decoy_spec::media::{self, MediaKind};
use decoy_spec::style::{self, Serialization, Style};
use decoy_spec::{Operation, ParameterLocation, SecurityScheme, Spec};
use decoy_synth::{Direction, Generator, Options};
use decoy_validate::Validators;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Everything but RFC 3986's unreserved characters is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const BOUNDARY: &str = "decoy-boundary-7MA4YWxkTrZu0gW";

fn encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// One request, as bytes on the wire.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Request {
    fn new(method: &str, target: &str) -> Request {
        Request {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Request {
        self.headers
            .push(("Content-Type".to_owned(), content_type.to_owned()));
        self.body = Some(body.into());
        self
    }

    /// The request as curl would send it, for failure messages.
    fn curl(&self) -> String {
        let mut out = format!("curl -X {} 'http://HOST{}'", self.method, self.target);
        for (k, v) in &self.headers {
            write!(out, " -H '{k}: {v}'").unwrap();
        }
        if let Some(b) = &self.body {
            let text = String::from_utf8_lossy(b);
            let text: String = text.chars().take(400).collect();
            write!(out, " --data-binary '{text}'").unwrap();
        }
        out
    }
}

/// A response as read off the socket.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One exchange on a fresh connection.
async fn exchange(addr: &SocketAddr, req: &Request) -> Reply {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
        req.method, req.target
    );
    for (k, v) in &req.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = &req.body {
        head.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(req.body.as_deref().unwrap_or_default());
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(&bytes).await.expect("write");
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf).await;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    Reply {
        status,
        headers,
        body: buf[split + 4..].to_vec(),
    }
}

async fn serve(yaml: &str) -> (Spec, MockServer) {
    let spec = Spec::parse(yaml, "unseen.yaml").expect("the test document loads");
    let server = MockServer::start(spec.clone()).await;
    (spec, server)
}

/// Why a response does not answer its request as documented, if it does not.
fn undocumented(
    spec: &Spec,
    validators: &Validators,
    op: &Operation,
    reply: &Reply,
) -> Option<String> {
    let body = || {
        format!(
            "{}: {}",
            reply.status,
            reply.text().chars().take(600).collect::<String>()
        )
    };
    if reply.status >= 400 {
        return Some(format!("refused: {}", body()));
    }
    let Some(response) = op.response(reply.status) else {
        return Some(format!("status {} is not documented", reply.status));
    };
    for h in response.headers.iter().filter(|h| h.required) {
        if reply.header(&h.name).is_none() {
            return Some(format!("required header {} is missing", h.name));
        }
    }
    if response.content.is_empty() || reply.body.is_empty() && reply.status == 204 {
        return None;
    }
    let Some(ct) = reply.header("content-type") else {
        return Some("no Content-Type".to_owned());
    };
    let Some(k) = media::best(response.content.iter().map(|m| m.name.as_str()), ct) else {
        return Some(format!("Content-Type {ct} is not documented"));
    };
    if ct.contains('*') {
        return Some(format!("Content-Type {ct} is a range, not a type"));
    }
    let media_type = &response.content[k];
    if media::kind(ct) != MediaKind::Json {
        return None;
    }
    let Ok(value) = serde_json::from_slice::<Value>(&reply.body) else {
        return Some(format!("{ct} body is not JSON: {}", body()));
    };
    let schema = media_type.schema.as_deref()?;
    let violations = validators.compile(schema).ok()?.validate(&value);
    (!violations.is_empty()).then(|| {
        let v = &violations[0];
        format!(
            "{} violations; first at {}: {} ({})",
            violations.len(),
            v.instance_pointer,
            v.message,
            body()
        )
    })
}

/// Builds valid requests for operations: parameters by style, bodies by
/// media kind, credentials by security scheme.
struct Builder<'s> {
    spec: &'s Spec,
    synth: Generator,
}

impl<'s> Builder<'s> {
    fn new(spec: &'s Spec) -> Builder<'s> {
        let options = Options::default().direction(Direction::Request);
        Builder {
            spec,
            synth: Generator::new(spec.document().clone(), options),
        }
    }

    fn schema(&self, pointer: Option<&str>) -> &Value {
        static ANY: Value = Value::Bool(true);
        pointer.and_then(|p| self.spec.get(p)).unwrap_or(&ANY)
    }

    /// A value for a schema that passes `keep` (tried over a few seeds).
    fn value(
        &self,
        pointer: Option<&str>,
        seed: u64,
        keep: impl Fn(&Value) -> bool,
    ) -> Result<Value, String> {
        let Some(pointer) = pointer else {
            return Ok(json!("x"));
        };
        let mut last = String::new();
        for k in 0..24 {
            match self.synth.generate(pointer, seed.wrapping_add(k)) {
                Ok(v) if keep(&v) => return Ok(v),
                Ok(v) => last = format!("no usable value among 24 seeds (last: {v})"),
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!("{pointer}: {last}"))
    }

    /// One request per documented request media type (one without a body
    /// where there is none).
    fn requests(&self, op: &Operation, seed: u64) -> Result<Vec<Request>, String> {
        let doc = self.spec.document();
        let mut path = op.path.clone();
        let mut query: Vec<(String, String)> = Vec::new();
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut cookies: Vec<String> = Vec::new();
        for (i, p) in op.parameters.iter().enumerate() {
            let seed = seed.wrapping_add(1000 * i as u64);
            let ser = Serialization::of(p);
            let schema = self.schema(p.schema.as_deref());
            let plain = |v: &Value| match v {
                Value::Array(a) => !a.is_empty() && a.iter().all(|x| !x.is_null()),
                Value::Object(m) => !m.is_empty() && m.values().all(|x| !x.is_null()),
                Value::Null => false,
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            match p.location {
                ParameterLocation::Path => {
                    let v = self.value(p.schema.as_deref(), seed, |v| {
                        plain(v)
                            && ser.read_text(
                                &ser.write_text(&p.name, v, str::to_owned),
                                &p.name,
                                schema,
                                doc,
                            ) == *v
                    })?;
                    let text = ser.write_text(&p.name, &v, encode);
                    path = path.replace(&format!("{{{}}}", p.name), &text);
                }
                ParameterLocation::Query => {
                    let v = self.value(p.schema.as_deref(), seed, |v| {
                        plain(v)
                            && ser.read_query(
                                &ser.write_query(&p.name, v),
                                &p.name,
                                schema,
                                doc,
                                &[],
                            ) == Some(v.clone())
                    });
                    match v {
                        Ok(v) => query.extend(ser.write_query(&p.name, &v)),
                        Err(e) if p.required => return Err(e),
                        Err(_) => {}
                    }
                }
                ParameterLocation::Header => {
                    // OpenAPI ignores these three as parameters.
                    if ["accept", "content-type", "authorization"]
                        .contains(&p.name.to_ascii_lowercase().as_str())
                    {
                        continue;
                    }
                    let v = self.value(p.schema.as_deref(), seed, |v| {
                        let text = ser.write_text(&p.name, v, str::to_owned);
                        plain(v)
                            && text.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
                            && text.trim() == text
                            && ser.read_text(&text, &p.name, schema, doc) == *v
                    });
                    match v {
                        Ok(v) => headers
                            .push((p.name.clone(), ser.write_text(&p.name, &v, str::to_owned))),
                        Err(e) if p.required => return Err(e),
                        Err(_) => {}
                    }
                }
                ParameterLocation::Cookie => {
                    let v = self.value(p.schema.as_deref(), seed, plain)?;
                    cookies.push(format!(
                        "{}={}",
                        p.name,
                        ser.write_text(&p.name, &v, encode)
                    ));
                }
            }
        }
        self.credentials(op, &mut headers, &mut query, &mut cookies);
        if !cookies.is_empty() {
            headers.push(("Cookie".to_owned(), cookies.join("; ")));
        }
        let base = op.servers.first().map_or("", |s| s.base_path.as_str());
        let mut target = format!("{base}{path}");
        if !query.is_empty() {
            let q: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            target = format!("{target}?{}", q.join("&"));
        }
        let mut req = Request::new(&op.method, &target);
        req.headers = headers;
        let Some(rb) = &op.request_body else {
            return Ok(vec![req]);
        };
        rb.content
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let ct = media::concrete(&m.name);
                let body = self.body(&ct, m.schema.as_deref(), seed.wrapping_add(77 * i as u64))?;
                let ct = if media::kind(&ct) == MediaKind::Multipart {
                    format!("{ct}; boundary={BOUNDARY}")
                } else {
                    ct
                };
                Ok(req.clone().body(&ct, body))
            })
            .collect()
    }

    fn credentials(
        &self,
        op: &Operation,
        headers: &mut Vec<(String, String)>,
        query: &mut Vec<(String, String)>,
        cookies: &mut Vec<String>,
    ) {
        let Some(req) = op.security.first() else {
            return;
        };
        for (name, _) in &req.schemes {
            match self.spec.security_scheme(name) {
                Some(SecurityScheme::Http { scheme }) if scheme == "basic" => {
                    headers.push(("Authorization".to_owned(), "Basic dXNlcjpwYXNz".to_owned()));
                }
                Some(SecurityScheme::ApiKey { name, location }) => match location {
                    ParameterLocation::Query => query.push((name, "key-1".to_owned())),
                    ParameterLocation::Cookie => cookies.push(format!("{name}=key-1")),
                    _ => headers.push((name, "key-1".to_owned())),
                },
                Some(_) => headers.push(("Authorization".to_owned(), "Bearer token-1".to_owned())),
                None => {}
            }
        }
    }

    /// A valid body of a media kind.
    fn body(&self, ct: &str, schema: Option<&str>, seed: u64) -> Result<Vec<u8>, String> {
        let doc = self.spec.document();
        let kind = media::kind(ct);
        let resolved = schema
            .and_then(|s| self.spec.resolve(s).ok())
            .map(|(s, _)| s);
        let bytes_schema = resolved.is_some_and(|s| {
            s.get("type") == Some(&json!("string"))
                && (matches!(
                    s.get("format").and_then(Value::as_str),
                    Some("binary" | "byte")
                ) || s.get("contentMediaType").is_some())
        });
        if bytes_schema || matches!(kind, MediaKind::Binary) {
            return Ok(b"\x00\x01binary body\xff".to_vec());
        }
        let schema_value = resolved.unwrap_or(&Value::Bool(true));
        match kind {
            MediaKind::Json => {
                let v = self.value(schema, seed, |_| true)?;
                Ok(serde_json::to_vec(&v).unwrap())
            }
            MediaKind::Text => {
                let v = self
                    .value(schema, seed, Value::is_string)
                    .unwrap_or(json!("text body"));
                Ok(v.as_str().unwrap_or("text body").as_bytes().to_vec())
            }
            MediaKind::Form => {
                // A form cannot say `null`: such fields are left out.
                let v = self.value(schema, seed, |v| {
                    let mut v = v.clone();
                    if let Value::Object(m) = &mut v {
                        m.retain(|_, x| !x.is_null());
                    }
                    v.is_object() && style::form_object(&form_pairs(&v), schema_value, doc) == v
                })?;
                let pairs: Vec<String> = form_pairs(&v)
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect();
                Ok(pairs.join("&").into_bytes())
            }
            MediaKind::Multipart => {
                let v = self.value(schema, seed, |v| {
                    v.as_object().is_some_and(|m| {
                        m.values()
                            .all(|x| !x.is_null() && x.as_array().is_none_or(|a| !a.is_empty()))
                    })
                })?;
                Ok(multipart(&v, self, resolved))
            }
            MediaKind::Binary => unreachable!(),
        }
    }
}

/// An object as form pairs: arrays repeat their name, objects nest as
/// `name[key]`.
fn form_pairs(v: &Value) -> Vec<(String, String)> {
    let form = Serialization {
        style: Style::Form,
        explode: true,
    };
    let deep = Serialization {
        style: Style::DeepObject,
        explode: true,
    };
    let Value::Object(m) = v else {
        return Vec::new();
    };
    let scalar = |v: &Value| !v.is_object() && !v.is_array();
    m.iter()
        .filter(|(_, v)| !v.is_null())
        .flat_map(|(k, v)| match v {
            Value::Array(items) if items.iter().all(scalar) => form.write_query(k, v),
            Value::Object(inner) if inner.values().all(scalar) => deep.write_query(k, v),
            Value::Object(_) | Value::Array(_) => vec![(k.clone(), v.to_string())],
            v => form.write_query(k, v),
        })
        .collect()
}

/// An object as `multipart/form-data`: bytes as files, objects as JSON
/// parts, arrays as repeated parts.
fn multipart(v: &Value, builder: &Builder<'_>, schema: Option<&Value>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut part = |name: &str, value: &Value, file: bool| {
        write!(
            unsafe_string(&mut out),
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\""
        )
        .unwrap();
        let (ct, data) = match value {
            _ if file => (Some("application/octet-stream"), b"\x00\x01file".to_vec()),
            Value::String(s) => (None, s.as_bytes().to_vec()),
            Value::Object(_) | Value::Array(_) => {
                (Some("application/json"), serde_json::to_vec(value).unwrap())
            }
            v => (None, v.to_string().into_bytes()),
        };
        if file {
            out.extend_from_slice(b"; filename=\"upload.bin\"");
        }
        out.extend_from_slice(b"\r\n");
        if let Some(ct) = ct {
            out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\r\n");
    };
    let is_file = |name: &str| {
        schema
            .and_then(|s| s.pointer(&decoy_spec::pointer::push("/properties", name)))
            .map(|p| builder.deref(p))
            .is_some_and(|p| {
                let p = p.get("items").map_or(p, |i| builder.deref(i));
                p.get("format").and_then(Value::as_str) == Some("binary")
                    || p.get("contentMediaType").is_some()
            })
    };
    for (k, v) in v.as_object().into_iter().flatten() {
        match v {
            Value::Array(items)
                if items.iter().all(|i| !i.is_object() && !i.is_array()) || is_file(k) =>
            {
                for i in items {
                    part(k, i, is_file(k));
                }
            }
            v => part(k, v, is_file(k)),
        }
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// `write!` into a byte buffer.
fn unsafe_string(out: &mut Vec<u8>) -> impl std::fmt::Write + '_ {
    struct W<'a>(&'a mut Vec<u8>);
    impl std::fmt::Write for W<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.extend_from_slice(s.as_bytes());
            Ok(())
        }
    }
    W(out)
}

impl Builder<'_> {
    fn deref<'v>(&'v self, v: &'v Value) -> &'v Value {
        let mut v = v;
        for _ in 0..16 {
            match v
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(decoy_spec::pointer::from_ref)
                .and_then(|p| self.spec.get(&p))
            {
                Some(t) => v = t,
                None => break,
            }
        }
        v
    }
}

/// Operations of the real-world documents that no valid request can reach,
/// with why: (document, operation, what the request builder says).
/// Asserted both ways: each still fails to build, for this reason, and
/// nothing else does.
const CANNOT_EXERCISE: &[(&str, &str, &str)] = &[(
    // A `oneOf` of 23 update DTOs with no required property and no
    // discriminator: an object one branch accepts, the others accept too,
    // so almost no body is valid, and decoy-synth finds none.
    "vapi-api.json",
    "ToolController_update",
    "no oneOf branch produced a value that matches exactly one branch",
)];

#[tokio::test]
async fn every_wild_operation_accepts_valid_requests_and_answers_as_documented() {
    let mut files: Vec<_> = std::fs::read_dir(crate::util::wild_dir())
        .expect("../shared/specs-wild is present")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "yaml")
            )
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 10, "expected the ten documents of specs-wild");
    let mut summary = String::new();
    let mut failures = Vec::new();
    let mut unbuildable = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        let spec = Spec::load(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let validators = Validators::new(&spec);
        let server = MockServer::start(spec.clone()).await;
        let builder = Builder::new(&spec);
        let (mut ops, mut requests) = (0, 0);
        for (n, op) in spec.operations().iter().enumerate() {
            let seed = decoy_synth::derive_seed(16, &op.name());
            let reqs = match builder.requests(op, seed) {
                Ok(r) => r,
                Err(e) => {
                    unbuildable.push((file.clone(), op.name(), e));
                    continue;
                }
            };
            ops += 1;
            for req in reqs {
                requests += 1;
                let reply = exchange(server.address(), &req).await;
                if let Some(why) = undocumented(&spec, &validators, op, &reply) {
                    failures.push(format!(
                        "{file} #{n} {} (seed {seed}): {why}\n    {}",
                        op.name(),
                        req.curl()
                    ));
                }
            }
        }
        writeln!(
            summary,
            "{file}: {ops}/{} operations, {requests} requests",
            spec.operations().len()
        )
        .unwrap();
    }
    eprintln!("{summary}");
    for (file, op, why) in &unbuildable {
        eprintln!("cannot build: {file} {op}: {why}");
    }

    assert!(
        failures.is_empty(),
        "{} requests were refused or answered off the document:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        unbuildable.len(),
        CANNOT_EXERCISE.len(),
        "operations that cannot be exercised changed: {unbuildable:#?}"
    );
    for ((file, op, why), (f, o, reason)) in unbuildable.iter().zip(CANNOT_EXERCISE) {
        assert!(
            file == f && op == o && why.contains(reason),
            "{file} {op} cannot be exercised: {why}; expected {f} {o}: {reason}"
        );
    }
}
