#!/usr/bin/env python3
"""One capture, many log layouts: the same log records written in every
layout Python bots print, each by the real library that formats it.

    import layouts
    cap = layouts.Capture(prefix, names=layouts.DEFAULT)
    ... run the bot ...
    cap.close()          # also run at exit, after an uncaught crash

For every layout this writes PREFIX.LAYOUT.log and PREFIX.LAYOUT.records.
The .records file is JSON lines, one per record written to the .log, in
order, with the exact byte range it occupies:

    {"id": N, "start": 0, "end": 57, "kind": "log" | "stderr" | "stdout",
     "logger": "pyrogram.session", "level": "WARNING", "msg": "...",
     "exc_type": "builtins.OSError" | null, "exc_msg": "..." | null,
     "exc_chain": ["builtins.ConnectionResetError"], "tb_module": false,
     "template": "%s: %s" | null, "time": 1733321777.37}

The ranges tile the file: every byte belongs to exactly one entry. What is
written to sys.stderr outside logging (uncaught tracebacks, warnings,
prints) goes to every layout file, in order, as "stderr" entries; an
uncaught exception's entry carries its exc_* fields and tb_module = true
when its traceback's outermost frame is `<module>`. "id" is shared across
layouts: entry 12 of one layout is the same log record as entry 12 of
another, so a labeler works on the records and never on the layout text.

Standard library only; the layouts that need loguru, rich,
python-json-logger or structlog import them lazily and are skipped, with a
message, when the package is missing (scripts/harvest/venv.sh makes a venv
with them). `python3 layouts.py --list` prints the layouts, `--pins` the
package pins to install in a library's venv for the optional layouts.
"""
import atexit
import copy
import gc
import io
import json
import logging
import os
import sys
import threading
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))

# The package versions the layouts were written and checked against
# (scripts/harvest/README.md, "Layouts").
PINS = ["loguru==0.7.3", "rich==15.0.0", "python-json-logger==4.2.0", "structlog==26.1.0"]


# -- layouts ----------------------------------------------------------------

class Layout:
    """How one layout turns a log record into text.

    `level` is the root logger level the layout's configuration sets (the
    level a record must reach unless its own logger says otherwise);
    `make(stream)` returns the logging.Handler that writes to `stream`;
    `requires` names the optional package the layout needs."""

    def __init__(self, name, description, level, make, requires=None):
        self.name = name
        self.description = description
        self.level = level
        self.make = make
        self.requires = requires


def _stdlib(fmt, datefmt=None, style="%"):
    """logging.basicConfig(format=fmt, datefmt=datefmt): a StreamHandler
    with a plain Formatter, at level NOTSET (the root level filters)."""
    def make(stream):
        h = logging.StreamHandler(stream)
        h.setFormatter(logging.Formatter(fmt, datefmt, style))
        return h
    return make


def _bare(stream):
    # logging.lastResort is a _StderrHandler(WARNING) without a formatter,
    # so Handler.format() uses logging._defaultFormatter = Formatter():
    # the bare message, then the traceback. Which records reach it is
    # decided in _Capture._wants (see _bare_reaches).
    h = logging.StreamHandler(stream)
    h.setLevel(logging.lastResort.level if logging.lastResort else logging.WARNING)
    h.setFormatter(logging.Formatter())
    return h


def _loguru(stream):
    """loguru's README "Entirely compatible with standard logging":
    logging.basicConfig(handlers=[InterceptHandler()], level=0, force=True),
    loguru's default sink format, backtrace and diagnose, colors off."""
    import inspect
    from loguru import logger

    class InterceptHandler(logging.Handler):
        # As in loguru 0.7.3's README, with one change: the frames of this
        # capture module sit between logging's and the caller's, so they
        # are skipped like logging's own to find the same caller.
        def emit(self, record):
            try:
                level = logger.level(record.levelname).name
            except ValueError:
                level = record.levelno
            frame, depth = inspect.currentframe(), 0
            while frame and (depth == 0 or frame.f_code.co_filename in (logging.__file__, __file__)):
                frame = frame.f_back
                depth += 1
            logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())

    # loguru's default handler (id 0) writes to the real sys.stderr: a bot
    # that uses loguru prints there, which here is this layout's file.
    try:
        logger.remove(0)
    except ValueError:
        pass
    h = InterceptHandler()
    h.sink_id = logger.add(stream, colorize=False)
    return h


