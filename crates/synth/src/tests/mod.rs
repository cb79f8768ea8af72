//! Unit tests: one per construct, each value checked by decoy-validate.

use decoy_spec::Spec;
use decoy_validate::Validators;
use serde_json::{Value, json};

use crate::{Direction, Generator, InvalidKind, Options, SynthError, derive_seed, record_seed};

struct Fixture {
    generator: Generator,
    validators: Validators,
}

fn fixture(schemas: Value, options: Options) -> Fixture {
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas},
    });
    let spec = Spec::parse(&doc.to_string(), "test.json").expect("test document parses");
    Fixture {
        generator: Generator::new(spec.document().clone(), options),
        validators: Validators::new(&spec),
    }
}

/// A fixture from a whole document (for schemas with `x-decoy-*` hints,
/// which live in files so only decoy-spec names those keys).
fn fixture_document(text: &str) -> Fixture {
    let spec = Spec::parse(text, "fixture.yaml").expect("test document parses");
    assert!(spec.problems().is_empty(), "{:?}", spec.problems());
    Fixture {
        generator: Generator::new(spec.document().clone(), Options::default()),
        validators: Validators::new(&spec),
    }
}

impl Fixture {
    /// `n` values of schema `name`, each checked by decoy-validate.
    fn valid(&self, name: &str, n: u64) -> Vec<Value> {
        let ptr = format!("/components/schemas/{name}");
        let plan = self
            .generator
            .plan(&ptr)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let validator = self.validators.compile(&ptr).expect("validator compiles");
        (0..n)
            .map(|seed| {
                let v = plan
                    .generate(seed)
                    .unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
                let violations = validator.validate(&v);
                assert!(
                    violations.is_empty(),
                    "{name} seed {seed}: {v}\n{violations:#?}"
                );
                v
            })
            .collect()
    }

    fn error(&self, name: &str) -> SynthError {
        match self.generator.plan(&format!("#/components/schemas/{name}")) {
            Ok(plan) => match plan.generate(0) {
                Ok(v) => panic!("{name}: expected an error, got {v}"),
                Err(e) => e,
            },
            Err(e) => e,
        }
    }
}

fn one(schema: Value) -> Fixture {
    fixture(json!({ "S": schema }), Options::default())
}

#[test]
fn types_and_type_arrays() {
    for t in [
        "string", "integer", "number", "boolean", "null", "array", "object",
    ] {
        let f = one(json!({ "type": t }));
        f.valid("S", 30);
    }
    let f = one(json!({ "type": ["string", "null"] }));
    let values = f.valid("S", 200);
    assert!(values.iter().any(Value::is_null) && values.iter().any(Value::is_string));
    one(json!({})).valid("S", 30);
    one(json!(true)).valid("S", 5);
}

#[test]
fn enum_and_const() {
    let f = one(json!({ "enum": ["a", "b", 3, null] }));
    let values = f.valid("S", 100);
    assert!(values.contains(&json!(3)) && values.contains(&json!("a")));
    let f = one(json!({ "const": {"x": [1, 2]} }));
    assert_eq!(f.valid("S", 3)[0], json!({"x": [1, 2]}));
    // Members that do not fit the type are dropped, not generated.
    let f = one(json!({ "type": "string", "enum": ["a", 1] }));
    assert!(f.valid("S", 20).iter().all(|v| v == "a"));
}

#[test]
fn formats() {
    for format in [
        "date-time",
        "date",
        "time",
        "duration",
        "uuid",
        "uri",
        "uri-reference",
        "email",
        "hostname",
        "ipv4",
        "ipv6",
        "byte",
        "binary",
        "password",
        "int32",
        "int64",
        "float",
        "double",
        "no-such-format",
    ] {
        let t = if matches!(format, "int32" | "int64") {
            "integer"
        } else if matches!(format, "float" | "double") {
            "number"
        } else {
            "string"
        };
        one(json!({ "type": t, "format": format })).valid("S", 50);
    }
    let f = one(json!({ "type": "string", "format": "date-time" }));
    for v in f.valid("S", 50) {
        let s = v.as_str().unwrap();
        assert!(s.starts_with("2025-") || s.starts_with("2026-"), "{s}");
    }
}

