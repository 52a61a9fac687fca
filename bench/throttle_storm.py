#!/usr/bin/env python3
"""The throttling storm (issue 14): K HostFactory installations x M concurrent processes borrow and return machines
and poll their status, one process per HostFactory call, against moto behind ohfp-chaos-proxy playing the AWS
account (EC2's published token buckets, scaled). The same fixed workload is run, each time on fresh state (a new
moto, a new proxy, new installations), by:

  ohfp-limiter-shared   ohfp, config/recommended-resilience.json + the rate limiter at the proxy's scale, the K
                        installations' state stores one SQLite file (`storage.file`, the same path): the limiter's
                        buckets are the account's, shared by every process of every installation
  ohfp-limiter          the same, a state store (SQLite) per installation: each installation's processes
                        coordinate, the installations compete as strangers
  ohfp-no-limiter       ohfp, config/recommended-resilience.json: retries with full jitter, the retry quota and
                        the breakers, no limiter
  boto3-adaptive        bench/throttle_storm_boto3.py, a Python process per call, boto3 retry_mode "adaptive"
  boto3-standard        the same in retry_mode "standard"

Why both ohfp-limiter variants: the limiter's buckets live in the state store and are keyed by `scope` (by default
the account and region), so what it coordinates is exactly the set of processes that share a store. Installations on
one host can share one SQLite file and then act as one client of the account (the variant the issue's targets are
read against); installations on different hosts (or with separate stores) each believe they have the whole account,
and only learn of each other through throttles (the adaptive rate), which is what ohfp-limiter shows.

and reports, side by side: requests the account received, those it throttled, the time until every worker finished
its cycles, the optimum the scaled buckets allow for the workload, and the plugin processes' CPU time.

The workload: every worker (an installation's HostFactory process slot) does --cycles cycles of: requestMachines of
--machines machines (a failed call is made again --retry-after seconds later), getRequestStatus every --poll seconds
until the request is complete (the first poll --poll seconds after the request), requestReturnMachines of those
machines, getRequestStatus of the return every --poll seconds until complete. Every worker starts at once.

The optimum: each cycle needs at least 1 RunInstances (--machines instances), 1 TerminateInstances (--machines
instances) and 2 DescribeInstances (the acquire poll and the return poll that find their request complete) to be
accepted. A bucket of capacity C refilled at r tokens per second admits its S-th token no earlier than (S - C) / r
seconds after the start; after the last RunInstances a cycle still needs two polls (2 x --poll), after the last
TerminateInstances one. The optimum is the largest of those times over the buckets, and at least --cycles x 2 x
--poll (each worker's own polling). It ignores process and network time, so it is a lower bound.

  bench/throttle_storm.sh                 # the full run: 3 x 16, two cycles of 2 machines, buckets x 0.5
                                          # (about 15 minutes on a 2-core machine: the boto3 variants dominate)
  bench/throttle_storm.sh --quick         # 2 x 3, one cycle, published limits: under a minute (the ctest)

The scale: 0.5 makes RunInstances, the bucket that decides this workload, 3 requests refilled at 1 per second (the
96 launches of the full run need at least 93 s). At 0.2 and below it is 1 request refilled at 0.4 per second or
less: no burst at all, and a rate under the limiter's adaptation floor (0.5 per second), so a client pacing at exactly
the account's rate is throttled whenever one process starts a little faster than the one before (see
docs/resilience.md, "Measured: the throttling storm").

Targets (issue 14, read in the report's "targets", never asserted by a test): ohfp with the limiter throttled at most
a tenth as often as boto3 adaptive, and the workload finished within 1.2 x the optimum.
"""
import argparse
import datetime
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMMANDS = ("requestMachines", "getRequestStatus", "requestReturnMachines")

VARIANTS = {
    "ohfp-limiter-shared": "ohfp, rate limiter, one store for all",
    "ohfp-limiter": "ohfp, rate limiter, a store per installation",
    "ohfp-no-limiter": "ohfp, no limiter (retries, quota, breakers)",
    "boto3-adaptive": "boto3, retry_mode adaptive",
    "boto3-standard": "boto3, retry_mode standard",
}
DEFAULT_VARIANTS = list(VARIANTS)
LIMITER_VARIANTS = ("ohfp-limiter-shared", "ohfp-limiter")
TARGET_THROTTLED_FRACTION = 0.1  # of boto3 adaptive's throttled responses
TARGET_TIME_OVER_OPTIMUM = 1.2

