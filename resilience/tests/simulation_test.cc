#include "ohfp/resilience/simulation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "seed_config.h"

namespace ohfp::resilience {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using testing::NoJitterSeedConfig;

std::string Seconds(Duration d) {
  std::ostringstream os;
  os << ToSeconds(d);
  return os.str();
}

// Events as compact text: "12.7 attempt 0 #1 RequestLimitExceeded".
std::string Line(const SimEvent& e) {
  const std::string at = Seconds(e.at);
  switch (e.type) {
    case SimEvent::Type::kAttempt:
      return at + " attempt " + std::to_string(e.call) + " #" + std::to_string(e.attempt) + " " +
             e.outcome + " (from " + Seconds(e.started) + ")";
    case SimEvent::Type::kRetry:
      return at + " retry " + std::to_string(e.call) + " #" + std::to_string(e.attempt) + " in " +
             Seconds(e.delay);
    case SimEvent::Type::kCircuit:
      return at + " circuit " + e.service + " " + std::string(CircuitStateName(e.from)) + "->" +
             std::string(CircuitStateName(e.to));
    case SimEvent::Type::kRejected:
      return at + " rejected " + std::to_string(e.call);
    case SimEvent::Type::kTimeout:
      return at + " timeout " + std::to_string(e.call);
    case SimEvent::Type::kResult:
      return at + " result " + std::to_string(e.call) + " " + (e.ok ? std::string("ok") : e.error) +
             " after " + std::to_string(e.attempts);
    case SimEvent::Type::kWait:
      return at + " wait " + std::to_string(e.call) + " " + e.bucket + " " + Seconds(e.delay);
    case SimEvent::Type::kRate:
      return at + " rate " + e.bucket + (e.lowered ? " lowered " : " restored ");
  }
  return "?";
}

std::vector<std::string> Simulate(const ResilienceConfig& config, const std::vector<SimCall>& calls,
                                  const std::vector<SimFault>& faults = {},
                                  SimReport* report = nullptr, std::uint64_t seed = 1) {
  std::vector<std::string> lines;
  Simulator sim(config, seed);
  Result<SimReport> r =
      sim.Run(calls, faults, [&](const SimEvent& e) { lines.push_back(Line(e)); });
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  if (report != nullptr && r.ok()) *report = *r;
  return lines;
}

TEST(Simulator, OneThrottledCallRetriesAndSucceeds) {
  const std::vector<SimCall> calls = {
      {.at = std::chrono::milliseconds(12500),
       .operation = "ec2_run_instances",
       .attempts = {{"RequestLimitExceeded", std::chrono::milliseconds(200)},
                    {"ok", std::chrono::milliseconds(100)}}}};
  SimReport report;
  EXPECT_THAT(
      Simulate(NoJitterSeedConfig(), calls, {}, &report),
      ElementsAre("12.7 attempt 0 #1 RequestLimitExceeded (from 12.5)", "12.7 retry 0 #1 in 2",
                  "14.8 attempt 0 #2 ok (from 14.7)", "14.8 result 0 ok after 2"));
  EXPECT_EQ(report.calls, 1U);
  EXPECT_EQ(report.succeeded, 1U);
  EXPECT_EQ(report.attempts, 2U);
  EXPECT_EQ(report.retries, 1U);
  EXPECT_EQ(report.last_success_at, std::chrono::milliseconds(14800));
}

TEST(Simulator, SimultaneousCallsAreInFlightTogetherAndTheBreakerStopsTheirRetries) {
  std::vector<SimCall> calls(
      3, SimCall{.operation = "ec2_run_instances", .attempts = {{"RequestLimitExceeded"}}});
  SimReport report;
  EXPECT_THAT(
      Simulate(NoJitterSeedConfig(), calls, {}, &report),
      ElementsAre("0 attempt 0 #1 RequestLimitExceeded (from 0)", "0 retry 0 #1 in 2",
                  "0 attempt 1 #1 RequestLimitExceeded (from 0)", "0 retry 1 #1 in 2",
                  "0 attempt 2 #1 RequestLimitExceeded (from 0)", "0 circuit aws_ec2 closed->open",
                  "0 retry 2 #1 in 2",                                //
                  "2 rejected 0", "2 result 0 circuit_open after 1",  //
                  "2 rejected 1", "2 result 1 circuit_open after 1",  //
                  "2 rejected 2", "2 result 2 circuit_open after 1"));
  EXPECT_EQ(report.breaker_openings, 1U);
  EXPECT_EQ(report.rejected, 3U);
  EXPECT_EQ(report.failed, 3U);
  EXPECT_FALSE(report.last_success_at.has_value());
}

TEST(Simulator, AHangEndsAtTheDeadlineAsATimeoutTheBreakerSees) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.timeout.operations["ec2_run_instances"] = seconds(5);
  const std::vector<SimCall> calls = {
      {.operation = "ec2_run_instances", .attempts = {{"hang"}}},
      {.at = seconds(6), .operation = "ec2_run_instances", .attempts = {{"ok"}}}};
  EXPECT_THAT(
      Simulate(c, calls),
      ElementsAre("5 attempt 0 #1 timeout (from 0)", "5 timeout 0", "5 result 0 timeout after 1",
                  "6 attempt 1 #1 ok (from 6)", "6 result 1 ok after 1"));
}

