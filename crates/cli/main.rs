//! The `decoy` command line: parse flags, load the document, hand over to
//! the library crates, map the outcome to an exit code.
//!
//! Exit codes are part of the contract: 0 all is well, 1 the document or the
//! implementation broke the contract (problems, violations), 2 usage, I/O or
//! a document that cannot be loaded at all.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use decoy_spec::Spec;

mod fake;
mod lint;
mod mock;
mod proxy;
mod routes;
mod test;

/// The Calls API, the document decoy serves when given none: its YAML (for
/// line numbers in messages), and the same document as JSON, converted by the
/// build script, which is what is read.
pub(crate) const EMBEDDED_CALLS: &str = include_str!("../../specs/calls.openapi.yaml");
const EMBEDDED_CALLS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/calls.openapi.json"));
const EMBEDDED_ORIGIN: &str = "calls.openapi.yaml (embedded)";

/// mimalloc (through decoy-alloc): fewer instructions per allocation than
/// the system allocator, and frees from another thread take no arena lock
/// (the mock's responses are often built on one worker and dropped on
/// another).
#[global_allocator]
static ALLOCATOR: decoy_alloc::MiMalloc = decoy_alloc::MiMalloc;

/// Mock, conformance-test and generate fixtures for any OpenAPI 3.x API.
#[derive(Debug, Parser)]
#[command(name = "decoy", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a document: structure, references, schemas, examples.
    ///
    /// Prints each problem with its JSON pointer and line, or a one-line
    /// summary. Exit 0: no errors (warnings allowed); 1: errors; 2: the
    /// document cannot be read or parsed.
    Lint {
        /// The document (YAML or JSON). Default: the embedded Calls API.
        doc: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Serve the document over HTTP: schema-valid, stable per resource,
    /// stateful where the API is, with documented errors.
    Mock(mock::MockArgs),
    /// Write seeded fixtures: schema-valid (or, with --invalid, labelled
    /// invalid) instances of a schema, as JSON or NDJSON.
    Fake(fake::FakeArgs),
    /// Property-test a running implementation against the document:
    /// statuses, content types, headers, bodies, auth, negative cases,
    /// stateful sequences; failures shrunk to a curl line. Exit 1 on
    /// violations, 2 when the target cannot be reached.
    Test(Box<test::TestArgs>),
    /// Forward to a running implementation and check every exchange against
    /// the document: request and response, with the JSON pointer and a curl
    /// line for each violation; record traffic for `decoy mock --replay`.
    /// Exit 1 on violations.
    Proxy(proxy::ProxyArgs),
    /// Print the operation table: method, path, operationId, responses.
    Routes {
        /// The document (YAML or JSON). Default: the embedded Calls API.
        doc: Option<PathBuf>,
        /// Print the behaviour model instead: resources, each operation's
        /// role, guards, lifecycles, rules and links, as decoy inferred them.
        #[arg(long)]
        model: bool,
    },
}

/// How a command prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people (colour on a terminal).
    Text,
    /// One JSON document, for machines.
    Json,
}

/// What a command concluded.
pub(crate) enum Outcome {
    /// The contract holds.
    Ok,
    /// Problems or violations were found (they have been printed).
    Violations,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Violations) => ExitCode::from(1),
        Err(err) => {
            // A closed pipe (`decoy routes | head`) is not a failure.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "decoy: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Lint { doc, format } => lint::run(&load(doc.as_deref())?, format),
        Command::Routes { doc, model } => routes::run(&load(doc.as_deref())?, model),
        Command::Fake(args) => fake::run(args),
        Command::Mock(args) => mock::run(args),
        Command::Test(args) => test::run(*args),
        Command::Proxy(args) => proxy::run(args),
    }
}

/// Loads the named document, or the embedded Calls API.
pub(crate) fn load(doc: Option<&std::path::Path>) -> anyhow::Result<Spec> {
    match doc {
        Some(path) => Ok(Spec::load(path)?),
        None => embedded().context("the embedded Calls API does not load"),
    }
}

/// The embedded Calls API, read from its JSON.
fn embedded() -> anyhow::Result<Spec> {
    let document = serde_json::from_str(EMBEDDED_CALLS_JSON)?;
    Ok(Spec::from_parsed(
        EMBEDDED_CALLS,
        document,
        EMBEDDED_ORIGIN,
    )?)
}

/// Whether to colour stdout: a terminal, and `NO_COLOR` unset.
pub(crate) fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Wraps text in an ANSI colour when `on`.
pub(crate) fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON the build script made is the YAML's document: the same
    /// value, and the same problems once checked and lowered.
    #[test]
    fn the_embedded_json_is_the_embedded_yaml() {
        let from_json = embedded().expect("the embedded JSON loads");
        let from_yaml = Spec::parse(EMBEDDED_CALLS, EMBEDDED_ORIGIN).expect("the YAML loads");
        assert!(from_json.document() == from_yaml.document());
        assert_eq!(
            format!("{:?}", from_json.problems()),
            format!("{:?}", from_yaml.problems())
        );
    }
}
