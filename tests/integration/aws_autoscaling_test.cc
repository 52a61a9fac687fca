// Auto Scaling group operations against moto, round trip, with ohfp-chaos-proxy in front (it passes
// everything through unless a test sets rules). Tests named ...ViaProxyBecause... answer through
// the proxy where moto lacks an answer or answers unlike AWS; see the comments on each.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "aws/autoscaling/groups.h"
#include "aws/ec2/instances.h"
#include "aws_world.h"
#include "world_suite.h"

namespace ohfp::testing {
namespace {

namespace as = aws::autoscaling;
using resilience::ErrorKind;
using ::testing::AnyOf;
using ::testing::Contains;

constexpr char kImage[] = "ami-12345678";
constexpr char kTemplate[] = "ohfp-asg-lt";

// An Auto Scaling error as AWS sends it (Query shape, HTTP 400).
nlohmann::json ErrorFault(const std::string& code, const std::string& message) {
  return {{"type", "error"}, {"status", 400}, {"code", code}, {"message", message}};
}
nlohmann::json RespondFault(const std::string& body) {
  return {{"type", "respond"}, {"body", body}};
}
std::vector<std::string> IdsOf(const as::Group& g) {
  std::vector<std::string> ids;
  for (const aws::autoscaling::GroupInstance& i : g.instances) ids.push_back(i.instance_id);
  return ids;
}

class AwsAutoScalingTest : public WorldSuite<AwsAutoScalingTest> {
 public:
  static AwsWorldOptions WorldOptions() {
    return {.with_proxy = true, .resilience = FastRetries(4, std::chrono::seconds(30))};
  }

 protected:
  void SetUp() override {
    WorldSuite::SetUp();
    if (HasFatalFailure()) return;
    template_id_ = CreateLaunchTemplate(kTemplate, "t3.micro");
    ASSERT_FALSE(template_id_.empty());
  }

