//! The integration tests, as one test binary: the crate and its
//! dependencies are linked once, not once per file, and the tests of every
//! area share the machine's cores in one run. One module per area, one
//! harness (`util`). A new area is a module declared here, in this
//! directory; a new helper goes into `util`.

// Test code: exact float values are expected, strings are built for
// comparison, and helpers are declared where they are used.
#![allow(
    clippy::float_cmp,
    clippy::format_collect,
    clippy::items_after_statements
)]

// The harness: the binary with a pinned environment, temp rule dirs, the
// live child with line channels, waits with deadlines, generated bot logs.
mod util;

// explain and the filter agree: same records per rule.
mod agreement;
// Rule authoring: check, test, explain, rules, suggest, `-e`, --dry-run.
mod authoring;
// The filter's command line on real bytes.
mod cli;
// Shell completions and the man page.
mod completions;
// The built-in packs against the harvested real library output.
mod harvest;
// First use: commands into `head`, a terminal, a missing rule directory.
mod first_use;
// Records held until their last line decides.
mod hold;
// Property tests: nothing lost, nothing reordered, counts that balance.
mod invariant;
// The layout recognizer on real sample lines of every layout.
mod layout_samples;
// The packs against the harvested logs of every layout and version.
mod layouts;
// Bounded memory, measured on the child process.
mod memory;
// --stats-file and --metrics-textfile.
mod metrics;
// Metrics of several bots on one host: instance labels, safe files.
mod metrics_many;
// Every console example in README.md.
mod readme;
// Records (a line and its traceback) and log-time windows.
mod records;
// Secrets masked on every output.
mod secrets;
// Strict rules: -e, match-all patterns, check and test as a run loads them.
mod strict_rules;
// The source's shape: file length, no import circles.
mod structure;
// One test per bug that was fixed, named after it.
mod regression;
// Every shipped rule file passes `check` and its own `[[test]]` cases.
mod rule_packs;
// `logdedup run -- CMD`.
mod run;
// `run` never leaves the bot behind; a prompt reaches the user.
mod run_life;
// `run` in a terminal, as a job of an interactive shell.
mod run_terminal;
// JSON summaries against docs/summary.schema.json.
mod schema;
// Signals: grace periods, a second signal, reload, statistics.
mod signals;
// suggest reads layouts through the recognizer: Home Assistant, JSON.
mod suggest_layouts;
// `suggest` end to end on generated bot logs.
mod suggest_quality;
// suggest checked against the very logs it mined.
mod suggest_rules;
// The suite's own layout: one binary, every file a module, regression ids.
mod suite;
// Malformed rule files and their exact messages.
mod torture_rules;
// Hostile byte streams.
mod torture_stream;
// Other programs' logs: nothing suppressed.
mod unrelated_logs;
