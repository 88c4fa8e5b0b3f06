//! Documented examples must not rot: every ```console block in README.md
//! and docs/*.md is run, each `$ COMMAND` through `sh -c` in the repository root with the
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

/// README.md and every docs/*.md, with their paths.
fn documents() -> Vec<(String, String)> {
    let mut paths = vec!["README.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir("docs")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| p.display().to_string())
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

#[test]
fn every_console_example_in_the_docs_prints_what_they_show() {
    let documents = documents();
    let readme = examples(&documents[0].1);
    assert!(!readme.is_empty(), "README lost its first example");
    let examples: Vec<(String, Example)> = documents
        .iter()
        .flat_map(|(path, text)| examples(text).into_iter().map(move |e| (path.clone(), e)))
        .collect();
    assert!(examples.len() >= 10, "the docs lost their examples");
    let bin = crate::util::bin();
    let dir = bin.parent().unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = Vec::new();
    for (file, example) in &examples {
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
                "{file}:{}: $ {}\n--- it shows:\n{want}--- it prints:\n{got}{}",
                example.line,
                example.command,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The ```toml blocks of README.md, each a whole rule file.
fn toml_blocks(readme: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in readme.lines().enumerate() {
        match &mut current {
            None if line.trim_start().starts_with("```toml") => {
                current = Some((i + 1, String::new()));
            }
            None => {}
            Some(_) if line.trim_start().starts_with("```") => blocks.extend(current.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    blocks
}

/// Every rule file README shows in a ```toml block loads without a word
/// from `check`, and `logdedup test` passes every case in it; one of them
/// is the window case that shows `expect` as a list of lines.
#[test]
fn every_toml_block_in_the_docs_passes_check_and_test() {
    let mut blocks = Vec::new();
    for (path, text) in documents() {
        let name = path.replace(['/', '.'], "-");
        blocks.extend(
            toml_blocks(&text)
                .into_iter()
                .map(|(line, block)| (format!("{name}-{line}"), block)),
        );
    }
    assert!(
        blocks.iter().any(|(_, text)| text.contains("expect = [")),
        "the docs lost their window case"
    );
    let dir = crate::util::RuleDir::new();
    for (line, text) in blocks {
        let file = dir.file(&format!("{line}.toml"), &text);
        crate::util::logdedup()
            .arg("check")
            .arg(&file)
            .assert()
            .success()
            .stderr("");
        let cases = text.matches("[[test]]").count();
        crate::util::logdedup()
            .arg("test")
            .arg(&file)
            .assert()
            .success()
            .stdout(predicates::str::ends_with(format!(
                "{cases} passed, 0 failed\n"
            )));
    }
}

/// logdedup is not on PyPI yet: README's Dockerfile, which installs it
/// with pip, says so at the line that would fail, and where the build
/// stage is.
#[test]
fn the_dockerfile_says_where_logdedup_comes_from_until_it_is_published() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    let install = lines
        .iter()
        .position(|l| l.contains("RUN pip install") && l.contains("logdedup"))
        .expect("README's Dockerfile installs logdedup with pip");
    let above = lines[install.saturating_sub(3)..install].join("\n");
    assert!(above.contains("Not on PyPI yet"), "{above}");
    assert!(above.contains("docs/recipes.md"), "{above}");
}
