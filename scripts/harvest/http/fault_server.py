#!/usr/bin/env python3
"""A scripted stand-in for the Telegram Bot API (and any HTTP server) on 127.0.0.1.

Standard library only, so any venv's interpreter runs it. It listens on
127.0.0.1 only and stops by itself after --lifetime seconds.

Each request is answered by the next step of a per-method plan; the last step
of a plan repeats. A plan is a comma-separated list of steps:

  ok          Bot API success: getMe -> a bot user, getUpdates -> [] after a
              short long-poll wait, anything else -> true
  update      getUpdates -> one text message update ("/start")
  reset       read the request, then close with RST (SO_LINGER 0)
  close       read the request, then close cleanly without an answer
  partial     send a 200 header promising a body, half of it, then close
  garbage     answer with bytes that are not HTTP
  hang        read the request and never answer (the client times out)
  down        close the connection and stop listening for --down seconds
              (connection refused), then listen again
  e401 e404 e409 e429 e500 e502 e502html
              an error answer shaped like the Bot API's JSON (e502html: the
              nginx HTML page a proxy in front of the API returns)

  --plan getUpdates=ok,reset,reset,ok --plan getMe=ok --plan '*=ok'

The descriptions are the Bot API's own, as the libraries' tests use them
(python-telegram-bot tests/test_bot.py, aiogram tests/test_api/...).
"""
import argparse
import asyncio
import json
import socket
import struct
import sys
import time

BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Harvest", "username": "harvest_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}

ERRORS = {
    "e401": (401, "Unauthorized", {"ok": False, "error_code": 401, "description": "Unauthorized"}),
    "e404": (404, "Not Found", {"ok": False, "error_code": 404, "description": "Not Found"}),
    "e409": (409, "Conflict", {"ok": False, "error_code": 409, "description":
             "Conflict: terminated by other getUpdates request; make sure that only one bot "
             "instance is running"}),
    "e429": (429, "Too Many Requests", {"ok": False, "error_code": 429, "description":
             "Too Many Requests: retry after 3", "parameters": {"retry_after": 3}}),
    "e500": (500, "Internal Server Error", {"ok": False, "error_code": 500,
             "description": "Internal Server Error"}),
    "e502": (502, "Bad Gateway", {"ok": False, "error_code": 502, "description": "Bad Gateway"}),
}
NGINX_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
             b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
             b"</body>\r\n</html>\r\n")


class Server:
    def __init__(self, port, plans, down_for, poll_wait):
        self.port = port
        self.plans = plans
        self.pos = {}
        self.down_for = down_for
        self.poll_wait = poll_wait
        self.server = None
        self.update_id = 1000
        self.writers = set()

    def next_step(self, method):
        key = method if method in self.plans else "*"
        plan = self.plans.get(key, ["ok"])
        i = self.pos.get(key, 0)
        self.pos[key] = i + 1
        return plan[min(i, len(plan) - 1)]

    async def start(self):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", self.port,
                                                 reuse_address=True)

    async def go_down(self):
        self.server.close()
        for w in list(self.writers):
            w.close()
        await asyncio.sleep(self.down_for)
        await self.start()

    async def read_request(self, reader):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        path = parts[1] if len(parts) > 1 else "/"
        headers = {}
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        return path

    @staticmethod
    def response(status, reason, body, ctype="application/json"):
        return (f"HTTP/1.1 {status} {reason}\r\nServer: nginx/1.18.0\r\n"
                f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                f"Connection: keep-alive\r\n\r\n").encode() + body

    def ok_body(self, method, step):
        if method == "getMe":
            return {"ok": True, "result": BOT_USER}
        if method == "getUpdates":
            if step == "update":
                self.update_id += 1
                return {"ok": True, "result": [{"update_id": self.update_id, "message": {
                    "message_id": self.update_id, "date": int(time.time()),
                    "chat": {"id": 42, "type": "private", "first_name": "Alice"},
                    "from": {"id": 42, "is_bot": False, "first_name": "Alice"},
                    "text": "/start", "entities": [{"type": "bot_command", "offset": 0,
                                                    "length": 6}]}}]}
            return {"ok": True, "result": []}
        if method == "sendMessage":
            return {"ok": True, "result": {"message_id": 1, "date": int(time.time()),
                                           "chat": {"id": 42, "type": "private"}, "text": "hi"}}
        if method == "getWebhookInfo":
            # aiogram 2 builds a WebhookInfo from it before polling
            return {"ok": True, "result": {"url": "", "has_custom_certificate": False,
                                           "pending_update_count": 0}}
        return {"ok": True, "result": True}

    async def handle(self, reader, writer):
        self.writers.add(writer)
        try:
            while True:
                try:
                    path = await self.read_request(reader)
                except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                    return
                method = path.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
                step = self.next_step(method)
                if step in ("ok", "update"):
                    if method == "getUpdates" and step == "ok":
                        await asyncio.sleep(self.poll_wait)
                    body = json.dumps(self.ok_body(method, step)).encode()
                    writer.write(self.response(200, "OK", body))
                elif step in ERRORS:
                    status, reason, obj = ERRORS[step]
                    writer.write(self.response(status, reason, json.dumps(obj).encode()))
                elif step == "e502html":
                    writer.write(self.response(502, "Bad Gateway", NGINX_502, "text/html"))
                elif step == "reset":
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                elif step == "close":
                    writer.close()
                    return
                elif step == "partial":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: 400\r\n\r\n{\"ok\":true,\"result\":[")
                    await writer.drain()
                    await asyncio.sleep(0.05)
                    writer.close()
                    return
                elif step == "garbage":
                    writer.write(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
                    await writer.drain()
                    writer.close()
                    return
                elif step == "hang":
                    await asyncio.sleep(3600)
                    return
                elif step == "down":
                    asyncio.ensure_future(self.go_down())
                    writer.close()
                    return
                else:
                    raise SystemExit(f"unknown step {step}")
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.writers.discard(writer)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--plan", action="append", default=[], help="METHOD=step,step,...")
    ap.add_argument("--lifetime", type=float, default=60)
    ap.add_argument("--down", type=float, default=5, help="seconds a 'down' step lasts")
    ap.add_argument("--poll-wait", type=float, default=0.5)
    a = ap.parse_args()
    plans = {}
    for p in a.plan:
        m, steps = p.split("=", 1)
        plans[m] = steps.split(",")
    srv = Server(a.port, plans, a.down, a.poll_wait)
    await srv.start()
    print("ready", flush=True)
    await asyncio.sleep(a.lifetime)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