/// Date-times are held as numbers while generated (`Tree::Time`); every
/// string keyword still applies to the text they are written as, and a
/// timeline of them stays ordered.
#[test]
fn date_times_meet_every_string_keyword() {
    let f = fixture(
        json!({
            "Plain": {"type": "string", "format": "date-time"},
            "Named": {"type": "object", "required": ["created_at"],
                      "properties": {"created_at": {"type": "string"}}},
            "Pattern": {"type": "string", "format": "date-time", "pattern": "^2[0-9]{3}-.*Z$"},
            "Short": {"type": "string", "format": "date-time", "maxLength": 19},
            "Exact": {"type": "string", "format": "date-time", "minLength": 20, "maxLength": 20},
            "Either": {"oneOf": [
                {"type": "string", "format": "date-time", "pattern": "^20"},
                {"type": "string", "format": "date"}
            ]},
            "Times": {"type": "object",
                      "required": ["created_at", "started_at", "ended_at"],
                      "properties": {
                          "created_at": {"type": "string", "format": "date-time"},
                          "started_at": {"type": "string", "format": "date-time"},
                          "ended_at": {"type": "string", "format": "date-time"}}},
        }),
        Options::default(),
    );
    for name in ["Plain", "Named", "Pattern", "Exact", "Either"] {
        f.valid(name, 40);
    }
    // No RFC 3339 date-time is shorter than 20 characters.
    let e = f.error("Short");
    assert!(matches!(e, SynthError::Unsatisfiable { .. }), "{e:?}");
    for v in f.valid("Pattern", 40) {
        assert!(v.as_str().unwrap().ends_with('Z'), "{v}");
    }
    for v in f.valid("Times", 40) {
        let t = |k: &str| crate::time::parse_date_time(v[k].as_str().unwrap()).unwrap();
        assert!(
            t("created_at") <= t("started_at") && t("started_at") <= t("ended_at"),
            "{v}"
        );
    }
}

#[test]
fn patterns_and_string_bounds() {
    for (i, p) in [
        r"^BY[0-9a-fA-F]{32}$",
        r"^(0|[1-9][0-9]*)$",
        r"^\+[1-9]\d{1,14}$",
        r"^[a-z]{2}-[A-Z]{2}$",
        r"^(?=.*\d)[a-z\d]{6,10}$",
    ]
    .iter()
    .enumerate()
    {
        let f = one(json!({ "type": "string", "pattern": p }));
        f.valid("S", 100);
        let _ = i;
    }
    let f = one(json!({ "type": "string", "minLength": 30, "maxLength": 32 }));
    f.valid("S", 50);
    let f =
        one(json!({ "type": "string", "pattern": "^[a-z]+$", "minLength": 12, "maxLength": 14 }));
    f.valid("S", 50);
}

