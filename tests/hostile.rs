//! Hostile clients against decoy mock: slow-loris heads and bodies, huge and
//! endless bodies, huge heads, bad bytes in paths, connection floods,
//! pipelining, resets. After each, a normal request is answered promptly.
//! Timeouts are set short through `Config`; nothing sleeps to wait (a slow
//! client sleeps between its own writes; assertions wait on events).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use decoy_mock::{Config, MockServer};
use decoy_spec::Spec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CALLS: &str = include_str!("../specs/calls.openapi.yaml");
const SHORT: Duration = Duration::from_millis(300);
/// Generous bound for "the server reacted" on a loaded 2-core machine.
const DEADLINE: Duration = Duration::from_secs(10);

async fn server() -> MockServer {
    let mut config = Config::default();
    config.header_timeout = SHORT;
    config.body_timeout = SHORT;
    let spec = Spec::parse(CALLS, "calls.openapi.yaml").unwrap();
    MockServer::builder()
        .config(config)
        .start(spec)
        .await
        .unwrap()
}

/// Sends `request` and reads until the server closes, within the deadline.
async fn exchange(addr: &SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    read_all(&mut s).await
}

async fn read_all(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(DEADLINE, s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server neither answered nor closed");
    String::from_utf8_lossy(&buf).into_owned()
}

fn status(reply: &str) -> u16 {
    reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {:?}", &reply[..reply.len().min(200)]))
}

/// A normal request, answered with 200 quickly.
async fn still_serving(addr: &SocketAddr) {
    let started = Instant::now();
    let reply = exchange(
        addr,
        b"GET /v1/calls/abc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status(&reply), 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "slow: {:?}",
        started.elapsed()
    );
}

/// This process's resident memory, in KiB.
pub(crate) fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// `n` connections that have sent a request line and one header, no more.
async fn half_heads(addr: &SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut out = Vec::new();
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /v1/calls/abc HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        out.push(s);
    }
    out
}

#[tokio::test]
async fn slow_loris_heads_are_cut_off_while_others_are_served() {
    let server = server().await;
    let addr = *server.address();
    let slow = half_heads(&addr, 20).await;
    // Each slow client dribbles a header byte now and then, forever.
    let started = Instant::now();
    let dribblers: Vec<_> = slow
        .into_iter()
        .map(|mut s| {
            tokio::spawn(async move {
                loop {
                    if s.write_all(b"X").await.is_err() {
                        return true;
                    }
                    let mut b = [0u8; 64];
                    // Closed (0 bytes or an error) means cut off.
                    match tokio::time::timeout(Duration::from_millis(50), s.read(&mut b)).await {
                        Ok(Ok(0) | Err(_)) => return true,
                        Ok(Ok(_)) => return true,
                        Err(_) => {}
                    }
                    if started.elapsed() > DEADLINE {
                        return false;
                    }
                }
            })
        })
        .collect();
    still_serving(&addr).await;
    for d in dribblers {
        assert!(d.await.unwrap(), "a slow-loris connection was never closed");
    }
    assert!(started.elapsed() < DEADLINE);
    still_serving(&addr).await;
}

#[tokio::test]
async fn silent_half_heads_are_closed_after_the_header_timeout() {
    // A client that sends part of a head and then nothing: no byte arrives
    // to poll the connection again, so only the timer can end it.
    let server = server().await;
    let addr = *server.address();
    let silent = half_heads(&addr, 5).await;
    let started = Instant::now();
    for mut s in silent {
        let mut b = [0u8; 256];
        let closed = loop {
            match tokio::time::timeout(Duration::from_millis(50), s.read(&mut b)).await {
                Ok(Ok(0) | Err(_)) => break true,
                Ok(Ok(_)) => {}
                Err(_) if started.elapsed() > DEADLINE => break false,
                Err(_) => {}
            }
        };
        assert!(closed, "a silent half-head connection was never closed");
    }
    still_serving(&addr).await;
}

#[tokio::test]
async fn slow_bodies_time_out_with_408() {
    let server = server().await;
    let addr = *server.address();
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /v1/calls/abc/transfers/blind HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .await
    .unwrap();
    let slow = tokio::spawn(async move {
        // A byte now and then, never the whole body.
        for _ in 0..100 {
            if s.write_all(b" ").await.is_err() {
                break;
            }
            let mut b = [0u8; 1024];
            if let Ok(r) = tokio::time::timeout(Duration::from_millis(50), s.read(&mut b)).await {
                let mut out = b[..r.unwrap_or(0)].to_vec();
                let _ = tokio::time::timeout(DEADLINE, s.read_to_end(&mut out)).await;
                return String::from_utf8_lossy(&out).into_owned();
            }
        }
        String::new()
    });
    still_serving(&addr).await;
    let reply = slow.await.unwrap();
    assert_eq!(status(&reply), 408, "{reply}");
    still_serving(&addr).await;
}

