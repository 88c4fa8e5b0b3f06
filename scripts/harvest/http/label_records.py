#!/usr/bin/env python3
"""Labels structured log records: noise, signal or other, per library version.

usage: label_records.py RECORDS [VERSION]      one label per record, in order
       label_records.py --show RECORDS [VERSION]

RECORDS is a `.records` file of the shared capture (scripts/harvest/layouts.py:
JSON lines with kind, logger, level, msg, exc_type, exc_msg, exc_chain,
tb_module) or a `.sidecar` of run.sh's MODE=basic. VERSION (e.g. `ptb-13.15`)
is taken from the file name when not given.

These are the decisions of label.py (written from the libraries' source,
independently of the packs), made on the records instead of on layout text,
and extended to the older versions' wording and logger names:

  noise   the library retries by itself and the operator has nothing to do
  signal  the operator must act or at least see it: a crash, 401/InvalidToken,
          409 Conflict, 404 at start, a handler's own bug, a flood wait raised
          into a handler, retries exhausted, unretrieved task exceptions,
          leaked sessions and connectors
  other   neither: start/stop lines, successful requests, debug traces
"""
import json
import os
import re
import sys

# --- exception classes (module.ClassName as the capture writes them)
NETWORKISH = re.compile(
    r"(^|\.)(TimeoutError|CancelledError|ConnectionError|ConnectionResetError|"
    r"ConnectionRefusedError|ConnectionAbortedError|BrokenPipeError|OSError|"
    r"ServerDisconnectedError|ClientOSError|ClientConnectorError|ClientConnectionError|"
    r"ClientPayloadError|ClientResponseError|ServerTimeoutError|ContentTypeError)$")
# aiogram 3 (aiogram/dispatcher/dispatcher.py, Dispatcher._listen_updates)
AIOGRAM3_NOISE = {"TelegramNetworkError", "TelegramServerError", "RestartingTelegram",
                  "TelegramRetryAfter", "ClientDecodeError"}
# aiogram 2 (aiogram/utils/exceptions.py): what check_result()/make_request()
# raise for a network failure or a 5xx; Dispatcher.start_polling sleeps and retries
AIOGRAM2_NOISE = {"NetworkError", "RetryAfter", "RestartingTelegram", "TimeoutError"}
# python-telegram-bot: the errors its network loop retries
PTB_NOISE = {"telegram.error.NetworkError", "telegram.error.TimedOut"}


def short(t):
    return (t or "").rsplit(".", 1)[-1]


def is_leak(msg):
    """asyncio/aiohttp resource leaks and lost tasks: always act on them."""
    return msg.startswith(("Unclosed client session", "Unclosed connector", "Unclosed response",
                           "Unclosed connection", "Task was destroyed but it is pending",
                           "Task exception was never retrieved",
                           "Future exception was never retrieved"))


def ptb_error_is_noise(exc_type, exc_msg):
    """An exception PTB logged with its traceback (no error handler, polling)."""
    if exc_type in PTB_NOISE:
        return True
    # a body that is not JSON (a proxy's error page): 13.x and 20-21 raise a
    # bare TelegramError("Invalid server response"), retried like the rest
    return exc_type == "telegram.error.TelegramError" and (exc_msg or "").startswith(
        "Invalid server response")


def ptb_updater_msg_is_noise(msg):
    """`Error while getting Updates: %s` carries str(exc) only (13.x, 20.x)."""
    text = msg.split(": ", 1)[1] if ": " in msg else msg
    if re.match(r"(Unauthorized|Forbidden|Not Found|Conflict|Invalid token|The token )", text):
        return False
    return True