def _rich(tracebacks):
    def make(stream):
        from rich.console import Console
        from rich.logging import RichHandler
        # Without a terminal (no std stream is a tty, COLUMNS unset) rich's
        # Console.size falls back to 80 columns and no colors; fixed here
        # so that a run from a terminal writes the same.
        console = Console(file=stream, width=80, force_terminal=False,
                          force_jupyter=False, force_interactive=False)
        h = RichHandler(console=console, rich_tracebacks=tracebacks)
        # rich's docs (logging.rst) and rich/logging.py's demo:
        # basicConfig(level="NOTSET", format="%(message)s", datefmt="[%X]", handlers=[RichHandler()])
        h.setFormatter(logging.Formatter("%(message)s", "[%X]"))
        return h
    return make


def _json(stream):
    try:
        from pythonjsonlogger.json import JsonFormatter  # 3.1 and later
    except ImportError:
        from pythonjsonlogger.jsonlogger import JsonFormatter
    h = logging.StreamHandler(stream)
    h.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    return h


def _structlog(stream):
    import structlog
    h = logging.StreamHandler(stream)
    h.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso"),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    ))
    return h


_LAYOUTS = [
    Layout("basic", "logging.basicConfig(level=DEBUG): LEVEL:name:message",
           logging.DEBUG, _stdlib(logging.BASIC_FORMAT)),
    Layout("asctime", "'%(asctime)s - %(name)s - %(levelname)s - %(message)s' at INFO "
           "(python-telegram-bot's examples)",
           logging.INFO, _stdlib("%(asctime)s - %(name)s - %(levelname)s - %(message)s")),
    # Telethon's docs, readthedocs/basic/updates.rst: "It is strongly
    # advised to enable logging when working with events ...".
    Layout("telethon-docs", "Telethon's docs: '[%(levelname) 5s/%(asctime)s] %(name)s: %(message)s' at WARNING",
           logging.WARNING, _stdlib("[%(levelname) 5s/%(asctime)s] %(name)s: %(message)s")),
    Layout("bare", "no logging configured: Python's last-resort handler (WARNING and up, bare message)",
           logging.WARNING, _bare),
    Layout("message", "logging.basicConfig(format='%(message)s', level=INFO)",
           logging.INFO, _stdlib("%(message)s")),
    # Formats found in bot repositories (the search tool over public code):
    # "[%(asctime)s - %(levelname)s] - %(name)s - %(message)s" with
    # datefmt '%d-%b-%y %H:%M:%S' is the logging of many Pyrogram bots
    # (ALBINPRAVEEN/AlbyVideoPlayer1 utils/logger.py and the file-sharing
    # bot templates);
    Layout("pyro-bot", "Pyrogram bot templates: '[%(asctime)s - %(levelname)s] - %(name)s - %(message)s' at INFO",
           logging.INFO, _stdlib("[%(asctime)s - %(levelname)s] - %(name)s - %(message)s", "%d-%b-%y %H:%M:%S")),
    # aiogram and python-telegram-bot bots: KarinaFomina04/Compozer
    # loader.py (aiogram), Lexxx42/yandex-weather-bot loader.py (PTB) -- no
    # logger name at all, and the level padded to 8;
    Layout("aiogram-line", "aiogram bot templates: '%(filename)s [LINE:%(lineno)d] #%(levelname)-8s "
           "[%(asctime)s]  %(message)s' at INFO",
           logging.INFO, _stdlib("%(filename)s [LINE:%(lineno)d] #%(levelname)-8s [%(asctime)s]  %(message)s")),
    # Pyrogram bots again (imad5445/bhumik logger.py and its kin): the
    # logger name gone, the call site at the end.
    Layout("pyro-fileline", "Pyrogram bots: '%(asctime)s - %(levelname)s - %(message)s [%(filename)s:%(lineno)d]' at INFO",
           logging.INFO, _stdlib("%(asctime)s - %(levelname)s - %(message)s [%(filename)s:%(lineno)d]",
                                 "%d-%b-%y %H:%M:%S")),
    # Home Assistant, homeassistant/bootstrap.py async_enable_logging()
    # (fmt) and homeassistant/const.py FORMAT_DATETIME (datefmt); its
    # basicConfig level is INFO (root goes to WARNING unless --verbose).
    Layout("hass", "Home Assistant: '%(asctime)s.%(msecs)03d %(levelname)s (%(threadName)s) [%(name)s] %(message)s' at INFO",
           logging.INFO, _stdlib("%(asctime)s.%(msecs)03d %(levelname)s (%(threadName)s) [%(name)s] %(message)s",
                                 "%Y-%m-%d %H:%M:%S")),
    Layout("loguru", "loguru's default sink through the README's InterceptHandler (level=0)",
           0, _loguru, requires="loguru"),
    Layout("rich", "rich.logging.RichHandler() on an 80-column Console without a terminal",
           logging.NOTSET, _rich(False), requires="rich"),
    Layout("rich-tb", "the same with rich_tracebacks=True",
           logging.NOTSET, _rich(True), requires="rich"),
    Layout("json", "python-json-logger JsonFormatter('%(asctime)s %(levelname)s %(name)s %(message)s') at INFO",
           logging.INFO, _json, requires="pythonjsonlogger"),
    Layout("structlog", "structlog ProcessorFormatter + JSONRenderer, foreign_pre_chain: level, logger name, ISO time; INFO",
           logging.INFO, _structlog, requires="structlog"),
]

