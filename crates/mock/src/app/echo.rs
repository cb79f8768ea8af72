//! Values copied into responses from the request, its origin, the clock
//! or a template.

use hyper::http::request::Parts;
use serde_json::{Map, Value};

use super::params::query_pairs;
use crate::context::Context;
use crate::util;
use decoy_spec::model::{Echo, Source};

/// The request as sources see it.
pub(super) struct Ctx<'a> {
    pub(super) body: &'a Value,
    pub(super) params: &'a [(String, String)],
    pub(super) parts: &'a Parts,
    pub(super) context: Option<&'a Context>,
}

/// What one path segment cannot hold raw (everything but unreserved).
pub(super) const SEGMENT_UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Applies literal sets, then echoes.
pub(super) fn apply(
    value: &mut Value,
    set: &[(String, Value)],
    echo: &Echo,
    ctx: &Ctx<'_>,
    origin: &Value,
) {
    if !value.is_object() {
        return;
    }
    for (field, v) in set {
        util::assign(value, field, v.clone());
    }
    for (field, sources) in echo {
        if let Some(v) = resolve(sources, ctx, origin) {
            util::assign(value, field, v);
        }
    }
}

/// An object built field by field from sources (fields with no value left out).
pub(super) fn build(spec: &Echo, ctx: &Ctx<'_>, origin: &Value) -> Value {
    let mut out = Value::Object(Map::new());
    for (field, sources) in spec {
        if let Some(v) = resolve(sources, ctx, origin) {
            util::assign(&mut out, field, v);
        }
    }
    out
}

/// The first source with a value (a `null` from the request counts as none).
pub(super) fn resolve(sources: &[Source], ctx: &Ctx<'_>, origin: &Value) -> Option<Value> {
    sources.iter().find_map(|s| {
        let v = match s {
            Source::Body(p) => ctx.body.pointer(p).cloned(),
            Source::Origin(p) => origin.pointer(p).cloned(),
            Source::Path(n) => ctx
                .params
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| Value::String(v.clone())),
            Source::Query(n) => query_pairs(ctx.parts.uri.query())
                .find(|(k, _)| k == n)
                .map(|(_, v)| Value::String(v)),
            Source::Header(n) => ctx
                .parts
                .headers
                .get(n.as_str())
                .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned())),
            Source::Now => Some(Value::String(util::now_rfc3339())),
            Source::Template(t) => render(t, ctx),
            Source::Literal(v) => return Some(v.clone()),
        };
        v.filter(|v| !v.is_null())
    })
}

/// Fills a `template:` source; `None` when a placeholder has no value.
pub(super) fn render(template: &str, ctx: &Ctx<'_>) -> Option<Value> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}')?;
        let name = &rest[open + 1..close];
        let text = match name.strip_prefix("shared:") {
            Some(key) => match ctx.context?.get(key)? {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            },
            None => ctx.params.iter().find(|(k, _)| k == name)?.1.clone(),
        };
        out.extend(percent_encoding::utf8_percent_encode(&text, SEGMENT_UNSAFE));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(Value::String(out))
}
