//! Throughput: `CallDetail` values of the Calls document, generated and
//! written as ndjson, on one core. Run with
//! `cargo bench -p decoy-synth --bench synth` (release build).

#![allow(clippy::print_stdout, missing_docs)]

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use decoy_spec::Spec;
use decoy_synth::{Generator, Options, record_seed};

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/calls.openapi.yaml");
    let spec = Spec::load(&path).expect("the Calls document loads");
    let started = Instant::now();
    let generator = Generator::new(spec.document().clone(), Options::default());
    let plan = generator
        .plan("#/components/schemas/CallDetail")
        .expect("CallDetail plans");
    println!("plan compiled in {:.2?}", started.elapsed());

    for (label, options) in [
        ("default", Options::default()),
        ("full", Options::default().full(true)),
    ] {
        let generator = Generator::new(spec.document().clone(), options);
        let plan = generator.plan("#/components/schemas/CallDetail").unwrap();
        // Warm up, then measure for about two seconds.
        for seed in 0..200 {
            plan.generate(seed).unwrap();
        }
        let mut out: Vec<u8> = Vec::with_capacity(1 << 20);
        for direct in [false, true] {
            let (mut values, mut bytes) = (0u64, 0u64);
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(2) {
                for _ in 0..500 {
                    let seed = record_seed(7, values);
                    if direct {
                        plan.write_json(seed, &mut out).unwrap();
                    } else {
                        let value = plan.generate(seed).unwrap();
                        serde_json::to_writer(&mut out, &value).unwrap();
                    }
                    out.write_all(b"\n").unwrap();
                    values += 1;
                }
                bytes += out.len() as u64;
                out.clear();
            }
            let secs = start.elapsed().as_secs_f64();
            let how = if direct {
                "write_json"
            } else {
                "generate + to_writer"
            };
            println!(
                "CallDetail ({label}, {how}): {:>9.0} values/s  {:>7.1} MB/s  ({} values, {:.0} bytes each)",
                values as f64 / secs,
                bytes as f64 / secs / 1e6,
                values,
                bytes as f64 / values as f64
            );
        }
    }
    let _ = plan;
}
