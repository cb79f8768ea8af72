//! The one error type of the crate.

use thiserror::Error;

/// Why a value could not be generated.
///
/// Every variant names the JSON pointer (into the document, or into the inline
/// schema passed to [`Generator::generate_value`](crate::Generator::generate_value),
/// shown as `(inline)/...`) of the schema at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SynthError {
    /// Nothing lives at the pointer that was asked for.
    #[error("no schema at {pointer}")]
    NoSchema {
        /// The pointer that was looked up.
        pointer: String,
    },
    /// No value can satisfy the schema: contradictory `allOf` types,
    /// `minimum` > `maximum`, an `enum` none of whose members fit, `not: {}`,
    /// a required property that cannot exist, an unresolvable `$ref`, ...
    #[error("{pointer}: the schema cannot be satisfied: {reason}")]
    Unsatisfiable {
        /// The schema where the contradiction was found.
        pointer: String,
        /// What contradicts what.
        reason: String,
    },
    /// The schema may be satisfiable, but the bounded search did not find a
    /// value (a `pattern` with look-around that the samples never matched, a
    /// `oneOf` whose branches always overlap, ...). The search never hangs: it
    /// gives up after `attempts` tries.
    #[error("{pointer}: could not generate a value after {attempts} attempts: {reason}")]
    CannotGenerate {
        /// The schema that resisted.
        pointer: String,
        /// How many candidates were tried.
        attempts: u32,
        /// What kept failing.
        reason: String,
    },
    /// The schema graph reachable from the pointer is too large to plan.
    #[error("{pointer}: the schema is too large to plan (more than {limit} nodes)")]
    TooComplex {
        /// The schema asked for.
        pointer: String,
        /// The node limit that was hit.
        limit: usize,
    },
    /// No constraint of the requested kind can be broken in this schema.
    #[error("{pointer}: no `{kind}` constraint can be broken here")]
    NoInvalidValue {
        /// The schema asked for.
        pointer: String,
        /// The kind that was asked for.
        kind: crate::InvalidKind,
    },
}

impl SynthError {
    /// The JSON pointer of the schema at fault.
    pub fn pointer(&self) -> &str {
        match self {
            SynthError::NoSchema { pointer }
            | SynthError::Unsatisfiable { pointer, .. }
            | SynthError::CannotGenerate { pointer, .. }
            | SynthError::TooComplex { pointer, .. }
            | SynthError::NoInvalidValue { pointer, .. } => pointer,
        }
    }
}
