//! Generation hints on schemas (`x-decoy-shared`, `x-decoy-timeline`, ...),
//! parsed in one place.
//!
//! A hint adds to what a schema already says, so generated data looks like
//! one coherent record: ids with a prefix, timestamps in order, a duration
//! that equals the span between two of them. The generator (`decoy-synth`)
//! and the mock (`decoy-mock`) read hints only through [`SchemaHints`]; no
//! other crate names an `x-decoy-*` key.
//!
//! | hint | on | means |
//! |------|----|-------|
//! | `x-decoy-shared: KEY` | a property schema | every property with the same KEY in one value (and, in the mock, a resource and its sub-resources) holds one value |
//! | `x-decoy-timeline: [a, b]` | an object schema | those date-time properties do not decrease, in that order |
//! | `x-decoy-duration: {from: a, to: b, unit: seconds}` | a number property | the span between the sibling timestamps `a` and `b` (`unit`: `seconds`, the default, or `milliseconds`) |
//! | `x-decoy-counter: true` | an integer property of array items | counts 0, 1, 2, ... with the item's index |
//! | `x-decoy-template: "/v1/pets/{id}"` | a string property | built from the root object's property values |
//! | `x-decoy-id-prefix: "pet_"` | a string property | an id: the prefix, then random letters and digits |
//! | `x-decoy-rules: [{if, then, else}]` | an object schema | generation-only `if`/`then`/`else` rules: generated values follow them, validators ignore them (what a person expects, not what the API promises) |
//! | `x-decoy-sequence: true` | an array schema | the items happen one after another: each item's date-times fall in its own slice of the enclosing time window, in item order |
//!
//! When a document loads, every hint is checked ([`crate::Spec::problems`]
//! holds an error, with its pointer, for each malformed one) so `decoy lint`
//! reports `x-decoy-timeline: created_at` instead of ignoring it. Readers
//! then take what parses and leave a malformed hint out.
//!
//! ```
//! use decoy_spec::hints::{DurationUnit, SchemaHints};
//!
//! let schema = serde_json::from_str(r#"{
//!     "type": "object",
//!     "x-decoy-timeline": ["started_at", "ended_at"],
//!     "x-decoy-duration": {"from": "started_at", "to": "ended_at", "unit": "ms"}
//! }"#).unwrap();
//! let (hints, problems) = SchemaHints::read(&schema);
//! assert_eq!(hints.timeline, Some(vec!["started_at", "ended_at"]));
//! assert_eq!(hints.duration.unwrap().unit, DurationUnit::Milliseconds);
//! assert!(problems.is_empty());
//!
//! let bad = serde_json::from_str(r#"{"x-decoy-duration": {"from": "a"}}"#).unwrap();
//! let (hints, problems) = SchemaHints::read(&bad);
//! assert_eq!(hints.duration, None);
//! assert_eq!(problems[0].pointer, "/x-decoy-duration");
//! assert_eq!(problems[0].message, "expected `to`: the name of the sibling timestamp that ends the span");
//! ```

use serde_json::{Map, Value};

use crate::error::Problem;
use crate::pointer::push;

/// What every decoy extension key starts with.
pub const PREFIX: &str = "x-decoy-";
/// `x-decoy-shared: KEY`: see the [module docs](self).
pub const SHARED: &str = "x-decoy-shared";
/// `x-decoy-timeline: [a, b, ...]`.
pub const TIMELINE: &str = "x-decoy-timeline";
/// `x-decoy-duration: {from, to, unit}`.
pub const DURATION: &str = "x-decoy-duration";
/// `x-decoy-counter: true`.
pub const COUNTER: &str = "x-decoy-counter";
/// `x-decoy-template: "..{name}.."`.
pub const TEMPLATE: &str = "x-decoy-template";
/// `x-decoy-id-prefix: "pet_"`.
pub const ID_PREFIX: &str = "x-decoy-id-prefix";
/// `x-decoy-rules: [{if: .., then: .., else: ..}, ...]`.
pub const RULES: &str = "x-decoy-rules";
/// `x-decoy-sequence: true`.
pub const SEQUENCE: &str = "x-decoy-sequence";