#[tokio::test]
async fn huge_and_endless_bodies_get_413_and_memory_stays_flat() {
    let server = server().await;
    let addr = *server.address();
    let head = "POST /v1/calls/abc/transfers/blind HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\n";
    let before = rss_kib();
    for _ in 0..3 {
        // Declared: refused before reading.
        let declared = format!("{head}Content-Length: 10485760\r\n\r\n");
        assert_eq!(status(&exchange(&addr, declared.as_bytes()).await), 413);
        // Chunked and endless: refused once past the limit.
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("{head}Transfer-Encoding: chunked\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let (mut rd, mut wr) = s.into_split();
        let writer = tokio::spawn(async move {
            let chunk = format!("10000\r\n{}\r\n", "a".repeat(0x10000));
            let mut sent = 0usize;
            // Up to 64 MiB; the server stops it long before.
            while sent < 64 << 20 && wr.write_all(chunk.as_bytes()).await.is_ok() {
                sent += 0x10000;
            }
            sent
        });
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(DEADLINE, async {
            let mut b = [0u8; 4096];
            while let Ok(n) = rd.read(&mut b).await {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&b[..n]);
                if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        })
        .await;
        assert_eq!(status(&String::from_utf8_lossy(&buf)), 413);
        drop(rd);
        let sent = tokio::time::timeout(DEADLINE, writer)
            .await
            .unwrap()
            .unwrap();
        assert!(sent < 64 << 20, "the server kept reading an endless body");
    }
    let grown = rss_kib().saturating_sub(before);
    assert!(
        grown < 32 * 1024,
        "RSS grew by {grown} KiB over 30 MB of refused bodies"
    );
    still_serving(&addr).await;
}

#[tokio::test]
async fn big_heads_and_bad_paths_get_clear_errors() {
    let server = server().await;
    let addr = *server.address();
    let head = |size: usize| {
        format!(
            "GET /v1/calls/abc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nX-Pad: {}\r\nConnection: close\r\n\r\n",
            "p".repeat(size)
        )
    };
    // Under the 64 KiB default: served. Over: 431.
    assert_eq!(
        status(&exchange(&addr, head(60 * 1024).as_bytes()).await),
        200
    );
    assert_eq!(
        status(&exchange(&addr, head(70 * 1024).as_bytes()).await),
        431
    );
    for path in [
        &b"/v1/calls/\xff\xfe"[..],
        b"/v1/calls/%00",
        b"/v1/calls/a%00b/events",
        b"/v1/\x00calls",
        b"/%C0%AF",
    ] {
        let mut req = b"GET ".to_vec();
        req.extend_from_slice(path);
        req.extend_from_slice(
            b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n",
        );
        let reply = exchange(&addr, &req).await;
        let code = status(&reply);
        assert!(
            code == 200 || (400..500).contains(&code),
            "{}: {code}",
            String::from_utf8_lossy(path)
        );
        still_serving(&addr).await;
    }
}

#[tokio::test]
async fn floods_pipelines_and_resets_leave_the_server_serving() {
    let server = server().await;
    let addr = *server.address();
    // Many connections opened at once, some half a request in, all dropped.
    for round in 0..4 {
        let mut open = Vec::new();
        for k in 0..400 {
            if let Ok(mut s) = TcpStream::connect(addr).await {
                if k % 2 == round % 2 {
                    let _ = s.write_all(b"GET /v1/calls/abc HTTP/1.1\r\nHo").await;
                }
                open.push(s);
            }
        }
        assert!(open.len() >= 300, "only {} connections opened", open.len());
        drop(open);
        still_serving(&addr).await;
    }
    // Pipelined: three requests in one write, three answers in order.
    let one = "GET /v1/calls/p1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n";
    let last = "GET /v1/calls/p3/recording HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n";
    let reply = exchange(
        &addr,
        format!("{one}{}{last}", one.replace("p1", "p2")).as_bytes(),
    )
    .await;
    assert_eq!(reply.matches("HTTP/1.1 200 OK").count(), 3, "{reply}");
    let (p1, p2) = (reply.find("\"p1\"").unwrap(), reply.find("\"p2\"").unwrap());
    assert!(p1 < p2 && reply.contains("/p3."));
    // Abrupt resets mid-request and mid-body.
    for partial in [
        &b"GET /v1/calls/abc HTTP/1.1\r\nHost"[..],
        b"POST /v1/calls/abc/transfers/blind HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"to\":",
    ] {
        for _ in 0..20 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(partial).await.unwrap();
            // SO_LINGER 0: closing sends a reset, not a FIN.
            s.set_zero_linger().unwrap();
            drop(s);
        }
        still_serving(&addr).await;
    }
}
