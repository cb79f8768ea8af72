//! Property-test a live HTTP implementation against its OpenAPI document.
//!
//! `decoy-conform` is what `decoy test` runs. Give it a [`Spec`] and a
//! [`Config`] naming the base URL; it sends generated requests, checks every
//! answer against the document, and returns a [`Report`] of what broke the
//! contract, each [`Finding`] with the smallest reproduction it could find.
//!
//! # Tutorial
//!
//! ```no_run
//! use decoy_conform::{Check, Config, Selector, TextOptions};
//! use decoy_spec::Spec;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let spec = Spec::load("specs/calls.openapi.yaml".as_ref())?;
//! let mut config = Config::new("http://127.0.0.1:8080");
//! config.token = Some("s3cret".into());            // --token
//! config.auth.push(("apiKey".into(), "k1".into())); // --auth apiKey=k1
//! config.workers = 2;                              // --workers 2
//! config.include.push(Selector::Tag("Calls".into())); // --include-tag Calls
//! config.ids.push(("id".into(), "call_1".into())); // --id id=call_1
//! config.cases = 100;                              // --cases
//! config.seed = 7;                                 // --seed
//! config.skip.push("content-type".parse::<Check>()?); // --skip-check
//!
//! let report = decoy_conform::run(&spec, config).await?;
//! print!("{}", report.render_text(TextOptions::colour(false)));
//! std::fs::write("junit.xml", report.to_junit())?;
//! let exit_code = report.exit_code(); // 0 holds, 1 violations
//! # let _ = exit_code; Ok(())
//! # }
//! ```
//!
//! `Err` means the run could not happen (exit code 2): a bad setting, a
//! document decoy cannot generate from, a target that refuses connections.
//! Everything the implementation does wrong is data in the report (exit 1).
//!
//! # What a run does
//!
//! 1. **Cases.** For each operation, the document's request body examples
//!    (those valid against the schema), then [`Config::cases`] requests
//!    generated with proptest from the parameter and body schemas
//!    (`decoy-synth` strategies). Path parameters prefer known ids
//!    ([`Config::ids`], then the ids of the document's examples), then
//!    schema values, then odd but valid strings (`a b`, `😀`, 300
//!    characters); never an empty, `.` or `..` segment, and a request whose
//!    path routes to another operation of the document is not sent.
//! 2. **Checks on every response** (each can be skipped by name, see
//!    [`Check`]): no 5xx; status documented; `Content-Type` declared; body
//!    valid against the schema of its status, every violation with its
//!    instance and schema pointers; required headers present; response time
//!    recorded in [`Coverage`].
//! 3. **Probes and negative cases**, aimed at an input the target accepted
//!    (2xx) when there is one, invalid parts grafted into its body, so a
//!    refusal is about the invalid part. Without credentials and with an
//!    invalid token, a protected operation must refuse. Labelled invalid
//!    bodies and parameters (wrong type, missing required, out of range, bad
//!    enum, pattern, extra property, bad format; a parameter value counts as
//!    invalid only if it is still invalid as text on the wire, so a path
//!    parameter is probed only when its schema constrains more than the
//!    type), malformed JSON and a
//!    `text/plain` body must get a documented 4xx (415 passes even when
//!    undocumented). A large, valid body (padded with JSON whitespace) must
//!    not crash the server (413 passes).
//! 4. **Sequences.** Operations that create resources (a POST whose body has
//!    an `id`) are linked to those that act on them (`{collection}/{param}`
//!    paths, OpenAPI `links`, or `x-decoy-state` hints); random sequences of
//!    create, act and list steps then check three oracles: a created
//!    resource appears in its listing; an action the document forbids in the
//!    resource's current state (`x-decoy-state` `when` guards, else a
//!    finished `status`) is refused rather than accepted; two reads in a row
//!    agree.
//! 5. **Minimal reproductions.** A failure is replayed ([`Config::replays`]);
//!    one that does not come back is flaky if the request only reads, and
//!    [`Finding::unconfirmed`] if it writes (the state had changed). A
//!    solid one is shrunk: proptest
//!    shrinks it to the smallest request, or shortest sequence, that still
//!    fails the same way, printed as a `curl` line or a shell script with
//!    the seed.
//! 6. **Snapshots** ([`Config::snapshots`]): the normalized response of each
//!    operation's simplest request, keys sorted and volatile values redacted,
//!    compared with insta-format `.snap` files.
//!
//! # Reports
//!
//! [`Report::render_text`] for people, [`Report::to_json`] for tools,
//! [`Report::to_junit`] for CI, [`Report::coverage_table`] for the
//! operations × documented statuses grid, and [`Report::exit_code`]: 0 when
//! the contract holds, 1 when something was found. [`Config::progress`]
//! takes a [`Progress`] handle whose counters a front end can poll to draw a
//! progress bar (the library prints nothing).
//!
//! # A hostile target
//!
//! A target that resets connections, never answers, streams an endless
//! body, or closes mid-body cannot hang a run or exhaust its memory: every
//! exchange has [`Config::request_timeout`] and [`Config::max_response_bytes`],
//! and each such failure is a `transport` finding; findings keep excerpts of
//! bodies, never whole ones. A reused keep-alive connection that fails
//! before any response byte is retried once on a fresh one. An operation
//! stops after [`Config::max_timeouts_in_row`] timeouts in a row; a target
//! that stops answering altogether ([`ConformError::Unresponsive`]) or
//! accepts no connection ([`ConformError::Connect`]) is an error.
//! [`Config::time_limit`] is shared out across operations; the report says
//! which were cut short or not reached ([`Coverage::note`]).
//!
//! # Determinism
//!
//! Every random choice follows from [`Config::seed`]: operation `X` draws
//! from a runner seeded with the seed and `X`, sequence `i` from the seed and
//! `i`. Cases of one operation run in order; operations run concurrently. A
//! [`Shard`] takes every N-th operation and sequence, so shards are
//! reproducible on their own.

mod auth;
mod checks;
mod client;
mod config;
mod erased;
mod error;
mod links;
mod model;
mod observe;
mod progress;
mod report;
mod repro;
mod runner;
mod snapshot;

pub use config::{Check, Config, Selector, Shard};
pub use error::ConformError;
pub use observe::{
    Observation, Observed, check_response, coverage_table, media_range_covers, shell_quote,
    xml_escape,
};
pub use progress::{Progress, ProgressState};
pub use report::{
    Coverage, Finding, Report, Reproduction, SchemaViolation, SequenceSummary, SnapshotSummary,
    Step, TextOptions,
};

use decoy_spec::Spec;

/// Runs the conformance test of the implementation at
/// [`Config::base_url`] against `spec`.
///
/// # Errors
///
/// [`ConformError`] when the run cannot happen: an unusable setting, a schema
/// values cannot be generated from, a target that accepts no connection, or
/// snapshot files that cannot be written. Contract violations are never
/// errors: they are [`Finding`]s in the [`Report`].
pub async fn run(spec: &Spec, config: Config) -> Result<Report, ConformError> {
    runner::run(spec, config).await
}
