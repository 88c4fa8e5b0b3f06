//! `explain` and the filter decide through one pipeline, so they cannot
//! disagree: on random streams and rule sets (framing, `multiline`,
//! `exception`, keys), the records `explain` lists per rule are the
//! records the filter's `--stats` counts per rule, and `explain --summary`
//! prints the same numbers.

use proptest::prelude::*;
use std::collections::BTreeMap;

use crate::util::{logdedup, RuleDir};

const WORDS: &[&str] = &[
    "noise",
    "lost dc1",
    "lost dc2",
    "plain",
    "socket.send() raised exception.",
    "Traceback (most recent call last):",
    "  File \"x.py\", line 1, in f",
    "OSError: lost",
    "ValueError: bad",
    "bot-1  | ",
    "ok",
];

fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..3).prop_map(|w| w.concat())
}

/// A rule set with framing, a keyed rule, a held one and `multiline`.
fn rules(multiline: bool, keyed: bool) -> String {
    let key = if keyed { "key = \"{dc}\"\n" } else { "" };
    format!(
        "[input]\ncontinuation = \"python-traceback\"\n\
         [[rule]]\nname = \"dc\"\npattern = 'lost (?P<dc>dc\\d)'\n{key}\
         [[rule]]\nname = \"noise\"\npattern = 'noise'\nmultiline = {multiline}\n\
         [[rule]]\nname = \"held\"\npattern = 'plain'\nexception = '^OSError'\n\
         [[rule]]\nname = \"tb\"\npattern = '^Traceback'\nmultiline = true\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn explain_counts_equal_the_filters_stats(
        lines in prop::collection::vec(line(), 1..60),
        multiline in any::<bool>(),
        keyed in any::<bool>(),
    ) {
        let dir = RuleDir::new();
        let file = dir.file("r.toml", &rules(multiline, keyed));
        let file = file.to_str().unwrap();
        let input = lines.join("\n") + "\n";

        let stats = logdedup()
            .args(["--no-default-rules", "-r", file, "--stats", "--format", "json", "-w", "1h"])
            .write_stdin(input.clone())
            .output()
            .unwrap();
        prop_assert!(stats.status.success());
        let json: serde_json::Value =
            serde_json::from_slice(stats.stderr.trim_ascii()).expect("JSON stats");
        let mut filter: BTreeMap<String, u64> = BTreeMap::new();
        for rule in json["rules"].as_array().unwrap() {
            let matched = rule["matched"].as_u64().unwrap();
            if matched > 0 {
                filter.insert(rule["name"].as_str().unwrap().to_owned(), matched);
            }
        }
        let records_in = json["records"]["in"].as_u64().unwrap();
        let passes = records_in - filter.values().sum::<u64>();

        // explain, record by record: the first word of each record's line.
        let explain = logdedup()
            .args(["explain", "--no-default-rules", "-r", file])
            .write_stdin(input.clone())
            .output()
            .unwrap();
        prop_assert!(explain.status.success());
        let mut listed: BTreeMap<String, u64> = BTreeMap::new();
        let mut listed_passes = 0;
        for record in String::from_utf8_lossy(&explain.stdout).lines() {
            match record.split_whitespace().next() {
                Some("passes") => listed_passes += 1,
                Some(rule) => *listed.entry(rule.to_owned()).or_default() += 1,
                None => {}
            }
        }
        prop_assert_eq!(&listed, &filter, "explain per record vs --stats\n{}", input);
        prop_assert_eq!(listed_passes, passes);

        // explain --summary: the same table.
        let summary = logdedup()
            .args(["explain", "--summary", "--no-default-rules", "-r", file])
            .write_stdin(input)
            .output()
            .unwrap();
        let mut table: BTreeMap<String, u64> = BTreeMap::new();
        for row in String::from_utf8_lossy(&summary.stdout).lines().skip(1) {
            let mut cols = row.split_whitespace();
            if let (Some(name), Some(n)) = (cols.next(), cols.next()) {
                table.insert(name.to_owned(), n.parse().unwrap());
            }
        }
        let mut expected = filter.clone();
        expected.insert("passes".into(), passes);
        prop_assert_eq!(table, expected);
    }
}
