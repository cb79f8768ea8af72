//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The real-world documents shared between projects: `../shared/specs-wild`
/// next to the repository, or the folder `DECOY_SPECS_WILD` names. Tests
/// that need them fail, naming the folder, when it is missing: they never
/// pass by checking nothing.
pub(crate) fn wild_dir() -> PathBuf {
    let dir = std::env::var_os("DECOY_SPECS_WILD")
        .map_or_else(|| root().join("../shared/specs-wild"), PathBuf::from);
    assert!(
        dir.is_dir(),
        "{} is missing: the real-world documents these tests run on live there \
         (check out the shared folder next to the repository, or set DECOY_SPECS_WILD)",
        dir.display()
    );
    dir
}

/// Runs the built `decoy` binary with `args` in the workspace root.
pub(crate) fn decoy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_decoy"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the decoy binary runs")
}

/// Exit code, stdout and stderr of a run, for assertions with context.
pub(crate) fn parts(out: &Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A scratch file unique to this test process, removed on drop.
pub(crate) struct Scratch(pub PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str, contents: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("decoy-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        Scratch(path)
    }

    pub(crate) fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `f` with insta writing under the top-level `snapshots/`.
pub(crate) fn snapshots<R>(f: impl FnOnce() -> R) -> R {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(f)
}

/// A bare HTTP/1.1 client: one request per connection, the answer as
/// bytes, so tests see exactly what went over the wire.
pub(crate) mod http {
    use std::net::SocketAddr;

    use serde_json::Value;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// One response, as it came.
    #[derive(Debug, Clone, PartialEq)]
    pub(crate) struct Reply {
        pub(crate) status: u16,
        pub(crate) headers: Vec<(String, String)>,
        /// The body, de-chunked.
        pub(crate) body: Vec<u8>,
    }

    impl Reply {
        pub(crate) fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }

        /// How many times the reply carries `name` (a header sent twice
        /// can mean something else to a browser than sent once).
        pub(crate) fn header_count(&self, name: &str) -> usize {
            self.headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .count()
        }

        pub(crate) fn json(&self) -> Value {
            serde_json::from_slice(&self.body).unwrap_or_else(|e| {
                panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body))
            })
        }
    }

    /// The bytes of a request with `Connection: close` (and
    /// `Content-Length` when there is a body).
    pub(crate) fn request(
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Vec<u8> {
        let mut req =
            format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body {
            req.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        req.push_str("\r\n");
        req.push_str(body.unwrap_or(""));
        req.into_bytes()
    }

    /// Sends raw bytes and reads until the server closes (at most a
    /// minute, which only guards against a hang).
    pub(crate) async fn raw(addr: &SocketAddr, request: &[u8]) -> Reply {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.write_all(request).await.expect("write");
        let mut buf = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            stream.read_to_end(&mut buf),
        )
        .await;
        assert!(read.is_ok(), "no answer and no close within a minute");
        parse(&buf).unwrap_or_else(|| {
            panic!(
                "not an HTTP response: {:?}",
                String::from_utf8_lossy(&buf[..buf.len().min(200)])
            )
        })
    }

    fn parse(raw: &[u8]) -> Option<Reply> {
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| {
                l.split_once(':')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            })
            .collect();
        let rest = &raw[split + 4..];
        let chunked = headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
        let body = match chunked {
            true => dechunk(rest)?,
            false => rest.to_vec(),
        };
        Some(Reply {
            status,
            headers,
            body,
        })
    }

    fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size = std::str::from_utf8(&rest[..end]).ok()?.trim();
            let size = usize::from_str_radix(size, 16).ok()?;
            rest = &rest[end + 2..];
            if size == 0 {
                return Some(out);
            }
            out.extend_from_slice(rest.get(..size)?);
            rest = rest.get(size + 2..)?;
        }
    }
}
