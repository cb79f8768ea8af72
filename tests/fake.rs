//! `decoy fake`: determinism, formats, atomic output, labelled invalid
//! records, close-match suggestions, and snapshots of seeded Calls fixtures
//! (so any change in generated data is a reviewed diff).

use decoy_spec::Spec;
use decoy_validate::Validators;
use serde_json::Value;

use crate::util::{Scratch, decoy, parts, root, snapshots, wild_dir};

fn fake(args: &[&str]) -> String {
    let mut all = vec!["fake"];
    all.extend_from_slice(args);
    let (code, out, err) = parts(&decoy(&all));
    assert_eq!(code, 0, "decoy {all:?}: {err}");
    out
}

#[test]
fn same_seed_same_bytes_other_seed_other_data() {
    let a = fake(&[
        "CallDetail",
        "--seed",
        "11",
        "--count",
        "20",
        "--format",
        "ndjson",
    ]);
    let b = fake(&[
        "CallDetail",
        "--seed",
        "11",
        "--count",
        "20",
        "--format",
        "ndjson",
    ]);
    let c = fake(&[
        "CallDetail",
        "--seed",
        "12",
        "--count",
        "20",
        "--format",
        "ndjson",
    ]);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.lines().count(), 20);
    let records: Vec<Value> = a
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: std::collections::HashSet<&str> =
        records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 20, "records of one stream differ");
}

/// Records are seeded by index, so any number of threads writes the bytes
/// one thread writes: arrays, lines, invalid records, another document.
#[test]
fn many_threads_write_the_bytes_of_one() {
    let spotify = wild_dir().join("spotify-webapi.yaml");
    let spotify = spotify.to_str().unwrap();
    let runs: &[&[&str]] = &[
        &["CallDetail", "--count", "300"],
        &["CallDetail", "--count", "301", "--format", "ndjson"],
        &["BlindTransferParams", "--count", "97", "--invalid"],
        &["PagingSavedTrackObject", "--doc", spotify, "--count", "250"],
    ];
    for args in runs {
        let one = fake(&[args, &["--threads", "1"][..]].concat());
        for n in ["2", "5"] {
            let many = fake(&[args, &["--threads", n][..]].concat());
            assert!(
                one == many,
                "decoy fake {args:?}: --threads {n} differs from 1"
            );
        }
        assert!(one.len() > 1000, "decoy fake {args:?} wrote too little");
    }
}

#[test]
fn every_calls_operation_fixture_validates() {
    let spec = Spec::load(&root().join("specs/calls.openapi.yaml")).unwrap();
    let validators = Validators::new(&spec);
    for op in spec.operations() {
        let id = op.id.as_deref().unwrap();
        let mut names = vec![id.to_owned()];
        if op.request_body.is_some() {
            names.push(format!("{id}:request"));
        }
        names.extend(
            op.responses
                .iter()
                .filter(|r| r.status.to_string() != "200")
                .map(|r| format!("{id}:{}", r.status)),
        );
        for name in names {
            let out = fake(&[&name, "--count", "25", "--format", "ndjson", "--seed", "3"]);
            let media = match name.split_once(':') {
                Some((_, "request")) => &op.request_body.as_ref().unwrap().content[0],
                Some((_, status)) => {
                    &op.responses
                        .iter()
                        .find(|r| r.status.to_string() == status)
                        .unwrap()
                        .content[0]
                }
                None => &op.response(200).unwrap().content[0],
            };
            let v = validators
                .compile(media.schema.as_deref().unwrap())
                .unwrap();
            for (i, line) in out.lines().enumerate() {
                let value: Value = serde_json::from_str(line).unwrap();
                let violations = v.validate(&value);
                assert!(
                    violations.is_empty(),
                    "{name} record {i} (seed 3): {violations:#?}\n{line}"
                );
            }
        }
    }
}

#[test]
fn json_format_is_one_value_or_an_array() {
    let one: Value = serde_json::from_str(&fake(&["getCallRecording"])).unwrap();
    assert!(
        one["url"].as_str().unwrap().starts_with("https://"),
        "{one}"
    );
    let many: Value = serde_json::from_str(&fake(&["getCallRecording", "--count", "3"])).unwrap();
    assert_eq!(many.as_array().unwrap().len(), 3);
}

