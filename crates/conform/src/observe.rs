//! Checking responses decoy did not ask for: what `decoy proxy` sees pass
//! between a client and the implementation. The same response checks as a
//! run, on an exchange observed from outside.

use bytes::Bytes;
use decoy_spec::Operation;
use decoy_validate::Validators;
use serde_json::Value;

use crate::checks::{self, Expect};
use crate::client::Exchange;
use crate::report::{Coverage, SchemaViolation};
use crate::{Check, Config, Report};

/// A response seen on the wire.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Observed {
    /// The status code.
    pub status: u16,
    /// Header names (any case) and values.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Bytes,
}

impl Observed {
    /// A response with `status`, `headers` and `body`.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Bytes) -> Observed {
        Observed {
            status,
            headers,
            body,
        }
    }
}

/// One way an observed response breaks the contract.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Observation {
    /// The check that failed.
    pub check: Check,
    /// What makes two observations the same finding (check, operation,
    /// detail): count them instead of repeating them.
    pub signature: String,
    /// What is wrong, in a sentence.
    pub message: String,
    /// Every schema violation of the body.
    pub violations: Vec<SchemaViolation>,
    /// The offending body (JSON, or text when it is not JSON; cut at 4 KiB).
    pub body: Option<Value>,
}

/// Runs every response check of `decoy test` that applies to any valid
/// request (no 5xx, status documented, `Content-Type` declared, required
/// headers, body schema) on `response` to `op`, except those in `skip`.
pub fn check_response(
    validators: &Validators,
    op: &Operation,
    skip: &[Check],
    response: &Observed,
) -> Vec<Observation> {
    let mut config = Config::new("");
    config.skip = skip.to_vec();
    let exchange = Exchange {
        status: response.status,
        headers: response.headers.clone(),
        body: response.body.clone(),
        elapsed: std::time::Duration::ZERO,
    };
    checks::check(&config, validators, op, &Expect::Valid, &Ok(exchange))
        .into_iter()
        .map(|d| Observation {
            check: d.check,
            signature: d.signature,
            message: d.message,
            violations: d.violations,
            body: d.body,
        })
        .collect()
}

impl Coverage {
    /// Coverage of `op` before any exchange.
    pub fn new(op: &Operation) -> Coverage {
        Coverage {
            operation: op.name(),
            route: format!("{} {}", op.method, op.path),
            documented: op.responses.iter().map(|r| r.status.to_string()).collect(),
            seen: Default::default(),
            requests: 0,
            mean_ms: 0.0,
            max_ms: 0.0,
            cases: 0,
            rerouted: 0,
            checks_run: Vec::new(),
            note: None,
            blind_negatives: false,
            no_success: None,
        }
    }

    /// Counts one exchange answered with `status` after `ms` milliseconds.
    pub fn record(&mut self, status: u16, ms: f64) {
        *self.seen.entry(status).or_default() += 1;
        let n = f64::from(self.requests);
        self.requests += 1;
        self.mean_ms = (self.mean_ms * n + ms) / (n + 1.0);
        self.max_ms = self.max_ms.max(ms);
    }
}

/// Whether a documented media range (`application/json`, `image/*`,
/// `*/*`) covers a `Content-Type` as sent (parameters and case ignored).
pub fn media_range_covers(range: &str, content_type: &str) -> bool {
    checks::media_matches(range, &decoy_spec::media::essence(content_type))
}

/// Escapes text for XML attributes and content (JUnit reports).
pub fn xml_escape(s: &str) -> String {
    crate::report::xml(s)
}

/// Quotes text for a POSIX shell (`curl` lines).
pub fn shell_quote(s: &str) -> String {
    crate::repro::sh(s)
}

/// The operations × documented statuses table of [`Report::coverage_table`]
/// for coverage gathered elsewhere.
pub fn coverage_table(coverage: &[Coverage]) -> String {
    let report = Report {
        document: String::new(),
        target: String::new(),
        seed: 0,
        shard: None,
        requests: 0,
        elapsed_ms: 0,
        cut_short: false,
        skipped_checks: Vec::new(),
        sequences: 0,
        sequence_summary: Default::default(),
        hints: Vec::new(),
        findings: Vec::new(),
        coverage: coverage.to_vec(),
        snapshots: None,
    };
    report.coverage_table()
}
