#!/usr/bin/env python3
"""Scores a logdedup binary on per-line labeled logs (a stand-in for
scripts/harvest/score.py where that is missing; same counting).

usage: score_lines.py BINARY DIR [-- RULE ARGS...]     e.g. -- -r builtin:all

For every DIR/*.log with a .labels file (one word per line), runs
`BINARY --dry-run --summary-to FILE ARGS LOG` (summaries go to FILE, so the output
lines match the input lines one to one; a suppressed line is written tagged
`[logdedup:RULE] `) and prints per library/version/layout the share of noise
lines suppressed and the signal and other lines suppressed. Exit 1 when a
signal line was suppressed.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

TAG = re.compile(rb"^\[logdedup:[^\]]+\] ")


def score(binary, log, args, tmp):
    labels = open(log[:-4] + ".labels").read().split()
    out = subprocess.run([binary, "--dry-run", "--summary-to", os.path.join(tmp, "s"), *args, log],
                         capture_output=True, check=True).stdout
    lines = out.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if len(lines) != len(labels):
        raise SystemExit(f"{log}: {len(lines)} output lines, {len(labels)} labels")
    c = {}
    for line, lab in zip(lines, labels):
        n = c.setdefault(lab, [0, 0])
        n[0] += 1
        n[1] += bool(TAG.match(line))
    return c


def main():
    binary, d = sys.argv[1], sys.argv[2]
    args = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for log in sorted(glob.glob(os.path.join(d, "*.log"))):
            if not os.path.exists(log[:-4] + ".labels"):
                continue
            parts = os.path.basename(log)[:-4].split(".")
            # LIB-VERSION.SCENARIO.LAYOUT[.PREFIX]; versions contain dots
            m = re.match(r"^(.+?-\d+(?:\.\d+)*)\.([^.]+)\.(.+)$", os.path.basename(log)[:-4])
            version, layout = (m.group(1), m.group(3)) if m else (parts[0], parts[-1])
            c = score(binary, log, args, tmp)
            row = rows.setdefault((version, layout), {})
            for lab, (n, s) in c.items():
                t = row.setdefault(lab, [0, 0])
                t[0] += n
                t[1] += s
    hurt = 0
    print("| version | layout | noise lines | noise suppressed | signal lines suppressed | other lines suppressed |")
    print("| --- | --- | --- | --- | --- | --- |")
    tot = {}
    for (version, layout), row in sorted(rows.items()):
        n = row.get("noise", [0, 0])
        s = row.get("signal", [0, 0])
        o = row.get("other", [0, 0])
        hurt += s[1]
        pct = f"{100.0 * n[1] / n[0]:.1f} %" if n[0] else "-"
        print(f"| {version} | {layout} | {n[0]} | {pct} | {s[1]} of {s[0]} | {o[1]} of {o[0]} |")
        t = tot.setdefault(version, {})
        for lab, v in row.items():
            x = t.setdefault(lab, [0, 0])
            x[0] += v[0]
            x[1] += v[1]
    print()
    print("| version (all layouts) | noise lines | noise suppressed | signal lines suppressed | other lines suppressed |")
    print("| --- | --- | --- | --- | --- |")
    for version, row in sorted(tot.items()):
        n, s, o = (row.get(k, [0, 0]) for k in ("noise", "signal", "other"))
        pct = f"{100.0 * n[1] / n[0]:.1f} %" if n[0] else "-"
        print(f"| {version} | {n[0]} | {pct} | {s[1]} of {s[0]} | {o[1]} of {o[0]} |")
    sys.exit(1 if hurt else 0)


if __name__ == "__main__":
    main()
