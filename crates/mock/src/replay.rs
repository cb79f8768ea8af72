//! Recorded traffic, and answering it again: `decoy proxy --record FILE`
//! writes one [`Recording`] per line (NDJSON); `decoy mock --replay FILE`
//! loads them into a [`Replay`], which answers a request that was recorded
//! with the response that was recorded, byte for byte.
//!
//! A request matches a recording with the same method, path, query (pairs
//! in any order) and body (JSON compared as values, so key order and
//! whitespace do not matter; other bodies byte for byte). A request recorded
//! several times replays its answers in the order they were recorded; once
//! they run out the last one repeats. `POST /__decoy/reset` rewinds.
//! A redacted value (a body value, or a query parameter such as an API key)
//! matches any value.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::path::Path;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::{Body, Frame, SizeHint};
use serde_json::{Value, json};

/// What a redacted value, header or cookie is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Why a recording file cannot be replayed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a recording.
    #[error("{origin}:{line}: {message}")]
    Line {
        /// The file.
        origin: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
}

/// One recorded exchange: a line of a `--record` file.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Recording {
    /// The operation the request matched, if any.
    pub operation: Option<String>,
    /// Upper-case method.
    pub method: String,
    /// The path, as sent (percent-encoded).
    pub path: String,
    /// The query string without `?`, if any.
    pub query: Option<String>,
    /// Request headers in order, lower-case names (credentials redacted).
    pub request_headers: Vec<(String, String)>,
    /// The request body.
    pub request_body: Recorded,
    /// The response status.
    pub status: u16,
    /// Response headers in order, lower-case names (cookies redacted).
    pub response_headers: Vec<(String, String)>,
    /// The response body.
    pub response_body: Recorded,
    /// JSON pointers whose values were redacted in both bodies.
    pub redacted: Vec<String>,
}

/// A recorded body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recorded {
    /// The whole body.
    Bytes(Bytes),
    /// Too large to record: only its size (such exchanges are not replayed).
    Omitted(u64),
}

impl Recorded {
    fn to_json(&self, out: &mut serde_json::Map<String, Value>) {
        match self {
            Recorded::Bytes(b) if b.is_empty() => {}
            Recorded::Bytes(b) => match std::str::from_utf8(b) {
                Ok(text) => {
                    out.insert("body".into(), Value::String(text.to_owned()));
                }
                Err(_) => {
                    let encoded = base64::engine::general_purpose::STANDARD.encode(b);
                    out.insert("body_base64".into(), Value::String(encoded));
                }
            },
            Recorded::Omitted(n) => {
                out.insert("body_omitted_bytes".into(), json!(n));
            }
        }
    }

    fn from_json(v: &Value, at: &str) -> Result<Recorded, String> {
        if let Some(n) = v.get("body_omitted_bytes") {
            let n = n
                .as_u64()
                .ok_or_else(|| format!("{at}/body_omitted_bytes: expected a number"))?;
            return Ok(Recorded::Omitted(n));
        }
        if let Some(b) = v.get("body_base64") {
            let text = b
                .as_str()
                .ok_or_else(|| format!("{at}/body_base64: expected a string"))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| format!("{at}/body_base64: {e}"))?;
            return Ok(Recorded::Bytes(Bytes::from(bytes)));
        }
        match v.get("body") {
            None | Some(Value::Null) => Ok(Recorded::Bytes(Bytes::new())),
            Some(Value::String(s)) => Ok(Recorded::Bytes(Bytes::from(s.clone()))),
            Some(_) => Err(format!("{at}/body: expected a string")),
        }
    }
}

impl Recording {
    /// A recording of `method path` answered with `status`, without
    /// headers or bodies.
    pub fn new(method: &str, path: &str, status: u16) -> Recording {
        Recording {
            operation: None,
            method: method.to_owned(),
            path: path.to_owned(),
            query: None,
            request_headers: Vec::new(),
            request_body: Recorded::Bytes(Bytes::new()),
            status,
            response_headers: Vec::new(),
            response_body: Recorded::Bytes(Bytes::new()),
            redacted: Vec::new(),
        }
    }

