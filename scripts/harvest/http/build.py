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

Trimming is lines.py's, on record and line boundaries, per layout file: at
most PER_KIND records of one kind (logger, level, template with numbers
masked, exception class), every uncaught crash, at most MAX_RECORDS records
(never a noise or signal record: the DEBUG chatter goes first).

Which files are kept (to stay within a few MB): every scenario in FULL
layouts; the main noise and the signal scenarios (MAIN) in every layout.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import lines  # noqa: E402  (scripts/harvest/lines.py)
from label_records import classify  # noqa: E402

FULL = ("basic", "bare", "loguru")
# the layouts of the MAIN scenarios (telethon-docs is Telethon's, not these libraries')
EVERY = ("asctime", "message", "pyro-bot", "aiogram-line", "pyro-fileline", "hass", "rich",
         "rich-tb", "json", "structlog")
# per library: the main noise scenarios and the signal scenarios
# (a handler's network failure, a proxy's HTML page, PTB's manual polling,
# its vendored urllib3's retries and its updater's back-off after a polling
# 429 are in every layout too: their rules' tests,
# scripts/harvest/layout_coverage.py)
MAIN = {
    "aiogram": {"reset", "handler_error", "handler_flood", "e401_poll", "e409", "unclosed",
                "handler_network", "e502html"},
    "ptb": {"reset", "handler_error", "handler_flood", "e401_poll", "e409",
            "e502html", "manual_reset", "refused_start", "e429"},
    "urllib3": {"reset_recovers", "refused"},
    "uvicorn": {"scanners", "handler_error"},
}
# the realistic-token scenarios: in the FULL layouts and these
TOKEN_LAYOUTS = ("asctime", "json")
PER_KIND, MAX_RECORDS = 2, 12
SHAPE = re.compile(r"0x[0-9a-f]+|\d+")
# local paths that may sit in a record's msg (the capture rewrites the text
# and, in its newer versions, the records alike: this is the safety net)
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


# The same for the text, where a layout wrapped a path over two lines (rich)
# or printed one as a value (loguru's diagnose) before the capture's rewrite
# saw it whole: the local prefixes alone are replaced, record by record.
_HOME_PARTS = [re.escape(p.rstrip("/")) for p in {
    os.environ.get("HARVEST_VENVS") or "",
    os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                 "logdedup", "harvest"),
} if p]
TEXT_PATHS = [(re.compile(("(?:" + "|".join(_HOME_PARTS) + r")/[^/\s'\"]+").encode()),
               b"/usr/local")] if _HOME_PARTS else []
TEXT_PATHS += [(re.compile(rb"/[^\s'\"]*/\.pyenv/versions/[^/\s'\"]+"), b"/usr/local"),
               (re.compile(rb"/[^\s'\"]*/scripts/harvest/http"), b"/srv/bot"),
               # loguru's diagnose cuts a long repr: "defined at /root/.cache/logdedup..."
               (re.compile(re.escape(os.path.expanduser("~")).encode() + rb"/[^\s'\"]*?\.\.\."),
                b"/usr/local/lib/python3.11/..."),
               # the checkout itself, when rich wrapped the driver's path inside it
               (re.compile(re.escape(os.path.abspath(os.path.join(
                   os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))).encode()),
                b"/srv")]


def clean_text(data, records):
    """(data, records) with TEXT_PATHS rewritten inside each record's bytes."""
    out, new = bytearray(), []
    for r in records:
        chunk = data[r["start"]:r["end"]]
        for rx, rep in TEXT_PATHS:
            chunk = rx.sub(rep, chunk)
        r = dict(r)
        r["start"] = len(out)
        out += chunk
        r["end"] = len(out)
        new.append(r)
    return bytes(out), new


def kind_key(e):
    """lines.default_key with numbers masked: aiogram 2 logs f-strings, so
    its template is the formatted message."""
    k = lines.default_key(e)
    return tuple(SHAPE.sub("N", x) if isinstance(x, str) else x for x in k)


# layouts that print a traceback at many times its plain size (loguru's
# variable values, rich's panels): one traceback per exception class per file
WIDE_TB = ("loguru", "rich", "rich-tb")


def select_ids(records, version, wide=False):
    """Like lines.select_ids, on what the packs are about: at most PER_KIND
    records of a kind (one for a record with a traceback, which says nothing
    new the second time, and for DEBUG traces), every uncaught crash; then,
    over MAX_RECORDS, the `other` DEBUG records go first (the start and end
    of the run are kept), never a noise or signal record."""
    seen, kept = {}, []
    for e in records:
        k = kind_key(e)
        if wide and e.get("exc_type") and not e.get("tb_module"):
            k = ("wide-tb", e["exc_type"])
        n = seen.get(k, 0)
        long = e.get("exc_type") or len(e.get("msg") or "") > 400
        limit = 1 if long or e.get("level") == "DEBUG" else PER_KIND
        if n < limit or e.get("tb_module"):
            kept.append(e)
        seen[k] = n + 1
    if len(kept) > MAX_RECORDS:
        chatter = [e for e in kept if e.get("level") == "DEBUG" and classify(e, version) == "other"]
        room = max(0, MAX_RECORDS - (len(kept) - len(chatter)))
        head = room // 2
        keep_chatter = {e["id"] for e in chatter[:head] + chatter[len(chatter) - (room - head):]} \
            if room else set()
        kept = [e for e in kept if e not in chatter or e["id"] in keep_chatter]
    return {e["id"] for e in kept}


