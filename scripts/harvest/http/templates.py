#!/usr/bin/env python3
"""Lists every distinct noise and signal message template per library version.

usage: templates.py RAW_DIR > TEMPLATES.md

RAW_DIR is run.sh's output: RAW_DIR/VERSION/SCENARIO.sidecar (HARVEST_SIDECAR=1)
holds each record's logger, level, unformatted message (`fmt`), exception
class, and the library file and function that logged it (logging's own
pathname/funcName), so the list says where each wording comes from.
Numbers, ports, addresses and tokens in a template are masked.
"""
import glob
import json
import os
import re
import sys

from build import clean
from label_records import classify

MASKS = [
    (re.compile(r"\d{6,10}:[A-Za-z0-9_-]{20,}|123456:TEST-TOKEN-abcdef"), "<TOKEN>"),
    (re.compile(r"0x[0-9a-f]+"), "0x…"),
    (re.compile(r"\d+(\.\d+)?"), "N"),
]


def mask(s):
    s = clean(s).replace("\n", "⏎")
    for rx, rep in MASKS:
        s = rx.sub(rep, s)
    return s[:220]


def where(pathname, func):
    p = pathname.replace("\\", "/")
    for marker in ("site-packages/", "lib/python3.11/"):
        if marker in p:
            p = p.split(marker, 1)[1]
            break
    else:
        p = "driver: " + os.path.basename(p)
    return f"`{p}` `{func}()`"


def main():
    raw = sys.argv[1]
    print("# Message templates of the HTTP bot libraries, per version\n")
    print("Made by `templates.py` from the records of `scripts/harvest/http/run.sh`")
    print("(`RAW/VERSION/*.sidecar`): every distinct (logger, level, message")
    print("template, exception class) the drivers' runs logged, labeled by")
    print("`label_records.py`, with the file and function that logged it (logging's own")
    print("`pathname`/`funcName`). `N` masks numbers, `<TOKEN>` the bot token, `⏎` a line")
    print("break inside the message. Lines written outside logging (uncaught tracebacks,")
    print("warnings) are not records and are not listed; they are `signal` when they are")
    print("a traceback. asyncio's `Unclosed client session` / `Unclosed connector` are")
    print("logged by asyncio's default exception handler for aiohttp's")
    print("`ClientSession.__del__` / `BaseConnector.__del__` (aiohttp/client.py,")
    print("aiohttp/connector.py); `Task exception was never retrieved` by asyncio's")
    print("`Task.__del__` (asyncio/base_events.py `default_exception_handler()`).\n")
    for vdir in sorted(glob.glob(os.path.join(raw, "*/"))):
        version = os.path.basename(vdir.rstrip("/"))
        pins = ""
        vf = os.path.join(vdir, "versions.txt")
        if os.path.exists(vf):
            wanted = ("aiogram", "python-telegram-bot", "httpx", "httpcore", "aiohttp",
                      "requests", "urllib3", "uvicorn", "h11")
            pins = " ".join(l.strip() for l in open(vf) if l.split("==")[0].lower() in wanted)
        seen = {}
        for side in sorted(glob.glob(os.path.join(vdir, "*.sidecar"))):
            scenario = os.path.basename(side).split(".")[0]
            for line in open(side, encoding="utf-8"):
                r = json.loads(line)
                if r["level"] not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
                    continue  # a LogRecord a formatter made for itself, not a log call
                lab = classify(r, version)
                if lab == "other":
                    continue
                exc = r.get("exc_type") or ""
                # the bot libraries put the exception class and text into the
                # message's arguments: one row per wording they produce
                detail = mask(r["msg"])[:90] if r["logger"].startswith(("aiogram", "telegram")) \
                    and "%" in (r.get("fmt") or "") else ""
                key = (lab, r["logger"], r["level"], mask(r.get("fmt") or r["msg"]), exc, detail)
                if key not in seen:
                    seen[key] = [where(r["pathname"], r["funcName"]), mask(r["msg"]), set()]
                seen[key][2].add(scenario)
        print(f"## {version}\n\n{pins}\n")
        for lab in ("noise", "signal"):
            rows = sorted((k, v) for k, v in seen.items() if k[0] == lab)
            print(f"### {lab} ({len(rows)})\n")
            print("| logger | level | template (logged as) | exception | source | scenarios |")
            print("| --- | --- | --- | --- | --- | --- |")
            for (l, logger, level, tmpl, exc, _), (src, example, scs) in rows:
                shown = tmpl if tmpl == example else f"{tmpl} (e.g. {example})"
                shown = shown.replace("|", "\\|")
                print(f"| `{logger}` | {level} | {shown} | {exc or ''} | {src} | "
                      f"{', '.join(sorted(scs))} |")
            print()


if __name__ == "__main__":
    main()
