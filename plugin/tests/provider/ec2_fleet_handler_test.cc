// Ec2FleetHandler without a network. CreateFleetRequestFor: the CreateFleet request built from a
// template (each priceType and fleetType, percentOnDemand, weights, overrides per type x subnet,
// strategies, maxSpotPrice, tags, token, ohfp's or the user's launch template).
// OnDemandCapacityFor, WeightTags/WeightsFromTags and LoweredTarget: the arithmetic Release and
// Shrink rely on. DescribeFleetError and FleetObservation: how a fleet's state and errors become
// what the request reports. Ec2FleetHandlerTest: the handler over an AwsClient whose transport is
// FakeEc2, a small in-memory EC2 that answers as AWS does where moto does not (it reports
// activityStatus and errors, refuses ModifyFleet for request and instant fleets and
// DescribeFleetInstances for instant ones, refuses to delete an instant fleet without its
// instances, tags a fleet's instances only from ohfp's launch template), so the decisions are
// checked call by call, on a ManualClock.
#include "provider/handlers/ec2_fleet_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "aws/http_transport.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/observer.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::provider {
namespace {

namespace ec2 = aws::ec2;
using ec2::CapacityType;
using ec2::ExcessCapacityTerminationPolicy;
using ec2::FleetState;
using ec2::FleetType;
using ec2::OnDemandAllocationStrategy;
using ec2::SpotAllocationStrategy;
using ec2::Tag;
using hostfactory::PriceType;
using hostfactory::ProviderApi;
using resilience::ErrorKind;
using resilience::ManualClock;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

std::vector<Tag> RequestTags(const std::string& request_id) {
  return {
      {"ohfp:request-id", request_id}, {"ohfp:template-id", "Fleet-C5"}, {"ohfp:provider", "aws"}};
}

hostfactory::Template FleetTemplate(
    hostfactory::FleetType type = hostfactory::FleetType::kRequest) {
  hostfactory::Template t;
  t.template_id = "Fleet-C5";
  t.image_id = "ami-12345678";
  t.vm_type = "c5.large";
  t.subnet_ids = {"subnet-0000000a"};
  t.provider_api = ProviderApi::kEc2Fleet;
  t.fleet_type = type;
  return t;
}

LaunchSpec SpecFor(const hostfactory::Template& t, int count,
                   const std::string& request_id = "req-1") {
  LaunchSpec spec;
  spec.tmpl = &t;
  spec.request_id = request_id;
  spec.count = count;
  spec.attempt = 1;
  spec.client_token = request_id + "-1";
  spec.tags = RequestTags(request_id);
  return spec;
}

const RequestLaunchTemplate kOwnTemplate{"lt-0123456789abcdef0", "$Default", true};

// ---- CreateFleetRequestFor ----

TEST(CreateFleetRequestFor, OnDemandAsksForEverythingOnDemandFromOhfpsLaunchTemplate) {
  hostfactory::Template t = FleetTemplate();
  t.max_spot_price = "0.10";  // irrelevant to on-demand capacity
  const ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 4), kOwnTemplate);
  EXPECT_EQ(r.client_token, "req-1-1");
  EXPECT_EQ(r.type, FleetType::kRequest);
  EXPECT_EQ(r.target_capacity.total, 4);
  EXPECT_EQ(r.target_capacity.on_demand, 4);
  EXPECT_EQ(r.target_capacity.spot, 0);
  EXPECT_EQ(r.target_capacity.default_type, CapacityType::kOnDemand);
  EXPECT_FALSE(r.spot_allocation_strategy.has_value());
  EXPECT_FALSE(r.on_demand_allocation_strategy.has_value()) << "AWS's default";
  ASSERT_THAT(r.launch_template_configs, SizeIs(1));
  const ec2::FleetLaunchTemplateConfig& c = r.launch_template_configs[0];
  EXPECT_EQ(c.launch_template.id, "lt-0123456789abcdef0");
  EXPECT_EQ(c.launch_template.name, "");
  EXPECT_EQ(c.launch_template.version, "$Default");
  ASSERT_THAT(c.overrides, SizeIs(1));
  EXPECT_EQ(c.overrides[0].instance_type, "c5.large");
  EXPECT_EQ(c.overrides[0].subnet_id, "subnet-0000000a");
  EXPECT_FALSE(c.overrides[0].weighted_capacity.has_value()) << "no vmTypes: no weights";
  EXPECT_FALSE(c.overrides[0].priority.has_value());
  EXPECT_EQ(c.overrides[0].max_price, "") << "maxSpotPrice never caps on-demand capacity";
  EXPECT_EQ(r.tags, RequestTags("req-1"));
  EXPECT_THAT(r.instance_tags, IsEmpty()) << "AWS refuses instance tags on request fleets";
  EXPECT_FALSE(r.excess_capacity_termination_policy.has_value());
}

TEST(CreateFleetRequestFor, SpotAsksForEverythingOnSpotCappedByMaxSpotPrice) {
  hostfactory::Template t = FleetTemplate();
  t.price_type = PriceType::kSpot;
  t.max_spot_price = "0.25";
  t.subnet_ids = {"subnet-0000000a", "subnet-0000000b"};
  const ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 3), kOwnTemplate);
  EXPECT_EQ(r.target_capacity.total, 3);
  EXPECT_EQ(r.target_capacity.on_demand, 0);
  EXPECT_EQ(r.target_capacity.spot, 3);
  EXPECT_EQ(r.target_capacity.default_type, CapacityType::kSpot);
  const auto& o = r.launch_template_configs.at(0).overrides;
  ASSERT_THAT(o, SizeIs(2));
  for (const ec2::FleetOverride& each : o) EXPECT_EQ(each.max_price, "0.25") << each.subnet_id;
}

TEST(CreateFleetRequestFor, HeterogeneousPutsPercentOnDemandRoundedUpOnDemandAndTheRestOnSpot) {
  struct Case {
    int count;
    std::optional<int> percent;
    int on_demand;
  };
  for (const Case& c : {Case{3, 50, 2}, Case{10, 25, 3}, Case{10, 20, 2}, Case{4, 0, 0},
                        Case{4, 100, 4}, Case{1, 1, 1}, Case{7, 99, 7}, Case{5, std::nullopt, 0}}) {
    hostfactory::Template t = FleetTemplate();
    t.price_type = PriceType::kHeterogeneous;
    t.percent_on_demand = c.percent;
    t.max_spot_price = "0.40";
    const ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, c.count), kOwnTemplate);
    const std::string what =
        std::to_string(c.percent.value_or(-1)) + "% of " + std::to_string(c.count);
    EXPECT_EQ(r.target_capacity.total, c.count) << what;
    EXPECT_EQ(r.target_capacity.on_demand, c.on_demand) << what;
    EXPECT_EQ(r.target_capacity.spot, c.count - c.on_demand) << what;
    EXPECT_EQ(r.target_capacity.default_type, CapacityType::kSpot) << what;
    EXPECT_EQ(r.launch_template_configs.at(0).overrides.at(0).max_price, "0.40")
        << "the spot part is capped";
  }
}

TEST(CreateFleetRequestFor, EachTypeTimesEachSubnetIsAnOverrideWithItsWeight) {
  hostfactory::Template t = FleetTemplate();
  t.vm_type = "c5.xlarge";
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}, {"m5.large", 0.5}};
  t.subnet_ids = {"subnet-0000000a", "subnet-0000000b"};
  const ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 8), kOwnTemplate);
  const auto& o = r.launch_template_configs.at(0).overrides;
  std::vector<std::pair<std::string, std::string>> pools;
  std::vector<std::optional<double>> weights;
  for (const ec2::FleetOverride& each : o) {
    pools.emplace_back(each.instance_type, each.subnet_id);
    weights.push_back(each.weighted_capacity);
  }
  EXPECT_THAT(pools,
              ElementsAre(std::pair<std::string, std::string>{"c5.xlarge", "subnet-0000000a"},
                          std::pair<std::string, std::string>{"c5.xlarge", "subnet-0000000b"},
                          std::pair<std::string, std::string>{"c5.large", "subnet-0000000a"},
                          std::pair<std::string, std::string>{"c5.large", "subnet-0000000b"},
                          std::pair<std::string, std::string>{"m5.large", "subnet-0000000a"},
                          std::pair<std::string, std::string>{"m5.large", "subnet-0000000b"}));
  EXPECT_THAT(weights, ElementsAre(2.0, 2.0, 1.0, 1.0, 0.5, 0.5));
  EXPECT_EQ(r.target_capacity.total, 8) << "capacity units, not instances";
}

TEST(CreateFleetRequestFor, NoSubnetMeansOneOverridePerTypeAndTheDefaultVpc) {
  hostfactory::Template t = FleetTemplate();
  t.subnet_ids.clear();
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}};
  const ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 2), kOwnTemplate);
  const auto& o = r.launch_template_configs.at(0).overrides;
  ASSERT_THAT(o, SizeIs(2));
  EXPECT_EQ(o[0].instance_type, "c5.xlarge");
  EXPECT_EQ(o[0].subnet_id, "");
  EXPECT_EQ(o[1].instance_type, "c5.large");
}

TEST(CreateFleetRequestFor, WeightsAreTaggedOnTheFleetButNotOnItsInstances) {
  hostfactory::Template t = FleetTemplate(hostfactory::FleetType::kInstant);
  t.vm_types = {{"c5.xlarge", 2.0}, {"m5.large", 0.5}};
  const ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 4), kOwnTemplate);
  std::vector<Tag> fleet_tags = RequestTags("req-1");
  fleet_tags.push_back({"ohfp:weights", "c5.xlarge=2,m5.large=0.5"});
  EXPECT_EQ(r.tags, fleet_tags);
  EXPECT_EQ(r.instance_tags, RequestTags("req-1")) << "an instant fleet tags what it launches";
  const WeightMap weights = WeightsFromTags(r.tags);
  EXPECT_EQ(weights, (WeightMap{{"c5.xlarge", 2.0}, {"m5.large", 0.5}}));
}

