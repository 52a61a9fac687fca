// The ASG providerApi end to end, in process: the HostFactory service over AwsProvider and moto
// behind ohfp-chaos-proxy. A request is one Auto Scaling group; returning machines detaches them
// (lowering the group's target) and terminates exactly them; once the request holds no machine its
// group and launch template are gone.
//
// moto differs from AWS here; the tests named ...ViaProxyBecause... have the proxy answer as AWS
// would (see the comment on each):
//   - a duplicate CreateAutoScalingGroup succeeds and replaces the group (AWS: AlreadyExists);
//   - a group launches everything at once, so a group short of its target is staged: the proxy
//     takes the CreateAutoScalingGroup, the test creates the group AWS would have managed (fewer
//     instances), and the proxy shows its DesiredCapacity as asked;
//   - with weights, moto launches ceil(units / first weight) instances of the launch template's
//   type
//     and, on a detach, lowers its target by instance count and launches a replacement; weighted
//     groups are therefore returned end to end only with a first weight of 1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "aws/autoscaling/groups.h"
#include "aws/ec2/instances.h"
#include "aws/ec2/launch_templates.h"
#include "plugin_world.h"
#include "provider/handlers/asg_handler.h"
#include "world_suite.h"

namespace ohfp::testing {
namespace {

namespace as = aws::autoscaling;
using model::ProviderApi;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAreArray;

nlohmann::json QueryErrorFault(int status, const std::string& code, const std::string& message) {
  return {{"type", "error"}, {"status", status}, {"code", code}, {"message", message}};
}

// "2026-01-01T00:00:00Z" for `when`.
std::string IsoTime(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

// A DescribeScalingActivities answer with one Failed launch of `group`, started at `start`, as AWS
// reports a launch that found no capacity.
std::string FailedLaunchActivity(const std::string& group, const std::string& start) {
  const std::string why =
      "We currently do not have sufficient c5.large capacity in the Availability Zone you "
      "requested (us-east-1a). Our system will be working on provisioning additional capacity. "
      "Launching EC2 instance failed.";
  return "<DescribeScalingActivitiesResponse "
         "xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">"
         "<DescribeScalingActivitiesResult><Activities><member>"
         "<ActivityId>5b5e4b4e-0000-4000-8000-000000000001</ActivityId>"
         "<AutoScalingGroupName>" +
         group +
         "</AutoScalingGroupName><Description>Launching a new EC2 instance.  Status Reason: " +
         why + "</Description><Cause>At " + start +
         " an instance was started in response to a difference between desired and actual "
         "capacity, increasing the capacity from 3 to 4.</Cause><StartTime>" +
         start + "</StartTime><EndTime>" + start +
         "</EndTime><StatusCode>Failed</StatusCode><StatusMessage>" + why +
         "</StatusMessage><Progress>100</Progress></member></Activities>"
         "</DescribeScalingActivitiesResult><ResponseMetadata><RequestId>{{request_id}}"
         "</RequestId></ResponseMetadata></DescribeScalingActivitiesResponse>";
}

std::vector<std::string> MemberIds(const as::Group& g) {
  std::vector<std::string> ids;
  for (const as::GroupInstance& i : g.instances) ids.push_back(i.instance_id);
  return ids;
}

// A DescribeAutoScalingGroups answer showing `g` with another DesiredCapacity and MaxSize (what AWS
// shows for a group that could not launch all it wants).
std::string DescribeAnswer(const as::Group& g, int desired) {
  std::string x =
      "<DescribeAutoScalingGroupsResponse "
      "xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">"
      "<DescribeAutoScalingGroupsResult><AutoScalingGroups><member>"
      "<AutoScalingGroupName>" +
      g.name + "</AutoScalingGroupName><MinSize>" + std::to_string(g.min_size) +
      "</MinSize><MaxSize>" + std::to_string(desired) + "</MaxSize><DesiredCapacity>" +
      std::to_string(desired) + "</DesiredCapacity>";
  if (g.launch_template) {
    x += "<LaunchTemplate><LaunchTemplateId>" + g.launch_template->id +
         "</LaunchTemplateId><Version>" + g.launch_template->version +
         "</Version></LaunchTemplate>";
  }
  x += "<Instances>";
  for (const as::GroupInstance& i : g.instances) {
    x += "<member><InstanceId>" + i.instance_id + "</InstanceId><InstanceType>" + i.instance_type +
         "</InstanceType><AvailabilityZone>" + i.availability_zone +
         "</AvailabilityZone><LifecycleState>" + i.lifecycle_state +
         "</LifecycleState><HealthStatus>" + i.health_status +
         "</HealthStatus><ProtectedFromScaleIn>" + (i.protected_from_scale_in ? "true" : "false") +
         "</ProtectedFromScaleIn></member>";
  }
  x += "</Instances><Tags>";
  for (const as::Tag& t : g.tags) {
    x += "<member><Key>" + t.key + "</Key><Value>" + t.value + "</Value><PropagateAtLaunch>" +
         (t.propagate_at_launch ? "true" : "false") + "</PropagateAtLaunch></member>";
  }
  std::string subnets;
  for (const std::string& s : g.subnet_ids) subnets += (subnets.empty() ? "" : ",") + s;
  x += "</Tags><VPCZoneIdentifier>" + subnets + "</VPCZoneIdentifier>";
  return x +
         "</member></AutoScalingGroups></DescribeAutoScalingGroupsResult>"
         "<ResponseMetadata><RequestId>{{request_id}}</RequestId></ResponseMetadata>"
         "</DescribeAutoScalingGroupsResponse>";
}

class AsgProviderTest : public WorldSuite<AsgProviderTest> {
 public:
  static AwsWorldOptions WorldOptions() {
    return {.with_proxy = true, .resilience = FastRetries(4)};
  }

 protected:
  // Gives every template of `plugin` moto's default subnets; the first template.
  static model::Template& UseDefaultSubnets(PluginWorld& plugin) {
    const std::vector<std::string> subnets = plugin.DefaultSubnets();
    EXPECT_FALSE(subnets.empty());
    for (model::Template& t : plugin.templates().templates) t.subnet_ids = subnets;
    return plugin.templates().templates.front();
  }
  std::optional<as::Group> GroupOf(const std::string& request_id) {
    auto g = as::DescribeGroup(client(), provider::AsgGroupName(request_id));
    if (!g.ok()) {
      EXPECT_EQ(g.error().kind(), resilience::ErrorKind::kNotFound) << g.error().ToString();
      return std::nullopt;
    }
    return *g;
  }
  // The groups that carry the request's tag.
  std::vector<std::string> GroupsTagged(const std::string& request_id) {
    auto groups =
        as::DescribeGroups(client(), {.filters = {{"tag:ohfp:request-id", {request_id}}}});
    EXPECT_TRUE(groups.ok()) << groups.error().ToString();
    std::vector<std::string> names;
    if (groups.ok()) {
      for (const as::Group& g : *groups) names.push_back(g.name);
    }
    return names;
  }
  // Live instances carrying the request's tag.
  std::vector<std::string> LiveTagged(const std::string& request_id) {
    auto found = aws::ec2::DescribeInstances(
        client(), {.filters = {{"tag:ohfp:request-id", {request_id}},
                               {"instance-state-name", {"pending", "running"}}}});
    EXPECT_TRUE(found.ok()) << found.error().ToString();
    std::vector<std::string> ids;
    if (found.ok()) {
      for (const auto& i : *found) ids.push_back(i.instance_id);
    }
    return ids;
  }
  // requestMachines of 4 machines of `t` against an AWS that creates the request's group but
  // launches only `launched` of them (no capacity for the others). moto launches everything at
  // once, so the proxy takes the CreateAutoScalingGroup, the test creates the group AWS would hold
  // (`launched` instances from the request's launch template, with the request's tags) and the
  // proxy shows its DesiredCapacity as 4 and, as moto lists no scaling activity, the failed launch
  // AWS would list. `id` and `group`: the request, and the group as created.
  void RequestAGroupThatLaunchesOnly(int launched, PluginWorld& plugin, const model::Template& t,
                                     std::string* id, std::optional<as::Group>* group) {
    Rules({Rule("CreateAutoScalingGroup",
                {{"type", "respond"},
                 {"body",
                  "<CreateAutoScalingGroupResponse xmlns=\"http://autoscaling.amazonaws."
                  "com/doc/2011-01-01/\"><ResponseMetadata><RequestId>{{request_id}}</"
                  "RequestId></ResponseMetadata></CreateAutoScalingGroupResponse>"}})});
    *id = plugin.Request(t.template_id, 4);
    ASSERT_FALSE(id->empty());
    Rules({});

    auto lts = aws::ec2::DescribeLaunchTemplates(client(), {.names = {"ohfp-" + *id}});
    ASSERT_TRUE(lts.ok()) << lts.error().ToString();
    ASSERT_THAT(*lts, SizeIs(1));
    provider::AwsLaunchSpec spec;
    spec.tmpl = &t;
    spec.request_id = *id;
    spec.count = 4;
    spec.tags = {{std::string(model::kTagRequestId), *id},
                 {std::string(model::kTagTemplateId), t.template_id},
                 {std::string(model::kTagProvider), "aws"},
                 {std::string(model::kTagInstallation), plugin.installation_id()}};
    auto staged = provider::CreateGroupRequestFor(spec, {(*lts)[0].id, "$Default", true});
    ASSERT_TRUE(staged.ok()) << staged.error().ToString();
    staged->desired_capacity = launched;
    ASSERT_TRUE(as::CreateGroup(client(), *staged).ok());
    *group = GroupOf(*id);
    ASSERT_TRUE(group->has_value());
    ASSERT_THAT((*group)->instances, SizeIs(static_cast<std::size_t>(launched)));
    Rules({Rule("DescribeAutoScalingGroups",
                {{"type", "respond"}, {"body", DescribeAnswer(**group, 4)}}),
           Rule("DescribeScalingActivities",
                {{"type", "respond"},
                 {"body",
                  FailedLaunchActivity((*group)->name, IsoTime(std::chrono::system_clock::now() +
                                                               std::chrono::seconds(1)))}})});
  }
};

TEST_F(AsgProviderTest, RequestPollReturnHalfThenTheRestLeavesNothing) {
  PluginWorld plugin(*world_, {BasicTemplate("Asg", ProviderApi::kAsg)});
  UseDefaultSubnets(plugin);
  const auto ops_before = Operations();
  const std::string id = plugin.Request("Asg", 4);
  ASSERT_FALSE(id.empty());
  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(4));
  for (const auto& m : done["machines"]) EXPECT_EQ(m["result"], "succeed") << m.dump();

  // One group, named for the request, holding exactly the machines, each protected from scale-in.
  EXPECT_THAT(GroupsTagged(id), ::testing::ElementsAre("ohfp-" + id));
  std::optional<as::Group> g = GroupOf(id);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->desired_capacity, 4);
  EXPECT_EQ(g->min_size, 0);
  EXPECT_THAT(MemberIds(*g), UnorderedElementsAreArray(IdsOf(done["machines"])));
  for (const as::GroupInstance& i : g->instances) EXPECT_TRUE(i.protected_from_scale_in);
  auto record = plugin.store().GetRequest(id);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->created.resource_id, "ohfp-" + id);
  EXPECT_FALSE((*record)->created.launch_template_id.empty());

