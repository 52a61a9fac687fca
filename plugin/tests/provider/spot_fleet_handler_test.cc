// SpotFleetHandler without a network. SpotFleetRequestFor: the RequestSpotFleet request built from
// a template (each priceType, weights, overrides, strategies, ValidUntil from a ManualClock, tags,
// token). SpotFleetTargetAfterRelease and SpotFleetWeights: the arithmetic Release relies on.
// SpotFleetHandlerTest: the handler over an AwsClient whose transport is the shared in-memory AWS
// (fake_aws.h), which answers as AWS does where moto does not (it reports a fleet's type,
// activityStatus and validUntil, refuses to modify request fleets, keeps history, launches
// asynchronously), so the decisions are checked call by call, on a ManualClock.
#include "provider/handlers/spot_fleet_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fake_aws.h"
#include "ohfp/resilience/manual_clock.h"

namespace ohfp::provider {
namespace {

namespace ec2 = aws::ec2;
using model::FleetType;
using model::PriceType;
using resilience::ErrorKind;
using resilience::ManualClock;
using ::testing::ElementsAre;
using testing::FakeSpotFleet;
using testing::Params;

constexpr char kRole[] = "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role";

model::Template SpotTemplate() {
  model::Template t;
  t.template_id = "Spot-C5";
  t.image_id = "ami-12345678";
  t.vm_type = "c5.large";
  t.subnet_ids = {"subnet-0000000a"};
  t.price_type = PriceType::kSpot;
  t.fleet_role = kRole;
  t.provider_api = model::ProviderApi::kSpotFleet;
  t.fleet_type = FleetType::kMaintain;
  return t;
}

std::vector<ec2::Tag> RequestTags(const std::string& request_id) {
  return {
      {"ohfp:request-id", request_id}, {"ohfp:template-id", "Spot-C5"}, {"ohfp:provider", "aws"}};
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

// ---- SpotFleetRequestFor ----

TEST(SpotFleetRequestFor, SpotTemplateAsksForEverythingOnSpotWithTheDefaultStrategy) {
  const model::Template t = SpotTemplate();
  const ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 4), kOwnTemplate, {});
  EXPECT_EQ(r.client_token, "req-1-1");
  EXPECT_EQ(r.iam_fleet_role, kRole);
  EXPECT_EQ(r.target_capacity, 4);
  EXPECT_FALSE(r.on_demand_target_capacity.has_value());
  EXPECT_EQ(r.allocation_strategy, ec2::SpotFleetAllocationStrategy::kPriceCapacityOptimized);
  EXPECT_FALSE(r.on_demand_allocation_strategy.has_value());
  EXPECT_TRUE(r.launch_specifications.empty());
  ASSERT_EQ(r.launch_template_configs.size(), 1U);
  EXPECT_EQ(r.launch_template_configs[0].launch_template.id, "lt-0123456789abcdef0");
  EXPECT_EQ(r.launch_template_configs[0].launch_template.version, "$Default");
  ASSERT_EQ(r.launch_template_configs[0].overrides.size(), 1U);
  const ec2::SpotFleetLaunchTemplateOverrides& o = r.launch_template_configs[0].overrides[0];
  EXPECT_EQ(o.instance_type, "c5.large");
  EXPECT_EQ(o.subnet_id, "subnet-0000000a");
  EXPECT_FALSE(o.weighted_capacity.has_value()) << "no vmTypes: no weights";
  EXPECT_FALSE(o.priority.has_value());
  EXPECT_EQ(o.spot_price, "");
  EXPECT_EQ(r.tags, RequestTags("req-1"));
}

TEST(SpotFleetRequestFor, OnDemandAsksForEverythingOnDemandWithTheTemplatesOnDemandStrategy) {
  model::Template t = SpotTemplate();
  t.price_type = PriceType::kOnDemand;
  t.allocation_strategy = model::AllocationStrategy::kLowestPrice;
  const ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 5), kOwnTemplate, {});
  EXPECT_EQ(r.target_capacity, 5);
  EXPECT_EQ(r.on_demand_target_capacity, 5);
  EXPECT_EQ(r.on_demand_allocation_strategy,
            ec2::SpotFleetOnDemandAllocationStrategy::kLowestPrice);
  // Always sent (moto refuses a request without it); irrelevant with no spot capacity.
  EXPECT_EQ(r.allocation_strategy, ec2::SpotFleetAllocationStrategy::kPriceCapacityOptimized);
  EXPECT_EQ(r.launch_template_configs[0].overrides[0].spot_price, "");
}

TEST(SpotFleetRequestFor, HeterogeneousRoundsTheOnDemandShareUp) {
  struct Case {
    int count;
    int percent;
    int on_demand;
  };
  for (const Case& c : {Case{3, 50, 2}, Case{10, 25, 3}, Case{10, 20, 2}, Case{4, 0, 0},
                        Case{4, 100, 4}, Case{1, 1, 1}, Case{7, 99, 7}}) {
    model::Template t = SpotTemplate();
    t.price_type = PriceType::kHeterogeneous;
    t.percent_on_demand = c.percent;
    const ec2::RequestSpotFleetRequest r =
        SpotFleetRequestFor(SpecFor(t, c.count), kOwnTemplate, {});
    EXPECT_EQ(r.target_capacity, c.count);
    EXPECT_EQ(r.on_demand_target_capacity, c.on_demand)
        << c.percent << "% of " << c.count << " on demand";
  }
}

