#include "ohfp/chaos_proxy/chaos_proxy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ohfp/chaos_proxy/log_sink.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/random.h"
#include "test_support.h"

namespace ohfp::chaos_proxy {
namespace {

using namespace std::chrono_literals;
using testing::AutoScalingRequest;
using testing::Ec2Request;
using ::testing::HasSubstr;

std::string Header(const HttpResponse& response, std::string_view name) {
  return std::string(FindHeader(response.headers, name).value_or(""));
}

class ChaosProxyTest : public ::testing::Test {
 protected:
  void Start(std::string_view rules_json, ProxyOptions options = {}) {
    ParsedRules parsed = ParseRules(rules_json);
    ASSERT_TRUE(parsed.ok()) << parsed.errors.front().ToString();
    proxy_ = std::make_unique<ChaosProxy>(clock_, random_, upstream_, std::move(*parsed.rules),
                                          options, &sink_);
  }

  Outcome Send(const HttpRequest& request, std::stop_token stop = {}) {
    return proxy_->Handle(request, stop);
  }

  HttpRequest Control(std::string method, std::string target, std::string body = "") {
    return HttpRequest{
        std::move(method), std::move(target), {{"Host", "127.0.0.1"}}, std::move(body)};
  }

  nlohmann::json Stats() {
    const Outcome outcome = Send(Control("GET", "/__chaos/stats"));
    EXPECT_EQ(outcome.response.status, 200);
    return nlohmann::json::parse(outcome.response.body);
  }

  resilience::ManualClock clock_;
  resilience::SeededRandom random_{7};
  testing::FakeUpstream upstream_;
  testing::RecordingSink sink_;
  std::unique_ptr<ChaosProxy> proxy_;
};

TEST_F(ChaosProxyTest, ForwardsRequestsAndAnswersUnchanged) {
  Start(R"({"rules": []})");
  HttpRequest request =
      Ec2Request("DescribeInstances", "Filter.1.Name=tag%3AName&Filter.1.Value.1=a+b");
  request.target = "/?x=1";
  request.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=...");
  const Outcome outcome = Send(request);
  ASSERT_EQ(outcome.disposition, Disposition::kRespond);
  EXPECT_EQ(outcome.response.status, 200);
  EXPECT_EQ(Header(outcome.response, "X-Upstream-Call"), "1");
  EXPECT_EQ(Header(outcome.response, "x-ohfp-chaos-proxy"), "");
  ASSERT_EQ(upstream_.calls(), 1u);
  const HttpRequest seen = upstream_.requests()[0];
  EXPECT_EQ(seen.method, request.method);
  EXPECT_EQ(seen.target, request.target);
  EXPECT_EQ(seen.headers, request.headers);
  EXPECT_EQ(seen.body, request.body);
  EXPECT_EQ(Stats()["totals"]["forwarded"], 1);
}

TEST_F(ChaosProxyTest, ThrottleAnswersInTheServiceShapeWithoutForwarding) {
  Start(R"({"rules": [{"fault": {"type": "throttle"}}]})");
  const Outcome ec2 = Send(Ec2Request("DescribeInstances"));
  EXPECT_EQ(ec2.response.status, 503);
  EXPECT_THAT(ec2.response.body, HasSubstr("<Code>RequestLimitExceeded</Code>"));
  const Outcome asg = Send(AutoScalingRequest("DescribeAutoScalingGroups"));
  EXPECT_EQ(asg.response.status, 400);
  EXPECT_THAT(asg.response.body, HasSubstr("<Type>Sender</Type><Code>Throttling</Code>"));
  EXPECT_EQ(upstream_.calls(), 0u);
  EXPECT_NE(Header(ec2.response, "x-amzn-RequestId"), Header(asg.response, "x-amzn-RequestId"));
}

TEST_F(ChaosProxyTest, ErrorCapacityAndHtmlFaults) {
  Start(R"({"rules": [
    {"match": {"action": "DescribeInstances"}, "fault": {"type": "error", "status": 500, "code": "InternalError"}},
    {"match": {"action": "RunInstances"}, "fault": {"type": "capacity"}},
    {"match": {"action": "DescribeAutoScalingGroups"}, "fault": {"type": "error", "status": 503,
     "code": "ServiceUnavailable"}},
    {"match": {"action": "TerminateInstances"}, "fault": {"type": "error", "status": 502, "html": true}}]})");
  const Outcome error = Send(Ec2Request("DescribeInstances"));
  EXPECT_EQ(error.response.status, 500);
  EXPECT_THAT(error.response.body,
              HasSubstr("<Response><Errors><Error><Code>InternalError</Code>"));
  const Outcome capacity = Send(Ec2Request("RunInstances", "ClientToken=t"));
  EXPECT_EQ(capacity.response.status, 500);
  EXPECT_THAT(capacity.response.body, HasSubstr("<Code>InsufficientInstanceCapacity</Code>"));
  const Outcome asg = Send(AutoScalingRequest("DescribeAutoScalingGroups"));
  EXPECT_EQ(asg.response.status, 503);
  EXPECT_THAT(asg.response.body, HasSubstr("<Type>Receiver</Type><Code>ServiceUnavailable</Code>"));
  const Outcome html = Send(Ec2Request("TerminateInstances"));
  EXPECT_EQ(html.response.status, 502);
  EXPECT_EQ(Header(html.response, "Content-Type"), "text/html; charset=UTF-8");
  EXPECT_EQ(upstream_.calls(), 0u);
  EXPECT_EQ(Stats()["totals"]["faults_by_type"]["error"], 3);
}