def classify(r, version=""):
    kind = r.get("kind", "log")
    msg = r.get("msg") or ""
    level = r.get("level") or ""
    logger = r.get("logger") or ""
    exc, exc_msg = r.get("exc_type"), r.get("exc_msg")
    if kind != "log":
        # written outside logging: an uncaught traceback (sys.excepthook, a
        # thread's excepthook) is a crash; warnings and prints are not
        if exc or r.get("tb_module") or "Traceback (most recent call last)" in msg:
            return "signal"
        return "other"
    if is_leak(msg):
        return "signal"
    lg = logger.lower()
    # --- aiogram 3
    if logger == "aiogram.dispatcher":
        m = re.match(r"Failed to fetch updates - (\w+): ", msg)
        if m:
            return "noise" if m.group(1) in AIOGRAM3_NOISE else "signal"
        if msg.startswith("Sleep for ") and "try again" in msg:
            return "noise"
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    if logger == "aiogram.event":
        if msg.startswith("Cause exception while process update"):
            # a handler's request that failed on the network is noise; its
            # own bug or a flood wait raised into it is not
            return "noise" if short(exc) in ("TelegramNetworkError", "TelegramServerError") \
                else "signal"
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    # --- aiogram 2 (aiogram/dispatcher/dispatcher.py)
    if logger == "aiogram.dispatcher.dispatcher":
        if msg.startswith("Cause exception while getting updates"):
            if short(exc) in AIOGRAM2_NOISE:
                return "noise"
            if short(exc) == "TelegramAPIError" and not re.search(r"\[4\d\d\]$", exc_msg or ""):
                return "noise"  # a 5xx answer (check_result raises the description)
            return "signal"    # Unauthorized, TerminatedByOtherGetUpdates, BadRequest...
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    # --- python-telegram-bot: 13.x Updater/Dispatcher, 20.0-20.2 module
    # loggers, 20.3+ class loggers
    if lg in ("telegram.ext.updater", "telegram.ext._updater"):
        if msg.startswith("Error while getting Updates"):
            return "noise" if ptb_updater_msg_is_noise(msg) else "signal"
        if msg.startswith("Exception happened while polling for updates"):
            return "noise" if ptb_error_is_noise(exc, exc_msg) else "signal"
        if msg.startswith("Timed out getting Updates"):
            return "noise"
        if re.match(r"Flood control exceeded\. Retry in", msg):
            return "noise"  # the polling loop's own back-off (logged at INFO)
        if msg.startswith("Failed bootstrap phase; try="):
            return "noise"
        if msg.startswith("Error while calling `get_updates` one more time"):
            return "other"  # once, at shutdown, whatever its traceback
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    if lg in ("telegram.ext.application", "telegram.ext._application",
              "telegram.ext.dispatcher"):
        if msg.startswith(("No error handlers are registered",
                           "Exception happened while polling for updates")):
            return "noise" if ptb_error_is_noise(exc, exc_msg) else "signal"
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    if logger == "telegram.ext" or lg.startswith("telegram.ext._utils.networkloop"):
        if "Network Retry Loop" in msg:
            if "Aborting" in msg:
                return "signal"
            if "Retrying" in msg or "Flood control exceeded" in msg:
                return "noise"
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    if lg in ("telegram.request.baserequest", "telegram.request._baserequest") and \
            msg.startswith("Can not load invalid JSON data"):
        return "noise"
    # --- urllib3, also the copy python-telegram-bot 13 vendors
    if lg.startswith("urllib3") or ".urllib3." in lg:
        if msg.startswith("Retrying (Retry(") and "after connection broken by" in msg:
            return "noise"
        if msg.startswith(("Incremented Retry for", "Retry: ", "Resetting dropped connection")):
            return "noise"
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    if lg.startswith("telegram"):
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    # --- httpx / httpcore
    if logger == "httpx":
        m = re.match(r'HTTP Request: \S+ \S+/(\w+) "HTTP/[\d.]+ (\d{3})', msg)
        if m:
            method, status = m.group(1), int(m.group(2))
            if status in (401, 403, 404, 409):
                return "signal"
            if method == "getUpdates" and (status >= 500 or status == 429):
                return "noise"
        return "other"
    if logger.startswith("httpcore"):
        if ".failed exception=" in msg and "CancelledError" not in msg:
            return "noise"
        return "other"
    # --- uvicorn
    if logger in ("uvicorn.error", "uvicorn"):
        if msg.startswith(("Invalid HTTP request received", "Unsupported upgrade request",
                           "No supported WebSocket library detected")):
            return "noise"
        return "signal" if level in ("ERROR", "CRITICAL") else "other"
    if logger == "uvicorn.access":
        return "other"
    # --- the drivers' own application logger ("bot"): a request that gave up
    if msg.startswith("poll failed") or "Max retries exceeded" in msg or \
            "Max retries exceeded" in (exc_msg or ""):
        return "signal"
    if level in ("ERROR", "CRITICAL"):
        return "signal"
    return "other"


def version_of(path):
    base = os.path.basename(path)
    m = re.match(r"([a-z0-9]+-[\d.]+?)\.", base)
    return m.group(1) if m else ""


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    args = sys.argv[1:]
    show = args and args[0] == "--show"
    if show:
        args = args[1:]
    path = args[0]
    version = args[1] if len(args) > 1 else version_of(path)
    for r in read(path):
        lab = classify(r, version)
        if show:
            print(f"{lab:7} {r.get('level')} {r.get('logger')} {(r.get('msg') or '')[:120]!r} "
                  f"{r.get('exc_type') or ''}")
        else:
            print(lab)


if __name__ == "__main__":
    main()