TEST(SpotFleetRequestFor, EachSubnetTimesEachTypeIsAnOverrideWithItsWeightAndPrice) {
  model::Template t = SpotTemplate();
  t.vm_type = "c5.xlarge";
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}, {"m5.large", 0.5}};
  t.subnet_ids = {"subnet-0000000a", "subnet-0000000b"};
  t.max_spot_price = "0.25";
  const ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 8), kOwnTemplate, {});
  const auto& o = r.launch_template_configs.at(0).overrides;
  ASSERT_EQ(o.size(), 6U);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"subnet-0000000a", "c5.xlarge"}, {"subnet-0000000a", "c5.large"},
      {"subnet-0000000a", "m5.large"},  {"subnet-0000000b", "c5.xlarge"},
      {"subnet-0000000b", "c5.large"},  {"subnet-0000000b", "m5.large"}};
  const std::vector<double> weights = {2.0, 1.0, 0.5, 2.0, 1.0, 0.5};
  for (std::size_t i = 0; i < o.size(); ++i) {
    EXPECT_EQ(o[i].subnet_id, expected[i].first) << i;
    EXPECT_EQ(o[i].instance_type, expected[i].second) << i;
    EXPECT_EQ(o[i].weighted_capacity, weights[i]) << i;
    EXPECT_EQ(o[i].spot_price, "0.25") << i;
  }
  EXPECT_EQ(r.target_capacity, 8) << "capacity units, not instances";
}

TEST(SpotFleetRequestFor, DifferentWeightsAreTaggedOnTheFleetSoItCarriesThem) {
  model::Template t = SpotTemplate();
  t.vm_types = {{"c5.xlarge", 2.0}, {"m5.large", 0.5}};
  const ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 4), kOwnTemplate, {});
  std::vector<ec2::Tag> expected = RequestTags("req-1");
  expected.push_back({"ohfp:weight:c5.xlarge", "2"});
  expected.push_back({"ohfp:weight:m5.large", "0.5"});
  EXPECT_EQ(r.tags, expected);
  const auto weights = SpotFleetWeights(r.tags);
  EXPECT_EQ(weights.size(), 2U);
  EXPECT_EQ(weights.at("c5.xlarge"), 2.0);
  EXPECT_EQ(weights.at("m5.large"), 0.5);
}

TEST(SpotFleetRequestFor, EqualWeightsAreSentButNotTagged) {
  model::Template t = SpotTemplate();
  t.vm_types = {{"c5.large", 1.0}, {"m5.large", 1.0}};
  const ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 4), kOwnTemplate, {});
  EXPECT_EQ(r.tags, RequestTags("req-1"));
  for (const auto& o : r.launch_template_configs.at(0).overrides) {
    EXPECT_EQ(o.weighted_capacity, 1.0);
  }
}

TEST(SpotFleetRequestFor, ValidUntilIsNowFromTheInjectedClockPlusTheExpiryInWholeSeconds) {
  ManualClock clock;  // 2026-01-01T00:00:00Z
  clock.Advance(std::chrono::milliseconds(1750));
  model::Template t = SpotTemplate();
  t.spot_fleet_request_expiry = 45;
  const ec2::RequestSpotFleetRequest r =
      SpotFleetRequestFor(SpecFor(t, 2), kOwnTemplate, clock.SystemNow());
  ASSERT_TRUE(r.valid_until.has_value());
  EXPECT_EQ(*r.valid_until,
            ManualClock::kDefaultWallStart + std::chrono::seconds(1) + std::chrono::minutes(45));
  EXPECT_EQ(r.terminate_instances_with_expiration, false)
      << "expiry stops fulfilment; it must not kill machines HostFactory holds";

  clock.Advance(std::chrono::minutes(10));
  const ec2::RequestSpotFleetRequest later =
      SpotFleetRequestFor(SpecFor(t, 2), kOwnTemplate, clock.SystemNow());
  EXPECT_EQ(*later.valid_until - *r.valid_until, std::chrono::minutes(10));
}

TEST(SpotFleetRequestFor, NoExpiryMeansNoValidUntil) {
  const model::Template t = SpotTemplate();
  const ec2::RequestSpotFleetRequest r =
      SpotFleetRequestFor(SpecFor(t, 2), kOwnTemplate, ManualClock().SystemNow());
  EXPECT_FALSE(r.valid_until.has_value());
  EXPECT_FALSE(r.terminate_instances_with_expiration.has_value());
}

TEST(SpotFleetRequestFor, MaintainFleetsNeverPickVictimsAndRequestFleetsLeaveThePolicyUnset) {
  model::Template t = SpotTemplate();
  t.fleet_type = FleetType::kMaintain;
  ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 2), kOwnTemplate, {});
  EXPECT_EQ(r.type, ec2::SpotFleetType::kMaintain);
  EXPECT_EQ(r.excess_capacity_termination_policy,
            ec2::SpotFleetExcessCapacityTerminationPolicy::kNoTermination);
  t.fleet_type = FleetType::kRequest;
  r = SpotFleetRequestFor(SpecFor(t, 2), kOwnTemplate, {});
  EXPECT_EQ(r.type, ec2::SpotFleetType::kRequest);
  EXPECT_FALSE(r.excess_capacity_termination_policy.has_value())
      << "AWS supports the policy on maintain fleets only";
}