TEST_F(ChaosProxyTest, RespondAnswersWithAFreshRequestId) {
  Start(R"({"rules": [{"match": {"action": "ModifyFleet"}, "fault": {"type": "respond",
    "body": "<ModifyFleetResponse><requestId>{{request_id}}</requestId><return>true</return></ModifyFleetResponse>"}}]})");
  const Outcome a = Send(Ec2Request("ModifyFleet"));
  const Outcome b = Send(Ec2Request("ModifyFleet"));
  EXPECT_EQ(a.response.status, 200);
  const std::string id = Header(a.response, "x-amzn-RequestId");
  EXPECT_EQ(a.response.body, "<ModifyFleetResponse><requestId>" + id +
                                 "</requestId><return>true</return>"
                                 "</ModifyFleetResponse>");
  EXPECT_NE(id, Header(b.response, "x-amzn-RequestId"));
  EXPECT_EQ(upstream_.calls(), 0u);
}

TEST_F(ChaosProxyTest, ResetAbortsWithoutForwarding) {
  Start(R"({"rules": [{"fault": {"type": "reset"}}]})");
  EXPECT_EQ(Send(Ec2Request("DescribeInstances")).disposition, Disposition::kReset);
  EXPECT_EQ(upstream_.calls(), 0u);
}

TEST_F(ChaosProxyTest, HangHoldsForItsTimeThenClosesWithoutForwarding) {
  Start(R"({"rules": [{"fault": {"type": "hang", "ms": 90000}}]})");
  EXPECT_EQ(Send(Ec2Request("DescribeInstances")).disposition, Disposition::kClose);
  EXPECT_THAT(clock_.sleeps(),
              ::testing::ElementsAre(90s));  // the ManualClock "waited" exactly the hang
  EXPECT_EQ(upstream_.calls(), 0u);
}

