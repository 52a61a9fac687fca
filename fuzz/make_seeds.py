#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/seed-*) from the tests' fixtures.

    python3 fuzz/make_seeds.py            rewrites every seed-* file (regression inputs, crash-*, are kept)

Sources: the AWS answers are moto's own (moto 5, the emulator the integration tests run against, driven here with
boto3, which moto brings), plus the answer and error shapes the unit tests use; the configuration, templates and
chaos-proxy rule files are the repository's examples; the HostFactory inputs are those of the e2e tests. Each
target's input layout is described at the top of its fuzz/<target>_fuzzer.cc; the helpers below write it.
"""
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def write(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, "seed-" + re.sub(r"[^A-Za-z0-9_.-]", "_", name)), "wb") as f:
        f.write(data)


def clear_seeds():
    for target in os.listdir(CORPUS) if os.path.isdir(CORPUS) else []:
        for name in os.listdir(os.path.join(CORPUS, target)):
            if name.startswith("seed-"):
                os.remove(os.path.join(CORPUS, target, name))


# FuzzedDataProvider layouts: strings are read from the front (a backslash is doubled; backslash plus any other
# byte ends the string), integers from the back.
def fdp_string(text):
    data = text.encode() if isinstance(text, str) else text
    return data.replace(b"\\", b"\\\\") + b"\\x"


def repo_file(*parts):
    with open(os.path.join(ROOT, *parts), "rb") as f:
        return f.read()


# --- aws_response: byte 0 the operation (its index in Operations()), byte 1 the status (< 128: 200), the body.
OPERATIONS = ["RunInstances", "DescribeInstances", "TerminateInstances", "CreateTags", "DescribeInstanceTypes",
              "DescribeSpotInstanceRequests", "CreateLaunchTemplate", "DescribeLaunchTemplates",
              "DeleteLaunchTemplate", "CreateFleet", "DescribeFleets", "DescribeFleetInstances", "ModifyFleet",
              "DeleteFleets", "RequestSpotFleet", "DescribeSpotFleetRequests", "DescribeSpotFleetRequests",
              "DescribeSpotFleetInstances", "DescribeSpotFleetRequestHistory", "ModifySpotFleetRequest",
              "CancelSpotFleetRequests", "CreateAutoScalingGroup", "DescribeAutoScalingGroups",
              "DescribeAutoScalingGroups", "UpdateAutoScalingGroup", "DetachInstances", "DeleteAutoScalingGroup",
              "TerminateInstanceInAutoScalingGroup", "PutMetricData", "ListMetrics", "GetMetricStatistics"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def moto_answers():
    """Every operation's answer from a real moto, by action name (the first answer of each)."""
    import boto3  # moto's dependency

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    answers = {}
    try:
        url = "http://127.0.0.1:%d" % port
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        args = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                    aws_secret_access_key="testing")
        ec2 = boto3.client("ec2", **args)
        asg = boto3.client("autoscaling", **args)
        cw = boto3.client("cloudwatch", **args)

        for client in (ec2, asg, cw):
            client.meta.events.register("after-call", lambda http_response, model, **kw:
                                        answers.setdefault(model.name, http_response.content))
        tags = [{"Key": "ohfp:request-id", "Value": "req-1"}, {"Key": "Name", "Value": "worker 1 + caf\u00e9"}]
        run = ec2.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2, InstanceType="c5.large",
                                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
        ids = [i["InstanceId"] for i in run["Instances"]]
        ec2.describe_instances(InstanceIds=ids)
        ec2.create_tags(Resources=ids, Tags=[{"Key": "k", "Value": "v"}])
        ec2.describe_instance_types(InstanceTypes=["c5.large"])
        ec2.describe_spot_instance_requests()
        lt = ec2.create_launch_template(LaunchTemplateName="ohfp-req-1",
                                        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "c5.large"},
                                        TagSpecifications=[{"ResourceType": "launch-template", "Tags": tags}])
        lt_id = lt["LaunchTemplate"]["LaunchTemplateId"]
        ec2.describe_launch_templates()
        subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]]
        fleet = ec2.create_fleet(Type="maintain", TargetCapacitySpecification={"TotalTargetCapacity": 2,
                                                                               "DefaultTargetCapacityType": "on-demand"},
                                 LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateId": lt_id,
                                                                                         "Version": "$Latest"}}])
        ec2.describe_fleets()
        ec2.describe_fleet_instances(FleetId=fleet["FleetId"])
        sfr = ec2.request_spot_fleet(SpotFleetRequestConfig={
            "IamFleetRole": "arn:aws:iam::123456789012:role/fleet", "TargetCapacity": 2,
            "AllocationStrategy": "lowestPrice",
            "LaunchSpecifications": [{"ImageId": "ami-12c6146b", "InstanceType": "c5.large",
                                      "SubnetId": subnets[0]}]})["SpotFleetRequestId"]
        ec2.describe_spot_fleet_requests()
        ec2.describe_spot_fleet_instances(SpotFleetRequestId=sfr)
        try:  # moto 5.2 answers this one with HTTP 500; the unit tests' shape stands in (aws_seeds)
            ec2.describe_spot_fleet_request_history(SpotFleetRequestId=sfr, StartTime="2020-01-01T00:00:00Z")
        except Exception:  # noqa: BLE001
            pass
        ec2.modify_spot_fleet_request(SpotFleetRequestId=sfr, TargetCapacity=1)
        ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=[sfr], TerminateInstances=True)
        ec2.delete_fleets(FleetIds=[fleet["FleetId"]], TerminateInstances=True)
        asg.create_auto_scaling_group(AutoScalingGroupName="ohfp-req-2", MinSize=0, MaxSize=4, DesiredCapacity=2,
                                      LaunchTemplate={"LaunchTemplateId": lt_id}, VPCZoneIdentifier=subnets[0],
                                      Tags=[{"Key": "ohfp:request-id", "Value": "req-2", "PropagateAtLaunch": True}])
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["ohfp-req-2"])
        members = [i["InstanceId"] for i in group["AutoScalingGroups"][0]["Instances"]]
        asg.update_auto_scaling_group(AutoScalingGroupName="ohfp-req-2", MaxSize=5)
        asg.detach_instances(AutoScalingGroupName="ohfp-req-2", InstanceIds=members[:1],
                             ShouldDecrementDesiredCapacity=True)
        asg.terminate_instance_in_auto_scaling_group(InstanceId=members[1], ShouldDecrementDesiredCapacity=True)
        asg.delete_auto_scaling_group(AutoScalingGroupName="ohfp-req-2", ForceDelete=True)
        ec2.delete_launch_template(LaunchTemplateId=lt_id)
        ec2.terminate_instances(InstanceIds=ids)
        cw.put_metric_data(Namespace="ohfp", MetricData=[{"MetricName": "m", "Value": 1.0,
                                                          "Dimensions": [{"Name": "d", "Value": "v"}]}])
        cw.list_metrics(Namespace="ohfp")
        cw.get_metric_statistics(Namespace="ohfp", MetricName="m", StartTime="2020-01-01T00:00:00Z",
                                 EndTime="2030-01-01T00:00:00Z", Period=60, Statistics=["Sum"])
    finally:
        server.terminate()
        server.wait()
    return answers


