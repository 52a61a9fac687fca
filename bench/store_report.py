#!/usr/bin/env python3
"""Reads the timings of bench/store.sh (bench/interleaved.py's output, in hyperfine's JSON export format) and the
four installations' app.log; prints each command's median own time (wall time minus the AWS round trips the command
logged, paired run by run) on each store, and the ratios: PostgreSQL over SQLite (both empty), and with history over
without on each backend, against the target of docs/benchmarks.md (history costs at most 1.2x)."""
import json
import statistics
import sys

import own_time

HISTORY_LIMIT = 1.2
COMMANDS = ("getAvailableTemplates", "requestMachines", "getRequestStatus", "requestReturnMachines",
            "getReturnRequests")
STORES = ("sqlite", "sqlite+history", "postgres", "postgres+history")


def own_times(results, work, runs):
    """{(store, command): (median wall ms, median AWS ms, median own ms)}"""
    out = {}
    for store in STORES:
        logged = own_time.command_events(f"{work}/{store}/logs/app.log")
        for command in COMMANDS:
            walls = [t * 1000.0 for t in results[f"{store} {command}"]["times"]]
            aws, own = own_time.own_times(walls, logged.get(command, []), runs)
            out[(store, command)] = (statistics.median(walls), statistics.median(aws) if aws else 0.0,
                                     statistics.median(own))
    return out


def main():
    times_file, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    results = {r["command"]: r for r in json.load(open(times_file))["results"]}
    t = own_times(results, work, runs)
    ok = True
    print(f"{'own time, median (ms)':24} {'sqlite':>8} {'+history':>9} {'ratio':>6}   {'postgres':>8} "
          f"{'+history':>9} {'ratio':>6}   {'pg/sqlite':>9}")
    for command in COMMANDS:
        s, sh = t[("sqlite", command)][2], t[("sqlite+history", command)][2]
        p, ph = t[("postgres", command)][2], t[("postgres+history", command)][2]
        rs, rp = sh / s, ph / p
        met = rs <= HISTORY_LIMIT and rp <= HISTORY_LIMIT
        ok = ok and met
        print(f"{command:24} {s:8.1f} {sh:9.1f} {rs:5.2f}x   {p:8.1f} {ph:9.1f} {rp:5.2f}x   {p / s:8.2f}x"
              f"  {'met' if met else 'NOT MET'}")
    print("\nwall and AWS time, median (ms):")
    for command in COMMANDS:
        print(f"  {command:22} " + "  ".join(f"{store} {t[(store, command)][0]:.1f}/{t[(store, command)][1]:.1f}"
                                          for store in STORES))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