    /// The recording as one NDJSON line (no newline).
    pub fn to_line(&self) -> String {
        let headers =
            |hs: &[(String, String)]| -> Value { hs.iter().map(|(n, v)| json!([n, v])).collect() };
        let mut request = serde_json::Map::new();
        request.insert("method".into(), json!(self.method));
        request.insert("path".into(), json!(self.path));
        if let Some(q) = &self.query {
            request.insert("query".into(), json!(q));
        }
        request.insert("headers".into(), headers(&self.request_headers));
        self.request_body.to_json(&mut request);
        let mut response = serde_json::Map::new();
        response.insert("status".into(), json!(self.status));
        response.insert("headers".into(), headers(&self.response_headers));
        self.response_body.to_json(&mut response);
        let mut line = serde_json::Map::new();
        if let Some(op) = &self.operation {
            line.insert("operation".into(), json!(op));
        }
        line.insert("request".into(), Value::Object(request));
        line.insert("response".into(), Value::Object(response));
        if !self.redacted.is_empty() {
            line.insert("redacted".into(), json!(self.redacted));
        }
        Value::Object(line).to_string()
    }

    /// Parses one line written by [`Recording::to_line`]; the message names
    /// the JSON pointer at fault.
    pub fn parse(line: &str) -> Result<Recording, String> {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
        let text = |p: &str| -> Result<String, String> {
            v.pointer(p)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("{p}: expected a string"))
        };
        let headers = |p: &str| -> Result<Vec<(String, String)>, String> {
            let Some(list) = v.pointer(p) else {
                return Ok(Vec::new());
            };
            let list = list
                .as_array()
                .ok_or_else(|| format!("{p}: expected an array of [name, value]"))?;
            list.iter()
                .enumerate()
                .map(|(i, pair)| match pair.as_array().map(Vec::as_slice) {
                    Some([Value::String(n), Value::String(v)]) => Ok((n.clone(), v.clone())),
                    _ => Err(format!("{p}/{i}: expected [name, value]")),
                })
                .collect()
        };
        let status = v
            .pointer("/response/status")
            .and_then(Value::as_u64)
            .filter(|s| (100..=999).contains(s))
            .ok_or("/response/status: expected a status code")?;
        let redacted = match v.get("redacted") {
            None => Vec::new(),
            Some(Value::Array(ps)) => ps
                .iter()
                .map(|p| {
                    p.as_str()
                        .map(str::to_owned)
                        .ok_or("/redacted: expected strings")
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("/redacted: expected an array of JSON pointers".into()),
        };
        Ok(Recording {
            operation: v
                .get("operation")
                .and_then(Value::as_str)
                .map(str::to_owned),
            method: text("/request/method")?.to_ascii_uppercase(),
            path: text("/request/path")?,
            query: v
                .pointer("/request/query")
                .and_then(Value::as_str)
                .map(str::to_owned),
            request_headers: headers("/request/headers")?,
            request_body: Recorded::from_json(&v["request"], "/request")?,
            status: status as u16,
            response_headers: headers("/response/headers")?,
            response_body: Recorded::from_json(&v["response"], "/response")?,
            redacted,
        })
    }
}

/// Replaces the value at each JSON pointer of `value` (that exists) with
/// [`REDACTED`]; returns whether anything changed.
pub fn redact_json(value: &mut Value, pointers: &[String]) -> bool {
    let mut changed = false;
    for p in pointers {
        if let Some(v) = value.pointer_mut(p) {
            *v = Value::String(REDACTED.to_owned());
            changed = true;
        }
    }
    changed
}

/// The query string with the value of each parameter named in `names`
/// replaced by [`REDACTED`]; `None` when nothing was. Names compare after
/// percent-decoding, so `api%5Fkey` is `api_key`.
pub fn redact_query(query: &str, names: &[String]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let mut changed = false;
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let (k, _) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = percent_encoding::percent_decode_str(k).decode_utf8_lossy();
            if names.iter().any(|n| *n == decoded) {
                changed = true;
                format!("{k}={REDACTED}")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    changed.then(|| pairs.join("&"))
}

/// Whether a request's query pairs match recorded ones: the same pairs,
/// where a recorded [`REDACTED`] value stands for any value.
fn query_matches(recorded: &[(String, String)], sent: &[(String, String)]) -> bool {
    recorded.len() == sent.len()
        && recorded
            .iter()
            .zip(sent)
            .all(|((rk, rv), (sk, sv))| rk == sk && (rv == sv || rv == REDACTED))
}

/// A body as matching compares it.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Json(Value),
    Raw(Bytes),
}

impl Key {
    fn of(bytes: &Bytes, redacted: &[String]) -> Key {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(mut v) if !bytes.is_empty() => {
                redact_json(&mut v, redacted);
                Key::Json(v)
            }
            _ => Key::Raw(bytes.clone()),
        }
    }
}

