//! The suite's own shape, checked because many hands add to it: one test
//! binary (a test file directly in `tests/` is another link of the whole
//! crate), every file here declared as a module in `main.rs` (an undeclared
//! one is never compiled: its tests would silently never run), and in
//! `regression.rs` one id per test, named `rNN_...` after the bug it pins,
//! with a `// NN. ` comment saying what broke. And the harness never reads
//! a missing output file as empty.

use crate::util::written;
use std::collections::BTreeMap;
use std::path::Path;

/// The names in `dir` that end in `suffix`, sorted.
fn names_ending(dir: &Path, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(suffix))
        .collect();
    names.sort();
    names
}

#[test]
fn every_test_file_is_a_module_of_the_one_binary() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let stray = names_ending(&tests, ".rs");
    assert!(
        stray.is_empty(),
        "{stray:?} in tests/: move them to tests/integration/ and declare them in its main.rs"
    );
    let here = tests.join("integration");
    let main = std::fs::read_to_string(here.join("main.rs")).expect("main.rs");
    let declared: Vec<&str> = main
        .lines()
        .filter_map(|l| l.strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    let mut files = names_ending(&here, ".rs");
    files.retain(|f| f != "main.rs");
    let undeclared: Vec<&String> = files
        .iter()
        .filter(|f| !declared.contains(&f.trim_end_matches(".rs")))
        .collect();
    assert!(
        undeclared.is_empty(),
        "{undeclared:?} in tests/integration/ are not declared in main.rs: their tests never run"
    );
    assert!(declared.len() >= 20, "{declared:?}");
}

#[test]
fn regression_tests_have_one_id_each_and_say_what_broke() {
    let text = include_str!("regression.rs");
    let lines: Vec<&str> = text.lines().collect();
    let mut ids: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (at, _) in lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "#[test]")
    {
        let name = lines[at + 1..]
            .iter()
            .find_map(|l| l.trim_start().strip_prefix("fn "))
            .and_then(|l| l.split('(').next())
            .unwrap_or("?");
        let id = name
            .strip_prefix('r')
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(digits, _)| digits.parse::<u32>().ok());
        let Some(id) = id else {
            problems.push(format!("{name}: not named rNN_what_it_pins"));
            continue;
        };
        ids.entry(id).or_default().push(name);
        // The comment right above the test (or its attributes) starts with
        // the same id.
        let comment = lines[..at]
            .iter()
            .rev()
            .map(|l| l.trim_start())
            .skip_while(|l| l.starts_with("#["))
            .take_while(|l| l.starts_with("//"))
            .last();
        if comment.is_none_or(|c| !c.starts_with(&format!("// {id}. "))) {
            problems.push(format!("{name}: no `// {id}. what broke` comment above it"));
        }
    }
    for (id, names) in &ids {
        if names.len() > 1 {
            problems.push(format!("id {id} used by {names:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Not a vacuous pass: the tests were found.
    assert!(ids.len() >= 25, "{} regression tests", ids.len());
}

#[test]
#[should_panic(expected = "logdedup should have written this file")]
fn a_missing_output_file_fails_the_test() {
    let dir = tempfile::tempdir().expect("temp dir");
    written(&dir.path().join("never-written.log"));
}
