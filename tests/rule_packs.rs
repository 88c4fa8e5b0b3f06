//! Every rule file shipped in `rules/` and `examples/` loads cleanly and
//! passes its own `[[test]]` cases.

use logdedup::rules::{load, RuleSource};
use std::time::Duration;

fn check_dir(dir: &str) -> usize {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for file in &files {
        let set = load(&[RuleSource::Path(file.clone())], Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{}: {e:#}", file.display()));
        let outcomes = set.run_tests();
        assert!(
            !outcomes.is_empty(),
            "{} has no [[test]] cases",
            file.display()
        );
        for o in outcomes {
            assert!(
                o.passed(),
                "{}: {:?}: {}",
                o.test.origin,
                o.test.text(),
                o.failure.as_deref().unwrap_or("")
            );
        }
    }
    files.len()
}

#[test]
fn shipped_rule_packs_pass_their_tests() {
    assert!(check_dir("rules") >= 1);
}

#[test]
fn example_rule_files_pass_their_tests() {
    assert!(check_dir("examples") >= 1);
}

#[test]
fn benchmark_rule_files_pass_their_tests() {
    assert!(check_dir("scripts") >= 1);
}
