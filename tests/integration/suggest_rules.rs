//! What `suggest` prints, checked against the very logs it mined: each
//! suggested rule takes lines of its own template only and never an ERROR
//! or CRITICAL line; its must-pass line passes with the rules `suggest` was
//! given; a template an opt-in pack covers names the pack; steady templates
//! are listed; httpx's poll line gets a rule of its own; no bot token is
//! ever printed; and the work per line stays bounded however many distinct
//! messages a log has.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use crate::util::suggestlog::{self, Kind, TOKEN};
use crate::util::{botlog, logdedup, RuleDir};
use logdedup::engine::Summary;
use logdedup::pipeline::{per_line_options, rule_for, run_case, Pipeline, Sink, Verdict};
use logdedup::rules::{load, load_str, Rule, RuleSet, RuleSource};
use logdedup::suggest::{suggest, KnownRules, SuggestFormat, SuggestOptions, SuggestReport};
use logdedup::time::Time;

const WINDOW: Duration = Duration::from_secs(30);

/// No rules loaded.
const NONE: fn(&[u8]) -> bool = |_| false;

fn run_suggest(
    log: &[u8],
    opts: &SuggestOptions,
    known: &dyn KnownRules,
) -> (String, SuggestReport) {
    let mut out = Vec::new();
    let inputs: Vec<Box<dyn Read>> = vec![Box::new(std::io::Cursor::new(log.to_vec()))];
    let report = suggest(inputs, opts, known, false, &mut out).expect("suggest runs");
    (String::from_utf8(out).expect("output is UTF-8"), report)
}

/// A generated polling bot's log and the kind of each of its lines.
fn polling_log(size: u64, layout: Option<u64>, seed: u64) -> (Vec<u8>, Vec<Kind>) {
    let (mut log, mut kinds) = (Vec::new(), Vec::new());
    suggestlog::generate(size, layout, seed, &mut |record, kind| {
        log.extend_from_slice(record);
        kinds.extend(record.split_inclusive(|&b| b == b'\n').map(|_| kind));
        Ok(())
    })
    .expect("generating into memory cannot fail");
    (log, kinds)
}

fn bot_log(size: u64, seed: u64) -> Vec<u8> {
    let mut log = Vec::new();
    botlog::generate(size, 0.3, seed, &mut |record, _| {
        log.extend_from_slice(record);
        Ok(())
    })
    .expect("generating into memory cannot fail");
    log
}

/// How the filter decides each line of `log` (line numbers from 1).
fn decisions(set: &Arc<RuleSet>, log: &[u8]) -> Vec<(u64, Verdict)> {
    struct Decisions(Vec<(u64, Verdict)>);
    impl Sink for Decisions {
        fn pass(&mut self, _: &[u8]) {}
        fn suppress(&mut self, _: &Rule, _: &[u8], _: bool) {}
        fn summary(&mut self, _: &Summary, _: &Rule, _: bool) {}
        fn decided(&mut self, _: &[u8], verdict: Verdict, _: &[u8]) {
            let n = self.0.len() as u64 + 1;
            self.0.push((n, verdict));
        }
    }
    let mut sink = Decisions(Vec::new());
    let mut pipeline = Pipeline::new(Arc::clone(set), &per_line_options());
    pipeline.push(log, Time(0), &mut sink);
    pipeline.finish(Time(0), &mut sink);
    sink.0
}

/// Loads a rule file and checks that its `[[test]]` cases pass.
fn load_checked(toml: &str) -> Arc<RuleSet> {
    let set = Arc::new(
        load_str("suggested.toml", toml, WINDOW).unwrap_or_else(|e| panic!("{e:#}\n{toml}")),
    );
    for t in set.tests() {
        let outcome = run_case(&set, t);
        assert!(
            outcome.passed(),
            "{:?}: {:?}\n{toml}",
            outcome.test,
            outcome.failure
        );
    }
    set
}

fn level_word(line: &[u8]) -> Option<&'static str> {
    let head = String::from_utf8_lossy(&line[..line.len().min(48)]).into_owned();
    ["CRITICAL", "ERROR"].into_iter().find(|w| head.contains(w))
}