TEST(Simulator, ALatencyLongerThanTheTimeLeftIsAHang) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.timeout.operations["ec2_describe_instances"] = seconds(3);
  const std::vector<SimCall> calls = {
      {.operation = "ec2_describe_instances",
       .attempts = {{"RequestLimitExceeded", seconds(1)}, {"ok", seconds(5)}}}};
  // 0-1 throttled, wait 1 s, attempt 2 from 2 would need 5 s: it times out at the deadline, t=3.
  EXPECT_THAT(
      Simulate(c, calls),
      ElementsAre("1 attempt 0 #1 RequestLimitExceeded (from 0)", "1 retry 0 #1 in 1",
                  "3 attempt 0 #2 timeout (from 2)", "3 timeout 0", "3 result 0 timeout after 2"));
}

TEST(Simulator, AWaitThatWouldReachTheDeadlineEndsTheCall) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.circuit_breaker.enabled = false;
  c.timeout.operations["ec2_run_instances"] = seconds(5);
  const std::vector<SimCall> calls = {
      {.operation = "ec2_run_instances", .attempts = {{"InternalError"}}}};
  // Attempts at 0 and 2; the next wait (4 s) would end at 6, past the deadline at 5.
  EXPECT_THAT(Simulate(c, calls),
              ElementsAre("0 attempt 0 #1 InternalError (from 0)", "0 retry 0 #1 in 2",
                          "2 attempt 0 #2 InternalError (from 2)", "2 timeout 0",
                          "2 result 0 timeout after 2"));
}

TEST(Simulator, TheLastListedOutcomeRepeats) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.circuit_breaker.enabled = false;
  SimReport report;
  (void)Simulate(c, {{.operation = "ec2_run_instances", .attempts = {{"ok"}, {"InternalError"}}}},
                 {}, &report);
  EXPECT_EQ(report.attempts, 1U);
  (void)Simulate(c, {{.operation = "ec2_run_instances", .attempts = {{"InternalError"}}}}, {},
                 &report);
  EXPECT_EQ(report.attempts, 5U);
}

TEST(Simulator, FaultWindowsDecideOutcomesOfCallsThatListNone) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.circuit_breaker.enabled = false;
  const std::vector<SimFault> faults = {{.service = "aws_ec2",
                                         .from = Duration::zero(),
                                         .until = seconds(10),
                                         .outcome = "RequestLimitExceeded"}};
  const std::vector<SimCall> calls = {{.operation = "ec2_describe_instances"},
                                      {.at = seconds(20), .operation = "ec2_describe_instances"},
                                      {.operation = "custom", .service = "other"}};
  EXPECT_THAT(Simulate(c, calls, faults),
              ElementsAre("0 attempt 0 #1 RequestLimitExceeded (from 0)", "0 retry 0 #1 in 1",
                          "0 attempt 2 #1 ok (from 0)", "0 result 2 ok after 1",
                          "1 attempt 0 #2 RequestLimitExceeded (from 1)", "1 retry 0 #2 in 2",
                          "3 attempt 0 #3 RequestLimitExceeded (from 3)",
                          "3 result 0 RequestLimitExceeded after 3", "20 attempt 1 #1 ok (from 20)",
                          "20 result 1 ok after 1"));
}

