//! The answer to a valid request: which documented response, which media
//! type, from the cache, state, an example or the generator; and faults.

use bytes::Bytes;
use decoy_spec::media::{self, MediaKind};
use decoy_spec::{MediaType, OpId, Operation, StatusKey};
use hyper::header;
use hyper::header::HeaderName;
use hyper::http::request::Parts;
use serde_json::Value;

use super::App;
use super::crud::Crud;
use super::echo::Ctx;
use super::prefer::Prefer;
use super::reply::Reply;
use crate::generate::Seeds;
use decoy_spec::model::Template;

impl App {
    /// The answer to a valid request.
    pub(super) fn answer(
        &self,
        op_id: OpId,
        params: &[(String, String)],
        parts: &Parts,
        body: &Value,
        prefer: &Prefer,
    ) -> Reply {
        let op = &self.spec.operations()[op_id];
        let info = &self.ops[op_id];
        let success = info.success.map(|k| &op.responses[k]);
        let response = match prefer.code {
            Some(code) => match op.response(code) {
                Some(r) => r,
                None => {
                    let documented: Vec<String> =
                        op.responses.iter().map(|r| r.status.to_string()).collect();
                    let message = format!(
                        "Prefer: code={code} is not documented for {}; documented: {}",
                        info.name,
                        documented.join(", ")
                    );
                    return self.error(Some(op_id), 400, &message, &[], false);
                }
            },
            None => match success {
                Some(r) => r,
                None => return Reply::empty(if op.method == "POST" { 201 } else { 200 }),
            },
        };
        let status = status_of(response.status, prefer.code);
        let media = pick_media(&response.content);
        let is_success = success.is_some_and(|s| std::ptr::eq(s, response));
        // What clients created, changed or deleted decides first.
        if is_success && prefer.is_empty() {
            let req = Crud {
                op_id,
                params,
                parts,
                body,
                status,
                response,
                media,
            };
            if let Some(reply) = self.crud(&req) {
                return reply;
            }
        }

        if let Some(name) = &prefer.example {
            let Some(media) = media else {
                return self.error(
                    Some(op_id),
                    400,
                    &format!(
                        "Prefer: example={name}: status {status} of {} has no body",
                        info.name
                    ),
                    &[],
                    false,
                );
            };
            let Some(value) = self.bodies.example(media, name) else {
                let names: Vec<&str> = media.examples.iter().map(|e| e.name.as_str()).collect();
                let known = if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                };
                let message = format!(
                    "Prefer: example={name} is not an example of status {status} of {}; examples: {known}",
                    info.name
                );
                return self.error(Some(op_id), 400, &message, &[], false);
            };
            return self.finish(status, response, media, &value);
        }
        let Some(media) = media else {
            let mut r = Reply::empty(status);
            self.documented_headers(response, &mut r);
            return r;
        };
        if prefer.dynamic == Some(false)
            && let Some(value) = self.bodies.first_example(media)
        {
            return self.finish(status, response, media, &value);
        }
        // A profile asks for generated data of that kind, not for state.
        if let Some(profile) = prefer.profile {
            let seeds = self.seeds(op, params);
            let value = self.bodies.generate_as(profile, media, seeds, &[]);
            return self.finish(status, response, media, &value);
        }
        // An explicit code asks for the documented response, not for state.
        if !is_success || prefer.code.is_some() {
            let value = self
                .bodies
                .first_example(media)
                .unwrap_or_else(|| self.generate(op_id, params, media));
            return self.finish(status, response, media, &value);
        }

