#!/usr/bin/env python3
"""Where the bot token shows in what the libraries print.

usage: tokens.py RAW VERSION...

Looks for the realistic fake token (common.realistic_token()) and the dummy
one in every record of each run's `basic` layout (RAW/VERSION/SCENARIO.basic.records
and .log): as written or URL-encoded (`%3A`), in the message, in the exception's message, or only in the
traceback text (a source line or a chained exception), or in what was
written to stderr outside logging. Prints one row per (version, logger,
level, template, where).
"""
import json
import os
import re
import sys

from common import TOKEN, realistic_token

SHAPE = re.compile(r"0x[0-9a-f]+|\d+")


def main():
    raw = sys.argv[1]
    toks = [realistic_token(), TOKEN]
    # an access log quotes the path URL-encoded: the colon as %3A
    toks += [t.replace(":", "%3A") for t in toks]
    rows = {}
    for version in sys.argv[2:]:
        vdir = os.path.join(raw, version)
        for name in sorted(os.listdir(vdir)):
            if not name.endswith(".basic.records"):
                continue
            scenario = name.split(".")[0]
            data = open(os.path.join(vdir, name[:-len(".records")] + ".log"), "rb").read()
            for line in open(os.path.join(vdir, name), encoding="utf-8"):
                r = json.loads(line)
                text = data[r["start"]:r["end"]].decode("utf-8", "replace")
                if not any(t in text for t in toks):
                    continue
                msg, exc_msg = r.get("msg") or "", r.get("exc_msg") or ""
                if r["kind"] != "log":
                    where = "stderr (uncaught traceback)" if r.get("exc_type") else "stderr"
                elif any(t in msg for t in toks):
                    where = "message"
                elif any(t in exc_msg for t in toks):
                    where = f"exception message ({r.get('exc_type')})"
                else:
                    where = "traceback text"
                tmpl = r.get("template") or msg
                for t in toks:
                    tmpl = tmpl.replace(t, "<TOKEN>")
                tmpl = SHAPE.sub("N", tmpl.split("\n")[0])[:100]
                key = (version, r.get("logger") or "-", r.get("level") or "-", tmpl, where)
                rows.setdefault(key, set()).add(scenario)
    print("| version | logger | level | message | where the token is | scenarios |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (v, lg, lv, tmpl, where), scs in sorted(rows.items()):
        tmpl = tmpl.replace("|", "\\|")
        print(f"| {v} | `{lg}` | {lv} | {tmpl} | {where} | {', '.join(sorted(scs))} |")


if __name__ == "__main__":
    main()
