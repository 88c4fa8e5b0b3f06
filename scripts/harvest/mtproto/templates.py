#!/usr/bin/env python3
"""List every distinct message template of the labeled MTProto harvest, per
library version, with the place in the library's source it comes from.

    templates.py DATADIR VENVS > TEMPLATES.md

DATADIR is tests/data/layouts/mtproto (its `*.basic.records`, which hold
every record of a run's trimmed log, DEBUG included); VENVS the directory
of run.sh's virtualenvs (LIB-VERSION/), whose installed source is searched:
for each record, the logging call in the logger's module (loggers are
`logging.getLogger(__name__)`) whose first argument, as a pattern, matches
the record's template. Labels come from trim_and_label.classify_record().
"""
import ast
import glob
import json
import os
import re
import sys
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from trim_and_label import classify_record as classify  # noqa: E402

LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}


def _pattern(node):
    """A regex for what a logging call's first argument can print."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = re.split(r"(%[-#0 +]*\d*(?:\.\d+)?[sdrfix])", node.value)
        return "".join(".*" if i % 2 else re.escape(p) for i, p in enumerate(parts))
    if isinstance(node, ast.JoinedStr):
        return "".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".*" for v in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
            and isinstance(node.func.value, ast.Constant):
        return re.sub(r"\\\{[^}]*\\\}", ".*", re.escape(node.func.value.value))
    return None


class Calls(ast.NodeVisitor):
    def __init__(self):
        self.stack, self.calls = [], []

    def _scope(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope

    def visit_Call(self, node):
        f = node.func
        # log.info(...), and pyrogram's (log.warning if retries < 2 else log.info)(...)
        funcs = [f.body, f.orelse] if isinstance(f, ast.IfExp) else [f]
        for g in funcs:
            if isinstance(g, ast.Attribute) and g.attr in LOG_METHODS and node.args:
                arg = node.args[1] if g.attr == "log" and len(node.args) > 1 else node.args[0]
                pat = _pattern(arg)
                # a call that logs a variable (log.error(e, exc_info=True)) matches
                # any record of its level, when nothing more specific does
                rx = re.compile("^" + pat + "$", re.S) if pat else None
                self.calls.append((rx, node.lineno, ".".join(self.stack), g.attr))
        self.generic_visit(node)


_cache = {}


def calls_in(path):
    if path not in _cache:
        try:
            tree = ast.parse(open(path, encoding="utf-8").read())
        except (OSError, SyntaxError):
            _cache[path] = []
        else:
            v = Calls()
            v.visit(tree)
            _cache[path] = v.calls
    return _cache[path]


LEVEL_METHODS = {"DEBUG": {"debug"}, "INFO": {"info"}, "WARNING": {"warning", "warn"},
                 "ERROR": {"error", "exception"}, "CRITICAL": {"critical"}}


def source_of(site, logger, level, template):
    """'pkg/mod.py:LINE Func' of the call that logs `template`, or None."""
    if not logger:
        return None
    parts = logger.split(".")
    for cand in (os.path.join(site, *parts) + ".py", os.path.join(site, *parts, "__init__.py")):
        if os.path.exists(cand):
            # the longest pattern that matches: the most specific call
            best = None
            for rx, line, func, meth in calls_in(cand):
                if rx is not None and rx.match(template) and (best is None or len(rx.pattern) > len(best[0])):
                    best = (rx.pattern, line, func)
            if best is None:
                for rx, line, func, meth in calls_in(cand):
                    if rx is None and meth in LEVEL_METHODS.get(level, ()):
                        best = ("", line, func + " (logs a variable)")
                        break
            if best:
                return f"{os.path.relpath(cand, site)}:{best[1]} `{best[2] or '<module>'}`"
            return f"{os.path.relpath(cand, site)} (call not found)"
    return None


def shape(text, n=150):
    """A template's printable shape: digits folded, one line, cut."""
    text = re.sub(r"\d+", "N", text.split("\n", 1)[0])
    return text if len(text) <= n else text[:n] + "…"


