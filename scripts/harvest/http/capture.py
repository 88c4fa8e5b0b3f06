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
import os
import sys

from common import setup_logging

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


class _Nothing:
    def close(self):
        pass


def start(prefix, mode):
    if mode == "noconfig":
        return _Nothing()
    if mode == "layouts":
        import layouts  # scripts/harvest/layouts.py
        names = os.environ.get("HARVEST_LAYOUTS")
        if names:
            return layouts.Capture(prefix, names=names.split(","))
        return layouts.Capture(prefix)
    setup_logging(mode)
    return _Nothing()