/// Every schema-level hint key.
pub const KEYS: &[&str] = &[
    SHARED, TIMELINE, DURATION, COUNTER, TEMPLATE, ID_PREFIX, RULES, SEQUENCE,
];

/// True for a decoy extension key (`x-decoy-...`), hint or not.
pub fn is_extension(key: &str) -> bool {
    key.starts_with(PREFIX)
}

/// The unit of an `x-decoy-duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DurationUnit {
    /// `seconds` (or `secs`, `s`), the default.
    #[default]
    Seconds,
    /// `milliseconds` (or `millis`, `ms`).
    Milliseconds,
}

/// `x-decoy-duration`: the span between two sibling timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Duration<'a> {
    /// The property that starts the span.
    pub from: &'a str,
    /// The property that ends it.
    pub to: &'a str,
    /// What the number counts.
    pub unit: DurationUnit,
}

/// The hints of one schema object, borrowed from the document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchemaHints<'a> {
    /// `x-decoy-shared`.
    pub shared: Option<&'a str>,
    /// `x-decoy-timeline`: property names, in order.
    pub timeline: Option<Vec<&'a str>>,
    /// `x-decoy-duration`.
    pub duration: Option<Duration<'a>>,
    /// `x-decoy-counter` (`false` when absent).
    pub counter: bool,
    /// `x-decoy-template`.
    pub template: Option<&'a str>,
    /// `x-decoy-id-prefix`.
    pub id_prefix: Option<&'a str>,
    /// `x-decoy-rules`: each a schema with `if` and `then` or `else`.
    pub rules: Option<&'a [Value]>,
    /// `x-decoy-sequence` (`false` when absent).
    pub sequence: bool,
}

impl<'a> SchemaHints<'a> {
    /// The hints of `schema` that parse, and a [`Problem`] (pointer relative
    /// to the schema, `/x-decoy-...`) for each one that does not.
    pub fn read(schema: &'a Map<String, Value>) -> (SchemaHints<'a>, Vec<Problem>) {
        let mut hints = SchemaHints::default();
        let mut problems = Vec::new();
        for (key, value) in schema {
            // Most keys are no hint: only a hint's problem pays for its pointer.
            if !key.starts_with(PREFIX) {
                continue;
            }
            let bad = |message: String| Problem::error(push("", key), message);
            match key.as_str() {
                SHARED => match name(value, "a key that names the shared value") {
                    Ok(key) => hints.shared = Some(key),
                    Err(m) => problems.push(bad(m)),
                },
                TIMELINE => match timeline(value) {
                    Ok(names) => hints.timeline = Some(names),
                    Err(m) => problems.push(bad(m)),
                },
                DURATION => match duration(value) {
                    Ok(d) => hints.duration = Some(d),
                    Err(m) => problems.push(bad(m)),
                },
                COUNTER => match value {
                    Value::Bool(b) => hints.counter = *b,
                    other => problems.push(bad(format!("expected true or false, found {other}"))),
                },
                TEMPLATE => match template(value) {
                    Ok(t) => hints.template = Some(t),
                    Err(m) => problems.push(bad(m)),
                },
                ID_PREFIX => match name(value, "the prefix of every generated id") {
                    Ok(p) => hints.id_prefix = Some(p),
                    Err(m) => problems.push(bad(m)),
                },
                RULES => match rules(value) {
                    Ok(r) => hints.rules = Some(r),
                    Err(m) => problems.push(bad(m)),
                },
                SEQUENCE => match value {
                    Value::Bool(b) => hints.sequence = *b,
                    other => problems.push(bad(format!("expected true or false, found {other}"))),
                },
                _ => {}
            }
        }
        (hints, problems)
    }

