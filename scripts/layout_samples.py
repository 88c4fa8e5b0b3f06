#!/usr/bin/env python3
"""Real sample lines for the layout recognizer's tests (src/records/layout/).

Runs the logging setups Python bots use (stdlib formats, loguru, rich,
python-json-logger, structlog, uvicorn's formatter, no logging at all) on the
same records and writes, for each setup, what it printed and what the
recognizer must read from each line:

    tests/data/layout-samples/NAME.log      the lines, as the library wrote them
    tests/data/layout-samples/NAME.expect   one JSON object per line of NAME.log:
        layout, time, level, logger, message (or message_prefix when the
        library wrapped the message over several lines)
    tests/data/layout-samples/formats.json  NAME -> the stdlib format string, for
        the declared-layout test (a pasted `format=` must read the same fields)

The records are the libraries' own: single-line `LEVEL:logger:message`
records taken from the harvested logs under tests/data/harvest/ (real runs of
Pyrogram, Telethon, aiogram, python-telegram-bot, urllib3, uvicorn), replayed
through each setup from a module named after their logger (so loguru's
InterceptHandler and rich's path column see what they would see in the
library), plus a few records of the bot's own that probe the edges: colons,
` - `, brackets, empty and indented messages, non-ASCII text, a multi-line
message and an exception with its traceback.

Usage:

    python3 scripts/layout_samples.py [OUTDIR]

The libraries are installed, at pinned versions, into a virtualenv under
$LOGDEDUP_HARVEST_DIR/layout (default ${XDG_CACHE_HOME:-~/.cache}/logdedup/harvest),
outside the repository; the script then runs itself in it.
"""

import collections
import glob
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
import venv
from datetime import datetime
from pathlib import Path

PINS = [
    "loguru==0.7.3",
    "rich==15.0.0",
    "python-json-logger==4.2.0",
    "structlog==26.1.0",
    "uvicorn==0.54.0",
]

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "tests" / "data" / "layout-samples"

# Canonical level names, as the recognizer's `Level` prints them.
LEVEL_NAMES = {
    "TRACE": "TRACE",
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "SUCCESS": "SUCCESS",
    "WARNING": "WARNING",
    "WARN": "WARNING",
    "ERROR": "ERROR",
    "CRITICAL": "CRITICAL",
    "FATAL": "CRITICAL",
}


def harvest_dir():
    """Where virtualenvs live: never inside the repository."""
    explicit = os.environ.get("LOGDEDUP_HARVEST_DIR")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache) / "logdedup" / "harvest"


def bootstrap(out):
    """Create the virtualenv if needed, install the pins, rerun inside it."""
    env_dir = harvest_dir() / "layout" / "venv"
    python = env_dir / "bin" / "python"
    if not python.exists():
        venv.create(env_dir, with_pip=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PINS],
        check=True,
    )
    subprocess.run([str(python), __file__, "--emit", str(out)], check=True)


# ---------------------------------------------------------------- records


BASIC = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL):([A-Za-z_][\w.]*):(.+)$")


def harvested_records(limit_per_logger=2):
    """Single-line records from the harvested `LEVEL:logger:message` logs."""
    records, seen, per_logger = [], set(), collections.Counter()
    pattern = str(REPO / "tests" / "data" / "harvest" / "**" / "*.log")
    for path in sorted(glob.glob(pattern, recursive=True)):
        if not path.endswith((".default.log", ".basic.log")):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = BASIC.match(line.rstrip("\n"))
                if not m:
                    continue
                level, name, msg = m.groups()
                # One record per logger and wording: numbers vary, texts do not.
                key = (name, re.sub(r"\d+", "0", msg)[:40])
                if key in seen or per_logger[name] >= limit_per_logger:
                    continue
                seen.add(key)
                per_logger[name] += 1
                records.append((name, getattr(logging, level), msg))
    return records


