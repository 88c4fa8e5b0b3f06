#!/usr/bin/env python3
"""Label the MTProto harvest per record, trim it, keep it in the test data.

    label.py RAWDIR DESTDIR

RAWDIR holds what run.sh's drivers wrote: for each run LIB-VERSION.SCENARIO
one LIB-VERSION.SCENARIO.LAYOUT.log + .records per layout (layouts.py), and
LIB-VERSION.wobble.nocfg.raw, the same bot with no logging configured.

For every run this picks the records to keep (the first of every kind and
every crash; then up to 24 records in all with a second one of a kind and 3
short DEBUG ones), cuts every layout file to those same records (lines.trim_run), and
keeps in DESTDIR the layouts below, each with a .labels file (one word per
line, from the records: lines.write_labels) and its .records: every field
in the `basic` layout's, the byte ranges only in the others' (the fields
are the same in every layout of a run: join them by id). A few files also
go out behind a docker compose and a journald prefix (prefix.py).

The label of a record comes from `classify_record()` in trim_and_label.py:
the libraries' source, its logger, level, message and exception, never the
layout's text, and never the rule packs. Its decisions are in scripts/harvest/README.md ("Labels").
"""
import glob
import json
import os
import re
import subprocess
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import layouts  # noqa: E402
import lines  # noqa: E402
from trim_and_label import classify_record as classify  # noqa: E402

# scenarios where something must reach the operator: kept in every layout.
# Not auth-unregistered: its one signal is the start-up crash, which Python
# prints outside logging, byte for byte the same in every layout (the auth
# errors a layout formats are in auth-in-handler)
SIGNAL_SCENARIOS = {"wobble", "auth-in-handler", "flood", "clock", "authgen"}
# every scenario is kept in these
BASE_LAYOUTS = {"basic", "bare", "loguru"}
# runs also written behind a collector's prefix: (scenario, layout, kind)
PREFIXED = [("wobble", "basic", "compose"), ("wobble", "asctime", "journald"), ("flood", "basic", "journald"),
            ("flood", "basic", "compose"), ("wobble", "rich", "compose"), ("wobble", "rich", "journald")]
PREFIXED_VERSIONS = {"pyrogram-1.4.16", "pyrogram-2.0.106", "pyrofork-2.4.0rc1", "telethon-1.24.0",
                     "telethon-1.45.0"}
# the layout whose .records keep every field; the others keep the byte
# ranges only (id, kind, start, end): the fields are the same in every
# layout of a run, joined by id
FULL_RECORDS = "basic"

# -- trimming -----------------------------------------------------------------
def kind_key(e):
    """lines.default_key with numbers folded and only the first line of the
    message: asyncio's `Task exception was never retrieved` message holds the
    task's repr (ids, addresses), and each one would be a kind of its own."""
    key = lines.default_key(e)
    return tuple(re.sub(r"\d+", "N", k.split("\n", 1)[0]) if isinstance(k, str) else k for k in key)


def choose(records, per_kind=2, debug_cap=3, max_records=24):
    """The record ids a run keeps (chosen on its fullest layout): the first of
    every kind and every crash, then, up to `max_records`, a second one of
    a kind (one only for a record with a traceback: tracebacks are long in
    rich-tb and loguru), and a few short DEBUG records."""
    seen = Counter()
    first, more = [], []
    debug = 0
    for e in records:
        k = kind_key(e)
        seen[k] += 1
        if e.get("level") == "DEBUG":
            debug += 1
            if debug <= debug_cap and e["end"] - e["start"] <= 300:
                more.append(e["id"])
            continue
        if e.get("tb_module") or seen[k] == 1:
            first.append(e["id"])
        elif seen[k] <= per_kind and not e.get("exc_type"):
            more.append(e["id"])
    return set(first) | set(more[:max(0, max_records - len(first))])


def slim(base):
    """Keep only the byte ranges in BASE.records (after its labels are written)."""
    records = layouts.read_records(base + ".records")
    with open(base + ".records", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps({k: r[k] for k in ("id", "kind", "start", "end")}, separators=(",", ":")) + "\n")


def runs(raw):
    out = set()
    for p in glob.glob(os.path.join(raw, "*.records")):
        name = os.path.basename(p)[:-len(".records")]
        out.add(name.rsplit(".", 1)[0])  # LIB-VERSION.SCENARIO
    return sorted(out)


def label_run(raw, dest, run):
    prefix = os.path.join(raw, run)
    files = lines.run_files(prefix)
    if not files:
        return Counter()
    by = max((lines.base_of(p) for p in files), key=lambda b: len(layouts.read_records(b + ".records")))
    ids = choose(layouts.read_records(by + ".records"))
    scenario = run.rsplit(".", 1)[1]
    tmp = os.path.join(raw, "trimmed")
    os.makedirs(tmp, exist_ok=True)
    counts = Counter()
    for path in lines.trim_run(prefix, os.path.join(tmp, run), ids):
        layout = lines.base_of(path).rsplit(".", 1)[1]
        if layout not in BASE_LAYOUTS and scenario not in SIGNAL_SCENARIOS:
            continue
        base = os.path.join(dest, os.path.basename(lines.base_of(path)))
        data, records = lines.load(lines.base_of(path))
        if not data:
            # nothing printed in this layout (bare: every record below WARNING)
            continue
        lines.save(base, data, records)
        counts.update(lines.write_labels(base + ".log", classify))
        for sc, lay, kind in PREFIXED:
            if sc == scenario and lay == layout and run.rsplit(".", 1)[0] in PREFIXED_VERSIONS:
                subprocess.run([sys.executable, os.path.join(os.path.dirname(HERE), "prefix.py"), kind,
                                base + ".log"], check=True, stdout=subprocess.DEVNULL)
                lines.write_labels(f"{base}.{kind}.log", classify)
                slim(f"{base}.{kind}")
        if layout != FULL_RECORDS:
            slim(base)
    return counts


def main():
    raw, dest = sys.argv[1], sys.argv[2]
    os.makedirs(dest, exist_ok=True)
    for old in glob.glob(os.path.join(dest, "*")):
        if old.endswith((".log", ".labels", ".records")):
            os.remove(old)
    total = Counter()
    for run in runs(raw):
        c = label_run(raw, dest, run)
        total.update(c)
        print(f"{run}: noise {c['noise']}, signal {c['signal']}, other {c['other']} lines")
    print("total lines", dict(total))


if __name__ == "__main__":
    main()