TEST(Simulator, HttpStatusesAndConnectionErrorsAreTransient) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.circuit_breaker.enabled = false;
  EXPECT_THAT(Simulate(c, {{.operation = "ec2_describe_instances",
                            .attempts = {{"http_503"}, {"connection_error"}, {"ok"}}}}),
              ElementsAre("0 attempt 0 #1 http_503 (from 0)", "0 retry 0 #1 in 1",
                          "1 attempt 0 #2 connection_error (from 1)", "1 retry 0 #2 in 2",
                          "3 attempt 0 #3 ok (from 3)", "3 result 0 ok after 3"));
}

TEST(Simulator, TheSameSeedGivesTheSameRun) {
  ResilienceConfig c;
  c.operation_services = testing::SeedServices();
  c.retry.default_backoff.jitter = JitterMode::kFull;
  c.circuit_breaker.enabled = false;
  std::vector<SimCall> calls(20, SimCall{.operation = "ec2_describe_instances",
                                         .attempts = {{"Throttling"}, {"Throttling"}, {"ok"}}});
  for (std::size_t i = 0; i < calls.size(); ++i)
    calls[i].at = std::chrono::milliseconds(100 * static_cast<int>(i));
  const auto a = Simulate(c, calls, {}, nullptr, 7);
  const auto b = Simulate(c, calls, {}, nullptr, 7);
  const auto other = Simulate(c, calls, {}, nullptr, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
}

TEST(Simulator, RejectsCallsItCannotPlace) {
  Simulator sim(NoJitterSeedConfig(), 1);
  std::vector<SimCall> calls = {{.operation = "provision"}};
  Result<SimReport> r = sim.Run(calls, {}, [](const SimEvent&) {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.error().message()),
              ::testing::HasSubstr("call 0: operation \"provision\""));
  calls = {{.operation = "ec2_run_instances"},
           {.operation = "ec2_run_instances", .service = "aws_other"}};
  r = sim.Run(calls, {}, [](const SimEvent&) {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.error().message()), ::testing::HasSubstr("call 1"));
}

TEST(Simulator, WaitingForTheCircuitLetsCallsSucceedAfterAnOutage) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.retry.retry_on_circuit_open = true;
  c.retry.default_backoff.jitter = JitterMode::kFull;
  c.circuit_breaker.services["aws_ec2"].half_open_max_probes = 1;
  const std::vector<SimFault> faults = {{.service = "aws_ec2",
                                         .from = Duration::zero(),
                                         .until = seconds(40),
                                         .outcome = "RequestLimitExceeded"}};
  std::vector<SimCall> calls(10, SimCall{.operation = "ec2_run_instances"});
  SimReport report;
  (void)Simulate(c, calls, faults, &report);
  EXPECT_EQ(report.succeeded, 10U);
  ASSERT_TRUE(report.last_success_at.has_value());
  EXPECT_GE(*report.last_success_at, seconds(40));
  // 10 first attempts, then one probe per reset period while the outage lasts, then one success
  // each.
  EXPECT_LE(report.attempts, 24U) << "waiting calls do not hammer the service";
}

// ---- The server's buckets and the client's rate limiter ----

// A small bucket for DescribeInstances, as the chaos proxy's scaled EC2 model has: 10 requests,
// 2 per second.
SimServer SmallServer() {
  SimServer s;
  s.buckets["ec2:DescribeInstances"] = {.options = {.capacity = 10, .refill_rate = 2}};
  s.operations["ec2_describe_instances"] = {.buckets = {"ec2:DescribeInstances"}};
  return s;
}

ResilienceConfig WithLimiter(ResilienceConfig c) {
  c.rate_limiter.enabled = true;
  c.rate_limiter.buckets["ec2:DescribeInstances"] = {.capacity = 10, .refill_rate = 2};
  c.rate_limiter.operations["ec2_describe_instances"] = {.buckets = {"ec2:DescribeInstances"}};
  return c;
}

SimReport Storm(const ResilienceConfig& config, int calls,
                std::vector<std::string>* lines = nullptr) {
  // `calls` DescribeInstances at once (getReturnRequests in as many processes), 50 ms each.
  std::vector<SimCall> trace(static_cast<std::size_t>(calls),
                             SimCall{.operation = "ec2_describe_instances",
                                     .attempts = {{"ok", std::chrono::milliseconds(50)}}});
  Simulator sim(config, 1);
  Result<SimReport> r = sim.Run(trace, {}, SmallServer(), [&](const SimEvent& e) {
    if (lines != nullptr) lines->push_back(Line(e));
  });
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? *r : SimReport{};
}

