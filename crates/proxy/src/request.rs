//! The request half of an exchange against the document: route, security,
//! parameters and body, with the same rules `decoy mock` enforces, each
//! problem with a JSON pointer into the request and, for schema problems,
//! into the document.

use bytes::Bytes;
use decoy_conform::{SchemaViolation, media_range_covers};
use decoy_spec::pointer::push;
use decoy_spec::wire::{Read, Sent};
use decoy_spec::{Operation, ParameterLocation, SecurityScheme, Spec, wire};
use decoy_validate::Validators;
use hyper::HeaderMap;
use hyper::header;
use serde_json::Value;

/// Which rule a request broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Rule {
    /// No operation has this method and path (404 or 405 from a mock).
    Route,
    /// The operation's security requirements are not met (401).
    Auth,
    /// A parameter is missing or breaks its schema (400).
    Parameters,
    /// The body is missing, in an undeclared media type, not JSON or
    /// breaks its schema (400, 415).
    Body,
}

impl Rule {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Rule::Route => "request-route",
            Rule::Auth => "request-auth",
            Rule::Parameters => "request-parameters",
            Rule::Body => "request-body",
        }
    }
}

/// One problem with a request.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub(crate) rule: Rule,
    /// What went wrong, in a sentence.
    pub(crate) message: String,
    /// What `decoy mock` answers it (an undocumented 415 or 413 to such a
    /// request is not held against the upstream, as in `decoy test`).
    pub(crate) status: u16,
    /// Schema violations, their instance pointers into the request
    /// (`/query/limit`, `/body/transfer_to`).
    pub(crate) violations: Vec<SchemaViolation>,
}

impl Problem {
    pub(crate) fn new(rule: Rule, message: String) -> Problem {
        let status = match rule {
            Rule::Route => 404,
            Rule::Auth => 401,
            _ => 400,
        };
        Problem {
            rule,
            message,
            status,
            violations: Vec::new(),
        }
    }
}

/// A request as the checks see it.
pub(crate) struct View<'a> {
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    /// The whole body, or `None` when it was too large to read.
    pub(crate) body: Option<&'a Bytes>,
}

/// Checks a routed request against `op`; `params` are its path parameters.
pub(crate) fn check(
    spec: &Spec,
    validators: &Validators,
    op: &Operation,
    params: &[(String, String)],
    view: &View<'_>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    if !authorized(spec, op, view) {
        let schemes: Vec<String> = op
            .security
            .iter()
            .map(|r| {
                let names: Vec<&str> = r.schemes.iter().map(|(n, _)| n.as_str()).collect();
                names.join(" + ")
            })
            .collect();
        out.push(Problem::new(
            Rule::Auth,
            format!(
                "missing credentials: the operation requires {}",
                schemes.join(" or ")
            ),
        ));
    }
    parameters(spec, validators, op, params, view, &mut out);
    body(validators, op, view, &mut out);
    out
}

fn authorized(spec: &Spec, op: &Operation, view: &View<'_>) -> bool {
    op.security.is_empty()
        || op.security.iter().any(|req| {
            req.schemes
                .iter()
                .all(|(name, _)| scheme_met(spec.security_scheme(name), view))
        })
}

/// Whether credentials for a scheme are present (the proxy cannot know
/// whether they are right; the implementation says so).
fn scheme_met(scheme: Option<SecurityScheme>, view: &View<'_>) -> bool {
    let credentials = |scheme: &str| {
        let v = view
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        v.split_once(' ')
            .is_some_and(|(s, t)| s.eq_ignore_ascii_case(scheme) && !t.trim().is_empty())
    };
    match scheme {
        None => true,
        Some(SecurityScheme::Http { scheme }) if scheme == "basic" => credentials("basic"),
        Some(SecurityScheme::ApiKey { name, location }) => {
            let key = match location {
                ParameterLocation::Query => wire::query_pairs(view.query)
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v),
                ParameterLocation::Cookie => {
                    let values = view.headers.get_all(header::COOKIE);
                    wire::cookie(values.iter().filter_map(|v| v.to_str().ok()), &name)
                }
                _ => view
                    .headers
                    .get(name.as_str())
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            };
            key.is_some_and(|v| !v.is_empty())
        }
        // Mutual TLS happens below HTTP, where a proxy cannot see it.
        Some(SecurityScheme::Other { kind }) if kind == "mutualTLS" => true,
        Some(_) => credentials("bearer"),
    }
}

