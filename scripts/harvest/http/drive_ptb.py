#!/usr/bin/env python3
"""Runs a python-telegram-bot (v21/v22, httpx underneath) polling bot against the
loopback fault server, one scenario per run.

usage: drive_ptb.py SCENARIO FORMAT [SECONDS]      drive_ptb.py --list
Logs go to standard error as the bot's logging.basicConfig() prints them.
"""
import asyncio
import os
import signal
import sys
import threading

from common import POLLING_NOISE, TOKEN, FaultServer, closed_port_base, cycle, setup_logging

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
}


def build(base, extra):
    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE):
        if extra.get("handler") == "boom":
            raise ValueError("boom in handler")
        await update.message.reply_text("hi")

    app = (Application.builder().token(TOKEN).base_url(f"{base}/bot")
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
    scenario, fmt = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20
    setup_logging(fmt)
    plans, extra = SCENARIOS[scenario]
    server = None
    if extra.get("closed"):
        base = closed_port_base()
    else:
        server = FaultServer(plans, lifetime=seconds + 15, down=4)
        base = server.base
    app = build(base, extra)
    try:
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


if __name__ == "__main__":
    main()
