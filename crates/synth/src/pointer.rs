//! JSON pointers as the compiler stores them and errors print them.
//!
//! A node's pointer is a document pointer (`/components/schemas/Pet`) or,
//! for an inline schema given to [`crate::Generator::generate_value`], one
//! into that schema prefixed with `~` (never the start of a real pointer).

pub(crate) use decoy_spec::pointer::{from_ref as ref_pointer, push as push_token};

/// Normalises a user-supplied pointer (`#/a/b` or `/a/b`).
pub(crate) fn user_pointer(pointer: &str) -> String {
    ref_pointer(pointer).unwrap_or_else(|| pointer.to_owned())
}

/// Shows a pointer the way errors print it.
pub(crate) fn display_pointer(ptr: &str) -> String {
    match ptr.strip_prefix('~') {
        Some(rest) => format!("(inline){rest}"),
        None => format!("#{ptr}"),
    }
}

/// One reference token, unescaped (`a~1b` → `a/b`).
pub(crate) fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The component name when `ptr` is `/components/schemas/NAME`.
pub(crate) fn component_name(ptr: &str) -> Option<&str> {
    let rest = ptr.strip_prefix("/components/schemas/")?;
    (!rest.contains('/')).then_some(rest)
}
