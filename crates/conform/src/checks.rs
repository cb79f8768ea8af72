//! The checks every response goes through, and the ones that depend on what
//! the request was meant to provoke.

use decoy_spec::{Operation, is_json_media_type};
use decoy_validate::Validators;
use serde_json::Value;

use crate::client::{Exchange, Failure};
use crate::report::{SchemaViolation, clip};
use crate::{Check, Config};

/// What a request was built to provoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expect {
    /// A valid request: any documented answer will do.
    Valid,
    /// Invalid input (`what` says how): a documented 4xx.
    Invalid(String),
    /// A body in a media type the operation does not take: 4xx (415 even
    /// when undocumented).
    MediaType,
    /// A large but valid body: no crash; 413 is fine even when undocumented.
    Large,
    /// No credentials: refused.
    NoAuth,
    /// Invalid credentials: refused.
    BadAuth,
}

/// A finding before it has a reproduction.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub(crate) check: Check,
    /// What makes two findings the same one (check, operation, detail).
    pub(crate) signature: String,
    pub(crate) message: String,
    pub(crate) status: Option<u16>,
    pub(crate) violations: Vec<SchemaViolation>,
    pub(crate) body: Option<Value>,
    pub(crate) diff: Option<String>,
}

impl Draft {
    pub(crate) fn new(check: Check, op: &str, detail: &str, message: String) -> Draft {
        Draft {
            check,
            signature: format!("{}|{op}|{detail}", check.name()),
            message,
            status: None,
            violations: Vec::new(),
            body: None,
            diff: None,
        }
    }
}

/// Violations kept per finding.
const MAX_VIOLATIONS: usize = 20;
/// Longest violation message kept, in bytes.
const MAX_MESSAGE: usize = 300;
/// Largest body a finding keeps as JSON; a larger one is kept as cut text.
const BODY_EXCERPT: usize = 64 * 1024;

/// The body as a report shows it: JSON when it parses, else text, cut short.
pub(crate) fn body_value(bytes: &[u8]) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    if bytes.len() <= BODY_EXCERPT
        && let Ok(v) = serde_json::from_slice::<Value>(bytes)
    {
        return Some(v);
    }
    Some(Value::String(clip(&String::from_utf8_lossy(bytes), 4096)))
}

/// Whether a documented media range covers a received media type.
pub(crate) fn media_matches(range: &str, actual: &str) -> bool {
    let range = decoy_spec::media::essence(range);
    if range == actual || range == "*/*" {
        return true;
    }
    match range.strip_suffix("/*") {
        Some(kind) => actual.split('/').next() == Some(kind),
        None => false,
    }
}

/// The checks that look at this outcome (enabled ones only), so a report
/// can tell a check that passed from one that never ran.
pub(crate) fn applied(
    config: &Config,
    op: &Operation,
    expect: &Expect,
    outcome: &Result<Exchange, Failure>,
) -> Vec<Check> {
    let mut out = vec![Check::Transport];
    if let Ok(ex) = outcome {
        out.extend([Check::ServerError, Check::StatusDocumented]);
        if let Some(r) = op.response(ex.status) {
            if r.headers.iter().any(|h| h.required) {
                out.push(Check::RequiredHeaders);
            }
            if !r.content.is_empty() {
                out.push(Check::ContentType);
            }
            if r.content.iter().any(|m| m.is_json() && m.schema.is_some()) {
                out.push(Check::ResponseSchema);
            }
        }
        out.push(match expect {
            Expect::Valid | Expect::Large => Check::Transport,
            Expect::Invalid(_) | Expect::MediaType => Check::NegativeRejected,
            Expect::NoAuth => Check::AuthRequired,
            Expect::BadAuth => Check::AuthInvalid,
        });
    }
    out.retain(|c| config.enabled(*c));
    out
}