TEST_F(ChaosProxyTest, HangEndsWhenTheProxyStops) {
  Start(R"({"rules": [{"fault": {"type": "hang", "ms": 90000}}]})");
  std::stop_source stop;
  stop.request_stop();
  EXPECT_EQ(Send(Ec2Request("DescribeInstances"), stop.get_token()).disposition,
            Disposition::kClose);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(ChaosProxyTest, LatencyWaitsThenForwards) {
  Start(R"({"rules": [{"fault": {"type": "latency", "ms": 1500}}]})");
  const Outcome outcome = Send(Ec2Request("DescribeInstances"));
  EXPECT_EQ(outcome.disposition, Disposition::kRespond);
  EXPECT_EQ(outcome.response.status, 200);
  EXPECT_THAT(clock_.sleeps(), ::testing::ElementsAre(1500ms));
  EXPECT_EQ(upstream_.calls(), 1u);
}

TEST_F(ChaosProxyTest, DropResponseForwardsThenCloses) {
  Start(R"({"rules": [{"fault": {"type": "drop_response"}}]})");
  EXPECT_EQ(Send(Ec2Request("TerminateInstances", "InstanceId.1=i-1")).disposition,
            Disposition::kClose);
  EXPECT_EQ(upstream_.calls(), 1u);
  const auto stats = Stats();
  EXPECT_EQ(stats["totals"]["forwarded"], 1);
  EXPECT_EQ(stats["totals"]["faults_by_type"]["drop_response"], 1);
}

TEST_F(ChaosProxyTest, ARetryAfterADroppedResponseGetsTheOriginalAnswer) {
  Start(
      R"({"rules": [{"match": {"action": "RunInstances"}, "max_hits": 1, "fault": {"type": "drop_response"}}]})");
  const HttpRequest launch =
      Ec2Request("RunInstances", "ImageId=ami-1&MinCount=2&MaxCount=2&ClientToken=launch-1");
  EXPECT_EQ(Send(launch).disposition, Disposition::kClose);  // AWS said yes, we never heard it
  const Outcome retry = Send(launch);
  ASSERT_EQ(retry.disposition, Disposition::kRespond);
  EXPECT_EQ(retry.response.status, 200);
  EXPECT_THAT(retry.response.body, HasSubstr("<reservationId>r-1</reservationId>"));
  EXPECT_EQ(Header(retry.response, "x-ohfp-chaos-proxy"), "idempotent-replay");
  EXPECT_EQ(upstream_.calls(), 1u);  // one launch upstream
  const auto stats = Stats();
  EXPECT_EQ(stats["actions"]["RunInstances"]["idempotent_replays"], 1);
  EXPECT_EQ(stats["actions"]["RunInstances"]["forwarded"], 1);
  EXPECT_EQ(stats["idempotency"]["recorded"], 1);
}

TEST_F(ChaosProxyTest, ATokenReusedWithOtherParametersIsAMismatch) {
  Start(R"({"rules": []})");
  EXPECT_EQ(Send(Ec2Request("RunInstances", "MinCount=1&MaxCount=1&ClientToken=t")).response.status,
            200);
  const Outcome mismatch = Send(Ec2Request("RunInstances", "MinCount=5&MaxCount=5&ClientToken=t"));
  EXPECT_EQ(mismatch.response.status, 400);
  EXPECT_THAT(mismatch.response.body, HasSubstr("<Code>IdempotentParameterMismatch</Code>"));
  EXPECT_EQ(upstream_.calls(), 1u);
  EXPECT_EQ(Stats()["totals"]["idempotency_mismatches"], 1);
}

TEST_F(ChaosProxyTest, SpotFleetTokensAreHonoured) {
  Start(R"({"rules": []})");
  const HttpRequest request =
      Ec2Request("RequestSpotFleet",
                 "SpotFleetRequestConfig.ClientToken=sf&SpotFleetRequestConfig.TargetCapacity=2");
  (void)Send(request);
  (void)Send(request);
  EXPECT_EQ(upstream_.calls(), 1u);
}

TEST_F(ChaosProxyTest, FailedAttemptsAreNotReplayed) {
  Start(R"({"rules": []})");
  upstream_.set_status(500);
  const HttpRequest launch = Ec2Request("RunInstances", "ClientToken=t");
  EXPECT_EQ(Send(launch).response.status, 500);
  upstream_.set_status(200);
  EXPECT_EQ(Send(launch).response.status, 200);
  EXPECT_EQ(upstream_.calls(), 2u);
}

TEST_F(ChaosProxyTest, IdempotencyCanBeSwitchedOff) {
  ProxyOptions options;
  options.idempotency = false;
  Start(R"({"rules": []})", options);
  const HttpRequest launch = Ec2Request("RunInstances", "ClientToken=t");
  (void)Send(launch);
  (void)Send(launch);
  EXPECT_EQ(upstream_.calls(), 2u);  // what moto alone does
  EXPECT_EQ(Stats()["idempotency"]["enabled"], false);
}

TEST_F(ChaosProxyTest, ConcurrentRequestsWithOneTokenReachTheUpstreamOnce) {
  Start(R"({"rules": []})");
  upstream_.Hold();
  const HttpRequest launch = Ec2Request("RunInstances", "ClientToken=same");
  std::vector<std::string> bodies(6);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    threads.emplace_back([&, i] { bodies[i] = Send(launch).response.body; });
  }
  ASSERT_TRUE(upstream_.WaitForInFlight(1));
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return proxy_->idempotency_cache().waiting() == bodies.size() - 1; }));
  upstream_.Release();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(upstream_.calls(), 1u);
  for (const auto& body : bodies)
    EXPECT_THAT(body, HasSubstr("<reservationId>r-1</reservationId>"));
  EXPECT_EQ(Stats()["totals"]["idempotent_replays"], 5);
}

