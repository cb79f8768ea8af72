//! A standalone mock server until `decoy mock` lands in the CLI:
//! `cargo run --release -p decoy-mock --example serve -- DOC [PORT] [SEED]`.
//! The load benchmark (`bench/mock-load.sh`) runs it.

use decoy_mock::{Config, serve, shutdown_signal};
use decoy_spec::Spec;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let doc = args.next().ok_or("usage: serve DOC [PORT] [SEED]")?;
    let mut config = Config::default();
    if let Some(port) = args.next() {
        config.port = port.parse()?;
    }
    if let Some(seed) = args.next() {
        config.seed = seed.parse()?;
    }
    let spec = Spec::load(doc.as_ref())?;
    serve(config, spec, shutdown_signal()).await?;
    Ok(())
}