  // A launch template through a raw EC2 call (the typed launch template operation is another
  // family's); its id.
  std::string CreateLaunchTemplate(const std::string& name, const std::string& instance_type) {
    aws::QueryParams p;
    p.AddString("LaunchTemplateName", name)
        .AddString("LaunchTemplateData.ImageId", kImage)
        .AddString("LaunchTemplateData.InstanceType", instance_type);
    auto doc = client().Call(aws::AwsService::kEc2, "CreateLaunchTemplate", p,
                             "ec2_create_launch_template");
    EXPECT_TRUE(doc.ok()) << doc.error().ToString();
    if (!doc.ok()) return "";
    return doc->Find("launchTemplateId").Text();
  }
  // The default VPC's subnets, by a raw EC2 call.
  std::vector<std::string> DefaultSubnets() {
    aws::QueryParams p;
    p.AddString("Filter.1.Name", "default-for-az").AddString("Filter.1.Value.1", "true");
    auto doc = client().Call(aws::AwsService::kEc2, "DescribeSubnets", p, "ec2_describe_subnets");
    EXPECT_TRUE(doc.ok()) << doc.error().ToString();
    std::vector<std::string> ids;
    if (!doc.ok()) return ids;
    for (const aws::XmlNode& item : doc->Find("subnetSet").Children("item")) {
      ids.push_back(item.ChildText("subnetId").value_or(""));
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  as::CreateGroupRequest GroupOf(const std::string& name, int desired) {
    return as::CreateGroupRequest{
        .name = name,
        .launch_template =
            aws::autoscaling::LaunchTemplateSpecification{.name = kTemplate, .version = "$Latest"},
        .min_size = 0,
        .max_size = std::max(desired, 5),
        .desired_capacity = desired,
        .availability_zones = {"us-east-1a"},
        .tags = {{"ohfp:request-id", "req-" + name, true}}};
  }
  as::Group MustCreate(const as::CreateGroupRequest& request) {
    auto created = aws::autoscaling::CreateGroup(client(), request);
    EXPECT_TRUE(created.ok()) << created.error().ToString();
    return MustDescribe(request.name);
  }
  as::Group MustDescribe(const std::string& name) {
    auto g = aws::autoscaling::DescribeGroup(client(), name);
    EXPECT_TRUE(g.ok()) << g.error().ToString();
    return g.ok() ? *g : as::Group{};
  }
  std::vector<aws::ec2::Instance> Ec2Instances(const std::vector<std::string>& ids) {
    auto found = aws::ec2::DescribeInstances(
        client(), aws::ec2::DescribeInstancesRequest{.instance_ids = ids});
    EXPECT_TRUE(found.ok()) << found.error().ToString();
    return found.ok() ? *found : std::vector<aws::ec2::Instance>{};
  }

  std::string template_id_;
};

TEST_F(AwsAutoScalingTest, CreateLaunchesTheDesiredInstancesThatEc2Sees) {
  as::CreateGroupRequest request = GroupOf("g-create", 3);
  request.tags.push_back({"team", "hpc", false});
  request.capacity_rebalance = true;
  request.new_instances_protected_from_scale_in = false;
  request.default_cooldown = std::chrono::seconds(120);
  const as::Group g = MustCreate(request);

  EXPECT_EQ(g.name, "g-create");
  EXPECT_THAT(g.arn, ::testing::HasSubstr("autoScalingGroupName/g-create"));
  EXPECT_EQ(g.min_size, 0);
  EXPECT_EQ(g.max_size, 5);
  EXPECT_EQ(g.desired_capacity, 3);
  EXPECT_FALSE(g.IsBeingDeleted());
  ASSERT_TRUE(g.launch_template.has_value());
  EXPECT_EQ(g.launch_template->name, kTemplate);
  EXPECT_EQ(g.launch_template->id, template_id_);
  EXPECT_EQ(g.launch_template->version, "$Latest");
  EXPECT_THAT(g.availability_zones, ::testing::ElementsAre("us-east-1a"));
  EXPECT_TRUE(g.capacity_rebalance);
  EXPECT_EQ(g.default_cooldown, std::chrono::seconds(120));
  EXPECT_TRUE(g.created_time.has_value());
  EXPECT_EQ(g.TagValue("ohfp:request-id"), "req-g-create");
  EXPECT_THAT(g.tags, Contains(aws::autoscaling::Tag{"team", "hpc", false}));
  ASSERT_EQ(g.instances.size(), 3U);
  for (const aws::autoscaling::GroupInstance& i : g.instances) {
    EXPECT_EQ(i.lifecycle_state, "InService");
    EXPECT_EQ(i.health_status, "Healthy");
    EXPECT_EQ(i.instance_type, "t3.micro");
    EXPECT_EQ(i.availability_zone, "us-east-1a");
    EXPECT_FALSE(i.protected_from_scale_in);
    ASSERT_TRUE(i.launch_template.has_value());
    EXPECT_EQ(i.launch_template->id, template_id_);
  }

  // EC2's view of the same instances: running, with the propagated tag only.
  const auto ec2 = Ec2Instances(IdsOf(g));
  ASSERT_EQ(ec2.size(), 3U);
  for (const auto& i : ec2) {
    EXPECT_EQ(i.state, "running");
    EXPECT_EQ(i.image_id, kImage);
    EXPECT_EQ(i.TagValue("ohfp:request-id"), "req-g-create");
    EXPECT_EQ(i.TagValue("team"), std::nullopt);
    EXPECT_EQ(i.TagValue("aws:autoscaling:groupName"), "g-create");
  }
}

TEST_F(AwsAutoScalingTest, DetachWithDecrementLowersDesiredAndKeepsTheInstance) {
  const as::Group before = MustCreate(GroupOf("g-detach", 3));
  ASSERT_EQ(before.instances.size(), 3U);
  const std::string leaving = before.instances[1].instance_id;

  auto activities =
      aws::autoscaling::DetachInstances(client(), {.group_name = "g-detach",
                                                   .instance_ids = {leaving},
                                                   .should_decrement_desired_capacity = true});
  ASSERT_TRUE(activities.ok()) << activities.error().ToString();
  ASSERT_EQ(activities->size(), 1U);
  const aws::autoscaling::Activity& a = activities->front();
  EXPECT_FALSE(a.activity_id.empty());
  EXPECT_THAT(a.description, ::testing::HasSubstr(leaving));
  EXPECT_FALSE(a.status_code.empty());
  EXPECT_EQ(a.group_name, "g-detach");

  // The group: one fewer wanted, one fewer member, and not a replacement.
  const as::Group after = MustDescribe("g-detach");
  EXPECT_EQ(after.desired_capacity, 2);
  EXPECT_EQ(after.instances.size(), 2U);
  EXPECT_THAT(IdsOf(after), ::testing::Not(Contains(leaving)));
  for (const std::string& id : IdsOf(after)) EXPECT_THAT(IdsOf(before), Contains(id));

  // The detached instance still runs, outside the group, until we terminate it.
  auto detached = Ec2Instances({leaving});
  ASSERT_EQ(detached.size(), 1U);
  EXPECT_EQ(detached[0].state, "running");
  EXPECT_EQ(detached[0].TagValue("aws:autoscaling:groupName"), std::nullopt);
  auto terminated = aws::ec2::TerminateInstances(client(), {leaving});
  ASSERT_TRUE(terminated.ok()) << terminated.error().ToString();
  detached = Ec2Instances({leaving});
  ASSERT_EQ(detached.size(), 1U);
  EXPECT_THAT(detached[0].state, AnyOf("shutting-down", "terminated"));
  EXPECT_EQ(MustDescribe("g-detach").instances.size(), 2U);
}

TEST_F(AwsAutoScalingTest, DetachingMoreThanTwentyInstancesTakesSeveralCalls) {
  as::CreateGroupRequest request = GroupOf("g-many", 23);
  request.max_size = 30;
  const as::Group before = MustCreate(request);
  ASSERT_EQ(before.instances.size(), 23U);
  std::vector<std::string> leaving = IdsOf(before);
  leaving.resize(22);

  auto activities = aws::autoscaling::DetachInstances(
      client(), {.group_name = "g-many", .instance_ids = leaving});
  ASSERT_TRUE(activities.ok()) << activities.error().ToString();
  EXPECT_EQ(activities->size(), 22U);
  EXPECT_EQ(Count("DetachInstances"), 2);  // 20 + 2

  const as::Group after = MustDescribe("g-many");
  EXPECT_EQ(after.desired_capacity, 1);
  EXPECT_THAT(IdsOf(after), ::testing::ElementsAre(before.instances[22].instance_id));
  for (const auto& i : Ec2Instances(leaving)) EXPECT_EQ(i.state, "running") << i.instance_id;
}

TEST_F(AwsAutoScalingTest, DetachingNoInstancesMakesNoCall) {
  MustCreate(GroupOf("g-none", 1));
  auto activities = aws::autoscaling::DetachInstances(client(), {.group_name = "g-none"});
  ASSERT_TRUE(activities.ok()) << activities.error().ToString();
  EXPECT_THAT(*activities, ::testing::IsEmpty());
  EXPECT_EQ(Count("DetachInstances"), 0);
}

TEST_F(AwsAutoScalingTest, UpdateChangesOnlyTheFieldsThatAreSet) {
  MustCreate(GroupOf("g-update", 1));
  auto updated = aws::autoscaling::UpdateGroup(
      client(), {.name = "g-update", .max_size = 8, .desired_capacity = 4});
  ASSERT_TRUE(updated.ok()) << updated.error().ToString();
  as::Group g = MustDescribe("g-update");
  EXPECT_EQ(g.min_size, 0);
  EXPECT_EQ(g.max_size, 8);
  EXPECT_EQ(g.desired_capacity, 4);
  EXPECT_EQ(g.instances.size(), 4U);

  updated = aws::autoscaling::UpdateGroup(client(), {.name = "g-update", .min_size = 2});
  ASSERT_TRUE(updated.ok()) << updated.error().ToString();
  g = MustDescribe("g-update");
  EXPECT_EQ(g.min_size, 2);
  EXPECT_EQ(g.max_size, 8);
  EXPECT_EQ(g.desired_capacity, 4);

  auto missing = aws::autoscaling::UpdateGroup(client(), {.name = "g-nope", .desired_capacity = 1});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound) << missing.error().ToString();
}

TEST_F(AwsAutoScalingTest, ForceDeleteRemovesTheGroupAndASecondDeleteIsNotFound) {
  const as::Group g = MustCreate(GroupOf("g-delete", 2));
  ASSERT_EQ(g.instances.size(), 2U);

  auto deleted =
      aws::autoscaling::DeleteGroup(client(), {.name = "g-delete", .force_delete = true});
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();

  auto gone = aws::autoscaling::DescribeGroup(client(), "g-delete");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind(), ErrorKind::kNotFound);
  auto listed = aws::autoscaling::DescribeGroups(client(), {.names = {"g-delete"}});
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  EXPECT_THAT(*listed, ::testing::IsEmpty());
  // moto terminates a deleted group's instances at once; AWS does it while the group shows
  // "Delete in progress" (see DeleteInProgressIsReported...).
  for (const auto& i : Ec2Instances(IdsOf(g))) {
    EXPECT_THAT(i.state, AnyOf("shutting-down", "terminated")) << i.instance_id;
  }

