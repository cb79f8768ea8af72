//! A stand-in for `decoy test` until the CLI wires `decoy_conform`:
//! `conform URL DOC TOKEN CASES SEED [--json FILE]` prints the text report
//! and exits 0/1/2 like the CLI will.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 6 {
        eprintln!("usage: conform URL DOC TOKEN CASES SEED [--json FILE]");
        return ExitCode::from(2);
    }
    let spec = match decoy_spec::Spec::load(a[2].as_ref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut config = decoy_conform::Config::new(a[1].clone());
    config.token = Some(a[3].clone());
    config.ids.push(("id".into(), "call_1".into()));
    config.cases = a[4].parse().unwrap_or(50);
    config.sequences = config.cases;
    config.seed = a[5].parse().unwrap_or(0);
    match decoy_conform::run(&spec, config).await {
        Ok(report) => {
            print!(
                "{}",
                report.render_text(decoy_conform::TextOptions::colour(false))
            );
            if a.get(6).map(String::as_str) == Some("--json")
                && let Some(path) = a.get(7)
            {
                let _ = std::fs::write(path, report.to_json());
            }
            ExitCode::from(report.exit_code())
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
