//! Error answers in the document's own error shape, saying the truth.
//!
//! The body starts from the document (an example of the same status, else a
//! value of the error schema); then every field that states the error's
//! status, code or message is filled from the actual error, so a 405 never
//! says `"status": 400` nor borrows an unrelated example's message. Codes
//! come from the document's own vocabulary: the code its examples give for
//! this status, else the member of the field's `enum`/`examples` that names
//! the status, else the status's reason phrase written the way the
//! document writes its codes. Each fill is kept only if the body still
//! meets its schema. With no error shape in the document, the answer is an
//! RFC 9457 problem (`application/problem+json`).

use decoy_spec::{MediaType, OpId, StatusKey};
use serde_json::{Map, Value, json};

use super::App;
use super::answer::content_type;
use super::reply::{Problem, Reply};

/// Fields that carry the human-readable message, most specific first.
const MESSAGE_KEYS: &[&str] = &[
    "message",
    "detail",
    "error_description",
    "errorMessage",
    "error_message",
    "msg",
    "description",
    "error",
];
/// Fields that carry the reason phrase when a message field is also there.
const REASON_KEYS: &[&str] = &["title", "error", "reason"];
/// Fields that carry the machine-readable code.
const CODE_KEYS: &[&str] = &["code", "error_code", "errorCode", "type_code"];
/// Fields that carry the HTTP status.
const STATUS_KEYS: &[&str] = &[
    "status",
    "statusCode",
    "status_code",
    "http_status",
    "httpStatus",
    "http_code",
    "httpCode",
];
/// Fields of a problem item that say where the problem is.
const POINTER_KEYS: &[&str] = &["pointer", "field", "path", "param", "parameter"];
const LOCATION_KEYS: &[&str] = &["in", "location"];
/// Fields of an error object that name the one field it is about.
const FIELD_KEYS: &[&str] = &["param", "parameter", "field", "pointer"];

/// What one error is: the values its fields are filled from.
struct Truth<'a> {
    status: u16,
    reason: &'static str,
    message: &'a str,
    problems: &'a [Problem],
}

impl App {
    /// An error answer in the document's shape for `status`: the operation's
    /// documented response, else any operation's, else the document's first
    /// 4xx shape, else an RFC 9457 problem. With `as_documented`, an
    /// example of the same status is sent as is. An invalid request gets
    /// the client-error status the operation documents for it (422 where
    /// it documents 422 and not 400).
    pub(super) fn error(
        &self,
        op: Option<OpId>,
        status: u16,
        message: &str,
        problems: &[Problem],
        as_documented: bool,
    ) -> Reply {
        let ops = self.spec.operations();
        let status = match op.map(|i| &ops[i]) {
            Some(o)
                if status == 400
                    && o.response(400)
                        .is_none_or(|r| r.status == StatusKey::Default)
                    && o.responses.iter().any(|r| r.status == StatusKey::Code(422)) =>
            {
                422
            }
            _ => status,
        };
        let truth = Truth {
            status,
            reason: hyper::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error"),
            message,
            problems,
        };
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
        let Some((response, media)) =
            found.and_then(|(r, same)| Some(((r, same), r.content.iter().find(|m| m.is_json())?)))
        else {
            let mut body = json!({
                "type": "about:blank",
                "title": truth.reason,
                "status": status,
                "detail": message,
            });
            if !problems.is_empty() {
                body["errors"] = details(problems);
            }
            return Reply::json(status, "application/problem+json", &body);
        };
        let (response, same_status) = response;
        let example = self.bodies.first_example(media).filter(|_| same_status);
        if as_documented && let Some(example) = &example {
            let mut r = Reply::json(status, &content_type(media), example);
            self.documented_headers(response, &mut r);
            return r;
        }
        let schema = media.schema.as_deref();
        let mut body = example.unwrap_or_else(|| {
            schema.map_or(Value::Null, |s| self.bodies.schema(s, u64::from(status)))
        });
        let validator = schema.and_then(|s| self.validators.compile(s).ok());
        let valid = |v: &Value| validator.as_ref().is_none_or(|val| val.is_valid(v));
        let mut edits = Vec::new();
        self.fills(&body, schema, &truth, "", 0, &mut edits);
        // A message field the body lacks but the schema has.
        if let Value::Object(m) = &body
            && !MESSAGE_KEYS
                .iter()
                .any(|k| m.get(*k).is_some_and(Value::is_string))
            && let Some(s) = schema
            && let Some(key) = MESSAGE_KEYS
                .iter()
                .find(|k| self.field(s, k).is_some_and(|f| self.is_plain_string(&f)))
        {
            edits.push((format!("/{key}"), Value::String(message.to_owned())));
        }
        let mut listed = false;
        for (pointer, value) in edits {
            let before = body.clone();
            listed |= value.is_array();
            if set(&mut body, &pointer, value) && !valid(&body) && valid(&before) {
                body = before;
            }
        }
        if !problems.is_empty() && !listed && body.is_object() {
            let before = body.clone();
            body["details"] = details(problems);
            if !valid(&body) {
                body = before;
            }
        }
        let mut r = Reply::json(status, &content_type(media), &body);
        self.documented_headers(response, &mut r);
        r
    }

