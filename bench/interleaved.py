#!/usr/bin/env python3
"""Times commands in interleaved rounds, for ratios that a loaded, drifting machine does not bias.

hyperfine times all the runs of one command, then all the runs of the next: when the load changes in between (a
shared machine), one command is timed under a different load than the one it is compared with. Here every round
runs every command once, in an order rotated from round to round, so that each command sees the same load on
average and each position in the round equally often. The result is written in hyperfine's JSON export format
(`results[].command`, `results[].times` in seconds, in run order), so the reports that read hyperfine's export read
this one unchanged.

  bench/interleaved.py --runs 20 --warmup 3 --export-json out.json -n NAME 'CMD ARGS...' [-n NAME 'CMD ...' ...]

Each command is split like a shell would split it (shlex) and run without a shell (as `hyperfine -N`), with its
output discarded. A command that exits non-zero stops the run (exit 1), as it would stop hyperfine.
"""
import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv):
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode(errors="replace"))
        raise RuntimeError(f"exit {done.returncode}: {shlex.join(argv)}")
    return elapsed


def rounds(commands, count, sink):
    """Runs `count` rounds; in round r the commands start at index r (rotated)."""
    n = len(commands)
    for r in range(count):
        for k in range(n):
            name, argv = commands[(r + k) % n]
            sink(name, run_once(argv))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--export-json", required=True)
    parser.add_argument("-n", "--command", nargs=2, action="append", metavar=("NAME", "COMMAND"), required=True)
    args = parser.parse_args()
    commands = [(name, shlex.split(command)) for name, command in args.command]
    times = {name: [] for name, _ in commands}
    try:
        rounds(commands, args.warmup, lambda name, t: None)
        rounds(commands, args.runs, lambda name, t: times[name].append(t))
    except RuntimeError as e:
        print(f"bench/interleaved.py: {e}", file=sys.stderr)
        return 1
    for name, _ in commands:
        t = times[name]
        print(f"{name:48} median {statistics.median(t) * 1000:8.1f} ms  min {min(t) * 1000:8.1f} ms"
              f"  ({len(t)} runs)", file=sys.stderr)
    with open(args.export_json, "w") as out:
        json.dump({"results": [{"command": name, "times": times[name]} for name, _ in commands]}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
