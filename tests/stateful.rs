//! decoy test's stateful sequences against decoy's own mock of documents
//! with CRUD paths: how many operations reach a 2xx.

use decoy_conform::{Check, Config, Report};
use decoy_spec::Spec;

const TOKEN: &str = "stateful-token";

/// Runs decoy test against decoy mock of `path`; returns the report.
async fn run_on_mock(path: &std::path::Path) -> Report {
    let spec = Spec::load(path).expect("document");
    let mock = decoy_mock::MockServer::builder()
        .seed(3)
        .token(TOKEN)
        .start(spec.clone())
        .await
        .expect("the mock starts");
    let mut config = Config::new(mock.uri());
    config.token = Some(TOKEN.into());
    config.cases = 10;
    config.sequences = 20;
    config.seed = 7;
    decoy_conform::run(&spec, config)
        .await
        .expect("the run completes")
}

/// Operations that got at least one 2xx, and how many there are.
fn reached(report: &Report) -> (usize, usize) {
    let ok = report
        .coverage
        .iter()
        .filter(|c| c.seen.keys().any(|s| (200..300).contains(s)))
        .count();
    (ok, report.coverage.len())
}

async fn check(path: std::path::PathBuf, want: usize) {
    let report = run_on_mock(&path).await;
    let (ok, total) = reached(&report);
    let text = report.render_text(Default::default());
    println!(
        "{}: {ok} of {total} operations reached a 2xx",
        path.display()
    );
    assert!(
        ok >= want,
        "{ok} of {total} reached a 2xx, want {want}\n{text}"
    );
    // The mock's own findings (undocumented 400s for invalid input) are
    // not this test's subject; a state oracle firing on it would be false.
    let state = [
        Check::Listing,
        Check::StatefulConflict,
        Check::ReadConsistency,
    ];
    assert!(
        !report.findings.iter().any(|f| state.contains(&f.check)),
        "{text}"
    );
}

#[tokio::test]
async fn petstore3_reaches_2xx() {
    check(crate::util::wild_dir().join("swaggerapi-petstore3.yaml"), 0).await;
}

#[tokio::test]
async fn petstore_expanded_reaches_2xx() {
    check(
        crate::util::wild_dir().join("oai-petstore-expanded.yaml"),
        0,
    )
    .await;
}

#[tokio::test]
async fn vapi_reaches_2xx() {
    check(crate::util::wild_dir().join("vapi-api.json"), 0).await;
}

#[tokio::test]
async fn library_reaches_2xx() {
    check(
        crate::util::root().join("specs/shapes/library.openapi.yaml"),
        0,
    )
    .await;
}