/// Mines `log`, runs the rules it suggests over `log` itself, and checks
/// that every line a rule takes starts a record of the template the rule
/// was made from, and is no ERROR/CRITICAL line. Returns the rules checked.
fn assert_rules_take_their_own_lines(name: &str, log: &[u8]) -> usize {
    let opts = SuggestOptions {
        top: 50,
        trace: true,
        max_templates: 1_000_000,
        ..SuggestOptions::default()
    };
    let (toml, report) = run_suggest(log, &opts, &NONE);
    assert_eq!(report.evicted, 0, "{name}: templates were evicted");
    if report.rules.is_empty() {
        return 0;
    }
    let set = load_checked(&toml);
    let template_of_rule: Vec<u64> = set
        .rules()
        .iter()
        .map(|r| {
            let i = report
                .rules
                .iter()
                .position(|n| *n == r.name)
                .expect("a printed rule");
            report.rule_templates[i]
        })
        .collect();
    let starts: HashMap<u64, u64> = report.trace.iter().copied().collect();
    let lines: Vec<&[u8]> = log.split(|&b| b == b'\n').collect();
    let mut taken = 0;
    for (n, verdict) in decisions(&set, log) {
        let line = String::from_utf8_lossy(lines[(n - 1) as usize]);
        match verdict {
            Verdict::Suppress(r) | Verdict::PassMatched(r) | Verdict::Hold(r) => {
                taken += 1;
                let rule = &set.rules()[r].name;
                assert_eq!(
                    starts.get(&n),
                    Some(&template_of_rule[r]),
                    "{name}: rule {rule} takes line {n} of another template: {line}\n{toml}"
                );
                assert_eq!(
                    level_word(lines[(n - 1) as usize]),
                    None,
                    "{name}: rule {rule} takes {line}"
                );
            }
            Verdict::ContinueSuppressed(_) => {
                assert!(
                    !starts.contains_key(&n),
                    "{name}: line {n} taken as a continuation: {line}"
                );
            }
            _ => {}
        }
    }
    assert!(
        taken > 0,
        "{name}: the rules take none of the lines they were made from"
    );
    report.rules.len()
}

/// Regression: a rule for a cluster of bare-number DEBUG lines was anchored
/// on the logger and the end of the line only, and took the logger's ERROR
/// and CRITICAL lines and a line of another of its templates.
#[test]
fn suggested_rules_take_only_lines_of_their_own_template() {
    let mut checked = 0;
    for (seed, layout) in [(1, None), (2, Some(0)), (3, Some(2)), (4, Some(3))] {
        let (log, _) = polling_log(2 << 20, layout, seed);
        checked += assert_rules_take_their_own_lines(&format!("polling log {seed}"), &log);
    }
    checked += assert_rules_take_their_own_lines("bot log", &bot_log(2 << 20, 1));
    for example in ["examples/pyrogram-storm.log", "examples/suggest-input.log"] {
        let log = std::fs::read(example).expect("example log");
        checked += assert_rules_take_their_own_lines(example, &log);
    }
    let mut harvested = 0;
    for dir in ["tests/data/harvest/http", "tests/data/harvest/mtproto"] {
        for entry in std::fs::read_dir(dir).expect("harvest dir").flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "log") {
                let log = std::fs::read(&path).expect("harvested log");
                harvested += assert_rules_take_their_own_lines(&path.display().to_string(), &log);
            }
        }
    }
    assert!(
        checked >= 30,
        "only {checked} rules checked on generated logs and examples"
    );
    assert!(
        harvested >= 10,
        "only {harvested} rules checked on harvested logs"
    );
}

/// The loaded rules as the CLI asks them: a rule of the set takes the line.
struct Loaded(Arc<RuleSet>);

impl KnownRules for Loaded {
    fn takes(&self, line: &[u8]) -> bool {
        rule_for(&self.0, line).is_some()
    }
}

/// Regression: the must-pass line was chosen without the loaded rules, so
/// a default pack took it and `logdedup test -r suggested.toml` failed.
#[test]
fn must_pass_lines_pass_with_the_rules_suggest_was_given() {
    let defaults = Loaded(Arc::new(
        load(&[RuleSource::Defaults], WINDOW).expect("default packs"),
    ));
    let dir = RuleDir::new();
    let mut negatives = 0;
    for (i, log) in [bot_log(2 << 20, 1), polling_log(2 << 20, None, 1).0]
        .iter()
        .enumerate()
    {
        let opts = SuggestOptions {
            top: 20,
            ..SuggestOptions::default()
        };
        let (toml, report) = run_suggest(log, &opts, &defaults);
        assert!(!report.rules.is_empty(), "{toml}");
        negatives += toml.matches("# a similar line that must pass").count();
        // As `logdedup test -r suggested.toml` loads it: the file, then the default packs.
        let file = dir.file(&format!("suggested{i}.toml"), &toml);
        let set =
            Arc::new(load(&[RuleSource::Path(file), RuleSource::Defaults], WINDOW).expect("loads"));
        for t in set.tests() {
            let outcome = run_case(&set, t);
            assert!(
                outcome.passed(),
                "{:?}: {:?}\n{toml}",
                outcome.test,
                outcome.failure
            );
        }
    }
    assert!(negatives >= 5, "only {negatives} must-pass lines");
}

#[test]
fn a_template_an_opt_in_pack_covers_names_the_pack_instead_of_getting_a_rule() {
    let dir = RuleDir::new();
    let (log, _) = polling_log(2 << 20, None, 1);
    let path = dir.file("bot.log", &String::from_utf8(log).expect("UTF-8"));
    let out = logdedup()
        .args(["suggest"])
        .arg(&path)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let toml = String::from_utf8_lossy(&out.stdout);
    assert!(
        toml.contains("# covered by builtin:httpx-polling (-r builtin:httpx-polling): "),
        "{toml}"
    );
    assert!(
        !toml
            .lines()
            .any(|l| l.starts_with("pattern") && l.contains("getUpdates")),
        "{toml}"
    );
    // With the pack loaded, it is simply covered.
    let out = logdedup()
        .args(["suggest", "-r", "builtin:httpx-polling"])
        .arg(&path)
        .output()
        .expect("runs");
    let toml = String::from_utf8_lossy(&out.stdout);
    assert!(!toml.contains("builtin:httpx-polling"), "{toml}");
}

