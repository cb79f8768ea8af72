//! `decoy proxy`: forward to the implementation, check every exchange, and
//! on exit (Ctrl-C, SIGTERM, or the end of `-- COMMAND`) write the reports.

use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use decoy_conform::Check;
use decoy_proxy::{Config, Event, Proxy};

use crate::Outcome;
use crate::mock::parse_duration;
use crate::test::{ReportKind, parse_check, parse_report};

/// Flags of `decoy proxy`.
#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// The document (YAML or JSON). Default: the embedded Calls API.
    doc: Option<PathBuf>,
    /// The implementation to forward to: `http://host:port` or
    /// `https://host`, optionally with a path prefix.
    #[arg(long, env = "DECOY_UPSTREAM")]
    upstream: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, short = 'p', default_value_t = 4010, env = "DECOY_PORT")]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = "DECOY_HOST")]
    host: IpAddr,
    /// Extra root certificates (PEM) for an https upstream, trusted besides
    /// the system's.
    #[arg(long)]
    upstream_ca: Option<PathBuf>,
    /// Answer an invalid request with the documented error (what `decoy
    /// mock` answers) instead of forwarding it.
    #[arg(long)]
    strict: bool,
    /// Write every exchange to FILE as NDJSON, for `decoy mock --replay`.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Also redact this header or query parameter, or this JSON pointer
    /// (`/card/number`) in bodies, in the recording (repeatable).
    /// Authorization, cookies and the document's API keys are always redacted.
    #[arg(long, value_name = "HEADER|POINTER")]
    redact: Vec<String>,
    /// Switch off a response check (repeatable): status-documented,
    /// content-type, response-schema, required-headers, server-error.
    #[arg(long = "skip-check", value_parser = parse_check)]
    skip: Vec<Check>,
    /// Write a report on exit: `json=FILE` or `junit=FILE` (repeatable).
    #[arg(long = "report", value_parser = parse_report)]
    reports: Vec<(ReportKind, PathBuf)>,
    /// What is printed as each exchange ends: human lines, JSON lines, or
    /// only the violations.
    #[arg(long, value_enum, default_value_t = Log::Human)]
    log: Log,
    /// Bodies up to this size are validated; larger ones pass through
    /// unvalidated (this bounds memory per exchange).
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// Time to connect to the upstream.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    connect_timeout: Duration,
    /// Time for the upstream's answer (head, and a body under the limit);
    /// past it the client gets 504.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    upstream_timeout: Duration,
    /// Longest a body over the limit may stream before it is cut.
    #[arg(long, default_value = "300s", value_parser = parse_duration)]
    stream_timeout: Duration,
    /// Colour: auto (a terminal), always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    color: String,
    /// Run this command with the proxy up (its URL in `DECOY_PROXY_URL`),
    /// then stop; the exit code is 1 if it failed or anything was found.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// Per-exchange output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Log {
    /// Every exchange, one line each, violations below it.
    Human,
    /// Every exchange as a JSON object per line.
    Json,
    /// Only exchanges with violations (human lines).
    Violations,
}

pub(crate) fn run(args: ProxyArgs) -> anyhow::Result<Outcome> {
    let spec = crate::load(args.doc.as_deref())?;
    let origin = spec.origin().to_owned();
    let colour = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut config = Config::new(args.upstream.clone());
    config.host = args.host;
    config.port = args.port;
    config.upstream_ca = args.upstream_ca;
    config.strict = args.strict;
    config.record = args.record;
    config.redact = args.redact;
    config.skip = args.skip;
    config.max_body_bytes = args.max_body_bytes;
    config.connect_timeout = args.connect_timeout;
    config.upstream_timeout = args.upstream_timeout;
    config.stream_timeout = args.stream_timeout;
    let log = args.log;
    config.on_event = Some(Arc::new(move |event: &Event| {
        let line = match log {
            Log::Json => event.to_json_line(),
            Log::Violations if event.findings.is_empty() => return,
            _ => event.to_text(colour),
        };
        // A closed stdout must not take the proxy down.
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let (report, command_ok) = runtime.block_on(async move {
        let proxy = Proxy::start(spec, config).await?;
        let url = proxy.uri();
        eprintln!(
            "decoy proxy: checking {origin} on {url} -> {}{}",
            args.upstream,
            if args.command.is_empty() {
                "; Ctrl-C stops"
            } else {
                ""
            }
        );
        let command_ok = match args.command.split_first() {
            None => {
                decoy_mock::shutdown_signal().await;
                true
            }
            Some((program, rest)) => {
                let status = tokio::process::Command::new(program)
                    .args(rest)
                    .env("DECOY_PROXY_URL", &url)
                    .status()
                    .await
                    .with_context(|| format!("cannot run `{program}`"))?;
                if !status.success() {
                    eprintln!("decoy proxy: `{program}` failed ({status})");
                }
                status.success()
            }
        };
        anyhow::Ok((proxy.stop().await, command_ok))
    })?;
    crate::test::write_reports(&args.reports, |kind| match kind {
        ReportKind::Json => report.to_json(),
        ReportKind::Junit => report.to_junit(),
    })?;
    write!(std::io::stdout().lock(), "{}", report.render_text(colour))?;
    Ok(if report.passed() && command_ok {
        Outcome::Ok
    } else {
        Outcome::Violations
    })
}
