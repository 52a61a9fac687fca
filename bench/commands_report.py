#!/usr/bin/env python3
"""Reads hyperfine's JSON export and ohfp's app.log from bench/commands.sh; prints each command's median wall
time, its ratio to `python3 -c "import boto3"` measured in the same run, and ohfp's own overhead per call (wall
time minus the AWS round trips the command logged, paired run by run), against the targets of docs/benchmarks.md:
overhead under 20 ms and at least 20x below the boto3 import."""
import json
import statistics
import sys

import own_time

OVERHEAD_LIMIT_MS = 20.0
MIN_RATIO = 20.0


def main():
    hyperfine_file, log_file, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    results = {r["command"]: r for r in json.load(open(hyperfine_file))["results"]}
    boto = statistics.median(results["import boto3"]["times"]) * 1000.0
    logged = own_time.command_events(log_file)
    ok = True
    print(f"{'command':24} {'median wall':>12} {'AWS':>8} {'own':>8} {'boto3/wall':>11} {'boto3/own':>10}")
    for name in ("getRequestStatus", "getAvailableTemplates"):
        walls = [t * 1000.0 for t in results[name]["times"]]
        aws, own = own_time.own_times(walls, logged.get(name, []), runs)
        wall_median = statistics.median(walls)
        own_median = statistics.median(own)
        aws_median = statistics.median(aws) if aws else 0.0
        ratio_wall = boto / wall_median
        ratio_own = boto / own_median
        met = own_median < OVERHEAD_LIMIT_MS and ratio_own >= MIN_RATIO
        ok = ok and met
        print(f"{name:24} {wall_median:9.1f} ms {aws_median:5.1f} ms {own_median:5.1f} ms "
              f"{ratio_wall:10.1f}x {ratio_own:9.1f}x  {'met' if met else 'NOT MET'}")
    print(f"{'python3 -c import boto3':24} {boto:9.1f} ms  (the baseline, same run)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