def differences(per):
    """Noise and signal templates that not every version of a family logs
    (logger names without their package: pyrofork.session.session and
    pyrogram.session.session are one), with the versions that do."""
    families = {"pyrogram family (pyrogram, pyrofork, kurigram, hydrogram)": ("pyrogram", "pyrofork", "kurigram",
                                                                              "hydrogram"),
                "telethon": ("telethon",)}
    print("## Wording and logger differences between versions\n")
    print("Noise and signal templates (log records only) that some versions of a family log and others do not,")
    print("in this harvest. A template missing from a version may also be one its run did not reach: the")
    print("source column of the version's own table says where it comes from.\n")
    for title, libs in families.items():
        vers = [lv for lv in per if lv.split("-", 1)[0] in libs]
        seen = OrderedDict()
        for lv in vers:
            for (logger, level, msg, exc, lab) in per[lv]:
                if lab == "other" or logger in ("stderr", "stdout", "asyncio") or not logger:
                    continue
                key = (".".join(logger.split(".")[1:]), level, msg)
                seen.setdefault(key, set()).add(lv)
        rows = [(k, v) for k, v in seen.items() if len(v) < len(vers)]
        print(f"### {title}\n")
        print("| logger (no package) | level | message | logged by |")
        print("|---|---|---|---|")
        for (logger, level, msg), v in sorted(rows, key=lambda kv: (kv[0][0], kv[0][2])):
            cell = msg.replace("|", "\\|").replace("`", "'")
            print(f"| {logger} | {level} | {cell} | {', '.join(sorted(v))} |")
        print()


def main():
    data, venvs = sys.argv[1], sys.argv[2]
    per = OrderedDict()
    for path in sorted(glob.glob(os.path.join(data, "*.basic.records"))):
        name = os.path.basename(path)
        libver = re.match(r"^([a-z]+-[0-9.]+?(?:rc\d+)?)\.[a-z-]+\.basic\.records$", name).group(1)
        scenario = name[len(libver) + 1:].split(".")[0]
        for l in open(path, encoding="utf-8"):
            e = json.loads(l)
            lab = classify(e)
            if e["kind"] == "log":
                if e["level"] == "DEBUG":
                    continue
                key = (e["logger"], e["level"], shape(e.get("template") or e["msg"]), e.get("exc_type"), lab)
            else:
                key = (e["kind"], "", shape(e["msg"]), e.get("exc_type"), lab)
            d = per.setdefault(libver, OrderedDict())
            if key not in d:
                d[key] = {"scenarios": set(), "template": e.get("template") or e["msg"],
                          "example": shape(e["msg"])}
            d[key]["scenarios"].add(scenario)
    print("# Message templates of the MTProto harvest, per version\n")
    print("Generated by `scripts/harvest/mtproto/templates.py` from `tests/data/layouts/mtproto/*.basic.records`")
    print("(DEBUG left out). Label from `trim_and_label.py`'s `classify_record()`; source = the logging call in the installed")
    print("package whose first argument matches (path relative to site-packages, line, function).")
    print("Digits are folded to N. `stderr` rows are what Python printed outside logging.\n")
    differences(per)
    for libver, d in per.items():
        lib, ver = libver.split("-", 1)
        site = glob.glob(os.path.join(venvs, libver, "lib", "python3*", "site-packages"))
        site = site[0] if site else ""
        print(f"## {lib} {ver}\n")
        for want in ("noise", "signal", "other"):
            rows = [(k, v) for k, v in d.items() if k[4] == want]
            if not rows:
                continue
            print(f"### {want}\n")
            print("| logger | level | message (an example when it has arguments) | exception | source | scenarios |")
            print("|---|---|---|---|---|---|")
            for (logger, level, msg, exc, _), v in sorted(rows, key=lambda kv: (kv[0][0] or "", kv[0][2])):
                src = source_of(site, logger, level, v["template"]) if logger not in ("stderr", "stdout") else None
                text = msg if v["example"] == msg else f"{msg}<br>e.g. {v['example']}"
                cell = text.replace("|", "\\|").replace("`", "'")
                print(f"| {logger} | {level} | {cell} | {exc or ''} | {src or ''} | "
                      f"{', '.join(sorted(v['scenarios']))} |")
            print()

if __name__ == "__main__":
    main()
