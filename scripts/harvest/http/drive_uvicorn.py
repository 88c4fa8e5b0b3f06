#!/usr/bin/env python3
"""A webhook bot's server side: a tiny ASGI app under uvicorn on 127.0.0.1,
hit by normal and misbehaving clients.

usage: drive_uvicorn.py SCENARIO OUT_PREFIX MODE [SECONDS]      drive_uvicorn.py --list
MODE: layouts | noconfig | basic | asctime (see capture.py; uvicorn.Config(log_config=None)
      so the app's logging decides), or
      uvicorn (uvicorn's own default log_config: "INFO:     message", on standard error)

Works with uvicorn 0.17.6 (h11 0.13; "Invalid HTTP request received." carries
its traceback there) and the newest.
"""
import asyncio
import socket
import sys
import threading
import time

import capture
from common import TOKEN, free_port, realistic_token

import uvicorn

# token_webhook: the webhook path carries a realistic token, as many bots set it
SCENARIOS = ["scanners", "webhook", "handler_error", "token_webhook"]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    if scope["path"] == "/boom":
        raise ValueError("boom in handler")
    status = 200 if scope["path"].startswith("/webhook") else 404
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def raw(port, data, read=True, linger_reset=False, wait=0.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    try:
        if data:
            s.sendall(data)
        if wait:
            time.sleep(wait)
        if linger_reset:
            import struct
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if read:
            try:
                s.recv(65536)
            except OSError:
                pass
    finally:
        s.close()


def post(port, path, body=b'{"update_id": 1}'):
    raw(port, b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
        + b"\r\n\r\n" + body)


def clients(scenario, port, seconds):
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end and i < 60:
        i += 1
        if scenario == "webhook":
            post(port, "/webhook/123456")
        elif scenario == "token_webhook":
            post(port, "/webhook/" + (realistic_token() if i % 2 else TOKEN))
            if i % 5 == 0:
                post(port, "/boom")
        elif scenario == "handler_error":
            post(port, "/webhook/123456")
            if i % 3 == 0:
                post(port, "/boom")
        else:
            # what hits a webhook port on the internet
            kind = i % 6
            if kind == 0:
                raw(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")  # TLS to HTTP
            elif kind == 1:
                raw(port, b"GET /wp-login.php HTTP/1.1\r\nHost: x\r\n\r\n")
            elif kind == 2:
                raw(port, b"NOT-HTTP\r\n\r\n")
            elif kind == 3:
                raw(port, b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    b"Sec-WebSocket-Version: 13\r\n\r\n")
            elif kind == 4:
                # half a request, then a reset
                raw(port, b"POST /webhook/123456 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
                    read=False, linger_reset=True, wait=0.05)
            else:
                post(port, "/webhook/123456")
        time.sleep(0.2)


def main():
    if sys.argv[1] == "--list":
        print(" ".join(SCENARIOS))
        return
    scenario, prefix, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 20
    port = free_port()
    cap = None
    if mode == "uvicorn":
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="debug")
    else:
        cap = capture.start(prefix, mode)
        # the log level uvicorn sets on its loggers; the layouts filter further
        level = {"asctime": "info", "noconfig": "info"}.get(mode, "debug")
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                log_level=level)
    server = uvicorn.Server(config)

    def drive():
        while not server.started:
            time.sleep(0.05)
        clients(scenario, port, min(seconds, 15))
        server.should_exit = True

    threading.Thread(target=drive, daemon=True).start()
    try:
        asyncio.run(server.serve())
    finally:
        if cap:
            cap.close()


if __name__ == "__main__":
    main()
