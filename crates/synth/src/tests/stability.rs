//! Stable under change: adding, removing or reordering properties of a schema
//! leaves the other values of the same seed as they were.

use std::collections::BTreeMap;

use decoy_spec::Spec;
use serde_json::{Map, Value, json};

use crate::{Generator, Options, record_seed};

const CALLS: &str = include_str!("../../../../specs/calls.openapi.yaml");
const RECORDS: u64 = 200;

/// Every leaf of `v` by its JSON pointer.
fn leaves(v: &Value, at: String, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                leaves(x, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, format!("{at}/{i}"), out);
            }
        }
        _ => {
            out.insert(at, v.clone());
        }
    }
}

fn records(document: &Value, schema: &str) -> Vec<BTreeMap<String, Value>> {
    let generator = Generator::new(document.clone(), Options::default());
    let plan = generator
        .plan(&format!("/components/schemas/{schema}"))
        .expect("plan");
    (0..RECORDS)
        .map(|i| {
            let v = plan.generate(record_seed(11, i)).expect("generates");
            let mut out = BTreeMap::new();
            leaves(&v, String::new(), &mut out);
            out
        })
        .collect()
}

/// `(unchanged, compared)` leaves between two runs, leaving out those under
/// the edited property `edited` (of the root object).
fn compare(
    before: &[BTreeMap<String, Value>],
    after: &[BTreeMap<String, Value>],
    edited: &str,
) -> (usize, usize) {
    let skip = format!("/{edited}");
    let (mut same, mut total) = (0, 0);
    for (b, a) in before.iter().zip(after) {
        for (path, value) in b {
            if path == &skip || path.starts_with(&format!("{skip}/")) {
                continue;
            }
            total += 1;
            same += usize::from(a.get(path) == Some(value));
            if a.get(path) != Some(value) && std::env::var_os("DECOY_STABILITY_DIFF").is_some() {
                eprintln!("{path}: {value} -> {:?}", a.get(path));
            }
        }
    }
    (same, total)
}

fn edit(
    document: &Value,
    schema: &str,
    f: impl FnOnce(&mut Map<String, Value>, &mut Vec<Value>),
) -> Value {
    let mut doc = document.clone();
    let s = &mut doc["components"]["schemas"][schema];
    let mut props = s["properties"].as_object().cloned().expect("properties");
    let mut required = s["required"].as_array().cloned().unwrap_or_default();
    f(&mut props, &mut required);
    s["properties"] = Value::Object(props);
    s["required"] = Value::Array(required);
    doc
}

/// The experiment of issue 12 on `schema`: returns the share of other values
/// unchanged after adding, removing and reordering properties.
fn stability(document: &Value, schema: &str, removed: &str) -> f64 {
    let before = records(document, schema);
    let added = edit(document, schema, |props, required| {
        let mut with = Map::new();
        with.insert("added_first".into(), json!({"type": "string"}));
        with.extend(std::mem::take(props));
        *props = with;
        required.insert(0, json!("added_first"));
    });
    let removed_doc = edit(document, schema, |props, required| {
        props.remove(removed);
        required.retain(|r| r != removed);
    });
    let reordered = edit(document, schema, |props, _| {
        let reversed: Map<String, Value> = std::mem::take(props).into_iter().rev().collect();
        *props = reversed;
    });
    let mut same = 0;
    let mut total = 0;
    for (doc, edited) in [
        (added, "added_first"),
        (removed_doc, removed),
        (reordered, ""),
    ] {
        let after = records(&doc, schema);
        let (s, t) = compare(
            &before,
            &after,
            if edited.is_empty() { "\u{0}" } else { edited },
        );
        eprintln!("{schema} edit {edited:?}: {s} of {t} values unchanged");
        same += s;
        total += t;
    }
    same as f64 / total as f64
}

#[test]
fn values_survive_edits_to_other_properties() {
    let spec = Spec::parse(CALLS, "calls.openapi.yaml").expect("the Calls document loads");
    let document = spec.document();
    let share = stability(document, "CallDetail", "room_name");
    eprintln!("CallDetail: {:.1}% unchanged", share * 100.0);
    assert!(
        share >= 0.99,
        "only {:.1}% of values unchanged",
        share * 100.0
    );
}

#[test]
fn values_survive_edits_in_a_wild_document() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/specs-wild/twilio-voice-v1.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let spec = Spec::parse(&text, "twilio-voice-v1.json").expect("the Twilio document loads");
    let share = stability(spec.document(), "voice.v1.byoc_trunk", "friendly_name");
    eprintln!("voice.v1.byoc_trunk: {:.1}% unchanged", share * 100.0);
    assert!(
        share >= 0.99,
        "only {:.1}% of values unchanged",
        share * 100.0
    );
}