# The bot's own records: the edges of every layout.
OWN_RECORDS = [
    ("__main__", logging.INFO, "Bot started: polling with 4 workers - press Ctrl+C to stop"),
    ("root", logging.WARNING, "[retry] attempt 3/5: sleeping 2.5s"),
    ("bot.handlers", logging.ERROR, 'handler failed | chat=42 | {"ok": false}'),
    ("bot.i18n", logging.INFO, "Привет, мир — ✓ sent to @user 🚀"),
    ("__main__", logging.INFO, "  indented, with trailing spaces  "),
    ("__main__", logging.INFO, ""),
    ("bot.db", logging.DEBUG, "INFO - not a level here: WARNING:root:neither"),
    ("bot.json", logging.INFO, 'payload {"a": [1, 2], "b": "x\\\\y"}'),
    ("pyrogram.session.session", logging.DEBUG, 'Sent: {\n    "_": "Ping",\n    "ping_id": 0\n}'),
    ("bot", logging.CRITICAL, "Giving up after 5 reconnects"),
]

EXCEPTION_RECORD = ("bot.handlers", logging.ERROR, "Unhandled error in update handler")


def all_records():
    return harvested_records() + OWN_RECORDS


def module_caller(name, flavour):
    """A function that logs from a module named `name`, as a library does.

    `flavour` is "stdlib" (logger.log) or "loguru" (loguru's logger.log).
    """
    path = "/usr/local/lib/python3.11/site-packages/" + name.replace(".", "/") + ".py"
    if flavour == "stdlib":
        src = (
            "def log(logger, level, msg, exc_info=None):\n"
            "    logger.log(level, '%s', msg, exc_info=exc_info)\n"
        )
    else:
        src = (
            "def log(logger, level, msg, exc_info=None):\n"
            "    logger.opt(exception=exc_info).log(level, msg)\n"
        )
    scope = {"__name__": name}
    exec(compile(src, path, "exec"), scope)
    return scope["log"]


def raised():
    """A real exception with its traceback, raised in the bot's own module."""
    src = (
        "def handler(text):\n"
        "    try:\n"
        "        return int(text)\n"
        "    except ValueError:\n"
        "        return sys.exc_info()\n"
    )
    scope = {"__name__": "bot.handlers", "sys": sys}
    exec(compile(src, "/srv/bot/handlers.py", "exec"), scope)
    return scope["handler"]("boom in handler")


# Loguru prints the whole stack, this script's frames included: their paths
# (and its arguments) read as the bot's.
REWRITES = [(str(Path(__file__).resolve()), "/srv/bot/main.py")]


# ---------------------------------------------------------------- output


class Sample:
    """Lines printed by one setup, each with what must be read from it."""

    def __init__(self, name):
        self.name = name
        self.lines = []
        self.expect = []

    def add(self, text, first):
        """`text` is what one record printed; `first` the fields of its first line."""
        for path, shown in REWRITES:
            text = text.replace(path, shown)
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for i, line in enumerate(lines):
            self.lines.append(line)
            if i == 0:
                self.expect.append(first)
            else:
                self.expect.append(bare(line))

    def write(self, out):
        with open(out / f"{self.name}.log", "w", encoding="utf-8", newline="\n") as f:
            for line in self.lines:
                f.write(line + "\n")
        with open(out / f"{self.name}.expect", "w", encoding="utf-8", newline="\n") as f:
            for e in self.expect:
                f.write(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n")


def fields(layout, time, level, logger, message):
    return {"layout": layout, "time": time, "level": level, "logger": logger, "message": message}


def bare(line):
    return fields("bare", None, None, None, line)


def first_line(msg):
    return msg.split("\n", 1)[0]


# ---------------------------------------------------------------- stdlib


class Capture(logging.Handler):
    """A handler that keeps what it wrote and the last record."""

    def __init__(self, formatter):
        super().__init__(logging.NOTSET)
        self.setFormatter(formatter)
        self.out = io.StringIO()
        self.record = None

    def emit(self, record):
        self.out.write(self.format(record) + "\n")
        self.record = record

    def take(self):
        text = self.out.getvalue()
        self.out.seek(0)
        self.out.truncate()
        return text


def install(handler):
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)


