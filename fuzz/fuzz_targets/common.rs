//! The Calls document, loaded once per fuzzing process.

use std::sync::OnceLock;

use decoy_spec::Spec;
use decoy_validate::Validators;

#[allow(dead_code)] // the router target uses only the spec
pub struct Calls {
    pub spec: Spec,
    pub validators: Validators,
}

pub fn calls() -> &'static Calls {
    static CALLS: OnceLock<Calls> = OnceLock::new();
    CALLS.get_or_init(|| {
        let text = include_str!("../../specs/calls.openapi.yaml");
        let spec = Spec::parse(text, "calls.openapi.yaml").expect("the Calls document loads");
        let validators = Validators::new(&spec);
        Calls { spec, validators }
    })
}

/// Splits `data` at the first `sep`, lossily decoded.
pub fn split(data: &[u8], sep: u8) -> (String, &[u8]) {
    match data.iter().position(|&b| b == sep) {
        Some(i) => (
            String::from_utf8_lossy(&data[..i]).into_owned(),
            &data[i + 1..],
        ),
        None => (String::from_utf8_lossy(data).into_owned(), &[]),
    }
}
