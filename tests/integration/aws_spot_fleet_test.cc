// Spot Fleet operations. AwsSpotFleetTest: against moto, round trip, asserting what exists in moto
// afterwards. AwsSpotFleetWireTest: the exact Query parameters each call sends (moto ignores
// several fields, so only this shows they are spelled right). AwsSpotFleetThroughProxyTest: through
// ohfp-chaos-proxy, the answers moto cannot give (DescribeSpotFleetRequestHistory, AWS's answers
// for unknown ids, the fields moto leaves out), malformed answers, and ClientToken retries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "aws/ec2/instances.h"
#include "aws/ec2/spot_fleet.h"
#include "aws_world.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/state_store.h"
#include "world_suite.h"

namespace ohfp::testing {
namespace {

namespace ec2 = aws::ec2;
using resilience::ErrorKind;
using ::testing::IsEmpty;

constexpr char kFleetRole[] = "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role";
constexpr char kImage[] = "ami-12345678";

// A fleet of `target` c5.large instances from one launch specification (AllocationStrategy left at
// its default).
ec2::RequestSpotFleetRequest SimpleFleet(const std::string& token, int target) {
  return ec2::RequestSpotFleetRequest{
      .client_token = token,
      .iam_fleet_role = kFleetRole,
      .target_capacity = target,
      .type = ec2::SpotFleetType::kMaintain,
      .launch_specifications = {
          {.image_id = kImage, .instance_type = "c5.large", .tags = {{"ohfp:request-id", token}}}}};
}

std::vector<std::string> IdsOf(const std::vector<ec2::SpotFleetInstance>& instances) {
  std::vector<std::string> ids;
  for (const ec2::SpotFleetInstance& i : instances) ids.push_back(i.instance_id);
  return ids;
}

// The first default subnet (id, availability zone), with a raw call: the subnet is only a fixture
// here.
std::pair<std::string, std::string> DefaultSubnet(aws::AwsClient& client) {
  aws::QueryParams p;
  p.AddString("Filter.1.Name", "default-for-az").AddString("Filter.1.Value.1", "true");
  auto doc = client.Call(aws::AwsService::kEc2, "DescribeSubnets", p, "ec2_describe_subnets");
  EXPECT_TRUE(doc.ok()) << doc.error().ToString();
  if (!doc.ok()) return {};
  const aws::XmlNode item = doc->Root().Child("subnetSet").Child("item");
  return {item.ChildText("subnetId").value_or(""), item.ChildText("availabilityZone").value_or("")};
}

// A launch template made with a raw call (the typed operation belongs to another family).
std::string CreateLaunchTemplate(aws::AwsClient& client, const std::string& name,
                                 const std::string& instance_type) {
  aws::QueryParams p;
  p.AddString("LaunchTemplateName", name)
      .AddString("LaunchTemplateData.ImageId", kImage)
      .AddString("LaunchTemplateData.InstanceType", instance_type)
      .AddString("LaunchTemplateData.TagSpecification.1.ResourceType", "instance")
      .AddString("LaunchTemplateData.TagSpecification.1.Tag.1.Key", "from-template")
      .AddString("LaunchTemplateData.TagSpecification.1.Tag.1.Value", name);
  auto doc =
      client.Call(aws::AwsService::kEc2, "CreateLaunchTemplate", p, "ec2_create_launch_template");
  EXPECT_TRUE(doc.ok()) << doc.error().ToString();
  if (!doc.ok()) return "";
  return doc->Root().Child("launchTemplate").ChildText("launchTemplateId").value_or("");
}

class AwsSpotFleetTest : public WorldSuite<AwsSpotFleetTest> {
 public:
  static AwsWorldOptions WorldOptions() {
    return {.resilience = FastRetries(4, std::chrono::seconds(30))};
  }

