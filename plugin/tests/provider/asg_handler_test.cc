// AsgHandler without a network. First the CreateAutoScalingGroup request built from templates (each
// priceType, weights, subnets, tags, protection, refusals); then the handler's decisions against
// the shared in-memory AWS (fake_aws.h), for the paths moto cannot show: instances still Pending in
// the group, a group "Delete in progress", AlreadyExists, per-instance weights, failed scaling
// activities, a refused creation.
#include "provider/handlers/asg_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fake_aws.h"
#include "ohfp/resilience/manual_clock.h"

namespace ohfp::provider {
namespace {

namespace as = aws::autoscaling;
using model::PriceType;
using model::Template;
using resilience::ErrorKind;
using ::testing::ElementsAre;
using testing::FakeGroup;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Listed;
using testing::Params;

// ---- The CreateAutoScalingGroup request --------------------------------------------------------

Template AsgTemplate() {
  Template t;
  t.template_id = "Asg-C5";
  t.image_id = "ami-12c6146b";
  t.vm_type = "c5.large";
  t.subnet_ids = {"subnet-0123abcd", "subnet-4567cdef"};
  t.provider_api = model::ProviderApi::kAsg;
  return t;
}

AwsLaunchSpec SpecFor(const Template& t, int count = 3) {
  AwsLaunchSpec spec;
  spec.tmpl = &t;
  spec.request_id = "req-7";
  spec.count = count;
  spec.client_token = "req-7-1";
  spec.tags = {{"ohfp:request-id", "req-7"},
               {"ohfp:template-id", t.template_id},
               {"ohfp:provider", "aws"},
               {"team", "hpc"}};
  return spec;
}

const RequestLaunchTemplate kOwned{"lt-0aaa", "$Default", true};

TEST(AsgCreateGroupRequest, OnDemandOneTypeLaunchesFromTheRequestLaunchTemplateAsIs) {
  const Template t = AsgTemplate();
  auto r = CreateGroupRequestFor(SpecFor(t, 3), kOwned);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->name, "ohfp-req-7");
  EXPECT_EQ(r->min_size, 0);
  EXPECT_EQ(r->max_size, 3);
  EXPECT_EQ(r->desired_capacity, 3);
  ASSERT_TRUE(r->launch_template.has_value());
  EXPECT_EQ(*r->launch_template, (as::LaunchTemplateSpecification{"lt-0aaa", "", "$Default"}));
  EXPECT_FALSE(r->mixed_instances_policy.has_value());
  EXPECT_THAT(r->availability_zones, IsEmpty());
}

TEST(AsgCreateGroupRequest, SubnetsBecomeTheGroupsSubnetsInOrder) {
  Template t = AsgTemplate();
  t.subnet_ids = {"subnet-0000000b", "subnet-0000000a", "subnet-0000000c"};
  auto r = CreateGroupRequestFor(SpecFor(t), kOwned);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(r->subnet_ids, ElementsAre("subnet-0000000b", "subnet-0000000a", "subnet-0000000c"));
}

TEST(AsgCreateGroupRequest, NewInstancesAreProtectedFromScaleInAndNotRebalanced) {
  const Template t = AsgTemplate();
  auto r = CreateGroupRequestFor(SpecFor(t), kOwned);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->new_instances_protected_from_scale_in, true);
  EXPECT_EQ(r->capacity_rebalance, false);
}

TEST(AsgCreateGroupRequest, EveryTagOfTheSpecIsAGroupTagPropagatedAtLaunch) {
  const Template t = AsgTemplate();
  auto r = CreateGroupRequestFor(SpecFor(t), kOwned);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(r->tags,
              ElementsAre(as::Tag{"ohfp:request-id", "req-7", true},
                          as::Tag{"ohfp:template-id", "Asg-C5", true},
                          as::Tag{"ohfp:provider", "aws", true}, as::Tag{"team", "hpc", true}));
}

TEST(AsgCreateGroupRequest, SpotIsAMixedPolicyWithoutOnDemandCapacity) {
  Template t = AsgTemplate();
  t.price_type = PriceType::kSpot;
  t.max_spot_price = "0.08";
  t.allocation_strategy = model::AllocationStrategy::kCapacityOptimized;
  auto r = CreateGroupRequestFor(SpecFor(t), kOwned);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_FALSE(r->launch_template.has_value());
  ASSERT_TRUE(r->mixed_instances_policy.has_value());
  const as::MixedInstancesPolicy& p = *r->mixed_instances_policy;
  EXPECT_EQ(p.launch_template, (as::LaunchTemplateSpecification{"lt-0aaa", "", "$Default"}));
  EXPECT_THAT(p.overrides, ElementsAre(as::InstanceTypeOverride{"c5.large", std::nullopt}));
  ASSERT_TRUE(p.instances_distribution.has_value());
  EXPECT_EQ(*p.instances_distribution,
            (as::InstancesDistribution{.on_demand_base_capacity = 0,
                                       .on_demand_percentage_above_base_capacity = 0,
                                       .on_demand_allocation_strategy = "",
                                       .spot_allocation_strategy = "capacity-optimized",
                                       .spot_max_price = "0.08"}));
  EXPECT_EQ(r->desired_capacity, 3);
}

