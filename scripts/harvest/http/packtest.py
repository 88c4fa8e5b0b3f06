#!/usr/bin/env python3
"""Runs a pack's [[test]] cases through a logdedup binary, one case per run.

usage: packtest.py LOGDEDUP rules/NAME.toml [--stable]

--stable: for a binary that predates `exception`, `record` and test `key`:
the pack is copied without the rules that use `exception` (without it they
would suppress the signals that share their first line); the cases that
expect those rules are skipped, all others run (records whole), and keys
are checked from the JSON summary.
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
        skip = set()
        if stable:
            blocks = re.split(r"(?m)^(?=\[\[rule\]\]|\[\[test\]\])", text)
            kept = []
            for b in blocks:
                if b.startswith("[[rule]]") and re.search(r"(?m)^exception = ", b):
                    skip.add(re.search(r'(?m)^name = "([^"]+)"', b).group(1))
                    continue
                kept.append(b)
            text = "".join(kept)
            # test cases are not read by the filter; drop them (record/key are unknown)
            text = text[:text.index("[[test]]")] if "[[test]]" in text else text
            rules = os.path.join(d, "pack.toml")
            with open(rules, "w") as f:
                f.write(text)
        skipped = 0
        for i, t in enumerate(spec.get("test", [])):
            data = t.get("line") if "line" in t else t["record"]
            if t.get("rule") in skip:
                skipped += 1
                continue
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
    n = len(spec.get("test", [])) - skipped
    print(f"{os.path.basename(pack)}: {n - failures} passed, {failures} failed, "
          f"{skipped} skipped (rules with `exception`)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