/// A response to replay.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Answer {
    /// The recorded operation, if any.
    pub operation: Option<String>,
    /// The recorded status.
    pub status: u16,
    /// The recorded headers (framing headers dropped: the server sets them).
    pub headers: Vec<(String, String)>,
    /// The recorded body.
    pub body: Bytes,
}

/// Requests that match the same recordings, and where their answers are.
#[derive(Debug)]
struct Group {
    query: Vec<(String, String)>,
    body: Key,
    redacted: Vec<String>,
    answers: Vec<Answer>,
}

/// Recorded exchanges, ready to answer requests (see the module docs).
#[derive(Debug, Default)]
pub struct Replay {
    groups: HashMap<(String, String), Vec<Group>>,
    /// Next answer of each group, by (method, path) and index.
    cursors: Mutex<HashMap<(String, String, usize), usize>>,
    recordings: usize,
    skipped: usize,
}

impl Replay {
    /// Loads an NDJSON file written by `decoy proxy --record`.
    pub fn load(path: &Path) -> Result<Replay, ReplayError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReplayError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Replay::parse(&text, &path.display().to_string())
    }

    /// Parses recordings, one per line (blank lines ignored).
    pub fn parse(text: &str, origin: &str) -> Result<Replay, ReplayError> {
        let mut replay = Replay::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let r = Recording::parse(line).map_err(|message| ReplayError::Line {
                origin: origin.to_owned(),
                line: i + 1,
                message,
            })?;
            replay.add(r);
        }
        Ok(replay)
    }

    fn add(&mut self, r: Recording) {
        let (Recorded::Bytes(request), Recorded::Bytes(response)) =
            (&r.request_body, &r.response_body)
        else {
            self.skipped += 1;
            return;
        };
        self.recordings += 1;
        let query = sorted_pairs(r.query.as_deref());
        let body = Key::of(request, &r.redacted);
        let answer = Answer {
            operation: r.operation.clone(),
            status: r.status,
            headers: r
                .response_headers
                .iter()
                .filter(|(n, _)| !is_framing(n))
                .cloned()
                .collect(),
            body: response.clone(),
        };
        let groups = self.groups.entry((r.method, r.path)).or_default();
        match groups
            .iter_mut()
            .find(|g| g.query == query && g.body == body && g.redacted == r.redacted)
        {
            Some(g) => g.answers.push(answer),
            None => groups.push(Group {
                query,
                body,
                redacted: r.redacted,
                answers: vec![answer],
            }),
        }
    }

    /// Recordings that can be replayed.
    pub fn len(&self) -> usize {
        self.recordings
    }

    /// Whether there is nothing to replay.
    pub fn is_empty(&self) -> bool {
        self.recordings == 0
    }

    /// Recordings left out because a body was too large to record.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Starts every sequence of answers again from its first.
    pub fn rewind(&self) {
        self.cursors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The next recorded answer to this request, if it was recorded.
    pub fn lookup(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: &Bytes,
    ) -> Option<Answer> {
        let key = (method.to_owned(), path.to_owned());
        let groups = self.groups.get(&key)?;
        let query = sorted_pairs(query);
        let (i, group) = groups.iter().enumerate().find(|(_, g)| {
            query_matches(&g.query, &query) && Key::of(body, &g.redacted) == g.body
        })?;
        let mut cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        let next = cursors.entry((key.0, key.1, i)).or_insert(0);
        let answer = group.answers[(*next).min(group.answers.len() - 1)].clone();
        *next += 1;
        Some(answer)
    }

    /// Reads the request's body (at most `limit` bytes, within `timeout`)
    /// and looks it up. A request that was not recorded comes back whole,
    /// its body as it arrived, for the mock to answer as usual.
    pub(crate) async fn answer<B>(
        &self,
        req: Request<B>,
        limit: usize,
        timeout: Duration,
    ) -> Result<Answer, Request<Prefixed<B>>>
    where
        B: Body<Data = Bytes> + Unpin,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let (parts, body) = req.into_parts();
        let read = tokio::time::timeout(timeout, read_prefix(body, limit)).await;
        let (prefix, rest) = match read {
            Ok(Ok(whole)) => (whole, None),
            Ok(Err(partial)) => partial,
            Err(_) => return Err(Request::from_parts(parts, Prefixed::new(Vec::new(), None))),
        };
        let whole = match &rest {
            None => Some(concat(&prefix)),
            Some(_) => None,
        };
        if let Some(body) = &whole
            && let Some(a) = self.lookup(
                parts.method.as_str(),
                parts.uri.path(),
                parts.uri.query(),
                body,
            )
        {
            return Ok(a);
        }
        Err(Request::from_parts(parts, Prefixed::new(prefix, rest)))
    }
}

