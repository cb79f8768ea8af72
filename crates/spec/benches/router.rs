//! Routing: nanoseconds per `Router::find`, for every operation of the
//! Calls document and of the large real documents in `../shared/specs-wild`
//! (Discord, OpenAI, Vapi: hundreds of operations), each asked once with
//! every path parameter filled in. Run with
//! `cargo bench -p decoy-spec --bench router` (release build).

#![allow(clippy::print_stdout, missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use decoy_spec::{RouteMatch, Spec};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let documents = [
        root.join("specs/calls.openapi.yaml"),
        root.join("../shared/specs-wild/discord-api.json"),
        root.join("../shared/specs-wild/openai-api.yaml"),
        root.join("../shared/specs-wild/vapi-api.json"),
    ];
    println!(
        "{:<24} {:>10} {:>14}",
        "document", "operations", "ns per find"
    );
    for path in &documents {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let spec = match Spec::load(path) {
            Ok(spec) => spec,
            Err(e) => {
                println!("{name:<24} not loaded: {e}");
                continue;
            }
        };
        // Every operation's own path, each `{param}` filled with text no
        // literal segment has.
        let requests: Vec<(String, String)> = spec
            .operations()
            .iter()
            .map(|op| (op.method.clone(), fill(&op.path)))
            .collect();
        let router = spec.router();
        for (method, path) in &requests {
            assert!(
                matches!(router.find(method, path), RouteMatch::Found { .. }),
                "{name}: {method} {path} does not route"
            );
        }
        // Warm up, then measure for about a second.
        let mut finds = 0u64;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(1) {
            for (method, path) in &requests {
                black_box(router.find(black_box(method), black_box(path)));
            }
            finds += requests.len() as u64;
        }
        let ns = started.elapsed().as_nanos() as f64 / finds as f64;
        println!("{name:<24} {:>10} {ns:>14.0}", requests.len());
    }
}

fn fill(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut in_param = false;
    for c in template.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push_str("p1x9");
            }
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}
