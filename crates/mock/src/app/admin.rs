//! CORS preflights and the `/__decoy/*` admin endpoints.

use hyper::header;
use hyper::header::HeaderValue;
use serde_json::{Value, json};

use super::params::query_pairs;
use super::reply::Reply;
use super::tx::unavailable;
use super::{App, lock};
use crate::config::RecordedRequest;
use crate::state::{Backend, check_namespace, namespace};

impl App {
    pub(super) fn preflight(&self, headers: &hyper::HeaderMap) -> Reply {
        let mut r = Reply::empty(204);
        let origin = headers
            .get(header::ORIGIN)
            .cloned()
            .unwrap_or(HeaderValue::from_static("*"));
        r.headers
            .append(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        r.header(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
        );
        let allow_headers = headers
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or(HeaderValue::from_static(
                "Authorization, Content-Type, Prefer",
            ));
        r.headers
            .append(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
        r.header(header::ACCESS_CONTROL_MAX_AGE, "600");
        r.cors_done = true;
        r.header(
            header::VARY,
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        );
        r
    }

    pub(super) async fn admin(
        &self,
        method: &str,
        what: &str,
        headers: &hyper::HeaderMap,
        query: Option<&str>,
    ) -> Reply {
        match (method, what) {
            ("GET" | "HEAD", "health") => {
                let title = self.spec.get("/info/title").cloned().unwrap_or(Value::Null);
                let body = json!({
                    "status": "ok",
                    "document": title,
                    "operations": self.ops.0.len(),
                    "revision": self.revision(),
                    "state": match &self.state {
                        Backend::Memory(_) => "memory",
                        Backend::Redis(r) => r.url(),
                    },
                    "reload_error": *lock(&self.reload_error),
                });
                Reply::json(200, "application/json", &body)
            }
            ("POST", "reset") => {
                // `?namespace=worker-7`, or the request's own namespace.
                let asked = query_pairs(query)
                    .find(|(k, _)| k == "namespace")
                    .map(|(_, v)| check_namespace(&v));
                let namespace = match asked {
                    Some(n) => n.map(Some),
                    None => namespace(headers),
                };
                let namespace = match namespace {
                    Ok(n) => n,
                    Err(m) => return self.error(None, 400, &m, &[], false),
                };
                match self.reset(namespace.as_deref()).await {
                    Ok(()) => Reply::empty(204),
                    Err(e) => unavailable(&e),
                }
            }
            ("GET" | "HEAD", "requests") => {
                let list: Vec<Value> = self
                    .recorded()
                    .iter()
                    .map(RecordedRequest::to_json)
                    .collect();
                Reply::json(200, "application/json", &json!({ "requests": list }))
            }
            (_, "health" | "reset" | "requests") => {
                let mut r = self.error(
                    None,
                    405,
                    &format!("{method} is not allowed on /__decoy/{what}"),
                    &[],
                    false,
                );
                r.header(
                    header::ALLOW,
                    if what == "reset" { "POST" } else { "GET, HEAD" },
                );
                r
            }
            _ => self.error(
                None,
                404,
                "unknown admin endpoint (try /__decoy/health, /__decoy/reset, /__decoy/requests)",
                &[],
                false,
            ),
        }
    }
}
