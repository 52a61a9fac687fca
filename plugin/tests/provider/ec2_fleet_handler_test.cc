// Ec2FleetHandler without a network. CreateFleetRequestFor: the CreateFleet request built from a
// template (each priceType and fleetType, percentOnDemand, weights, overrides per type x subnet,
// strategies, maxSpotPrice, tags, token, ohfp's or the user's launch template).
// OnDemandCapacityFor, WeightTags/WeightsFromTags and LoweredTarget: the arithmetic Release and
// Shrink rely on. DescribeFleetError and FleetObservation: how a fleet's state and errors become
// what the request reports. Ec2FleetHandlerTest: the handler over an AwsClient whose transport is
// the shared in-memory AWS (fake_aws.h), which answers as AWS does where moto does not (it reports
// activityStatus and errors, refuses ModifyFleet for request and instant fleets and
// DescribeFleetInstances for instant ones, refuses to delete an instant fleet without its
// instances, tags a fleet's instances only from ohfp's launch template), so the decisions are
// checked call by call, on a ManualClock.
#include "provider/handlers/ec2_fleet_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fake_aws.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/observer.h"

namespace ohfp::provider {
namespace {

namespace ec2 = aws::ec2;
using model::PriceType;
using resilience::ErrorKind;
using ::testing::ElementsAre;
using testing::FakeFleet;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Params;
using ::testing::SizeIs;

std::vector<ec2::Tag> RequestTags(const std::string& request_id) {
  return {
      {"ohfp:request-id", request_id}, {"ohfp:template-id", "Fleet-C5"}, {"ohfp:provider", "aws"}};
}

model::Template FleetTemplate(model::FleetType type = model::FleetType::kRequest) {
  model::Template t;
  t.template_id = "Fleet-C5";
  t.image_id = "ami-12345678";
  t.vm_type = "c5.large";
  t.subnet_ids = {"subnet-0000000a"};
  t.provider_api = model::ProviderApi::kEc2Fleet;
  t.fleet_type = type;
  return t;
}

AwsLaunchSpec SpecFor(const model::Template& t, int count,
                      const std::string& request_id = "req-1") {
  AwsLaunchSpec spec;
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
  model::Template t = FleetTemplate();
  t.max_spot_price = "0.10";  // irrelevant to on-demand capacity
  const ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 4), kOwnTemplate);
  EXPECT_EQ(r.client_token, "req-1-1");
  EXPECT_EQ(r.type, ec2::FleetType::kRequest);
  EXPECT_EQ(r.target_capacity.total, 4);
  EXPECT_EQ(r.target_capacity.on_demand, 4);
  EXPECT_EQ(r.target_capacity.spot, 0);
  EXPECT_EQ(r.target_capacity.default_type, ec2::CapacityType::kOnDemand);
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
  model::Template t = FleetTemplate();
  t.price_type = PriceType::kSpot;
  t.max_spot_price = "0.25";
  t.subnet_ids = {"subnet-0000000a", "subnet-0000000b"};
  const ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 3), kOwnTemplate);
  EXPECT_EQ(r.target_capacity.total, 3);
  EXPECT_EQ(r.target_capacity.on_demand, 0);
  EXPECT_EQ(r.target_capacity.spot, 3);
  EXPECT_EQ(r.target_capacity.default_type, ec2::CapacityType::kSpot);
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
    model::Template t = FleetTemplate();
    t.price_type = PriceType::kHeterogeneous;
    t.percent_on_demand = c.percent;
    t.max_spot_price = "0.40";
    const ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, c.count), kOwnTemplate);
    const std::string what =
        std::to_string(c.percent.value_or(-1)) + "% of " + std::to_string(c.count);
    EXPECT_EQ(r.target_capacity.total, c.count) << what;
    EXPECT_EQ(r.target_capacity.on_demand, c.on_demand) << what;
    EXPECT_EQ(r.target_capacity.spot, c.count - c.on_demand) << what;
    EXPECT_EQ(r.target_capacity.default_type, ec2::CapacityType::kSpot) << what;
    EXPECT_EQ(r.launch_template_configs.at(0).overrides.at(0).max_price, "0.40")
        << "the spot part is capped";
  }
}