EC2_ERROR = ("<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
             "</Message></Error></Errors><RequestID>req-1</RequestID></Response>")
QUERY_ERROR = ('<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type>'
               "<Code>ValidationError</Code><Message>AutoScalingGroup name not found - null</Message></Error>"
               "<RequestId>r-2</RequestId></ErrorResponse>")
HTML_PAGE = ("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
             "</body></html>")


def aws_seeds(answers):
    for index, action in enumerate(OPERATIONS):
        body = answers.get(action)
        if body is not None:
            write("aws_response", "%02d-%s" % (index, action), bytes([index, 0]) + body)
    if "DescribeSpotFleetRequestHistory" not in answers:
        index = OPERATIONS.index("DescribeSpotFleetRequestHistory")
        write("aws_response", "%02d-DescribeSpotFleetRequestHistory" % index, bytes([index, 0]) +
              b'<DescribeSpotFleetRequestHistoryResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
              b"<requestId>r</requestId><spotFleetRequestId>sfr-1</spotFleetRequestId>"
              b"<startTime>2020-01-01T00:00:00Z</startTime><lastEvaluatedTime>2020-01-01T01:00:00.000Z"
              b"</lastEvaluatedTime><historyRecordSet><item><eventType>instanceChange</eventType>"
              b"<eventInformation><eventSubType>launched</eventSubType><instanceId>i-1</instanceId>"
              b"</eventInformation><timestamp>2020-01-01T00:10:00Z</timestamp></item></historyRecordSet>"
              b"<nextToken>t2</nextToken></DescribeSpotFleetRequestHistoryResponse>")
    if "ModifyFleet" not in answers:  # moto has no ModifyFleet; the proxy's stand-in answer in the tests
        index = OPERATIONS.index("ModifyFleet")
        write("aws_response", "%02d-ModifyFleet" % index, bytes([index, 0]) +
              b'<ModifyFleetResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
              b"<return>true</return></ModifyFleetResponse>")
    # Pages, errors and answers that are not the answer (the unit tests' shapes).
    write("aws_response", "01-paged", bytes([1, 0]) +
          b'<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
          b"<reservationSet/><nextToken>p2</nextToken></DescribeInstancesResponse>")
    write("aws_response", "01-throttled", bytes([1, 128 + 8]) + EC2_ERROR.encode())   # 503
    write("aws_response", "22-not-found", bytes([22, 128 + 1]) + QUERY_ERROR.encode())  # 400
    write("aws_response", "01-html", bytes([1, 0]) + HTML_PAGE.encode())
    write("aws_response", "00-wrong-action", bytes([0, 0]) + (answers.get("DescribeInstances") or b""))

    # aws_error: [strings of the headers that are set][body][headers byte][status, 2 bytes from the back].
    def error_input(status, body, retry_after=None, request_id=None):
        flags = 0
        front = b""
        if retry_after is not None:
            flags |= 1
            front += fdp_string(retry_after)
        if request_id is not None:
            flags |= 2
            front += fdp_string(request_id)
        value = (status - 100) % 500
        return front + body.encode() + bytes([flags]) + bytes([value & 0xFF, value >> 8])

    write("aws_error", "ec2-throttle", error_input(503, EC2_ERROR, retry_after="2"))
    write("aws_error", "query-validation", error_input(400, QUERY_ERROR, request_id="r-2"))
    write("aws_error", "html-502", error_input(502, HTML_PAGE))
    write("aws_error", "empty-500", error_input(500, ""))
    write("aws_error", "200-error-envelope", error_input(200, EC2_ERROR))
    write("aws_error", "skew", error_input(403, EC2_ERROR.replace("RequestLimitExceeded", "RequestTimeTooSkewed")))


