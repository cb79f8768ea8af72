//! `--record FILE`: every exchange as one NDJSON line (the format is
//! [`decoy_mock::replay::Recording`], which `decoy mock --replay` reads),
//! with credentials and the `--redact` names and pointers replaced by
//! `[redacted]`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use bytes::Bytes;
use decoy_mock::replay::{REDACTED, Recorded, Recording, redact_json, redact_query};
use decoy_spec::{ParameterLocation, SecurityScheme, Spec};
use hyper::HeaderMap;

use crate::ProxyError;

/// Headers that carry credentials, always redacted.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// One exchange, as the forwarder saw it.
pub(crate) struct Taken<'a> {
    pub(crate) operation: Option<String>,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) request_headers: &'a HeaderMap,
    pub(crate) request_body: Recorded,
    pub(crate) status: u16,
    pub(crate) response_headers: &'a HeaderMap,
    pub(crate) response_body: Recorded,
}

/// Appends redacted exchanges to a file, one line each, flushed at once so
/// a killed proxy loses nothing it answered.
pub(crate) struct Recorder {
    out: Mutex<BufWriter<File>>,
    headers: Vec<String>,
    /// Query parameters redacted: the document's API keys sent in the
    /// query, and the `--redact` names.
    query: Vec<String>,
    pointers: Vec<String>,
}

impl Recorder {
    /// Creates (or empties) `path`. `redact` holds names (of headers and
    /// query parameters) and JSON pointers; the document's API keys, in
    /// headers or in the query, are added.
    pub(crate) fn create(
        path: &Path,
        redact: &[String],
        spec: &Spec,
    ) -> Result<Recorder, ProxyError> {
        let file = File::create(path).map_err(|source| ProxyError::Record {
            path: path.display().to_string(),
            source,
        })?;
        let mut headers: Vec<String> = SECRET_HEADERS.iter().map(|h| (*h).to_owned()).collect();
        let mut pointers = Vec::new();
        let mut query = Vec::new();
        for r in redact {
            if r.starts_with('/') {
                pointers.push(r.clone());
            } else {
                headers.push(r.to_ascii_lowercase());
                query.push(r.clone());
            }
        }
        let schemes = spec
            .get("/components/securitySchemes")
            .and_then(|s| s.as_object())
            .map(|m| m.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        for name in schemes {
            match spec.security_scheme(&name) {
                Some(SecurityScheme::ApiKey {
                    name,
                    location: ParameterLocation::Header,
                }) => headers.push(name.to_ascii_lowercase()),
                Some(SecurityScheme::ApiKey {
                    name,
                    location: ParameterLocation::Query,
                }) => query.push(name),
                _ => {}
            }
        }
        Ok(Recorder {
            out: Mutex::new(BufWriter::new(file)),
            headers,
            query,
            pointers,
        })
    }

    fn headers(&self, map: &HeaderMap) -> Vec<(String, String)> {
        map.iter()
            .map(|(n, v)| {
                let name = n.as_str().to_owned();
                let value = if self.headers.contains(&name) {
                    REDACTED.to_owned()
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                };
                (name, value)
            })
            .collect()
    }

    /// The body with `--redact` pointers replaced; whether any was.
    fn body(&self, body: Recorded) -> (Recorded, bool) {
        let Recorded::Bytes(bytes) = &body else {
            return (body, false);
        };
        if self.pointers.is_empty() {
            return (body, false);
        }
        let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return (body, false);
        };
        if !redact_json(&mut v, &self.pointers) {
            return (body, false);
        }
        let text = serde_json::to_vec(&v).unwrap_or_default();
        (Recorded::Bytes(Bytes::from(text)), true)
    }

    pub(crate) fn write(&self, t: Taken<'_>) -> std::io::Result<()> {
        let (request_body, a) = self.body(t.request_body);
        let (response_body, b) = self.body(t.response_body);
        let mut r = Recording::new(t.method, t.path, t.status);
        r.operation = t.operation;
        r.query = t
            .query
            .map(|q| redact_query(q, &self.query).unwrap_or_else(|| q.to_owned()));
        r.request_headers = self.headers(t.request_headers);
        r.request_body = request_body;
        r.response_headers = self.headers(t.response_headers);
        r.response_body = response_body;
        if a || b {
            r.redacted = self.pointers.clone();
        }
        let mut line = r.to_line();
        line.push('\n');
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        out.write_all(line.as_bytes())?;
        out.flush()
    }
}
