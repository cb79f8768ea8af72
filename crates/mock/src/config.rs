//! How a mock server behaves: one `Config`, shared by the builder and the CLI.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::replay::Replay;
use decoy_spec::duration::Latency;

/// A callback that sees every request once it has been answered.
pub type RequestCallback = Arc<dyn Fn(&RecordedRequest) + Send + Sync>;

/// A callback told about each reload of a watched document.
pub type ReloadCallback = Arc<dyn Fn(&Reload) + Send + Sync>;

/// What happened when a watched document changed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Reload {
    /// The new document is served; `revision` is what `/__decoy/health`
    /// reports.
    Loaded {
        /// The new document's revision.
        revision: String,
    },
    /// The new document is broken; the last good one is still served.
    Failed {
        /// Why, with file and line where the loader knows them.
        error: String,
    },
}

/// Settings of a mock server. `Config::default()` is what `decoy mock` runs
/// with: 127.0.0.1:4010, seed 0, any bearer token, stateful, CORS on.
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    /// Address to listen on (`127.0.0.1`).
    pub host: IpAddr,
    /// Port to listen on (4010, Prism's default; 0 picks a free one).
    pub port: u16,
    /// Seed of the generated world: same seed, same bodies.
    pub seed: u64,
    /// The one bearer token (or API key) accepted; `None` accepts any
    /// non-empty one.
    pub token: Option<String>,
    /// Keep no state: nothing clients create, change or delete is stored,
    /// and `x-decoy-state` is off; every response is a pure function of the
    /// seed and the request.
    pub stateless: bool,
    /// Answer 404 for a resource id no client created (instead of
    /// generated data for any id).
    pub strict_ids: bool,
    /// Answer CORS preflights and add CORS headers (on by default).
    pub cors: bool,
    /// Largest request body accepted, in bytes (1 MiB); larger gets 413.
    pub body_limit: usize,
    /// Largest request head (request line and headers), in bytes (64 KiB);
    /// larger gets 431.
    pub max_header_bytes: usize,
    /// A client must send a request's head within this time (10 s), or its
    /// connection is closed (slowloris).
    pub header_timeout: Duration,
    /// A client must send a request's body within this time (30 s), or it
    /// gets 408 and the connection is closed.
    pub body_timeout: Duration,
    /// Reload the document from this file when it changes (`--watch`).
    pub watch: Option<PathBuf>,
    /// How often the watched file is checked (500 ms).
    pub watch_interval: Duration,
    /// Most resources kept per namespace; the oldest go first.
    pub max_resources: usize,
    /// Keep stored resources in Redis (`redis://HOST:PORT/DB`) instead of
    /// memory, so that replicas pointed at the same Redis agree.
    pub state: Option<String>,
    /// How long Redis keeps a namespace's state after its last change
    /// (24 h).
    pub state_ttl: Duration,
    /// Most requests kept for `/__decoy/requests`.
    pub max_recorded: usize,
    /// Delay added to every response (before per-operation profiles).
    pub latency: Option<Latency>,
    /// Share of requests answered with a documented 5xx or 429 (`0.0..=1.0`).
    pub error_rate: f64,
    /// Realistic bodies, or schema-valid extremes (`--profile edge`); a
    /// request's `Prefer: profile=edge` asks for either.
    pub profile: decoy_synth::Profile,
    /// Called after each request is answered (the CLI prints log lines).
    pub on_request: Option<RequestCallback>,
    /// Called after each reload of the watched document.
    pub on_reload: Option<ReloadCallback>,
    /// Recorded exchanges answered before anything else (`--replay`);
    /// requests not recorded are generated as usual.
    pub replay: Option<Arc<Replay>>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 4010,
            seed: 0,
            token: None,
            stateless: false,
            strict_ids: false,
            cors: true,
            body_limit: 1024 * 1024,
            max_header_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            watch: None,
            watch_interval: Duration::from_millis(500),
            max_resources: 10_000,
            state: None,
            state_ttl: Duration::from_secs(24 * 60 * 60),
            max_recorded: 256,
            latency: None,
            error_rate: 0.0,
            profile: decoy_synth::Profile::Realistic,
            on_request: None,
            on_reload: None,
            replay: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("seed", &self.seed)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("stateless", &self.stateless)
            .field("strict_ids", &self.strict_ids)
            .field("cors", &self.cors)
            .field("body_limit", &self.body_limit)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("watch", &self.watch)
            .field("watch_interval", &self.watch_interval)
            .field("max_resources", &self.max_resources)
            .field("state", &self.state)
            .field("state_ttl", &self.state_ttl)
            .field("max_recorded", &self.max_recorded)
            .field("latency", &self.latency)
            .field("error_rate", &self.error_rate)
            .field(
                "on_request",
                &self.on_request.as_ref().map(|_| "<callback>"),
            )
            .field("on_reload", &self.on_reload.as_ref().map(|_| "<callback>"))
            .field("replay", &self.replay.as_ref().map(|r| r.len()))
            .finish()
    }
}

impl Config {
    /// The socket address from `host` and `port`.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

/// How a request log line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogFormat {
    /// `GET /v1/calls/abc 200 getCall 0.4ms`
    Human,
    /// One JSON object per line.
    Json,
}

/// One answered request, as `/__decoy/requests` and the log show it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// When it arrived.
    pub at: SystemTime,
    /// The method.
    pub method: String,
    /// The path and query (cut at 2 KiB).
    pub path: String,
    /// The status answered.
    pub status: u16,
    /// The matched operation's name, if one matched.
    pub operation: Option<String>,
    /// Time to answer (including injected latency).
    pub duration: Duration,
}

impl RecordedRequest {
    /// The record as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let at = self
            .at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        serde_json::json!({
            "at": at,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "operation": self.operation,
            "duration_ms": self.duration.as_secs_f64() * 1000.0,
        })
    }

    /// One log line, without a trailing newline.
    pub fn log_line(&self, format: LogFormat) -> String {
        match format {
            LogFormat::Json => self.to_json().to_string(),
            LogFormat::Human => format!(
                "{} {} {} {} {:.1}ms",
                self.method,
                self.path.escape_debug(),
                self.status,
                self.operation.as_deref().unwrap_or("-"),
                self.duration.as_secs_f64() * 1000.0
            ),
        }
    }
}
