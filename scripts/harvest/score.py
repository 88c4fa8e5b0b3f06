#!/usr/bin/env python3
"""Score a logdedup binary on labeled harvest logs, per library, version
and layout.

    score.py BINARY DIR [--json] [--complete-only] [--missed] [--rules ARG...]

Runs `BINARY --dry-run ARG... FILE` on every FILE.log under DIR that has a
FILE.labels (one word per line: noise, signal, other; lines.py writes
them), and prints per file name LIB-VERSION.SCENARIO.LAYOUT[.PREFIX].log
the share of noise lines suppressed and the signal and other lines
suppressed, then totals per library and overall. Exit status 1 when any
signal line is suppressed, 2 on a usage or alignment error.

In the dry run every input line is written, the ones the rules would
suppress behind `[logdedup:RULE] `; summary lines come in between and are
not input lines.

A log with a FILE.meta beside it (TOML: `library`, `version`, ...; the
hand-labeled pastes of tests/data/wild/ have one) takes its library and
version from there instead of its name, and its file name stands as the
layout column, so each such file gets its own row. `--complete-only`
leaves out the files whose .meta says `complete = false`: pastes cut inside
a record (a traceback without its last line), which rules keyed on the
exception class cannot match. `--missed` also lists every noise line that
no rule took, as `NOISE MISSED FILE:LINE: text`. The output is aligned to the input by content, as
tests/integration/harvest.rs does: each input line is the next output line that equals
it, bare or behind a tag; anything else on the way is a summary.

Example:

    score.py target/release/logdedup tests/data/layouts-demo --rules -r builtin:default
"""
import json
import os
import re
import subprocess
import sys
import tomllib
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import prefix as prefixes  # noqa: E402

TAG = re.compile(rb"^\[logdedup:([^\]]+)\] ")


def parse_name(path):
    """(lib, version, scenario, layout, prefix) from LIB-VERSION.SCENARIO.LAYOUT[.PREFIX].log.
    Versions have dots, so the name is read from the right; a missing
    part is ""."""
    stem = os.path.basename(path)[:-len(".log")]
    parts = stem.split(".")
    pre = parts.pop() if len(parts) > 2 and parts[-1] in prefixes.KINDS else ""
    layout = parts.pop() if len(parts) > 1 else ""
    scenario = parts.pop() if len(parts) > 1 else ""
    libver = ".".join(parts)
    m = re.match(r"^(.*?)-(\d[\w.+-]*)$", libver)
    lib, ver = (m.group(1), m.group(2)) if m else (libver, "")
    return lib, ver, scenario, layout, pre


def read_meta(log):
    """The TOML table in LOG's .meta sidecar, or None when it has none."""
    path = log[:-len(".log")] + ".meta"
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return tomllib.load(f)


def describe(log):
    """(lib, version, scenario, layout, prefix) of LOG: from its .meta when
    it has one (the layout column then names the file), else from its name."""
    meta = read_meta(log)
    if meta is None:
        return parse_name(log)
    stem = os.path.basename(log)[:-len(".log")]
    return str(meta.get("library", "")), str(meta.get("version", "")), "", stem, ""


def split_lines(data):
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def align(inp, out):
    """For each input line, the rule that suppressed it or None."""
    marks = []
    j = 0
    for i, line in enumerate(inp):
        while True:
            if j >= len(out):
                raise ValueError(f"input line {i + 1} not found in the output: {line[:120]!r}")
            o = out[j]
            j += 1
            if o == line:
                marks.append(None)
                break
            m = TAG.match(o)
            if m and o[m.end():] == line:
                marks.append(m.group(1).decode("utf-8", "replace"))
                break
            # else: a summary line
    return marks


