//! A real browser against decoy mock: headless Chromium loads a page from one
//! origin whose script calls the mock on another origin with a bearer token,
//! and the test reads what the script saw from the page's DOM; the same
//! page again with decoy proxy in between.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

use decoy_mock::MockServer;
use decoy_spec::Spec;

const CALLS: &str = include_str!("../specs/calls.openapi.yaml");

/// Debian's Chromium, which `.ci/test` installs; never skipped silently.
fn chromium() -> String {
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if std::path::Path::new(candidate).exists() {
            return candidate.to_owned();
        }
    }
    panic!("chromium is not installed: run `bash .ci/test` (it installs Debian's chromium)");
}

/// Serves `page` to every request on a port of its own (another origin).
fn page_server(page: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            let (status, body) = if head.starts_with(b"GET / ") {
                ("200 OK", page.as_str())
            } else {
                ("404 Not Found", "")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// Loads a page from another origin whose script calls `api` with and
/// without the token; returns what the script saw.
async fn run_page(api: &str, seen: impl Fn() -> String) -> serde_json::Value {
    let browser = chromium();
    // The script writes what it saw into the DOM; `--virtual-time-budget`
    // keeps the page alive until its fetches have settled.
    let page = format!(
        r#"<!doctype html><html><body><pre id="out">pending</pre><script>
const out = document.getElementById("out");
async function call(token) {{
  const headers = token ? {{Authorization: "Bearer " + token}} : {{}};
  const r = await fetch("{api}/v1/calls/call_browser", {{headers}});
  const body = await r.json();
  return {{status: r.status, id: body.id ?? null, code: body.code ?? null,
           type: r.headers.get("content-type")}};
}}
Promise.all([call("s3cret"), call(null)])
  .then(rs => {{ out.textContent = "RESULT " + JSON.stringify(rs); }})
  .catch(e => {{ out.textContent = "ERROR " + e; }});
</script></body></html>"#
    );
    let port = page_server(page);
    let profile =
        std::env::temp_dir().join(format!("decoy-chromium-{}-{port}", std::process::id()));
    let url = format!("http://127.0.0.1:{port}/");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("timeout")
            .arg("120")
            .arg(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=20000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(&url)
            .output()
    })
    .await
    .unwrap()
    .expect("chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    let result = dom
        .split(r#"<pre id="out">RESULT "#)
        .nth(1)
        .and_then(|r| r.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "no result in the page:\n{dom}\nstderr:\n{}\nthe server saw: {}",
                String::from_utf8_lossy(&output.stderr),
                seen()
            )
        });
    serde_json::from_str(&result.replace("&quot;", "\"").replace("&amp;", "&")).unwrap()
}

/// What both pages must see: the call with the token, 401 without.
fn expected() -> serde_json::Value {
    serde_json::json!([
        {"status": 200, "id": "call_browser", "code": null, "type": "application/json"},
        {"status": 401, "id": null, "code": "UNAUTHORIZED", "type": "application/json"}
    ])
}

/// The mock the pages call, and the document.
async fn mock() -> (MockServer, Spec) {
    let spec = Spec::parse(CALLS, "calls.openapi.yaml").unwrap();
    let mock = MockServer::builder()
        .token("s3cret")
        .start(spec.clone())
        .await
        .unwrap();
    (mock, spec)
}

/// The browser asked first: a CORS preflight for the Authorization header,
/// answered by the mock.
fn preflight_answered(mock: &MockServer) {
    let seen = mock.received_requests();
    assert!(
        seen.iter()
            .any(|r| r.method == "OPTIONS" && r.status == 204),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_browser_page_on_another_origin_calls_the_mock_with_a_token() {
    let (mock, _) = mock().await;
    let result = run_page(&mock.uri(), || format!("{:?}", mock.received_requests())).await;
    assert_eq!(result, expected());
    preflight_answered(&mock);
}

#[tokio::test]
async fn a_browser_page_calls_the_mock_through_decoy_proxy() {
    let (mock, spec) = mock().await;
    let mut config = decoy_proxy::Config::new(mock.uri());
    config.port = 0;
    let proxy = decoy_proxy::Proxy::start(spec, config).await.unwrap();
    let result = run_page(&proxy.uri(), || format!("{:?}", proxy.report())).await;
    assert_eq!(result, expected());
    // The preflights went through to the mock and back, unchecked; the one
    // finding is the request the page sent without a token.
    preflight_answered(&mock);
    let report = proxy.stop().await;
    let checks: Vec<&str> = report.findings.iter().map(|f| f.check.as_str()).collect();
    assert_eq!(checks, ["request-auth"], "{}", report.render_text(false));
}
