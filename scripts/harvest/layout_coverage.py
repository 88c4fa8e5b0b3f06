#!/usr/bin/env python3
"""Which of the required layouts each pack rule's [[test]] cases cover.

    layout_coverage.py [--rules DIR] [--data DIR ...] [--verbose] [--all]

For every [[rule]] of every pack in DIR (default `rules/`), finds which
layouts its [[test]] cases (`line` or `record` with `rule = NAME`) are in,
by looking the case's text up in the harvested logs (default
`tests/data/layouts/http` and `tests/data/layouts/mtproto`): a case covers
layout L when its text is, byte for byte and on line boundaries, in some
labeled `LIB-VERSION.SCENARIO.LAYOUT[.PREFIX].log` of that layout. The same
bytes can be in several layouts (a bare continuation line of a multi-line
message is the same in `basic`, `bare` and `loguru`): it covers them all.
A case found in no harvested log (one written for a window, a hand-picked
record) covers nothing.

Required layouts (the issue's list):

    basic     LEVEL:logger:message (logging.basicConfig)
    asctime   asctime - logger - LEVEL - message
    bare      no logging configured (Python's last-resort handler)
    loguru    loguru through the usual InterceptHandler
    rich      RichHandler (`rich` or `rich-tb`)
    hass      Home Assistant's `[logger]` layout
    json      JSON lines (python-json-logger)
    compose   any layout behind docker compose's `service-1  | ` prefix
    journald  any layout behind journald's `Mon DD HH:MM:SS host prog[pid]: `

Prints, per pack, every rule's covered layouts, then the missing (rule,
layout) pairs; pairs that cannot have a test are listed in EXCEPTIONS below
with the reason, and printed apart (`--all` prints them among the missing).
Exits 1 when a pair is missing that is not a known exception, or when an
exception names a pair that is covered now (the list must stay true).
"""

import glob
import os
import re
import sys
import tomllib

REQUIRED = ["basic", "asctime", "bare", "loguru", "rich", "hass", "json", "compose", "journald"]

# Why a (rule, layout) pair can have no harvested test.
BARE_LEVEL = ("the record is {level}: with no logging configured Python's last-resort "
              "handler prints only WARNING and above")
NO_BARE = ("the rule has no `bare = true`: a message that shows no logger is not taken "
           "(its wording is not the library's alone)")
RICH_NO_LOGGER = ("rich shows no logger name and the rule has no `bare = true`: "
                  "the record passes in rich on purpose")
URLLIB3_NULL = ("urllib3's logger has a NullHandler: with no logging configured its records "
                "meet a handler and the last-resort handler prints nothing")
INFO_LAYOUT = "the record is {level}, and this layout's configuration logs INFO and above"
RICH_WRAPS = ("rich wraps this message at its 80-column console: the first line is "
              "`{other}`'s, which takes it")
ONLY_RICH = "only rich wraps a message: the wrapped form is in no other layout"
CONTINUATION_JSON = ("a further line of a multi-line message: a JSON line carries it inside "
                     "the message string, not as a line of its own")
CONTINUATION_RICH = ("a further line of a multi-line message: rich prints it indented in the "
                     "message column, a continuation of the record the first line starts")

# (rule, layout) -> why the pair can have no harvested test.
EXCEPTIONS = {}


def _except(rules, layouts, why):
    for rule in rules:
        for layout in layouts:
            EXCEPTIONS[(rule, layout)] = why


_except(["pyrogram-reconnect-connection", "pyrogram-reconnect-session",
         "telethon-connection-closed", "telethon-reconnect-cycle", "httpx-getupdates",
         "ptb-updater-backoff"], ["bare"], BARE_LEVEL.format(level="INFO"))
_except(["httpcore-request-failed", "urllib3-retry-debug", "urllib3-status-retry",
         "ptb-retry-loop"], ["bare"], BARE_LEVEL.format(level="DEBUG"))
_except(["httpcore-request-failed", "urllib3-retry-debug", "urllib3-status-retry",
         "ptb-retry-loop"], ["asctime", "hass", "json"], INFO_LAYOUT.format(level="DEBUG"))
_except(["pyrogram-reconnect-connection-plain", "pyrogram-reconnect-session-plain",
         "telethon-server-closed-plain"], ["bare"], BARE_LEVEL.format(level="INFO"))
_except(["pyrogram-reconnect-connection-plain", "pyrogram-reconnect-session-plain",
         "telethon-server-closed-plain", "ptb-updater-backoff", "ptb-vendored-urllib3-retry",
         "urllib3-status-retry"], ["rich"], RICH_NO_LOGGER)
_except(["ptb-vendored-urllib3-retry"], ["bare"], NO_BARE)
_except(["urllib3-retrying"], ["bare"], URLLIB3_NULL)
_except(["urllib3-retrying"], ["rich"], RICH_WRAPS.format(other="urllib3-retry-wrapped"))
_except(["aiogram-fetch-updates-failed"], ["rich"],
        RICH_WRAPS.format(other="aiogram-fetch-updates-wrapped"))
_except(["httpcore-request-failed"], ["rich"],
        RICH_WRAPS.format(other="httpcore-request-failed-wrapped"))
