#!/usr/bin/env python3
"""Write [[test]] cases for a rule pack from labeled harvest logs.

    pack_tests.py BINARY PACK.toml DIR LIB [LIB...] [--signals N]
                  [--signal-layouts a,b,...] [--signal-match REGEX]

Runs `BINARY --dry-run --no-default-rules --no-redact -r PACK.toml` over
every DIR/LIB-*.log that has a .labels file beside it and prints, on
standard output, TOML [[test]] cases to append to the pack:

- for each rule and each layout (and docker compose / journald prefix), the
  first harvested record the rule took, as `line = ...` (a one-line
  record) or `record = ...` (with its traceback), with `rule = ...`;
- for each signal template (digits folded) and layout, up to N records
  labeled `signal` (default 1), with no rule: they must pass. Only the
  layouts of --signal-layouts (default: basic, bare, loguru, rich, json
  and the compose prefix), and with
  --signal-match only the records whose first line matches REGEX.

Lines are real output, copied byte for byte; nothing is typed by hand. A
record whose lines the dry run tagged with a rule but whose label is not
`noise` is reported on standard error and not written: the pack is wrong,
not the test.
"""

import glob
import os
import re
import subprocess
import sys

TAG = re.compile(r"^\[logdedup:([A-Za-z0-9_.-]+)\] ")


LEVELS = {"TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL"}


def rich_start(line):
    """rich's line with its time column blank (src/records/framer.rs)."""
    spaces = len(line) - len(line.lstrip(" "))
    rest = line[spaces:]
    word = re.match(r"[A-Z]+", rest)
    return (
        spaces in (11, 20, 22)
        and word is not None
        and word.group(0) in LEVELS
        and rest[len(word.group(0)):9].strip(" ") == ""
        and len(rest) > 9
        and rest[9] != " "
    )


PREFIX = re.compile(r"^([\w.-]+ +\| |[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [\w.-]+(\[\d+\])?: )")


def continuation(line):
    """Mirrors python-traceback framing closely enough for harvested logs."""
    line = PREFIX.sub("", line, count=1)
    if rich_start(line):
        return False
    return (
        line.startswith((" ", "\t", "Traceback (most recent call last)", "> File \""))
        or line.startswith(("During handling of the above", "The above exception"))
        or line == ""
    )


def records(lines, labels, tags):
    """Groups (line, label, tag) into records by framing."""
    out = []
    for i, line in enumerate(lines):
        if out and continuation(line):
            out[-1].append(i)
            continue
        # The exception line after a traceback belongs to the record.
        last = [PREFIX.sub("", lines[i], count=1) for i in out[-1][1:]] if out else []
        last = [x for x in last if x.strip()]
        if last and last[-1].startswith((" ", "> File")) and re.match(r"^[A-Za-z_][\w.]*(: |$)", PREFIX.sub("", line, count=1)):
            out[-1].append(i)
            continue
        out.append([i])
    return out


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def toml_basic(text):
    """A TOML basic string ("..." or \"\"\"...\"\"\"), its control characters
    (a carriage return ending an HTML page's line) escaped: literal strings
    cannot hold them."""
    out = text.replace("\\", "\\\\")
    out = CONTROL.sub(lambda m: "\\u%04x" % ord(m.group(0)) if m.group(0) != "\r" else "\\r", out)
    if "\n" in text:
        return '"""' + out.replace('"""', '""\\"') + '"""'
    return '"' + out.replace('"', '\\"') + '"'


def toml_string(text):
    if CONTROL.search(text):
        return toml_basic(text)
    if "\n" in text:
        if '"""' in text or "\\" in text:
            return "'''" + text + "'''" if "'''" not in text else toml_basic(text)
        return '"""' + text + '"""'
    if "'" not in text:
        return "'" + text + "'"
    if '"' not in text and "\\" not in text:
        return '"' + text + '"'
    return toml_basic(text)


