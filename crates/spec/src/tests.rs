//! Unit and property tests of the router and of 3.0 lowering.

use proptest::prelude::*;
use serde_json::json;

use crate::{RouteMatch, Severity, Spec};

fn spec(paths: &[(&str, &str)], servers: &str) -> Spec {
    let mut text =
        format!("openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\nservers: {servers}\npaths:\n");
    let mut seen: Vec<&str> = Vec::new();
    for (path, _) in paths {
        if seen.contains(path) {
            continue;
        }
        seen.push(path);
        text.push_str(&format!("  '{path}':\n"));
        for (_, method) in paths.iter().filter(|(p, _)| p == path) {
            let params: Vec<String> = crate::index::template_names(path)
                .iter()
                .map(|n| {
                    format!("{{name: {n}, in: path, required: true, schema: {{type: string}}}}")
                })
                .collect();
            text.push_str(&format!(
                "    {method}:\n      parameters: [{}]\n",
                params.join(", ")
            ));
            text.push_str("      responses: {'200': {description: ok}}\n");
        }
    }
    Spec::parse(&text, "test.yaml").unwrap()
}

fn found(spec: &Spec, method: &str, path: &str) -> Option<(String, Vec<(String, String)>)> {
    match spec.router().find(method, path) {
        RouteMatch::Found { operation, params } => {
            Some((spec.operations()[operation].path.clone(), params))
        }
        _ => None,
    }
}

#[test]
fn literal_beats_template_whatever_the_order() {
    for order in [
        [("/pets/{id}", "get"), ("/pets/mine", "get")],
        [("/pets/mine", "get"), ("/pets/{id}", "get")],
    ] {
        let s = spec(&order, "[]");
        assert_eq!(found(&s, "GET", "/pets/mine").unwrap().0, "/pets/mine");
        assert_eq!(found(&s, "GET", "/pets/7").unwrap().0, "/pets/{id}");
    }
}

#[test]
fn earlier_literal_segments_rank_first() {
    let s = spec(&[("/{a}/b", "get"), ("/a/{b}", "get")], "[]");
    assert_eq!(found(&s, "GET", "/a/b").unwrap().0, "/a/{b}");
}

#[test]
fn percent_decoding_is_per_segment() {
    let s = spec(&[("/files/{name}", "get")], "[]");
    let (_, params) = found(&s, "GET", "/files/a%2Fb%20c").unwrap();
    assert_eq!(params, [("name".to_owned(), "a/b c".to_owned())]);
    assert_eq!(found(&s, "GET", "/files/a/b"), None);
    assert_eq!(
        found(&s, "GET", "/files/"),
        None,
        "an empty parameter does not match"
    );
    // Invalid UTF-8 after decoding does not panic.
    assert!(found(&s, "GET", "/files/%FF%FE").is_some());
}

#[test]
fn mixed_segments() {
    let s = spec(&[("/report.{ext}", "get"), ("/{a}-{b}", "get")], "[]");
    assert_eq!(
        found(&s, "GET", "/report.json").unwrap().1,
        [("ext".to_owned(), "json".to_owned())]
    );
    assert_eq!(
        found(&s, "GET", "/x-y").unwrap().1,
        [
            ("a".to_owned(), "x".to_owned()),
            ("b".to_owned(), "y".to_owned())
        ]
    );
}

#[test]
fn method_not_allowed_lists_methods() {
    let s = spec(&[("/pets", "get"), ("/pets", "post")], "[]");
    assert_eq!(
        s.router().find("DELETE", "/pets"),
        RouteMatch::MethodNotAllowed {
            allowed: vec!["GET".to_owned(), "POST".to_owned()]
        }
    );
    assert_eq!(s.router().find("GET", "/nope"), RouteMatch::NotFound);
}

#[test]
fn server_base_paths_are_stripped() {
    let s = spec(
        &[("/pets", "get")],
        "[{url: 'https://api.example.com/api/v3'}, {url: '/{v}', variables: {v: {default: v2}}}]",
    );
    assert!(found(&s, "GET", "/api/v3/pets").is_some());
    assert!(found(&s, "GET", "/v2/pets").is_some());
    assert!(
        found(&s, "GET", "/pets").is_some(),
        "a mock served at the root answers too"
    );
    assert!(found(&s, "GET", "/api/v3pets").is_none());
    assert!(found(&s, "GET", "/pets?x=1").is_some());
}

proptest! {
    #[test]
    fn any_segment_round_trips(raw in "[^/]{1,20}") {
        let s = spec(&[("/items/{id}", "get"), ("/items/special", "get")], "[]");
        let encoded = percent_encoding::utf8_percent_encode(&raw, percent_encoding::NON_ALPHANUMERIC).to_string();
        let (path, params) = found(&s, "GET", &format!("/items/{encoded}")).unwrap();
        if raw == "special" {
            prop_assert_eq!(path, "/items/special");
        } else {
            prop_assert_eq!(path, "/items/{id}");
            prop_assert_eq!(&params[0].1, &raw);
        }
    }

    #[test]
    fn router_never_panics(method in "[A-Z]{0,8}", path in "\\PC{0,64}") {
        let s = spec(&[("/a/{b}/c.{d}", "get"), ("/a/{b}", "post")], "[{url: /base}]");
        let _ = s.router().find(&method, &path);
    }
}

