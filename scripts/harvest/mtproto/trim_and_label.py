#!/usr/bin/env python3
"""The MTProto harvest's classifier, and the old harvest's trimming.

`classify_record(entry)` labels one record of a layouts.py `.records` file
(kind, logger, level, message, exception type and chain, whether it is an
uncaught crash): `noise`, `signal` or `other`. label.py uses it for the
current harvest (tests/data/layouts/mtproto). It reads what the libraries
do (their source), not the rule packs: it was written without looking at
any pack's regexes. Its decisions are in scripts/harvest/README.md.

    trim_and_label.py RAWDIR DESTDIR

is the old pipeline, for logs captured as text before layouts.py
(tests/data/harvest/mtproto): for every RAWDIR/<lib>-<scenario>.<format>.log
it writes DESTDIR/<same>.log (trimmed) and DESTDIR/<same>.labels, one line
per record. Those records use Python-traceback framing, as logdedup's
`python-traceback`: a start line plus the lines that continue it (the
`Traceback (most recent call last):` header, indented lines, the final
`SomeError: message` line of a traceback, the `During handling...` /
`The above exception...` separators and blank lines); `classify()` parses
one into a record entry for `classify_record()`.
"""
import os
import re
import sys
from collections import Counter

LEVELS = r"(DEBUG|INFO|WARNING|ERROR|CRITICAL)"
LOG_START = [
    # logging.basicConfig() default: LEVEL:name:message
    re.compile(r"^" + LEVELS + r":(?P<name>[^:]*):(?P<msg>.*)$"),
    # %(asctime)s - %(name)s - %(levelname)s - %(message)s
    re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (?P<name>\S+) - " + LEVELS + r" - (?P<msg>.*)$"),
    # [%(asctime)s - %(levelname)s] - %(name)s - %(message)s
    re.compile(r"^\[\d\d-\w{3}-\d\d \d\d:\d\d:\d\d - " + LEVELS + r"\] - (?P<name>\S+) - (?P<msg>.*)$"),
]
TB_HEADER = "Traceback (most recent call last):"
SEPARATORS = ("During handling of the above exception, another exception occurred:",
              "The above exception was the direct cause of the following exception:")
EXC_LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*(: .*|:)?$")


def parse_start(line):
    for rx in LOG_START:
        m = rx.match(line)
        if m:
            return m.group(1) if rx is LOG_START[0] else m.group(2 if rx is LOG_START[1] else 1), \
                m.group("name"), m.group("msg")
    return None


def frame(lines):
    """Split lines into records: lists of lines."""
    records = []
    in_tb = False
    for line in lines:
        s = line.rstrip("\n")
        cont = False
        if records:
            if s == TB_HEADER or s in SEPARATORS or s == "" or s[:1] in (" ", "\t"):
                cont = True
            elif in_tb and EXC_LINE.match(s) and parse_start(s) is None:
                cont = True  # the exception line that ends a traceback
                in_tb = False
        if s == TB_HEADER:
            in_tb = True
        elif s in SEPARATORS:
            in_tb = False
        if cont:
            records[-1].append(line)
        else:
            in_tb = s == TB_HEADER
            records.append([line])
    return records


def final_exception(rec):
    """The last `SomeError: message` line of the record's traceback, if any."""
    if not any(l.rstrip("\n") == TB_HEADER for l in rec):
        return None
    for l in reversed(rec):
        s = l.rstrip("\n")
        if s and s[:1] not in " \t" and EXC_LINE.match(s):
            return s
    return None


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
    # 1.24's connection loop
    r"^The server closed the connection$", r"^The server response had an invalid checksum$",
    r"^The server closed the connection while sending", r"^Server response had invalid (checksum|buffer)",
    r"^Connection closed while (receiving|sending) data", r"^Closing current connection to begin reconnect",
    r"^Connecting to \S+\.\.\.$", r"^Connection to \S+ complete!$", r"^Attempt \d+ at connecting failed",
    r"^Failed reconnection attempt \d+", r"^Security error while unpacking a received message",
    r"^Server sent invalid buffer", r"^Invalid buffer ", r"^Cannot get difference since the network is down",
    r"^Type [0-9a-f]+ not found, remaining data", r"^Connection error \d+ during auth_key gen",
)]


def _exc_types(e):
    return [t for t in [e.get("exc_type")] + list(e.get("exc_chain") or []) if t]


def classify_record(e):
    """noise, signal or other for one record: a layouts.py .records entry
    (kind, logger, level, msg, exc_type, exc_chain, tb_module)."""
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
        if msg.startswith("Invalid buffer ") and "(HTTP code 429)" in msg:
            # the same transport flood error (-429), met on the decrypt path
            # (MTProtoSender._recv_loop, `Invalid buffer %s`)
            return "signal"
        if msg in ("Unhandled error while receiving data", "Unexpected exception in the receive loop"):
            # the receive loop (1.36+: MTProtoSender's; 1.24: Connection's)
            # reconnects; a damaged frame is network weather. A ValueError
            # there is a frame length read from garbage bytes.
            return "noise" if exc in TRANSPORT_EXC | {"builtins.ValueError"} else "signal"
        if level in ("INFO", "WARNING", "ERROR") and any(p.search(msg) for p in TELETHON_NOISE):
            return "noise"
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    return "signal" if level in ("ERROR", "CRITICAL") else "other"



