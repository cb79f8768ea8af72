//! An answer on its way out, and what was wrong with a request.

use std::time::Duration;

use bytes::Bytes;
use hyper::HeaderMap;
use hyper::header;
use hyper::header::{HeaderName, HeaderValue};
use serde_json::Value;

/// An answer on its way out.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
    pub(super) delay: Option<Duration>,
    /// A 2xx of a cacheable read (generated, or a stored member): the same
    /// request gets the same answer while the store is unchanged.
    pub(super) repeatable: bool,
    /// The CORS headers are in already (a preflight, a kept answer): the
    /// server adds none.
    pub(super) cors_done: bool,
}

impl Reply {
    pub(super) fn json(status: u16, content_type: &str, body: &Value) -> Reply {
        let mut r = Reply::empty(status);
        r.body = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
        r.header(header::CONTENT_TYPE, content_type);
        r
    }

    /// A recorded answer (`decoy mock --replay`), as it was recorded.
    pub(super) fn replayed(answer: crate::replay::Answer) -> Reply {
        let mut r = Reply::empty(answer.status);
        r.body = answer.body;
        for (n, v) in answer.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(n.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                r.headers.append(n, v);
            }
        }
        r
    }

    pub(super) fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            delay: None,
            repeatable: false,
            cors_done: false,
        }
    }

    /// A reply that carries the CORS headers of a request without
    /// `Origin` (a kept answer) made the one for a request from `origin`:
    /// the origin it allows is the only difference.
    pub(super) fn allow_origin(&mut self, origin: Option<&HeaderValue>) {
        if let Some(origin) = origin {
            self.headers
                .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        }
        self.cors_done = true;
    }

    pub(super) fn header(&mut self, name: HeaderName, value: &str) {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.append(name, v);
        }
    }
}

/// One problem with a request: where (`path`, `query`, `header`, `body`),
/// a JSON pointer inside it, and what.
pub(super) struct Problem {
    pub(super) location: &'static str,
    pub(super) pointer: String,
    pub(super) message: String,
}
