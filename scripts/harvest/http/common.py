"""Shared pieces of the drivers: logging formats, the loopback fault server, time bounds."""
import logging
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "123456:TEST-TOKEN-abcdef"


def realistic_token(seed=20240611):
    """A fake token of the real shape (bot id of 10 digits, ':', 35 characters
    of [A-Za-z0-9_-], starting "AA" as issued tokens do), the same every run,
    so token masking can be tested on what the libraries really print."""
    import random
    import string
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "_-"
    bot_id = str(rng.randint(1_000_000_000, 9_999_999_999))
    return bot_id + ":AA" + "".join(rng.choice(alphabet) for _ in range(33))


def token_for(extra):
    """The dummy token, or the realistic one for the scenarios that ask for it."""
    return realistic_token() if extra.get("realtoken") else TOKEN

# The two layouts every scenario is captured in.
FORMATS = {
    # logging.basicConfig() default: LEVEL:name:message
    "basic": None,
    "asctime": "%(asctime)s - %(name)s - %(levelname)s - %(message)s",
}


# "basic" runs at DEBUG (everything a developer sees), "asctime" at INFO, the
# setup the libraries' own examples show (python-telegram-bot's README).
LEVELS = {"basic": logging.DEBUG, "asctime": logging.INFO}


def setup_logging(fmt_name):
    fmt = FORMATS[fmt_name]
    level = LEVELS[fmt_name]
    # Standard error, as basicConfig() does: uncaught tracebacks land there too.
    if fmt is None:
        logging.basicConfig(level=level)
    else:
        logging.basicConfig(level=level, format=fmt)
    # asyncio's debug chatter ("Using selector: EpollSelector") is not the subject.
    logging.getLogger("asyncio").setLevel(logging.INFO)


def cycle(fail, n_fail, total=200, ok="ok"):
    """n_fail failures, then one good poll, over and over (a plan for the
    fault server: one step per request)."""
    steps = []
    while len(steps) < total:
        steps += [fail] * n_fail + [ok]
    return ",".join(steps)


# Transient failures of getUpdates that the polling libraries (aiogram,
# python-telegram-bot) retry by themselves: the noise every driver harvests.
POLLING_NOISE = {
    "refused": ({"getUpdates": "ok,down,ok,down,ok,down,ok,down,ok,down"}, {}),
    "reset": ({"getUpdates": cycle("reset", 6)}, {}),
    "close": ({"getUpdates": cycle("close", 6)}, {}),
    "partial": ({"getUpdates": cycle("partial", 6)}, {}),
    "garbage": ({"getUpdates": cycle("garbage", 6)}, {}),
    "hang": ({"getUpdates": cycle("hang", 4)}, {}),
    "e502": ({"getUpdates": cycle("e502", 6)}, {}),
    "e502html": ({"getUpdates": cycle("e502html", 4)}, {}),
    "e500": ({"getUpdates": cycle("e500", 6)}, {}),
    "e429": ({"getUpdates": cycle("e429", 2)}, {}),
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class FaultServer:
    """Runs fault_server.py in a child process on 127.0.0.1."""

    def __init__(self, plans, lifetime=70, down=5, poll_wait=0.5):
        self.port = free_port()
        args = [sys.executable, os.path.join(HERE, "fault_server.py"), "--port", str(self.port),
                "--lifetime", str(lifetime), "--down", str(down), "--poll-wait", str(poll_wait)]
        for method, steps in plans.items():
            args += ["--plan", f"{method}={steps}"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.proc.stdout.readline()  # "ready"

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def closed_port_base():
    """A loopback URL nobody listens on: connection refused."""
    return f"http://127.0.0.1:{free_port()}"


def flush():
    sys.stdout.flush()
    sys.stderr.flush()


def deadline(seconds):
    return time.monotonic() + seconds