  const int before = Count("DeleteAutoScalingGroup");
  auto again = aws::autoscaling::DeleteGroup(client(), {.name = "g-delete", .force_delete = true});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind(), ErrorKind::kNotFound) << again.error().ToString();
  EXPECT_EQ(Count("DeleteAutoScalingGroup") - before, 1) << "not found is not retried";
}

TEST_F(AwsAutoScalingTest, DescribeFollowsPagesChunksNamesAndFiltersByTag) {
  for (const char* name : {"g-p1", "g-p2", "g-p3"}) {
    as::CreateGroupRequest request = GroupOf(name, 0);
    request.tags = {{"ohfp:request-id", std::string(name) == "g-p3" ? "req-b" : "req-a", false}};
    ASSERT_TRUE(aws::autoscaling::CreateGroup(client(), request).ok());
  }
  world_->proxy()->Reset();

  auto all = aws::autoscaling::DescribeGroups(client(), {.max_records = 1});
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  std::vector<std::string> names;
  for (const as::Group& g : *all) names.push_back(g.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAreArray({"g-p1", "g-p2", "g-p3"}));
  EXPECT_EQ(Count("DescribeAutoScalingGroups"), 3) << "one page per group";

  world_->proxy()->Reset();
  auto named = aws::autoscaling::DescribeGroups(
      client(), {.names = {"g-p1", "g-p3", "g-unknown"}, .max_records = 2});
  ASSERT_TRUE(named.ok()) << named.error().ToString();
  names.clear();
  for (const as::Group& g : *named) names.push_back(g.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAreArray({"g-p1", "g-p3"}));
  EXPECT_EQ(Count("DescribeAutoScalingGroups"), 2) << "two chunks of at most two names";

  auto tagged =
      aws::autoscaling::DescribeGroups(client(), {.filters = {{"tag:ohfp:request-id", {"req-a"}}}});
  ASSERT_TRUE(tagged.ok()) << tagged.error().ToString();
  names.clear();
  for (const as::Group& g : *tagged) names.push_back(g.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAreArray({"g-p1", "g-p2"}));
}

TEST_F(AwsAutoScalingTest, MixedInstancesPolicyIsSentAndReadBack) {
  aws::autoscaling::MixedInstancesPolicy policy{
      .launch_template = {.id = template_id_, .version = "$Default"},
      .overrides = {{"c5.large", 2}, {"m5.large", std::nullopt}},
      .instances_distribution =
          aws::autoscaling::InstancesDistribution{.on_demand_base_capacity = 1,
                                                  .on_demand_percentage_above_base_capacity = 0,
                                                  .on_demand_allocation_strategy = "prioritized",
                                                  .spot_allocation_strategy = "capacity-optimized",
                                                  .spot_max_price = "0.25"}};
  as::CreateGroupRequest request{.name = "g-mixed",
                                 .mixed_instances_policy = policy,
                                 .min_size = 0,
                                 .max_size = 10,
                                 .desired_capacity = 4,
                                 .availability_zones = {"us-east-1a"}};
  const as::Group g = MustCreate(request);
  EXPECT_FALSE(g.launch_template.has_value());
  ASSERT_TRUE(g.mixed_instances_policy.has_value());
  const auto& read = *g.mixed_instances_policy;
  EXPECT_EQ(read.launch_template.id, template_id_);
  EXPECT_EQ(read.launch_template.version, "$Default");
  EXPECT_EQ(read.overrides, policy.overrides);
  ASSERT_TRUE(read.instances_distribution.has_value());
  EXPECT_EQ(*read.instances_distribution, *policy.instances_distribution);
  EXPECT_EQ(g.desired_capacity, 4);
  // moto launches ceil(units / first weight) instances of the template's type: 1 On-Demand
  // (weight 2 -> 1 instance) + 3 Spot units (-> 2 instances). AWS would launch c5.large/m5.large.
  EXPECT_EQ(g.instances.size(), 3U);
}

TEST_F(AwsAutoScalingTest, SubnetsBecomeTheVpcZoneIdentifier) {
  const std::vector<std::string> subnets = DefaultSubnets();
  ASSERT_GE(subnets.size(), 2U);
  as::CreateGroupRequest request = GroupOf("g-vpc", 2);
  request.availability_zones.clear();
  request.subnet_ids = {subnets[0], subnets[1]};
  const as::Group g = MustCreate(request);
  EXPECT_EQ(g.subnet_ids, request.subnet_ids);
  EXPECT_EQ(g.availability_zones.size(), 2U);
  ASSERT_EQ(g.instances.size(), 2U);
  for (const auto& i : Ec2Instances(IdsOf(g)))
    EXPECT_THAT(request.subnet_ids, Contains(i.subnet_id));
}

TEST_F(AwsAutoScalingTest, TerminateInstanceInGroupLowersDesiredAndTerminatesIt) {
  const as::Group before = MustCreate(GroupOf("g-term", 3));
  ASSERT_EQ(before.instances.size(), 3U);
  const std::string victim = before.instances[0].instance_id;

  auto activity = aws::autoscaling::TerminateInstanceInGroup(
      client(), {.instance_id = victim, .should_decrement_desired_capacity = true});
  ASSERT_TRUE(activity.ok()) << activity.error().ToString();
  EXPECT_FALSE(activity->activity_id.empty());
  EXPECT_THAT(activity->description, ::testing::HasSubstr(victim));

  const as::Group after = MustDescribe("g-term");
  EXPECT_EQ(after.desired_capacity, 2);
  // moto drops the instance from the group at once; AWS lists it as Terminating for a while.
  EXPECT_THAT(IdsOf(after), ::testing::Not(Contains(victim)));
  auto ec2 = Ec2Instances({victim});
  ASSERT_EQ(ec2.size(), 1U);
  EXPECT_THAT(ec2[0].state, AnyOf("shutting-down", "terminated"));
}

TEST_F(AwsAutoScalingTest, EveryOperationRunsUnderItsNameAndTheAutoScalingBreaker) {
  MustCreate(GroupOf("g-ops", 2));
  const as::Group g = MustDescribe("g-ops");
  ASSERT_EQ(g.instances.size(), 2U);
  ASSERT_TRUE(aws::autoscaling::UpdateGroup(client(), {.name = "g-ops", .max_size = 6}).ok());
  ASSERT_TRUE(aws::autoscaling::DetachInstances(
                  client(), {.group_name = "g-ops", .instance_ids = {g.instances[0].instance_id}})
                  .ok());
  ASSERT_TRUE(aws::autoscaling::TerminateInstanceInGroup(
                  client(), {.instance_id = g.instances[1].instance_id})
                  .ok());
  ASSERT_TRUE(
      aws::autoscaling::DeleteGroup(client(), {.name = "g-ops", .force_delete = true}).ok());

  std::set<std::string> seen;
  for (const auto& op : world_->pipeline().monitor().Operations()) {
    if (op.operation.starts_with("autoscaling_")) {
      EXPECT_EQ(op.service, "aws_autoscaling") << op.operation;
      seen.insert(op.operation);
    }
  }
  EXPECT_THAT(seen, ::testing::IsSupersetOf(
                        {"autoscaling_create_group", "autoscaling_describe_groups",
                         "autoscaling_update_group", "autoscaling_detach_instances",
                         "autoscaling_terminate_instance", "autoscaling_delete_group"}));
}

// moto 5.2.1 answers a CreateAutoScalingGroup whose name is in use with success and replaces the
// group: the old group's instances keep running, tracked by no group. AWS answers AlreadyExists.
// This test pins moto's behaviour so that a moto upgrade that fixes it is noticed.
TEST_F(AwsAutoScalingTest, MotoAcceptsADuplicateNameAndReplacesTheGroup) {
  const as::Group first = MustCreate(GroupOf("g-dup", 1));
  ASSERT_EQ(first.instances.size(), 1U);
  auto again = aws::autoscaling::CreateGroup(client(), GroupOf("g-dup", 2));
  ASSERT_TRUE(again.ok()) << "moto now refuses a duplicate name: " << again.error().ToString();

  auto groups = aws::autoscaling::DescribeGroups(client(), {.names = {"g-dup"}});
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1U);
  EXPECT_EQ((*groups)[0].desired_capacity, 2);
  EXPECT_THAT(IdsOf((*groups)[0]), ::testing::Not(Contains(first.instances[0].instance_id)));
  auto orphan = Ec2Instances(IdsOf(first));
  ASSERT_EQ(orphan.size(), 1U);
  EXPECT_EQ(orphan[0].state, "running");
}

