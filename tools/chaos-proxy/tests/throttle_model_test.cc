// The token bucket model against the published semantics ("Request throttling for the Amazon EC2
// API"): burst up to the bucket size, continuous refill at the published rate, resource tokens per
// instance, a throttled request consuming nothing, one account shared by every caller. Everything
// runs on a ManualClock: time moves only when a test says so.
#include "ohfp/chaos_proxy/throttle_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "ohfp/chaos_proxy/rules.h"
#include "ohfp/resilience/manual_clock.h"
#include "test_support.h"

namespace ohfp::chaos_proxy {
namespace {

using namespace std::chrono_literals;
using resilience::ManualClock;

using testing::Asg;
using testing::Ec2;
using testing::ThrottlingSection;

// Sends `n` copies of `request`; returns how many were accepted.
int Accepted(ThrottleModel& model, const AwsRequest& request, int n) {
  int accepted = 0;
  for (int i = 0; i < n; ++i) accepted += model.Admit(request).throttled ? 0 : 1;
  return accepted;
}

TEST(TokenBucket, BurstsToItsSizeThenRefillsContinuouslyUpToIt) {
  ManualClock clock;
  TokenBucket bucket({100, 20}, clock.Now());
  EXPECT_EQ(bucket.Level(clock.Now()), 100);  // a bucket starts full
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(bucket.Has(1)) << i;
    bucket.Take(1);
  }
  EXPECT_FALSE(bucket.Has(1));

  clock.Advance(1s);
  bucket.Refill(clock.Now());
  EXPECT_DOUBLE_EQ(bucket.Level(clock.Now()), 20);  // "refilled by 20 tokens every second"
  clock.Advance(50ms);                              // continuous: 1/20th of a second, one token
  bucket.Refill(clock.Now());
  EXPECT_DOUBLE_EQ(bucket.Level(clock.Now()), 21);
  clock.Advance(1h);
  EXPECT_EQ(bucket.Level(clock.Now()), 100);  // never more than its size
}

TEST(TokenBucket, FractionalRefillsAddUpExactlyEnough) {
  ManualClock clock;
  TokenBucket bucket({100, 20}, clock.Now());
  bucket.Take(100);
  // Ten refills of 0.1 s at 20/s: 2 tokens each in theory, 1.9999999999999998 in floating point.
  int taken = 0;
  for (int i = 0; i < 10; ++i) {
    clock.Advance(100ms);
    bucket.Refill(clock.Now());
    while (bucket.Has(1)) {
      bucket.Take(1);
      ++taken;
    }
  }
  EXPECT_EQ(taken, 20);
}

TEST(TokenBucket, TimeBeforeTheLastUpdateChangesNothing) {
  ManualClock clock;
  const resilience::MonoTime earlier = clock.Now();
  clock.Advance(1s);
  TokenBucket bucket({10, 1}, clock.Now());
  bucket.Take(10);
  bucket.Refill(earlier);
  EXPECT_EQ(bucket.Level(earlier), 0);
  EXPECT_EQ(bucket.Level(clock.Now()), 0);
}

TEST(TokenBucket, ARateOfZeroNeverRefills) {
  ManualClock clock;
  TokenBucket bucket({3, 0}, clock.Now());
  bucket.Take(3);
  clock.Advance(24h);
  bucket.Refill(clock.Now());
  EXPECT_FALSE(bucket.Has(1));
}

TEST(ThrottleModel, PublishedDescribeBucketBurstsHundredThenSustainsTwentyPerSecond) {
  ManualClock clock;
  ThrottleModel model(clock, ThrottlingConfig{});
  const AwsRequest describe = Ec2("DescribeRegions");
  EXPECT_EQ(Accepted(model, describe, 130), 100);
  // "you can continue to make 20 API requests per second by using the refill tokens"
  for (int second = 1; second <= 5; ++second) {
    clock.Advance(1s);
    EXPECT_EQ(Accepted(model, describe, 30), 20) << "second " << second;
  }
  // "an empty bucket reaches its maximum capacity after 5 seconds"
  clock.Advance(4999ms);
  EXPECT_NEAR(*model.BucketLevel("ec2:DescribeRegions"), 99.98, 1e-9);
  clock.Advance(1ms);
  EXPECT_EQ(model.BucketLevel("ec2:DescribeRegions"), 100);
  EXPECT_EQ(Accepted(model, describe, 101), 100);

  const ThrottleCounters counters = model.ForAction(Service::kEc2, "DescribeRegions");
  EXPECT_EQ(counters.accepted, 100u + 5 * 20 + 100);
  EXPECT_EQ(counters.throttled, 30u + 5 * 10 + 1);
  EXPECT_EQ(counters.throttled_on_resources, 0u);
  EXPECT_EQ(model.Totals(), counters);
}

TEST(ThrottleModel, EveryActionHasItsOwnBucket) {
  ManualClock clock;
  ThrottleModel model(clock, ThrottlingConfig{});
  EXPECT_EQ(Accepted(model, Ec2("DescribeRegions"), 101), 100);
  // "you are throttled on that API ... requests for other API are not affected"
  EXPECT_EQ(Accepted(model, Ec2("DescribeAvailabilityZones"), 100), 100);
  EXPECT_EQ(Accepted(model, Ec2("CreateFleet"), 51), 50);
  EXPECT_EQ(Accepted(model, Ec2("CreateLaunchTemplate"), 50), 50);
}

TEST(ThrottleModel, UnfilteredDescribeInstancesDrawsFromTheSmallerBucket) {
  ManualClock clock;
  ThrottleModel model(clock, ThrottlingConfig{});
  EXPECT_EQ(Accepted(model, Ec2("DescribeInstances"), 60), 50);
  // The standard bucket is untouched: filtered and paginated calls still have 100 tokens.
  EXPECT_EQ(
      Accepted(model, Ec2("DescribeInstances", "Filter.1.Name=tag-key&Filter.1.Value.1=a"), 60),
      60);
  EXPECT_EQ(Accepted(model, Ec2("DescribeInstances", "MaxResults=1000"), 41), 40);
  clock.Advance(1s);
  EXPECT_EQ(Accepted(model, Ec2("DescribeInstances"), 20), 10);
  EXPECT_EQ(Accepted(model, Ec2("DescribeInstances", "MaxResults=1000"), 30), 20);
}

TEST(ThrottleModel, RunInstancesTakesOneResourceTokenPerInstance) {
  ManualClock clock;
  ThrottleModel model(clock, ThrottlingConfig{});
  // "you can immediately launch 1000 instances ... such as ... four requests for 250 instances"
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(model.Admit(Ec2("RunInstances", "MinCount=1&MaxCount=250")).throttled) << i;
  }
  EXPECT_EQ(model.BucketLevel("ec2:RunInstances:resource"), 0);
  EXPECT_EQ(model.BucketLevel("ec2:RunInstances"), 1);  // request bucket: 5 tokens, 4 used
  const ThrottleDecision more = model.Admit(Ec2("RunInstances", "MinCount=1&MaxCount=1"));
  EXPECT_TRUE(more.throttled);
  EXPECT_EQ(more.bucket, "ec2:RunInstances:resource");
  EXPECT_EQ(more.kind, BucketKind::kResource);