TEST(SpotFleetRequestFor, EveryStrategySpellingMapsToItsSpotFleetValue) {
  using enum ec2::SpotFleetAllocationStrategy;
  const std::vector<std::pair<std::string, ec2::SpotFleetAllocationStrategy>> cases = {
      {"lowest-price", kLowestPrice},
      {"diversified", kDiversified},
      {"capacity-optimized", kCapacityOptimized},
      {"capacity-optimized-prioritized", kCapacityOptimizedPrioritized},
      {"price-capacity-optimized", kPriceCapacityOptimized},
      {"capacityOptimized", kCapacityOptimized},
      {"lowestPrice", kLowestPrice}};
  for (const auto& [name, value] : cases) {
    model::Template t = SpotTemplate();
    t.allocation_strategy = model::AllocationStrategyFromName(name);
    EXPECT_EQ(SpotFleetRequestFor(SpecFor(t, 1), kOwnTemplate, {}).allocation_strategy, value)
        << name;
  }
}

TEST(SpotFleetRequestFor, PrioritizedStrategiesRankTypesInTemplateOrder) {
  model::Template t = SpotTemplate();
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}};
  t.subnet_ids = {"subnet-0000000a", "subnet-0000000b"};
  t.allocation_strategy = model::AllocationStrategy::kCapacityOptimizedPrioritized;
  ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 4), kOwnTemplate, {});
  std::vector<std::optional<double>> priorities;
  for (const auto& o : r.launch_template_configs.at(0).overrides) priorities.push_back(o.priority);
  EXPECT_THAT(priorities, ElementsAre(0.0, 1.0, 0.0, 1.0));

  t.price_type = PriceType::kOnDemand;
  t.allocation_strategy = model::AllocationStrategy::kPrioritized;
  r = SpotFleetRequestFor(SpecFor(t, 4), kOwnTemplate, {});
  EXPECT_EQ(r.on_demand_allocation_strategy,
            ec2::SpotFleetOnDemandAllocationStrategy::kPrioritized);
  EXPECT_EQ(r.launch_template_configs.at(0).overrides.at(1).priority, 1.0);
}

TEST(SpotFleetRequestFor, TheSameSpecGivesTheSameRequestSoItsTokenCanBeReplayed) {
  model::Template t = SpotTemplate();
  t.spot_fleet_request_expiry = 30;
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}};
  ManualClock clock;
  const ec2::RequestSpotFleetRequest a =
      SpotFleetRequestFor(SpecFor(t, 4, "req-9"), kOwnTemplate, clock.SystemNow());
  clock.Advance(std::chrono::milliseconds(400));  // within the same second
  const ec2::RequestSpotFleetRequest b =
      SpotFleetRequestFor(SpecFor(t, 4, "req-9"), kOwnTemplate, clock.SystemNow());
  EXPECT_EQ(a.client_token, "req-9-1");
  EXPECT_EQ(a.client_token, b.client_token);
  EXPECT_EQ(a.valid_until, b.valid_until);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.target_capacity, b.target_capacity);
  EXPECT_EQ(a.launch_template_configs.at(0).overrides.size(),
            b.launch_template_configs.at(0).overrides.size());
}

TEST(SpotFleetRequestFor, AUserLaunchTemplateIsUsedAsIsAndOverridesOnlyWhatTheTemplateGives) {
  model::Template t = SpotTemplate();
  t.launch_template_id = "lt-0aaaaaaaaaaaaaaaa";
  t.vm_type.clear();
  t.subnet_ids.clear();
  const RequestLaunchTemplate theirs{"lt-0aaaaaaaaaaaaaaaa", "$Default", false};
  ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 2), theirs, {});
  ASSERT_EQ(r.launch_template_configs.size(), 1U);
  EXPECT_EQ(r.launch_template_configs[0].launch_template.id, "lt-0aaaaaaaaaaaaaaaa");
  EXPECT_THAT(r.launch_template_configs[0].overrides, ::testing::IsEmpty())
      << "nothing to override";

  t.subnet_ids = {"subnet-0000000a"};
  r = SpotFleetRequestFor(SpecFor(t, 2), theirs, {});
  ASSERT_EQ(r.launch_template_configs[0].overrides.size(), 1U);
  EXPECT_EQ(r.launch_template_configs[0].overrides[0].subnet_id, "subnet-0000000a");
  EXPECT_EQ(r.launch_template_configs[0].overrides[0].instance_type, "");
}

// ---- The arithmetic ----

TEST(SpotFleetWeights, ReadsWeightTagsAndIgnoresOtherTagsAndMalformedValues) {
  const auto weights = SpotFleetWeights({{"ohfp:request-id", "req-1"},
                                         {"ohfp:weight:c5.xlarge", "2"},
                                         {"ohfp:weight:m5.large", "0.25"},
                                         {"ohfp:weight:bad", "two"},
                                         {"ohfp:weight:zero", "0"},
                                         {"ohfp:weight:negative", "-1"},
                                         {"ohfp:weight:trailing", "2x"}});
  EXPECT_EQ(weights.size(), 2U);
  EXPECT_EQ(weights.at("c5.xlarge"), 2.0);
  EXPECT_EQ(weights.at("m5.large"), 0.25);
  EXPECT_TRUE(SpotFleetWeights({}).empty());
}

