//! decoy's one integration test binary (one link step instead of many).
//! Each module is one area; shared helpers live in `util`.

// The `decoy` binary: lint, routes, exit codes, messages, the README's examples.
mod cli;
// `decoy fake`: seeded fixtures, formats, atomic output, snapshots.
mod fake;
// Every real-world document in ../shared/specs-wild loads, compiles, checks its examples.
mod wild;
// Test helpers: paths, running the binary, insta settings.
mod util;
