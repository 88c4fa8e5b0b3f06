#!/usr/bin/env python3
"""Runs an aiogram 2.x polling bot (executor.start_polling, as its examples do)
against the loopback fault server, one scenario per run.

usage: drive_aiogram2.py SCENARIO OUT_PREFIX MODE [SECONDS]      drive_aiogram2.py --list
MODE: see capture.py (layouts | noconfig | basic | asctime).

aiogram 2 logs a failed poll as `Cause exception while getting updates.` with
the traceback (aiogram/dispatcher/dispatcher.py, Dispatcher.start_polling) and
sleeps error_sleep=5 s; a handler's exception has no logger of its own: with no
errors_handler it escapes the polling task, and asyncio reports `Task exception
was never retrieved` when the task is collected.
"""
import asyncio
import sys

import capture
from common import POLLING_NOISE, FaultServer, closed_port_base, cycle, token_for

from aiogram import Bot, Dispatcher, executor, types
from aiogram.bot.api import TelegramAPIServer

SCENARIOS = {
    **POLLING_NOISE,
    # a handler's own request fails on the network: nothing catches it
    "handler_network": ({"getUpdates": "update,ok,update,ok,update,ok,ok",
                         "sendMessage": "reset"}, {"handler": "answer"}),
    # a flood wait raised into a handler: the reply was dropped
    "handler_flood": ({"getUpdates": "update,ok,update,ok,ok", "sendMessage": "e429"},
                      {"handler": "answer"}),
    "refused_start": ({}, {"closed": True}),
    "e401_start": ({"getMe": "e401"}, {}),
    "e401_poll": ({"getUpdates": "e401"}, {}),
    "e409": ({"getUpdates": cycle("e409", 8)}, {}),
    "handler_error": ({"getUpdates": "update,ok,update,ok,ok"}, {"handler": "boom"}),
    # the bot's Bot object is never closed (no on_shutdown close): aiohttp
    # reports the session and its connector when they are collected
    "unclosed": ({"getUpdates": "ok"}, {"leak": True}),
    # the realistic token: where the token shows in what aiogram 2 prints
    "token_garbage": ({"getUpdates": cycle("garbage", 3)}, {"realtoken": True}),
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
        if extra.get("leak"):
            leak(base, token_for(extra))
            return
        # aiogram 2.25 looks the loop up with get_event_loop() in Bot() and the executor
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        bot = Bot(token_for(extra), timeout=2, server=TelegramAPIServer.from_base(base))
        dp = Dispatcher(bot)

        @dp.message_handler(commands=["start"])
        async def on_start(message: types.Message):
            if extra.get("handler") == "boom":
                raise ValueError("boom in handler")
            await message.answer("hi")

        # Stop after SECONDS the way Ctrl-C does (run_forever() returns, the
        # executor shuts down and says "Goodbye!"), but at a quiet moment: a
        # SIGINT landing inside a log handler would print a KeyboardInterrupt
        # traceback through the capture's own frames
        loop.call_later(seconds, loop.stop)
        # timeout=1: the long-poll wait (getUpdates timeout), so "hang" gives up
        # after bot timeout + 1 s
        executor.start_polling(dp, timeout=1, skip_updates=False)
    finally:
        if server:
            server.stop()
        cap.close()


def leak(base, token):
    """A bot that calls the API from a script and never closes its Bot."""
    async def go():
        bot = Bot(token, timeout=2, server=TelegramAPIServer.from_base(base))
        me = await bot.get_me()
        print(f"I am {me.username}", flush=True)
    asyncio.run(go())
    import gc
    gc.collect()


if __name__ == "__main__":
    main()
