#!/usr/bin/env python3
"""A few log records from loggers named like a library's, through every
layout, ending in an uncaught crash: the samples in tests/data/layouts-demo/
and the subject of test_layouts.py.

    demo_layouts.py OUTPREFIX [--layouts default,rich-tb,... | --all] [--no-capture]

With --no-capture nothing is configured at all: the process prints what
Python itself prints (the last-resort handler and the crash), which is what
the `bare` layout must equal byte for byte. make_layout_samples.sh runs it
from a fixed directory, so that the kept samples do not depend on where
the repository is.
"""
import argparse
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import layouts  # noqa: E402


def records():
    """The demo's records; the same calls with and without capture."""
    # urllib3 installs a NullHandler on its package logger, so with no
    # logging configured its warnings print nothing.
    logging.getLogger("urllib3").addHandler(logging.NullHandler())
    session = logging.getLogger("pyrogram.session.session")
    conn = logging.getLogger("pyrogram.connection.connection")
    updates = logging.getLogger("telethon.client.updates")

    session.info("Connecting...")
    conn.debug("Connected! Production DC2 - IPv4")
    session.warning('[%d] Retrying "%s" due to: %s', 1, "messages.SendMessage", "Request timed out")
    logging.getLogger("urllib3.connectionpool").warning(
        "Retrying (Retry(total=2, connect=None, read=None, redirect=None, status=None)) "
        "after connection broken by '%s': /bot123/getUpdates", "NewConnectionError")
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError as e:
            raise OSError("Connection lost") from e
    except OSError:
        updates.exception("Unhandled exception on %s", "handler")
    # A long message: rich wraps it, the others keep one line.
    logging.getLogger("aiogram.dispatcher").error(
        "Failed to fetch updates - TelegramNetworkError: HTTP Client says - "
        "ClientConnectorError: Cannot connect to host 127.0.0.1:9 ssl:default [Connect call failed]")
    logging.getLogger("bot").info("bot message with braces {} and 100%")
    print("a line printed to stderr", file=sys.stderr)
    logging.getLogger("pyrogram.dispatcher").critical("giving up")
    # The crash: the traceback's outermost frame is <module>.


NETWORK = ("builtins.OSError", "builtins.ConnectionResetError", "builtins.ConnectionError",
           "builtins.TimeoutError")


def label(e):
    """The demo's labels, from the structured records only: the library's
    retry and a handler's network failure are noise; the crash and the
    CRITICAL are signal; the rest (the bot's own line, chatter) other."""
    if e["tb_module"] or e["level"] == "CRITICAL":
        return "signal"
    if e["kind"] == "log" and e["logger"].startswith("pyrogram.session") and e["msg"].startswith("["):
        return "noise"
    if e["kind"] == "log" and e["msg"].startswith("Unhandled exception on ") and e["exc_type"] in NETWORK:
        return "noise"
    if e["kind"] == "log" and e["logger"] == "aiogram.dispatcher" and e["msg"].startswith("Failed to fetch updates"):
        return "noise"
    return "other"


def crash():
    raise RuntimeError("boom at top level")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefix")
    ap.add_argument("--layouts", default=None)
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--no-capture", action="store_true")
    args = ap.parse_args()
    if not args.no_capture:
        names = layouts.ALL if args.all else layouts.parse_names(args.layouts or "default")
        layouts.Capture(args.prefix, names=names)
    records()


if __name__ == "__main__":
    main()
    crash()
