#!/usr/bin/env python3
"""One HostFactory call of a minimal Python plugin, as bench/throttle_storm.py's boto3 variants run it: a new
process per call (`throttle_storm_boto3.py COMMAND -f INPUT`, as a Python plugin's scripts run), one boto3 EC2 client
with retry_mode BENCH_RETRY_MODE ("adaptive" or "standard", boto3's default of 3 attempts), and the AWS calls ohfp
makes for the same command on a RunInstances template:

  requestMachines          RunInstances (MinCount = MaxCount = machineCount, a ClientToken, tags ohfp:request-id)
  getRequestStatus (req-)  DescribeInstances filtered by the ohfp:request-id tag, MaxResults 1000
  requestReturnMachines    TerminateInstances of the machines' ids
  getRequestStatus (ret-)  DescribeInstances filtered by instance-id, MaxResults 1000

The plugin's state (which request launched which instances, which return request returns which) is a JSON file in
HF_PROVIDER_WORKDIR, read and written under an exclusive lock. Answers follow the HostFactory contract closely enough
for the benchmark's driver (requestId, status, machines with machineId, name, result); a failed call prints a
message and exits 1. Endpoint, region and credentials come from the environment (AWS_ENDPOINT_URL & co.)."""
import fcntl
import json
import os
import sys
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

TEMPLATE = {"imageId": "ami-12c6146b", "vmType": "c5.large"}


def fail(message):
    print(json.dumps({"message": message}))
    sys.exit(1)


class State:
    """The plugin's state file, locked for the whole call (calls of one installation run one after another on it
    only for their short read-modify-write; AWS calls happen outside the lock)."""

    def __init__(self, workdir):
        self.path = os.path.join(workdir, "boto3-plugin-state.json")
        self.lock_path = self.path + ".lock"

    def update(self, change):
        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = {"requests": {}, "returns": {}}
            if os.path.exists(self.path):
                with open(self.path) as f:
                    data = json.load(f)
            result = change(data)
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(data, f)
            os.replace(tmp, self.path)
            return result


def ec2():
    mode = os.environ.get("BENCH_RETRY_MODE", "standard")
    return boto3.client("ec2", config=Config(retries={"mode": mode}))


def request_machines(inp, state):
    count = int(inp["template"]["machineCount"])
    request_id = "req-" + str(uuid.uuid4())
    try:
        answer = ec2().run_instances(
            ImageId=TEMPLATE["imageId"], InstanceType=TEMPLATE["vmType"], MinCount=count, MaxCount=count,
            ClientToken=request_id,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "ohfp:request-id", "Value": request_id}]}])
    except (ClientError, BotoCoreError) as e:
        fail(f"RunInstances failed: {e}")
    ids = [i["InstanceId"] for i in answer["Instances"]]
    state.update(lambda d: d["requests"].__setitem__(request_id, ids))
    print(json.dumps({"requestId": request_id, "message": f"launching {count} machine(s)"}))


def machines_of(reservations):
    out = []
    for r in reservations:
        for i in r["Instances"]:
            out.append({"machineId": i["InstanceId"], "name": i.get("PrivateDnsName", ""),
                        "status": i["State"]["Name"], "privateIpAddress": i.get("PrivateIpAddress", "")})
    return out


def describe(filters):
    client = ec2()
    reservations, token = [], None
    while True:
        kwargs = {"Filters": filters, "MaxResults": 1000}
        if token:
            kwargs["NextToken"] = token
        page = client.describe_instances(**kwargs)
        reservations += page["Reservations"]
        token = page.get("NextToken")
        if not token:
            return machines_of(reservations)


def request_status(inp, state):
    known = state.update(lambda d: json.loads(json.dumps(d)))
    out = []
    for asked in inp["requests"]:
        rid = asked["requestId"]
        try:
            if rid.startswith("ret-"):
                ids = known["returns"].get(rid)
                if ids is None:
                    fail(f"unknown request {rid}")
                machines = describe([{"Name": "instance-id", "Values": ids}])
                done = all(m["status"] in ("shutting-down", "terminated") for m in machines)
                result = "succeed"
            else:
                if rid not in known["requests"]:
                    fail(f"unknown request {rid}")
                machines = describe([{"Name": "tag:ohfp:request-id", "Values": [rid]}])
                done = len(machines) == len(known["requests"][rid]) and all(
                    m["status"] == "running" for m in machines)
                result = "succeed" if done else "executing"
        except (ClientError, BotoCoreError) as e:
            fail(f"DescribeInstances failed: {e}")
        for m in machines:
            m["result"] = result
        out.append({"requestId": rid, "status": "complete" if done else "running", "message": "",
                    "machines": machines})
    print(json.dumps({"requests": out}))


def request_return(inp, state):
    ids = [m["machineId"] for m in inp["machines"]]
    try:
        ec2().terminate_instances(InstanceIds=ids)
    except (ClientError, BotoCoreError) as e:
        fail(f"TerminateInstances failed: {e}")
    return_id = "ret-" + str(uuid.uuid4())
    state.update(lambda d: d["returns"].__setitem__(return_id, ids))
    print(json.dumps({"requestId": return_id, "message": f"terminating {len(ids)} machine(s)"}))


def main():
    if len(sys.argv) != 4 or sys.argv[2] != "-f":
        fail("usage: throttle_storm_boto3.py COMMAND -f INPUT")
    command = sys.argv[1]
    with open(sys.argv[3]) as f:
        inp = json.load(f)
    state = State(os.environ["HF_PROVIDER_WORKDIR"])
    handlers = {"requestMachines": request_machines, "getRequestStatus": request_status,
                "requestReturnMachines": request_return}
    if command not in handlers:
        fail(f"{command} is not a command of this plugin")
    handlers[command](inp, state)


if __name__ == "__main__":
    main()
