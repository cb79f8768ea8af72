//! The `decoy` binary: exit codes, messages, the README's examples.

use crate::util::{Scratch, decoy, parts, root, snapshots};

#[test]
fn lint_embedded_calls_is_clean() {
    let (code, out, err) = parts(&decoy(&["lint"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("ok: calls.openapi.yaml (embedded): OpenAPI 3.1.0, 9 operations,"),
        "{out}"
    );
}

#[test]
fn lint_file_and_json_report() {
    let (code, out, _) = parts(&decoy(&[
        "lint",
        "specs/calls.openapi.yaml",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["operations"], 9);
    assert_eq!(report["errors"], 0);
    assert!(report["examples_checked"].as_u64().unwrap() >= 10);
}

#[test]
fn routes_table() {
    let (code, out, _) = parts(&decoy(&["routes"]));
    assert_eq!(code, 0);
    snapshots(|| insta::assert_snapshot!("routes_calls", out));
}

#[test]
fn unparseable_yaml_names_file_line_and_column() {
    let doc = Scratch::new(
        "broken.yaml",
        "openapi: 3.1.0\ninfo: {title: t\npaths: {}\n",
    );
    let (code, _, err) = parts(&decoy(&["lint", doc.path()]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{}:3:", doc.path())), "{err}");
    assert!(err.contains("not valid YAML"), "{err}");
}

#[test]
fn unparseable_json_names_file_line_and_column() {
    let doc = Scratch::new("broken.json", "{\"openapi\": \"3.1.0\",\n \"paths\": {,}}");
    let (code, _, err) = parts(&decoy(&["lint", doc.path()]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{}:2:", doc.path())) && err.contains("not valid JSON"),
        "{err}"
    );
}

#[test]
fn duplicate_keys_are_refused() {
    let doc = Scratch::new("dup.yaml", "openapi: 3.1.0\npaths: {}\npaths: {}\n");
    let (code, _, err) = parts(&decoy(&["lint", doc.path()]));
    assert_eq!(code, 2);
    assert!(err.contains(":3:") && err.contains("duplicate"), "{err}");
}

#[test]
fn not_openapi_3() {
    for (name, text, expect) in [
        (
            "swagger.yaml",
            "swagger: '2.0'\npaths: {}\n",
            "Swagger \"2.0\" is not supported",
        ),
        (
            "four.yaml",
            "openapi: 4.0.0\npaths: {}\n",
            "expected OpenAPI 3.0.x or 3.1.x, found 4.0.0",
        ),
        ("list.yaml", "- a\n- b\n", "found an array"),
        ("plain.yaml", "title: not a spec\n", "no `openapi` field"),
    ] {
        let doc = Scratch::new(name, text);
        let (code, _, err) = parts(&decoy(&["lint", doc.path()]));
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(expect), "{name}: {err}");
    }
}

#[test]
fn broken_documents_list_every_problem_with_pointer_and_line() {
    let doc = Scratch::new(
        "problems.yaml",
        r#"openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /calls/{id}:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Missing'
  /loop:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/A'}
components:
  schemas:
    A: {$ref: '#/components/schemas/B'}
    B: {$ref: '#/components/schemas/A'}
    R: {type: string, pattern: '(unclosed', examples: [x]}
"#,
    );
    let (code, out, err) = parts(&decoy(&["lint", doc.path()]));
    assert_eq!(code, 1, "{out}{err}");
    let p = doc.path();
    for expected in [
        format!(
            "error: {p}:12: /paths/~1calls~1{{id}}/get/responses/200/content/application~1json/schema/$ref: `#/components/schemas/Missing` does not exist"
        ),
        format!(
            "error: {p}:5: /paths/~1calls~1{{id}}/get/parameters: the path template has `{{id}}` but no path parameter `id` is declared"
        ),
        format!("error: {p}:23: /components/schemas/A/$ref: cyclic $ref"),
        format!("error: {p}:25: /components/schemas/R: cannot compile the schema:"),
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(&expected)),
            "missing\n  {expected}\nin\n{out}"
        );
    }
    assert!(out.lines().last().unwrap().starts_with("failed:"), "{out}");
}

#[test]
fn missing_file_and_bad_flags_exit_2() {
    let (code, _, err) = parts(&decoy(&["lint", "no/such/file.yaml"]));
    assert_eq!(code, 2);
    assert!(err.contains("no/such/file.yaml: cannot read"), "{err}");
    let (code, _, err) = parts(&decoy(&["lint", "--format", "xml"]));
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'xml'"), "{err}");
    let (code, _, _) = parts(&decoy(&["frobnicate"]));
    assert_eq!(code, 2);
    // A document of webhooks only has nothing to test, and says so.
    let webhooks = crate::util::wild_dir().join("oai-webhook-example.yaml");
    let webhooks = webhooks.to_str().unwrap();
    let (code, _, err) = parts(&decoy(&["test", webhooks, "--url", "http://127.0.0.1:9"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("has no operations under `paths` to test"),
        "{err}"
    );
}

/// The Calls document also passes an independent validator (Python's
/// openapi-spec-validator, installed by `bash .ci/test`).
#[test]
fn calls_document_passes_openapi_spec_validator() {
    let validator = std::env::var("DECOY_OPENAPI_SPEC_VALIDATOR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root().join("target/venv/bin/openapi-spec-validator"));
    assert!(
        validator.exists(),
        "{} is missing: run the tests with `bash .ci/test`, which installs it",
        validator.display()
    );
    let out = std::process::Command::new(&validator)
        .arg("specs/calls.openapi.yaml")
        .current_dir(root())
        .output()
        .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("OK"), "{stdout}");
}