  // "you can launch up to two instances every second, using either one request for two instances
  // or two requests for one instance"
  clock.Advance(1s);
  EXPECT_FALSE(model.Admit(Ec2("RunInstances", "MinCount=2&MaxCount=2")).throttled);
  EXPECT_TRUE(model.Admit(Ec2("RunInstances", "MinCount=1&MaxCount=1")).throttled);
  clock.Advance(1s);
  EXPECT_EQ(Accepted(model, Ec2("RunInstances", "MinCount=1&MaxCount=1"), 3), 2);

  const ThrottleCounters counters = model.ForAction(Service::kEc2, "RunInstances");
  EXPECT_EQ(counters.accepted, 7u);
  EXPECT_EQ(counters.throttled, 3u);
  EXPECT_EQ(counters.throttled_on_resources, 3u);
  EXPECT_EQ(counters.resource_tokens, 1000u + 2 + 2);
}

TEST(ThrottleModel, AThrottledRequestTakesNothingFromEitherBucket) {
  ManualClock clock;
  ThrottleModel model(clock, ThrottlingConfig{});
  ASSERT_FALSE(model.Admit(Ec2("RunInstances", "MinCount=1&MaxCount=999")).throttled);
  // Short of resource tokens: the request token it could have had stays in its bucket.
  EXPECT_TRUE(model.Admit(Ec2("RunInstances", "MinCount=1&MaxCount=2")).throttled);
  EXPECT_EQ(model.BucketLevel("ec2:RunInstances"), 4);
  EXPECT_EQ(model.BucketLevel("ec2:RunInstances:resource"), 1);
  // Short of request tokens: the resource token stays too.
  EXPECT_EQ(Accepted(model, Ec2("RunInstances", "MinCount=0&MaxCount=0"), 4), 4);
  EXPECT_EQ(model.BucketLevel("ec2:RunInstances"), 0);
  const ThrottleDecision empty = model.Admit(Ec2("RunInstances", "MinCount=1&MaxCount=1"));
  EXPECT_TRUE(empty.throttled);
  EXPECT_EQ(empty.bucket, "ec2:RunInstances");
  EXPECT_EQ(empty.kind, BucketKind::kRequest);
  EXPECT_EQ(model.BucketLevel("ec2:RunInstances:resource"), 1);
  EXPECT_EQ(model.ForAction(Service::kEc2, "RunInstances").throttled_on_resources, 1u);
}

