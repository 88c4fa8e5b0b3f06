#!/usr/bin/env python3
"""Checks of the layout capture (layouts.py) and of the samples in
tests/data/layouts-demo/.

    python3 -m unittest scripts/harvest/test_layouts.py     (from the repository)
    python3 scripts/harvest/test_layouts.py -v

The optional layouts (loguru, rich, json, structlog) run with the python of
the layouts venv (scripts/harvest/venv.sh layouts ...) when it exists, else
they are skipped by the capture and only the stdlib layouts are checked.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SAMPLES = os.path.join(REPO, "tests", "data", "layouts-demo")
sys.path.insert(0, HERE)

import layouts  # noqa: E402


def layouts_python():
    """The layouts venv's python if it exists, else this one."""
    base = os.environ.get("LOGDEDUP_HARVEST_VENVS") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "logdedup", "harvest")
    py = os.path.join(base, "layouts", "bin", "python")
    return py if os.access(py, os.X_OK) else sys.executable


PY = layouts_python()
ENV = dict(os.environ, PYTHONHASHSEED="0")
ENV.pop("COLUMNS", None)


def run(args, **kw):
    return subprocess.run([PY] + args, capture_output=True, env=ENV, timeout=120, **kw)


def load(prefix, name):
    with open(f"{prefix}.{name}.log", "rb") as f:
        data = f.read()
    return data, layouts.read_records(f"{prefix}.{name}.records")


def words(s):
    return s.split()


def subsequence(needle, hay):
    it = iter(hay)
    return all(any(w == h for h in it) for w in needle)


def check_entry(test, name, data, e):
    """The text of entry `e` in layout `name` holds its record."""
    text = data[e["start"]:e["end"]].decode("utf-8")
    where = f"{name} entry {e['id']}: {text!r}"
    test.assertTrue(text.endswith("\n"), where)
    if e["kind"] != "log":
        test.assertEqual(text, e["msg"], where)
        return
    msg = e["msg"]
    if name == "json":
        obj = json.loads(text)
        test.assertEqual(obj["message"], msg, where)
        test.assertEqual(obj["levelname"], e["level"], where)
        if e["exc_type"]:
            test.assertIn(e["exc_msg"], obj["exc_info"], where)
    elif name == "structlog":
        obj = json.loads(text)
        test.assertEqual(obj["event"], msg, where)
        test.assertEqual(obj["level"], e["level"].lower(), where)
        test.assertEqual(obj["logger"], e["logger"], where)
        if e["exc_type"]:
            test.assertIn(e["exc_msg"], obj["exception"], where)
    elif name in ("rich", "rich-tb"):
        # Wrapped at 80 columns with the call site on the right: the
        # message's words are there, in order.
        test.assertTrue(subsequence(words(msg), words(text)), where)
        if e["exc_type"]:
            test.assertTrue(subsequence(words(e["exc_msg"]), words(text)), where)
    else:
        first = text.split("\n", 1)[0]
        test.assertIn(msg.split("\n", 1)[0], first, where)
        if name not in ("bare", "message"):
            test.assertIn(e["level"], first, where)
        if e["exc_type"]:
            short = e["exc_type"].rsplit(".", 1)[-1]
            test.assertIn(f"{short}: {e['exc_msg']}\n", text, where)


def check_dir(test, prefix, names):
    for name in names:
        data, recs = load(prefix, name)
        with test.subTest(layout=name):
            pos = 0
            for e in recs:
                test.assertEqual(e["start"], pos, f"{name}: gap or overlap before entry {e['id']}")
                test.assertLess(e["start"], e["end"], name)
                pos = e["end"]
                check_entry(test, name, data, e)
            test.assertEqual(pos, len(data), f"{name}: the entries do not reach the end")


class Demo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.prefix = os.path.join(cls.tmp.name, "demo")
        cls.cap = run([os.path.join(HERE, "demo_layouts.py"), cls.prefix, "--all"])
        cls.raw = run([os.path.join(HERE, "demo_layouts.py"), os.path.join(cls.tmp.name, "raw"), "--no-capture"])
        cls.names = [n for n in layouts.ALL if os.path.exists(f"{cls.prefix}.{n}.records")]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_the_run_crashes_as_the_demo_says(self):
        # The demo ends in an uncaught exception: exit status 1, and with
        # the capture on nothing reaches the real stderr but skip notes.
        self.assertEqual(self.cap.returncode, 1)
        for line in self.cap.stderr.decode().splitlines():
            self.assertTrue(line.startswith("layouts: skipping "), line)
        self.assertEqual(self.cap.stdout, b"")

    def test_every_stdlib_layout_is_written(self):
        for name in layouts.ALL:
            if layouts.LAYOUTS[name].requires is None:
                self.assertIn(name, self.names)

    def test_ranges_tile_and_hold_their_records(self):
        check_dir(self, self.prefix, self.names)

    def test_bare_is_what_python_prints_with_nothing_configured(self):
        self.assertEqual(self.raw.returncode, 1)
        data, recs = load(self.prefix, "bare")
        self.assertEqual(data, self.raw.stderr)
        # urllib3's warning goes to its NullHandler: not in bare.
        self.assertFalse(any(e["logger"] == "urllib3.connectionpool" for e in recs))
        self.assertTrue(all(e["level"] in (None, "WARNING", "ERROR", "CRITICAL") for e in recs))

    def test_levels_follow_each_layouts_configuration(self):
        _, basic = load(self.prefix, "basic")
        _, asctime = load(self.prefix, "asctime")
        _, tele = load(self.prefix, "telethon-docs")
        self.assertIn("DEBUG", {e["level"] for e in basic})
        self.assertNotIn("DEBUG", {e["level"] for e in asctime})
        self.assertEqual({e["level"] for e in tele if e["kind"] == "log"}, {"WARNING", "ERROR", "CRITICAL"})
        # The same record has the same id in every layout.
        by_id = {e["id"]: e for e in basic}
        for e in asctime + tele:
            self.assertEqual(by_id[e["id"]]["msg"], e["msg"])

    def test_stderr_entries(self):
        _, recs = load(self.prefix, "basic")
        out = [e for e in recs if e["kind"] == "stderr"]
        self.assertEqual(out[0]["msg"], "a line printed to stderr\n")
        crash = out[-1]
        self.assertEqual(crash["exc_type"], "builtins.RuntimeError")
        self.assertEqual(crash["exc_msg"], "boom at top level")
        self.assertTrue(crash["tb_module"])
        self.assertTrue(crash["msg"].startswith("Traceback (most recent call last):\n"))
        logged = [e for e in recs if e["exc_type"] == "builtins.OSError"]
        self.assertEqual(len(logged), 1)
        self.assertEqual(logged[0]["exc_chain"], ["builtins.ConnectionResetError"])
        self.assertFalse(logged[0]["tb_module"])

    def test_loguru_names_the_caller_not_the_capture(self):
        if "loguru" not in self.names:
            self.skipTest("loguru is not installed for " + PY)
        data, recs = load(self.prefix, "loguru")
        for e in recs:
            if e["kind"] == "log":
                line = data[e["start"]:e["end"]].decode().split("\n", 1)[0]
                self.assertIn(" | __main__:records:", line)


