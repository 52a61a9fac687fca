#!/usr/bin/env python3
"""Reads Google Benchmark JSON (--benchmark_format=json) on stdin; prints each benchmark's median time and its
ratio to BM_BareCall (same thread count) from the same run, and checks the targets of docs/benchmarks.md."""
import json
import sys

TARGETS = {  # benchmark -> maximum ratio to BM_BareCall
    "BM_CircuitBreakerClosed": 3.0,
    "BM_CircuitBreakerOpenRejected": 3.0,
    "BM_RetrySuccess": 4.0,
    "BM_PipelineSuccess": 15.0,
}


def main():
    data = json.load(sys.stdin)
    medians = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b["run_name"] if "run_name" in b else b["name"]
        medians[name] = b["cpu_time"] if b.get("threads", 1) > 1 else b["real_time"]
        medians[name + "@unit"] = b["time_unit"]
    bare1 = medians.get("BM_BareCall")
    bare2 = medians.get("BM_BareCall/threads:2")
    ok = True
    print(f"{'benchmark':42} {'median':>12}  ratio  target")
    for name, value in medians.items():
        if name.endswith("@unit"):
            continue
        unit = medians[name + "@unit"]
        base = bare2 if name.endswith("threads:2") else bare1
        ratio = value / base if base and unit == "ns" else None
        target = TARGETS.get(name.split("/")[0]) if "threads" not in name else None
        verdict = ""
        if ratio is not None and target is not None:
            verdict = "ok" if ratio <= target else "MISSED"
            ok = ok and ratio <= target
        r = f"{ratio:5.1f}x" if ratio is not None else "     -"
        t = f"<= {target:g}x {verdict}" if target else ""
        print(f"{name:42} {value:9.2f} {unit:2} {r}  {t}")
    one = medians.get("BM_CircuitBreakerClosed")
    two = medians.get("BM_CircuitBreakerClosed/threads:2")
    if one and two:
        # With two threads, cpu_time is per thread-iteration: it must not exceed twice one thread's time.
        verdict = "ok" if two <= 2 * one else "MISSED"
        ok = ok and two <= 2 * one
        print(f"two threads on one breaker: {two:.2f} ns per call vs one thread {one:.2f} ns "
              f"({two / one:.2f}x, target <= 2x) {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