/// Reads data frames until the body ends (`Ok`, every chunk) or passes
/// `limit` bytes (`Err`: the chunks read so far and the rest of the body).
/// A body that fails also comes back as `Err`, so its reader sees the error.
pub async fn read_prefix<B>(
    mut body: B,
    limit: usize,
) -> Result<Vec<Bytes>, (Vec<Bytes>, Option<B>)>
where
    B: Body<Data = Bytes> + Unpin,
{
    let mut chunks = Vec::new();
    let mut total = 0usize;
    loop {
        match body.frame().await {
            None => return Ok(chunks),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    total += data.len();
                    chunks.push(data);
                    if total > limit {
                        return Err((chunks, Some(body)));
                    }
                }
            }
            Some(Err(_)) => return Err((chunks, None)),
        }
    }
}

/// The chunks as one buffer.
pub fn concat(chunks: &[Bytes]) -> Bytes {
    match chunks {
        [] => Bytes::new(),
        [one] => one.clone(),
        many => Bytes::from(many.concat()),
    }
}

/// A body whose first chunks were already read: those, then the rest.
#[derive(Debug)]
pub struct Prefixed<B> {
    prefix: std::collections::VecDeque<Bytes>,
    rest: Option<B>,
}

impl<B> Prefixed<B> {
    /// `prefix`, then whatever `rest` still has.
    pub fn new(prefix: Vec<Bytes>, rest: Option<B>) -> Prefixed<B> {
        Prefixed {
            prefix: prefix.into(),
            rest,
        }
    }
}

impl<B> Body for Prefixed<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        if let Some(chunk) = self.prefix.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        match self.rest.as_mut() {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_empty() && self.rest.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        let known: u64 = self.prefix.iter().map(|b| b.len() as u64).sum();
        match &self.rest {
            None => SizeHint::with_exact(known),
            Some(rest) => {
                let h = rest.size_hint();
                let mut out = SizeHint::new();
                out.set_lower(known + h.lower());
                if let Some(u) = h.upper() {
                    out.set_upper(known + u);
                }
                out
            }
        }
    }
}

