//! `decoy test`: property-test a running implementation against the document.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use decoy_conform::{Check, Config, Progress, Selector, Shard, TextOptions};

use crate::Outcome;

/// Flags of `decoy test`.
#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// The document (YAML or JSON). Default: the embedded Calls API.
    doc: Option<PathBuf>,
    /// Base URL of the implementation under test (`http://127.0.0.1:8080`),
    /// with the document's server base path if it has one (`/api`).
    #[arg(long, env = "DECOY_URL", required_unless_present = "list_checks")]
    url: Option<String>,
    /// Print every check with what it asserts, and exit.
    #[arg(long)]
    list_checks: bool,
    /// Bearer token, sent as `Authorization: Bearer` with every request.
    #[arg(long, env = "DECOY_TOKEN")]
    token: Option<String>,
    /// A credential for one of the document's security schemes, by its name
    /// under `components/securitySchemes` (repeatable): an API key (header,
    /// query or cookie), `user:password` for HTTP basic, a token for bearer.
    /// Sent where each operation's `security` asks for it.
    #[arg(long = "auth", value_name = "SCHEME=VALUE", value_parser = parse_pair)]
    auth: Vec<(String, String)>,
    /// Requests in flight at once. Lower it if the report says 503s or 429s
    /// suggest the target is overloaded (a SQLite-backed server, say).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    workers: u16,
    /// Test only operations with this operationId (repeatable).
    #[arg(long, value_name = "ID")]
    include_operation: Vec<String>,
    /// Test only operations whose path template matches (`*` matches
    /// anything: `/users/*`; repeatable).
    #[arg(long, value_name = "GLOB")]
    include_path: Vec<String>,
    /// Test only operations with this tag (repeatable).
    #[arg(long, value_name = "TAG")]
    include_tag: Vec<String>,
    /// Test only operations with this HTTP method (repeatable).
    #[arg(long, value_name = "METHOD")]
    include_method: Vec<String>,
    /// Leave out operations with this operationId (repeatable).
    #[arg(long, value_name = "ID")]
    exclude_operation: Vec<String>,
    /// Leave out operations whose path template matches (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude_path: Vec<String>,
    /// Leave out operations with this tag (repeatable).
    #[arg(long, value_name = "TAG")]
    exclude_tag: Vec<String>,
    /// Leave out operations with this HTTP method (repeatable).
    #[arg(long, value_name = "METHOD")]
    exclude_method: Vec<String>,
    /// An extra request header, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H', value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// A known resource id for a path parameter, `NAME=VALUE` (repeatable):
    /// `--id id=call_1`.
    #[arg(long = "id", value_parser = parse_pair)]
    ids: Vec<(String, String)>,
    /// Generated cases per operation.
    #[arg(long, default_value_t = 50)]
    cases: u32,
    /// Random stateful sequences (create, act, read) to run.
    #[arg(long, default_value_t = 50)]
    sequences: u32,
    /// The seed: the same seed sends the same requests.
    #[arg(long, default_value_t = 1, env = "DECOY_SEED")]
    seed: u64,
    /// Stop generating new cases after this long (`30s`, `2m`).
    #[arg(long, value_parser = parse_duration)]
    time_limit: Option<Duration>,
    /// Timeout of each request (`10s`).
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    timeout: Duration,
    /// Time allowed to open a connection (`5s`).
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    connect_timeout: Duration,
    /// Largest response body read, in bytes; a larger (or endless) body is a
    /// `transport` finding, so a hostile target cannot exhaust memory.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_response_bytes: usize,
    /// Switch a check off by name (repeatable); `--list-checks` names them.
    #[arg(long = "skip-check", value_parser = parse_check)]
    skip: Vec<Check>,
    /// Run only shard K of N (`2/4`): deterministic, so N machines cover the
    /// whole run once.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Record normalized responses here and diff against them on later runs.
    #[arg(long)]
    snapshots: Option<PathBuf>,
    /// Rewrite the snapshots instead of diffing.
    #[arg(long, requires = "snapshots")]
    update_snapshots: bool,
    /// Also write a report: `json=FILE` or `junit=FILE` (repeatable).
    #[arg(long = "report", value_parser = parse_report)]
    reports: Vec<(ReportKind, PathBuf)>,
    /// Colour in the text report: auto (a terminal), always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    color: String,
}

/// Formats `--report` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReportKind {
    Json,
    Junit,
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("expected `Name: value`, found `{text}`"))?;
    let name = name.trim();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_!#$%&'*+.^`|~".contains(&b))
    {
        return Err(format!("`{name}` is not a valid header name"));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected `NAME=VALUE`, found `{text}`"))?;
    if name.is_empty() || value.is_empty() {
        return Err(format!("expected `NAME=VALUE`, found `{text}`"));
    }
    Ok((name.to_owned(), value.to_owned()))
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("expected a duration like `30s`, found `{text}`"))?;
    let secs = match unit {
        "ms" => number / 1000.0,
        "s" | "" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (use ms, s, m or h)"
            ));
        }
    };
    Ok(Duration::from_secs_f64(secs))
}

pub(crate) fn parse_check(text: &str) -> Result<Check, String> {
    text.parse()
        .map_err(|e: decoy_conform::ConformError| e.to_string())
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    text.parse()
        .map_err(|e: decoy_conform::ConformError| e.to_string())
}

