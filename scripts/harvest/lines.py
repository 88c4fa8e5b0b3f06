#!/usr/bin/env python3
"""From records to lines: per-line labels, and trimming on record boundaries.

A harvest labels RECORDS (layouts.py's .records entries: logger, level,
message, exception); what logdedup sees and scoring counts are LINES. This
module turns one into the other, the same way for every layout, so a score
no longer depends on how a layout frames records.

    import lines
    lines.write_labels("run/pyrogram-2.0.106.wobble.rich.log", label)   # -> .labels
    ids = lines.select_ids(lines.load("run/pyrogram-2.0.106.wobble.basic")[1])
    lines.trim_run("run/pyrogram-2.0.106.wobble", "out/pyrogram-2.0.106.wobble", ids)

`label(entry)` returns "noise", "signal" or "other" for one .records entry.
A line gets the label of the records it holds bytes of; when a line holds
bytes of several (a record that starts mid-line), signal wins over other,
and other over noise: a line is noise only if all of it is.

Command line:

    lines.py trim IN_PREFIX OUT_PREFIX [--per-kind 3] [--max-records 80] [--by LAYOUT]

trims every IN_PREFIX.LAYOUT[.PREFIX].log to the same records, chosen on
the --by layout (default: the one with the most records).
"""
import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import layouts  # noqa: E402

RANK = {"noise": 0, "other": 1, "signal": 2}


def load(base):
    """(data, records) of BASE.log / BASE.records."""
    with open(base + ".log", "rb") as f:
        data = f.read()
    return data, layouts.read_records(base + ".records")


def base_of(log_path):
    return log_path[:-len(".log")] if log_path.endswith(".log") else log_path


def line_spans(data):
    """[(start, end)] of each line, its newline included."""
    spans, pos = [], 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        end = len(data) if nl == -1 else nl + 1
        spans.append((pos, end))
        pos = end
    return spans


def line_labels(data, records, label):
    """One label per line of `data`."""
    out = []
    ri = 0
    for start, end in line_spans(data):
        while ri < len(records) and records[ri]["end"] <= start:
            ri += 1
        best = None
        k = ri
        while k < len(records) and records[k]["start"] < end:
            lab = label(records[k])
            if lab not in RANK:
                raise ValueError(f"label {lab!r} for record {records[k]['id']}: want noise, signal or other")
            if best is None or RANK[lab] > RANK[best]:
                best = lab
            k += 1
        out.append(best or "other")
    return out


def write_labels(log_path, label):
    """Write LOG's .labels (one word per line) from its .records."""
    base = base_of(log_path)
    data, records = load(base)
    labels = line_labels(data, records, label)
    with open(base + ".labels", "w") as f:
        f.write("".join(l + "\n" for l in labels))
    return labels


def default_key(e):
    """What counts as one kind of record for trimming: same logger, level,
    message template and exception type; for stderr, the exception type or
    the first line."""
    if e["kind"] == "log":
        return ("log", e["logger"], e["level"], e.get("template") or e["msg"], e["exc_type"])
    first = e["msg"].split("\n", 1)[0]
    return (e["kind"], e["exc_type"] or first)


def select_ids(records, per_kind=3, max_records=80, key=default_key):
    """The ids to keep: at most `per_kind` records of one kind (the first
    ones), every uncaught crash (tb_module), then at most `max_records`, the
    start and the end of the log."""
    seen = {}
    kept = []
    for e in records:
        k = key(e)
        n = seen.get(k, 0)
        if n < per_kind or e.get("tb_module"):
            kept.append(e["id"])
        seen[k] = n + 1
    if len(kept) > max_records:
        head = max_records // 2
        kept = kept[:head] + kept[len(kept) - (max_records - head):]
    return set(kept)


def units(data, records):
    """Records grouped so that each group ends at a line end: a record that
    ends mid-line is kept or dropped with the next one."""
    groups, cur = [], []
    for e in records:
        cur.append(e)
        if e["end"] == len(data) or data[e["end"] - 1:e["end"]] == b"\n":
            groups.append(cur)
            cur = []
    if cur:
        groups.append(cur)
    return groups


def cut(data, records, ids):
    """(data, records) keeping the records whose id is in `ids` (whole
    lines: a group sharing a line is kept if any of it is wanted)."""
    out = bytearray()
    new = []
    for group in units(data, records):
        if not any(e["id"] in ids for e in group):
            continue
        for e in group:
            r = dict(e)
            r["start"] = len(out)
            out += data[e["start"]:e["end"]]
            r["end"] = len(out)
            new.append(r)
    return bytes(out), new


def save(base, data, records):
    with open(base + ".log", "wb") as f:
        f.write(data)
    with open(base + ".records", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def run_files(prefix):
    """The layout files of one run: PREFIX.LAYOUT[.PREFIX].log with records."""
    return sorted(p for p in glob.glob(glob.escape(prefix) + ".*.log")
                  if os.path.exists(base_of(p) + ".records"))


def trim_run(in_prefix, out_prefix, ids):
    """Trim every layout file of a run to the records `ids`."""
    written = []
    for path in run_files(in_prefix):
        suffix = base_of(path)[len(in_prefix):]
        data, records = load(base_of(path))
        new_data, new_records = cut(data, records, ids)
        save(out_prefix + suffix, new_data, new_records)
        written.append(out_prefix + suffix + ".log")
    return written


def main(argv):
    ap = argparse.ArgumentParser(description="Trim a run's layout files on record boundaries.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("trim")
    t.add_argument("in_prefix")
    t.add_argument("out_prefix")
    t.add_argument("--per-kind", type=int, default=3)
    t.add_argument("--max-records", type=int, default=80)
    t.add_argument("--by", help="the layout that chooses the records (default: the one with most)")
    args = ap.parse_args(argv[1:])
    files = run_files(args.in_prefix)
    if not files:
        print(f"no PREFIX.LAYOUT.log with .records for {args.in_prefix}", file=sys.stderr)
        return 2
    if args.by:
        by = f"{args.in_prefix}.{args.by}"
    else:
        by = max((base_of(p) for p in files), key=lambda b: len(layouts.read_records(b + ".records")))
    ids = select_ids(layouts.read_records(by + ".records"), args.per_kind, args.max_records)
    for p in trim_run(args.in_prefix, args.out_prefix, ids):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