TEST(AsgCreateGroupRequest, HeterogeneousSplitsByPercentOnDemand) {
  Template t = AsgTemplate();
  t.price_type = PriceType::kHeterogeneous;
  t.percent_on_demand = 30;
  t.allocation_strategy = model::AllocationStrategy::kPriceCapacityOptimized;
  auto r = CreateGroupRequestFor(SpecFor(t), kOwned);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->mixed_instances_policy.has_value());
  ASSERT_TRUE(r->mixed_instances_policy->instances_distribution.has_value());
  const as::InstancesDistribution& d = *r->mixed_instances_policy->instances_distribution;
  EXPECT_EQ(d.on_demand_base_capacity, 0);
  EXPECT_EQ(d.on_demand_percentage_above_base_capacity, 30);
  EXPECT_EQ(d.spot_allocation_strategy, "price-capacity-optimized");
  EXPECT_EQ(d.on_demand_allocation_strategy, "") << "AWS's default for the On-Demand part";
  EXPECT_EQ(d.spot_max_price, "");
}

TEST(AsgCreateGroupRequest, HeterogeneousLowestPriceAppliesToBothMarkets) {
  Template t = AsgTemplate();
  t.price_type = PriceType::kHeterogeneous;
  t.percent_on_demand = 50;
  t.allocation_strategy = model::AllocationStrategy::kLowestPrice;
  t.max_spot_price = "0.2";
  auto r = CreateGroupRequestFor(SpecFor(t), kOwned);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const as::InstancesDistribution& d = *r->mixed_instances_policy->instances_distribution;
  EXPECT_EQ(d.on_demand_percentage_above_base_capacity, 50);
  EXPECT_EQ(d.spot_allocation_strategy, "lowest-price");
  EXPECT_EQ(d.on_demand_allocation_strategy, "lowest-price");
  EXPECT_EQ(d.spot_max_price, "0.2");
}

TEST(AsgCreateGroupRequest, OnDemandVmTypesWithWeightsCountCapacityUnits) {
  Template t = AsgTemplate();
  t.vm_types = {{"c5.large", 1}, {"c5.xlarge", 2}, {"c5.2xlarge", 4}};
  t.vm_type = "c5.large";
  t.allocation_strategy = model::AllocationStrategy::kPrioritized;
  auto r = CreateGroupRequestFor(SpecFor(t, 8), kOwned);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->desired_capacity, 8) << "units, not instances";
  EXPECT_EQ(r->max_size, 8);
  ASSERT_TRUE(r->mixed_instances_policy.has_value());
  EXPECT_THAT(
      r->mixed_instances_policy->overrides,
      ElementsAre(as::InstanceTypeOverride{"c5.large", 1}, as::InstanceTypeOverride{"c5.xlarge", 2},
                  as::InstanceTypeOverride{"c5.2xlarge", 4}));
  const as::InstancesDistribution& d = *r->mixed_instances_policy->instances_distribution;
  EXPECT_EQ(d.on_demand_percentage_above_base_capacity, 100);
  EXPECT_EQ(d.on_demand_allocation_strategy, "prioritized");
  EXPECT_EQ(d.spot_allocation_strategy, "");
  EXPECT_EQ(d.spot_max_price, "");
}

TEST(AsgCreateGroupRequest, VmTypesAllWeighingOneAreSentWithoutWeights) {
  Template t = AsgTemplate();
  t.vm_types = {{"c5.large", 1}, {"m5.large", 1}};
  t.price_type = PriceType::kSpot;
  auto r = CreateGroupRequestFor(SpecFor(t), kOwned);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(r->mixed_instances_policy->overrides,
              ElementsAre(as::InstanceTypeOverride{"c5.large", std::nullopt},
                          as::InstanceTypeOverride{"m5.large", std::nullopt}));
}