  const auto [first, rest] = Split(done["machines"], 2);
  const nlohmann::ordered_json returned = plugin.PollReturnUntilDone(plugin.Return(first));
  EXPECT_EQ(returned["status"], "complete") << returned.dump();
  for (const auto& [instance, state] : StatesOf(IdsOf(first))) {
    EXPECT_THAT(state, ::testing::AnyOf("shutting-down", "terminated"))
        << instance << " was returned";
  }
  for (const auto& [instance, state] : StatesOf(IdsOf(rest))) {
    EXPECT_EQ(state, "running") << instance << " was not returned and must keep running";
  }
  g = GroupOf(id);
  ASSERT_TRUE(g.has_value()) << "the request still holds machines";
  EXPECT_EQ(g->desired_capacity, 2) << "the target went down with the returned machines";
  EXPECT_THAT(MemberIds(*g), UnorderedElementsAreArray(IdsOf(rest)));
  EXPECT_THAT(plugin.LeftInMoto().instances, UnorderedElementsAreArray(IdsOf(rest)))
      << "nothing replaced the returned machines";

  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(rest))["status"], "complete");
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();

  // Every Auto Scaling call went through the pipeline under its operation, breaker aws_autoscaling.
  const auto ops_after = Operations();
  for (const char* op : {"autoscaling_create_group", "autoscaling_describe_groups",
                         "autoscaling_detach_instances", "autoscaling_delete_group"}) {
    ASSERT_EQ(ops_after.count(op), 1U) << op;
    EXPECT_EQ(ops_after.at(op).first, "aws_autoscaling") << op;
    const std::uint64_t before = ops_before.count(op) != 0 ? ops_before.at(op).second : 0;
    EXPECT_GT(ops_after.at(op).second, before) << op;
  }
  for (const char* op :
       {"ec2_create_launch_template", "ec2_delete_launch_template", "ec2_terminate_instances"}) {
    ASSERT_EQ(ops_after.count(op), 1U) << op;
    EXPECT_EQ(ops_after.at(op).first, "aws_ec2") << op;
  }
}

