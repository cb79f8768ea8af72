//! Error answers in the document's own error shape.

use decoy_spec::{MediaType, OpId, StatusKey};
use serde_json::{Map, Value, json};

use super::App;
use super::answer::content_type;
use super::reply::{Problem, Reply};

impl App {
    /// An error answer in the document's shape for `status`: the operation's
    /// documented response, else any operation's, else the document's first
    /// 4xx shape. With `as_documented`, the document's example is sent as is;
    /// otherwise its message field says what happened and, where the schema
    /// allows, `details` lists every problem. The body is checked against
    /// the schema and falls back to the plain example if a change broke it.
    pub(super) fn error(
        &self,
        op: Option<OpId>,
        status: u16,
        message: &str,
        problems: &[Problem],
        as_documented: bool,
    ) -> Reply {
        let ops = self.spec.operations();
        let own = op
            .and_then(|i| ops[i].response(status))
            .filter(|r| r.status.covers(status) && !r.content.is_empty());
        let found = own
            .map(|r| (r, true))
            .or_else(|| {
                ops.iter()
                    .flat_map(|o| &o.responses)
                    .find(|r| r.status == StatusKey::Code(status) && !r.content.is_empty())
                    .map(|r| (r, true))
            })
            .or_else(|| {
                ops.iter()
                    .flat_map(|o| &o.responses)
                    .find(|r| {
                        matches!(r.status, StatusKey::Code(400..=499))
                            && r.content.iter().any(MediaType::is_json)
                    })
                    .map(|r| (r, false))
            });
        let fallback = || {
            let mut body = json!({"error": message, "code": code_for(status)});
            if !problems.is_empty() {
                body["details"] = details(problems);
            }
            Reply::json(status, "application/json", &body)
        };
        let Some((response, same_status)) = found else {
            return fallback();
        };
        let Some(media) = response.content.iter().find(|m| m.is_json()) else {
            return fallback();
        };
        let example = self.bodies.first_example(media).filter(|_| same_status);
        let base = example.clone().unwrap_or_else(|| {
            media
                .schema
                .as_deref()
                .map_or(Value::Null, |s| self.bodies.schema(s, u64::from(status)))
        });
        let validator = media
            .schema
            .as_deref()
            .and_then(|s| self.validators.compile(s).ok());
        let valid = |v: &Value| validator.as_ref().is_none_or(|val| val.is_valid(v));
        let mut body = base.clone();
        if !as_documented || example.is_none() {
            let props = media
                .schema
                .as_deref()
                .map(|s| self.properties(s))
                .unwrap_or_default();
            let message_field = [
                "error",
                "message",
                "detail",
                "title",
                "description",
                "error_description",
            ]
            .into_iter()
            .find(|f| props.get(*f).is_some_and(is_plain_string));
            if let (Some(f), Value::Object(m)) = (message_field, &mut body) {
                m.insert(f.to_owned(), Value::String(message.to_owned()));
            }
            if example.is_none()
                && props.get("code").is_some_and(is_plain_string)
                && let Value::Object(m) = &mut body
            {
                m.insert(
                    "code".to_owned(),
                    Value::String(code_for(status).to_owned()),
                );
            }
            if !valid(&body) {
                body = base.clone();
            }
            if !problems.is_empty() && body.is_object() {
                let before = body.clone();
                body["details"] = details(problems);
                if !valid(&body) {
                    body = before;
                }
            }
        }
        let mut r = Reply::json(status, content_type(media), &body);
        self.documented_headers(response, &mut r);
        r
    }

    /// The properties of an object schema, through `$ref` and `allOf`.
    pub(super) fn properties(&self, pointer: &str) -> Map<String, Value> {
        let mut out = Map::new();
        let mut stack = vec![pointer.to_owned()];
        let mut seen = 0;
        while let Some(p) = stack.pop() {
            seen += 1;
            if seen > 64 {
                break;
            }
            let Ok((s, at)) = self.spec.resolve(&p) else {
                continue;
            };
            if let Some(Value::Object(props)) = s.get("properties") {
                for (k, v) in props {
                    let v = match v
                        .get("$ref")
                        .and_then(Value::as_str)
                        .and_then(decoy_spec::pointer::from_ref)
                    {
                        Some(r) => self.spec.get(&r).cloned().unwrap_or(Value::Null),
                        None => v.clone(),
                    };
                    out.entry(k.clone()).or_insert(v);
                }
            }
            if let Some(Value::Array(all)) = s.get("allOf") {
                for k in 0..all.len() {
                    stack.push(format!("{at}/allOf/{k}"));
                }
            }
        }
        out
    }
}

pub(super) fn details(problems: &[Problem]) -> Value {
    Value::Array(
        problems
            .iter()
            .map(|p| json!({"in": p.location, "pointer": p.pointer, "message": p.message}))
            .collect(),
    )
}

pub(super) fn is_plain_string(schema: &Value) -> bool {
    let string = match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    string
        && schema.get("enum").is_none()
        && schema.get("const").is_none()
        && schema.get("pattern").is_none()
}

/// A conventional machine-readable code for a status.
pub(super) fn code_for(status: u16) -> &'static str {
    match status {
        400 => "VALIDATION_ERROR",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        408 => "REQUEST_TIMEOUT",
        409 => "CONFLICT",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        429 => "RATE_LIMITED",
        500..=599 => "INTERNAL_ERROR",
        _ => "ERROR",
    }
}
