#!/usr/bin/env python3
"""The in-process approach logdedup replaces, as a stdin/stdout filter: a
logging.Filter-style class that counts and rate-limits lines matching a
rule, one summary per rule per window. Used by scripts/bench as the Python
baseline, with the same rules (read from the same TOML files).

Usage: python_filter.py RULES.toml [RULES.toml ...] < log > out
"""
import re
import sys
import time
import tomllib


class RateLimitFilter:
    """What a bot author writes on a library's logger: the first match opens
    a window, matches are counted, and when the window is over one summary
    line replaces them."""

    def __init__(self, rules, window=30.0):
        self.rules = rules  # (name, compiled regex, message, note, window)
        self.windows = {}  # name -> [opened_at, count]
        self.default_window = window

    def filter(self, line, now, emit):
        """Returns True if the line should be written."""
        for name, regex, message, note, window in self.rules:
            if regex.search(line):
                state = self.windows.get(name)
                if state is not None and now - state[0] >= (window or self.default_window):
                    self.summarize(name, state, emit)
                    state = None
                if state is None:
                    state = self.windows[name] = [now, 0]
                state[1] += 1
                return False
        return True

    def summarize(self, name, state, emit):
        rule = next(r for r in self.rules if r[0] == name)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        note = f" - {rule[3]}" if rule[3] else ""
        emit(f"{stamp} | DEBUG | {rule[2]} (occurred {state[1]} times){note}\n".encode())
        del self.windows[name]

    def close(self, emit):
        for name in list(self.windows):
            self.summarize(name, self.windows[name], emit)


def load_rules(paths):
    rules = []
    for path in paths:
        with open(path, "rb") as f:
            data = tomllib.load(f)
        for rule in data.get("rule", []):
            patterns = rule.get("patterns") or [rule["pattern"]]
            regex = re.compile("|".join(f"(?:{p})" for p in patterns).encode())
            window = rule.get("window")
            seconds = float(window.rstrip("s")) if window and window.endswith("s") and window[:-1].isdigit() else 30.0
            rules.append((rule["name"], regex, rule.get("message", rule["name"]), rule.get("note"), seconds))
    return rules


def main():
    rules = load_rules(sys.argv[1:])
    flt = RateLimitFilter(rules)
    out = sys.stdout.buffer
    emit = out.write
    for line in sys.stdin.buffer:
        if flt.filter(line, time.monotonic(), emit):
            out.write(line)
    flt.close(emit)
    out.flush()


if __name__ == "__main__":
    main()