TEST(SpotFleetTargetAfterRelease, AFulfilledFleetKeepsWhatIsNotReleased) {
  EXPECT_EQ(SpotFleetTargetAfterRelease(4, 4, 2), 2);
  EXPECT_EQ(SpotFleetTargetAfterRelease(4, 4, 4), 0);
  EXPECT_EQ(SpotFleetTargetAfterRelease(2, 2, 2), 0);
}

TEST(SpotFleetTargetAfterRelease, AskingAgainAfterTheTargetWasLoweredChangesNothing) {
  // Lowered from 4 to 2 for two instances still running: they are marked released and no longer
  // counted, so the fleet holds 2 and releases nothing more.
  EXPECT_EQ(SpotFleetTargetAfterRelease(2, 2, 0), 2);
  // Unmarked (the mark was lost): a fulfilled fleet still ends at 2, not 0.
  EXPECT_EQ(SpotFleetTargetAfterRelease(2, 4, 2), 2);
}

TEST(SpotFleetTargetAfterRelease, AFleetShortOfItsTargetStillLaunchesWhatItLacked) {
  EXPECT_EQ(SpotFleetTargetAfterRelease(4, 2, 1), 3);
  EXPECT_EQ(SpotFleetTargetAfterRelease(4, 0, 0), 4);
}

TEST(SpotFleetTargetAfterRelease, WeightedUnitsRoundDownAndNeverRaiseTheTarget) {
  EXPECT_EQ(SpotFleetTargetAfterRelease(3, 4, 2), 2) << "an overshoot of 4 units for 3";
  EXPECT_EQ(SpotFleetTargetAfterRelease(3, 3, 0.5), 2) << "2.5 units kept";
  EXPECT_EQ(SpotFleetTargetAfterRelease(3, 10, 0), 3);
  EXPECT_EQ(SpotFleetTargetAfterRelease(0, 0, 0), 0);
  EXPECT_EQ(SpotFleetTargetAfterRelease(2, 1, 5), 1) << "never below 0 kept";
}

// ---- The handler over a fake EC2 ----

class SpotFleetHandlerTest : public ::testing::Test {
 protected:
  // A request record as the store holds it after a launch.
  model::Request Request(const std::string& id, const std::string& fleet_id = "") {
    model::Request r;
    r.id = id;
    r.template_id = "Spot-C5";
    r.machine_count = 4;
    r.provider_api = model::ProviderApi::kSpotFleet;
    r.created_at = model::ToTimestamp(clock_.SystemNow());
    r.created.resource_id = fleet_id;
    return r;
  }
  // A fleet of `n` running instances tagged with `request_id`, fulfilled.
  FakeSpotFleet& Fleet(const std::string& request_id, int n, std::string type = "maintain") {
    return ec2_.AddSpotFleet(RequestTags(request_id), n, std::move(type));
  }
  static std::vector<std::string> Terminated(const Params& call) {
    return testing::Listed(call, "InstanceId.");
  }

  testing::FakeAwsClient world_{testing::RetryingConfig()};
  testing::FakeAws& ec2_ = world_.aws();
  ManualClock& clock_ = world_.clock();
  std::unique_ptr<SpotFleetHandler> handler_ =
      std::make_unique<SpotFleetHandler>(world_.client(), clock_);
};

TEST_F(SpotFleetHandlerTest, LaunchCreatesTheTemplateThenTheFleetAndReportsBoth) {
  const model::Template t = SpotTemplate();
  ec2_.launch_at_once = 2;
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(ec2_.launch_templates.count("ohfp-req-1"), 1U);
  EXPECT_EQ(out->launch_template_id, ec2_.launch_templates["ohfp-req-1"].id);
  ASSERT_EQ(ec2_.spot_fleets.size(), 1U);
  EXPECT_EQ(out->resource_id, ec2_.spot_fleets[0].id);
  EXPECT_EQ(out->instances.size(), 2U);
  const Params sent = ec2_.Calls("RequestSpotFleet").at(0);
  EXPECT_EQ(sent.at("SpotFleetRequestConfig.ClientToken"), "req-1-1");
  EXPECT_EQ(sent.at("SpotFleetRequestConfig.LaunchTemplateConfigs.1.LaunchTemplateSpecification."
                    "LaunchTemplateId"),
            out->launch_template_id);
  EXPECT_EQ(sent.at("SpotFleetRequestConfig.ExcessCapacityTerminationPolicy"), "noTermination");
}