# name -> (format, datefmt, preset, how the time reads; None: no time)
STDLIB = {
    "basic": (logging.BASIC_FORMAT, None, "python-basic", None),
    "asctime": ("%(asctime)s - %(name)s - %(levelname)s - %(message)s", None, "time-name-level", "%(asctime)s"),
    "asctime-datefmt": (
        "%(asctime)s - %(name)s - %(levelname)s - %(message)s",
        "%Y-%m-%d %H:%M:%S",
        "time-name-level",
        "%(asctime)s",
    ),
    "pyrogram-bot": (
        "[%(asctime)s - %(levelname)s] - %(name)s - %(message)s",
        "%d-%b-%y %H:%M:%S",
        "bracket-time-level",
        "%(asctime)s",
    ),
    "pipes": ("%(asctime)s | %(levelname)s | %(name)s | %(message)s", None, "time-level-name", "%(asctime)s"),
    "pipes-padded": (
        "%(asctime)s | %(levelname)-8s | %(name)s | %(message)s",
        None,
        "time-level-name",
        "%(asctime)s",
    ),
    "name-colon": ("%(asctime)s %(levelname)s %(name)s: %(message)s", None, "time-level-name", "%(asctime)s"),
    "name-colon-bracket": (
        "%(asctime)s [%(levelname)s] %(name)s: %(message)s",
        "%Y-%m-%dT%H:%M:%S",
        "time-level-name",
        "%(asctime)s",
    ),
    "level-name": ("%(asctime)s - %(levelname)s - %(name)s - %(message)s", None, "time-level-name", "%(asctime)s"),
    "level-only": ("%(asctime)s - %(levelname)s - %(message)s", None, "time-level", "%(asctime)s"),
    # The logging cookbook's example, `%m-%d %H:%M` dates and padded fields.
    "cookbook": (
        "%(asctime)s %(name)-12s %(levelname)-8s %(message)s",
        "%m-%d %H:%M",
        "time-name-level",
        "%(asctime)s",
    ),
    "name-level": ("%(name)s - %(levelname)s - %(message)s", None, "name-level", None),
    "telethon": ("[%(levelname) 5s/%(asctime)s] %(name)s: %(message)s", None, "telethon", "%(asctime)s"),
    "home-assistant": (
        "%(asctime)s.%(msecs)03d %(levelname)s (%(threadName)s) [%(name)s] %(message)s",
        "%Y-%m-%d %H:%M:%S",
        "home-assistant",
        "%(asctime)s.%(msecs)03d",
    ),
    "bracket-name-level": ("[%(name)s][%(levelname)s] %(message)s", None, "bracket-name-level", None),
    "bracket-name-level-time": (
        "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s",
        None,
        "bracket-name-level",
        "%(asctime)s",
    ),
    "mautrix": ("[%(asctime)s] [%(levelname)s@%(name)s] %(message)s", None, "level-at-name", "%(asctime)s"),
    "level-at-name": ("[%(levelname)s@%(name)s] %(message)s", None, "level-at-name", None),
    "bracket-level-name": ("[%(levelname)s] [%(name)s] %(message)s", None, "bracket-level-name", None),
    "tgbox": (
        "[%(asctime)s] %(levelname)s:%(name)s~%(funcName)s{%(lineno)s} ::: %(message)s",
        "%Y-%m-%d, %H:%M:%S",
        "name-func-line",
        "%(asctime)s",
    ),
}


def run_stdlib(name, records):
    fmt, datefmt, preset, time_fmt = STDLIB[name]
    handler = Capture(logging.Formatter(fmt, datefmt))
    install(handler)
    sample = Sample(name)

    # Spaces that open a message right after a padded field read as the
    # field's padding: `%(levelname)-8s %(message)s` prints `INFO       x`
    # for "x" after 5 spaces, or for "  x" after the padding.
    padded_before_message = re.search(r"%\(\w+\)-\d+s %\(message\)s", fmt) is not None

    def expect(record):
        time = time_fmt % record.__dict__ if time_fmt else None
        message = first_line(record.getMessage())
        if padded_before_message:
            message = message.lstrip(" ")
        logger = record.name if "%(name)" in fmt else None
        return fields(preset, time, LEVEL_NAMES[record.levelname], logger, message)

    for logger, level, msg in records:
        module_caller(logger, "stdlib")(logging.getLogger(logger), level, msg)
        sample.add(handler.take(), expect(handler.record))
    logger, level, msg = EXCEPTION_RECORD
    module_caller(logger, "stdlib")(logging.getLogger(logger), level, msg, raised())
    sample.add(handler.take(), expect(handler.record))
    if name == "home-assistant":
        # Thread names since Python 3.10 carry the target: `Thread-1 (worker)`.
        def worker():
            module_caller("homeassistant.core", "stdlib")(
                logging.getLogger("homeassistant.core"), logging.WARNING, "Something is blocking the event loop"
            )

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        sample.add(handler.take(), expect(handler.record))
    return sample