def score_file(binary, log, rules):
    with open(log, "rb") as f:
        data = f.read()
    with open(log[:-len(".log")] + ".labels") as f:
        labels = f.read().split()
    inp = split_lines(data)
    if len(labels) != len(inp):
        raise ValueError(f"{log}: {len(inp)} lines but {len(labels)} labels")
    # --no-redact: masked tokens would change the lines, and the output is
    # aligned to the input by content.
    r = subprocess.run([binary, "--dry-run", "--no-redact"] + rules + [log], capture_output=True, timeout=300)
    if r.returncode != 0:
        raise ValueError(f"{log}: {binary} exited {r.returncode}: {r.stderr.decode(errors='replace')[:500]}")
    marks = align(inp, split_lines(r.stdout))
    t = {"lines": len(inp), "noise": 0, "noise_suppressed": 0, "signal": 0, "signal_suppressed": 0,
         "other": 0, "other_suppressed": 0, "signal_lines": [], "noise_missed": []}
    for n, (lab, mark) in enumerate(zip(labels, marks), 1):
        t[lab] += 1
        if mark is None and lab == "noise":
            t["noise_missed"].append(f"{n}: {inp[n - 1][:140].decode('utf-8', 'replace')}")
        if mark is not None:
            t[lab + "_suppressed"] += 1
            if lab == "signal":
                t["signal_lines"].append(f"{n}: [{mark}] {inp[n - 1][:100].decode('utf-8', 'replace')}")
    return t


def add(into, t):
    for k, v in t.items():
        if isinstance(v, int):
            into[k] = into.get(k, 0) + v


def pct(t):
    return 100.0 * t["noise_suppressed"] / t["noise"] if t["noise"] else float("nan")


def main(argv):
    args = argv[1:]
    rules = []
    if "--rules" in args:
        i = args.index("--rules")
        rules = args[i + 1:]
        args = args[:i]
    as_json = "--json" in args
    complete_only = "--complete-only" in args
    missed = "--missed" in args
    args = [a for a in args if a not in ("--json", "--complete-only", "--missed")]
    if len(args) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binary, root = args
    logs = []
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(".log") and os.path.exists(os.path.join(d, f[:-4] + ".labels")):
                logs.append(os.path.join(d, f))
    logs.sort()
    if complete_only:
        logs = [log for log in logs if (read_meta(log) or {}).get("complete", True) is not False]
    if not logs:
        print(f"no labeled logs under {root}", file=sys.stderr)
        return 2
    rows = []
    try:
        for log in logs:
            lib, ver, scen, layout, pre = describe(log)
            t = score_file(binary, log, rules)
            rows.append({"file": os.path.relpath(log, root), "lib": lib, "version": ver, "scenario": scen,
                         "layout": layout, "prefix": pre, **t})
    except ValueError as e:
        print(f"score: {e}", file=sys.stderr)
        return 2
    groups = defaultdict(dict)
    per_lib = defaultdict(dict)
    total = {}
    for r in rows:
        add(groups[(r["lib"], r["version"], r["layout"] + ("." + r["prefix"] if r["prefix"] else ""))], r)
        add(per_lib[r["lib"]], r)
        add(total, r)
    bad = total.get("signal_suppressed", 0) > 0
    if as_json:
        json.dump({"files": rows,
                   "groups": [{"lib": k[0], "version": k[1], "layout": k[2], **v} for k, v in sorted(groups.items())],
                   "libraries": per_lib, "total": total}, sys.stdout, indent=1)
        print()
        return 1 if bad else 0
    width = max([22] + [len(k[2]) for k in groups])
    fmt = "{:<22} {:<10} {:<%d} {:>7} {:>7} {:>7} {:>7} {:>7}" % width
    print(fmt.format("library", "version", "layout", "lines", "noise", "noise%", "sig.sup", "oth.sup"))
    for (lib, ver, layout), t in sorted(groups.items()):
        print(fmt.format(lib, ver, layout, t["lines"], t["noise"], f"{pct(t):.1f}",
                         t["signal_suppressed"], t["other_suppressed"]))
    print()
    for lib, t in sorted(per_lib.items()):
        print(fmt.format(lib, "(all)", "(all)", t["lines"], t["noise"], f"{pct(t):.1f}",
                         t["signal_suppressed"], t["other_suppressed"]))
    print(fmt.format("TOTAL", "", "", total["lines"], total["noise"], f"{pct(total):.1f}",
                     total["signal_suppressed"], total["other_suppressed"]))
    for r in rows:
        for s in r["signal_lines"]:
            print(f"SIGNAL SUPPRESSED {r['file']}:{s}")
        for s in r["noise_missed"] if missed else ():
            print(f"NOISE MISSED {r['file']}:{s}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
