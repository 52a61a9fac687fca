#!/usr/bin/env python3
"""Keeps one request's instances `pending` for the benchmarks: asks moto for its DescribeInstances answer about the
request's instances, rewrites it to say they are pending and launched in the future, and has ohfp-chaos-proxy answer
every DescribeInstances with it (a `respond` rule). Every getRequestStatus then makes the round trip, parses the
instances, updates their machine rows and keeps the request running.

    bench/hold_pending.py --moto PORT --proxy PORT --request-id ID [--expect N]

--expect N fails unless moto holds N instances of the request.
"""
import argparse
import json
import re
import urllib.parse
import urllib.request


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--moto", required=True, help="moto's port on 127.0.0.1")
    p.add_argument("--proxy", required=True, help="ohfp-chaos-proxy's port on 127.0.0.1")
    p.add_argument("--request-id", required=True)
    p.add_argument("--expect", type=int, help="how many instances moto must hold for the request")
    a = p.parse_args()
    query = urllib.parse.urlencode({"Action": "DescribeInstances", "Version": "2016-11-15",
                                    "Filter.1.Name": "tag:ohfp:request-id", "Filter.1.Value.1": a.request_id})
    # moto routes an unsigned request by the credential scope of its Authorization header.
    ask = urllib.request.Request(f"http://127.0.0.1:{a.moto}/", data=query.encode(), method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    body = urllib.request.urlopen(ask).read().decode()
    if a.expect is not None:
        assert body.count("<instanceId>") == a.expect, f"moto should hold the {a.expect} instances"
    body = re.sub(r"<instanceState>\s*<code>16</code>\s*<name>running</name>\s*</instanceState>",
                  "<instanceState><code>0</code><name>pending</name></instanceState>", body)
    body = re.sub(r"<launchTime>[^<]*</launchTime>", "<launchTime>2099-01-01T00:00:00.000Z</launchTime>", body)
    rules = {"rules": [{"name": "still-pending", "match": {"action": "DescribeInstances"},
                        "fault": {"type": "respond", "status": 200, "body": body}}]}
    put = urllib.request.Request(f"http://127.0.0.1:{a.proxy}/__chaos/rules", data=json.dumps(rules).encode(),
                                 method="PUT", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(put).read()


if __name__ == "__main__":
    main()
