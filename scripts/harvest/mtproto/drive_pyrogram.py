#!/usr/bin/env python3
"""Run a Pyrogram-family bot (pyrogram 1.x and 2.x, pyrofork, kurigram,
hydrogram) against the loopback fault server and capture its log in every
layout (scripts/harvest/layouts.py).

    python drive_pyrogram.py --lib pyrogram --scenario wobble --out DIR/pyrogram-2.0.106.wobble

writes DIR/pyrogram-2.0.106.wobble.LAYOUT.log and .records for every layout;
with --no-capture it configures no logging and Python prints what it prints
(run it as `... 2>&1 >FILE`). Stops by itself.
"""
import argparse
import asyncio
import base64
import gc
import importlib
import importlib.util
import inspect
import logging
import os
import signal
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

API_ID = 12345
API_HASH = "0123456789abcdef0123456789abcdef"  # dummy
USER_ID = 777000111
BOT_TOKEN = "123456:harvest-dummy-token"

DURATION = {
    "wobble": 95, "refused": 20, "accept-hang": 35, "reset-on-accept": 20, "garbage": 30,
    "auth-unregistered": 15, "auth-in-handler": 30,
    "flood": 40, "clock": 40, "authgen": 30,
}

log = logging.getLogger("bot")


def session_string(key, v1):
    if v1:
        # pyrogram 1.x Storage.SESSION_STRING_FORMAT_64 = ">B?256sQ?": dc_id, test_mode, auth_key,
        # user_id, is_bot (MemoryStorage.open picks it from the string's length)
        packed = struct.pack(">B?256sQ?", 2, False, key, USER_ID, True)
    else:
        # Storage.SESSION_STRING_FORMAT = ">BI?256sQ?": dc_id, api_id, test_mode, auth_key, user_id, is_bot
        packed = struct.pack(">BI?256sQ?", 2, API_ID, False, key, USER_ID, True)
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def package_of(lib):
    """The import name: hydrogram; pyrofork from 2.4 on ("Full rebrand", commit 8353e5a2 on
    its dev/2.4.x branch, released as 2.4.0rc1); pyrogram for pyrogram, pyrofork 2.3.x, kurigram."""
    if lib == "hydrogram":
        return "hydrogram"
    if lib == "pyrofork" and importlib.util.find_spec("pyrofork") is not None:
        return "pyrofork"
    return "pyrogram"


def make_client(mod, key):
    """Client with an in-memory session holding the shared auth key; with
    key None, a bot that has no auth key yet and must create one."""
    v1 = "in_memory" not in inspect.signature(mod.Client.__init__).parameters
    if key is None:
        if v1:
            return mod.Client(":memory:", api_id=API_ID, api_hash=API_HASH, bot_token=BOT_TOKEN)
        return mod.Client("harvest", api_id=API_ID, api_hash=API_HASH, in_memory=True, bot_token=BOT_TOKEN)
    if v1:
        # pyrogram 1.x: Client(session_name) where a long name is a session string
        return mod.Client(session_string(key, True), api_id=API_ID, api_hash=API_HASH)
    return mod.Client("harvest", api_id=API_ID, api_hash=API_HASH, in_memory=True,
                      session_string=session_string(key, False))


def invoke(app, query, **kw):
    """Client.invoke (2.x) or Client.send (1.x): the raw call."""
    call = app.invoke if hasattr(app, "invoke") else app.send
    return call(query, **kw)


def point_at_loopback(lib, pkg, port):
    """Make the library dial 127.0.0.1:port for every DC."""
    mod = importlib.import_module(pkg)
    if lib == "kurigram":
        # kurigram keeps the DC address in its storage (filled from its
        # PROD/TEST tables in SQLiteStorage.open); Client.connect() reads it
        # right after load_session().
        orig = mod.Client.load_session

        async def load_session(self):
            await orig(self)
            await self.storage.server_address("127.0.0.1")
            await self.storage.port(port)

        mod.Client.load_session = load_session
    else:
        # pyrogram, pyrofork, hydrogram: Connection.__init__ asks
        # session.internals.DataCenter(dc_id, test_mode, ipv6, [alt_port,] media)
        dc = importlib.import_module(pkg + ".session.internals.data_center").DataCenter
        dc.__new__ = lambda cls, *a, **k: ("127.0.0.1", port)


async def bot(args, pkg, port, server):
    mod = importlib.import_module(pkg)
    raw = mod.raw
    app = make_client(mod, None if args.scenario == "authgen" else common.auth_key())
    n = {"updates": 0}
    # a user the bot talks to (raw API: the same in every fork and layer)
    peer = raw.types.InputPeerUser(user_id=USER_ID + 1, access_hash=1)

    def send(text):
        return invoke(app, raw.functions.messages.SendMessage(
            peer=peer, message=text, random_id=app.rnd_id() if hasattr(app, "rnd_id") else n["updates"]))

    @app.on_raw_update()
    async def on_raw(client, update, users, chats):
        n["updates"] += 1
        if n["updates"] % 9 == 0:
            raise ValueError("boom in handler")
        await send(f"seen {n['updates']}")

    async def burst():
        # a bot that also sends on its own (a broadcast, a scheduler)
        while True:
            await asyncio.sleep(3)
            await asyncio.gather(app.get_me(), *(send(f"tick {i}") for i in range(8)),
                                 return_exceptions=True)

    dur = DURATION[args.scenario]
    if args.scenario in ("refused", "accept-hang", "reset-on-accept", "garbage", "authgen"):
        # start() never returns while the DC is unreachable; a supervisor
        # (systemd, docker) would kill the bot: stop it ourselves.
        try:
            await asyncio.wait_for(app.start(), dur)
        except asyncio.TimeoutError:
            log.warning("start() did not finish in %ss, stopping", dur)
        return

    try:
        # auth-unregistered: raises here, uncaught, like a real bot
        await asyncio.wait_for(app.start(), dur)
    except asyncio.TimeoutError:
        # clock: pyrogram 2.x discards every packet and never starts
        log.warning("start() did not finish in %ss, stopping", dur)
        return
    log.info("bot started")
    b = asyncio.ensure_future(burst())
    await asyncio.sleep(dur)
    b.cancel()

    if args.scenario == "wobble":
        # a fire-and-forget task nobody keeps a reference to
        fut = asyncio.get_running_loop().create_future()

        async def forgotten():
            await fut

        t = asyncio.ensure_future(forgotten())
        await asyncio.sleep(0)
        del t, fut
        gc.collect()

        # the DC goes away for good; the bot's next request gives up and the
        # bot dies with it (uncaught)
        server.send_signal(signal.SIGTERM)
        server.wait()
        await invoke(app, raw.functions.messages.SendMessage(peer=peer, message="bye", random_id=1),
                     retries=1)
    await app.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True, choices=["pyrogram", "pyrofork", "kurigram", "hydrogram"])
    ap.add_argument("--scenario", required=True, choices=sorted(DURATION))
    ap.add_argument("--out", required=True)
    common.add_capture_args(ap)
    args = ap.parse_args()
    pkg = package_of(args.lib)

    common.setup_capture(args)
    common.guard_loopback()

    server = None
    if args.scenario == "refused":
        port = common.closed_port()
    else:
        server, port = common.start_server(pkg, args.scenario, common.auth_key(), DURATION[args.scenario] + 60)
    point_at_loopback(args.lib, pkg, port)
    try:
        asyncio.run(bot(args, pkg, port, server))
    finally:
        if server is not None and server.poll() is None:
            server.terminate()


if __name__ == "__main__":
    main()
