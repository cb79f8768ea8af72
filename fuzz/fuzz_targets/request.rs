//! Request validation: arbitrary method, path, headers and body against the
//! Calls document, routed and validated the way the mock does it (path,
//! query and header parameters, then the JSON body). Input layout:
//! `METHOD PATH?QUERY\nName: value\n...\n\nBODY`.
#![no_main]

use decoy_spec::{ParameterLocation, RouteMatch};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[path = "common.rs"]
mod common;

/// A parameter value as the mock reads it: JSON when it parses, else a
/// string.
fn typed(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

fuzz_target!(|data: &[u8]| {
    let calls = common::calls();
    let (line, rest) = common::split(data, b'\n');
    let (method, target) = line.split_once(' ').unwrap_or((line.as_str(), "/"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = Vec::new();
    let mut rest = rest;
    loop {
        let (h, tail) = common::split(rest, b'\n');
        rest = tail;
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let body = rest;
    let RouteMatch::Found { operation, params } = calls.spec.router().find(method, path) else {
        return;
    };
    let op = &calls.spec.operations()[operation];
    let query: Vec<(&str, &str)> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    for p in &op.parameters {
        let raw: Option<String> = match p.location {
            ParameterLocation::Path => params
                .iter()
                .find(|(n, _)| *n == p.name)
                .map(|(_, v)| v.clone()),
            ParameterLocation::Query => query
                .iter()
                .find(|(n, _)| *n == p.name)
                .map(|(_, v)| (*v).to_owned()),
            ParameterLocation::Header => headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(&p.name))
                .map(|(_, v)| v.clone()),
            _ => None,
        };
        if let (Some(raw), Some(schema)) = (raw, &p.schema) {
            let v = calls
                .validators
                .compile(schema)
                .expect("Calls schemas compile");
            let _ = v.validate(&typed(&raw));
        }
    }
    if let Some(rb) = &op.request_body
        && let Some(media) = rb.content.iter().find(|m| m.is_json())
        && let Some(schema) = &media.schema
        && let Ok(value) = serde_json::from_slice::<Value>(body)
    {
        let v = calls
            .validators
            .compile(schema)
            .expect("Calls schemas compile");
        let violations = v.validate(&value);
        assert_eq!(
            violations.is_empty(),
            v.is_valid(&value),
            "{value}: {violations:?}"
        );
        for violation in violations {
            // Every violation points into the instance and the document.
            assert!(
                value.pointer(&violation.instance_pointer).is_some()
                    || violation.keyword == "required",
                "{violation:?} in {value}"
            );
        }
    }
});
