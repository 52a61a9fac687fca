// EC2Fleet end to end, in process: the HostFactory service over AwsProvider and moto behind
// ohfp-chaos-proxy. For instant, request and maintain fleets: request, poll to complete, return
// half (exactly those terminated, the others running, a maintain fleet's target lowered first),
// return the rest; afterwards moto holds nothing ohfp created (no instance, fleet or ohfp launch
// template). Also: partial fulfilment (a maintain fleet keeps what came, a request fleet is
// stopped, a fleet that got nothing is deleted at once with its launch template), an instant fleet
// that got no capacity, a lost CreateFleet answer, weighted instance types, a heterogeneous split,
// the user's own launch template.
//
// Where moto falls short the proxy stands in, and the test's name says so:
//   - moto has no ModifyFleet (HTTP 500): every test whose maintain fleet is returned or shrunk
//     answers it with a `respond` rule and is named ...ViaProxyBecauseMotoLacksModifyFleet. What
//     the handler asked for (target, no-termination, before TerminateInstances) is read from the
//     wire, since moto never changes a fleet's target.
//   - moto fills request/maintain fleets at once and never fails a pool: partial fulfilment is a
//     DescribeFleets/DescribeFleetInstances answer from the proxy (...ViaProxyBecauseMotoFillsEvery
//     Fleet), an instant fleet's capacity errors a CreateFleet answer from the proxy.
//   - moto ignores ClientToken: the proxy emulates it (a lost CreateFleet answer).
//
// FleetPlugin is PluginWorld with its provider's requests recorded (PluginWorld::Recording::kOn),
// so a test reads what the handler asked for on the wire.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aws/ec2/fleets.h"
#include "aws/ec2/instances.h"
#include "aws/ec2/launch_templates.h"
#include "plugin_world.h"
#include "provider/handlers/ec2_fleet_handler.h"
#include "world_suite.h"

namespace ohfp::testing {
namespace {

namespace ec2 = aws::ec2;
using model::FleetType;
using model::Template;
using json = nlohmann::ordered_json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAreArray;

using Params = WireParams;

// The HostFactory service as PluginWorld builds it, over a client whose requests are recorded.
class FleetPlugin : public PluginWorld {
 public:
  FleetPlugin(AwsWorld& aws, std::vector<Template> templates,
              hostfactory::ServiceOptions options = {})
      : PluginWorld(aws, std::move(templates), std::move(options), Recording::kOn) {}

  json ReturnAndWait(const json& machines) { return PollReturnUntilDone(Return(machines)); }

  // The fleet recorded for an acquire request.
  std::string FleetOf(const std::string& request_id) {
    auto r = store().GetRequest(request_id);
    EXPECT_TRUE(r.ok() && r->has_value());
    return r.ok() && r->has_value() ? (*r)->created.resource_id : std::string();
  }

  // What ohfp sent, every attempt, in order; Sent(action) only that action's.
  std::vector<Params> Wire() { return wire().All(); }
  std::vector<Params> Sent(const std::string& action) { return wire().Sent(action); }
  // Wire position of the first request for `action` after position `from` (-1 when none).
  int IndexOf(const std::string& action, int from = 0) { return wire().IndexOf(action, from); }
  int WireSize() { return wire().Size(); }
};

class Ec2FleetProviderTest : public WorldSuite<Ec2FleetProviderTest> {
 public:
  static AwsWorldOptions WorldOptions() {
    return {.with_proxy = true, .resilience = FastRetries(3)};
  }

 protected:
  // moto has no ModifyFleet: AWS's answer to an accepted one.
  static nlohmann::json ModifyFleetAccepted() {
    return Respond("ModifyFleet", Ec2Answer("ModifyFleet", "<return>true</return>"));
  }

  static Template FleetTemplate(const std::string& id, FleetType type,
                                std::vector<std::string> subnets = {}) {
    Template t = BasicTemplate(id, model::ProviderApi::kEc2Fleet, std::move(subnets));
    t.fleet_type = type;
    return t;
  }