TEST_F(AsgProviderTest, TheGroupCarriesTheRequestsTagsAndLaunchesFromItsLaunchTemplate) {
  PluginWorld plugin(*world_, {BasicTemplate("Asg", ProviderApi::kAsg)});
  model::Template& t = UseDefaultSubnets(plugin);
  t.instance_tags = {{"team", "hpc"}};
  const std::string id = plugin.Request("Asg", 2);
  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  std::optional<as::Group> g = GroupOf(id);
  ASSERT_TRUE(g.has_value());
  EXPECT_THAT(g->tags, ::testing::Contains(as::Tag{"ohfp:request-id", id, true}));
  EXPECT_THAT(g->tags, ::testing::Contains(as::Tag{"ohfp:template-id", "Asg", true}));
  EXPECT_THAT(g->tags, ::testing::Contains(as::Tag{"team", "hpc", true}));
  ASSERT_TRUE(g->launch_template.has_value());
  auto lts = aws::ec2::DescribeLaunchTemplates(client(), {.names = {"ohfp-" + id}});
  ASSERT_TRUE(lts.ok()) << lts.error().ToString();
  ASSERT_THAT(*lts, SizeIs(1));
  EXPECT_EQ(g->launch_template->id, (*lts)[0].id);
  EXPECT_THAT(t.subnet_ids, ::testing::IsSupersetOf(g->subnet_ids));
  auto instances = aws::ec2::DescribeInstances(client(), {.instance_ids = IdsOf(done["machines"])});
  ASSERT_TRUE(instances.ok());
  for (const auto& i : *instances) {
    EXPECT_EQ(i.TagValue("ohfp:request-id"), id);
    EXPECT_EQ(i.TagValue("team"), "hpc");
    EXPECT_EQ(i.image_id, t.image_id);
  }
  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(done["machines"]))["status"], "complete");
  EXPECT_TRUE(plugin.LeftInMoto().Empty()) << plugin.LeftInMoto().ToString();
}