pub(crate) fn parse_report(text: &str) -> Result<(ReportKind, PathBuf), String> {
    match text.split_once('=') {
        Some(("json", path)) if !path.is_empty() => Ok((ReportKind::Json, path.into())),
        Some(("junit", path)) if !path.is_empty() => Ok((ReportKind::Junit, path.into())),
        _ => Err(format!(
            "expected `json=FILE` or `junit=FILE`, found `{text}`"
        )),
    }
}

/// `--list-checks`: name and description of every check, within 100
/// columns.
fn list_checks() -> anyhow::Result<Outcome> {
    let width = Check::ALL.iter().map(|c| c.name().len()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for c in Check::ALL {
        let mut line = format!("{:width$}  ", c.name());
        let indent = line.len();
        for word in c.description().split(' ') {
            if line.len() + word.len() > 99 && line.len() > indent {
                writeln!(out, "{}", line.trim_end())?;
                line = " ".repeat(indent);
            }
            line.push_str(word);
            line.push(' ');
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(Outcome::Ok)
}

pub(crate) fn run(args: TestArgs) -> anyhow::Result<Outcome> {
    if args.list_checks {
        return list_checks();
    }
    let spec = crate::load(args.doc.as_deref())?;
    let url = args.url.unwrap_or_default();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!("--url: expected an http:// URL, found `{url}`");
    }
    let mut config = Config::new(url.trim_end_matches('/'));
    config.token = args.token;
    config.auth = args.auth;
    config.workers = usize::from(args.workers);
    let selectors =
        |ops: Vec<String>, paths: Vec<String>, tags: Vec<String>, methods: Vec<String>| {
            let mut out: Vec<Selector> = Vec::new();
            out.extend(ops.into_iter().map(Selector::Operation));
            out.extend(paths.into_iter().map(Selector::Path));
            out.extend(tags.into_iter().map(Selector::Tag));
            out.extend(methods.into_iter().map(Selector::Method));
            out
        };
    config.include = selectors(
        args.include_operation,
        args.include_path,
        args.include_tag,
        args.include_method,
    );
    config.exclude = selectors(
        args.exclude_operation,
        args.exclude_path,
        args.exclude_tag,
        args.exclude_method,
    );
    config.headers = args.headers;
    config.ids = args.ids;
    config.cases = args.cases;
    config.sequences = args.sequences;
    config.seed = args.seed;
    config.time_limit = args.time_limit;
    config.request_timeout = args.timeout;
    config.connect_timeout = args.connect_timeout;
    config.max_response_bytes = args.max_response_bytes;
    config.skip = args.skip;
    config.shard = args.shard;
    config.snapshots = args.snapshots;
    config.update_snapshots = args.update_snapshots;

    let bar = Bar::start(&mut config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let report = runtime.block_on(decoy_conform::run(&spec, config));
    bar.finish();
    let report = report?;

    write_reports(&args.reports, |kind| match kind {
        ReportKind::Json => report.to_json(),
        ReportKind::Junit => report.to_junit(),
    })?;
    let colour = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut out = std::io::stdout().lock();
    write!(out, "{}", report.render_text(TextOptions::colour(colour)))?;
    Ok(if report.passed() {
        Outcome::Ok
    } else {
        Outcome::Violations
    })
}

/// Writes each `--report KIND=FILE` (shared with `decoy proxy`).
pub(crate) fn write_reports(
    reports: &[(ReportKind, PathBuf)],
    render: impl Fn(ReportKind) -> String,
) -> anyhow::Result<()> {
    for (kind, path) in reports {
        let text = render(*kind);
        std::fs::write(path, text)
            .with_context(|| format!("{}: cannot write the report", path.display()))?;
    }
    Ok(())
}

/// Progress on stderr, drawn by its own thread from the run's counters: a
/// bar redrawn in place on a terminal, else (CI logs, pipes) a plain line
/// every few seconds, so a long run is never silent.
struct Bar {
    stop: Option<(mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
}

/// Seconds between progress lines when stderr is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(5);

impl Bar {
    fn start(config: &mut Config) -> Bar {
        let terminal = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let progress = Progress::new();
        config.progress = Some(progress.clone());
        let (tx, rx) = mpsc::channel();
        let started = Instant::now();
        let tick = if terminal {
            Duration::from_millis(100)
        } else {
            LINE_EVERY
        };
        let thread = std::thread::spawn(move || {
            const WIDTH: u64 = 30;
            let counts = || {
                let p = progress.get();
                format!(
                    "{}/{} units, {} requests, {} findings, {:.0} s",
                    p.done,
                    p.total,
                    p.requests,
                    p.findings,
                    started.elapsed().as_secs_f64(),
                )
            };
            if !terminal {
                eprintln!("decoy test: started");
            }
            // Redraw every tick until told to stop (or the sender is gone).
            while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(tick) {
                let counts = counts();
                if !terminal {
                    eprintln!("decoy test: {counts}");
                    continue;
                }
                let p = progress.get();
                let filled = (p.done * WIDTH)
                    .checked_div(p.total)
                    .unwrap_or(0)
                    .min(WIDTH) as usize;
                eprint!(
                    "\r  [{}{}] {counts} ",
                    "#".repeat(filled),
                    " ".repeat(WIDTH as usize - filled),
                );
            }
            if terminal {
                // Clear the line so the report starts clean.
                eprint!("\r\x1b[2K");
            } else {
                eprintln!("decoy test: done, {}", counts());
            }
        });
        Bar {
            stop: Some((tx, thread)),
        }
    }

    fn finish(self) {
        if let Some((tx, thread)) = self.stop {
            let _ = tx.send(());
            let _ = thread.join();
        }
    }
}