# what the committed .records keep of a record: enough to tell records apart
# and label them again, not the whole text, which is in the .log at
# start..end. Only the FULL layouts and the prefixed copies keep their
# .records in the test data (the size); the others' labels come from the
# same records.
KEEP = ("id", "start", "end", "kind", "logger", "level", "msg", "exc_type", "tb_module", "label",
        "msg_cut")


def slim(r):
    """A record for the test data: paths cleaned, the message cut to its
    first 160 characters (`msg_cut` then says so)."""
    r = {k: clean(r.get(k)) for k in KEEP if k in r}
    if len(r.get("msg") or "") > 160:
        r["msg"] = r["msg"][:160]
        r["msg_cut"] = True
    return r


def build_one(base, version, out_base):
    """Trim one layout file of a run to at most PER_KIND records of a kind,
    label its records and lines; returns the number of lines."""
    data, records = lines.load(base)
    ids = select_ids(records, version, wide=os.path.basename(base).split(".")[-1] in WIDE_TB)
    data, records = lines.cut(data, records, ids)
    data, records = clean_text(data, records)
    for r in records:
        r["label"] = classify(r, version)  # on the whole message, before slim()
    lines.save(out_base, data, records)  # whole, for the prefixed copies; slimmed below
    labels = lines.line_labels(data, records, lambda r: r["label"])
    with open(out_base + ".labels", "w") as f:
        f.write("".join(l + "\n" for l in labels))
    return len(labels)


# the collector-prefixed copies: (scenario, layout, prefix kinds) per library
PREFIXED = {
    "aiogram": [("reset", "basic", ("compose", "journald")), ("handler_error", "loguru", ("compose",)),
                ("handler_network", "basic", ("compose", "journald")),
                ("e502html", "basic", ("compose", "journald"))],
    "ptb": [("reset", "basic", ("compose", "journald")), ("handler_error", "asctime", ("compose",)),
            ("e502html", "basic", ("compose", "journald")),
            ("manual_reset", "basic", ("compose", "journald")),
            ("manual_reset", "rich", ("compose", "journald")),
            ("refused_start", "basic", ("compose", "journald")),
            ("e429", "basic", ("compose", "journald"))],
    "urllib3": [("reset_recovers", "basic", ("compose", "journald"))],
    "uvicorn": [("scanners", "basic", ("compose", "journald"))],
}


def build_prefixed(out, version):
    """Docker compose / journald copies of a few files (../prefix.py), their
    records moved with the prefixes, their lines labeled from the records."""
    import prefix
    for scenario, layout, kinds in PREFIXED[version.split("-")[0]]:
        base = os.path.join(out, f"{version}.{scenario}.{layout}")
        if not os.path.exists(base + ".records"):
            continue
        data, records = lines.load(base)
        for kind in kinds:
            new_data, new_records = prefix.apply(kind, data, records)
            lines.save(f"{base}.{kind}", new_data, new_records)
            labels = lines.line_labels(new_data, new_records, lambda r: r["label"])
            with open(f"{base}.{kind}.labels", "w") as f:
                f.write("".join(l + "\n" for l in labels))


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
        if seen[k] <= (1 if len(rec) > 1 else PER_KIND):
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
            if scenario.startswith("token_"):
                if layout not in FULL + TOKEN_LAYOUTS:
                    continue
            elif layout not in FULL and not (
                    layout in EVERY and scenario in MAIN[version.split("-")[0]]):
                continue
            base = os.path.join(vdir, name[:-len(".records")])
            total += build_one(base, version, os.path.join(out, f"{version}.{scenario}.{layout}"))
        build_prefixed(out, version)
    # the committed .records: slimmed, and only for the FULL layouts and the
    # prefixed copies
    for name in os.listdir(out):
        if not name.endswith(".records") or not name.startswith(tuple(v + "." for v in sys.argv[3:])):
            continue
        path = os.path.join(out, name)
        parts = name[:-len(".records")].split(".")
        if parts[-1] not in FULL and parts[-2] not in FULL:
            os.remove(path)
            continue
        recs = [slim(json.loads(l)) for l in open(path, encoding="utf-8") if l.strip()]
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs))
    print(f"{total} lines written to {out}")


if __name__ == "__main__":
    main()
