//! The request body: read within the limit and the timeout, matched to a
//! documented media type, parsed and validated.

use std::error::Error as StdError;

use bytes::Bytes;
use decoy_spec::media::{self, MediaKind};
use decoy_spec::{OpId, style};
use http_body_util::{BodyExt, Either, Full, LengthLimitError, Limited};
use hyper::body::Body;
use hyper::header;
use hyper::http::request::Parts;
use serde_json::Value;

use super::App;
use super::reply::{Problem, Reply};
use crate::util;

impl App {
    /// Reads the body within the limit, then parses it by its media type;
    /// `Err` is an answer to send at once (413, 415, 408).
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
        let bytes = self.read_bytes(op_id, parts, body).await?;
        self.parse_body(op_id, parts, &bytes, problems)
            .map_err(|r| *r)
    }

    /// Among operations that share one method and wire path (path keys that
    /// differ only in a `#fragment`), the first whose body fits what was
    /// sent. The body is then read here and handed back whole.
    pub(super) async fn variant<B>(
        &self,
        op_id: OpId,
        parts: &Parts,
        body: B,
    ) -> Result<(OpId, Either<B, Full<Bytes>>), Reply>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let variants = self.spec.router().variants(op_id);
        if variants.len() < 2 {
            return Ok((op_id, Either::Left(body)));
        }
        let bytes = self.read_bytes(op_id, parts, body).await?;
        let fits = variants.iter().copied().find(|&v| {
            let mut problems = Vec::new();
            self.parse_body(v, parts, &bytes, &mut problems).is_ok() && problems.is_empty()
        });
        Ok((fits.unwrap_or(op_id), Either::Right(Full::new(bytes))))
    }

    async fn read_bytes<B>(&self, op_id: OpId, parts: &Parts, body: B) -> Result<Bytes, Reply>
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
        // Most reads carry no body: no timer, no buffer.
        if body.is_end_stream() {
            return Ok(Bytes::new());
        }
        match tokio::time::timeout(
            self.config.body_timeout,
            Limited::new(body, limit).collect(),
        )
        .await
        {
            Ok(Ok(c)) => Ok(c.to_bytes()),
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
            Ok(Err(_)) => Err(self.error(
                Some(op_id),
                400,
                "the request body could not be read",
                &[],
                false,
            )),
            Err(_) => Err(self.error(
                Some(op_id),
                408,
                "the request body took too long to arrive",
                &[],
                false,
            )),
        }
    }

    /// Parses a read body by the kind of its media type (JSON, form,
    /// multipart, text, bytes) and validates what has a schema to meet.
    /// The early answer is boxed: it is the rare path, and a `Reply` is large.
    pub(super) fn parse_body(
        &self,
        op_id: OpId,
        parts: &Parts,
        bytes: &[u8],
        problems: &mut Vec<Problem>,
    ) -> Result<Value, Box<Reply>> {
        let op = &self.spec.operations()[op_id];
        let Some(rb) = &op.request_body else {
            return Ok(Value::Null);
        };
        let ct = parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let sent_kind = ct.as_deref().map(media::kind);
        // An empty form is a form with no fields: a present body.
        if bytes.is_empty() && sent_kind != Some(MediaKind::Form) {
            if rb.required {
                problems.push(Problem {
                    location: "body",
                    pointer: String::new(),
                    message: "a request body is required".to_owned(),
                });
            }
            return Ok(Value::Null);
        }
        let found = ct
            .as_deref()
            .and_then(|c| media::best(rb.content.iter().map(|m| m.name.as_str()), c));
        let (Some(k), Some(ct), Some(sent_kind)) = (found, ct.as_deref(), sent_kind) else {
            let accepted: Vec<&str> = rb.content.iter().map(|m| m.name.as_str()).collect();
            let sent = ct.as_deref().map_or("no Content-Type".to_owned(), |c| {
                format!("Content-Type {}", util::truncate(c, 100))
            });
            let message = format!(
                "{sent} is not accepted here; send one of: {}",
                accepted.join(", ")
            );
            return Err(Box::new(self.error(Some(op_id), 415, &message, &[], false)));
        };
        let media = &rb.content[k];
        let doc = self.spec.document();
        let schema = media
            .schema
            .as_deref()
            .and_then(|s| self.spec.resolve(s).ok())
            .map_or(&Value::Bool(true), |(s, _)| s);
        let text = || String::from_utf8_lossy(bytes).into_owned();
        let mut problem = |message: String| {
            problems.push(Problem {
                location: "body",
                pointer: String::new(),
                message,
            });
        };
        let value = if is_bytes(schema) {
            // A file upload: any bytes are one.
            return Ok(Value::String(text()));
        } else {
            match sent_kind {
                MediaKind::Json => match serde_json::from_slice(bytes) {
                    Ok(v) => v,
                    Err(e) => {
                        problem(format!("malformed JSON: {e}"));
                        return Ok(Value::Null);
                    }
                },
                MediaKind::Form => style::form_object(&media::form_pairs(&text()), schema, doc),
                MediaKind::Multipart => {
                    let boundary = media::parameter(ct, "boundary").unwrap_or_default();
                    match media::multipart(bytes, &boundary) {
                        Ok(parts) => multipart_object(&parts, schema, doc),
                        Err(e) => {
                            problem(format!("malformed multipart body: {e}"));
                            return Ok(Value::Null);
                        }
                    }
                }
                // Text is checked where the schema describes a string; an
                // XML or binary body is not read against a JSON schema.
                MediaKind::Text if schema.get("type") == Some(&Value::from("string")) => {
                    Value::String(text())
                }
                MediaKind::Text | MediaKind::Binary => return Ok(Value::String(text())),
            }
        };
        if let Some(Some(validator)) = self.validators(op_id).bodies.get(k) {
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

/// Whether a schema describes raw bytes (`format: binary`, a content media
/// type or encoding): a body of any bytes meets it.
fn is_bytes(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
        && (matches!(
            schema.get("format").and_then(Value::as_str),
            Some("binary" | "byte")
        ) || schema.get("contentMediaType").is_some()
            || schema.get("contentEncoding").is_some())
}

/// A multipart body as the object its schema describes: text fields typed
/// as a form's are, JSON parts parsed, files as their text.
fn multipart_object(parts: &[media::Part], schema: &Value, doc: &Value) -> Value {
    let fields: Vec<(String, String)> = parts
        .iter()
        .filter(|p| !p.is_file() && !is_json_part(p))
        .map(|p| {
            (
                p.name.clone(),
                String::from_utf8_lossy(&p.data).into_owned(),
            )
        })
        .collect();
    let mut value = style::form_object(&fields, schema, doc);
    let Value::Object(m) = &mut value else {
        return value;
    };
    for p in parts.iter().filter(|p| p.is_file() || is_json_part(p)) {
        let v = if is_json_part(p) {
            serde_json::from_slice(&p.data)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&p.data).into_owned()))
        } else {
            Value::String(String::from_utf8_lossy(&p.data).into_owned())
        };
        let listed = schema
            .pointer(&decoy_spec::pointer::push("/properties", &p.name))
            .is_some_and(|s| style::is_array(s, doc));
        match m.get_mut(&p.name) {
            Some(Value::Array(a)) => a.push(v),
            Some(prev) => *prev = Value::Array(vec![prev.take(), v]),
            // One file of a list, or a whole list as one JSON part.
            None if listed && !v.is_array() => {
                m.insert(p.name.clone(), Value::Array(vec![v]));
            }
            None => {
                m.insert(p.name.clone(), v);
            }
        }
    }
    value
}

fn is_json_part(p: &media::Part) -> bool {
    p.filename.is_none()
        && p.content_type
            .as_deref()
            .is_some_and(|t| media::kind(t) == MediaKind::Json)
}
