#!/usr/bin/env python3
"""ctest throttle_storm_quick: `bench/throttle_storm.sh --quick` runs to the end and its report is well formed.

Asserts only the report's shape and its internal consistency (every variant finished the workload, the account's
counts add up, the table names every variant); no timing or ratio: those are the benchmark's business, on a quiet
machine (docs/benchmarks.md). Usage: throttle_storm_quick_test.py SOURCE_DIR BUILD_DIR"""
import json
import os
import subprocess
import sys
import tempfile

VARIANTS = ["ohfp-limiter-shared", "ohfp-limiter", "ohfp-no-limiter", "boto3-adaptive", "boto3-standard"]
COMMANDS = ["requestMachines", "getRequestStatus", "requestReturnMachines"]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def check_result(r, workload):
    v = r.get("variant")
    workers = workload["installations"] * workload["processes_per_installation"]
    cycles = workers * workload["cycles_per_process"]
    check(r.get("finished") is True, f"{v}: did not finish: {r.get('errors')} {r.get('last_failures')}")
    check(r.get("workers_finished") == workers, f"{v}: {r.get('workers_finished')} of {workers} workers finished")
    check(r.get("cycles_done") == cycles, f"{v}: {r.get('cycles_done')} of {cycles} cycles")
    check(r.get("machines_borrowed") == cycles * workload["machines_per_request"], f"{v}: machines borrowed")
    for key in ("seconds", "optimum_seconds", "ratio_to_optimum", "plugin_cpu_seconds"):
        check(isinstance(r.get(key), (int, float)) and r[key] >= 0, f"{v}: {key} = {r.get(key)!r}")
    check(r["optimum_seconds"] > 0, f"{v}: the optimum is not positive")
    check(r["requests_sent"] == r["requests_accepted"] + r["throttled"], f"{v}: sent != accepted + throttled")
    actions = r.get("actions", {})
    for action in ("RunInstances", "DescribeInstances", "TerminateInstances"):
        check(action in actions, f"{v}: the account saw no {action}")
    check(sum(a["accepted"] for a in actions.values()) == r["requests_accepted"], f"{v}: accepted per action")
    check(sum(a["throttled"] for a in actions.values()) == r["throttled"], f"{v}: throttled per action")
    check(actions.get("RunInstances", {}).get("accepted", 0) >= cycles, f"{v}: fewer launches than cycles")
    calls = r.get("hostfactory_calls", {})
    check(all(calls.get(c, 0) >= cycles for c in COMMANDS), f"{v}: HostFactory calls {calls}")
    check(calls.get("total") == sum(calls.get(c, 0) for c in COMMANDS), f"{v}: HostFactory calls total")
    check(set(r.get("optimum", {}).get("buckets", {})) >= {"ec2:RunInstances", "ec2:DescribeInstances"},
          f"{v}: the optimum lacks the buckets the workload used")


def main():
    source, build = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="ohfp-throttle-storm-test.") as tmp:
        path = os.path.join(tmp, "report.json")
        run = subprocess.run([os.path.join(source, "bench/throttle_storm.sh"), "--quick", "--json", path,
                              "--build", build], capture_output=True, text=True, timeout=600,
                             stdin=subprocess.DEVNULL)
        sys.stderr.write(run.stderr)
        print(run.stdout)
        check(run.returncode == 0, f"exit status {run.returncode}")
        if not os.path.exists(path):
            print("FAILED: no JSON report", file=sys.stderr)
            return 1
        with open(path) as f:
            report = json.load(f)
    workload = report.get("workload", {})
    check(workload.get("installations") == 2 and workload.get("processes_per_installation") == 3,
          f"--quick's workload: {workload}")
    results = report.get("results", [])
    check([r.get("variant") for r in results] == VARIANTS, f"variants {[r.get('variant') for r in results]}")
    for r in results:
        check_result(r, workload)
        check(f" {r.get('label')} |" in run.stdout.splitlines()[0], f"the table's header lacks {r.get('label')}")
    targets = report.get("targets", {})
    check(set(targets) == {"ohfp-limiter-shared", "ohfp-limiter"}, f"targets for {sorted(targets)}")
    for name, t in targets.items():
        check(set(t) == {"throttled_over_boto3_adaptive", "time_over_optimum"}, f"targets of {name}: {sorted(t)}")
        check(f"target {name} time_over_optimum" in run.stdout, f"the targets' lines lack {name}")
    check("| throttled responses |" in run.stdout, "the table lacks the throttled responses")
    for message in failures:
        print(f"FAILED: {message}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
