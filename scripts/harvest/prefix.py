#!/usr/bin/env python3
"""Wrap a captured layout file the way log collectors print it.

    prefix.py KIND IN.log [OUT.log]        KIND: compose, compose-v1, docker-ts, journald, kubectl

writes OUT.log (default: IN with `.KIND` before `.log`) with every line
prefixed, and OUT.records with the byte ranges of IN.records moved to match
(a prefix belongs to the record whose line it starts). Line times come from
the records' "time" (layouts.py writes it), in UTC.

The prefixes, from the collectors' source:

- compose (docker compose v2, cmd/formatter/logs.go): presenter.setPrefix
  pads the container name to the longest name + 1, then " | ":
  `bot-1  | `. v2 names containers SERVICE-N.
- compose-v1 (docker-compose 1.x, compose/cli/log_printer.py):
  LogPresenter pads to max_name_width() = longest service name + 3, then
  " | ": `bot_1  | `. v1 names containers SERVICE_N.
- docker-ts (`docker logs --timestamps`): moby formats the time with
  rfc3339NanoFixed, "2006-01-02T15:04:05.000000000Z07:00", UTC from the
  json-file driver, then a space: `2025-11-20T16:32:54.123456789Z `.
- journald (`journalctl`, output "short"): `%b %d %H:%M:%S HOST IDENT[PID]: `,
  the day zero-padded: `Dec 04 14:16:17 host python3[1234]: `.
- kubectl (`kubectl logs --timestamps`): the kubelet writes
  timeFormatOut = RFC3339NanoFixed (pkg/kubelet/kuberuntime/logs/logs.go)
  in the zone the container runtime wrote, then a space; on a UTC node that
  is the docker-ts prefix. `--tz-offset +03:00` gives the prefix of a node
  in another zone: `2025-11-20T19:32:54.123456789+03:00 `.

What logdedup's src/records/prefix.rs splits today: compose, compose-v1,
docker-ts, journald and kubectl on a UTC node. It does not split kubectl
with a zone offset (its docker pattern wants `Z`; the offset form is only
known with Heroku's ` app[...]: ` after it).
"""
import argparse
import bisect
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import layouts  # noqa: E402

KINDS = ["compose", "compose-v1", "docker-ts", "journald", "kubectl"]


def _rfc3339_nano_fixed(t, offset_minutes=0):
    secs = int(t)
    nanos = int(round((t - secs) * 1e9))
    if nanos >= 1_000_000_000:
        secs, nanos = secs + 1, nanos - 1_000_000_000
    st = time.gmtime(secs + offset_minutes * 60)
    if offset_minutes == 0:
        zone = "Z"
    else:
        sign = "+" if offset_minutes > 0 else "-"
        m = abs(offset_minutes)
        zone = f"{sign}{m // 60:02d}:{m % 60:02d}"
    return time.strftime("%Y-%m-%dT%H:%M:%S", st) + f".{nanos:09d}" + zone


def prefixer(kind, service="bot", host="host", ident="python3", pid=1234, tz_offset=0):
    """A function: line time (epoch seconds) -> prefix str."""
    if kind == "compose":
        name = f"{service}-1"
        width = len(name) + 1
        return lambda t: f"{name:<{width}} | "
    if kind == "compose-v1":
        name = f"{service}_1"
        width = len(service) + 3
        return lambda t: f"{name:<{width}} | "
    if kind == "docker-ts":
        return lambda t: _rfc3339_nano_fixed(t) + " "
    if kind == "kubectl":
        return lambda t: _rfc3339_nano_fixed(t, tz_offset) + " "
    if kind == "journald":
        # journalctl prints local time; the samples use UTC (a container's zone).
        return lambda t: time.strftime("%b %d %H:%M:%S", time.gmtime(t)) + f" {host} {ident}[{pid}]: "
    raise ValueError(f"unknown prefix kind {kind!r} ({', '.join(KINDS)})")


def line_starts(data):
    """Offsets where the lines of `data` start (none at the very end)."""
    starts = [0] if data else []
    i = data.find(b"\n")
    while i != -1:
        if i + 1 < len(data):
            starts.append(i + 1)
        i = data.find(b"\n", i + 1)
    return starts


def apply(kind, data, records, **opts):
    """(new data, new records) for `data` with every line prefixed."""
    make = prefixer(kind, **opts)
    starts = line_starts(data)
    # The time of each line: that of the record its first byte belongs to
    # (stderr stretches have one too), a microsecond later per line so
    # that collectors' times never go backwards.
    times = []
    ri = 0
    last = records[0]["time"] if records and records[0].get("time") else time.time()
    for s in starts:
        while ri + 1 < len(records) and records[ri]["end"] <= s:
            ri += 1
        t = records[ri].get("time") if records else None
        last = max(t, last + 1e-6) if t else last + 1e-6
        times.append(last)
    out = bytearray()
    shift = {}  # old line start -> bytes inserted up to and including it
    inserted = 0
    prev = 0
    for s, t in zip(starts, times):
        out += data[prev:s]
        p = make(t).encode("utf-8")
        out += p
        inserted += len(p)
        shift[s] = inserted
        prev = s
    out += data[prev:]

    # A boundary at offset o moves by the prefixes inserted at line starts
    # before o: the prefix of a line goes with the record that starts the
    # line, and one function moves every boundary, so the ranges still tile.
    def moved(o):
        k = bisect.bisect_left(starts, o)
        return o + (shift[starts[k - 1]] if k else 0)

    new = []
    for r in records:
        r = dict(r)
        r["start"], r["end"] = moved(r["start"]), moved(r["end"])
        new.append(r)
    return bytes(out), new


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kind", choices=KINDS)
    ap.add_argument("log")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--service", default="bot")
    ap.add_argument("--tz-offset", default="+00:00", help="kubectl only: the node's zone, e.g. +03:00")
    args = ap.parse_args(argv[1:])
    sign = -1 if args.tz_offset.startswith("-") else 1
    hh, mm = args.tz_offset.lstrip("+-").split(":")
    tz = sign * (int(hh) * 60 + int(mm))
    base = args.log[:-len(".log")] if args.log.endswith(".log") else args.log
    out = args.out or f"{base}.{args.kind}.log"
    outbase = out[:-len(".log")] if out.endswith(".log") else out
    with open(args.log, "rb") as f:
        data = f.read()
    records = layouts.read_records(base + ".records")
    opts = {"service": args.service}
    if args.kind == "kubectl":
        opts["tz_offset"] = tz
    new_data, new_records = apply(args.kind, data, records, **opts)
    with open(out, "wb") as f:
        f.write(new_data)
    with open(outbase + ".records", "w", encoding="utf-8") as f:
        for r in new_records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