pub(crate) fn check(
    config: &Config,
    validators: &Validators,
    op: &Operation,
    expect: &Expect,
    outcome: &Result<Exchange, Failure>,
) -> Vec<Draft> {
    let name = op.name();
    let mut out = Vec::new();
    let ex = match outcome {
        Ok(ex) => ex,
        Err(failure) => {
            let detail = match failure {
                Failure::Timeout(_) => "timeout",
                Failure::TooLarge(_) => "too-large",
                Failure::Broken(_) => "broken",
            };
            out.push(Draft::new(
                Check::Transport,
                &name,
                detail,
                failure.to_string(),
            ));
            return filter(config, out);
        }
    };
    let status = ex.status;
    let mut push = |mut d: Draft| {
        d.status = Some(status);
        if d.body.is_none() {
            d.body = body_value(&ex.body);
        }
        out.push(d);
    };
    if status >= 500 {
        push(Draft::new(
            Check::ServerError,
            &name,
            &format!("{}xx", status / 100),
            format!("the server answered {status}"),
        ));
    }
    let documented = op.response(status);
    let lenient = (status == 413 && *expect == Expect::Large)
        || (status == 415 && *expect == Expect::MediaType)
        || (status == 413 && matches!(expect, Expect::Invalid(_)));
    if documented.is_none() && !lenient {
        let known: Vec<String> = op.responses.iter().map(|r| r.status.to_string()).collect();
        push(Draft::new(
            Check::StatusDocumented,
            &name,
            &status.to_string(),
            format!(
                "status {status} is not documented (documented: {})",
                known.join(", ")
            ),
        ));
    }
    match expect {
        Expect::Invalid(what) if status < 400 => push(Draft::new(
            Check::NegativeRejected,
            &name,
            "invalid",
            format!("invalid input was accepted with {status}: {what}"),
        )),
        Expect::MediaType if status < 400 => push(Draft::new(
            Check::NegativeRejected,
            &name,
            "media-type",
            format!("a text/plain body was accepted with {status}"),
        )),
        Expect::NoAuth if status < 400 => push(Draft::new(
            Check::AuthRequired,
            &name,
            "missing",
            format!(
                "a request without credentials got {status}; the operation requires authentication"
            ),
        )),
        Expect::BadAuth if status < 400 => push(Draft::new(
            Check::AuthInvalid,
            &name,
            "invalid",
            format!("a request with invalid credentials got {status}"),
        )),
        _ => {}
    }
    let Some(response) = documented else {
        return filter(config, out);
    };
    for h in response.headers.iter().filter(|h| h.required) {
        if h.name.eq_ignore_ascii_case("content-type") {
            continue;
        }
        if ex.header(&h.name).is_none() {
            push(Draft::new(
                Check::RequiredHeaders,
                &name,
                &format!("{status}:{}", h.name.to_ascii_lowercase()),
                format!(
                    "required header `{}` is missing from the {status} response",
                    h.name
                ),
            ));
        }
    }
    if response.content.is_empty() {
        return filter(config, out);
    }
    let received = ex
        .header("content-type")
        .map(|ct| decoy_spec::media::essence(ct).into_owned());
    let media = match &received {
        Some(ct) => response.content.iter().find(|m| media_matches(&m.name, ct)),
        None => None,
    };
    if media.is_none() {
        let declared: Vec<&str> = response.content.iter().map(|m| m.name.as_str()).collect();
        let got = received.clone().unwrap_or_else(|| "no Content-Type".into());
        push(Draft::new(
            Check::ContentType,
            &name,
            &format!("{status}:{got}"),
            format!(
                "{got} is not a declared media type of the {status} response ({})",
                declared.join(", ")
            ),
        ));
    }
    // Validate against the declared JSON schema even when the media type is
    // wrong: a JSON body labelled text/plain may be wrong in more ways.
    let json_media = media.filter(|m| m.is_json()).or_else(|| {
        response
            .content
            .iter()
            .find(|m| m.is_json() && received.as_deref().is_none_or(|r| !is_json_media_type(r)))
    });
    if let Some(schema) = json_media.and_then(|m| m.schema.as_deref()) {
        match serde_json::from_slice::<Value>(&ex.body) {
            Err(e) => push(Draft::new(
                Check::ResponseSchema,
                &name,
                &format!("{status}:not-json"),
                format!("the {status} body is not JSON: {e}"),
            )),
            Ok(body) => {
                let mut violations = match validators.compile(schema) {
                    Ok(v) => explain(validators, &body, v.validate(&body), 0),
                    Err(_) => Vec::new(),
                };
                // A report holds excerpts, never whole bodies: a message
                // quoting a 10 MB instance is cut, and at most 20 are kept.
                violations.truncate(MAX_VIOLATIONS);
                for v in &mut violations {
                    if v.message.len() > MAX_MESSAGE {
                        v.message = clip(&v.message, MAX_MESSAGE);
                    }
                }
                if !violations.is_empty() {
                    let mut keys: Vec<&str> = violations
                        .iter()
                        .map(|v| v.schema_pointer.as_str())
                        .collect();
                    keys.sort_unstable();
                    keys.dedup();
                    let first = &violations[0];
                    let at = if first.instance_pointer.is_empty() {
                        "(root)"
                    } else {
                        &first.instance_pointer
                    };
                    let more = if violations.len() > 1 {
                        format!(" (+{} more)", violations.len() - 1)
                    } else {
                        String::new()
                    };
                    let mut d = Draft::new(
                        Check::ResponseSchema,
                        &name,
                        &format!("{status}:{}", keys.join(",")),
                        format!(
                            "the {status} body breaks its schema: {at}: {}{more}",
                            first.message
                        ),
                    );
                    d.violations = violations
                        .into_iter()
                        .map(|v| SchemaViolation {
                            instance_pointer: v.instance_pointer,
                            schema_pointer: v.schema_pointer,
                            keyword: v.keyword,
                            message: v.message,
                        })
                        .collect();
                    d.body = if ex.body.len() <= BODY_EXCERPT {
                        Some(body)
                    } else {
                        body_value(&ex.body)
                    };
                    push(d);
                }
            }
        }
    }
    filter(config, out)
}