TEST(AsgCreateGroupRequest, TheUsersLaunchTemplateIsUsedAsIsWithoutAVmType) {
  Template t = AsgTemplate();
  t.vm_type.clear();
  t.launch_template_id = "lt-0user";
  auto r = CreateGroupRequestFor(SpecFor(t), {"lt-0user", "$Default", false});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->launch_template.has_value());
  EXPECT_EQ(r->launch_template->id, "lt-0user");
  EXPECT_FALSE(r->mixed_instances_policy.has_value());
}

TEST(AsgCreateGroupRequest, AVmTypeOverridesTheUsersLaunchTemplateType) {
  Template t = AsgTemplate();
  t.launch_template_id = "lt-0user";
  auto r = CreateGroupRequestFor(SpecFor(t), {"lt-0user", "$Default", false});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->mixed_instances_policy.has_value());
  EXPECT_EQ(r->mixed_instances_policy->launch_template.id, "lt-0user");
  EXPECT_THAT(r->mixed_instances_policy->overrides,
              ElementsAre(as::InstanceTypeOverride{"c5.large", std::nullopt}));
  EXPECT_EQ(
      r->mixed_instances_policy->instances_distribution->on_demand_percentage_above_base_capacity,
      100);
}

TEST(AsgCreateGroupRequest, NoSubnetIsRefusedNamingTheField) {
  Template t = AsgTemplate();
  t.subnet_ids.clear();
  auto r = CreateGroupRequestFor(SpecFor(t), kOwned);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(std::string(r.error().message()), HasSubstr("Asg-C5"));
  EXPECT_THAT(std::string(r.error().message()), HasSubstr("subnetId"));
}

TEST(AsgCreateGroupRequest, AWeightThatIsNotAWholeNumberFrom1To999IsRefused) {
  for (double weight : {0.5, 1.5, 1000.0}) {
    Template t = AsgTemplate();
    t.vm_types = {{"c5.large", 1}, {"c5.xlarge", weight}};
    auto r = CreateGroupRequestFor(SpecFor(t), kOwned);
    ASSERT_FALSE(r.ok()) << weight;
    EXPECT_EQ(r.error().kind(), ErrorKind::kValidation);
    EXPECT_THAT(std::string(r.error().message()), HasSubstr("c5.xlarge")) << weight;
  }
  Template t = AsgTemplate();
  t.vm_types = {{"c5.large", 999}};
  EXPECT_TRUE(CreateGroupRequestFor(SpecFor(t), kOwned).ok());
}

// ---- The handler over the in-memory AWS (fake_aws.h), for the paths moto cannot show ----------

// An EC2 instance as these tests set one up: `tagged` carries ohfp:request-id = req-7.
struct Ec2Instance {
  std::string id;
  std::string state = "running";
  bool tagged = true;
};

class AsgHandlerTest : public ::testing::Test {
 protected:
  AsgHandlerTest() {
    request_.id = "req-7";
    request_.provider_api = model::ProviderApi::kAsg;
    request_.machine_count = 3;
    request_.created.resource_id = "ohfp-req-7";
    // ohfp's launch template for the request, made by the launch.
    aws_.launch_templates["ohfp-req-7"] = {"lt-0aaa", RequestTag()};
  }

  static std::vector<aws::ec2::Tag> RequestTag() { return {{"ohfp:request-id", "req-7"}}; }
  // The request's group as AWS shows it: named for the request, tagged with it, launching from
  // ohfp's launch template.
  void SetGroup(FakeGroup g) {
    g.name = "ohfp-req-7";
    g.tags = RequestTag();
    g.launch_template_id = "lt-0aaa";
    aws_.groups[g.name] = std::move(g);
  }
  FakeGroup* Group() { return aws_.Group("ohfp-req-7"); }
  // The EC2 instances, replacing any there were.
  void SetInstances(const std::vector<Ec2Instance>& instances) {
    aws_.instances.clear();
    for (const Ec2Instance& i : instances) AddInstance(i);
  }
  void AddInstance(const Ec2Instance& i) {
    aws_.instances[i.id] = {.state = i.state,
                            .tags = i.tagged ? RequestTag() : std::vector<aws::ec2::Tag>{}};
  }
  // Ids of every instance the handler asked EC2 to terminate.
  std::set<std::string> Terminated() const {
    std::set<std::string> out;
    for (const Params& p : aws_.Calls("TerminateInstances")) {
      for (const std::string& id : Listed(p, "InstanceId.")) out.insert(id);
    }
    return out;
  }

  testing::FakeAwsClient world_{testing::SingleAttemptConfig()};  // every answer is the final one
  testing::FakeAws& aws_ = world_.aws();
  resilience::ManualClock& clock_ = world_.clock();
  std::unique_ptr<AsgHandler> handler_ = std::make_unique<AsgHandler>(world_.client(), clock_);
  model::Request request_;
};

