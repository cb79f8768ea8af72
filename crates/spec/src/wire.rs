//! Parameters as they travel: decoded query pairs and cookies, and
//! parameter text read as the JSON type its schema wants, so a validator
//! can judge it. One reading for every crate that checks requests.
//!
//! ```
//! use decoy_spec::wire;
//! use serde_json::json;
//!
//! let pairs: Vec<_> = wire::query_pairs(Some("tags=a%20b&limit=5")).collect();
//! assert_eq!(pairs[0], ("tags".to_owned(), "a b".to_owned()));
//! assert_eq!(wire::typed("5", "integer"), json!(5));
//! assert_eq!(wire::typed("five", "integer"), json!("five"));
//! assert_eq!(wire::cookie(["a=1; session=xyz"], "session").as_deref(), Some("xyz"));
//! ```

use serde_json::Value;

use crate::Spec;

/// Decoded `key=value` pairs of a query string (`+` is a space).
pub fn query_pairs(query: Option<&str>) -> impl Iterator<Item = (String, String)> + '_ {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .map(move |pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
}

/// The value of cookie `name` in `Cookie` header values.
pub fn cookie<'a>(headers: impl IntoIterator<Item = &'a str>, name: &str) -> Option<String> {
    headers.into_iter().find_map(|h| {
        h.split(';').find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    })
}

/// The JSON type a parameter's text is read as: the first of `integer`,
/// `number`, `boolean`, `array`, `object` its schema allows, else `string`.
pub fn primary_type(spec: &Spec, schema: &str) -> &'static str {
    let Ok((schema, _)) = spec.resolve(schema) else {
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

/// Parameter text as type `ty` (see [`primary_type`]); text that does not
/// parse stays a string, so the validator reports the mismatch. Arrays are
/// comma-separated (OpenAPI's default `form` style).
pub fn typed(text: &str, ty: &str) -> Value {
    let keep = || Value::String(text.to_owned());
    match ty {
        "integer" | "number" => serde_json::from_str::<serde_json::Number>(text.trim())
            .map_or_else(|_| keep(), Value::Number),
        "boolean" if text == "true" => Value::Bool(true),
        "boolean" if text == "false" => Value::Bool(false),
        "array" => text
            .split(',')
            .map(|s| Value::String(s.to_owned()))
            .collect(),
        "object" => serde_json::from_str(text).unwrap_or_else(|_| keep()),
        _ => keep(),
    }
}
