#!/usr/bin/env python3
"""Check the emulated `bare` layout against a bot that configures no logging.

    compare_bare.py RAWDIR [DESTDIR]

For each LIB-VERSION, RAWDIR holds LIB-VERSION.wobble.bare.log (layouts.py's
emulation of Python's last-resort handler, from a captured run) and
LIB-VERSION.wobble.nocfg.raw (another run of the same driver and scenario
with no logging set up at all, `driver.py --no-capture 2>&1`). Two runs never
print the same records at the same moments, so this compares what KINDS of
lines each printed: every line with its digits and hex numbers folded. It
prints, per version, the shapes in both, only in the real run and only in
the emulation, and exits 1 if a shape of one kind of output is missing from
the other in a way timing cannot explain (see `TIMING`). With DESTDIR, the
real run's output (paths rewritten, at most 200 lines) is kept there as
LIB-VERSION.wobble.nocfg.log, unlabeled, for reference.
"""
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import rewrite_paths  # noqa: E402

# lines whose presence depends on how far a run got when the DC went away,
# or on which request happened to be waiting: not a difference of layout
TIMING = re.compile(r"^\s+(File |\^|~)|^\s|Task was destroyed|Traceback|^[A-Za-z_.]+(Error|Exception)\b")


def shape(line):
    line = re.sub(r"0x[0-9a-f]+", "H", line)
    line = re.sub(r"\d+", "N", line)
    return line.rstrip("\n")


def shapes(path, rewrite=False):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if rewrite:
        text = rewrite_paths(text)
    return text, {shape(l) for l in text.splitlines()}


def main():
    raw = sys.argv[1]
    dest = sys.argv[2] if len(sys.argv) > 2 else None
    bad = 0
    print("| version | line shapes (real) | in emulated too | only real | only emulated |")
    print("|---|---|---|---|---|")
    notes = []
    for real_path in sorted(glob.glob(os.path.join(raw, "*.wobble.nocfg.raw"))):
        ver = os.path.basename(real_path)[:-len(".wobble.nocfg.raw")]
        emu_path = os.path.join(raw, ver + ".wobble.bare.log")
        if not os.path.exists(emu_path):
            continue
        text, real = shapes(real_path, rewrite=True)
        _, emu = shapes(emu_path)
        only_real = sorted(real - emu)
        only_emu = sorted(emu - real)
        print(f"| {ver} | {len(real)} | {len(real & emu)} | {len(only_real)} | {len(only_emu)} |")
        for side, lst in (("only real", only_real), ("only emulated", only_emu)):
            for s in lst:
                notes.append(f"{ver} {side}: {s[:160]}")
                if not TIMING.search(s):
                    bad += 1
        if dest:
            kept = text.splitlines(keepends=True)[:200]
            with open(os.path.join(dest, ver + ".wobble.nocfg.log"), "w", encoding="utf-8") as f:
                f.write("".join(kept))
    print()
    for n in notes:
        print("    " + n)
    print(f"\n{bad} shape(s) not explained by timing")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