LAYOUTS = {l.name: l for l in _LAYOUTS}
ALL = [l.name for l in _LAYOUTS]
DEFAULT = ["basic", "asctime", "telethon-docs", "bare", "message", "pyro-bot", "aiogram-line",
           "loguru", "rich", "json"]


def parse_names(spec):
    """Layout names from a command-line value: "default", "all", or a
    comma-separated list that may mix them ("default,rich-tb,hass")."""
    names = []
    for part in spec.split(","):
        part = part.strip()
        group = {"default": DEFAULT, "all": ALL}.get(part, [part] if part else [])
        for n in group:
            if n not in LAYOUTS:
                raise ValueError(f"unknown layout {n!r} (python3 layouts.py --list)")
            if n not in names:
                names.append(n)
    return names


def available(name):
    """None when the layout can run here, else why not."""
    req = LAYOUTS[name].requires
    if req is None:
        return None
    try:
        __import__(req)
    except ImportError as e:
        return f"{req} is not installed ({e})"
    return None


# -- the capture ------------------------------------------------------------

def _type_name(t):
    return f"{t.__module__}.{t.__qualname__}"


def exc_fields(exc_info):
    """exc_type, exc_msg, exc_chain, tb_module for an (type, value, tb)."""
    if not exc_info or exc_info[0] is None:
        return {"exc_type": None, "exc_msg": None, "exc_chain": [], "tb_module": False}
    etype, value, tb = exc_info
    try:
        msg = str(value)
    except Exception:  # a broken __str__ must not break the capture
        msg = "<unprintable>"
    # The exceptions printed before this one ("The above exception was the
    # direct cause..." / "During handling..."), oldest first, as Python
    # prints them.
    chain, seen, cur = [], {id(value)}, value
    while cur is not None:
        nxt = cur.__cause__ if cur.__cause__ is not None else (
            None if cur.__suppress_context__ else cur.__context__)
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(nxt))
        chain.append(_type_name(type(nxt)))
        cur = nxt
    chain.reverse()
    return {"exc_type": _type_name(etype), "exc_msg": msg, "exc_chain": chain,
            "tb_module": tb is not None and tb.tb_frame.f_code.co_name == "<module>"}