TEST_F(AsgHandlerTest, ReleaseDetachesInServiceEndsPendingInTheGroupAndTerminatesExactlyTheIds) {
  SetGroup(FakeGroup{.desired = 3,
                     .members = {{"i-a"}, {"i-b", "Pending"}, {"i-c"}, {"i-d", "Terminating"}}});
  SetInstances({{"i-a"}, {"i-b", "pending"}, {"i-c"}, {"i-e"}});
  // i-e is not (or no longer) in the group; i-d is already leaving it.
  ASSERT_TRUE(handler_->Release(request_, {"i-a", "i-b", "i-d", "i-e"}).ok());

  const auto detach = aws_.Calls("DetachInstances");
  ASSERT_EQ(detach.size(), 1U);
  EXPECT_THAT(Listed(detach[0], "InstanceIds.member."), ElementsAre("i-a"))
      << "only InService members can be detached";
  EXPECT_EQ(detach[0].at("ShouldDecrementDesiredCapacity"), "true");
  const auto in_group = aws_.Calls("TerminateInstanceInAutoScalingGroup");
  ASSERT_EQ(in_group.size(), 1U);
  EXPECT_EQ(in_group[0].at("InstanceId"), "i-b") << "a Pending member leaves by termination";
  EXPECT_EQ(in_group[0].at("ShouldDecrementDesiredCapacity"), "true");
  EXPECT_THAT(Terminated(), ::testing::UnorderedElementsAre("i-a", "i-b", "i-d", "i-e"));
  EXPECT_EQ(Group()->desired, 1) << "lowered by the two taken out, so nothing replaces them";
  EXPECT_THAT(aws_.Calls("UpdateAutoScalingGroup"), IsEmpty());
  // Detach (or end) before terminating: a member terminated while in the group is replaced.
  const std::vector<std::string> order = aws_.Actions();
  const auto first_terminate = std::find(order.begin(), order.end(), "TerminateInstances");
  EXPECT_EQ(std::find(first_terminate, order.end(), "DetachInstances"), order.end());
}

TEST_F(AsgHandlerTest, ReleaseNeverTouchesAnInstanceItWasNotGiven) {
  SetGroup(FakeGroup{.desired = 3, .members = {{"i-a"}, {"i-b"}, {"i-c"}}});
  SetInstances({{"i-a"}, {"i-b"}, {"i-c"}});
  ASSERT_TRUE(handler_->Release(request_, {"i-b"}).ok());
  EXPECT_THAT(Terminated(), ElementsAre("i-b"));
  for (const Params& p : aws_.Calls("DetachInstances")) {
    EXPECT_THAT(Listed(p, "InstanceIds.member."), ElementsAre("i-b"));
  }
  EXPECT_THAT(aws_.Calls("TerminateInstanceInAutoScalingGroup"), IsEmpty());
  EXPECT_EQ(Group()->members.size(), 2U);
}

TEST_F(AsgHandlerTest, ReleaseWithTheGroupGoneOnlyTerminates) {
  SetInstances({{"i-a"}});
  ASSERT_TRUE(handler_->Release(request_, {"i-a"}).ok());
  EXPECT_THAT(aws_.Calls("DetachInstances"), IsEmpty());
  EXPECT_THAT(Terminated(), ElementsAre("i-a"));
}

TEST_F(AsgHandlerTest, ReleaseFromAGroupBeingDeletedOnlyTerminates) {
  SetGroup(
      FakeGroup{.desired = 0, .status = "Delete in progress", .members = {{"i-a", "Terminating"}}});
  ASSERT_TRUE(handler_->Release(request_, {"i-a"}).ok());
  EXPECT_THAT(aws_.Calls("DetachInstances"), IsEmpty());
  EXPECT_THAT(Terminated(), ElementsAre("i-a"));
}

TEST_F(AsgHandlerTest, ReleaseFromAWeightedGroupLowersTheTargetByTheInstancesUnits) {
  // The fake, like AWS's documentation, decrements by the number of instances detached.
  SetGroup(FakeGroup{.max = 8,
                     .desired = 8,
                     .members = {{"i-a", "InService", "c5.xlarge"},
                                 {"i-b", "InService", "c5.2xlarge"},
                                 {"i-c", "InService", "c5.xlarge"}},
                     .weights = {{"c5.xlarge", 2}, {"c5.2xlarge", 4}}});
  ASSERT_TRUE(handler_->Release(request_, {"i-b"}).ok());
  const auto updates = aws_.Calls("UpdateAutoScalingGroup");
  ASSERT_EQ(updates.size(), 1U);
  EXPECT_EQ(updates[0].at("DesiredCapacity"), "4") << "8 units less the 4 of a c5.2xlarge";
  EXPECT_EQ(Group()->desired, 4);
  EXPECT_THAT(Terminated(), ElementsAre("i-b"));
}

