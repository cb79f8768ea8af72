//! The behaviour model (`decoy_spec::model`): what `decoy routes --model`
//! prints, and one rule meaning one thing in the mock and in the runner.

use std::collections::BTreeSet;

use decoy_mock::MockServer;
use decoy_spec::Spec;
use decoy_spec::model::{Guard, Kind};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

use crate::mock::send;
use crate::util::{decoy, parts, snapshots};

/// The printed model of the Calls document and of four real documents.
#[test]
fn printed_models() {
    let docs: &[(&str, Option<&str>)] = &[
        ("calls", None),
        (
            "petstore3",
            Some("../shared/specs-wild/swaggerapi-petstore3.yaml"),
        ),
        (
            "petstore-expanded",
            Some("../shared/specs-wild/oai-petstore-expanded.yaml"),
        ),
        ("spotify", Some("../shared/specs-wild/spotify-webapi.yaml")),
        ("discord", Some("../shared/specs-wild/discord-api.json")),
    ];
    for (name, doc) in docs {
        let mut args = vec!["routes", "--model"];
        args.extend(doc.iter().copied());
        let (code, out, err) = parts(&decoy(&args));
        assert_eq!(code, 0, "{name}: {err}");
        snapshots(|| insta::assert_snapshot!(format!("model_{name}"), out));
    }
}

/// Roles inferred from plain OpenAPI, without any `x-decoy-*` hint.
#[test]
fn roles_come_from_standard_openapi() {
    let spec = Spec::load(&crate::util::wild_dir().join("swaggerapi-petstore3.yaml")).unwrap();
    let model = spec.model();
    let role = |id: &str| {
        let op = spec
            .op_ids()
            .find(|&o| spec.operations()[o].id.as_deref() == Some(id));
        model.operation(op.unwrap_or_else(|| panic!("{id}"))).kind
    };
    assert_eq!(role("addPet"), Kind::Create);
    assert_eq!(role("getPetById"), Kind::Read);
    assert_eq!(role("updateUser"), Kind::Update);
    assert_eq!(role("deleteOrder"), Kind::Delete);
    assert_eq!(role("uploadFile"), Kind::Action);
    let user = model
        .resources()
        .iter()
        .find(|r| r.collection == "/user")
        .expect("a /user resource");
    assert_eq!(user.id_param.as_deref(), Some("username"));
    assert_eq!(user.id_field.as_deref(), Some("username"));
}

/// A POST beside a collection's members is that collection's create only
/// when it answers with a member: `POST /reports/preview` (another schema)
/// makes no report, and `POST /reports/run` (its own collection, with its
/// own members) does not take `/reports/{id}` from the reports.
#[test]
fn a_post_beside_a_collection_is_its_create_only_when_it_answers_a_member() {
    let ok = |schema: &str| {
        format!(
            r##"{{"200": {{"description": "ok", "content": {{"application/json": {{"schema": {{"$ref": "#/components/schemas/{schema}"}}}}}}}}}}"##
        )
    };
    let id = r#"[{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]"#;
    let doc = format!(
        r#"{{
  "openapi": "3.1.0", "info": {{"title": "t", "version": "1"}},
  "paths": {{
    "/reports": {{"post": {{"operationId": "create", "responses": {report}}}}},
    "/reports/{{id}}": {{"parameters": {id}, "get": {{"operationId": "read", "responses": {report}}}}},
    "/reports/preview": {{"post": {{"operationId": "preview", "responses": {preview}}}}},
    "/reports/run": {{"post": {{"operationId": "run", "responses": {run}}}}},
    "/reports/run/{{id}}": {{"parameters": {id}, "get": {{"operationId": "readRun", "responses": {run}}}}}
  }},
  "components": {{"schemas": {{
    "Report": {{"type": "object", "required": ["id"], "properties": {{"id": {{"type": "string"}}}}}},
    "Preview": {{"type": "object", "required": ["id", "rows"], "properties": {{"id": {{"type": "string"}}, "rows": {{"type": "array"}}}}}},
    "Run": {{"type": "object", "required": ["id", "state"], "properties": {{"id": {{"type": "string"}}, "state": {{"type": "string"}}}}}}
  }}}}
}}"#,
        report = ok("Report"),
        preview = ok("Preview"),
        run = ok("Run"),
    );
    let spec = Spec::parse(&doc, "reports.json").expect("the document loads");
    let op = |name: &str| {
        spec.op_ids()
            .find(|&o| spec.operations()[o].id.as_deref() == Some(name))
            .unwrap()
    };
    let resource = |collection: &str| {
        spec.model()
            .resources()
            .iter()
            .find(|r| r.collection == collection)
            .unwrap_or_else(|| panic!("no {collection} resource"))
    };
    let reports = resource("/reports");
    assert_eq!(reports.creates, [op("create")]);
    let runs = resource("/reports/run");
    assert_eq!(runs.creates, [op("run")]);
    assert!(
        runs.acts.iter().all(|a| a.op != op("read")),
        "{:?}",
        runs.acts
    );
    assert_ne!(spec.model().operation(op("preview")).kind, Kind::Create);
}

/// A generated lifecycle: `states` names, and per action the states it is
/// allowed in (`None`: always) and the state it moves to.
#[derive(Debug, Clone)]
struct Lifecycle {
    states: usize,
    actions: Vec<(Option<BTreeSet<usize>>, usize)>,
}

