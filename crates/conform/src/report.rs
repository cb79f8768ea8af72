//! The result of a run, as data, and its renderings: human text, JSON, JUnit
//! XML and a coverage table. These (with snapshots) are the only types that
//! derive `Serialize`: they are the boundary other tools read.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::{Check, Shard};

/// Everything a run found. [`Report::exit_code`] maps it to 0 or 1.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The document's origin (its path).
    pub document: String,
    /// The base URL tested.
    pub target: String,
    /// The run's seed.
    pub seed: u64,
    /// The shard run, if the work was split.
    pub shard: Option<Shard>,
    /// HTTP requests sent (shrinking and replays included).
    pub requests: u64,
    /// Wall time of the run, in milliseconds.
    pub elapsed_ms: u64,
    /// Whether the time limit stopped generation early.
    pub cut_short: bool,
    /// Checks that were switched off.
    pub skipped_checks: Vec<Check>,
    /// Stateful sequences run.
    pub sequences: u32,
    /// Advice the run's numbers support (a URL without the document's base
    /// path, an overloaded target).
    pub hints: Vec<String>,
    /// Every distinct contract violation, ordered by operation then check.
    pub findings: Vec<Finding>,
    /// Operations × documented status codes exercised.
    pub coverage: Vec<Coverage>,
    /// What happened to snapshots, if they were on.
    pub snapshots: Option<SnapshotSummary>,
}

/// One distinct way the implementation breaks the contract, with the
/// smallest reproduction found.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The check that failed.
    pub check: Check,
    /// The operation (its `operationId`, else `METHOD /path`).
    pub operation: String,
    /// What is wrong, in a sentence.
    pub message: String,
    /// The response status, when there was a response.
    pub status: Option<u16>,
    /// Every schema violation of the offending body.
    pub violations: Vec<SchemaViolation>,
    /// The offending body (JSON, or text when it is not JSON; cut at 4 KiB).
    pub body: Option<Value>,
    /// A line diff (`-` expected, `+` actual) for snapshot and consistency
    /// findings.
    pub diff: Option<String>,
    /// How many cases failed this way.
    pub occurrences: u32,
    /// Seen, but gone on replay of a request that changes nothing: the
    /// implementation is nondeterministic.
    pub flaky: bool,
    /// Seen, but gone on replay of a request that writes (POST, PUT, PATCH,
    /// DELETE): the first try met another state, which is not flakiness.
    /// Still a finding: the target did answer that way.
    pub unconfirmed: bool,
    /// How to see it again.
    pub reproduction: Reproduction,
}

/// One schema violation of a response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaViolation {
    /// Where in the body (`/transcript/entries/3/source`).
    pub instance_pointer: String,
    /// Where in the document (`/components/schemas/TranscriptEntry/properties/source/enum`).
    pub schema_pointer: String,
    /// The keyword that failed.
    pub keyword: String,
    /// What went wrong.
    pub message: String,
}

/// The requests that reproduce a finding, shrunk when possible.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Reproduction {
    /// The seed of the failing case (rerun with `--seed` to regenerate it).
    pub seed: u64,
    /// Whether shrinking ran and this is the smallest failing case found.
    pub shrunk: bool,
    /// The requests, in order.
    pub steps: Vec<Step>,
    /// A `curl` command line, or a shell script for a sequence. Credentials
    /// are read from `$DECOY_TOKEN`, never printed.
    pub script: String,
}

/// One request of a reproduction.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Step {
    /// The operation called.
    pub operation: String,
    /// Method and URL.
    pub request: String,
    /// The body sent (cut at 4 KiB; a padded body says by how much).
    pub body: Option<String>,
    /// The status that came back, if any.
    pub status: Option<u16>,
}

/// How one operation was exercised.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Coverage {
    /// The operation.
    pub operation: String,
    /// `METHOD /path`.
    pub route: String,
    /// Documented status keys (`200`, `4XX`, `default`), in document order.
    pub documented: Vec<String>,
    /// Status codes received, with counts.
    pub seen: BTreeMap<u16, u32>,
    /// Requests sent to it.
    pub requests: u32,
    /// Mean response time, in milliseconds.
    pub mean_ms: f64,
    /// Slowest response time, in milliseconds.
    pub max_ms: f64,
    /// Valid cases sent (the document's examples included).
    pub cases: u32,
    /// Checks that looked at one of its responses at least once; the others
    /// did not run on it (JUnit marks them skipped).
    pub checks_run: Vec<Check>,
    /// Why it was not tested to the end (time limit, timeouts), if it was
    /// not.
    pub note: Option<String>,
}

