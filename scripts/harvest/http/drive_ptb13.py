#!/usr/bin/env python3
"""Runs a python-telegram-bot 13.x polling bot (Updater + Dispatcher threads, its
own vendored urllib3 underneath) against the loopback fault server.

usage: drive_ptb13.py SCENARIO OUT_PREFIX MODE [SECONDS]      drive_ptb13.py --list
MODE: see capture.py (layouts | noconfig | basic | asctime).

13.x logs a failed poll from `telegram.ext.updater` (Updater._network_loop_retry:
`Error while getting Updates: %s`, `Invalid token; aborting`, RetryAfter at INFO,
TimedOut at DEBUG) and hands the error to the dispatcher, which logs it with its
traceback from `telegram.ext.dispatcher` (`No error handlers are registered,
logging exception.`) when the bot registered no error handler.
"""
import os
import signal
import sys
import threading

import capture
from common import POLLING_NOISE, FaultServer, closed_port_base, cycle, token_for

from telegram import Update
from telegram.ext import CallbackContext, CommandHandler, Updater

SCENARIOS = {
    **POLLING_NOISE,
    "handler_network": ({"getUpdates": "update,ok,update,ok,update,ok,ok",
                         "sendMessage": "reset"}, {"handler": "answer"}),
    "handler_timeout": ({"getUpdates": "update,ok,update,ok,ok",
                         "sendMessage": "hang"}, {"handler": "answer"}),
    "handler_flood": ({"getUpdates": "update,ok,update,ok,ok", "sendMessage": "e429"},
                      {"handler": "answer"}),
    "refused_start": ({}, {"closed": True}),
    "e401_start": ({"deleteWebhook": "e401", "getMe": "e401"}, {}),
    "e401_poll": ({"getUpdates": "e401"}, {}),
    "e404_start": ({"deleteWebhook": "e404", "getMe": "e404"}, {}),
    "e409": ({"getUpdates": cycle("e409", 8)}, {}),
    "handler_error": ({"getUpdates": "update,ok,update,ok,ok"}, {"handler": "boom"}),
    # the realistic token: where the token shows in what 13.x prints
    "token_refused": ({"getUpdates": "ok,down,ok,down,ok,down"}, {"realtoken": True}),
}


def main():
    if sys.argv[1] == "--list":
        print(" ".join(SCENARIOS))
        return
    scenario, prefix, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 25
    cap = capture.start(prefix, mode)
    plans, extra = SCENARIOS[scenario]
    server = None
    try:
        if extra.get("closed"):
            base = closed_port_base()
        else:
            server = FaultServer(plans, lifetime=seconds + 15, down=4)
            base = server.base

        def on_start(update: Update, context: CallbackContext):
            if extra.get("handler") == "boom":
                raise ValueError("boom in handler")
            update.message.reply_text("hi")

        updater = Updater(token_for(extra), base_url=f"{base}/bot", use_context=True,
                          request_kwargs={"connect_timeout": 2, "read_timeout": 2})
        updater.dispatcher.add_handler(CommandHandler("start", on_start))
        # Ctrl-C after SECONDS: Updater.idle() stops on SIGINT
        t = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
        t.daemon = True
        t.start()
        updater.start_polling(timeout=1, poll_interval=0)
        updater.idle()
    finally:
        if server:
            server.stop()
        cap.close()


if __name__ == "__main__":
    main()