def _record_meta(rid, record):
    try:
        msg = record.getMessage()
    except Exception:  # logging prints "--- Logging error ---" for these
        msg = str(record.msg)
    meta = {"id": rid, "kind": "log", "logger": record.name, "level": record.levelname, "msg": msg}
    meta.update(exc_fields(record.exc_info))
    # Beyond the fields above: the message before its arguments (what a
    # record "kind" is, for trimming) and the record's time (for the
    # timestamps collectors put in front of each line).
    try:
        meta["template"] = str(record.msg)
    except Exception:
        meta["template"] = msg
    meta["time"] = record.created
    return meta


class _Sink:
    """A layout's file: counts the bytes it is given and attributes each
    write to the entry being written (a record or a stretch of stderr)."""

    def __init__(self, path, rewrite):
        self.path = path
        self.f = open(path, "wb")
        self.pos = 0
        self.entries = []  # [meta, start, end]
        self.owner = None
        self.rewrite = rewrite
        self.encoding = "utf-8"

    def write(self, s):
        # What the layout's handler writes: rewritten here. Text from the
        # stderr tee comes rewritten already (write_raw).
        n = len(s)
        if self.rewrite is not None:
            s = self.rewrite(s)
        self.write_raw(s)
        return n

    def write_raw(self, s):
        if self.f is None:
            return
        b = s.encode("utf-8", "backslashreplace")
        if not b:
            return
        self.f.write(b)
        owner = self.owner if self.owner is not None else _ORPHAN
        last = self.entries[-1] if self.entries else None
        if last is not None and last[0] is owner and last[2] == self.pos:
            last[2] += len(b)
        else:
            self.entries.append([owner, self.pos, self.pos + len(b)])
        self.pos += len(b)

    def flush(self):
        if self.f is not None:
            self.f.flush()

    def isatty(self):
        return False

    def fileno(self):
        # Not a real descriptor: libraries that ask (rich, colorama) fall
        # back to their non-terminal behavior.
        raise io.UnsupportedOperation("not a terminal")

    def close(self, records_path):
        if self.f is None:
            return
        self.f.close()
        self.f = None
        with open(records_path, "w", encoding="utf-8") as out:
            for meta, start, end in self.entries:
                row = {"id": meta["id"], "start": start, "end": end}
                row.update((k, v) for k, v in meta.items() if k != "id")
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


# Bytes written to a layout file outside any record or stderr stretch
# (nothing does this today): still accounted for, so the ranges tile.
_ORPHAN = {"id": -1, "kind": "stderr", "logger": None, "level": None, "msg": "",
           "exc_type": None, "exc_msg": None, "exc_chain": [], "tb_module": False,
           "template": None, "time": None}


def _effective_level(logger_name, root_level):
    """Logger.getEffectiveLevel() as it would be with the root logger at
    root_level (the capture sets the real root to DEBUG)."""
    lg = logging.Logger.manager.loggerDict.get(logger_name)
    while isinstance(lg, logging.Logger) and lg is not logging.root:
        if lg.level:
            return lg.level
        lg = lg.parent
    return root_level


def _bare_reaches(logger_name, ours):
    """True when a record of this logger would reach logging.lastResort in
    a process that configured nothing: Logger.callHandlers (CPython 3.11)
    counts every handler on the logger's chain, up to the first logger with
    propagate false, whatever the handler's level; lastResort runs only if
    it found none. Our own capture handler is not counted."""
    lg = logging.Logger.manager.loggerDict.get(logger_name)
    if not isinstance(lg, logging.Logger):
        lg = logging.root  # "root", or a name nobody got a logger for
    while lg is not None:
        if any(h is not ours for h in lg.handlers):
            return False
        if not lg.propagate:
            break
        lg = lg.parent
    return True