TEST_F(ChaosProxyTest, AnUnreachableUpstreamIsA502) {
  Start(R"({"rules": []})");
  upstream_.set_fail(true);
  const Outcome outcome = Send(Ec2Request("DescribeInstances"));
  EXPECT_EQ(outcome.response.status, 502);
  EXPECT_EQ(Header(outcome.response, "x-ohfp-chaos-proxy"), "upstream-error");
  EXPECT_EQ(Stats()["totals"]["upstream_errors"], 1);
}

TEST_F(ChaosProxyTest, StatsCountRequestsFaultsAndRuleHits) {
  Start(R"({"rules": [
    {"name": "throttle-once", "match": {"action": "DescribeInstances"}, "max_hits": 1, "fault": {"type": "throttle"}},
    {"name": "unused", "match": {"action": "Nothing"}, "fault": {"type": "reset"}}]})");
  (void)Send(Ec2Request("DescribeInstances"));
  (void)Send(Ec2Request("DescribeInstances"));
  (void)Send(AutoScalingRequest("DescribeAutoScalingGroups"));
  const auto alias = nlohmann::json::parse(Send(Control("GET", "/stats")).response.body);
  const auto stats = Stats();
  EXPECT_EQ(alias, stats);
  EXPECT_EQ(stats["totals"]["requests"], 3);
  EXPECT_EQ(stats["totals"]["forwarded"], 2);
  EXPECT_EQ(stats["totals"]["faults"], 1);
  EXPECT_EQ(stats["actions"]["DescribeInstances"]["requests"], 2);
  EXPECT_EQ(stats["actions"]["DescribeInstances"]["faults_by_type"]["throttle"], 1);
  EXPECT_EQ(stats["actions"]["DescribeAutoScalingGroups"]["forwarded"], 1);
  EXPECT_EQ(stats["rules"][0]["name"], "throttle-once");
  EXPECT_EQ(stats["rules"][0]["hits"], 1);
  EXPECT_EQ(stats["rules"][1]["hits"], 0);
}

TEST_F(ChaosProxyTest, RulesCanBeReadAndReplacedAtRunTime) {
  Start(R"({"rules": []})");
  EXPECT_EQ(Send(Ec2Request("DescribeInstances")).response.status, 200);
  const Outcome put = Send(Control(
      "PUT", "/__chaos/rules", R"({"rules": [{"name": "now", "fault": {"type": "throttle"}}]})"));
  EXPECT_EQ(put.response.status, 200);
  EXPECT_EQ(Send(Ec2Request("DescribeInstances")).response.status, 503);
  const auto rules = nlohmann::json::parse(Send(Control("GET", "/__chaos/rules")).response.body);
  EXPECT_EQ(rules["rules"][0]["name"], "now");
  EXPECT_EQ(rules["rules"][0]["fault"]["type"], "throttle");
}

TEST_F(ChaosProxyTest, ABadRulesDocumentIsA400AndChangesNothing) {
  Start(R"({"rules": [{"name": "keep", "fault": {"type": "throttle"}}]})");
  const Outcome put = Send(Control(
      "PUT", "/__chaos/rules", R"({"rules": [{"probability": 2, "fault": {"type": "boom"}}]})"));
  EXPECT_EQ(put.response.status, 400);
  const auto body = nlohmann::json::parse(put.response.body);
  EXPECT_THAT(body["errors"].dump(),
              HasSubstr("$.rules[0].probability: must be between 0 and 1, got 2"));
  EXPECT_THAT(body["errors"].dump(),
              HasSubstr("$.rules[0].fault.type: unknown fault type \\\"boom\\\""));
  EXPECT_EQ(proxy_->engine().rules().rules.at(0).name, "keep");
  EXPECT_EQ(Send(Control("PUT", "/__chaos/rules", "not json")).response.status, 400);
}