TEST_F(SpotFleetHandlerTest, LaunchSendsWhatMotoIgnoresOnTheWire) {
  model::Template t = SpotTemplate();
  t.price_type = PriceType::kHeterogeneous;
  t.percent_on_demand = 50;
  t.fleet_type = FleetType::kMaintain;
  t.spot_fleet_request_expiry = 30;
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}};
  t.subnet_ids = {"subnet-0000000a", "subnet-0000000b"};
  t.max_spot_price = "0.40";
  clock_.Advance(std::chrono::milliseconds(2500));
  ASSERT_TRUE(handler_->Launch(SpecFor(t, 3, "req-1")).ok());
  const Params p = ec2_.Calls("RequestSpotFleet").at(0);
  const std::string c = "SpotFleetRequestConfig.";
  EXPECT_EQ(p.at(c + "TargetCapacity"), "3");
  EXPECT_EQ(p.at(c + "OnDemandTargetCapacity"), "2");
  EXPECT_EQ(p.at(c + "Type"), "maintain");
  EXPECT_EQ(p.at(c + "ValidUntil"), "2026-01-01T00:30:02Z");
  EXPECT_EQ(p.at(c + "TerminateInstancesWithExpiration"), "false");
  EXPECT_EQ(p.at(c + "AllocationStrategy"), "priceCapacityOptimized");
  EXPECT_EQ(p.at(c + "IamFleetRole"), kRole);
  EXPECT_EQ(p.at(c + "TagSpecification.1.ResourceType"), "spot-fleet-request");
  const std::string o = c + "LaunchTemplateConfigs.1.Overrides.";
  EXPECT_EQ(p.at(o + "1.SubnetId"), "subnet-0000000a");
  EXPECT_EQ(p.at(o + "1.InstanceType"), "c5.xlarge");
  EXPECT_EQ(p.at(o + "1.WeightedCapacity"), "2");
  EXPECT_EQ(p.at(o + "1.SpotPrice"), "0.40");
  EXPECT_EQ(p.at(o + "4.SubnetId"), "subnet-0000000b");
  EXPECT_EQ(p.at(o + "4.InstanceType"), "c5.large");
  EXPECT_EQ(p.count(o + "5.SubnetId"), 0U);
}

TEST_F(SpotFleetHandlerTest, LaunchWithTheUsersLaunchTemplateCreatesNoneAndReportsNone) {
  model::Template t = SpotTemplate();
  t.launch_template_id = "lt-0aaaaaaaaaaaaaaaa";
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_TRUE(ec2_.launch_templates.empty());
  EXPECT_EQ(out->launch_template_id, "");
  EXPECT_FALSE(out->resource_id.empty());
}

TEST_F(SpotFleetHandlerTest, LaunchAdoptsTheFleetOfItsTokenOnIdempotentParameterMismatch) {
  const FakeSpotFleet& existing = Fleet("req-1", 2);
  const std::string existing_id = existing.id;
  ec2_.Refuse("RequestSpotFleet", {.code = "IdempotentParameterMismatch"});
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(SpotTemplate(), 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->resource_id, existing_id);
  EXPECT_EQ(ec2_.spot_fleets.size(), 1U);
}

TEST_F(SpotFleetHandlerTest, AMismatchWithoutAVisibleFleetIsAnUnknownOutcomeNotARefusal) {
  ec2_.Refuse("RequestSpotFleet", {.code = "IdempotentParameterMismatch"});
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(SpotTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kTransient) << out.error().ToString();
  EXPECT_EQ(ec2_.launch_templates.size(), 1U) << "the fleet may exist: its template stays";
}

TEST_F(SpotFleetHandlerTest, ARefusedLaunchDeletesTheLaunchTemplateItCreated) {
  ec2_.Refuse("RequestSpotFleet", {.code = "InvalidParameterValue"});
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(SpotTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kValidation);
  EXPECT_TRUE(ec2_.launch_templates.empty());
  EXPECT_TRUE(ec2_.spot_fleets.empty());
}

TEST_F(SpotFleetHandlerTest, ACapacityRefusalKeepsTheLaunchTemplateForTheNextAttempt) {
  ec2_.Refuse("RequestSpotFleet", {.code = "InsufficientInstanceCapacity"});
  resilience::Result<AwsLaunchOutcome> out = handler_->Launch(SpecFor(SpotTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kCapacity);
  EXPECT_EQ(ec2_.launch_templates.size(), 1U);
}

TEST_F(SpotFleetHandlerTest, ObserveFindsTheFleetAndTemplateByTagWhenNoneIsRecorded) {
  Fleet("req-other", 1);
  const FakeSpotFleet& fleet = Fleet("req-1", 2);
  ec2_.launch_templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  resilience::Result<AwsObservation> seen = handler_->Observe(Request("req-1"));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->resource_id, fleet.id);
  EXPECT_EQ(seen->launch_template_id, "lt-0111");
  EXPECT_EQ(seen->instances.size(), 2U);
  EXPECT_FALSE(seen->fulfilling);
  EXPECT_TRUE(seen->errors.empty());
  EXPECT_FALSE(seen->running_capacity.has_value()) << "unweighted";
  EXPECT_TRUE(ec2_.Calls("DescribeSpotFleetRequestHistory").empty()) << "fulfilled: no history";
}

TEST_F(SpotFleetHandlerTest, AFleetShortOfItsTargetIsFulfillingAndItsHistorySaysWhy) {
  FakeSpotFleet& fleet = Fleet("req-1", 2);
  fleet.target = 4;
  fleet.history = {
      {"instanceChange", "launched", "{}"},
      {"error", "spotInstanceCountLimitExceeded", "Max spot instance count exceeded"},
      {"information", "launchSpecUnusable", "c5.large, us-east-1a, Spot price too low"},
      {"error", "spotInstanceCountLimitExceeded", "Max spot instance count exceeded"}};
  resilience::Result<AwsObservation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling);
  EXPECT_THAT(seen->errors,
              ElementsAre("Spot Fleet error spotInstanceCountLimitExceeded: Max spot instance "
                          "count exceeded",
                          "Spot Fleet information launchSpecUnusable: c5.large, us-east-1a, Spot "
                          "price too low"));
}

