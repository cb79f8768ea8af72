//! decoy's one integration test binary (one link step instead of many).
//! Each module is one area; shared helpers live in `util`.

// The `decoy` binary: lint, routes, exit codes, messages, the README's examples.
mod cli;
// `decoy fake`: seeded fixtures, formats, atomic output, snapshots.
mod fake;
// Every real-world document in ../shared/specs-wild loads, compiles, checks its examples.
mod wild;
// decoy-synth over every schema of every document: validity, labelled invalid values, coherence.
mod synth;
// decoy mock on documents it has never seen: every wild operation with valid requests; issue 16's shapes.
mod unseen;
// decoy-mock over real sockets: every operation, errors, state, Prefer, CORS, hostile input.
mod mock;
// Hostile clients against decoy mock: slow-loris, huge bodies and heads, floods, resets.
mod hostile;
// A headless Chromium page on one origin calling decoy mock on another (CORS, bearer token).
mod browser;
// decoy test (decoy-conform) against the faulty Calls implementation and against decoy mock.
mod conform;
// A Calls implementation with switchable bugs, one per class a contract tester must catch.
mod faulty;
// The README's console examples run and print what it says.
mod readme;
// Hardening: broken documents (specs/broken/) and hostile targets for decoy test.
mod hardening;
// Stateful CRUD for any document: create, read, update, list, delete over sockets.
mod crud;
// The behaviour model: printed, inferred roles, mock and runner agreeing on lifecycles.
mod model;
// decoy proxy in front of decoy mock, the faulty build, https and hostile upstreams; replay.
mod proxy;
// Hostile targets (raw TCP) for decoy test: reset, silent, late, endless, huge, not JSON.
mod targets;
// decoy test against correct but quirky servers: no false findings, hints, auth, filters.
mod quirky;
// Replicas on one Redis (a real redis-server per test), namespaces per test worker.
mod redis;
// decoy test's model-driven sequences against decoy mock: 2xx reached, state oracles.
mod stateful;
// A Library implementation with switchable state bugs (created not readable, update lost...).
mod faulty_library;
// Test helpers: paths, running the binary, insta settings.
mod util;
