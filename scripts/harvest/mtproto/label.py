#!/usr/bin/env python3
"""Label the MTProto harvest per record, trim it, keep it in the test data.

    label.py RAWDIR DESTDIR

RAWDIR holds what run.sh's drivers wrote: for each run LIB-VERSION.SCENARIO
one LIB-VERSION.SCENARIO.LAYOUT.log + .records per layout (layouts.py), and
LIB-VERSION.wobble.nocfg.raw, the same bot with no logging configured.

For every run this picks the records to keep (at most 3 of one kind, a few
short DEBUG ones, every crash, at most 60: the start and the end of the
run), cuts every layout file to those same records (lines.trim_run), and
keeps in DESTDIR the layouts below, each with a .labels file (one word per
line, from the records: lines.write_labels) and its .records. A few files
also go out behind a docker compose and a journald prefix (prefix.py).

The label of a record comes from `classify()`: the libraries' source, its
logger, level, message and exception, never the layout's text, and never
the rule packs. Its decisions are in scripts/harvest/README.md ("Labels").
"""
import glob
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

# scenarios where something must reach the operator: kept in every layout
SIGNAL_SCENARIOS = {"wobble", "auth-unregistered", "auth-in-handler", "flood", "clock", "authgen"}
# every scenario is kept in these
BASE_LAYOUTS = {"basic", "bare", "loguru"}
# runs also written behind a collector's prefix: (scenario, layout, kind)
PREFIXED = [("wobble", "basic", "compose"), ("wobble", "asctime", "journald"),
            ("wobble", "loguru", "compose"), ("flood", "basic", "journald")]

# -- what the libraries retry or recover from by themselves -----------------
NETWORK_EXC = {
    "builtins.OSError", "builtins.ConnectionError", "builtins.ConnectionResetError",
    "builtins.ConnectionAbortedError", "builtins.BrokenPipeError", "builtins.ConnectionRefusedError",
    "builtins.TimeoutError", "asyncio.exceptions.TimeoutError", "asyncio.exceptions.IncompleteReadError",
}
# a frame damaged on the way: what Telethon's receive loop catches as
# "Unhandled error while receiving data" and then reconnects from
TRANSPORT_EXC = NETWORK_EXC | {
    "telethon.errors.common.InvalidChecksumError", "telethon.errors.common.InvalidBufferError",
}
AUTH = re.compile(r"AUTH_KEY|AuthKey(Unregistered|NotFound|Duplicated|Invalid)|auth key not found|"
                  r"does not know about the current auth key|SESSION_REVOKED|SessionRevoked|"
                  r"USER_DEACTIVATED|UserDeactivated")
# the client's clock is wrong: it must be fixed by the operator
CLOCK = re.compile(r"msg_id is too (low|high)|msg_id belongs to over \d+ seconds in the (future|past)|"
                   r"^BadMsgNotification: |Server sent a very (new|old) message|"
                   r"Too many messages had to be ignored consecutively|System clock is wrong")

PYRO_NOISE = [re.compile(p) for p in (
    r"^Send exception: ", r"^Close exception: ", r"^Unable to connect due to network issues",
    r"^Connection failed! Trying again", r'^\[\d+\] Retrying ".*" due to', r"^Retrying due to ",
    r'^\[\d+\] Retrying \S+ due to', r"^Discarding packet: ", r"^Restarting session due to ",
    r"^Connection failed: ", r"^Send failed: ", r"^Reconnecting too frequently",
    r"^Timed out waiting for marker event",
    # reconnect chatter (INFO): the session restarts itself
    r"^Connecting\.\.\.$", r"^Connected! ", r"^Disconnected$", r"^Session (started|stopped)$",
    r"^(NetworkTask|PingTask) (started|stopped)$", r"^Session initialized: ", r"^Device: ", r"^System: ",
    r"^Connecting to \S+:\d+$", r"^Connection established$", r"^Session state changed: ",
    r"^Start creating a new auth key on DC\d+",
)]
TELETHON_NOISE = [re.compile(p) for p in (
    r"^Server closed the connection: ", r"^<class '[A-Za-z.]+'> during disconnect: ",
    r"^The server closed the connection while sending", r"^Server response had invalid (checksum|buffer)",
    r"^Connection closed while (receiving|sending) data", r"^Closing current connection to begin reconnect",
    r"^Connecting to \S+\.\.\.$", r"^Connection to \S+ complete!$", r"^Attempt \d+ at connecting failed",
    r"^Failed reconnection attempt \d+", r"^Security error while unpacking a received message",
    r"^Server sent invalid buffer", r"^Invalid buffer ", r"^Cannot get difference since the network is down",
    r"^Type [0-9a-f]+ not found, remaining data", r"^Connection error \d+ during auth_key gen",
    r"^Disconnecting from \S+\.\.\.$", r"^Disconnection from \S+ complete!$",
)]