TEST_F(AsgHandlerTest, ReleaseWhoseDetachFindsAnInstanceGoneDetachesTheOthersOneByOne) {
  SetGroup(FakeGroup{.desired = 3, .members = {{"i-a"}, {"i-b"}, {"i-c"}}});
  int calls = 0;
  aws_.On("DetachInstances", [&](const Params& p) {
    if (++calls == 1) {
      // i-a left the group meanwhile (a spot interruption, say): AWS refuses the whole call.
      std::erase_if(Group()->members,
                    [](const testing::FakeGroupMember& m) { return m.id == "i-a"; });
    }
    return aws_.Model("DetachInstances", p);
  });
  ASSERT_TRUE(handler_->Release(request_, {"i-a", "i-b"}).ok());
  const auto detach = aws_.Calls("DetachInstances");
  ASSERT_EQ(detach.size(), 2U);
  EXPECT_THAT(Listed(detach[1], "InstanceIds.member."), ElementsAre("i-b"));
  EXPECT_THAT(Terminated(), ::testing::UnorderedElementsAre("i-a", "i-b"));
  EXPECT_EQ(Group()->desired, 2);
}

TEST_F(AsgHandlerTest, ReleaseStopsBeforeTerminatingWhenTheDetachFails) {
  SetGroup(FakeGroup{.desired = 2, .members = {{"i-a"}, {"i-b"}}});
  aws_.Refuse("DetachInstances",
              {.code = "InternalFailure", .message = "try again", .status = 500});
  const auto s = handler_->Release(request_, {"i-a"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kTransient);
  EXPECT_THAT(aws_.Calls("TerminateInstances"), IsEmpty())
      << "terminating a member still in the group would make the group replace it";
}

TEST_F(AsgHandlerTest, ObserveCountsPendingAndInServiceMembersTowardsTheTarget) {
  SetGroup(FakeGroup{.desired = 3, .members = {{"i-a"}, {"i-b", "Pending"}}});
  SetInstances({{"i-a"}, {"i-b", "pending"}});
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling) << "2 of 3";
  EXPECT_EQ(seen->resource_id, "ohfp-req-7");
  EXPECT_FALSE(seen->running_capacity.has_value()) << "no weights";
  EXPECT_EQ(seen->instances.size(), 2U);

  Group()->members.push_back({"i-c", "Pending"});
  AddInstance({"i-c", "pending"});
  seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling) << "3 of 3, one still pending (its machine is executing)";
}

TEST_F(AsgHandlerTest, ObserveOfAGroupShortOfItsTargetSaysWhyFromItsFailedActivities) {
  request_.created_at =
      model::FromEpochMillis(1767225600000);  // 2026-01-01T00:00:00Z, the ManualClock's start
  const std::string no_capacity =
      "We currently do not have sufficient c5.large capacity in the Availability Zone you "
      "requested (us-east-1a). Launching EC2 instance failed.";
  SetGroup(FakeGroup{.desired = 3,
                     .members = {{"i-a"}},
                     .activities = {{"Failed", no_capacity},
                                    {"Successful", ""},
                                    {"Failed", no_capacity, "2026-01-01T00:00:05Z"},
                                    {"Cancelled", "Spot price too low"},
                                    {"Failed", "an earlier group's", "2025-12-31T23:00:00Z"}}});
  SetInstances({{"i-a"}});
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  ASSERT_THAT(aws_.Calls("DescribeScalingActivities"), ::testing::Not(IsEmpty()));
  for (const Params& p : aws_.Calls("DescribeScalingActivities")) {
    EXPECT_EQ(p.at("AutoScalingGroupName"), "ohfp-req-7");
  }
  EXPECT_TRUE(seen->fulfilling);
  EXPECT_THAT(seen->errors, ElementsAre("Auto Scaling activity Failed: " + no_capacity,
                                        "Auto Scaling activity Cancelled: Spot price too low"));

  Group()->members.push_back({"i-b"});
  Group()->members.push_back({"i-c"});
  const std::size_t asked = aws_.Calls("DescribeScalingActivities").size();
  seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
  EXPECT_THAT(seen->errors, IsEmpty());
  EXPECT_EQ(aws_.Calls("DescribeScalingActivities").size(), asked) << "at its target: not asked";
}

