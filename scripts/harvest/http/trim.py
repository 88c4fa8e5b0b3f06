#!/usr/bin/env python3
"""Concatenates one library's raw scenario logs (one layout) into one trimmed log.

usage: trim.py --lib LIB --versions FREEZE_FILE [--cap N] RAW.log... > OUT.log

Each scenario starts with a marker line "# harvest LIB (pkg==ver ...): SCENARIO".
Within a scenario, records of the same shape (digits, addresses and ports
masked; first line plus final exception line) are kept at most --cap times,
so the floods stay floods but the files stay small (records with a
traceback: --cap-traceback times). Records are never cut.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--versions", required=True)
    ap.add_argument("--cap", type=int, default=8)
    ap.add_argument("--cap-traceback", type=int, default=3,
                    help="cap for records that carry a traceback")
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    pins = a.lib
    if os.path.exists(a.versions):
        with open(a.versions) as f:
            wanted = ("aiogram", "python-telegram-bot", "httpx", "httpcore", "aiohttp",
                      "requests", "urllib3", "uvicorn", "h11")
            pins = " ".join(l.strip() for l in f if l.split("==")[0].lower() in wanted)
    out = []
    for path in sorted(a.logs):
        scenario = os.path.basename(path).split(".")[0]
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        out.append(f"# harvest {a.lib} ({pins}): {scenario}")
        seen = {}
        for rec in frame(lines):
            k = shape(rec)
            seen[k] = seen.get(k, 0) + 1
            cap = a.cap_traceback if len(rec) > 3 else a.cap
            if seen[k] <= cap:
                out.extend(rec)
    print("\n".join(out))


if __name__ == "__main__":
    main()