TEST(CreateFleetRequestFor, EachTypeTimesEachSubnetIsAnOverrideWithItsWeight) {
  model::Template t = FleetTemplate();
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
  model::Template t = FleetTemplate();
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
  model::Template t = FleetTemplate(model::FleetType::kInstant);
  t.vm_types = {{"c5.xlarge", 2.0}, {"m5.large", 0.5}};
  const ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 4), kOwnTemplate);
  std::vector<ec2::Tag> fleet_tags = RequestTags("req-1");
  fleet_tags.push_back({"ohfp:weights", "c5.xlarge=2,m5.large=0.5"});
  EXPECT_EQ(r.tags, fleet_tags);
  EXPECT_EQ(r.instance_tags, RequestTags("req-1")) << "an instant fleet tags what it launches";
  const WeightMap weights = WeightsFromTags(r.tags);
  EXPECT_EQ(weights, (WeightMap{{"c5.xlarge", 2.0}, {"m5.large", 0.5}}));
}

TEST(CreateFleetRequestFor, EachFleetTypeIsSentAndOnlyMaintainGetsNoTermination) {
  model::Template t = FleetTemplate(model::FleetType::kMaintain);
  ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 2), kOwnTemplate);
  EXPECT_EQ(r.type, ec2::FleetType::kMaintain);
  EXPECT_EQ(r.excess_capacity_termination_policy,
            ec2::ExcessCapacityTerminationPolicy::kNoTermination)
      << "a maintain fleet never chooses victims when its target is lowered";
  EXPECT_THAT(r.instance_tags, IsEmpty());

  t.fleet_type = model::FleetType::kRequest;
  r = CreateFleetRequestFor(SpecFor(t, 2), kOwnTemplate);
  EXPECT_EQ(r.type, ec2::FleetType::kRequest);
  EXPECT_FALSE(r.excess_capacity_termination_policy.has_value());

  t.fleet_type = model::FleetType::kInstant;
  r = CreateFleetRequestFor(SpecFor(t, 2), kOwnTemplate);
  EXPECT_EQ(r.type, ec2::FleetType::kInstant);
  EXPECT_FALSE(r.excess_capacity_termination_policy.has_value());
  EXPECT_EQ(r.instance_tags, RequestTags("req-1"));
}

TEST(CreateFleetRequestFor, AnOnDemandTemplatesStrategyIsTheOnDemandStrategy) {
  model::Template t = FleetTemplate();
  t.allocation_strategy = model::AllocationStrategy::kLowestPrice;
  ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 2), kOwnTemplate);
  EXPECT_EQ(r.on_demand_allocation_strategy, ec2::OnDemandAllocationStrategy::kLowestPrice);
  EXPECT_FALSE(r.spot_allocation_strategy.has_value());

  t.allocation_strategy =
      model::AllocationStrategy::kCapacityOptimized;  // a Spot strategy: nothing for on-demand
  r = CreateFleetRequestFor(SpecFor(t, 2), kOwnTemplate);
  EXPECT_FALSE(r.on_demand_allocation_strategy.has_value());
  EXPECT_FALSE(r.spot_allocation_strategy.has_value());
}

