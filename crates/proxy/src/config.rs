//! How a proxy behaves: one `Config`, shared by the library and the CLI.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use decoy_conform::Check;

use crate::Event;

/// A callback that sees every exchange once it is over (the CLI prints it).
pub type EventCallback = Arc<dyn Fn(&Event) + Send + Sync>;

/// Settings of a proxy. [`Config::new`] names the upstream; every other
/// field has a default that suits CI.
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    /// The implementation: `http://host:port` or `https://host`, optionally
    /// with a path prefix that is put before every request path.
    pub upstream: String,
    /// Address to listen on (`127.0.0.1`).
    pub host: IpAddr,
    /// Port to listen on (4010; 0 picks a free one).
    pub port: u16,
    /// A PEM file of extra root certificates for an `https` upstream (a
    /// company or test CA), trusted besides the system's.
    pub upstream_ca: Option<PathBuf>,
    /// Answer an invalid request with the documented error (what
    /// `decoy mock` would answer) instead of forwarding it.
    pub strict: bool,
    /// Append every exchange to this file as NDJSON (`decoy mock --replay`
    /// answers from it).
    pub record: Option<PathBuf>,
    /// What recordings redact besides `Authorization`, `Proxy-Authorization`,
    /// cookies and the document's API keys (headers or query parameters):
    /// names of headers and query parameters, and JSON pointers (starting
    /// with `/`) into request and response bodies.
    pub redact: Vec<String>,
    /// Response checks switched off by name (as `decoy test --skip-check`).
    pub skip: Vec<Check>,
    /// Bodies up to this size are read whole and validated; larger ones
    /// stream through unvalidated, with a note. It bounds the memory one
    /// exchange can take.
    pub max_body_bytes: usize,
    /// Time allowed to open a connection to the upstream.
    pub connect_timeout: Duration,
    /// Time allowed for the upstream's response head, and for its body when
    /// it is read whole; past it the client gets 504.
    pub upstream_timeout: Duration,
    /// Longest time a body too large to validate may stream through; past
    /// it the stream is cut and the exchange reported.
    pub stream_timeout: Duration,
    /// A client must send its request head within this time.
    pub header_timeout: Duration,
    /// A client must send its request body within this time (else 408).
    pub body_timeout: Duration,
    /// Called after each exchange with what was found.
    pub on_event: Option<EventCallback>,
}

impl Config {
    /// Defaults for an upstream at `upstream`: 127.0.0.1:4010, 1 MiB
    /// validation limit, 5 s to connect, 30 s for an answer.
    pub fn new(upstream: impl Into<String>) -> Config {
        Config {
            upstream: upstream.into(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 4010,
            upstream_ca: None,
            strict: false,
            record: None,
            redact: Vec::new(),
            skip: Vec::new(),
            max_body_bytes: 1024 * 1024,
            connect_timeout: Duration::from_secs(5),
            upstream_timeout: Duration::from_secs(30),
            stream_timeout: Duration::from_secs(300),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            on_event: None,
        }
    }

    /// The socket address from `host` and `port`.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("upstream", &self.upstream)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("upstream_ca", &self.upstream_ca)
            .field("strict", &self.strict)
            .field("record", &self.record)
            .field("redact", &self.redact)
            .field("skip", &self.skip)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("connect_timeout", &self.connect_timeout)
            .field("upstream_timeout", &self.upstream_timeout)
            .field("stream_timeout", &self.stream_timeout)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("on_event", &self.on_event.as_ref().map(|_| "<callback>"))
            .finish()
    }
}
