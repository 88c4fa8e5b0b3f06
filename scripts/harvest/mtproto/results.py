#!/usr/bin/env python3
"""Score a logdedup binary on the MTProto harvest with the default packs and
with every built-in pack, and print the tables of RESULTS.md.

    results.py BINARY [DATADIR] > scripts/harvest/mtproto/RESULTS.md.part

DATADIR defaults to tests/data/layouts/mtproto. Runs ../score.py twice
(`--json`, then `--json --rules -r builtin:all`) and prints, per library,
version and layout, the noise lines caught and the signal and other lines
suppressed under each, then per version, per layout, and the signal lines
suppressed.
"""
import json
import os
import subprocess
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
SCORE = os.path.join(os.path.dirname(HERE), "score.py")


def score(binary, data, rules):
    out = subprocess.run([sys.executable, SCORE, binary, data, "--json", *(["--rules", *rules] if rules else [])],
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"score.py failed: {out.stderr}")
    return json.loads(out.stdout)


def pct(t):
    return f"{100 * t['noise_suppressed'] / t['noise']:.1f}" if t["noise"] else "-"


def add(into, t):
    for k in ("lines", "noise", "noise_suppressed", "signal", "signal_suppressed", "other", "other_suppressed"):
        into[k] = into.get(k, 0) + t[k]


def table(title, key, d, a):
    gd, ga = defaultdict(dict), defaultdict(dict)
    for rows, g in ((d["files"], gd), (a["files"], ga)):
        for r in rows:
            add(g[key(r)], r)
    print(f"### {title}\n")
    print("| " + " | ".join(k for k in KEYS[title]) + " | lines | noise | signal | caught (default) | "
          "caught (all) | signal sup. (default / all) | other sup. (default / all) |")
    print("|" + "---|" * (len(KEYS[title]) + 7))
    for k in sorted(gd):
        x, y = gd[k], ga[k]
        cells = list(k) if isinstance(k, tuple) else [k]
        print("| " + " | ".join(cells) + f" | {x['lines']} | {x['noise']} | {x['signal']} | {pct(x)}% | {pct(y)}% | "
              f"{x['signal_suppressed']} / {y['signal_suppressed']} | {x['other_suppressed']} / {y['other_suppressed']} |")
    print()


KEYS = {
    "Per library, version and layout": ("library", "version", "layout"),
    "Per library and version": ("library", "version"),
    "Per layout": ("layout",),
    "Per scenario": ("scenario",),
}


def main():
    binary = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "..", "..", "tests", "data", "layouts",
                                                                 "mtproto")
    d = score(binary, data, [])
    a = score(binary, data, ["-r", "builtin:all"])
    lay = lambda r: r["layout"] + ("." + r["prefix"] if r["prefix"] else "")  # noqa: E731
    table("Per library and version", lambda r: (r["lib"], r["version"]), d, a)
    table("Per layout", lambda r: lay(r), d, a)
    table("Per scenario", lambda r: r["scenario"], d, a)
    table("Per library, version and layout", lambda r: (r["lib"], r["version"], lay(r)), d, a)
    for name, res in (("default packs", d), ("builtin:all", a)):
        sig = [(r["file"], s) for r in res["files"] for s in r["signal_lines"]]
        print(f"### Signal lines suppressed ({name}): {len(sig)}\n")
        for f, s in sig:
            print(f"- `{f}`: `{str(s)[:200]}`")
        print()


if __name__ == "__main__":
    main()