    /// The edits (pointer, value) that make `value` tell the truth.
    fn fills(
        &self,
        value: &Value,
        schema: Option<&str>,
        truth: &Truth<'_>,
        at: &str,
        depth: usize,
        edits: &mut Vec<(String, Value)>,
    ) {
        if depth > 6 {
            return;
        }
        let problems = truth.problems;
        let Value::Object(m) = value else { return };
        let here = |k: &str| decoy_spec::pointer::push(at, k);
        let child = |k: &str| schema.and_then(|s| self.field(s, k));
        let message_key = MESSAGE_KEYS
            .iter()
            .find(|k| m.get(**k).is_some_and(Value::is_string))
            .copied();
        for (k, v) in m {
            let key = k.as_str();
            // A list of problems: one item per problem, in the document's
            // item shape (its first item, else one made from its schema).
            if let Value::Array(items) = v
                && !problems.is_empty()
            {
                let made = || {
                    let items = format!("{}/items", child(key)?);
                    Some(self.bodies.schema(&items, u64::from(truth.status)))
                };
                if let Some(template) = items.first().cloned().or_else(made)
                    && is_problem_item(&template)
                {
                    let list = problems
                        .iter()
                        .map(|p| problem_item(&template, p, truth))
                        .collect();
                    edits.push((here(key), Value::Array(list)));
                    continue;
                }
            }
            match v {
                Value::String(_) if Some(key) == message_key => {
                    edits.push((here(key), Value::String(truth.message.to_owned())));
                }
                Value::String(_) if REASON_KEYS.contains(&key) => {
                    edits.push((here(key), Value::String(truth.reason.to_owned())));
                }
                // The field an error is about: the first problem's, never
                // the one an example happened to name.
                Value::String(_) if FIELD_KEYS.contains(&key) && !problems.is_empty() => {
                    edits.push((here(key), Value::String(problems[0].pointer.clone())));
                }
                Value::Number(_) if STATUS_KEYS.contains(&key) => {
                    edits.push((here(key), Value::from(truth.status)));
                }
                // A numeric code in HTTP's range states the status; others
                // are the API's own numbering, unknown to decoy.
                Value::Number(n)
                    if CODE_KEYS.contains(&key)
                        && n.as_f64().is_some_and(|c| (100.0..600.0).contains(&c)) =>
                {
                    edits.push((here(key), Value::from(truth.status)));
                }
                Value::String(s) if STATUS_KEYS.contains(&key) && s.parse::<u16>().is_ok() => {
                    edits.push((here(key), Value::String(truth.status.to_string())));
                }
                Value::String(s) if STATUS_KEYS.contains(&key) || CODE_KEYS.contains(&key) => {
                    let pointer = here(key);
                    if let Some(code) = self.code(schema, key, &pointer, s, truth) {
                        edits.push((pointer, Value::String(code)));
                    }
                }
                Value::Object(_) => {
                    let s = child(key);
                    self.fills(v, s.as_deref(), truth, &here(key), depth + 1, edits);
                }
                Value::Array(items) => {
                    let s = child(key).map(|s| format!("{s}/items"));
                    for (i, item) in items.iter().enumerate() {
                        let at = decoy_spec::pointer::push(&here(key), &i.to_string());
                        self.fills(item, s.as_deref(), truth, &at, depth + 1, edits);
                    }
                }
                _ => {}
            }
        }
    }