 protected:
  // Requests `request` and returns its id (empty, with a test failure, when it fails).
  std::string Request(const ec2::RequestSpotFleetRequest& request) {
    auto id = aws::ec2::RequestSpotFleet(client(), request);
    EXPECT_TRUE(id.ok()) << id.error().ToString();
    return id.ok() ? *id : "";
  }
  std::vector<ec2::SpotFleetInstance> InstancesOf(const std::string& fleet_id) {
    auto instances = ec2::DescribeSpotFleetInstances(client(), fleet_id);
    EXPECT_TRUE(instances.ok()) << instances.error().ToString();
    return instances.ok() ? *instances : std::vector<ec2::SpotFleetInstance>{};
  }
};

TEST_F(AwsSpotFleetTest, RequestWithLaunchSpecificationsLaunchesTheTargetCapacity) {
  const auto [subnet, zone] = DefaultSubnet(client());
  ASSERT_FALSE(subnet.empty());
  // allocation_strategy is left at its default: moto answers HTTP 500 when the field is missing on
  // the wire.
  ec2::RequestSpotFleetRequest request{
      .client_token = "req-1-sf",
      .iam_fleet_role = kFleetRole,
      .target_capacity = 3,
      .on_demand_target_capacity = 0,
      .type = ec2::SpotFleetType::kMaintain,
      .valid_until = std::chrono::sys_days(std::chrono::year(2035) / 1 / 1),
      .terminate_instances_with_expiration = true,
      .excess_capacity_termination_policy =
          ec2::SpotFleetExcessCapacityTerminationPolicy::kNoTermination,
      .spot_price = "0.20",
      .instance_interruption_behavior = aws::ec2::SpotFleetInterruptionBehavior::kTerminate,
      .tags = {{"ohfp:request-id", "req-1"}, {"ohfp:kind", "spot-fleet"}},
      .launch_specifications = {
          {.image_id = kImage,
           .instance_type = "c5.large",
           .subnet_id = subnet,
           .key_name = "ohfp-key",
           .security_group_ids = {"sg-0123456789abcdef0"},
           .user_data = "#!/bin/sh\necho hello\n",
           .iam_instance_profile = "arn:aws:iam::123456789012:instance-profile/ohfp",
           .weighted_capacity = 1.0,
           .spot_price = "0.10",
           .tags = {{"ohfp:request-id", "req-1"}, {"Name", "worker"}},
           .root_volume = aws::ec2::EbsVolume{
               .device_name = "/dev/xvda", .size_gib = 50, .volume_type = "gp3"}}}};
  const std::string id = Request(request);
  ASSERT_THAT(id, ::testing::StartsWith("sfr-"));

  auto fleet = ec2::FindSpotFleetRequest(client(), id);
  ASSERT_TRUE(fleet.ok()) << fleet.error().ToString();
  ASSERT_TRUE(fleet->has_value());
  const ec2::SpotFleetRequestDescription& d = **fleet;
  EXPECT_EQ(d.spot_fleet_request_id, id);
  EXPECT_EQ(d.state, ec2::SpotFleetState::kActive);
  EXPECT_EQ(d.target_capacity, 3);
  EXPECT_EQ(d.fulfilled_capacity, 3.0);
  EXPECT_EQ(d.allocation_strategy, ec2::SpotFleetAllocationStrategy::kLowestPrice);
  EXPECT_THAT(d.tags, ::testing::UnorderedElementsAreArray(std::vector<aws::ec2::Tag>{
                          {"ohfp:request-id", "req-1"}, {"ohfp:kind", "spot-fleet"}}));

  const std::vector<ec2::SpotFleetInstance> active = InstancesOf(id);
  ASSERT_EQ(active.size(), 3U);
  for (const ec2::SpotFleetInstance& i : active) {
    EXPECT_EQ(i.instance_type, "c5.large");
    EXPECT_THAT(i.spot_instance_request_id, ::testing::StartsWith("sir-"));
  }

  // The same instances, as DescribeInstances sees them: running Spot instances with the launch
  // specification's subnet, image and tags.
  auto described = aws::ec2::DescribeInstances(
      client(), aws::ec2::DescribeInstancesRequest{.instance_ids = IdsOf(active)});
  ASSERT_TRUE(described.ok()) << described.error().ToString();
  ASSERT_EQ(described->size(), 3U);
  for (const aws::ec2::Instance& i : *described) {
    EXPECT_EQ(i.state, "running");
    EXPECT_EQ(i.lifecycle, "spot");
    EXPECT_EQ(i.image_id, kImage);
    EXPECT_EQ(i.subnet_id, subnet);
    EXPECT_EQ(i.TagValue("ohfp:request-id"), "req-1");
    EXPECT_EQ(i.TagValue("Name"), "worker");
  }
}

TEST_F(AwsSpotFleetTest, DiversifiedFleetSpreadsOverEveryLaunchSpecification) {
  ec2::RequestSpotFleetRequest request = SimpleFleet("req-2-sf", 4);
  request.allocation_strategy = ec2::SpotFleetAllocationStrategy::kDiversified;
  request.launch_specifications.push_back({.image_id = kImage, .instance_type = "m5.large"});
  const std::string id = Request(request);
  ASSERT_FALSE(id.empty());

  std::map<std::string, int> per_type;
  for (const ec2::SpotFleetInstance& i : InstancesOf(id)) ++per_type[i.instance_type];
  EXPECT_EQ(per_type, (std::map<std::string, int>{{"c5.large", 2}, {"m5.large", 2}}));
  auto fleet = ec2::FindSpotFleetRequest(client(), id);
  ASSERT_TRUE(fleet.ok() && fleet->has_value());
  EXPECT_EQ((*fleet)->allocation_strategy, ec2::SpotFleetAllocationStrategy::kDiversified);
}

TEST_F(AwsSpotFleetTest, RequestWithALaunchTemplateUsesItAndItsOverrides) {
  const std::string template_id = CreateLaunchTemplate(client(), "ohfp-sf-template", "t3.micro");
  ASSERT_FALSE(template_id.empty());

  // By id, with an override: c5.xlarge instances that count 2 units each, so 2 instances for 4
  // units.
  ec2::RequestSpotFleetRequest by_id{
      .client_token = "req-3-sf",
      .iam_fleet_role = kFleetRole,
      .target_capacity = 4,
      .launch_template_configs = {{.launch_template = {.id = template_id, .version = "$Latest"},
                                   .overrides = {{.instance_type = "c5.xlarge",
                                                  .availability_zone = "us-east-1a",
                                                  .weighted_capacity = 2.0,
                                                  .spot_price = "0.50",
                                                  .priority = 1.0}}}}};
  const std::string first = Request(by_id);
  ASSERT_FALSE(first.empty());
  const std::vector<ec2::SpotFleetInstance> first_instances = InstancesOf(first);
  ASSERT_EQ(first_instances.size(), 2U);
  for (const ec2::SpotFleetInstance& i : first_instances) EXPECT_EQ(i.instance_type, "c5.xlarge");

  // By name, without overrides: the template's own instance type.
  ec2::RequestSpotFleetRequest by_name{
      .client_token = "req-4-sf",
      .iam_fleet_role = kFleetRole,
      .target_capacity = 1,
      .launch_template_configs = {{.launch_template = {.name = "ohfp-sf-template"}}}};
  const std::string second = Request(by_name);
  ASSERT_FALSE(second.empty());
  const std::vector<ec2::SpotFleetInstance> second_instances = InstancesOf(second);
  ASSERT_EQ(second_instances.size(), 1U);
  EXPECT_EQ(second_instances[0].instance_type, "t3.micro");

  std::vector<std::string> all = IdsOf(first_instances);
  all.push_back(second_instances[0].instance_id);
  auto described = aws::ec2::DescribeInstances(
      client(), aws::ec2::DescribeInstancesRequest{.instance_ids = all});
  ASSERT_TRUE(described.ok()) << described.error().ToString();
  ASSERT_EQ(described->size(), 3U);
  for (const aws::ec2::Instance& i : *described) {
    EXPECT_EQ(i.state, "running");
    EXPECT_EQ(i.image_id, kImage);  // from the template
    EXPECT_EQ(i.TagValue("from-template"), "ohfp-sf-template");
  }
}

TEST_F(AwsSpotFleetTest, DescribeListsEveryFleetOrTheOnesAskedFor) {
  const std::string a = Request(SimpleFleet("req-5-sf", 1));
  const std::string b = Request(SimpleFleet("req-6-sf", 2));
  ASSERT_FALSE(a.empty() || b.empty());

  auto all = ec2::DescribeSpotFleetRequests(client(), {});
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  std::set<std::string> ids;
  for (const ec2::SpotFleetRequestDescription& d : *all) ids.insert(d.spot_fleet_request_id);
  EXPECT_EQ(ids, (std::set<std::string>{a, b}));

  auto only_b = ec2::DescribeSpotFleetRequests(client(), {.spot_fleet_request_ids = {b}});
  ASSERT_TRUE(only_b.ok()) << only_b.error().ToString();
  ASSERT_EQ(only_b->size(), 1U);
  EXPECT_EQ((*only_b)[0].spot_fleet_request_id, b);
  EXPECT_EQ((*only_b)[0].target_capacity, 2);
  EXPECT_EQ((*only_b)[0].fulfilled_capacity, 2.0);
}

TEST_F(AwsSpotFleetTest, LoweringTheTargetWithNoTerminationTerminatesNothing) {
  const std::string id = Request(SimpleFleet("req-7-sf", 3));
  ASSERT_FALSE(id.empty());
  const std::vector<std::string> before = IdsOf(InstancesOf(id));
  ASSERT_EQ(before.size(), 3U);

  auto modified = aws::ec2::ModifySpotFleetRequest(
      client(), {.spot_fleet_request_id = id,
                 .target_capacity = 1,
                 .excess_capacity_termination_policy =
                     ec2::SpotFleetExcessCapacityTerminationPolicy::kNoTermination});
  ASSERT_TRUE(modified.ok()) << modified.error().ToString();

  auto fleet = ec2::FindSpotFleetRequest(client(), id);
  ASSERT_TRUE(fleet.ok() && fleet->has_value());
  EXPECT_EQ((*fleet)->target_capacity, 1);
  EXPECT_THAT(IdsOf(InstancesOf(id)), ::testing::UnorderedElementsAreArray(before));
  for (const auto& [instance, state] : StatesOf(before)) EXPECT_EQ(state, "running") << instance;

  // The plugin then terminates exactly the instances it returns.
  auto terminated = aws::ec2::TerminateInstances(client(), {before[0], before[1]});
  ASSERT_TRUE(terminated.ok()) << terminated.error().ToString();
  const std::map<std::string, std::string> after = StatesOf(before);
  EXPECT_THAT(after.at(before[0]), ::testing::AnyOf("shutting-down", "terminated"));
  EXPECT_THAT(after.at(before[1]), ::testing::AnyOf("shutting-down", "terminated"));
  EXPECT_EQ(after.at(before[2]), "running");
}

TEST_F(AwsSpotFleetTest, RaisingTheTargetLaunchesTheDifference) {
  const std::string id = Request(SimpleFleet("req-8-sf", 1));
  ASSERT_FALSE(id.empty());
  auto modified = aws::ec2::ModifySpotFleetRequest(
      client(), {.spot_fleet_request_id = id, .target_capacity = 3});
  ASSERT_TRUE(modified.ok()) << modified.error().ToString();
  EXPECT_EQ(InstancesOf(id).size(), 3U);
  auto fleet = ec2::FindSpotFleetRequest(client(), id);
  ASSERT_TRUE(fleet.ok() && fleet->has_value());
  EXPECT_EQ((*fleet)->target_capacity, 3);
  EXPECT_EQ((*fleet)->fulfilled_capacity, 3.0);
}

TEST_F(AwsSpotFleetTest, CancelWithoutTerminatingLeavesTheInstancesRunning) {
  const std::string id = Request(SimpleFleet("req-9-sf", 2));
  ASSERT_FALSE(id.empty());
  const std::vector<std::string> instances = IdsOf(InstancesOf(id));
  ASSERT_EQ(instances.size(), 2U);

  auto cancelled = ec2::CancelSpotFleetRequests(
      client(), {.spot_fleet_request_ids = {id}, .terminate_instances = false});
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().ToString();
  ASSERT_EQ(cancelled->successful.size(), 1U);
  EXPECT_EQ(cancelled->successful[0].spot_fleet_request_id, id);
  EXPECT_TRUE(IsCancelledOrFailed(cancelled->successful[0].current_state));
  EXPECT_THAT(cancelled->unsuccessful, IsEmpty());

  auto fleet = ec2::FindSpotFleetRequest(client(), id);
  ASSERT_TRUE(fleet.ok() && fleet->has_value());
  EXPECT_EQ((*fleet)->state, ec2::SpotFleetState::kCancelledRunning);
  for (const auto& [instance, state] : StatesOf(instances)) EXPECT_EQ(state, "running") << instance;
}

TEST_F(AwsSpotFleetTest, CancelWithTerminatingTerminatesTheInstances) {
  const std::string id = Request(SimpleFleet("req-10-sf", 2));
  const std::string other = Request(SimpleFleet("req-11-sf", 1));
  ASSERT_FALSE(id.empty() || other.empty());
  const std::vector<std::string> instances = IdsOf(InstancesOf(id));
  const std::vector<std::string> other_instances = IdsOf(InstancesOf(other));
  ASSERT_EQ(instances.size(), 2U);

  auto cancelled = ec2::CancelSpotFleetRequests(
      client(), {.spot_fleet_request_ids = {id}, .terminate_instances = true});
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().ToString();
  ASSERT_EQ(cancelled->successful.size(), 1U);
  EXPECT_EQ(cancelled->successful[0].current_state, ec2::SpotFleetState::kCancelledTerminating);

  for (const auto& [instance, state] : StatesOf(instances)) {
    EXPECT_THAT(state, ::testing::AnyOf("shutting-down", "terminated")) << instance;
  }
  for (const auto& [instance, state] : StatesOf(other_instances))
    EXPECT_EQ(state, "running") << instance;
  // AWS keeps a cancelled fleet visible for a while (state cancelled...); moto forgets it at once.
  auto fleet = ec2::FindSpotFleetRequest(client(), id);
  ASSERT_TRUE(fleet.ok()) << fleet.error().ToString();
  if (fleet->has_value()) {
    EXPECT_TRUE(IsCancelledOrFailed((*fleet)->state));
  }
  auto still = ec2::FindSpotFleetRequest(client(), other);
  ASSERT_TRUE(still.ok() && still->has_value());
  EXPECT_EQ((*still)->state, ec2::SpotFleetState::kActive);
}

TEST_F(AwsSpotFleetTest, CancellingNothingMakesNoCall) {
  const auto before = world_->pipeline().monitor().GetMetricsSummary();
  auto cancelled = ec2::CancelSpotFleetRequests(client(), {});
  ASSERT_TRUE(cancelled.ok());
  EXPECT_THAT(cancelled->successful, IsEmpty());
  EXPECT_EQ(world_->pipeline().monitor().GetMetricsSummary().attempts, before.attempts);
}

TEST_F(AwsSpotFleetTest, CancelAnUnknownIdIsARetriedServerErrorInMoto) {
  // AWS reports an unknown id in unsuccessfulFleetRequestSet with HTTP 200 (see the proxy test
  // below); moto answers HTTP 500 with an HTML page, which is a transient error: retried up to
  // max_attempts, then returned.
  const auto before = world_->pipeline().monitor().GetMetricsSummary();
  auto cancelled = ec2::CancelSpotFleetRequests(
      client(), {.spot_fleet_request_ids = {"sfr-0123456789abcdef0"}, .terminate_instances = true});
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().kind(), ErrorKind::kTransient) << cancelled.error().ToString();
  EXPECT_EQ(cancelled.error().http_status(), 500);
  EXPECT_EQ(world_->pipeline().monitor().GetMetricsSummary().attempts - before.attempts, 4U);
}

TEST_F(AwsSpotFleetTest, ModifyAnUnknownIdIsAServerErrorInMoto) {
  // AWS: InvalidSpotFleetRequestId.NotFound. moto: HTTP 500 with an HTML page.
  auto modified = aws::ec2::ModifySpotFleetRequest(
      client(), {.spot_fleet_request_id = "sfr-0123456789abcdef0", .target_capacity = 1});
  ASSERT_FALSE(modified.ok());
  EXPECT_EQ(modified.error().kind(), ErrorKind::kTransient) << modified.error().ToString();
}

TEST_F(AwsSpotFleetTest, AnUnknownIdIsAbsentFromDescribeInMoto) {
  // AWS: InvalidSpotFleetRequestId.NotFound for both calls (FindSpotFleetRequest makes that nullopt
  // too).
  auto fleet = ec2::FindSpotFleetRequest(client(), "sfr-0123456789abcdef0");
  ASSERT_TRUE(fleet.ok()) << fleet.error().ToString();
  EXPECT_FALSE(fleet->has_value());
  auto instances = ec2::DescribeSpotFleetInstances(client(), "sfr-0123456789abcdef0");
  ASSERT_TRUE(instances.ok()) << instances.error().ToString();
  EXPECT_THAT(*instances, IsEmpty());
}

TEST_F(AwsSpotFleetTest, AnUnknownSubnetIsAValidationErrorAndCreatesNoFleet) {
  ec2::RequestSpotFleetRequest request = SimpleFleet("req-12-sf", 1);
  request.launch_specifications[0].subnet_id = "subnet-00000000";
  const auto before = world_->pipeline().monitor().GetMetricsSummary();
  auto id = aws::ec2::RequestSpotFleet(client(), request);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().kind(), ErrorKind::kValidation) << id.error().ToString();
  EXPECT_EQ(id.error().code(), "InvalidSubnetID.NotFound");
  EXPECT_EQ(world_->pipeline().monitor().GetMetricsSummary().attempts - before.attempts, 1U)
      << "not retried";
  auto all = ec2::DescribeSpotFleetRequests(client(), {});
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, IsEmpty());
}

