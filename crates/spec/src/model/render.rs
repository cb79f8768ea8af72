//! The model as text: what `decoy routes --model` prints.

use std::fmt::Write;

use super::{Guard, Kind};
use crate::Spec;

/// Renders the model for a person: each resource with its operations and
/// their roles, guards and lifecycle; then operations with rules of their
/// own; then the document's links. Lines stay within 100 columns where the
/// document's paths allow.
pub fn render(spec: &Spec) -> String {
    let model = spec.model();
    let ops = spec.operations();
    let mut out = String::new();
    let name = |id: crate::OpId| {
        let op = &ops[id];
        format!("{} {}", op.method, op.path)
    };
    let _ = writeln!(out, "resources ({})", model.resources().len());
    for r in model.resources() {
        let mut about = Vec::new();
        if let Some(p) = &r.id_param {
            about.push(format!("id param {p}"));
        }
        if let Some(f) = &r.id_field {
            about.push(format!("id field {f}"));
        }
        if r.hinted {
            about.push("from x-decoy-state".to_owned());
        }
        let _ = writeln!(out, "  {}  [{}]", r.collection, about.join(", "));
        for &c in &r.creates {
            let _ = writeln!(out, "    {:8} {}", Kind::Create.as_str(), name(c));
        }
        if let Some(l) = &r.listing {
            let array = if l.array.is_empty() {
                "(body)"
            } else {
                &l.array
            };
            let _ = writeln!(
                out,
                "    {:8} {}  items at {array}",
                Kind::List.as_str(),
                name(l.op)
            );
        }
        for a in &r.acts {
            let kind = super::infer::role(&ops[a.op], &a.param);
            let _ = writeln!(out, "    {:8} {}", kind.as_str(), name(a.op));
            match &a.guard {
                Guard::When(fields) => {
                    let when: Vec<String> = fields
                        .iter()
                        .map(|(f, v)| {
                            let v: Vec<String> = v.iter().map(|v| v.to_string()).collect();
                            format!("{f} in {}", v.join("|"))
                        })
                        .collect();
                    wrap(&mut out, INDENT, "when", &when);
                }
                Guard::Terminal { field, states } => {
                    wrap(
                        &mut out,
                        INDENT,
                        &format!("refused when {field} in"),
                        states,
                    );
                }
                Guard::Always => {}
            }
            if let Some(s) = &a.spawns {
                let _ = writeln!(out, "{INDENT}starts {s}");
            }
        }
        if let Some(l) = &r.lifecycle {
            wrap(
                &mut out,
                "    ",
                &format!("lifecycle of {}:", l.field),
                &l.states,
            );
            if !l.terminal.is_empty() {
                wrap(&mut out, "      ", "finished:", &l.terminal);
            }
        }
    }
    let ruled: Vec<String> = spec
        .op_ids()
        .filter_map(|id| {
            let rules = &model.operation(id).rules;
            let mut what = Vec::new();
            if !rules.echo.is_empty() {
                what.push(format!("echo {}", rules.echo.len()));
            }
            if !rules.set.is_empty() {
                what.push(format!("set {}", rules.set.len()));
            }
            if rules.faults.latency.is_some() || rules.faults.error_rate.is_some() {
                what.push("faults".to_owned());
            }
            if rules.transition.is_some() {
                what.push("transition".to_owned());
            }
            (!what.is_empty()).then(|| format!("  {}  {}", name(id), what.join(", ")))
        })
        .collect();
    if !ruled.is_empty() {
        let _ = writeln!(out, "rules ({})", ruled.len());
        for line in ruled {
            let _ = writeln!(out, "{line}");
        }
    }
    let others: Vec<String> = spec
        .op_ids()
        .filter(|&id| model.operation(id).resource.is_none())
        .map(|id| format!("  {}", name(id)))
        .collect();
    if !others.is_empty() {
        let _ = writeln!(out, "no resource ({})", others.len());
        for line in others {
            let _ = writeln!(out, "{line}");
        }
    }
    if !model.links().is_empty() {
        let _ = writeln!(out, "links ({})", model.links().len());
        for l in model.links() {
            let _ = writeln!(
                out,
                "  {} {} -> {}  {} = {}",
                name(l.from),
                l.status,
                name(l.to),
                l.parameter,
                l.expression
            );
        }
    }
    out
}

/// Continuation lines under an operation.
const INDENT: &str = "             ";

/// `label item, item, ...` after `indent`, wrapped at 100 columns.
fn wrap(out: &mut String, indent: &str, label: &str, items: &[String]) {
    let mut line = format!("{indent}{label}");
    for (k, item) in items.iter().enumerate() {
        let sep = if k + 1 < items.len() { "," } else { "" };
        if line.len() + 1 + item.len() + sep.len() > 100 && line.trim() != label {
            let _ = writeln!(out, "{line}");
            line = format!("{indent}  ");
        } else {
            line.push(' ');
        }
        line.push_str(item);
        line.push_str(sep);
    }
    let _ = writeln!(out, "{line}");
}