def run_lastresort(records):
    """No logging configured: Python's last-resort handler prints the bare message."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.setLevel(logging.WARNING)
    sample = Sample("lastresort")
    saved = sys.stderr
    for logger, level, msg in records:
        if level < logging.WARNING:
            continue
        sys.stderr = io.StringIO()
        try:
            module_caller(logger, "stdlib")(logging.getLogger(logger), level, msg)
            text = sys.stderr.getvalue()
        finally:
            sys.stderr = saved
        sample.add(text, bare(first_line(msg)))
    return sample


def run_uvicorn(records):
    from uvicorn.logging import DefaultFormatter

    handler = Capture(DefaultFormatter("%(levelprefix)s %(message)s", use_colors=False))
    install(handler)
    sample = Sample("uvicorn")
    for logger, level, msg in records:
        module_caller(logger, "stdlib")(logging.getLogger(logger), level, msg)
        record = handler.record
        sample.add(handler.take(), fields("uvicorn", None, LEVEL_NAMES[record.levelname], None, first_line(msg)))
    return sample


# ---------------------------------------------------------------- loguru


def run_loguru(records):
    import inspect

    from loguru import logger as loguru_logger

    sample = Sample("loguru")
    pending = []

    def sink(message):
        record = message.record
        t = record["time"]
        time = t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (t.microsecond // 1000)
        level = LEVEL_NAMES[record["level"].name]
        pending.append((str(message), fields("loguru", time, level, record["name"], first_line(record["message"]))))

    class InterceptHandler(logging.Handler):
        """Loguru's documented recipe: stdlib records to loguru, from the caller's frame."""

        def emit(self, record):
            try:
                level = loguru_logger.level(record.levelname).name
            except ValueError:
                level = record.levelno
            frame, depth = inspect.currentframe(), 0
            while frame and (depth == 0 or frame.f_code.co_filename == logging.__file__):
                frame = frame.f_back
                depth += 1
            loguru_logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())

    loguru_logger.remove()
    loguru_logger.add(sink, level="TRACE", colorize=False)
    install(InterceptHandler())

    def flush():
        for text, first in pending:
            sample.add(text, first)
        pending.clear()

    for logger, level, msg in records:
        module_caller(logger, "stdlib")(logging.getLogger(logger), level, msg)
        flush()
    # loguru's own calls, with its own levels.
    own = module_caller("bot.main", "loguru")
    own(loguru_logger, "SUCCESS", "Connected to Telegram as @harvest_bot")
    own(loguru_logger, "TRACE", "update 1234 dispatched to 2 handlers")
    flush()
    logger, level, msg = EXCEPTION_RECORD
    module_caller(logger, "loguru")(loguru_logger, "ERROR", msg, raised())
    flush()
    loguru_logger.remove()
    return sample


# ---------------------------------------------------------------- rich


def run_rich(name, records, width, tracebacks):
    from rich.cells import cell_len
    from rich.console import Console
    from rich.logging import RichHandler

    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=False, color_system=None)
    handler = RichHandler(console=console, rich_tracebacks=tracebacks)
    install(handler)
    sample = Sample(name)
    last_time = [None]
    # Room for the message on the first line: the width less the time
    # column, the level column, the path column and the gaps between them.
    room_base = width - (len("[01/01/24 00:00:00]") + 1) - 9

    def expect(record, msg):
        shown = datetime.fromtimestamp(record.created).strftime("%x %X")
        time = None if shown == last_time[0] else shown
        last_time[0] = shown
        path = "%s:%d" % (os.path.basename(record.pathname), record.lineno)
        room = room_base - len(path) - 1
        first = first_line(msg)
        level = LEVEL_NAMES[record.levelname]
        if cell_len(first) <= room and first == first.strip():
            return fields("rich", time, level, None, first)
        # Wrapped (at a space, or inside a word longer than the column), or
        # spaces at the edges that the column's padding swallows: the first
        # line holds at least the start of the first word.
        e = fields("rich", time, level, None, None)
        del e["message"]
        e["message_prefix"] = first.strip().split(" ")[0][: max(room // 2, 1)]
        return e

    for logger, level, msg in records:
        module_caller(logger, "stdlib")(logging.getLogger(logger), level, msg)
        sample.add(take(out), expect(handler_record(handler), msg))
    logger, level, msg = EXCEPTION_RECORD
    module_caller(logger, "stdlib")(logging.getLogger(logger), level, msg, raised())
    sample.add(take(out), expect(handler_record(handler), msg))
    return sample


def handler_record(handler):
    return handler.last_record


def take(out):
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


# ---------------------------------------------------------------- JSON


def json_expect(line, record, logger_key):
    obj = json.loads(line)
    time = next((obj[k] for k in ("time", "timestamp", "asctime", "@timestamp") if k in obj), None)
    return fields("json", time, LEVEL_NAMES[record.levelname], record.name if logger_key else None, record.getMessage())


def run_json_logger(name, records, formatter, logger_key):
    handler = Capture(formatter)
    install(handler)
    sample = Sample(name)
    for logger, level, msg in records:
        module_caller(logger, "stdlib")(logging.getLogger(logger), level, msg)
        text = handler.take()
        sample.add(text, json_expect(text.split("\n")[0], handler.record, logger_key))
    logger, level, msg = EXCEPTION_RECORD
    module_caller(logger, "stdlib")(logging.getLogger(logger), level, msg, raised())
    text = handler.take()
    sample.add(text, json_expect(text.split("\n")[0], handler.record, logger_key))
    return sample


def run_structlog(records):
    import structlog

    handler = Capture(logging.Formatter("%(message)s"))
    install(handler)
    structlog.configure(
        processors=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    sample = Sample("structlog")
    names = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warning",
             logging.ERROR: "error", logging.CRITICAL: "critical"}
    for logger, level, msg in records:
        log = structlog.get_logger(logger)
        getattr(log, names[level])(msg, chat_id=42)
        text = handler.take()
        obj = json.loads(text)
        sample.add(text, fields("json", obj["timestamp"], LEVEL_NAMES[names[level].upper()], logger, msg))
    logger, level, msg = EXCEPTION_RECORD
    try:
        raise ValueError("boom in handler")
    except ValueError:
        structlog.get_logger(logger).exception(msg)
    text = handler.take()
    # The stdlib formatter appends the traceback after the JSON line too.
    obj = json.loads(text.split("\n")[0])
    sample.add(text, fields("json", obj["timestamp"], "ERROR", logger, msg))
    return sample


# ---------------------------------------------------------------- main


def emit(out):
    out.mkdir(parents=True, exist_ok=True)
    REWRITES.append((str(out), "data"))
    records = all_records()
    samples = [run_stdlib(name, records) for name in STDLIB]
    samples.append(run_lastresort(records))
    samples.append(run_uvicorn(records))
    samples.append(run_loguru(records))

    from rich.logging import RichHandler

    # rich's handler keeps no record: remember the last one it rendered.
    original = RichHandler.emit

    def emit_and_keep(self, record):
        self.last_record = record
        original(self, record)

    RichHandler.emit = emit_and_keep
    samples.append(run_rich("rich", records, 80, False))
    samples.append(run_rich("rich-wide", records, 160, False))
    samples.append(run_rich("rich-tracebacks", records, 100, True))

    from pythonjsonlogger.json import JsonFormatter

    samples.append(run_json_logger(
        "json-logger", records, JsonFormatter("%(asctime)s %(name)s %(levelname)s %(message)s"), True))
    samples.append(run_json_logger(
        "json-logger-renamed",
        records,
        JsonFormatter("%(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"}, timestamp=True),
        True,
    ))
    samples.append(run_structlog(records))

    for sample in samples:
        sample.write(out)
    formats = {name: {"format": fmt, "preset": preset} for name, (fmt, _, preset, _) in STDLIB.items()}
    with open(out / "formats.json", "w", encoding="utf-8") as f:
        json.dump(formats, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(out / "versions.txt", "w", encoding="utf-8") as f:
        f.write("python " + sys.version.split()[0] + "\n")
        f.write("\n".join(PINS) + "\n")
    print(f"{len(samples)} samples, {sum(len(s.lines) for s in samples)} lines in {out}")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--emit":
        emit(Path(sys.argv[2]))
        return
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    bootstrap(out.resolve())


if __name__ == "__main__":
    main()
