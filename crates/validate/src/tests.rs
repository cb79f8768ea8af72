use decoy_spec::Spec;
use serde_json::json;

use std::sync::atomic::Ordering;

use crate::{Validators, check_examples};

const DOC30: &str = r#"
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /pets/{petId}:
    get:
      parameters:
        - {name: petId, in: path, required: true, schema: {type: integer, format: int64}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
              examples:
                good: {value: {id: 1, tag: null, weight: 2.5}}
                bad: {value: {id: "one"}}
components:
  schemas:
    Pet:
      type: object
      required: [id]
      properties:
        id: {type: integer, format: int32}
        tag: {type: string, nullable: true}
        weight: {type: number, minimum: 0, exclusiveMinimum: true, format: float}
        photo: {type: string, format: byte}
        born: {type: string, format: date-time}
"#;

fn pet() -> (Spec, Validators) {
    let spec = Spec::parse(DOC30, "t.yaml").unwrap();
    let v = Validators::new(&spec);
    (spec, v)
}

#[test]
fn nullable_30_field_accepts_null() {
    let (_, v) = pet();
    let pet = v.compile("/components/schemas/Pet").unwrap();
    assert!(pet.is_valid(&json!({"id": 1, "tag": null})));
    assert!(!pet.is_valid(&json!({"id": null})));
}

#[test]
fn boolean_exclusive_minimum_works() {
    let (_, v) = pet();
    let pet = v.compile("/components/schemas/Pet").unwrap();
    assert!(pet.is_valid(&json!({"id": 1, "weight": 0.1})));
    let violations = pet.validate(&json!({"id": 1, "weight": 0}));
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].keyword, "exclusiveMinimum");
    assert_eq!(
        violations[0].schema_pointer,
        "/components/schemas/Pet/properties/weight/exclusiveMinimum"
    );
}

#[test]
fn openapi_formats_are_asserted() {
    let (_, v) = pet();
    let pet = v.compile("/components/schemas/Pet").unwrap();
    let bad = json!({"id": 2147483648u64, "photo": "not base64!", "born": "Mon Nov 23 2026", "weight": 1e39});
    let mut keywords: Vec<(String, String)> = pet
        .validate(&bad)
        .into_iter()
        .map(|v| (v.instance_pointer, v.keyword))
        .collect();
    keywords.sort();
    assert_eq!(
        keywords,
        [
            ("/born", "format"),
            ("/id", "format"),
            ("/photo", "format"),
            ("/weight", "format")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert!(
        pet.is_valid(
            &json!({"id": -2147483648i64, "photo": "aGk=", "born": "2026-11-23T05:42:20Z"})
        )
    );
}

#[test]
fn path_template_pointers_compile() {
    let (spec, v) = pet();
    assert!(v.compile_operations(&spec).is_empty());
    let param = v
        .compile("/paths/~1pets~1{petId}/get/parameters/0/schema")
        .unwrap();
    assert!(param.is_valid(&json!(9007199254740993u64 / 2)));
    assert!(!param.is_valid(&json!(18446744073709551615u64)));
}

#[test]
fn bad_examples_are_reported_at_their_pointer() {
    let (spec, v) = pet();
    let (checked, problems) = check_examples(&spec, &v);
    assert_eq!(checked, 2);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].pointer.ends_with("/examples/bad/value"));
}

#[test]
fn invalid_schemas_and_regexes_are_compile_errors() {
    let doc = r#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
      "components": {"schemas": {"R": {"type": "string", "pattern": "(unclosed"}, "M": {"minLength": "three"}}}}"#;
    let spec = Spec::parse(doc, "t.json").unwrap();
    let v = Validators::new(&spec);
    let err = v.compile("/components/schemas/R").unwrap_err().to_string();
    assert!(
        err.starts_with("/components/schemas/R: cannot compile"),
        "{err}"
    );
    let err = v.compile("/components/schemas/M").unwrap_err().to_string();
    assert!(err.contains("minLength"), "{err}");
    assert!(v.compile("/components/schemas/Nope").is_err());
    // Failures are cached like successes: asking again builds nothing.
    let builds = v.builds.load(Ordering::Relaxed);
    assert_eq!(builds, 3);
    for p in ["R", "M", "Nope"] {
        let again = v.compile(&format!("/components/schemas/{p}"));
        assert!(again.is_err());
    }
    assert_eq!(v.compile_all(&spec).len(), 2);
    assert_eq!(v.builds.load(Ordering::Relaxed), builds);
}

#[test]
fn integral_floats_are_integers_for_the_integer_formats() {
    let (_, v) = pet();
    let pet = v.compile("/components/schemas/Pet").unwrap();
    assert!(pet.is_valid(&json!({"id": 1000.0})));
    assert!(!pet.is_valid(&json!({"id": 3_000_000_000.0})));
    assert!(!pet.is_valid(&json!({"id": 3_000_000_000_u64})));
    assert!(!pet.is_valid(&json!({"id": 1000.5})));
    let id = v
        .compile("/paths/~1pets~1{petId}/get/parameters/0/schema")
        .unwrap();
    assert!(id.is_valid(&json!(1e18)));
    assert!(!id.is_valid(&json!(1e19)));
    assert!(!id.is_valid(&json!(u64::MAX)));
}

#[test]
fn a_schema_that_does_not_compile_fails_the_same_way_every_time() {
    let doc = r#"
openapi: 3.1.0
info: {title: t, version: "1"}
components:
  schemas:
    Bad: {type: string, pattern: "(unclosed"}
"#;
    let spec = Spec::parse(doc, "t.yaml").unwrap();
    let v = Validators::new(&spec);
    let first = v
        .compile("/components/schemas/Bad")
        .unwrap_err()
        .to_string();
    // The second answer comes from the record of failures.
    let second = v
        .compile("/components/schemas/Bad")
        .unwrap_err()
        .to_string();
    assert_eq!(first, second);
    assert!(
        first.starts_with("/components/schemas/Bad: cannot compile"),
        "{first}"
    );
}