// What AWS answers for a name in use, from the proxy: kAlreadyExists, not retried, nothing changed.
TEST_F(AwsAutoScalingTest, ADuplicateNameIsAlreadyExistsViaProxyBecauseMotoAcceptsDuplicates) {
  const as::Group first = MustCreate(GroupOf("g-exists", 2));
  Rules({Rule("CreateAutoScalingGroup",
              ErrorFault("AlreadyExists",
                         "AutoScalingGroup by this name already exists - A group with "
                         "the name g-exists already exists"))});
  const int before = Count("CreateAutoScalingGroup");
  auto again = aws::autoscaling::CreateGroup(client(), GroupOf("g-exists", 4));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind(), ErrorKind::kAlreadyExists) << again.error().ToString();
  EXPECT_EQ(Count("CreateAutoScalingGroup") - before, 1) << "AlreadyExists is not retried";
  const as::Group now = MustDescribe("g-exists");
  EXPECT_EQ(now.desired_capacity, 2);
  EXPECT_EQ(IdsOf(now), IdsOf(first));
}

// A lost CreateAutoScalingGroup answer: the pipeline retries, and AWS (here the proxy, since moto
// would replace the group) answers AlreadyExists, which the caller takes as "created". One group,
// with the instances of the first call.
TEST_F(AwsAutoScalingTest,
       ALostCreateAnswerEndsAsAlreadyExistsViaProxyBecauseMotoAcceptsDuplicates) {
  Rules({Rule("CreateAutoScalingGroup", {{"type", "drop_response"}}, 1),
         Rule("CreateAutoScalingGroup",
              ErrorFault("AlreadyExists",
                         "AutoScalingGroup by this name already exists - A group with the "
                         "name g-lost already exists"))});
  auto created = aws::autoscaling::CreateGroup(client(), GroupOf("g-lost", 3));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind(), ErrorKind::kAlreadyExists) << created.error().ToString();
  EXPECT_EQ(Count("CreateAutoScalingGroup"), 2);
  auto groups = aws::autoscaling::DescribeGroups(client(), {.names = {"g-lost"}});
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1U);
  EXPECT_EQ((*groups)[0].instances.size(), 3U);
  auto tagged = aws::ec2::DescribeInstances(
      client(), aws::ec2::DescribeInstancesRequest{
                    .filters = {{"tag:aws:autoscaling:groupName", {"g-lost"}}}});
  ASSERT_TRUE(tagged.ok());
  EXPECT_EQ(tagged->size(), 3U);
}

