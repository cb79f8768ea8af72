//! Path, query, header and cookie parameters: read, typed and validated.

use decoy_spec::{OpId, ParameterLocation, Spec};
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
        for (p, (validator, ty)) in op.parameters.iter().zip(&self.ops[op_id].params) {
            let raw = match p.location {
                ParameterLocation::Path => params
                    .iter()
                    .find(|(k, _)| *k == p.name)
                    .map(|(_, v)| v.clone()),
                ParameterLocation::Query => query_pairs(parts.uri.query())
                    .find(|(k, _)| *k == p.name)
                    .map(|(_, v)| v),
                ParameterLocation::Header => parts
                    .headers
                    .get(p.name.as_str())
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
                ParameterLocation::Cookie => cookie(parts, &p.name),
            };
            let location = p.location.as_str();
            let Some(raw) = raw else {
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
            let value = coerce(&raw, ty);
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
}

pub(super) fn query_pairs(query: Option<&str>) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
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

/// The JSON type a parameter's text should be read as.
pub(super) fn primary_type(spec: &Spec, pointer: &str) -> &'static str {
    let Ok((schema, _)) = spec.resolve(pointer) else {
        return "string";
    };
    let names: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    ["integer", "number", "boolean", "array", "object"]
        .into_iter()
        .find(|t| names.contains(t))
        .unwrap_or("string")
}

/// Reads parameter text as the schema's type; text that does not parse stays
/// a string, so the validator reports the type mismatch.
pub(super) fn coerce(raw: &str, ty: &str) -> Value {
    match ty {
        "integer" | "number" => serde_json::from_str::<serde_json::Number>(raw.trim())
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(raw.to_owned())),
        "boolean" => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(raw.to_owned()),
        },
        "array" => Value::Array(
            raw.split(',')
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        "object" => serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned())),
        _ => Value::String(raw.to_owned()),
    }
}
