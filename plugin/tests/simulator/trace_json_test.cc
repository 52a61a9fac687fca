#include "simulator/trace_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace ohfp::simulator {
namespace {

using resilience::SimEvent;
using std::chrono::seconds;
using ::testing::HasSubstr;

// The message of `read` (ReadTrace or ReadFaults) over `text`, which must fail.
template <class Item>
std::string ProblemsOf(resilience::Status (*read)(std::istream&, std::vector<Item>&),
                       const std::string& text) {
  std::istringstream in(text);
  std::vector<Item> items;
  const resilience::Status s = read(in, items);
  EXPECT_FALSE(s.ok()) << text;
  return s.ok() ? std::string() : std::string(s.error().message());
}

TEST(TraceJson, ReadsTheDocumentedLine) {
  std::istringstream in(
      R"({"at": 12.5, "operation": "ec2_run_instances", "service": "aws_ec2", "attempts": [{"outcome": "RequestLimitExceeded", "latency": 0.2}, {"outcome": "ok", "latency": 0.1}]})"
      "\n\n"
      R"({"operation": "ec2_describe_instances"})");
  std::vector<resilience::SimCall> calls;
  ASSERT_TRUE(ReadTrace(in, calls).ok());
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0].at, std::chrono::milliseconds(12500));
  EXPECT_EQ(calls[0].service, "aws_ec2");
  ASSERT_EQ(calls[0].attempts.size(), 2U);
  EXPECT_EQ(calls[0].attempts[0].outcome, "RequestLimitExceeded");
  EXPECT_EQ(calls[0].attempts[0].latency, std::chrono::milliseconds(200));
  EXPECT_EQ(calls[1].at, seconds(0));
  EXPECT_TRUE(calls[1].attempts.empty());
}

TEST(TraceJson, NamesTheLineOfEveryProblem) {
  const std::string m = ProblemsOf(
      ReadTrace,
      "{\"operation\": \"a\"}\nnot json\n{\"at\": -1}\n{\"operation\": \"b\", \"attempts\": "
      "[{}]}\n");
  EXPECT_THAT(m, HasSubstr("line 2: is not valid JSON"));
  EXPECT_THAT(m, HasSubstr("line 3.at: must not be negative"));
  EXPECT_THAT(m, HasSubstr("line 3.operation: is required"));
  EXPECT_THAT(m, HasSubstr("line 4.attempts[0].outcome: is required"));
}

TEST(TraceJson, ReadsFaultsAsAnArrayAnObjectOrLines) {
  for (const std::string& text :
       {std::string(
            R"([{"service": "aws_ec2", "from": 10, "duration": 30, "outcome": "Throttling"}])"),
        std::string(R"({"service": "aws_ec2", "from": 10, "until": 40, "outcome": "Throttling"})"),
        std::string("{\"service\": \"aws_ec2\", \"from\": 10, \"duration\": 30, \"outcome\": "
                    "\"Throttling\"}\n")}) {
    std::istringstream in(text);
    std::vector<resilience::SimFault> faults;
    ASSERT_TRUE(ReadFaults(in, faults).ok()) << text;
    ASSERT_EQ(faults.size(), 1U) << text;
    EXPECT_EQ(faults[0].from, seconds(10));
    EXPECT_EQ(faults[0].until, seconds(40));
    EXPECT_EQ(faults[0].probability, 1.0);
  }
}

TEST(TraceJson, RejectsImpossibleFaults) {
  const std::string m = ProblemsOf(
      ReadFaults, R"([{"from": 10, "until": 5, "outcome": "x", "probability": 2}, {"from": 0}])");
  EXPECT_THAT(m, HasSubstr("fault 0.until: must end after \"from\""));
  EXPECT_THAT(m, HasSubstr("fault 0.probability: must be between 0 and 1"));
  EXPECT_THAT(m, HasSubstr("fault 1.outcome: is required"));
}