TEST(CreateFleetRequestFor, EachFleetTypeIsSentAndOnlyMaintainGetsNoTermination) {
  hostfactory::Template t = FleetTemplate(hostfactory::FleetType::kMaintain);
  ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 2), kOwnTemplate);
  EXPECT_EQ(r.type, FleetType::kMaintain);
  EXPECT_EQ(r.excess_capacity_termination_policy, ExcessCapacityTerminationPolicy::kNoTermination)
      << "a maintain fleet never chooses victims when its target is lowered";
  EXPECT_THAT(r.instance_tags, IsEmpty());

  t.fleet_type = hostfactory::FleetType::kRequest;
  r = CreateFleetRequestFor(SpecFor(t, 2), kOwnTemplate);
  EXPECT_EQ(r.type, FleetType::kRequest);
  EXPECT_FALSE(r.excess_capacity_termination_policy.has_value());

  t.fleet_type = hostfactory::FleetType::kInstant;
  r = CreateFleetRequestFor(SpecFor(t, 2), kOwnTemplate);
  EXPECT_EQ(r.type, FleetType::kInstant);
  EXPECT_FALSE(r.excess_capacity_termination_policy.has_value());
  EXPECT_EQ(r.instance_tags, RequestTags("req-1"));
}

TEST(CreateFleetRequestFor, AnOnDemandTemplatesStrategyIsTheOnDemandStrategy) {
  hostfactory::Template t = FleetTemplate();
  t.allocation_strategy = "lowest-price";
  ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 2), kOwnTemplate);
  EXPECT_EQ(r.on_demand_allocation_strategy, OnDemandAllocationStrategy::kLowestPrice);
  EXPECT_FALSE(r.spot_allocation_strategy.has_value());

  t.allocation_strategy = "capacity-optimized";  // a Spot strategy: nothing for on-demand
  r = CreateFleetRequestFor(SpecFor(t, 2), kOwnTemplate);
  EXPECT_FALSE(r.on_demand_allocation_strategy.has_value());
  EXPECT_FALSE(r.spot_allocation_strategy.has_value());
}

TEST(CreateFleetRequestFor, EverySpotStrategySpellingMapsToItsFleetValue) {
  const std::vector<std::pair<std::string, SpotAllocationStrategy>> cases = {
      {"lowest-price", SpotAllocationStrategy::kLowestPrice},
      {"diversified", SpotAllocationStrategy::kDiversified},
      {"capacity-optimized", SpotAllocationStrategy::kCapacityOptimized},
      {"capacity-optimized-prioritized", SpotAllocationStrategy::kCapacityOptimizedPrioritized},
      {"price-capacity-optimized", SpotAllocationStrategy::kPriceCapacityOptimized}};
  for (const PriceType price : {PriceType::kSpot, PriceType::kHeterogeneous}) {
    for (const auto& [name, value] : cases) {
      hostfactory::Template t = FleetTemplate();
      t.price_type = price;
      t.allocation_strategy = name;
      EXPECT_EQ(CreateFleetRequestFor(SpecFor(t, 1), kOwnTemplate).spot_allocation_strategy, value)
          << name;
    }
  }
  hostfactory::Template t = FleetTemplate();
  t.price_type = PriceType::kSpot;
  t.allocation_strategy = "cheapest";  // unknown: AWS's default
  EXPECT_FALSE(CreateFleetRequestFor(SpecFor(t, 1), kOwnTemplate).spot_allocation_strategy);
}

TEST(CreateFleetRequestFor, PrioritizedStrategiesRankTypesInTemplateOrder) {
  hostfactory::Template t = FleetTemplate();
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}};
  t.subnet_ids = {"subnet-0000000a", "subnet-0000000b"};
  t.price_type = PriceType::kHeterogeneous;
  t.allocation_strategy = "capacity-optimized-prioritized";
  ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 4), kOwnTemplate);
  EXPECT_EQ(r.on_demand_allocation_strategy, OnDemandAllocationStrategy::kPrioritized)
      << "the on-demand part follows the same priorities";
  std::vector<std::optional<double>> priorities;
  for (const auto& o : r.launch_template_configs.at(0).overrides) priorities.push_back(o.priority);
  EXPECT_THAT(priorities, ElementsAre(0.0, 0.0, 1.0, 1.0));

  t.price_type = PriceType::kOnDemand;
  t.allocation_strategy = "prioritized";
  r = CreateFleetRequestFor(SpecFor(t, 4), kOwnTemplate);
  EXPECT_EQ(r.on_demand_allocation_strategy, OnDemandAllocationStrategy::kPrioritized);
  EXPECT_EQ(r.launch_template_configs.at(0).overrides.at(2).priority, 1.0);

  t.allocation_strategy = "lowest-price";
  r = CreateFleetRequestFor(SpecFor(t, 4), kOwnTemplate);
  EXPECT_FALSE(r.launch_template_configs.at(0).overrides.at(2).priority.has_value());
}

TEST(CreateFleetRequestFor, AUsersLaunchTemplateIsUsedAsIsAndOverridesOnlyWhatTheTemplateGives) {
  hostfactory::Template t = FleetTemplate();
  t.launch_template_id = "lt-0aaaaaaaaaaaaaaaa";
  t.vm_type.clear();
  t.subnet_ids.clear();
  const RequestLaunchTemplate theirs{"lt-0aaaaaaaaaaaaaaaa", "$Default", false};
  ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 2), theirs);
  ASSERT_THAT(r.launch_template_configs, SizeIs(1));
  EXPECT_EQ(r.launch_template_configs[0].launch_template.id, "lt-0aaaaaaaaaaaaaaaa");
  EXPECT_THAT(r.launch_template_configs[0].overrides, IsEmpty()) << "nothing to override";

  t.subnet_ids = {"subnet-0000000a"};
  r = CreateFleetRequestFor(SpecFor(t, 2), theirs);
  ASSERT_THAT(r.launch_template_configs[0].overrides, SizeIs(1));
  EXPECT_EQ(r.launch_template_configs[0].overrides[0].subnet_id, "subnet-0000000a");
  EXPECT_EQ(r.launch_template_configs[0].overrides[0].instance_type, "");
}

TEST(CreateFleetRequestFor, TheSameSpecGivesTheSameRequestSoItsTokenCanBeReplayed) {
  hostfactory::Template t = FleetTemplate(hostfactory::FleetType::kMaintain);
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}};
  t.price_type = PriceType::kHeterogeneous;
  t.percent_on_demand = 30;
  const ec2::CreateFleetRequest a = CreateFleetRequestFor(SpecFor(t, 5, "req-9"), kOwnTemplate);
  const ec2::CreateFleetRequest b = CreateFleetRequestFor(SpecFor(t, 5, "req-9"), kOwnTemplate);
  EXPECT_EQ(a.client_token, "req-9-1");
  EXPECT_EQ(a.client_token, b.client_token);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.target_capacity.on_demand, b.target_capacity.on_demand);
  EXPECT_EQ(a.target_capacity.spot, b.target_capacity.spot);
  ASSERT_EQ(a.launch_template_configs.at(0).overrides.size(),
            b.launch_template_configs.at(0).overrides.size());
  for (std::size_t i = 0; i < a.launch_template_configs[0].overrides.size(); ++i) {
    EXPECT_EQ(a.launch_template_configs[0].overrides[i].instance_type,
              b.launch_template_configs[0].overrides[i].instance_type);
  }
}

// ---- The arithmetic ----

TEST(OnDemandCapacityFor, RoundsInFavourOfOnDemandAndClamps) {
  EXPECT_EQ(OnDemandCapacityFor(3, 50), 2);
  EXPECT_EQ(OnDemandCapacityFor(10, 25), 3);
  EXPECT_EQ(OnDemandCapacityFor(10, 0), 0);
  EXPECT_EQ(OnDemandCapacityFor(10, 100), 10);
  EXPECT_EQ(OnDemandCapacityFor(10, 150), 10);
  EXPECT_EQ(OnDemandCapacityFor(10, -20), 0);
  EXPECT_EQ(OnDemandCapacityFor(0, 50), 0);
  EXPECT_EQ(OnDemandCapacityFor(2000000000, 99), 1980000000) << "no overflow";
}

TEST(WeightTags, RoundTripThroughTheFleetsTags) {
  const std::vector<std::pair<std::string, double>> types = {
      {"c5.xlarge", 2.0}, {"c5.large", 1.0}, {"m5.large", 0.5}, {"t3.micro", 0.125}};
  const std::vector<Tag> tags = WeightTags(types);
  EXPECT_THAT(tags, ElementsAre(Tag{"ohfp:weights",
                                    "c5.xlarge=2,c5.large=1,m5.large=0.5,"
                                    "t3.micro=0.125"}));
  EXPECT_EQ(
      WeightsFromTags(tags),
      (WeightMap{{"c5.xlarge", 2.0}, {"c5.large", 1.0}, {"m5.large", 0.5}, {"t3.micro", 0.125}}));
  EXPECT_THAT(WeightTags({}), IsEmpty()) << "no vmTypes: no tag";
  EXPECT_THAT(WeightsFromTags({}), IsEmpty());
}

