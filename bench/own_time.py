"""A command's own time, shared by the benchmark reports: its wall time minus the AWS round trips it logged (the
`aws_ms` of app.log's `command` event), paired run by run with the timed runs (the last `runs` events of the
command: the warm-up runs come first)."""
import json


def command_events(log_file):
    """{command name: its `command` events from app.log, in order}"""
    logged = {}
    for line in open(log_file):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "command":
            logged.setdefault(event["command"], []).append(event)
    return logged


def own_times(walls_ms, events, runs):
    """(AWS ms, own ms) per timed run; own is the wall time itself when the log does not hold one event per run."""
    aws = [e.get("aws_ms", 0.0) for e in events[-runs:]]
    own = [w - a for w, a in zip(walls_ms, aws)] if len(aws) == len(walls_ms) else list(walls_ms)
    return aws, own