TEST_F(AsgProviderTest, HeterogeneousLaunchesThroughAMixedInstancesPolicyAndLeavesNothing) {
  PluginWorld plugin(*world_, {BasicTemplate("Mixed", ProviderApi::kAsg)});
  model::Template& t = UseDefaultSubnets(plugin);
  t.price_type = model::PriceType::kHeterogeneous;
  t.percent_on_demand = 50;
  t.allocation_strategy = model::AllocationStrategy::kCapacityOptimized;
  t.max_spot_price = "0.5";
  const std::string id = plugin.Request("Mixed", 4);
  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  EXPECT_THAT(done["machines"], SizeIs(4));
  std::optional<as::Group> g = GroupOf(id);
  ASSERT_TRUE(g.has_value());
  ASSERT_TRUE(g->mixed_instances_policy.has_value());
  ASSERT_TRUE(g->mixed_instances_policy->instances_distribution.has_value());
  const as::InstancesDistribution& d = *g->mixed_instances_policy->instances_distribution;
  EXPECT_EQ(d.on_demand_percentage_above_base_capacity, 50);
  EXPECT_EQ(d.spot_allocation_strategy, "capacity-optimized");
  EXPECT_EQ(d.spot_max_price, "0.5");
  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(done["machines"]))["status"], "complete");
  EXPECT_TRUE(plugin.LeftInMoto().Empty()) << plugin.LeftInMoto().ToString();
}