TEST(WeightTags, ManyTypesAreSplitOverTagsOfAtMost256Characters) {
  std::vector<std::pair<std::string, double>> types;
  WeightMap expected;
  for (int i = 0; i < 40; ++i) {
    const std::string type = "m" + std::to_string(i) + "gd.metal-48xlarge";
    types.emplace_back(type, 1.0 + i);
    expected[type] = 1.0 + i;
  }
  const std::vector<Tag> tags = WeightTags(types);
  ASSERT_GE(tags.size(), 3U);
  EXPECT_EQ(tags[0].key, "ohfp:weights");
  EXPECT_EQ(tags[1].key, "ohfp:weights:2");
  EXPECT_EQ(tags[2].key, "ohfp:weights:3");
  for (const Tag& t : tags) {
    EXPECT_LE(t.value.size(), 256U) << t.key;
    EXPECT_NE(t.value.back(), ',') << t.key;
  }
  EXPECT_EQ(WeightsFromTags(tags), expected);
}

TEST(WeightsFromTags, IgnoresOtherTagsAndMalformedEntries) {
  const WeightMap weights =
      WeightsFromTags({{"ohfp:request-id", "req-1"},
                       {"ohfp:weight:c5.large", "7"},  // the Spot Fleet handler's tag
                       {"ohfp:weightsx", "c5.large=9"},
                       {"ohfp:weights", "c5.xlarge=2,bad,=3,m5.large=two,zero=0,neg=-1,t=2x"},
                       {"ohfp:weights:2", "m5.xlarge=4"}});
  EXPECT_EQ(weights, (WeightMap{{"c5.xlarge", 2.0}, {"m5.xlarge", 4.0}}));
}

ec2::Fleet MaintainFleet(int target, double fulfilled,
                         std::optional<int> on_demand = std::nullopt) {
  ec2::Fleet f;
  f.fleet_id = "fleet-1";
  f.state = FleetState::kActive;
  f.type = FleetType::kMaintain;
  f.target_capacity.total = target;
  f.target_capacity.on_demand = on_demand;
  if (on_demand) f.target_capacity.spot = target - *on_demand;
  f.fulfilled_capacity = fulfilled;
  f.fulfilled_on_demand_capacity = on_demand ? std::min<double>(fulfilled, *on_demand) : 0.0;
  return f;
}

ec2::Instance Live(const std::string& id, const std::string& type = "c5.large",
                   const std::string& lifecycle = "", const std::string& state = "running") {
  ec2::Instance i;
  i.instance_id = id;
  i.instance_type = type;
  i.lifecycle = lifecycle;
  i.state = state;
  return i;
}

TEST(LoweredTarget, AFulfilledFleetKeepsExactlyWhatRemains) {
  const ec2::TargetCapacity t =
      LoweredTarget(MaintainFleet(4, 4, 4), {Live("i-1"), Live("i-2")}, {}, Undelivered::kKeep);
  EXPECT_EQ(t.total, 2);
  EXPECT_EQ(t.on_demand, 2);
  EXPECT_EQ(t.spot, 0);
  EXPECT_EQ(LoweredTarget(MaintainFleet(4, 4, 4), {}, {}, Undelivered::kKeep).total, 0);
}

TEST(LoweredTarget, AFleetShortOfItsTargetStillOwesWhatItLackedUnlessDropped) {
  // 2 of 4 came; one is released: 1 remains, 2 are still owed.
  EXPECT_EQ(LoweredTarget(MaintainFleet(4, 2), {Live("i-1")}, {}, Undelivered::kKeep).total, 3);
  EXPECT_EQ(LoweredTarget(MaintainFleet(4, 2), {Live("i-1")}, {}, Undelivered::kDrop).total, 1);
}

TEST(LoweredTarget, OnlyLiveInstancesCount) {
  const ec2::TargetCapacity t = LoweredTarget(
      MaintainFleet(4, 4),
      {Live("i-1"), Live("i-2", "c5.large", "", "pending"),
       Live("i-3", "c5.large", "", "shutting-down"), Live("i-4", "c5.large", "", "terminated")},
      {}, Undelivered::kDrop);
  EXPECT_EQ(t.total, 2);
}

TEST(LoweredTarget, WeightedUnitsRoundDownAndNeverRaiseTheTarget) {
  const WeightMap weights{{"c5.xlarge", 2.0}, {"m5.large", 0.5}};
  EXPECT_EQ(LoweredTarget(MaintainFleet(6, 6), {Live("i-1", "c5.xlarge"), Live("i-2", "m5.large")},
                          weights, Undelivered::kKeep)
                .total,
            2)
      << "2.5 units kept: 2";
  EXPECT_EQ(LoweredTarget(MaintainFleet(3, 4), {Live("i-1", "c5.xlarge"), Live("i-2", "c5.xlarge")},
                          weights, Undelivered::kKeep)
                .total,
            3)
      << "an overshoot of 4 units for 3: never above the current target";
  EXPECT_EQ(
      LoweredTarget(MaintainFleet(4, 4), {Live("i-1", "t3.micro")}, weights, Undelivered::kKeep)
          .total,
      1)
      << "a type without a weight counts 1";
}

TEST(LoweredTarget, TheOnDemandSplitFollowsTheRemainingInstancesLifecycles) {
  // 2 on-demand + 2 spot; one on-demand and one spot remain.
  ec2::TargetCapacity t =
      LoweredTarget(MaintainFleet(4, 4, 2), {Live("i-od"), Live("i-spot", "c5.large", "spot")}, {},
                    Undelivered::kKeep);
  EXPECT_EQ(t.total, 2);
  EXPECT_EQ(t.on_demand, 1);
  EXPECT_EQ(t.spot, 1);
  // Only spot remains.
  t = LoweredTarget(MaintainFleet(4, 4, 2), {Live("i-spot", "c5.large", "spot")}, {},
                    Undelivered::kKeep);
  EXPECT_EQ(t.total, 1);
  EXPECT_EQ(t.on_demand, 0);
  EXPECT_EQ(t.spot, 1);
  // No split on the fleet: none sent.
  t = LoweredTarget(MaintainFleet(4, 4), {Live("i-1")}, {}, Undelivered::kKeep);
  EXPECT_FALSE(t.on_demand.has_value());
  EXPECT_FALSE(t.spot.has_value());
}

// ---- What the request reports ----

ec2::FleetError CapacityError() {
  ec2::FleetError e;
  e.error = resilience::Error(ErrorKind::kCapacity, "InsufficientInstanceCapacity",
                              "We currently do not have sufficient c5.large capacity.");
  e.lifecycle = CapacityType::kOnDemand;
  e.launched_from.overrides.instance_type = "c5.large";
  e.launched_from.overrides.subnet_id = "subnet-0000000a";
  return e;
}

TEST(DescribeFleetError, NamesTheCodeTheMessageAndThePool) {
  EXPECT_EQ(DescribeFleetError(CapacityError()),
            "InsufficientInstanceCapacity: We currently do not have sufficient c5.large "
            "capacity. (c5.large, subnet-0000000a, on-demand)");
  ec2::FleetError bare;
  bare.error = resilience::Error(ErrorKind::kQuota, "VcpuLimitExceeded", "");
  EXPECT_EQ(DescribeFleetError(bare), "VcpuLimitExceeded");
  bare.launched_from.overrides.availability_zone = "us-east-1b";
  bare.lifecycle = CapacityType::kSpot;
  EXPECT_EQ(DescribeFleetError(bare), "VcpuLimitExceeded (us-east-1b, spot)");
}

class FleetObservationTest : public ::testing::Test {
 protected:
  store::RequestRecord Request(const std::string& fleet_id = "fleet-1") const {
    store::RequestRecord r;
    r.id = "req-1";
    r.machine_count = 4;
    r.provider_api = "EC2Fleet";
    r.created_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                       ManualClock::kDefaultWallStart.time_since_epoch())
                       .count();
    r.resource_id = fleet_id;
    r.launch_template_id = "lt-0111";
    return r;
  }
  resilience::SysTime At(std::chrono::seconds after_creation) const {
    return ManualClock::kDefaultWallStart + after_creation;
  }
};

TEST_F(FleetObservationTest, AnOpenFleetShortOfItsTargetIsFulfillingAndSaysWhyItIsShort) {
  for (const FleetState state :
       {FleetState::kSubmitted, FleetState::kActive, FleetState::kModifying}) {
    ec2::Fleet f = MaintainFleet(4, 2);
    f.state = state;
    f.activity_status = ec2::FleetActivityStatus::kPendingFulfillment;
    f.errors = {CapacityError()};
    const Observation seen =
        FleetObservation(Request(), f, {Live("i-1"), Live("i-2")}, At(std::chrono::seconds(5)));
    EXPECT_TRUE(seen.fulfilling) << ec2::WireName(state);
    EXPECT_THAT(seen.errors, ElementsAre(HasSubstr("InsufficientInstanceCapacity")));
    EXPECT_EQ(seen.resource_id, "fleet-1");
    EXPECT_EQ(seen.launch_template_id, "lt-0111");
    EXPECT_THAT(seen.instances, SizeIs(2));
    EXPECT_FALSE(seen.running_capacity.has_value()) << "unweighted: machines count";
  }
}

TEST_F(FleetObservationTest, AFleetAtItsTargetOrSaidToBeFulfilledIsNotFulfilling) {
  EXPECT_FALSE(FleetObservation(Request(), MaintainFleet(4, 4), {}, At({})).fulfilling);
  ec2::Fleet f = MaintainFleet(4, 2);
  f.type = FleetType::kRequest;
  f.activity_status = ec2::FleetActivityStatus::kFulfilled;
  EXPECT_FALSE(FleetObservation(Request(), f, {}, At({})).fulfilling);
}

TEST_F(FleetObservationTest, AnInstantFleetIsNeverFulfillingAndReportsItsPoolErrors) {
  ec2::Fleet f = MaintainFleet(4, 1);
  f.type = FleetType::kInstant;
  f.errors = {CapacityError()};
  const Observation seen = FleetObservation(Request(), f, {Live("i-1")}, At({}));
  EXPECT_FALSE(seen.fulfilling) << "it launched all it ever will";
  EXPECT_THAT(seen.errors, ElementsAre(DescribeFleetError(CapacityError())));
}