_except(["ptb-retry-loop"], ["rich"], RICH_WRAPS.format(other="ptb-retry-loop-wrapped"))
_except(["telethon-bad-packet"], ["rich"], RICH_WRAPS.format(other="telethon-bad-packet-wrapped"))
_except(["urllib3-retry-debug"], ["rich"], RICH_WRAPS.format(other="urllib3-retry-wrapped"))
_except(["aiogram-fetch-updates-wrapped", "urllib3-retry-wrapped", "httpcore-request-failed-wrapped",
         "ptb-retry-loop-wrapped", "telethon-bad-packet-wrapped"],
        ["basic", "asctime", "bare", "loguru", "hass", "json"], ONLY_RICH)
_except(["aiogram-error-details", "nginx-5xx-page-title", "nginx-error-page-frame"],
        ["json"], CONTINUATION_JSON)
_except(["aiogram-error-details", "nginx-5xx-page-title", "nginx-error-page-frame"],
        ["rich"], CONTINUATION_RICH)
_except(["aiogram-handler-network-error"], ["rich"],
        "rich prints the message's second line (the exception class) inside the record of its "
        "first line, `Cause exception while process update`, which passes: its tail, the "
        "innermost cause of a chained traceback that rich splits at its blank lines, is the "
        "same for a handler's own network call")


PREFIXES = ("compose", "compose-v1", "docker-ts", "journald", "kubectl")


def layout_of(path):
    """LIB-VERSION.SCENARIO.LAYOUT[.PREFIX].log -> LAYOUT[.PREFIX] (no layout
    or prefix name has a dot; versions and scenarios may)."""
    parts = os.path.basename(path)[: -len(".log")].split(".")
    if parts[-1] in PREFIXES:
        return parts[-2] + "." + parts[-1]
    return parts[-1]


def required_of(layout):
    """The required layouts a harvested file's layout counts for."""
    out = set()
    if layout.endswith(".compose"):
        out.add("compose")
    elif layout.endswith(".journald"):
        out.add("journald")
    elif layout in ("rich", "rich-tb"):
        out.add("rich")
    elif layout in REQUIRED:
        out.add(layout)
    return out


def load_logs(dirs):
    """[(path, layout, text)] of every labeled log; an index first line -> files."""
    logs = []
    first = {}
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "**", "*.log"), recursive=True)):
            if not os.path.exists(path[: -len(".log")] + ".labels"):
                continue
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            if not text.endswith("\n"):
                text += "\n"
            i = len(logs)
            logs.append((path, layout_of(path), "\n" + text))
            for line in set(text.split("\n")):
                first.setdefault(line, []).append(i)
    return logs, first


def found_in(case, logs, first):
    """The harvested files that hold the case's text on line boundaries."""
    head = case.split("\n", 1)[0]
    needle = "\n" + case + "\n"
    return [logs[i] for i in first.get(head, []) if needle in logs[i][2]]


def load_packs(rules_dir):
    packs = []
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.toml"))):
        with open(path, "rb") as f:
            spec = tomllib.load(f)
        rules = [r["name"] for r in spec.get("rule", [])]
        if not rules:
            continue
        tests = []
        for t in spec.get("test", []):
            text = t.get("line", t.get("record"))
            if t.get("rule") and text is not None:
                tests.append((t["rule"], text))
        packs.append((os.path.basename(path)[: -len(".toml")], rules, tests))
    return packs


def main(argv):
    def option(name, default, many=False):
        values = []
        while name in argv:
            i = argv.index(name)
            values.append(argv[i + 1])
            del argv[i : i + 2]
        if many:
            return values or default
        return values[-1] if values else default

    rules_dir = option("--rules", "rules")
    dirs = option("--data", ["tests/data/layouts/http", "tests/data/layouts/mtproto"], many=True)
    verbose = "--verbose" in argv
    show_all = "--all" in argv
    logs, first = load_logs(dirs)
    missing, excused, stale = [], [], []
    for pack, rules, tests in load_packs(rules_dir):
        print(f"== {pack}")
        for rule in rules:
            covered = {}
            for name, text in tests:
                if name != rule:
                    continue
                for path, layout, _ in found_in(text, logs, first):
                    for req in required_of(layout):
                        covered.setdefault(req, os.path.basename(path))
            lacks = [req for req in REQUIRED if req not in covered]
            print(f"  {rule}: {' '.join(r for r in REQUIRED if r in covered) or '-'}")
            if verbose:
                for req in REQUIRED:
                    if req in covered:
                        print(f"      {req:9} {covered[req]}")
            for req in REQUIRED:
                why = EXCEPTIONS.get((rule, req)) or EXCEPTIONS.get((rule, "*"))
                if req in covered:
                    if (rule, req) in EXCEPTIONS:
                        stale.append((pack, rule, req))
                elif why:
                    excused.append((pack, rule, req, why))
                else:
                    missing.append((pack, rule, req))
    print()
    print(f"missing (rule, layout) pairs: {len(missing)}")
    for pack, rule, req in missing:
        print(f"  {pack:20} {rule:40} {req}")
    print(f"known exceptions: {len(excused)}" + ("" if show_all else " (--all lists them)"))
    if show_all:
        for pack, rule, req, why in excused:
            print(f"  {pack:20} {rule:40} {req:9} {why}")
    for pack, rule, req in stale:
        print(f"stale exception: {rule} {req} is covered now", file=sys.stderr)
    return 1 if missing or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
