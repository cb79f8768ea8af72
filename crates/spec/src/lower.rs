//! Lowering OpenAPI 3.0 schemas to JSON Schema 2020-12.
//!
//! OpenAPI 3.0 schemas are a dialect of draft 4/5 that jsonschema would
//! misread: `nullable` would be ignored and a boolean `exclusiveMinimum` fails
//! at build time. We rewrite them in place, once, when loading, so everything
//! downstream sees one dialect. Real 3.1 documents carry the same 3.0-isms
//! (OpenAI's has 112 `nullable`s), so the 3.0 keywords are lowered in every
//! document, with a warning when they appear in a 3.1 one.

use serde_json::{Map, Value, json};

use crate::error::Problem;
use crate::pointer::push;

/// The keyword lowering adds next to every numeric `format` (`int32`,
/// `int64`, `float`, `double`): jsonschema's `format` looks at strings only,
/// so a validator checks the range through this keyword instead. Added here,
/// in the one pass that already rewrites schemas, so that no consumer has to
/// copy the whole document to add it.
pub const NUMERIC_FORMAT_KEYWORD: &str = "decoy-numeric-format";

/// Keywords whose value is one schema.
const SCHEMA: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
    "contentSchema",
];
/// Keywords whose value is an array of schemas.
const SCHEMA_ARRAY: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAP: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Which OpenAPI minor version the document declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    V30,
    V31,
}

pub(crate) struct Lowering<'p> {
    pub(crate) dialect: Dialect,
    pub(crate) problems: &'p mut Vec<Problem>,
    /// Set once a 3.0 keyword has been reported in a 3.1 document, so a large
    /// document yields one warning per keyword rather than hundreds.
    reported_30_in_31: [bool; 3],
}

impl<'p> Lowering<'p> {
    pub(crate) fn new(dialect: Dialect, problems: &'p mut Vec<Problem>) -> Self {
        Lowering {
            dialect,
            problems,
            reported_30_in_31: [false; 3],
        }
    }

    /// Walks the document outside schemas and lowers every schema it finds.
    pub(crate) fn document(&mut self, doc: &mut Value) {
        self.outside(doc, "", 0);
    }

