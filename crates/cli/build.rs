//! Turns the embedded Calls document from YAML into JSON once, at build
//! time: reading JSON at start-up takes a fraction of the instructions
//! reading YAML does (about 26M of the 74M the mock spent before its first
//! answer). The YAML stays the source, and is embedded too, for line numbers
//! in messages; a test holds the two to the same document.

use std::path::PathBuf;

fn main() {
    let source = "specs/calls.openapi.yaml";
    println!("cargo::rerun-if-changed={source}");
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let text =
        std::fs::read_to_string(root.join(source)).unwrap_or_else(|e| panic!("{source}: {e}"));
    // The options `decoy_spec` reads YAML with.
    let options = serde_saphyr::options! { strict_booleans: true };
    let document: serde_json::Value = serde_saphyr::from_str_with_options(&text, options)
        .unwrap_or_else(|e| panic!("{source}: {e}"));
    let json = serde_json::to_string(&document).expect("a JSON value writes as JSON");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("calls.openapi.json"), json).expect("OUT_DIR is writable");
}