def layout_of(path):
    name = os.path.basename(path)[: -len(".log")]
    parts = name.split(".")
    # LIB-VER may hold dots: find the scenario after the version.
    m = re.match(r"^([a-z0-9]+-[0-9][0-9a-z.]*?)\.([a-z-]+)\.(.+)$", name)
    return m.group(3) if m else parts[-1]


def main(argv):
    def option(name, default):
        if name in argv:
            i = argv.index(name)
            value = argv[i + 1]
            del argv[i : i + 2]
            return value
        return default

    signals = int(option("--signals", "1"))
    signal_layouts = set(option("--signal-layouts", "basic,bare,loguru,rich,json,basic.compose").split(","))
    signal_match = re.compile(option("--signal-match", ""))
    binary, pack, root, libs = argv[1], argv[2], argv[3], argv[4:]
    seen_rule = set()
    seen_signal = {}
    cases = []
    for lib in libs:
        for path in sorted(glob.glob(os.path.join(root, lib + "*.log"))):
            labels_path = path[: -len(".log")] + ".labels"
            if not os.path.exists(labels_path):
                continue
            layout = layout_of(path)
            with open(path, "rb") as f:
                raw = f.read()
            lines = raw.decode("utf-8", "replace").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            labels = open(labels_path).read().split()
            run = subprocess.run(
                [binary, "--dry-run", "--no-default-rules", "--no-redact", "-r", pack, path],
                capture_output=True,
            )
            tagged = []
            for out in run.stdout.decode("utf-8", "replace").split("\n"):
                m = TAG.match(out)
                if m:
                    tagged.append((m.group(1), out[m.end():]))
                elif not re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| ", out):
                    tagged.append((None, out))
            tags = [t for t, _ in tagged[: len(lines)]]
            if len(tags) < len(lines):
                tags += [None] * (len(lines) - len(tags))
            for rec in records(lines, labels, tags):
                first = rec[0]
                text = "\n".join(lines[i] for i in rec)
                rule = tags[first]
                label = labels[first] if first < len(labels) else "other"
                if rule and label != "noise":
                    print(f"{path}:{first + 1}: {rule} takes a {label} line: {lines[first][:100]}", file=sys.stderr)
                    continue
                if rule and (rule, layout) not in seen_rule:
                    # The record as the dry run took it: the lines tagged
                    # with its rule (a traceback it leaves passes).
                    taken = []
                    for i in rec:
                        if tags[i] != rule:
                            break
                        taken.append(i)
                    rec = taken
                    text = "\n".join(lines[i] for i in rec)
                    body = toml_string(text)
                    if body:
                        seen_rule.add((rule, layout))
                        key = "record" if len(rec) > 1 else "line"
                        cases.append((0, rule, layout, f"[[test]]\n{key} = {body}\nrule = \"{rule}\"\n"))
                if len(rec) > 40:
                    continue
                if not rule and label == "signal" and layout in signal_layouts and signal_match.search(lines[first]):
                    msg = re.sub(r"\d+", "N", lines[first])
                    msg = re.sub(r"^.*?(ERROR|WARNING|CRITICAL|INFO)\W+", "", msg)[:40]
                    k = (msg, layout)
                    if seen_signal.get(k, 0) < signals:
                        body = toml_string(text)
                        if body:
                            seen_signal[k] = seen_signal.get(k, 0) + 1
                            key = "record" if len(rec) > 1 else "line"
                            cases.append((1, msg, layout, f"[[test]]\n{key} = {body}\n"))
    cases.sort(key=lambda c: (c[0], c[1], c[2]))
    print("# --- harvested records, one per rule and layout (scripts/harvest/pack_tests.py) ---\n")
    group = None
    for kind, name, layout, case in cases:
        if kind == 1 and group != 1:
            print("# --- harvested signals, one per message and layout: they must pass ---\n")
        group = kind
        print(f"# {layout}")
        print(case)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