  static std::vector<ec2::Instance> Instances(const std::vector<std::string>& ids) {
    auto found = ec2::DescribeInstances(world_->client(), {.instance_ids = ids});
    EXPECT_TRUE(found.ok()) << found.error().ToString();
    return found.ok() ? *found : std::vector<ec2::Instance>{};
  }
  static std::optional<ec2::Fleet> Fleet(const std::string& fleet_id) {
    auto fleets = ec2::DescribeFleets(world_->client(), {.fleet_ids = {fleet_id}});
    EXPECT_TRUE(fleets.ok()) << fleets.error().ToString();
    if (!fleets.ok()) return std::nullopt;
    for (const ec2::Fleet& f : *fleets) {
      if (f.fleet_id == fleet_id) return f;
    }
    return std::nullopt;
  }
  // The instance ids a TerminateInstances request named.
  static std::vector<std::string> Named(const Params& call) {
    std::vector<std::string> ids;
    for (int n = 1; call.count("InstanceId." + std::to_string(n)) != 0; ++n) {
      ids.push_back(call.at("InstanceId." + std::to_string(n)));
    }
    return ids;
  }
  // Exactly `returned` are gone, every one of `kept` still runs.
  static void ExpectExactlyTerminated(const json& returned, const json& kept) {
    for (const ec2::Instance& i : Instances(IdsOf(returned))) {
      EXPECT_THAT(i.state, ::testing::AnyOf("shutting-down", "terminated")) << i.instance_id;
    }
    for (const ec2::Instance& i : Instances(IdsOf(kept))) {
      EXPECT_EQ(i.state, "running")
          << i.instance_id << ": a machine not returned must keep running";
    }
  }

