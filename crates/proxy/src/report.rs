//! What a proxy session saw, as data, and its renderings: a summary and
//! findings for people, JSON for tools, JUnit for CI, plus the line printed
//! for each exchange as it happens.

use std::fmt::Write as _;

use decoy_conform::{Check, Coverage, SchemaViolation, coverage_table, xml_escape};
use serde::Serialize;
use serde_json::Value;

/// One distinct way the traffic broke the contract, with the first request
/// that showed it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The check that failed: `request-route`, `request-auth`,
    /// `request-parameters`, `request-body`, or one of `decoy test`'s
    /// response checks (`status-documented`, `response-schema`, ...;
    /// `transport` when the upstream gave no usable answer; `auth-required`
    /// and `negative-rejected` when it accepted a request without
    /// credentials or with invalid input).
    pub check: String,
    /// The operation, or `METHOD /path` when no operation matched.
    pub operation: String,
    /// What is wrong, in a sentence.
    pub message: String,
    /// The status the client got.
    pub status: Option<u16>,
    /// Every schema violation, with pointers into the request or response
    /// and into the document.
    pub violations: Vec<SchemaViolation>,
    /// The offending body (JSON, or text cut at 4 KiB).
    pub body: Option<Value>,
    /// How many exchanges broke it this way.
    pub occurrences: u32,
    /// A `curl` command that sends the first offending request to the
    /// upstream directly (credentials from `$DECOY_TOKEN`).
    pub curl: String,
}

/// Something worth knowing that is not a violation.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Note {
    /// The operation, if one matched.
    pub operation: String,
    /// What happened.
    pub message: String,
    /// How many times.
    pub occurrences: u32,
}

/// Everything a session saw. [`Report::exit_code`] maps it to 0 or 1.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The document's origin.
    pub document: String,
    /// The upstream URL.
    pub upstream: String,
    /// Exchanges seen (CORS preflights included).
    pub exchanges: u64,
    /// Invalid requests answered by the proxy itself (`--strict`).
    pub rejected: u64,
    /// Wall time of the session, in milliseconds.
    pub elapsed_ms: u64,
    /// Response checks switched off.
    pub skipped_checks: Vec<Check>,
    /// Every distinct violation, in the order first seen.
    pub findings: Vec<Finding>,
    /// Bodies passed through unvalidated and the like.
    pub notes: Vec<Note>,
    /// Operations × documented statuses seen.
    pub coverage: Vec<Coverage>,
}

/// The response checks a proxy runs (the others need requests decoy makes,
/// or sequences of them).
pub(crate) const RESPONSE_CHECKS: [Check; 8] = [
    Check::Transport,
    Check::AuthRequired,
    Check::NegativeRejected,
    Check::ServerError,
    Check::StatusDocumented,
    Check::ContentType,
    Check::ResponseSchema,
    Check::RequiredHeaders,
];

/// The request checks, by name.
pub(crate) const REQUEST_CHECKS: [&str; 3] = ["request-auth", "request-parameters", "request-body"];

impl Report {
    /// 0 when the traffic kept the contract, 1 when anything was found.
    pub fn exit_code(&self) -> u8 {
        if self.findings.is_empty() { 0 } else { 1 }
    }

    /// Whether the traffic kept the contract.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    /// Findings of one check, by name.
    pub fn findings_of<'a>(&'a self, check: &'a str) -> impl Iterator<Item = &'a Finding> {
        self.findings.iter().filter(move |f| f.check == check)
    }

