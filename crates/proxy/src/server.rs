//! Sockets: the listener, one hyper connection per client with header
//! size and read timeouts, and a graceful stop that still writes the report.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use decoy_mock::MockServer;
use decoy_spec::Spec;
use decoy_validate::Validators;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::forward::Forwarder;
use crate::record::Recorder;
use crate::session::Session;
use crate::upstream::{self, Upstream};
use crate::{Config, ProxyError, Report};

/// How long a stop waits for exchanges in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest request head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// A running proxy. Dropping it stops it; [`Proxy::stop`] also waits for
/// exchanges in flight and returns the report.
pub struct Proxy {
    address: SocketAddr,
    session: Arc<Session>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// Answers invalid requests in `--strict` mode; stops with the proxy.
    _rejector: Option<MockServer>,
}

impl Proxy {
    /// Binds [`Config::address`] and starts forwarding to
    /// [`Config::upstream`] on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// An unusable upstream URL or CA file, an address that cannot be
    /// bound, a recording file that cannot be created, or (strict mode) a
    /// document the mock cannot serve.
    pub async fn start(spec: Spec, config: Config) -> Result<Proxy, ProxyError> {
        let upstream = Upstream::parse(&config.upstream)?;
        let client = upstream::client(config.upstream_ca.as_deref(), config.connect_timeout)?;
        let recorder = match &config.record {
            Some(path) => Some(Arc::new(Recorder::create(path, &config.redact, &spec)?)),
            None => None,
        };
        let rejector = if config.strict {
            let mut mock = decoy_mock::Config::default();
            mock.stateless = true;
            mock.body_limit = config.max_body_bytes;
            Some(
                MockServer::builder()
                    .config(mock)
                    .start(spec.clone())
                    .await?,
            )
        } else {
            None
        };
        let addr = config.address();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ProxyError::Bind { addr, source })?;
        let address = listener
            .local_addr()
            .map_err(|source| ProxyError::Bind { addr, source })?;
        let session = Arc::new(Session::new(&spec, &config));
        let validators = Validators::new(&spec);
        // Compile every operation's schemas now, so the first exchanges do
        // not pay for it (schemas that cannot compile are simply not
        // checked; `decoy lint` reports them).
        let _ = validators.compile_operations(&spec);
        let forwarder = Arc::new(Forwarder {
            validators,
            client,
            upstream,
            rejector: rejector
                .as_ref()
                .map(|m| Upstream::parse(&m.uri()))
                .transpose()?,
            session: session.clone(),
            recorder,
            config,
            spec,
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, forwarder, stopped));
        Ok(Proxy {
            address,
            session,
            stop: Some(stop),
            task: Some(task),
            _rejector: rejector,
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:PORT`, to point clients at.
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// What it has seen so far.
    pub fn report(&self) -> Report {
        self.session.report()
    }

    /// Stops accepting, lets exchanges in flight finish (up to 5 s), and
    /// returns the report.
    pub async fn stop(mut self) -> Report {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.session.report()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    forwarder: Arc<Forwarder>,
    stopped: oneshot::Receiver<()>,
) {
    let graceful = GracefulShutdown::new();
    let mut stopped = std::pin::pin!(stopped);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors under a flood: back off.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let f = forwarder.clone();
                let service = service_fn(move |req| {
                    let f = f.clone();
                    async move { Ok::<_, Infallible>(f.handle(req).await) }
                });
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(forwarder.config.header_timeout)
                    .max_buf_size(MAX_HEAD_BYTES)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    // A broken connection is the client's business.
                    let _ = conn.await;
                });
            }
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
}