// Weights with a first weight of 1, where moto's units and instances agree: the whole lifecycle.
TEST_F(AsgProviderTest, AWeightedGroupReturnsHalfThenTheRestAndLeavesNothing) {
  PluginWorld plugin(*world_, {BasicTemplate("Weighted", ProviderApi::kAsg)});
  model::Template& t = UseDefaultSubnets(plugin);
  t.vm_types = {{"c5.large", 1}, {"c5.xlarge", 2}};
  t.vm_type = "c5.large";
  const std::string id = plugin.Request("Weighted", 4);
  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(4));
  std::optional<as::Group> g = GroupOf(id);
  ASSERT_TRUE(g.has_value());
  ASSERT_TRUE(g->mixed_instances_policy.has_value());
  EXPECT_THAT(g->mixed_instances_policy->overrides,
              ::testing::ElementsAre(as::InstanceTypeOverride{"c5.large", 1},
                                     as::InstanceTypeOverride{"c5.xlarge", 2}));

  const auto [first, rest] = Split(done["machines"], 2);
  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(first))["status"], "complete");
  g = GroupOf(id);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->desired_capacity, 2);
  EXPECT_THAT(plugin.LeftInMoto().instances, UnorderedElementsAreArray(IdsOf(rest)));
  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(rest))["status"], "complete");
  EXPECT_TRUE(plugin.LeftInMoto().Empty()) << plugin.LeftInMoto().ToString();
}

// A first weight of 2: moto launches 2 instances for 4 units. The request completes because its
// running units (not its instances) reach the count. Not returned here: on a detach moto lowers the
// target by instance count and launches a replacement (see the file comment).
TEST_F(AsgProviderTest, AWeightedGroupCompletesWhenItsRunningUnitsReachTheCount) {
  PluginWorld plugin(*world_, {BasicTemplate("Units", ProviderApi::kAsg)});
  model::Template& t = UseDefaultSubnets(plugin);
  t.vm_types = {{"c5.xlarge", 2}, {"c5.large", 1}};
  t.vm_type = "c5.xlarge";
  const std::string id = plugin.Request("Units", 4);
  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  EXPECT_EQ(done["status"], "complete") << done.dump();
  EXPECT_THAT(done["machines"], SizeIs(2)) << "two c5.xlarge of 2 units each";
  for (const auto& m : done["machines"]) EXPECT_EQ(m["result"], "succeed");
  std::optional<as::Group> g = GroupOf(id);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->desired_capacity, 4) << "the target is in units";
}