    /// The code for this error from the document's vocabulary: the member
    /// of the field's `enum` that names the status; for an open string, the
    /// field's `examples` or the document's error examples at this place,
    /// else the reason phrase in the case the document writes codes in.
    fn code(
        &self,
        schema: Option<&str>,
        key: &str,
        pointer: &str,
        current: &str,
        truth: &Truth<'_>,
    ) -> Option<String> {
        // Codes the document's error examples use at this field.
        let documented: Vec<Value> = self
            .spec
            .operations()
            .iter()
            .flat_map(|o| &o.responses)
            .filter(|r| matches!(r.status, StatusKey::Code(400..=599)))
            .flat_map(|r| &r.content)
            .flat_map(|m| &m.examples)
            .filter_map(|e| self.spec.get(e.value.as_deref()?)?.pointer(pointer))
            .filter(|v| v.is_string())
            .cloned()
            .collect();
        let field = schema.and_then(|s| self.field(s, key));
        let field = field
            .as_deref()
            .and_then(|f| self.spec.resolve(f).ok())
            .map(|(f, _)| f);
        let closed = field.and_then(|f| f.get("enum")).and_then(Value::as_array);
        let open_examples = field
            .and_then(|f| f.get("examples"))
            .and_then(Value::as_array);
        let words = status_words(truth.status, truth.reason);
        let named = |list: &mut dyn Iterator<Item = &Value>| {
            list.filter_map(Value::as_str)
                .map(|c| (score(c, &words), c))
                .filter(|(s, _)| *s > 0)
                .max_by_key(|(s, c)| (*s, std::cmp::Reverse(c.len())))
                .map(|(_, c)| c.to_owned())
        };
        if let Some(list) = closed {
            return named(&mut list.iter());
        }
        let open = open_examples.into_iter().flatten().chain(&documented);
        if let Some(code) = named(&mut open.into_iter()) {
            return Some(code);
        }
        // A worded `status` ("error", "fail") is the API's own: kept.
        if !CODE_KEYS.contains(&key) {
            return None;
        }
        let like = open_examples
            .and_then(|l| l.iter().find_map(Value::as_str))
            .unwrap_or(current);
        Some(in_case_of(truth.reason, like))
    }

    /// The pointer to the schema of property `key` of the object schema at
    /// `pointer`, through `$ref` and every branch of `allOf`/`anyOf`/`oneOf`.
    pub(super) fn field(&self, pointer: &str, key: &str) -> Option<String> {
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
            if s.pointer(&decoy_spec::pointer::push("/properties", key))
                .is_some()
            {
                return Some(decoy_spec::pointer::push(&format!("{at}/properties"), key));
            }
            for branch in ["allOf", "anyOf", "oneOf"] {
                if let Some(Value::Array(all)) = s.get(branch) {
                    for k in (0..all.len()).rev() {
                        stack.push(format!("{at}/{branch}/{k}"));
                    }
                }
            }
        }
        None
    }

    fn is_plain_string(&self, pointer: &str) -> bool {
        self.spec.resolve(pointer).is_ok_and(|(s, _)| {
            let string = match s.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            string
                && s.get("enum").is_none()
                && s.get("const").is_none()
                && s.get("pattern").is_none()
        })
    }
}

/// Sets the value at a JSON pointer; `false` if the place does not exist.
fn set(body: &mut Value, pointer: &str, value: Value) -> bool {
    if pointer.is_empty() {
        *body = value;
        return true;
    }
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return false;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match body.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.insert(last, value);
            true
        }
        Some(Value::Array(a)) => match last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// Whether a list item says what is wrong (an object with a message).
fn is_problem_item(item: &Value) -> bool {
    item.as_object().is_some_and(|m| {
        MESSAGE_KEYS
            .iter()
            .any(|k| m.get(*k).is_some_and(Value::is_string))
    })
}