  // Makes moto's fully filled fleet of `request_id` (4 instances) look like one AWS filled only
  // `filled` units of: the others leave the request (untagged, terminated), and the proxy answers
  // DescribeFleets and DescribeFleetInstances as AWS does for a fleet that got `filled` of its 4
  // units and reports a capacity error (and ModifyFleet, which moto lacks). Returns the ones that
  // stay.
  static std::vector<std::string> MakeItShort(FleetPlugin& plugin, const std::string& request_id,
                                              const std::string& type, std::size_t filled) {
    const std::string fleet_id = plugin.FleetOf(request_id);
    auto members = ec2::DescribeFleetInstances(world_->client(), fleet_id);
    EXPECT_TRUE(members.ok()) << members.error().ToString();
    if (!members.ok() || members->size() != 4) {
      ADD_FAILURE() << "moto should have filled the fleet at once";
      return {};
    }
    std::vector<std::string> stay;
    std::vector<std::string> gone;
    for (std::size_t i = 0; i < members->size(); ++i) {
      (i < filled ? stay : gone).push_back((*members)[i].instance_id);
    }
    aws::QueryParams untag;
    untag.AddFlatList("ResourceId", gone);
    untag.AddString("Tag.1.Key", std::string(model::kTagRequestId));
    untag.AddString("Tag.2.Key", std::string(model::kTagProvider));
    auto untagged =
        world_->client().Call(aws::AwsService::kEc2, "DeleteTags", untag, "ec2_delete_tags");
    EXPECT_TRUE(untagged.ok()) << untagged.error().ToString();
    EXPECT_TRUE(ec2::TerminateInstances(world_->client(), gone).ok());
    Rules({ModifyFleetAccepted(),
           Respond("DescribeFleets",
                   Ec2Answer("DescribeFleets", ShortFleetBody(fleet_id, type, request_id, filled))),
           Respond("DescribeFleetInstances",
                   Ec2Answer("DescribeFleetInstances", FleetInstancesBody(fleet_id, stay)))});
    return stay;
  }
  // How AWS describes a fleet that got `filled` of its 4 units and could not get more.
  static std::string ShortFleetBody(const std::string& fleet_id, const std::string& type,
                                    const std::string& request_id, std::size_t filled) {
    const std::string units = std::to_string(filled) + ".0";
    return "<fleetSet><item><fleetId>" + fleet_id +
           "</fleetId><fleetState>active</fleetState><activityStatus>pending_fulfillment"
           "</activityStatus><type>" +
           type +
           "</type><targetCapacitySpecification><totalTargetCapacity>4</totalTargetCapacity>"
           "<onDemandTargetCapacity>4</onDemandTargetCapacity><spotTargetCapacity>0"
           "</spotTargetCapacity><defaultTargetCapacityType>on-demand"
           "</defaultTargetCapacityType></targetCapacitySpecification>"
           "<fulfilledCapacity>" +
           units + "</fulfilledCapacity><fulfilledOnDemandCapacity>" + units +
           "</fulfilledOnDemandCapacity><errorSet><item>" + CapacityErrorItem() +
           "</item></errorSet><tagSet><item><key>ohfp:request-id</key><value>" + request_id +
           "</value></item></tagSet></item></fleetSet>";
  }
  static std::string CapacityErrorItem() {
    return "<launchTemplateAndOverrides><overrides><instanceType>c5.large</instanceType>"
           "<subnetId>subnet-0a1b2c3d</subnetId></overrides></launchTemplateAndOverrides>"
           "<lifecycle>on-demand</lifecycle><errorCode>InsufficientInstanceCapacity</errorCode>"
           "<errorMessage>We currently do not have sufficient c5.large capacity in the "
           "Availability Zone you requested.</errorMessage>";
  }
  static std::string FleetInstancesBody(const std::string& fleet_id,
                                        const std::vector<std::string>& ids) {
    std::string items;
    for (const std::string& i : ids) {
      items += "<item><instanceId>" + i +
               "</instanceId><instanceType>c5.large</instanceType><instanceHealth>healthy"
               "</instanceHealth></item>";
    }
    return "<activeInstanceSet>" + items + "</activeInstanceSet><fleetId>" + fleet_id +
           "</fleetId>";
  }
};

// -------------------------------------------------------------------------------------------------
// The three fleet types, request to nothing left.

TEST_F(Ec2FleetProviderTest, InstantFleetRequestPollReturnHalfThenTheRestLeavesNothing) {
  const std::vector<std::string> subnets = PluginWorld(*world_, {}).DefaultSubnets();
  ASSERT_THAT(subnets, ::testing::Not(IsEmpty()));
  FleetPlugin fleet_plugin(*world_, {FleetTemplate("Instant", FleetType::kInstant, subnets)});
  const std::string id = fleet_plugin.Request("Instant", 4);
  ASSERT_FALSE(id.empty());

  // One launch template and one instant fleet from it, with the attempt's token, tagged.
  const std::vector<Params> lt = fleet_plugin.Sent("CreateLaunchTemplate");
  ASSERT_THAT(lt, SizeIs(1));
  EXPECT_EQ(lt[0].at("LaunchTemplateName"), "ohfp-" + id);
  EXPECT_EQ(lt[0].at("ClientToken"), id + "-lt");
  const std::vector<Params> created = fleet_plugin.Sent("CreateFleet");
  ASSERT_THAT(created, SizeIs(1));
  EXPECT_EQ(created[0].at("Type"), "instant");
  EXPECT_EQ(created[0].at("ClientToken"), id + "-1");
  EXPECT_EQ(created[0].at("TargetCapacitySpecification.TotalTargetCapacity"), "4");
  EXPECT_EQ(created[0].at("LaunchTemplateConfigs.1.Overrides.1.SubnetId"), subnets[0]);

  const json done = fleet_plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(4));
  for (const auto& m : done["machines"]) EXPECT_EQ(m["result"], "succeed") << m.dump();
  const std::string fleet_id = fleet_plugin.FleetOf(id);
  EXPECT_THAT(fleet_id, ::testing::StartsWith("fleet-"));
  for (const ec2::Instance& i : Instances(IdsOf(done["machines"]))) {
    EXPECT_EQ(i.TagValue(model::kTagRequestId), id);
    EXPECT_EQ(i.TagValue(model::kTagProvider), "aws");
  }

  const auto [first, rest] = Split(done["machines"], 2);
  EXPECT_EQ(fleet_plugin.ReturnAndWait(first)["status"], "complete");
  ExpectExactlyTerminated(first, rest);
  EXPECT_THAT(fleet_plugin.Sent("ModifyFleet"), IsEmpty()) << "an instant fleet never replaces";
  const std::vector<Params> terminated = fleet_plugin.Sent("TerminateInstances");
  ASSERT_THAT(terminated, SizeIs(1));
  EXPECT_THAT(Named(terminated[0]), UnorderedElementsAreArray(IdsOf(first)));
  EXPECT_THAT(fleet_plugin.Sent("DeleteFleets"), IsEmpty()) << "machines remain";