TEST(ThrottleModel, TerminateInstancesCountsInstanceIds) {
  ManualClock clock;
  ThrottleModel model(clock, ThrottlingSection(R"({"actions": {"TerminateInstances":
      {"resource": {"capacity": 5, "refill_rate": 1}}}})"));
  const AwsRequest three =
      Ec2("TerminateInstances", "InstanceId.1=i-1&InstanceId.2=i-2&InstanceId.3=i-3");
  EXPECT_FALSE(model.Admit(three).throttled);
  EXPECT_TRUE(model.Admit(three).throttled);  // 2 tokens left, 3 needed
  clock.Advance(1s);
  EXPECT_FALSE(model.Admit(three).throttled);
  EXPECT_EQ(model.ForAction(Service::kEc2, "TerminateInstances").resource_tokens, 6u);
}

TEST(ThrottleModel, ScaleMakesTheAccountSmaller) {
  ManualClock clock;
  ThrottlingConfig config;
  config.scale = 0.05;
  ThrottleModel model(clock, config);
  EXPECT_EQ(Accepted(model, Ec2("DescribeRegions"), 10), 5);  // 100 x 0.05
  clock.Advance(1s);
  EXPECT_EQ(Accepted(model, Ec2("DescribeRegions"), 10), 1);  // 20/s x 0.05
  // RunInstances: one request token (5 x 0.05, at least one) refilled at 0.1/s.
  EXPECT_EQ(Accepted(model, Ec2("RunInstances", "MaxCount=1"), 3), 1);
  clock.Advance(9999ms);
  EXPECT_TRUE(model.Admit(Ec2("RunInstances", "MaxCount=1")).throttled);
  clock.Advance(1ms);
  EXPECT_FALSE(model.Admit(Ec2("RunInstances", "MaxCount=1")).throttled);
}

TEST(ThrottleModel, AutoScalingActionsShareOneBucket) {
  ManualClock clock;
  ThrottleModel model(clock, ThrottlingConfig{});
  EXPECT_EQ(Accepted(model, Asg("DescribeAutoScalingGroups"), 60), 60);
  EXPECT_EQ(Accepted(model, Asg("SetDesiredCapacity"), 50), 40);
  EXPECT_EQ(model.ForAction(Service::kAutoScaling, "SetDesiredCapacity").throttled, 10u);
  // EC2 is another service with its own buckets.
  EXPECT_EQ(Accepted(model, Ec2("DescribeRegions"), 100), 100);
}

TEST(ThrottleModel, OnlyEc2AndAutoScalingAreModelledAndOffMeansOff) {
  ManualClock clock;
  ThrottleModel model(clock, ThrottlingConfig{});
  const AwsRequest metrics = ParseAwsRequest(testing::FormRequest(
      "Action=PutMetricData&Version=2010-08-01", "monitoring.us-east-1.amazonaws.com"));
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(model.Admit(metrics).modelled);
  EXPECT_EQ(model.Totals().accepted, 0u);

  ThrottleModel off(clock, std::nullopt);
  EXPECT_FALSE(off.enabled());
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(off.Admit(Ec2("RunInstances")).throttled);
  EXPECT_EQ(off.ToJson(), nlohmann::json({{"enabled", false}}));
}

TEST(ThrottleModel, ReconfiguringRefillsOnlyWhenTheConfigurationChanges) {
  ManualClock clock;
  ThrottleModel model(clock, ThrottlingConfig{});
  EXPECT_EQ(Accepted(model, Ec2("DescribeRegions"), 100), 100);
  model.Configure(ThrottlingConfig{});  // the same: buckets and counts stay
  EXPECT_TRUE(model.Admit(Ec2("DescribeRegions")).throttled);
  EXPECT_EQ(model.Totals().accepted, 100u);

  ThrottlingConfig smaller;
  smaller.scale = 0.1;
  model.Configure(smaller);  // a different one: full buckets of the new size, counts from zero
  EXPECT_EQ(model.Totals(), ThrottleCounters{});
  EXPECT_EQ(Accepted(model, Ec2("DescribeRegions"), 11), 10);

  model.Reset();
  EXPECT_EQ(model.Totals(), ThrottleCounters{});
  EXPECT_FALSE(model.BucketLevel("ec2:DescribeRegions").has_value());
  EXPECT_EQ(Accepted(model, Ec2("DescribeRegions"), 11), 10);

  model.Configure(std::nullopt);
  EXPECT_FALSE(model.Admit(Ec2("DescribeRegions")).modelled);
}