TEST_F(ChaosProxyTest, ResetClearsStatsTheTimeOriginAndTheIdempotencyCache) {
  Start(R"({"rules": [{"name": "late", "from": 60, "fault": {"type": "throttle"}}]})");
  const HttpRequest launch = Ec2Request("RunInstances", "ClientToken=t");
  (void)Send(launch);
  clock_.Advance(61s);
  EXPECT_EQ(Send(Ec2Request("DescribeInstances")).response.status, 503);
  EXPECT_EQ(Send(Control("POST", "/__chaos/reset")).response.status, 200);
  const auto stats = Stats();
  EXPECT_EQ(stats["totals"]["requests"], 0);
  EXPECT_EQ(stats["elapsed_seconds"], 0.0);
  EXPECT_EQ(stats["idempotency"]["recorded"], 0);
  EXPECT_EQ(Send(Ec2Request("DescribeInstances")).response.status, 200);  // t = 0 again
  (void)Send(launch);
  EXPECT_EQ(upstream_.calls(), 3u);  // the launch ran again: the token was forgotten
}

TEST_F(ChaosProxyTest, ControlPathsAreNeverForwarded) {
  Start(R"({"rules": [{"fault": {"type": "reset"}}]})");
  EXPECT_EQ(Send(Control("GET", "/__chaos/nope")).response.status, 404);
  const Outcome wrong_method = Send(Control("DELETE", "/__chaos/rules"));
  EXPECT_EQ(wrong_method.response.status, 405);
  EXPECT_EQ(Header(wrong_method.response, "Allow"), "GET, PUT");
  EXPECT_EQ(Send(Control("GET", "/__chaos/reset")).response.status, 405);
  EXPECT_EQ(upstream_.calls(), 0u);
  EXPECT_EQ(Stats()["totals"]["requests"], 0);  // control calls are not traffic
  // POST /stats is not the alias: it is traffic like any other.
  EXPECT_EQ(Send(Control("POST", "/stats")).disposition, Disposition::kReset);
}

TEST_F(ChaosProxyTest, HostileActionNamesBreakNeitherStatsNorLogs) {
  Start(R"({"rules": [{"fault": {"type": "throttle"}}]})");
  (void)Send(Ec2Request("Bad%FF%0Aline"));  // invalid UTF-8 and a newline
  const auto stats = Stats();
  EXPECT_EQ(stats["totals"]["requests"], 1);
  const auto events = sink_.events();
  ASSERT_EQ(events.size(), 1u);
  const std::string line = FormatEvent(events[0]);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_THAT(line, HasSubstr("\\x0aline\" service=ec2"));
}

TEST_F(ChaosProxyTest, ReportsOneEventPerInjectedFault) {
  Start(R"({"rules": [
    {"name": "slow", "match": {"action": "DescribeInstances"}, "fault": {"type": "latency", "ms": 5}},
    {"name": "no", "match": {"action": "RunInstances"}, "fault": {"type": "capacity"}}]})");
  (void)Send(Ec2Request("DescribeInstances"));
  (void)Send(Ec2Request("RunInstances"));
  (void)Send(Ec2Request("DescribeRegions"));
  const auto events = sink_.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(FormatEvent(events[0]),
            "t=0.000s fault=latency rule=slow action=DescribeInstances service=ec2 ms=5 (then "
            "forwarded)");
  EXPECT_EQ(FormatEvent(events[1]),
            "t=0.005s fault=capacity rule=no action=RunInstances service=ec2 status=500");
}

// The throttling model inside the proxy: what the client sees, and where it sits among the rules
// and the ClientToken cache.