TEST_F(AwsSpotFleetTest, AnUnknownLaunchTemplateIsNotFound) {
  ec2::RequestSpotFleetRequest request{
      .client_token = "req-13-sf",
      .iam_fleet_role = kFleetRole,
      .target_capacity = 1,
      .launch_template_configs = {{.launch_template = {.id = "lt-0123456789abcdef0"}}}};
  auto id = aws::ec2::RequestSpotFleet(client(), request);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().kind(), ErrorKind::kNotFound) << id.error().ToString();
  EXPECT_EQ(id.error().code(), "InvalidLaunchTemplateId.NotFound");
}

TEST_F(AwsSpotFleetTest, HistoryIsAServerErrorBecauseMotoLacksIt) {
  const std::string id = Request(SimpleFleet("req-14-sf", 1));
  ASSERT_FALSE(id.empty());
  auto history = aws::ec2::DescribeSpotFleetRequestHistory(
      client(), {.spot_fleet_request_id = id,
                 .start_time = std::chrono::sys_days(std::chrono::year(2020) / 1 / 1)});
  ASSERT_FALSE(history.ok());
  EXPECT_EQ(history.error().kind(), ErrorKind::kTransient) << history.error().ToString();
}

TEST(AwsSpotFleetWireNames, MatchTheApiReference) {
  using aws::ec2::WireName;
  EXPECT_EQ(WireName(ec2::SpotFleetExcessCapacityTerminationPolicy::kDefault), "default");
  EXPECT_EQ(WireName(ec2::SpotFleetExcessCapacityTerminationPolicy::kNoTermination),
            "noTermination");
  EXPECT_EQ(WireName(ec2::SpotFleetAllocationStrategy::kPriceCapacityOptimized),
            "priceCapacityOptimized");
  EXPECT_EQ(WireName(ec2::SpotFleetAllocationStrategy::kCapacityOptimizedPrioritized),
            "capacityOptimizedPrioritized");
  EXPECT_EQ(WireName(aws::ec2::SpotFleetOnDemandAllocationStrategy::kPrioritized), "prioritized");
  EXPECT_EQ(WireName(ec2::SpotFleetType::kMaintain), "maintain");
  EXPECT_EQ(WireName(aws::ec2::SpotFleetInterruptionBehavior::kHibernate), "hibernate");
  EXPECT_EQ(WireName(ec2::SpotFleetState::kCancelledTerminating), "cancelled_terminating");
  EXPECT_EQ(WireName(aws::ec2::SpotFleetActivityStatus::kPendingFulfillment),
            "pending_fulfillment");
  EXPECT_EQ(WireName(ec2::SpotFleetEventType::kFleetRequestChange), "fleetRequestChange");
  EXPECT_TRUE(IsCancelledOrFailed(ec2::SpotFleetState::kCancelledRunning));
  EXPECT_TRUE(IsCancelledOrFailed(ec2::SpotFleetState::kFailed));
  EXPECT_FALSE(IsCancelledOrFailed(ec2::SpotFleetState::kModifying));
  EXPECT_FALSE(IsCancelledOrFailed(ec2::SpotFleetState::kUnknown));
}

