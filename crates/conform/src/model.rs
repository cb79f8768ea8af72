//! What the runner knows about each operation: how to build a request from
//! generated values, which proptest strategy generates them, and which
//! values count as known ids.

use crate::erased::{EraseExt, Erased};
use decoy_spec::{Operation, ParameterLocation, Spec};
use decoy_synth::{Generator, Plan};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use serde_json::Value;

use crate::Config;
use crate::auth::{self, Credential};
use crate::client::{Auth, Payload, Request};

/// Unreserved characters (RFC 3986) stay; everything else in a path segment
/// or query value is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(crate) fn encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Generated inputs of one request, in the order of [`OpModel::params`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Input {
    pub(crate) params: Vec<Option<Value>>,
    pub(crate) body: Option<Value>,
}

pub(crate) struct ParamModel {
    pub(crate) name: String,
    pub(crate) location: ParameterLocation,
    pub(crate) required: bool,
    pub(crate) plan: Option<Plan>,
}

pub(crate) struct BodyModel {
    pub(crate) required: bool,
    pub(crate) media: String,
    pub(crate) plan: Option<Plan>,
    /// The schema pointer, to check that an "invalid" body really is.
    pub(crate) schema: Option<String>,
}

pub(crate) struct OpModel {
    pub(crate) name: String,
    pub(crate) method: String,
    pub(crate) path: String,
    /// Whether some security requirement must be met (an empty requirement
    /// `{}` among the alternatives makes credentials optional).
    pub(crate) protected: bool,
    pub(crate) params: Vec<ParamModel>,
    pub(crate) body: Option<BodyModel>,
    /// Known values per path parameter, tried first.
    pub(crate) known: Vec<Vec<String>>,
    /// `--auth` credentials this operation is sent with.
    pub(crate) creds: Vec<Credential>,
    /// Request bodies from the document's examples, valid against the
    /// schema: sent before generated ones.
    pub(crate) examples: Vec<Value>,
    /// What the document makes impossible to generate: an optional part
    /// left out (the operation is still tested), or, with `unusable`, a
    /// required one (the operation is never sent).
    pub(crate) cannot: Vec<String>,
    pub(crate) unusable: bool,
}

impl OpModel {
    pub(crate) fn build(
        spec: &Spec,
        generator: &Generator,
        config: &Config,
        op: &Operation,
    ) -> OpModel {
        let mut cannot = Vec::new();
        let mut unusable = false;
        let mut plan = |pointer: &str, what: &str, required: bool| match generator.plan(pointer) {
            Ok(p) => Some(p),
            Err(e) => {
                let effect = if required {
                    "the operation is not sent"
                } else {
                    "it is left out"
                };
                cannot.push(format!(
                    "{}: {what} cannot be generated ({e}); {effect}",
                    op.name()
                ));
                unusable |= required;
                None
            }
        };
        let mut params = Vec::new();
        let mut known = Vec::new();
        for p in &op.parameters {
            if p.location == ParameterLocation::Cookie {
                continue;
            }
            // Credentials are ours to send; a documented Authorization header
            // parameter is not generated.
            if p.location == ParameterLocation::Header
                && p.name.eq_ignore_ascii_case("authorization")
            {
                continue;
            }
            let what = format!("{} parameter `{}`", p.location.as_str(), p.name);
            let plan = match p.schema.as_deref() {
                Some(s) => match plan(s, &what, p.required) {
                    Some(plan) => Some(plan),
                    None if p.required => None,
                    None => continue,
                },
                None => None,
            };
            if p.location == ParameterLocation::Path {
                known.push(known_values(spec, config, &p.name));
            }
            params.push(ParamModel {
                name: p.name.clone(),
                location: p.location,
                required: p.required,
                plan,
            });
        }
        let body = match &op.request_body {
            Some(rb) => {
                let media = rb
                    .content
                    .iter()
                    .find(|m| m.is_json())
                    .or(rb.content.first());
                media.map(|m| BodyModel {
                    required: rb.required,
                    media: if m.name.contains('*') {
                        "application/json".into()
                    } else {
                        m.name.clone()
                    },
                    plan: match &m.schema {
                        Some(s) if m.is_json() => plan(s, "the request body", rb.required),
                        _ => None,
                    },
                    schema: m.schema.clone(),
                })
            }
            None => None,
        };
        let examples = request_examples(spec, op);
        let protected =
            !op.security.is_empty() && op.security.iter().all(|r| !r.schemes.is_empty());
        OpModel {
            name: op.name(),
            method: op.method.clone(),
            path: op.path.clone(),
            protected,
            params,
            body,
            known,
            creds: auth::for_operation(spec, config, op),
            examples,
            cannot,
            unusable,
        }
    }

