//! Every rule file shipped in `rules/`, `examples/` and `scripts/` passes
//! `logdedup check` and its own `[[test]]` cases through `logdedup test`,
//! exactly as a rule author would run them.

use crate::util::logdedup;

/// Runs `logdedup test PATH` and returns how many cases passed.
fn test_passes(path: &str) -> usize {
    let out = logdedup().args(["test", path]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "logdedup test {path} failed:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = text.lines().last().unwrap_or("");
    let (passed, failed) = last
        .strip_suffix(" failed")
        .and_then(|l| l.split_once(" passed, "))
        .unwrap_or_else(|| panic!("no 'N passed, N failed' line: {last:?}"));
    assert_eq!(failed, "0", "{text}");
    passed.parse().unwrap()
}

fn check_passes(path: &str) {
    let out = logdedup().args(["check", path]).output().unwrap();
    assert!(
        out.status.success(),
        "logdedup check {path} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn shipped_rule_packs_pass_their_tests() {
    let mut packs = 0;
    for entry in std::fs::read_dir("rules").unwrap() {
        let path = entry.unwrap().path();
        let path = path.to_str().unwrap();
        check_passes(path);
        assert!(test_passes(path) >= 8, "{path}: too few cases");
        packs += 1;
    }
    assert!(packs > 0, "no rule packs in rules/");
}

#[test]
fn builtin_packs_pass_their_tests_together() {
    assert!(test_passes("builtin:all") >= 100);
}

#[test]
fn example_rule_files_pass_their_tests() {
    for file in ["examples/my-bot.toml", "scripts/bench-rules.toml"] {
        check_passes(file);
        assert!(test_passes(file) >= 1);
    }
}
