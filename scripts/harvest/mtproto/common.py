"""Shared by the MTProto drivers: log capture in several formats, the
loopback-only guard, the fault server subprocess."""
import base64
import hashlib
import logging
import os
import random
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# The formats a bot's logging.basicConfig() typically uses. Each run writes
# one file per format (same run, same records, different rendering).
FORMATS = {
    # logging.basicConfig(level=logging.DEBUG)
    "default": (logging.DEBUG, logging.BASIC_FORMAT, None),
    # the format from the logging cookbook, common in bots
    "asctime": (logging.INFO, "%(asctime)s - %(name)s - %(levelname)s - %(message)s", None),
    # the format of many Pyrogram bot templates
    "bot": (logging.INFO, "[%(asctime)s - %(levelname)s] - %(name)s - %(message)s", "%d-%b-%y %H:%M:%S"),
}


class Tee:
    """sys.stderr replacement: what Python prints outside logging (uncaught
    tracebacks, warnings) goes to every format's file, in order."""

    def __init__(self, streams):
        self.streams = streams

    def write(self, s):
        for st in self.streams:
            st.write(s)
        return len(s)

    def flush(self):
        for st in self.streams:
            st.flush()

    def isatty(self):
        return False


def setup_logging(prefix, formats):
    streams = []
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for name in formats:
        level, fmt, datefmt = FORMATS[name]
        st = open(f"{prefix}.{name}.log", "w", buffering=1)
        h = logging.StreamHandler(st)
        h.setLevel(level)
        h.setFormatter(logging.Formatter(fmt, datefmt))
        root.addHandler(h)
        streams.append(st)
    sys.stderr = Tee(streams)
    logging.captureWarnings(True)
    return streams


def guard_loopback():
    """Refuse any TCP connection that is not to 127.0.0.1: the drivers must
    never reach a real Telegram data centre, whatever the library does."""
    orig_connect = socket.socket.connect
    orig_connect_ex = socket.socket.connect_ex

    def check(addr):
        if isinstance(addr, tuple) and addr and addr[0] not in ("127.0.0.1",):
            raise PermissionError(f"harvest guard: refusing to connect to {addr!r}")

    def connect(self, addr):
        check(addr)
        return orig_connect(self, addr)

    def connect_ex(self, addr):
        check(addr)
        return orig_connect_ex(self, addr)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex


def auth_key(seed="logdedup-harvest"):
    rnd = random.Random(seed)
    return bytes(rnd.getrandbits(8) for _ in range(256))


def closed_port():
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(lib, scenario, key, duration):
    port = closed_port()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "fault_server.py"), "--lib", lib, "--port", str(port),
         "--scenario", scenario, "--auth-key", key.hex(), "--duration", str(duration)],
        stdout=subprocess.PIPE, stderr=open(os.environ.get("FAULT_SERVER_LOG", os.devnull), "a"))
    proc.stdout.readline()  # "ready" once it listens
    return proc, port