fn filter(config: &Config, mut drafts: Vec<Draft>) -> Vec<Draft> {
    drafts.retain(|d| config.enabled(d.check));
    drafts
}

/// Replaces an `anyOf`/`oneOf` failure by the failures inside its closest
/// branch, so a bad value deep in a nullable object is reported where it
/// is (`/report/transcript/entries/3/source`), not as "matches no branch".
fn explain(
    validators: &Validators,
    root: &Value,
    violations: Vec<decoy_validate::Violation>,
    depth: u32,
) -> Vec<decoy_validate::Violation> {
    if depth > 4 {
        return violations;
    }
    let mut out = Vec::new();
    for v in violations {
        if !matches!(v.keyword.as_str(), "anyOf" | "oneOf") {
            out.push(v);
            continue;
        }
        let Some(instance) = root.pointer(&v.instance_pointer) else {
            out.push(v);
            continue;
        };
        let mut best: Option<Vec<decoy_validate::Violation>> = None;
        for i in 0..16 {
            let Ok(branch) = validators.compile(&format!("{}/{i}", v.schema_pointer)) else {
                break;
            };
            let inner = branch.validate(instance);
            // A branch of another type altogether is not the one meant.
            if inner.is_empty()
                || inner
                    .iter()
                    .any(|x| x.instance_pointer.is_empty() && x.keyword == "type")
            {
                continue;
            }
            if best.as_ref().is_none_or(|b| inner.len() < b.len()) {
                best = Some(inner);
            }
        }
        match best {
            Some(inner) => {
                let inner: Vec<decoy_validate::Violation> = inner
                    .into_iter()
                    .map(|mut x| {
                        x.instance_pointer =
                            format!("{}{}", v.instance_pointer, x.instance_pointer);
                        x
                    })
                    .collect();
                out.extend(explain(validators, root, inner, depth + 1));
            }
            None => out.push(v),
        }
    }
    out
}
