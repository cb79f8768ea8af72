//! Sockets: the accept loop, connection limits, graceful shutdown, and the
//! two faces over it (`MockServer` for tests, `serve` for the CLI).

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use decoy_spec::Spec;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::app::App;
use crate::config::{Config, RecordedRequest, Reload, RequestCallback};
use crate::error::MockError;
use decoy_spec::duration::Latency;

/// In-flight requests get this long to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A bound, not yet serving mock server: the CLI binds first so it can say
/// where it listens (or that the port is taken) before serving.
pub struct Bound {
    listener: TcpListener,
    app: Current,
}

/// The app being served; a reload swaps it whole, so each request sees one
/// document from start to end. Its generation counts the swaps: a
/// connection keeps the app it last saw and only reads the counter (a
/// cache line nobody writes until the next reload), so requests share no
/// lock and no reference count.
#[derive(Clone)]
struct Current(Arc<(RwLock<Arc<App>>, AtomicU64)>);

impl Current {
    fn new(app: App) -> Current {
        Current(Arc::new((RwLock::new(Arc::new(app)), AtomicU64::new(0))))
    }

    fn get(&self) -> Arc<App> {
        self.0.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn generation(&self) -> u64 {
        self.0.1.load(Ordering::Acquire)
    }

    fn set(&self, app: App) {
        *self.0.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(app);
        self.0.1.fetch_add(1, Ordering::Release);
    }
}

/// One connection's view of [`Current`]: the app of one generation.
struct Seen {
    generation: u64,
    app: Arc<App>,
}

impl Seen {
    fn now(current: &Current) -> Arc<Seen> {
        // The generation first: an app newer than it is seen again, never
        // an older one kept.
        let generation = current.generation();
        Arc::new(Seen {
            generation,
            app: current.get(),
        })
    }
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
    let app = Current::new(App::new(spec, config)?);
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

/// Polls the watched file and swaps in each good new document; a broken
/// one leaves the last good document served and says why. Polling (a small
/// read and hash each interval) needs no platform watcher and sees edits
/// made through renames and network mounts alike.
async fn watch(current: Current, path: PathBuf) {
    let config = current.get().config().clone();
    let mut last = std::fs::read(&path).ok().map(|b| crate::util::mix(0, &b));
    loop {
        tokio::time::sleep(config.watch_interval).await;
        // A missing file is an editor mid-save: look again next time.
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let hash = crate::util::mix(0, &bytes);
        if last == Some(hash) {
            continue;
        }
        last = Some(hash);
        let (p, c) = (path.clone(), config.clone());
        let loaded = tokio::task::spawn_blocking(move || {
            let spec = Spec::load(&p).map_err(|e| e.to_string())?;
            App::new(spec, c).map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(format!("the reload panicked: {e}")));
        let event = match loaded {
            Ok(app) => {
                let revision = app.revision().to_owned();
                current.set(app);
                Reload::Loaded { revision }
            }
            Err(error) => {
                current.get().set_reload_error(Some(error.clone()));
                Reload::Failed { error }
            }
        };
        if let Some(cb) = &config.on_reload {
            cb(&event);
        }
    }
}

async fn accept_loop(listener: TcpListener, app: Current, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let watcher = app
        .get()
        .config()
        .watch
        .clone()
        .map(|path| tokio::spawn(watch(app.clone(), path)));
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
                let current = app.clone();
                let seen = RefCell::new(Seen::now(&current));
                let config = seen.borrow().app.config().clone();
                let service = service_fn(move |req| {
                    let seen = {
                        let mut seen = seen.borrow_mut();
                        if seen.generation != current.generation() {
                            *seen = Seen::now(&current);
                        }
                        // This connection's own count: no other
                        // connection touches it.
                        Arc::clone(&seen)
                    };
                    async move { Ok::<_, Infallible>(seen.app.handle(req).await) }
                });
                let conn = http1::Builder::new()
                    .timer(crate::timer::ShardedTimer)
                    .header_read_timeout(config.header_timeout)
                    .max_buf_size(config.max_header_bytes.max(8192))
                    .max_header_size(config.max_header_bytes)
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
    if let Some(w) = watcher {
        w.abort();
    }
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
    app: Current,
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
        self.app.get().recorded()
    }

    /// Forgets recorded requests and the stored resources of `namespace`
    /// (`None`: the default one), like `POST /__decoy/reset?namespace=`.
    ///
    /// # Errors
    ///
    /// When the state is in Redis and Redis cannot be reached.
    pub async fn reset(&self, namespace: Option<&str>) -> Result<(), MockError> {
        let app = self.app.get();
        app.reset(namespace)
            .await
            .map_err(|e| MockError::State(e.0))
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

    /// Keep stored resources in Redis (`redis://HOST:PORT/DB`), shared with
    /// every replica pointed at it (default: in memory).
    pub fn state(mut self, url: impl Into<String>) -> Self {
        self.config.state = Some(url.into());
        self
    }

    /// Realistic bodies, or schema-valid extremes ([`decoy_synth::Profile`]).
    pub fn profile(mut self, profile: decoy_synth::Profile) -> Self {
        self.config.profile = profile;
        self
    }

    /// Answer 404 for resource ids no client created.
    pub fn strict_ids(mut self, strict: bool) -> Self {
        self.config.strict_ids = strict;
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

    /// Reload the document from `path` whenever the file changes.
    pub fn watch(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.watch = Some(path.into());
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
        let app = Current::new(App::new(spec, self.config)?);
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
        Ok(MockServer {
            address,
            app,
            stop: Some(stop),
        })
    }
}