  EXPECT_EQ(fleet_plugin.ReturnAndWait(rest)["status"], "complete");
  const std::vector<Params> deleted = fleet_plugin.Sent("DeleteFleets");
  ASSERT_THAT(deleted, SizeIs(1));
  EXPECT_EQ(deleted[0].at("FleetId.1"), fleet_id);
  EXPECT_EQ(deleted[0].at("TerminateInstances"), "true") << "AWS deletes instant fleets so only";
  const Leftovers left = fleet_plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(Ec2FleetProviderTest, RequestFleetRequestPollReturnHalfThenTheRestLeavesNothing) {
  FleetPlugin plugin(*world_, {FleetTemplate("Request", FleetType::kRequest)});
  const std::string id = plugin.Request("Request", 4);
  ASSERT_FALSE(id.empty());
  const std::vector<Params> created = plugin.Sent("CreateFleet");
  ASSERT_THAT(created, SizeIs(1));
  EXPECT_EQ(created[0].at("Type"), "request");
  EXPECT_FALSE(created[0].contains("TagSpecification.2.ResourceType"))
      << "AWS refuses instance tags on request fleets: the launch template tags them";

  const json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(4));
  const std::string fleet_id = plugin.FleetOf(id);
  ASSERT_FALSE(fleet_id.empty());

  const auto [first, rest] = Split(done["machines"], 2);
  EXPECT_EQ(plugin.ReturnAndWait(first)["status"], "complete");
  ExpectExactlyTerminated(first, rest);
  EXPECT_THAT(plugin.Sent("ModifyFleet"), IsEmpty())
      << "AWS modifies maintain fleets only; a request fleet never replaces an instance";
  const std::vector<Params> terminated = plugin.Sent("TerminateInstances");
  ASSERT_THAT(terminated, SizeIs(1));
  EXPECT_THAT(Named(terminated[0]), UnorderedElementsAreArray(IdsOf(first)));

  EXPECT_EQ(plugin.ReturnAndWait(rest)["status"], "complete");
  const std::vector<Params> deleted = plugin.Sent("DeleteFleets");
  ASSERT_THAT(deleted, SizeIs(1));
  EXPECT_EQ(deleted[0].at("FleetId.1"), fleet_id);
  EXPECT_EQ(deleted[0].at("TerminateInstances"), "false");
  EXPECT_THAT(plugin.Sent("DeleteLaunchTemplate"), SizeIs(1));
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(Ec2FleetProviderTest,
       MaintainFleetReturnLowersTheTargetBeforeTerminatingViaProxyBecauseMotoLacksModifyFleet) {
  Rules({ModifyFleetAccepted()});
  FleetPlugin plugin(*world_, {FleetTemplate("Maintain", FleetType::kMaintain)});
  const std::string id = plugin.Request("Maintain", 4);
  ASSERT_FALSE(id.empty());
  const std::vector<Params> created = plugin.Sent("CreateFleet");
  ASSERT_THAT(created, SizeIs(1));
  EXPECT_EQ(created[0].at("Type"), "maintain");
  EXPECT_EQ(created[0].at("ExcessCapacityTerminationPolicy"), "no-termination");

  const json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(4));
  const std::string fleet_id = plugin.FleetOf(id);

  const auto [first, rest] = Split(done["machines"], 2);
  const int before_return = plugin.WireSize();
  EXPECT_EQ(plugin.ReturnAndWait(first)["status"], "complete");
  ExpectExactlyTerminated(first, rest);
  // The target first (2 left, nothing for the fleet to choose), then exactly the returned two.
  const int modify_at = plugin.IndexOf("ModifyFleet", before_return);
  const int terminate_at = plugin.IndexOf("TerminateInstances", before_return);
  ASSERT_GE(modify_at, 0);
  ASSERT_GE(terminate_at, 0);
  EXPECT_LT(modify_at, terminate_at) << "the target is lowered before anything is terminated";
  const Params modify = plugin.Wire()[static_cast<std::size_t>(modify_at)];
  EXPECT_EQ(modify.at("FleetId"), fleet_id);
  EXPECT_EQ(modify.at("TargetCapacitySpecification.TotalTargetCapacity"), "2");
  EXPECT_EQ(modify.at("TargetCapacitySpecification.OnDemandTargetCapacity"), "2");
  EXPECT_EQ(modify.at("TargetCapacitySpecification.SpotTargetCapacity"), "0");
  EXPECT_EQ(modify.at("ExcessCapacityTerminationPolicy"), "no-termination");
  const std::vector<Params> terminated = plugin.Sent("TerminateInstances");
  ASSERT_THAT(terminated, SizeIs(1));
  EXPECT_THAT(Named(terminated[0]), UnorderedElementsAreArray(IdsOf(first)));

