//! Replicas that agree: three decoy mock servers on one real Redis (started
//! on a free loopback port), concurrent transitions with one winner, Redis
//! lost and back, a replica killed; namespaces in memory and on Redis.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use decoy_mock::MockServer;
use decoy_spec::Spec;
use serde_json::{Value, json};

use crate::crud::{call, library, nested_round_trip};
use crate::mock::{
    AUTH, JSON, calls, futures_join_all, runtime, seeded_runner, send, warm_outcome,
};
use crate::util::http::{Reply, raw};

/// A `redis-server` of our own on a free loopback port, stopped on drop.
pub(crate) struct Redis {
    child: Option<Child>,
    port: u16,
    dir: Dir,
    persist: bool,
}

impl Redis {
    /// Starts one (no persistence: `--save '' --appendonly no`).
    pub(crate) fn start() -> Redis {
        Redis::launch(free_port(), Dir::new(), false)
    }

    /// Starts one that logs every write to disk before answering
    /// (`--appendfsync always`), so a restart keeps what it acknowledged.
    fn start_durable() -> Redis {
        Redis::launch(free_port(), Dir::new(), true)
    }

    fn launch(port: u16, dir: Dir, persist: bool) -> Redis {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", ""])
            .arg("--dir")
            .arg(&dir.0);
        if persist {
            cmd.args(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            cmd.args(["--appendonly", "no"]);
        }
        let mut child = match cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn() {
            Ok(c) => c,
            Err(e) => panic!(
                "cannot run redis-server ({e}): the Redis tests need Debian's redis-server; \
                 `bash .ci/test` installs it (apt-get install redis-server)"
            ),
        };
        let out = child.stdout.take().expect("piped stdout");
        if !says(out, "Ready to accept connections") {
            let _ = child.kill();
            panic!("redis-server on port {port} did not become ready");
        }
        Redis {
            child: Some(child),
            port,
            dir,
            persist,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills it at once (SIGKILL): clients see their connections drop.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and directory.
    fn restart(&mut self) {
        self.kill();
        let dir = Dir(std::mem::take(&mut self.dir.0));
        *self = Redis::launch(self.port, dir, self.persist);
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Redis's working directory (its append-only file), removed on drop.
struct Dir(std::path::PathBuf);

impl Dir {
    fn new() -> Dir {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("decoy-redis-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Whether a child's output says `needle` (its readiness line) within 30 s;
/// the rest of the output is drained in the background.
fn says(out: impl std::io::Read + Send + 'static, needle: &'static str) -> bool {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if line.contains(needle)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30)).is_ok()
}

/// A free loopback port: bound, read, released (Redis cannot take port 0).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local address").port()
}

async fn replica(spec: Spec, redis: &Redis) -> MockServer {
    MockServer::builder()
        .state(redis.url())
        .start(spec)
        .await
        .expect("a replica starts")
}

async fn replicas(spec: &Spec, redis: &Redis) -> [MockServer; 3] {
    [
        replica(spec.clone(), redis).await,
        replica(spec.clone(), redis).await,
        replica(spec.clone(), redis).await,
    ]
}

async fn post(server: &MockServer, path: &str, body: Value) -> Reply {
    send(server, "POST", path, &[AUTH, JSON], Some(&body.to_string())).await
}

async fn get(server: &MockServer, path: &str) -> Reply {
    send(server, "GET", path, &[AUTH], None).await
}

/// Creates warm transfer `k` of call `call` through `server`; its id.
async fn warm_transfer(server: &MockServer, call: &str, k: usize) -> String {
    let path = format!("/v1/calls/{call}/transfers/warm");
    let r = post(
        server,
        &path,
        json!({"destinations": [{"to": format!("+1415555{k:04}")}]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["id"].as_str().unwrap().to_owned()
}

/// The transfers of a call's listing with this id.
fn listed<'a>(listing: &'a Value, id: &str) -> Vec<&'a Value> {
    listing["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["id"] == id)
        .collect()
}

#[tokio::test]
async fn crud_round_trips_on_redis_as_in_memory() {
    let redis = Redis::start();
    let server = replica(library(), &redis).await;
    nested_round_trip(&server).await;
}

#[tokio::test]
async fn replicas_agree_on_every_read() {
    let redis = Redis::start();
    let [a, b, c] = replicas(&library(), &redis).await;

    let created = call(
        &a,
        "POST",
        "/libraries",
        Some(json!({"name": "Kornhaus", "city": "Zug"})),
    )
    .await;
    assert_eq!(created.status, 201);
    let lib = created.json();
    let path = format!("/libraries/{}", lib["id"]);
    for s in [&b, &c] {
        let read = call(s, "GET", &path, None).await;
        assert_eq!((read.status, read.json()), (200, lib.clone()));
        let list = call(s, "GET", "/libraries?limit=100", None).await.json();
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == lib["id"]),
            "{list}"
        );
    }
    let patched = call(&b, "PATCH", &path, Some(json!({"name": "Zeughaus"}))).await;
    assert_eq!(patched.status, 200);
    assert_eq!(
        call(&c, "GET", &path, None).await.json()["name"],
        "Zeughaus"
    );
    assert_eq!(call(&c, "DELETE", &path, None).await.status, 204);
    assert_eq!(call(&a, "GET", &path, None).await.status, 404);

    // Creates through all three at once: distinct ids, each listed once.
    let creates = (0..12).map(|k| {
        let s = [&a, &b, &c][k % 3];
        async move {
            call(
                s,
                "POST",
                "/libraries",
                Some(json!({"name": format!("L{k}"), "city": "Bern"})),
            )
            .await
        }
    });
    let made: Vec<Value> = futures_join_all(creates)
        .await
        .into_iter()
        .map(|r| {
            assert_eq!(r.status, 201);
            r.json()
        })
        .collect();
    let all = call(&c, "GET", "/libraries?limit=100&city=Bern", None)
        .await
        .json();
    let items = all["items"].as_array().unwrap();
    for m in &made {
        let n = items.iter().filter(|i| i["id"] == m["id"]).count();
        assert_eq!(n, 1, "{} listed {n} times", m["id"]);
    }

    // Calls: a transfer created through A is known to B and C.
    let [a, b, c] = replicas(&calls(), &redis).await;
    let id = warm_transfer(&a, "agree", 0).await;
    for s in [&b, &c] {
        let listing = get(s, "/v1/calls/agree").await.json();
        assert_eq!(listed(&listing, &id).len(), 1, "{listing}");
    }
}

/// Of N concurrent transitions on one transfer, through three replicas,
/// exactly one wins; the rest get the documented 409.
#[test]
fn concurrent_transitions_through_replicas_have_one_winner() {
    use proptest::prelude::*;

    let rt = runtime();
    let redis = Redis::start();
    let servers = rt.block_on(replicas(&calls(), &redis));
    // (warm transfers, (transfer, complete?, replica) per request)
    let strategy = (
        1..4usize,
        proptest::collection::vec((0..4usize, any::<bool>(), 0..3usize), 3..18),
    );
    let mut runner = seeded_runner(16, 14);
    let case = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&strategy, |(warm, steps)| {
        let call = format!(
            "race{}",
            case.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        rt.block_on(async {
            let creates = (0..warm).map(|k| warm_transfer(&servers[k % 3], &call, k));
            let ids: Vec<String> = futures_join_all(creates).await;
            // Every request at once, each through its replica.
            let attempts = steps.iter().map(|&(t, complete, s)| {
                let k = t % ids.len();
                let action = if complete { "complete" } else { "cancel" };
                let path = format!("/v1/calls/{call}/transfers/{}/{action}", ids[k]);
                let server = &servers[s];
                async move { (k, action, post(server, &path, json!({})).await.status) }
            });
            let outcomes = futures_join_all(attempts).await;
            let listings: Vec<Value> = futures_join_all(
                servers
                    .iter()
                    .map(|s| async { get(s, &format!("/v1/calls/{call}")).await.json() }),
            )
            .await;
            for (k, id) in ids.iter().enumerate() {
                let mine: Vec<_> = outcomes.iter().filter(|(t, _, _)| *t == k).collect();
                let expected = warm_outcome(&call, id, &mine)?;
                // All three replicas show the one outcome, once.
                for listing in &listings {
                    let shown = listed(listing, id);
                    prop_assert_eq!(shown.len(), 1);
                    prop_assert_eq!(shown[0]["status"].as_str(), Some(expected));
                }
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("seeded schedule (ChaCha [14; 32]) failed: {e}");
    }
}

/// The documented 503: JSON saying the state store is unavailable, and
/// `Retry-After`.
fn assert_unavailable(r: &Reply) {
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("retry-after"), Some("1"));
    let body = r.json();
    assert_eq!(body["error"], "state_unavailable", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("redis://"),
        "{body}"
    );
}

#[tokio::test]
async fn redis_lost_and_back_gives_503_then_recovers() {
    let mut redis = Redis::start_durable();
    let server = replica(library(), &redis).await;
    let made = call(
        &server,
        "POST",
        "/libraries",
        Some(json!({"name": "A", "city": "Bern"})),
    )
    .await;
    assert_eq!(made.status, 201);
    let path = format!("/libraries/{}", made.json()["id"]);

    redis.kill();
    let down = call(&server, "GET", &path, None).await;
    assert_unavailable(&down);
    assert_unavailable(&call(&server, "PATCH", &path, Some(json!({"name": "B"}))).await);
    assert_unavailable(&send(&server, "POST", "/__decoy/reset", &[], None).await);
    // Requests that keep no state are still served.
    assert_eq!(
        send(&server, "GET", "/__decoy/health", &[], None)
            .await
            .status,
        200
    );

    // Back on the same port: served again without restarting decoy, with
    // what Redis kept; the refused change was never applied.
    redis.restart();
    let back = call(&server, "GET", &path, None).await;
    assert_eq!(back.status, 200, "{}", String::from_utf8_lossy(&back.body));
    assert_eq!(back.json()["name"], "A");
    let made = call(
        &server,
        "POST",
        "/libraries",
        Some(json!({"name": "C", "city": "Bern"})),
    )
    .await;
    assert_eq!(made.status, 201);
}

#[tokio::test]
async fn redis_lost_mid_run_leaves_no_half_applied_transition() {
    let mut redis = Redis::start_durable();
    let [a, b, c] = replicas(&calls(), &redis).await;
    let servers = [&a, &b, &c];
    let mut ids = Vec::new();
    for k in 0..6 {
        ids.push(warm_transfer(servers[k % 3], "lost", k).await);
    }
    // Transitions through all three while Redis dies under them.
    let attempts = (0..36).map(|n| {
        let k = n % ids.len();
        let action = if n % 2 == 0 { "complete" } else { "cancel" };
        let path = format!("/v1/calls/lost/transfers/{}/{action}", ids[k]);
        let server = servers[n % 3];
        async move { (k, action, post(server, &path, json!({})).await.status) }
    });
    let killer = async {
        tokio::task::yield_now().await;
        redis.kill();
    };
    let (outcomes, ()) = tokio::join!(futures_join_all(attempts), killer);
    assert!(
        outcomes.iter().all(|(_, _, s)| [200, 409, 503].contains(s)),
        "{outcomes:?}"
    );
    redis.restart();
    let listing = get(&b, "/v1/calls/lost").await;
    assert_eq!(listing.status, 200);
    let listing = listing.json();
    for (k, id) in ids.iter().enumerate() {
        let shown = listed(&listing, id);
        assert_eq!(shown.len(), 1, "{id}: {listing}");
        let status = shown[0]["status"].as_str().unwrap();
        let won: Vec<_> = outcomes
            .iter()
            .filter(|(t, _, s)| *t == k && *s == 200)
            .collect();
        assert!(won.len() <= 1, "{id}: {won:?}");
        // A reported success is what is stored; a transfer is in one state.
        match won.first().map(|(_, a, _)| *a) {
            Some("complete") => assert_eq!(status, "completed"),
            Some(_) => assert_eq!(status, "cancelled"),
            None => assert!(
                ["screening", "completed", "cancelled"].contains(&status),
                "{status}"
            ),
        }
    }
}

#[tokio::test]
async fn a_replica_killed_loses_nothing_the_others_serve() {
    let redis = Redis::start();
    let [a, b, c] = replicas(&calls(), &redis).await;
    let id = warm_transfer(&a, "killed", 0).await;
    drop(a);
    let done = post(
        &b,
        &format!("/v1/calls/killed/transfers/{id}/complete"),
        json!({}),
    )
    .await;
    assert_eq!(done.status, 200);
    let again = post(
        &c,
        &format!("/v1/calls/killed/transfers/{id}/cancel"),
        json!({}),
    )
    .await;
    assert_eq!(again.status, 409);
    let listing = get(&c, "/v1/calls/killed").await.json();
    let shown = listed(&listing, &id);
    assert_eq!(shown.len(), 1, "{listing}");
    assert_eq!(shown[0]["status"], "completed");
}

/// Worker `n`'s namespace header: worker 0 names it in
/// `X-Decoy-Namespace`, worker 1 in `Prefer`.
fn namespace_header(n: usize) -> (&'static str, String) {
    if n == 0 {
        ("X-Decoy-Namespace", format!("worker-{n}"))
    } else {
        ("Prefer", format!("namespace=worker-{n}"))
    }
}

/// The names of worker libraries that worker `n` lists.
async fn worker_names(server: &MockServer, n: usize) -> Vec<String> {
    let (name, value) = namespace_header(n);
    let path = "/libraries?limit=100&city=Bern";
    let list = send(server, "GET", path, &[AUTH, (name, &value)], None)
        .await
        .json();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["name"].as_str())
        .filter(|n| n.starts_with("worker-"))
        .map(str::to_owned)
        .collect()
}

/// Two workers, each in its own namespace, at the same time: create, list,
/// reset; neither sees the other, nor does the default namespace.
async fn workers_stay_apart(servers: [&MockServer; 2]) {
    let worker = |n: usize| async move {
        let server = servers[n];
        let (name, value) = namespace_header(n);
        let mut mine = Vec::new();
        for k in 0..3 {
            let body = json!({"name": format!("worker-{n}-{k}"), "city": "Bern"}).to_string();
            let headers = [AUTH, JSON, (name, value.as_str())];
            let r = send(server, "POST", "/libraries", &headers, Some(&body)).await;
            assert_eq!(r.status, 201);
            mine.push(r.json()["name"].as_str().unwrap().to_owned());
        }
        assert_eq!(
            worker_names(server, n).await,
            mine,
            "worker {n} sees its own only"
        );
    };
    futures_join_all([worker(0), worker(1)]).await;

    // The default namespace saw nothing.
    let list = call(servers[0], "GET", "/libraries?limit=100&city=Bern", None)
        .await
        .json();
    let seen = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["name"].as_str().is_some_and(|n| n.starts_with("worker-")));
    assert!(!seen, "{list}");
    // Worker 0's reset (through the other server) leaves worker 1's.
    let path = "/__decoy/reset?namespace=worker-0";
    assert_eq!(send(servers[1], "POST", path, &[], None).await.status, 204);
    assert!(worker_names(servers[0], 0).await.is_empty());
    assert_eq!(worker_names(servers[0], 1).await.len(), 3);
    let bad = [AUTH, ("X-Decoy-Namespace", "a b")];
    assert_eq!(
        send(servers[0], "GET", "/libraries", &bad, None)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn namespaces_keep_workers_apart_in_memory() {
    let server = MockServer::start(library()).await;
    workers_stay_apart([&server, &server]).await;
}

#[tokio::test]
async fn namespaces_keep_workers_apart_on_redis() {
    let redis = Redis::start();
    let a = replica(library(), &redis).await;
    let b = replica(library(), &redis).await;
    workers_stay_apart([&a, &b]).await;
}

/// nginx with a child process that is stopped on drop.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers (SIGKILL would orphan them).
        let stopped = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// The README's deployment: deploy/nginx.conf, its upstreams pointed at
/// three replicas on one Redis. nginx checks the file (`-t`), then serves:
/// whichever replica answers, a created resource reads back the same, and
/// a replica stopped mid-run is routed around.
#[tokio::test]
async fn replicas_behind_nginx_from_the_readme_config() {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or_else(|| {
            panic!(
                "nginx is not installed: `bash .ci/test` installs it (apt-get install nginx-light)"
            )
        });
    let redis = Redis::start();
    let [a, b, c] = replicas(&library(), &redis).await;
    let port = free_port();
    let text = std::fs::read_to_string(crate::util::root().join("deploy/nginx.conf")).unwrap();
    let mut conf = text.replace("127.0.0.1:4010", &format!("127.0.0.1:{port}"));
    for (k, s) in [&a, &b, &c].iter().enumerate() {
        let from = format!("127.0.0.1:{}", 4011 + k);
        assert!(conf.contains(&from), "deploy/nginx.conf names {from}");
        conf = conf.replace(&from, &s.address().to_string());
    }
    let dir = Dir::new();
    let path = dir.0.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let prefix = format!("{}/", dir.0.display());
    let test = Command::new(nginx)
        .args(["-t", "-p", &prefix, "-c"])
        .arg(&path)
        .output()
        .expect("run nginx -t");
    assert!(
        test.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&test.stderr)
    );
    let mut child = Command::new(nginx)
        .args(["-p", &prefix, "-c"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nginx");
    // It logs "start worker process" once it listens.
    let err = child.stderr.take().unwrap();
    let _nginx = Nginx(child);
    assert!(says(err, "start worker process"), "nginx started");

    let front: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let request = |method: &str, path: &str, body: Option<&str>| {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Authorization: Bearer t\r\nContent-Type: application/json\r\n"
        );
        req.push_str(&format!(
            "Content-Length: {}\r\n\r\n",
            body.map_or(0, str::len)
        ));
        req.push_str(body.unwrap_or(""));
        req
    };
    let made = raw(
        &front,
        request(
            "POST",
            "/libraries",
            Some(r#"{"name":"Front","city":"Chur"}"#),
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(made.status, 201);
    let made = made.json();
    let path = format!("/libraries/{}", made["id"]);
    drop(a);
    for _ in 0..6 {
        let read = raw(&front, request("GET", &path, None).as_bytes()).await;
        assert_eq!((read.status, read.json()), (200, made.clone()));
    }
}
