"""How a driver run is captured: every layout at once, no logging at all, or one stdlib format.

    cap = capture.start(OUT_PREFIX, MODE)   # before the library logs anything
    ...
    cap.close()

MODE is
  layouts   the shared capture (scripts/harvest/layouts.py): one file per layout
            from this one run, PREFIX.LAYOUT.log, and a .records sidecar each
  noconfig  nothing at all: no handler, no level, Python's last-resort handler
            prints what it prints on standard error (run.sh redirects it to
            PREFIX.noconfig.log); the proof that the emulated `bare` layout is real
  basic | asctime
            the older single-format capture (logging.basicConfig on standard
            error), kept for tests/data/harvest/http
"""
import json
import logging
import os
import sys

from common import setup_logging

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


# Where this machine keeps things, rewritten to where a deployed bot keeps
# them, so paths in tracebacks look like a server's and no local path is committed.
_SITE = os.path.dirname(os.path.dirname(logging.__file__))      # .../lib/python3.11
_VENV = os.path.join(sys.prefix, "lib", "python3.11", "site-packages")
_HERE = os.path.dirname(os.path.abspath(__file__))


def rewrite_paths(text):
    return (text.replace(_VENV, "/usr/local/lib/python3.11/site-packages")
            .replace(_SITE, "/usr/local/lib/python3.11")
            .replace(_HERE, "/srv/bot"))


class _Nothing:
    def close(self):
        pass


def start(prefix, mode):
    if mode == "noconfig":
        return _Nothing()
    if mode == "layouts":
        import layouts  # scripts/harvest/layouts.py
        names = os.environ.get("HARVEST_LAYOUTS")
        names = names.split(",") if names else layouts.ALL
        if os.environ.get("HARVEST_SIDECAR"):
            _sidecar_factory(prefix + ".sidecar")
        layouts.Capture(prefix, names=names, stdout=True, rewrite=rewrite_paths)
        # Capture closes itself at exit, after sys.excepthook has printed an
        # uncaught crash: closing it in the driver's `finally` would lose that
        return _Nothing()
    setup_logging(mode)
    if os.environ.get("HARVEST_SIDECAR"):
        # the records as JSON lines (no byte ranges): what the labeler and
        # the template list need, for a run without the shared capture
        logging.getLogger().addHandler(_Sidecar(prefix + "." + mode + ".sidecar"))
    return _Nothing()


def _sidecar_factory(path):
    """The sidecar without a handler: a handler of ours on the root logger
    would stop Python's last-resort handler, and the `bare` layout emulates
    exactly that. The record factory sees every record the loggers let
    through (the capture sets the root level to DEBUG)."""
    sink = _Sidecar(path)
    orig = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = orig(*args, **kwargs)
        sink.emit(record)
        return record
    logging.setLogRecordFactory(factory)


class _Sidecar(logging.Handler):
    def __init__(self, path):
        super().__init__(logging.DEBUG)
        self.f = open(path, "w", encoding="utf-8")

    def emit(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        chain, e = [], exc
        while e is not None and len(chain) < 10:
            chain.append(type(e).__module__ + "." + type(e).__qualname__)
            e = e.__cause__ or e.__context__
        out = {"kind": "log", "logger": record.name, "level": record.levelname,
               "msg": record.getMessage(), "exc_type": chain[0] if chain else None,
               "exc_msg": str(exc) if exc is not None else None, "exc_chain": chain,
               "tb_module": False, "pathname": record.pathname, "funcName": record.funcName,
               "lineno": record.lineno, "fmt": str(record.msg)}
        self.f.write(json.dumps(out) + "\n")
        self.f.flush()