/// One item of a problem list, from the document's item, for one problem.
fn problem_item(template: &Value, p: &Problem, truth: &Truth<'_>) -> Value {
    let Value::Object(m) = template else {
        return template.clone();
    };
    let mut out = Map::new();
    for (k, v) in m {
        let key = k.as_str();
        let v = match v {
            Value::String(_) if MESSAGE_KEYS.contains(&key) => Value::String(p.message.clone()),
            Value::String(_) if POINTER_KEYS.contains(&key) => Value::String(p.pointer.clone()),
            Value::String(_) if LOCATION_KEYS.contains(&key) => Value::String(p.location.into()),
            // `loc: ["query", "page"]`: the location, then the path to it.
            Value::Array(_) if key == "loc" => Value::Array(
                std::iter::once(p.location.to_owned())
                    .chain(p.pointer.split('/').skip(1).map(|s| s.replace("~1", "/")))
                    .map(Value::String)
                    .collect(),
            ),
            Value::Number(_) if STATUS_KEYS.contains(&key) => Value::from(truth.status),
            v => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

pub(super) fn details(problems: &[Problem]) -> Value {
    Value::Array(
        problems
            .iter()
            .map(|p| json!({"in": p.location, "pointer": p.pointer, "message": p.message}))
            .collect(),
    )
}

/// The words that name a status: its reason phrase's, and the words APIs
/// commonly use for it (HTTP semantics, no API in particular).
fn status_words(status: u16, reason: &str) -> Vec<String> {
    let extra: &[&str] = match status {
        400 => &["invalid", "validation", "malformed", "bad"],
        401 => &[
            "unauthenticated",
            "authentication",
            "credentials",
            "unauthorized",
        ],
        403 => &["permission", "denied", "forbidden"],
        404 => &["found", "missing"],
        405 => &["method"],
        408 => &["timeout"],
        409 => &["conflict", "exists", "duplicate"],
        413 => &["large", "size"],
        415 => &["media", "unsupported"],
        422 => &["validation", "invalid", "unprocessable"],
        429 => &["rate", "limit", "limited", "throttled"],
        500..=599 => &["internal", "server", "unavailable", "unexpected"],
        _ => &[],
    };
    words(reason)
        .into_iter()
        .chain(extra.iter().map(|s| (*s).to_owned()))
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

/// Words of a code that name the status, less those that name something
/// else (`invalid_output_format` is about one field, not any 400).
fn score(code: &str, status_words: &[String]) -> i32 {
    words(code)
        .iter()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| if status_words.contains(w) { 1 } else { -1 })
        .sum()
}

/// Words that name no status in particular.
const STOP_WORDS: &[&str] = &[
    "not",
    "too",
    "request",
    "error",
    "the",
    "of",
    "failed",
    "exception",
    "http",
    "api",
    "err",
    "code",
];

/// Lower-case words of a phrase or a code in any case style.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// A phrase written in the case style of `like`: `NOT_FOUND`, `not_found`,
/// `not-found`, `notFound` or `NotFound`.
fn in_case_of(phrase: &str, like: &str) -> String {
    let w = words(phrase);
    let letters = || like.chars().filter(|c| c.is_alphabetic());
    if like.contains('-') {
        return w.join("-");
    }
    if like.contains('_') || like.contains(' ') || like.is_empty() {
        let joined = w.join("_");
        return if letters().all(char::is_uppercase) && !like.is_empty() {
            joined.to_uppercase()
        } else {
            joined
        };
    }
    if letters().all(char::is_uppercase) {
        return w.join("_").to_uppercase();
    }
    let camel: String = w
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut c = s.chars();
            match c.next() {
                Some(f) if i > 0 || like.starts_with(char::is_uppercase) => {
                    f.to_uppercase().chain(c).collect()
                }
                _ => s.clone(),
            }
        })
        .collect();
    camel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_documents_case() {
        assert_eq!(
            in_case_of("Method Not Allowed", "VALIDATION_ERROR"),
            "METHOD_NOT_ALLOWED"
        );
        assert_eq!(
            in_case_of("Method Not Allowed", "invalid_request"),
            "method_not_allowed"
        );
        assert_eq!(in_case_of("Not Found", "badRequest"), "notFound");
        assert_eq!(in_case_of("Not Found", "BadRequest"), "NotFound");
        assert_eq!(in_case_of("Not Found", "bad-request"), "not-found");
        assert_eq!(in_case_of("Not Found", ""), "not_found");
        let w = status_words(405, "Method Not Allowed");
        assert!(score("NOT_FOUND", &w) < 1);
        assert_eq!(score("METHOD_NOT_ALLOWED", &w), 2);
        assert_eq!(
            score("invalidRequest", &status_words(400, "Bad Request")),
            1
        );
    }
}