  const int before_rest = plugin.WireSize();
  EXPECT_EQ(plugin.ReturnAndWait(rest)["status"], "complete");
  const int second_modify = plugin.IndexOf("ModifyFleet", before_rest);
  ASSERT_GE(second_modify, 0);
  EXPECT_LT(second_modify, plugin.IndexOf("TerminateInstances", before_rest));
  EXPECT_EQ(plugin.Wire()[static_cast<std::size_t>(second_modify)].at(
                "TargetCapacitySpecification.TotalTargetCapacity"),
            "0");
  const std::vector<Params> all_terminated = plugin.Sent("TerminateInstances");
  ASSERT_THAT(all_terminated, SizeIs(2));
  EXPECT_THAT(Named(all_terminated[1]), UnorderedElementsAreArray(IdsOf(rest)));
  const std::vector<Params> deleted = plugin.Sent("DeleteFleets");
  ASSERT_THAT(deleted, SizeIs(1));
  EXPECT_EQ(deleted[0].at("TerminateInstances"), "false");
  EXPECT_EQ(Stats()["actions"]["ModifyFleet"]["forwarded"], 0) << "moto never saw ModifyFleet";
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

// -------------------------------------------------------------------------------------------------
// Template fields that shape the fleet.

TEST_F(Ec2FleetProviderTest,
       WeightedTypesCompleteByCapacityUnitsViaProxyBecauseMotoLacksModifyFleet) {
  Rules({ModifyFleetAccepted()});
  Template t = FleetTemplate("Weighted", FleetType::kMaintain);
  t.vm_type = "c5.xlarge";
  t.vm_types = {{"c5.xlarge", 2}, {"c5.large", 1}};
  FleetPlugin plugin(*world_, {t});
  const std::string id = plugin.Request("Weighted", 4);  // 4 units
  const std::vector<Params> created = plugin.Sent("CreateFleet");
  ASSERT_THAT(created, SizeIs(1));
  EXPECT_EQ(created[0].at("LaunchTemplateConfigs.1.Overrides.1.InstanceType"), "c5.xlarge");
  EXPECT_EQ(created[0].at("LaunchTemplateConfigs.1.Overrides.1.WeightedCapacity"), "2");
  EXPECT_EQ(created[0].at("LaunchTemplateConfigs.1.Overrides.2.InstanceType"), "c5.large");
  EXPECT_EQ(created[0].at("LaunchTemplateConfigs.1.Overrides.2.WeightedCapacity"), "1");

  // moto fills the 4 units with two c5.xlarge (weight 2): the request is complete with 2 machines.
  const json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(2));
  for (const ec2::Instance& i : Instances(IdsOf(done["machines"]))) {
    EXPECT_EQ(i.instance_type, "c5.xlarge");
  }

