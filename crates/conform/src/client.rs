//! The HTTP side: a pooled plain-HTTP client with a connect timeout, a
//! whole-exchange timeout and a response-size cap, so a hostile or broken
//! target can make a run fail but never hang it or exhaust memory.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::auth::{Credential, Place};
use crate::{Config, ConformError};

/// A request as sent, kept whole so it can be replayed and printed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    /// Upper-case method.
    pub(crate) method: String,
    /// Path and query, percent-encoded, without the base URL.
    pub(crate) target: String,
    /// Headers besides the run's credentials (those are added at send time,
    /// so they never end up in reports).
    pub(crate) headers: Vec<(String, String)>,
    /// The body, if any.
    pub(crate) body: Option<Payload>,
    /// Whether to send the run's credentials.
    pub(crate) auth: Auth,
    /// The operation's `--auth` credentials (added at send time, like the
    /// token, so their values never reach a report).
    pub(crate) creds: Vec<Credential>,
}

/// Which credentials a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// The configured token and headers.
    Configured,
    /// None at all.
    Missing,
    /// A token that cannot be right.
    Invalid,
}

/// The value sent as the invalid bearer token.
pub(crate) const INVALID_TOKEN: &str = "decoy-invalid-token";

/// A request body: text, then `pad` bytes of JSON whitespace (the large-body
/// probe stays schema-valid and prints short).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Payload {
    pub(crate) content_type: String,
    pub(crate) text: String,
    pub(crate) pad: usize,
}

impl Payload {
    pub(crate) fn len(&self) -> usize {
        self.text.len() + self.pad
    }

    fn bytes(&self) -> Bytes {
        if self.pad == 0 {
            return Bytes::from(self.text.clone());
        }
        let mut v = Vec::with_capacity(self.len());
        v.extend_from_slice(self.text.as_bytes());
        v.resize(self.len(), b' ');
        Bytes::from(v)
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub(crate) status: u16,
    /// Lower-case names.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
    pub(crate) elapsed: Duration,
}

impl Exchange {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why an exchange did not complete. These are findings, not errors: the
/// target misbehaved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    Timeout(Duration),
    TooLarge(usize),
    Broken(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Timeout(d) => write!(f, "no complete response within {d:?}"),
            Failure::TooLarge(cap) => write!(f, "response body larger than {cap} bytes"),
            Failure::Broken(m) => write!(f, "connection failed: {m}"),
        }
    }
}

pub(crate) struct Client {
    inner: HyperClient<HttpConnector, Full<Bytes>>,
    /// Never reuses a connection: the one retry of an exchange that failed
    /// before any response byte goes out on it.
    fresh: HyperClient<HttpConnector, Full<Bytes>>,
    /// `http://host:port` plus any path prefix, no trailing slash.
    pub(crate) base: String,
    authority: String,
    token: Option<String>,
    headers: Vec<(String, String)>,
    timeout: Duration,
    cap: usize,
}

