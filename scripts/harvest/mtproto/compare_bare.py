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
the emulation. Lines only in the real run are then looked for in every other
emulated run of the version (which exceptions happen depends on timing),
and every real line is checked against the levels its message was logged
at in the captured runs: no message logged only below WARNING may appear.
Exit status 1 if one does. With DESTDIR, the
real run's output (paths rewritten, at most 200 lines) is kept there as
LIB-VERSION.wobble.nocfg.log, unlabeled, for reference.
"""
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import rewrite_paths  # noqa: E402

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


def template_levels(raw, ver):
    """[(regex, levels)] for every message template of the version's captured
    runs (their .basic.records: every record, DEBUG included). Templates, not
    messages: pyrogram logs one template at INFO or at WARNING depending on
    the retries left."""
    levels = {}
    for path in glob.glob(os.path.join(raw, ver + ".*.basic.records")):
        with open(path, encoding="utf-8") as f:
            for l in f:
                e = json.loads(l)
                if e["kind"] == "log":
                    t = (e.get("template") or e["msg"]).split("\n", 1)[0]
                    levels.setdefault(t, set()).add(e["level"])
    out = []
    for t, lv in levels.items():
        parts = re.split(r"%[-#0 +]*\d*(?:\.\d+)?[sdrfix]", t)
        rx = re.compile("^" + ".*".join(re.escape(shape(p)) for p in parts) + "$")
        out.append((rx, lv))
    return out


# pyrogram picks the level of one message at run time (Session.invoke:
# `(log.warning if retries < 2 else log.info)(...)`); 1.x's f-string has no
# template to tell the calls apart
RUNTIME_LEVEL = re.compile(r'^\[N\] Retrying ".*" due to')


def only_below_warning(line, templates):
    if RUNTIME_LEVEL.match(line):
        return False
    hits = [lv for rx, lv in templates if rx.match(line)]
    return bool(hits) and not set().union(*hits) & {"WARNING", "ERROR", "CRITICAL"}


def main():
    raw = sys.argv[1]
    dest = sys.argv[2] if len(sys.argv) > 2 else None
    bad = 0
    print("| version | line shapes (real) | also in emulated wobble | also in another emulated run | "
          "only real | only emulated wobble | real lines of INFO/DEBUG messages |")
    print("|---|---|---|---|---|---|---|")
    notes = []
    for real_path in sorted(glob.glob(os.path.join(raw, "*.wobble.nocfg.raw"))):
        ver = os.path.basename(real_path)[:-len(".wobble.nocfg.raw")]
        emu_path = os.path.join(raw, ver + ".wobble.bare.log")
        if not os.path.exists(emu_path):
            continue
        text, real = shapes(real_path, rewrite=True)
        _, emu = shapes(emu_path)
        emu_all = set()
        for p in glob.glob(os.path.join(raw, ver + ".*.bare.log")):
            emu_all |= shapes(p)[1]
        templates = template_levels(raw, ver)
        # a message only ever logged below WARNING must not reach a bare run
        low = sorted(s for s in real if only_below_warning(s, templates))
        only_real = sorted(real - emu_all)
        only_emu = sorted(emu - real)
        print(f"| {ver} | {len(real)} | {len(real & emu)} | {len((real - emu) & emu_all)} | "
              f"{len(only_real)} | {len(only_emu)} | {len(low)} |")
        bad += len(low)
        for s in only_real:
            notes.append(f"{ver} only real: {s[:160]}")
        for s in low:
            notes.append(f"{ver} INFO/DEBUG message in the real bare run: {s[:160]}")
        if dest:
            kept = text.splitlines(keepends=True)[:200]
            with open(os.path.join(dest, ver + ".wobble.nocfg.log"), "w", encoding="utf-8") as f:
                f.write("".join(kept))
    print()
    for n in notes:
        print("    " + n)
    print(f"\n{bad} line(s) of messages logged only below WARNING in the real runs")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
