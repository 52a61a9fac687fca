// simulator/trace_json.h
//
// The JSON forms of `ohfp resilience simulate`: reading a trace (one JSON object per line, one call
// each), fault windows and the server model (the service's token buckets), and writing the
// simulator's events as JSON lines.
//
// Trace line:  {"at": 12.5, "operation": "ec2_run_instances", "service": "aws_ec2",
//               "resources": 10, "attempts": [{"outcome": "RequestLimitExceeded",
//                                              "latency": 0.2}, {"outcome": "ok"}]}
// Fault:       {"service": "aws_ec2", "operation": "ec2_run_instances", "from": 0, "until": 90,
//               "outcome": "RequestLimitExceeded", "latency": 0.05, "probability": 1.0}
// Server:      {"model": "aws", "scale": 0.1, "throttle_code": "RequestLimitExceeded",
//               "buckets": {"ec2:DescribeInstances": {"capacity": 50, "refill_rate": 10,
//                                                     "background_rate": 2}},
//               "operations": {"ec2_describe_instances": {"buckets": ["ec2:DescribeInstances"]}}}
//              "model": "aws" starts from EC2's published buckets (aws/resilience_tables.h);
//              `scale` multiplies capacities and refill rates; entries merge as in
//              resilience.rate_limiter.
// Event lines: {"at": 12.7, "event": "attempt", "call": 0, "operation": "...", "attempt": 1,
//               "outcome": "...", "started": 12.5}, "retry", "circuit", "rejected", "timeout",
//               "result", "wait" (for rate-limiter tokens), "rate" (a bucket's rate changed),
//               and a final "summary".
//
// Thread-safety: stateless functions.
//
// Example:
//   std::vector<SimCall> calls;
//   if (Status s = ReadTrace(std::cin, calls); !s.ok()) Fail(s.error());
//   std::cout << EventJson(event).dump() << "\n";
#pragma once

#include <istream>
#include <nlohmann/json.hpp>
#include <vector>

#include "ohfp/resilience/result.h"
#include "ohfp/resilience/simulation.h"

namespace ohfp::simulator {

// Reads JSON lines; blank lines are skipped; calls are numbered in the order read. Errors name the
// line.
resilience::Status ReadTrace(std::istream& in, std::vector<resilience::SimCall>& calls);
// Reads fault windows: a JSON array, or JSON lines. Errors name the entry.
resilience::Status ReadFaults(std::istream& in, std::vector<resilience::SimFault>& faults);
// Reads the server model (one JSON object). Errors name the key.
resilience::Status ReadServer(std::istream& in, resilience::SimServer& server);

nlohmann::ordered_json EventJson(const resilience::SimEvent& event);
nlohmann::ordered_json SummaryJson(const resilience::SimReport& report);

// Virtual seconds rounded to the microsecond, for output that reads cleanly (12.7,
// not 12.700000000000001).
double OutputSeconds(resilience::Duration d);

}  // namespace ohfp::simulator