def http_seeds():
    # http_response: byte 0 the limits (bit 0 HEAD, bit 1 small limits), byte 1 the piece size - 1, the bytes.
    xml = b'<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"/>'
    responses = {
        "length": b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s" % (len(xml), xml),
        "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"1a;ext=1\r\n" + xml[:26] + b"\r\n" + (b"%x\r\n" % (len(xml) - 26)) + xml[26:] +
                   b"\r\n0\r\nX-Trailer: t\r\n\r\n",
        "close": b"HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n" + xml,
        "continue": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n"
                    b"Content-Length: 0\r\n\r\n",
        "folded": b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 2\r\n\r\nokEXTRA",
        "no-content": b"HTTP/1.1 204 No Content\r\n\r\n",
        "bare-lf": b"HTTP/1.1 200 OK\nContent-Length: 3\n\nabc",
    }
    for name, raw in responses.items():
        write("http_response", name, bytes([0, 255]) + raw)
        write("http_response", name + "-pieces", bytes([2, 6]) + raw)
    write("http_response", "head", bytes([1, 255]) + b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")


def plugin_seeds():
    # hf_input: byte 0 the command (0 getAvailableTemplates .. 4 getReturnRequests), the input file.
    inputs = [
        (0, {}),
        (1, {"template": {"templateId": "OnDemand", "machineCount": 2}}),
        (2, {"requests": [{"requestId": "req-1f3e"}, {"requestId": "ret-77"}]}),
        (3, {"machines": [{"name": "ip-10-0-0-1.ec2.internal", "machineId": "i-0123456789abcdef0"}]}),
        (4, {"machines": [{"name": "host-1", "machineId": "i-1"}, {"machineId": "i-2"}]}),
        (1, {"template": {"templateId": "OnDemand", "machineCount": 1.5}}),
    ]
    for i, (command, document) in enumerate(inputs):
        write("hf_input", "%d-%d" % (i, command), bytes([command]) + json.dumps(document).encode())

    # config: [the variables' values][the file][which variables are set, a byte at the back].
    write("config", "examples-config", repo_file("config", "examples", "config.json") + bytes([0]))
    write("config", "seed-resilience", repo_file("config", "examples", "seed-resilience.json") + bytes([0]))
    write("config", "recommended-resilience", repo_file("config", "recommended-resilience.json") + bytes([0]))
    write("config", "ibm-keys", json.dumps({
        "AWS_REGION": "us-east-1", "AWS_PROXY_HOST": "proxy.corp", "AWS_PROXY_PORT": "3128",
        "AWS_CONNECTION_TIMEOUT_MS": 10000, "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}).encode() + bytes([0]))
    write("config", "with-env", fdp_string("8080") + fdp_string("5000") + b"{}" + bytes([3]))

    # templates: the file.
    write("templates", "examples", repo_file("config", "examples", "awsprov_templates.json"))
    write("templates", "demo", repo_file("config", "demo", "awsprov_templates.json"))

    # chaos_rules: the document.
    examples = os.path.join(ROOT, "tools", "chaos-proxy", "examples")
    for name in sorted(os.listdir(examples)):
        write("chaos_rules", name, repo_file("tools", "chaos-proxy", "examples", name))


def request_seeds():
    # chaos_request: [Content-Type unless form][Authorization][Host][target][body][headers byte at the back].
    auth = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0"
    body = ("Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=1&ClientToken=req-1-a1"
            "&TagSpecification.1.Tag.1.Value=two+words%2Bplus")
    write("chaos_request", "run-instances",
          fdp_string(auth) + fdp_string("127.0.0.1:4566") + fdp_string("/") + body.encode() + bytes([1 | 2 | 4 | 8]))
    write("chaos_request", "query-string",
          fdp_string("/?Action=DescribeAutoScalingGroups&Version=2011-01-01") + bytes([0]))
    write("chaos_request", "spot-fleet",
          fdp_string("/") + b"Action=RequestSpotFleet&Version=2016-11-15&SpotFleetRequestConfig.ClientToken=t"
          + bytes([1 | 2]))

    # query_roundtrip: [action][count at the back] then (name, value) strings; count from the back.
    pairs = [("InstanceId.1", "i-0abc"), ("TagSpecification.1.Tag.1.Value", "a b+c/d=e~f*g%h caf\u00e9"),
             ("Description", ""), ("Filter.1.Value.1", "&Action=TerminateInstances")]
    data = fdp_string("RunInstances")
    for name, value in pairs:
        data += fdp_string(name) + fdp_string(value)
    write("query_roundtrip", "pairs", data + bytes([len(pairs)]))

    # sigv4: [method][url][headers: name, value]...[date][body][header count at the back].
    headers = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Host", "ec2.amazonaws.com"),
               ("X-Amz-Date", "20150830T123600Z"), ("My-Header1", "  a   b  c ")]
    data = fdp_string("POST") + fdp_string("https://ec2.us-east-1.amazonaws.com/a/../b//c?x=%41%2B&y&a=1&a=0")
    for name, value in headers:
        data += fdp_string(name) + fdp_string(value)
    data += fdp_string("Sun, 30 Aug 2015 12:36:00 GMT") + b"Action=DescribeRegions&Version=2016-11-15"
    write("sigv4", "post", data + bytes([len(headers)]))
    write("sigv4", "get", fdp_string("GET") + fdp_string("/?Param2=value2&Param1=value1") +
          fdp_string("Sunday, 30-Aug-15 12:36:00 GMT") + bytes([0]))


def main():
    clear_seeds()
    aws_seeds(moto_answers())
    http_seeds()
    plugin_seeds()
    request_seeds()
    for target in sorted(os.listdir(CORPUS)):
        print("%-16s %d seed(s)" % (target, sum(n.startswith("seed-") for n in os.listdir(os.path.join(CORPUS, target)))))


if __name__ == "__main__":
    main()
