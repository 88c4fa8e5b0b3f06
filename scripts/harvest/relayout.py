#!/usr/bin/env python3
"""Re-render harvested logs in layouts the harvest never printed, to see
how the packs hold in a deployment we have not met.

    relayout.py OUT_DIR [SRC_DIR ...]

Reads every `*.asctime.log` (`%(asctime)s - %(name)s - %(levelname)s -
%(message)s`, the harvest's stdlib layout) with its `.labels` under the
SRC_DIRs (default: tests/data/layouts/http and tests/data/layouts/mtproto)
and writes, for each layout in LAYOUTS below, OUT_DIR/NAME.LAYOUT.log with
the same `.labels`: a record's first line is written anew from its time,
logger, level and message; every other line (tracebacks, the rest of a
message that spans lines) is copied as it is, so the labels still line up
line for line. Score the result with

    score.py target/release/logdedup OUT_DIR [--rules -r builtin:all]

The layouts are format strings found in bots' and frameworks' logging
set-ups that none of the harvest's layouts is (scripts/harvest/layouts.py
lists those): other separators, the logger before the level with a line
number, the level first, padded columns, a process id, a module and
function instead of the logger, logfmt. None of them is a preset of the
layout recognizer by name; they test the loose reading and the packs'
wording matched where the message is not where a preset would put it.
"""
import datetime
import os
import re
import sys

LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - (?P<name>\S+) - "
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) - (?P<msg>.*)$"
)


def short(name):
    """The module's last part, as %(module)s shows it."""
    return name.rsplit(".", 1)[-1]


def logfmt(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# name -> function(time, name, level, msg) -> first line
LAYOUTS = {
    # %(asctime)s %(levelname)s %(name)s %(message)s
    "space": lambda t, n, l, m: f"{t} {l} {n} {m}",
    # %(asctime)s - %(name)s:%(lineno)d - %(levelname)s - %(message)s
    "name-lineno": lambda t, n, l, m: f"{t} - {n}:120 - {l} - {m}",
    # [%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s
    "airflow": lambda t, n, l, m: f"[{t}] {{{short(n)}.py:120}} {l} - {m}",
    # %(levelname)s [%(name)s] %(message)s
    "level-bracket-name": lambda t, n, l, m: f"{l} [{n}] {m}",
    # [%(levelname)s] %(asctime)s %(name)s: %(message)s
    "level-time-name": lambda t, n, l, m: f"[{l}] {t} {n}: {m}",
    # %(asctime)s | %(levelname)-8s | %(name)s | %(message)s
    "pipes-padded": lambda t, n, l, m: f"{t} | {l:<8} | {n} | {m}",
    # %(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s
    "pid": lambda t, n, l, m: f"{t} [4242] [{l}] {n}: {m}",
    # %(asctime)s %(name)-12s %(levelname)-8s %(message)s  (the logging cookbook)
    "cookbook": lambda t, n, l, m: f"{t} {n:<12} {l:<8} {m}",
    # %(asctime)s.%(msecs)03d %(levelname)s %(module)s - %(funcName)s: %(message)s
    "module-func": lambda t, n, l, m: f"{t[:19]}.{t[20:]} {l} {short(n)} - run: {m}",
    # %(levelname)-8s %(asctime)s %(name)s %(message)s
    "level-first": lambda t, n, l, m: f"{l:<8} {t} {n} {m}",
    # time=... level=... logger=... msg="..."  (logfmt)
    "logfmt": lambda t, n, l, m: f"time={logfmt(t)} level={l.lower()} logger={n} msg={logfmt(m)}",
    # %(asctime)s %(threadName)s %(levelname)s %(name)s: %(message)s, ISO time
    "iso-thread": lambda t, n, l, m: (
        datetime.datetime.strptime(t, "%Y-%m-%d %H:%M:%S,%f").strftime("%Y-%m-%dT%H:%M:%S.%f")[:23]
        + f"Z MainThread {l} {n}: {m}"
    ),
}


def relayout(src, out_dir, name, render):
    base = os.path.basename(src)[: -len(".asctime.log")]
    with open(src, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().split("\n")
    out = []
    for line in lines:
        m = LINE.match(line)
        out.append(render(m["time"], m["name"], m["level"], m["msg"]) if m else line)
    dst = os.path.join(out_dir, f"{base}.{name}.log")
    with open(dst, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n".join(out))
    labels = src[: -len(".log")] + ".labels"
    with open(labels, encoding="utf-8") as f, open(dst[: -len(".log")] + ".labels", "w") as g:
        g.write(f.read())


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out_dir, srcs = argv[0], argv[1:] or ["tests/data/layouts/http", "tests/data/layouts/mtproto"]
    os.makedirs(out_dir, exist_ok=True)
    n = 0
    for d in srcs:
        for entry in sorted(os.listdir(d)):
            if entry.endswith(".asctime.log") and os.path.exists(os.path.join(d, entry[:-4] + ".labels")):
                for name, render in LAYOUTS.items():
                    relayout(os.path.join(d, entry), out_dir, name, render)
                    n += 1
    print(f"{n} logs written to {out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