TEST_F(SpotFleetHandlerTest, AnExpiredFleetLeftShortIsNotFulfillingAndSaysItExpired) {
  FakeSpotFleet& fleet = Fleet("req-1", 1);
  fleet.target = 3;
  fleet.state = "cancelled_running";
  fleet.valid_until = "2025-12-31T23:30:00.000Z";  // the ManualClock says 2026-01-01T00:00:00Z
  resilience::Result<AwsObservation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
  ASSERT_FALSE(seen->errors.empty());
  EXPECT_EQ(seen->errors[0], "Spot Fleet request " + fleet.id +
                                 " is cancelled_running with 1 of 3 units: it expired at "
                                 "2025-12-31T23:30:00Z (spotFleetRequestExpiry)");
}

TEST_F(SpotFleetHandlerTest, AFailedFleetWithActivityErrorSaysSo) {
  FakeSpotFleet& fleet = Fleet("req-1", 0);
  fleet.target = 2;
  fleet.state = "failed";
  fleet.activity = "error";
  fleet.history = {{"error", "iamFleetRoleInvalid", "The fleet role is not valid"}};
  resilience::Result<AwsObservation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
  EXPECT_THAT(
      seen->errors,
      ElementsAre(::testing::HasSubstr("is failed with 0 of 2 units"),
                  ::testing::HasSubstr("activity status error"),
                  ::testing::HasSubstr("iamFleetRoleInvalid: The fleet role is not valid")));
}

TEST_F(SpotFleetHandlerTest, ARecordedFleetNotListedYetIsFulfillingUntilTheGraceEnds) {
  const model::Request request = Request("req-1", "sfr-9999");
  resilience::Result<AwsObservation> seen = handler_->Observe(request);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling);
  clock_.Advance(kFleetVisibilityGrace + std::chrono::seconds(1));
  seen = handler_->Observe(request);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
  EXPECT_THAT(seen->errors, ElementsAre("Spot Fleet request sfr-9999 no longer exists"));
}

TEST_F(SpotFleetHandlerTest, WeightedFleetsReportTheUnitsOfTheirRunningInstances) {
  FakeSpotFleet& fleet = Fleet("req-1", 0);
  fleet.target = 5;
  fleet.fulfilled = 5;
  fleet.tags.push_back({"ohfp:weight:c5.xlarge", "2"});
  fleet.tags.push_back({"ohfp:weight:c5.large", "1"});
  ec2_.AddSpotMember(fleet, "i-a", RequestTags("req-1"), "c5.xlarge");
  ec2_.AddSpotMember(fleet, "i-b", RequestTags("req-1"), "c5.xlarge");
  ec2_.AddSpotMember(fleet, "i-c", RequestTags("req-1"), "c5.large");
  ec2_.instances["i-c"].state = "pending";
  resilience::Result<AwsObservation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->running_capacity, 4.0);
}

TEST_F(SpotFleetHandlerTest, FleetInstancesLaunchedUntaggedAreTaggedWithTheFleetsTags) {
  FakeSpotFleet& fleet = Fleet("req-1", 1);
  ec2_.instances["i-u"] = {.lifecycle = "spot", .spot_request_id = "sir-u"};
  fleet.members.push_back("i-u");
  fleet.tags.push_back({"ohfp:weight:c5.large", "3"});
  resilience::Result<AwsObservation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->instances.size(), 2U);
  EXPECT_EQ(ec2_.instances["i-u"].tags, RequestTags("req-1")) << "without the weight tags";
}

TEST_F(SpotFleetHandlerTest, ReleaseLowersAMaintainFleetFirstThenTerminatesExactlyTheReleased) {
  FakeSpotFleet& fleet = Fleet("req-1", 4);
  const std::string id = fleet.id;
  const std::vector<std::string> members = fleet.members;
  ASSERT_TRUE(handler_->Release(Request("req-1", id), {members[0], members[2]}).ok());
  const std::vector<Params> modify = ec2_.Calls("ModifySpotFleetRequest");
  ASSERT_EQ(modify.size(), 1U);
  EXPECT_EQ(modify[0].at("TargetCapacity"), "2");
  EXPECT_EQ(modify[0].at("ExcessCapacityTerminationPolicy"), "noTermination");
  const std::vector<Params> terminate = ec2_.Calls("TerminateInstances");
  ASSERT_EQ(terminate.size(), 1U);
  EXPECT_THAT(Terminated(terminate[0]), ::testing::UnorderedElementsAre(members[0], members[2]));
  EXPECT_LT(ec2_.Position("ModifySpotFleetRequest"), ec2_.Position("TerminateInstances"))
      << "the target is lowered before anything is terminated";
  EXPECT_EQ(ec2_.instances[members[1]].state, "running");
  EXPECT_EQ(ec2_.instances[members[3]].state, "running");
  EXPECT_EQ(ec2_.SpotFleet(id)->target, 2);
}

