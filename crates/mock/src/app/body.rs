//! The request body: read within the limit and the timeout, matched to a
//! documented media type, parsed and validated.

use std::error::Error as StdError;

use bytes::Bytes;
use decoy_spec::OpId;
use http_body_util::LengthLimitError;
use http_body_util::{BodyExt, Limited};
use hyper::body::Body;
use hyper::header;
use hyper::http::request::Parts;
use serde_json::Value;

use super::App;
use super::reply::{Problem, Reply};
use crate::util;

impl App {
    /// Reads the body within the limit; `Err` is an answer to send at once
    /// (413, 415, 408).
    pub(super) async fn read_body<B>(
        &self,
        op_id: OpId,
        parts: &Parts,
        body: B,
        problems: &mut Vec<Problem>,
    ) -> Result<Value, Reply>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let limit = self.config.body_limit;
        let too_large = || {
            self.error(
                Some(op_id),
                413,
                &format!("the request body is larger than {limit} bytes"),
                &[],
                false,
            )
        };
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let bytes = match tokio::time::timeout(
            self.config.body_timeout,
            Limited::new(body, limit).collect(),
        )
        .await
        {
            Ok(Ok(c)) => c.to_bytes(),
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(too_large()),
            Ok(Err(_)) => {
                return Err(self.error(
                    Some(op_id),
                    400,
                    "the request body could not be read",
                    &[],
                    false,
                ));
            }
            Err(_) => {
                return Err(self.error(
                    Some(op_id),
                    408,
                    "the request body took too long to arrive",
                    &[],
                    false,
                ));
            }
        };
        let op = &self.spec.operations()[op_id];
        let Some(rb) = &op.request_body else {
            return Ok(Value::Null);
        };
        if bytes.is_empty() {
            if rb.required {
                problems.push(Problem {
                    location: "body",
                    pointer: String::new(),
                    message: "a request body is required".to_owned(),
                });
            }
            return Ok(Value::Null);
        }
        let ct = parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let essence = ct.as_deref().map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        let found = essence
            .as_deref()
            .and_then(|e| rb.content.iter().position(|m| media_matches(&m.name, e)));
        let Some(k) = found else {
            let accepted: Vec<&str> = rb.content.iter().map(|m| m.name.as_str()).collect();
            let sent = ct.as_deref().map_or("no Content-Type".to_owned(), |c| {
                format!("Content-Type {}", util::truncate(c, 100))
            });
            let message = format!(
                "{sent} is not accepted here; send one of: {}",
                accepted.join(", ")
            );
            return Err(self.error(Some(op_id), 415, &message, &[], false));
        };
        let media = &rb.content[k];
        if !media.is_json() {
            return Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        }
        let value: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                problems.push(Problem {
                    location: "body",
                    pointer: String::new(),
                    message: format!("malformed JSON: {e}"),
                });
                return Ok(Value::Null);
            }
        };
        if let Some(Some(validator)) = self.ops[op_id].bodies.get(k) {
            for v in validator.validate(&value) {
                problems.push(Problem {
                    location: "body",
                    pointer: v.instance_pointer,
                    message: v.message,
                });
            }
        }
        Ok(value)
    }
}

pub(super) fn media_matches(documented: &str, sent: &str) -> bool {
    let doc = documented
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    doc == sent
        || doc == "*/*"
        || doc
            .strip_suffix("/*")
            .is_some_and(|t| sent.split('/').next() == Some(t))
}
