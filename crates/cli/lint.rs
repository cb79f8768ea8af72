//! `decoy lint`: every problem of a document, with pointer and line.

use std::io::Write;

use decoy_spec::{Problem, Severity, Spec};
use decoy_validate::Validators;
use serde_json::json;

use crate::{Format, Outcome, colour, paint};

pub(crate) fn run(spec: &Spec, format: Format) -> anyhow::Result<Outcome> {
    let validators = Validators::new(spec);
    let mut problems: Vec<Problem> = spec.problems().to_vec();
    problems.extend(validators.compile_all(spec));
    let (examples, example_problems) = decoy_validate::check_examples(spec, &validators);
    problems.extend(example_problems);

    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    let schemas = spec.schema_names().count();
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let list: Vec<_> = problems
                .iter()
                .map(|p| {
                    json!({
                        "severity": if p.severity == Severity::Error { "error" } else { "warning" },
                        "pointer": p.pointer,
                        "line": spec.line_of(&p.pointer),
                        "message": p.message,
                    })
                })
                .collect();
            let report = json!({
                "document": spec.origin(),
                "openapi": spec.version(),
                "operations": spec.operations().len(),
                "schemas": schemas,
                "examples_checked": examples,
                "errors": errors,
                "warnings": warnings,
                "problems": list,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        Format::Text => {
            let c = colour();
            for p in &problems {
                let (label, code) = match p.severity {
                    Severity::Error => ("error", "1;31"),
                    _ => ("warning", "1;33"),
                };
                let line = spec
                    .line_of(&p.pointer)
                    .map(|l| format!(":{l}"))
                    .unwrap_or_default();
                let at = if p.pointer.is_empty() {
                    "#"
                } else {
                    &p.pointer
                };
                writeln!(
                    out,
                    "{}: {}{line}: {at}: {}",
                    paint(c, code, label),
                    spec.origin(),
                    p.message
                )?;
            }
            let verdict = if errors == 0 {
                paint(c, "1;32", "ok")
            } else {
                paint(c, "1;31", "failed")
            };
            writeln!(
                out,
                "{verdict}: {}: OpenAPI {}, {} operations, {schemas} schemas, {examples} examples checked, {errors} errors, {warnings} warnings",
                spec.origin(),
                spec.version(),
                spec.operations().len(),
            )?;
        }
    }
    Ok(if errors == 0 {
        Outcome::Ok
    } else {
        Outcome::Violations
    })
}
