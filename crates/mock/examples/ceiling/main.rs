//! The ceiling the mock is measured against (`bench/mock-load.sh`,
//! `bench/scaling.sh`): a bare hyper 1 server that knows no OpenAPI.
//!
//! - `ceiling fixed PORT BODY.json`: the same bytes for every request, the
//!   ceiling for repeated reads of one resource.
//! - `ceiling structs PORT BODY.json`: a new Calls `CallDetail` per request
//!   from hand-written structs, every value drawn fresh
//!   ([`call_detail`]), the ceiling for new resources as the issue that
//!   set the goal defines it. `BODY.json` is not read.
//! - `ceiling fresh PORT BODY.json`: a new body per request made by cloning
//!   the template (the path's last segment as `id`, every other id and
//!   integer drawn fresh, all other text copied), for any document's body.
//!   Cloning a tree of `Value`s costs more than filling structs, so this
//!   bound is looser than `structs`, though it draws fewer values.
//!
//! Both answer `GET` on any path with `200 application/json`, and use every
//! core the process may run on (so `taskset` decides).

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

mod call_detail;

/// The allocator the decoy binary uses, so a ratio compares code.
#[global_allocator]
static ALLOCATOR: decoy_alloc::MiMalloc = decoy_alloc::MiMalloc;

enum Mode {
    Fixed(Bytes),
    Fresh(Value),
    Structs,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, port, body] = args.as_slice() else {
        return Err("usage: ceiling fixed|fresh|structs PORT BODY.json".into());
    };
    let template: Value = serde_json::from_slice(&std::fs::read(body)?)?;
    let mode = Arc::new(match mode.as_str() {
        "fixed" => Mode::Fixed(Bytes::from(serde_json::to_vec(&template)?)),
        "fresh" => Mode::Fresh(template),
        "structs" => Mode::Structs,
        other => return Err(format!("unknown mode {other}").into()),
    });
    let port: u16 = port.parse()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(mode, port))
}

async fn serve(mode: Arc<Mode>, port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let mode = mode.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let body = match &*mode {
                    Mode::Fixed(bytes) => bytes.clone(),
                    Mode::Fresh(template) => {
                        fresh(template, req.uri().path(), path_seed(req.uri().path()))
                    }
                    Mode::Structs => structs(req.uri().path(), path_seed(req.uri().path())),
                };
                let mut response = Response::new(Full::new(body));
                response.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("application/json"),
                );
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A new body from the template: the path's id, other ids and numbers
/// drawn from `n`, then serialized.
fn fresh(template: &Value, path: &str, n: u64) -> Bytes {
    let mut body = template.clone();
    let mut h = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    redraw(&mut body, &mut h);
    if let Some(slot) = body.get_mut("id") {
        *slot = Value::from(path.rsplit('/').next().unwrap_or(""));
    }
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

/// The seed of a path (FNV-1a): each resource is drawn from its own path,
/// as the mock's are, and no counter is shared by the cores.
fn path_seed(path: &str) -> u64 {
    path.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A new `CallDetail` for the path's id, drawn from `n`.
fn structs(path: &str, n: u64) -> Bytes {
    let id = path.rsplit('/').next().unwrap_or("");
    let call = call_detail::CallDetail::fresh(id, &mut call_detail::Rng::new(n));
    let mut out = Vec::with_capacity(4096);
    serde_json::to_writer(&mut out, &call).unwrap_or_default();
    Bytes::from(out)
}

/// xorshift64: the next draw.
fn next(h: &mut u64) -> u64 {
    *h ^= *h << 13;
    *h ^= *h >> 7;
    *h ^= *h << 17;
    *h
}

fn redraw(v: &mut Value, h: &mut u64) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                match child {
                    Value::String(s) if k.ends_with("_id") => {
                        let prefix = s.find('_').map_or("", |i| &s[..=i]).to_owned();
                        *s = format!("{prefix}{:016x}", next(h));
                    }
                    Value::Number(num) if num.is_u64() => {
                        *child = Value::from(next(h) % 100_000);
                    }
                    _ => redraw(child, h),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| redraw(c, h)),
        _ => {}
    }
}