TEST_F(SpotFleetHandlerTest, ReleaseRepeatedAfterAFailedTerminateLowersTheTargetOnce) {
  FakeSpotFleet& fleet = Fleet("req-1", 2);
  fleet.target = 4;  // short of its target: two more to come
  const std::string id = fleet.id;
  const std::string victim = fleet.members[0];
  ec2_.Refuse(
      "TerminateInstances",
      {.code = "Unavailable", .status = 503, .times = 100});  // every attempt of the first call
  EXPECT_FALSE(handler_->Release(Request("req-1", id), {victim}).ok());
  EXPECT_EQ(ec2_.SpotFleet(id)->target, 3);
  ec2_.StopRefusing("TerminateInstances");
  ASSERT_TRUE(handler_->Release(Request("req-1", id), {victim}).ok());
  EXPECT_EQ(ec2_.SpotFleet(id)->target, 3) << "lowered once, for one instance";
  EXPECT_EQ(ec2_.instances[victim].state, "shutting-down");
}

TEST_F(SpotFleetHandlerTest, ReleaseFromARequestFleetOnlyTerminatesBecauseAwsCannotModifyIt) {
  FakeSpotFleet& fleet = Fleet("req-1", 3, "request");
  const std::vector<std::string> members = fleet.members;
  ASSERT_TRUE(handler_->Release(Request("req-1", fleet.id), {members[1]}).ok());
  EXPECT_TRUE(ec2_.Calls("ModifySpotFleetRequest").empty());
  ASSERT_EQ(ec2_.Calls("TerminateInstances").size(), 1U);
  EXPECT_THAT(Terminated(ec2_.Calls("TerminateInstances")[0]), ElementsAre(members[1]));
}

TEST_F(SpotFleetHandlerTest, ReleaseFromACancelledFleetOnlyTerminatesAndSkipsUnknownIds) {
  FakeSpotFleet& fleet = Fleet("req-1", 2);
  fleet.state = "cancelled_running";
  const std::vector<std::string> members = fleet.members;
  ASSERT_TRUE(handler_->Release(Request("req-1", fleet.id), {members[0], "i-gone"}).ok());
  EXPECT_TRUE(ec2_.Calls("ModifySpotFleetRequest").empty());
  EXPECT_EQ(ec2_.instances[members[0]].state, "shutting-down");
  EXPECT_EQ(ec2_.instances[members[1]].state, "running");
}

TEST_F(SpotFleetHandlerTest, ReleaseOfWeightedInstancesLowersByTheirWeight) {
  FakeSpotFleet& fleet = Fleet("req-1", 0);
  fleet.target = 6;
  fleet.fulfilled = 6;
  fleet.tags.push_back({"ohfp:weight:c5.xlarge", "2"});
  ec2_.AddSpotMember(fleet, "i-a", RequestTags("req-1"), "c5.xlarge");
  ec2_.AddSpotMember(fleet, "i-b", RequestTags("req-1"), "c5.xlarge");
  ec2_.AddSpotMember(fleet, "i-c", RequestTags("req-1"), "c5.xlarge");
  ASSERT_TRUE(handler_->Release(Request("req-1", fleet.id), {"i-b"}).ok());
  EXPECT_EQ(ec2_.SpotFleet(fleet.id)->target, 4);
}

TEST_F(SpotFleetHandlerTest, ReleaseOfAnOnDemandInstanceLowersTheOnDemandTargetToo) {
  FakeSpotFleet& fleet = Fleet("req-1", 3);
  fleet.on_demand_target = 1;
  ec2_.instances[fleet.members[0]].lifecycle.clear();  // the on-demand one
  ec2_.instances[fleet.members[0]].spot_request_id.clear();
  const std::string od = fleet.members[0];
  ASSERT_TRUE(handler_->Release(Request("req-1", fleet.id), {od}).ok());
  const Params modify = ec2_.Calls("ModifySpotFleetRequest").at(0);
  EXPECT_EQ(modify.at("TargetCapacity"), "2");
  EXPECT_EQ(modify.at("OnDemandTargetCapacity"), "0");
}

TEST_F(SpotFleetHandlerTest, ShrinkLowersAMaintainFleetToWhatItKeepsWithoutTerminating) {
  FakeSpotFleet& fleet = Fleet("req-1", 2);
  fleet.target = 4;
  ASSERT_TRUE(handler_->Shrink(Request("req-1", fleet.id), 2).ok());
  EXPECT_EQ(ec2_.SpotFleet(fleet.id)->target, 2);
  EXPECT_TRUE(ec2_.Calls("TerminateInstances").empty());
  EXPECT_TRUE(ec2_.Calls("CancelSpotFleetRequests").empty());
  ASSERT_TRUE(handler_->Shrink(Request("req-1", fleet.id), 2).ok());
  EXPECT_EQ(ec2_.Calls("ModifySpotFleetRequest").size(), 1U) << "already there: no call";
}

TEST_F(SpotFleetHandlerTest, ShrinkCancelsARequestFleetWithoutTerminatingItsInstances) {
  FakeSpotFleet& fleet = Fleet("req-1", 1, "request");
  fleet.target = 3;
  ASSERT_TRUE(handler_->Shrink(Request("req-1", fleet.id), 1).ok());
  EXPECT_TRUE(ec2_.Calls("ModifySpotFleetRequest").empty());
  const std::vector<Params> cancel = ec2_.Calls("CancelSpotFleetRequests");
  ASSERT_EQ(cancel.size(), 1U);
  EXPECT_EQ(cancel[0].at("TerminateInstances"), "false");
  EXPECT_EQ(ec2_.instances[fleet.members[0]].state, "running");
}

