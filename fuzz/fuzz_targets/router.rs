//! Router: an arbitrary method and path against the Calls document. A
//! match must name an operation with that method, and its parameters must
//! be the template's.
#![no_main]

use decoy_spec::RouteMatch;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let calls = common::calls();
    let (method, path) = common::split(data, b' ');
    let path = String::from_utf8_lossy(path);
    for method in [method.as_str(), "GET", "POST"] {
        match calls.spec.router().find(method, &path) {
            RouteMatch::Found { operation, params } => {
                let op = &calls.spec.operations()[operation];
                assert!(
                    op.method.eq_ignore_ascii_case(method),
                    "{method} {path} → {op:?}"
                );
                let names: Vec<_> = op
                    .parameters_in(decoy_spec::ParameterLocation::Path)
                    .map(|p| p.name.as_str())
                    .collect();
                for (name, _) in &params {
                    assert!(
                        names.contains(&name.as_str()),
                        "{path}: {name} not in {names:?}"
                    );
                }
            }
            RouteMatch::MethodNotAllowed { allowed } => {
                assert!(!allowed.is_empty());
                assert!(!allowed.iter().any(|m| m.eq_ignore_ascii_case(method)));
            }
            RouteMatch::NotFound => {}
        }
    }
});
