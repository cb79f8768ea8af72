//! Path, query, header and cookie parameters: read by their style and
//! explode (`decoy_spec::style`), typed by their schemas, validated.

use decoy_spec::style::Serialization;
use decoy_spec::{OpId, Parameter, ParameterLocation, media};
use hyper::header;
use hyper::http::request::Parts;
use serde_json::Value;

use super::App;
use super::reply::Problem;

/// The schema of a parameter without one: anything.
static ANY: Value = Value::Bool(true);

impl App {
    pub(super) fn check_params(
        &self,
        op_id: OpId,
        params: &[(String, String)],
        parts: &Parts,
        problems: &mut Vec<Problem>,
    ) {
        let op = &self.spec.operations()[op_id];
        let pairs = media::form_pairs(parts.uri.query().unwrap_or(""));
        let others: Vec<&str> = op
            .parameters_in(ParameterLocation::Query)
            .map(|p| p.name.as_str())
            .collect();
        for (p, validator) in op.parameters.iter().zip(&self.validators(op_id).params) {
            // OpenAPI: header parameters with these names are ignored.
            if p.location == ParameterLocation::Header
                && ["accept", "content-type", "authorization"]
                    .iter()
                    .any(|n| p.name.eq_ignore_ascii_case(n))
            {
                continue;
            }
            let location = p.location.as_str();
            let value = match p.location {
                ParameterLocation::Query => {
                    // `allowEmptyValue`: `?key=` is the parameter sent empty.
                    if p.allow_empty_value
                        && pairs.iter().any(|(k, v)| *k == p.name && v.is_empty())
                    {
                        continue;
                    }
                    let others: Vec<&str> =
                        others.iter().copied().filter(|n| *n != p.name).collect();
                    Serialization::of(p).read_query(
                        &pairs,
                        &p.name,
                        self.schema_of(p),
                        self.spec.document(),
                        &others,
                    )
                }
                ParameterLocation::Path => params
                    .iter()
                    .find(|(k, _)| *k == p.name)
                    .map(|(_, v)| self.read_text(p, v)),
                ParameterLocation::Header => {
                    let values: Vec<String> = parts
                        .headers
                        .get_all(p.name.as_str())
                        .iter()
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                        .collect();
                    (!values.is_empty()).then(|| self.read_text(p, &values.join(",")))
                }
                ParameterLocation::Cookie => cookie(parts, &p.name).map(|v| self.read_text(p, &v)),
            };
            let Some(value) = value else {
                if p.required {
                    problems.push(Problem {
                        location,
                        pointer: decoy_spec::pointer::push("", &p.name),
                        message: "required parameter is missing".to_owned(),
                    });
                }
                continue;
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

    /// A path parameter's value, typed by its schema (`/pet/1` is the
    /// integer 1 where the parameter is one), if the operation has it.
    pub(super) fn path_value(&self, op_id: OpId, name: &str, raw: &str) -> Value {
        self.spec.operations()[op_id]
            .parameters_in(ParameterLocation::Path)
            .find(|p| p.name == name)
            .map_or_else(|| Value::String(raw.to_owned()), |p| self.read_text(p, raw))
    }

    fn read_text(&self, p: &Parameter, text: &str) -> Value {
        Serialization::of(p).read_text(text, &p.name, self.schema_of(p), self.spec.document())
    }

    fn schema_of(&self, p: &Parameter) -> &Value {
        p.schema
            .as_deref()
            .and_then(|s| self.spec.get(s))
            .unwrap_or(&ANY)
    }
}

/// The query string's decoded pairs, in order.
pub(super) fn query_pairs(query: Option<&str>) -> impl Iterator<Item = (String, String)> {
    media::form_pairs(query.unwrap_or("")).into_iter()
}

pub(super) fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts.headers.get_all(header::COOKIE).iter().find_map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .split(';')
            .find_map(|c| {
                let (k, v) = c.trim().split_once('=')?;
                (k == name).then(|| v.to_owned())
            })
    })
}
