//! Snapshots: the normalized response of each operation and status, kept as
//! insta-format `.snap` files so they are reviewed like any Rust snapshot
//! (`cargo insta review` picks up the `.snap.new` files a changed run
//! leaves beside them).
//!
//! Normalizing sorts object keys and replaces volatile values with
//! placeholders: by the schema's `format` (`date-time`, `uri`, `uuid`, ...),
//! by name (`id`, `*_id`, and [`crate::Config::redact`]), and by shape
//! (RFC 3339 timestamps and URLs the schema did not describe).

use std::path::Path;

use serde_json::{Map, Value};

use crate::ConformError;

const VOLATILE_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "uri",
    "uri-reference",
    "url",
    "uuid",
    "iri",
];

pub(crate) struct Normalizer<'a> {
    pub(crate) document: &'a Value,
    pub(crate) names: &'a [String],
}

impl Normalizer<'_> {
    /// `value` normalized under the schema at `schema` (a pointer), if any.
    pub(crate) fn normalize(&self, value: &Value, schema: Option<&str>) -> Value {
        let schemas: Vec<&Value> = schema
            .and_then(|p| self.document.pointer(p))
            .into_iter()
            .collect();
        self.walk(value, &schemas, None, 0)
    }

    fn resolve<'v>(&'v self, schema: &'v Value, out: &mut Vec<&'v Value>, depth: u32) {
        if depth > 16 {
            return;
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str)
            && let Some(target) =
                decoy_spec::pointer::from_ref(r).and_then(|p| self.document.pointer(&p))
        {
            self.resolve(target, out, depth + 1);
        }
        out.push(schema);
        for key in ["allOf", "anyOf", "oneOf"] {
            for branch in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.resolve(branch, out, depth + 1);
            }
        }
    }

    fn walk(&self, value: &Value, schemas: &[&Value], name: Option<&str>, depth: u32) -> Value {
        // Bodies nest deeper than any sane schema only to exhaust the stack.
        if depth > 64 {
            return value.clone();
        }
        let mut all = Vec::new();
        for s in schemas {
            self.resolve(s, &mut all, 0);
        }
        let format = all
            .iter()
            .find_map(|s| s.get("format").and_then(Value::as_str));
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for k in keys {
                    let sub: Vec<&Value> = all
                        .iter()
                        .filter_map(|s| s.get("properties").and_then(|p| p.get(k.as_str())))
                        .collect();
                    out.insert(k.clone(), self.walk(&map[k], &sub, Some(k), depth + 1));
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                let sub: Vec<&Value> = all.iter().filter_map(|s| s.get("items")).collect();
                Value::Array(
                    items
                        .iter()
                        .map(|v| self.walk(v, &sub, None, depth + 1))
                        .collect(),
                )
            }
            Value::Null => Value::Null,
            v => {
                let by_name = name.is_some_and(|n| {
                    n == "id"
                        || n.ends_with("_id")
                        || n.ends_with("Id")
                        || self.names.iter().any(|x| x == n)
                });
                if by_name {
                    return Value::String(format!("[{}]", name.unwrap_or("id")));
                }
                if let Some(f) = format.filter(|f| VOLATILE_FORMATS.contains(f)) {
                    return Value::String(format!("[{f}]"));
                }
                if let Value::String(s) = v {
                    if looks_like_timestamp(s) {
                        return Value::String("[date-time]".into());
                    }
                    if s.starts_with("http://") || s.starts_with("https://") {
                        return Value::String("[url]".into());
                    }
                }
                v.clone()
            }
        }
    }
}

fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
}

/// The outcome of comparing one snapshot.
pub(crate) enum Outcome {
    Written,
    Matched,
    Changed(String),
}

/// The file name of a snapshot: operation and status, safe on every OS.
pub(crate) fn file_name(operation: &str, status: u16) -> String {
    let safe: String = operation
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}__{status}.snap")
}

/// Writes, compares or updates the snapshot `name` in `dir`.
pub(crate) fn compare(
    dir: &Path,
    name: &str,
    expression: &str,
    value: &Value,
    update: bool,
) -> Result<Outcome, ConformError> {
    let io = |path: &Path, source| ConformError::Snapshot {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let path = dir.join(name);
    let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
    let text = format!(
        "---\nsource: decoy test\nexpression: \"{}\"\n---\n{pretty}\n",
        expression.replace('"', "'")
    );
    let new_path = dir.join(format!("{name}.new"));
    match std::fs::read_to_string(&path) {
        Ok(old) if body_of(&old) == body_of(&text) => {
            let _ = std::fs::remove_file(&new_path);
            Ok(Outcome::Matched)
        }
        Ok(old) if !update => {
            std::fs::write(&new_path, &text).map_err(|e| io(&new_path, e))?;
            let diff = similar::TextDiff::from_lines(body_of(&old), body_of(&text))
                .unified_diff()
                .context_radius(2)
                .to_string();
            Ok(Outcome::Changed(diff))
        }
        Ok(_) | Err(_) => {
            std::fs::write(&path, &text).map_err(|e| io(&path, e))?;
            let _ = std::fs::remove_file(&new_path);
            Ok(Outcome::Written)
        }
    }
}

/// The content below insta's metadata header.
fn body_of(text: &str) -> &str {
    text.strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(text, |(_, body)| body)
}