// moto answers TerminateInstanceInAutoScalingGroup for an instance in no group with an HTML 500
// (which would be retried as transient); AWS answers this ValidationError, which is kNotFound.
TEST_F(AwsAutoScalingTest, TerminatingAnInstanceInNoGroupIsNotFoundViaProxyBecauseMotoAnswers500) {
  Rules({Rule("TerminateInstanceInAutoScalingGroup",
              ErrorFault("ValidationError",
                         "Instance Id not found - No managed instance found for instance "
                         "ID: i-0123456789abcdef0"))});
  auto r =
      aws::autoscaling::TerminateInstanceInGroup(client(), {.instance_id = "i-0123456789abcdef0"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound) << r.error().ToString();
  EXPECT_EQ(Count("TerminateInstanceInAutoScalingGroup"), 1);
}

// moto detaches an instance that is not in the group by lowering DesiredCapacity anyway (and so
// terminates a member); AWS refuses with a ValidationError. The call fails without retry and the
// group is untouched.
TEST_F(AwsAutoScalingTest,
       DetachingAnInstanceNotInTheGroupFailsViaProxyBecauseMotoDecrementsAnyway) {
  const as::Group before = MustCreate(GroupOf("g-foreign", 2));
  Rules({Rule("DetachInstances", ErrorFault("ValidationError",
                                            "The instance i-0123456789abcdef0 is not part "
                                            "of Auto Scaling group g-foreign."))});
  auto r = aws::autoscaling::DetachInstances(
      client(), {.group_name = "g-foreign", .instance_ids = {"i-0123456789abcdef0"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().kind(), AnyOf(ErrorKind::kValidation, ErrorKind::kNotFound))
      << r.error().ToString();
  EXPECT_EQ(Count("DetachInstances"), 1);
  const as::Group after = MustDescribe("g-foreign");
  EXPECT_EQ(after.desired_capacity, 2);
  EXPECT_EQ(IdsOf(after), IdsOf(before));
}

// moto removes a deleted group at once; AWS keeps showing it, with Status "Delete in progress" and
// its instances Terminating, until they are gone. The proxy answers the describe as AWS would.
TEST_F(AwsAutoScalingTest, DeleteInProgressIsReportedViaProxyBecauseMotoDeletesAtOnce) {
  const std::string body =
      "<DescribeAutoScalingGroupsResponse "
      "xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">"
      "<DescribeAutoScalingGroupsResult><AutoScalingGroups><member>"
      "<AutoScalingGroupName>g-going</AutoScalingGroupName>"
      "<MinSize>0</MinSize><MaxSize>3</MaxSize><DesiredCapacity>0</DesiredCapacity>"
      "<Status>Delete in progress</Status>"
      "<Instances><member>"
      "<InstanceId>i-0aaaaaaaaaaaaaaa1</InstanceId><InstanceType>c5.large</InstanceType>"
      "<AvailabilityZone>us-east-1b</AvailabilityZone><LifecycleState>Terminating</LifecycleState>"
      "<HealthStatus>Healthy</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn>"
      "<WeightedCapacity>2</WeightedCapacity>"
      "</member></Instances>"
      "<AvailabilityZones><member>us-east-1b</member></AvailabilityZones>"
      "<VPCZoneIdentifier>subnet-1,subnet-2</VPCZoneIdentifier><Tags/>"
      "</member></AutoScalingGroups></DescribeAutoScalingGroupsResult>"
      "<ResponseMetadata><RequestId>{{request_id}}</RequestId></ResponseMetadata>"
      "</DescribeAutoScalingGroupsResponse>";
  Rules({Rule("DescribeAutoScalingGroups", RespondFault(body))});
  const as::Group g = MustDescribe("g-going");
  EXPECT_TRUE(g.IsBeingDeleted());
  EXPECT_EQ(g.status, "Delete in progress");
  EXPECT_EQ(g.desired_capacity, 0);
  EXPECT_THAT(g.subnet_ids, ::testing::ElementsAre("subnet-1", "subnet-2"));
  ASSERT_EQ(g.instances.size(), 1U);
  EXPECT_EQ(g.instances[0].lifecycle_state, "Terminating");
  EXPECT_EQ(g.instances[0].weighted_capacity, 2);
  EXPECT_FALSE(g.instances[0].launch_template.has_value());
}

TEST_F(AwsAutoScalingTest, AGroupWithoutCapacitiesIsAnUnexpectedResponseViaProxy) {
  Rules({Rule("DescribeAutoScalingGroups",
              RespondFault("<DescribeAutoScalingGroupsResponse>"
                           "<DescribeAutoScalingGroupsResult><AutoScalingGroups><member>"
                           "<AutoScalingGroupName>g-odd</AutoScalingGroupName>"
                           "</member></AutoScalingGroups>"
                           "</DescribeAutoScalingGroupsResult>"
                           "</DescribeAutoScalingGroupsResponse>"))});
  auto g = aws::autoscaling::DescribeGroup(client(), "g-odd");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().kind(), ErrorKind::kInternal);
  EXPECT_EQ(g.error().code(), "UnexpectedResponse");
  EXPECT_EQ(Count("DescribeAutoScalingGroups"), 1) << "a local misreading is not retried";
}

TEST_F(AwsAutoScalingTest, ThrottlingIsRetriedAndCountsAgainstTheAutoScalingOperationViaProxy) {
  MustCreate(GroupOf("g-throttle", 1));
  Rules({Rule("DescribeAutoScalingGroups", {{"type", "throttle"}}, 2)});
  const auto retries = [&] {
    for (const auto& op : world_->pipeline().monitor().Operations()) {
      if (op.operation == "autoscaling_describe_groups") return op.retry_attempts;
    }
    return std::uint64_t{0};
  };
  const std::uint64_t before = retries();
  const int requests_before = Count("DescribeAutoScalingGroups");
  const as::Group g = MustDescribe("g-throttle");
  EXPECT_EQ(g.instances.size(), 1U);
  EXPECT_EQ(retries() - before, 2U);
  EXPECT_EQ(Count("DescribeAutoScalingGroups") - requests_before, 3);
}

}  // namespace
}  // namespace ohfp::testing