TEST_F(AsgHandlerTest, ObserveOfAShortGroupWhoseActivitiesCannotBeReadSaysSo) {
  SetGroup(FakeGroup{.desired = 3, .members = {{"i-a"}}});
  SetInstances({{"i-a"}});
  aws_.Refuse("DescribeScalingActivities",
              {.code = "AccessDenied",
               .message = "not authorized to DescribeScalingActivities",
               .status = 403});
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling);
  EXPECT_THAT(seen->errors, ElementsAre(HasSubstr("scaling activities could not be read")));
}

TEST_F(AsgHandlerTest, ARecordedGroupNotListedYetIsFulfillingUntilTheGraceEnds) {
  request_.created_at = model::FromEpochMillis(1767225600000);  // now, on the ManualClock
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling) << "describe calls are eventually consistent";
  EXPECT_THAT(seen->errors, IsEmpty());
  clock_.Advance(kGroupVisibilityGrace + std::chrono::seconds(1));
  seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
  EXPECT_THAT(seen->errors, ElementsAre("Auto Scaling group ohfp-req-7 no longer exists"));
}

TEST_F(AsgHandlerTest, ObserveReportsAMemberItCannotTagAndTagsItOnALaterPoll) {
  SetGroup(FakeGroup{.desired = 1, .members = {{"i-a"}}});
  SetInstances({{"i-a", "running", /*tagged=*/false}});
  aws_.Refuse("CreateTags", {.code = "UnauthorizedOperation",
                             .message = "not authorized to perform ec2:CreateTags",
                             .status = 403});
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  ASSERT_EQ(seen->instances.size(), 1U);
  EXPECT_EQ(seen->instances[0].instance_id, "i-a");
  EXPECT_FALSE(seen->fulfilling);

  aws_.StopRefusing("CreateTags");
  seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->instances.at(0).TagValue("ohfp:request-id"), "req-7");
  EXPECT_EQ(aws_.Calls("CreateTags").size(), 2U);
}

TEST_F(AsgHandlerTest, ObserveOfAGroupBeingDeletedIsNotFulfilling) {
  SetGroup(FakeGroup{.desired = 3, .status = "Delete in progress"});
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
}

TEST_F(AsgHandlerTest, ObserveFindsTheGroupByNameBeforeTheRequestRecordedIt) {
  request_.created.resource_id.clear();
  SetGroup(FakeGroup{.desired = 3});
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->resource_id, "ohfp-req-7");
  EXPECT_EQ(seen->launch_template_id, "lt-0aaa");
  EXPECT_TRUE(seen->fulfilling);

  aws_.groups.clear();
  seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->resource_id, "") << "no group: nothing to adopt";
  EXPECT_FALSE(seen->fulfilling);
}

TEST_F(AsgHandlerTest, ObserveTagsAMemberThatLacksTheRequestTag) {
  SetGroup(FakeGroup{.desired = 1, .members = {{"i-a"}}});
  SetInstances({{"i-a", "running", /*tagged=*/false}});
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  ASSERT_EQ(seen->instances.size(), 1U);
  EXPECT_EQ(seen->instances[0].TagValue("ohfp:request-id"), "req-7");
  const auto tagged = aws_.Calls("CreateTags");
  ASSERT_EQ(tagged.size(), 1U);
  EXPECT_EQ(tagged[0].at("ResourceId.1"), "i-a");
}

TEST_F(AsgHandlerTest, ObserveOfAWeightedGroupCountsUnitsRunning) {
  SetGroup(FakeGroup{.max = 8,
                     .desired = 8,
                     .members = {{"i-a", "InService", "c5.xlarge"},
                                 {"i-b", "InService", "c5.2xlarge", 4},
                                 {"i-c", "Pending", "c5.xlarge"}},
                     .weights = {{"c5.xlarge", 2}, {"c5.2xlarge", 4}}});
  SetInstances({{"i-a"}, {"i-b"}, {"i-c", "pending"}});
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  ASSERT_TRUE(seen->running_capacity.has_value());
  EXPECT_DOUBLE_EQ(*seen->running_capacity, 6.0) << "2 + 4; the pending one does not count yet";
  EXPECT_FALSE(seen->fulfilling) << "2 + 4 + 2 units live of 8";
}

TEST_F(AsgHandlerTest, ShrinkLowersTargetAndMaximumToWhatIsKept) {
  SetGroup(FakeGroup{.max = 5, .desired = 5, .members = {{"i-a"}, {"i-b"}}});
  ASSERT_TRUE(handler_->Shrink(request_, 2).ok());
  const auto updates = aws_.Calls("UpdateAutoScalingGroup");
  ASSERT_EQ(updates.size(), 1U);
  EXPECT_EQ(updates[0].at("DesiredCapacity"), "2");
  EXPECT_EQ(updates[0].at("MaxSize"), "2");
  EXPECT_EQ(updates[0].at("MinSize"), "0");
  EXPECT_THAT(aws_.Calls("TerminateInstances"), IsEmpty());
  EXPECT_THAT(aws_.Calls("DetachInstances"), IsEmpty());

  ASSERT_TRUE(handler_->Shrink(request_, 2).ok());
  EXPECT_EQ(aws_.Calls("UpdateAutoScalingGroup").size(), 1U) << "already there: no call";
}

