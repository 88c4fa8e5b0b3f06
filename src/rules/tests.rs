//! Loading and validation of rule files.

use super::key::KeyTemplate;
use super::matcher::Found;
use super::validate::literal_chars;
use super::*;
use std::time::Duration;

/// The first rule whose patterns match `line` (the matcher alone).
fn rule_for(set: &RuleSet, line: &[u8]) -> Option<String> {
    let mut scratch = set.scratch();
    match set.match_line(line, None, &mut scratch)? {
        Found::Rule(id, _) | Found::Deferred(id) => Some(set.rules()[id].name.clone()),
    }
}

fn err(text: &str) -> String {
    match load_str("r.toml", text, Duration::from_secs(30)) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn rules_env_list_keeps_builtin_colons() {
    assert_eq!(
        RuleSource::parse_list(std::ffi::OsStr::new("a.toml::builtin:pyrogram:/etc/x")),
        vec![
            RuleSource::EnvPath("a.toml".into()),
            RuleSource::Builtin("pyrogram".into()),
            RuleSource::EnvPath("/etc/x".into()),
        ]
    );
}

#[test]
fn unknown_key_names_file_position_and_rule() {
    let e = err("[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[rule]]\nname = \"b\"\npatern = 'y'\n");
    assert!(
        e.starts_with("r.toml:7:1: rule \"b\": unknown field `patern`"),
        "{e}"
    );
}

#[test]
fn unescaped_parentheses_are_a_valid_but_different_pattern() {
    // Not an error, but the built-in pack must not fall into it:
    // `socket.send()` is "socket" any-char "send" and an empty group.
    let set = load_str(
        "r.toml",
        "[[rule]]\nname = \"a\"\npattern = 'socket.send() raised'\n",
        Duration::from_secs(1),
    )
    .unwrap();
    assert_eq!(rule_for(&set, b"socket.send() raised"), None);
}

#[test]
fn every_validation_error_is_reported_in_place() {
    for (text, want) in VALIDATION_ERRORS {
        let got = err(text);
        assert!(
            got.contains(want),
            "for:\n{text}\nwant: {want}\ngot:  {got}"
        );
    }
}

/// A rule file and the start of the error it must give.
const VALIDATION_ERRORS: &[(&str, &str)] = &[
        (
            "[[rule]]\nname = \"a\"\n",
            "r.toml:2:8: rule \"a\": missing `pattern`",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = ''\n",
            "r.toml:3:11: rule \"a\": pattern is empty",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = '(x'\n",
            "r.toml:3:11: rule \"a\": invalid pattern '(x': unclosed group",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = '.*'\n",
            "r.toml:3:11: rule \"a\": pattern '.*' matches every line",
        ),
        (
            "[[rule]]\nname = \"a\"\npatterns = []\n",
            "r.toml:3:12: rule \"a\": `patterns` is empty",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\npatterns = ['y']\n",
            "r.toml:4:12: rule \"a\": set either",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\nwindow = \"30\"\n",
            "r.toml:4:10: rule \"a\": window: invalid duration",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\nkey = \"{dc}\"\n",
            "r.toml:4:7: rule \"a\": key names capture group {dc}",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = '(x)'\nkey = \"{2}\"\n",
            "r.toml:4:7: rule \"a\": key names capture group {2}",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\n[[rule]]\nname = \"a\"\npattern = 'y'\n",
            "r.toml:5:8: rule \"a\": duplicate rule name (first defined at r.toml:1)",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\npass_first = -1\n",
            "r.toml:4:14: rule \"a\": invalid value",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\nmax_keys = 0\n",
            "r.toml:4:12: rule \"a\": max_keys must be at least 1",
        ),
        ("[[rule]]\nname = \"a\"\npattern = 'x\n", "r.toml:3:"),
        (
            "[defaults]\nwindw = \"1s\"\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
            "r.toml:2:1: unknown field `windw`",
        ),
        (
            "[defaults]\nwindow = \"soon\"\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
            "r.toml:2:10: [defaults] window: invalid duration",
        ),
        (
            "[defaults]\nlevel = \"INFO\"\n",
            "r.toml: defines no [[rule]]",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\n[[test]]\nline = \"x\"\nrule = \"b\"\n",
            "r.toml:6:8: [[test]] expects rule \"b\"",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\nrecord_start = 'x'\ncontinuation = 'y'\n",
            "r.toml:6:16: [input] sets both",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\ncontinuation = '(x'\n",
            "r.toml:5:16: [input] continuation: invalid pattern '(x'",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\ntimestamp = \"python3\"\n",
            "r.toml:5:13: [input] timestamp: unknown preset \"python3\"",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\ntimestamp = { pattern = '^(\\S+)' }\n",
            "r.toml:5:13: [input] timestamp needs both",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\ntimestamp = { pattern = '^(\\S+)', format = \"%Q\" }\n",
            "has an unknown or incomplete % specifier",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\nnote = \"\"\"two\nlines\"\"\"\n",
            "r.toml:4:8: rule \"a\": note must be one line",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\nrecord_begin = 'x'\n",
            "r.toml:5:1: unknown field `record_begin`",
        ),
];

#[test]
fn window_falls_back_from_rule_to_defaults_to_command_line() {
    let text = "[defaults]\nwindow = \"5s\"\n[[rule]]\nname = \"a\"\npattern = 'x'\n[[rule]]\nname = \"b\"\npattern = 'y'\nwindow = \"1m\"\n";
    let set = load_str("r.toml", text, Duration::from_secs(30)).unwrap();
    assert_eq!(set.rules()[0].window, Duration::from_secs(5));
    assert_eq!(set.rules()[1].window, Duration::from_secs(60));
    let set = load_str(
        "r.toml",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n",
        Duration::from_secs(7),
    )
    .unwrap();
    assert_eq!(set.rules()[0].window, Duration::from_secs(7));
    assert_eq!(set.rules()[0].level, "INFO");
    assert_eq!(set.rules()[0].message, "a");
}

#[test]
fn ignore_case_works_with_verbose_patterns() {
    // A `#` comment in (?x) mode must not swallow the case-folding wrapper.
    let set = load_str(
        "r.toml",
        "[[rule]]\nname = \"a\"\npattern = '(?x)lost # the word'\nignore_case = true\n",
        Duration::from_secs(1),
    )
    .unwrap();
    assert_eq!(rule_for(&set, b"LOST").as_deref(), Some("a"));
}

#[test]
fn ignore_case_applies_to_the_combined_matcher_too() {
    let set = load_str(
        "r.toml",
        "[[rule]]\nname = \"a\"\npattern = 'Lost'\nignore_case = true\n",
        Duration::from_secs(1),
    )
    .unwrap();
    assert_eq!(rule_for(&set, b"CONNECTION LOST").as_deref(), Some("a"));
}

#[test]
fn key_template_parsing() {
    assert!(KeyTemplate::parse("{a}-{{lit}}").is_ok());
    assert!(KeyTemplate::parse("plain").is_err());
    assert!(KeyTemplate::parse("{a").is_err());
    assert!(KeyTemplate::parse("a}").is_err());
    assert!(KeyTemplate::parse("{}").is_err());
}

// `$LOGDEDUP_RULES` was read as UTF-8 text: a list holding a path that
// is not UTF-8 was dropped whole, and only the default packs loaded.
#[test]
fn rules_env_list_keeps_paths_that_are_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let list = std::ffi::OsStr::from_bytes(b"/etc/r\xe9gles:builtin:ptb");
    assert_eq!(
        RuleSource::parse_list(list),
        vec![
            RuleSource::EnvPath(std::ffi::OsStr::from_bytes(b"/etc/r\xe9gles").into()),
            RuleSource::Builtin("ptb".into()),
        ]
    );
}

/// The one-line error of loading `-e TEXT` alone.
fn inline_err(text: &str) -> String {
    match load(&[RuleSource::inline(text, 1)], Duration::from_secs(30)) {
        Ok(_) => panic!("expected an error for -e {text:?}"),
        Err(e) => format!("{e:#}"),
    }
}

// An error in an `-e` pattern was placed at a line:column of the TOML
// generated for it, which the user never wrote.
#[test]
fn inline_rule_errors_point_into_the_pattern_not_generated_toml() {
    assert_eq!(
        inline_err("(x"),
        "-e e1: invalid pattern '(x': unclosed group"
    );
    assert_eq!(
        inline_err("^.+$"),
        "-e e1: pattern '^.+$' matches every non-empty line"
    );
}

// An `-e` rule's summary said `e1 (occurred 31 times)`: its generated
// name. It says the pattern now, braces and all.
#[test]
fn inline_rule_without_a_name_summarizes_as_its_pattern() {
    let set = load(
        &[
            RuleSource::inline("Server closed", 1),
            RuleSource::inline("x{2}y", 2),
            RuleSource::inline("sock=socket gone", 3),
        ],
        Duration::from_secs(30),
    )
    .unwrap();
    let messages: Vec<&str> = set.rules().iter().map(|r| r.message.as_str()).collect();
    assert_eq!(messages, ["'Server closed'", "'x{{2}}y'", "sock"]);
    let long = "a".repeat(200);
    let set = load(&[RuleSource::inline(&long, 1)], Duration::from_secs(1)).unwrap();
    assert!(
        set.rules()[0].message.ends_with("a…'"),
        "{}",
        set.rules()[0].message
    );
    assert!(set.rules()[0].message.chars().count() < 90);
}

// `-e '^.+$'`, `^.+` and `^.` were accepted and suppressed the whole
// stream (a probe line starting with a byte that is not UTF-8 spared
// them); `\w` and `.{3}` match nearly every line too.
#[test]
fn patterns_that_match_nearly_every_line_are_refused() {
    for pattern in [
        "^.+$", "^.+", "^.", ".", "(?s).", "\\S", "\\w", ".{3}", "[^\\n]+",
    ] {
        let e = err(&format!("[[rule]]\nname = \"a\"\npattern = '{pattern}'\n"));
        assert!(
            e.contains("matches every") || e.contains("matches nearly every"),
            "{pattern}: {e}"
        );
    }
    // Broad but not everything: left to `check`'s warnings, or fine.
    for pattern in [
        "e",
        "[a-z]",
        "^\\S",
        "^\\s",
        "^\\d{4}-",
        "socket\\.send",
        "^$",
    ] {
        load_str(
            "r.toml",
            &format!("[[rule]]\nname = \"a\"\npattern = '{pattern}'\n"),
            Duration::from_secs(1),
        )
        .unwrap_or_else(|e| panic!("{pattern}: {e:#}"));
    }
}

#[test]
fn literal_characters_are_counted_as_every_match_needs_them() {
    for (pattern, want) in [
        ("e", 1),
        ("socket\\.send", 11),
        ("\\w+", 0),
        ("(?i)abc", 3),
        ("ab|c", 1),
        ("(ab){3}", 6),
        ("a?bc", 2),
        ("^\\s+File \"", 6),
    ] {
        assert_eq!(literal_chars(pattern, false), Some(want), "{pattern}");
    }
}

// A window case at an absurd time printed a raw number where `{time}`
// should be; it is refused at the time's place in the file.
#[test]
fn window_case_times_past_what_can_be_printed_are_refused_in_place() {
    let e = err(
        "[[rule]]\nname = \"n\"\npattern = 'noise'\n[[test]]\nlines = [\"noise\", \"noise\"]\nat = [\"0s\", \"300000y\"]\nexpect = []\n",
    );
    assert!(
        e.starts_with("r.toml:6:13: [[test]] at: ") && e.contains("cannot be printed"),
        "{e}"
    );
}

/// A `$LOGDEDUP_RULES` path that is missing, or a directory not filled
/// yet, is skipped with a warning; the same path after `-r` is an error.
#[test]
fn rules_env_paths_missing_or_empty_are_skipped_not_fatal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let window = Duration::from_secs(30);
    for path in [&missing, &empty] {
        let env = RuleSource::EnvPath(path.clone());
        let warning = env.skipped().expect("a warning");
        assert!(
            warning.starts_with(&format!("$LOGDEDUP_RULES names {}, ", path.display())),
            "{warning}"
        );
        let set = load(&[env, RuleSource::Defaults], window).expect("defaults load");
        assert!(set.sources().iter().all(|s| s.starts_with("builtin:")));
        let typed = RuleSource::Path(path.clone());
        assert_eq!(typed.skipped(), None);
        assert!(load(&[typed, RuleSource::Defaults], window).is_err());
    }
    std::fs::write(
        empty.join("a.toml"),
        "[[rule]]\nname = \"a\"\npattern = 'abc'\n",
    )
    .expect("write");
    let filled = RuleSource::EnvPath(empty.clone());
    assert_eq!(filled.skipped(), None);
    let set = load(&[filled], window).expect("loads");
    assert_eq!(set.rules().len(), 1);
}

