"""Shared by the MTProto drivers: the capture in every layout, the
loopback-only guard, the fault server subprocess."""
import linecache
import logging
import os
import random
import re
import socket
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))

sys.path.insert(0, os.path.dirname(HERE))
import layouts  # noqa: E402  (scripts/harvest/layouts.py: one run, every layout)

_SITE = re.compile(r"/\S*?/lib/python3\.\d+/site-packages/")
_STDLIB = re.compile(r"/\S*?/lib/python3\.\d+/(?=[a-z_]+[/.])")
_SCRIPTS = re.compile(re.escape(HERE) + "/")


# what is left of this machine's directories in a path cut short (loguru's
# diagnose shows values as reprs cut at a width: '/root/.cache/.../pyrog...')
_LEFTOVERS = [(re.compile(re.escape(d)), new) for d, new in (
    (os.path.dirname(os.path.dirname(HERE)).rsplit("/scripts", 1)[0], "/srv/bot"),  # the repository
    (os.path.dirname(sys.prefix), "/usr/local/lib/python3.11/site-packages"),        # the venvs' directory
    (sys.base_prefix, "/usr/local"),                                                 # the interpreter
) if len(d) > 1 and d not in ("/usr", "/usr/local")
    # a venv's parent only when this is a venv: else it is a system directory
    and not (new.endswith("site-packages") and sys.prefix == sys.base_prefix)]


def rewrite_paths(text):
    """Paths of this machine, made to look like any installation: the venv's
    site-packages and the interpreter's stdlib under /usr/local, the driver
    under /srv/bot; then what is left of those directories in paths cut
    short."""
    text = _SITE.sub("/usr/local/lib/python3.11/site-packages/", text)
    text = _STDLIB.sub("/usr/local/lib/python3.11/", text)
    text = _SCRIPTS.sub("/srv/bot/", text)
    for rx, new in _LEFTOVERS:
        text = rx.sub(new, text)
    return text


def add_capture_args(ap):
    ap.add_argument("--layouts", default="all", help="layouts.parse_names() value (default: all)")
    ap.add_argument("--no-capture", action="store_true",
                    help="configure no logging at all: what a bot with no logging setup prints "
                         "(run as `driver.py ... 2>&1 > FILE`); --out is then unused")


def _rewrite_exc_text(record):
    """A filter on the capture's handler: the record's traceback text with
    its paths rewritten, before any layout formats it. Formatters use
    `exc_text` when it is set, and rich wraps it at 80 columns: rewriting
    after the wrap would miss the paths it split."""
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = rewrite_paths(logging.Formatter().formatException(record.exc_info))
    return True


def _rewrite_rich_traceback_paths():
    """rich's own tracebacks (rich-tb) take each frame's file name from the
    code object and read its lines through linecache: give the frames the
    rewritten names, and linecache the source under those names."""
    try:
        from rich.traceback import Traceback
    except ImportError:
        return
    extract = Traceback.extract.__func__

    def patched(cls, *a, **k):
        trace = extract(cls, *a, **k)
        for stack in trace.stacks:
            for frame in stack.frames:
                new = rewrite_paths(frame.filename)
                if new != frame.filename:
                    lines = linecache.getlines(frame.filename)
                    linecache.cache[new] = (sum(map(len, lines)), None, lines, new)
                    frame.filename = new
        return trace

    Traceback.extract = classmethod(patched)


def setup_capture(args):
    """layouts.Capture on args.out, or nothing with --no-capture. Capture
    closes itself at exit, after an uncaught crash has been printed. Paths
    are rewritten (rewrite_paths) in every layout: in the text each layout
    writes, and before rich wraps a traceback."""
    if args.no_capture:
        return None
    cap = layouts.Capture(args.out, names=layouts.parse_names(args.layouts), rewrite=rewrite_paths)
    cap.handler.addFilter(_rewrite_exc_text)
    # Close before Python waits for non-daemon threads at exit, not after:
    # after a crash hydrogram's aiosqlite thread can hang there, and the
    # backstop timeout would kill the run before atexit writes the records.
    threading._register_atexit(cap.close)
    _rewrite_rich_traceback_paths()
    return cap


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
