//! The one error type: what stops a run before it can say anything about the
//! contract. Contract violations are never errors; they are `Finding`s.

use thiserror::Error;

/// Why a conformance run could not be carried out (exit code 2).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConformError {
    /// A setting is unusable (`--shard 3/2`, a base URL that is not `http://`).
    #[error("invalid setting `{setting}`: {message}")]
    Usage {
        /// The setting at fault (`base_url`, `shard`, ...).
        setting: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The target did not accept a connection at all.
    #[error("cannot connect to {url}: {message}")]
    Connect {
        /// The base URL.
        url: String,
        /// The underlying error.
        message: String,
    },
    /// The target stopped answering altogether: requests in a row, across
    /// operations, timed out.
    #[error("{url} stopped answering: {message}")]
    Unresponsive {
        /// The base URL.
        url: String,
        /// How many requests timed out, and after how long.
        message: String,
    },
    /// Reading or writing snapshot files failed.
    #[error("snapshot {path}: {source}")]
    Snapshot {
        /// The file or directory.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