    /// The hints of a schema value that parse (none for a boolean schema).
    pub fn of(schema: &'a Value) -> SchemaHints<'a> {
        match schema {
            Value::Object(map) => SchemaHints::read(map).0,
            _ => SchemaHints::default(),
        }
    }

    /// True when no hint is set.
    pub fn is_empty(&self) -> bool {
        *self == SchemaHints::default()
    }
}

fn name<'a>(value: &'a Value, what: &str) -> Result<&'a str, String> {
    match value {
        Value::String(s) if !s.is_empty() => Ok(s),
        Value::String(_) => Err(format!("expected {what}, found an empty string")),
        other => Err(format!("expected a string: {what}, found {other}")),
    }
}

fn timeline(value: &Value) -> Result<Vec<&str>, String> {
    let Value::Array(items) = value else {
        return Err(format!(
            "expected a list of date-time property names in order ([created_at, updated_at]), found {value}"
        ));
    };
    if items.len() < 2 {
        return Err(format!(
            "expected at least two property names to order, found {value}"
        ));
    }
    items
        .iter()
        .map(|item| match item {
            Value::String(s) if !s.is_empty() => Ok(s.as_str()),
            other => Err(format!(
                "expected every member to be a property name, found {other}"
            )),
        })
        .collect()
}

fn duration(value: &Value) -> Result<Duration<'_>, String> {
    let Value::Object(map) = value else {
        return Err(format!(
            "expected {{from: START, to: END, unit: seconds|milliseconds}}, found {value}"
        ));
    };
    let end = |key: &str, what: &str| match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.as_str()),
        Some(other) => Err(format!(
            "expected `{key}` to name the sibling timestamp that {what} the span, found {other}"
        )),
        None => Err(format!(
            "expected `{key}`: the name of the sibling timestamp that {what} the span"
        )),
    };
    let from = end("from", "starts")?;
    let to = end("to", "ends")?;
    let unit = match map.get("unit") {
        None => DurationUnit::Seconds,
        Some(Value::String(u)) if matches!(u.as_str(), "seconds" | "secs" | "s") => {
            DurationUnit::Seconds
        }
        Some(Value::String(u)) if matches!(u.as_str(), "milliseconds" | "millis" | "ms") => {
            DurationUnit::Milliseconds
        }
        Some(other) => {
            return Err(format!(
                "expected `unit` to be seconds or milliseconds, found {other}"
            ));
        }
    };
    if let Some(extra) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "from" | "to" | "unit"))
    {
        return Err(format!(
            "unknown field `{extra}` (expected `from`, `to` and `unit`)"
        ));
    }
    Ok(Duration { from, to, unit })
}

fn rules(value: &Value) -> Result<&[Value], String> {
    let Value::Array(list) = value else {
        return Err(format!(
            "expected a list of rules ([{{if: .., then: ..}}]), found {value}"
        ));
    };
    for (i, rule) in list.iter().enumerate() {
        let Value::Object(map) = rule else {
            return Err(format!(
                "rule {i}: expected {{if, then, else}}, found {rule}"
            ));
        };
        if !map.contains_key("if") || !(map.contains_key("then") || map.contains_key("else")) {
            return Err(format!("rule {i}: expected `if` with `then` or `else`"));
        }
        if let Some(extra) = map.keys().find(|k| {
            !matches!(
                k.as_str(),
                "if" | "then" | "else" | "description" | "$comment"
            )
        }) {
            return Err(format!(
                "rule {i}: unknown field `{extra}` (expected `if`, `then`, `else`, `description`)"
            ));
        }
    }
    Ok(list)
}

fn template(value: &Value) -> Result<&str, String> {
    let Value::String(t) = value else {
        return Err(format!(
            "expected a string with {{property}} placeholders, found {value}"
        ));
    };
    let mut rest = t.as_str();
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            return Err(format!(
                "the `{{` at byte {} is never closed",
                t.len() - rest.len() + open
            ));
        };
        if len == 1 {
            return Err("an empty placeholder `{}`: name a property inside the braces".to_owned());
        }
        rest = &rest[open + len + 1..];
    }
    Ok(t)
}

