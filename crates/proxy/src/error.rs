//! The crate's error type: what stops a proxy from starting. What the
//! traffic does wrong is never an error; it is a [`crate::Finding`].

use std::net::SocketAddr;

/// Why a proxy could not start (exit code 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The upstream URL is unusable.
    #[error("invalid upstream `{url}`: {message}")]
    Upstream {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// The `--upstream-ca` file cannot be read or holds no certificate.
    #[error("{path}: {message}")]
    Certificate {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The recording file cannot be opened.
    #[error("{path}: {source}")]
    Record {
        /// The file.
        path: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The in-process mock that answers rejected requests (`--strict`)
    /// cannot start.
    #[error("strict mode: {0}")]
    Strict(#[from] decoy_mock::MockError),
}
