//! `decoy routes`: the operation table, or (`--model`) the behaviour model.

use std::io::Write;

use decoy_spec::Spec;

use crate::Outcome;

pub(crate) fn run(spec: &Spec, model: bool) -> anyhow::Result<Outcome> {
    if model {
        std::io::stdout()
            .lock()
            .write_all(decoy_spec::model::render(spec).as_bytes())?;
        return Ok(Outcome::Ok);
    }
    let rows: Vec<[String; 4]> = spec
        .operations()
        .iter()
        .map(|op| {
            let statuses: Vec<String> = op.responses.iter().map(|r| r.status.to_string()).collect();
            [
                op.method.clone(),
                op.path.clone(),
                op.id.clone().unwrap_or_else(|| "-".to_owned()),
                statuses.join(" "),
            ]
        })
        .collect();
    let header = ["METHOD", "PATH", "OPERATION", "RESPONSES"].map(str::to_owned);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = std::io::stdout().lock();
    for row in std::iter::once(&header).chain(&rows) {
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(Outcome::Ok)
}
