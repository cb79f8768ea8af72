//! Every real-world document loads (or fails with a pinned, precise reason),
//! every operation schema compiles, and every example is checked. The
//! outcome per document is an insta snapshot, so any change in what decoy
//! makes of a real document is a reviewed diff.

use std::fmt::Write;

use decoy_spec::{Severity, Spec};
use decoy_validate::{Validators, check_examples, operation_schemas};

use crate::util::{snapshots, wild_dir};

/// Documents that must NOT load, with the reason we pin. Empty today: all
/// ten load, the two invalid ones with problems listed in their snapshots.
const MUST_FAIL: &[(&str, &str)] = &[];

#[test]
fn every_wild_document_loads_compiles_and_checks_examples() {
    let mut files: Vec<_> = std::fs::read_dir(wild_dir())
        .expect("../shared/specs-wild is present")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "yaml" | "yml")
            )
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 10, "expected the ten documents of specs-wild");
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let spec = match Spec::load(&path) {
            Ok(spec) => spec,
            Err(e) => {
                let reason = MUST_FAIL.iter().find(|(n, _)| *n == name).map(|(_, r)| *r);
                assert!(
                    reason.is_some_and(|r| e.to_string().contains(r)),
                    "{name} failed to load: {e}"
                );
                continue;
            }
        };
        assert!(
            !MUST_FAIL.iter().any(|(n, _)| *n == name),
            "{name} was expected to fail"
        );
        let validators = Validators::new(&spec);
        let schemas = operation_schemas(&spec).len() + spec.schema_names().count();
        let compile_problems = validators.compile_all(&spec);
        let (examples, example_problems) = check_examples(&spec, &validators);

        let mut summary = String::new();
        writeln!(summary, "openapi {}", spec.version()).unwrap();
        writeln!(summary, "operations {}", spec.operations().len()).unwrap();
        writeln!(
            summary,
            "schemas compiled (operations and components) {}/{schemas}",
            schemas - compile_problems.len()
        )
        .unwrap();
        writeln!(
            summary,
            "examples checked {examples}, invalid {}",
            example_problems.len()
        )
        .unwrap();
        for p in spec
            .problems()
            .iter()
            .chain(&compile_problems)
            .chain(&example_problems)
        {
            let level = if p.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            writeln!(summary, "{level} {}: {}", p.pointer, p.message).unwrap();
        }
        snapshots(|| insta::assert_snapshot!(format!("wild_{name}"), summary));
    }
}
