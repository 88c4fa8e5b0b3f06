#!/usr/bin/env python3
"""Compares each true no-configuration run with the emulated `bare` layout.

usage: noconfig.py RAW VERSION...

RAW/VERSION/SCENARIO.noconfig.out is a run with no logging set up at all
(Python's last-resort handler prints what it prints); SCENARIO.bare.log is
the `bare` layout of another run of the same scenario. The two runs differ in
timing (how many retries fit), ports, addresses and paths, so the check is on
the distinct lines with numbers, addresses and paths masked: a line shape
in one and not in the other is listed.
"""
import os
import re
import sys

from build import clean

MASK = re.compile(r"0x[0-9a-f]+|\d+")


def shapes(path):
    text = clean(open(path, encoding="utf-8", errors="replace").read())
    out = set()
    for line in text.split("\n"):
        if not line.strip() or line.lstrip().startswith("^"):
            continue  # empty lines, and the carets under a traceback's lines
        out.add(MASK.sub("N", line))
    return out


def main():
    raw = sys.argv[1]
    print("| version | scenario | lines only in the real run | lines only in `bare` | verdict |")
    print("| --- | --- | --- | --- | --- |")
    for version in sys.argv[2:]:
        vdir = os.path.join(raw, version)
        for name in sorted(os.listdir(vdir)):
            if not name.endswith(".noconfig.out"):
                continue
            sc = name.split(".")[0]
            bare = os.path.join(vdir, sc + ".bare.log")
            if not os.path.exists(bare):
                continue
            real, emu = shapes(os.path.join(vdir, name)), shapes(bare)
            only_real, only_emu = sorted(real - emu), sorted(emu - real)
            verdict = "same" if not only_real and not only_emu else (
                "same when empty" if not real and not emu else "differs")
            if not real and not emu:
                verdict = "both empty"
            show = lambda xs: "<br>".join(f"`{x[:90]}`" for x in xs[:3]) + (
                f" (+{len(xs) - 3})" if len(xs) > 3 else "")
            print(f"| {version} | {sc} | {len(only_real)} {show(only_real)} | "
                  f"{len(only_emu)} {show(only_emu)} | {verdict} |")


if __name__ == "__main__":
    main()