class _Handler(logging.Handler):
    """The one handler the capture installs on the root logger: gives each
    record its id and passes a copy to every layout that would print it."""

    def __init__(self, capture):
        super().__init__(logging.NOTSET)
        self.capture = capture

    def emit(self, record):
        self.capture._dispatch(record)


class _Tee:
    """sys.stderr (and optionally sys.stdout) replacement: what is written
    outside logging goes to every layout file as its own entries."""

    def __init__(self, capture, kind, orig, echo):
        self.capture = capture
        self.kind = kind
        self.orig = orig
        self.echo = echo
        self.encoding = getattr(orig, "encoding", "utf-8") or "utf-8"
        self.errors = "backslashreplace"

    def write(self, s):
        if not isinstance(s, str):
            s = str(s)
        self.capture._write_outside(self.kind, s)
        if self.echo and self.orig is not None:
            self.orig.write(s)
        return len(s)

    def writelines(self, lines):
        for s in lines:
            self.write(s)

    def flush(self):
        self.capture._flush()
        if self.echo and self.orig is not None:
            self.orig.flush()

    def isatty(self):
        return False

    def fileno(self):
        # Code that writes to the descriptor itself bypasses the capture;
        # tell it there is none rather than the real one.
        raise io.UnsupportedOperation("captured stream has no descriptor")


