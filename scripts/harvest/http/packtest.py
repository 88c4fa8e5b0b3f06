#!/usr/bin/env python3
"""Runs a pack's [[test]] cases through a logdedup binary, one case per run.

usage: packtest.py LOGDEDUP rules/NAME.toml [--stable]

--stable: for a binary that predates `exception`, `record` and test `key`:
the pack is copied without `exception = ...` lines, `record` cases run with
the record's first line only (the exception check is then not exercised),
and keys are checked from the JSON summary all the same.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib


def main():
    binary, pack = sys.argv[1], sys.argv[2]
    stable = "--stable" in sys.argv
    with open(pack, "rb") as f:
        spec = tomllib.load(f)
    text = open(pack).read()
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        rules = pack
        if stable:
            text = re.sub(r"^exception = .*\n", "", text, flags=re.M)
            # test cases are not read by the filter; drop them (record/key are unknown)
            text = text[:text.index("[[test]]")] if "[[test]]" in text else text
            rules = os.path.join(d, "pack.toml")
            with open(rules, "w") as f:
                f.write(text)
        for i, t in enumerate(spec.get("test", [])):
            data = t.get("line") if "line" in t else t["record"]
            if stable and "record" in t:
                data = data.split("\n")[0]
            supp = os.path.join(d, f"s{i}")
            p = subprocess.run([binary, "-r", rules, "--format", "json", "--suppressed-to", supp],
                               input=(data + "\n").encode(), capture_output=True)
            if p.returncode != 0:
                print(f"FAIL #{i}: exit {p.returncode}: {p.stderr.decode()[:300]}")
                failures += 1
                continue
            summaries = [json.loads(l) for l in p.stdout.decode().splitlines()
                         if l.startswith("{")]
            passed = [l for l in p.stdout.decode().splitlines() if not l.startswith("{")]
            want = t.get("rule")
            got = summaries[0]["rule"] if summaries else None
            ok = got == want
            if want and "key" in t and summaries:
                ok = ok and summaries[0].get("key") == t["key"]
            if want and passed:
                ok = False  # a record expected suppressed leaked lines
            if not ok:
                failures += 1
                print(f"FAIL #{i}: want {want} key {t.get('key')}, got {got} "
                      f"key {summaries[0].get('key') if summaries else None}: {data[:150]!r}")
    n = len(spec.get("test", []))
    print(f"{os.path.basename(pack)}: {n - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
