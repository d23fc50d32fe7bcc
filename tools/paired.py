#!/usr/bin/env python3
"""Paired whole-process timings: A and B run in turn (A B A B ...), the ratio taken pair by pair.

    python3 tools/paired.py [-n RUNS] [--vs 'B COMMAND'] -- A COMMAND...

Prints min / median / max of wall, user, sys and CPU seconds and of peak RSS (from wait4's
rusage) for each command, and the A/B ratios pair by pair. Pairing keeps a ratio meaningful on
a machine whose speed drifts; a wide min-max spread says the machine was noisy. One warm-up run
of each command is not counted. Standard library only; nothing here asserts a time. Peak RSS
counts the forked Python process before exec too, so it reads ~15 MiB for tiny commands.
"""

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time


def run(cmd):
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{shlex.join(cmd)} exited with {code}")
    return {
        "wall s": wall,
        "user s": usage.ru_utime,
        "sys s": usage.ru_stime,
        "cpu s": usage.ru_utime + usage.ru_stime,
        "peak MiB": usage.ru_maxrss / 1024,
    }


def row(label, values):
    return f"{label:<14}{min(values):>10.3f}{statistics.median(values):>10.3f}{max(values):>10.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=9, help="counted runs of each command")
    parser.add_argument("--vs", help="the baseline command B, one shell-quoted string")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- A COMMAND...")
    args = parser.parse_args()
    a = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not a:
        parser.error("no command A after --")
    b = shlex.split(args.vs) if args.vs else None
    commands = {"A": a, "B": b} if b else {"A": a}
    for cmd in commands.values():
        run(cmd)
    runs = {name: [] for name in commands}
    for _ in range(args.n):
        for name, cmd in commands.items():
            runs[name].append(run(cmd))
    print(f"{'':<14}{'min':>10}{'median':>10}{'max':>10}   n={args.n}, whole process")
    for name in commands:
        for key in ("user s", "sys s", "cpu s", "wall s", "peak MiB"):
            print(row(f"{name} {key}", [r[key] for r in runs[name]]))
    if b:
        for key in ("user s", "cpu s", "wall s", "peak MiB"):
            ratios = [ra[key] / rb[key] for ra, rb in zip(runs["A"], runs["B"]) if rb[key] > 0]
            if ratios:
                print(row(f"A/B {key.split()[0]}", ratios))


if __name__ == "__main__":
    main()