        let context = if info.templated {
            self.context(op_id, params, 0)
        } else {
            None
        };
        let ctx = Ctx {
            body,
            params,
            parts,
            context: context.as_ref(),
        };
        // A listing with stored resources is built fresh; an empty one is
        // the generated body, which the cache holds.
        let listed = match (&self.rules(op_id).list, self.config.stateless) {
            (Some(l), false) if self.may_have_state() => {
                self.rows(|s| s.count(&l.collection.render(params))) > 0
            }
            _ => false,
        };
        let cache_key = match info.cacheable && prefer.is_empty() && !listed {
            true => match self.cache.get(op_id, resource_path(&op.path, params)) {
                Ok(bytes) => {
                    let mut r = Reply::empty(status);
                    r.header(header::CONTENT_TYPE, &content_type(media));
                    r.body = bytes;
                    r.repeatable = true;
                    self.documented_headers(response, &mut r);
                    return r;
                }
                Err(key) => Some(key),
            },
            false => None,
        };
        let value = match self.stateful(op_id, &ctx, media) {
            Ok(Some(v)) => Some(v),
            // A schema that says little (`type: object`) next to a full
            // example: the example is the better answer.
            Ok(None) => match *info.says_little.get_or_init(|| self.says_little(media)) {
                true => self.bodies.first_example(media),
                false => None,
            },
            Err(r) => return *r,
        };
        let mut reply = match value {
            Some(value) => self.finish(status, response, media, &value),
            None => {
                // JSON straight from the generator where it can be, else the
                // long way through a `Value`.
                let ct = content_type(media);
                let json = (media::kind(&ct) == MediaKind::Json)
                    .then(|| {
                        let resource = cache_key.as_ref().map(|(_, _, path)| path.as_str());
                        self.generate_success_json(op_id, &ctx, media, resource)
                    })
                    .flatten();
                match json {
                    Some(json) => self.reply_with(status, response, &ct, Bytes::from(json)),
                    None => {
                        let value = self.generate_success(op_id, &ctx, media);
                        self.finish(status, response, media, &value)
                    }
                }
            }
        };
        if let Some(key) = cache_key {
            self.cache.put(key, reply.body.clone());
            reply.repeatable = true;
        }
        reply
    }

    /// The answer with `value` as its body, in the media type's encoding.
    pub(super) fn finish(
        &self,
        status: u16,
        response: &decoy_spec::Response,
        media: &MediaType,
        value: &Value,
    ) -> Reply {
        let ct = content_type(media);
        let body = match (media::kind(&ct), value) {
            (MediaKind::Json, v) => Bytes::from(json_bytes(v)),
            (_, Value::String(s)) => Bytes::from(s.clone()),
            (MediaKind::Binary, _) => Bytes::from(placeholder(&ct)),
            (_, v) => Bytes::from(v.to_string()),
        };
        self.reply_with(status, response, &ct, body)
    }

    /// The answer with `body`, already encoded as `ct`.
    fn reply_with(
        &self,
        status: u16,
        response: &decoy_spec::Response,
        ct: &str,
        body: Bytes,
    ) -> Reply {
        let mut r = Reply::empty(status);
        r.header(header::CONTENT_TYPE, ct);
        r.body = body;
        self.documented_headers(response, &mut r);
        r
    }

    /// Whether the media type's schema leaves its body open: no schema, or
    /// one with no properties, items or branches to follow.
    fn says_little(&self, media: &MediaType) -> bool {
        let Some(Ok((s, _))) = media.schema.as_deref().map(|p| self.spec.resolve(p)) else {
            return true;
        };
        let Some(m) = s.as_object() else {
            return true;
        };
        ![
            "properties",
            "items",
            "allOf",
            "anyOf",
            "oneOf",
            "additionalProperties",
            "patternProperties",
            "enum",
            "const",
        ]
        .iter()
        .any(|k| m.contains_key(*k))
            && m.get("type").is_none_or(|t| t == "object")
    }

    /// Required documented headers (and `Retry-After` on a 429, `Location`
    /// on a redirect) get a value.
    pub(super) fn documented_headers(&self, response: &decoy_spec::Response, r: &mut Reply) {
        let redirect = matches!(r.status, 301..=303 | 307 | 308);
        for h in &response.headers {
            let wanted = h.required
                || h.name.eq_ignore_ascii_case("retry-after")
                || redirect && h.name.eq_ignore_ascii_case("location");
            if !wanted {
                continue;
            }
            let Ok(name) = HeaderName::from_bytes(h.name.as_bytes()) else {
                continue;
            };
            let value = h
                .schema
                .as_deref()
                .map_or(Value::Null, |s| self.bodies.schema(s, self.config.seed));
            let text = match value {
                Value::String(s) => s,
                Value::Number(n) if n.as_f64().is_some_and(|f| f <= 0.0) => "1".to_owned(),
                Value::Null => "1".to_owned(),
                v => v.to_string(),
            };
            r.header(name, &text);
        }
        if r.status == 429 && !r.headers.contains_key(header::RETRY_AFTER) {
            r.header(header::RETRY_AFTER, "1");
        }
        // A redirect without a target is no redirect.
        if redirect && !r.headers.contains_key(header::LOCATION) {
            r.header(header::LOCATION, "/");
        }
    }

    /// A documented 5xx or 429, chosen by the draw.
    pub(super) fn fault(&self, op_id: OpId, draw: u64) -> Reply {
        let op = &self.spec.operations()[op_id];
        let faults: Vec<&decoy_spec::Response> = op
            .responses
            .iter()
            .filter(|r| matches!(r.status, StatusKey::Code(c) if c >= 500 || c == 429))
            .collect();
        let Some(response) = faults.get((draw % faults.len().max(1) as u64) as usize) else {
            return self.error(Some(op_id), 500, "injected fault", &[], false);
        };
        let status = status_of(response.status, None);
        match pick_media(&response.content) {
            Some(media) => {
                let value = self.bodies.first_example(media).unwrap_or_else(|| {
                    let seeds = Seeds {
                        resource: draw,
                        request: draw,
                    };
                    self.bodies.generate(media, seeds, &[])
                });
                self.finish(status, response, media, &value)
            }
            None => {
                let mut r = Reply::empty(status);
                self.documented_headers(response, &mut r);
                r
            }
        }
    }
}