TEST(SimulatorServer, AttemptsOverTheServersBucketAreThrottled) {
  std::vector<std::string> lines;
  const SimReport r = Storm(NoJitterSeedConfig(), 12, &lines);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "0.05 attempt 0 #1 ok (from 0)"), 1);
  EXPECT_EQ(
      std::count(lines.begin(), lines.end(), "0.05 attempt 10 #1 RequestLimitExceeded (from 0)"),
      1);
  EXPECT_EQ(r.throttled, 2U) << "calls 10 and 11, once: 2 s later the bucket has 4 tokens";
  EXPECT_EQ(r.succeeded, 12U);
}

TEST(SimulatorServer, AThrottleStormWithoutTheLimiterOpensTheBreakerAndFailsMostCalls) {
  const SimReport r = Storm(NoJitterSeedConfig(), 48);
  EXPECT_GE(r.breaker_openings, 1U);
  EXPECT_GE(r.failed, 30U);
  EXPECT_GE(r.throttled, 3U);
}

TEST(SimulatorServer, WithTheLimiterCallsWaitTheirTurnAndAllSucceed) {
  const SimReport r = Storm(WithLimiter(NoJitterSeedConfig()), 48);
  EXPECT_EQ(r.succeeded, 48U);
  EXPECT_EQ(r.throttled, 0U);
  EXPECT_EQ(r.breaker_openings, 0U);
  EXPECT_EQ(r.rate_limiter_waits, 38U) << "the burst of 10 goes at once";
  EXPECT_EQ(r.attempts, 48U) << "one request per call";
  ASSERT_TRUE(r.last_success_at.has_value());
  EXPECT_EQ(*r.last_success_at, std::chrono::milliseconds(19050))
      << "the 48th call's token comes at 19 s";
}

TEST(SimulatorServer, CallsThatCannotHaveATokenBeforeTheirDeadlineFailAtOnce) {
  // 80 calls: the 70th call's token would come at 30 s, its deadline, and later ones after it.
  std::vector<std::string> lines;
  const SimReport r = Storm(WithLimiter(NoJitterSeedConfig()), 80, &lines);
  EXPECT_EQ(r.throttled, 0U);
  EXPECT_EQ(r.succeeded, 69U) << "10 at once, then 2 per second for 29.5 s";
  EXPECT_EQ(r.rate_limited_calls, 11U);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "0 result 79 ClientRateLimitExceeded after 0"),
            1)
      << "at once, not at the deadline";
}

TEST(SimulatorServer, TheLimiterLearnsAServerSmallerThanItsConfiguration) {
  // The client believes in 10 tokens and 2 per second; other clients of the account spend one of
  // those 2 per second. Calls come 1.5 per second for a minute.
  SimServer server = SmallServer();
  server.buckets["ec2:DescribeInstances"].background_rate = 1;
  auto run = [&](bool adaptive) {
    ResilienceConfig c = WithLimiter(NoJitterSeedConfig());
    c.rate_limiter.adaptive = adaptive;
    c.retry.operations["ec2_describe_instances"] = {.max_attempts = 5};
    c.timeout.operations["ec2_describe_instances"] = seconds(120);
    std::vector<SimCall> trace;
    for (int i = 0; i < 90; ++i) {
      trace.push_back({.at = FromSeconds(i / 1.5),
                       .operation = "ec2_describe_instances",
                       .attempts = {{"ok", std::chrono::milliseconds(50)}}});
    }
    Simulator sim(c, 1);
    Result<SimReport> r = sim.Run(trace, {}, server, [&](const SimEvent&) {});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : SimReport{};
  };
  const SimReport adaptive = run(true);
  const SimReport fixed = run(false);
  EXPECT_GE(adaptive.rate_decreases, 1U);
  EXPECT_EQ(adaptive.breaker_openings, 0U) << "throttles are the limiter's business";
  EXPECT_EQ(adaptive.succeeded, 90U);
  // Deterministic (virtual time, seeded): 21 throttles against 60 when the rate does not adapt.
  EXPECT_LE(adaptive.throttled * 2, fixed.throttled) << "half the throttles, or fewer";
}

}  // namespace
}  // namespace ohfp::resilience