/// Headers the server sets itself when it frames the body.
fn is_framing(name: &str) -> bool {
    ["content-length", "transfer-encoding", "connection", "date"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

fn sorted_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    pairs.sort();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(method: &str, path: &str, query: Option<&str>, body: &str, answer: &str) -> Recording {
        Recording {
            operation: None,
            method: method.into(),
            path: path.into(),
            query: query.map(str::to_owned),
            request_headers: vec![("authorization".into(), REDACTED.into())],
            request_body: Recorded::Bytes(Bytes::from(body.to_owned())),
            status: 200,
            response_headers: vec![
                ("content-type".into(), "application/json".into()),
                ("content-length".into(), "2".into()),
            ],
            response_body: Recorded::Bytes(Bytes::from(answer.to_owned())),
            redacted: Vec::new(),
        }
    }

    #[test]
    fn a_line_round_trips() {
        let mut r = rec("POST", "/a", Some("x=1"), "{\"k\": 1}", "{}");
        r.response_body = Recorded::Bytes(Bytes::from_static(&[0xff, 0x00, 0x10]));
        r.redacted = vec!["/password".into()];
        assert_eq!(Recording::parse(&r.to_line()).unwrap(), r);
        let big = Recording {
            response_body: Recorded::Omitted(10_000_000),
            ..r
        };
        assert_eq!(Recording::parse(&big.to_line()).unwrap(), big);
    }

    #[test]
    fn repeated_requests_replay_in_order_then_repeat_the_last() {
        let lines: Vec<String> = ["1", "2", "3"]
            .iter()
            .map(|n| rec("GET", "/n", Some("a=1&b=2"), "", n).to_line())
            .collect();
        let replay = Replay::parse(&lines.join("\n"), "t.ndjson").unwrap();
        let next = || {
            replay
                .lookup("GET", "/n", Some("b=2&a=1"), &Bytes::new())
                .map(|a| a.body)
        };
        assert_eq!(next().unwrap(), "1");
        assert_eq!(next().unwrap(), "2");
        assert_eq!(next().unwrap(), "3");
        assert_eq!(next().unwrap(), "3");
        replay.rewind();
        assert_eq!(next().unwrap(), "1");
        assert!(replay.lookup("GET", "/n", None, &Bytes::new()).is_none());
        assert!(
            replay
                .lookup("POST", "/n", Some("a=1&b=2"), &Bytes::new())
                .is_none()
        );
    }

    #[test]
    fn bodies_match_as_json_values_with_redacted_pointers_ignored() {
        let mut r = rec(
            "POST",
            "/login",
            None,
            r#"{"user":"a","password":"[redacted]"}"#,
            "ok",
        );
        r.redacted = vec!["/password".into()];
        let replay = Replay::parse(&r.to_line(), "t").unwrap();
        let body = Bytes::from_static(br#"{ "password": "hunter2", "user": "a" }"#);
        let a = replay.lookup("POST", "/login", None, &body).unwrap();
        assert_eq!(a.body, "ok");
        // Framing headers are the server's business.
        assert_eq!(
            a.headers,
            vec![("content-type".into(), "application/json".into())]
        );
        let other = Bytes::from_static(br#"{"user":"b","password":"x"}"#);
        assert!(replay.lookup("POST", "/login", None, &other).is_none());
    }

    #[test]
    fn a_bad_line_names_the_file_line_and_pointer() {
        let text = format!(
            "{}\n{{\"request\":{{}}}}\n",
            rec("GET", "/", None, "", "").to_line()
        );
        let err = Replay::parse(&text, "rec.ndjson").unwrap_err().to_string();
        assert_eq!(
            err,
            "rec.ndjson:2: /response/status: expected a status code"
        );
    }

    #[test]
    fn query_keys_are_redacted_by_name_and_match_any_value() {
        let names = vec!["api_key".to_owned()];
        assert_eq!(
            redact_query("a=1&api%5Fkey=s3cret&b=2", &names).as_deref(),
            Some("a=1&api%5Fkey=[redacted]&b=2")
        );
        assert_eq!(redact_query("a=1&b=2", &names), None);
        assert_eq!(redact_query("api_key=x", &[]), None);

        let recorded = sorted_pairs(Some("b=2&api_key=[redacted]"));
        assert!(query_matches(
            &recorded,
            &sorted_pairs(Some("api_key=other&b=2"))
        ));
        assert!(!query_matches(
            &recorded,
            &sorted_pairs(Some("api_key=other&b=3"))
        ));
        assert!(!query_matches(&recorded, &sorted_pairs(Some("b=2"))));
    }
}