impl Coverage {
    /// Documented keys that no response fell under.
    pub fn missed(&self) -> Vec<&str> {
        self.documented
            .iter()
            .filter(|k| !self.seen.keys().any(|&s| key_covers(k, s)))
            .map(String::as_str)
            .collect()
    }
}

fn key_covers(key: &str, status: u16) -> bool {
    match key {
        "default" => true,
        k if k.len() == 3 && k.ends_with("XX") => {
            k.as_bytes()[0].wrapping_sub(b'0') as u16 == status / 100
        }
        k => k.parse() == Ok(status),
    }
}

/// Snapshot outcomes.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct SnapshotSummary {
    /// Files written for the first time (or rewritten on update).
    pub written: Vec<String>,
    /// Files that matched.
    pub matched: Vec<String>,
    /// Files that differ (a `.snap.new` was written beside each).
    pub changed: Vec<String>,
}

/// How [`Report::render_text`] looks.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct TextOptions {
    /// ANSI colour (switch off for files, pipes and `NO_COLOR`).
    pub colour: bool,
}

impl TextOptions {
    /// Options with colour on or off.
    pub fn colour(colour: bool) -> TextOptions {
        TextOptions { colour }
    }
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn red(&self, s: &str) -> String {
        self.wrap("31;1", s)
    }
    fn green(&self, s: &str) -> String {
        self.wrap("32;1", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33;1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

impl Report {
    /// 0 when the contract holds, 1 when anything was found (flaky findings
    /// included: an intermittent violation is still one). Errors that stopped
    /// the run are `Err` from [`crate::run`] and map to 2.
    pub fn exit_code(&self) -> u8 {
        if self.findings.is_empty() { 0 } else { 1 }
    }

    /// Whether the contract held.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    /// Findings of one check.
    pub fn findings_of(&self, check: Check) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.check == check)
    }

    /// The report as pretty JSON (`--report json=FILE`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Human text: each finding with its violations, the offending values
    /// beside what the schema wanted, the reproduction, then coverage and a
    /// summary line.
    pub fn render_text(&self, options: TextOptions) -> String {
        let p = Paint(options.colour);
        let mut out = String::new();
        for (i, f) in self.findings.iter().enumerate() {
            let tag = if f.flaky {
                p.yellow("FLAKY")
            } else {
                p.red("FAIL")
            };
            let status = f.status.map(|s| format!(" [{s}]")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{tag} {}. {} {}{status}: {}",
                i + 1,
                f.operation,
                p.dim(&format!("({})", f.check)),
                f.message
            );
            if f.occurrences > 1 {
                let _ = writeln!(out, "    seen in {} cases", f.occurrences);
            }
            for v in &f.violations {
                let at = if v.instance_pointer.is_empty() {
                    "(root)"
                } else {
                    &v.instance_pointer
                };
                let actual = f
                    .body
                    .as_ref()
                    .and_then(|b| b.pointer(&v.instance_pointer))
                    .map(|v| clip(&v.to_string(), 120));
                let _ = writeln!(out, "    {} {at}: {}", p.red("-"), v.message);
                if let Some(actual) = actual {
                    let _ = writeln!(out, "    {} {at} = {actual}", p.green("+"));
                }
                let _ = writeln!(
                    out,
                    "      {}",
                    p.dim(&format!("{} at {}", v.keyword, v.schema_pointer))
                );
            }
            if let Some(diff) = &f.diff {
                for line in diff.lines() {
                    let line = match line.as_bytes().first() {
                        Some(b'-') => p.red(line),
                        Some(b'+') => p.green(line),
                        _ => line.to_owned(),
                    };
                    let _ = writeln!(out, "    {line}");
                }
            }
            let shrunk = if f.reproduction.shrunk {
                ", shrunk"
            } else {
                ""
            };
            let _ = writeln!(out, "    reproduce (seed {}{shrunk}):", f.reproduction.seed);
            for line in f.reproduction.script.lines() {
                let _ = writeln!(out, "      {line}");
            }
            out.push('\n');
        }
        out.push_str(&self.coverage_table());
        if let Some(s) = &self.snapshots {
            let _ = writeln!(
                out,
                "snapshots: {} matched, {} written, {} changed",
                s.matched.len(),
                s.written.len(),
                s.changed.len()
            );
        }
        let secs = self.elapsed_ms as f64 / 1000.0;
        let rate = if secs > 0.0 {
            self.requests as f64 / secs
        } else {
            0.0
        };
        let verdict = if self.passed() {
            p.green("contract holds")
        } else {
            let flaky = self.findings.iter().filter(|f| f.flaky).count();
            p.red(&format!("{} findings ({flaky} flaky)", self.findings.len()))
        };
        let cut = if self.cut_short {
            " (time limit reached)"
        } else {
            ""
        };
        let shard = self
            .shard
            .map(|s| format!(", shard {s}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{verdict}: {} requests in {secs:.2}s ({rate:.0}/s), seed {}{shard}{cut}",
            self.requests, self.seed
        );
        out
    }

    /// Operations × documented status codes: `✓` exercised, `·` not.
    pub fn coverage_table(&self) -> String {
        let mut out = String::new();
        let width = self
            .coverage
            .iter()
            .map(|c| c.operation.len())
            .max()
            .unwrap_or(9)
            .max(9);
        let _ = writeln!(
            out,
            "{:width$}  {:>5}  {:>8}  statuses (✓ exercised, · not)",
            "operation", "reqs", "mean ms"
        );
        for c in &self.coverage {
            let cells: Vec<String> = c
                .documented
                .iter()
                .map(|k| {
                    let hit = c.seen.keys().any(|&s| key_covers(k, s));
                    format!("{k}{}", if hit { "✓" } else { "·" })
                })
                .collect();
            let undocumented: Vec<String> = c
                .seen
                .keys()
                .filter(|&&s| !c.documented.iter().any(|k| key_covers(k, s)))
                .map(|s| format!("{s}!"))
                .collect();
            let _ = writeln!(
                out,
                "{:width$}  {:>5}  {:>8.2}  {} {}",
                c.operation,
                c.requests,
                c.mean_ms,
                cells.join(" "),
                undocumented.join(" ")
            );
        }
        out
    }

    /// JUnit XML (`--report junit=FILE`): one test case per operation and
    /// check, failing with the findings of that pair.
    pub fn to_junit(&self) -> String {
        let checks: Vec<Check> = Check::ALL
            .iter()
            .copied()
            .filter(|c| {
                !self.skipped_checks.contains(c)
                    && (*c != Check::Snapshot || self.snapshots.is_some())
            })
            .collect();
        let mut cases = String::new();
        let mut total = 0;
        let mut failed = 0;
        for c in &self.coverage {
            for &check in &checks {
                total += 1;
                let found: Vec<&Finding> = self
                    .findings
                    .iter()
                    .filter(|f| f.operation == c.operation && f.check == check)
                    .collect();
                let _ = write!(
                    cases,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    xml(&c.operation),
                    check.name()
                );
                if found.is_empty() {
                    cases.push_str("/>\n");
                    continue;
                }
                failed += 1;
                cases.push_str(">\n");
                for f in found {
                    let mut text = String::new();
                    for v in &f.violations {
                        let _ = writeln!(
                            text,
                            "{}: {} ({} at {})",
                            v.instance_pointer, v.message, v.keyword, v.schema_pointer
                        );
                    }
                    let _ = writeln!(
                        text,
                        "seed {}\n{}",
                        f.reproduction.seed, f.reproduction.script
                    );
                    let _ = writeln!(
                        cases,
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                        check.name(),
                        xml(&format!(
                            "{}{}",
                            if f.flaky { "(flaky) " } else { "" },
                            f.message
                        )),
                        xml(&text)
                    );
                }
                cases.push_str("    </testcase>\n");
            }
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"decoy test\" tests=\"{total}\" failures=\"{failed}\" time=\"{:.3}\">\n  <testsuite name=\"{}\" tests=\"{total}\" failures=\"{failed}\" time=\"{:.3}\">\n{cases}  </testsuite>\n</testsuites>\n",
            self.elapsed_ms as f64 / 1000.0,
            xml(&self.document),
            self.elapsed_ms as f64 / 1000.0,
        )
    }
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}
