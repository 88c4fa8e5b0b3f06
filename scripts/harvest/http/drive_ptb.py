#!/usr/bin/env python3
"""Runs a python-telegram-bot (v20, v21, v22: Application, httpx underneath) polling
bot against the loopback fault server, one scenario per run.

usage: drive_ptb.py SCENARIO OUT_PREFIX MODE [SECONDS]      drive_ptb.py --list
MODE: see capture.py (layouts | noconfig | basic | asctime).
"""
import asyncio
import os
import signal
import sys
import threading

import capture
from common import POLLING_NOISE, FaultServer, closed_port_base, cycle, token_for

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes


SCENARIOS = {
    # noise: PTB's network retry loop keeps polling
    **POLLING_NOISE,
    # a handler's reply fails on the network: logged through process_error
    "handler_network": ({"getUpdates": "update,ok,update,ok,update,ok,update,ok,ok",
                         "sendMessage": "reset"}, {"handler": "answer"}),
    "handler_timeout": ({"getUpdates": "update,ok,update,ok,ok",
                         "sendMessage": "hang"}, {"handler": "answer"}),
    # Updater.start_polling() without Application.run_polling(): the
    # updater's own default error callback logs the polling errors.
    "manual_reset": ({"getUpdates": cycle("reset", 6)}, {"manual": True}),
    "manual_e502": ({"getUpdates": cycle("e502", 6)}, {"manual": True}),
    # signals
    "refused_start": ({}, {"closed": True}),
    "e401_start": ({"getMe": "e401"}, {}),
    "e404_start": ({"getMe": "e404"}, {}),
    "e401_poll": ({"getUpdates": "e401"}, {}),
    "e409": ({"getUpdates": cycle("e409", 8)}, {}),
    "manual_e409": ({"getUpdates": cycle("e409", 8)}, {"manual": True}),
    "handler_error": ({"getUpdates": "update,ok,update,ok,ok"}, {"handler": "boom"}),
    # a flood wait raised into a handler: the reply was dropped
    "handler_flood": ({"getUpdates": "update,ok,update,ok,ok", "sendMessage": "e429"},
                      {"handler": "answer"}),
    # the realistic token: where the token shows in what PTB and httpx print
    "token_reset": ({"getUpdates": cycle("reset", 3)}, {"realtoken": True}),
}


def build(base, extra):
    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE):
        if extra.get("handler") == "boom":
            raise ValueError("boom in handler")
        await update.message.reply_text("hi")

    app = (Application.builder().token(token_for(extra)).base_url(f"{base}/bot")
           .connect_timeout(2).read_timeout(2).write_timeout(2)
           .get_updates_connect_timeout(2).get_updates_read_timeout(2).build())
    app.add_handler(CommandHandler("start", on_start))
    return app


async def manual(app, seconds):
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=1)
        await asyncio.sleep(seconds)
        await app.updater.stop()
        await app.stop()


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
        app = build(base, extra)
        if extra.get("manual"):
            asyncio.run(manual(app, seconds))
        else:
            # run_polling() stops on SIGINT, as when the operator presses Ctrl-C.
            t = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
            t.daemon = True
            t.start()
            app.run_polling(timeout=1, poll_interval=0)
    finally:
        if server:
            server.stop()
        cap.close()


if __name__ == "__main__":
    main()
