//! The result of a run, as data, and its renderings: human text, JSON, JUnit
//! XML and a coverage table. These (with snapshots) are the only types that
//! derive `Serialize`: they are the boundary other tools read.

use std::collections::{BTreeMap, BTreeSet};
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
    /// What the sequences created and which chains completed.
    pub sequence_summary: SequenceSummary,
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

/// What the stateful sequences did (the first play of each; shrinking and
/// replays are not counted).
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct SequenceSummary {
    /// Resources created, per create operation.
    pub created: BTreeMap<String, u32>,
    /// Create requests the target refused (4xx) while a chain looked for a
    /// body it accepts.
    pub creates_rejected: u32,
    /// Chains played, keyed by the stages that succeeded
    /// (`create→read→update→read→list→delete→read`).
    pub chains: BTreeMap<String, u32>,
    /// What a chain could not judge (a delete whose read documents no 404
    /// or 410), at most a few.
    pub unsure: Vec<String>,
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
    /// Cases not sent: a generated value turned the path into another
    /// operation's (`/users/me` for `/users/{id}`).
    pub rerouted: u32,
    /// Checks that looked at one of its responses at least once; the others
    /// did not run on it (JUnit marks them skipped).
    pub checks_run: Vec<Check>,
    /// Why it was not tested to the end (time limit, timeouts), if it was
    /// not.
    pub note: Option<String>,
    /// Negative cases were sent before any valid request succeeded, so a
    /// 4xx to them may be about a missing resource, not the invalid input.
    pub blind_negatives: bool,
    /// Why no request got a 2xx (every request 401, every one 404, never
    /// sent), when none did.
    pub no_success: Option<String>,
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

    /// Human text, summary first: the verdict, findings counted by check
    /// and by operation, hints and operations not tested to the end; then
    /// the findings grouped by check, each with its violations (the value
    /// beside what the schema wanted) and its reproduction; then coverage.
    /// Lines stay within 100 columns, except where a single shell word (a
    /// long body) cannot be broken.
    pub fn render_text(&self, options: TextOptions) -> String {
        let p = Paint(options.colour);
        let mut out = String::new();
        self.summary(&p, &mut out);
        let mut n = 0;
        for &check in Check::ALL {
            let group: Vec<&Finding> = self.findings_of(check).collect();
            if group.is_empty() {
                continue;
            }
            let title = format!("── {check} ({}) ", group.len());
            let rule = "─".repeat(WIDTH.saturating_sub(title.chars().count()));
            let _ = writeln!(out, "{}", p.dim(&format!("{title}{rule}")));
            for f in group {
                n += 1;
                self.finding(&p, n, f, &mut out);
            }
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
        out
    }

    fn verdict(&self, p: &Paint) -> String {
        if self.passed() {
            return p.green("contract holds");
        }
        let flaky = self.findings.iter().filter(|f| f.flaky).count();
        let operations: BTreeSet<&str> =
            self.findings.iter().map(|f| f.operation.as_str()).collect();
        p.red(&format!(
            "{} findings ({flaky} flaky) on {} of {} operations",
            self.findings.len(),
            operations.len(),
            self.coverage.len()
        ))
    }

    fn summary(&self, p: &Paint, out: &mut String) {
        let secs = self.elapsed_ms as f64 / 1000.0;
        let shard = self
            .shard
            .map(|s| format!(", shard {s}"))
            .unwrap_or_default();
        let _ = writeln!(out, "{}", self.verdict(p));
        for line in wrap(
            &format!(
                "{} requests, {} sequences, seed {}{shard}, in {secs:.2}s{}",
                self.requests,
                self.sequences,
                self.seed,
                if self.cut_short {
                    " (time limit reached)"
                } else {
                    ""
                }
            ),
            "",
        ) {
            let _ = writeln!(out, "{line}");
        }
        if !self.findings.is_empty() {
            let _ = writeln!(out, "\n{}", p.dim("by check"));
            for &check in Check::ALL {
                let ops: BTreeSet<&str> = self
                    .findings_of(check)
                    .map(|f| f.operation.as_str())
                    .collect();
                if ops.is_empty() {
                    continue;
                }
                let count = self.findings_of(check).count();
                let names = ops.into_iter().collect::<Vec<_>>().join(", ");
                let head = format!("  {:<18} {count:>3}  ", check.name());
                let _ = writeln!(out, "{head}{}", clip_line(&names, WIDTH - head.len()));
            }
            let _ = writeln!(out, "{}", p.dim("by operation"));
            for c in &self.coverage {
                let mine: Vec<&Finding> = self
                    .findings
                    .iter()
                    .filter(|f| f.operation == c.operation)
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                let checks: BTreeSet<Check> = mine.iter().map(|f| f.check).collect();
                let names = checks
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", ");
                let head = format!("  {:<28} {:>3}  ", clip_line(&c.operation, 28), mine.len());
                let _ = writeln!(out, "{head}{}", clip_line(&names, WIDTH - head.len()));
            }
        }
        let unfinished: Vec<&Coverage> =
            self.coverage.iter().filter(|c| c.note.is_some()).collect();
        if !unfinished.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                p.yellow(&format!(
                    "{} of {} operations not tested to the end",
                    unfinished.len(),
                    self.coverage.len()
                ))
            );
            for c in unfinished {
                let line = format!("{}: {}", c.operation, c.note.as_deref().unwrap_or(""));
                for l in wrap_to(&line, "  ", WIDTH - 2) {
                    let _ = writeln!(out, "  {l}");
                }
            }
        }
        let failing: Vec<&Coverage> = self
            .coverage
            .iter()
            .filter(|c| c.no_success.is_some())
            .collect();
        if !failing.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                p.yellow(&format!(
                    "{} of {} operations never got a 2xx",
                    failing.len(),
                    self.coverage.len()
                ))
            );
            for c in failing {
                let line = format!("{}: {}", c.operation, c.no_success.as_deref().unwrap_or(""));
                for l in wrap_to(&line, "  ", WIDTH - 2) {
                    let _ = writeln!(out, "  {l}");
                }
            }
        }
        let s = &self.sequence_summary;
        if !s.chains.is_empty() || !s.created.is_empty() {
            let created: u32 = s.created.values().sum();
            let _ = writeln!(
                out,
                "\n{}",
                p.dim(&format!(
                    "sequences: {created} resources created, {} create bodies refused",
                    s.creates_rejected
                ))
            );
            for (stages, n) in &s.chains {
                let _ = writeln!(out, "  {n:>3} × {}", clip_line(stages, WIDTH - 8));
            }
            for u in &s.unsure {
                for l in wrap_to(&format!("unsure: {u}"), "  ", WIDTH - 2) {
                    let _ = writeln!(out, "  {l}");
                }
            }
        }
        let blind: Vec<&str> = self
            .coverage
            .iter()
            .filter(|c| c.blind_negatives)
            .map(|c| c.operation.as_str())
            .collect();
        if !blind.is_empty() {
            let line = format!(
                "no valid request to {} succeeded, so their negative cases went to resources that may not exist: a 4xx there may not be about the invalid input",
                blind.join(", ")
            );
            let _ = writeln!(out, "\n{}", p.yellow("unsure"));
            for l in wrap_to(&line, "  ", WIDTH - 2) {
                let _ = writeln!(out, "  {l}");
            }
        }
        if !self.hints.is_empty() {
            let _ = writeln!(out, "\n{}", p.yellow("hints"));
            for h in &self.hints {
                for l in wrap_to(h, "  ", WIDTH - 2) {
                    let _ = writeln!(out, "  {l}");
                }
            }
        }
        out.push('\n');
    }

    fn finding(&self, p: &Paint, n: usize, f: &Finding, out: &mut String) {
        let (tag, paint): (&str, fn(&Paint, &str) -> String) = if f.flaky {
            ("FLAKY", Paint::yellow)
        } else {
            ("FAIL", Paint::red)
        };
        let status = f.status.map(|s| format!(" [{s}]")).unwrap_or_default();
        let head = format!("{tag} {n}. {}{status}: {}", f.operation, f.message);
        for (k, line) in wrap(&head, "    ").into_iter().enumerate() {
            match line.strip_prefix(tag) {
                Some(rest) if k == 0 => {
                    let _ = writeln!(out, "{}{rest}", paint(p, tag));
                }
                _ => {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        if f.occurrences > 1 {
            let _ = writeln!(out, "    seen in {} cases", f.occurrences);
        }
        if f.unconfirmed {
            let _ = writeln!(
                out,
                "    {}",
                p.yellow("not seen again on replay: the request writes, so the state had changed")
            );
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
                .map(|v| v.to_string());
            let line = clip_line(&format!("{at}: {}", v.message), WIDTH - 6);
            let _ = writeln!(out, "    {} {line}", p.red("-"));
            if let Some(actual) = actual {
                let line = clip_line(&format!("{at} = {actual}"), WIDTH - 6);
                let _ = writeln!(out, "    {} {line}", p.green("+"));
            }
            let line = clip_line(&format!("{} at {}", v.keyword, v.schema_pointer), WIDTH - 6);
            let _ = writeln!(out, "      {}", p.dim(&line));
        }
        if let Some(diff) = &f.diff {
            for line in diff.lines() {
                let line = clip_line(line, WIDTH - 4);
                let line = match line.as_bytes().first() {
                    Some(b'-') => p.red(&line),
                    Some(b'+') => p.green(&line),
                    _ => line,
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

    /// Operations × documented status codes: `✓` exercised, `·` not.
    pub fn coverage_table(&self) -> String {
        let mut out = String::new();
        let width = self
            .coverage
            .iter()
            .map(|c| c.operation.chars().count())
            .max()
            .unwrap_or(9)
            .clamp(9, 32);
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
            let head = format!(
                "{:width$}  {:>5}  {:>8.2}  ",
                clip_line(&c.operation, width),
                c.requests,
                c.mean_ms,
            );
            let indent = " ".repeat(head.chars().count());
            let mut line = head;
            for cell in cells.iter().chain(&undocumented) {
                if line.chars().count() + cell.chars().count() > WIDTH {
                    let _ = writeln!(out, "{}", line.trim_end());
                    line = indent.clone();
                }
                line.push_str(cell);
                line.push(' ');
            }
            let _ = writeln!(out, "{}", line.trim_end());
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
        let mut skipped = 0;
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
                if found.is_empty() && !c.checks_run.contains(&check) {
                    skipped += 1;
                    cases.push_str(">\n      <skipped message=\"never run on this operation\"/>\n    </testcase>\n");
                    continue;
                }
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
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"decoy test\" tests=\"{total}\" failures=\"{failed}\" skipped=\"{skipped}\" time=\"{:.3}\">\n  <testsuite name=\"{}\" tests=\"{total}\" failures=\"{failed}\" skipped=\"{skipped}\" time=\"{:.3}\">\n{cases}  </testsuite>\n</testsuites>\n",
            self.elapsed_ms as f64 / 1000.0,
            xml(&self.document),
            self.elapsed_ms as f64 / 1000.0,
        )
    }
}

pub(crate) fn xml(s: &str) -> String {
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

/// The widest line `Report::render_text` writes (a long shell word aside).
const WIDTH: usize = 100;

/// `text` cut to `max` characters, with `…` when cut.
fn clip_line(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `text` broken at spaces into lines of at most `WIDTH` columns, the
/// later ones starting with `indent`; a word longer than a line is cut.
fn wrap(text: &str, indent: &str) -> Vec<String> {
    wrap_to(text, indent, WIDTH)
}

/// [`wrap`] to `width` columns.
fn wrap_to(text: &str, indent: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut empty = true;
    for word in text.split(' ') {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, indent.to_owned()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    lines.push(line);
    lines.into_iter().map(|l| clip_line(&l, width)).collect()
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
