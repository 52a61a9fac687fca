// EC2 launch templates and EC2 Fleet against moto, round trip; through ohfp-chaos-proxy where moto
// lacks an action (ModifyFleet), answers unlike AWS (DeleteFleets of an unknown id, pagination,
// activity status, launch errors) or ignores ClientToken.
//
// Every test talks through a recording transport (real HTTP, plus a copy of each request body), so
// a test can check what went over the wire where moto silently ignores a parameter.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "aws/ec2/fleets.h"
#include "aws/ec2/instances.h"
#include "aws/ec2/launch_templates.h"
#include "aws_world.h"
#include "recording_client.h"
#include "world_suite.h"

namespace ohfp::testing {
namespace {

namespace ec2 = aws::ec2;
using resilience::ErrorKind;
using ::testing::IsEmpty;

using Params = WireParams;

// A suite-wide AwsWorld (moto, optionally the proxy) and a client whose requests are recorded.
template <bool kWithProxy>
class FleetWorldTest : public WorldSuite<FleetWorldTest<kWithProxy>> {
  using Suite = WorldSuite<FleetWorldTest<kWithProxy>>;

 public:
  static AwsWorldOptions WorldOptions() {
    return {.with_proxy = kWithProxy, .resilience = FastRetries(3)};
  }
  static void SetUpTestSuite() {
    Suite::SetUpTestSuite();
    if (Suite::world_) recording_ = std::make_unique<RecordingClient>(*Suite::world_);
  }
  static void TearDownTestSuite() {
    recording_.reset();
    Suite::TearDownTestSuite();
  }

 protected:
  void SetUp() override {
    Suite::SetUp();
    if (recording_) recording_->wire().Clear();
  }

  aws::AwsClient& client() { return recording_->client(); }
  RecordingTransport& wire() { return recording_->wire(); }
  // Replaces the proxy's rules with `rules`: {"rules": [...]}.
  void Rules(const nlohmann::json& rules) {
    std::string why;
    ASSERT_TRUE(Suite::world_->proxy()->SetRules(rules.dump(), &why)) << why;
  }
  std::uint64_t Attempts() {
    return Suite::world_->pipeline().monitor().GetMetricsSummary().attempts;
  }

  // A launch template whose instances carry ohfp:request-id=`request_id`.
  ec2::LaunchTemplate MakeTemplate(const std::string& name,
                                   const std::string& request_id = "req-1") {
    auto lt =
        ec2::CreateLaunchTemplate(client(), {.name = name,
                                             .client_token = name + "-token",
                                             .data = {.image_id = "ami-12345678",
                                                      .instance_type = "c5.large",
                                                      .tags = {{"ohfp:request-id", request_id}}},
                                             .template_tags = {{"ohfp:request-id", request_id}}});
    EXPECT_TRUE(lt.ok()) << lt.error().ToString();
    return lt.ok() ? *lt : ec2::LaunchTemplate{};
  }

  std::vector<ec2::Instance> InstancesById(const std::vector<std::string>& ids) {
    auto found =
        ec2::DescribeInstances(client(), ec2::DescribeInstancesRequest{.instance_ids = ids});
    EXPECT_TRUE(found.ok()) << found.error().ToString();
    return found.ok() ? *found : std::vector<ec2::Instance>{};
  }

  std::optional<ec2::Fleet> FleetById(const std::string& id) {
    auto fleets = ec2::DescribeFleets(client(), {.fleet_ids = {id}});
    EXPECT_TRUE(fleets.ok()) << fleets.error().ToString();
    if (!fleets.ok()) return std::nullopt;
    for (const ec2::Fleet& f : *fleets) {
      if (f.fleet_id == id) return f;
    }
    return std::nullopt;
  }