TEST_F(FleetObservationTest, AFailedOrDeletedFleetShortOfItsTargetSaysSo) {
  ec2::Fleet f = MaintainFleet(4, 0);
  f.type = FleetType::kRequest;
  f.state = FleetState::kFailed;
  Observation seen = FleetObservation(Request(), f, {}, At({}));
  EXPECT_FALSE(seen.fulfilling);
  EXPECT_THAT(seen.errors, ElementsAre("EC2 Fleet fleet-1 is failed with 0 of 4 units"));

  f = MaintainFleet(4, 2.5);
  f.state = FleetState::kDeletedRunning;  // deleted by someone else
  seen = FleetObservation(Request(), f, {}, At({}));
  EXPECT_FALSE(seen.fulfilling);
  EXPECT_THAT(seen.errors, ElementsAre("EC2 Fleet fleet-1 is deleted_running with 2.5 of 4 units"));

  f = MaintainFleet(4, 4);
  f.state = FleetState::kDeletedRunning;
  EXPECT_THAT(FleetObservation(Request(), f, {}, At({})).errors, IsEmpty()) << "nothing missing";
}

TEST_F(FleetObservationTest, ARecordedFleetNotListedYetIsFulfillingUntilTheGraceEnds) {
  Observation seen =
      FleetObservation(Request("fleet-9"), std::nullopt, {}, At(std::chrono::seconds(10)));
  EXPECT_TRUE(seen.fulfilling) << "EC2 lists a new fleet eventually";
  EXPECT_THAT(seen.errors, IsEmpty());
  seen = FleetObservation(Request("fleet-9"), std::nullopt, {},
                          At(kEc2FleetVisibilityGrace + std::chrono::seconds(1)));
  EXPECT_FALSE(seen.fulfilling);
  EXPECT_THAT(seen.errors, ElementsAre("EC2 Fleet fleet-9 no longer exists"));
}

TEST_F(FleetObservationTest, NoFleetRecordedAndNoneFoundIsNotFulfilling) {
  const Observation seen = FleetObservation(Request(""), std::nullopt, {}, At({}));
  EXPECT_FALSE(seen.fulfilling);
  EXPECT_THAT(seen.errors, IsEmpty());
  EXPECT_EQ(seen.resource_id, "");
}

TEST_F(FleetObservationTest, AWeightedFleetReportsTheUnitsOfItsRunningInstances) {
  ec2::Fleet f = MaintainFleet(5, 5);
  f.tags = WeightTags({{"c5.xlarge", 2.0}, {"c5.large", 1.0}});
  const Observation seen = FleetObservation(
      Request(), f,
      {Live("i-a", "c5.xlarge"), Live("i-b", "c5.xlarge"), Live("i-c", "c5.large", "", "pending"),
       Live("i-d", "t3.micro"), Live("i-e", "c5.xlarge", "", "terminated")},
      At({}));
  EXPECT_EQ(seen.running_capacity, 5.0) << "2 + 2 + 1 (no weight): pending and gone do not count";
}

// ---- The handler over a fake EC2 ----

struct FakeInstance {
  std::string type = "c5.large";
  std::string state = "running";
  std::string lifecycle{};  // "spot" or empty
  std::vector<Tag> tags{};
};

struct FakePoolError {
  std::string code;
  std::string message;
};

struct FakeFleet {
  std::string id{};
  std::string state = "active";
  std::string type = "maintain";
  int target = 0;
  std::optional<int> on_demand_target{};
  double fulfilled = 0;
  std::string activity{};
  std::vector<Tag> tags{};
  std::vector<std::string> members{};
  std::vector<FakePoolError> errors{};
};

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string TagSet(const std::vector<Tag>& tags) {
  std::string out = "<tagSet>";
  for (const Tag& t : tags) {
    out += "<item><key>" + t.key + "</key><value>" + t.value + "</value></item>";
  }
  return out + "</tagSet>";
}

bool HasTag(const std::vector<Tag>& tags, const std::string& key, const std::string& value) {
  return std::any_of(tags.begin(), tags.end(),
                     [&](const Tag& t) { return t.key == key && t.value == value; });
}

// A small EC2 for the EC2 Fleet handler: what AWS answers, as a state machine in memory.
class FakeEc2 final : public aws::HttpTransport {
 public:
  using Params = std::map<std::string, std::string>;

  std::map<std::string, FakeInstance> instances;
  std::vector<FakeFleet> fleets;
  std::map<std::string, std::pair<std::string, std::vector<Tag>>> templates;  // name -> id, tags
  // CreateFleet: refuse with this code (HTTP 400); else launch this many instances at once (an
  // instant fleet: also an errorSet item per `pool_errors` entry).
  std::string refuse_create_with{};
  int launch_at_once = 0;
  std::vector<FakePoolError> pool_errors{};
  // The next N TerminateInstances / ModifyFleet calls fail (HTTP 503, or this code with 400).
  int terminate_failures = 0;
  std::string refuse_modify_with{};
  std::vector<std::pair<std::string, Params>> calls;

