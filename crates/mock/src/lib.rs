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
//!    segment is a parameter, its value becomes the body's `id` (typed as the
//!    parameter, and only where the schema's `id` can hold it).
//!
//! # Sub-resources agree with their resource
//!
//! An operation's *parent* is the `GET` whose path is the longest prefix of
//! its own (`/v1/calls/{id}` for `/v1/calls/{id}/events`), or the operation
//! named by `x-decoy-parent: operationId` (`false` for none). Its generated
//! body is the context of the sub-resource's:
//!
//! - properties marked `x-decoy-shared: KEY` take the parent's value for KEY
//!   (or, where the parent shows none, one value drawn per resource), so a
//!   call's events, report, finalize result and transfers share its session
//!   and organization;
//! - date-times named by an `x-decoy-timeline` are moved, in order, into the
//!   parent's span (its own timeline's first to last date-time); a
//!   resource's nested timelines (a call's report, transcript, transfers)
//!   move into its own span.
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
//! time, RFC 3339), `const:TEXT`, or `template:TEXT` (TEXT with `{NAME}`
//! filled from path parameters, percent-encoded, and `{shared:KEY}` from the
//! parent's `x-decoy-shared` values, e.g. `template:https://rec.example.com/
//! {shared:organization}/{id}.ogg`); any non-string YAML value is itself. A
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
//! - `GET /__decoy/health` (document title, `revision`: a hash of the served
//!   document, `reload_error`, and `state`: `memory` or the Redis URL),
//!   `POST /__decoy/reset` (forget the default namespace's state, or
//!   `?namespace=NAME`'s, and the recorded requests), `GET /__decoy/requests`
//!   (the most recent requests).
//! - Replicas: with [`Config::state`] (`--state redis://HOST:PORT/DB`,
//!   [`MockServerBuilder::state`]) stored resources live in Redis, so every
//!   replica pointed at it agrees; transitions are a compare-and-set there
//!   (one of N concurrent ones wins, the others get 409). Redis down: 503
//!   `{"error": "state_unavailable", ...}` with `Retry-After: 1`, and service
//!   resumes when it is back.
//! - Namespaces: `X-Decoy-Namespace: worker-7` (or `Prefer:
//!   namespace=worker-7`) gives a request its own state, in memory or in
//!   Redis; requests without one share the default namespace.
//! - Hot reload: with [`Config::watch`] (`decoy mock DOC --watch`) the file
//!   is polled every [`Config::watch_interval`]; a changed document that
//!   loads replaces the served one whole (stored state starts afresh), a
//!   broken one leaves the last good one served and is reported with its
//!   file and line through [`Config::on_reload`] and `reload_error`.
//! - CORS is on by default: preflights are answered (any origin, method and
//!   requested headers, `Authorization` included) and responses expose their
//!   headers. [`Config::cors`] turns it off.
//! - The library prints nothing: [`Config::on_request`] (or
//!   [`MockServerBuilder::on_request`]) sees each [`RecordedRequest`], and
//!   [`RecordedRequest::log_line`] formats it as text or JSON.
//! - Nothing a client sends crashes the server (odd ids, 10 KB, `%2F`,
//!   non-ASCII, `%00`, are just ids), and every limit is a [`Config`] field
//!   and a `decoy mock` flag:
//!
//! | limit | default | `Config` | flag |
//! |---|---|---|---|
//! | request body (413) | 1 MiB | `body_limit` | `--body-limit` |
//! | request head (431) | 64 KiB | `max_header_bytes` | `--max-header-bytes` |
//! | time to send the head (connection closed) | 10 s | `header_timeout` | `--header-timeout` |
//! | time to send the body (408) | 30 s | `body_timeout` | `--body-timeout` |
//! | stored resources per namespace (oldest evicted) | 10 000 | `max_resources` | `--max-resources` |
//! | idle namespace in Redis (expires) | 24 h | `state_ttl` | `--state-ttl` |
//! | recorded requests (`/__decoy/requests`) | 256 | `max_recorded` | `--max-recorded` |
//! | watch poll interval | 500 ms | `watch_interval` | (fixed in the CLI) |
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
mod context;
mod error;
mod generate;
pub mod replay;
mod server;
mod state;
mod timer;
mod util;

pub use config::{Config, LogFormat, RecordedRequest, Reload, ReloadCallback, RequestCallback};
pub use decoy_spec::duration::Latency;
pub use error::MockError;
pub use server::{Bound, MockServer, MockServerBuilder, bind, serve, shutdown_signal};