TEST(CreateFleetRequestFor, EverySpotStrategySpellingMapsToItsFleetValue) {
  // EC2 Fleet spells its strategies as templates do: each maps to the value of the same name.
  for (const PriceType price : {PriceType::kSpot, PriceType::kHeterogeneous}) {
    for (const std::string_view name :
         {"lowest-price", "diversified", "capacity-optimized", "capacity-optimized-prioritized",
          "price-capacity-optimized"}) {
      model::Template t = FleetTemplate();
      t.price_type = price;
      t.allocation_strategy = model::AllocationStrategyFromName(name);
      const std::optional<ec2::SpotAllocationStrategy> strategy =
          CreateFleetRequestFor(SpecFor(t, 1), kOwnTemplate).spot_allocation_strategy;
      ASSERT_TRUE(strategy.has_value()) << name;
      EXPECT_EQ(ec2::WireName(*strategy), name);
    }
  }
  model::Template t = FleetTemplate();
  t.price_type = PriceType::kSpot;
  t.allocation_strategy = model::AllocationStrategyFromName("cheapest");  // unknown: AWS's default
  EXPECT_FALSE(CreateFleetRequestFor(SpecFor(t, 1), kOwnTemplate).spot_allocation_strategy);
}

TEST(CreateFleetRequestFor, PrioritizedStrategiesRankTypesInTemplateOrder) {
  model::Template t = FleetTemplate();
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}};
  t.subnet_ids = {"subnet-0000000a", "subnet-0000000b"};
  t.price_type = PriceType::kHeterogeneous;
  t.allocation_strategy = model::AllocationStrategy::kCapacityOptimizedPrioritized;
  ec2::CreateFleetRequest r = CreateFleetRequestFor(SpecFor(t, 4), kOwnTemplate);
  EXPECT_EQ(r.on_demand_allocation_strategy, ec2::OnDemandAllocationStrategy::kPrioritized)
      << "the on-demand part follows the same priorities";
  std::vector<std::optional<double>> priorities;
  for (const auto& o : r.launch_template_configs.at(0).overrides) priorities.push_back(o.priority);
  EXPECT_THAT(priorities, ElementsAre(0.0, 0.0, 1.0, 1.0));

  t.price_type = PriceType::kOnDemand;
  t.allocation_strategy = model::AllocationStrategy::kPrioritized;
  r = CreateFleetRequestFor(SpecFor(t, 4), kOwnTemplate);
  EXPECT_EQ(r.on_demand_allocation_strategy, ec2::OnDemandAllocationStrategy::kPrioritized);
  EXPECT_EQ(r.launch_template_configs.at(0).overrides.at(2).priority, 1.0);

  t.allocation_strategy = model::AllocationStrategy::kLowestPrice;
  r = CreateFleetRequestFor(SpecFor(t, 4), kOwnTemplate);
  EXPECT_FALSE(r.launch_template_configs.at(0).overrides.at(2).priority.has_value());
}