TEST_F(AsgProviderTest, ATemplateWithoutSubnetsIsRefusedAndCreatesNothing) {
  PluginWorld plugin(*world_, {BasicTemplate("NoSubnet", ProviderApi::kAsg)});
  hostfactory::CommandResult r = plugin.service().RequestMachines({"NoSubnet", 2});
  EXPECT_EQ(r.exit_code, kExitFailed) << r.output.dump();
  EXPECT_THAT(r.output.value("message", ""), HasSubstr("subnetId"));
  EXPECT_EQ(Count("CreateLaunchTemplate"), 0);
  EXPECT_EQ(Count("CreateAutoScalingGroup"), 0);
  EXPECT_TRUE(plugin.LeftInMoto().Empty()) << plugin.LeftInMoto().ToString();
}

// AWS creates the group and launches 3 of the 4 instances it wants (no capacity for the fourth),
// staged as RequestAGroupThatLaunchesOnly says. After the fulfilment timeout the service shrinks
// the group to what it has and ends the request with an error that says why.
TEST_F(AsgProviderTest,
       AGroupShortOfItsTargetEndsWithErrorAfterTheFulfilmentTimeoutViaProxyBecauseMotoLaunchesAll) {
  PluginWorld plugin(*world_, {BasicTemplate("Asg", ProviderApi::kAsg)},
                     GiveUpOnFulfilmentAtOnce());
  const model::Template& t = UseDefaultSubnets(plugin);
  std::string id;
  std::optional<as::Group> g;
  ASSERT_NO_FATAL_FAILURE(RequestAGroupThatLaunchesOnly(3, plugin, t, &id, &g));

  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  Rules({});
  ASSERT_EQ(done["status"], "complete_with_error") << done.dump();
  const std::string message = done.value("message", "");
  EXPECT_THAT(message, HasSubstr("3 of 4 machine(s) running"));
  EXPECT_THAT(message, HasSubstr("not fulfilled within 0 s; keeping 3"));
  EXPECT_THAT(message, HasSubstr("Auto Scaling activity Failed: We currently do not have "
                                 "sufficient c5.large capacity in the Availability Zone"))
      << "the message names the reason";
  const auto ops = Operations();
  ASSERT_EQ(ops.count("autoscaling_describe_scaling_activities"), 1U);
  EXPECT_EQ(ops.at("autoscaling_describe_scaling_activities").first, "aws_autoscaling");
  ASSERT_THAT(done["machines"], SizeIs(3));
  for (const auto& m : done["machines"]) EXPECT_EQ(m["result"], "succeed") << m.dump();

  // The group stops wanting more, and keeps (does not terminate) what it has.
  g = GroupOf(id);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->desired_capacity, 3);
  EXPECT_EQ(g->max_size, 3);
  for (const auto& [instance, state] : StatesOf(IdsOf(done["machines"]))) {
    EXPECT_EQ(state, "running") << instance;
  }

  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(done["machines"]))["status"], "complete");
  EXPECT_TRUE(plugin.LeftInMoto().Empty()) << plugin.LeftInMoto().ToString();
}

// As above, but AWS could launch none of the 4: the request ends without a machine, so no return
// will ever trigger the cleanup; the group and its launch template go when the target is given up.
TEST_F(AsgProviderTest,
       AGroupThatGotNothingEndsWithTheReasonAndLeavesNothingViaProxyBecauseMotoLaunchesAll) {
  PluginWorld plugin(*world_, {BasicTemplate("Asg", ProviderApi::kAsg)},
                     GiveUpOnFulfilmentAtOnce());
  const model::Template& t = UseDefaultSubnets(plugin);
  std::string id;
  std::optional<as::Group> g;
  ASSERT_NO_FATAL_FAILURE(RequestAGroupThatLaunchesOnly(0, plugin, t, &id, &g));

  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  Rules({});
  ASSERT_EQ(done["status"], "complete_with_error") << done.dump();
  const std::string message = done.value("message", "");
  EXPECT_THAT(message, HasSubstr("0 of 4 machine(s) running"));
  EXPECT_THAT(message, HasSubstr("Auto Scaling activity Failed: We currently do not have "
                                 "sufficient c5.large capacity"));
  EXPECT_THAT(done["machines"], ::testing::IsEmpty());
  EXPECT_FALSE(GroupOf(id).has_value()) << "deleted with the request's end";
  EXPECT_TRUE(plugin.LeftInMoto().Empty()) << plugin.LeftInMoto().ToString();
}