#[test]
fn invalid_records_are_labelled_and_invalid_for_their_label() {
    let spec = Spec::load(&root().join("specs/calls.openapi.yaml")).unwrap();
    let validators = Validators::new(&spec);
    let schema = validators
        .compile("/components/schemas/BlindTransferParams")
        .unwrap();
    let out = fake(&[
        "BlindTransferParams",
        "--invalid",
        "--count",
        "200",
        "--format",
        "ndjson",
    ]);
    let mut kinds = std::collections::BTreeSet::new();
    for line in out.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let kind = record["invalid"].as_str().unwrap().to_owned();
        let violations = schema.validate(&record["value"]);
        assert!(!violations.is_empty(), "labelled {kind} but valid: {line}");
        kinds.insert(kind);
    }
    assert!(kinds.len() >= 4, "only {kinds:?}");
}

#[test]
fn out_file_appears_whole_or_not_at_all() {
    let target = std::env::temp_dir().join(format!("decoy-fake-{}.ndjson", std::process::id()));
    let path = target.to_str().unwrap();
    fake(&[
        "listCallEvents",
        "--count",
        "5",
        "--format",
        "ndjson",
        "--out",
        path,
    ]);
    assert_eq!(std::fs::read_to_string(&target).unwrap().lines().count(), 5);
    std::fs::remove_file(&target).unwrap();

    // An unsatisfiable schema fails before writing anything.
    let doc = Scratch::new(
        "unsat.yaml",
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Bad: {type: integer, minimum: 5, maximum: 1}\n",
    );
    let (code, _, err) = parts(&decoy(&["fake", "Bad", "--doc", doc.path(), "--out", path]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/components/schemas/Bad"), "{err}");
    assert!(!target.exists());
    let leftovers = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(&format!("decoy-{}.tmp", std::process::id()))
        })
        .count();
    assert_eq!(leftovers, 0);
}

/// A record that cannot be made ends the run with exit 2 and a message
/// naming the record and the schema, and stdout holds nothing: no `[` of an
/// array that never closes, for a pipe into `jq` to choke on.
#[test]
fn a_failed_run_leaves_stdout_empty() {
    let doc = Scratch::new(
        "stamp.yaml",
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Stamp:\n      type: object\n      required: [at]\n      properties:\n        at: {type: string, format: date-time, minLength: 21, maxLength: 21}\n",
    );
    for format in ["json", "ndjson"] {
        let out = decoy(&[
            "fake",
            "Stamp",
            "--doc",
            doc.path(),
            "--count",
            "3",
            "--format",
            format,
        ]);
        let (code, stdout, err) = parts(&out);
        assert_eq!(code, 2, "{format}: {err}");
        assert!(err.contains("record 0 (seed 1)"), "{format}: {err}");
        assert!(
            err.contains("/components/schemas/Stamp/properties/at"),
            "{format}: {err}"
        );
        assert_eq!(stdout, "", "{format}");
    }
}

#[test]
fn unknown_names_suggest_close_matches() {
    let (code, _, err) = parts(&decoy(&["fake", "CallDetial"]));
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `CallDetail`"), "{err}");
    let (code, _, err) = parts(&decoy(&["fake", "getCall:418"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("documents no response 418; it documents 200, 401, 404, 429, 500"),
        "{err}"
    );
    let (code, _, err) = parts(&decoy(&["fake", "getCall:request"]));
    assert_eq!(code, 2);
    assert!(err.contains("takes no request body"), "{err}");
}

#[test]
fn edge_profile_fixture() {
    // Extremes, seeded: the same seed gives the same bytes.
    let out = fake(&["CallTransfer", "--seed", "3", "--profile", "edge"]);
    assert_eq!(
        out,
        fake(&["CallTransfer", "--seed", "3", "--profile", "edge"])
    );
    let value: Value = serde_json::from_str(&out).unwrap();
    snapshots(|| insta::assert_json_snapshot!("fake_CallTransfer_edge", value));
}

#[test]
fn seeded_calls_fixtures() {
    for name in [
        "CallDetail",
        "listCallEvents",
        "cancelWarmTransfer",
        "warmTransfer:request",
        "getCall:401",
    ] {
        let out = fake(&[name, "--seed", "2026", "--full"]);
        let value: Value = serde_json::from_str(&out).unwrap();
        let file = format!("fake_{}", name.replace(':', "_"));
        snapshots(|| insta::assert_json_snapshot!(file, value));
    }
}