#[test]
fn numbers_bounds_and_multiple_of() {
    one(json!({ "type": "integer", "minimum": 10, "maximum": 12 })).valid("S", 50);
    one(json!({ "type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 3 })).valid("S", 50);
    one(json!({ "type": "integer", "multipleOf": 7, "minimum": 100 })).valid("S", 50);
    one(json!({ "type": "number", "multipleOf": 0.01, "minimum": 0, "maximum": 5 })).valid("S", 50);
    one(json!({ "type": "number", "exclusiveMinimum": 0.1, "exclusiveMaximum": 0.2 }))
        .valid("S", 50);
    one(json!({ "type": "number", "minimum": 1e300 })).valid("S", 10);
}

#[test]
fn arrays_bounds_and_unique_items() {
    one(json!({ "type": "array", "items": {"type": "integer"}, "minItems": 4, "maxItems": 6 }))
        .valid("S", 50);
    one(json!({ "type": "array", "items": {"enum": [1, 2, 3]}, "minItems": 3, "uniqueItems": true })).valid("S", 50);
    one(json!({ "type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false })).valid("S", 20);
    one(json!({ "type": "array", "contains": {"const": "x"}, "items": {"type": "string"} }))
        .valid("S", 20);
}

#[test]
fn required_optional_and_full() {
    let schema = json!({
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "boolean"}},
    });
    let f = one(schema.clone());
    let values = f.valid("S", 100);
    assert!(values.iter().any(|v| v.get("b").is_none()));
    assert!(values.iter().any(|v| v.get("b").is_some()));
    let f = fixture(json!({ "S": schema }), Options::default().full(true));
    assert!(
        f.valid("S", 30)
            .iter()
            .all(|v| v.as_object().unwrap().len() == 3)
    );
}

#[test]
fn additional_properties() {
    let f = one(json!({
        "type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false,
        "minProperties": 1,
    }));
    f.valid("S", 30);
    let f = one(
        json!({ "type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 2 }),
    );
    for v in f.valid("S", 30) {
        assert!(v.as_object().unwrap().values().all(Value::is_i64));
    }
    one(json!({ "type": "object", "patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": false, "minProperties": 1 })).valid("S", 20);
    one(json!({ "type": "object", "propertyNames": {"pattern": "^[A-Z]+$"}, "additionalProperties": {"type": "string"}, "minProperties": 1 })).valid("S", 20);
}

#[test]
fn all_of_merges() {
    let f = fixture(
        json!({
            "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "minimum": 5}}},
            "S": {"allOf": [
                {"$ref": "#/components/schemas/Base"},
                {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "id": {"maximum": 6}}},
            ]},
        }),
        Options::default(),
    );
    for v in f.valid("S", 50) {
        assert!(v["id"] == 5 || v["id"] == 6);
        assert!(v["name"].is_string());
    }
    // additionalProperties: false in one member forbids the other's names.
    let f = one(json!({"allOf": [
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false},
        {"properties": {"b": {"type": "string"}}},
    ]}));
    assert!(f.valid("S", 50).iter().all(|v| v.get("b").is_none()));
}

#[test]
fn one_of_is_exclusive() {
    // The second branch overlaps the first; only non-overlapping values pass.
    let f = one(json!({"oneOf": [
        {"type": "object", "properties": {"a": {"type": "string"}}},
        {"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}},
    ]}));
    f.valid("S", 100);
    let f = one(json!({"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]}));
    f.valid("S", 100);
    let f = one(
        json!({"type": "object", "properties": {"to": {"type": "string"}, "destinations": {"type": "array", "items": {"type": "string"}}},
        "anyOf": [{"required": ["to"]}, {"required": ["destinations"]}]}),
    );
    for v in f.valid("S", 50) {
        assert!(v.get("to").is_some() || v.get("destinations").is_some());
    }
}

#[test]
fn not_keyword() {
    one(json!({"type": "string", "not": {"enum": ["a", "b"]}, "maxLength": 1, "pattern": "^[ab]?$"})).valid("S", 30);
    one(json!({"type": "integer", "minimum": 0, "maximum": 3, "not": {"const": 2}})).valid("S", 30);
}

#[test]
fn discriminator_mapping() {
    let f = fixture(
        json!({
            "Dog": {"type": "object", "required": ["kind", "bark"], "properties": {"kind": {"type": "string"}, "bark": {"type": "boolean"}}},
            "Cat": {"type": "object", "required": ["kind", "meow"], "properties": {"kind": {"type": "string"}, "meow": {"type": "boolean"}}},
            "S": {
                "oneOf": [{"$ref": "#/components/schemas/Dog"}, {"$ref": "#/components/schemas/Cat"}],
                "discriminator": {"propertyName": "kind", "mapping": {"dog": "#/components/schemas/Dog", "cat": "Cat"}},
            },
        }),
        Options::default(),
    );
    for v in f.valid("S", 50) {
        if v.get("bark").is_some() {
            assert_eq!(v["kind"], "dog");
        } else {
            assert_eq!(v["kind"], "cat");
        }
    }
}

#[test]
fn read_only_and_write_only_follow_direction() {
    let schemas = json!({"S": {"type": "object", "properties": {
        "id": {"type": "string", "readOnly": true},
        "password": {"type": "string", "writeOnly": true},
        "name": {"type": "string"},
    }}});
    let f = fixture(schemas.clone(), Options::default().full(true));
    for v in f.valid("S", 20) {
        assert!(v.get("password").is_none() && v.get("id").is_some());
    }
    let f = fixture(
        schemas,
        Options::default().full(true).direction(Direction::Request),
    );
    for v in f.valid("S", 20) {
        assert!(v.get("id").is_none() && v.get("password").is_some());
    }
}

#[test]
fn examples_are_used_under_the_option() {
    let schemas = json!({"S": {"type": "string", "examples": ["hello"], "default": "hi"}});
    let f = fixture(schemas.clone(), Options::default().examples(true));
    assert!(f.valid("S", 20).iter().all(|v| v == "hello" || v == "hi"));
    // Without the option, only free text draws from the examples (as the
    // document's vocabulary); other values are generated.
    let f = fixture(schemas, Options::default());
    assert!(f.valid("S", 20).iter().all(|v| v == "hello" || v == "hi"));
    let f = one(json!({"type": "integer", "examples": [7], "default": 7}));
    assert!(f.valid("S", 20).iter().any(|v| v != 7));
}

#[test]
fn recursive_schemas_stay_finite_and_valid() {
    let f = fixture(
        json!({
            "Tree": {"type": "object", "required": ["children"], "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
                "parent": {"anyOf": [{"$ref": "#/components/schemas/Tree"}, {"type": "null"}]},
            }},
            "List": {"type": ["object", "null"], "required": ["next"], "properties": {"next": {"$ref": "#/components/schemas/List"}}},
        }),
        Options::default().full(true),
    );
    f.valid("Tree", 50);
    f.valid("List", 50);
}

#[test]
fn unsatisfiable_schemas_are_reported_with_the_pointer() {
    let f = fixture(
        json!({
            "Types": {"allOf": [{"type": "string"}, {"type": "integer"}]},
            "Range": {"type": "integer", "minimum": 5, "maximum": 1},
            "Length": {"type": "string", "minLength": 5, "maxLength": 1},
            "Enum": {"type": "integer", "enum": ["a", "b"]},
            "Not": {"not": {}},
            "Required": {"type": "object", "required": ["x"], "properties": {"x": {"type": "string", "minLength": 3, "maxLength": 2}}},
            "Endless": {"type": "object", "required": ["next"], "properties": {"next": {"$ref": "#/components/schemas/Endless"}}},
            "Pattern": {"type": "string", "pattern": "a^b"},
        }),
        Options::default(),
    );
    for (name, at) in [
        ("Types", "#/components/schemas/Types"),
        ("Range", "#/components/schemas/Range"),
        ("Length", "#/components/schemas/Length"),
        ("Enum", "#/components/schemas/Enum"),
        ("Not", "#/components/schemas/Not"),
        ("Required", "#/components/schemas/Required/properties/x"),
        ("Endless", "#/components/schemas/Endless"),
        ("Pattern", "#/components/schemas/Pattern"),
    ] {
        let e = f.error(name);
        assert!(matches!(e, SynthError::Unsatisfiable { .. }), "{name}: {e}");
        assert!(e.pointer().starts_with(at), "{name}: {e}");
    }
    let e = f.generator.plan("#/components/schemas/Nope").unwrap_err();
    assert!(matches!(e, SynthError::NoSchema { .. }));
}

#[test]
fn coherence_extensions() {
    let f = fixture_document(include_str!("../../../../specs/fixtures/coherence.yaml"));
    for v in f.valid("Call", 200) {
        let id = v["id"].as_str().unwrap();
        assert!(id.starts_with("call_") && id.len() == 21, "{id}");
        assert_eq!(v["uri"], format!("/v1/calls/{id}"));
        assert_eq!(v["session_id"], v["report"]["session_id"]);
        let t = |k: &str| {
            v[k].as_str()
                .map(|s| crate::time::parse_date_time(s).unwrap())
        };
        assert!(t("created_at") <= t("updated_at"));
        match t("ended_at") {
            Some(end) => {
                assert!(t("updated_at").unwrap() <= end);
                assert_eq!(v["duration_seconds"], json!(end - t("created_at").unwrap()));
            }
            None => assert!(v["duration_seconds"].is_null()),
        }
        for (i, e) in v["entries"].as_array().unwrap().iter().enumerate() {
            assert_eq!(e["n"], json!(i));
        }
    }
    let plan = f.generator.plan("#/components/schemas/Call").unwrap();
    let pinned = plan
        .generate_with(
            3,
            &[("id", json!("call_pinned")), ("session_id", json!("s1"))],
        )
        .unwrap();
    assert_eq!(pinned["uri"], "/v1/calls/call_pinned");
    assert_eq!(pinned["report"]["session_id"], "s1");
}

#[test]
fn general_rules_without_extensions() {
    let f = fixture(
        json!({"S": {
            "type": "object",
            "required": ["created_at", "updated_at", "completed_at", "items", "organization_id", "child", "agent_id"],
            "properties": {
                "completed_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "created_at": {"type": "string", "format": "date-time"},
                // The examples show the prefix; `agent_id` takes the generic one.
                "organization_id": {"type": "string", "examples": ["org_5tRb2MxW9eLs7UvC"]},
                "agent_id": {"type": "string"},
                "child": {"type": "object", "required": ["organization_id"], "properties": {"organization_id": {"type": "string", "examples": ["org_Qm3Nb7Vc2Xz8Lm3N"]}}},
                "items": {"type": "array", "items": {"type": "object", "required": ["index"], "properties": {"index": {"type": "integer"}}}},
            },
        }}),
        Options::default(),
    );
    for v in f.valid("S", 100) {
        assert!(v["created_at"].as_str() <= v["updated_at"].as_str());
        assert!(v["updated_at"].as_str() <= v["completed_at"].as_str());
        assert_eq!(v["organization_id"], v["child"]["organization_id"]);
        assert!(v["organization_id"].as_str().unwrap().starts_with("org_"));
        assert!(v["agent_id"].as_str().unwrap().starts_with("agent_"));
        for (i, e) in v["items"].as_array().unwrap().iter().enumerate() {
            assert_eq!(e["index"], json!(i));
        }
    }
}

#[test]
fn list_items_have_their_own_ids_and_unix_times_are_recent() {
    let item = json!({"type": "object", "required": ["agent_id", "kb"],
        "properties": {"agent_id": {"type": "string"},
            "kb": {"type": "object", "required": ["knowledge_base_id"], "properties": {"knowledge_base_id": {"type": "string"}}}}});
    let f = fixture(
        json!({"S": {
            "type": "object",
            "required": ["items", "created_unix", "updated_at_ms", "expires_at"],
            "properties": {
                "items": {"type": "array", "minItems": 3, "items": item},
                "created_unix": {"type": "integer"},
                "updated_at_ms": {"type": "integer"},
                "expires_at": {"type": "integer", "minimum": 1_000_000_000_000_i64},
            },
        }}),
        Options::default(),
    );
    for v in f.valid("S", 50) {
        let items = v["items"].as_array().unwrap();
        for key in ["/agent_id", "/kb/knowledge_base_id"] {
            let ids: std::collections::HashSet<String> = items
                .iter()
                .map(|i| i.pointer(key).unwrap().to_string())
                .collect();
            assert_eq!(ids.len(), items.len(), "{key} repeats across items: {v}");
        }
        // 2001-09-09 .. 2286: a Unix second; the millisecond ones are 1000x.
        let created = v["created_unix"].as_i64().unwrap();
        assert!((1_000_000_000..10_000_000_000).contains(&created), "{v}");
        for key in ["updated_at_ms", "expires_at"] {
            let ms = v[key].as_i64().unwrap();
            assert!(
                (1_000_000_000_000..10_000_000_000_000).contains(&ms),
                "{key}: {v}"
            );
        }
    }
}

#[test]
fn realism_from_names_and_x_faker() {
    let f = fixture(
        json!({"S": {
            "type": "object",
            "required": ["email", "language", "summary", "phone", "first", "url", "city"],
            "properties": {
                "email": {"type": "string"},
                "language": {"type": "string"},
                "summary": {"type": "string"},
                "phone": {"type": "string"},
                "first": {"type": "string", "x-faker": "person.firstName"},
                "url": {"type": "string"},
                "city": {"type": "string", "maxLength": 3},
            },
        }}),
        Options::default(),
    );
    for v in f.valid("S", 50) {
        assert!(v["email"].as_str().unwrap().contains('@'));
        assert!(v["language"].as_str().unwrap().contains('-'));
        assert!(v["summary"].as_str().unwrap().ends_with('.'));
        assert!(v["phone"].as_str().unwrap().starts_with('+'));
        assert!(v["url"].as_str().unwrap().starts_with("https://"));
        assert!(
            v["first"]
                .as_str()
                .unwrap()
                .chars()
                .next()
                .unwrap()
                .is_uppercase()
        );
        // A guess that does not fit the schema gives way to it.
        assert!(v["city"].as_str().unwrap().len() <= 3);
    }
}

#[test]
fn seeds_are_reproducible() {
    let f = one(
        json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}}}),
    );
    let plan = f.generator.plan("#/components/schemas/S").unwrap();
    assert_eq!(plan.generate(9).unwrap(), plan.generate(9).unwrap());
    let distinct: std::collections::HashSet<String> = (0..20)
        .map(|s| plan.generate(s).unwrap().to_string())
        .collect();
    assert!(distinct.len() > 15);
    assert_ne!(record_seed(1, 0), record_seed(1, 1));
    assert_eq!(derive_seed(5, "GET /x"), derive_seed(5, "GET /x"));
    assert_ne!(derive_seed(5, "GET /x"), derive_seed(6, "GET /x"));
    let streamed: Vec<Value> = plan.stream(3).take(2).map(Result::unwrap).collect();
    assert_eq!(streamed[1], plan.generate(record_seed(3, 1)).unwrap());
}

#[test]
fn inline_schemas_resolve_refs_in_the_document() {
    let f = fixture(
        json!({"Id": {"type": "string", "format": "uuid"}}),
        Options::default(),
    );
    let v = f
        .generator
        .generate_value(
            &json!({"type": "array", "items": {"$ref": "#/components/schemas/Id"}, "minItems": 1}),
            1,
        )
        .unwrap();
    assert_eq!(v[0].as_str().unwrap().len(), 36);
}

#[test]
fn invalid_values_break_their_label() {
    let f = fixture(
        json!({"S": {
            "type": "object",
            "required": ["name", "age", "tags", "kind", "code", "when"],
            "additionalProperties": false,
            "properties": {
                "name": {"type": "string", "minLength": 2, "maxLength": 8},
                "age": {"type": "integer", "minimum": 0, "maximum": 150},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
                "kind": {"enum": ["a", "b"]},
                "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "when": {"type": "string", "format": "date-time"},
            },
        }}),
        Options::default(),
    );
    let plan = f.generator.plan("/components/schemas/S").unwrap();
    let validator = f.validators.compile("/components/schemas/S").unwrap();
    let kinds = plan.invalid_kinds();
    assert_eq!(kinds.len(), InvalidKind::ALL.len(), "{kinds:?}");
    for kind in kinds {
        for seed in 0..10 {
            let bad = plan.generate_invalid_kind(kind, seed).unwrap().unwrap();
            let violations = validator.validate(&bad.value);
            assert!(
                violations
                    .iter()
                    .any(|v| kind.keywords().contains(&v.keyword.as_str())),
                "{kind} seed {seed}: {}\n{violations:#?}",
                bad.value
            );
        }
    }
}

#[test]
fn proptest_strategies_shrink_within_the_schema() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    let f = one(json!({"type": "object", "required": ["a"], "properties": {
        "a": {"type": "array", "items": {"type": "integer", "minimum": 3}, "minItems": 1},
        "b": {"type": "string"},
    }}));
    let plan = f.generator.plan("/components/schemas/S").unwrap();
    let validator = f.validators.compile("/components/schemas/S").unwrap();
    let mut runner = TestRunner::deterministic();
    for _ in 0..20 {
        let mut tree = plan.strategy().new_tree(&mut runner).unwrap();
        assert!(validator.validate(&tree.current()).is_empty());
        while tree.simplify() {
            assert!(
                validator.validate(&tree.current()).is_empty(),
                "{}",
                tree.current()
            );
        }
        let simplest = tree.current();
        assert!(simplest.get("b").is_none());
        assert_eq!(simplest["a"], json!([3]));
    }
    let mut tree = plan
        .invalid_strategy(Some(InvalidKind::TooFewItems))
        .new_tree(&mut runner)
        .unwrap();
    while tree.simplify() {}
    assert_eq!(tree.current().kind, InvalidKind::TooFewItems);
    assert!(!validator.validate(&tree.current().value).is_empty());
}

#[test]
fn impossible_patterns_never_hang() {
    let f = one(json!({"type": "string", "pattern": "^(?=x)y$"}));
    let start = std::time::Instant::now();
    let e = f.error("S");
    assert!(start.elapsed().as_secs() < 5);
    assert!(
        matches!(
            e,
            SynthError::Unsatisfiable { .. } | SynthError::CannotGenerate { .. }
        ),
        "{e}"
    );
}

#[test]
fn generators_and_plans_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Generator>();
    assert_send_sync::<crate::Plan>();
    let f = one(
        json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "pattern": "^[a-z]{4}$"}}}),
    );
    let plan = f.generator.plan("/components/schemas/S").unwrap();
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let plan = plan.clone();
            std::thread::spawn(move || {
                (0..200)
                    .filter(|s| plan.generate(s + t * 1000).is_ok())
                    .count()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 200);
    }
}

