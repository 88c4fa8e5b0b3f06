//! Every JSON summary these scenarios produce is valid against the
//! published docs/summary.schema.json, and summaries are told apart from
//! passed lines by their `"logdedup": "summary"` field, even when the
//! passed lines are JSON themselves.

use crate::util::schema::{assert_valid_summaries, summary_schema, validate};
use crate::util::{logdedup, RuleDir, SOCKET_LINE};

const KEYED: &str = "[[rule]]\nname = \"dc\"\npattern = 'dc(?P<dc>\\d)'\nkey = \"{dc}\"\nmessage = \"DC {dc} down\"\nwindow = \"1h\"\n";

fn json_run(args: &[&str], input: String, tz: &str) -> String {
    let out = logdedup()
        .env("TZ", tz)
        .args(["--format", "json"])
        .args(args)
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn summaries_of_every_shape_match_the_schema() {
    let dir = RuleDir::new();
    let keyed = dir.file("keyed.toml", KEYED);
    let keyed = keyed.to_str().unwrap();
    let cases = [
        (vec![], SOCKET_LINE.repeat(4), "UTC", 1),
        (vec!["--utc"], SOCKET_LINE.repeat(2), "Europe/Moscow", 1),
        (vec![], SOCKET_LINE.repeat(3), "America/St_Johns", 1),
        (
            vec!["-r", keyed],
            "dc1\ndc2\ndc1\nplain\n".to_owned(),
            "UTC",
            2,
        ),
        (
            vec!["-r", keyed, "--time-format", "%H"],
            "dc4\n".to_owned(),
            "Asia/Kolkata",
            1,
        ),
    ];
    for (args, input, tz, expected) in cases {
        let out = json_run(&args, input, tz);
        assert_eq!(assert_valid_summaries(&out), expected, "{args:?}: {out}");
    }
}

#[test]
fn local_times_carry_their_offset_and_utc_a_z() {
    let out = json_run(&[], SOCKET_LINE.to_owned(), "Asia/Kolkata");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(v["time"].as_str().unwrap().ends_with("+05:30"), "{v}");
    let out = json_run(&["--utc"], SOCKET_LINE.to_owned(), "Asia/Kolkata");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(v["time"].as_str().unwrap().ends_with('Z'), "{v}");
}

#[test]
fn passed_json_lines_are_not_mistaken_for_summaries() {
    let passed = "{\"time\":\"2025-01-01T00:00:00Z\",\"msg\":\"app line\"}\n";
    let out = json_run(&[], format!("{passed}{SOCKET_LINE}"), "UTC");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], passed.trim_end());
    let summaries = lines
        .iter()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["logdedup"] == "summary")
        })
        .count();
    assert_eq!(summaries, 1);
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    let schema = summary_schema();
    let good: serde_json::Value = serde_json::from_str(
        r#"{"logdedup":"summary","time":"2025-11-20T16:32:54.101+03:00","level":"DEBUG","rule":"r","key":null,"message":"m","note":null,"count":2,"first":"2025-11-20T16:32:24.000+03:00","last":"2025-11-20T16:32:50.000+03:00","window":30.0}"#,
    )
    .unwrap();
    assert_eq!(validate(&schema, &good, ""), Ok(()));
    for (field, bad) in [
        ("count", serde_json::json!("2")),
        ("count", serde_json::json!(0)),
        ("time", serde_json::json!("2025-11-20 16:32:54")),
        ("logdedup", serde_json::json!("line")),
        ("extra", serde_json::json!(1)),
    ] {
        let mut v = good.clone();
        v[field] = bad;
        assert!(validate(&schema, &v, "").is_err(), "{field}");
    }
    let mut v = good.clone();
    v.as_object_mut().unwrap().remove("rule");
    assert!(validate(&schema, &v, "").is_err());
}