class Capture:
    """Capture every log record (and stderr) in several layouts at once.

    prefix:  files go to PREFIX.LAYOUT.log / .records
    names:   layout names (DEFAULT, ALL, or a list); missing packages skip
    stdout:  also capture sys.stdout (entries of kind "stdout"), as 2>&1 would
    echo:    also pass what is written to stderr/stdout to the real streams
    rewrite: a str -> str function applied to all text before it is
             written and to the records' msg/exc_msg/template (e.g. to
             rewrite paths); ranges are of the result. It runs after the
             layout formatted the text: rich's wrapping is not redone.
    """

    def __init__(self, prefix, names=DEFAULT, stdout=False, echo=False, rewrite=None):
        self.prefix = prefix
        self.rewrite = rewrite
        self.lock = threading.RLock()
        self.next_id = 0
        self.closed = False
        self.layouts = []  # (layout, sink, handler)
        self.skipped = {}
        for name in names:
            if name not in LAYOUTS:
                raise ValueError(f"unknown layout {name!r} (python3 layouts.py --list)")
            why = available(name)
            if why is not None:
                self.skipped[name] = why
                sys.__stderr__.write(f"layouts: skipping {name}: {why}\n")
                continue
            layout = LAYOUTS[name]
            sink = _Sink(f"{prefix}.{name}.log", rewrite)
            self.layouts.append((layout, sink, layout.make(sink)))
        self.handler = _Handler(self)
        # One lock for records and stderr: their order in every file is
        # the order they happened in.
        self.handler.lock = self.lock
        self.root = logging.getLogger()
        self.saved_level = self.root.level
        self.root.addHandler(self.handler)
        self.root.setLevel(logging.DEBUG)

        self.out_meta = None  # the stderr/stdout stretch being written
        self.in_hook = 0
        self.saved = (sys.stderr, sys.stdout, sys.excepthook, threading.excepthook,
                      sys.unraisablehook, warnings.showwarning)
        sys.stderr = _Tee(self, "stderr", sys.stderr, echo)
        if stdout:
            sys.stdout = _Tee(self, "stdout", sys.stdout, echo)
        sys.excepthook = self._hook(self.saved[2], lambda *a: a)
        threading.excepthook = self._hook(self.saved[3], lambda a: (a.exc_type, a.exc_value, a.exc_traceback))
        sys.unraisablehook = self._hook(
            self.saved[4], lambda a: (a.exc_type, a.exc_value, a.exc_traceback))
        warnings.showwarning = self._hook(self.saved[5], lambda *a: None)
        # An uncaught crash ends the program before the driver can call
        # close(): atexit runs after sys.excepthook has printed it.
        atexit.register(self.close)

    # -- records --

    def _dispatch(self, record):
        with self.lock:
            if self.closed:
                return
            self.out_meta = None
            meta = _record_meta(self.next_id, record)
            self.next_id += 1
            if self.rewrite is not None:
                for k in ("msg", "exc_msg", "template"):
                    if isinstance(meta.get(k), str):
                        meta[k] = self.rewrite(meta[k])
            for layout, sink, handler in self.layouts:
                # Logger.callHandlers checks the handler's level before
                # Handler.handle (which only applies filters).
                if record.levelno < handler.level or not self._wants(layout, record):
                    continue
                sink.owner = meta
                try:
                    # A copy each: formatters cache exc_text and message on
                    # the record, and must not see each other's.
                    handler.handle(copy.copy(record))
                finally:
                    sink.owner = None

    def _wants(self, layout, record):
        if record.levelno < _effective_level(record.name, layout.level):
            return False
        if layout.name == "bare":
            return _bare_reaches(record.name, self.handler)
        return True

    # -- outside logging --

    def _hook(self, orig, exc_of):
        """Wrap an exception/warning hook: what it prints is one entry."""
        def hook(*args):
            with self.lock:
                meta = self._new_out_meta("stderr")
                exc = exc_of(*args) if args else None
                if exc is not None:
                    meta.update(exc_fields(exc))
                self.in_hook += 1
                try:
                    return orig(*args)
                finally:
                    self.in_hook -= 1
                    self.out_meta = None
        return hook

    def _new_out_meta(self, kind):
        meta = {"id": self.next_id, "kind": kind, "logger": None, "level": None, "msg": "",
                "exc_type": None, "exc_msg": None, "exc_chain": [], "tb_module": False,
                "template": None, "time": time.time()}
        self.next_id += 1
        self.out_meta = meta
        return meta

    def _write_outside(self, kind, s):
        if not s:
            return
        with self.lock:
            if self.closed:
                return
            if self.rewrite is not None:
                s = self.rewrite(s)
            meta = self.out_meta
            # A plain print is an entry per line; inside a hook, everything
            # the hook prints is one entry.
            if meta is None or (not self.in_hook and (meta["kind"] != kind or meta["msg"].endswith("\n"))):
                meta = self._new_out_meta(kind)
            meta["msg"] += s
            for _, sink, _ in self.layouts:
                saved = sink.owner
                sink.owner = meta
                try:
                    sink.write_raw(s)
                finally:
                    sink.owner = saved

    def _flush(self):
        with self.lock:
            for _, sink, _ in self.layouts:
                sink.flush()

    # -- end --

    def close(self):
        """Restore logging and the streams, write the .records files."""
        # Tasks destroyed pending log "Task was destroyed but it is
        # pending!" when collected: collect while the capture still runs.
        gc.collect()
        with self.lock:
            if self.closed:
                return
            self.closed = True
            self.root.removeHandler(self.handler)
            self.root.setLevel(self.saved_level)
            (sys.stderr, sys.stdout, sys.excepthook, threading.excepthook,
             sys.unraisablehook, warnings.showwarning) = self.saved
            for layout, sink, handler in self.layouts:
                sid = getattr(handler, "sink_id", None)
                if sid is not None:
                    from loguru import logger
                    logger.remove(sid)
                sink.close(f"{self.prefix}.{layout.name}.records")
        atexit.unregister(self.close)

    @property
    def names(self):
        """The layouts actually written (the requested ones less the skipped)."""
        return [layout.name for layout, _, _ in self.layouts]


def read_records(path):
    """The entries of a .records file, in order."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv):
    if argv[1:2] == ["--pins"]:
        print(" ".join(PINS))
        return 0
    if argv[1:2] == ["--list"]:
        for name in ALL:
            why = available(name)
            mark = "*" if name in DEFAULT else " "
            note = f"  [skipped here: {why}]" if why else ""
            print(f"{mark} {name:14} {LAYOUTS[name].description}{note}")
        print("(* = in DEFAULT)")
        return 0
    print(__doc__.strip())
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