TEST_F(ChaosProxyTest, AnEmptyBucketIsAnsweredAsEc2AndAutoScalingAnswer) {
  Start(R"({"rules": [], "throttling": {"actions": {"DescribeRegions": {"capacity": 2,
      "refill_rate": 1}}, "categories": {"autoscaling": {"capacity": 1, "refill_rate": 1}}}})");
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 200);
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 200);
  const Outcome ec2 = Send(Ec2Request("DescribeRegions"));
  ASSERT_EQ(ec2.disposition, Disposition::kRespond);
  EXPECT_EQ(ec2.response.status, 503);
  EXPECT_THAT(ec2.response.body,
              HasSubstr("<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>"
                        "Request limit exceeded.</Message></Error></Errors><RequestID>"));
  EXPECT_EQ(Header(ec2.response, "x-ohfp-chaos-proxy"), "throttle-model");
  EXPECT_FALSE(Header(ec2.response, "x-amzn-RequestId").empty());
  EXPECT_EQ(upstream_.calls(), 2u);

  EXPECT_EQ(Send(AutoScalingRequest("DescribeAutoScalingGroups")).response.status, 200);
  const Outcome asg = Send(AutoScalingRequest("DescribeScalingActivities"));
  EXPECT_EQ(asg.response.status, 400);
  EXPECT_THAT(asg.response.body,
              HasSubstr("<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate "
                        "exceeded</Message></Error>"));
  EXPECT_EQ(upstream_.calls(), 3u);

  clock_.Advance(1s);  // one token back in each bucket
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 200);
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 503);
  EXPECT_EQ(Send(AutoScalingRequest("DescribeScalingActivities")).response.status, 200);

  const auto stats = Stats();
  EXPECT_EQ(stats["totals"]["requests"], 8);
  EXPECT_EQ(stats["totals"]["forwarded"], 5);
  EXPECT_EQ(stats["totals"]["throttled_by_model"], 3);
  EXPECT_EQ(stats["totals"]["faults"], 0);  // the model is AWS, not an injected fault
  EXPECT_EQ(stats["actions"]["DescribeRegions"]["throttled_by_model"], 2);
  EXPECT_EQ(stats["throttling"]["services"]["ec2"]["actions"]["DescribeRegions"]["accepted"], 3);
  EXPECT_EQ(stats["throttling"]["services"]["ec2"]["actions"]["DescribeRegions"]["throttled"], 2);
  EXPECT_EQ(stats["throttling"]["services"]["autoscaling"]["totals"]["throttled"], 1);
  EXPECT_EQ(stats["throttling"]["buckets"]["ec2:DescribeRegions"]["level"], 0);

  const auto events = sink_.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(FormatEvent(events[0]),
            "t=0.000s throttled bucket=ec2:DescribeRegions action=DescribeRegions service=ec2 "
            "status=503");
  EXPECT_EQ(FormatEvent(events[1]),
            "t=0.000s throttled bucket=autoscaling action=DescribeScalingActivities "
            "service=autoscaling status=400");
}

TEST_F(ChaosProxyTest, RulesComeFirstAndTheirFaultsSpendNoTokens) {
  Start(R"({"rules": [
      {"name": "cut", "match": {"action": "DescribeRegions"}, "max_hits": 2, "fault": {"type": "reset"}},
      {"name": "slow", "match": {"action": "DescribeRegions"}, "max_hits": 1,
       "fault": {"type": "latency", "ms": 1000}}],
    "throttling": {"actions": {"DescribeRegions": {"capacity": 1, "refill_rate": 1}}}})");
  // Reset twice: the requests never reached "AWS", so the one token is still there.
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).disposition, Disposition::kReset);
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).disposition, Disposition::kReset);
  // Latency, then AWS: the token is taken after the wait (which refilled nothing: it was full).
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 200);
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 503);
  EXPECT_EQ(upstream_.calls(), 1u);
}

TEST_F(ChaosProxyTest, ALostResponseOfAThrottledRequestIsStillLost) {
  Start(R"({"rules": [{"match": {"action": "DescribeRegions"}, "fault": {"type": "drop_response"}}],
    "throttling": {"actions": {"DescribeRegions": {"capacity": 1, "refill_rate": 0}}}})");
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).disposition, Disposition::kClose);
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).disposition, Disposition::kClose);
  EXPECT_EQ(upstream_.calls(), 1u);  // the second was throttled, and its 503 dropped
  EXPECT_EQ(Stats()["totals"]["throttled_by_model"], 1);
}