// The CreateAutoScalingGroup answer is lost (moto created the group) and every retry of the
// pipeline fails, so requestMachines cannot tell; the next getRequestStatus finds the group by its
// name and adopts it. moto would accept (and replace the group on) a retry that reached it; the
// proxy answers the retries with 503s, as AWS would answer AlreadyExists to one that got through.
TEST_F(AsgProviderTest,
       ALostCreateAnswerIsReconciledOnTheNextPollViaProxyBecauseMotoAcceptsDuplicates) {
  PluginWorld plugin(*world_, {BasicTemplate("Asg", ProviderApi::kAsg)});
  UseDefaultSubnets(plugin);
  Rules({Rule("CreateAutoScalingGroup", {{"type", "drop_response"}}, 1),
         Rule("CreateAutoScalingGroup",
              QueryErrorFault(503, "ServiceUnavailable", "try again later"))});
  hostfactory::CommandResult r = plugin.service().RequestMachines({"Asg", 3});
  ASSERT_EQ(r.exit_code, kExitOk) << r.output.dump();
  const std::string id = r.output.value("requestId", "");
  EXPECT_THAT(r.output.value("message", ""), HasSubstr("not confirmed"));
  EXPECT_EQ(Count("CreateAutoScalingGroup", "forwarded"), 1);
  EXPECT_GT(Count("CreateAutoScalingGroup"), 1) << "the pipeline retried";
  auto before = plugin.store().GetRequest(id);
  ASSERT_TRUE(before.ok() && before->has_value());
  EXPECT_EQ((*before)->created.resource_id, "") << "not known before the poll";

  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(3));
  EXPECT_EQ(Count("CreateAutoScalingGroup", "forwarded"), 1) << "never created twice";
  EXPECT_THAT(GroupsTagged(id), ::testing::ElementsAre("ohfp-" + id));
  std::optional<as::Group> g = GroupOf(id);
  ASSERT_TRUE(g.has_value());
  EXPECT_THAT(MemberIds(*g), UnorderedElementsAreArray(IdsOf(done["machines"])));
  EXPECT_THAT(LiveTagged(id), UnorderedElementsAreArray(IdsOf(done["machines"])));
  auto after = plugin.store().GetRequest(id);
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->created.resource_id, "ohfp-" + id);
  EXPECT_FALSE((*after)->created.launch_template_id.empty()) << "adopted with its launch template";

  Rules({});
  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(done["machines"]))["status"], "complete");
  EXPECT_TRUE(plugin.LeftInMoto().Empty()) << plugin.LeftInMoto().ToString();
}

// The answer is lost and the pipeline's retry reaches AWS, which says AlreadyExists (moto would
// accept it and replace the group; the proxy answers as AWS): the group is adopted at once.
TEST_F(AsgProviderTest,
       ALostCreateAnswerRetriedAsAlreadyExistsAdoptsTheGroupViaProxyBecauseMotoAcceptsDuplicates) {
  PluginWorld plugin(*world_, {BasicTemplate("Asg", ProviderApi::kAsg)});
  UseDefaultSubnets(plugin);
  Rules({Rule("CreateAutoScalingGroup", {{"type", "drop_response"}}, 1),
         Rule("CreateAutoScalingGroup",
              QueryErrorFault(400, "AlreadyExists",
                              "AutoScalingGroup by this name already exists - A group "
                              "with the name already exists"))});
  const std::string id = plugin.Request("Asg", 3);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(Count("CreateAutoScalingGroup"), 2);
  auto record = plugin.store().GetRequest(id);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->created.resource_id, "ohfp-" + id) << "adopted by requestMachines itself";

  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  EXPECT_THAT(done["machines"], SizeIs(3));
  EXPECT_EQ(Count("CreateAutoScalingGroup", "forwarded"), 1);
  EXPECT_THAT(GroupsTagged(id), SizeIs(1));
  EXPECT_THAT(LiveTagged(id), UnorderedElementsAreArray(IdsOf(done["machines"])));
  Rules({});
  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(done["machines"]))["status"], "complete");
  EXPECT_TRUE(plugin.LeftInMoto().Empty()) << plugin.LeftInMoto().ToString();
}