    /// The strategy of valid inputs. Path parameters prefer known ids, then
    /// schema values, then odd but valid strings (spaces, non-ASCII, very
    /// long), which is where servers crash; shrinking moves towards the
    /// known ids.
    pub(crate) fn strategy(&self, edge: &dyn Fn(&ParamModel, &str) -> bool) -> Erased<Input> {
        let mut path_i = 0;
        let mut parts: Vec<Erased<Option<Value>>> = Vec::new();
        for p in &self.params {
            let generated: Option<Erased<Value>> =
                p.plan.as_ref().map(|plan| plan.strategy().erased());
            let s = if p.location == ParameterLocation::Path {
                let known: Vec<Value> = self.known[path_i]
                    .iter()
                    .cloned()
                    .map(Value::String)
                    .collect();
                path_i += 1;
                let odd: Vec<Value> = EDGE_STRINGS
                    .iter()
                    .map(|s| s.to_string())
                    .chain(std::iter::once("x".repeat(300)))
                    .filter(|s| edge(p, s))
                    .map(Value::String)
                    .collect();
                let mut options: Vec<(u32, Erased<Value>)> = Vec::new();
                if !known.is_empty() {
                    options.push((5, proptest::sample::select(known).erased()));
                }
                if let Some(g) = generated {
                    // An empty, `.` or `..` segment changes which route the
                    // server matches, whatever the schema allows.
                    let g = g
                        .prop_filter("a path segment that stays one", |v| {
                            segment_stays(&scalar(v))
                        })
                        .erased();
                    options.push((3, g));
                }
                if !odd.is_empty() {
                    options.push((1, proptest::sample::select(odd).erased()));
                }
                if options.is_empty() {
                    Just(Some(Value::String("1".into()))).erased()
                } else {
                    proptest::strategy::Union::new_weighted(options)
                        .prop_map(Some)
                        .erased()
                }
            } else {
                match generated {
                    Some(g) if p.required => g.prop_map(Some).erased(),
                    Some(g) => proptest::option::weighted(0.5, g).erased(),
                    None => Just(None).erased(),
                }
            };
            parts.push(s);
        }
        let body: Erased<Option<Value>> = match &self.body {
            Some(BodyModel {
                plan: Some(plan),
                required: true,
                ..
            }) => plan.strategy().prop_map(Some).erased(),
            Some(BodyModel {
                plan: Some(plan),
                required: false,
                ..
            }) => proptest::option::weighted(0.8, plan.strategy()).erased(),
            _ => Just(None).erased(),
        };
        (parts, body)
            .prop_map(|(params, body)| Input { params, body })
            .erased()
    }

