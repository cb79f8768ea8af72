//! decoy-synth against every document we have: generated values validate
//! (decoy-validate), labelled invalid values break their label, and the
//! Calls document's `x-decoy-*` coherence rules hold.

use std::path::{Path, PathBuf};
use std::time::Instant;

use decoy_spec::Spec;
use decoy_synth::{Direction, Generator, Options, Plan, Profile, SynthError};
use decoy_validate::{Validator, Validators};
use proptest::prop_assert;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

/// Schemas no value can satisfy (as the validator reads them), each with
/// the reason. The test asserts every entry still fails, so the list cannot
/// rot: fix the generator or the document, then delete the entry.
const KNOWN_IMPOSSIBLE: &[(&str, &str, &str)] = &[(
    "vapi-api.json",
    "/paths/~1tool~1{id}/patch/requestBody/content/application~1json/schema",
    "a oneOf of 23 all-optional objects, several identical (UpdateEndCallToolDTO and \
         UpdateSmsToolDTO have the same two properties, which every other branch shares), \
         so every value matches more than one branch",
)];

/// Values generated per schema: the Calls document gets the most; large
/// documents get fewer per schema so the test stays within about a minute
/// in a debug build on 2 cores.
fn seeds_for(doc: &str, schemas: usize) -> u64 {
    if doc == "calls.openapi.yaml" {
        200
    } else {
        (4_000 / schemas.max(1) as u64).clamp(4, 50)
    }
}

/// Every document the checks run on: the Calls document and the ten of
/// `specs-wild`. A document that goes missing fails the tests.
const DOCUMENTS: &[&str] = &[
    "calls.openapi.yaml",
    "discord-api.json",
    "oai-api-with-examples.json",
    "oai-callback-example.json",
    "oai-petstore-expanded.yaml",
    "oai-webhook-example.yaml",
    "openai-api.yaml",
    "spotify-webapi.yaml",
    "swaggerapi-petstore3.yaml",
    "twilio-voice-v1.json",
    "vapi-api.json",
];

/// Why a check skips a body schema.
const IMPOSSIBLE: &str = "listed in KNOWN_IMPOSSIBLE: no value satisfies it";
const UNCOMPILABLE: &str = "decoy-validate cannot compile it, so no value can be checked";

/// Body schemas [`every_body_schema_of_every_document_yields_valid_values`]
/// skips, per document and reason. Pinned: a new skip, or one that goes
/// away, fails the test until this list says so.
const SKIPPED_VALID: &[(&str, &str, usize)] = &[("vapi-api.json", IMPOSSIBLE, 1)];

/// The same for [`labelled_invalid_values_break_their_label`] (which
/// samples the large documents' schemas).
const SKIPPED_INVALID: &[(&str, &str, usize)] = &[];

/// Why a try at a labelled invalid value is skipped.
const NOTHING_TO_BREAK: &str =
    "the value has nothing of that kind to break (optional parts absent)";
const NO_VALUE: &str = "no value could be generated to break";

/// Tries of [`labelled_invalid_values_break_their_label`] skipped, per
/// document and reason (each schema has four seeds per kind). Pinned.
const SKIPPED_INVALID_TRIES: &[(&str, &str, usize)] = &[];

fn root() -> &'static Path {
    crate::util::root()
}

fn documents() -> Vec<PathBuf> {
    let mut docs = vec![root().join("specs/calls.openapi.yaml")];
    let wild = crate::util::wild_dir();
    let mut found: Vec<PathBuf> = std::fs::read_dir(&wild)
        .unwrap_or_else(|e| panic!("{}: {e}", wild.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        })
        .collect();
    found.sort();
    docs.extend(found);
    let names: Vec<String> = docs.iter().map(|p| file_name(p)).collect();
    assert_eq!(names, DOCUMENTS, "the documents changed: update DOCUMENTS");
    docs
}