/// The lowest documented 2xx: exact codes first, then `2XX`, then
/// `default`; with none of those, the lowest documented 3xx (an operation
/// that only redirects answers with its redirect).
pub(super) fn lowest_success(op: &Operation) -> Option<usize> {
    let mut best: Option<(u16, usize)> = None;
    for (k, r) in op.responses.iter().enumerate() {
        let rank = match r.status {
            StatusKey::Code(c) if (200..300).contains(&c) => c,
            StatusKey::Range(2) => 300,
            StatusKey::Default => 301,
            StatusKey::Code(c) if (300..400).contains(&c) => c + 100,
            StatusKey::Range(3) => 500,
            _ => continue,
        };
        if best.is_none_or(|(b, _)| rank < b) {
            best = Some((rank, k));
        }
    }
    best.map(|(_, k)| k)
}

pub(super) fn status_of(key: StatusKey, asked: Option<u16>) -> u16 {
    match (key, asked) {
        (StatusKey::Code(c), _) => c,
        (_, Some(c)) => c,
        (StatusKey::Range(d), None) => u16::from(d) * 100,
        (StatusKey::Default, None) => 200,
    }
}

/// The first JSON media type, else the first.
pub(super) fn pick_media(content: &[MediaType]) -> Option<&MediaType> {
    pick_media_index(content).map(|i| &content[i])
}

/// The index of [`pick_media`]'s choice: the first JSON type, else the
/// first.
pub(super) fn pick_media_index(content: &[MediaType]) -> Option<usize> {
    content
        .iter()
        .position(MediaType::is_json)
        .or((!content.is_empty()).then_some(0))
}

/// The `Content-Type` to answer with: the documented type, or for a range
/// (`audio/*`) its commonest member.
pub(super) fn content_type(media: &MediaType) -> String {
    media::concrete(&media.name)
}

/// Bytes that start the way a file of this type starts, for a binary body
/// the document gives no value for.
fn placeholder(content_type: &str) -> Vec<u8> {
    let magic: &[u8] = match &*media::essence(content_type) {
        "image/png" => b"\x89PNG\r\n\x1a\n",
        "image/jpeg" => b"\xff\xd8\xff\xe0",
        "image/gif" => b"GIF89a",
        "image/webp" => b"RIFF\x1a\0\0\0WEBPVP8 ",
        "application/pdf" => b"%PDF-1.4\n",
        "application/zip" => b"PK\x03\x04",
        "audio/mpeg" => b"ID3\x04\0\0\0\0\0\0",
        "audio/wav" | "audio/x-wav" => b"RIFF\x24\0\0\0WAVEfmt ",
        "video/mp4" => b"\0\0\0\x18ftypmp42",
        _ => b"",
    };
    let mut out = magic.to_vec();
    out.extend_from_slice(b"decoy mock body");
    out
}

/// The template with its parameters filled in: the resource's identity.
pub(super) fn resource_path(template: &str, params: &[(String, String)]) -> String {
    Template::fill(template, params)
}

thread_local! {
    /// The size of the last JSON body this thread wrote, and a little more.
    static LAST_BODY: std::cell::Cell<usize> = const { std::cell::Cell::new(256) };
}

/// A buffer for a JSON body, sized from the last body this thread wrote, so
/// a body of a few KB is not grown through five reallocations.
pub(super) fn json_buffer() -> Vec<u8> {
    Vec::with_capacity(LAST_BODY.get().clamp(256, 64 * 1024))
}

/// Notes the size of a body written into a [`json_buffer`].
pub(super) fn json_written(out: &[u8]) {
    LAST_BODY.set(out.len() + out.len() / 8);
}

/// Compact JSON of `v`.
pub(super) fn json_bytes(v: &Value) -> Vec<u8> {
    let mut out = json_buffer();
    decoy_synth::json::write_value(v, &mut out);
    json_written(&out);
    out
}
