#!/usr/bin/env python3
"""Run the packs over the labeled harvest and count what they suppress.

    verify.py LOGDEDUP DATADIR RULES...

For each library (file prefix) it runs `LOGDEDUP -r RULE... --suppressed-to F`
over every log and reports noise records suppressed (a record counts when
its first line is suppressed) and signal records touched (any line of the
signal suppressed). With --strip, fields the binary may not know yet
(`exception`, `record` tests, `{key}` in messages) are taken out of copies
of the packs first, and rules that need `exception` to stay safe are dropped.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trim_and_label import classify, frame  # noqa: E402

NEEDS_EXCEPTION = {"kurigram-handler-network-error", "telethon-handler-network-error"}


def strip_pack(path, out_dir):
    text = open(path).read()
    text = re.sub(r'\[\[test\]\]\nrecord = """.*?"""\n(rule = "[^"]*"\n)?', "", text, flags=re.S)
    blocks = re.split(r"(?m)^(?=\[\[)", text)
    keep = []
    for b in blocks:
        m = re.search(r'(?m)^name = "([^"]+)"', b)
        if b.startswith("[[rule]]") and m and m.group(1) in NEEDS_EXCEPTION:
            continue
        b = re.sub(r"(?m)^exception = .*\n", "", b)
        if b.startswith("[[test]]"):
            b = re.sub(r"(?m)^key = .*\n", "", b)
        b = re.sub(r"(?m)^(message = .*?) ?\(?\{key\}\)?", r"\1", b)
        keep.append(b)
    out = os.path.join(out_dir, os.path.basename(path))
    open(out, "w").write("".join(keep))
    return out


def suppressed_flags(lines, supp):
    flags, j = [], 0
    for l in lines:
        if j < len(supp) and supp[j] == l:
            flags.append(True)
            j += 1
        else:
            flags.append(False)
    assert j == len(supp), "suppressed lines not found in order"
    return flags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("data")
    ap.add_argument("rules", nargs="+")
    ap.add_argument("--strip", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    rules = [strip_pack(r, tmp) if args.strip else r for r in args.rules]
    ropts = [x for r in rules for x in ("-r", r)]
    per = defaultdict(Counter)
    for fn in sorted(os.listdir(args.data)):
        if not fn.endswith(".log"):
            continue
        lib = fn.split("-", 1)[0]
        path = os.path.join(args.data, fn)
        labels = open(path[:-4] + ".labels").read().split()
        lines = open(path, encoding="utf-8").read().splitlines(keepends=True)
        recs = frame(lines)
        assert len(recs) == len(labels), fn
        supp = os.path.join(tmp, "supp")
        open(supp, "w").close()
        subprocess.run([args.binary, *ropts, "--suppressed-to", supp, path],
                       stdout=subprocess.DEVNULL, check=True)
        flags = suppressed_flags(lines, open(supp, encoding="utf-8").read().splitlines(keepends=True))
        i = 0
        for rec, lab in zip(recs, labels):
            f = flags[i:i + len(rec)]
            i += len(rec)
            c = per[lib]
            c[lab] += 1
            if lab == "noise" and f[0]:
                c["noise_suppressed"] += 1
            if lab == "signal":
                # the start line alone may be a noise line a crash traceback
                # was framed onto: only the signal part must pass
                own = classify([rec[0]]) in ("signal", None)
                if any(f[1:]) or (f[0] and own):
                    c["signal_suppressed"] += 1
                    print(f"SIGNAL SUPPRESSED {fn}: {rec[0].rstrip()}")
            if lab == "other" and f[0]:
                c["other_suppressed"] += 1
    for lib, c in sorted(per.items()):
        n = c["noise"] or 1
        print(f"{lib}: noise {c['noise']} suppressed {c['noise_suppressed']} ({100 * c['noise_suppressed'] / n:.1f}%), "
              f"signal {c['signal']} suppressed {c['signal_suppressed']}, other {c['other']} suppressed {c['other_suppressed']}")


if __name__ == "__main__":
    main()