def _qualified(exc_line):
    """'ConnectionResetError: ...' -> 'builtins.ConnectionResetError', as
    .records name exception types."""
    name = exc_line.split(":", 1)[0]
    if "." in name:
        return name
    return "builtins." + name


def classify(rec):
    """The label of a record framed from a text log (the old harvest's
    `LEVEL:name:message` files): parsed into a record entry for
    classify_record(); None for a line that is not a log line (it takes the
    label of the record before it)."""
    first = rec[0].rstrip("\n")
    start = parse_start(first)
    exc = final_exception(rec)
    crash = any(re.search(r'^\s+File ".*", line \d+, in <module>$', l) for l in rec)
    text = "".join(rec)
    entry = {"kind": "log", "logger": None, "level": None, "msg": first,
             "exc_type": _qualified(exc) if exc else None, "exc_msg": text, "exc_chain": [],
             "tb_module": crash}
    if start is None:
        if crash or AUTH.search(text):
            return "signal"
        return None
    entry["level"], entry["logger"], entry["msg"] = start
    if entry["exc_type"] in ("builtins.TimeoutError", "builtins.IncompleteReadError") and "asyncio" in (exc or ""):
        entry["exc_type"] = "asyncio.exceptions." + entry["exc_type"].split(".")[-1]
    return classify_record(entry)


def label(records):
    out, prev = [], "other"
    for rec in records:
        lab = classify(rec)
        if lab is None:
            lab = prev
        out.append(lab)
        prev = lab
    return out


# -- trimming -----------------------------------------------------------------
def signature(rec):
    first = rec[0].rstrip("\n")
    start = parse_start(first)
    body = f"{start[0]} {start[1]} {start[2]}" if start else first
    body = re.sub(r"\d+", "N", body)[:120]
    return body, final_exception(rec)


def trim(records, per_sig=3, debug_cap=8, max_records=80, max_bytes=8000):
    seen = Counter()
    debug = 0
    kept = []
    dropped_prev = False
    for rec in records:
        if dropped_prev and parse_start(rec[0].rstrip("\n")) is None:
            continue  # the tail of a dropped record (e.g. the "}" of a DEBUG dump)
        dropped_prev = True
        sig = signature(rec)
        start = parse_start(rec[0].rstrip("\n"))
        is_debug = start is not None and start[0] == "DEBUG"
        seen[sig] += 1
        if seen[sig] > per_sig:
            continue
        if is_debug:
            debug += 1
            if debug > debug_cap or len(rec) > 12:
                continue
        kept.append(rec)
        dropped_prev = False
    if len(kept) > max_records:
        kept = kept[:max_records // 2] + kept[-max_records // 2:]
    # and at most max_bytes: the start and the end of the run
    size = lambda rs: sum(len(l) for r in rs for l in r)
    if size(kept) > max_bytes:
        head, tail = [], []
        while kept and size(head) + len("".join(kept[0])) <= max_bytes // 2:
            head.append(kept.pop(0))
        while kept and size(tail) + len("".join(kept[-1])) <= max_bytes // 2:
            tail.insert(0, kept.pop())
        kept = head + tail
    return kept


def main():
    """The old harvest's text logs (RAWDIR/<lib>-<scenario>.<format>.log,
    before layouts.py): trim and label into DESTDIR. The current harvest
    goes through label.py."""
    raw, dest = sys.argv[1], sys.argv[2]
    os.makedirs(dest, exist_ok=True)
    total = Counter()
    for fn in sorted(os.listdir(raw)):
        if not fn.endswith(".log") or fn.startswith("fault-server"):
            continue
        lib, rest = fn.split("-", 1)
        if rest.endswith(".bot.log") and lib not in ("pyrogram",) and not rest.startswith("wobble"):
            continue  # the bot-template format: Pyrogram's own, plus the forks' main run
        with open(os.path.join(raw, fn), encoding="utf-8", errors="replace") as f:
            text = f.read()
        # paths of this machine: make them look like any installation
        from common import rewrite_paths
        text = rewrite_paths(re.sub(r"/\S*?/scripts/harvest/mtproto/", "/srv/bot/", text))
        lines = text.splitlines(keepends=True)
        if not lines:
            continue
        recs = trim(frame(lines))
        labs = label(recs)
        with open(os.path.join(dest, fn), "w", encoding="utf-8") as f:
            f.write("".join("".join(r) for r in recs))
        with open(os.path.join(dest, fn[:-4] + ".labels"), "w") as f:
            f.write("".join(l + "\n" for l in labs))
        c = Counter(labs)
        total.update(c)
        print(f"{fn}: {len(recs)} records, noise {c['noise']}, signal {c['signal']}, other {c['other']}")
    print("total", dict(total))


if __name__ == "__main__":
    main()