TEST(TraceJson, EventsPrintInTheDocumentedShape) {
  SimEvent attempt{.type = SimEvent::Type::kAttempt,
                   .at = std::chrono::milliseconds(12700),
                   .call = 0,
                   .operation = "ec2_run_instances",
                   .attempt = 1,
                   .started = std::chrono::milliseconds(12500),
                   .outcome = "RequestLimitExceeded"};
  EXPECT_EQ(
      EventJson(attempt).dump(),
      R"({"at":12.7,"event":"attempt","call":0,"operation":"ec2_run_instances","attempt":1,"outcome":"RequestLimitExceeded","started":12.5})");
  SimEvent retry{.type = SimEvent::Type::kRetry,
                 .at = std::chrono::milliseconds(12700),
                 .call = 0,
                 .attempt = 1,
                 .delay = seconds(2)};
  EXPECT_EQ(EventJson(retry).dump(),
            R"({"at":12.7,"event":"retry","call":0,"attempt":1,"delay":2.0})");
  SimEvent circuit{.type = SimEvent::Type::kCircuit,
                   .at = seconds(3),
                   .service = "aws_ec2",
                   .from = resilience::CircuitState::kClosed,
                   .to = resilience::CircuitState::kOpen};
  EXPECT_EQ(EventJson(circuit).dump(),
            R"({"at":3.0,"event":"circuit","service":"aws_ec2","from":"closed","to":"open"})");
  SimEvent rejected{
      .type = SimEvent::Type::kRejected, .at = seconds(4), .call = 3, .service = "aws_ec2"};
  EXPECT_EQ(EventJson(rejected).dump(),
            R"({"at":4.0,"event":"rejected","call":3,"service":"aws_ec2"})");
  SimEvent timeout{.type = SimEvent::Type::kTimeout, .at = seconds(5), .call = 0};
  EXPECT_EQ(EventJson(timeout).dump(), R"({"at":5.0,"event":"timeout","call":0})");
  SimEvent result{.type = SimEvent::Type::kResult,
                  .at = seconds(6),
                  .call = 0,
                  .ok = false,
                  .error = "RequestLimitExceeded",
                  .attempts = 3};
  EXPECT_EQ(
      EventJson(result).dump(),
      R"({"at":6.0,"event":"result","call":0,"ok":false,"error":"RequestLimitExceeded","attempts":3})");
}

TEST(TraceJson, ACallMayNameItsResourceCount) {
  std::istringstream in(R"({"operation": "ec2_run_instances", "resources": 20})"
                        "\n"
                        R"({"operation": "ec2_run_instances", "resources": 0})");
  std::vector<resilience::SimCall> calls;
  const resilience::Status s = ReadTrace(in, calls);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.error().message()),
              HasSubstr("line 2.resources: must be between 1 and 1000000, got 0"));
  EXPECT_EQ(calls[0].resources, 20U);
}

TEST(ServerJson, StartsFromEc2sPublishedBucketsScaled) {
  std::istringstream in(R"({"model": "aws", "scale": 0.1,
      "buckets": {"ec2:DescribeInstances": {"background_rate": 2}}})");
  resilience::SimServer server;
  ASSERT_TRUE(ReadServer(in, server).ok());
  const resilience::SimServerBucket& d = server.buckets.at("ec2:DescribeInstances");
  EXPECT_DOUBLE_EQ(d.options.capacity, 5);
  EXPECT_DOUBLE_EQ(d.options.refill_rate, 1);
  EXPECT_DOUBLE_EQ(d.background_rate, 2);
  EXPECT_DOUBLE_EQ(server.buckets.at("ec2:RunInstances:instances").options.capacity, 100);
  EXPECT_EQ(server.operations.at("ec2_run_instances").resource_buckets,
            std::vector<std::string>{"ec2:RunInstances:instances"});
  EXPECT_EQ(server.throttle_code, "RequestLimitExceeded");
}

TEST(ServerJson, NamesEveryProblem) {
  std::istringstream in(R"({"model": "gcp", "scale": 0,
      "buckets": {"new": {"capacity": 3}, "b": {"capacity": 1, "refill_rate": 1, "x": 1}},
      "operations": {"op": {"buckets": ["missing"]}}, "extra": 1})");
  resilience::SimServer server;
  const resilience::Status s = ReadServer(in, server);
  ASSERT_FALSE(s.ok());
  const std::string m(s.error().message());
  EXPECT_THAT(m, HasSubstr("server.model: must be \"aws\""));
  EXPECT_THAT(m, HasSubstr("server.scale: must be more than zero"));
  EXPECT_THAT(m, HasSubstr("server.buckets.new.refill_rate: is required"));
  EXPECT_THAT(m, HasSubstr("server.buckets.b.x: is not a known key"));
  EXPECT_THAT(m, HasSubstr("server.operations.op: no bucket \"missing\""));
  EXPECT_THAT(m, HasSubstr("server.extra: is not a known key"));
}

}  // namespace
}  // namespace ohfp::simulator
