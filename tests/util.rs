//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The real-world documents shared between projects: `../shared/specs-wild`
/// next to the repository, or the folder `DECOY_SPECS_WILD` names. Tests
/// that need them fail, naming the folder, when it is missing: they never
/// pass by checking nothing.
pub(crate) fn wild_dir() -> PathBuf {
    let dir = std::env::var_os("DECOY_SPECS_WILD")
        .map_or_else(|| root().join("../shared/specs-wild"), PathBuf::from);
    assert!(
        dir.is_dir(),
        "{} is missing: the real-world documents these tests run on live there \
         (check out the shared folder next to the repository, or set DECOY_SPECS_WILD)",
        dir.display()
    );
    dir
}

/// Runs the built `decoy` binary with `args` in the workspace root.
pub(crate) fn decoy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_decoy"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the decoy binary runs")
}

/// Exit code, stdout and stderr of a run, for assertions with context.
pub(crate) fn parts(out: &Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A scratch file unique to this test process, removed on drop.
pub(crate) struct Scratch(pub PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str, contents: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("decoy-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        Scratch(path)
    }

    pub(crate) fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `f` with insta writing under the top-level `snapshots/`.
pub(crate) fn snapshots<R>(f: impl FnOnce() -> R) -> R {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(f)
}
