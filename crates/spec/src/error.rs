//! Errors (the document cannot be used) and problems (it can, with caveats).

use std::fmt;

/// Why a document could not be loaded.
///
/// Every variant names the document (`origin`: a file path, or a label for an
/// embedded document) and, where it applies, the JSON pointer or the line and
/// column of the fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The file could not be read.
    #[error("{origin}: cannot read: {cause}")]
    Io {
        /// The path that was read.
        origin: String,
        /// The underlying error (in the message, so it is not also a source).
        cause: std::io::Error,
    },
    /// The text is not YAML or JSON.
    #[error("{origin}:{line}:{column}: not valid {format}: {message}")]
    Syntax {
        /// The document.
        origin: String,
        /// `YAML` or `JSON`.
        format: &'static str,
        /// 1-based line of the fault.
        line: u64,
        /// 1-based column of the fault.
        column: u64,
        /// What the parser said.
        message: String,
    },
    /// The document parsed but cannot be used as OpenAPI 3.x.
    #[error("{origin}: {pointer}: {message}", pointer = display_pointer(.pointer))]
    Invalid {
        /// The document.
        origin: String,
        /// JSON pointer of the offending value (`""` is the root).
        pointer: String,
        /// What was expected and what came.
        message: String,
    },
}

pub(crate) fn display_pointer(p: &str) -> &str {
    if p.is_empty() { "#" } else { p }
}

/// How serious a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Severity {
    /// Tolerated: the document loads and decoy works around it.
    Warning,
    /// The document loads, but this part of it is broken (a linter fails).
    Error,
}

/// Something wrong with a loaded document, located by JSON pointer.
///
/// Problems are data: loading collects all of them instead of stopping at the
/// first, so `decoy lint` can print every one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// How serious it is.
    pub severity: Severity,
    /// JSON pointer into the document.
    pub pointer: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl Problem {
    /// A tolerated problem.
    pub fn warning(pointer: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Warning,
            pointer: pointer.into(),
            message: message.into(),
        }
    }
    /// A problem that makes the document fail a lint.
    pub fn error(pointer: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Error,
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(
            f,
            "{level}: {}: {}",
            display_pointer(&self.pointer),
            self.message
        )
    }
}