impl Client {
    pub(crate) fn new(config: &Config) -> Result<Client, ConformError> {
        let usage = |message: String| ConformError::Usage {
            setting: "base_url",
            message,
        };
        let base = config.base_url.trim_end_matches('/').to_owned();
        let rest = base.strip_prefix("http://").ok_or_else(|| {
            usage(format!(
                "`{}`: only plain http:// targets are supported",
                config.base_url
            ))
        })?;
        let authority = rest.split('/').next().unwrap_or("").to_owned();
        if authority.is_empty() {
            return Err(usage(format!("`{}` has no host", config.base_url)));
        }
        let uri: Result<hyper::Uri, _> = format!("{base}/").parse();
        uri.map_err(|e| usage(format!("`{}`: {e}", config.base_url)))?;
        for (name, value) in &config.headers {
            hyper::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ConformError::Usage {
                    setting: "headers",
                    message: format!("`{name}` is not a header name"),
                }
            })?;
            hyper::header::HeaderValue::from_str(value).map_err(|_| ConformError::Usage {
                setting: "headers",
                message: format!("the value of `{name}` is not a valid header value"),
            })?;
        }
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.connect_timeout));
        connector.set_nodelay(true);
        let inner = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector.clone());
        let fresh = HyperClient::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Ok(Client {
            inner,
            fresh,
            base,
            authority,
            token: config.token.clone(),
            headers: config.headers.clone(),
            timeout: config.request_timeout,
            cap: config.max_response_bytes,
        })
    }

    /// Opens one TCP connection, so an unreachable target is a usage error
    /// (exit 2) rather than a report full of transport findings.
    pub(crate) async fn probe(&self, timeout: Duration) -> Result<(), ConformError> {
        let connect = tokio::net::TcpStream::connect(self.authority.as_str());
        match tokio::time::timeout(timeout, connect).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(ConformError::Connect {
                url: self.base.clone(),
                message: e.to_string(),
            }),
            Err(_) => Err(ConformError::Connect {
                url: self.base.clone(),
                message: format!("no connection within {timeout:?}"),
            }),
        }
    }

    /// Whether a bearer token was configured (`--token`).
    pub(crate) fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The headers a request goes out with, credentials included.
    pub(crate) fn wire_headers(&self, request: &Request) -> Vec<(String, String)> {
        let mut out = Vec::new();
        match request.auth {
            Auth::Configured => {
                if let Some(t) = &self.token {
                    out.push(("Authorization".to_owned(), format!("Bearer {t}")));
                }
                out.extend(self.headers.iter().cloned());
            }
            Auth::Missing => {}
            Auth::Invalid => {
                if self.token.is_some() {
                    out.push((
                        "Authorization".to_owned(),
                        format!("Bearer {INVALID_TOKEN}"),
                    ));
                }
            }
        }
        if request.auth != Auth::Missing {
            let value = |c: &Credential| match request.auth {
                Auth::Invalid => c.invalid.clone(),
                _ => c.value.clone(),
            };
            let mut cookies = Vec::new();
            for c in &request.creds {
                match &c.place {
                    Place::Header(name) => {
                        out.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                        out.push((name.clone(), value(c)));
                    }
                    Place::Cookie(name) => cookies.push(format!("{name}={}", value(c))),
                    Place::Query(_) => {}
                }
            }
            if !cookies.is_empty() {
                out.push(("Cookie".to_owned(), cookies.join("; ")));
            }
        }
        if let Some(body) = &request.body {
            out.push(("Content-Type".to_owned(), body.content_type.clone()));
        }
        out.extend(request.headers.iter().cloned());
        out
    }

    pub(crate) async fn send(&self, request: &Request) -> Result<Exchange, Failure> {
        let mut url = format!("{}{}", self.base, request.target);
        if request.auth != Auth::Missing {
            for c in &request.creds {
                if let Place::Query(name) = &c.place {
                    let value = match request.auth {
                        Auth::Invalid => &c.invalid,
                        _ => &c.value,
                    };
                    let sep = if url.contains('?') { '&' } else { '?' };
                    url = format!(
                        "{url}{sep}{}={}",
                        crate::model::encode(name),
                        crate::model::encode(value)
                    );
                }
            }
        }
        let build = || {
            let mut builder = hyper::Request::builder()
                .method(request.method.as_str())
                .uri(url.as_str());
            for (n, v) in self.wire_headers(request) {
                builder = builder.header(n, v);
            }
            let body = request
                .body
                .as_ref()
                .map(Payload::bytes)
                .unwrap_or_default();
            builder
                .body(Full::new(body))
                .map_err(|e| Failure::Broken(format!("cannot build the request for {url}: {e}")))
        };
        let started = Instant::now();
        let cap = self.cap;
        let exchange = async {
            let response = match self.inner.request(build()?).await {
                Ok(r) => r,
                // A pooled connection the server closed without saying so
                // (common after a 500) fails before any response byte: that
                // is not the operation's fault, so try once on a new
                // connection and report only what fails there.
                Err(first) if !first.is_connect() => self
                    .fresh
                    .request(build()?)
                    .await
                    .map_err(|e| Failure::Broken(error_chain(&e)))?,
                Err(e) => return Err(Failure::Broken(error_chain(&e))),
            };
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, cap)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        Failure::TooLarge(cap)
                    } else {
                        Failure::Broken(e.to_string())
                    }
                })?
                .to_bytes();
            let headers = parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            Ok(Exchange {
                status: parts.status.as_u16(),
                headers,
                body,
                elapsed: started.elapsed(),
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Timeout(self.timeout)),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}
