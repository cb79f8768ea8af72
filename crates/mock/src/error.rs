//! The crate's error type.

use std::net::SocketAddr;

/// Why a mock server could not start or keep serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// The address could not be bound (taken, or not ours to bind).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Another I/O failure of the listener.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
    /// An `x-decoy-*` extension of the document cannot be understood.
    #[error("{pointer}: {message}")]
    Extension {
        /// Where in the document.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// The state store URL (`--state`) cannot be used.
    #[error("{0}")]
    State(String),
}