fn lowered(schema: serde_json::Value) -> serde_json::Value {
    let doc = json!({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
        "components": {"schemas": {"S": schema}}
    });
    let s = Spec::parse(&doc.to_string(), "t.json").unwrap();
    s.get("/components/schemas/S").unwrap().clone()
}

#[test]
fn nullable_becomes_a_type_array() {
    assert_eq!(
        lowered(json!({"type": "string", "nullable": true})),
        json!({"type": ["string", "null"]})
    );
    assert_eq!(
        lowered(json!({"type": "string", "enum": ["a"], "nullable": true})),
        json!({"type": ["string", "null"], "enum": ["a", null]})
    );
    assert_eq!(
        lowered(json!({"type": "string", "nullable": false})),
        json!({"type": "string"})
    );
}

#[test]
fn nullable_without_type_admits_null() {
    assert_eq!(
        lowered(json!({"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})),
        json!({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})
    );
    assert_eq!(
        lowered(
            json!({"allOf": [{"$ref": "#/components/schemas/S"}], "nullable": true, "description": "d"})
        ),
        json!({"description": "d", "anyOf": [{"allOf": [{"$ref": "#/components/schemas/S"}]}, {"type": "null"}]})
    );
}

#[test]
fn boolean_exclusive_bounds_become_numbers() {
    assert_eq!(
        lowered(
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 9, "exclusiveMaximum": false})
        ),
        json!({"type": "number", "exclusiveMinimum": 0, "maximum": 9})
    );
}

#[test]
fn example_becomes_examples_and_nested_schemas_are_lowered() {
    assert_eq!(
        lowered(
            json!({"type": "object", "example": {"a": 1}, "properties": {"a": {"type": "integer", "nullable": true}}})
        ),
        json!({"type": "object", "properties": {"a": {"type": ["integer", "null"]}}, "examples": [{"a": 1}]})
    );
}

#[test]
fn thirty_keywords_in_31_are_lowered_with_one_warning() {
    let doc = json!({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
        "components": {"schemas": {"A": {"type": "string", "nullable": true}, "B": {"type": "integer", "nullable": true}}}
    });
    let s = Spec::parse(&doc.to_string(), "t.json").unwrap();
    assert_eq!(
        s.get("/components/schemas/B/type").unwrap(),
        &json!(["integer", "null"])
    );
    let warnings: Vec<_> = s
        .problems()
        .iter()
        .filter(|p| p.severity == Severity::Warning)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
}

#[test]
fn broken_refs_are_problems_with_pointers() {
    let doc = json!({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
        "components": {"schemas": {
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"$ref": "#/components/schemas/A"},
            "C": {"$ref": "#/components/schemas/Missing"},
            "D": {"$ref": "https://example.com/x.json"},
            "E": {"type": "object", "properties": {"self": {"$ref": "#/components/schemas/E"}}}
        }}
    });
    let s = Spec::parse(&doc.to_string(), "t.json").unwrap();
    let msgs: Vec<String> = s
        .problems()
        .iter()
        .map(|p| format!("{}: {}", p.pointer, p.message))
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("/components/schemas/A/$ref") && m.contains("cyclic")),
        "{msgs:#?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("/components/schemas/C/$ref") && m.contains("does not exist")),
        "{msgs:#?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("/components/schemas/D/$ref") && m.contains("never fetches")),
        "{msgs:#?}"
    );
    assert!(
        !msgs.iter().any(|m| m.contains("/E/")),
        "recursion through properties is fine: {msgs:#?}"
    );
}

#[test]
fn status_keys_resolve_code_range_default() {
    let doc = r#"{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"responses": {
        "200": {"description": "ok"}, "4XX": {"description": "client"}, "default": {"description": "other"}}}}}}"#;
    let s = Spec::parse(doc, "t.json").unwrap();
    let op = &s.operations()[0];
    assert_eq!(op.response(200).unwrap().status.to_string(), "200");
    assert_eq!(op.response(404).unwrap().status.to_string(), "4XX");
    assert_eq!(op.response(503).unwrap().status.to_string(), "default");
}

/// The error text of a document that must not load.
fn refused(text: &str) -> String {
    Spec::parse(text, "bad.yaml").unwrap_err().to_string()
}

#[test]
fn parser_budgets_are_explained_not_dumped() {
    // Billion laughs: 9 levels of 9 aliases.
    let mut bomb = String::from("openapi: 3.1.0\npaths: {}\nx0: &a0 lol\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        bomb.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
    }
    let e = refused(&bomb);
    assert!(
        e.starts_with("bad.yaml:") && e.contains("more than 250000 YAML nodes"),
        "{e}"
    );
    assert!(!e.contains("budget breached"), "{e}");

    let deep = format!(
        "openapi: 3.1.0\npaths: {}1{}\n",
        "[".repeat(80),
        "]".repeat(80)
    );
    let e = refused(&deep);
    assert!(e.contains("nested deeper than 64 levels"), "{e}");

    let deep_json = format!(
        r#"{{"openapi": "3.1.0", "x": {}1{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let e = refused(&deep_json);
    assert!(
        e.starts_with("bad.yaml:1:") && e.contains("nested deeper than 128 levels"),
        "{e}"
    );
}
