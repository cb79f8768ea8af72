//! The faulty Calls implementation of `tests/faulty.rs` as a standalone
//! server, for `bench/conform-vs-schemathesis.sh`:
//! `cargo run --release -p decoy-conform --example faulty -- [BUG]` prints
//! its URL and serves until interrupted (SIGINT). BUG is a `Bug` variant name
//! (`StateMachine`) or `none`.

#[path = "../../../tests/faulty.rs"]
#[allow(dead_code)]
mod faulty;

#[tokio::main]
async fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "none".into());
    let bug = faulty::Bug::ALL
        .iter()
        .copied()
        .find(|b| format!("{b:?}") == name);
    if bug.is_none() && name != "none" {
        let names: Vec<String> = faulty::Bug::ALL.iter().map(|b| format!("{b:?}")).collect();
        eprintln!("unknown bug `{name}`; known: none, {}", names.join(", "));
        return;
    }
    let server = faulty::Faulty::start(bug).await;
    println!("{}", server.uri());
    let _ = tokio::signal::ctrl_c().await;
}