TEST_F(ChaosProxyTest, AnIdempotentReplaySpendsTokensLikeAnyRequest) {
  Start(R"({"rules": [], "throttling": {"actions": {"RunInstances": {"capacity": 2,
      "refill_rate": 0, "resource": {"capacity": 10, "refill_rate": 0}}}}})");
  const HttpRequest launch =
      Ec2Request("RunInstances", "ImageId=ami-1&MinCount=4&MaxCount=4&ClientToken=launch-1");
  EXPECT_EQ(Send(launch).response.status, 200);
  const Outcome replay = Send(launch);
  EXPECT_EQ(replay.response.status, 200);
  EXPECT_EQ(Header(replay.response, "x-ohfp-chaos-proxy"), "idempotent-replay");
  EXPECT_EQ(upstream_.calls(), 1u);
  // Both took a request token and four resource tokens: AWS throttles before it looks at tokens.
  EXPECT_EQ(proxy_->throttle_model().BucketLevel("ec2:RunInstances"), 0);
  EXPECT_EQ(proxy_->throttle_model().BucketLevel("ec2:RunInstances:resource"), 2);
  const Outcome third = Send(launch);
  EXPECT_EQ(third.response.status, 503);
  EXPECT_EQ(Header(third.response, "x-ohfp-chaos-proxy"), "throttle-model");
  const auto stats = Stats();
  EXPECT_EQ(stats["actions"]["RunInstances"]["idempotent_replays"], 1);
  EXPECT_EQ(stats["actions"]["RunInstances"]["throttled_by_model"], 1);
  EXPECT_EQ(stats["throttling"]["services"]["ec2"]["actions"]["RunInstances"]["resource_tokens"],
            8);
}

TEST_F(ChaosProxyTest, TheThrottlingSectionIsReadReplacedAndResetWithTheRules) {
  const std::string section =
      R"("throttling": {"actions": {"DescribeRegions": {"capacity": 1, "refill_rate": 0}}})";
  Start(R"({"rules": [], )" + section + "}");
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 200);
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 503);
  const auto document = nlohmann::json::parse(Send(Control("GET", "/__chaos/rules")).response.body);
  EXPECT_EQ(document["throttling"]["actions"]["DescribeRegions"]["capacity"], 1);
  EXPECT_EQ(document["throttling"]["model"], "ec2-published");

  // The same section again: the bucket stays empty.
  EXPECT_EQ(Send(Control("PUT", "/__chaos/rules", document.dump())).response.status, 200);
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 503);
  // A different one starts full.
  EXPECT_EQ(Send(Control("PUT", "/__chaos/rules",
                         R"({"rules": [], "throttling": {"actions": {"DescribeRegions":
                              {"capacity": 2, "refill_rate": 0}}}})"))
                .response.status,
            200);
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 200);
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 200);
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 503);
  // Reset fills it again.
  EXPECT_EQ(Send(Control("POST", "/__chaos/reset")).response.status, 200);
  EXPECT_EQ(Stats()["throttling"]["totals"]["accepted"], 0);
  EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 200);
  // A document without the section turns the model off.
  const Outcome off = Send(Control("PUT", "/__chaos/rules", R"({"rules": []})"));
  EXPECT_FALSE(nlohmann::json::parse(off.response.body).contains("throttling"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 200);
  EXPECT_EQ(Stats()["throttling"], nlohmann::json({{"enabled", false}}));
  // A bad section changes nothing.
  const Outcome bad =
      Send(Control("PUT", "/__chaos/rules", R"({"rules": [], "throttling": {"scale": 0}})"));
  EXPECT_EQ(bad.response.status, 400);
  EXPECT_THAT(bad.response.body, HasSubstr("$.throttling.scale: must be a number > 0"));
  EXPECT_FALSE(proxy_->throttle_model().enabled());
}

TEST_F(ChaosProxyTest, WithoutAThrottlingSectionNothingIsThrottledOrCounted) {
  Start(R"({"rules": []})");
  for (int i = 0; i < 200; ++i) ASSERT_EQ(Send(Ec2Request("DescribeRegions")).response.status, 200);
  const auto stats = Stats();
  EXPECT_EQ(stats["throttling"], nlohmann::json({{"enabled", false}}));
  EXPECT_EQ(stats["totals"]["throttled_by_model"], 0);
}

}  // namespace
}  // namespace ohfp::chaos_proxy