    /// The request for `input`.
    pub(crate) fn request(&self, input: &Input, auth: Auth) -> Request {
        let mut target = String::new();
        let mut query = Vec::new();
        let mut headers = Vec::new();
        let mut path_values: Vec<(&str, String)> = Vec::new();
        for (p, v) in self.params.iter().zip(&input.params) {
            let Some(v) = v else { continue };
            match p.location {
                ParameterLocation::Path => path_values.push((&p.name, scalar(v))),
                ParameterLocation::Query => match v {
                    Value::Array(items) => {
                        for item in items {
                            query.push(format!("{}={}", encode(&p.name), encode(&scalar(item))));
                        }
                    }
                    Value::Object(map) => {
                        for (k, item) in map {
                            query.push(format!("{}={}", encode(k), encode(&scalar(item))));
                        }
                    }
                    v => query.push(format!("{}={}", encode(&p.name), encode(&scalar(v)))),
                },
                ParameterLocation::Header => {
                    let text = match v {
                        Value::Array(items) => {
                            items.iter().map(scalar).collect::<Vec<_>>().join(",")
                        }
                        v => scalar(v),
                    };
                    // A value a header cannot carry is not a test of the API.
                    if hyper::header::HeaderValue::from_str(&text).is_ok() {
                        headers.push((p.name.clone(), text));
                    }
                }
                ParameterLocation::Cookie => {}
            }
        }
        fill_template(&mut target, &self.path, &path_values);
        if !query.is_empty() {
            target.push('?');
            target.push_str(&query.join("&"));
        }
        let body = match (&self.body, &input.body) {
            (Some(b), Some(v)) => Some(Payload {
                content_type: b.media.clone(),
                text: v.to_string(),
                pad: 0,
            }),
            _ => None,
        };
        Request {
            method: self.method.clone(),
            target,
            headers,
            body,
            auth,
            creds: self.creds.clone(),
        }
    }
}

/// The request body examples of `op`'s JSON media type (`example`, or
/// each `value` of `examples`).
fn request_examples(spec: &Spec, op: &Operation) -> Vec<Value> {
    let Some(media) = op
        .request_body
        .as_ref()
        .and_then(|rb| rb.content.iter().find(|m| m.is_json()))
    else {
        return Vec::new();
    };
    let mut out: Vec<Value> = Vec::new();
    for e in &media.examples {
        if let Some(v) = e.value.as_deref().and_then(|p| spec.get(p)) {
            out.push(v.clone());
        }
    }
    out.dedup();
    out
}

/// Valid-but-odd path values: servers that crash on them break the contract.
const EDGE_STRINGS: &[&str] = &[
    "0", "-1", "null", "a b", "ümlaut", "%", "a..b", "😀", "a/b", "'\"", "<x>",
];

/// Whether `value`, sent as a path segment, still names a segment of the
/// same template: not empty (`/calls/` routes elsewhere), not `.` or `..`
/// (clients and servers resolve them away).
pub(crate) fn segment_stays(value: &str) -> bool {
    !matches!(value, "" | "." | "..")
}

/// Writes the path template with values percent-encoded.
pub(crate) fn fill_template(out: &mut String, template: &str, values: &[(&str, String)]) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        match values.iter().find(|(n, _)| *n == name) {
            Some((_, v)) => out.push_str(&encode(v)),
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
}

pub(crate) fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Known values of a path parameter: `--id NAME=VALUE` first, then the `id`
/// of the document's response examples of operations whose path ends in
/// `{NAME}`, then the parameter's own examples.
fn known_values(spec: &Spec, config: &Config, name: &str) -> Vec<String> {
    let mut out: Vec<String> = config
        .ids
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .collect();
    let suffix = format!("{{{name}}}");
    for op in spec.operations() {
        if op.method != "GET" || !op.path.ends_with(&suffix) {
            continue;
        }
        for r in &op.responses {
            for m in &r.content {
                for e in &m.examples {
                    if let Some(id) = e
                        .value
                        .as_deref()
                        .and_then(|p| spec.get(p))
                        .and_then(|v| v.get("id"))
                        .and_then(Value::as_str)
                    {
                        out.push(id.to_owned());
                    }
                }
            }
        }
    }
    for op in spec.operations() {
        for p in op
            .parameters
            .iter()
            .filter(|p| p.name == name && p.location == ParameterLocation::Path)
        {
            if let Some(v) = spec
                .get(&format!("{}/example", p.pointer))
                .and_then(Value::as_str)
            {
                out.push(v.to_owned());
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|v| !v.is_empty() && seen.insert(v.clone()));
    out
}
