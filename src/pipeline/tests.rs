//! The pipeline as the authoring commands use it: cases, classification.

use super::*;
use crate::rules::{load, load_str, RuleSource, DEFAULT_PACK};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn builtin_pack_passes_its_own_tests() {
    let set = Arc::new(load(&[RuleSource::parse(DEFAULT_PACK)], Duration::from_secs(30)).unwrap());
    assert!(set.tests().len() >= 8);
    for test in set.tests() {
        let o = run_case(&set, test);
        assert!(
            o.passed(),
            "{}: {:?} expected {:?}, got {:?}",
            o.test.origin,
            o.test.text(),
            o.test.expect,
            o.failure
        );
    }
}

/// A rule that does not take continuation lines: its traceback is a record
/// of its own, which another rule may take. Classification says so, as
/// the filter does (it once said one record).
#[test]
fn a_rule_without_multiline_leaves_the_traceback_to_the_next_record() {
    let set = Arc::new(
        load_str(
            "r.toml",
            r#"
[input]
continuation = "python-traceback"

[[rule]]
name = "head"
pattern = '^conn lost'
multiline = false

[[rule]]
name = "tb"
pattern = '^Traceback'
multiline = true
"#,
            Duration::from_secs(30),
        )
        .unwrap(),
    );
    let lines: [&[u8]; 4] = [
        b"conn lost",
        b"Traceback (most recent call last):",
        b"  File \"x.py\", line 1, in <module>",
        b"OSError: gone",
    ];
    let records = classify(&set, &lines);
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0].rule, Some(0));
    assert_eq!(records[0].lines.len(), 1);
    assert_eq!(records[1].rule, Some(1));
    assert_eq!(records[1].lines.len(), 3);
}
