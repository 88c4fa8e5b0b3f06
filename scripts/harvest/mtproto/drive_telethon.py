#!/usr/bin/env python3
"""Run a Telethon bot against the loopback fault server and capture its log
in every layout (scripts/harvest/layouts.py).

    python drive_telethon.py --scenario wobble --out DIR/telethon-1.45.0.wobble

writes DIR/telethon-1.45.0.wobble.LAYOUT.log and .records for every layout;
with --no-capture it configures no logging (run it as `... 2>&1 >FILE`).
Stops by itself.
"""
import argparse
import asyncio
import gc
import logging
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

from telethon import TelegramClient, events  # noqa: E402
from telethon.crypto import AuthKey  # noqa: E402
from telethon.sessions import StringSession  # noqa: E402

API_ID = 12345
API_HASH = "0123456789abcdef0123456789abcdef"  # dummy

DURATION = {
    "wobble": 95, "refused": 25, "accept-hang": 40, "reset-on-accept": 25, "garbage": 30,
    "auth-unregistered": 20, "auth-in-handler": 30,
    "flood": 40, "clock": 40, "authgen": 40,
}

log = logging.getLogger("bot")


async def bot(args, port, server):
    # TelegramBaseClient.connect() dials session.server_address/port; a
    # session that already has an auth key skips the key exchange. The
    # client reads both from the session when it is built.
    session = StringSession()
    session.set_dc(2, "127.0.0.1", port)
    if args.scenario != "authgen":  # authgen: no key yet, Telethon must create one
        session.auth_key = AuthKey(common.auth_key())
    # (save() of a session without a key is empty: use the session itself then)
    client = TelegramClient(StringSession(session.save()) if session.auth_key else session, API_ID, API_HASH)
    n = {"updates": 0}

    @client.on(events.Raw)
    async def on_raw(update):
        n["updates"] += 1
        if n["updates"] % 9 == 0:
            raise ValueError("boom in handler")
        await client.send_message("me", f"seen {n['updates']}")

    async def burst():
        while True:
            await asyncio.sleep(3)
            await asyncio.gather(*(client.send_message("me", f"tick {i}") for i in range(8)),
                                 return_exceptions=True)

    dur = DURATION[args.scenario]
    if args.scenario in ("refused", "accept-hang", "reset-on-accept", "garbage", "authgen"):
        # connect() gives up after connection_retries and raises: uncaught,
        # as in a bot that does `client.start()` at the top
        await asyncio.wait_for(client.start(bot_token="123456:harvest-dummy-token"), dur)
        await asyncio.sleep(dur)
        return

    await client.start(bot_token="123456:harvest-dummy-token")
    log.info("bot started")
    b = asyncio.ensure_future(burst())
    await asyncio.sleep(dur)
    b.cancel()

    if args.scenario == "wobble":
        fut = asyncio.get_running_loop().create_future()

        async def forgotten():
            await fut

        t = asyncio.ensure_future(forgotten())
        await asyncio.sleep(0)
        del t, fut
        gc.collect()

        # the DC goes away for good: Telethon gives up reconnecting and the
        # bot's next request fails, uncaught
        server.send_signal(signal.SIGTERM)
        server.wait()
        await client.send_message("me", "bye")
    await client.disconnect()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True, choices=sorted(DURATION))
    ap.add_argument("--out", required=True)
    common.add_capture_args(ap)
    args = ap.parse_args()

    common.setup_capture(args)
    common.guard_loopback()

    server = None
    if args.scenario == "refused":
        port = common.closed_port()
    else:
        server, port = common.start_server("telethon", args.scenario, common.auth_key(),
                                           DURATION[args.scenario] + 90)
    try:
        asyncio.run(bot(args, port, server))
    finally:
        if server is not None and server.poll() is None:
            server.terminate()


if __name__ == "__main__":
    main()
