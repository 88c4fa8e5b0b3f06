#!/usr/bin/env python3
"""A loopback MTProto server that misbehaves on schedule.

It speaks just enough MTProto 2.0 to keep a real client happy (ping/pong,
rpc_result, pushed updates) with an auth key that the driver shares with it,
and then breaks the connection in the ways a real network does: reset,
closed mid-frame, garbage bytes, silence, refused connections, auth errors.

It runs with the interpreter of the library's own virtualenv and uses that
library's TL types and AES-IGE for (de)serialisation, so nothing here is a
second implementation of the schema.

Binds 127.0.0.1 only. Stops by itself after --duration seconds.

    python fault_server.py --lib pyrogram --port 40001 --scenario wobble --auth-key HEX
"""
import argparse
import asyncio
import hashlib
import os
import socket
import struct
import sys
import time
import zlib
from io import BytesIO

HOST = "127.0.0.1"


def note(*a):
    print("[fault-server]", *a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Codecs: TL (de)serialisation borrowed from the client library under test.
# --------------------------------------------------------------------------
class PyroCodec:
    """pyrogram and its forks (pyrofork, kurigram), hydrogram."""

    def __init__(self, pkg):
        mod = __import__(pkg)
        self.raw = mod.raw
        self.aes = __import__(pkg + ".crypto.aes", fromlist=["aes"])

    def enc(self, data, key, iv):
        return self.aes.ige256_encrypt(data, key, iv)

    def dec(self, data, key, iv):
        return self.aes.ige256_decrypt(data, key, iv)

    def read(self, body):
        return self.raw.core.TLObject.read(BytesIO(body))

    def container(self, obj):
        if isinstance(obj, self.raw.core.MsgContainer):
            return [(m.msg_id, m.body) for m in obj.messages]
        return None

    def inner(self, obj):
        while hasattr(obj, "query"):
            obj = obj.query
        return obj

    def w(self, obj):
        return obj.write()

    def pong(self, msg_id, ping_id):
        return self.raw.types.Pong(msg_id=msg_id, ping_id=ping_id).write()

    def rpc_error(self, code, msg):
        return self.raw.types.RpcError(error_code=code, error_message=msg).write()

    def msgs_ack(self, ids):
        return self.raw.types.MsgsAck(msg_ids=ids).write()

    def bad_msg(self, msg_id, code):
        return self.raw.types.BadMsgNotification(bad_msg_id=msg_id, bad_msg_seqno=0, error_code=code).write()

    def rpc_result_id(self):
        return self.raw.types.RpcResult.ID

    def result_for(self, name, q, state):
        t = self.raw.types
        now = int(time.time())
        if name == "GetFullUser":
            user = t.User(id=state.user_id, is_self=True, bot=True, first_name="harvest", access_hash=1,
                          username="harvest_bot")
            full = _build(t.UserFull, id=state.user_id, settings=t.PeerSettings(),
                          notify_settings=t.PeerNotifySettings(), common_chats_count=0)
            return _build(t.users.UserFull, full_user=full, chats=[], users=[user]).write()
        if name == "GetUsers":
            user = t.User(id=state.user_id, is_self=True, bot=True, first_name="harvest", access_hash=1)
            return self.raw.core.Vector([user]).write() if hasattr(self.raw.core, "Vector") else None
        if name == "GetState":
            return t.updates.State(pts=state.pts, qts=0, date=now, seq=0, unread_count=0).write()
        if name == "GetDifference":
            return t.updates.DifferenceEmpty(date=now, seq=0).write()
        if name == "SendMessage":
            state.pts += 1
            return t.UpdateShortSentMessage(id=state.pts, pts=state.pts, pts_count=1, date=now).write()
        return BOOL_TRUE

    def update(self, state):
        t = self.raw.types
        now = int(time.time())
        return t.UpdateShort(update=t.UpdateUserStatus(user_id=state.user_id,
                                                       status=t.UserStatusOnline(expires=now + 60)),
                             date=now).write()


class TelethonCodec:
    def __init__(self):
        from telethon.crypto import AES
        from telethon.extensions import BinaryReader
        from telethon.tl import core, types
        self.AES, self.BinaryReader, self.core, self.types = AES, BinaryReader, core, types

    def enc(self, data, key, iv):
        return self.AES.encrypt_ige(data, key, iv)

    def dec(self, data, key, iv):
        return self.AES.decrypt_ige(data, key, iv)

    def read(self, body):
        with self.BinaryReader(body) as r:
            cid = struct.unpack("<I", body[:4])[0]
            if cid == self.core.MessageContainer.CONSTRUCTOR_ID:
                r.read_int()
                items = []
                for _ in range(r.read_int()):
                    msg_id, _seq, length = r.read_long(), r.read_int(), r.read_int()
                    items.append((msg_id, self.read(r.read(length))))
                return ("container", items)
            return r.tgread_object()

    def container(self, obj):
        if isinstance(obj, tuple) and obj[0] == "container":
            return obj[1]
        return None

    def inner(self, obj):
        while hasattr(obj, "query"):
            obj = obj.query
        return obj

    def pong(self, msg_id, ping_id):
        return bytes(self.types.Pong(msg_id=msg_id, ping_id=ping_id))

    def rpc_error(self, code, msg):
        return bytes(self.types.RpcError(error_code=code, error_message=msg))

    def msgs_ack(self, ids):
        return bytes(self.types.MsgsAck(msg_ids=ids))

    def bad_msg(self, msg_id, code):
        return bytes(self.types.BadMsgNotification(bad_msg_id=msg_id, bad_msg_seqno=0, error_code=code))

    def rpc_result_id(self):
        return self.core.RpcResult.CONSTRUCTOR_ID

    def result_for(self, name, q, state):
        t = self.types
        now = int(time.time())
        if name in ("GetUsersRequest",):
            user = t.User(id=state.user_id, is_self=True, bot=True, bot_info_version=1, first_name="harvest",
                          access_hash=1, username="harvest_bot")
            return struct.pack("<Ii", 0x1cb5c415, 1) + bytes(user)
        if name == "GetStateRequest":
            return bytes(t.updates.State(pts=state.pts, qts=0, date=now, seq=0, unread_count=0))
        if name == "GetDifferenceRequest":
            return bytes(t.updates.DifferenceEmpty(date=now, seq=0))
        if name == "SendMessageRequest":
            state.pts += 1
            return bytes(t.UpdateShortSentMessage(id=state.pts, pts=state.pts, pts_count=1, date=now))
        return BOOL_TRUE

    def update(self, state):
        t = self.types
        now = int(time.time())
        return bytes(t.UpdateShort(update=t.UpdateUserStatus(user_id=state.user_id,
                                                             status=t.UserStatusOnline(expires=now + 60)),
                                   date=now))


BOOL_TRUE = struct.pack("<I", 0x997275b5)  # boolTrue#997275b5 = Bool


def _build(cls, **kw):
    """Construct a TL type, filling required scalar fields of newer layers with zero values."""
    import inspect
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if name in ("self",) or name in kw or p.default is not inspect.Parameter.empty:
            continue
        ann = str(p.annotation)
        if "int" in ann:
            kw[name] = 0
        elif "str" in ann:
            kw[name] = ""
        elif "bool" in ann:
            kw[name] = False
        elif "List" in ann or "list" in ann:
            kw[name] = []
    return cls(**kw)


# --------------------------------------------------------------------------
# MTProto 2.0 server side (https://core.telegram.org/mtproto/description)
# --------------------------------------------------------------------------
def kdf(auth_key, msg_key, x):
    a = hashlib.sha256(msg_key + auth_key[x:x + 36]).digest()
    b = hashlib.sha256(auth_key[x + 40:x + 76] + msg_key).digest()
    return a[:8] + b[8:24] + a[24:32], b[:8] + a[8:24] + b[24:32]


class State:
    def __init__(self):
        self.user_id = 777000111
        self.pts = 1
        self.last_msg_id = 0
        self.conn_count = 0
        self.t0 = time.time()


class Framing:
    """Abridged / intermediate / full TCP transports, detected from the first
    bytes, and the obfuscated abridged transport (TCPAbridgedO, pyrogram 1.x's
    default): a 64-byte nonce sets up AES-256-CTR in each direction
    (https://core.telegram.org/mtproto/mtproto-transports#transport-obfuscation)."""

    def __init__(self, reader, writer):
        self.r, self.w = reader, writer
        self.kind = None
        self.out_seq = 0
        self.rx = self.tx = None  # CTR ciphers when obfuscated
        self._pending_len = None

    async def _read(self, n):
        data = await self.r.readexactly(n)
        return self.rx.decrypt(data) if self.rx else data

    async def detect(self):
        first = await self.r.readexactly(1)
        if first == b"\xef":
            self.kind = "abridged"
            return
        head = first + await self.r.readexactly(3)
        if head in (b"\xee\xee\xee\xee", b"\xdd\xdd\xdd\xdd"):
            self.kind = "intermediate"
            return
        seq = await self.r.readexactly(4)
        n = struct.unpack("<i", head)[0]
        if 12 <= n < 1 << 24 and seq == b"\0\0\0\0":
            self.kind = "full"  # length, then seq_no 0 of the first packet
            self._pending_len = n
            return
        import pyaes  # a dependency of pyrogram 1.x and its descendants
        nonce = head + seq + await self.r.readexactly(56)
        rev = nonce[55:7:-1]

        def ctr(key, iv):
            return pyaes.AESModeOfOperationCTR(bytes(key), counter=pyaes.Counter(int.from_bytes(iv, "big")))
        self.rx, self.tx = ctr(nonce[8:40], nonce[40:56]), ctr(rev[0:32], rev[32:48])
        tag = self.rx.decrypt(nonce)[56:60]
        self.kind = {b"\xef" * 4: "abridged", b"\xee" * 4: "intermediate", b"\xdd" * 4: "intermediate"}.get(tag)
        if self.kind is None:
            raise ConnectionError(f"unknown obfuscated protocol tag {tag.hex()}")

    async def recv(self):
        if self.kind == "abridged":
            n = (await self._read(1))[0]
            if n == 0x7f:
                n = int.from_bytes(await self._read(3), "little")
            return await self._read(n * 4)
        if self.kind == "intermediate":
            n = struct.unpack("<i", await self._read(4))[0]
            return await self._read(n)
        if self._pending_len is not None:
            n, self._pending_len = self._pending_len, None
            rest = await self.r.readexactly(n - 8)  # seq already read
            return rest[:-4]
        n = struct.unpack("<i", await self.r.readexactly(4))[0]
        rest = await self.r.readexactly(n - 4)
        return rest[4:-4]  # seq, payload, crc

    def frame(self, data):
        if self.kind == "abridged":
            n = len(data) // 4
            head = bytes([n]) if n < 127 else b"\x7f" + n.to_bytes(3, "little")
            out = head + data
        elif self.kind == "intermediate":
            out = struct.pack("<i", len(data)) + data
        else:
            head = struct.pack("<ii", len(data) + 12, self.out_seq) + data
            self.out_seq += 1
            out = head + struct.pack("<I", zlib.crc32(head))
        return self.tx.encrypt(out) if self.tx else out


class Conn:
    def __init__(self, srv, reader, writer, idx):
        self.srv, self.r, self.w, self.idx = srv, reader, writer, idx
        self.f = Framing(reader, writer)
        self.session_id = None
        self.seq = 0
        self.alive = True
        self.acked = False
        self.corrupt = False

    def next_msg_id(self):
        st = self.srv.state
        # a DC whose clock is `skew` seconds ahead: the client's clock is behind
        mid = int((time.time() + self.srv.plan.get("skew", 0)) * 2 ** 32) & ~3 | 1
        if mid <= st.last_msg_id:
            mid = st.last_msg_id + 4
        st.last_msg_id = mid
        return mid

    def encrypt(self, body, content=True):
        key = self.srv.auth_key
        # seq_no: odd for content-related messages, even (content count * 2) for acks
        if content:
            self.seq += 1
        seq_no = self.seq * 2 - 1 if content else self.seq * 2
        data = (struct.pack("<q", 0) + self.session_id +
                struct.pack("<qii", self.next_msg_id(), seq_no, len(body)) + body)
        data += os.urandom(-(len(data) + 12) % 16 + 12)
        msg_key = hashlib.sha256(key[96:128] + data).digest()[8:24]
        aes_key, aes_iv = kdf(key, msg_key, 8)
        return self.srv.auth_key_id + msg_key + self.srv.codec.enc(data, aes_key, aes_iv)

    def decrypt(self, packet):
        key = self.srv.auth_key
        msg_key = packet[8:24]
        aes_key, aes_iv = kdf(key, msg_key, 0)
        data = self.srv.codec.dec(packet[24:], aes_key, aes_iv)
        session_id = data[8:16]
        msg_id, _seq, length = struct.unpack("<qii", data[16:32])
        return session_id, msg_id, data[32:32 + length]

    def send(self, body, content=True):
        if self.session_id is None or not self.alive:
            return
        data = self.f.frame(self.encrypt(body, content))
        if self.corrupt:
            self.corrupt = False
            data = data[:-4] + bytes(b ^ 0x5a for b in data[-4:])
        self.w.write(data)

    def answer(self, msg_id, obj):
        c = self.srv.codec
        items = c.container(obj)
        if items is not None:
            for mid, o in items:
                self.answer(mid, o)
            return
        q = c.inner(obj)
        name = type(q).__name__
        if os.environ.get("FAULT_SERVER_DEBUG"):
            note("got", name)
        if name in ("Ping", "PingRequest", "PingDelayDisconnect", "PingDelayDisconnectRequest"):
            self.send(c.pong(msg_id, q.ping_id))
            return
        if name in ("MsgsAck",) or name.startswith("MsgsAck"):
            return
        self.srv.last_request = (self, msg_id)
        if self.srv.badmsg_left > 0:
            # the DC rejects the requests of a client whose clock is wrong
            self.srv.badmsg_left -= 1
            self.send(c.bad_msg(msg_id, self.srv.plan["badmsg"][1]), content=False)
            return
        err = self.srv.scenario_error(name)
        if err:
            body = c.rpc_error(*err)
        else:
            body = c.result_for(name, q, self.srv.state)
            if body is None:
                return
        self.send(struct.pack("<Iq", c.rpc_result_id(), msg_id) + body)

    async def reader_loop(self):
        while self.alive:
            packet = await self.f.recv()
            if len(packet) >= 8 and packet[:8] == b"\0" * 8 and self.srv.plan.get("plain") == "rst":
                # a key exchange (req_pq_multi): the DC drops the connection
                # mid auth-key generation, as during a DC migration
                note("plaintext message: reset")
                _rst(self.w)
                return
            if len(packet) < 24 or packet[:8] != self.srv.auth_key_id:
                continue
            self.session_id, msg_id, body = self.decrypt(packet)
            if self.srv.silent:
                continue
            if not self.acked:
                # a DC acknowledges the first message of a session; that ack has
                # seq_no 0, which pyrogram 1.x takes its clock from (MsgId.set_server_time)
                self.acked = True
                self.send(self.srv.codec.msgs_ack([msg_id]), content=False)
            try:
                obj = self.srv.codec.read(body)
            except Exception as e:  # an object this server does not know: ignore it
                note("cannot read", e)
                continue
            try:
                self.answer(msg_id, obj)
            except Exception as e:  # a bug here must not look like a network fault
                note("cannot answer", repr(e))
            await self.w.drain()

    async def pusher(self, every):
        while self.alive:
            await asyncio.sleep(every)
            if not self.srv.silent:
                self.send(self.srv.codec.update(self.srv.state))
                try:
                    await self.w.drain()
                except Exception:
                    return


class Server:
    def __init__(self, args):
        self.args = args
        lib = args.lib
        self.codec = TelethonCodec() if lib == "telethon" else PyroCodec(lib)
        self.auth_key = bytes.fromhex(args.auth_key)
        self.auth_key_id = hashlib.sha1(self.auth_key).digest()[-8:]
        self.state = State()
        self.silent = False
        self.server = None
        self.plan = SCENARIOS[args.scenario]
        self.calls = {}
        self.last_request = None
        self.badmsg_left = 0

    def scenario_error(self, name):
        errs = self.plan.get("errors", {})
        for k, v in errs.items():
            if name.startswith(k):
                return v
        for k, cycle in self.plan.get("errors_cycle", {}).items():
            if name.startswith(k):
                n = self.calls[k] = self.calls.get(k, 0) + 1
                return cycle[(n - 1) % len(cycle)]
        return None

    async def clock_check(self):
        """`badmsg`: (after, code): `after` seconds in, answer the client's
        latest request with bad_msg_notification `code` (16: msg_id too low),
        as a DC does when the client's clock is wrong."""
        after, code = self.plan["badmsg"]
        await asyncio.sleep(after)
        if self.last_request is not None:
            conn, msg_id = self.last_request
            note("bad_msg_notification", code, "for", msg_id)
            conn.send(self.codec.bad_msg(msg_id, code), content=False)
            self.badmsg_left = 2  # and the next two requests too
            try:
                await conn.w.drain()
            except Exception:
                pass

    async def listen(self):
        self.server = await asyncio.start_server(self.on_conn, HOST, self.args.port)
        if "badmsg" in self.plan and not getattr(self, "clock_task", None):
            self.clock_task = asyncio.ensure_future(self.clock_check())

    async def on_conn(self, reader, writer):
        st = self.state
        idx = st.conn_count
        st.conn_count += 1
        steps = self.plan["conns"]
        step = steps[min(idx, len(steps) - 1)]
        note(f"conn {idx} step {step}")
        conn = Conn(self, reader, writer, idx)
        tasks = []
        try:
            action, arg = step
            if action == "rst-at-once":
                _rst(writer)
                return
            if action == "hang":
                await asyncio.sleep(arg)
                writer.close()
                return
            if action == "garbage-at-once":
                writer.write(os.urandom(arg))
                await writer.drain()
                await asyncio.sleep(3)
                writer.close()
                return
            await conn.f.detect()
            tasks.append(asyncio.ensure_future(conn.reader_loop()))
            if self.plan.get("push"):
                tasks.append(asyncio.ensure_future(conn.pusher(self.plan["push"])))
            serve_for, then = arg, action
            done, _ = await asyncio.wait(tasks[:1], timeout=serve_for)
            if done:
                exc = tasks[0].exception()
                if exc and not isinstance(exc, (ConnectionError, asyncio.IncompleteReadError)):
                    note("reader failed:", repr(exc))
                return  # client went away
            await self.fault(conn, then)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            conn.alive = False
            for t in tasks:
                t.cancel()
            try:
                writer.close()
            except Exception:
                pass

    async def fault(self, conn, then):
        w = conn.w
        if then == "rst":
            _rst(w)
        elif then == "fin":
            w.close()
        elif then == "midframe":
            data = conn.f.frame(conn.encrypt(self.codec.update(self.state)))
            w.write(data[: len(data) // 2])
            await w.drain()
            w.close()
        elif then == "garbage-framed":
            w.write(conn.f.frame(os.urandom(64)))
            await w.drain()
            await asyncio.sleep(4)
            w.write(os.urandom(37))
            await w.drain()
            await asyncio.sleep(12)
            w.close()
        elif then == "silence":
            self.silent = True
            conn.alive = False
            await asyncio.sleep(25)
            self.silent = False
            w.close()
        elif then == "transport-429":
            w.write(conn.f.frame(struct.pack("<i", -429)))
            await w.drain()
            await asyncio.sleep(1)
            w.close()
        elif then == "badcrc":
            # one frame damaged on the way: a wrong CRC (full transport) or
            # flipped payload bytes (the others)
            conn.corrupt = True
            conn.send(self.codec.update(self.state))
            await w.drain()
            await asyncio.sleep(6)
            w.close()
        elif then == "transport-404":
            w.write(conn.f.frame(struct.pack("<i", -404)))
            await w.drain()
            await asyncio.sleep(1)
            w.close()
        elif then == "down":
            # stop listening for a while: connection refused
            self.server.close()
            _rst(w)
            await asyncio.sleep(self.plan.get("down_for", 8))
            await self.listen()
        elif then == "serve":
            await asyncio.sleep(3600)


def _rst(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# Each connection the client opens gets the next step: (fault, seconds served before it).
SCENARIOS = {
    # a bot that runs, then loses its connection in every way in turn
    "wobble": {
        "push": 0.4,
        "down_for": 8,
        "conns": [("rst", 6), ("midframe", 4), ("garbage-framed", 4), ("badcrc", 3), ("silence", 3),
                  ("down", 3), ("serve", 3600)],
    },
    # the bot sends too fast: FLOOD_WAIT on some of its messages, short ones
    # (the library sleeps them itself) and long ones (raised into the
    # handler), then a transport-level flood error (-429)
    "flood": {"push": 0.5,
              "errors_cycle": {"SendMessage": [None, None, (420, "FLOOD_WAIT_3"), None, None, None,
                                               (420, "FLOOD_WAIT_120")]},
              "conns": [("transport-429", 20), ("serve", 3600)]},
    # the client's clock is 10 minutes behind the DC's: the DC's msg_ids look
    # far in the future, and after a while it answers bad_msg_notification 16
    "clock": {"push": 0.5, "skew": 600, "badmsg": (12, 16), "conns": [("serve", 3600)]},
    # a bot without an auth key: the DC drops every key exchange
    "authgen": {"plain": "rst", "conns": [("serve", 3600)]},
    # the DC accepts and never answers
    "accept-hang": {"conns": [("hang", 30)]},
    # every connection is reset as soon as it is accepted
    "reset-on-accept": {"conns": [("rst-at-once", 0)]},
    # the peer answers with garbage bytes
    "garbage": {"conns": [("garbage-at-once", 200)]},
    # the auth key is no longer known: an RPC error at start-up
    # (Telethon then logs in again with the bot token: that fails the same way)
    "auth-unregistered": {"errors": {"GetState": (401, "AUTH_KEY_UNREGISTERED"),
                                     "GetUsers": (401, "AUTH_KEY_UNREGISTERED"),
                                     "ImportBotAuthorization": (401, "AUTH_KEY_UNREGISTERED")},
                          "conns": [("serve", 3600)]},
    # a running bot whose requests start failing with an auth error,
    # then the DC says the auth key is unknown at transport level
    "auth-in-handler": {"push": 0.5,
                        "errors": {"SendMessage": (401, "AUTH_KEY_UNREGISTERED")},
                        "conns": [("transport-404", 8), ("transport-404", 4), ("serve", 3600)]},
}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--auth-key", required=True)
    ap.add_argument("--duration", type=float, default=90)
    args = ap.parse_args()
    srv = Server(args)
    await srv.listen()
    note(f"listening on {HOST}:{args.port} scenario {args.scenario}")
    print("ready", flush=True)
    await asyncio.sleep(args.duration)


if __name__ == "__main__":
    asyncio.run(main())