TEST_F(AsgHandlerTest, ShrinkOfAWeightedGroupKeepsTheUnitsOfItsInstances) {
  SetGroup(FakeGroup{.max = 8,
                     .desired = 8,
                     .members = {{"i-a", "InService", "c5.xlarge"}},
                     .weights = {{"c5.xlarge", 2}, {"c5.2xlarge", 4}}});
  ASSERT_TRUE(handler_->Shrink(request_, 1).ok());
  EXPECT_EQ(Group()->desired, 2);
  EXPECT_EQ(Group()->max, 2);
}

TEST_F(AsgHandlerTest, ShrinkToNothingDeletesTheGroupAndTheLaunchTemplate) {
  // The request ends without a machine: none will ever be returned to trigger the cleanup.
  SetGroup(FakeGroup{.max = 3, .desired = 3});
  ASSERT_TRUE(handler_->Shrink(request_, 0).ok());
  EXPECT_EQ(Group(), nullptr) << "deleted";
  const auto deletes = aws_.Calls("DeleteAutoScalingGroup");
  ASSERT_EQ(deletes.size(), 1U);
  EXPECT_EQ(deletes[0].at("ForceDelete"), "true");
  EXPECT_EQ(aws_.Calls("DeleteLaunchTemplate").size(), 1U);
  EXPECT_THAT(aws_.Calls("UpdateAutoScalingGroup"), IsEmpty());
}

TEST_F(AsgHandlerTest, ShrinkOfARecordedGroupNotListedYetIsToBeRetried) {
  request_.created_at = model::FromEpochMillis(1767225600000);  // now, on the ManualClock
  auto s = handler_->Shrink(request_, 0);
  ASSERT_FALSE(s.ok()) << "it may still launch: not stopped yet";
  EXPECT_EQ(s.error().kind(), ErrorKind::kTransient);
  EXPECT_THAT(aws_.Calls("DeleteLaunchTemplate"), IsEmpty());
  clock_.Advance(kGroupVisibilityGrace + std::chrono::seconds(1));
  ASSERT_TRUE(handler_->Shrink(request_, 0).ok()) << "gone";
  EXPECT_EQ(aws_.Calls("DeleteLaunchTemplate").size(), 1U);
}

TEST_F(AsgHandlerTest, ShrinkOfAGroupThatIsGoneIsDone) {
  ASSERT_TRUE(handler_->Shrink(request_, 1).ok());
  EXPECT_THAT(aws_.Calls("UpdateAutoScalingGroup"), IsEmpty());
}

TEST_F(AsgHandlerTest, CleanupForceDeletesTheGroupThenTheLaunchTemplateAndIsIdempotent) {
  SetGroup(FakeGroup{.desired = 0});
  ASSERT_TRUE(handler_->Cleanup(request_).ok());
  const auto deletes = aws_.Calls("DeleteAutoScalingGroup");
  ASSERT_EQ(deletes.size(), 1U);
  EXPECT_EQ(deletes[0].at("AutoScalingGroupName"), "ohfp-req-7");
  EXPECT_EQ(deletes[0].at("ForceDelete"), "true");
  const auto lt = aws_.Calls("DeleteLaunchTemplate");
  ASSERT_EQ(lt.size(), 1U);
  EXPECT_EQ(lt[0].at("LaunchTemplateId"), "lt-0aaa");

  ASSERT_TRUE(handler_->Cleanup(request_).ok());
  EXPECT_EQ(aws_.Calls("DeleteAutoScalingGroup").size(), 1U) << "gone: not deleted again";
}

TEST_F(AsgHandlerTest, CleanupOfAGroupBeingDeletedOnlyDeletesTheLaunchTemplate) {
  SetGroup(FakeGroup{.desired = 0, .status = "Delete in progress"});
  ASSERT_TRUE(handler_->Cleanup(request_).ok());
  EXPECT_THAT(aws_.Calls("DeleteAutoScalingGroup"), IsEmpty());
  EXPECT_EQ(aws_.Calls("DeleteLaunchTemplate").size(), 1U);
}

