//! Load + compile-all-validators time for a document (default: the largest
//! real one we have, OpenAI's 3 MB YAML). Not a test: run it with
//! `cargo bench -p decoy-validate --bench load_compile [-- PATH]`.
//! Prints the median of several runs of each phase.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use decoy_spec::Spec;
use decoy_validate::Validators;

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/specs-wild/openai-api.yaml")
        });
    let runs = 7;
    let (mut load, mut ops, mut all, mut one_by_one) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut counts = (0, 0);
    for _ in 0..runs {
        let t = Instant::now();
        let spec = Spec::load(&path).expect("the document loads");
        load.push(t.elapsed());

        let t = Instant::now();
        let validators = Validators::new(&spec);
        assert!(validators.compile_operations(&spec).is_empty());
        ops.push(t.elapsed());

        let t = Instant::now();
        let validators = Validators::new(&spec);
        assert!(validators.compile_all(&spec).is_empty());
        all.push(t.elapsed());

        // As the mock and the runner ask: one schema at a time.
        let t = Instant::now();
        let validators = Validators::new(&spec);
        for p in decoy_validate::operation_schemas(&spec) {
            validators.compile(&p).expect("compiles");
        }
        one_by_one.push(t.elapsed());
        counts = (
            decoy_validate::operation_schemas(&spec).len(),
            decoy_validate::operation_schemas(&spec).len() + spec.schema_names().count(),
        );
    }
    let (load, ops, all) = (median(load), median(ops), median(all));
    let one_by_one = median(one_by_one);
    println!("document: {}", path.display());
    println!("load (parse, lower, check refs, index):     {load:>10.1?}");
    println!(
        "compile {:>5} operation schemas:            {ops:>10.1?}",
        counts.0
    );
    println!(
        "compile {:>5} operation + component schemas: {all:>10.1?}",
        counts.1
    );
    println!(
        "compile {:>5} operation schemas one by one: {one_by_one:>10.1?}",
        counts.0
    );
    println!(
        "load + compile operation validators:        {:>10.1?}",
        load + ops
    );
    println!(
        "load + compile every schema:                {:>10.1?}",
        load + all
    );
}