SNIPPET = r"""
import logging, os, sys, threading, warnings
sys.path.insert(0, {here!r})
import layouts
cap = layouts.Capture({prefix!r}, names=["asctime", "bare", "basic"], stdout=True)
lib = logging.getLogger("lib")
lib.setLevel(logging.DEBUG)            # its own level beats the root's INFO
lib.debug("lib debug")
quiet = logging.getLogger("quiet")
quiet.setLevel(logging.ERROR)
quiet.warning("never created")
own = logging.getLogger("own")
own.addHandler(logging.NullHandler())  # a handler on the chain: bare prints nothing
own.error("own error")
logging.getLogger("plain").error("plain error")
warnings.warn("careful", UserWarning)
print("to stdout")
t = threading.Thread(target=lambda: 1 / 0)
t.start(); t.join()
cap.close()
"""


class Semantics(unittest.TestCase):
    def test_levels_handlers_warnings_threads_stdout(self):
        with tempfile.TemporaryDirectory() as tmp:
            prefix = os.path.join(tmp, "x")
            r = run(["-c", SNIPPET.format(here=HERE, prefix=prefix)])
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            _, asctime = load(prefix, "asctime")
            _, bare = load(prefix, "bare")
            data, basic = load(prefix, "basic")
            msgs = [e["msg"] for e in asctime if e["kind"] == "log"]
            self.assertEqual(msgs, ["lib debug", "own error", "plain error"])
            self.assertEqual([e["msg"] for e in bare if e["kind"] == "log"], ["plain error"])
            kinds = [(e["kind"], e["exc_type"]) for e in basic if e["kind"] != "log"]
            self.assertEqual(kinds, [("stderr", None), ("stdout", None),
                                     ("stderr", "builtins.ZeroDivisionError")])
            warn = [e for e in basic if e["kind"] == "stderr"][0]
            self.assertIn("UserWarning: careful\n", warn["msg"])
            check_dir(self, prefix, ["asctime", "bare", "basic"])


class Samples(unittest.TestCase):
    def test_the_kept_samples_tile_and_hold_their_records(self):
        if not os.path.isdir(SAMPLES):
            self.skipTest("no samples")
        names = sorted({f[len("demo."):-len(".records")] for f in os.listdir(SAMPLES)
                        if f.startswith("demo.") and f.endswith(".records")})
        self.assertTrue(names)
        layout_names = [n for n in names if n in layouts.LAYOUTS]
        check_dir(self, os.path.join(SAMPLES, "demo"), layout_names)
        # Prefixed samples: every line carries the prefix; without it each
        # entry is the unprefixed layout's entry, byte for byte.
        for n in names:
            if n in layouts.LAYOUTS:
                continue
            layout, kind = n.split(".")
            data, recs = load(os.path.join(SAMPLES, "demo"), n)
            plain, plain_recs = load(os.path.join(SAMPLES, "demo"), layout)
            self.assertEqual([e["id"] for e in recs], [e["id"] for e in plain_recs])
            rx = PREFIX_RX[kind]
            pos = 0
            for e, p in zip(recs, plain_recs):
                self.assertEqual(e["start"], pos, n)
                pos = e["end"]
                lines = data[e["start"]:e["end"]].decode().splitlines(keepends=True)
                self.assertTrue(all(rx.match(l) for l in lines), n)
                stripped = "".join(rx.sub("", l, count=1) for l in lines)
                self.assertEqual(stripped.encode(), plain[p["start"]:p["end"]], n)
            self.assertEqual(pos, len(data), n)


# What each collector puts in front of a line (prefix.py's docstring).
PREFIX_RX = {
    "compose": re.compile(r"^bot-1  \| "),
    "compose-v1": re.compile(r"^bot_1  \| "),
    "docker-ts": re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z "),
    "kubectl": re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z "),
    "journald": re.compile(r"^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d host python3\[1234\]: "),
}


if __name__ == "__main__":
    unittest.main()
