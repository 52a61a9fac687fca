"""Prints scripts/demo.sh's summary from what the run left behind.

usage: demo_summary.py CYCLE_JSON METRICS_JSON CHAOS_STATS_JSON APP_LOG ELAPSED_SECONDS

CYCLE_JSON is `ohfp-hf-simulator cycle --json`, METRICS_JSON `ohfp metrics --format json`,
CHAOS_STATS_JSON the proxy's GET /__chaos/stats, APP_LOG ohfp's JSON-lines log.
"""
import collections
import json
import sys


def load(path, default):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def total(metrics, name, **labels):
    """Sum of a counter's series whose labels include every key=value given."""
    out = 0.0
    for series in metrics.get(name, []):
        text = series.get("labels", "")
        if all(f'{k}="{v}"' in text for k, v in labels.items()):
            out += series.get("value", 0)
    return int(out)


def label_values(metrics, name, key):
    values = set()
    for series in metrics.get(name, []):
        for part in series.get("labels", "").split(","):
            k, _, v = part.partition("=")
            if k == key:
                values.add(v.strip('"'))
    return sorted(values)


def transitions(app_log):
    out = []
    try:
        with open(app_log, encoding="utf-8") as f:
            for line in f:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "circuit":
                    out.append((event.get("time", "")[11:19], event.get("service", "?"),
                                event.get("from", "?"), event.get("to", "?")))
    except OSError:
        pass
    return out


def main(argv):
    cycle = load(argv[1], {})
    metrics = load(argv[2], {})
    chaos = load(argv[3], {})
    app_log, elapsed = argv[4], argv[5]

    acquires, returns = cycle.get("requests", []), cycle.get("returns", [])
    verdict = "OK, every answer followed the HostFactory contract" if cycle.get("ok") else (
        f"FAILED: {len(cycle.get('violations', []))} contract violation(s), "
        f"{len(cycle.get('problems', []))} problem(s)")
    print(f"HostFactory cycle: {verdict}")
    for p in cycle.get("problems", []):
        print(f"  problem: {p}")
    for v in cycle.get("violations", []):
        print(f"  violation: {json.dumps(v)}")

    print("\nRequests")
    for r in acquires:
        machines = r.get("machines", [])
        ok = sum(m.get("result") == "succeed" for m in machines)
        extra = f" ({r['message']})" if r.get("message") else ""
        print(f"  borrow {r.get('templateId', '?'):<24} {ok} of {r.get('machineCount', '?')} machine(s), "
              f"{r.get('status', 'no status')} after {r.get('polls', 0)} poll(s){extra}")
    for r in returns:
        machines = r.get("machines", [])
        ok = sum(m.get("result") == "succeed" for m in machines)
        print(f"  return {len(machines)} machine(s): {ok} terminated, {r.get('status', 'no status')} "
              f"after {r.get('polls', 0)} poll(s)")
    borrowed = sum(sum(m.get("result") == "succeed" for m in r.get("machines", [])) for r in acquires)
    returned = sum(sum(m.get("result") == "succeed" for m in r.get("machines", [])) for r in returns)
    print(f"  machines: {borrowed} borrowed, {returned} returned, {len(cycle.get('kept', []))} kept")

    commands = cycle.get("commands", {})
    calls = sum(c.get("calls", 0) for c in commands.values())
    print(f"\nCommands: {calls} ohfp processes through the shims")
    for name, c in sorted(commands.items()):
        print(f"  {name:<24} {c.get('calls', 0):>3} call(s), {c.get('failures', 0)} failed, "
              f"median {c.get('median_ms', 0):.0f} ms, max {c.get('max_ms', 0):.0f} ms")

    totals = chaos.get("totals", {})
    by_type = totals.get("faults_by_type", {})
    print(f"\nAWS (at the proxy): {totals.get('requests', 0)} request(s), {totals.get('forwarded', 0)} "
          f"reached moto; injected {by_type.get('throttle', 0)} throttle(s) and {by_type.get('error', 0)} "
          f"outage error(s); {totals.get('idempotent_replays', 0)} retried create call(s) answered from "
          f"their ClientToken, launching nothing twice")

    print("\nResilience (ohfp metrics, summed over every process)")
    print(f"  operations {total(metrics, 'ohfp_resilience_total_operations')}, "
          f"succeeded {total(metrics, 'ohfp_resilience_successful_operations')}, "
          f"attempts {total(metrics, 'ohfp_resilience_attempts')}, "
          f"retries {total(metrics, 'ohfp_resilience_retry_attempts')} "
          f"({total(metrics, 'ohfp_resilience_retry_successes')} ended in success)")
    print(f"  calls rejected by an open circuit: {total(metrics, 'ohfp_resilience_rejected_calls')} "
          f"(the polls were answered from the state store meanwhile)")
    for service in label_values(metrics, "ohfp_resilience_circuit_breaker_failures", "service"):
        print(f"  breaker {service:<15} failures {total(metrics, 'ohfp_resilience_circuit_breaker_failures', service=service)}, "
              f"opened {total(metrics, 'ohfp_resilience_circuit_breaker_opens', service=service)}, "
              f"half-open {total(metrics, 'ohfp_resilience_circuit_breaker_half_opens', service=service)}, "
              f"closed {total(metrics, 'ohfp_resilience_circuit_breaker_closes', service=service)}")
    moves = transitions(app_log)
    if moves:
        print("  breaker transitions (app.log, UTC):")
        for at, service, before, after in moves:
            print(f"    {at}  {service:<15} {before} -> {after}")
    counts = collections.Counter()
    try:
        with open(app_log, encoding="utf-8") as f:
            for line in f:
                try:
                    counts[json.loads(line).get("level", "?")] += 1
                except ValueError:
                    counts["unparsable"] += 1
    except OSError:
        pass
    print(f"  app.log: {sum(counts.values())} line(s) "
          f"({', '.join(f'{n} {k}' for k, n in sorted(counts.items()))})")

    print(f"\nElapsed: {elapsed} s")


if __name__ == "__main__":
    main(sys.argv)
