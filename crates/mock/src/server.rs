//! Sockets: the accept loop, connection limits, graceful shutdown, and the
//! two faces over it (`MockServer` for tests, `serve` for the CLI).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use decoy_spec::Spec;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::app::App;
use crate::config::{Config, RecordedRequest, RequestCallback};
use crate::error::MockError;
use crate::ext::Latency;

/// Request heads larger than this get 431.
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// A client that has not sent its headers by then is dropped (slowloris).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// In-flight requests get this long to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A bound, not yet serving mock server: the CLI binds first so it can say
/// where it listens (or that the port is taken) before serving.
pub struct Bound {
    listener: TcpListener,
    app: Arc<App>,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("address", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

/// Binds `config.address()` and prepares the document.
pub async fn bind(config: Config, spec: Spec) -> Result<Bound, MockError> {
    let addr = config.address();
    let app = Arc::new(App::new(spec, config)?);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| MockError::Bind { addr, source })?;
    Ok(Bound { listener, app })
}

impl Bound {
    /// The address actually bound (the port, when 0 was asked for).
    pub fn local_addr(&self) -> Result<SocketAddr, MockError> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish
    /// (for up to 5 s) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), MockError> {
        accept_loop(self.listener, self.app, shutdown).await;
        Ok(())
    }
}

/// Serves `spec` on `config.address()` until `shutdown` resolves: the entry
/// point of `decoy mock`. Pass [`shutdown_signal`] for Ctrl-C and SIGTERM.
pub async fn serve(
    config: Config,
    spec: Spec,
    shutdown: impl Future<Output = ()>,
) -> Result<(), MockError> {
    bind(config, spec).await?.run(shutdown).await
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

async fn accept_loop(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    // Out of file descriptors under a flood: back off
                    // instead of spinning; the server keeps serving.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = service_fn(move |req| {
                    let app = app.clone();
                    async move { Ok::<_, Infallible>(app.handle(req).await) }
                });
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .max_header_size(MAX_HEADER_BYTES)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    // A broken connection is the client's business.
                    let _ = conn.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
}

/// A mock server for tests, on its own thread and port; it stops when
/// dropped.
///
/// ```no_run
/// # async fn demo() {
/// let spec = decoy_spec::Spec::load("specs/calls.openapi.yaml".as_ref()).unwrap();
/// let server = decoy_mock::MockServer::start(spec).await;
/// println!("{}/v1/calls/abc", server.uri());
/// # }
/// ```
pub struct MockServer {
    address: SocketAddr,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a server for `spec` on a free port of 127.0.0.1 with default
    /// settings (seed 0, any bearer token, stateful, CORS on).
    ///
    /// # Panics
    ///
    /// If no local port can be bound or the document's `x-decoy-*`
    /// extensions are malformed; use [`MockServer::builder`] for a `Result`.
    pub async fn start(spec: Spec) -> MockServer {
        match MockServer::builder().start(spec).await {
            Ok(s) => s,
            Err(e) => panic!("decoy-mock: cannot start a mock server: {e}"),
        }
    }

    /// A builder for the rarer options.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The base URI, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address the server listens on.
    pub fn address(&self) -> &SocketAddr {
        &self.address
    }

    /// Requests answered so far (the most recent ones, oldest first).
    pub fn received_requests(&self) -> Vec<RecordedRequest> {
        self.app.recorded()
    }

    /// Forgets stored resources and recorded requests, like
    /// `POST /__decoy/reset`.
    pub fn reset(&self) {
        self.app.reset();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Options for a [`MockServer`]; every one has a default.
#[derive(Debug, Default)]
pub struct MockServerBuilder {
    config: Config,
    listener: Option<std::net::TcpListener>,
}

impl MockServerBuilder {
    /// Seed of the generated world (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Accept only this bearer token (default: any non-empty token).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.config.token = Some(token.into());
        self
    }

    /// Turn stored state off (default: stateful where the document says).
    pub fn stateless(mut self, stateless: bool) -> Self {
        self.config.stateless = stateless;
        self
    }

    /// Answer CORS preflights and add CORS headers (default: on).
    pub fn cors(mut self, cors: bool) -> Self {
        self.config.cors = cors;
        self
    }

    /// Largest request body accepted (default 1 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.config.body_limit = bytes;
        self
    }

    /// Delay every response.
    pub fn latency(mut self, latency: Latency) -> Self {
        self.config.latency = Some(latency);
        self
    }

    /// Answer this share of requests with a documented 5xx or 429.
    pub fn error_rate(mut self, rate: f64) -> Self {
        self.config.error_rate = rate.clamp(0.0, 1.0);
        self
    }

    /// See every answered request (for logging).
    pub fn on_request(
        mut self,
        callback: impl Fn(&RecordedRequest) + Send + Sync + 'static,
    ) -> Self {
        let callback: RequestCallback = Arc::new(callback);
        self.config.on_request = Some(callback);
        self
    }

    /// Serve on a listener the caller already bound.
    pub fn listener(mut self, listener: std::net::TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Replace every setting at once (host and port are ignored: the
    /// server binds 127.0.0.1:0 unless given a listener).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Starts the server on its own thread and runtime, so it works under
    /// any runtime (or none) and stops cleanly when dropped.
    pub async fn start(self, spec: Spec) -> Result<MockServer, MockError> {
        let listener = match self.listener {
            Some(l) => l,
            None => {
                let addr = SocketAddr::from(([127, 0, 0, 1], 0));
                std::net::TcpListener::bind(addr)
                    .map_err(|source| MockError::Bind { addr, source })?
            }
        };
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let app = Arc::new(App::new(spec, self.config)?);
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready) = oneshot::channel::<Result<(), std::io::Error>>();
        let served = app.clone();
        std::thread::Builder::new()
            .name(format!("decoy-mock-{}", address.port()))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    accept_loop(listener, served, async {
                        let _ = stopped.await;
                    })
                    .await;
                });
            })?;
        match ready.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(MockError::Io(e)),
            Err(_) => {
                return Err(MockError::Io(std::io::Error::other(
                    "the server thread stopped",
                )));
            }
        }
        let _ = app.config();
        Ok(MockServer {
            address,
            app,
            stop: Some(stop),
        })
    }
}
