#!/usr/bin/env python3
"""Runs an aiogram 3 polling bot against the loopback fault server, one scenario per run.

usage: drive_aiogram.py SCENARIO OUT_PREFIX MODE [SECONDS]      drive_aiogram.py --list
MODE: see capture.py (layouts | noconfig | basic | asctime).
"""
import asyncio
import sys

import capture
from common import POLLING_NOISE, FaultServer, closed_port_base, cycle, token_for

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.dispatcher.dispatcher import DEFAULT_BACKOFF_CONFIG
from aiogram.filters import Command
from aiogram.types import Message


# scenario -> (plans for the fault server, extra settings)
SCENARIOS = {
    # noise: the API is unreachable or misbehaves for a while; aiogram retries
    **POLLING_NOISE,
    # a handler's own request fails on the network (not retried; lost reply)
    "handler_network": ({"getUpdates": "update,ok,update,ok,update,ok,update,ok,ok",
                         "sendMessage": "reset"}, {"handler": "answer"}),
    # signals: an operator must act
    "refused_start": ({}, {"closed": True}),
    "e401_start": ({"getMe": "e401"}, {}),
    "e401_poll": ({"getUpdates": "e401"}, {}),
    "e404_start": ({"getMe": "e404"}, {}),
    "e409": ({"getUpdates": cycle("e409", 8)}, {}),
    # a flood wait raised into a handler: the reply was dropped
    "handler_flood": ({"getUpdates": "update,ok,update,ok,ok", "sendMessage": "e429"},
                      {"handler": "answer"}),
    "handler_error": ({"getUpdates": "update,ok,update,ok,ok"}, {"handler": "boom"}),
    "unclosed": ({"getUpdates": "ok"}, {"leak": True}),
    # the realistic token: where the token shows in what aiogram prints
    "token_garbage": ({"getUpdates": cycle("garbage", 3)}, {"realtoken": True}),
}


async def run(scenario, seconds):
    plans, extra = SCENARIOS[scenario]
    server = None
    if extra.get("closed"):
        base = closed_port_base()
    else:
        server = FaultServer(plans, lifetime=seconds + 10, down=4)
        base = server.base
    session = AiohttpSession(api=TelegramAPIServer.from_base(base), timeout=2)
    bot = Bot(token_for(extra), session=session)
    dp = Dispatcher()
    router = Router()

    @router.message(Command("start"))
    async def on_start(message: Message):
        if extra.get("handler") == "boom":
            raise ValueError("boom in handler")
        await message.answer("hi")

    dp.include_router(router)

    async def stopper():
        await asyncio.sleep(seconds)
        await dp.stop_polling()

    task = asyncio.create_task(stopper())
    try:
        # polling_timeout=1 keeps "hang" runs short: aiogram waits
        # session timeout + polling_timeout before it gives up.
        await dp.start_polling(bot, polling_timeout=1, handle_signals=False,
                               backoff_config=DEFAULT_BACKOFF_CONFIG)
    finally:
        task.cancel()
        if server:
            server.stop()
    if extra.get("leak"):
        # The bug this shows: a bot that opens its own aiohttp session (and
        # connector) next to aiogram's and never closes it.
        import gc
        import aiohttp
        leaked = aiohttp.ClientSession()
        del leaked
        gc.collect()
        conn = aiohttp.TCPConnector()
        del conn
        gc.collect()


def main():
    if sys.argv[1] == "--list":
        print(" ".join(SCENARIOS))
        return
    scenario, prefix, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 25
    cap = capture.start(prefix, mode)
    try:
        asyncio.run(run(scenario, seconds))
    finally:
        cap.close()


if __name__ == "__main__":
    main()