/// Found by fuzzing: nested open repetitions made candidates grow without
/// bound and the generator never returned. It must now answer (a value or
/// a "cannot generate" error naming the pointer) for each of these.
#[test]
fn nested_repetitions_terminate() {
    for pattern in [
        "[A======/============80!=======0000000000000g]0++{3}-\\d{3}&",
        "(a+)+{3}b",
        "((x*)*)*y{2}",
    ] {
        let doc = serde_json::json!({"type": "string", "pattern": pattern});
        let generator = crate::Generator::new(serde_json::json!({}), crate::Options::default());
        match generator.plan_value(&doc).and_then(|p| p.generate(1)) {
            Ok(v) => assert!(
                v.as_str().is_some_and(|s| s.chars().count() < 10_000),
                "{pattern}: {v}"
            ),
            Err(e) => assert!(e.to_string().contains("pattern"), "{pattern}: {e}"),
        }
    }
}

mod stability;

#[test]
fn if_then_else_is_chosen_first() {
    // Three rules on one status: retrying random values would rarely meet
    // all of them; choosing each branch first always does.
    let f = one(json!({
        "type": "object",
        "required": ["status", "ended_at", "cause", "note"],
        "properties": {
            "status": {"enum": ["queued", "ringing", "live", "done", "failed", "busy"]},
            "ended_at": {"type": ["string", "null"], "format": "date-time"},
            "cause": {"type": ["string", "null"]},
            "note": {"type": ["string", "null"]},
        },
        "allOf": [
            {
                "if": {"properties": {"status": {"enum": ["done", "failed", "busy"]}}},
                "then": {"properties": {"ended_at": {"type": "string"}}},
                "else": {"properties": {"ended_at": {"type": "null"}}},
            },
            {
                "if": {"properties": {"status": {"enum": ["failed", "busy"]}}},
                "then": {"properties": {"cause": {"type": "string"}}},
                "else": {"properties": {"cause": {"type": "null"}}},
            },
            {
                "if": {"properties": {"status": {"const": "queued"}}},
                "then": {"properties": {"note": {"type": "null"}}},
            },
        ],
    }));
    let values = f.valid("S", 2_000);
    let statuses: std::collections::BTreeSet<&str> =
        values.iter().filter_map(|v| v["status"].as_str()).collect();
    assert_eq!(statuses.len(), 6, "every state appears: {statuses:?}");
    let plan = f.generator.plan("/components/schemas/S").unwrap();
    assert_eq!(plan.selectors(), Some(vec!["status".to_owned()]));
}