// The state a crash between the two steps of a return leaves: the instance is detached (the
// target lowered) but not terminated (here every try of the TerminateInstances call fails). The
// next getRequestStatus of the return request finishes it: exactly that instance is terminated, the
// target is not lowered a second time, and nothing replaces it.
TEST_F(AsgProviderTest, AReturnInterruptedAfterTheDetachIsFinishedByTheNextPollLoweringOnce) {
  PluginWorld plugin(*world_, {BasicTemplate("Asg", ProviderApi::kAsg)});
  UseDefaultSubnets(plugin);
  const std::string id = plugin.Request("Asg", 3);
  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  const std::string victim = done["machines"][0]["machineId"].get<std::string>();
  const nlohmann::ordered_json kept = Split(done["machines"], 1).second;

  // Every attempt of one TerminateInstances call (the pipeline makes 4) fails.
  Rules({Rule("TerminateInstances", {{"type", "error"}, {"status", 500}, {"code", "InternalError"}},
              4)});
  hostfactory::CommandResult r = plugin.service().RequestReturnMachines({{"", victim}});
  ASSERT_EQ(r.exit_code, kExitOk) << r.output.dump();
  EXPECT_THAT(r.output.value("message", ""), HasSubstr("not confirmed yet"));
  const std::string ret = r.output.value("requestId", "");
  std::optional<as::Group> g = GroupOf(id);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->desired_capacity, 2) << "detached, the target lowered";
  EXPECT_EQ(StatesOf({victim})[victim], "running") << "not terminated yet";

  Rules({});
  EXPECT_EQ(plugin.PollReturnUntilDone(ret)["status"], "complete");
  EXPECT_THAT(StatesOf({victim})[victim], ::testing::AnyOf("shutting-down", "terminated"));
  g = GroupOf(id);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->desired_capacity, 2) << "lowered once";
  EXPECT_EQ(Count("DetachInstances", "forwarded"), 1);
  EXPECT_THAT(MemberIds(*g), UnorderedElementsAreArray(IdsOf(kept)));
  EXPECT_THAT(LiveTagged(id), UnorderedElementsAreArray(IdsOf(kept)))
      << "exactly the returned instance is gone; nothing replaced it";
}

TEST_F(AsgProviderTest, ThrottledDetachesAreRetriedAndTheReturnStillLowersTheTarget) {
  PluginWorld plugin(*world_, {BasicTemplate("Asg", ProviderApi::kAsg)});
  UseDefaultSubnets(plugin);
  const std::string id = plugin.Request("Asg", 3);
  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  Rules({Rule("DetachInstances", {{"type", "throttle"}}, 2)});
  nlohmann::ordered_json one = nlohmann::ordered_json::array({done["machines"][0]});
  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(one))["status"], "complete");
  EXPECT_EQ(Count("DetachInstances"), 3);
  EXPECT_EQ(Count("DetachInstances", "forwarded"), 1);
  std::optional<as::Group> g = GroupOf(id);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->desired_capacity, 2);
  EXPECT_THAT(g->instances, SizeIs(2));
  EXPECT_THAT(LiveTagged(id), SizeIs(2));
}

}  // namespace
}  // namespace ohfp::testing
