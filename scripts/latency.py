#!/usr/bin/env python3
"""Idle-stream latency probe: how long a line takes from logdedup's stdin to
its stdout when the input is otherwise quiet (the case of a live bot).

Usage: scripts/latency.py [BINARY] [SAMPLES] [-- EXTRA ARGS...]
Prints the median, p90 and max in microseconds.
"""
import os
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        i = args.index("--")
        args, extra = args[:i], args[i + 1:]
    binary = args[0] if args else "target/release/logdedup"
    samples = int(args[1]) if len(args) > 1 else 300
    proc = subprocess.Popen([binary, *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    out = proc.stdout.fileno()
    results = []
    for i in range(samples):
        line = f"2025-11-20 16:32:{i % 60:02d},000 - bot - INFO - probe {i}\n".encode()
        start = time.perf_counter()
        os.write(proc.stdin.fileno(), line)
        got = b""
        while not got.endswith(b"\n"):
            got += os.read(out, 4096)
        results.append((time.perf_counter() - start) * 1e6)
        time.sleep(0.002)  # let the stream go idle between probes
    proc.stdin.close()
    proc.wait()
    results.sort()
    median = results[len(results) // 2]
    p90 = results[int(len(results) * 0.9)]
    print(f"idle latency over {samples} lines: median {median:.0f} us, p90 {p90:.0f} us, max {results[-1]:.0f} us")


if __name__ == "__main__":
    main()
