#!/usr/bin/env python3
"""Labels every record of a harvested log: noise, signal or other.

usage: label.py LOG > LABELS          (one label per record, in order)
       label.py --show LOG            (label, then the record's first line)

A record is a start line plus its continuation lines, framed as logdedup's
`continuation = "python-traceback"` frames them (see frame() below).

The verdicts come from reading the libraries, not from the rule packs:
  noise   the library retries by itself and the operator has nothing to do
          (a failed poll, a reconnect, a backoff sleep, a failed request of a
          handler on a flaky network, a scanner's garbage request to a server)
  signal  the operator must act or at least see it: invalid token,
          Conflict (two instances), retries exhausted, an exception raised in
          a handler, an uncaught traceback, leaked sessions/connectors/tasks
  other   neither: start/stop lines, successful requests, debug traces
This file is deliberately independent of the rules/*.toml regexes: it parses
the log layout into (level, logger, message, final exception) and decides on
those.
"""
import re
import sys

HEADER = "Traceback (most recent call last):"
SEPARATORS = ("During handling of the above exception, another exception occurred:",
              "The above exception was the direct cause of the following exception:")
EXC_LINE = re.compile(r"^[A-Za-z_][\w.]*(?::(?: .*)?)?$")


def frame(lines):
    """Splits lines into records the way the python-traceback framing does."""
    records = []
    state = "outside"  # outside | frames | raised | chained
    for line in lines:
        t = line.rstrip("\r")
        blank = t.strip() == ""
        cont = False
        if t.startswith(HEADER) or t.startswith("Traceback (most recent call first):"):
            cont, state = state != "raised", "frames"
        elif t.startswith(SEPARATORS):
            cont, state = state != "outside", "chained"
        elif blank and t == "":
            cont = state != "outside"
        elif t[:1] in (" ", "\t"):
            cont = True
            if blank:
                cont = state != "outside"
            elif state != "outside":
                state = "frames"
        elif state == "frames" and EXC_LINE.match(t):
            cont, state = True, "raised"
        else:
            cont, state = False, "outside"
        if cont and records:
            records[-1].append(line)
        else:
            records.append([line])
    return records


BASIC = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL):([^:]*):(.*)$")
ASCTIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (\S+) - "
                     r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) - (.*)$")
# uvicorn's own default log_config: "%(levelprefix)s %(message)s"
UVICORN = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL):\s+(.*)$")


def parse(first):
    m = BASIC.match(first)
    if m:
        return m.group(1), m.group(2), m.group(3)
    m = ASCTIME.match(first)
    if m:
        return m.group(2), m.group(1), m.group(3)
    m = UVICORN.match(first)
    if m:
        return m.group(1), "uvicorn?", m.group(2)
    return None, None, first


def final_exception(rec):
    """The last line of the record's traceback, or None without one."""
    if not any(l.startswith(HEADER) for l in rec):
        return None
    for line in reversed(rec):
        if line.strip():
            return line.strip()
    return None


AIOGRAM_NOISE = {"TelegramNetworkError", "TelegramServerError", "RestartingTelegram",
                 "TelegramRetryAfter", "ClientDecodeError"}
# v21 raises a bare TelegramError("Invalid server response") for a body that
# is not JSON (a proxy's error page); its retry loop retries it like the rest.
PTB_NOISE_EXC = re.compile(r"^telegram\.error\.(NetworkError|TimedOut|RetryAfter)\b"
                           r"|^telegram\.error\.TelegramError: Invalid server response$")