constexpr char kEc2Ns[] = R"( xmlns="http://ec2.amazonaws.com/doc/2016-11-15/")";

std::string Ec2Response(const std::string& action, const std::string& inner) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + action + "Response" + kEc2Ns +
         "><requestId>{{request_id}}</requestId>" + inner + "</" + action + "Response>";
}

// ---- On the wire: every field under its exact Query name (moto ignores several of them) ----

// Records the form body of every request and answers each with `answer` (HTTP 200).
class RecordingTransport final : public aws::HttpTransport {
 public:
  explicit RecordingTransport(std::string answer) : answer_(std::move(answer)) {}
  resilience::Result<aws::HttpResponse> Send(const aws::HttpRequest& request, resilience::Deadline,
                                             std::stop_token) override {
    bodies_.push_back(request.body);
    return aws::HttpResponse{200, {}, answer_};
  }
  const std::vector<std::string>& bodies() const { return bodies_; }

 private:
  std::string answer_;
  std::vector<std::string> bodies_;
};

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i] == '+' ? ' ' : text[i]);  // a form body's space
    }
  }
  return out;
}

// The parameters of a form body, decoded.
std::map<std::string, std::string> FormOf(const std::string& body) {
  std::map<std::string, std::string> form;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    const std::string pair = body.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (!pair.empty()) form[PercentDecode(pair.substr(0, eq))] = PercentDecode(pair.substr(eq + 1));
    start = end + 1;
  }
  return form;
}

// EC2's Query form of `action`: Action, Version and `params`.
std::map<std::string, std::string> Ec2Form(const std::string& action,
                                           std::map<std::string, std::string> params) {
  params.emplace("Action", action);
  params.emplace("Version", "2016-11-15");
  return params;
}

class AwsSpotFleetWireTest : public ::testing::Test {
 protected:
  // What `call` sends, answered with `answer`.
  template <class Call>
  std::map<std::string, std::string> Sent(const std::string& answer, Call call) {
    RecordingTransport transport(answer);
    resilience::SystemClock clock;
    resilience::SeededRandom random(1);
    resilience::InMemoryStateStore store;
    resilience::ResiliencePipeline pipeline(FastRetries(4, std::chrono::seconds(30)),
                                            {clock, random, store});
    aws::StaticCredentialsProvider credentials(
        aws::Credentials{.access_key_id = "testing", .secret_access_key = "testing"});
    aws::MapEnvironment env;
    auto endpoints = aws::ResolveEndpoints("us-east-1", {.global = "http://127.0.0.1:9"}, env);
    EXPECT_TRUE(endpoints.ok());
    aws::AwsClient client(
        "us-east-1", *endpoints,
        {.transport = transport, .credentials = credentials, .clock = clock, .pipeline = pipeline});
    call(client);
    EXPECT_EQ(transport.bodies().size(), 1U);
    return transport.bodies().empty() ? std::map<std::string, std::string>{}
                                      : FormOf(transport.bodies()[0]);
  }
};

