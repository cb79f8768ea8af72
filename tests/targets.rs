//! Hostile targets for `decoy test`: raw TCP servers on loopback port 0
//! that read a request head and then misbehave (reset, never answer, answer
//! late, endless or huge bodies, bytes that are not what they claim). Used
//! by `hardening.rs`, `conform.rs` and, as a standalone server, by
//! `bench/hostile.sh` (the `hostile` example of decoy-conform).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How a hostile target misbehaves once it has read a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hostile {
    /// Not hostile, only lax: answers `200 {"id": "x"}` to anything.
    Lax,
    /// Resets the connection (RST, not FIN).
    Reset,
    /// Keeps the connection open and never answers.
    Silent,
    /// Answers, correctly, after 30 s.
    Late,
    /// Streams a chunked body that never ends.
    Endless,
    /// Answers 10 MB of valid JSON.
    Huge,
    /// Answers bytes that are not UTF-8, labelled JSON.
    InvalidUtf8,
    /// Answers HTML, labelled JSON.
    NotJson,
    /// Promises 1000 bytes, sends 10, closes.
    MidBody,
}

impl Hostile {
    /// Every mode, for the benchmark's command line.
    #[allow(dead_code)] // used by the `hostile` example only
    pub(crate) const ALL: [Hostile; 9] = [
        Hostile::Lax,
        Hostile::Reset,
        Hostile::Silent,
        Hostile::Late,
        Hostile::Endless,
        Hostile::Huge,
        Hostile::InvalidUtf8,
        Hostile::NotJson,
        Hostile::MidBody,
    ];
}

const HUGE_BYTES: usize = 10 * 1024 * 1024;

/// A raw TCP server on loopback port 0 that reads one request head per
/// connection and then misbehaves; aborted on drop.
pub(crate) struct Target {
    addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Target {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Target {
    pub(crate) async fn start(mode: Hostile) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(misbehave(stream, mode));
            }
        });
        Target { addr, task }
    }

    pub(crate) fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Reads up to the end of a request head; false on EOF (the runner's
/// connection probe) or error.
async fn read_head(stream: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return false;
        }
    }
    true
}

async fn misbehave(mut stream: TcpStream, mode: Hostile) {
    // Keep-alive: answer (or fail to) every request on the connection.
    while read_head(&mut stream).await {
        let json = |body: &[u8]| {
            let mut r = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            r.extend_from_slice(body);
            r
        };
        let written = match mode {
            Hostile::Lax => stream.write_all(&json(br#"{"id": "x"}"#)).await,
            Hostile::Reset => {
                let _ = stream.set_zero_linger();
                return;
            }
            Hostile::Silent => std::future::pending().await,
            Hostile::Late => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                stream.write_all(&json(br#"{"id": "late"}"#)).await
            }
            Hostile::Endless => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n[\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 4096, "0,".repeat(2048));
                while stream.write_all(chunk.as_bytes()).await.is_ok() {}
                return;
            }
            Hostile::Huge => {
                let mut body = Vec::with_capacity(HUGE_BYTES + 64);
                body.extend_from_slice(br#"{"id": "huge", "pad": ["#);
                while body.len() < HUGE_BYTES {
                    body.extend_from_slice(b"12345678,");
                }
                body.extend_from_slice(b"0]}");
                stream.write_all(&json(&body)).await
            }
            Hostile::InvalidUtf8 => stream.write_all(&json(b"{\"id\": \"\xff\xfe\"}")).await,
            Hostile::NotJson => stream.write_all(&json(b"<html>oops</html>")).await,
            Hostile::MidBody => {
                let r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\": \"x";
                let _ = stream.write_all(r.as_bytes()).await;
                return;
            }
        };
        if written.is_err() {
            return;
        }
    }
}