  static inline std::unique_ptr<RecordingClient> recording_;
};

std::vector<std::string> IdsOf(const std::vector<ec2::Instance>& instances) {
  std::vector<std::string> ids;
  for (const ec2::Instance& i : instances) ids.push_back(i.instance_id);
  return ids;
}

// -------------------------------------------------------------------------------------------------
// Launch templates against moto.

class AwsLaunchTemplateTest : public FleetWorldTest<false> {};

TEST_F(AwsLaunchTemplateTest, CreateFindByTagDeleteRoundTrip) {
  auto created = ec2::CreateLaunchTemplate(
      client(), {.name = "ohfp-req-1",
                 .client_token = "req-1-lt",
                 .data = {.image_id = "ami-12345678", .instance_type = "c5.large"},
                 .template_tags = {{"ohfp:request-id", "req-1"}, {"Name", "ohfp"}}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_THAT(created->id, ::testing::StartsWith("lt-"));
  EXPECT_EQ(created->name, "ohfp-req-1");
  EXPECT_EQ(created->default_version, 1);
  EXPECT_EQ(created->latest_version, 1);
  EXPECT_TRUE(created->create_time.has_value());
  EXPECT_EQ(created->TagValue("ohfp:request-id"), "req-1");
  ASSERT_TRUE(ec2::CreateLaunchTemplate(
                  client(), {.name = "someone-elses", .data = {.image_id = "ami-12345678"}})
                  .ok());

  // After a crash the plugin finds what it created by tag: exactly this one.
  auto by_tag =
      ec2::DescribeLaunchTemplates(client(), {.filters = {{"tag:ohfp:request-id", {"req-1"}}}});
  ASSERT_TRUE(by_tag.ok()) << by_tag.error().ToString();
  ASSERT_EQ(by_tag->size(), 1U);
  EXPECT_EQ((*by_tag)[0].id, created->id);
  EXPECT_EQ((*by_tag)[0].name, "ohfp-req-1");
  EXPECT_EQ((*by_tag)[0].TagValue("Name"), "ohfp");
  auto by_id = ec2::DescribeLaunchTemplates(client(), {.ids = {created->id}});
  ASSERT_TRUE(by_id.ok());
  ASSERT_EQ(by_id->size(), 1U);
  EXPECT_EQ((*by_id)[0].name, "ohfp-req-1");
  auto by_name = ec2::DescribeLaunchTemplates(client(), {.names = {"ohfp-req-1"}});
  ASSERT_TRUE(by_name.ok());
  ASSERT_EQ(by_name->size(), 1U);
  EXPECT_EQ((*by_name)[0].id, created->id);

  auto deleted = ec2::DeleteLaunchTemplate(client(), {.id = created->id});
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  EXPECT_EQ(deleted->id, created->id);
  EXPECT_EQ(deleted->name, "ohfp-req-1");

  auto after =
      ec2::DescribeLaunchTemplates(client(), {.filters = {{"tag:ohfp:request-id", {"req-1"}}}});
  ASSERT_TRUE(after.ok());
  EXPECT_THAT(*after, IsEmpty());
  auto all = ec2::DescribeLaunchTemplates(client(), {});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1U);
  EXPECT_EQ((*all)[0].name, "someone-elses");
}

TEST_F(AwsLaunchTemplateTest, DeleteByName) {
  ec2::LaunchTemplate lt = MakeTemplate("by-name");
  auto deleted = ec2::DeleteLaunchTemplate(client(), {.name = "by-name"});
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  EXPECT_EQ(deleted->id, lt.id);
  auto all = ec2::DescribeLaunchTemplates(client(), {});
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, IsEmpty());
}

TEST_F(AwsLaunchTemplateTest, CreateSendsEveryLaunchTemplateField) {
  auto created = ec2::CreateLaunchTemplate(
      client(), {.name = "full",
                 .client_token = "req-2-lt",
                 .data = {.image_id = "ami-12345678",
                          .instance_type = "m5.xlarge",
                          .key_name = "ohfp-key",
                          .security_group_ids = {"sg-1", "sg-2"},
                          .user_data = "#!/bin/sh\necho hello\n",
                          .iam_instance_profile = "ohfp-profile",
                          .tags = {{"ohfp:request-id", "req-2"}},
                          .root_volume =
                              ec2::EbsVolume{
                                  .device_name = "/dev/xvda", .size_gib = 50, .volume_type = "gp3"},
                          .spot = true,
                          .max_spot_price = "0.25"},
                 .template_tags = {{"ohfp:request-id", "req-2"}},
                 .version_description = "v1"});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  const std::vector<Params> sent = wire().Sent("CreateLaunchTemplate");
  ASSERT_EQ(sent.size(), 1U);
  const Params expected = {
      {"Action", "CreateLaunchTemplate"},
      {"Version", "2016-11-15"},
      {"ClientToken", "req-2-lt"},
      {"LaunchTemplateName", "full"},
      {"VersionDescription", "v1"},
      {"LaunchTemplateData.ImageId", "ami-12345678"},
      {"LaunchTemplateData.InstanceType", "m5.xlarge"},
      {"LaunchTemplateData.KeyName", "ohfp-key"},
      {"LaunchTemplateData.SecurityGroupId.1", "sg-1"},
      {"LaunchTemplateData.SecurityGroupId.2", "sg-2"},
      {"LaunchTemplateData.UserData", ec2::Base64Encode("#!/bin/sh\necho hello\n")},
      {"LaunchTemplateData.IamInstanceProfile.Name", "ohfp-profile"},
      {"LaunchTemplateData.BlockDeviceMapping.1.DeviceName", "/dev/xvda"},
      {"LaunchTemplateData.BlockDeviceMapping.1.Ebs.VolumeSize", "50"},
      {"LaunchTemplateData.BlockDeviceMapping.1.Ebs.VolumeType", "gp3"},
      {"LaunchTemplateData.BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true"},
      {"LaunchTemplateData.InstanceMarketOptions.MarketType", "spot"},
      {"LaunchTemplateData.InstanceMarketOptions.SpotOptions.MaxPrice", "0.25"},
      {"LaunchTemplateData.TagSpecification.1.ResourceType", "instance"},
      {"LaunchTemplateData.TagSpecification.1.Tag.1.Key", "ohfp:request-id"},
      {"LaunchTemplateData.TagSpecification.1.Tag.1.Value", "req-2"},
      {"LaunchTemplateData.TagSpecification.2.ResourceType", "volume"},
      {"LaunchTemplateData.TagSpecification.2.Tag.1.Key", "ohfp:request-id"},
      {"LaunchTemplateData.TagSpecification.2.Tag.1.Value", "req-2"},
      {"TagSpecification.1.ResourceType", "launch-template"},
      {"TagSpecification.1.Tag.1.Key", "ohfp:request-id"},
      {"TagSpecification.1.Tag.1.Value", "req-2"},
  };
  EXPECT_EQ(sent[0], expected);

  // An ARN is sent as one.
  ASSERT_TRUE(ec2::CreateLaunchTemplate(
                  client(), {.name = "arn",
                             .data = {.iam_instance_profile =
                                          "arn:aws:iam::123456789012:instance-profile/p"}})
                  .ok());
  const std::vector<Params> arn = wire().Sent("CreateLaunchTemplate");
  ASSERT_EQ(arn.size(), 2U);
  EXPECT_EQ(arn[1].at("LaunchTemplateData.IamInstanceProfile.Arn"),
            "arn:aws:iam::123456789012:instance-profile/p");
  EXPECT_FALSE(arn[1].contains("LaunchTemplateData.IamInstanceProfile.Name"));
  EXPECT_FALSE(arn[1].contains("ClientToken")) << "no token unless the caller gives one";
}

TEST_F(AwsLaunchTemplateTest, InstancesLaunchedFromTheTemplateCarryItsImageTypeAndTags) {
  ec2::LaunchTemplate lt = MakeTemplate("launcher", "req-3");
  auto run =
      ec2::RunInstances(client(), {.min_count = 2,
                                   .max_count = 2,
                                   .launch_template = ec2::LaunchTemplateReference{.id = lt.id}});
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  auto found = ec2::DescribeInstances(client(), {.filters = {{"tag:ohfp:request-id", {"req-3"}}}});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2U);
  for (const ec2::Instance& i : *found) {
    EXPECT_EQ(i.image_id, "ami-12345678");
    EXPECT_EQ(i.instance_type, "c5.large");
  }
}

TEST_F(AwsLaunchTemplateTest, ANameInUseIsAlreadyExists) {
  ec2::LaunchTemplate first = MakeTemplate("taken");
  auto again =
      ec2::CreateLaunchTemplate(client(), {.name = "taken", .data = {.image_id = "ami-12345678"}});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind(), ErrorKind::kAlreadyExists) << again.error().ToString();
  auto all = ec2::DescribeLaunchTemplates(client(), {});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1U);
  EXPECT_EQ((*all)[0].id, first.id);
}

TEST_F(AwsLaunchTemplateTest, DeletingAMissingTemplateIsNotFound) {
  auto by_id = ec2::DeleteLaunchTemplate(client(), {.id = "lt-0123456789abcdef0"});
  ASSERT_FALSE(by_id.ok());
  EXPECT_EQ(by_id.error().kind(), ErrorKind::kNotFound) << by_id.error().ToString();

  // Deleting twice: the second is kNotFound, which the plugin treats as done.
  ec2::LaunchTemplate lt = MakeTemplate("twice");
  ASSERT_TRUE(ec2::DeleteLaunchTemplate(client(), {.id = lt.id}).ok());
  auto second = ec2::DeleteLaunchTemplate(client(), {.id = lt.id});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind(), ErrorKind::kNotFound);
}

TEST_F(AwsLaunchTemplateTest, DeletingAMissingTemplateByNameIsMissingParameterOnMoto) {
  // moto looks the name up, finds no id and answers MissingParameter (kValidation); AWS answers
  // InvalidLaunchTemplateName.NotFoundException (kNotFound, see AwsLaunchTemplateViaProxyTest).
  // Delete by id.
  auto by_name = ec2::DeleteLaunchTemplate(client(), {.name = "never-was"});
  ASSERT_FALSE(by_name.ok());
  EXPECT_EQ(by_name.error().kind(), ErrorKind::kValidation) << by_name.error().ToString();
  EXPECT_EQ(by_name.error().code(), "MissingParameter");
}

TEST_F(AwsLaunchTemplateTest, DescribingAnUnknownNameIsNotFoundAndAnUnknownIdIsEmptyOnMoto) {
  MakeTemplate("known");
  auto by_name = ec2::DescribeLaunchTemplates(client(), {.names = {"known", "unknown"}});
  ASSERT_FALSE(by_name.ok());
  EXPECT_EQ(by_name.error().kind(), ErrorKind::kNotFound) << by_name.error().ToString();
  // AWS answers InvalidLaunchTemplateId.NotFound (kNotFound); moto an empty list. The plugin treats
  // both as gone.
  auto by_id = ec2::DescribeLaunchTemplates(client(), {.ids = {"lt-0123456789abcdef0"}});
  ASSERT_TRUE(by_id.ok()) << by_id.error().ToString();
  EXPECT_THAT(*by_id, IsEmpty());
}