TEST_F(AwsSpotFleetWireTest, RequestWithLaunchSpecificationsSendsEveryField) {
  const ec2::RequestSpotFleetRequest request{
      .client_token = "req-1-sf",
      .iam_fleet_role = kFleetRole,
      .target_capacity = 3,
      .on_demand_target_capacity = 1,
      .allocation_strategy = ec2::SpotFleetAllocationStrategy::kCapacityOptimized,
      .on_demand_allocation_strategy = aws::ec2::SpotFleetOnDemandAllocationStrategy::kLowestPrice,
      .type = ec2::SpotFleetType::kMaintain,
      .valid_until = std::chrono::sys_days(std::chrono::year(2035) / 1 / 1),
      .terminate_instances_with_expiration = true,
      .excess_capacity_termination_policy =
          ec2::SpotFleetExcessCapacityTerminationPolicy::kNoTermination,
      .spot_price = "0.20",
      .instance_interruption_behavior = aws::ec2::SpotFleetInterruptionBehavior::kStop,
      .tags = {{"ohfp:request-id", "req-1"}},
      .launch_specifications = {{.image_id = kImage,
                                 .instance_type = "c5.large",
                                 .subnet_id = "subnet-1, subnet-2",
                                 .key_name = "key",
                                 .security_group_ids = {"sg-1", "sg-2"},
                                 .user_data = "foobar",
                                 .iam_instance_profile = "worker-profile",
                                 .weighted_capacity = 1.5,
                                 .spot_price = "0.10",
                                 .tags = {{"Name", "worker"}},
                                 .root_volume = aws::ec2::EbsVolume{.device_name = "/dev/sda1",
                                                                    .size_gib = 50,
                                                                    .volume_type = "gp3"}},
                                {.image_id = kImage,
                                 .instance_type = "m5.large",
                                 .iam_instance_profile = "arn:aws:iam::1:instance-profile/p"}}};
  const std::string answer =
      Ec2Response("RequestSpotFleet", "<spotFleetRequestId>sfr-1</spotFleetRequestId>");
  const std::string c = "SpotFleetRequestConfig.";
  const std::string s1 = c + "LaunchSpecifications.1.";
  const std::string s2 = c + "LaunchSpecifications.2.";
  const std::map<std::string, std::string> expected = {
      {"Action", "RequestSpotFleet"},
      {"Version", "2016-11-15"},
      {c + "ClientToken", "req-1-sf"},
      {c + "IamFleetRole", kFleetRole},
      {c + "TargetCapacity", "3"},
      {c + "OnDemandTargetCapacity", "1"},
      {c + "AllocationStrategy", "capacityOptimized"},
      {c + "OnDemandAllocationStrategy", "lowestPrice"},
      {c + "Type", "maintain"},
      {c + "ValidUntil", "2035-01-01T00:00:00Z"},
      {c + "TerminateInstancesWithExpiration", "true"},
      {c + "ExcessCapacityTerminationPolicy", "noTermination"},
      {c + "SpotPrice", "0.20"},
      {c + "InstanceInterruptionBehavior", "stop"},
      {c + "TagSpecification.1.ResourceType", "spot-fleet-request"},
      {c + "TagSpecification.1.Tag.1.Key", "ohfp:request-id"},
      {c + "TagSpecification.1.Tag.1.Value", "req-1"},
      {s1 + "ImageId", kImage},
      {s1 + "InstanceType", "c5.large"},
      {s1 + "SubnetId", "subnet-1, subnet-2"},
      {s1 + "KeyName", "key"},
      {s1 + "GroupSet.1.GroupId", "sg-1"},
      {s1 + "GroupSet.2.GroupId", "sg-2"},
      {s1 + "UserData", "Zm9vYmFy"},
      {s1 + "IamInstanceProfile.Name", "worker-profile"},
      {s1 + "WeightedCapacity", "1.5"},
      {s1 + "SpotPrice", "0.10"},
      {s1 + "BlockDeviceMapping.1.DeviceName", "/dev/sda1"},
      {s1 + "BlockDeviceMapping.1.Ebs.VolumeSize", "50"},
      {s1 + "BlockDeviceMapping.1.Ebs.VolumeType", "gp3"},
      {s1 + "BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true"},
      {s1 + "TagSpecificationSet.1.ResourceType", "instance"},
      {s1 + "TagSpecificationSet.1.Tag.1.Key", "Name"},
      {s1 + "TagSpecificationSet.1.Tag.1.Value", "worker"},
      {s2 + "ImageId", kImage},
      {s2 + "InstanceType", "m5.large"},
      {s2 + "IamInstanceProfile.Arn", "arn:aws:iam::1:instance-profile/p"},
  };
  EXPECT_EQ(Sent(answer,
                 [&](aws::AwsClient& client) {
                   auto id = aws::ec2::RequestSpotFleet(client, request);
                   ASSERT_TRUE(id.ok()) << id.error().ToString();
                   EXPECT_EQ(*id, "sfr-1");
                 }),
            expected);
}

TEST_F(AwsSpotFleetWireTest, RequestWithALaunchTemplateSendsConfigsAndOverrides) {
  const ec2::RequestSpotFleetRequest request{
      .iam_fleet_role = kFleetRole,
      .target_capacity = 2,
      .launch_template_configs = {{.launch_template = {.id = "lt-1", .version = "3"},
                                   .overrides = {{.instance_type = "c5.large",
                                                  .subnet_id = "subnet-1",
                                                  .availability_zone = "us-east-1a",
                                                  .weighted_capacity = 2.0,
                                                  .spot_price = "0.3",
                                                  .priority = 1.0},
                                                 {.instance_type = "m5.large"}}},
                                  {.launch_template = {.name = "ohfp"}}}};
  const std::string c = "SpotFleetRequestConfig.";
  const std::string l1 = c + "LaunchTemplateConfigs.1.";
  const std::map<std::string, std::string> expected = {
      {"Action", "RequestSpotFleet"},
      {"Version", "2016-11-15"},
      {c + "IamFleetRole", kFleetRole},
      {c + "TargetCapacity", "2"},
      {c + "AllocationStrategy", "lowestPrice"},  // always sent, see RequestSpotFleetRequest
      {l1 + "LaunchTemplateSpecification.LaunchTemplateId", "lt-1"},
      {l1 + "LaunchTemplateSpecification.Version", "3"},
      {l1 + "Overrides.1.InstanceType", "c5.large"},
      {l1 + "Overrides.1.SubnetId", "subnet-1"},
      {l1 + "Overrides.1.AvailabilityZone", "us-east-1a"},
      {l1 + "Overrides.1.WeightedCapacity", "2"},
      {l1 + "Overrides.1.SpotPrice", "0.3"},
      {l1 + "Overrides.1.Priority", "1"},
      {l1 + "Overrides.2.InstanceType", "m5.large"},
      {c + "LaunchTemplateConfigs.2.LaunchTemplateSpecification.LaunchTemplateName", "ohfp"},
  };
  EXPECT_EQ(Sent(Ec2Response("RequestSpotFleet", "<spotFleetRequestId>sfr-1</spotFleetRequestId>"),
                 [&](aws::AwsClient& client) {
                   EXPECT_TRUE(aws::ec2::RequestSpotFleet(client, request).ok());
                 }),
            expected);
}

TEST_F(AwsSpotFleetWireTest, ModifyCancelDescribeAndHistorySendTheirFields) {
  EXPECT_EQ(
      Sent(Ec2Response("ModifySpotFleetRequest", "<return>true</return>"),
           [](aws::AwsClient& client) {
             EXPECT_TRUE(aws::ec2::ModifySpotFleetRequest(
                             client, {.spot_fleet_request_id = "sfr-1",
                                      .target_capacity = 2,
                                      .on_demand_target_capacity = 0,
                                      .excess_capacity_termination_policy =
                                          ec2::SpotFleetExcessCapacityTerminationPolicy::kDefault})
                             .ok());
           }),
      Ec2Form("ModifySpotFleetRequest", {{"SpotFleetRequestId", "sfr-1"},
                                         {"TargetCapacity", "2"},
                                         {"OnDemandTargetCapacity", "0"},
                                         {"ExcessCapacityTerminationPolicy", "default"}}));
  EXPECT_EQ(Sent(Ec2Response("CancelSpotFleetRequests", ""),
                 [](aws::AwsClient& client) {
                   EXPECT_TRUE(ec2::CancelSpotFleetRequests(
                                   client, {.spot_fleet_request_ids = {"sfr-1", "sfr-2"},
                                            .terminate_instances = false})
                                   .ok());
                 }),
            Ec2Form("CancelSpotFleetRequests", {{"SpotFleetRequestId.1", "sfr-1"},
                                                {"SpotFleetRequestId.2", "sfr-2"},
                                                {"TerminateInstances", "false"}}));
  EXPECT_EQ(
      Sent(
          Ec2Response("DescribeSpotFleetRequests", ""),
          [](aws::AwsClient& client) {
            EXPECT_TRUE(
                ec2::DescribeSpotFleetRequests(client, {.spot_fleet_request_ids = {"sfr-1"}}).ok());
          }),
      Ec2Form("DescribeSpotFleetRequests", {{"SpotFleetRequestId.1", "sfr-1"}}));
  EXPECT_EQ(Sent(Ec2Response("DescribeSpotFleetInstances", ""),
                 [](aws::AwsClient& client) {
                   EXPECT_TRUE(ec2::DescribeSpotFleetInstances(client, "sfr-1").ok());
                 }),
            Ec2Form("DescribeSpotFleetInstances",
                    {{"SpotFleetRequestId", "sfr-1"}, {"MaxResults", "1000"}}));
  EXPECT_EQ(
      Sent(Ec2Response("DescribeSpotFleetRequestHistory", ""),
           [](aws::AwsClient& client) {
             EXPECT_TRUE(
                 aws::ec2::DescribeSpotFleetRequestHistory(
                     client, {.spot_fleet_request_id = "sfr-1",
                              .start_time = std::chrono::sys_days(std::chrono::year(2024) / 5 / 1),
                              .event_type = ec2::SpotFleetEventType::kError})
                     .ok());
           }),
      Ec2Form("DescribeSpotFleetRequestHistory", {{"SpotFleetRequestId", "sfr-1"},
                                                  {"StartTime", "2024-05-01T00:00:00Z"},
                                                  {"EventType", "error"},
                                                  {"MaxResults", "1000"}}));
}