TEST(CreateFleetRequestFor, AUsersLaunchTemplateIsUsedAsIsAndOverridesOnlyWhatTheTemplateGives) {
  model::Template t = FleetTemplate();
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
  model::Template t = FleetTemplate(model::FleetType::kMaintain);
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
  const std::vector<ec2::Tag> tags = WeightTags(types);
  EXPECT_THAT(tags, ElementsAre(ec2::Tag{"ohfp:weights",
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
  const std::vector<ec2::Tag> tags = WeightTags(types);
  ASSERT_GE(tags.size(), 3U);
  EXPECT_EQ(tags[0].key, "ohfp:weights");
  EXPECT_EQ(tags[1].key, "ohfp:weights:2");
  EXPECT_EQ(tags[2].key, "ohfp:weights:3");
  for (const ec2::Tag& t : tags) {
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
  f.state = ec2::FleetState::kActive;
  f.type = ec2::FleetType::kMaintain;
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
  e.lifecycle = ec2::CapacityType::kOnDemand;
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
  bare.lifecycle = ec2::CapacityType::kSpot;
  EXPECT_EQ(DescribeFleetError(bare), "VcpuLimitExceeded (us-east-1b, spot)");
}

class FleetObservationTest : public ::testing::Test {
 protected:
  model::Request Request(const std::string& fleet_id = "fleet-1") const {
    model::Request r;
    r.id = "req-1";
    r.machine_count = 4;
    r.provider_api = model::ProviderApi::kEc2Fleet;
    r.created_at = model::ToTimestamp(resilience::ManualClock::kDefaultWallStart);
    r.created.resource_id = fleet_id;
    r.created.launch_template_id = "lt-0111";
    return r;
  }
  resilience::SysTime At(std::chrono::seconds after_creation) const {
    return resilience::ManualClock::kDefaultWallStart + after_creation;
  }
};

TEST_F(FleetObservationTest, AnOpenFleetShortOfItsTargetIsFulfillingAndSaysWhyItIsShort) {
  for (const ec2::FleetState state :
       {ec2::FleetState::kSubmitted, ec2::FleetState::kActive, ec2::FleetState::kModifying}) {
    ec2::Fleet f = MaintainFleet(4, 2);
    f.state = state;
    f.activity_status = ec2::FleetActivityStatus::kPendingFulfillment;
    f.errors = {CapacityError()};
    const AwsObservation seen =
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
  f.type = ec2::FleetType::kRequest;
  f.activity_status = ec2::FleetActivityStatus::kFulfilled;
  EXPECT_FALSE(FleetObservation(Request(), f, {}, At({})).fulfilling);
}

TEST_F(FleetObservationTest, AnInstantFleetIsNeverFulfillingAndReportsItsPoolErrors) {
  ec2::Fleet f = MaintainFleet(4, 1);
  f.type = ec2::FleetType::kInstant;
  f.errors = {CapacityError()};
  const AwsObservation seen = FleetObservation(Request(), f, {Live("i-1")}, At({}));
  EXPECT_FALSE(seen.fulfilling) << "it launched all it ever will";
  EXPECT_THAT(seen.errors, ElementsAre(DescribeFleetError(CapacityError())));
}

TEST_F(FleetObservationTest, AFailedOrDeletedFleetShortOfItsTargetSaysSo) {
  ec2::Fleet f = MaintainFleet(4, 0);
  f.type = ec2::FleetType::kRequest;
  f.state = ec2::FleetState::kFailed;
  AwsObservation seen = FleetObservation(Request(), f, {}, At({}));
  EXPECT_FALSE(seen.fulfilling);
  EXPECT_THAT(seen.errors, ElementsAre("EC2 Fleet fleet-1 is failed with 0 of 4 units"));

  f = MaintainFleet(4, 2.5);
  f.state = ec2::FleetState::kDeletedRunning;  // deleted by someone else
  seen = FleetObservation(Request(), f, {}, At({}));
  EXPECT_FALSE(seen.fulfilling);
  EXPECT_THAT(seen.errors, ElementsAre("EC2 Fleet fleet-1 is deleted_running with 2.5 of 4 units"));

  f = MaintainFleet(4, 4);
  f.state = ec2::FleetState::kDeletedRunning;
  EXPECT_THAT(FleetObservation(Request(), f, {}, At({})).errors, IsEmpty()) << "nothing missing";
}

TEST_F(FleetObservationTest, ARecordedFleetNotListedYetIsFulfillingUntilTheGraceEnds) {
  AwsObservation seen =
      FleetObservation(Request("fleet-9"), std::nullopt, {}, At(std::chrono::seconds(10)));
  EXPECT_TRUE(seen.fulfilling) << "EC2 lists a new fleet eventually";
  EXPECT_THAT(seen.errors, IsEmpty());
  seen = FleetObservation(Request("fleet-9"), std::nullopt, {},
                          At(kEc2FleetVisibilityGrace + std::chrono::seconds(1)));
  EXPECT_FALSE(seen.fulfilling);
  EXPECT_THAT(seen.errors, ElementsAre("EC2 Fleet fleet-9 no longer exists"));
}

TEST_F(FleetObservationTest, NoFleetRecordedAndNoneFoundIsNotFulfilling) {
  const AwsObservation seen = FleetObservation(Request(""), std::nullopt, {}, At({}));
  EXPECT_FALSE(seen.fulfilling);
  EXPECT_THAT(seen.errors, IsEmpty());
  EXPECT_EQ(seen.resource_id, "");
}

TEST_F(FleetObservationTest, AWeightedFleetReportsTheUnitsOfItsRunningInstances) {
  ec2::Fleet f = MaintainFleet(5, 5);
  f.tags = WeightTags({{"c5.xlarge", 2.0}, {"c5.large", 1.0}});
  const AwsObservation seen = FleetObservation(
      Request(), f,
      {Live("i-a", "c5.xlarge"), Live("i-b", "c5.xlarge"), Live("i-c", "c5.large", "", "pending"),
       Live("i-d", "t3.micro"), Live("i-e", "c5.xlarge", "", "terminated")},
      At({}));
  EXPECT_EQ(seen.running_capacity, 5.0) << "2 + 2 + 1 (no weight): pending and gone do not count";
}

// ---- The handler over a fake EC2 ----

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
  // A request record as the store holds it after a launch.
  model::Request Request(const std::string& id, const std::string& fleet_id = "") {
    model::Request r;
    r.id = id;
    r.template_id = "Fleet-C5";
    r.machine_count = 4;
    r.provider_api = model::ProviderApi::kEc2Fleet;
    r.created_at = model::ToTimestamp(clock_.SystemNow());
    r.created.resource_id = fleet_id;
    return r;
  }
  // A fleet of `n` running instances tagged with `request_id`, fulfilled.
  FakeFleet& Fleet(const std::string& request_id, int n, std::string type = "maintain") {
    return ec2_.AddFleet(RequestTags(request_id), n, std::move(type));
  }
  long Position(const char* action) const { return ec2_.Position(action); }
  static std::vector<std::string> Terminated(const Params& call) {
    return testing::Listed(call, "InstanceId.");
  }

  OperationLog operations_;
  testing::FakeAwsClient world_{testing::RetryingConfig(), &operations_};
  testing::FakeAws& ec2_ = world_.aws();
  resilience::ManualClock& clock_ = world_.clock();
  std::unique_ptr<Ec2FleetHandler> handler_ =
      std::make_unique<Ec2FleetHandler>(world_.client(), clock_);
};

TEST_F(Ec2FleetHandlerTest, LaunchCreatesTheTemplateThenTheFleetWithTheAttemptsToken) {
  const model::Template t = FleetTemplate(model::FleetType::kRequest);
  ec2_.launch_at_once = 2;
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_THAT(ec2_.Actions(), ElementsAre("CreateLaunchTemplate", "CreateFleet"));
  ASSERT_EQ(ec2_.launch_templates.count("ohfp-req-1"), 1U);
  EXPECT_EQ(out->launch_template_id, ec2_.launch_templates["ohfp-req-1"].id);
  EXPECT_EQ(ec2_.Calls("CreateLaunchTemplate").at(0).at("ClientToken"), "req-1-lt");
  ASSERT_THAT(ec2_.fleets, SizeIs(1));
  EXPECT_EQ(out->resource_id, ec2_.fleets[0].id);
  EXPECT_THAT(out->instances, IsEmpty()) << "a request fleet launches asynchronously";
  EXPECT_THAT(out->errors, IsEmpty());
  const Params sent = ec2_.Calls("CreateFleet").at(0);
  EXPECT_EQ(sent.at("ClientToken"), "req-1-1");
  EXPECT_EQ(sent.at("LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateId"),
            out->launch_template_id);
  EXPECT_EQ(ec2_.fleets[0].tags, RequestTags("req-1"));
}

TEST_F(Ec2FleetHandlerTest, AnInstantFleetReportsItsInstancesAndThePoolsItCouldNotFill) {
  const model::Template t = FleetTemplate(model::FleetType::kInstant);
  ec2_.launch_at_once = 1;
  ec2_.pool_errors = {{"InsufficientInstanceCapacity", "no c5.large"}};
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
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
  const model::Template t = FleetTemplate(model::FleetType::kInstant);
  ec2_.pool_errors = {{"InsufficientInstanceCapacity", "no c5.large"}};
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(t, 3, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_THAT(out->instances, IsEmpty());
  EXPECT_THAT(out->errors, ElementsAre(HasSubstr("InsufficientInstanceCapacity: no c5.large")));
  const std::vector<Params> deleted = ec2_.Calls("DeleteFleets");
  ASSERT_THAT(deleted, SizeIs(1));
  EXPECT_EQ(deleted[0].at("TerminateInstances"), "true") << "AWS deletes instant fleets so only";
  EXPECT_EQ(ec2_.fleets.at(0).state, "deleted_terminating");
  EXPECT_TRUE(ec2_.launch_templates.empty()) << "nothing will launch from ohfp's template";
  EXPECT_EQ(out->resource_id, "") << "a deleted fleet that held nothing is not the request's";
}

TEST_F(Ec2FleetHandlerTest, AnInstantFleetRefusedForWhatTheTemplateSaysFailsTheLaunch) {
  const model::Template t = FleetTemplate(model::FleetType::kInstant);
  ec2_.pool_errors = {{"InvalidAMIID.NotFound", "The image id '[ami-12345678]' does not exist"}};
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(t, 3, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(out.error().ToString(), HasSubstr("ami-12345678"));
  EXPECT_THAT(out.error().ToString(), HasSubstr("the instant fleet launched nothing"));
  EXPECT_EQ(ec2_.fleets.at(0).state, "deleted_terminating");
  EXPECT_TRUE(ec2_.launch_templates.empty());
}

TEST_F(Ec2FleetHandlerTest, ARefusedCreateFleetIsTheLaunchsErrorAndDeletesOhfpsTemplate) {
  ec2_.Refuse("CreateFleet", {.code = "InvalidParameterValue"});
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(FleetTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kValidation);
  EXPECT_TRUE(ec2_.fleets.empty());
  EXPECT_TRUE(ec2_.launch_templates.empty())
      << "no attempt will use it, and nobody would delete it";
}

TEST_F(Ec2FleetHandlerTest, ACapacityRefusalKeepsTheLaunchTemplateForTheNextAttempt) {
  ec2_.Refuse("CreateFleet", {.code = "InsufficientInstanceCapacity"});
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(FleetTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kCapacity);
  EXPECT_EQ(ec2_.launch_templates.count("ohfp-req-1"), 1U);
}

TEST_F(Ec2FleetHandlerTest, LaunchAdoptsTheFleetOfItsTokenOnIdempotentParameterMismatch) {
  const std::string existing = Fleet("req-1", 2, "instant").id;
  const std::vector<std::string> members = ec2_.fleets.back().members;
  ec2_.Refuse("CreateFleet", {.code = "IdempotentParameterMismatch"});
  resilience::Result<AwsLaunchOutcome> out =
      handler_->Launch(SpecFor(FleetTemplate(model::FleetType::kInstant), 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->resource_id, existing);
  ASSERT_THAT(out->instances, SizeIs(2));
  EXPECT_THAT(
      (std::vector<std::string>{out->instances[0].instance_id, out->instances[1].instance_id}),
      ::testing::UnorderedElementsAre(members[0], members[1]));
  EXPECT_THAT(ec2_.fleets, SizeIs(1)) << "one fleet, never two";
}

TEST_F(Ec2FleetHandlerTest, AMismatchWithoutAVisibleFleetIsAnUnknownOutcomeNotARefusal) {
  ec2_.Refuse("CreateFleet", {.code = "IdempotentParameterMismatch"});
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(FleetTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kTransient) << out.error().ToString();
  EXPECT_EQ(ec2_.launch_templates.count("ohfp-req-1"), 1U)
      << "the fleet may exist: its template stays";
}

TEST_F(Ec2FleetHandlerTest, LaunchWithTheUsersLaunchTemplateCreatesNoneAndReportsNone) {
  model::Template t = FleetTemplate(model::FleetType::kMaintain);
  t.launch_template_id = "lt-0aaaaaaaaaaaaaaaa";
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
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
  ec2_.launch_templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  resilience::Result<AwsObservation> seen = handler_->Observe(Request("req-1"));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->resource_id, fleet.id);
  EXPECT_EQ(seen->launch_template_id, "lt-0111");
  EXPECT_THAT(seen->instances, SizeIs(2));
  EXPECT_FALSE(seen->fulfilling);
}

TEST_F(Ec2FleetHandlerTest, ObserveReadsAnInstantFleetsMembersFromDescribeFleets) {
  FakeFleet& fleet = Fleet("req-1", 2, "instant");
  ec2_.instances[fleet.members[1]].tags.clear();  // AWS could not tag it
  resilience::Result<AwsObservation> seen = handler_->Observe(Request("req-1", fleet.id));
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
  resilience::Result<AwsObservation> seen = handler_->Observe(Request("req-1", fleet.id));
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
  resilience::Result<AwsObservation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling);
  EXPECT_THAT(seen->errors, ElementsAre(HasSubstr("InsufficientInstanceCapacity: no c5.large")));
}

TEST_F(Ec2FleetHandlerTest, ARecordedFleetNotListedYetIsFulfillingUntilTheGraceEnds) {
  const model::Request request = Request("req-1", "fleet-9999");
  resilience::Result<AwsObservation> seen = handler_->Observe(request);
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
  const std::vector<Params> modify = ec2_.Calls("ModifyFleet");
  ASSERT_THAT(modify, SizeIs(1));
  EXPECT_EQ(modify[0].at("FleetId"), id);
  EXPECT_EQ(modify[0].at("TargetCapacitySpecification.TotalTargetCapacity"), "2");
  EXPECT_EQ(modify[0].at("TargetCapacitySpecification.OnDemandTargetCapacity"), "2");
  EXPECT_EQ(modify[0].at("TargetCapacitySpecification.SpotTargetCapacity"), "0");
  EXPECT_EQ(modify[0].at("ExcessCapacityTerminationPolicy"), "no-termination");
  const std::vector<Params> terminate = ec2_.Calls("TerminateInstances");
  ASSERT_THAT(terminate, SizeIs(1));
  EXPECT_THAT(Terminated(terminate[0]), ::testing::UnorderedElementsAre(members[0], members[2]));
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
  ec2_.Refuse(
      "TerminateInstances",
      {.code = "Unavailable", .status = 503, .times = 100});  // every attempt of the first call
  EXPECT_FALSE(handler_->Release(Request("req-1", id), {victim}).ok());
  EXPECT_EQ(ec2_.Fleet(id)->target, 3) << "1 remains, 2 still owed";
  ec2_.StopRefusing("TerminateInstances");
  ASSERT_TRUE(handler_->Release(Request("req-1", id), {victim}).ok());
  EXPECT_EQ(ec2_.Fleet(id)->target, 3) << "lowered once, for one instance";
  EXPECT_THAT(ec2_.Calls("ModifyFleet"), SizeIs(1));
  EXPECT_EQ(ec2_.instances[victim].state, "shutting-down");
}

TEST_F(Ec2FleetHandlerTest, ReleaseTerminatesNothingWhenTheTargetCannotBeLowered) {
  FakeFleet& fleet = Fleet("req-1", 3);
  const std::string victim = fleet.members[0];
  ec2_.Refuse("ModifyFleet", {.code = "UnauthorizedOperation"});
  const resilience::Status s = handler_->Release(Request("req-1", fleet.id), {victim});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kAuthorization);
  EXPECT_TRUE(ec2_.Calls("TerminateInstances").empty())
      << "the fleet would replace it, or pick a victim of its own";
  EXPECT_EQ(ec2_.instances[victim].state, "running");
  EXPECT_FALSE(testing::HasTag(ec2_.instances[victim].tags, "ohfp:released", "true"))
      << "the next Release must still lower the target for it";
  ec2_.StopRefusing("ModifyFleet");
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
  const std::vector<Params> deleted = ec2_.Calls("DeleteFleets");
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
    ec2_.launch_templates["ohfp-" + request_id] = {"lt-0" + std::string(type),
                                                   RequestTags(request_id)};
    ASSERT_TRUE(handler_->Shrink(Request(request_id, id), 0).ok()) << type;
    EXPECT_EQ(ec2_.Fleet(id)->state, "deleted_running") << type;
    EXPECT_EQ(ec2_.launch_templates.count("ohfp-" + request_id), 0U)
        << type << ": no machine will be returned to trigger the cleanup";
  }
  EXPECT_TRUE(ec2_.Calls("ModifyFleet").empty());
  EXPECT_TRUE(ec2_.Calls("TerminateInstances").empty());
}

TEST_F(Ec2FleetHandlerTest, ShrinkOfAFleetNotListedYetFailsSoTheServiceAsksAgain) {
  const model::Request request = Request("req-1", "fleet-9999");
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
    ec2_.launch_templates["ohfp-" + request_id] = {"lt-0" + std::string(type),
                                                   RequestTags(request_id)};
    model::Request request = Request(request_id, id);
    request.created.launch_template_id = "lt-0" + std::string(type);
    ASSERT_TRUE(handler_->Cleanup(request).ok()) << type;
    EXPECT_EQ(ec2_.Fleet(id)->state, "deleted_running") << type;
    EXPECT_EQ(ec2_.Calls("DeleteFleets").back().at("TerminateInstances"), "false");
    EXPECT_EQ(ec2_.launch_templates.count("ohfp-" + request_id), 0U) << type;
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
  ec2_.launch_templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  const resilience::Status busy = handler_->Cleanup(Request("req-1", id));
  EXPECT_FALSE(busy.ok());
  EXPECT_TRUE(ec2_.Calls("DeleteFleets").empty())
      << "AWS would terminate the instances HostFactory still holds";
  EXPECT_EQ(ec2_.instances[members[0]].state, "running");
  EXPECT_TRUE(ec2_.launch_templates.empty())
      << "the template goes anyway: the fleet launches no more";

  ec2_.instances[members[0]].state = "terminated";
  ec2_.instances[members[1]].state = "shutting-down";
  ASSERT_TRUE(handler_->Cleanup(Request("req-1", id)).ok());
  ASSERT_THAT(ec2_.Calls("DeleteFleets"), SizeIs(1));
  EXPECT_EQ(ec2_.Calls("DeleteFleets")[0].at("TerminateInstances"), "true");
  EXPECT_EQ(ec2_.Fleet(id)->state, "deleted_terminating");
}

TEST_F(Ec2FleetHandlerTest, CleanupNeverDeletesALaunchTemplateOhfpDidNotCreate) {
  FakeFleet& fleet = Fleet("req-1", 0);
  ec2_.launch_templates["users-own"] = {"lt-0222", {}};
  model::Request request = Request("req-1", fleet.id);
  request.created.launch_template_id = "lt-0222";  // recorded, but the user's
  ASSERT_TRUE(handler_->Cleanup(request).ok());
  EXPECT_EQ(ec2_.launch_templates.count("users-own"), 1U);
  EXPECT_TRUE(ec2_.Calls("DeleteLaunchTemplate").empty());
}

TEST_F(Ec2FleetHandlerTest, CleanupOfAFleetAwsNoLongerKnowsOnlyDeletesTheTemplate) {
  ec2_.launch_templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  ASSERT_TRUE(handler_->Cleanup(Request("req-1", "fleet-0123")).ok());
  EXPECT_TRUE(ec2_.Calls("DeleteFleets").empty());
  EXPECT_TRUE(ec2_.launch_templates.empty());
}

TEST_F(Ec2FleetHandlerTest, EveryCallRunsThroughThePipelineUnderItsOwnOperationAndTheEc2Breaker) {
  model::Template t = FleetTemplate(model::FleetType::kMaintain);
  ec2_.launch_at_once = 2;
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  model::Request request = Request("req-1", out->resource_id);
  request.created.launch_template_id = out->launch_template_id;
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