TEST_F(AwsLaunchTemplateTest, FindsEveryTaggedTemplateBeyondMotosDefaultPageOf15) {
  std::set<std::string> ids;
  for (int n = 0; n < 20; ++n) ids.insert(MakeTemplate("many-" + std::to_string(n), "req-many").id);
  MakeTemplate("other", "req-other");
  auto found =
      ec2::DescribeLaunchTemplates(client(), {.filters = {{"tag:ohfp:request-id", {"req-many"}}}});
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  std::set<std::string> found_ids;
  for (const ec2::LaunchTemplate& t : *found) found_ids.insert(t.id);
  EXPECT_EQ(found_ids, ids);
}

// -------------------------------------------------------------------------------------------------
// Launch templates through the proxy: ClientToken, which moto ignores.

class AwsLaunchTemplateViaProxyTest : public FleetWorldTest<true> {};

TEST_F(AwsLaunchTemplateViaProxyTest, ALostCreateAnswerIsRetriedWithItsTokenAndCreatesOneTemplate) {
  Rules({{"rules",
          {{{"match", {{"action", "CreateLaunchTemplate"}}},
            {"max_hits", 1},
            {"fault", {{"type", "drop_response"}}}}}}});
  auto created = ec2::CreateLaunchTemplate(
      client(), {.name = "lost", .client_token = "req-4-lt", .data = {.image_id = "ami-12345678"}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  const nlohmann::json stats = Stats();
  EXPECT_EQ(stats["actions"]["CreateLaunchTemplate"]["requests"], 2) << stats.dump();
  EXPECT_EQ(stats["actions"]["CreateLaunchTemplate"]["idempotent_replays"], 1) << stats.dump();
  const std::vector<Params> sent = wire().Sent("CreateLaunchTemplate");
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[0].at("ClientToken"), "req-4-lt");
  EXPECT_EQ(sent[1].at("ClientToken"), "req-4-lt");
  auto all = ec2::DescribeLaunchTemplates(client(), {});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1U);
  EXPECT_EQ((*all)[0].id, created->id);
}

TEST_F(AwsLaunchTemplateViaProxyTest, ALostCreateAnswerWithoutATokenComesBackAsAlreadyExists) {
  // Why the token matters: the retry runs again, finds the name taken, and the caller must look the
  // template up.
  Rules({{"rules",
          {{{"match", {{"action", "CreateLaunchTemplate"}}},
            {"max_hits", 1},
            {"fault", {{"type", "drop_response"}}}}}}});
  auto created =
      ec2::CreateLaunchTemplate(client(), {.name = "lost", .data = {.image_id = "ami-12345678"}});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind(), ErrorKind::kAlreadyExists) << created.error().ToString();
  auto by_name = ec2::DescribeLaunchTemplates(client(), {.names = {"lost"}});
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->size(), 1U);
}

TEST_F(AwsLaunchTemplateViaProxyTest,
       DeletingAMissingTemplateByNameIsNotFoundViaProxyBecauseMotoAnswersMissingParameter) {
  // How AWS answers DeleteLaunchTemplate for a name that does not exist.
  Rules(
      {{"rules",
        {{{"match", {{"action", "DeleteLaunchTemplate"}}},
          {"fault",
           {{"type", "error"},
            {"status", 400},
            {"code", "InvalidLaunchTemplateName.NotFoundException"},
            {"message",
             "The specified launch template, with template name never-was, does not exist."}}}}}}});
  auto by_name = ec2::DeleteLaunchTemplate(client(), {.name = "never-was"});
  ASSERT_FALSE(by_name.ok());
  EXPECT_EQ(by_name.error().kind(), ErrorKind::kNotFound) << by_name.error().ToString();
  EXPECT_EQ(Stats()["actions"]["DeleteLaunchTemplate"]["requests"], 1) << "not retried";
  EXPECT_EQ(wire().Sent("DeleteLaunchTemplate").at(0).at("LaunchTemplateName"), "never-was");
}

// -------------------------------------------------------------------------------------------------
// EC2 Fleet against moto.

class AwsFleetTest : public FleetWorldTest<false> {};