    /// Operations no exchange reached.
    pub fn never_exercised(&self) -> Vec<&str> {
        self.coverage
            .iter()
            .filter(|c| c.requests == 0)
            .map(|c| c.operation.as_str())
            .collect()
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "never_exercised".into(),
                serde_json::json!(self.never_exercised()),
            );
        }
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }

    /// Summary line, findings, notes and the coverage table.
    pub fn render_text(&self, colour: bool) -> String {
        let paint = |code: &str, s: &str| {
            if colour {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_owned()
            }
        };
        let mut out = String::new();
        let verdict = if self.passed() {
            paint("32;1", "contract holds")
        } else {
            paint("31;1", &format!("{} findings", self.findings.len()))
        };
        let never = self.never_exercised().len();
        let _ = writeln!(
            out,
            "{verdict}: {} exchanges through {} in {:.1}s, {} rejected, {never} of {} operations never exercised",
            self.exchanges,
            self.upstream,
            self.elapsed_ms as f64 / 1000.0,
            self.rejected,
            self.coverage.len()
        );
        for (i, f) in self.findings.iter().enumerate() {
            let status = f.status.map(|s| format!(" [{s}]")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{} {}. {} {}{status}: {}",
                paint("31;1", "FAIL"),
                i + 1,
                f.operation,
                paint("2", &format!("({})", f.check)),
                f.message
            );
            if f.occurrences > 1 {
                let _ = writeln!(out, "    seen {} times", f.occurrences);
            }
            violation_lines(&mut out, &f.violations, "    ");
            let _ = writeln!(out, "    reproduce: {}", f.curl);
        }
        for n in &self.notes {
            let _ = writeln!(
                out,
                "{} {}: {} ({}×)",
                paint("33;1", "NOTE"),
                n.operation,
                n.message,
                n.occurrences
            );
        }
        out.push('\n');
        out.push_str(&coverage_table(&self.coverage));
        out
    }

    /// JUnit XML: per exercised operation one test case for each request and
    /// response check (failing with its findings), a skipped case for each
    /// operation never exercised, and one failing case per request that
    /// matched no operation.
    pub fn to_junit(&self) -> String {
        let response: Vec<&str> = RESPONSE_CHECKS
            .iter()
            .filter(|c| !self.skipped_checks.contains(c))
            .map(|c| c.name())
            .collect();
        let mut cases = String::new();
        let (mut total, mut failed, mut skipped) = (0, 0, 0);
        let mut case = |cases: &mut String, class: &str, name: &str, found: Vec<&Finding>| {
            total += 1;
            let _ = write!(
                cases,
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml_escape(class),
                xml_escape(name)
            );
            if found.is_empty() {
                cases.push_str("/>\n");
                return;
            }
            failed += 1;
            cases.push_str(">\n");
            for f in found {
                let mut text = String::new();
                violation_lines(&mut text, &f.violations, "");
                let _ = writeln!(text, "seen {} times\n{}", f.occurrences, f.curl);
                let _ = writeln!(
                    cases,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    xml_escape(&f.check),
                    xml_escape(&f.message),
                    xml_escape(&text)
                );
            }
            cases.push_str("    </testcase>\n");
        };
        for c in &self.coverage {
            if c.requests == 0 {
                continue;
            }
            for name in REQUEST_CHECKS.iter().chain(&response) {
                let found = self
                    .findings
                    .iter()
                    .filter(|f| f.operation == c.operation && f.check == *name)
                    .collect();
                case(&mut cases, &c.operation, name, found);
            }
        }
        for f in self.findings_of("request-route") {
            case(&mut cases, &f.operation, "request-route", vec![f]);
        }
        for c in self.coverage.iter().filter(|c| c.requests == 0) {
            total += 1;
            skipped += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{}\" name=\"exercised\"><skipped message=\"no request reached this operation\"/></testcase>",
                xml_escape(&c.operation)
            );
        }
        let secs = self.elapsed_ms as f64 / 1000.0;
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"decoy proxy\" tests=\"{total}\" failures=\"{failed}\" skipped=\"{skipped}\" time=\"{secs:.3}\">\n  <testsuite name=\"{}\" tests=\"{total}\" failures=\"{failed}\" skipped=\"{skipped}\" time=\"{secs:.3}\">\n{cases}  </testsuite>\n</testsuites>\n",
            xml_escape(&self.document),
        )
    }
}

fn violation_lines(out: &mut String, violations: &[SchemaViolation], indent: &str) {
    for v in violations {
        let at = if v.instance_pointer.is_empty() {
            "(root)"
        } else {
            &v.instance_pointer
        };
        let _ = writeln!(
            out,
            "{indent}- {at}: {} ({} at {})",
            v.message, v.keyword, v.schema_pointer
        );
    }
}

/// One exchange, told as it ends.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Event {
    /// The method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// The operation, if one matched.
    pub operation: Option<String>,
    /// The status the client got.
    pub status: u16,
    /// Time from the request's arrival to the head of the answer, in ms.
    pub elapsed_ms: f64,
    /// Whether the proxy answered an invalid request itself (`--strict`).
    pub rejected: bool,
    /// What this exchange broke (each with `occurrences` 1).
    pub findings: Vec<Finding>,
    /// Notes (a body too large to validate, ...).
    pub notes: Vec<String>,
}

impl Event {
    /// One JSON object, for `--log json`.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `GET /v1/calls/abc 200 getCall 1.2ms`, then one indented line per
    /// finding with its pointers and curl line.
    pub fn to_text(&self, colour: bool) -> String {
        let mut out = format!(
            "{} {} {} {} {:.1}ms{}",
            self.method,
            self.target.escape_debug(),
            self.status,
            self.operation.as_deref().unwrap_or("-"),
            self.elapsed_ms,
            if self.rejected { " (rejected)" } else { "" }
        );
        for f in &self.findings {
            let tag = if colour {
                "\x1b[31;1mFAIL\x1b[0m"
            } else {
                "FAIL"
            };
            let _ = write!(out, "\n  {tag} ({}) {}", f.check, f.message);
            let mut lines = String::new();
            violation_lines(&mut lines, &f.violations, "    ");
            if !lines.is_empty() {
                out.push('\n');
                out.push_str(lines.trim_end());
            }
            let _ = write!(out, "\n    {}", f.curl);
        }
        for n in &self.notes {
            let _ = write!(out, "\n  NOTE {n}");
        }
        out
    }
}