  // Returning one (2 units) leaves a target of 2 units.
  const auto [first, rest] = Split(done["machines"], 1);
  EXPECT_EQ(plugin.ReturnAndWait(first)["status"], "complete");
  ExpectExactlyTerminated(first, rest);
  const std::vector<Params> modified = plugin.Sent("ModifyFleet");
  ASSERT_THAT(modified, SizeIs(1));
  EXPECT_EQ(modified[0].at("TargetCapacitySpecification.TotalTargetCapacity"), "2");
  EXPECT_EQ(plugin.ReturnAndWait(rest)["status"], "complete");
  ASSERT_THAT(plugin.Sent("ModifyFleet"), SizeIs(2));
  EXPECT_EQ(plugin.Sent("ModifyFleet")[1].at("TargetCapacitySpecification.TotalTargetCapacity"),
            "0");
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(Ec2FleetProviderTest, HeterogeneousFleetLaunchesItsShareOnDemandAndTheRestSpot) {
  Template t = FleetTemplate("Mixed", FleetType::kRequest);
  t.price_type = model::PriceType::kHeterogeneous;
  t.percent_on_demand = 50;
  t.allocation_strategy = model::AllocationStrategy::kLowestPrice;
  FleetPlugin plugin(*world_, {t});
  const std::string id = plugin.Request("Mixed", 3);
  const std::vector<Params> created = plugin.Sent("CreateFleet");
  ASSERT_THAT(created, SizeIs(1));
  EXPECT_EQ(created[0].at("TargetCapacitySpecification.OnDemandTargetCapacity"), "2")
      << "50 % of 3, rounded up";
  EXPECT_EQ(created[0].at("TargetCapacitySpecification.SpotTargetCapacity"), "1");
  EXPECT_EQ(created[0].at("TargetCapacitySpecification.DefaultTargetCapacityType"), "spot");
  EXPECT_EQ(created[0].at("SpotOptions.AllocationStrategy"), "lowest-price");

  const json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(3));
  int spot = 0;
  for (const ec2::Instance& i : Instances(IdsOf(done["machines"]))) spot += i.lifecycle == "spot";
  EXPECT_EQ(spot, 1);

  EXPECT_EQ(plugin.ReturnAndWait(done["machines"])["status"], "complete");
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(Ec2FleetProviderTest,
       TheUsersOwnLaunchTemplateIsUsedAndSurvivesCleanupViaProxyBecauseMotoLacksModifyFleet) {
  Rules({ModifyFleetAccepted()});
  // The user's template tags nothing: the handler must tag what the fleet launches from it.
  auto users = ec2::CreateLaunchTemplate(
      world_->client(), {.name = "users-template",
                         .data = {.image_id = "ami-12c6146b", .instance_type = "c5.large"}});
  ASSERT_TRUE(users.ok()) << users.error().ToString();
  Template t = FleetTemplate("Own", FleetType::kMaintain);
  t.launch_template_id = users->id;
  t.image_id.clear();
  t.vm_type.clear();
  FleetPlugin plugin(*world_, {t});
  const std::string id = plugin.Request("Own", 2);
  EXPECT_THAT(plugin.Sent("CreateLaunchTemplate"), IsEmpty());
  const std::vector<Params> created = plugin.Sent("CreateFleet");
  ASSERT_THAT(created, SizeIs(1));
  EXPECT_EQ(created[0].at("LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateId"),
            users->id);

  const json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(2));
  for (const ec2::Instance& i : Instances(IdsOf(done["machines"]))) {
    EXPECT_EQ(i.TagValue(model::kTagRequestId), id) << "tagged after launch";
    EXPECT_EQ(i.TagValue(model::kTagProvider), "aws");
    EXPECT_EQ(i.TagValue(provider::kTagWeights), std::nullopt);
  }