  resilience::Result<aws::HttpResponse> Send(const aws::HttpRequest& request, resilience::Deadline,
                                             std::stop_token) override {
    std::lock_guard lock(mu_);
    Params p;
    std::string_view body = request.body;
    while (!body.empty()) {
      const std::size_t amp = body.find('&');
      const std::string_view pair = body.substr(0, amp);
      const std::size_t eq = pair.find('=');
      p[PercentDecode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      body.remove_prefix(amp + 1);
    }
    const std::string action = p["Action"];
    calls.emplace_back(action, p);
    return Answer(action, p);
  }

  std::vector<Params> Calls(std::string_view action) const {
    std::vector<Params> out;
    for (const auto& [a, p] : calls) {
      if (a == action) out.push_back(p);
    }
    return out;
  }
  std::vector<std::string> Actions() const {
    std::vector<std::string> out;
    for (const auto& [a, p] : calls) out.push_back(a);
    return out;
  }
  FakeFleet* Fleet(const std::string& id) {
    for (FakeFleet& f : fleets) {
      if (f.id == id) return &f;
    }
    return nullptr;
  }
  // Adds a running fleet member with these tags.
  void AddMember(FakeFleet& fleet, const std::string& id, std::vector<Tag> tags,
                 std::string type = "c5.large", std::string lifecycle = "") {
    instances[id] = FakeInstance{std::move(type), "running", std::move(lifecycle), std::move(tags)};
    fleet.members.push_back(id);
  }

 private:
  static std::vector<std::string> List(const Params& p, const std::string& prefix) {
    std::vector<std::string> out;
    for (int i = 1;; ++i) {
      auto it = p.find(prefix + "." + std::to_string(i));
      if (it == p.end()) return out;
      out.push_back(it->second);
    }
  }
  static std::vector<Tag> Tags(const Params& p, const std::string& prefix) {
    std::vector<Tag> out;
    for (int i = 1;; ++i) {
      auto k = p.find(prefix + "." + std::to_string(i) + ".Key");
      if (k == p.end()) return out;
      out.push_back({k->second, p.at(prefix + "." + std::to_string(i) + ".Value")});
    }
  }
  // The tags of TagSpecification.N whose ResourceType is `type`.
  static std::vector<Tag> TagsFor(const Params& p, const std::string& type) {
    for (int i = 1;; ++i) {
      const std::string spec = "TagSpecification." + std::to_string(i);
      auto it = p.find(spec + ".ResourceType");
      if (it == p.end()) return {};
      if (it->second == type) return Tags(p, spec + ".Tag");
    }
  }
  static aws::HttpResponse Ok(const std::string& action, const std::string& inner) {
    return {200,
            {},
            "<" + action +
                "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                "<requestId>r-1</requestId>" +
                inner + "</" + action + "Response>"};
  }
  static aws::HttpResponse Err(int status, const std::string& code) {
    return {status,
            {},
            "<Response><Errors><Error><Code>" + code + "</Code><Message>" + code +
                " (fake)</Message></Error></Errors><RequestID>r-2</RequestID></Response>"};
  }
  static void SetTags(std::vector<Tag>& tags, const std::vector<Tag>& add) {
    for (const Tag& a : add) {
      auto it =
          std::find_if(tags.begin(), tags.end(), [&](const Tag& t) { return t.key == a.key; });
      if (it == tags.end()) {
        tags.push_back(a);
      } else {
        it->value = a.value;
      }
    }
  }
  static std::string ErrorItem(const FakePoolError& e) {
    return "<item><launchTemplateAndOverrides><overrides><instanceType>c5.large</instanceType>"
           "<subnetId>subnet-0000000a</subnetId></overrides></launchTemplateAndOverrides>"
           "<lifecycle>on-demand</lifecycle><errorCode>" +
           e.code + "</errorCode><errorMessage>" + e.message + "</errorMessage></item>";
  }
  std::string InstanceXml(const std::string& id, const FakeInstance& i) const {
    return "<item><instanceId>" + id + "</instanceId><instanceType>" + i.type +
           "</instanceType><instanceState><name>" + i.state + "</name></instanceState>" +
           (i.lifecycle.empty() ? ""
                                : "<instanceLifecycle>" + i.lifecycle + "</instanceLifecycle>") +
           TagSet(i.tags) + "</item>";
  }
  std::string FleetInstanceSet(const FakeFleet& f) const {
    if (f.members.empty()) return "<fleetInstanceSet/>";
    std::string ids;
    for (const std::string& id : f.members) ids += "<item>" + id + "</item>";
    return "<fleetInstanceSet><item><instanceIds>" + ids +
           "</instanceIds><instanceType>c5.large</instanceType><lifecycle>on-demand</lifecycle>"
           "</item></fleetInstanceSet>";
  }
  std::string FleetXml(const FakeFleet& f) const {
    std::string errors;
    for (const FakePoolError& e : f.errors) errors += ErrorItem(e);
    return "<item><fleetId>" + f.id + "</fleetId><fleetState>" + f.state + "</fleetState>" +
           (f.activity.empty() ? "" : "<activityStatus>" + f.activity + "</activityStatus>") +
           "<type>" + f.type + "</type><targetCapacitySpecification><totalTargetCapacity>" +
           std::to_string(f.target) + "</totalTargetCapacity>" +
           (f.on_demand_target
                ? "<onDemandTargetCapacity>" + std::to_string(*f.on_demand_target) +
                      "</onDemandTargetCapacity><spotTargetCapacity>" +
                      std::to_string(f.target - *f.on_demand_target) + "</spotTargetCapacity>"
                : "") +
           "</targetCapacitySpecification><fulfilledCapacity>" + std::to_string(f.fulfilled) +
           "</fulfilledCapacity>" + TagSet(f.tags) + "<errorSet>" + errors + "</errorSet>" +
           (f.type == "instant" ? FleetInstanceSet(f) : "") + "</item>";
  }
  void Terminate(const std::string& id) {
    FakeInstance& i = instances.at(id);
    if (i.state == "shutting-down" || i.state == "terminated") return;
    i.state = "shutting-down";
    for (FakeFleet& f : fleets) {
      if (std::find(f.members.begin(), f.members.end(), id) != f.members.end()) f.fulfilled -= 1;
    }
  }

  aws::HttpResponse Answer(const std::string& action, const Params& p) {
    if (action == "CreateLaunchTemplate") {
      const std::string name = p.at("LaunchTemplateName");
      if (templates.count(name) != 0) {
        return Err(400, "InvalidLaunchTemplateName.AlreadyExistsException");
      }
      const std::string id = "lt-0" + std::to_string(100000000 + templates.size());
      templates[name] = {id, TagsFor(p, "launch-template")};
      return Ok(action, "<launchTemplate><launchTemplateId>" + id +
                            "</launchTemplateId><launchTemplateName>" + name +
                            "</launchTemplateName></launchTemplate>");
    }
    if (action == "DescribeLaunchTemplates") {
      std::string items;
      for (const auto& [name, lt] : templates) {
        auto filter = p.find("Filter.1.Name");
        if (filter != p.end()) {
          const std::string key = filter->second.substr(4);  // "tag:"
          if (!HasTag(lt.second, key, p.at("Filter.1.Value.1"))) continue;
        }
        const std::vector<std::string> names = List(p, "LaunchTemplateName");
        if (!names.empty() && names[0] != name) continue;
        items += "<item><launchTemplateId>" + lt.first + "</launchTemplateId><launchTemplateName>" +
                 name + "</launchTemplateName>" + TagSet(lt.second) + "</item>";
      }
      return Ok(action, "<launchTemplates>" + items + "</launchTemplates>");
    }
    if (action == "DeleteLaunchTemplate") {
      for (auto it = templates.begin(); it != templates.end(); ++it) {
        if (it->second.first == p.at("LaunchTemplateId")) {
          const std::string xml = "<launchTemplate><launchTemplateId>" + it->second.first +
                                  "</launchTemplateId></launchTemplate>";
          templates.erase(it);
          return Ok(action, xml);
        }
      }
      return Err(400, "InvalidLaunchTemplateId.NotFound");
    }
    if (action == "CreateFleet") {
      if (!refuse_create_with.empty()) return Err(400, refuse_create_with);
      FakeFleet f;
      f.id = "fleet-" + std::to_string(1000 + fleets.size());
      f.type = p.at("Type");
      f.target = std::stoi(p.at("TargetCapacitySpecification.TotalTargetCapacity"));
      if (p.count("TargetCapacitySpecification.OnDemandTargetCapacity") != 0) {
        f.on_demand_target = std::stoi(p.at("TargetCapacitySpecification.OnDemandTargetCapacity"));
      }
      f.tags = TagsFor(p, "fleet");
      // An instant fleet tags its instances as asked; the others with the launch template's tags
      // (none for a template ohfp did not create).
      std::vector<Tag> instance_tags = TagsFor(p, "instance");
      if (f.type != "instant") {
        const std::string lt =
            p.at("LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateId");
        for (const auto& [name, t] : templates) {
          if (t.first == lt) instance_tags = t.second;
        }
      }
      fleets.push_back(f);
      FakeFleet& added = fleets.back();
      for (int i = 0; i < launch_at_once; ++i) {
        AddMember(added, "i-" + added.id.substr(6) + "-" + std::to_string(i), instance_tags);
        added.fulfilled += 1;
      }
      std::string answer = "<fleetId>" + added.id + "</fleetId>";
      if (added.type == "instant") {
        added.errors = pool_errors;
        std::string errors;
        for (const FakePoolError& e : pool_errors) errors += ErrorItem(e);
        answer += "<errorSet>" + errors + "</errorSet>" + FleetInstanceSet(added);
      }
      return Ok(action, answer);
    }
    if (action == "DescribeFleets") {
      const std::vector<std::string> ids = List(p, "FleetId");
      std::string items;
      for (const FakeFleet& f : fleets) {
        if (ids.empty() || std::find(ids.begin(), ids.end(), f.id) != ids.end())
          items += FleetXml(f);
      }
      return Ok(action, "<fleetSet>" + items + "</fleetSet>");
    }
    if (action == "DescribeFleetInstances") {
      FakeFleet* f = Fleet(p.at("FleetId"));
      if (f == nullptr) return Err(400, "InvalidFleetId.NotFound");
      if (f->type == "instant") return Err(400, "InvalidParameterValue");  // AWS: not supported
      std::string items;
      for (const std::string& id : f->members) {
        const FakeInstance& i = instances.at(id);
        if (i.state != "pending" && i.state != "running") continue;
        items += "<item><instanceId>" + id + "</instanceId><instanceType>" + i.type +
                 "</instanceType><instanceHealth>healthy</instanceHealth></item>";
      }
      return Ok(action, "<activeInstanceSet>" + items + "</activeInstanceSet><fleetId>" + f->id +
                            "</fleetId>");
    }
    if (action == "ModifyFleet") {
      FakeFleet* f = Fleet(p.at("FleetId"));
      if (f == nullptr) return Err(400, "InvalidFleetId.NotFound");
      if (!refuse_modify_with.empty()) return Err(400, refuse_modify_with);
      if (f->type != "maintain") return Err(400, "InvalidParameterValue");  // maintain only
      f->target = std::stoi(p.at("TargetCapacitySpecification.TotalTargetCapacity"));
      if (p.count("TargetCapacitySpecification.OnDemandTargetCapacity") != 0) {
        f->on_demand_target = std::stoi(p.at("TargetCapacitySpecification.OnDemandTargetCapacity"));
      }
      return Ok(action, "<return>true</return>");
    }
    if (action == "DeleteFleets") {
      const bool terminate = p.at("TerminateInstances") == "true";
      std::string ok;
      std::string failed;
      for (const std::string& id : List(p, "FleetId")) {
        FakeFleet* f = Fleet(id);
        if (f == nullptr) {
          failed += "<item><fleetId>" + id +
                    "</fleetId><error><code>fleetIdDoesNotExist</code><message>no such fleet"
                    "</message></error></item>";
          continue;
        }
        if (f->type == "instant" && !terminate) return Err(400, "InvalidParameterCombination");
        const std::string previous = f->state;
        f->state = terminate ? "deleted_terminating" : "deleted_running";
        if (terminate) {
          for (const std::string& m : f->members) Terminate(m);
        }
        ok += "<item><fleetId>" + id + "</fleetId><currentFleetState>" + f->state +
              "</currentFleetState><previousFleetState>" + previous +
              "</previousFleetState></item>";
      }
      return Ok(action, "<successfulFleetDeletionSet>" + ok +
                            "</successfulFleetDeletionSet><unsuccessfulFleetDeletionSet>" + failed +
                            "</unsuccessfulFleetDeletionSet>");
    }
    if (action == "DescribeInstances") {
      std::string items;
      const std::string name = p.count("Filter.1.Name") != 0 ? p.at("Filter.1.Name") : "";
      const std::vector<std::string> values = List(p, "Filter.1.Value");
      for (const auto& [id, i] : instances) {
        bool match = false;
        for (const std::string& v : values) {
          if (name == "instance-id" && v == id) match = true;
          if (name.starts_with("tag:") && HasTag(i.tags, name.substr(4), v)) match = true;
        }
        if (match) items += InstanceXml(id, i);
      }
      return Ok(action, "<reservationSet><item><instancesSet>" + items +
                            "</instancesSet></item></reservationSet>");
    }
    if (action == "TerminateInstances") {
      if (terminate_failures > 0) {
        --terminate_failures;
        return Err(503, "Unavailable");
      }
      const std::vector<std::string> ids = List(p, "InstanceId");
      for (const std::string& id : ids) {
        if (instances.count(id) == 0) return Err(400, "InvalidInstanceID.NotFound");
      }
      std::string items;
      for (const std::string& id : ids) {
        const std::string previous = instances.at(id).state;
        Terminate(id);
        items += "<item><instanceId>" + id + "</instanceId><previousState><name>" + previous +
                 "</name></previousState><currentState><name>" + instances.at(id).state +
                 "</name></currentState></item>";
      }
      return Ok(action, "<instancesSet>" + items + "</instancesSet>");
    }
    if (action == "CreateTags") {
      const std::vector<Tag> tags = Tags(p, "Tag");
      for (const std::string& id : List(p, "ResourceId")) {
        if (instances.count(id) != 0) SetTags(instances[id].tags, tags);
      }
      return Ok(action, "<return>true</return>");
    }
    return Err(400, "InvalidAction");
  }

  std::mutex mu_;
};

// Every attempt's operation and breaker (service).
class OperationLog final : public resilience::ResilienceObserver {
 public:
  void OnAttempt(const resilience::AttemptEvent& e) override {
    std::lock_guard lock(mu_);
    seen_.emplace_back(std::string(e.operation), std::string(e.service));
  }
  std::vector<std::pair<std::string, std::string>> Seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> seen_;
};

class Ec2FleetHandlerTest : public ::testing::Test {
 protected:
  Ec2FleetHandlerTest()
      : credentials_(aws::Credentials{.access_key_id = "AKIDEXAMPLE", .secret_access_key = "s"}),
        pipeline_(Config(), {clock_, random_, store_, &operations_}) {
    std::array<aws::Endpoint, aws::kAwsServiceCount> endpoints;
    endpoints[0] = {"http://127.0.0.1:9999", "127.0.0.1:9999", "ec2", "us-east-1", "test"};
    endpoints[1] = {"http://127.0.0.1:9998", "127.0.0.1:9998", "autoscaling", "us-east-1", "test"};
    endpoints[2] = {"http://127.0.0.1:9997", "127.0.0.1:9997", "monitoring", "us-east-1", "test"};
    client_ =
        std::make_unique<aws::AwsClient>("us-east-1", endpoints,
                                         aws::AwsClientDependencies{.transport = ec2_,
                                                                    .credentials = credentials_,
                                                                    .clock = clock_,
                                                                    .pipeline = pipeline_});
    handler_ = std::make_unique<Ec2FleetHandler>(*client_, clock_);
  }
  static resilience::ResilienceConfig Config() {
    resilience::ResilienceConfig c;
    c.retry.default_backoff.jitter = resilience::JitterMode::kNone;
    c.circuit_breaker.defaults.failure_threshold = 1000;
    return c;
  }
  // A request record as the store holds it after a launch.
  store::RequestRecord Request(const std::string& id, const std::string& fleet_id = "") {
    store::RequestRecord r;
    r.id = id;
    r.template_id = "Fleet-C5";
    r.machine_count = 4;
    r.provider_api = "EC2Fleet";
    r.created_at =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.SystemNow().time_since_epoch())
            .count();
    r.resource_id = fleet_id;
    return r;
  }
  // A fleet of `n` running instances tagged with `request_id`, fulfilled.
  FakeFleet& Fleet(const std::string& request_id, int n, std::string type = "maintain") {
    FakeFleet f;
    f.id = "fleet-" + std::to_string(7000 + ec2_.fleets.size());
    f.target = n;
    f.fulfilled = n;
    f.type = std::move(type);
    f.tags = RequestTags(request_id);
    ec2_.fleets.push_back(f);
    FakeFleet& added = ec2_.fleets.back();
    for (int i = 0; i < n; ++i) {
      ec2_.AddMember(added, "i-" + std::to_string(i) + added.id.substr(6), RequestTags(request_id));
    }
    return added;
  }
  long Position(const char* action) const {
    const std::vector<std::string> actions = ec2_.Actions();
    return std::distance(actions.begin(), std::find(actions.begin(), actions.end(), action));
  }
  static std::vector<std::string> Terminated(const FakeEc2::Params& call) {
    std::vector<std::string> out;
    for (int i = 1; call.count("InstanceId." + std::to_string(i)) != 0; ++i) {
      out.push_back(call.at("InstanceId." + std::to_string(i)));
    }
    return out;
  }

