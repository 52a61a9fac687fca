#include "ohfp/chaos_proxy/stats.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ohfp::chaos_proxy {
namespace {

TEST(Stats, CountsInTotalAndPerAction) {
  Stats stats;
  stats.RecordRequest("RunInstances");
  stats.RecordRequest("RunInstances");
  stats.RecordRequest("DescribeInstances");
  stats.RecordForwarded("RunInstances");
  stats.RecordFault("RunInstances", FaultType::kDropResponse);
  stats.RecordFault("DescribeInstances", FaultType::kThrottle);
  stats.RecordReplay("RunInstances");
  stats.RecordMismatch("RunInstances");
  stats.RecordUpstreamError("DescribeInstances");
  stats.RecordModelThrottle("DescribeInstances");
  stats.RecordRequest("");

  const Counters totals = stats.Totals();
  EXPECT_EQ(totals.requests, 4u);
  EXPECT_EQ(totals.forwarded, 1u);
  EXPECT_EQ(totals.TotalFaults(), 2u);
  EXPECT_EQ(totals.idempotent_replays, 1u);
  EXPECT_EQ(totals.idempotency_mismatches, 1u);
  EXPECT_EQ(totals.upstream_errors, 1u);
  EXPECT_EQ(totals.throttled_by_model, 1u);
  EXPECT_EQ(totals.TotalFaults(), 2u);  // the model is not an injected fault

  const Counters run = stats.ForAction("RunInstances");
  EXPECT_EQ(run.requests, 2u);
  EXPECT_EQ(run.faults[FaultIndex(FaultType::kDropResponse)], 1u);
  EXPECT_EQ(run.faults[FaultIndex(FaultType::kThrottle)], 0u);
  EXPECT_EQ(stats.ForAction("").requests, 1u);
  EXPECT_EQ(stats.ForAction(Stats::kNoAction).requests, 1u);
  EXPECT_EQ(stats.ForAction("Never").requests, 0u);

  const nlohmann::json json = stats.ToJson();
  EXPECT_EQ(json["totals"]["requests"], 4);
  EXPECT_EQ(json["totals"]["faults"], 2);
  EXPECT_EQ(json["actions"]["DescribeInstances"]["faults_by_type"]["throttle"], 1);
  EXPECT_EQ(json["actions"]["(no action)"]["requests"], 1);
  EXPECT_EQ(json["actions"]["RunInstances"]["idempotent_replays"], 1);
  EXPECT_EQ(json["actions"]["DescribeInstances"]["throttled_by_model"], 1);
  EXPECT_EQ(json["actions"]["RunInstances"]["throttled_by_model"], 0);
}

TEST(Stats, ResetZeroesEverything) {
  Stats stats;
  stats.RecordRequest("RunInstances");
  stats.Reset();
  EXPECT_EQ(stats.Totals().requests, 0u);
  EXPECT_TRUE(stats.ToJson()["actions"].empty());
}

}  // namespace
}  // namespace ohfp::chaos_proxy