// ---- Through ohfp-chaos-proxy ----

class AwsSpotFleetThroughProxyTest : public WorldSuite<AwsSpotFleetThroughProxyTest> {
 public:
  static AwsWorldOptions WorldOptions() {
    return {.with_proxy = true, .resilience = FastRetries(4, std::chrono::seconds(30))};
  }

 protected:
  // A rule that answers `action` with `body` (HTTP 200), at most `max_hits` times (0: always).
  static nlohmann::json Respond(const std::string& name, const std::string& action,
                                const std::string& body, int max_hits = 0) {
    nlohmann::json rule = {{"name", name},
                           {"match", {{"action", action}}},
                           {"fault", {{"type", "respond"}, {"status", 200}, {"body", body}}}};
    if (max_hits > 0) rule["max_hits"] = max_hits;
    return rule;
  }
};

TEST_F(AwsSpotFleetThroughProxyTest,
       ALostAnswerIsRetriedWithItsTokenAndCreatesOneFleetViaProxyBecauseMotoIgnoresClientToken) {
  // moto ignores ClientToken; the proxy remembers the answer per token as AWS does.
  Rules({{{"name", "lost"},
          {"match", {{"action", "RequestSpotFleet"}}},
          {"max_hits", 1},
          {"fault", {{"type", "drop_response"}}}}});
  auto id = aws::ec2::RequestSpotFleet(client(), SimpleFleet("req-20-sf", 2));
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  const nlohmann::json stats = Stats();
  EXPECT_EQ(stats["actions"]["RequestSpotFleet"]["requests"], 2) << stats.dump();
  EXPECT_EQ(stats["actions"]["RequestSpotFleet"]["idempotent_replays"], 1) << stats.dump();

  auto all = ec2::DescribeSpotFleetRequests(client(), {});
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  ASSERT_EQ(all->size(), 1U);
  EXPECT_EQ((*all)[0].spot_fleet_request_id, *id);
  auto instances = aws::ec2::DescribeInstances(
      client(),
      aws::ec2::DescribeInstancesRequest{.filters = {{"tag:ohfp:request-id", {"req-20-sf"}}}});
  ASSERT_TRUE(instances.ok());
  EXPECT_EQ(instances->size(), 2U);
}

TEST_F(AwsSpotFleetThroughProxyTest,
       TheSameTokenWithOtherParametersIsAMismatchViaProxyBecauseMotoIgnoresClientToken) {
  auto first = aws::ec2::RequestSpotFleet(client(), SimpleFleet("req-21-sf", 1));
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  auto again = aws::ec2::RequestSpotFleet(client(), SimpleFleet("req-21-sf", 1));
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(*again, *first);
  auto other = aws::ec2::RequestSpotFleet(client(), SimpleFleet("req-21-sf", 5));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind(), ErrorKind::kIdempotencyMismatch) << other.error().ToString();
  auto all = ec2::DescribeSpotFleetRequests(client(), {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1U);
}

TEST_F(AwsSpotFleetThroughProxyTest,
       HistoryIsReadAcrossPagesViaProxyBecauseMotoLacksDescribeSpotFleetRequestHistory) {
  const std::string page1 = Ec2Response(
      "DescribeSpotFleetRequestHistory",
      "<spotFleetRequestId>sfr-11112222-3333-4444-5555-666677778888</spotFleetRequestId>"
      "<startTime>2024-05-01T10:00:00.000Z</startTime>"
      "<historyRecordSet>"
      "<item><timestamp>2024-05-01T10:00:01.000Z</timestamp><eventType>fleetRequestChange</"
      "eventType>"
      "<eventInformation><eventSubType>submitted</eventSubType></eventInformation></item>"
      "<item><timestamp>2024-05-01T10:00:02.000Z</timestamp><eventType>fleetRequestChange</"
      "eventType>"
      "<eventInformation><eventSubType>active</eventSubType></eventInformation></item>"
      "<item><timestamp>2024-05-01T10:00:03.000Z</timestamp><eventType>instanceChange</eventType>"
      "<eventInformation><eventSubType>launched</eventSubType><instanceId>i-0123456789abcdef0</"
      "instanceId>"
      "<eventDescription>{\"instanceType\":\"c5.large\",\"image\":\"ami-12345678\","
      "\"productDescription\":"
      "\"Linux/UNIX\",\"availabilityZone\":\"us-east-1a\"}</eventDescription></eventInformation></"
      "item>"
      "</historyRecordSet><nextToken>page-2</nextToken>");
  const std::string page2 = Ec2Response(
      "DescribeSpotFleetRequestHistory",
      "<spotFleetRequestId>sfr-11112222-3333-4444-5555-666677778888</spotFleetRequestId>"
      "<startTime>2024-05-01T10:00:00.000Z</startTime>"
      "<lastEvaluatedTime>2024-05-01T10:05:00.000Z</lastEvaluatedTime>"
      "<historyRecordSet>"
      "<item><timestamp>2024-05-01T10:00:04.000Z</timestamp><eventType>error</eventType>"
      "<eventInformation><eventSubType>spotInstanceCountLimitExceeded</eventSubType>"
      "<eventDescription>Max spot instance count "
      "exceeded</eventDescription></eventInformation></item>"
      "<item><timestamp>2024-05-01T10:00:05.000Z</timestamp><eventType>information</eventType>"
      "<eventInformation><eventSubType>launchSpecUnusable</eventSubType>"
      "<eventDescription>c5.large, ami-12345678, Linux/UNIX, us-east-1a, Spot price too "
      "low</eventDescription>"
      "</eventInformation></item>"
      "<item><timestamp>2024-05-01T10:00:06.000Z</timestamp><eventType>somethingNew</eventType>"
      "<eventInformation/></item>"
      "</historyRecordSet>");
  Rules({Respond("history-1", "DescribeSpotFleetRequestHistory", page1, 1),
         Respond("history-2", "DescribeSpotFleetRequestHistory", page2, 1)});

  auto history = aws::ec2::DescribeSpotFleetRequestHistory(
      client(), {.spot_fleet_request_id = "sfr-11112222-3333-4444-5555-666677778888",
                 .start_time = std::chrono::sys_days(std::chrono::year(2024) / 5 / 1) +
                               std::chrono::hours(10)});
  ASSERT_TRUE(history.ok()) << history.error().ToString();
  EXPECT_EQ(Stats()["actions"]["DescribeSpotFleetRequestHistory"]["requests"], 2);
  ASSERT_EQ(history->records.size(), 6U);
  const auto& r = history->records;
  EXPECT_EQ(r[0].event_type, ec2::SpotFleetEventType::kFleetRequestChange);
  EXPECT_EQ(r[0].event_sub_type, "submitted");
  EXPECT_EQ(r[2].event_type, ec2::SpotFleetEventType::kInstanceChange);
  EXPECT_EQ(r[2].instance_id, "i-0123456789abcdef0");
  EXPECT_THAT(r[2].event_description, ::testing::HasSubstr("c5.large"));
  EXPECT_EQ(r[3].event_type, ec2::SpotFleetEventType::kError);
  EXPECT_EQ(r[3].event_sub_type, "spotInstanceCountLimitExceeded");
  EXPECT_EQ(r[3].event_description, "Max spot instance count exceeded");
  EXPECT_EQ(r[4].event_type, ec2::SpotFleetEventType::kInformation);
  EXPECT_EQ(r[5].event_type, ec2::SpotFleetEventType::kUnknown);
  ASSERT_TRUE(r[3].timestamp.has_value());
  EXPECT_EQ(*r[3].timestamp, std::chrono::sys_days(std::chrono::year(2024) / 5 / 1) +
                                 std::chrono::hours(10) + std::chrono::seconds(4));
  ASSERT_TRUE(history->last_evaluated_time.has_value());
  EXPECT_EQ(*history->last_evaluated_time, std::chrono::sys_days(std::chrono::year(2024) / 5 / 1) +
                                               std::chrono::hours(10) + std::chrono::minutes(5));
}