fn lifecycle() -> impl Strategy<Value = Lifecycle> {
    (2usize..6).prop_flat_map(|states| {
        let action = (
            prop::option::weighted(0.8, prop::collection::btree_set(0..states, 1..=states)),
            0..states,
        );
        prop::collection::vec(action, 1..5).prop_map(move |actions| Lifecycle { states, actions })
    })
}

/// The document for a lifecycle: `POST /things` creates in state `s0`,
/// `POST /things/{thingId}/a{k}` are the actions.
fn document(l: &Lifecycle) -> String {
    let states: Vec<String> = (0..l.states).map(|s| format!("s{s}")).collect();
    let thing = json!({"$ref": "#/components/schemas/Thing"});
    let mut paths = serde_json::Map::new();
    paths.insert(
        "/things".into(),
        json!({"post": {
            "operationId": "createThing",
            "x-decoy-state": {"create": {"collection": "/things"}},
            "x-decoy-set": {"status": "s0"},
            "responses": {"201": {"description": "created", "content": {"application/json": {"schema": thing}}}}
        }}),
    );
    for (k, (when, to)) in l.actions.iter().enumerate() {
        let mut transition =
            json!({"collection": "/things", "item": "thingId", "set": {"status": states[*to]}});
        if let Some(when) = when {
            let allowed: Vec<&String> = when.iter().map(|s| &states[*s]).collect();
            transition["when"] = json!({"status": allowed});
        }
        paths.insert(
            format!("/things/{{thingId}}/a{k}"),
            json!({"post": {
                "operationId": format!("act{k}"),
                "parameters": [{"name": "thingId", "in": "path", "required": true, "schema": {"type": "string"}}],
                "x-decoy-state": {"transition": transition},
                "responses": {
                    "200": {"description": "done", "content": {"application/json": {"schema": thing}}},
                    "409": {"description": "not now", "content": {"application/json": {"schema": {"type": "object", "properties": {"message": {"type": "string"}}}}}}
                }
            }}),
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Lifecycle", "version": "1"},
        "paths": paths,
        "components": {"schemas": {"Thing": {
            "type": "object",
            "required": ["id", "status"],
            "properties": {"id": {"type": "string"}, "status": {"type": "string", "enum": states}}
        }}}
    })
    .to_string()
}

/// Random lifecycles driven through the mock: every answer is the one the
/// model's guard (the runner's oracle) predicts, and the resource moves as
/// the transition says.
#[test]
fn mock_and_runner_agree_on_generated_lifecycles() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig {
            cases: 48,
            failure_persistence: None,
            ..ProptestConfig::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[9; 32]),
    );
    let strategy = (lifecycle(), prop::collection::vec(0usize..8, 1..12));
    let result = runner.run(&strategy, |(l, steps)| {
        let spec = Spec::parse(&document(&l), "lifecycle.json").expect("the document loads");
        prop_assert!(spec.problems().is_empty(), "{:?}", spec.problems());
        let model = spec.model();
        let things = model
            .resources()
            .iter()
            .find(|r| r.collection == "/things")
            .expect("the /things resource");
        // What the runner reads: one guard per action, from the model.
        let guards: Vec<Guard> = (0..l.actions.len())
            .map(|k| {
                let op = spec
                    .op_ids()
                    .find(|&o| spec.operations()[o].id == Some(format!("act{k}")));
                let act = things
                    .acts
                    .iter()
                    .find(|a| Some(a.op) == op)
                    .expect("an act");
                prop_assert_eq!(
                    &act.guard,
                    &model
                        .operation(act.op)
                        .rules
                        .transition
                        .as_ref()
                        .unwrap()
                        .guard()
                );
                Ok(act.guard.clone())
            })
            .collect::<Result<_, TestCaseError>>()?;
        rt.block_on(async {
            let server = MockServer::start(spec.clone()).await;
            let post = |path: String| {
                let server = &server;
                async move {
                    send(
                        server,
                        "POST",
                        &path,
                        &[("Content-Type", "application/json")],
                        Some("{}"),
                    )
                    .await
                }
            };
            let created = post("/things".into()).await;
            prop_assert_eq!(created.status, 201);
            let mut thing: Value = created.json();
            let id = thing["id"].as_str().expect("an id").to_owned();
            for step in steps {
                let k = step % l.actions.len();
                let reply = post(format!("/things/{id}/a{k}")).await;
                match guards[k].forbids(&thing) {
                    Some(why) => prop_assert_eq!(
                        reply.status,
                        409,
                        "a{} on {}: the model forbids it: {}",
                        k,
                        thing,
                        why
                    ),
                    None => {
                        prop_assert_eq!(
                            reply.status,
                            200,
                            "a{} on {}: the model allows it",
                            k,
                            thing
                        );
                        thing = reply.json();
                        prop_assert_eq!(&thing["status"], &json!(format!("s{}", l.actions[k].1)));
                    }
                }
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("seeded lifecycles (ChaCha [9; 32]) disagree: {e}");
    }
}

/// Only decoy-spec reads the document's `x-decoy-*` extensions: everyone
/// else goes through the model and the hints, so one rule means one thing.
#[test]
fn only_decoy_spec_names_extensions() {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    // HTTP header names (`x-decoy-namespace`) are no extension.
                    if line.contains("\"x-decoy-") && !line.contains("HeaderName::from_static") {
                        found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    let root = crate::util::root().join("crates");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if dir.file_name().is_some_and(|n| n != "spec") {
            walk(&dir, &mut found);
        }
    }
    assert!(
        found.is_empty(),
        "x-decoy-* read outside decoy-spec:\n{}",
        found.join("\n")
    );
}
