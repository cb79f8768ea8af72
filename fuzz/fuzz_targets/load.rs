//! Document loader: any bytes → a loaded `Spec` (with problems) or a
//! `SpecError`, never a panic; a loaded document also compiles its
//! validators and checks its examples the way `decoy lint` does.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = decoy_spec::Spec::parse(text, "fuzz.yaml") else {
        return;
    };
    for p in spec.problems() {
        let _ = spec.line_of(&p.pointer);
    }
    for op in spec.operations() {
        let _ = spec.resolve(&op.pointer);
        let _ = spec.router().find(&op.method, &op.path);
    }
    // Compiling is the expensive part; small inputs cover its edge cases.
    if data.len() <= 4096 {
        let validators = decoy_validate::Validators::new(&spec);
        let _ = validators.compile_all(&spec);
        let _ = decoy_validate::check_examples(&spec, &validators);
    }
});