    fn outside(&mut self, value: &mut Value, ptr: &str, depth: usize) {
        if depth > 64 {
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    // Example payloads and extensions are data, not description.
                    if key == "example" || key == "examples" || key.starts_with("x-") {
                        continue;
                    }
                    let child_ptr = push(ptr, key);
                    if key == "schema" || (key == "schemas" && ptr == "/components") {
                        if key == "schema" {
                            self.schema(child, &child_ptr, 0);
                        } else if let Value::Object(schemas) = child {
                            for (name, s) in schemas.iter_mut() {
                                self.schema(s, &push(&child_ptr, name), 0);
                            }
                        }
                    } else {
                        self.outside(child, &child_ptr, depth + 1);
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    self.outside(child, &push(ptr, &i.to_string()), depth + 1);
                }
            }
            _ => {}
        }
    }

    fn note_30_keyword(&mut self, idx: usize, ptr: &str, keyword: &str) {
        if self.dialect == Dialect::V31 && !self.reported_30_in_31[idx] {
            self.reported_30_in_31[idx] = true;
            self.problems.push(Problem::warning(
                ptr,
                format!(
                    "`{keyword}` is OpenAPI 3.0, not 3.1; read it the 3.0 way here and wherever else it appears"
                ),
            ));
        }
    }

    /// Lowers one schema and, recursively, its subschemas.
    pub(crate) fn schema(&mut self, value: &mut Value, ptr: &str, depth: usize) {
        // Deeper than any sane document; the loader's own depth budget catches
        // hostile ones, this just keeps the walk bounded.
        if depth > 256 {
            return;
        }
        let Value::Object(map) = value else { return };

        for key in SCHEMA {
            if let Some(child) = map.get_mut(*key) {
                self.schema(child, &push(ptr, key), depth + 1);
            }
        }
        for key in SCHEMA_ARRAY {
            if let Some(Value::Array(items)) = map.get_mut(*key) {
                let base = push(ptr, key);
                for (i, child) in items.iter_mut().enumerate() {
                    self.schema(child, &push(&base, &i.to_string()), depth + 1);
                }
            }
        }
        // 3.0 and draft 4 allow `items: [..]` (tuple form); walk those too.
        if let Some(Value::Array(items)) = map.get_mut("items") {
            let base = push(ptr, "items");
            for (i, child) in items.iter_mut().enumerate() {
                self.schema(child, &push(&base, &i.to_string()), depth + 1);
            }
        }
        for key in SCHEMA_MAP {
            if let Some(Value::Object(children)) = map.get_mut(*key) {
                let base = push(ptr, key);
                for (name, child) in children.iter_mut() {
                    self.schema(child, &push(&base, name), depth + 1);
                }
            }
        }

        self.bounds(map, ptr, "exclusiveMinimum", "minimum");
        self.bounds(map, ptr, "exclusiveMaximum", "maximum");
        self.example(map, ptr);
        self.type_fixes(map, ptr);
        self.required(map, ptr);
        numeric_format(map);
        self.nullable(value, ptr);
    }

    /// `exclusiveMinimum: true` + `minimum: 5` becomes `exclusiveMinimum: 5`.
    fn bounds(
        &mut self,
        map: &mut Map<String, Value>,
        ptr: &str,
        exclusive: &str,
        inclusive: &str,
    ) {
        let Some(Value::Bool(flag)) = map.get(exclusive) else {
            return;
        };
        let flag = *flag;
        self.note_30_keyword(
            1,
            &push(ptr, exclusive),
            "boolean exclusiveMinimum/exclusiveMaximum",
        );
        map.remove(exclusive);
        if flag {
            match map.remove(inclusive) {
                Some(bound) => {
                    map.insert(exclusive.to_owned(), bound);
                }
                None => self.problems.push(Problem::warning(
                    push(ptr, exclusive),
                    format!("`{exclusive}: true` without `{inclusive}` means nothing; ignored"),
                )),
            }
        }
    }

    /// `example: X` becomes `examples: [X]` (2020-12's annotation), unless the
    /// schema already has `examples`.
    fn example(&mut self, map: &mut Map<String, Value>, _ptr: &str) {
        if map.contains_key("examples") {
            return;
        }
        if let Some(example) = map.remove("example") {
            map.insert("examples".to_owned(), Value::Array(vec![example]));
        }
    }

    /// A name listed twice in `required` means nothing more than once, but
    /// jsonschema then reports it missing even when it is present (OpenAI's
    /// `ContainerResource` does this): keep the first of each.
    fn required(&mut self, map: &mut Map<String, Value>, ptr: &str) {
        let Some(Value::Array(names)) = map.get_mut("required") else {
            return;
        };
        let before = names.len();
        let mut seen = std::collections::HashSet::new();
        names.retain(|n| seen.insert(n.clone()));
        if names.len() < before {
            self.problems.push(Problem::warning(
                push(ptr, "required"),
                format!(
                    "{} duplicate name(s) in `required`; each is kept once",
                    before - names.len()
                ),
            ));
        }
    }

    /// Repairs `type` values real documents get wrong, when the intent is clear.
    fn type_fixes(&mut self, map: &mut Map<String, Value>, ptr: &str) {
        const TYPES: &[&str] = &[
            "null", "boolean", "object", "array", "number", "string", "integer",
        ];
        let bad = match map.get("type") {
            Some(Value::String(t)) => !TYPES.contains(&t.as_str()),
            Some(Value::Array(ts)) => ts
                .iter()
                .any(|t| !t.as_str().is_some_and(|t| TYPES.contains(&t))),
            Some(_) => true,
            None => false,
        };
        if bad {
            let found = map.remove("type").unwrap_or(Value::Null);
            self.problems.push(Problem::warning(
                push(ptr, "type"),
                format!(
                    "expected one of {TYPES:?} (or an array of them), found {found}; the `type` constraint is ignored"
                ),
            ));
        }
    }

    /// `nullable: true` admits `null`: into the type array when there is a
    /// `type`, as an extra branch of `oneOf`/`anyOf`, or by wrapping the schema.
    fn nullable(&mut self, value: &mut Value, ptr: &str) {
        let Value::Object(map) = value else { return };
        let Some(nullable) = map.remove("nullable") else {
            return;
        };
        self.note_30_keyword(0, &push(ptr, "nullable"), "nullable");
        if nullable != Value::Bool(true) {
            return;
        }
        if let Some(Value::Array(members)) = map.get_mut("enum")
            && !members.contains(&Value::Null)
        {
            members.push(Value::Null);
        }
        match map.get_mut("type") {
            Some(Value::String(t)) => {
                let t = std::mem::take(t);
                map.insert("type".to_owned(), json!([t, "null"]));
                return;
            }
            Some(Value::Array(ts)) => {
                if !ts.contains(&json!("null")) {
                    ts.push(json!("null"));
                }
                return;
            }
            _ => {}
        }
        if map.contains_key("enum") {
            return;
        }
        if !map.contains_key("allOf") && !map.contains_key("$ref") {
            for key in ["oneOf", "anyOf"] {
                if let Some(Value::Array(branches)) = map.get_mut(key) {
                    branches.push(json!({"type": "null"}));
                    return;
                }
            }
        }
        // No type and no union to extend: the whole schema, or null.
        let inner = std::mem::take(map);
        let mut annotations = Map::new();
        let mut rest = Map::new();
        for (k, v) in inner {
            if matches!(
                k.as_str(),
                "description"
                    | "title"
                    | "examples"
                    | "default"
                    | "readOnly"
                    | "writeOnly"
                    | "deprecated"
            ) || k.starts_with("x-")
            {
                annotations.insert(k, v);
            } else {
                rest.insert(k, v);
            }
        }
        if rest.is_empty() {
            // `{nullable: true}` alone already admits anything, null included.
            *map = annotations;
            return;
        }
        annotations.insert(
            "anyOf".to_owned(),
            json!([Value::Object(rest), {"type": "null"}]),
        );
        *map = annotations;
    }
}

/// Marks a numeric `format` with [`NUMERIC_FORMAT_KEYWORD`].
fn numeric_format(map: &mut Map<String, Value>) {
    if let Some(Value::String(f)) = map.get("format")
        && matches!(f.as_str(), "int32" | "int64" | "float" | "double")
    {
        let f = Value::String(f.clone());
        map.insert(NUMERIC_FORMAT_KEYWORD.to_owned(), f);
    }
}