#[test]
fn states_are_chosen_first_only_where_the_ifs_test_just_the_selectors() {
    let rules = |condition: Value| {
        json!({
            "type": "object",
            "required": ["kind", "limit"],
            "properties": {
                "kind": {"type": "string", "examples": ["trial", "paid"]},
                "paying": {"type": "boolean"},
                "limit": {"type": ["integer", "null"], "minimum": 1},
            },
            "if": condition,
            "then": {"properties": {"limit": {"type": "null"}}},
            "else": {"properties": {"limit": {"type": "integer"}}},
        })
    };
    // Two selectors, one open string with examples and one boolean.
    let f = fixture(
        json!({
            "Decided": rules(json!({
                "required": ["kind", "paying"],
                "properties": {"kind": {"const": "trial"}, "paying": {"const": false}},
            })),
            // Tests a property the object does not declare, and a count:
            // only the whole value can say.
            "Undeclared": rules(json!({"required": ["coupon"]})),
            "Counted": rules(json!({"minProperties": 3})),
        }),
        Options::default(),
    );
    let plan = |name: &str| {
        f.generator
            .plan(&format!("/components/schemas/{name}"))
            .unwrap()
    };
    assert_eq!(
        plan("Decided").selectors(),
        Some(vec!["kind".to_owned(), "paying".to_owned()])
    );
    assert_eq!(plan("Undeclared").selectors(), None);
    assert_eq!(plan("Counted").selectors(), None);
    for name in ["Decided", "Undeclared", "Counted"] {
        let values = f.valid(name, 400);
        let nulls = values.iter().filter(|v| v["limit"].is_null()).count();
        assert!(nulls > 0 && nulls < 400, "{name}: both branches: {nulls}");
    }
}