fn parameters(
    spec: &Spec,
    validators: &Validators,
    op: &Operation,
    params: &[(String, String)],
    view: &View<'_>,
    out: &mut Vec<Problem>,
) {
    let mut problem = Problem::new(Rule::Parameters, String::new());
    let mut messages = Vec::new();
    let sent = Sent {
        path: params.to_vec(),
        query: wire::query_pairs(view.query).collect(),
        headers: view
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    for p in &op.parameters {
        let at = push(&format!("/{}", p.location.as_str()), &p.name);
        let value = match sent.read(spec, op, p) {
            Read::Value(v) => v,
            Read::Empty | Read::Ignored => continue,
            Read::Absent => {
                if p.required {
                    messages.push(format!("{at}: required parameter is missing"));
                    problem.violations.push(SchemaViolation {
                        instance_pointer: at,
                        schema_pointer: format!("{}/required", p.pointer),
                        keyword: "required".into(),
                        message: "required parameter is missing".into(),
                    });
                }
                continue;
            }
        };
        let Some(schema) = &p.schema else { continue };
        let Ok(validator) = validators.compile(schema) else {
            continue;
        };
        for v in validator.validate(&value) {
            messages.push(format!("{at}{}: {}", v.instance_pointer, v.message));
            problem.violations.push(SchemaViolation {
                instance_pointer: format!("{at}{}", v.instance_pointer),
                schema_pointer: v.schema_pointer,
                keyword: v.keyword,
                message: v.message,
            });
        }
    }
    if !messages.is_empty() {
        problem.message = format!("invalid parameters: {}", messages.join("; "));
        out.push(problem);
    }
}

fn body(validators: &Validators, op: &Operation, view: &View<'_>, out: &mut Vec<Problem>) {
    let Some(rb) = &op.request_body else { return };
    let Some(bytes) = view.body else { return };
    if bytes.is_empty() {
        if rb.required {
            out.push(Problem::new(
                Rule::Body,
                "a request body is required".into(),
            ));
        }
        return;
    }
    let sent = view
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let Some(media) = sent
        .as_deref()
        .and_then(|s| rb.content.iter().find(|m| media_range_covers(&m.name, s)))
    else {
        let accepted: Vec<&str> = rb.content.iter().map(|m| m.name.as_str()).collect();
        let sent = sent.map_or("no Content-Type".to_owned(), |c| {
            format!("Content-Type {c}")
        });
        let mut p = Problem::new(
            Rule::Body,
            format!(
                "{sent} is not accepted here; the document takes {}",
                accepted.join(", ")
            ),
        );
        p.status = 415;
        out.push(p);
        return;
    };
    if !media.is_json() {
        return;
    }
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            out.push(Problem::new(
                Rule::Body,
                format!("the body is not JSON: {e}"),
            ));
            return;
        }
    };
    let Some(validator) = media
        .schema
        .as_deref()
        .and_then(|s| validators.compile(s).ok())
    else {
        return;
    };
    let violations: Vec<SchemaViolation> = validator
        .validate(&value)
        .into_iter()
        .map(|v| SchemaViolation {
            instance_pointer: format!("/body{}", v.instance_pointer),
            schema_pointer: v.schema_pointer,
            keyword: v.keyword,
            message: v.message,
        })
        .collect();
    if let Some(first) = violations.first() {
        let more = match violations.len() {
            1 => String::new(),
            n => format!(" (+{} more)", n - 1),
        };
        let mut p = Problem::new(
            Rule::Body,
            format!(
                "the body breaks its schema: {}: {}{more}",
                first.instance_pointer, first.message
            ),
        );
        p.violations = violations;
        out.push(p);
    }
}
