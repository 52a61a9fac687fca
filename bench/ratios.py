#!/usr/bin/env python3
"""Reads Google Benchmark JSON (--benchmark_format=json) on stdin; prints each benchmark's median time and its
ratio to BM_BareCall (same thread count) from the same run, and checks the targets of docs/benchmarks.md. The
rate limiter's costs are printed against their own baselines from the same run."""
import json
import sys

# A getRequestStatus's own time (wall minus AWS) in docs/benchmarks.md's hyperfine table, in microseconds: the
# limiter may add at most 5 % of it to an AWS call.
GET_REQUEST_STATUS_OWN_US = 8800.0
LIMITER_SHARE_TARGET = 0.05

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
    def us(name):
        value = medians.get(name)
        if value is None:
            return None
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[medians[name + "@unit"]]
        return value * scale

    pairs = [("BM_PipelineSuccessLimited", "BM_PipelineSuccess", "the pipeline with the limiter, in memory"),
             ("BM_SqliteLimiterAcquire", "BM_SqliteBreakerRead", "a limiter acquire on SQLite vs a breaker read"),
             ("BM_SqlitePipelineSuccessLimited", "BM_SqlitePipelineSuccess",
              "the pipeline on SQLite with vs without the limiter")]
    for name, base, what in pairs:
        a, b = us(name), us(base)
        if a is not None and b:
            print(f"{what}: {a:.3f} us vs {b:.3f} us ({a / b:.1f}x)")
    added_with = us("BM_SqlitePipelineSuccessLimited")
    added_without = us("BM_SqlitePipelineSuccess")
    if added_with is not None and added_without is not None:
        added = added_with - added_without
        share = added / GET_REQUEST_STATUS_OWN_US
        verdict = "ok" if share < LIMITER_SHARE_TARGET else "MISSED"
        ok = ok and share < LIMITER_SHARE_TARGET
        print(f"the limiter adds {added:.1f} us to an AWS call on SQLite: {100 * share:.2f} % of a getRequestStatus's "
              f"own {GET_REQUEST_STATUS_OWN_US / 1000:.1f} ms (target < {100 * LIMITER_SHARE_TARGET:g} %) {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
