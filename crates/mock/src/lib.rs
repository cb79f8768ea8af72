//! A mock HTTP server for any OpenAPI 3.x document: schema-valid responses,
//! stable per resource, honest errors, and state where the API has it.
//!
//! `decoy-mock` is what `decoy mock` runs, and a library for Rust tests in
//! the shape wiremock-rs users know: start a [`MockServer`] on a free port,
//! point your client at [`MockServer::uri`], and drop it when done.
//!
//! # Getting started
//!
//! ```no_run
//! use decoy_mock::MockServer;
//! use decoy_spec::Spec;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let spec = Spec::load("specs/calls.openapi.yaml".as_ref())?;
//! let server = MockServer::start(spec).await;
//!
//! // GET {uri}/v1/calls/abc with `Authorization: Bearer anything` returns a
//! // CallDetail whose `id` is "abc", the same bytes on every request and
//! // after a restart with the same seed.
//! println!("try: curl -H 'Authorization: Bearer t' {}/v1/calls/abc", server.uri());
//!
//! // The rarer options live on the builder.
//! let strict = MockServer::builder().seed(7).token("s3cret").stateless(true).start(Spec::load("specs/calls.openapi.yaml".as_ref())?).await?;
//! # drop(strict);
//! # Ok(()) }
//! ```
//!
//! # What a request gets
//!
//! 1. **Routing** through the document's paths (literal segments beat
//!    templates, `%2F` stays inside its segment): unknown path **404**, known
//!    path with another method **405** with `Allow`.
//! 2. **Security**: an operation's security requirements are enforced. A
//!    bearer scheme needs `Authorization: Bearer <token>` (any non-empty
//!    token, or exactly the configured [`Config::token`]); without it the
//!    documented **401** body is sent (the document's example, else a body
//!    generated from the schema).
//! 3. **Validation** of path, query, header and cookie parameters and of the
//!    body: a body over the limit (1 MiB) is **413** (it is read with the
//!    limit, never buffered beyond it), a media type the operation does not
//!    accept is **415**, and malformed JSON or any schema violation is the
//!    documented **400** listing every problem.
//! 4. **The response**: the lowest documented 2xx, with its declared
//!    `Content-Type`, in the document's property order. The body depends
//!    only on the seed and the resource's path, so `GET /v1/calls/abc` is the
//!    same call every time and `/v1/calls/xyz` another; when the last path
//!    segment is a parameter, its value becomes the body's `id`.
//!
//! Error bodies use the document's schema for that status (the operation's,
//! else any operation's, else the document's first 4xx shape): the first
//! string field among `error`, `message`, `detail`, `title` says what
//! happened, and when the schema allows extra properties, `details` lists
//! each problem as `{in, pointer, message}`. A body that would break the
//! schema falls back to the document's example.
//!
//! # Choosing a response: `Prefer`
//!
//! As in Prism: `Prefer: code=404` answers with the documented 404,
//! `Prefer: example=NAME` with that named example, `Prefer: dynamic=false`
//! with the first example instead of a generated body. An undocumented code
//! or unknown example is a **400** from the mock that says what exists.
//!
//! # Behaviour as data: `x-decoy-*` on operations
//!
//! The mock names no field of any API; what it does beyond generating a
//! valid body is written in the document.
//!
//! A *source* says where a value comes from: `/pointer` (this request's JSON
//! body), `origin:/pointer` (the body of the request that created the stored
//! resource), `path:NAME`, `query:NAME`, `header:NAME`, `now` (the current
//! time, RFC 3339), or `const:TEXT`; any non-string YAML value is itself. A
//! list of sources takes the first one that has a non-null value. Fields are
//! top-level property names, or JSON pointers when they start with `/`.
//!
//! - `x-decoy-echo: {field: source | [sources]}`: copy request values into
//!   the response (`transfer_to: /to`).
//! - `x-decoy-set: {field: value}`: fixed values (`kind: blind`).
//! - `x-decoy-faults: {latency: 20ms..80ms, error-rate: 0.05}`: per-operation
//!   latency and fault injection (a documented 5xx or 429 with
//!   `Retry-After`), drawn from the seed.
//! - `x-decoy-state`: resources that live on between requests:
//!   - `create: {collection: /v1/calls/{id}/transfers, queue: /destinations,
//!     omit: [next_transfer]}`: the response is stored under the collection
//!     (its `{params}` filled from the request path) with a fresh `id`;
//!     `queue` names a request array whose entries after the first wait as
//!     later attempts; `omit` lists response fields not stored.
//!   - `list: {collection: ..., into: transfers}`: stored resources are
//!     appended to that array field of the response.
//!   - `transition: {collection: ..., item: transferId, when: {kind: warm,
//!     status: [screening, bridging]}, set: {...}, echo: {...}, next: {...},
//!     fallback: {...}}`: acts on the stored resource named by the path
//!     parameter `item` (404 if there is none); `when` gives the allowed
//!     values per field, anything else is the documented **409**; `set` and
//!     `echo` update it. `next: {if: /tryNext, into: next_transfer, attempts:
//!     routing_attempts, set: {...}, echo: {...}}` dials the next queued
//!     attempt (a copy of the resource with a fresh id; `/pointer` sources
//!     read the queued entry); when none is dialled, `fallback: {into:
//!     fallback, build: {field: sources}}` builds that field instead.
//!
//! [`Config::stateless`] turns state off (every answer is then a pure
//! function of the seed and the request, so replicas agree); state is
//! bounded by [`Config::max_resources`], oldest first out.
//!
//! # Around the edges
//!
//! - `GET /__decoy/health`, `POST /__decoy/reset` (forget state and
//!   recorded requests), `GET /__decoy/requests` (the most recent requests).
//! - CORS is on by default: preflights are answered (any origin, method and
//!   requested headers, `Authorization` included) and responses expose their
//!   headers. [`Config::cors`] turns it off.
//! - The library prints nothing: [`Config::on_request`] (or
//!   [`MockServerBuilder::on_request`]) sees each [`RecordedRequest`], and
//!   [`RecordedRequest::log_line`] formats it as text or JSON.
//! - Nothing a client sends crashes the server: headers over 64 KiB get 431,
//!   slow headers are dropped after 10 s, bodies are read with a limit and a
//!   timeout, odd ids (10 KB, `%2F`, non-ASCII) are just ids.
//!
//! # Prior art
//!
//! | | decoy-mock | Prism | wiremock-rs |
//! |---|---|---|---|
//! | responses from the OpenAPI document | yes | yes | no (stubs) |
//! | schema-valid, stable per resource | yes | no (static examples or random) | n/a |
//! | stateful lifecycles | yes (`x-decoy-state`) | no | per stub |
//! | in-process Rust handle | yes | no | yes |

#![warn(missing_docs)]

mod app;
mod config;
mod error;
mod ext;
mod generate;
mod server;
mod store;
mod util;

pub use config::{Config, LogFormat, RecordedRequest, RequestCallback};
pub use error::MockError;
pub use ext::Latency;
pub use server::{Bound, MockServer, MockServerBuilder, bind, serve, shutdown_signal};