#[test]
fn free_text_speaks_the_documents_vocabulary() {
    let f = fixture(
        json!({
            "Line": {"type": "object", "properties": {
                "provider": {"type": "string", "examples": ["deepgram", "cartesia"]},
            }},
            "Entry": {
                "type": "object",
                "required": ["provider", "model", "note", "code"],
                "properties": {
                    "provider": {"type": ["string", "null"]},
                    "model": {"type": "string", "examples": ["nova-3"]},
                    "note": {"type": "string"},
                    // Words the schema refuses are not used.
                    "code": {"type": "string", "minLength": 12, "examples": ["short"]},
                },
            },
        }),
        Options::default(),
    );
    let values = f.valid("Entry", 200);
    let providers: std::collections::BTreeSet<&str> = values
        .iter()
        .filter_map(|v| v["provider"].as_str())
        .collect();
    assert_eq!(
        providers,
        ["cartesia", "deepgram"].into(),
        "same-named examples"
    );
    assert!(
        values.iter().all(|v| v["model"] == "nova-3"),
        "own examples"
    );
    assert!(values.iter().all(|v| v["code"] != "short"));
    let notes: std::collections::BTreeSet<&str> =
        values.iter().filter_map(|v| v["note"].as_str()).collect();
    assert!(notes.len() > 50, "no vocabulary: words as before");
}