  ManualClock clock_;
  resilience::SeededRandom random_{3};
  resilience::InMemoryStateStore store_;
  OperationLog operations_;
  FakeEc2 ec2_;
  aws::StaticCredentialsProvider credentials_;
  resilience::ResiliencePipeline pipeline_;
  std::unique_ptr<aws::AwsClient> client_;
  std::unique_ptr<Ec2FleetHandler> handler_;
};

TEST_F(Ec2FleetHandlerTest, LaunchCreatesTheTemplateThenTheFleetWithTheAttemptsToken) {
  const hostfactory::Template t = FleetTemplate(hostfactory::FleetType::kRequest);
  ec2_.launch_at_once = 2;
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_THAT(ec2_.Actions(), ElementsAre("CreateLaunchTemplate", "CreateFleet"));
  ASSERT_EQ(ec2_.templates.count("ohfp-req-1"), 1U);
  EXPECT_EQ(out->launch_template_id, ec2_.templates["ohfp-req-1"].first);
  EXPECT_EQ(ec2_.Calls("CreateLaunchTemplate").at(0).at("ClientToken"), "req-1-lt");
  ASSERT_THAT(ec2_.fleets, SizeIs(1));
  EXPECT_EQ(out->resource_id, ec2_.fleets[0].id);
  EXPECT_THAT(out->instances, IsEmpty()) << "a request fleet launches asynchronously";
  EXPECT_THAT(out->errors, IsEmpty());
  const FakeEc2::Params sent = ec2_.Calls("CreateFleet").at(0);
  EXPECT_EQ(sent.at("ClientToken"), "req-1-1");
  EXPECT_EQ(sent.at("LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateId"),
            out->launch_template_id);
  EXPECT_EQ(ec2_.fleets[0].tags, RequestTags("req-1"));
}

TEST_F(Ec2FleetHandlerTest, AnInstantFleetReportsItsInstancesAndThePoolsItCouldNotFill) {
  const hostfactory::Template t = FleetTemplate(hostfactory::FleetType::kInstant);
  ec2_.launch_at_once = 1;
  ec2_.pool_errors = {{"InsufficientInstanceCapacity", "no c5.large"}};
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_THAT(out->instances, SizeIs(1));
  EXPECT_EQ(out->instances[0].state, "running") << "the full record, from DescribeInstances";
  EXPECT_EQ(out->instances[0].TagValue("ohfp:request-id"), "req-1");
  EXPECT_THAT(out->errors, ElementsAre("InsufficientInstanceCapacity: no c5.large (c5.large, "
                                       "subnet-0000000a, on-demand)"));
  EXPECT_EQ(out->resource_id, ec2_.fleets.at(0).id);
  EXPECT_TRUE(ec2_.Calls("DeleteFleets").empty()) << "it holds a machine";
  EXPECT_TRUE(ec2_.Calls("CreateTags").empty()) << "the fleet tagged it already";
}