def _exc_types(e):
    return [t for t in [e.get("exc_type")] + list(e.get("exc_chain") or []) if t]


def classify(e):
    """noise, signal or other for one .records entry."""
    msg = e.get("msg") or ""
    exc = e.get("exc_type")
    text = " ".join([msg, e.get("exc_msg") or ""] + _exc_types(e))
    if e.get("tb_module"):
        return "signal"  # an uncaught crash
    if AUTH.search(text):
        return "signal"
    if e["kind"] != "log":
        # outside logging: an uncaught exception in a thread or an
        # unraisable one is a signal; warnings and prints are not
        return "signal" if exc and not (e.get("template") or "").startswith("warning") and \
            "Warning" not in exc else "other"
    level, name = e["level"], e["logger"] or ""
    if name == "asyncio":
        if msg == "socket.send() raised exception.":
            return "noise"
        if msg.startswith(("Task was destroyed but it is pending", "Task exception was never retrieved",
                           "Future exception was never retrieved", "Unclosed")):
            return "signal"
        return "other"
    top = name.split(".")[0]
    if top in ("pyrogram", "pyrofork", "hydrogram"):
        if CLOCK.search(msg):
            return "signal"
        if name.endswith(".dispatcher") and level == "ERROR":
            # a handler's exception: a network error is the reconnect seen from
            # the handler; anything else (its own bug, a FloodWait) is a signal
            return "noise" if exc in NETWORK_EXC else "signal"
        if msg.startswith("Server sent transport error") or msg.startswith('Server sent "-'):
            return "signal" if "404" in msg else "noise"
        if level in ("INFO", "WARNING", "ERROR") and any(p.search(msg) for p in PYRO_NOISE):
            return "noise"
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    if top == "telethon":
        if CLOCK.search(msg):
            return "signal"
        if name == "telethon.client.updates" and msg.startswith("Unhandled exception on"):
            return "noise" if exc in NETWORK_EXC else "signal"
        if msg.startswith(("Automatic reconnection failed", "Server indicated flood error")):
            return "signal"
        if msg == "Unhandled error while receiving data":
            # the receive loop reconnects; a damaged frame is network weather
            return "noise" if exc in TRANSPORT_EXC else "signal"
        if level in ("INFO", "WARNING", "ERROR") and any(p.search(msg) for p in TELETHON_NOISE):
            return "noise"
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    return "signal" if level in ("ERROR", "CRITICAL") else "other"


# -- trimming -----------------------------------------------------------------
def choose(records, per_kind=3, debug_cap=8, max_records=60):
    """The record ids a run keeps (chosen on its fullest layout)."""
    seen = Counter()
    debug = 0
    kept = []
    for e in records:
        k = lines.default_key(e)
        seen[k] += 1
        if e.get("tb_module"):
            kept.append(e["id"])
            continue
        if seen[k] > per_kind:
            continue
        if e.get("level") == "DEBUG":
            debug += 1
            if debug > debug_cap or e["end"] - e["start"] > 400:
                continue
        kept.append(e["id"])
    if len(kept) > max_records:
        head = max_records // 2
        kept = kept[:head] + kept[len(kept) - (max_records - head):]
    return set(kept)


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
            if sc == scenario and lay == layout:
                subprocess.run([sys.executable, os.path.join(os.path.dirname(HERE), "prefix.py"), kind,
                                base + ".log"], check=True, stdout=subprocess.DEVNULL)
                lines.write_labels(f"{base}.{kind}.log", classify)
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
