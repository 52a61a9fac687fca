#!/usr/bin/env python3
"""The measuring half of bench/serve.sh: rounds of N concurrent HostFactory commands, in each round once without
`ohfp serve` and once each with it running and polled (moderately, then flat out), so every phase sees the same drift
in the machine's load. Prints per-phase medians and 90th percentiles of the commands' wall times, their ratios to the
phase without serve, and how many answers serve gave."""
import argparse
import os
import signal
import statistics
import subprocess
import threading
import time
import urllib.request


def round_of(shim, input_file, n):
    """Starts n commands at once; returns each one's wall time in ms (and fails on a failed command)."""
    times = [0.0] * n

    def one(i):
        t0 = time.perf_counter()
        r = subprocess.run([shim, "-f", input_file], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[i] = (time.perf_counter() - t0) * 1000
        if r.returncode != 0:
            raise SystemExit(f"serve_bench: a command failed with exit code {r.returncode}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


class Serve:
    """ohfp serve on a free port, with pollers asking it as fast as it answers."""

    def __init__(self, ohfp, work, pollers, interval):
        self.interval = interval
        port_file = os.path.join(work, "serve.port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.proc = subprocess.Popen([ohfp, "serve", "--listen", "127.0.0.1:0", "--port-file", port_file],
                                     stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{open(port_file).read().strip()}"
        self.stop = threading.Event()
        self.answers = 0
        self.errors = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.poll) for _ in range(pollers)]
        for t in self.threads:
            t.start()

    def poll(self):
        paths = ["/api/v1/overview", "/api/v1/requests?limit=100", "/metrics"]
        i = 0
        while not self.stop.is_set():
            try:
                urllib.request.urlopen(self.base + paths[i % len(paths)], timeout=10).read()
                ok = True
            except Exception:  # noqa: BLE001 - counted and reported
                ok = False
            with self.lock:
                self.answers += ok
                self.errors += not ok
            i += 1
            if self.interval:
                self.stop.wait(self.interval)

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)


def q(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))]


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--ohfp", required=True)
    a.add_argument("--shim", required=True)
    a.add_argument("--input", required=True)
    a.add_argument("--work", required=True)
    a.add_argument("--rounds", type=int, default=20)
    a.add_argument("--concurrency", type=int, default=16)
    a.add_argument("--pollers", type=int, default=4)
    args = a.parse_args()
    # Phase A: no serve. B: serve polled the way people poll it, a little harder: 4 clients, each asking every
    # 0.25 s (a dashboard asks every 2 s; Prometheus scrapes every 15 s or so). C: 4 clients asking as fast as
    # serve answers, which on a small machine takes CPU from the commands.
    phases = [("without serve", 0, 0.0), ("with serve, 4 clients polling every 0.25 s", args.pollers, 0.25),
              ("with serve, 4 clients polling flat out", args.pollers, 0.0)]
    times = {name: [] for name, _, _ in phases}
    served = {name: [0, 0, 0.0] for name, _, _ in phases}
    round_of(args.shim, args.input, args.concurrency)  # warm-up
    for r in range(args.rounds):
        for name, pollers, interval in phases[r % 3:] + phases[:r % 3]:  # each phase first in turn
            serve = Serve(args.ohfp, args.work, pollers, interval) if pollers else None
            if serve:
                time.sleep(0.3)  # pollers running before the commands start
            t0 = time.perf_counter()
            times[name] += round_of(args.shim, args.input, args.concurrency)
            served[name][2] += time.perf_counter() - t0
            if serve:
                serve.close()
                served[name][0] += serve.answers
                served[name][1] += serve.errors
    base = times[phases[0][0]]
    print(f"{args.rounds} rounds of {args.concurrency} concurrent getRequestStatus (a process each; 20 machines: one")
    print(f"DescribeInstances round trip and 20 machine rows written per command); phases interleaved round by round;")
    print(f"{len(base)} commands per phase")
    print()
    print("| phase | median | p90 | ratio of medians | ratio of p90s | serve's answers | failed |")
    print("|---|---|---|---|---|---|---|")
    for name, pollers, _ in phases:
        v = times[name]
        answers, errors, seconds = served[name]
        rate = f"{answers} ({answers / max(seconds, 1e-9):.0f}/s)" if pollers else "-"
        print(f"| {name} | {statistics.median(v):.1f} ms | {q(v, 0.9):.1f} ms | "
              f"{statistics.median(v) / statistics.median(base):.3f} | {q(v, 0.9) / q(base, 0.9):.3f} | {rate} | "
              f"{errors if pollers else '-'} |")


if __name__ == "__main__":
    main()