TEMPLATES = {"templates": [{
    "templateId": "OnDemand", "maxNumber": 10000, "imageId": "ami-12c6146b", "vmType": "c5.large",
    "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"], "nram": ["Numeric", "4096"]}}]}


def log(message):
    print(f"throttle_storm: {message}", file=sys.stderr, flush=True)


def free_port_from_log(path, pattern, proc, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            m = re.search(pattern, f.read())
        if m:
            return int(m.group(1))
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited before it listened (see {path})")
        time.sleep(0.05)
    raise RuntimeError(f"{proc.args[0]} did not listen within {seconds} s (see {path})")


def http(url, method="GET", body=None):
    request = urllib.request.Request(url, data=body, method=method)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read()


class LocalAws:
    """moto (checking signatures: its first 3 calls create an IAM user, every later call must be signed with that
    user's key) with ohfp-chaos-proxy in front of it, playing the account's EC2 buckets at `scale`."""

    NO_AUTH_CALLS = 3

    def __init__(self, build, work, scale):
        self.procs = []
        os.makedirs(work, exist_ok=True)
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(self.NO_AUTH_CALLS))
        moto_log = os.path.join(work, "moto.log")
        self.moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
                                     stdout=open(moto_log, "w"), stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL)
        self.procs.append(self.moto)
        self.moto_port = free_port_from_log(moto_log, r"Running on http://127\.0\.0\.1:(\d+)", self.moto)
        self.key_id, self.secret = self.create_user()
        self.check_signatures()
        rules = os.path.join(work, "rules.json")
        with open(rules, "w") as f:
            json.dump({"description": "the account: EC2's published buckets scaled",
                       "rules": [], "throttling": {"model": "ec2-published", "scale": scale}}, f)
        port_file = os.path.join(work, "proxy.port")
        proxy_log = os.path.join(work, "proxy.log")
        self.proxy = subprocess.Popen(
            [os.path.join(build, "tools/chaos-proxy/ohfp-chaos-proxy"), "--upstream",
             f"http://127.0.0.1:{self.moto_port}", "--listen", "127.0.0.1:0", "--port-file", port_file,
             "--config", rules, "--seed", "1", "--threads", "256", "--quiet"],
            stdout=open(proxy_log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(self.proxy)
        self.proxy_port = free_port_from_log(proxy_log, r'"listening":"127\.0\.0\.1:(\d+)"', self.proxy)
        self.endpoint = f"http://127.0.0.1:{self.proxy_port}"

    def client(self, service, key_id, secret):
        import boto3  # the driver's own calls only; the plugin processes import their own
        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{self.moto_port}", region_name="us-east-1",
                            aws_access_key_id=key_id, aws_secret_access_key=secret)

    def create_user(self):
        iam = self.client("iam", "testing", "testing")
        iam.create_user(UserName="bench")
        key = iam.create_access_key(UserName="bench")["AccessKey"]
        iam.put_user_policy(UserName="bench", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        return key["AccessKeyId"], key["SecretAccessKey"]

    def check_signatures(self):
        """A wrong secret must be refused (moto checks signatures), the right one accepted; this also makes moto's
        slow first EC2 call before the clock starts."""
        from botocore.exceptions import ClientError
        try:
            self.client("ec2", self.key_id, self.secret + "x").describe_instances()
        except ClientError:
            pass
        else:
            raise RuntimeError("moto accepted a wrong signature: it does not check signatures")
        self.client("ec2", self.key_id, self.secret).describe_instances()

    def env(self):
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": self.key_id, "AWS_SECRET_ACCESS_KEY": self.secret,
                "AWS_EC2_METADATA_DISABLED": "true"}

    def stats(self):
        return json.loads(http(self.endpoint + "/__chaos/stats"))

    def reset(self):
        http(self.endpoint + "/__chaos/reset", method="POST", body=b"")

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


class Installation:
    """A HostFactory installation: conf/ (config.json, awsprov_templates.json), work/, logs/, and how its commands
    run (the ohfp shims, or the boto3 plugin), each call a new process."""

    def __init__(self, root, variant, args, aws_env, shared_store):
        self.root = root
        self.variant = variant
        for d in ("conf", "work", "logs"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        with open(os.path.join(root, "conf/awsprov_templates.json"), "w") as f:
            json.dump(TEMPLATES, f)
        if variant.startswith("ohfp"):
            with open(os.path.join(ROOT, "config/recommended-resilience.json")) as f:
                config = json.load(f)
            if variant.startswith("ohfp-limiter"):
                config["resilience"]["rate_limiter"] = {"enabled": True, "scale": args.scale}
            if shared_store:
                config["storage"] = {"file": shared_store}
            with open(os.path.join(root, "conf/config.json"), "w") as f:
                json.dump(config, f, indent=1)
        self.env = dict(os.environ, **aws_env, HF_PROVIDER_CONFDIR=os.path.join(root, "conf"),
                        HF_PROVIDER_WORKDIR=os.path.join(root, "work"), HF_PROVIDER_LOGDIR=os.path.join(root, "logs"),
                        OHFP_BIN=os.path.join(args.build, "plugin/src/cli/ohfp"))
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_FILE", "AWS_CONFIG_FILE",
                     "AWS_SHARED_CREDENTIALS_FILE", "AWS_ACCOUNT_ID"):
            self.env.pop(name, None)
        if variant.startswith("boto3"):
            self.env["BENCH_RETRY_MODE"] = variant.split("-", 1)[1]
        self.inputs = 0
        self.lock = threading.Lock()

    def argv(self, command, input_file):
        if self.variant.startswith("boto3"):
            return [sys.executable, os.path.join(HERE, "throttle_storm_boto3.py"), command, "-f", input_file]
        return [os.path.join(ROOT, "scripts/hostfactory", command + ".sh"), "-f", input_file]

    def run(self, command, data, timeout):
        with self.lock:
            self.inputs += 1
            path = os.path.join(self.root, f"input-{self.inputs}.json")
        with open(path, "w") as f:
            json.dump(data, f)
        try:
            r = subprocess.run(self.argv(command, path), env=self.env, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=timeout)
            code, out = r.returncode, r.stdout
        except subprocess.TimeoutExpired:
            code, out = -9, ""
        try:
            answer = json.loads(out)
        except ValueError:
            answer = None
        return code, answer


class Stop(Exception):
    pass


class Run:
    """One variant's workload: K x M workers, each its cycles, every HostFactory call counted."""

    def __init__(self, installations, args, deadline):
        self.installations = installations
        self.args = args
        self.deadline = deadline
        self.lock = threading.Lock()
        self.calls = {c: 0 for c in COMMANDS}
        self.failed = {c: 0 for c in COMMANDS}
        self.cycles_done = 0
        self.machines_borrowed = 0
        self.worker_end = []
        self.errors = []
        self.last_failure = {}

    def sleep(self, seconds):
        if time.monotonic() + seconds > self.deadline:
            raise Stop()
        time.sleep(seconds)

    def call(self, inst, command, data):
        if time.monotonic() > self.deadline:
            raise Stop()
        code, answer = inst.run(command, data, timeout=max(1.0, self.deadline - time.monotonic()))
        ok = code == 0 and isinstance(answer, dict)
        with self.lock:
            self.calls[command] += 1
            self.failed[command] += not ok
            if not ok:
                message = answer.get("message", "") if isinstance(answer, dict) else ""
                self.last_failure[command] = f"exit {code}: {message}"[:300]
        return answer if ok else None

    def until_ok(self, inst, command, data, key):
        while True:
            answer = self.call(inst, command, data)
            if answer is not None and answer.get(key):
                return answer
            self.sleep(self.args.retry_after)

    def poll(self, inst, request_id):
        while True:
            self.sleep(self.args.poll)
            answer = self.call(inst, "getRequestStatus", {"requests": [{"requestId": request_id}]})
            if answer is None:
                continue
            entry = next((r for r in answer.get("requests", []) if r.get("requestId") == request_id), None)
            if entry and entry.get("status") in ("complete", "complete_with_error"):
                return entry

    def worker(self, inst):
        a = self.args
        try:
            for _ in range(a.cycles):
                need = a.machines
                while need > 0:
                    borrowed = self.until_ok(inst, "requestMachines",
                                             {"template": {"templateId": "OnDemand", "machineCount": need}},
                                             "requestId")
                    entry = self.poll(inst, borrowed["requestId"])
                    machines = [{"name": m["name"], "machineId": m["machineId"]}
                                for m in entry.get("machines", []) if m.get("result") == "succeed"]
                    if machines:
                        returned = self.until_ok(inst, "requestReturnMachines", {"machines": machines}, "requestId")
                        self.poll(inst, returned["requestId"])
                    need -= len(machines)
                    with self.lock:
                        self.machines_borrowed += len(machines)
                with self.lock:
                    self.cycles_done += 1
            with self.lock:
                self.worker_end.append(time.monotonic())
        except Stop:
            pass
        except Exception as e:  # noqa: BLE001 - reported in the result, and the run goes on
            with self.lock:
                self.errors.append(repr(e))

    def go(self):
        threads = []
        for inst in self.installations:
            for _ in range(self.args.processes):
                threads.append(threading.Thread(target=self.worker, args=(inst,)))
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return start


def optimum(buckets, args):
    """The bucket-limited optimum of the workload (see the module's docstring), from the proxy's buckets."""
    w = args.installations * args.processes * args.cycles
    demand = {  # bucket: (tokens the workload needs accepted, what a cycle still needs after the bucket's last)
        "ec2:RunInstances": (w, 2 * args.poll),
        "ec2:RunInstances:resource": (w * args.machines, 2 * args.poll),
        "ec2:TerminateInstances": (w, args.poll),
        "ec2:TerminateInstances:resource": (w * args.machines, args.poll),
        "ec2:DescribeInstances": (2 * w, 0.0),
    }
    per_bucket = {}
    for name, (tokens, tail) in demand.items():
        b = buckets.get(name)
        if b is None:
            continue
        wait = max(0.0, (tokens - b["capacity"]) / b["refill_rate"]) if b["refill_rate"] > 0 else float("inf")
        per_bucket[name] = {"tokens": tokens, "capacity": b["capacity"], "refill_rate": b["refill_rate"],
                            "seconds": round(wait + tail, 3)}
    floor = args.cycles * 2 * args.poll
    best = max([floor] + [p["seconds"] for p in per_bucket.values()])
    return best, per_bucket, floor


def run_variant(variant, args, work):
    vwork = os.path.join(work, variant)
    aws = LocalAws(args.build, os.path.join(vwork, "aws"), args.scale)
    try:
        shared = os.path.join(vwork, "shared-state.db") if variant == "ohfp-limiter-shared" else None
        installations = [Installation(os.path.join(vwork, f"installation-{k + 1}"), variant, args, aws.env(), shared)
                         for k in range(args.installations)]
        aws.reset()  # the clock starts: full buckets, zero statistics
        load_before = os.getloadavg()[0]
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = Run(installations, args, time.monotonic() + args.timeout)
        start = run.go()
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        stats = aws.stats()
    finally:
        aws.close()
    workers = args.installations * args.processes
    finished = len(run.worker_end) == workers and not run.errors
    elapsed = (max(run.worker_end) - start) if finished else None
    t = stats["throttling"]
    ec2 = t["services"].get("ec2", {})
    best, per_bucket, floor = optimum(t["buckets"], args)
    actions = {a: {"accepted": v["accepted"], "throttled": v["throttled"]}
               for a, v in sorted(ec2.get("actions", {}).items())}
    return {
        "variant": variant,
        "label": VARIANTS[variant],
        "finished": finished,
        "workers_finished": len(run.worker_end),
        "cycles_done": run.cycles_done,
        "machines_borrowed": run.machines_borrowed,
        "seconds": round(elapsed, 2) if elapsed is not None else None,
        "optimum_seconds": round(best, 2),
        "ratio_to_optimum": round(elapsed / best, 3) if elapsed is not None and best > 0 else None,
        "requests_sent": t["totals"]["accepted"] + t["totals"]["throttled"],
        "requests_accepted": t["totals"]["accepted"],
        "throttled": t["totals"]["throttled"],
        "throttled_on_resources": t["totals"]["throttled_on_resources"],
        "actions": actions,
        "hostfactory_calls": dict(run.calls, total=sum(run.calls.values())),
        "hostfactory_calls_failed": dict(run.failed, total=sum(run.failed.values())),
        "plugin_cpu_seconds": round((cpu_after.ru_utime - cpu_before.ru_utime)
                                    + (cpu_after.ru_stime - cpu_before.ru_stime), 2),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "optimum": {"buckets": per_bucket, "polling_floor_seconds": floor},
        "last_failures": run.last_failure,
        "errors": run.errors,
    }


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(report):
    results = report["results"]
    rows = [
        ("workload finished", lambda r: "yes" if r["finished"] else f"no ({r['cycles_done']} cycles)"),
        ("requests the account received", lambda r: fmt(r["requests_sent"])),
        ("throttled responses", lambda r: fmt(r["throttled"])),
        ("  of them RunInstances", lambda r: fmt(r["actions"].get("RunInstances", {}).get("throttled", 0))),
        ("  of them DescribeInstances", lambda r: fmt(r["actions"].get("DescribeInstances", {}).get("throttled", 0))),
        ("  of them TerminateInstances",
         lambda r: fmt(r["actions"].get("TerminateInstances", {}).get("throttled", 0))),
        ("time until every request completed (s)", lambda r: fmt(r["seconds"])),
        ("bucket-limited optimum (s)", lambda r: fmt(r["optimum_seconds"])),
        ("time / optimum", lambda r: fmt(r["ratio_to_optimum"], 2)),
        ("HostFactory calls (failed)",
         lambda r: f"{r['hostfactory_calls']['total']} ({r['hostfactory_calls_failed']['total']})"),
        ("plugin processes' CPU time (s)", lambda r: fmt(r["plugin_cpu_seconds"])),
        ("load average before / after", lambda r: f"{r['load_average_before']:.1f} / {r['load_average_after']:.1f}"),
    ]
    head = ["| |"] + [f" {r['label']} |" for r in results]
    lines = ["".join(head), "|---|" + "---|" * len(results)]
    for name, cell in rows:
        lines.append(f"| {name} |" + "".join(f" {cell(r)} |" for r in results))
    return "\n".join(lines)


def targets(report):
    """Issue 14's targets for each ohfp variant with the limiter: its throttled responses over boto3 adaptive's
    (at most 0.1) and its time over the optimum (at most 1.2). `met` is null when a figure is missing."""
    by = {r["variant"]: r for r in report["results"]}
    ada = by.get("boto3-adaptive")
    out = {}
    for name in LIMITER_VARIANTS:
        lim = by.get(name)
        if lim is None:
            continue
        t = {}
        if ada is not None:
            if ada["throttled"] > 0:
                ratio = round(lim["throttled"] / ada["throttled"], 4)
            else:
                ratio = 0.0 if lim["throttled"] == 0 else None
            t["throttled_over_boto3_adaptive"] = {
                "value": ratio, "target": TARGET_THROTTLED_FRACTION,
                "met": None if ratio is None else ratio <= TARGET_THROTTLED_FRACTION}
        ratio = lim["ratio_to_optimum"]
        t["time_over_optimum"] = {"value": ratio, "target": TARGET_TIME_OVER_OPTIMUM,
                                  "met": None if ratio is None else ratio <= TARGET_TIME_OVER_OPTIMUM}
        out[name] = t
    return out


def target_lines(report):
    lines = []
    for name, t in report["targets"].items():
        for key, v in t.items():
            verdict = {True: "met", False: "MISSED", None: "not measured"}[v["met"]]
            value = "-" if v["value"] is None else f"{v['value']:.3g}"
            lines.append(f"target {name} {key}: {value} (at most {v['target']}): {verdict}")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--installations", type=int, default=3, help="K HostFactory installations (default 3)")
    p.add_argument("--processes", type=int, default=16, help="M concurrent processes per installation (16)")
    p.add_argument("--cycles", type=int, default=2, help="borrow-and-return cycles per process (2)")
    p.add_argument("--machines", type=int, default=2, help="machines per request (2)")
    p.add_argument("--scale", type=float, default=0.5, help="the account's buckets: EC2's published x SCALE (0.5)")
    p.add_argument("--poll", type=float, default=2.0, help="seconds between getRequestStatus polls (2)")
    p.add_argument("--retry-after", type=float, default=5.0, help="seconds before a failed call is made again (5)")
    p.add_argument("--timeout", type=float, default=None, help="seconds a variant may take (10 x optimum + 120)")
    p.add_argument("--variants", default=",".join(DEFAULT_VARIANTS),
                   help=f"comma-separated, from {', '.join(VARIANTS)} (default: {','.join(DEFAULT_VARIANTS)})")
    p.add_argument("--quick", action="store_true",
                   help="2 x 3, 1 cycle of 1 machine, published limits (scale 1), polls every second: the ctest")
    p.add_argument("--json", help="also write the report as JSON to this file")
    p.add_argument("--build", default=os.environ.get("OHFP_BUILD_DIR", os.path.join(ROOT, "build/default")))
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs, stores)")
    args = p.parse_args()
    if args.quick:
        args.installations, args.processes, args.cycles, args.machines = 2, 3, 1, 1
        args.scale, args.poll, args.retry_after = 1.0, 1.0, 2.0
    variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variant(s): {', '.join(unknown)}")
    for binary in ("plugin/src/cli/ohfp", "tools/chaos-proxy/ohfp-chaos-proxy"):
        if not os.access(os.path.join(args.build, binary), os.X_OK):
            sys.exit(f"throttle_storm: {os.path.join(args.build, binary)} is missing: build first "
                     "(cmake --build --preset default --target ohfp ohfp-chaos-proxy)")
    try:
        import boto3  # noqa: F401
        import moto.server  # noqa: F401
    except ImportError as e:
        sys.exit(f"throttle_storm: python3 lacks moto or boto3 ({e}): scripts/install-deps.sh")
    if args.timeout is None:
        best, _, _ = optimum(published_buckets(args.scale), args)
        args.timeout = 10 * best + 120
    work = tempfile.mkdtemp(prefix="ohfp-throttle-storm.")
    report = {
        "command": " ".join(["bench/throttle_storm.sh"] + sys.argv[1:]),
        "started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "workload": {"installations": args.installations, "processes_per_installation": args.processes,
                     "cycles_per_process": args.cycles, "machines_per_request": args.machines,
                     "scale": args.scale, "poll_seconds": args.poll, "retry_after_seconds": args.retry_after,
                     "timeout_seconds": args.timeout},
        "machine": {"cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in os.getloadavg()]},
        "results": [],
    }
    try:
        for v in variants:
            log(f"{v}: {args.installations} x {args.processes} processes, {args.cycles} cycle(s) of "
                f"{args.machines} machine(s), buckets x {args.scale}")
            r = run_variant(v, args, work)
            log(f"{v}: {'finished' if r['finished'] else 'NOT finished'} in {fmt(r['seconds'])} s "
                f"(optimum {r['optimum_seconds']} s), {r['requests_sent']} requests, {r['throttled']} throttled")
            report["results"].append(r)
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report["targets"] = targets(report)
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(table(report))
    print()
    print(target_lines(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0 if all(r["finished"] for r in report["results"]) else 1


def published_buckets(scale):
    """The proxy's buckets for the workload's actions (tools/chaos-proxy/README.md): EC2's published sizes and
    rates x scale, sizes rounded to whole tokens and at least 1. Used before a run to bound its time."""
    published = {"ec2:RunInstances": (5, 2), "ec2:RunInstances:resource": (1000, 2),
                 "ec2:TerminateInstances": (100, 5), "ec2:TerminateInstances:resource": (1000, 20),
                 "ec2:DescribeInstances": (100, 20)}
    return {k: {"capacity": max(1, math.floor(c * scale + 0.5)), "refill_rate": r * scale}
            for k, (c, r) in published.items()}


if __name__ == "__main__":
    sys.exit(main())