  EXPECT_EQ(plugin.ReturnAndWait(done["machines"])["status"], "complete");
  EXPECT_THAT(plugin.Sent("DeleteFleets"), SizeIs(1));
  EXPECT_THAT(plugin.Sent("DeleteLaunchTemplate"), IsEmpty());
  auto still = ec2::DescribeLaunchTemplates(world_->client(), {.ids = {users->id}});
  ASSERT_TRUE(still.ok()) << still.error().ToString();
  EXPECT_THAT(*still, SizeIs(1)) << "the user's launch template survives cleanup";
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

// -------------------------------------------------------------------------------------------------
// Faults: partial fulfilment, no capacity, a lost answer.

TEST_F(Ec2FleetProviderTest,
       PartlyFilledMaintainFleetKeepsWhatCameAndNamesTheReasonViaProxyBecauseMotoLacksModifyFleet) {
  FleetPlugin plugin(*world_, {FleetTemplate("Maintain", FleetType::kMaintain)},
                     GiveUpOnFulfilmentAtOnce());
  const std::string id = plugin.Request("Maintain", 4);
  const std::vector<std::string> stay = MakeItShort(plugin, id, "maintain", 2);
  ASSERT_THAT(stay, SizeIs(2));

  const int before = plugin.WireSize();
  const json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete_with_error") << done.dump();
  const std::string message = done["message"];
  EXPECT_THAT(message, HasSubstr("2 of 4 machine(s) running"));
  EXPECT_THAT(message, HasSubstr("InsufficientInstanceCapacity"));
  EXPECT_THAT(message, HasSubstr("not fulfilled within 0 s"));
  EXPECT_THAT(IdsOf(done["machines"]), UnorderedElementsAreArray(stay));
  for (const auto& m : done["machines"]) EXPECT_EQ(m["result"], "succeed");
  // The fleet keeps what came: its target lowered to 2, nothing for it to terminate.
  const int modify_at = plugin.IndexOf("ModifyFleet", before);
  ASSERT_GE(modify_at, 0);
  const Params modify = plugin.Wire()[static_cast<std::size_t>(modify_at)];
  EXPECT_EQ(modify.at("TargetCapacitySpecification.TotalTargetCapacity"), "2");
  EXPECT_EQ(modify.at("TargetCapacitySpecification.OnDemandTargetCapacity"), "2");
  EXPECT_EQ(modify.at("ExcessCapacityTerminationPolicy"), "no-termination");
  EXPECT_EQ(plugin.IndexOf("TerminateInstances", before), -1);
  for (const ec2::Instance& i : Instances(stay)) EXPECT_EQ(i.state, "running");

  Rules({ModifyFleetAccepted()});  // moto describes the fleet again
  EXPECT_EQ(plugin.ReturnAndWait(done["machines"])["status"], "complete");
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(Ec2FleetProviderTest,
       PartlyFilledRequestFleetIsStoppedWithoutTerminatingViaProxyBecauseMotoFillsEveryFleet) {
  FleetPlugin plugin(*world_, {FleetTemplate("Request", FleetType::kRequest)},
                     GiveUpOnFulfilmentAtOnce());
  const std::string id = plugin.Request("Request", 4);
  const std::string fleet_id = plugin.FleetOf(id);
  const std::vector<std::string> stay = MakeItShort(plugin, id, "request", 2);
  ASSERT_THAT(stay, SizeIs(2));

  const int before = plugin.WireSize();
  const json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete_with_error") << done.dump();
  EXPECT_THAT(done["message"].get<std::string>(), HasSubstr("InsufficientInstanceCapacity"));
  EXPECT_THAT(IdsOf(done["machines"]), UnorderedElementsAreArray(stay));
  // A request fleet cannot be modified: it is deleted without its instances.
  EXPECT_THAT(plugin.Sent("ModifyFleet"), IsEmpty());
  const int delete_at = plugin.IndexOf("DeleteFleets", before);
  ASSERT_GE(delete_at, 0);
  const Params deleted = plugin.Wire()[static_cast<std::size_t>(delete_at)];
  EXPECT_EQ(deleted.at("FleetId.1"), fleet_id);
  EXPECT_EQ(deleted.at("TerminateInstances"), "false");
  EXPECT_EQ(plugin.IndexOf("TerminateInstances", before), -1);

  Rules({});  // moto's answers: the fleet deleted_running
  for (const ec2::Instance& i : Instances(stay)) EXPECT_EQ(i.state, "running");
  EXPECT_EQ(plugin.ReturnAndWait(done["machines"])["status"], "complete");
  EXPECT_THAT(plugin.Sent("DeleteFleets"), SizeIs(1)) << "already deleted: not again";
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(
    Ec2FleetProviderTest,
    MaintainFleetThatGotNothingEndsWithTheReasonAndLeavesNothingViaProxyBecauseMotoFillsEveryFleet) {
  FleetPlugin plugin(*world_, {FleetTemplate("Maintain", FleetType::kMaintain)},
                     GiveUpOnFulfilmentAtOnce());
  const std::string id = plugin.Request("Maintain", 4);
  const std::string fleet_id = plugin.FleetOf(id);
  ASSERT_THAT(MakeItShort(plugin, id, "maintain", 0), IsEmpty());

  const int before = plugin.WireSize();
  const json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete_with_error") << done.dump();
  EXPECT_THAT(done["machines"], IsEmpty());
  const std::string message = done["message"];
  EXPECT_THAT(message, HasSubstr("0 of 4 machine(s) running"));
  EXPECT_THAT(message, HasSubstr("InsufficientInstanceCapacity"));
  // No machine will ever be returned to trigger the cleanup: the fleet (terminating nothing) and
  // ohfp's launch template go now.
  EXPECT_EQ(plugin.IndexOf("ModifyFleet", before), -1) << "deleted, not lowered to 0";
  EXPECT_EQ(plugin.IndexOf("TerminateInstances", before), -1);
  const int delete_at = plugin.IndexOf("DeleteFleets", before);
  ASSERT_GE(delete_at, 0);
  const Params deleted = plugin.Wire()[static_cast<std::size_t>(delete_at)];
  EXPECT_EQ(deleted.at("FleetId.1"), fleet_id);
  EXPECT_EQ(deleted.at("TerminateInstances"), "false");
  EXPECT_GT(plugin.IndexOf("DeleteLaunchTemplate", before), delete_at);

  Rules({});  // moto's answers: the fleet deleted_running
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(Ec2FleetProviderTest,
       InstantFleetWithoutCapacityEndsWithTheReasonAndLeavesNothingViaProxyBecauseMotoNeverFails) {
  // How AWS answers an instant fleet none of whose pools had capacity.
  Rules({Respond("CreateFleet",
                 Ec2Answer("CreateFleet",
                           "<fleetId>fleet-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
                           "</fleetId><errorSet><item>" +
                               CapacityErrorItem() + "</item></errorSet><fleetInstanceSet/>"))});
  FleetPlugin plugin(*world_, {FleetTemplate("Instant", FleetType::kInstant)});
  const std::string id = plugin.Request("Instant", 3);
  ASSERT_FALSE(id.empty());
  EXPECT_THAT(plugin.Sent("DeleteLaunchTemplate"), SizeIs(1))
      << "nothing will launch from it: deleted at once";

  const json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete_with_error") << done.dump();
  EXPECT_THAT(done["machines"], IsEmpty());
  const std::string message = done["message"];
  EXPECT_THAT(message, HasSubstr("0 of 3 machine(s) running"));
  EXPECT_THAT(message, HasSubstr("InsufficientInstanceCapacity"));
  EXPECT_THAT(message, HasSubstr("c5.large"));
  EXPECT_EQ(Stats()["actions"]["CreateFleet"]["forwarded"], 0);
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(Ec2FleetProviderTest, ALostCreateFleetAnswerIsAdoptedByTagOnTheNextPollOneFleetNeverTwo) {
  // Every attempt's answer is lost (the first one created the fleet; the proxy's ClientToken
  // emulation replays it to the retries, whose answers are lost too): the outcome is unknown.
  Rules({{{"name", "lost-create-fleet"},
          {"match", {{"action", "CreateFleet"}}},
          {"max_hits", 3},
          {"fault", {{"type", "drop_response"}}}}});
  FleetPlugin plugin(*world_, {FleetTemplate("Request", FleetType::kRequest)});
  const std::string id = plugin.Request("Request", 3);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(plugin.FleetOf(id), "") << "the answer never came";
  const std::vector<Params> sent = plugin.Sent("CreateFleet");
  ASSERT_THAT(sent, SizeIs(3));
  for (const Params& p : sent) EXPECT_EQ(p.at("ClientToken"), id + "-1");

  const json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(3));
  auto fleets = ec2::DescribeFleets(world_->client(), {});
  ASSERT_TRUE(fleets.ok()) << fleets.error().ToString();
  ASSERT_THAT(*fleets, SizeIs(1)) << "one fleet, never two";
  EXPECT_EQ(plugin.FleetOf(id), (*fleets)[0].fleet_id) << "adopted by its tag";
  EXPECT_THAT(plugin.Sent("CreateFleet"), SizeIs(3)) << "not sent again once found";
  const nlohmann::json stats = Stats();
  EXPECT_EQ(stats["actions"]["CreateFleet"]["forwarded"], 1) << stats.dump();

  EXPECT_EQ(plugin.ReturnAndWait(done["machines"])["status"], "complete");
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

}  // namespace
}  // namespace ohfp::testing
