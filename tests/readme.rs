//! The README's examples are true: every `$ ` line of a ```console block
//! runs, and prints what the README says it prints.
//!
//! `decoy ...` lines run the built binary; `curl ...` lines run against a
//! mock of the embedded Calls API started here with the CLI's defaults (seed
//! 0, any non-empty token), its URL put where the README says
//! `http://127.0.0.1:4010`. Expected lines match exactly; a line ending in
//! `...` matches any line starting with what precedes it; a line that is
//! only `...` skips any number of lines.

use std::process::Command;

use crate::util::{decoy, parts, root};

const README_URL: &str = "http://127.0.0.1:4010";

struct Example {
    command: String,
    expected: Vec<String>,
}

fn examples() -> Vec<Example> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut out: Vec<Example> = Vec::new();
    let mut in_block = false;
    for line in readme.lines() {
        if line.starts_with("```console") {
            in_block = true;
        } else if in_block && line.starts_with("```") {
            in_block = false;
        } else if in_block {
            match line.strip_prefix("$ ") {
                Some(command) => out.push(Example {
                    command: command.to_owned(),
                    expected: Vec::new(),
                }),
                None => out
                    .last_mut()
                    .expect("output before any command")
                    .expected
                    .push(line.to_owned()),
            }
        }
    }
    out
}

fn matches(expected: &[String], got: &str) -> Result<(), String> {
    let got: Vec<&str> = got.lines().collect();
    let mut gi = 0;
    let mut skipping = false;
    for want in expected {
        if want == "..." {
            skipping = true;
            continue;
        }
        let ok = |g: &str| match want.strip_suffix("...") {
            Some(prefix) => g.starts_with(prefix),
            None => g.trim_end() == want.trim_end(),
        };
        let found = if skipping {
            got[gi..].iter().position(|g| ok(g))
        } else {
            got.get(gi).and_then(|g| ok(g).then_some(0))
        };
        match found {
            Some(i) => gi += i + 1,
            None => {
                return Err(format!(
                    "expected\n  {want}\nat line {} of\n{}",
                    gi + 1,
                    got.join("\n")
                ));
            }
        }
        skipping = false;
    }
    Ok(())
}

#[test]
fn readme_examples_are_true() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let spec = decoy_spec::Spec::load(&root().join("specs/calls.openapi.yaml")).unwrap();
    let server = runtime.block_on(decoy_mock::MockServer::start(spec));
    let examples = examples();
    assert!(
        examples
            .iter()
            .filter(|e| e.command.starts_with("decoy "))
            .count()
            >= 2,
        "the README shows decoy commands"
    );
    assert!(
        examples
            .iter()
            .filter(|e| e.command.starts_with("curl "))
            .count()
            >= 3,
        "the README shows curl examples"
    );
    for example in &examples {
        let output = if let Some(args) = example.command.strip_prefix("decoy ") {
            let args: Vec<&str> = args.split_whitespace().collect();
            decoy(&args)
        } else if example.command.starts_with("curl ") {
            let command = example.command.replace(README_URL, &server.uri());
            let out = Command::new("sh").arg("-c").arg(&command).output();
            out.unwrap_or_else(|e| {
                panic!(
                    "cannot run `{command}` ({e}); is curl installed? `bash .ci/test` installs it"
                )
            })
        } else {
            panic!(
                "README example `{}`: only decoy and curl commands are run",
                example.command
            );
        };
        let (code, stdout, stderr) = parts(&output);
        assert_eq!(code, 0, "README: `{}` failed: {stderr}", example.command);
        if let Err(why) = matches(&example.expected, &stdout) {
            panic!("README: `{}`: {why}", example.command);
        }
    }
}