TEST_F(AwsSpotFleetThroughProxyTest,
       DescribeReadsWhatMotoOmitsAcrossPagesViaProxyBecauseMotoOmitsActivityStatus) {
  const std::string page1 = Ec2Response(
      "DescribeSpotFleetRequests",
      "<spotFleetRequestConfigSet><item>"
      "<spotFleetRequestId>sfr-aaaa</spotFleetRequestId><spotFleetRequestState>active</"
      "spotFleetRequestState>"
      "<activityStatus>pending_fulfillment</activityStatus><createTime>2024-05-01T10:00:00.000Z</"
      "createTime>"
      "<spotFleetRequestConfig><allocationStrategy>priceCapacityOptimized</allocationStrategy>"
      "<clientToken>req-30-sf</clientToken><excessCapacityTerminationPolicy>noTermination"
      "</excessCapacityTerminationPolicy><fulfilledCapacity>2.5</fulfilledCapacity>"
      "<onDemandFulfilledCapacity>1.0</onDemandFulfilledCapacity><onDemandTargetCapacity>1</"
      "onDemandTargetCapacity>"
      "<targetCapacity>4</targetCapacity><type>maintain</"
      "type><validUntil>2025-05-01T10:00:00.000Z</validUntil>"
      "</spotFleetRequestConfig><tagSet><item><key>ohfp:request-id</key><value>req-30</value></"
      "item></tagSet>"
      "</item></spotFleetRequestConfigSet><nextToken>page-2</nextToken>");
  const std::string page2 =
      Ec2Response("DescribeSpotFleetRequests",
                  "<spotFleetRequestConfigSet>"
                  "<item><spotFleetRequestId>sfr-bbbb</spotFleetRequestId>"
                  "<spotFleetRequestState>cancelled_terminating</spotFleetRequestState>"
                  "<activityStatus>error</"
                  "activityStatus><spotFleetRequestConfig><targetCapacity>2</targetCapacity>"
                  "<fulfilledCapacity>0.0</fulfilledCapacity><type>request</type></"
                  "spotFleetRequestConfig></item>"
                  "<item><spotFleetRequestId>sfr-cccc</spotFleetRequestId>"
                  "<spotFleetRequestState>hibernating</spotFleetRequestState>"
                  "<spotFleetRequestConfig><targetCapacity>1</targetCapacity><type>instant</type></"
                  "spotFleetRequestConfig>"
                  "</item></spotFleetRequestConfigSet>");
  Rules({Respond("describe-1", "DescribeSpotFleetRequests", page1, 1),
         Respond("describe-2", "DescribeSpotFleetRequests", page2, 1)});

  auto all = ec2::DescribeSpotFleetRequests(client(), {});
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  EXPECT_EQ(Stats()["actions"]["DescribeSpotFleetRequests"]["requests"], 2);
  ASSERT_EQ(all->size(), 3U);
  const ec2::SpotFleetRequestDescription& a = (*all)[0];
  EXPECT_EQ(a.spot_fleet_request_id, "sfr-aaaa");
  EXPECT_EQ(a.state, ec2::SpotFleetState::kActive);
  EXPECT_EQ(a.activity_status, aws::ec2::SpotFleetActivityStatus::kPendingFulfillment);
  EXPECT_EQ(a.target_capacity, 4);
  EXPECT_EQ(a.on_demand_target_capacity, 1);
  EXPECT_EQ(a.fulfilled_capacity, 2.5);
  EXPECT_EQ(a.on_demand_fulfilled_capacity, 1.0);
  EXPECT_EQ(a.type, ec2::SpotFleetType::kMaintain);
  EXPECT_EQ(a.allocation_strategy, ec2::SpotFleetAllocationStrategy::kPriceCapacityOptimized);
  EXPECT_EQ(a.excess_capacity_termination_policy,
            ec2::SpotFleetExcessCapacityTerminationPolicy::kNoTermination);
  EXPECT_EQ(a.client_token, "req-30-sf");
  EXPECT_EQ(a.create_time,
            std::chrono::sys_days(std::chrono::year(2024) / 5 / 1) + std::chrono::hours(10));
  EXPECT_EQ(a.valid_until,
            std::chrono::sys_days(std::chrono::year(2025) / 5 / 1) + std::chrono::hours(10));
  EXPECT_THAT(a.tags, ::testing::ElementsAre(aws::ec2::Tag{"ohfp:request-id", "req-30"}));
  const ec2::SpotFleetRequestDescription& b = (*all)[1];
  EXPECT_EQ(b.state, ec2::SpotFleetState::kCancelledTerminating);
  EXPECT_EQ(b.activity_status, aws::ec2::SpotFleetActivityStatus::kError);
  EXPECT_EQ(b.type, ec2::SpotFleetType::kRequest);
  EXPECT_FALSE(b.create_time.has_value());
  // A state or type this code does not know is kept as unknown, not an error.
  const ec2::SpotFleetRequestDescription& c = (*all)[2];
  EXPECT_EQ(c.state, ec2::SpotFleetState::kUnknown);
  EXPECT_FALSE(c.activity_status.has_value());
  EXPECT_FALSE(c.type.has_value());
}

TEST_F(AwsSpotFleetThroughProxyTest,
       InstancesAreReadAcrossPagesWithTheirHealthViaProxyBecauseMotoReportsNoHealth) {
  const std::string page1 =
      Ec2Response("DescribeSpotFleetInstances",
                  "<spotFleetRequestId>sfr-aaaa</spotFleetRequestId><activeInstanceSet>"
                  "<item><instanceId>i-1</instanceId><instanceType>c5.large</instanceType>"
                  "<spotInstanceRequestId>sir-1</spotInstanceRequestId><instanceHealth>healthy</"
                  "instanceHealth></item>"
                  "</activeInstanceSet><nextToken>page-2</nextToken>");
  const std::string page2 =
      Ec2Response("DescribeSpotFleetInstances",
                  "<spotFleetRequestId>sfr-aaaa</spotFleetRequestId><activeInstanceSet>"
                  "<item><instanceId>i-2</instanceId><instanceType>m5.large</instanceType>"
                  "<instanceHealth>unhealthy</instanceHealth></item>"
                  "<item><instanceId>i-3</instanceId><instanceType>m5.large</instanceType>"
                  "<spotInstanceRequestId>sir-3</spotInstanceRequestId></item>"
                  "</activeInstanceSet>");
  Rules({Respond("instances-1", "DescribeSpotFleetInstances", page1, 1),
         Respond("instances-2", "DescribeSpotFleetInstances", page2, 1)});

  auto instances = ec2::DescribeSpotFleetInstances(client(), "sfr-aaaa");
  ASSERT_TRUE(instances.ok()) << instances.error().ToString();
  EXPECT_EQ(Stats()["actions"]["DescribeSpotFleetInstances"]["requests"], 2);
  ASSERT_EQ(instances->size(), 3U);
  EXPECT_EQ((*instances)[0].instance_id, "i-1");
  EXPECT_EQ((*instances)[0].spot_instance_request_id, "sir-1");
  EXPECT_EQ((*instances)[0].instance_health, aws::ec2::SpotFleetInstanceHealth::kHealthy);
  EXPECT_EQ((*instances)[1].instance_id, "i-2");
  EXPECT_EQ((*instances)[1].spot_instance_request_id, "");  // on-demand
  EXPECT_EQ((*instances)[1].instance_health, aws::ec2::SpotFleetInstanceHealth::kUnhealthy);
  EXPECT_FALSE((*instances)[2].instance_health.has_value());
}

