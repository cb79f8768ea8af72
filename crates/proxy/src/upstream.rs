//! The upstream: where requests go, and the pooled client that takes them
//! there, plain HTTP or HTTPS through rustls (the system's roots plus any
//! `--upstream-ca`).

use std::sync::Arc;
use std::time::Duration;

use hyper::Uri;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::ProxyError;
use crate::body::ProxyBody;

/// A parsed upstream URL.
#[derive(Debug, Clone)]
pub(crate) struct Upstream {
    /// `http` or `https`.
    pub(crate) scheme: String,
    /// `host:port`.
    pub(crate) authority: String,
    /// A path prefix without a trailing slash (may be empty).
    pub(crate) prefix: String,
}

impl Upstream {
    pub(crate) fn parse(url: &str) -> Result<Upstream, ProxyError> {
        let bad = |message: &str| ProxyError::Upstream {
            url: url.to_owned(),
            message: message.to_owned(),
        };
        let uri: Uri = url.parse().map_err(|e| bad(&format!("{e}")))?;
        let scheme = match uri.scheme_str() {
            Some(s @ ("http" | "https")) => s.to_owned(),
            Some(_) => return Err(bad("only http:// and https:// upstreams are supported")),
            None => return Err(bad("expected a URL such as http://127.0.0.1:8080")),
        };
        let authority = uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .filter(|a| !a.is_empty())
            .ok_or_else(|| bad("the URL has no host"))?;
        if uri.query().is_some() {
            return Err(bad("an upstream URL cannot have a query"));
        }
        Ok(Upstream {
            scheme,
            authority,
            prefix: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// The absolute URL for a request target (`/path?query`).
    pub(crate) fn url(&self, target: &str) -> String {
        format!(
            "{}://{}{}{target}",
            self.scheme, self.authority, self.prefix
        )
    }
}

/// The client every forwarded request goes through.
pub(crate) type Client = HyperClient<HttpsConnector<HttpConnector>, ProxyBody>;

/// A pooled client for plain and TLS upstreams.
pub(crate) fn client(
    ca: Option<&std::path::Path>,
    connect_timeout: Duration,
) -> Result<Client, ProxyError> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable system certificates are not fatal: --upstream-ca may be
    // all that is needed.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca {
        let cert_error = |message: String| ProxyError::Certificate {
            path: path.display().to_string(),
            message,
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| cert_error(format!("cannot read PEM certificates: {e}")))?
            .collect::<Result<_, _>>()
            .map_err(|e| cert_error(format!("not a PEM certificate: {e}")))?;
        if certs.is_empty() {
            return Err(cert_error("no CERTIFICATE block in the file".into()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| cert_error(format!("unusable certificate: {e}")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ProxyError::Upstream {
            url: String::new(),
            message: format!("TLS setup: {e}"),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(HyperClient::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector))
}

/// Why the upstream gave no usable answer, in words a client can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// 502: it refused the connection, or TLS failed.
    Connect(String),
    /// 504: no connection within the connect timeout.
    ConnectTimeout(Duration),
    /// 504: no response head in time.
    NoHead(Duration),
    /// 502: it closed or reset the connection before answering.
    Closed(String),
    /// 504: the body did not finish in time.
    SlowBody(Duration),
    /// 502: the body broke off after `n` bytes.
    BrokenBody(usize),
}

impl Failure {
    /// The status the client gets.
    pub(crate) fn status(&self) -> u16 {
        match self {
            Failure::ConnectTimeout(_) | Failure::NoHead(_) | Failure::SlowBody(_) => 504,
            _ => 502,
        }
    }

    /// One word for the JSON body and the finding's signature.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Failure::Connect(_) => "connect",
            Failure::ConnectTimeout(_) => "connect-timeout",
            Failure::NoHead(_) => "no-response",
            Failure::Closed(_) => "closed",
            Failure::SlowBody(_) => "body-timeout",
            Failure::BrokenBody(_) => "body-broken",
        }
    }

    /// Classifies a client error.
    pub(crate) fn from_client(e: &hyper_util::client::legacy::Error, timeout: Duration) -> Failure {
        let text = chain(e);
        if e.is_connect() {
            if text.contains("timed out") || text.contains("timeout") {
                return Failure::ConnectTimeout(timeout);
            }
            return Failure::Connect(text);
        }
        Failure::Closed(text)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Connect(m) => write!(f, "the upstream could not be reached: {m}"),
            Failure::ConnectTimeout(d) => {
                write!(f, "the upstream accepted no connection within {d:?}")
            }
            Failure::NoHead(d) => write!(f, "the upstream sent no response within {d:?}"),
            Failure::Closed(m) => {
                write!(
                    f,
                    "the upstream closed the connection without an answer: {m}"
                )
            }
            Failure::SlowBody(d) => write!(
                f,
                "the upstream did not finish its response body within {d:?}"
            ),
            Failure::BrokenBody(n) => {
                write!(
                    f,
                    "the upstream broke off its response body after {n} bytes"
                )
            }
        }
    }
}

/// The error and its sources, outermost first.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    std::iter::successors(Some(e), |e| e.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}