/// A built-in pack's patterns are compiled when a line first reaches them
/// (see `Pattern::deferred`), so each pack is also loaded as a user file
/// would be, compiling and checking every pattern now: one that did not
/// compile would otherwise match nothing, silently.
#[test]
fn every_builtin_pattern_compiles_when_loaded_as_a_user_file() {
    for pack in super::BUILTIN_PACKS {
        let set = load_str(pack.name, pack.text, Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("builtin:{}: {e:#}", pack.name));
        let deferred = load(
            &[RuleSource::parse(&format!("builtin:{}", pack.name))],
            Duration::from_secs(30),
        )
        .expect("loads as a built-in pack");
        let texts = |s: &super::RuleSet| -> Vec<String> {
            s.rules()
                .iter()
                .flat_map(|r| r.patterns.iter().chain(&r.exception))
                .map(|p| p.as_str().to_owned())
                .collect()
        };
        assert_eq!(texts(&set), texts(&deferred), "builtin:{}", pack.name);
    }
}

/// The filter reads each built-in pack only up to its `[[test]]` cases;
/// every pack keeps its cases at the end, so what is cut is cases alone,
/// and the rules loaded are the same.
#[test]
fn the_filter_leaves_the_packs_cases_unread_and_loads_the_same_rules() {
    for pack in super::BUILTIN_PACKS {
        let head = super::source::without_cases(pack.text);
        assert!(
            head.len() < pack.text.len(),
            "builtin:{}: its cases are not all at the end",
            pack.name
        );
        let source = [RuleSource::parse(&format!("builtin:{}", pack.name))];
        let whole = load(&source, Duration::from_secs(30)).expect("loads");
        let options = LoadOptions {
            cases: false,
            ..LoadOptions::window(Duration::from_secs(30))
        };
        let cut = load_with(&source, options).expect("loads without cases");
        let names =
            |s: &RuleSet| -> Vec<String> { s.rules().iter().map(|r| r.name.clone()).collect() };
        assert_eq!(names(&whole), names(&cut), "builtin:{}", pack.name);
        assert!(cut.tests().is_empty() && !whole.tests().is_empty());
    }
    assert_eq!(
        super::source::without_cases("[[test]]\nline = 'a'\n[[rule]]\nname = 'b'\n"),
        "[[test]]\nline = 'a'\n[[rule]]\nname = 'b'\n",
        "a rule after a case: nothing is cut"
    );
}
