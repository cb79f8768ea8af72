//! A small in-process implementation of `specs/shapes/library.openapi.yaml`
//! (libraries and their shelves), correct by default, with one switchable
//! state bug per oracle of decoy test's model-driven chains. `stateful.rs`
//! runs decoy test against it: each bug is caught by its check with a
//! shortest chain, the correct build gives no findings.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::{Value, json};

/// One state bug each; the server has at most one switched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateBug {
    /// `createLibrary` answers 201 but does not store: `getLibrary` 404s.
    CreatedNotReadable,
    /// `updateLibrary` answers with the change but does not store it.
    UpdateLost,
    /// `deleteLibrary` answers 204 but the library stays readable.
    DeletedStillReadable,
    /// `listLibraries` leaves out the newest library.
    MissingFromList,
}

#[derive(Default)]
struct Store {
    next: u64,
    libraries: BTreeMap<u64, Value>,
    shelves: BTreeMap<(u64, String), Value>,
}

struct State {
    bug: Option<StateBug>,
    store: Mutex<Store>,
}

/// The running server; stops when dropped.
pub(crate) struct Library {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Library {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Library {
    /// Starts on a free loopback port.
    pub(crate) async fn start(bug: Option<StateBug>) -> Library {
        let state = Arc::new(State {
            bug,
            store: Mutex::default(),
        });
        let (addr, task) =
            crate::faulty::serve(state, |state, req| async move { handle(&state, req).await })
                .await;
        Library { addr, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn reply(status: u16, body: Option<Value>) -> Response<Full<Bytes>> {
    let mut r = Response::builder().status(status);
    let bytes = match body {
        Some(v) => {
            let media = if status >= 400 {
                "application/problem+json"
            } else {
                "application/json"
            };
            r = r.header("content-type", media);
            Bytes::from(v.to_string())
        }
        None => Bytes::new(),
    };
    r.body(Full::new(bytes)).expect("response")
}

fn problem(status: u16, title: &str) -> Response<Full<Bytes>> {
    reply(status, Some(json!({"title": title, "status": status})))
}

/// A string field of 1 to `max` characters, if present and well formed.
fn text(v: &Value, field: &str, max: usize) -> Option<Result<String, ()>> {
    let f = v.get(field)?;
    Some(match f.as_str() {
        Some(s) if !s.is_empty() && s.chars().count() <= max => Ok(s.to_owned()),
        _ => Err(()),
    })
}

fn opens_at(v: &Value) -> Result<Option<Value>, ()> {
    match v.get("opens_at") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Value::Null)),
        Some(Value::String(s)) => {
            let b = s.as_bytes();
            let ok = b.len() == 5
                && (b'0'..=b'2').contains(&b[0])
                && b[1].is_ascii_digit()
                && b[2] == b':'
                && (b'0'..=b'5').contains(&b[3])
                && b[4].is_ascii_digit();
            if ok { Ok(Some(json!(s))) } else { Err(()) }
        }
        Some(_) => Err(()),
    }
}

async fn handle(
    state: &State,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let method = req.method().clone();
    let query = req.uri().query().unwrap_or("").to_owned();
    let json_sent = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if matches!(method, Method::POST | Method::PUT | Method::PATCH) && !json_sent {
        return Ok(problem(415, "send JSON"));
    }
    let path = req.uri().path().to_owned();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(problem(400, "unreadable body")),
    };
    let json = || {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .filter(Value::is_object)
    };
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut store = state.store.lock().expect("store");
    let bug = state.bug;
    let library_id = |s: &str| s.parse::<u64>().ok().filter(|&n| n >= 1);
    Ok(match (method, segments.as_slice()) {
        (Method::GET, ["libraries"]) => {
            if !query_ok(&query) {
                return Ok(problem(
                    400,
                    "limit is 1 to 100; sort is name, -name, id or -id",
                ));
            }
            let newest = store.libraries.keys().next_back().copied();
            let items: Vec<Value> = store
                .libraries
                .iter()
                .filter(|(id, _)| bug != Some(StateBug::MissingFromList) || Some(**id) != newest)
                .map(|(_, l)| l.clone())
                .collect();
            reply(200, Some(json!({"items": items, "next": null})))
        }
        (Method::POST, ["libraries"]) => {
            let Some(v) = json() else {
                return Ok(problem(422, "a JSON object is required"));
            };
            let (Some(Ok(name)), Some(Ok(city)), Ok(opens)) =
                (text(&v, "name", 80), text(&v, "city", 80), opens_at(&v))
            else {
                return Ok(problem(422, "name and city are required strings"));
            };
            if opens == Some(Value::Null) {
                return Ok(problem(422, "opens_at is a string"));
            }
            store.next += 1;
            let id = store.next;
            let library = json!({
                "id": id,
                "name": name,
                "city": city,
                "opens_at": opens.unwrap_or(Value::Null),
                "created_at": "2026-01-01T00:00:00Z",
            });
            if bug != Some(StateBug::CreatedNotReadable) {
                store.libraries.insert(id, library.clone());
            }
            reply(201, Some(library))
        }
        (method, ["libraries", id]) => {
            let Some(id) = library_id(id) else {
                return Ok(problem(404, "no such library"));
            };
            let Some(library) = store.libraries.get(&id).cloned() else {
                return Ok(problem(404, "no such library"));
            };
            match method {
                Method::GET => reply(200, Some(library)),
                Method::PATCH => {
                    let Some(patch) = json() else {
                        return Ok(problem(422, "invalid change"));
                    };
                    let mut next = library;
                    for (field, max) in [("name", 80), ("city", 80)] {
                        match text(&patch, field, max) {
                            Some(Ok(s)) => next[field] = json!(s),
                            Some(Err(())) => return Ok(problem(422, "invalid change")),
                            None => {}
                        }
                    }
                    match opens_at(&patch) {
                        Ok(Some(o)) => next["opens_at"] = o,
                        Ok(None) => {}
                        Err(()) => return Ok(problem(422, "invalid change")),
                    }
                    if bug != Some(StateBug::UpdateLost) {
                        store.libraries.insert(id, next.clone());
                    }
                    reply(200, Some(next))
                }
                Method::DELETE => {
                    if bug != Some(StateBug::DeletedStillReadable) {
                        store.libraries.remove(&id);
                        store.shelves.retain(|(l, _), _| *l != id);
                    }
                    reply(204, None)
                }
                _ => problem(405, "method not allowed"),
            }
        }
        (Method::GET, ["libraries", id, "shelves"]) => {
            match library_id(id).filter(|id| store.libraries.contains_key(id)) {
                Some(id) => {
                    let shelves: Vec<Value> = store
                        .shelves
                        .iter()
                        .filter(|((l, _), _)| *l == id)
                        .map(|(_, s)| s.clone())
                        .collect();
                    reply(200, Some(json!(shelves)))
                }
                None => problem(404, "no such library"),
            }
        }
        (method, ["libraries", id, "shelves", code]) => {
            let code_ok = {
                let b = code.as_bytes();
                b.len() == 3 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
            };
            let Some(id) = library_id(id).filter(|id| store.libraries.contains_key(id)) else {
                return Ok(problem(404, "no such library"));
            };
            let key = (id, (*code).to_owned());
            match method {
                Method::GET => match store.shelves.get(&key) {
                    Some(s) if code_ok => reply(200, Some(s.clone())),
                    _ => problem(404, "no such shelf"),
                },
                Method::PUT => {
                    if !code_ok {
                        return Ok(problem(404, "no such shelf"));
                    }
                    let Some(v) = json() else {
                        return Ok(problem(422, "a JSON object is required"));
                    };
                    let Some(Ok(topic)) = text(&v, "topic", 40) else {
                        return Ok(problem(422, "topic is a required string"));
                    };
                    let capacity = match v.get("capacity") {
                        None => 100,
                        Some(c) => match c.as_u64().filter(|c| (1..=500).contains(c)) {
                            Some(c) => c,
                            None => return Ok(problem(422, "capacity is 1 to 500")),
                        },
                    };
                    let shelf = json!({"code": code, "topic": topic, "capacity": capacity});
                    store.shelves.insert(key, shelf.clone());
                    reply(200, Some(shelf))
                }
                Method::DELETE => match store.shelves.remove(&key) {
                    Some(_) => reply(204, None),
                    None => problem(404, "no such shelf"),
                },
                _ => problem(405, "method not allowed"),
            }
        }
        _ => problem(404, "no such route"),
    })
}

/// `limit` and `sort` of `listLibraries` as the document allows them.
fn query_ok(query: &str) -> bool {
    query.split('&').filter(|p| !p.is_empty()).all(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "limit" => value.parse::<u8>().is_ok_and(|n| (1..=100).contains(&n)),
            "sort" => ["name", "-name", "id", "-id"].contains(&value),
            _ => true,
        }
    })
}
