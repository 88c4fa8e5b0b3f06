//! README examples must not rot: every ```console block in README.md is
//! run, each `$ COMMAND` through `sh -c` in the repository root with the
//! built `logdedup` first on PATH, and its output compared with the lines
//! README shows under it. Timestamps printed from the wall clock are the
//! only thing masked (they differ from run to run).

use std::path::Path;
use std::process::Command;

/// One `$ command` and the output README shows for it.
struct Example {
    line: usize,
    command: String,
    output: Vec<String>,
}

fn examples(readme: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut in_block = false;
    for (i, line) in readme.lines().enumerate() {
        if line.trim_start().starts_with("```console") {
            in_block = true;
            continue;
        }
        if in_block && line.trim_start().starts_with("```") {
            in_block = false;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            examples.push(Example {
                line: i + 1,
                command: command.to_owned(),
                output: Vec::new(),
            });
        } else if let Some(example) = examples.last_mut() {
            example.output.push(line.to_owned());
        }
    }
    examples
}

/// Masks `YYYY-MM-DD HH:MM:SS`: summaries on the wall clock carry the
/// time of the run.
fn mask(text: &str) -> String {
    let re = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\b").unwrap();
    re.replace_all(text, "<time>").into_owned()
}

#[test]
fn every_console_example_in_readme_prints_what_readme_shows() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let examples = examples(&readme);
    assert!(examples.len() >= 10, "README lost its examples");
    let bin = crate::util::bin();
    let dir = bin.parent().unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = Vec::new();
    for example in &examples {
        // The first command of README builds with cargo; here the binary
        // under test stands in for it.
        let command = example
            .command
            .replace("cargo run -q --release --", "logdedup");
        let out = Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
            .env("PATH", &path)
            .env("TZ", "UTC")
            .env_remove("LOGDEDUP_RULES")
            .output()
            .unwrap();
        let got = mask(&String::from_utf8_lossy(&out.stdout));
        let want = mask(
            &example
                .output
                .iter()
                .map(|l| format!("{l}\n"))
                .collect::<String>(),
        );
        if got != want {
            failures.push(format!(
                "README.md:{}: $ {}\n--- README shows:\n{want}--- it prints:\n{got}{}",
                example.line,
                example.command,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
