//! Path, query, header and cookie parameters: read by their style and
//! explode (`decoy_spec::wire`, the reading the proxy shares), typed by
//! their schemas, validated.

use decoy_spec::wire::{Read, Sent};
use decoy_spec::{OpId, ParameterLocation, wire};
use hyper::header;
use hyper::http::request::Parts;
use serde_json::Value;

use super::App;
use super::reply::Problem;

impl App {
    pub(super) fn check_params(
        &self,
        op_id: OpId,
        params: &[(String, String)],
        parts: &Parts,
        problems: &mut Vec<Problem>,
    ) {
        let op = &self.spec.operations()[op_id];
        let validators = self.validators(op_id);
        // Built only when some parameter is read by style and type.
        let mut sent_once = None;
        for ((p, validator), &text) in op
            .parameters
            .iter()
            .zip(&validators.params)
            .zip(&validators.text)
        {
            let location = p.location.as_str();
            let routed = text
                .then(|| params.iter().find(|(k, _)| *k == p.name))
                .flatten()
                .filter(|(_, raw)| !raw.is_empty());
            let read = match routed {
                Some((_, raw)) => Read::Value(Value::String(raw.clone())),
                None => sent_once
                    .get_or_insert_with(|| sent(params, parts, !self.ops[op_id].target_decides))
                    .read(&self.spec, op, p),
            };
            let value = match read {
                Read::Value(v) => v,
                Read::Empty | Read::Ignored => continue,
                Read::Absent => {
                    if p.required {
                        problems.push(Problem {
                            location,
                            pointer: decoy_spec::pointer::push("", &p.name),
                            message: "required parameter is missing".to_owned(),
                        });
                    }
                    continue;
                }
            };
            let Some(validator) = validator else { continue };
            for v in validator.validate(&value) {
                problems.push(Problem {
                    location,
                    pointer: format!(
                        "{}{}",
                        decoy_spec::pointer::push("", &p.name),
                        v.instance_pointer
                    ),
                    message: v.message,
                });
            }
        }
    }

    /// Whether the schema at `pointer` is a plain string: its text is its
    /// value, with no type or branch to read it by.
    pub(super) fn plain_string(&self, pointer: Option<&str>) -> bool {
        pointer
            .and_then(|s| self.spec.resolve(s).ok())
            .is_some_and(|(s, _)| {
                s.get("type").and_then(Value::as_str) == Some("string")
                    && !["oneOf", "anyOf", "allOf", "not", "if"]
                        .iter()
                        .any(|k| s.get(*k).is_some())
            })
    }

    /// A path parameter's value, typed by its schema (`/pet/1` is the
    /// integer 1 where the parameter is one), if the operation has it.
    pub(super) fn path_value(&self, op_id: OpId, name: &str, raw: &str) -> Value {
        let op = &self.spec.operations()[op_id];
        let sent = Sent {
            path: vec![(name.to_owned(), raw.to_owned())],
            ..Sent::default()
        };
        op.parameters_in(ParameterLocation::Path)
            .find(|p| p.name == name)
            .and_then(|p| match sent.read(&self.spec, op, p) {
                Read::Value(v) => Some(v),
                _ => None,
            })
            .unwrap_or_else(|| Value::String(raw.to_owned()))
    }
}

/// The request's parameters as sent; headers are copied only when the
/// operation reads some.
fn sent(params: &[(String, String)], parts: &Parts, reads_headers: bool) -> Sent {
    let headers = if reads_headers {
        parts
            .headers
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (k.as_str().to_owned(), v)
            })
            .collect()
    } else {
        Vec::new()
    };
    Sent {
        path: params.to_vec(),
        query: wire::query_pairs(parts.uri.query()).collect(),
        headers,
    }
}

pub(super) fn query_pairs(query: Option<&str>) -> impl Iterator<Item = (String, String)> {
    wire::query_pairs(query)
}

pub(super) fn cookie(parts: &Parts, name: &str) -> Option<String> {
    let values = parts.headers.get_all(header::COOKIE);
    wire::cookie(values.iter().filter_map(|v| v.to_str().ok()), name)
}
