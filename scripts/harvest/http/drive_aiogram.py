#!/usr/bin/env python3
"""Runs an aiogram 3 polling bot against the loopback fault server, one scenario per run.

usage: drive_aiogram.py SCENARIO FORMAT [SECONDS]
Logs go to standard error as the bot's logging.basicConfig() prints them.
"""
import asyncio
import sys

from common import POLLING_NOISE, TOKEN, FaultServer, closed_port_base, cycle, setup_logging

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
    "handler_error": ({"getUpdates": "update,ok,update,ok,ok"}, {"handler": "boom"}),
    "unclosed": ({"getUpdates": "ok"}, {"leak": True}),
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
    bot = Bot(TOKEN, session=session)
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
    scenario, fmt = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20
    setup_logging(fmt)
    asyncio.run(run(scenario, seconds))


if __name__ == "__main__":
    main()
