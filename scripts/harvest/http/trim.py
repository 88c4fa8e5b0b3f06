#!/usr/bin/env python3
"""Concatenates one library's raw scenario logs (one layout) into one trimmed log.

usage: trim.py --lib LIB --versions FREEZE_FILE [--cap N] RAW.log... > OUT.log

Each scenario starts with a marker line "# harvest LIB (pkg==ver ...): SCENARIO".
Within a scenario, records of the same shape (digits, addresses and ports
masked) are kept at most --cap times, so the floods stay floods but the
files stay small. Records with a traceback are kept at most --cap-traceback
times per file for each first line and exception class (with the start of
its message): a long traceback says nothing new the second time. Records are never cut.
"""
import argparse
import os
import re

from label import frame

SHAPE = re.compile(r"0x[0-9a-f]+|\d+")


def shape(rec):
    key = rec[0]
    # drop the timestamp so equal messages at different times collapse
    key = re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", "", key)
    last = rec[-1] if len(rec) > 1 else ""
    return SHAPE.sub("N", key + "\x00" + last)


def tb_shape(rec):
    first = re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", "", rec[0])
    last = next((l for l in reversed(rec) if l.strip()), "")
    m = re.match(r"[\w.]+(: [\w.]+)?", last)
    return SHAPE.sub("N", first) + "\x00" + (m.group(0) if m else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--versions", required=True)
    ap.add_argument("--cap", type=int, default=8)
    ap.add_argument("--cap-traceback", type=int, default=2,
                    help="cap for records that carry a traceback, per file")
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    pins = a.lib
    if os.path.exists(a.versions):
        with open(a.versions) as f:
            wanted = ("aiogram", "python-telegram-bot", "httpx", "httpcore", "aiohttp",
                      "requests", "urllib3", "uvicorn", "h11")
            pins = " ".join(l.strip() for l in f if l.split("==")[0].lower() in wanted)
    out = []
    seen_tb = {}
    for path in sorted(a.logs):
        scenario = os.path.basename(path).split(".")[0]
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        out.append(f"# harvest {a.lib} ({pins}): {scenario}")
        seen = {}
        for rec in frame(lines):
            if len(rec) > 3:
                # a traceback: kept --cap-traceback times per file for each
                # (first line, exception class and the start of its message)
                k = tb_shape(rec)
                seen_tb[k] = seen_tb.get(k, 0) + 1
                keep = seen_tb[k] <= a.cap_traceback
            else:
                k = shape(rec)
                seen[k] = seen.get(k, 0) + 1
                keep = seen[k] <= a.cap
            if keep:
                out.extend(rec)
    print("\n".join(out))


if __name__ == "__main__":
    main()