TEST_F(AsgHandlerTest, CleanupWhenTheGroupVanishesMeanwhileIsDone) {
  SetGroup(FakeGroup{.desired = 0});
  aws_.Refuse(
      "DeleteAutoScalingGroup",
      {.code = "ValidationError",
       .message = "AutoScalingGroup name not found - AutoScalingGroup 'ohfp-req-7' not found"});
  ASSERT_TRUE(handler_->Cleanup(request_).ok());
  EXPECT_EQ(aws_.Calls("DeleteLaunchTemplate").size(), 1U);
}

class AsgLaunchTest : public AsgHandlerTest {
 protected:
  AsgLaunchTest() : tmpl_(AsgTemplate()) { aws_.launch_templates.clear(); }  // the launch makes it
  // The id of ohfp's launch template for the request ("" when there is none).
  std::string OhfpsTemplate() const {
    auto it = aws_.launch_templates.find("ohfp-req-7");
    return it == aws_.launch_templates.end() ? "" : it->second.id;
  }
  Template tmpl_;
};

TEST_F(AsgLaunchTest, LaunchCreatesTheLaunchTemplateThenTheGroupAndReportsBoth) {
  auto out = handler_->Launch(SpecFor(tmpl_, 3));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->resource_id, "ohfp-req-7");
  ASSERT_NE(OhfpsTemplate(), "");
  EXPECT_EQ(out->launch_template_id, OhfpsTemplate());
  EXPECT_THAT(out->instances, IsEmpty());
  EXPECT_THAT(aws_.Actions(), ElementsAre("CreateLaunchTemplate", "CreateAutoScalingGroup"));
  const auto created = aws_.Calls("CreateAutoScalingGroup");
  EXPECT_EQ(created[0].at("LaunchTemplate.LaunchTemplateId"), OhfpsTemplate());
  EXPECT_EQ(created[0].at("NewInstancesProtectedFromScaleIn"), "true");
  EXPECT_EQ(created[0].at("VPCZoneIdentifier"), "subnet-0123abcd,subnet-4567cdef");
  EXPECT_EQ(created[0].at("DesiredCapacity"), "3");
}

TEST_F(AsgLaunchTest, LaunchAdoptsTheGroupWhenTheNameIsInUseViaScriptedAlreadyExists) {
  aws_.Refuse("CreateAutoScalingGroup",
              {.code = "AlreadyExists",
               .message = "AutoScalingGroup by this name already exists - A group with the name "
                          "ohfp-req-7 already exists"});
  auto out = handler_->Launch(SpecFor(tmpl_, 3));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->resource_id, "ohfp-req-7");
  ASSERT_NE(OhfpsTemplate(), "");
  EXPECT_EQ(out->launch_template_id, OhfpsTemplate());
  EXPECT_THAT(aws_.Calls("DeleteLaunchTemplate"), IsEmpty());
}

TEST_F(AsgLaunchTest, ARefusedGroupDeletesTheLaunchTemplateMadeForIt) {
  aws_.Refuse(
      "CreateAutoScalingGroup",
      {.code = "ValidationError", .message = "The subnet ID 'subnet-0123abcd' does not exist"});
  auto out = handler_->Launch(SpecFor(tmpl_, 3));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kValidation);
  EXPECT_EQ(aws_.Calls("DeleteLaunchTemplate").size(), 1U);
}

TEST_F(AsgLaunchTest, AnUnansweredCreateKeepsTheLaunchTemplateForTheGroupThatMayExist) {
  aws_.Refuse("CreateAutoScalingGroup",
              {.code = "ServiceUnavailable", .message = "later", .status = 503});
  auto out = handler_->Launch(SpecFor(tmpl_, 3));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kTransient);
  EXPECT_THAT(aws_.Calls("DeleteLaunchTemplate"), IsEmpty());
}

TEST_F(AsgLaunchTest, ATemplateWithoutSubnetsIsRefusedBeforeAnythingIsCreated) {
  tmpl_.subnet_ids.clear();
  auto out = handler_->Launch(SpecFor(tmpl_, 3));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(aws_.Actions(), IsEmpty());
}

TEST_F(AsgLaunchTest, TheUsersLaunchTemplateIsNeitherCreatedNorReported) {
  tmpl_.launch_template_id = "lt-0user";
  tmpl_.vm_type.clear();
  auto out = handler_->Launch(SpecFor(tmpl_, 3));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->launch_template_id, "");
  EXPECT_THAT(aws_.Actions(), ElementsAre("CreateAutoScalingGroup"));
  EXPECT_THAT(aws_.Actions(), ::testing::Not(::testing::Contains("CreateLaunchTemplate")));
}

}  // namespace
}  // namespace ohfp::provider