/// Schemas a check skipped, counted per document and reason.
#[derive(Default)]
struct Skipped(std::collections::BTreeMap<(String, &'static str), usize>);

impl Skipped {
    fn add(&mut self, doc: &str, reason: &'static str) {
        *self.0.entry((doc.to_owned(), reason)).or_default() += 1;
    }

    /// Asserts the counts are exactly the pinned ones.
    fn assert_pinned(&self, pinned: &[(&str, &str, usize)], list: &str) {
        // Printed whatever happens, so a change is easy to pin.
        let got: Vec<(&str, &str, usize)> = self
            .0
            .iter()
            .map(|((doc, reason), n)| (doc.as_str(), *reason, *n))
            .collect();
        let mut want = pinned.to_vec();
        want.sort();
        for (doc, reason, n) in &got {
            eprintln!("synth: skipped {n} schemas of {doc}: {reason}");
        }
        assert_eq!(got, want, "skipped schemas differ from {list}");
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Every JSON request and response body schema of every operation.
fn body_schemas(spec: &Spec) -> Vec<(String, Direction)> {
    let mut out: Vec<(String, Direction)> = Vec::new();
    let mut push = |ptr: &Option<String>, d: Direction| {
        if let Some(p) = ptr
            && !out.iter().any(|(q, e)| q == p && *e == d)
        {
            out.push((p.clone(), d));
        }
    };
    for op in spec.operations() {
        if let Some(body) = &op.request_body {
            for mt in body.content.iter().filter(|m| m.is_json()) {
                push(&mt.schema, Direction::Request);
            }
        }
        for r in &op.responses {
            for mt in r.content.iter().filter(|m| m.is_json()) {
                push(&mt.schema, Direction::Response);
            }
        }
    }
    out
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 600 {
        format!("{}...", s.chars().take(600).collect::<String>())
    } else {
        s
    }
}

struct Loaded {
    name: String,
    spec: Spec,
    validators: Validators,
    response: Generator,
    request: Generator,
}

fn load(path: &Path) -> Loaded {
    let spec = Spec::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let validators = Validators::new(&spec);
    let doc = std::sync::Arc::new(spec.document().clone());
    Loaded {
        name: file_name(path),
        response: Generator::new(doc.clone(), Options::default()),
        request: Generator::new(doc, Options::default().direction(Direction::Request)),
        validators,
        spec,
    }
}

impl Loaded {
    fn generator(&self, d: Direction) -> &Generator {
        match d {
            Direction::Request => &self.request,
            _ => &self.response,
        }
    }
}

fn known(doc: &str, pointer: &str) -> Option<&'static str> {
    KNOWN_IMPOSSIBLE
        .iter()
        .find(|(d, p, _)| *d == doc && *p == pointer)
        .map(|(_, _, r)| *r)
}

#[test]
fn every_body_schema_of_every_document_yields_valid_values() {
    let start = Instant::now();
    let mut failures: Vec<String> = Vec::new();
    let mut still_impossible: Vec<(String, String)> = Vec::new();
    let mut skipped = Skipped::default();
    let mut total = 0u64;
    for path in documents() {
        let doc_start = Instant::now();
        let d = load(&path);
        let schemas = body_schemas(&d.spec);
        let seeds = seeds_for(&d.name, schemas.len());
        let mut count = 0u64;
        for (pointer, direction) in &schemas {
            let validator: Validator = match d.validators.compile(pointer) {
                Ok(v) => v,
                Err(e) => {
                    // The document itself is broken here (decoy-validate
                    // says why); nothing to check values against.
                    eprintln!("synth: {} {pointer}: {e}", d.name);
                    skipped.add(&d.name, UNCOMPILABLE);
                    continue;
                }
            };
            let plan: Plan = match d.generator(*direction).plan(pointer) {
                Ok(p) => p,
                Err(e) => {
                    if known(&d.name, pointer).is_some() {
                        still_impossible.push((d.name.clone(), pointer.clone()));
                    } else {
                        failures.push(format!("{} {pointer}: no plan: {e}", d.name));
                    }
                    continue;
                }
            };
            let mut failed_here = false;
            for seed in 0..seeds {
                count += 1;
                let value = match plan.generate(seed) {
                    Ok(v) => v,
                    Err(e) => {
                        failed_here = true;
                        if known(&d.name, pointer).is_none() {
                            failures.push(format!("{} {pointer} seed {seed}: {e}", d.name));
                        }
                        break;
                    }
                };
                // The direct writer gives the bytes of the value, exactly.
                if seed < 3 {
                    let mut direct = Vec::new();
                    plan.write_json(seed, &mut direct)
                        .expect("write_json succeeds where generate did");
                    if direct != serde_json::to_vec(&value).unwrap() {
                        failures.push(format!(
                            "{} {pointer} seed {seed}: write_json differs from generate",
                            d.name
                        ));
                    }
                }
                let violations = validator.validate(&value);
                if !violations.is_empty() {
                    failed_here = true;
                    if known(&d.name, pointer).is_none() {
                        failures.push(format!(
                            "{} {pointer} ({direction:?}) seed {seed}: {}\n    value: {}",
                            d.name,
                            violations
                                .iter()
                                .take(3)
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join("; "),
                            short(&value)
                        ));
                    }
                    break;
                }
            }
            if failed_here && known(&d.name, pointer).is_some() {
                still_impossible.push((d.name.clone(), pointer.clone()));
            }
            if known(&d.name, pointer).is_some() {
                skipped.add(&d.name, IMPOSSIBLE);
            }
        }
        total += count;
        eprintln!(
            "synth: {:<28} {:>4} schemas x {:>3} seeds = {:>6} values in {:>6.2?}",
            d.name,
            schemas.len(),
            seeds,
            count,
            doc_start.elapsed()
        );
    }
    eprintln!("synth: {total} values in {:.2?}", start.elapsed());
    skipped.assert_pinned(SKIPPED_VALID, "SKIPPED_VALID");
    for (doc, pointer, reason) in KNOWN_IMPOSSIBLE {
        assert!(
            still_impossible
                .iter()
                .any(|(d, p)| d == doc && p == pointer),
            "{doc} {pointer} is listed as impossible ({reason}) but now works: remove it from KNOWN_IMPOSSIBLE"
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures (first 40):\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn labelled_invalid_values_break_their_label() {
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut skipped = Skipped::default();
    let mut skipped_tries = Skipped::default();
    for path in documents() {
        let d = load(&path);
        let schemas = body_schemas(&d.spec);
        // Every schema of the Calls document, a sample of the others.
        let step = if d.name == "calls.openapi.yaml" {
            1
        } else {
            (schemas.len() / 12).max(1)
        };
        for (pointer, direction) in schemas.iter().step_by(step) {
            let validator = match d.validators.compile(pointer) {
                Ok(v) => v,
                Err(_) => {
                    skipped.add(&d.name, UNCOMPILABLE);
                    continue;
                }
            };
            let plan = match d.generator(*direction).plan(pointer) {
                Ok(p) => p,
                Err(e) if known(&d.name, pointer).is_some() => {
                    eprintln!("synth: {} {pointer}: {e}", d.name);
                    skipped.add(&d.name, IMPOSSIBLE);
                    continue;
                }
                Err(e) => {
                    failures.push(format!("{} {pointer}: no plan: {e}", d.name));
                    continue;
                }
            };
            for kind in plan.invalid_kinds() {
                for seed in 0..4 {
                    let bad = match plan.generate_invalid_kind(kind, seed) {
                        Ok(Some(bad)) => bad,
                        // Optional parts may be absent in every try.
                        Ok(None) => {
                            skipped_tries.add(&d.name, NOTHING_TO_BREAK);
                            continue;
                        }
                        Err(SynthError::CannotGenerate { .. }) => {
                            skipped_tries.add(&d.name, NO_VALUE);
                            continue;
                        }
                        Err(e) => {
                            failures.push(format!("{} {pointer} {kind} seed {seed}: {e}", d.name));
                            continue;
                        }
                    };
                    checked += 1;
                    let violations = validator.validate(&bad.value);
                    if !violations
                        .iter()
                        .any(|v| kind.keywords().contains(&v.keyword.as_str()))
                    {
                        failures.push(format!(
                            "{} {pointer} {kind} at {:?} seed {seed}: violations {:?}\n    value: {}",
                            d.name,
                            bad.instance_pointer,
                            violations.iter().map(|v| v.keyword.clone()).collect::<Vec<_>>(),
                            short(&bad.value)
                        ));
                    }
                }
            }
        }
    }
    // The Calls schemas once more through the proptest strategies the
    // conformance runner uses: valid values stay valid, invalid ones break
    // their label.
    let d = load(&root().join("specs/calls.openapi.yaml"));
    for (pointer, direction) in body_schemas(&d.spec) {
        let plan = d
            .generator(direction)
            .plan(&pointer)
            .expect("Calls schemas plan");
        let validator = d
            .validators
            .compile(&pointer)
            .expect("Calls schemas compile");
        let config = Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(
            config.clone(),
            TestRng::deterministic_rng(RngAlgorithm::ChaCha),
        );
        let result = runner.run(&plan.strategy(), |value| {
            let violations = validator.validate(&value);
            prop_assert!(violations.is_empty(), "{pointer}: {value}: {violations:?}");
            Ok(())
        });
        if let Err(e) = result {
            failures.push(format!("calls {pointer}: valid strategy: {e}"));
        }
        if plan.invalid_kinds().is_empty() {
            continue;
        }
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
        let result = runner.run(&plan.invalid_strategy(None), |bad| {
            let violations = validator.validate(&bad.value);
            prop_assert!(
                violations
                    .iter()
                    .any(|v| bad.kind.keywords().contains(&v.keyword.as_str())),
                "{pointer}: {} at {:?}: {}: {violations:?}",
                bad.kind,
                bad.instance_pointer,
                bad.value
            );
            Ok(())
        });
        checked += 64;
        if let Err(e) = result {
            failures.push(format!("calls {pointer}: invalid strategy: {e}"));
        }
    }
    eprintln!("synth: {checked} labelled invalid values checked");
    skipped.assert_pinned(SKIPPED_INVALID, "SKIPPED_INVALID");
    skipped_tries.assert_pinned(SKIPPED_INVALID_TRIES, "SKIPPED_INVALID_TRIES");
    assert!(
        checked > 100,
        "too few invalid values were checked: {checked}"
    );
    assert!(
        failures.is_empty(),
        "{} failures (first 30):\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Rules read from the document: `x-decoy-*` annotations found along the
/// schema a value was generated from.
mod coherence {
    use serde_json::{Map, Value};

    /// The schema objects that describe a value at `schema` (following
    /// `$ref` and `allOf`, and those `anyOf`/`oneOf` branches whose `type`
    /// admits the value).
    pub(super) fn schemas<'d>(
        doc: &'d Value,
        schema: &'d Value,
        value: &Value,
        out: &mut Vec<&'d Map<String, Value>>,
        depth: u32,
    ) {
        let Some(map) = schema.as_object() else {
            return;
        };
        if depth > 32 {
            return;
        }
        out.push(map);
        if let Some(r) = map.get("$ref").and_then(Value::as_str)
            && let Some(target) = doc.pointer(r.trim_start_matches('#'))
        {
            schemas(doc, target, value, out, depth + 1);
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(list)) = map.get(key) {
                for s in list {
                    if key == "allOf" || admits(doc, s, value) {
                        schemas(doc, s, value, out, depth + 1);
                    }
                }
            }
        }
    }

    fn admits(doc: &Value, schema: &Value, value: &Value) -> bool {
        let mut resolved = schema;
        for _ in 0..8 {
            match resolved
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| doc.pointer(r.trim_start_matches('#')))
            {
                Some(t) => resolved = t,
                None => break,
            }
        }
        let name = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        match resolved.get("type") {
            Some(Value::String(t)) => t == name || (t == "integer" && name == "number"),
            Some(Value::Array(ts)) => ts
                .iter()
                .any(|t| t == name || (t == "integer" && name == "number")),
            _ => true,
        }
    }

    /// What one root value showed: shared keys and their values, and every
    /// broken rule.
    #[derive(Default)]
    pub(super) struct Report {
        pub(super) shared: Vec<(String, Value)>,
        pub(super) broken: Vec<String>,
        pub(super) checked: [u64; 7],
    }

    /// Seconds since the epoch of an RFC 3339 date-time (fractions dropped).
    pub(super) fn time(v: &Value) -> Option<i64> {
        let s = v.as_str()?;
        let num = |a: usize, b: usize| s.get(a..b)?.parse::<i64>().ok();
        let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (h, mi, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
        let mut rest = s.get(19..)?;
        if let Some(frac) = rest.strip_prefix('.') {
            rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ => {
                let sign = if rest.starts_with('-') { -1 } else { 1 };
                sign * (rest.get(1..3)?.parse::<i64>().ok()? * 3600
                    + rest.get(4..6)?.parse::<i64>().ok()? * 60)
            }
        };
        // Days from civil (Howard Hinnant).
        let y = if mo <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
        Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
    }

    /// A template filled from the root; in URIs, values are percent-encoded
    /// path segments (RFC 3986).
    pub(super) fn fill(template: &str, root: &Value, uri: bool) -> Option<String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let j = rest[i..].find('}')? + i;
            let v = root.get(&rest[i + 1..j])?.as_str()?;
            if uri {
                for b in v.bytes() {
                    if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
                        out.push(b as char);
                    } else {
                        out.push_str(&format!("%{b:02X}"));
                    }
                }
            } else {
                out.push_str(v);
            }
            rest = &rest[j + 1..];
        }
        out.push_str(rest);
        Some(out)
    }

    /// The window date-times below an object with an `x-decoy-timeline`
    /// fall in: from its first present time to its last (open-ended when it
    /// has only one).
    pub(super) type Window = Option<(i64, Option<i64>)>;

    #[allow(clippy::too_many_arguments)]
    pub(super) fn walk(
        doc: &Value,
        root: &Value,
        schema: &Value,
        value: &Value,
        at: &str,
        index: Option<usize>,
        window: Window,
        report: &mut Report,
    ) {
        let mut maps = Vec::new();
        schemas(doc, schema, value, &mut maps, 0);
        let mut inner = window;
        if let Some((lo, hi)) = window
            && maps
                .iter()
                .any(|m| m.get("format") == Some(&Value::from("date-time")))
            && let Some(t) = time(value)
        {
            report.checked[6] += 1;
            if t < lo || hi.is_some_and(|hi| t > hi) {
                report.broken.push(format!(
                    "{at}: date-time {value} outside the enclosing timeline window {lo}..{hi:?}"
                ));
            }
        }
        for map in &maps {
            if let Some(key) = map.get("x-decoy-shared").and_then(Value::as_str)
                && !value.is_null()
            {
                report.checked[0] += 1;
                match report.shared.iter().find(|(k, _)| k == key) {
                    Some((_, first)) if first != value => {
                        report
                            .broken
                            .push(format!("{at}: x-decoy-shared {key}: {value} != {first}"));
                    }
                    Some(_) => {}
                    None => report.shared.push((key.to_owned(), value.clone())),
                }
            }
            if let Some(prefix) = map.get("x-decoy-id-prefix").and_then(Value::as_str)
                && let Some(s) = value.as_str()
            {
                report.checked[1] += 1;
                let tail = s.strip_prefix(prefix);
                if !tail
                    .is_some_and(|t| t.len() == 16 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
                {
                    report
                        .broken
                        .push(format!("{at}: x-decoy-id-prefix {prefix}: {s}"));
                }
            }
            let uri = maps.iter().any(|m| {
                matches!(
                    m.get("format").and_then(Value::as_str),
                    Some("uri" | "uri-reference")
                )
            });
            if let Some(template) = map.get("x-decoy-template").and_then(Value::as_str)
                && let Some(expected) = fill(template, root, uri)
            {
                report.checked[2] += 1;
                if value.as_str() != Some(expected.as_str()) {
                    report.broken.push(format!(
                        "{at}: x-decoy-template {template}: {value} != {expected}"
                    ));
                }
            }
            if map.get("x-decoy-counter") == Some(&Value::Bool(true))
                && let Some(i) = index
                && value.is_number()
            {
                report.checked[3] += 1;
                let base = map
                    .get("minimum")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    .max(0);
                if value.as_i64() != Some(base + i as i64) {
                    report
                        .broken
                        .push(format!("{at}: x-decoy-counter: {value} at item {i}"));
                }
            }
            if let (Some(Value::Array(order)), Value::Object(obj)) =
                (map.get("x-decoy-timeline"), value)
            {
                report.checked[4] += 1;
                let times: Vec<i64> = order
                    .iter()
                    .filter_map(|k| obj.get(k.as_str()?))
                    .filter_map(time)
                    .collect();
                if times.windows(2).any(|w| w[0] > w[1]) {
                    report
                        .broken
                        .push(format!("{at}: x-decoy-timeline {order:?} out of order"));
                }
                if let (Some(&first), Some(&last)) = (times.first(), times.last()) {
                    let end = if times.len() > 1 {
                        Some(last)
                    } else {
                        window.and_then(|(_, hi)| hi)
                    };
                    inner = Some((first, end));
                }
            }
            if let (Some(Value::Object(props)), Value::Object(obj)) = (map.get("properties"), value)
            {
                for (name, prop) in props {
                    let Some(rule) = prop.get("x-decoy-duration") else {
                        continue;
                    };
                    let Some(actual) = obj.get(name) else {
                        continue;
                    };
                    report.checked[5] += 1;
                    let from = rule
                        .get("from")
                        .and_then(Value::as_str)
                        .and_then(|k| obj.get(k))
                        .and_then(time);
                    let to = rule
                        .get("to")
                        .and_then(Value::as_str)
                        .and_then(|k| obj.get(k))
                        .and_then(time);
                    let millis = rule.get("unit").and_then(Value::as_str) == Some("milliseconds");
                    let ok = match (from, to) {
                        (Some(a), Some(b)) => {
                            actual.as_f64()
                                == Some(((b - a) * if millis { 1000 } else { 1 }) as f64)
                        }
                        _ => actual.is_null(),
                    };
                    if !ok {
                        report
                            .broken
                            .push(format!("{at}/{name}: x-decoy-duration {rule}: {actual}"));
                    }
                }
            }
        }
        match value {
            Value::Object(obj) => {
                for (name, child) in obj {
                    let sub: Vec<&Value> = maps
                        .iter()
                        .filter_map(|m| m.get("properties").and_then(|p| p.get(name)))
                        .collect();
                    // A property counts with the array item it belongs to.
                    for s in sub {
                        let at = format!("{at}/{name}");
                        walk(doc, root, s, child, &at, index, inner, report);
                    }
                }
            }
            Value::Array(items) => {
                let sub: Vec<&Value> = maps.iter().filter_map(|m| m.get("items")).collect();
                for (i, child) in items.iter().enumerate() {
                    for s in &sub {
                        let at = format!("{at}/{i}");
                        walk(doc, root, s, child, &at, Some(i), inner, report);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Component schemas that state a lifecycle in standard JSON Schema: an
/// `if` (on the schema or one of its `allOf`) that tests a property against
/// an `enum` or `const`.
fn lifecycle_schemas(spec: &Spec) -> Vec<String> {
    let tests_a_state = |s: &Value| {
        s.get("if")
            .and_then(|i| i.get("properties"))
            .and_then(Value::as_object)
            .is_some_and(|props| {
                props
                    .values()
                    .any(|p| p.get("enum").is_some() || p.get("const").is_some())
            })
    };
    let Some(schemas) = spec
        .document()
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    schemas
        .iter()
        .filter(|(_, s)| {
            tests_a_state(s)
                || s.get("allOf")
                    .and_then(Value::as_array)
                    .is_some_and(|all| all.iter().any(tests_a_state))
        })
        .map(|(name, _)| {
            format!(
                "/components/schemas/{}",
                name.replace('~', "~0").replace('/', "~1")
            )
        })
        .collect()
}

#[test]
fn lifecycle_rules_hold_in_thousands_of_values_of_every_lifecycle_schema() {
    let mut paths = documents();
    paths.push(root().join("specs/fixtures/lifecycle.yaml"));
    paths.push(root().join("specs/shapes/shipments.openapi.yaml"));
    let mut found = Vec::new();
    for path in paths {
        let d = load(&path);
        for pointer in lifecycle_schemas(&d.spec) {
            let plan = d
                .response
                .plan(&pointer)
                .unwrap_or_else(|e| panic!("{} {pointer}: {e}", d.name));
            let validator = d.validators.compile(&pointer).expect("validator compiles");
            let schema = d.spec.document().pointer(&pointer).unwrap();
            let tested = tested_properties(schema);
            let mut states = std::collections::BTreeSet::new();
            for seed in 0..2_000 {
                let value = plan
                    .generate(seed)
                    .unwrap_or_else(|e| panic!("{} {pointer} seed {seed}: {e}", d.name));
                let violations = validator.validate(&value);
                assert!(
                    violations.is_empty(),
                    "{} {pointer} seed {seed}: {}\n{violations:#?}",
                    d.name,
                    short(&value)
                );
                for name in &tested {
                    states.insert((name.clone(), value[name].to_string()));
                }
            }
            // Choosing the branch first must not starve any state: every
            // value the document lists for a tested property comes out.
            for name in &tested {
                let listed = &schema["properties"][name];
                let listed = listed.get("enum").or_else(|| listed.get("examples"));
                for v in listed.and_then(Value::as_array).into_iter().flatten() {
                    assert!(
                        states.contains(&(name.clone(), v.to_string())),
                        "{} {pointer}: {name} = {v} never generated",
                        d.name
                    );
                }
            }
            eprintln!(
                "synth: 2000 values of {} {pointer} keep its lifecycle rules",
                d.name
            );
            found.push((d.name.clone(), pointer));
        }
    }
    let names: Vec<String> = found.iter().map(|(d, p)| format!("{d} {p}")).collect();
    assert_eq!(
        names,
        [
            "calls.openapi.yaml /components/schemas/CallDetail",
            "calls.openapi.yaml /components/schemas/CallTransfer",
            "lifecycle.yaml /components/schemas/Order",
            "shipments.openapi.yaml /components/schemas/Shipment",
            "shipments.openapi.yaml /components/schemas/Parcel",
        ],
        "the schemas with a lifecycle changed"
    );
}

/// The properties the `if`s of a schema (its own, its `allOf`'s, its
/// `else`'s) test.
fn tested_properties(schema: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stack = vec![schema];
    while let Some(s) = stack.pop() {
        for (name, _) in s["if"]["properties"].as_object().into_iter().flatten() {
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
        stack.extend(s["allOf"].as_array().into_iter().flatten());
        stack.extend(s.get("else"));
    }
    out.sort();
    out
}

/// How often each value of a state property comes out, over `n` values of
/// a schema (seeds `0..n`); nested objects of the schema are counted too
/// (`at` finds them).
fn state_counts(
    plan: &decoy_synth::Plan,
    n: u64,
    at: &dyn Fn(&Value) -> Vec<Value>,
    property: &str,
) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for seed in 0..n {
        let value = plan
            .generate(seed)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        for object in at(&value) {
            let state = object
                .get(property)
                .map_or("(absent)".into(), Value::to_string);
            *counts.entry(state).or_insert(0) += 1;
        }
    }
    counts
}

/// The state is chosen first and each state is about as likely as any
/// other: every value the document lists for a state property (its `enum`,
/// else its `examples`) comes out within a factor of two of an even share,
/// and nothing else does. (A `then` that rules a state out beside another
/// selector makes it rarer, never absent: a blind transfer is never in
/// `screening`, so `screening` has half the share of `failed`.)
#[test]
fn chosen_states_are_spread_evenly_over_the_documents_values() {
    let own = |v: &Value| vec![v.clone()];
    let items = |key: &'static str| {
        move |v: &Value| {
            v.get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        }
    };
    let parcels = items("parcels");
    type At<'f> = &'f dyn Fn(&Value) -> Vec<Value>;
    let cases: [(&str, &str, &str, At<'_>, &str); 7] = [
        (
            "specs/calls.openapi.yaml",
            "CallDetail",
            "CallDetail",
            &own,
            "status",
        ),
        (
            "specs/calls.openapi.yaml",
            "CallDetail",
            "CallDetail",
            &own,
            "recording_status",
        ),
        // Alone: inside a call, the call's state decides (an ended call
        // has no live transfer), so live states are rarer there.
        (
            "specs/calls.openapi.yaml",
            "CallTransfer",
            "CallTransfer",
            &own,
            "status",
        ),
        (
            "specs/shapes/shipments.openapi.yaml",
            "Shipment",
            "Shipment",
            &own,
            "state",
        ),
        (
            "specs/shapes/shipments.openapi.yaml",
            "Shipment",
            "Shipment",
            &own,
            "mode",
        ),
        (
            "specs/shapes/shipments.openapi.yaml",
            "Shipment",
            "Parcel",
            &parcels,
            "phase",
        ),
        (
            "specs/fixtures/lifecycle.yaml",
            "Order",
            "Order",
            &own,
            "status",
        ),
    ];
    for (doc, root_schema, schema, at, property) in cases {
        let d = load(&root().join(doc));
        let plan = d
            .response
            .plan(&format!("/components/schemas/{root_schema}"))
            .unwrap_or_else(|e| panic!("{doc} {root_schema}: {e}"));
        let declared = d
            .spec
            .document()
            .pointer(&format!(
                "/components/schemas/{schema}/properties/{property}"
            ))
            .unwrap_or_else(|| panic!("{doc}: {schema}.{property}"));
        let mut listed: Vec<String> = declared
            .get("enum")
            .or_else(|| declared.get("examples"))
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{doc}: {schema}.{property} lists no values"))
            .iter()
            .map(Value::to_string)
            .collect();
        // A nullable selector is null as often as any listed value.
        if declared["type"]
            .as_array()
            .is_some_and(|t| t.contains(&Value::from("null")))
        {
            listed.push("null".into());
        }
        let counts = state_counts(&plan, 3_000, at, property);
        let total: usize = counts.values().sum();
        let even = total as f64 / listed.len() as f64;
        eprintln!("synth: {doc} {schema}.{property} over {total} objects: {counts:?}");
        for (state, n) in &counts {
            assert!(
                listed.contains(state),
                "{doc} {schema}.{property}: {state} is none of {listed:?}"
            );
            let share = *n as f64 / even;
            assert!(
                (0.5..=2.0).contains(&share),
                "{doc} {schema}.{property}: {state} came out {n} times of {total}, \
                 {share:.2} of an even share: {counts:?}"
            );
        }
        for state in &listed {
            assert!(
                counts.contains_key(state),
                "{doc} {schema}.{property}: {state} never came out: {counts:?}"
            );
        }
    }
}

/// Documents with generation-only hints (`x-decoy-rules`,
/// `x-decoy-sequence`).
const HINTED: &[&str] = &[
    "specs/calls.openapi.yaml",
    "specs/shapes/shipments.openapi.yaml",
];

/// Component schemas of `doc` whose own keyword `key` is set.
fn schemas_with(doc: &Value, key: &str) -> Vec<String> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|all| {
            all.iter()
                .filter(|(_, s)| s.get(key).is_some())
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// `x-decoy-rules` only guide generation: made real (moved into `allOf`
/// in a copy of the document), every generated value satisfies them, while
/// the document as written does not hold an implementation to them.
#[test]
fn generation_rules_hold_in_thousands_of_generated_values() {
    let mut checked = Vec::new();
    for doc in HINTED {
        let d = load(&root().join(doc));
        let mut strict = d.spec.document().clone();
        let names = schemas_with(&strict, "x-decoy-rules");
        for name in &names {
            let schema = strict
                .pointer_mut(&format!("/components/schemas/{name}"))
                .and_then(Value::as_object_mut)
                .unwrap();
            let rules = schema.remove("x-decoy-rules").unwrap();
            let all = schema
                .entry("allOf")
                .or_insert_with(|| Value::Array(Vec::new()));
            all.as_array_mut()
                .unwrap()
                .extend(rules.as_array().unwrap().clone());
        }
        let strict = Spec::parse(&strict.to_string(), "strict.json").expect("copy parses");
        let strict = Validators::new(&strict);
        for name in &names {
            let pointer = format!("/components/schemas/{name}");
            let plan = d.response.plan(&pointer).unwrap();
            let validator = strict.compile(&pointer).expect("validator compiles");
            for seed in 0..2_000 {
                let value = plan.generate(seed).unwrap();
                let violations = validator.validate(&value);
                assert!(
                    violations.is_empty(),
                    "{doc} {name} seed {seed} breaks its x-decoy-rules: {}\n{violations:#?}",
                    short(&value)
                );
            }
            checked.push(format!("{doc} {name}"));
        }
    }
    assert_eq!(
        checked,
        [
            "specs/calls.openapi.yaml CallDetail",
            "specs/shapes/shipments.openapi.yaml Shipment"
        ]
    );
}

/// `x-decoy-sequence`: the items of such an array happen one after another
/// (each item's first date-time is at or after the previous item's last)
/// and within the root object's timeline.
#[test]
fn sequenced_items_happen_one_after_another_within_their_parent() {
    let mut checked = 0;
    for doc in HINTED {
        let d = load(&root().join(doc));
        let document = d.spec.document();
        let schemas = document["components"]["schemas"].as_object().unwrap();
        let timeline = |schema: &Value| -> Vec<String> {
            schema["x-decoy-timeline"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let times = |object: &Value, names: &[String]| -> Vec<i64> {
            names
                .iter()
                .filter_map(|n| coherence::time(&object[n]))
                .collect()
        };
        // Root schemas with a timeline, and the sequenced arrays below them
        // (by property path) with their items' timelines.
        for (name, schema) in schemas {
            let outer = timeline(schema);
            if outer.is_empty() {
                continue;
            }
            let mut arrays: Vec<(Vec<String>, Vec<String>)> = Vec::new();
            let mut stack: Vec<(Vec<String>, &Value)> = vec![(Vec::new(), schema)];
            while let Some((path, s)) = stack.pop() {
                let s = match s.get("$ref").and_then(Value::as_str) {
                    Some(r) => document.pointer(r.trim_start_matches('#')).unwrap(),
                    None => s,
                };
                if path.len() > 3 {
                    continue;
                }
                for (prop, p) in s["properties"].as_object().into_iter().flatten() {
                    let mut at = path.clone();
                    at.push(prop.clone());
                    if p["x-decoy-sequence"] == Value::Bool(true) {
                        let items = &p["items"];
                        let items = match items.get("$ref").and_then(Value::as_str) {
                            Some(r) => document.pointer(r.trim_start_matches('#')).unwrap(),
                            None => items,
                        };
                        arrays.push((at.clone(), timeline(items)));
                    }
                    stack.push((at, p));
                }
            }
            if arrays.is_empty() {
                continue;
            }
            let plan = d
                .response
                .plan(&format!("/components/schemas/{name}"))
                .unwrap();
            for seed in 0..1_000 {
                let value = plan.generate(seed).unwrap();
                let window = times(&value, &outer);
                let (lo, hi) = (window[0], *window.iter().max().unwrap());
                for (path, names) in &arrays {
                    let mut at = &value;
                    for key in path {
                        at = &at[key];
                    }
                    let mut last = lo;
                    for (i, item) in at.as_array().into_iter().flatten().enumerate() {
                        let t = times(item, names);
                        let (Some(&first), Some(&end)) = (t.first(), t.iter().max()) else {
                            continue;
                        };
                        assert!(
                            first >= last && end <= hi,
                            "{doc} {name} seed {seed}: {path:?}/{i} at {t:?} is not after \
                             {last} within [{lo}, {hi}]: {}",
                            short(&value)
                        );
                        last = end;
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 1_000, "only {checked} sequenced items checked");
}

#[test]
fn edge_profile_bodies_validate_for_every_operation() {
    let docs = [
        "specs/calls.openapi.yaml",
        "swaggerapi-petstore3.yaml",
        "spotify-webapi.yaml",
        "twilio-voice-v1.json",
    ];
    let (mut checked, mut nulls, mut long) = (0u32, 0u32, 0u32);
    for doc in docs {
        let path = if doc.starts_with("specs/") {
            root().join(doc)
        } else {
            crate::util::wild_dir().join(doc)
        };
        let spec = Spec::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let validators = Validators::new(&spec);
        let edge = |d: Direction| {
            Generator::new(
                spec.document().clone(),
                Options::default().direction(d).profile(Profile::Edge),
            )
        };
        let (response, request) = (edge(Direction::Response), edge(Direction::Request));
        for (pointer, direction) in body_schemas(&spec) {
            let generator = if direction == Direction::Request {
                &request
            } else {
                &response
            };
            let plan = generator
                .plan(&pointer)
                .unwrap_or_else(|e| panic!("{doc} {pointer}: {e}"));
            let validator = validators.compile(&pointer).expect("validator compiles");
            for seed in 0..20 {
                let value = plan
                    .generate(seed)
                    .unwrap_or_else(|e| panic!("{doc} {pointer} seed {seed}: {e}"));
                assert_eq!(
                    value,
                    plan.generate(seed).unwrap(),
                    "{doc} {pointer}: seeded"
                );
                let violations = validator.validate(&value);
                assert!(
                    violations.is_empty(),
                    "{doc} {pointer} seed {seed}: {}\n{violations:#?}",
                    short(&value)
                );
                let text = value.to_string();
                nulls += u32::from(text.contains("null"));
                long += u32::from(text.contains("שלום"));
                checked += 1;
            }
        }
    }
    eprintln!("synth: {checked} edge bodies valid ({nulls} with nulls, {long} with RTL text)");
    assert!(
        checked > 500 && nulls > 50 && long > 50,
        "{checked} {nulls} {long}"
    );
}

#[test]
fn calls_coherence_rules_hold_in_ten_thousand_call_details() {
    let path = root().join("specs/calls.openapi.yaml");
    let spec = Spec::load(&path).expect("the Calls document loads");
    let generator = Generator::new(spec.document().clone(), Options::default());
    let pointer = "/components/schemas/CallDetail";
    let plan = generator.plan(pointer).expect("CallDetail plans");
    let schema = spec.document().pointer(pointer).unwrap();
    let mut checked = [0u64; 7];
    let mut broken = Vec::new();
    for seed in 0..10_000 {
        let value = plan
            .generate(seed)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let mut report = coherence::Report::default();
        coherence::walk(
            spec.document(),
            &value,
            schema,
            &value,
            "",
            None,
            None,
            &mut report,
        );
        for (c, n) in checked.iter_mut().zip(report.checked) {
            *c += n;
        }
        for b in report.broken {
            broken.push(format!("seed {seed}: {b}"));
        }
    }
    eprintln!(
        "synth: coherence checks (shared, id-prefix, template, counter, timeline, duration, nested window): {checked:?}"
    );
    // Every kind of rule the document names was exercised.
    assert!(
        checked.iter().all(|&n| n > 1000),
        "some rules were never exercised: {checked:?}"
    );
    assert!(
        broken.is_empty(),
        "{} broken (first 20):\n{}",
        broken.len(),
        broken[..broken.len().min(20)].join("\n")
    );
}

#[test]
fn templates_in_uris_percent_encode_odd_pinned_ids() {
    let d = load(&root().join("specs/calls.openapi.yaml"));
    let pointer = "/components/schemas/CallDetail";
    let plan = d.response.plan(pointer).expect("CallDetail plans");
    let validator = d.validators.compile(pointer).expect("CallDetail compiles");
    let schema = d.spec.document().pointer(pointer).unwrap();
    for (seed, id) in [
        "call with spaces",
        "call%41",
        "a/b?c#d",
        "déjà vu",
        "100%",
        "~tilde:@ok",
    ]
    .into_iter()
    .enumerate()
    {
        let value = plan
            .generate_with(seed as u64, &[("id", Value::from(id))])
            .unwrap();
        assert_eq!(value["call_id"], id, "a template outside a URI is verbatim");
        let uri = value["resource_uri"].as_str().unwrap();
        assert!(uri.starts_with("/v1/calls/") && !uri.contains(' '), "{uri}");
        assert_eq!(
            Some(uri.to_owned()),
            coherence::fill("/v1/calls/{id}", &value, true)
        );
        let violations = validator.validate(&value);
        assert!(violations.is_empty(), "{id}: {violations:?}");
        let mut report = coherence::Report::default();
        coherence::walk(
            d.spec.document(),
            &value,
            schema,
            &value,
            "",
            None,
            None,
            &mut report,
        );
        // The pinned id is not of the id-prefix shape; every other rule holds.
        report.broken.retain(|b| !b.contains("x-decoy-id-prefix"));
        assert!(report.broken.is_empty(), "{id}: {:?}", report.broken);
    }
}

/// A document with these component schemas and no operations.
fn with_schemas(schemas: Value) -> Value {
    serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas}
    })
}

/// `count` values of the schema at `pointer` in the document `doc`, from
/// seeds `0..count`, each checked valid against that schema.
fn valid_values(doc: &Value, pointer: &str, options: Options, count: u64) -> Vec<Value> {
    let spec = Spec::parse(&doc.to_string(), "test.json").expect("parses");
    let validators = Validators::new(&spec);
    let generator = Generator::new(spec.document().clone(), options);
    let plan = generator.plan(pointer).expect("plans");
    let schema = validators.compile(pointer).expect("compiles");
    (0..count)
        .map(|seed| {
            let value = plan
                .generate(seed)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            let violations = schema.validate(&value);
            assert!(violations.is_empty(), "seed {seed}: {value} {violations:?}");
            value
        })
        .collect()
}

/// A `date-time` whose `minLength` the plain form (`...T05:19:02Z`, 20
/// characters) does not reach takes fraction-of-second digits, as many as
/// the length asks; one that cannot be any length (21) is refused, not
/// made invalid.
#[test]
fn date_times_take_the_length_their_schema_asks() {
    let doc = with_schemas(serde_json::json!({
        "Long": {"type": "object", "required": ["a", "b", "c", "d"], "properties": {
            "a": {"type": "string", "format": "date-time", "minLength": 22},
            "b": {"type": "string", "format": "date-time", "minLength": 24, "maxLength": 24},
            "c": {"type": "string", "format": "date-time", "minLength": 30},
            "d": {"type": "string", "format": "date-time", "maxLength": 20}
        }},
        "Impossible": {"type": "string", "format": "date-time", "minLength": 21, "maxLength": 21}
    }));
    let values = valid_values(&doc, "/components/schemas/Long", Options::default(), 200);
    for (seed, value) in values.iter().enumerate() {
        for (key, len) in [("a", 22), ("b", 24), ("c", 30), ("d", 20)] {
            let text = value[key].as_str().unwrap_or_default();
            assert_eq!(text.len(), len, "seed {seed}: {key} = {text}");
            assert!(text.ends_with('Z') && text.as_bytes()[10] == b'T', "{text}");
        }
    }
    let spec = Spec::parse(&doc.to_string(), "long.json").expect("parses");
    let generator = Generator::new(spec.document().clone(), Options::default());
    let impossible = generator.plan("/components/schemas/Impossible");
    assert!(
        impossible.and_then(|p| p.generate(1)).is_err(),
        "a 21-character date-time was made"
    );
}

/// An optional property the generator cannot make (an object whose required
/// string must match `^a{5}$` within three characters) is left out, and
/// generation goes on: the properties after it, in the same object and in
/// its parent, are all there, and every value validates.
#[test]
fn an_optional_property_that_cannot_be_made_is_left_out() {
    let doc = with_schemas(serde_json::json!({
        "Outer": {"type": "object", "required": ["before", "inner", "after"], "properties": {
            "before": {"type": "string", "minLength": 1},
            "inner": {"type": "object", "required": ["x"], "properties": {
                "x": {"type": "integer"},
                "stuck": {"type": "object", "required": ["code"], "properties": {
                    "code": {"type": "string", "pattern": "^a{5}$", "maxLength": 3}
                }},
                "y": {"type": "string"},
                "z": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["w"], "properties": {"w": {"type": "boolean"}}
                }}
            }},
            "after": {"type": "integer"}
        }}
    }));
    let mut options = Options::default();
    options.full = true;
    for (seed, value) in valid_values(&doc, "/components/schemas/Outer", options, 100)
        .iter()
        .enumerate()
    {
        let inner = &value["inner"];
        assert!(inner.get("stuck").is_none(), "seed {seed}: {value}");
        for present in [&value["before"], &value["after"], &inner["x"], &inner["y"]] {
            assert!(!present.is_null(), "seed {seed}: {value}");
        }
        assert!(inner["z"][0]["w"].is_boolean(), "seed {seed}: {value}");
    }
}

/// A plan generates the same values whatever order the generator's plans
/// were compiled in: the mock compiles its operations' plans on a thread
/// of its own while requests compile theirs on first use, so the order
/// differs from run to run, and the bytes must not. Every document: its
/// response body schemas compiled first to last by one generator and last
/// to first by another, then 5 values of each from the same seeds.
#[test]
fn plans_generate_the_same_values_whatever_order_they_were_compiled_in() {
    for path in documents() {
        let spec = Spec::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc = std::sync::Arc::new(spec.document().clone());
        let pointers: Vec<String> = body_schemas(&spec)
            .into_iter()
            .filter(|(_, d)| *d == Direction::Response)
            .map(|(p, _)| p)
            .collect();
        let forward = Generator::new(doc.clone(), Options::default());
        let backward = Generator::new(doc, Options::default());
        for p in &pointers {
            let _ = forward.plan(p);
        }
        for p in pointers.iter().rev() {
            let _ = backward.plan(p);
        }
        let name = file_name(&path);
        for p in &pointers {
            let (Ok(a), Ok(b)) = (forward.plan(p), backward.plan(p)) else {
                assert!(
                    forward.plan(p).is_err() && backward.plan(p).is_err(),
                    "{name} {p}"
                );
                continue;
            };
            for seed in 0..5 {
                let (a, b) = (a.generate(seed), b.generate(seed));
                match (&a, &b) {
                    (Ok(a), Ok(b)) => assert!(a == b, "{name} {p} seed {seed}"),
                    _ => assert!(a.is_err() && b.is_err(), "{name} {p} seed {seed}"),
                }
            }
        }
    }
}