TEST_F(AwsFleetTest, InstantFleetLaunchesAndReportsItsInstances) {
  ec2::LaunchTemplate lt = MakeTemplate("ohfp-req-5", "req-5");
  auto created = ec2::CreateFleet(
      client(),
      {.client_token = "req-5-fleet",
       .type = ec2::FleetType::kInstant,
       .target_capacity = {.total = 3, .default_type = ec2::CapacityType::kOnDemand},
       .launch_template_configs = {{.launch_template = {.id = lt.id, .version = "$Latest"},
                                    .overrides = {{.instance_type = "m5.large",
                                                   .weighted_capacity = 1}}}},
       .tags = {{"ohfp:request-id", "req-5"}},
       .instance_tags = {{"ohfp:role", "worker"}}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_THAT(created->fleet_id, ::testing::StartsWith("fleet-"));
  EXPECT_THAT(created->errors, IsEmpty());
  const std::vector<std::string> ids = created->InstanceIds();
  ASSERT_EQ(ids.size(), 3U);
  for (const ec2::FleetLaunchedInstances& launched : created->instances) {
    EXPECT_EQ(launched.instance_type, "m5.large");
    EXPECT_EQ(launched.lifecycle, ec2::CapacityType::kOnDemand);
    EXPECT_EQ(launched.launched_from.launch_template.id, lt.id);
    EXPECT_EQ(launched.launched_from.overrides.instance_type, "m5.large");
    EXPECT_EQ(launched.launched_from.overrides.weighted_capacity, 1.0);
  }

  // The instances exist, running, with the template's and the fleet's instance tags.
  const std::vector<ec2::Instance> instances = InstancesById(ids);
  ASSERT_EQ(instances.size(), 3U);
  for (const ec2::Instance& i : instances) {
    EXPECT_EQ(i.state, "running");
    EXPECT_EQ(i.instance_type, "m5.large");
    EXPECT_EQ(i.image_id, "ami-12345678");
    EXPECT_EQ(i.TagValue("ohfp:request-id"), "req-5");
    EXPECT_EQ(i.TagValue("ohfp:role"), "worker");
  }

  std::optional<ec2::Fleet> fleet = FleetById(created->fleet_id);
  ASSERT_TRUE(fleet.has_value());
  EXPECT_EQ(fleet->state, ec2::FleetState::kActive);
  EXPECT_EQ(fleet->type, ec2::FleetType::kInstant);
  EXPECT_EQ(fleet->target_capacity.total, 3);
  EXPECT_EQ(fleet->target_capacity.default_type, ec2::CapacityType::kOnDemand);
  EXPECT_EQ(fleet->fulfilled_capacity, 3.0);
  EXPECT_EQ(fleet->TagValue("ohfp:request-id"), "req-5");
  std::vector<std::string> described;
  for (const auto& launched : fleet->instances) {
    described.insert(described.end(), launched.instance_ids.begin(), launched.instance_ids.end());
  }
  EXPECT_THAT(described, ::testing::UnorderedElementsAreArray(ids));
}

TEST_F(AwsFleetTest, InstantSpotFleetLaunchesSpotInstances) {
  ec2::LaunchTemplate lt = MakeTemplate("spot", "req-6");
  auto created = ec2::CreateFleet(
      client(),
      {.type = ec2::FleetType::kInstant,
       .target_capacity = {.total = 2, .spot = 2, .default_type = ec2::CapacityType::kSpot},
       .launch_template_configs = {{.launch_template = {.name = "spot"},
                                    .overrides = {{.instance_type = "c5.xlarge",
                                                   .max_price = "0.20"}}}},
       .spot_allocation_strategy = ec2::SpotAllocationStrategy::kLowestPrice,
       .spot_interruption_behavior = ec2::InstanceInterruptionBehavior::kTerminate});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_EQ(created->InstanceIds().size(), 2U);
  for (const auto& launched : created->instances)
    EXPECT_EQ(launched.lifecycle, ec2::CapacityType::kSpot);
  for (const ec2::Instance& i : InstancesById(created->InstanceIds())) {
    EXPECT_EQ(i.lifecycle, "spot");
    EXPECT_EQ(i.instance_type, "c5.xlarge");
  }
}

TEST_F(AwsFleetTest, CreateSendsEveryFleetParameter) {
  ec2::LaunchTemplate lt = MakeTemplate("wire", "req-7");
  // A real subnet of moto's default VPC, so that the override's subnet is where the instance lands.
  aws::QueryParams subnets_query;
  auto subnets = client().Call(aws::AwsService::kEc2, "DescribeSubnets", subnets_query,
                               "ec2_describe_subnets");
  ASSERT_TRUE(subnets.ok()) << subnets.error().ToString();
  const aws::XmlNode subnet = subnets->Root().Child("subnetSet").Child("item");
  const std::string subnet_id = subnet.ChildText("subnetId").value_or("");
  const std::string zone = subnet.ChildText("availabilityZone").value_or("");
  ASSERT_FALSE(subnet_id.empty());

  const resilience::SysTime valid_until =
      std::chrono::sys_days(std::chrono::year(2031) / 1 / 2) + std::chrono::hours(3);
  auto created = ec2::CreateFleet(
      client(),
      {.client_token = "req-7-fleet",
       .type = ec2::FleetType::kRequest,
       .target_capacity =
           {.total = 1, .on_demand = 1, .spot = 0, .default_type = ec2::CapacityType::kOnDemand},
       .launch_template_configs = {{.launch_template = {.id = lt.id, .version = "1"},
                                    .overrides = {{.instance_type = "m5.large",
                                                   .subnet_id = subnet_id,
                                                   .availability_zone = zone,
                                                   .weighted_capacity = 1,
                                                   .priority = 2.5,
                                                   .max_price = "0.5"}}}},
       .spot_allocation_strategy = ec2::SpotAllocationStrategy::kPriceCapacityOptimized,
       .spot_interruption_behavior = ec2::InstanceInterruptionBehavior::kStop,
       .on_demand_allocation_strategy = ec2::OnDemandAllocationStrategy::kPrioritized,
       .excess_capacity_termination_policy = ec2::ExcessCapacityTerminationPolicy::kNoTermination,
       .terminate_instances_with_expiration = false,
       .valid_until = valid_until,
       .tags = {{"ohfp:request-id", "req-7"}}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  const std::vector<Params> sent = wire().Sent("CreateFleet");
  ASSERT_EQ(sent.size(), 1U);
  const std::string c = "LaunchTemplateConfigs.1.";
  const Params expected = {
      {"Action", "CreateFleet"},
      {"Version", "2016-11-15"},
      {"ClientToken", "req-7-fleet"},
      {"Type", "request"},
      {"TargetCapacitySpecification.TotalTargetCapacity", "1"},
      {"TargetCapacitySpecification.OnDemandTargetCapacity", "1"},
      {"TargetCapacitySpecification.SpotTargetCapacity", "0"},
      {"TargetCapacitySpecification.DefaultTargetCapacityType", "on-demand"},
      {c + "LaunchTemplateSpecification.LaunchTemplateId", lt.id},
      {c + "LaunchTemplateSpecification.Version", "1"},
      {c + "Overrides.1.InstanceType", "m5.large"},
      {c + "Overrides.1.SubnetId", subnet_id},
      {c + "Overrides.1.AvailabilityZone", zone},
      {c + "Overrides.1.WeightedCapacity", "1"},
      {c + "Overrides.1.Priority", "2.5"},
      {c + "Overrides.1.MaxPrice", "0.5"},
      {"SpotOptions.AllocationStrategy", "price-capacity-optimized"},
      {"SpotOptions.InstanceInterruptionBehavior", "stop"},
      {"OnDemandOptions.AllocationStrategy", "prioritized"},
      {"ExcessCapacityTerminationPolicy", "no-termination"},
      {"TerminateInstancesWithExpiration", "false"},
      {"ValidUntil", "2031-01-02T03:00:00Z"},
      {"TagSpecification.1.ResourceType", "fleet"},
      {"TagSpecification.1.Tag.1.Key", "ohfp:request-id"},
      {"TagSpecification.1.Tag.1.Value", "req-7"},
  };
  EXPECT_EQ(sent[0], expected);

  // What moto kept of it.
  std::optional<ec2::Fleet> fleet = FleetById(created->fleet_id);
  ASSERT_TRUE(fleet.has_value());
  EXPECT_EQ(fleet->type, ec2::FleetType::kRequest);
  EXPECT_EQ(fleet->excess_capacity_termination_policy,
            ec2::ExcessCapacityTerminationPolicy::kNoTermination);
  EXPECT_EQ(fleet->valid_until, valid_until);
  EXPECT_EQ(fleet->target_capacity.on_demand, 1);
  EXPECT_EQ(fleet->target_capacity.spot, 0);
  auto members = ec2::DescribeFleetInstances(client(), created->fleet_id);
  ASSERT_TRUE(members.ok()) << members.error().ToString();
  ASSERT_EQ(members->size(), 1U);
  const std::vector<ec2::Instance> instances = InstancesById({(*members)[0].instance_id});
  ASSERT_EQ(instances.size(), 1U);
  EXPECT_EQ(instances[0].subnet_id, subnet_id);
  EXPECT_EQ(instances[0].instance_type, "m5.large");
}

TEST_F(AwsFleetTest, MaintainFleetIsDescribedWithItsInstances) {
  ec2::LaunchTemplate lt = MakeTemplate("maintain", "req-8");
  auto created = ec2::CreateFleet(
      client(), {.client_token = "req-8-fleet",
                 .type = ec2::FleetType::kMaintain,
                 .target_capacity = {.total = 2,
                                     .on_demand = 1,
                                     .spot = 1,
                                     .default_type = ec2::CapacityType::kSpot},
                 .launch_template_configs = {{.launch_template = {.name = "maintain",
                                                                  .version = "$Default"}}},
                 .spot_allocation_strategy = ec2::SpotAllocationStrategy::kLowestPrice,
                 .tags = {{"ohfp:request-id", "req-8"}}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_THAT(created->instances, IsEmpty())
      << "request/maintain fleets report their instances asynchronously";
  EXPECT_THAT(created->errors, IsEmpty());

  std::optional<ec2::Fleet> fleet = FleetById(created->fleet_id);
  ASSERT_TRUE(fleet.has_value());
  EXPECT_EQ(fleet->state, ec2::FleetState::kActive);
  EXPECT_FALSE(ec2::IsDeleted(fleet->state));
  EXPECT_EQ(fleet->type, ec2::FleetType::kMaintain);
  EXPECT_EQ(fleet->target_capacity.total, 2);
  EXPECT_EQ(fleet->target_capacity.on_demand, 1);
  EXPECT_EQ(fleet->target_capacity.spot, 1);
  EXPECT_EQ(fleet->target_capacity.default_type, ec2::CapacityType::kSpot);
  EXPECT_EQ(fleet->fulfilled_capacity, 2.0);
  EXPECT_EQ(fleet->excess_capacity_termination_policy,
            ec2::ExcessCapacityTerminationPolicy::kTermination);
  EXPECT_EQ(fleet->TagValue("ohfp:request-id"), "req-8");

  auto members = ec2::DescribeFleetInstances(client(), created->fleet_id);
  ASSERT_TRUE(members.ok()) << members.error().ToString();
  ASSERT_EQ(members->size(), 2U);
  std::vector<std::string> ids;
  int spot_requests = 0;
  for (const ec2::FleetInstance& m : *members) {
    ids.push_back(m.instance_id);
    EXPECT_EQ(m.instance_type, "c5.large");
    EXPECT_EQ(m.health, ec2::InstanceHealth::kHealthy);
    if (m.spot_instance_request_id.starts_with("sir-")) ++spot_requests;
  }
  EXPECT_EQ(spot_requests, 1);
  const std::vector<ec2::Instance> instances = InstancesById(ids);
  ASSERT_EQ(instances.size(), 2U);
  for (const ec2::Instance& i : instances) {
    EXPECT_EQ(i.state, "running");
    EXPECT_EQ(i.TagValue("ohfp:request-id"), "req-8") << "tagged through the launch template";
  }

  // Listing every fleet finds it among others.
  ASSERT_TRUE(
      ec2::CreateFleet(client(), {.type = ec2::FleetType::kRequest,
                                  .target_capacity = {.total = 1},
                                  .launch_template_configs = {{.launch_template = {.id = lt.id}}}})
          .ok());
  auto all = ec2::DescribeFleets(client(), {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2U);
}

TEST_F(AwsFleetTest, DeleteFleetsWithTerminationTerminatesTheInstances) {
  ec2::LaunchTemplate lt = MakeTemplate("del-term", "req-9");
  auto created =
      ec2::CreateFleet(client(), {.type = ec2::FleetType::kMaintain,
                                  .target_capacity = {.total = 2},
                                  .launch_template_configs = {{.launch_template = {.id = lt.id}}}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  auto members = ec2::DescribeFleetInstances(client(), created->fleet_id);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 2U);
  const std::vector<std::string> ids = {(*members)[0].instance_id, (*members)[1].instance_id};

  auto deleted =
      ec2::DeleteFleets(client(), {.fleet_ids = {created->fleet_id}, .terminate_instances = true});
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  EXPECT_THAT(deleted->unsuccessful, IsEmpty());
  ASSERT_EQ(deleted->successful.size(), 1U);
  EXPECT_EQ(deleted->successful[0].fleet_id, created->fleet_id);
  EXPECT_EQ(deleted->successful[0].previous_state, ec2::FleetState::kActive);
  EXPECT_EQ(deleted->successful[0].current_state, ec2::FleetState::kDeletedTerminating);
  EXPECT_EQ(wire().Sent("DeleteFleets").at(0).at("TerminateInstances"), "true");

  // What remains: the fleet, deleted; its instances going or gone; no active instances.
  std::optional<ec2::Fleet> fleet = FleetById(created->fleet_id);
  ASSERT_TRUE(fleet.has_value());
  EXPECT_TRUE(ec2::IsDeleted(fleet->state)) << ec2::WireName(fleet->state);
  for (const ec2::Instance& i : InstancesById(ids))
    EXPECT_THAT(i.state, ::testing::AnyOf("shutting-down", "terminated"));
  auto after = ec2::DescribeFleetInstances(client(), created->fleet_id);
  ASSERT_TRUE(after.ok());
  EXPECT_THAT(*after, IsEmpty());
}

TEST_F(AwsFleetTest, DeleteFleetsWithoutTerminationLeavesTheInstancesRunning) {
  ec2::LaunchTemplate lt = MakeTemplate("del-keep", "req-10");
  auto keep =
      ec2::CreateFleet(client(), {.type = ec2::FleetType::kRequest,
                                  .target_capacity = {.total = 2},
                                  .launch_template_configs = {{.launch_template = {.id = lt.id}}}});
  auto other =
      ec2::CreateFleet(client(), {.type = ec2::FleetType::kMaintain,
                                  .target_capacity = {.total = 1},
                                  .launch_template_configs = {{.launch_template = {.id = lt.id}}}});
  ASSERT_TRUE(keep.ok() && other.ok());

  auto deleted =
      ec2::DeleteFleets(client(), {.fleet_ids = {keep->fleet_id}, .terminate_instances = false});
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  ASSERT_EQ(deleted->successful.size(), 1U);
  EXPECT_EQ(deleted->successful[0].current_state, ec2::FleetState::kDeletedRunning);
  EXPECT_EQ(wire().Sent("DeleteFleets").at(0).at("TerminateInstances"), "false");

  auto running = ec2::DescribeInstances(
      client(),
      {.filters = {{"tag:ohfp:request-id", {"req-10"}}, {"instance-state-name", {"running"}}}});
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->size(), 3U) << "both fleets' instances still run";
  std::optional<ec2::Fleet> kept = FleetById(keep->fleet_id);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->state, ec2::FleetState::kDeletedRunning);
  std::optional<ec2::Fleet> untouched = FleetById(other->fleet_id);
  ASSERT_TRUE(untouched.has_value());
  EXPECT_EQ(untouched->state, ec2::FleetState::kActive);

  // The plugin then terminates the instances it chose itself.
  auto members = ec2::DescribeFleetInstances(client(), keep->fleet_id);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 2U);
  ASSERT_TRUE(
      ec2::TerminateInstances(client(), {(*members)[0].instance_id, (*members)[1].instance_id})
          .ok());
  auto still = ec2::DescribeInstances(
      client(),
      {.filters = {{"tag:ohfp:request-id", {"req-10"}}, {"instance-state-name", {"running"}}}});
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->size(), 1U);
}

TEST_F(AwsFleetTest, DeleteFleetsOfNothingCallsNothing) {
  auto deleted = ec2::DeleteFleets(client(), {.fleet_ids = {}, .terminate_instances = true});
  ASSERT_TRUE(deleted.ok());
  EXPECT_THAT(deleted->successful, IsEmpty());
  EXPECT_THAT(wire().Sent("DeleteFleets"), IsEmpty());
}

TEST_F(AwsFleetTest, DeleteFleetsOfAnUnknownIdIsATransientErrorOnMoto) {
  // moto answers HTTP 500 (an HTML page): kTransient, retried to max_attempts, then returned. AWS
  // answers 200 with the fleet in `unsuccessful` (see
  // AwsFleetViaProxyTest.DeleteFleetsOfAnUnknownIdAnswersPerFleet...).
  ec2::LaunchTemplate lt = MakeTemplate("survivor", "req-11");
  auto existing =
      ec2::CreateFleet(client(), {.type = ec2::FleetType::kMaintain,
                                  .target_capacity = {.total = 1},
                                  .launch_template_configs = {{.launch_template = {.id = lt.id}}}});
  ASSERT_TRUE(existing.ok());
  const std::uint64_t before = Attempts();
  auto deleted = ec2::DeleteFleets(
      client(),
      {.fleet_ids = {"fleet-00000000-0000-0000-0000-000000000000"}, .terminate_instances = true});
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().kind(), ErrorKind::kTransient) << deleted.error().ToString();
  EXPECT_EQ(deleted.error().http_status(), 500);
  EXPECT_EQ(Attempts() - before, 3U) << "retried to max_attempts";
  EXPECT_EQ(wire().Sent("DeleteFleets").size(), 3U);
  std::optional<ec2::Fleet> fleet = FleetById(existing->fleet_id);
  ASSERT_TRUE(fleet.has_value());
  EXPECT_EQ(fleet->state, ec2::FleetState::kActive);
}

TEST_F(AwsFleetTest, UnknownFleetIdsDescribeAsEmptyOnMoto) {
  auto fleets =
      ec2::DescribeFleets(client(), {.fleet_ids = {"fleet-00000000-0000-0000-0000-000000000000"}});
  ASSERT_TRUE(fleets.ok()) << fleets.error().ToString();
  EXPECT_THAT(*fleets, IsEmpty());
  auto members =
      ec2::DescribeFleetInstances(client(), "fleet-00000000-0000-0000-0000-000000000000");
  ASSERT_TRUE(members.ok()) << members.error().ToString();
  EXPECT_THAT(*members, IsEmpty());
}

TEST_F(AwsFleetTest, CreateFleetFromAMissingLaunchTemplateIsNotFound) {
  auto by_name = ec2::CreateFleet(
      client(), {.type = ec2::FleetType::kInstant,
                 .target_capacity = {.total = 1},
                 .launch_template_configs = {{.launch_template = {.name = "missing"}}}});
  ASSERT_FALSE(by_name.ok());
  EXPECT_EQ(by_name.error().kind(), ErrorKind::kNotFound) << by_name.error().ToString();
  auto by_id = ec2::CreateFleet(
      client(), {.type = ec2::FleetType::kMaintain,
                 .target_capacity = {.total = 1},
                 .launch_template_configs = {{.launch_template = {.id = "lt-0123456789abcdef0"}}}});
  ASSERT_FALSE(by_id.ok());
  EXPECT_EQ(by_id.error().kind(), ErrorKind::kNotFound) << by_id.error().ToString();
  auto fleets = ec2::DescribeFleets(client(), {});
  ASSERT_TRUE(fleets.ok());
  EXPECT_THAT(*fleets, IsEmpty());
  auto instances = ec2::DescribeInstances(client(), {});
  ASSERT_TRUE(instances.ok());
  EXPECT_THAT(*instances, IsEmpty());
}

TEST_F(AwsFleetTest, MotoLacksModifyFleet) {
  // Why ModifyFleet is tested through the proxy: moto answers 500 "not been implemented". If this
  // starts passing ModifyFleet through, the proxy workaround can go.
  ec2::LaunchTemplate lt = MakeTemplate("modify", "req-12");
  auto created =
      ec2::CreateFleet(client(), {.type = ec2::FleetType::kMaintain,
                                  .target_capacity = {.total = 2},
                                  .launch_template_configs = {{.launch_template = {.id = lt.id}}}});
  ASSERT_TRUE(created.ok());
  auto modified = ec2::ModifyFleet(client(), {.fleet_id = created->fleet_id,
                                              .target_capacity = ec2::TargetCapacity{.total = 1}});
  ASSERT_FALSE(modified.ok());
  EXPECT_EQ(modified.error().kind(), ErrorKind::kTransient) << modified.error().ToString();
  EXPECT_EQ(modified.error().http_status(), 500);
}

// -------------------------------------------------------------------------------------------------
// EC2 Fleet through the proxy: what moto lacks (ModifyFleet), answers unlike AWS, or ignores
// (ClientToken).

class AwsFleetViaProxyTest : public FleetWorldTest<true> {};

TEST_F(AwsFleetViaProxyTest, ALostCreateFleetAnswerIsRetriedWithItsTokenAndLaunchesOnce) {
  ec2::LaunchTemplate lt = MakeTemplate("lost-fleet", "req-13");
  Rules({{"rules",
          {{{"match", {{"action", "CreateFleet"}}},
            {"max_hits", 1},
            {"fault", {{"type", "drop_response"}}}}}}});
  auto created =
      ec2::CreateFleet(client(), {.client_token = "req-13-fleet",
                                  .type = ec2::FleetType::kInstant,
                                  .target_capacity = {.total = 2},
                                  .launch_template_configs = {{.launch_template = {.id = lt.id}}}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_EQ(created->InstanceIds().size(), 2U);
  const nlohmann::json stats = Stats();
  EXPECT_EQ(stats["actions"]["CreateFleet"]["requests"], 2) << stats.dump();
  EXPECT_EQ(stats["actions"]["CreateFleet"]["idempotent_replays"], 1) << stats.dump();
  for (const Params& p : wire().Sent("CreateFleet")) EXPECT_EQ(p.at("ClientToken"), "req-13-fleet");
  // Exactly one fleet and one set of instances exist.
  auto fleets = ec2::DescribeFleets(client(), {});
  ASSERT_TRUE(fleets.ok());
  ASSERT_EQ(fleets->size(), 1U);
  EXPECT_EQ((*fleets)[0].fleet_id, created->fleet_id);
  auto instances =
      ec2::DescribeInstances(client(), {.filters = {{"tag:ohfp:request-id", {"req-13"}}}});
  ASSERT_TRUE(instances.ok());
  EXPECT_THAT(IdsOf(*instances), ::testing::UnorderedElementsAreArray(created->InstanceIds()));
}

TEST_F(AwsFleetViaProxyTest, ShrinkWithoutLettingAwsChooseViaProxyBecauseMotoLacksModifyFleet) {
  ec2::LaunchTemplate lt = MakeTemplate("shrink", "req-14");
  auto created =
      ec2::CreateFleet(client(), {.type = ec2::FleetType::kMaintain,
                                  .target_capacity = {.total = 3},
                                  .launch_template_configs = {{.launch_template = {.id = lt.id}}}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  auto members = ec2::DescribeFleetInstances(client(), created->fleet_id);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 3U);

  Rules({{"rules", {Respond("ModifyFleet", Ec2Answer("ModifyFleet", "<return>true</return>"))}}});
  auto modified = ec2::ModifyFleet(
      client(),
      {.fleet_id = created->fleet_id,
       .target_capacity = ec2::TargetCapacity{.total = 2, .on_demand = 2, .spot = 0},
       .excess_capacity_termination_policy = ec2::ExcessCapacityTerminationPolicy::kNoTermination});
  ASSERT_TRUE(modified.ok()) << modified.error().ToString();
  const std::vector<Params> sent = wire().Sent("ModifyFleet");
  ASSERT_EQ(sent.size(), 1U);
  const Params expected = {
      {"Action", "ModifyFleet"},
      {"Version", "2016-11-15"},
      {"FleetId", created->fleet_id},
      {"TargetCapacitySpecification.TotalTargetCapacity", "2"},
      {"TargetCapacitySpecification.OnDemandTargetCapacity", "2"},
      {"TargetCapacitySpecification.SpotTargetCapacity", "0"},
      {"ExcessCapacityTerminationPolicy", "no-termination"},
  };
  EXPECT_EQ(sent[0], expected);
  const nlohmann::json stats = Stats();
  EXPECT_EQ(stats["actions"]["ModifyFleet"]["requests"], 1) << stats.dump();
  EXPECT_EQ(stats["actions"]["ModifyFleet"]["forwarded"], 0) << stats.dump();

  // Then the plugin terminates exactly the instance it chose; the others keep running.
  const std::string chosen = (*members)[1].instance_id;
  ASSERT_TRUE(ec2::TerminateInstances(client(), {chosen}).ok());
  std::vector<std::string> ids;
  for (const auto& m : *members) ids.push_back(m.instance_id);
  for (const ec2::Instance& i : InstancesById(ids)) {
    if (i.instance_id == chosen) {
      EXPECT_THAT(i.state, ::testing::AnyOf("shutting-down", "terminated"));
    } else {
      EXPECT_EQ(i.state, "running") << i.instance_id;
    }
  }
}

TEST_F(AwsFleetViaProxyTest, ModifyFleetErrorsViaProxyBecauseMotoLacksModifyFleet) {
  Rules({{"rules",
          {{{"match", {{"action", "ModifyFleet"}}},
            {"max_hits", 1},
            {"fault",
             {{"type", "error"},
              {"status", 400},
              {"code", "InvalidFleetId.NotFound"},
              {"message", "The fleet ID 'fleet-1' does not exist"}}}},
           Respond("ModifyFleet", Ec2Answer("ModifyFleet", "<return>false</return>"), 1),
           Respond("ModifyFleet", Ec2Answer("ModifyFleet", ""), 1)}}});
  auto missing = ec2::ModifyFleet(
      client(), {.fleet_id = "fleet-1", .target_capacity = ec2::TargetCapacity{.total = 0}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound) << missing.error().ToString();
  EXPECT_EQ(Stats()["actions"]["ModifyFleet"]["requests"], 1) << "not retried";

  auto refused = ec2::ModifyFleet(
      client(), {.fleet_id = "fleet-1", .target_capacity = ec2::TargetCapacity{.total = 0}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind(), ErrorKind::kInternal);
  EXPECT_EQ(refused.error().code(), "UnexpectedResponse");

  auto empty = ec2::ModifyFleet(
      client(), {.fleet_id = "fleet-1", .target_capacity = ec2::TargetCapacity{.total = 0}});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().kind(), ErrorKind::kInternal);
  EXPECT_EQ(empty.error().code(), "UnexpectedResponse");
}

TEST_F(AwsFleetViaProxyTest,
       DeleteFleetsOfAnUnknownIdAnswersPerFleetViaProxyBecauseMotoAnswers500) {
  ec2::LaunchTemplate lt = MakeTemplate("mixed", "req-15");
  auto existing =
      ec2::CreateFleet(client(), {.type = ec2::FleetType::kMaintain,
                                  .target_capacity = {.total = 1},
                                  .launch_template_configs = {{.launch_template = {.id = lt.id}}}});
  ASSERT_TRUE(existing.ok());
  // How AWS answers a delete of one existing and one unknown fleet.
  const std::string unknown = "fleet-00000000-0000-0000-0000-000000000000";
  Rules({{"rules",
          {Respond(
              "DeleteFleets",
              Ec2Answer(
                  "DeleteFleets",
                  "<successfulFleetDeletionSet><item><currentFleetState>deleted_terminating"
                  "</currentFleetState><previousFleetState>active</previousFleetState><fleetId>" +
                      existing->fleet_id +
                      "</fleetId></item></successfulFleetDeletionSet>"
                      "<unsuccessfulFleetDeletionSet><item><error><code>fleetIdDoesNotExist</code>"
                      "<message>The fleet ID does not exist</message></error><fleetId>" +
                      unknown + "</fleetId></item></unsuccessfulFleetDeletionSet>"))}}});
  auto deleted = ec2::DeleteFleets(
      client(), {.fleet_ids = {existing->fleet_id, unknown}, .terminate_instances = true});
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  ASSERT_EQ(deleted->successful.size(), 1U);
  EXPECT_EQ(deleted->successful[0].fleet_id, existing->fleet_id);
  EXPECT_EQ(deleted->successful[0].current_state, ec2::FleetState::kDeletedTerminating);
  ASSERT_EQ(deleted->unsuccessful.size(), 1U);
  EXPECT_EQ(deleted->unsuccessful[0].fleet_id, unknown);
  EXPECT_EQ(deleted->unsuccessful[0].error.code(), "fleetIdDoesNotExist");
  EXPECT_EQ(deleted->unsuccessful[0].error.message(), "The fleet ID does not exist");
  const std::vector<Params> sent = wire().Sent("DeleteFleets");
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].at("FleetId.1"), existing->fleet_id);
  EXPECT_EQ(sent[0].at("FleetId.2"), unknown);
  EXPECT_EQ(sent[0].at("TerminateInstances"), "true");
}

TEST_F(AwsFleetViaProxyTest, InstantFleetLaunchErrorsViaProxyBecauseMotoNeverFailsALaunch) {
  // How AWS answers an instant fleet that got part of its capacity: instances from one pool, an
  // error for another.
  const std::string pool =
      "<launchTemplateAndOverrides><launchTemplateSpecification><launchTemplateId>lt-0abc</"
      "launchTemplateId>"
      "<version>1</version></launchTemplateSpecification><overrides><instanceType>%s</instanceType>"
      "<subnetId>subnet-1</subnetId><weightedCapacity>2.0</weightedCapacity></overrides></"
      "launchTemplateAndOverrides>";
  auto with_type = [&](const std::string& type) {
    std::string s = pool;
    s.replace(s.find("%s"), 2, type);
    return s;
  };
  const std::string body = Ec2Answer(
      "CreateFleet",
      "<fleetId>fleet-11111111-2222-3333-4444-555555555555</fleetId><errorSet><item>" +
          with_type("p4d.24xlarge") +
          "<lifecycle>spot</lifecycle><errorCode>InsufficientInstanceCapacity</errorCode>"
          "<errorMessage>We currently do not have sufficient p4d.24xlarge capacity.</errorMessage>"
          "</item></errorSet><fleetInstanceSet><item>" +
          with_type("c5.large") +
          "<lifecycle>spot</lifecycle><instanceIds><item>i-0aaa</item><item>i-0bbb</item></"
          "instanceIds>"
          "<instanceType>c5.large</instanceType><platform/></item></fleetInstanceSet>");
  Rules({{"rules", {Respond("CreateFleet", body)}}});
  auto created = ec2::CreateFleet(
      client(), {.client_token = "req-16-fleet",
                 .type = ec2::FleetType::kInstant,
                 .target_capacity = {.total = 8, .default_type = ec2::CapacityType::kSpot},
                 .launch_template_configs = {{.launch_template = {.id = "lt-0abc"}}}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_EQ(created->fleet_id, "fleet-11111111-2222-3333-4444-555555555555");
  EXPECT_THAT(created->InstanceIds(), ::testing::ElementsAre("i-0aaa", "i-0bbb"));
  ASSERT_EQ(created->instances.size(), 1U);
  EXPECT_EQ(created->instances[0].lifecycle, ec2::CapacityType::kSpot);
  EXPECT_EQ(created->instances[0].launched_from.overrides.subnet_id, "subnet-1");
  ASSERT_EQ(created->errors.size(), 1U);
  const ec2::FleetError& error = created->errors[0];
  EXPECT_EQ(error.error.kind(), ErrorKind::kCapacity);
  EXPECT_EQ(error.error.code(), "InsufficientInstanceCapacity");
  EXPECT_THAT(std::string(error.error.message()), ::testing::HasSubstr("p4d.24xlarge"));
  EXPECT_EQ(error.lifecycle, ec2::CapacityType::kSpot);
  EXPECT_EQ(error.launched_from.launch_template.id, "lt-0abc");
  EXPECT_EQ(error.launched_from.launch_template.version, "1");
  EXPECT_EQ(error.launched_from.overrides.instance_type, "p4d.24xlarge");
  EXPECT_EQ(error.launched_from.overrides.weighted_capacity, 2.0);
}

TEST_F(AwsFleetViaProxyTest,
       DescribeFleetsFollowsPagesAndReadsStatusViaProxyBecauseMotoNeitherPagesNorReportsIt) {
  const std::string page1 = Ec2Answer(
      "DescribeFleets",
      "<fleetSet><item><activityStatus>pending_fulfillment</"
      "activityStatus><clientToken>req-17-fleet</clientToken>"
      "<createTime>2026-01-02T03:04:05.000Z</createTime><fleetId>fleet-a</"
      "fleetId><fleetState>active</fleetState>"
      "<excessCapacityTerminationPolicy>no-termination</excessCapacityTerminationPolicy>"
      "<fulfilledCapacity>1.0</fulfilledCapacity><fulfilledOnDemandCapacity>1.0</"
      "fulfilledOnDemandCapacity>"
      "<targetCapacitySpecification><totalTargetCapacity>4</totalTargetCapacity>"
      "<onDemandTargetCapacity>1</onDemandTargetCapacity><spotTargetCapacity>3</spotTargetCapacity>"
      "<defaultTargetCapacityType>spot</defaultTargetCapacityType></targetCapacitySpecification>"
      "<type>maintain</type><errorSet><item><errorCode>SpotMaxPriceTooLow</"
      "errorCode><errorMessage>price</errorMessage>"
      "<lifecycle>spot</lifecycle></item></errorSet><tagSet><item><key>ohfp:request-id</"
      "key><value>req-17</value></item>"
      "</tagSet></item></fleetSet><nextToken>page-2</nextToken>");
  const std::string page2 = Ec2Answer(
      "DescribeFleets",
      "<fleetSet><item><activityStatus>fulfilled</activityStatus><fleetId>fleet-b</fleetId>"
      "<fleetState>modifying</fleetState><type>request</type><fulfilledCapacity>2.5</"
      "fulfilledCapacity></item>"
      "<item><fleetId>fleet-c</fleetId><fleetState>some_future_state</fleetState></item></"
      "fleetSet>");
  Rules({{"rules", {Respond("DescribeFleets", page1, 1), Respond("DescribeFleets", page2, 1)}}});
  auto fleets =
      ec2::DescribeFleets(client(), {.filters = {{"fleet-state", {"active", "modifying"}}}});
  ASSERT_TRUE(fleets.ok()) << fleets.error().ToString();
  ASSERT_EQ(fleets->size(), 3U);
  const ec2::Fleet& a = (*fleets)[0];
  EXPECT_EQ(a.fleet_id, "fleet-a");
  EXPECT_EQ(a.state, ec2::FleetState::kActive);
  EXPECT_EQ(a.activity_status, ec2::FleetActivityStatus::kPendingFulfillment);
  EXPECT_EQ(a.client_token, "req-17-fleet");
  EXPECT_TRUE(a.create_time.has_value());
  EXPECT_EQ(a.fulfilled_capacity, 1.0);
  EXPECT_EQ(a.fulfilled_on_demand_capacity, 1.0);
  EXPECT_EQ(a.target_capacity.total, 4);
  EXPECT_EQ(a.target_capacity.spot, 3);
  EXPECT_EQ(a.type, ec2::FleetType::kMaintain);
  EXPECT_EQ(a.excess_capacity_termination_policy,
            ec2::ExcessCapacityTerminationPolicy::kNoTermination);
  ASSERT_EQ(a.errors.size(), 1U);
  EXPECT_EQ(a.errors[0].error.kind(), ErrorKind::kCapacity);
  EXPECT_EQ(a.TagValue("ohfp:request-id"), "req-17");
  EXPECT_EQ((*fleets)[1].state, ec2::FleetState::kModifying);
  EXPECT_EQ((*fleets)[1].activity_status, ec2::FleetActivityStatus::kFulfilled);
  EXPECT_EQ((*fleets)[1].fulfilled_capacity, 2.5);
  EXPECT_EQ((*fleets)[2].state, ec2::FleetState::kUnknown)
      << "a state AWS adds later is not an error";
  EXPECT_FALSE((*fleets)[2].activity_status.has_value());

  const std::vector<Params> sent = wire().Sent("DescribeFleets");
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_FALSE(sent[0].contains("NextToken"));
  EXPECT_EQ(sent[1].at("NextToken"), "page-2");
  EXPECT_EQ(sent[1].at("Filter.1.Name"), "fleet-state");
  EXPECT_EQ(sent[1].at("Filter.1.Value.2"), "modifying");
}

TEST_F(AwsFleetViaProxyTest, DescribeFleetInstancesFollowsPagesViaProxyBecauseMotoDoesNotPage) {
  const std::string page1 = Ec2Answer(
      "DescribeFleetInstances",
      "<activeInstanceSet><item><instanceId>i-1</instanceId><instanceType>c5.large</instanceType>"
      "<spotInstanceRequestId>sir-1</spotInstanceRequestId><instanceHealth>healthy</"
      "instanceHealth></item>"
      "</activeInstanceSet><fleetId>fleet-a</fleetId><nextToken>t2</nextToken>");
  const std::string page2 = Ec2Answer(
      "DescribeFleetInstances",
      "<activeInstanceSet><item><instanceId>i-2</instanceId><instanceType>m5.large</instanceType>"
      "<instanceHealth>unhealthy</instanceHealth></item></activeInstanceSet><fleetId>fleet-a</"
      "fleetId>");
  Rules({{"rules",
          {Respond("DescribeFleetInstances", page1, 1),
           Respond("DescribeFleetInstances", page2, 1)}}});
  auto members = ec2::DescribeFleetInstances(client(), "fleet-a");
  ASSERT_TRUE(members.ok()) << members.error().ToString();
  ASSERT_EQ(members->size(), 2U);
  EXPECT_EQ((*members)[0].instance_id, "i-1");
  EXPECT_EQ((*members)[0].spot_instance_request_id, "sir-1");
  EXPECT_EQ((*members)[0].health, ec2::InstanceHealth::kHealthy);
  EXPECT_EQ((*members)[1].instance_id, "i-2");
  EXPECT_EQ((*members)[1].instance_type, "m5.large");
  EXPECT_EQ((*members)[1].health, ec2::InstanceHealth::kUnhealthy);
  const std::vector<Params> sent = wire().Sent("DescribeFleetInstances");
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[1].at("FleetId"), "fleet-a");
  EXPECT_EQ(sent[1].at("NextToken"), "t2");
}

TEST_F(AwsFleetViaProxyTest, AnAnswerWithoutTheIdsItMustCarryIsUnexpected) {
  Rules({{"rules",
          {Respond("CreateFleet", Ec2Answer("CreateFleet", "<errorSet/>")),
           Respond("DeleteFleets",
                   Ec2Answer("DeleteFleets",
                             "<successfulFleetDeletionSet><item><currentFleetState>deleted"
                             "</currentFleetState></item></successfulFleetDeletionSet>"))}}});
  auto created = ec2::CreateFleet(
      client(), {.type = ec2::FleetType::kInstant,
                 .target_capacity = {.total = 1},
                 .launch_template_configs = {{.launch_template = {.id = "lt-1"}}}});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind(), ErrorKind::kInternal);
  EXPECT_EQ(created.error().code(), "UnexpectedResponse");
  auto deleted =
      ec2::DeleteFleets(client(), {.fleet_ids = {"fleet-1"}, .terminate_instances = true});
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().kind(), ErrorKind::kInternal);
  EXPECT_EQ(deleted.error().code(), "UnexpectedResponse");
}

}  // namespace
}  // namespace ohfp::testing
