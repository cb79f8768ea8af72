//! The hostile targets of `tests/targets.rs` as a standalone server, for
//! `bench/hostile.sh`: `cargo run --release -p decoy-conform --example
//! hostile -- MODE` prints its URL and serves until interrupted. MODE is a
//! `Hostile` variant name (`Silent`, `Huge`, `Late`, `Reset`, ...).

#[path = "../../../tests/targets.rs"]
mod targets;

#[tokio::main]
async fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(mode) = targets::Hostile::ALL
        .iter()
        .copied()
        .find(|m| format!("{m:?}") == name)
    else {
        let names: Vec<String> = targets::Hostile::ALL
            .iter()
            .map(|m| format!("{m:?}"))
            .collect();
        eprintln!("unknown mode `{name}`; known: {}", names.join(", "));
        std::process::exit(2);
    };
    let target = targets::Target::start(mode).await;
    println!("{}", target.uri());
    let _ = tokio::signal::ctrl_c().await;
}