#[test]
fn help_explains_the_verdicts_and_steady_templates_are_listed() {
    let out = logdedup()
        .args(["suggest", "--help"])
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&out.stdout);
    for verdict in [
        "noise ", "chatter ", "steady ", "error ", "covered ", "rare ",
    ] {
        assert!(
            help.contains(&format!("\n  {verdict}")),
            "{verdict} not explained:\n{help}"
        );
    }
    let (log, kinds) = polling_log(2 << 20, None, 1);
    // Three rows of each: the other steady templates are counted.
    let opts = SuggestOptions {
        top: 3,
        ..SuggestOptions::default()
    };
    let (toml, report) = run_suggest(&log, &opts, &NONE);
    let replies = kinds.iter().filter(|k| **k == Kind::Send).count();
    let listed = format!(
        "# {replies} records ({:.1}%): httpx: HTTP Request: POST https://api.telegram.org/bot<redacted>/sendMessage *\n",
        replies as f64 * 100.0 / report.records as f64
    );
    assert!(toml.contains("# Steady, no rule suggested"), "{toml}");
    assert!(toml.contains(&listed), "{listed} not in:\n{toml}");
    assert!(toml.contains(" smaller steady templates with "), "{toml}");
}

/// httpx's poll line is steady (a poll every few seconds), yet the
/// commonest noise of a polling bot: it gets a rule of its own, which
/// takes every poll line and nothing else (not the `sendMessage` replies).
#[test]
fn the_poll_line_gets_a_rule_of_its_own() {
    let (log, kinds) = polling_log(2 << 20, None, 3);
    let opts = SuggestOptions {
        top: 50,
        ..SuggestOptions::default()
    };
    let (toml, _) = run_suggest(&log, &opts, &NONE);
    let set = load_checked(&toml);
    let poll = set
        .rules()
        .iter()
        .position(|r| r.message.contains("/getUpdates"))
        .unwrap_or_else(|| panic!("no rule for the poll line:\n{toml}"));
    assert!(toml.contains("# steady library chatter"), "{toml}");
    let mut polls = 0;
    for (n, verdict) in decisions(&set, &log) {
        let kind = kinds[(n - 1) as usize];
        let rule = match verdict {
            Verdict::Suppress(r) | Verdict::PassMatched(r) => Some(r),
            _ => None,
        };
        assert_eq!(
            rule == Some(poll),
            kind == Kind::Poll,
            "line {n} ({kind:?})"
        );
        assert!(
            kind != Kind::Send || rule.is_none(),
            "a reply taken (line {n})"
        );
        polls += u64::from(kind == Kind::Poll);
    }
    assert!(polls > 100);
}

fn assert_no_token(what: &str, text: &str) {
    let token = regex::Regex::new(r"\d{6,12}:[A-Za-z0-9_-]{35}").expect("regex");
    assert!(!token.is_match(text), "{what} prints a token:\n{text}");
    assert!(
        !text.contains(&TOKEN[11..30]),
        "{what} prints part of a token:\n{text}"
    );
}

#[test]
fn no_bot_token_is_ever_printed() {
    let dir = RuleDir::new();
    let (log, _) = polling_log(2 << 20, None, 1);
    let mut text = String::from_utf8(log).expect("UTF-8");
    // Bare tokens too, and one in a bot line that has a rule of its own.
    for i in 0..300 {
        text.push_str(&format!(
            "WARNING:bot.auth:token {TOKEN} rejected, retry {i}\n"
        ));
    }
    let path = dir.file("bot.log", &text);
    let mut redacted = 0;
    for args in [
        &["suggest", "--no-default-rules", "--top", "50"][..],
        &["suggest", "--format", "table", "--top", "1000"],
        &["suggest", "--top", "0"],
    ] {
        let out = logdedup().args(args).arg(&path).output().expect("runs");
        assert!(out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_no_token(&format!("{args:?} stdout"), &stdout);
        assert_no_token(&format!("{args:?} stderr"), &stderr);
        redacted +=
            stdout.matches("bot<redacted>/").count() + stderr.matches("bot<redacted>/").count();
    }
    assert!(redacted >= 3, "the URLs are shown, redacted");
}

/// Regression: every message was compared with every template of its
/// group, so a log of users' free text took time with the square of its
/// distinct messages (40 000 lines: 20 s; 2 million: hours).
#[test]
fn work_per_line_is_bounded_with_many_distinct_templates() {
    let (log, _) = polling_log(4 << 20, None, 5);
    let opts = SuggestOptions {
        format: SuggestFormat::Table,
        max_templates: 1_000_000,
        ..SuggestOptions::default()
    };
    let (_, report) = run_suggest(&log, &opts, &NONE);
    assert!(report.templates > 2000, "{} templates", report.templates);
    assert!(
        report.compared <= 16 * report.records,
        "{} comparisons for {} records",
        report.compared,
        report.records
    );
}