/// Reports every malformed hint in the document, with its pointer.
///
/// Walks every object outside data (`example`, `examples`, `enum`, `const`,
/// `default`) and outside other extensions, the places a schema can be.
pub(crate) fn check_all(doc: &Value, problems: &mut Vec<Problem>) {
    walk(doc, "", problems, 0);
}

fn walk(value: &Value, ptr: &str, problems: &mut Vec<Problem>, depth: usize) {
    if depth > 512 {
        return;
    }
    match value {
        Value::Object(map) => {
            if map.keys().any(|k| KEYS.contains(&k.as_str())) {
                for mut p in SchemaHints::read(map).1 {
                    p.pointer.insert_str(0, ptr);
                    problems.push(p);
                }
            }
            check_names(map, ptr, problems);
            unknown_keys(map, ptr, problems);
            for (key, child) in map {
                if matches!(
                    key.as_str(),
                    "example" | "examples" | "enum" | "const" | "default"
                ) || key.starts_with("x-")
                {
                    continue;
                }
                walk(child, &push(ptr, key), problems, depth + 1);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk(child, &push(ptr, &i.to_string()), problems, depth + 1);
            }
        }
        _ => {}
    }
}

/// Warns about an `x-decoy-*` key that no reader knows (a typo, most often:
/// without a word it would do nothing, silently).
fn unknown_keys(map: &Map<String, Value>, ptr: &str, problems: &mut Vec<Problem>) {
    let known = || KEYS.iter().chain(crate::model::extensions::KEYS).copied();
    for key in map.keys().filter(|k| is_extension(k)) {
        if known().any(|k| k == key) {
            continue;
        }
        let close = crate::suggest::close_matches(key, known());
        let hint = match close.first() {
            Some(c) => format!("; did you mean `{c}`?"),
            None => format!(
                "; decoy reads {}",
                known()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        problems.push(Problem::warning(
            push(ptr, key),
            format!("`{key}` is not a decoy extension and is ignored{hint}"),
        ));
    }
}

/// Warns about a timeline or duration naming a property its object does not
/// have (a typo, or a renamed field: the hint then does nothing). Only for
/// an object whose `properties` are all it has: with `allOf`, `anyOf`,
/// `oneOf` or `$ref` beside them, the names may be declared elsewhere.
fn check_names(map: &Map<String, Value>, ptr: &str, problems: &mut Vec<Problem>) {
    let Some(Value::Object(props)) = map.get("properties") else {
        return;
    };
    if ["allOf", "anyOf", "oneOf", "$ref"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        return;
    }
    let mut warn = |at: String, name: &str| {
        problems.push(Problem::warning(
            at,
            format!("`{name}` is not a property of this object, so the hint does nothing there"),
        ));
    };
    if let Some(names) = SchemaHints::read(map).0.timeline {
        for name in names.into_iter().filter(|n| !props.contains_key(*n)) {
            warn(push(ptr, TIMELINE), name);
        }
    }
    for (prop, schema) in props {
        let Some(d) = schema
            .as_object()
            .and_then(|m| SchemaHints::read(m).0.duration)
        else {
            continue;
        };
        for name in [d.from, d.to]
            .into_iter()
            .filter(|n| !props.contains_key(*n))
        {
            warn(push(&push(&push(ptr, "properties"), prop), DURATION), name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(schema: Value) -> Vec<String> {
        let mut out = Vec::new();
        check_all(&schema, &mut out);
        out.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn unknown_extension_keys_are_named_with_the_closest_known_one() {
        let doc = json!({
            "paths": {"/a": {"get": {"x-decoy-ecko": {}, "x-decoy-echo": {}}}},
            "components": {"schemas": {"A": {"x-decoy-time-line": ["a"], "x-decoy-zzzzzzzzzzzz": 1}}}
        });
        let got = problems(doc);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got[0].contains("/paths/~1a/get/x-decoy-ecko"), "{}", got[0]);
        assert!(
            got[0].contains("did you mean `x-decoy-echo`?"),
            "{}",
            got[0]
        );
        assert!(
            got[1].contains("did you mean `x-decoy-timeline`?"),
            "{}",
            got[1]
        );
        assert!(
            got[2].contains("decoy reads `x-decoy-shared`"),
            "{}",
            got[2]
        );
    }

    #[test]
    fn well_formed_hints_parse() {
        let schema = json!({
            "x-decoy-shared": "org", "x-decoy-timeline": ["a", "b"],
            "x-decoy-duration": {"from": "a", "to": "b"}, "x-decoy-counter": true,
            "x-decoy-template": "/v1/x/{id}", "x-decoy-id-prefix": "x_", "x-decoy-other": 1,
            "x-decoy-rules": [{"if": {"required": ["a"]}, "then": {"required": ["b"]}}],
            "x-decoy-sequence": true,
        });
        let (hints, problems) = SchemaHints::read(schema.as_object().unwrap());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            hints,
            SchemaHints {
                shared: Some("org"),
                timeline: Some(vec!["a", "b"]),
                duration: Some(Duration {
                    from: "a",
                    to: "b",
                    unit: DurationUnit::Seconds
                }),
                counter: true,
                template: Some("/v1/x/{id}"),
                id_prefix: Some("x_"),
                rules: schema["x-decoy-rules"].as_array().map(Vec::as_slice),
                sequence: true,
            }
        );
    }

    #[test]
    fn hints_naming_no_property_are_warnings() {
        let doc = json!({"A": {
            "x-decoy-timeline": ["created_at", "updatedAt"],
            "properties": {
                "created_at": {}, "ended_at": {},
                "d": {"x-decoy-duration": {"from": "created_at", "to": "endedAt"}},
            },
        }, "B": {
            "allOf": [{"properties": {"updatedAt": {}}}],
            "x-decoy-timeline": ["created_at", "updatedAt"],
            "properties": {"created_at": {}},
        }});
        assert_eq!(
            problems(doc),
            [
                "warning: /A/x-decoy-timeline: `updatedAt` is not a property of this object, so the hint does nothing there",
                "warning: /A/properties/d/x-decoy-duration: `endedAt` is not a property of this object, so the hint does nothing there",
            ]
        );
    }

    #[test]
    fn malformed_hints_are_problems_with_pointers() {
        let doc = json!({"components": {"schemas": {"A": {
            "x-decoy-timeline": "created_at",
            "properties": {
                "d": {"x-decoy-duration": {"from": "a", "to": "b", "unit": "hours"}},
                "n": {"x-decoy-counter": "yes", "x-decoy-shared": ""},
                "t": {"x-decoy-template": "/v1/{id"},
                "l": {"x-decoy-sequence": 1, "x-decoy-rules": [{"then": {}}]},
            },
            "example": {"x-decoy-counter": 3},
        }}}});
        assert_eq!(
            problems(doc),
            [
                "error: /components/schemas/A/x-decoy-timeline: expected a list of date-time property names in order ([created_at, updated_at]), found \"created_at\"",
                "error: /components/schemas/A/properties/d/x-decoy-duration: expected `unit` to be seconds or milliseconds, found \"hours\"",
                "error: /components/schemas/A/properties/n/x-decoy-counter: expected true or false, found \"yes\"",
                "error: /components/schemas/A/properties/n/x-decoy-shared: expected a key that names the shared value, found an empty string",
                "error: /components/schemas/A/properties/t/x-decoy-template: the `{` at byte 4 is never closed",
                "error: /components/schemas/A/properties/l/x-decoy-sequence: expected true or false, found 1",
                "error: /components/schemas/A/properties/l/x-decoy-rules: rule 0: expected `if` with `then` or `else`",
            ]
        );
    }
}