TEST_F(AwsSpotFleetThroughProxyTest,
       CancelReportsFleetsItCouldNotCancelViaProxyBecauseMotoAnswersUnknownIdsWith500) {
  // How AWS answers a cancel of one known and one unknown fleet: HTTP 200, one item in each set.
  Rules({Respond(
      "cancel", "CancelSpotFleetRequests",
      Ec2Response(
          "CancelSpotFleetRequests",
          "<successfulFleetRequestSet><item><spotFleetRequestId>sfr-aaaa</spotFleetRequestId>"
          "<currentSpotFleetRequestState>cancelled_terminating</currentSpotFleetRequestState>"
          "<previousSpotFleetRequestState>active</previousSpotFleetRequestState></item>"
          "</successfulFleetRequestSet><unsuccessfulFleetRequestSet><item>"
          "<spotFleetRequestId>sfr-0123456789abcdef0</spotFleetRequestId><error>"
          "<code>fleetRequestIdDoesNotExist</code><message>The Spot Fleet request ID "
          "'sfr-0123456789abcdef0' does not exist.</message></error></item>"
          "</unsuccessfulFleetRequestSet>"))});
  auto cancelled = ec2::CancelSpotFleetRequests(
      client(), {.spot_fleet_request_ids = {"sfr-aaaa", "sfr-0123456789abcdef0"},
                 .terminate_instances = true});
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().ToString();
  ASSERT_EQ(cancelled->successful.size(), 1U);
  EXPECT_EQ(cancelled->successful[0].spot_fleet_request_id, "sfr-aaaa");
  EXPECT_EQ(cancelled->successful[0].current_state, ec2::SpotFleetState::kCancelledTerminating);
  EXPECT_EQ(cancelled->successful[0].previous_state, ec2::SpotFleetState::kActive);
  ASSERT_EQ(cancelled->unsuccessful.size(), 1U);
  EXPECT_EQ(cancelled->unsuccessful[0].spot_fleet_request_id, "sfr-0123456789abcdef0");
  EXPECT_EQ(cancelled->unsuccessful[0].error.code(), "fleetRequestIdDoesNotExist");
  EXPECT_THAT(std::string(cancelled->unsuccessful[0].error.message()),
              ::testing::HasSubstr("does not exist"));
  EXPECT_EQ(Stats()["actions"]["CancelSpotFleetRequests"]["requests"], 1)
      << "an HTTP 200 answer is not retried";
}

TEST_F(AwsSpotFleetThroughProxyTest,
       AnUnknownIdIsGoneViaProxyBecauseMotoAnswersUnknownIdsWithAnEmptyList) {
  Rules({{{"name", "not-found"},
          {"match", {{"action", "DescribeSpotFleetRequests"}}},
          {"fault",
           {{"type", "error"},
            {"status", 400},
            {"code", "InvalidSpotFleetRequestId.NotFound"},
            {"message", "The spot fleet request ID 'sfr-0123456789abcdef0' does not exist"}}}}});
  auto described = ec2::DescribeSpotFleetRequests(
      client(), {.spot_fleet_request_ids = {"sfr-0123456789abcdef0"}});
  ASSERT_FALSE(described.ok());
  EXPECT_EQ(described.error().kind(), ErrorKind::kNotFound);
  auto found = ec2::FindSpotFleetRequest(client(), "sfr-0123456789abcdef0");
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  EXPECT_FALSE(found->has_value());
}

TEST_F(AwsSpotFleetThroughProxyTest, AnAnswerWithoutTheFleetIdIsAnUnexpectedResponse) {
  Rules({Respond("no-id", "RequestSpotFleet", Ec2Response("RequestSpotFleet", ""))});
  auto id = aws::ec2::RequestSpotFleet(client(), SimpleFleet("req-31-sf", 1));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().kind(), ErrorKind::kInternal);
  EXPECT_EQ(id.error().code(), "UnexpectedResponse");
}

TEST_F(AwsSpotFleetThroughProxyTest, AMalformedCapacityIsAnUnexpectedResponse) {
  Rules({Respond(
      "bad-number", "DescribeSpotFleetRequests",
      Ec2Response(
          "DescribeSpotFleetRequests",
          "<spotFleetRequestConfigSet><item><spotFleetRequestId>sfr-aaaa</spotFleetRequestId>"
          "<spotFleetRequestState>active</spotFleetRequestState><spotFleetRequestConfig>"
          "<fulfilledCapacity>lots</fulfilledCapacity></spotFleetRequestConfig></item>"
          "</spotFleetRequestConfigSet>"))});
  auto all = ec2::DescribeSpotFleetRequests(client(), {});
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().kind(), ErrorKind::kInternal);
  EXPECT_EQ(all.error().code(), "UnexpectedResponse");
}

TEST_F(AwsSpotFleetThroughProxyTest, ModifyAnsweredFalseIsAnUnexpectedResponse) {
  Rules({Respond("refused", "ModifySpotFleetRequest",
                 Ec2Response("ModifySpotFleetRequest", "<return>false</return>"))});
  auto modified = aws::ec2::ModifySpotFleetRequest(
      client(), {.spot_fleet_request_id = "sfr-aaaa", .target_capacity = 1});
  ASSERT_FALSE(modified.ok());
  EXPECT_EQ(modified.error().code(), "UnexpectedResponse");
}

TEST_F(AwsSpotFleetThroughProxyTest, AThrottledModifyIsRetriedAndLowersTheTarget) {
  auto id = aws::ec2::RequestSpotFleet(client(), SimpleFleet("req-32-sf", 2));
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  Rules({{{"name", "throttle"},
          {"match", {{"action", "ModifySpotFleetRequest"}}},
          {"max_hits", 2},
          {"fault", {{"type", "throttle"}}}}});
  auto modified = aws::ec2::ModifySpotFleetRequest(
      client(), {.spot_fleet_request_id = *id,
                 .target_capacity = 1,
                 .excess_capacity_termination_policy =
                     ec2::SpotFleetExcessCapacityTerminationPolicy::kNoTermination});
  ASSERT_TRUE(modified.ok()) << modified.error().ToString();
  EXPECT_EQ(Stats()["actions"]["ModifySpotFleetRequest"]["requests"], 3);
  auto fleet = ec2::FindSpotFleetRequest(client(), *id);
  ASSERT_TRUE(fleet.ok() && fleet->has_value());
  EXPECT_EQ((*fleet)->target_capacity, 1);
  auto instances = ec2::DescribeSpotFleetInstances(client(), *id);
  ASSERT_TRUE(instances.ok());
  EXPECT_EQ(instances->size(), 2U);
}

}  // namespace
}  // namespace ohfp::testing