TEST(ThrottleModel, ReportsCountsBucketsAndAPerSecondSeries) {
  ManualClock clock;
  clock.Advance(10min);  // the origin is wherever the clock is at construction
  ThrottlingConfig config;
  config.scale = 0.1;
  ThrottleModel model(clock, config);
  EXPECT_EQ(Accepted(model, Ec2("DescribeRegions"), 12), 10);
  EXPECT_EQ(Accepted(model, Asg("DescribeAutoScalingGroups"), 1), 1);
  clock.Advance(2500ms);
  EXPECT_EQ(Accepted(model, Ec2("DescribeRegions"), 6), 5);
  EXPECT_FALSE(model.Admit(Ec2("RunInstances", "MinCount=3&MaxCount=3")).throttled);

  const nlohmann::json json = model.ToJson();
  EXPECT_EQ(json["enabled"], true);
  EXPECT_EQ(json["model"], "ec2-published");
  EXPECT_EQ(json["scale"], 0.1);
  EXPECT_EQ(json["totals"]["accepted"], 17);
  EXPECT_EQ(json["totals"]["throttled"], 3);
  EXPECT_EQ(json["totals"]["resource_tokens"], 3);
  const auto& ec2 = json["services"]["ec2"];
  EXPECT_EQ(ec2["totals"]["accepted"], 16);
  EXPECT_EQ(ec2["actions"]["DescribeRegions"]["accepted"], 15);
  EXPECT_EQ(ec2["actions"]["DescribeRegions"]["throttled"], 3);
  EXPECT_EQ(ec2["actions"]["RunInstances"]["resource_tokens"], 3);
  EXPECT_EQ(json["services"]["autoscaling"]["actions"]["DescribeAutoScalingGroups"]["accepted"], 1);

  const auto& describe = json["buckets"]["ec2:DescribeRegions"];
  EXPECT_EQ(describe["service"], "ec2");
  EXPECT_EQ(describe["action"], "DescribeRegions");
  EXPECT_EQ(describe["kind"], "request");
  EXPECT_EQ(describe["category"], "non-mutating");
  EXPECT_EQ(describe["capacity"], 10);
  EXPECT_TRUE(describe["capacity"].is_number_integer());
  EXPECT_EQ(describe["refill_rate"], 2);
  EXPECT_EQ(describe["level"], 0);
  EXPECT_EQ(json["buckets"]["ec2:RunInstances:resource"]["level"], 97);
  EXPECT_EQ(json["buckets"]["autoscaling"]["category"], "autoscaling");

  const auto& series = json["series"];
  EXPECT_EQ(series["interval_seconds"], 1);
  ASSERT_EQ(series["points"].size(), 2u);
  EXPECT_EQ(series["points"][0]["second"], 0);
  EXPECT_EQ(series["points"][0]["accepted"], 11);
  EXPECT_EQ(series["points"][0]["throttled"], 2);
  EXPECT_EQ(series["points"][0]["services"]["ec2"]["DescribeRegions"]["throttled"], 2);
  EXPECT_EQ(series["points"][0]["services"]["autoscaling"]["DescribeAutoScalingGroups"]["accepted"],
            1);
  EXPECT_EQ(series["points"][1]["second"], 2);
  EXPECT_EQ(series["points"][1]["accepted"], 6);
  EXPECT_EQ(series["points"][1]["throttled"], 1);
}

TEST(ThrottleModel, ConcurrentCallersShareOneAccount) {
  ManualClock clock;  // frozen: no refill while the threads race
  ThrottleModel model(clock, ThrottlingConfig{});
  constexpr int kThreads = 8;
  constexpr int kEach = 40;
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (!model.Admit(Ec2("DescribeRegions")).throttled) ++accepted;
        if (i % 8 == 0) (void)model.ToJson();  // readers alongside writers
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 100);
  EXPECT_EQ(model.Totals().throttled, static_cast<std::uint64_t>(kThreads * kEach - 100));
}

}  // namespace
}  // namespace ohfp::chaos_proxy
