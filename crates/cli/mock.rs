//! `decoy mock`: serve a document over HTTP until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use decoy_mock::{Config, Latency, LogFormat, Reload};

use crate::Outcome;

/// Flags of `decoy mock`.
#[derive(Debug, Args)]
pub(crate) struct MockArgs {
    /// The document (YAML or JSON). Default: the embedded Calls API.
    doc: Option<PathBuf>,
    /// Port to listen on (4010 is Prism's default, so frontends switch
    /// without touching their config; 0 picks a free port).
    #[arg(long, short = 'p', default_value_t = 4010, env = "DECOY_PORT")]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = "DECOY_HOST")]
    host: IpAddr,
    /// Seed of the generated world: the same seed gives the same data for
    /// the same resource, across restarts and replicas.
    #[arg(long, default_value_t = 0, env = "DECOY_SEED")]
    seed: u64,
    /// Accept only this bearer token (default: any non-empty one).
    #[arg(long, env = "DECOY_TOKEN")]
    token: Option<String>,
    /// No state: nothing clients create is stored; every response is a pure
    /// function of the seed and the request.
    #[arg(long)]
    stateless: bool,
    /// `realistic` bodies, or `edge`: schema-valid extremes for frontends
    /// (empty and longest arrays, longest non-ASCII and right-to-left text,
    /// every nullable field null, largest numbers). A request's
    /// `Prefer: profile=edge` asks for either.
    #[arg(long, default_value = "realistic", value_parser = ["realistic", "edge"])]
    profile: String,
    /// Answer 404 for resource ids no client created, instead of generated
    /// data for any id.
    #[arg(long, conflicts_with = "stateless")]
    strict_ids: bool,
    /// Do not answer CORS preflights or add CORS headers.
    #[arg(long)]
    no_cors: bool,
    /// Largest request body accepted, in bytes; larger gets 413.
    #[arg(long, default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// Largest request head (request line and headers), in bytes; larger
    /// gets 431.
    #[arg(long, default_value_t = 64 * 1024)]
    max_header_bytes: usize,
    /// Close a connection whose request head has not fully arrived after
    /// this long (slowloris): `10s`, `500ms`.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    header_timeout: Duration,
    /// Answer 408 and close when a request body has not fully arrived after
    /// this long.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    body_timeout: Duration,
    /// Reload DOC when the file changes (checked every 500 ms); a broken
    /// edit keeps serving the last good document and logs why.
    #[arg(long, requires = "doc")]
    watch: bool,
    /// Most stored resources; the oldest are evicted first.
    #[arg(long, default_value_t = 10_000)]
    max_resources: usize,
    /// Keep stored resources in Redis (`redis://HOST:PORT/DB`) instead of
    /// memory: replicas pointed at the same Redis agree on every read.
    #[arg(long, value_name = "URL", env = "DECOY_STATE")]
    state: Option<String>,
    /// How long Redis keeps a namespace's state after its last change.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    state_ttl: Duration,
    /// Most requests kept for `GET /__decoy/requests`.
    #[arg(long, default_value_t = 256)]
    max_recorded: usize,
    /// Delay every response: a fixed `50ms` or a range `20ms..80ms`
    /// (reproducible from the seed).
    #[arg(long, value_parser = parse_latency)]
    latency: Option<Latency>,
    /// Share of requests answered with a documented 5xx or 429 instead
    /// (`0.05` is 5%; reproducible from the seed).
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    error_rate: f64,
    /// Answer requests recorded by `decoy proxy --record` with their
    /// recorded responses (in order when recorded several times); everything
    /// else is generated as usual.
    #[arg(long, value_name = "FILE")]
    replay: Option<PathBuf>,
    /// Request log on stdout: one line per request, for people or as JSON.
    #[arg(long, value_enum, default_value_t = Log::Human)]
    log: Log,
}

/// Request log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Log {
    Human,
    Json,
    Off,
}

fn parse_latency(text: &str) -> Result<Latency, String> {
    Latency::parse(text)
}

pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    decoy_spec::duration::parse(text)
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("expected a number between 0 and 1, found `{text}`"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!("expected a number between 0 and 1, found {rate}"))
    }
}

pub(crate) fn run(args: MockArgs) -> anyhow::Result<Outcome> {
    let spec = crate::load(args.doc.as_deref())?;
    let origin = spec.origin().to_owned();
    let operations = spec.operations().len();
    let log = match args.log {
        Log::Human => Some(LogFormat::Human),
        Log::Json => Some(LogFormat::Json),
        Log::Off => None,
    };
    let mut config = Config::default();
    config.host = args.host;
    config.port = args.port;
    config.seed = args.seed;
    config.token = args.token;
    config.stateless = args.stateless;
    config.profile = args.profile.parse().map_err(anyhow::Error::msg)?;
    config.strict_ids = args.strict_ids;
    config.cors = !args.no_cors;
    config.body_limit = args.body_limit;
    config.max_header_bytes = args.max_header_bytes;
    config.header_timeout = args.header_timeout;
    config.body_timeout = args.body_timeout;
    if args.watch {
        config.watch = args.doc.clone();
        config.on_reload = Some(Arc::new(|event: &Reload| match event {
            Reload::Loaded { revision } => {
                eprintln!("decoy mock: reloaded the document (revision {revision})");
            }
            Reload::Failed { error } => {
                eprintln!(
                    "decoy mock: error: reload failed, still serving the last good document: {error}"
                );
            }
            _ => {}
        }));
    }
    if let Some(path) = &args.replay {
        let replay = decoy_mock::replay::Replay::load(path)?;
        eprintln!(
            "decoy mock: replaying {} recorded exchanges from {}{}",
            replay.len(),
            path.display(),
            match replay.skipped() {
                0 => String::new(),
                n => format!(" ({n} with bodies too large to record are generated instead)"),
            }
        );
        config.replay = Some(Arc::new(replay));
    }
    config.max_resources = args.max_resources;
    config.state = args.state;
    config.state_ttl = args.state_ttl;
    config.max_recorded = args.max_recorded;
    config.latency = args.latency;
    config.error_rate = args.error_rate;
    config.on_request = log.map(|format| -> decoy_mock::RequestCallback {
        Arc::new(move |request| {
            // A closed stdout must not take the server down.
            let _ = writeln!(std::io::stdout().lock(), "{}", request.log_line(format));
        })
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async move {
        let bound = decoy_mock::bind(config, spec).await?;
        let addr = bound.local_addr()?;
        eprintln!(
            "decoy mock: serving {origin} ({operations} operations) on http://{addr} (seed {}); Ctrl-C stops",
            args.seed
        );
        bound.run(decoy_mock::shutdown_signal()).await?;
        eprintln!("decoy mock: stopped");
        anyhow::Ok(Outcome::Ok)
    })
}
