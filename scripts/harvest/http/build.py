#!/usr/bin/env python3
"""Labels, trims and writes the harvested layouts into the test data directory.

usage: build.py RAW OUT VERSION...

RAW/VERSION/SCENARIO.LAYOUT.log + .records are one run of a driver through the
shared capture (run.sh MODE=layouts). For each kept (scenario, layout) this writes
OUT/VERSION.SCENARIO.LAYOUT.log, .records (byte ranges of the trimmed file) and
.labels (one word per LINE of the log: noise, signal or other), the labels
computed from the structured records by label_records.classify(), never from
the layout text. uvicorn's own default layout (SCENARIO.uvicorn.out, no
records) is labeled by label.py's framing instead.

Trimming keeps whole records only: per scenario, records of one shape
(logger, level, message with numbers masked, exception class) at most CAP
times, records with a traceback at most CAP_TB times.

Which files are kept (to stay within a few MB): every scenario in FULL
layouts; the main noise and the signal scenarios (MAIN) in every layout.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from label_records import classify  # noqa: E402

FULL = ("basic", "bare", "loguru")
MAIN = {"reset", "e502", "e502html", "refused", "reset_recovers", "scanners", "webhook",
        "handler_error", "handler_flood", "e401_poll", "e401_start", "e409", "unclosed",
        "refused_start", "token_garbage", "token_refused", "token_reset", "token_webhook"}
CAP, CAP_TB = 3, 2
RANK = {"other": 0, "noise": 1, "signal": 2}
SHAPE = re.compile(r"0x[0-9a-f]+|\d+")
# local paths that may sit in a record's msg (the log text itself is
# rewritten by capture.rewrite_paths as it is written)
PATHS = [(re.compile(r"/[^\s\"']*/lib/python3\.11/site-packages"),
          "/usr/local/lib/python3.11/site-packages"),
         (re.compile(r"/[^\s\"']*/lib/python3\.11(?=/)"), "/usr/local/lib/python3.11"),
         (re.compile(r"/[^\s\"']*/scripts/harvest/http"), "/srv/bot")]


def clean(v):
    if isinstance(v, str):
        for rx, rep in PATHS:
            v = rx.sub(rep, v)
    elif isinstance(v, list):
        v = [clean(x) for x in v]
    return v


def shape(r):
    return (r.get("kind"), r.get("logger"), r.get("level"),
            SHAPE.sub("N", (r.get("msg") or "")[:200]), r.get("exc_type"))


def line_labels(data, spans):
    """Per-line labels from (start, end, label) spans that tile data."""
    labels = []
    pos, line_start, cur = 0, 0, None
    spans = sorted(spans)
    i = 0
    while line_start < len(data):
        nl = data.find(b"\n", line_start)
        line_end = len(data) if nl < 0 else nl + 1
        best = None
        while i < len(spans) and spans[i][1] <= line_start:
            i += 1
        j = i
        while j < len(spans) and spans[j][0] < line_end:
            lab = spans[j][2]
            if best is None or RANK[lab] > RANK[best]:
                best = lab
            j += 1
        labels.append(best or "other")
        line_start = line_end
    return labels


def build_one(src_log, src_rec, version, out_prefix):
    data = open(src_log, "rb").read()
    recs = [json.loads(l) for l in open(src_rec, encoding="utf-8") if l.strip()]
    seen, out, new_recs, spans = {}, bytearray(), [], []
    for r in recs:
        chunk = data[r["start"]:r["end"]]
        has_tb = bool(r.get("exc_type")) or b"Traceback (most recent call last)" in chunk
        k = shape(r)
        seen[k] = seen.get(k, 0) + 1
        if seen[k] > (CAP_TB if has_tb else CAP):
            continue
        lab = classify(r, version)
        nr = {key: clean(v) for key, v in r.items()}
        nr["start"], nr["end"] = len(out), len(out) + len(chunk)
        nr["label"] = lab
        out += chunk
        new_recs.append(nr)
        spans.append((nr["start"], nr["end"], lab))
    with open(out_prefix + ".log", "wb") as f:
        f.write(out)
    with open(out_prefix + ".records", "w", encoding="utf-8") as f:
        for nr in new_recs:
            f.write(json.dumps(nr) + "\n")
    labels = line_labels(bytes(out), spans)
    with open(out_prefix + ".labels", "w") as f:
        f.write("".join(l + "\n" for l in labels))
    return len(labels)


def build_uvicorn_default(src, out_prefix):
    """uvicorn's own default layout: no records; label.py's framing labels it."""
    import label
    from capture import rewrite_paths  # noqa: F401  (paths: see clean())
    text = open(src, encoding="utf-8", errors="replace").read()
    text = clean(text)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    records = label.frame(lines)
    kept, seen = [], {}
    for rec in records:
        k = SHAPE.sub("N", rec[0] + "\x00" + rec[-1])
        seen[k] = seen.get(k, 0) + 1
        if seen[k] <= (CAP_TB if len(rec) > 1 else CAP):
            kept.append(rec)
    labs = label.classify(kept)
    with open(out_prefix + ".log", "w", encoding="utf-8") as f:
        f.write("".join(l + "\n" for rec in kept for l in rec))
    with open(out_prefix + ".labels", "w") as f:
        f.write("".join(lab + "\n" for rec, lab in zip(kept, labs) for _ in rec))


def main():
    raw, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    total = 0
    for version in sys.argv[3:]:
        vdir = os.path.join(raw, version)
        for name in sorted(os.listdir(vdir)):
            if name.endswith(".uvicorn.out"):
                scenario = name.split(".")[0]
                build_uvicorn_default(os.path.join(vdir, name),
                                      os.path.join(out, f"{version}.{scenario}.uvicorn"))
                continue
            if not name.endswith(".records"):
                continue
            scenario, layout = name[:-len(".records")].split(".", 1)
            if layout not in FULL and scenario not in MAIN:
                continue
            base = os.path.join(vdir, name[:-len(".records")])
            total += build_one(base + ".log", base + ".records", version,
                               os.path.join(out, f"{version}.{scenario}.{layout}"))
    print(f"{total} lines written to {out}")


if __name__ == "__main__":
    main()
