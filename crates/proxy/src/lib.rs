//! A validating proxy: put it between any client and the implementation,
//! and every exchange is checked against the OpenAPI document.
//!
//! `decoy-proxy` is what `decoy proxy` runs. End-to-end suites (Playwright,
//! Cypress, a QA script) already drive the real frontend against the real
//! backend; pointed at this proxy instead, each of their requests becomes a
//! contract test, and the traffic can be recorded for `decoy mock --replay`.
//!
//! # Tutorial
//!
//! ```no_run
//! use decoy_proxy::{Config, Proxy};
//! use decoy_spec::Spec;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let spec = Spec::load("specs/calls.openapi.yaml".as_ref())?;
//! let mut config = Config::new("https://staging.example.com"); // --upstream
//! config.port = 0;                                    // a free port
//! config.record = Some("traffic.ndjson".into());      // --record
//! config.redact.push("/card/number".into());          // --redact
//! let proxy = Proxy::start(spec, config).await?;
//!
//! // ... point the e2e suite at proxy.uri() and run it ...
//!
//! let report = proxy.stop().await;
//! std::fs::write("junit.xml", report.to_junit())?;
//! print!("{}", report.render_text(false));
//! let exit_code = report.exit_code(); // 0 holds, 1 violations
//! # let _ = exit_code; Ok(())
//! # }
//! ```
//!
//! # What each exchange goes through
//!
//! 1. **The request is read** whole when it fits [`Config::max_body_bytes`]
//!    (1 MiB); a larger body streams to the upstream unvalidated, with a
//!    note. CORS preflights pass through unchecked.
//! 2. **Request checks**, with the rules `decoy mock` enforces: the route
//!    exists (`request-route`), credentials for the operation's security
//!    are present (`request-auth`; whether they are right is the
//!    upstream's call), parameters are present and valid
//!    (`request-parameters`), the body has a declared media type and is
//!    valid (`request-body`). Each problem carries JSON pointers into the
//!    request (`/query/limit`, `/body/transfer_to`) and the document.
//! 3. **Strict mode** ([`Config::strict`]): an invalid request is not
//!    forwarded; the client gets what `decoy mock` answers it (the
//!    document's own 400, 401, 404, 405 or 415).
//! 4. **Forwarding**: headers intact except the hop-by-hop ones (RFC 9110
//!    §7.6.1) and `Accept-Encoding` (so bodies can be read), `Via: 1.1
//!    decoy` added; `https` upstreams through rustls with the system's
//!    roots plus [`Config::upstream_ca`].
//! 5. **The response is read** whole up to the same limit, then checked
//!    with `decoy test`'s response checks (no 5xx, status documented,
//!    `Content-Type` declared, required headers, body schema;
//!    [`decoy_conform::check_response`]). Larger bodies and event streams
//!    pass through as they arrive, their heads still checked.
//! 6. **Recording** ([`Config::record`]): one NDJSON line per exchange,
//!    credentials redacted; see [`decoy_mock::replay`].
//!
//! Every finding is told to [`Config::on_event`] as the exchange ends and
//! counted in the [`Report`]: JSON, JUnit and text, with coverage
//! (operations × statuses seen, operations never exercised).
//!
//! # A hostile upstream
//!
//! An upstream that refuses connections or resets them gets the client a
//! **502**; one that never answers, or never finishes a body under the
//! limit, a **504** after [`Config::upstream_timeout`]. Each such body is
//! JSON naming the failure (`"error": "no-response"`, `"closed"`,
//! `"body-timeout"`, ...), and each is a `transport` finding. A body that
//! streams past the limit is passed through and cut at
//! [`Config::stream_timeout`]. Memory per exchange is bounded by the limit
//! whatever the upstream sends.

mod body;
mod config;
mod curl;
mod error;
mod forward;
mod record;
mod report;
mod request;
mod server;
mod session;
mod upstream;

pub use config::{Config, EventCallback};
pub use error::ProxyError;
pub use report::{Event, Finding, Note, Report};
pub use server::Proxy;