TEST_F(Ec2FleetHandlerTest, AnInstantFleetWithoutCapacityIsDeletedAtOnceAndTheReasonKept) {
  const hostfactory::Template t = FleetTemplate(hostfactory::FleetType::kInstant);
  ec2_.pool_errors = {{"InsufficientInstanceCapacity", "no c5.large"}};
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(t, 3, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_THAT(out->instances, IsEmpty());
  EXPECT_THAT(out->errors, ElementsAre(HasSubstr("InsufficientInstanceCapacity: no c5.large")));
  const std::vector<FakeEc2::Params> deleted = ec2_.Calls("DeleteFleets");
  ASSERT_THAT(deleted, SizeIs(1));
  EXPECT_EQ(deleted[0].at("TerminateInstances"), "true") << "AWS deletes instant fleets so only";
  EXPECT_EQ(ec2_.fleets.at(0).state, "deleted_terminating");
  EXPECT_TRUE(ec2_.templates.empty()) << "nothing will launch from ohfp's template";
  EXPECT_EQ(out->resource_id, "") << "a deleted fleet that held nothing is not the request's";
}

TEST_F(Ec2FleetHandlerTest, AnInstantFleetRefusedForWhatTheTemplateSaysFailsTheLaunch) {
  const hostfactory::Template t = FleetTemplate(hostfactory::FleetType::kInstant);
  ec2_.pool_errors = {{"InvalidAMIID.NotFound", "The image id '[ami-12345678]' does not exist"}};
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(t, 3, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(out.error().ToString(), HasSubstr("ami-12345678"));
  EXPECT_THAT(out.error().ToString(), HasSubstr("the instant fleet launched nothing"));
  EXPECT_EQ(ec2_.fleets.at(0).state, "deleted_terminating");
  EXPECT_TRUE(ec2_.templates.empty());
}

TEST_F(Ec2FleetHandlerTest, ARefusedCreateFleetIsTheLaunchsErrorAndDeletesOhfpsTemplate) {
  ec2_.refuse_create_with = "InvalidParameterValue";
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(FleetTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kValidation);
  EXPECT_TRUE(ec2_.fleets.empty());
  EXPECT_TRUE(ec2_.templates.empty()) << "no attempt will use it, and nobody would delete it";
}

TEST_F(Ec2FleetHandlerTest, ACapacityRefusalKeepsTheLaunchTemplateForTheNextAttempt) {
  ec2_.refuse_create_with = "InsufficientInstanceCapacity";
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(FleetTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kCapacity);
  EXPECT_EQ(ec2_.templates.count("ohfp-req-1"), 1U);
}

TEST_F(Ec2FleetHandlerTest, LaunchAdoptsTheFleetOfItsTokenOnIdempotentParameterMismatch) {
  const std::string existing = Fleet("req-1", 2, "instant").id;
  const std::vector<std::string> members = ec2_.fleets.back().members;
  ec2_.refuse_create_with = "IdempotentParameterMismatch";
  resilience::Result<LaunchOutcome> out =
      handler_->Launch(SpecFor(FleetTemplate(hostfactory::FleetType::kInstant), 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->resource_id, existing);
  ASSERT_THAT(out->instances, SizeIs(2));
  EXPECT_THAT(
      (std::vector<std::string>{out->instances[0].instance_id, out->instances[1].instance_id}),
      UnorderedElementsAre(members[0], members[1]));
  EXPECT_THAT(ec2_.fleets, SizeIs(1)) << "one fleet, never two";
}

TEST_F(Ec2FleetHandlerTest, AMismatchWithoutAVisibleFleetIsAnUnknownOutcomeNotARefusal) {
  ec2_.refuse_create_with = "IdempotentParameterMismatch";
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(FleetTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kTransient) << out.error().ToString();
  EXPECT_EQ(ec2_.templates.count("ohfp-req-1"), 1U) << "the fleet may exist: its template stays";
}

TEST_F(Ec2FleetHandlerTest, LaunchWithTheUsersLaunchTemplateCreatesNoneAndReportsNone) {
  hostfactory::Template t = FleetTemplate(hostfactory::FleetType::kMaintain);
  t.launch_template_id = "lt-0aaaaaaaaaaaaaaaa";
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_TRUE(ec2_.Calls("CreateLaunchTemplate").empty());
  EXPECT_EQ(out->launch_template_id, "");
  EXPECT_EQ(ec2_.Calls("CreateFleet")
                .at(0)
                .at("LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateId"),
            "lt-0aaaaaaaaaaaaaaaa");
}

TEST_F(Ec2FleetHandlerTest, ObserveFindsTheFleetAndTemplateByTagWhenNoneIsRecorded) {
  Fleet("req-other", 1);
  const FakeFleet& fleet = Fleet("req-1", 2);
  ec2_.templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  resilience::Result<Observation> seen = handler_->Observe(Request("req-1"));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->resource_id, fleet.id);
  EXPECT_EQ(seen->launch_template_id, "lt-0111");
  EXPECT_THAT(seen->instances, SizeIs(2));
  EXPECT_FALSE(seen->fulfilling);
}

TEST_F(Ec2FleetHandlerTest, ObserveReadsAnInstantFleetsMembersFromDescribeFleets) {
  FakeFleet& fleet = Fleet("req-1", 2, "instant");
  ec2_.instances[fleet.members[1]].tags.clear();  // AWS could not tag it
  resilience::Result<Observation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_THAT(seen->instances, SizeIs(2));
  EXPECT_TRUE(ec2_.Calls("DescribeFleetInstances").empty())
      << "AWS does not support DescribeFleetInstances for instant fleets";
  EXPECT_EQ(ec2_.instances[fleet.members[1]].tags, RequestTags("req-1")) << "tagged now";
}

TEST_F(Ec2FleetHandlerTest, FleetMembersLaunchedUntaggedAreTaggedWithTheFleetsTagsButNotWeights) {
  FakeFleet& fleet = Fleet("req-1", 1);
  ec2_.AddMember(fleet, "i-u", {});  // from the user's launch template
  fleet.tags.push_back({"ohfp:weights", "c5.large=1"});
  resilience::Result<Observation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_THAT(seen->instances, SizeIs(2));
  EXPECT_EQ(ec2_.instances["i-u"].tags, RequestTags("req-1"));
  EXPECT_EQ(seen->running_capacity, 2.0);
}

TEST_F(Ec2FleetHandlerTest, AFleetShortOfItsTargetIsFulfillingAndReportsWhy) {
  FakeFleet& fleet = Fleet("req-1", 2);
  fleet.target = 4;
  fleet.activity = "pending_fulfillment";
  fleet.errors = {{"InsufficientInstanceCapacity", "no c5.large"}};
  resilience::Result<Observation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling);
  EXPECT_THAT(seen->errors, ElementsAre(HasSubstr("InsufficientInstanceCapacity: no c5.large")));
}

TEST_F(Ec2FleetHandlerTest, ARecordedFleetNotListedYetIsFulfillingUntilTheGraceEnds) {
  const store::RequestRecord request = Request("req-1", "fleet-9999");
  resilience::Result<Observation> seen = handler_->Observe(request);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling);
  clock_.Advance(kEc2FleetVisibilityGrace + std::chrono::seconds(1));
  seen = handler_->Observe(request);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
  EXPECT_THAT(seen->errors, ElementsAre("EC2 Fleet fleet-9999 no longer exists"));
}

TEST_F(Ec2FleetHandlerTest, ReleaseLowersAMaintainFleetFirstThenTerminatesExactlyTheReleased) {
  FakeFleet& fleet = Fleet("req-1", 4);
  fleet.on_demand_target = 4;
  const std::string id = fleet.id;
  const std::vector<std::string> members = fleet.members;
  ASSERT_TRUE(handler_->Release(Request("req-1", id), {members[0], members[2]}).ok());
  const std::vector<FakeEc2::Params> modify = ec2_.Calls("ModifyFleet");
  ASSERT_THAT(modify, SizeIs(1));
  EXPECT_EQ(modify[0].at("FleetId"), id);
  EXPECT_EQ(modify[0].at("TargetCapacitySpecification.TotalTargetCapacity"), "2");
  EXPECT_EQ(modify[0].at("TargetCapacitySpecification.OnDemandTargetCapacity"), "2");
  EXPECT_EQ(modify[0].at("TargetCapacitySpecification.SpotTargetCapacity"), "0");
  EXPECT_EQ(modify[0].at("ExcessCapacityTerminationPolicy"), "no-termination");
  const std::vector<FakeEc2::Params> terminate = ec2_.Calls("TerminateInstances");
  ASSERT_THAT(terminate, SizeIs(1));
  EXPECT_THAT(Terminated(terminate[0]), UnorderedElementsAre(members[0], members[2]));
  EXPECT_LT(Position("ModifyFleet"), Position("TerminateInstances"))
      << "the target is lowered before anything is terminated";
  EXPECT_EQ(ec2_.instances[members[1]].state, "running");
  EXPECT_EQ(ec2_.instances[members[3]].state, "running");
}

TEST_F(Ec2FleetHandlerTest, ReleaseRepeatedAfterAFailedTerminateLowersTheTargetOnce) {
  FakeFleet& fleet = Fleet("req-1", 2);
  fleet.target = 4;  // short of its target: two more to come
  const std::string id = fleet.id;
  const std::string victim = fleet.members[0];
  ec2_.terminate_failures = 100;  // every attempt of the first call
  EXPECT_FALSE(handler_->Release(Request("req-1", id), {victim}).ok());
  EXPECT_EQ(ec2_.Fleet(id)->target, 3) << "1 remains, 2 still owed";
  ec2_.terminate_failures = 0;
  ASSERT_TRUE(handler_->Release(Request("req-1", id), {victim}).ok());
  EXPECT_EQ(ec2_.Fleet(id)->target, 3) << "lowered once, for one instance";
  EXPECT_THAT(ec2_.Calls("ModifyFleet"), SizeIs(1));
  EXPECT_EQ(ec2_.instances[victim].state, "shutting-down");
}

TEST_F(Ec2FleetHandlerTest, ReleaseTerminatesNothingWhenTheTargetCannotBeLowered) {
  FakeFleet& fleet = Fleet("req-1", 3);
  const std::string victim = fleet.members[0];
  ec2_.refuse_modify_with = "UnauthorizedOperation";
  const resilience::Status s = handler_->Release(Request("req-1", fleet.id), {victim});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kAuthorization);
  EXPECT_TRUE(ec2_.Calls("TerminateInstances").empty())
      << "the fleet would replace it, or pick a victim of its own";
  EXPECT_EQ(ec2_.instances[victim].state, "running");
  EXPECT_FALSE(HasTag(ec2_.instances[victim].tags, "ohfp:released", "true"))
      << "the next Release must still lower the target for it";
  ec2_.refuse_modify_with.clear();
  ASSERT_TRUE(handler_->Release(Request("req-1", fleet.id), {victim}).ok());
  EXPECT_EQ(ec2_.Fleet(fleet.id)->target, 2);
  EXPECT_EQ(ec2_.instances[victim].state, "shutting-down");
}

TEST_F(Ec2FleetHandlerTest, ReleaseFromRequestAndInstantFleetsOnlyTerminates) {
  for (const char* type : {"request", "instant"}) {
    FakeFleet& fleet = Fleet(std::string("req-") + type, 3, type);
    const std::vector<std::string> members = fleet.members;
    ASSERT_TRUE(handler_->Release(Request(std::string("req-") + type, fleet.id), {members[1]}).ok())
        << type;
    EXPECT_TRUE(ec2_.Calls("ModifyFleet").empty()) << type << ": AWS modifies maintain fleets only";
    EXPECT_THAT(Terminated(ec2_.Calls("TerminateInstances").back()), ElementsAre(members[1]));
    EXPECT_EQ(ec2_.instances[members[0]].state, "running");
  }
}

TEST_F(Ec2FleetHandlerTest, ReleaseFromADeletedFleetOnlyTerminatesAndSkipsUnknownIds) {
  FakeFleet& fleet = Fleet("req-1", 2);
  fleet.state = "deleted_running";
  const std::vector<std::string> members = fleet.members;
  ASSERT_TRUE(handler_->Release(Request("req-1", fleet.id), {members[0], "i-gone"}).ok());
  EXPECT_TRUE(ec2_.Calls("ModifyFleet").empty());
  EXPECT_EQ(ec2_.instances[members[0]].state, "shutting-down");
  EXPECT_EQ(ec2_.instances[members[1]].state, "running");
}

TEST_F(Ec2FleetHandlerTest, ReleaseOfWeightedInstancesLowersByTheirWeight) {
  FakeFleet& fleet = Fleet("req-1", 0);
  fleet.target = 6;
  fleet.fulfilled = 6;
  fleet.tags.push_back({"ohfp:weights", "c5.xlarge=2"});
  ec2_.AddMember(fleet, "i-a", RequestTags("req-1"), "c5.xlarge");
  ec2_.AddMember(fleet, "i-b", RequestTags("req-1"), "c5.xlarge");
  ec2_.AddMember(fleet, "i-c", RequestTags("req-1"), "c5.xlarge");
  ASSERT_TRUE(handler_->Release(Request("req-1", fleet.id), {"i-b"}).ok());
  EXPECT_EQ(ec2_.Fleet(fleet.id)->target, 4);
}

