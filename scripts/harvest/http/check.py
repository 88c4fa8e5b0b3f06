#!/usr/bin/env python3
"""Replays a labeled log through logdedup and counts what the packs suppressed.

usage: check.py LOGDEDUP LOG PACK.toml...      (CHECK=-v lists the missed noise)

For a binary that predates `exception` (set STABLE=1), the rules that use it
are left out of the binary's run and emulated here instead: a record counts
as suppressed by such a rule when its first line matches `pattern`/`patterns`
and its final exception line matches `exception` (Python's re; the packs'
regexes use nothing where the two differ). Both counts are printed.

A record counts as suppressed when its first line was suppressed; a signal
record counts as hurt when any of its lines was suppressed.
Exit status 1 when a signal record was hurt.
"""
import os
import re
import subprocess
import sys
import tempfile
import tomllib

from label import classify, final_exception, frame, parse


def split_pack(path, d, i):
    """(path of a copy without the `exception` rules, those rules)."""
    text = open(path).read()
    spec = tomllib.loads(text)
    exc_rules = [r for r in spec.get("rule", []) if "exception" in r]
    blocks = re.split(r"(?m)^(?=\[\[rule\]\]|\[\[test\]\])", text)
    kept = [b for b in blocks if not b.startswith("[[test]]") and not (
        b.startswith("[[rule]]") and re.search(r"(?m)^exception = ", b))]
    out = os.path.join(d, f"pack{i}.toml")
    with open(out, "w") as f:
        f.write("".join(kept))
    return out, exc_rules


def main():
    binary, log, packs = sys.argv[1], sys.argv[2], sys.argv[3:]
    stable = os.environ.get("STABLE") == "1"
    with open(log, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    emulated = []
    with tempfile.TemporaryDirectory() as d:
        args = []
        for i, p in enumerate(packs):
            if stable:
                p, exc_rules = split_pack(p, d, i)
                emulated += exc_rules
            args += ["-r", p]
        supp = os.path.join(d, "supp")
        subprocess.run([binary, *args, "--suppressed-to", supp], input=data,
                       stdout=subprocess.DEVNULL, check=True)
        s = open(supp, "rb").read().split(b"\n") if os.path.exists(supp) else []
    if s and s[-1] == b"":
        s.pop()
    mark, j = [], 0  # the suppressed lines are a subsequence of the input
    for ln in lines:
        hit = j < len(s) and s[j] == ln
        mark.append(hit)
        j += hit
    text = [l.decode("utf-8", "replace") for l in lines]
    records = frame(text)
    labels = classify(records)
    stats, hurt, i = {}, [], 0
    follow = [0, 0]
    for rec, lab in zip(records, labels):
        m = mark[i:i + len(rec)]
        i += len(rec)
        by_bin = m[0]
        by_emu = False
        if not by_bin:
            exc = final_exception(rec)
            for r in emulated:
                pats = r.get("patterns") or [r["pattern"]]
                if any(re.search(p, rec[0]) for p in pats) and exc and re.search(
                        r["exception"], exc):
                    by_emu = True
        if lab == "noise" and parse(rec[0])[0] is None and final_exception(rec) is None:
            # a further line of a multi-line message (an HTML error page
            # quoted in an exception's text): no pack can anchor on it
            follow[0] += 1
            follow[1] += by_bin or by_emu
        st = stats.setdefault(lab, [0, 0, 0])
        st[0] += 1
        st[1] += by_bin
        st[2] += by_bin or by_emu
        if lab == "signal" and (any(m) or by_emu):
            hurt.append(rec[0])
        if lab == "noise" and not (by_bin or by_emu) and "-v" in os.environ.get("CHECK", ""):
            print("  missed:", rec[0][:200])
    n = stats.get("noise", [0, 0, 0])
    parts = []
    for k, v in sorted(stats.items()):
        parts.append(f"{k}={v[0]} suppressed {v[1]}" + (f" (+emulated: {v[2]})" if emulated else ""))
    pct = 100.0 * n[1] / n[0] if n[0] else 100.0
    pct2 = 100.0 * n[2] / n[0] if n[0] else 100.0
    line = f"{os.path.basename(log)}: " + "; ".join(parts) + f"; noise suppressed {pct:.1f}%"
    if emulated:
        line += f", with emulated `exception` rules {pct2:.1f}%"
    if follow[0]:
        rest = n[0] - follow[0]
        line += (f"; without the {follow[0]} follow-on lines of multi-line messages "
                 f"{100.0 * (n[2] - follow[1]) / rest if rest else 100.0:.1f}%")
    print(line)
    for h in hurt:
        print("  SIGNAL SUPPRESSED:", h[:200])
    sys.exit(1 if hurt else 0)


if __name__ == "__main__":
    main()