TEST_F(SpotFleetHandlerTest, ShrinkToNothingCancelsTheFleetAndDeletesTheTemplate) {
  // The request ends without a machine: none will ever be returned to trigger the cleanup.
  FakeSpotFleet& fleet = Fleet("req-1", 0);
  fleet.target = 4;
  const std::string id = fleet.id;
  ec2_.launch_templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  ASSERT_TRUE(handler_->Shrink(Request("req-1", id), 0).ok());
  EXPECT_EQ(ec2_.SpotFleet(id)->state, "cancelled_running");
  EXPECT_TRUE(ec2_.launch_templates.empty());
  EXPECT_TRUE(ec2_.Calls("ModifySpotFleetRequest").empty());
}

TEST_F(SpotFleetHandlerTest, ShrinkOfARecordedFleetNotListedYetIsToBeRetried) {
  ec2_.launch_templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  const model::Request request = Request("req-1", "sfr-9999");
  resilience::Status s = handler_->Shrink(request, 0);
  ASSERT_FALSE(s.ok()) << "it may still launch: not stopped yet";
  EXPECT_EQ(s.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(ec2_.launch_templates.size(), 1U);
  clock_.Advance(kFleetVisibilityGrace + std::chrono::seconds(1));
  ASSERT_TRUE(handler_->Shrink(request, 0).ok()) << "gone";
  EXPECT_TRUE(ec2_.launch_templates.empty());
}

TEST_F(SpotFleetHandlerTest, CleanupCancelsThenTerminatesWhatTheFleetStillRunsAndIsIdempotent) {
  FakeSpotFleet& fleet = Fleet("req-1", 0);
  const std::string id = fleet.id;
  fleet.target = 1;
  fleet.fulfilled = 1;
  // A replacement HostFactory never had, launched untagged from the user's launch template.
  ec2_.instances["i-replacement"] = {.lifecycle = "spot", .spot_request_id = "sir-r"};
  fleet.members.push_back("i-replacement");
  ec2_.instances["i-returned"] = {
      .state = "terminated", .lifecycle = "spot", .spot_request_id = "sir-t"};
  fleet.members.push_back("i-returned");
  ec2_.launch_templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  model::Request request = Request("req-1", id);
  request.created.launch_template_id = "lt-0111";
  ASSERT_TRUE(handler_->Cleanup(request).ok());
  EXPECT_EQ(ec2_.SpotFleet(id)->state, "cancelled_running");
  EXPECT_LT(ec2_.Position("CancelSpotFleetRequests"), ec2_.Position("TerminateInstances"))
      << "cancelled first: a maintain fleet would replace what is terminated";
  const std::vector<Params> terminate = ec2_.Calls("TerminateInstances");
  ASSERT_EQ(terminate.size(), 1U);
  EXPECT_THAT(Terminated(terminate[0]), ElementsAre("i-replacement"))
      << "the request holds no machine: what the fleet still runs is nobody's";
  EXPECT_EQ(ec2_.instances["i-replacement"].state, "shutting-down");
  EXPECT_TRUE(ec2_.launch_templates.empty());

  ASSERT_TRUE(handler_->Cleanup(request).ok());
  EXPECT_EQ(ec2_.Calls("CancelSpotFleetRequests").size(), 1U) << "cancelled already: no call";
  EXPECT_EQ(ec2_.Calls("TerminateInstances").size(), 1U) << "nothing live left: no call";
}

TEST_F(SpotFleetHandlerTest, CleanupOfAFleetCancelledWithoutItsInstancesTerminatesWhatItRuns) {
  FakeSpotFleet& fleet = Fleet("req-1", 2);
  fleet.state = "cancelled_running";  // expired, or a request fleet stopped by Shrink
  const std::string id = fleet.id;
  const std::vector<std::string> members = fleet.members;
  ec2_.instances[members[0]].state = "terminated";  // returned by HostFactory
  ASSERT_TRUE(handler_->Cleanup(Request("req-1", id)).ok());
  EXPECT_TRUE(ec2_.Calls("CancelSpotFleetRequests").empty());
  const std::vector<Params> terminate = ec2_.Calls("TerminateInstances");
  ASSERT_EQ(terminate.size(), 1U);
  EXPECT_THAT(Terminated(terminate[0]), ElementsAre(members[1]));
}

TEST_F(SpotFleetHandlerTest, CleanupOfAFleetAwsNoLongerKnowsOnlyDeletesTheTemplate) {
  ec2_.launch_templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  ec2_.launch_templates["users-own"] = {"lt-0222", {}};
  ASSERT_TRUE(handler_->Cleanup(Request("req-1", "sfr-0123456789abcdef0")).ok());
  EXPECT_TRUE(ec2_.Calls("CancelSpotFleetRequests").empty());
  EXPECT_EQ(ec2_.launch_templates.size(), 1U);
  EXPECT_EQ(ec2_.launch_templates.count("users-own"), 1U) << "a template ohfp did not create stays";
}

}  // namespace
}  // namespace ohfp::provider