def classify_logged(level, logger, msg, exc):
    """Verdict for a record that starts with a log line, or None if undecided."""
    # --- asyncio / aiohttp resource leaks and lost tasks: always act on them
    if msg.startswith(("Unclosed client session", "Unclosed connector", "Unclosed response",
                       "Unclosed connection", "Task was destroyed but it is pending",
                       "Task exception was never retrieved")):
        return "signal"
    # --- aiogram (aiogram/dispatcher/dispatcher.py)
    if logger == "aiogram.dispatcher":
        m = re.match(r"Failed to fetch updates - (\w+): ", msg)
        if m:
            return "noise" if m.group(1) in AIOGRAM_NOISE else "signal"
        if msg.startswith("Sleep for ") and "try again" in msg:
            return "noise"
        return "other"
    if logger == "aiogram.event":
        if msg.startswith("Cause exception while process update"):
            return "pending-next"  # the exception class is on the next record
        if msg.startswith("Failed to make answer"):
            return "signal"
        return "other"
    # --- python-telegram-bot
    if logger in ("telegram.ext.Application", "telegram.ext.Updater"):
        if msg.startswith(("No error handlers are registered",
                           "Exception happened while polling for updates")):
            if exc and PTB_NOISE_EXC.match(exc):
                return "noise"
            return "signal"
        if msg.startswith("Error while calling `get_updates` one more time"):
            return "other!"  # once, at shutdown, whatever its traceback
        if level in ("ERROR", "CRITICAL"):
            return "signal"
        return "other"
    if logger == "telegram.ext":
        if "Network Retry Loop" in msg:
            if "Aborting" in msg:
                return "signal"
            # v22: "... Failed run number N of -1. Retrying."; v21: "Timed out:
            # Timed out. Retrying immediately.", "Flood control exceeded. ..."
            if "Retrying" in msg or "Flood control exceeded" in msg:
                return "noise"
        return "other"
    if logger == "telegram.request.BaseRequest" and msg.startswith(
            "Can not load invalid JSON data"):
        return "noise"  # a proxy's error page instead of JSON; the poll is retried
    if logger and logger.startswith("telegram"):
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    # --- httpx (one INFO line per request)
    if logger == "httpx":
        m = re.match(r'HTTP Request: \S+ \S+/(\w+) "HTTP/[\d.]+ (\d{3})', msg)
        if m:
            method, status = m.group(1), int(m.group(2))
            if status in (401, 403, 404, 409):
                return "signal"
            if method == "getUpdates" and (status >= 500 or status == 429):
                return "noise"
        return "other"
    if logger and logger.startswith("httpcore"):
        if ".failed exception=" in msg and "CancelledError" not in msg:
            return "noise"
        return "other"
    # --- urllib3 (urllib3/connectionpool.py, urllib3/util/retry.py)
    if logger and logger.startswith("urllib3"):
        if msg.startswith("Retrying (Retry(") and "after connection broken by" in msg:
            return "noise"
        if msg.startswith(("Incremented Retry for", "Retry: ")):
            return "noise"
        if msg.startswith("Resetting dropped connection"):
            return "noise"
        return "other"
    # --- uvicorn
    if logger in ("uvicorn.error", "uvicorn?", "uvicorn"):
        if msg.startswith(("Invalid HTTP request received", "Unsupported upgrade request",
                           "No supported WebSocket library detected")):
            return "noise"
        if msg.startswith("Exception in ASGI application"):
            return "signal"
        if level in ("ERROR", "CRITICAL"):
            return "signal"
        return "other"
    if logger == "uvicorn.access":
        return "other"
    # --- the drivers' own application logger ("bot"): a request that gave up
    if msg.startswith("poll failed") or "Max retries exceeded" in msg or (
            exc and "Max retries exceeded" in exc):
        return "signal"
    if level in ("ERROR", "CRITICAL"):
        return "signal"
    return "other"


def classify(records):
    labels = []
    prev_logged = None  # label of the last record that started with a log line
    for rec in records:
        first = rec[0].rstrip("\r\n")
        level, logger, msg = parse(first)
        exc = final_exception(rec)
        if level is not None:
            lab = classify_logged(level, logger, msg, exc)
            if lab == "other" and exc is not None:
                # a traceback after a line that logs none: an uncaught crash
                # glued to the line before it
                lab = "signal"
            lab = lab.rstrip("!")
            prev_logged = lab
        elif first.startswith(HEADER):
            lab = "signal"  # an uncaught traceback
        elif exc is not None and EXC_LINE.match(first):
            # "SomeError: text" + traceback right after a log line that put the
            # exception's text into its message (aiogram.event). Decided by the
            # class: a handler's request that failed on the network is noise.
            if re.match(r"^(aiogram\.exceptions\.)?(TelegramNetworkError|TelegramServerError)\b",
                        exc):
                lab = "noise"
            else:
                lab = "signal"
            if labels and labels[-1] == "pending-next":
                labels[-1] = lab
        elif first.startswith("# "):
            lab = "other"  # the harvest's own scenario marker
        elif prev_logged is not None and prev_logged != "pending-next":
            # a further line of a multi-line log message (aiogram's
            # "Original description: ...", "Content: ..."): same verdict
            lab = prev_logged
        else:
            lab = "other"
        labels.append(lab)
    return ["signal" if l == "pending-next" else l for l in labels]


def main():
    show = sys.argv[1] == "--show"
    path = sys.argv[-1]
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    records = frame(lines)
    for rec, lab in zip(records, classify(records)):
        if show:
            print(f"{lab:7} {rec[0][:160]}")
        else:
            print(lab)


if __name__ == "__main__":
    main()