TEST_F(Ec2FleetHandlerTest, ShrinkLowersAMaintainFleetToWhatItKeepsWithoutTerminating) {
  FakeFleet& fleet = Fleet("req-1", 2);
  fleet.target = 4;
  const std::string id = fleet.id;
  ASSERT_TRUE(handler_->Shrink(Request("req-1", id), 2).ok());
  EXPECT_EQ(ec2_.Fleet(id)->target, 2);
  EXPECT_EQ(ec2_.Calls("ModifyFleet").at(0).at("ExcessCapacityTerminationPolicy"),
            "no-termination");
  EXPECT_TRUE(ec2_.Calls("TerminateInstances").empty());
  EXPECT_TRUE(ec2_.Calls("DeleteFleets").empty());
  ASSERT_TRUE(handler_->Shrink(Request("req-1", id), 2).ok());
  EXPECT_THAT(ec2_.Calls("ModifyFleet"), SizeIs(1)) << "already there: no call";
}

TEST_F(Ec2FleetHandlerTest, ShrinkStopsARequestFleetByDeletingItWithoutItsInstances) {
  FakeFleet& fleet = Fleet("req-1", 1, "request");
  fleet.target = 3;
  const std::string id = fleet.id;
  const std::string kept = fleet.members[0];
  ASSERT_TRUE(handler_->Shrink(Request("req-1", id), 1).ok());
  EXPECT_TRUE(ec2_.Calls("ModifyFleet").empty()) << "AWS refuses it for request fleets";
  const std::vector<FakeEc2::Params> deleted = ec2_.Calls("DeleteFleets");
  ASSERT_THAT(deleted, SizeIs(1));
  EXPECT_EQ(deleted[0].at("TerminateInstances"), "false");
  EXPECT_EQ(ec2_.Fleet(id)->state, "deleted_running");
  EXPECT_EQ(ec2_.instances[kept].state, "running");
}

TEST_F(Ec2FleetHandlerTest, ShrinkToNothingDeletesTheFleetAndOhfpsTemplateAtOnce) {
  for (const char* type : {"maintain", "request"}) {
    const std::string request_id = std::string("req-") + type;
    FakeFleet& fleet = Fleet(request_id, 0, type);
    fleet.target = 4;
    const std::string id = fleet.id;
    ec2_.templates["ohfp-" + request_id] = {"lt-0" + std::string(type), RequestTags(request_id)};
    ASSERT_TRUE(handler_->Shrink(Request(request_id, id), 0).ok()) << type;
    EXPECT_EQ(ec2_.Fleet(id)->state, "deleted_running") << type;
    EXPECT_EQ(ec2_.templates.count("ohfp-" + request_id), 0U)
        << type << ": no machine will be returned to trigger the cleanup";
  }
  EXPECT_TRUE(ec2_.Calls("ModifyFleet").empty());
  EXPECT_TRUE(ec2_.Calls("TerminateInstances").empty());
}

TEST_F(Ec2FleetHandlerTest, ShrinkOfAFleetNotListedYetFailsSoTheServiceAsksAgain) {
  const store::RequestRecord request = Request("req-1", "fleet-9999");
  EXPECT_FALSE(handler_->Shrink(request, 2).ok()) << "it may still launch";
  clock_.Advance(kEc2FleetVisibilityGrace + std::chrono::seconds(1));
  EXPECT_TRUE(handler_->Shrink(request, 2).ok()) << "gone";
}

TEST_F(Ec2FleetHandlerTest, CleanupDeletesTheFleetThenTerminatesWhatItStillRunsThenTheTemplate) {
  for (const char* type : {"request", "maintain"}) {
    const std::string request_id = std::string("req-") + type;
    FakeFleet& fleet = Fleet(request_id, 1, type);
    const std::string id = fleet.id;
    const std::string member = fleet.members[0];
    ec2_.templates["ohfp-" + request_id] = {"lt-0" + std::string(type), RequestTags(request_id)};
    store::RequestRecord request = Request(request_id, id);
    request.launch_template_id = "lt-0" + std::string(type);
    ASSERT_TRUE(handler_->Cleanup(request).ok()) << type;
    EXPECT_EQ(ec2_.Fleet(id)->state, "deleted_running") << type;
    EXPECT_EQ(ec2_.Calls("DeleteFleets").back().at("TerminateInstances"), "false");
    EXPECT_EQ(ec2_.templates.count("ohfp-" + request_id), 0U) << type;
    EXPECT_NE(ec2_.instances[member].state, "running")
        << "the request holds no machine: what the fleet still runs is nobody's";
    EXPECT_THAT(ec2_.Calls("TerminateInstances").back().at("InstanceId.1"), member);

    const std::size_t deletes = ec2_.Calls("DeleteFleets").size();
    ASSERT_TRUE(handler_->Cleanup(request).ok()) << type;
    EXPECT_EQ(ec2_.Calls("DeleteFleets").size(), deletes) << "deleted already: no call";
  }
}

TEST_F(Ec2FleetHandlerTest, CleanupDeletesAnInstantFleetOnlyOnceNoneOfItsInstancesLives) {
  FakeFleet& fleet = Fleet("req-1", 2, "instant");
  const std::string id = fleet.id;
  const std::vector<std::string> members = fleet.members;
  ec2_.templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  const resilience::Status busy = handler_->Cleanup(Request("req-1", id));
  EXPECT_FALSE(busy.ok());
  EXPECT_TRUE(ec2_.Calls("DeleteFleets").empty())
      << "AWS would terminate the instances HostFactory still holds";
  EXPECT_EQ(ec2_.instances[members[0]].state, "running");
  EXPECT_TRUE(ec2_.templates.empty()) << "the template goes anyway: the fleet launches no more";

  ec2_.instances[members[0]].state = "terminated";
  ec2_.instances[members[1]].state = "shutting-down";
  ASSERT_TRUE(handler_->Cleanup(Request("req-1", id)).ok());
  ASSERT_THAT(ec2_.Calls("DeleteFleets"), SizeIs(1));
  EXPECT_EQ(ec2_.Calls("DeleteFleets")[0].at("TerminateInstances"), "true");
  EXPECT_EQ(ec2_.Fleet(id)->state, "deleted_terminating");
}

TEST_F(Ec2FleetHandlerTest, CleanupNeverDeletesALaunchTemplateOhfpDidNotCreate) {
  FakeFleet& fleet = Fleet("req-1", 0);
  ec2_.templates["users-own"] = {"lt-0222", {}};
  store::RequestRecord request = Request("req-1", fleet.id);
  request.launch_template_id = "lt-0222";  // recorded, but the user's
  ASSERT_TRUE(handler_->Cleanup(request).ok());
  EXPECT_EQ(ec2_.templates.count("users-own"), 1U);
  EXPECT_TRUE(ec2_.Calls("DeleteLaunchTemplate").empty());
}

TEST_F(Ec2FleetHandlerTest, CleanupOfAFleetAwsNoLongerKnowsOnlyDeletesTheTemplate) {
  ec2_.templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  ASSERT_TRUE(handler_->Cleanup(Request("req-1", "fleet-0123")).ok());
  EXPECT_TRUE(ec2_.Calls("DeleteFleets").empty());
  EXPECT_TRUE(ec2_.templates.empty());
}

TEST_F(Ec2FleetHandlerTest, EveryCallRunsThroughThePipelineUnderItsOwnOperationAndTheEc2Breaker) {
  hostfactory::Template t = FleetTemplate(hostfactory::FleetType::kMaintain);
  ec2_.launch_at_once = 2;
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  store::RequestRecord request = Request("req-1", out->resource_id);
  request.launch_template_id = out->launch_template_id;
  ASSERT_TRUE(handler_->Observe(request).ok());
  const std::vector<std::string> members = ec2_.fleets.at(0).members;
  ASSERT_TRUE(handler_->Release(request, members).ok());
  ASSERT_TRUE(handler_->Cleanup(request).ok());

  const std::map<std::string, std::string> expected = {
      {"CreateLaunchTemplate", "ec2_create_launch_template"},
      {"CreateFleet", "ec2_create_fleet"},
      {"DescribeFleets", "ec2_describe_fleets"},
      {"DescribeFleetInstances", "ec2_describe_fleet_instances"},
      {"DescribeInstances", "ec2_describe_instances"},
      {"ModifyFleet", "ec2_modify_fleet"},
      {"CreateTags", "ec2_create_tags"},
      {"TerminateInstances", "ec2_terminate_instances"},
      {"DeleteFleets", "ec2_delete_fleets"},
      {"DescribeLaunchTemplates", "ec2_describe_launch_templates"},
      {"DeleteLaunchTemplate", "ec2_delete_launch_template"}};
  const std::vector<std::string> actions = ec2_.Actions();
  const std::vector<std::pair<std::string, std::string>> seen = operations_.Seen();
  ASSERT_EQ(actions.size(), seen.size()) << "one attempt per call, each through the pipeline";
  for (std::size_t i = 0; i < actions.size(); ++i) {
    ASSERT_EQ(expected.count(actions[i]), 1U) << actions[i];
    EXPECT_EQ(seen[i].first, expected.at(actions[i])) << actions[i];
    EXPECT_EQ(seen[i].second, "aws_ec2") << actions[i];
  }
  for (const auto& [action, operation] : expected) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), action), actions.end()) << action;
  }
}

}  // namespace
}  // namespace ohfp::provider
