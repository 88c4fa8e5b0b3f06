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


class Names(unittest.TestCase):
    def test_parse_names(self):
        self.assertEqual(layouts.parse_names("default"), layouts.DEFAULT)
        self.assertEqual(layouts.parse_names("all"), layouts.ALL)
        self.assertEqual(layouts.parse_names("basic,default,hass")[-1], "hass")
        self.assertEqual(len(layouts.parse_names("basic,default")), len(layouts.DEFAULT))
        with self.assertRaises(ValueError):
            layouts.parse_names("basic,nope")


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


class Lines(unittest.TestCase):
    DATA = b"a1\na2\nb1 b2\nc1\n"
    RECS = [
        {"id": 0, "start": 0, "end": 6, "kind": "log", "logger": "x", "level": "INFO", "msg": "a",
         "exc_type": None, "tb_module": False, "template": "a"},
        {"id": 1, "start": 6, "end": 9, "kind": "stderr", "logger": None, "level": None, "msg": "b1 ",
         "exc_type": None, "tb_module": False},
        {"id": 2, "start": 9, "end": 12, "kind": "log", "logger": "x", "level": "INFO", "msg": "a",
         "exc_type": None, "tb_module": False, "template": "a"},
        {"id": 3, "start": 12, "end": 15, "kind": "log", "logger": "x", "level": "INFO", "msg": "a",
         "exc_type": None, "tb_module": False, "template": "a"},
    ]

    def test_a_line_is_noise_only_if_all_of_it_is(self):
        import lines
        lab = {0: "noise", 1: "noise", 2: "signal", 3: "noise"}
        got = lines.line_labels(self.DATA, self.RECS, lambda e: lab[e["id"]])
        self.assertEqual(got, ["noise", "noise", "signal", "noise"])
        lab[2] = "other"
        self.assertEqual(lines.line_labels(self.DATA, self.RECS, lambda e: lab[e["id"]])[2], "other")

    def test_select_and_cut_keep_whole_lines_and_tile(self):
        import lines
        ids = lines.select_ids(self.RECS, per_kind=1)
        self.assertEqual(ids, {0, 1})
        data, recs = lines.cut(self.DATA, self.RECS, ids)
        # Record 1 ends mid-line: it goes with record 2, which shares its line.
        self.assertEqual(data, b"a1\na2\nb1 b2\n")
        self.assertEqual([(e["id"], e["start"], e["end"]) for e in recs], [(0, 0, 6), (1, 6, 9), (2, 9, 12)])
        ids = lines.select_ids(self.RECS, per_kind=5, max_records=2)
        self.assertEqual(ids, {0, 3})

    def test_trim_run_cuts_every_layout_to_the_same_records(self):
        import lines
        with tempfile.TemporaryDirectory() as tmp:
            prefix = os.path.join(tmp, "demo")
            r = run([os.path.join(HERE, "demo_layouts.py"), prefix, "--layouts", "basic,asctime,bare"])
            self.assertEqual(r.returncode, 1)
            basic = layouts.read_records(prefix + ".basic.records")
            ids = {e["id"] for e in basic if e["level"] in ("WARNING", "CRITICAL") or e["tb_module"]}
            out = os.path.join(tmp, "cut")
            written = lines.trim_run(prefix, out, ids)
            self.assertEqual(len(written), 3)
            for name in ("basic", "asctime", "bare"):
                data, recs = load(out, name)
                self.assertTrue({e["id"] for e in recs} <= ids)
                pos = 0
                for e in recs:
                    self.assertEqual(e["start"], pos)
                    pos = e["end"]
                    check_entry(self, name, data, e)
                self.assertEqual(pos, len(data))


FAKE_BINARY = r"""#!/usr/bin/env python3
# A stand-in for logdedup --dry-run: tags lines with "Retrying", and writes
# a summary line after the third one.
import sys
n = 0
for line in open(sys.argv[-1]):
    if "Retrying" in line:
        sys.stdout.write("[logdedup:retry] " + line)
        n += 1
        if n == 3:
            sys.stdout.write("2026-01-01 00:00:00 | DEBUG | retry (occurred 3 times)\n")
    else:
        sys.stdout.write(line)
"""


class Score(unittest.TestCase):
    def test_names_are_read_from_the_right(self):
        import score
        self.assertEqual(score.parse_name("d/pyrogram-2.0.106.wobble.basic.log"),
                         ("pyrogram", "2.0.106", "wobble", "basic", ""))
        self.assertEqual(score.parse_name("python-telegram-bot-13.15.e502.rich-tb.journald.log"),
                         ("python-telegram-bot", "13.15", "e502", "rich-tb", "journald"))
        self.assertEqual(score.parse_name("demo.basic.log"), ("demo", "", "", "basic", ""))

    def test_summaries_are_not_input_lines_and_signal_fails(self):
        import score
        with tempfile.TemporaryDirectory() as tmp:
            fake = os.path.join(tmp, "fake")
            with open(fake, "w") as f:
                f.write(FAKE_BINARY)
            os.chmod(fake, 0o755)
            log = os.path.join(tmp, "lib-1.0.s.basic.log")
            with open(log, "w") as f:
                f.write("Retrying a\nRetrying b\nok\nRetrying c\nRetrying d\n")
            with open(log[:-4] + ".labels", "w") as f:
                f.write("noise\nnoise\nother\nnoise\nsignal\n")
            t = score.score_file(fake, log, [])
            self.assertEqual((t["noise"], t["noise_suppressed"], t["signal_suppressed"]), (3, 3, 1))
            r = subprocess.run([sys.executable, os.path.join(HERE, "score.py"), fake, tmp, "--json"],
                               capture_output=True)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertEqual(json.loads(r.stdout)["total"]["signal_suppressed"], 1)


if __name__ == "__main__":
    unittest.main()
