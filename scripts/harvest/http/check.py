#!/usr/bin/env python3
"""Replays a labeled log through logdedup and counts what the packs suppressed.

usage: check.py LOGDEDUP LOG [-r RULES]...

A record counts as suppressed when its first line was suppressed; a signal
record counts as hurt when any of its lines was suppressed.
Exit status 1 when a signal record was hurt.
"""
import os
import subprocess
import sys
import tempfile

from label import classify, frame


def main():
    binary, log, rules = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(log, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    with tempfile.TemporaryDirectory() as d:
        supp = os.path.join(d, "supp")
        subprocess.run([binary, *rules, "--suppressed-to", supp], input=data,
                       stdout=subprocess.DEVNULL, check=True)
        s = open(supp, "rb").read().split(b"\n") if os.path.exists(supp) else []
    if s and s[-1] == b"":
        s.pop()
    # the suppressed lines are a subsequence of the input
    mark, j = [], 0
    for ln in lines:
        hit = j < len(s) and s[j] == ln
        mark.append(hit)
        j += hit
    text = [l.decode("utf-8", "replace") for l in lines]
    records = frame(text)
    labels = classify(records)
    stats = {}
    hurt = []
    i = 0
    for rec, lab in zip(records, labels):
        m = mark[i:i + len(rec)]
        st = stats.setdefault(lab, [0, 0])
        st[0] += 1
        st[1] += m[0]
        if lab == "signal" and any(m):
            hurt.append(rec[0])
        if lab == "noise" and not m[0] and "-v" in os.environ.get("CHECK", ""):
            print("  missed:", rec[0][:200])
        i += len(rec)
    n, ns = stats.get("noise", [0, 0])
    out = " ".join(f"{k}={v[0]} (suppressed {v[1]})" for k, v in sorted(stats.items()))
    pct = 100.0 * ns / n if n else 100.0
    print(f"{os.path.basename(log)}: {out}; noise suppressed {pct:.1f}%")
    for h in hurt:
        print("  SIGNAL SUPPRESSED:", h[:200])
    sys.exit(1 if hurt else 0)


if __name__ == "__main__":
    main()
