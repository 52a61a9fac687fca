// SpotFleet end to end, in process: the HostFactory service over AwsProvider (SpotFleetHandler) and
// moto behind ohfp-chaos-proxy. For request and maintain fleets: request, poll to complete, return
// half (exactly those terminated, the others running, the fleet's target lowered), return the
// rest; afterwards moto holds nothing ohfp created (no live instance, no active Spot Fleet
// request, no launch template). Then weights, price types, partial fulfilment, expiry and a lost
// RequestSpotFleet answer.
//
// Where moto answers unlike AWS the fixture works around it, never the product, and the test's
// name says so ("...ViaProxyBecauseMoto..."):
//   - moto fulfils every fleet at once: a short fleet is made by terminating instances behind the
//     fleet's back (moto then lowers its fulfilled capacity, as AWS does after an interruption);
//   - moto lacks DescribeSpotFleetRequestHistory (HTTP 500): the proxy answers it;
//   - moto never expires a fleet nor reports validUntil: the proxy answers
//     DescribeSpotFleetRequests for the expired fleet;
//   - moto ignores ClientToken: the proxy emulates it (a lost answer is replayed, not relaunched).
// moto answers CancelSpotFleetRequests for an unknown id with HTTP 500: no test here cancels an
// unknown id, because the handler asks FindSpotFleetRequest first (a fleet gone needs no cancel).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/ec2/instances.h"
#include "aws/ec2/spot_fleet.h"
#include "plugin_world.h"
#include "world_suite.h"

namespace ohfp::testing {
namespace {

namespace ec2 = aws::ec2;
using model::FleetType;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAreArray;

constexpr char kFleetRole[] = "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role";

model::Template SpotFleetTemplate(std::string id, FleetType type,
                                  std::vector<std::string> subnets = {}) {
  model::Template t = BasicTemplate(std::move(id), model::ProviderApi::kSpotFleet, subnets);
  t.fleet_role = kFleetRole;
  t.price_type = model::PriceType::kSpot;
  t.fleet_type = type;
  return t;
}

class SpotFleetProviderTest : public WorldSuite<SpotFleetProviderTest> {
 public:
  static AwsWorldOptions WorldOptions() {
    return {.with_proxy = true, .resilience = FastRetries(4)};
  }

 protected:
  // The request as the store holds it.
  static model::Request Stored(PluginWorld& plugin, const std::string& id) {
    auto r = plugin.store().GetRequest(id);
    EXPECT_TRUE(r.ok() && r->has_value()) << id;
    return r.ok() && r->has_value() ? **r : model::Request{};
  }
  // Every Spot Fleet request in moto (any state).
  std::vector<ec2::SpotFleetRequestDescription> AllFleets() {
    auto all = ec2::DescribeSpotFleetRequests(client(), {});
    EXPECT_TRUE(all.ok()) << all.error().ToString();
    return all.ok() ? *all : std::vector<ec2::SpotFleetRequestDescription>{};
  }
  // The Spot Fleet requests tagged with a request id.
  std::vector<ec2::SpotFleetRequestDescription> FleetsOf(const std::string& request_id) {
    std::vector<ec2::SpotFleetRequestDescription> out;
    for (const auto& f : AllFleets()) {
      if (std::find(f.tags.begin(), f.tags.end(), ec2::Tag{"ohfp:request-id", request_id}) !=
          f.tags.end()) {
        out.push_back(f);
      }
    }
    return out;
  }
  ec2::SpotFleetRequestDescription Fleet(const std::string& fleet_id) {
    auto f = ec2::FindSpotFleetRequest(client(), fleet_id);
    EXPECT_TRUE(f.ok() && f->has_value()) << fleet_id;
    return f.ok() && f->has_value() ? **f : ec2::SpotFleetRequestDescription{};
  }
  std::vector<std::string> LiveInMoto(PluginWorld& plugin) { return plugin.LeftInMoto().instances; }
  // `t` on moto's first default subnet, added to the plugin's templates.
  static void AddOnFirstSubnet(PluginWorld& plugin, model::Template t) {
    const std::vector<std::string> subnets = plugin.DefaultSubnets();
    ASSERT_FALSE(subnets.empty());
    t.subnet_ids = {subnets[0]};
    plugin.templates().templates.push_back(std::move(t));
  }

  // Request 4, poll to complete, return half, return the rest.
  void RequestReturnHalfThenTheRest(FleetType type) {
    PluginWorld plugin(*world_, {});
    const std::vector<std::string> subnets = plugin.DefaultSubnets();
    ASSERT_GE(subnets.size(), 2U);
    plugin.templates().templates.push_back(
        SpotFleetTemplate("Spot", type, {subnets[0], subnets[1]}));

    const auto ops_before = Operations();
    const std::string id = plugin.Request("Spot", 4);
    ASSERT_FALSE(id.empty());
    const nlohmann::ordered_json done = plugin.PollUntilDone(id);
    ASSERT_EQ(done["status"], "complete") << done.dump();
    ASSERT_THAT(done["machines"], SizeIs(4));
    for (const auto& m : done["machines"]) EXPECT_EQ(m["result"], "succeed") << m.dump();

    const model::Request stored = Stored(plugin, id);
    ASSERT_EQ(FleetsOf(id).size(), 1U) << "one Spot Fleet request per HostFactory request";
    EXPECT_EQ(stored.created.resource_id, FleetsOf(id)[0].spot_fleet_request_id);
    EXPECT_THAT(stored.created.launch_template_id, ::testing::StartsWith("lt-"));
    EXPECT_EQ(Fleet(stored.created.resource_id).target_capacity, 4);
    // The instances carry the request's tags, from the launch template.
    auto tagged = ec2::DescribeInstances(
        client(), {.filters = {{"tag:ohfp:request-id", {id}}, {"tag:ohfp:provider", {"aws"}}}});
    ASSERT_TRUE(tagged.ok());
    EXPECT_THAT(*tagged, SizeIs(4));

    const auto [first, rest] = Split(done["machines"], 2);
    const nlohmann::ordered_json returned = plugin.PollReturnUntilDone(plugin.Return(first));
    EXPECT_EQ(returned["status"], "complete") << returned.dump();
    EXPECT_EQ(Fleet(stored.created.resource_id).target_capacity, 2)
        << "the target went down before the returned instances were terminated";
    for (const auto& [instance, state] : StatesOf(IdsOf(first))) {
      EXPECT_THAT(state, ::testing::AnyOf("shutting-down", "terminated")) << instance;
    }
    EXPECT_THAT(LiveInMoto(plugin), UnorderedElementsAreArray(IdsOf(rest)))
        << "exactly the returned two are gone; the others keep running";
    EXPECT_EQ(Fleet(stored.created.resource_id).state, ec2::SpotFleetState::kActive)
        << "the request still holds machines";
    EXPECT_THAT(plugin.LeftInMoto().launch_templates, SizeIs(1));

    EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(rest))["status"], "complete");
    auto after = ec2::FindSpotFleetRequest(client(), stored.created.resource_id);
    ASSERT_TRUE(after.ok()) << after.error().ToString();
    EXPECT_TRUE(!after->has_value() || ec2::IsCancelledOrFailed((*after)->state))
        << "cancelled (moto forgets a fleet cancelled with its instances)";
    const Leftovers left = plugin.LeftInMoto();
    EXPECT_TRUE(left.Empty()) << left.ToString();

    // Every call went through the pipeline under its own operation: Spot Fleet calls on the
    // aws_spot_fleet breaker, instance and launch template calls on aws_ec2.
    const auto ops = Operations();
    for (const char* op :
         {"spot_fleet_request", "spot_fleet_describe", "spot_fleet_describe_instances",
          "spot_fleet_modify", "spot_fleet_cancel"}) {
      ASSERT_EQ(ops.count(op), 1U) << op;
      EXPECT_EQ(ops.at(op).first, "aws_spot_fleet") << op;
      EXPECT_GT(ops.at(op).second, ops_before.count(op) != 0 ? ops_before.at(op).second : 0U) << op;
    }
    for (const char* op : {"ec2_create_launch_template", "ec2_delete_launch_template",
                           "ec2_terminate_instances", "ec2_describe_instances"}) {
      ASSERT_EQ(ops.count(op), 1U) << op;
      EXPECT_EQ(ops.at(op).first, "aws_ec2") << op;
    }
  }
};

TEST_F(SpotFleetProviderTest, MaintainFleetRequestPollReturnHalfThenTheRestLeavesNothing) {
  RequestReturnHalfThenTheRest(FleetType::kMaintain);
}

TEST_F(SpotFleetProviderTest, RequestFleetRequestPollReturnHalfThenTheRestLeavesNothing) {
  // moto does not report a fleet's type, so the handler lowers the target of a request fleet as
  // of a maintain one (AWS reports it; the request-fleet path is in the handler's unit tests).
  RequestReturnHalfThenTheRest(FleetType::kRequest);
}

TEST_F(SpotFleetProviderTest, WeightedTypesCompleteOnCapacityUnitsAndReturnsLowerByTheirWeight) {
  PluginWorld plugin(*world_, {});
  model::Template t = SpotFleetTemplate("Weighted", FleetType::kMaintain);
  t.vm_type = "c5.xlarge";
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}};
  ASSERT_NO_FATAL_FAILURE(AddOnFirstSubnet(plugin, t));

  // 4 units: moto launches the first override only, c5.xlarge at 2 units each.
  const std::string id = plugin.Request("Weighted", 4);
  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(2)) << "two instances of 2 units make the 4 asked for";
  const std::string fleet_id = Stored(plugin, id).created.resource_id;
  EXPECT_THAT(Fleet(fleet_id).tags, ::testing::Contains(ec2::Tag{"ohfp:weight:c5.xlarge", "2"}));

  nlohmann::ordered_json one = nlohmann::ordered_json::array({done["machines"][0]});
  nlohmann::ordered_json other = nlohmann::ordered_json::array({done["machines"][1]});
  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(one))["status"], "complete");
  EXPECT_EQ(Fleet(fleet_id).target_capacity, 2) << "4 units less one instance of 2";
  EXPECT_THAT(LiveInMoto(plugin), UnorderedElementsAreArray(IdsOf(other)));
  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(other))["status"], "complete");
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(SpotFleetProviderTest, HeterogeneousAndOnDemandFleetsAreAcceptedAndCleanedUp) {
  PluginWorld plugin(*world_, {});
  model::Template mixed = SpotFleetTemplate("Mixed", FleetType::kMaintain);
  mixed.price_type = model::PriceType::kHeterogeneous;
  mixed.percent_on_demand = 50;
  mixed.allocation_strategy = model::AllocationStrategy::kCapacityOptimized;
  mixed.max_spot_price = "0.50";
  mixed.spot_fleet_request_expiry = 30;
  mixed.instance_tags = {{"team", "hpc"}};
  model::Template on_demand = SpotFleetTemplate("OnDemand", FleetType::kRequest);
  on_demand.price_type = model::PriceType::kOnDemand;
  on_demand.allocation_strategy = model::AllocationStrategy::kPrioritized;
  ASSERT_NO_FATAL_FAILURE(AddOnFirstSubnet(plugin, mixed));
  ASSERT_NO_FATAL_FAILURE(AddOnFirstSubnet(plugin, on_demand));

  for (const std::string& tmpl : {std::string("Mixed"), std::string("OnDemand")}) {
    const std::string id = plugin.Request(tmpl, 2);
    const nlohmann::ordered_json done = plugin.PollUntilDone(id);
    ASSERT_EQ(done["status"], "complete") << tmpl << ": " << done.dump();
    ASSERT_THAT(done["machines"], SizeIs(2)) << tmpl;
    if (tmpl == "Mixed") {
      auto team = ec2::DescribeInstances(client(), {.filters = {{"tag:team", {"hpc"}}}});
      ASSERT_TRUE(team.ok());
      EXPECT_THAT(*team, SizeIs(2)) << "instanceTags reach the instances";
    }
    EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(done["machines"]))["status"], "complete");
  }
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(
    SpotFleetProviderTest,
    AShortFleetKeepsWhatItHasAfterTheTimeoutAndSaysWhyViaProxyBecauseMotoAlwaysFulfilsAndLacksHistory) {
  PluginWorld plugin(*world_, {}, GiveUpOnFulfilmentAtOnce());
  ASSERT_NO_FATAL_FAILURE(
      AddOnFirstSubnet(plugin, SpotFleetTemplate("Spot", FleetType::kMaintain)));

  const std::string id = plugin.Request("Spot", 4);
  const std::string fleet_id = Stored(plugin, id).created.resource_id;
  ASSERT_FALSE(fleet_id.empty());
  // moto fulfils at once: take two instances away behind the fleet's back (moto lowers its
  // fulfilled capacity, as AWS does after an interruption) so the fleet is 2 of 4.
  auto members = ec2::DescribeSpotFleetInstances(client(), fleet_id);
  ASSERT_TRUE(members.ok());
  ASSERT_THAT(*members, SizeIs(4));
  const std::vector<std::string> lost = {(*members)[0].instance_id, (*members)[1].instance_id};
  ASSERT_TRUE(ec2::TerminateInstances(client(), lost).ok());
  // moto lacks the history: the proxy answers it, as AWS would for a fleet over its Spot limit.
  Rules({Respond("DescribeSpotFleetRequestHistory",
                 Ec2Answer("DescribeSpotFleetRequestHistory",
                           "<spotFleetRequestId>" + fleet_id +
                               "</spotFleetRequestId><startTime>2026-01-01T00:00:00.000Z"
                               "</startTime><historyRecordSet><item><timestamp>"
                               "2026-01-01T00:00:01.000Z</timestamp><eventType>error</eventType>"
                               "<eventInformation><eventSubType>spotInstanceCountLimitExceeded"
                               "</eventSubType><eventDescription>Max spot instance count "
                               "exceeded</eventDescription></eventInformation></item>"
                               "<item><timestamp>2026-01-01T00:00:02.000Z</timestamp>"
                               "<eventType>information</eventType><eventInformation>"
                               "<eventSubType>launchSpecTemporarilyBlacklisted</eventSubType>"
                               "<eventDescription>c5.large, ami-12c6146b, Linux/UNIX, "
                               "us-east-1a, InsufficientInstanceCapacity: There is no Spot "
                               "capacity available that matches your request."
                               "</eventDescription></eventInformation></item>"
                               "</historyRecordSet>"))});

  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  EXPECT_EQ(done["status"], "complete_with_error") << done.dump();
  const std::string message = done.value("message", "");
  EXPECT_THAT(message, HasSubstr("2 of 4 machine(s) running"));
  EXPECT_THAT(message, HasSubstr("not fulfilled within 0 s; keeping 2"));
  EXPECT_THAT(message,
              HasSubstr("spotInstanceCountLimitExceeded: Max spot instance count exceeded"));
  EXPECT_THAT(message, HasSubstr("launchSpecTemporarilyBlacklisted: c5.large, ami-12c6146b, "
                                 "Linux/UNIX, us-east-1a, InsufficientInstanceCapacity: There is "
                                 "no Spot capacity available"));
  EXPECT_GE(Stats()["actions"]["DescribeSpotFleetRequestHistory"]["requests"].get<int>(), 1);
  EXPECT_EQ(Fleet(fleet_id).target_capacity, 2) << "no more instances will come later";

  const nlohmann::ordered_json kept = Succeeded(done["machines"]);
  ASSERT_THAT(kept, SizeIs(2)) << done.dump();
  EXPECT_THAT(LiveInMoto(plugin), UnorderedElementsAreArray(IdsOf(kept)))
      << "shrinking terminates nothing";

  Rules({});
  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(kept))["status"], "complete");
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

// A fleet that got nothing: the request ends without a machine, so no return will ever trigger
// the cleanup; the fleet and its launch template go when the target is given up.
TEST_F(SpotFleetProviderTest,
       AFleetThatGotNothingEndsWithTheReasonAndLeavesNothingViaProxyBecauseMotoAlwaysFulfils) {
  PluginWorld plugin(*world_, {}, GiveUpOnFulfilmentAtOnce());
  ASSERT_NO_FATAL_FAILURE(
      AddOnFirstSubnet(plugin, SpotFleetTemplate("Spot", FleetType::kMaintain)));
  const std::string id = plugin.Request("Spot", 3);
  const std::string fleet_id = Stored(plugin, id).created.resource_id;
  ASSERT_FALSE(fleet_id.empty());
  // moto fulfils at once: take every instance away behind the fleet's back.
  auto members = ec2::DescribeSpotFleetInstances(client(), fleet_id);
  ASSERT_TRUE(members.ok());
  std::vector<std::string> all;
  for (const auto& m : *members) all.push_back(m.instance_id);
  ASSERT_THAT(all, SizeIs(3));
  ASSERT_TRUE(ec2::TerminateInstances(client(), all).ok());
  Rules({Respond("DescribeSpotFleetRequestHistory",
                 Ec2Answer("DescribeSpotFleetRequestHistory",
                           "<spotFleetRequestId>" + fleet_id +
                               "</spotFleetRequestId><startTime>2026-01-01T00:00:00.000Z"
                               "</startTime><historyRecordSet><item><timestamp>"
                               "2026-01-01T00:00:01.000Z</timestamp><eventType>error"
                               "</eventType><eventInformation><eventSubType>"
                               "allLaunchSpecsTemporarilyBlacklisted</eventSubType>"
                               "<eventDescription>InsufficientInstanceCapacity in every launch "
                               "specification</eventDescription></eventInformation></item>"
                               "</historyRecordSet>"))});

  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  Rules({});
  EXPECT_EQ(done["status"], "complete_with_error") << done.dump();
  EXPECT_THAT(done.value("message", ""), HasSubstr("0 of 3 machine(s) running"));
  EXPECT_THAT(done.value("message", ""),
              HasSubstr("allLaunchSpecsTemporarilyBlacklisted: InsufficientInstanceCapacity"));
  for (const auto& m : done["machines"]) EXPECT_EQ(m["result"], "fail") << m.dump();
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(SpotFleetProviderTest,
       AnExpiredFleetLeftShortEndsWithErrorNamingTheExpiryViaProxyBecauseMotoNeverExpiresFleets) {
  PluginWorld plugin(*world_, {});
  model::Template t = SpotFleetTemplate("Spot", FleetType::kMaintain);
  t.spot_fleet_request_expiry = 1;
  ASSERT_NO_FATAL_FAILURE(AddOnFirstSubnet(plugin, t));

  const std::string id = plugin.Request("Spot", 3);
  const std::string fleet_id = Stored(plugin, id).created.resource_id;
  ASSERT_FALSE(fleet_id.empty());
  auto members = ec2::DescribeSpotFleetInstances(client(), fleet_id);
  ASSERT_TRUE(members.ok());
  ASSERT_THAT(*members, SizeIs(3));
  ASSERT_TRUE(ec2::TerminateInstances(client(), {(*members)[0].instance_id}).ok());
  // How AWS describes the fleet once its ValidUntil has passed (moto never expires one).
  Rules({Respond("DescribeSpotFleetRequests",
                 Ec2Answer("DescribeSpotFleetRequests",
                           "<spotFleetRequestConfigSet><item><spotFleetRequestId>" + fleet_id +
                               "</spotFleetRequestId><spotFleetRequestState>cancelled_running"
                               "</spotFleetRequestState><spotFleetRequestConfig><targetCapacity>3"
                               "</targetCapacity><fulfilledCapacity>2.0</fulfilledCapacity>"
                               "<type>maintain</type><validUntil>2020-01-01T00:00:00.000Z"
                               "</validUntil></spotFleetRequestConfig><tagSet><item><key>"
                               "ohfp:request-id</key><value>" +
                               id + "</value></item></tagSet></item></spotFleetRequestConfigSet>")),
         Respond("DescribeSpotFleetRequestHistory",
                 Ec2Answer("DescribeSpotFleetRequestHistory",
                           "<historyRecordSet></historyRecordSet>"))});

  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  EXPECT_EQ(done["status"], "complete_with_error") << done.dump();
  EXPECT_THAT(done.value("message", ""),
              HasSubstr("is cancelled_running with 2 of 3 units: it expired at "
                        "2020-01-01T00:00:00Z (spotFleetRequestExpiry)"));
  EXPECT_THAT(done.value("message", ""), HasSubstr("2 of 3 machine(s) running"));

  Rules({});
  const nlohmann::ordered_json kept = Succeeded(done["machines"]);
  ASSERT_THAT(kept, SizeIs(2));
  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(kept))["status"], "complete");
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

// The state a crash between the two steps of a return leaves: the fleet's target is lowered but the
// instance is not terminated (here every try of the TerminateInstances call fails). The next
// getRequestStatus of the return request finishes it: exactly that instance is terminated and the
// target is not lowered a second time.
TEST_F(SpotFleetProviderTest, AReturnInterruptedAfterTheTargetWentDownIsFinishedLoweringOnce) {
  PluginWorld plugin(*world_, {});
  ASSERT_NO_FATAL_FAILURE(
      AddOnFirstSubnet(plugin, SpotFleetTemplate("Spot", FleetType::kMaintain)));
  const std::string id = plugin.Request("Spot", 3);
  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  const std::string fleet_id = Stored(plugin, id).created.resource_id;
  const std::string victim = done["machines"][0]["machineId"].get<std::string>();
  const nlohmann::ordered_json kept = Split(done["machines"], 1).second;

  // Every attempt of one TerminateInstances call (the pipeline makes 4) fails.
  Rules({{{"name", "terminate-fails"},
          {"match", {{"action", "TerminateInstances"}}},
          {"max_hits", 4},
          {"fault", {{"type", "error"}, {"status", 500}, {"code", "InternalError"}}}}});
  hostfactory::CommandResult r = plugin.service().RequestReturnMachines({{"", victim}});
  ASSERT_EQ(r.exit_code, kExitOk) << r.output.dump();
  EXPECT_THAT(r.output.value("message", ""), HasSubstr("not confirmed yet"));
  EXPECT_EQ(Fleet(fleet_id).target_capacity, 2) << "lowered first";
  EXPECT_EQ(StatesOf({victim})[victim], "running") << "not terminated yet";

  Rules({});
  EXPECT_EQ(plugin.PollReturnUntilDone(r.output.value("requestId", ""))["status"], "complete");
  EXPECT_THAT(StatesOf({victim})[victim], ::testing::AnyOf("shutting-down", "terminated"));
  EXPECT_EQ(Fleet(fleet_id).target_capacity, 2) << "lowered once";
  EXPECT_EQ(Stats()["actions"]["ModifySpotFleetRequest"]["forwarded"].get<int>(), 1);
  EXPECT_THAT(LiveInMoto(plugin), UnorderedElementsAreArray(IdsOf(kept)));

  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(kept))["status"], "complete");
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(SpotFleetProviderTest, ALostRequestSpotFleetAnswerIsSettledByTagWithOneFleetViaProxy) {
  PluginWorld plugin(*world_, {});
  model::Template t = SpotFleetTemplate("Spot", FleetType::kMaintain);
  t.spot_fleet_request_expiry = 60;
  ASSERT_NO_FATAL_FAILURE(AddOnFirstSubnet(plugin, t));
  // Every answer to RequestSpotFleet is lost: moto runs the first, the proxy replays the others'
  // (same ClientToken) and drops them too. requestMachines cannot tell whether it launched.
  Rules({{{"name", "lost"},
          {"match", {{"action", "RequestSpotFleet"}}},
          {"fault", {{"type", "drop_response"}}}}});

  const std::string id = plugin.Request("Spot", 2);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(Stored(plugin, id).created.resource_id, "") << "the launch was not confirmed";
  ASSERT_THAT(AllFleets(), SizeIs(1)) << "moto ran it once";
  Rules({});
  const int launches_before = Stats()["actions"]["RequestSpotFleet"]["requests"].get<int>();

  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  EXPECT_THAT(done["machines"], SizeIs(2));
  EXPECT_EQ(Stats()["actions"]["RequestSpotFleet"]["requests"].get<int>(), launches_before)
      << "settled by looking the fleet up by tag, not by sending RequestSpotFleet again";
  EXPECT_THAT(plugin.Log(), HasSubstr("found by tag"));
  const std::vector<ec2::SpotFleetRequestDescription> fleets = AllFleets();
  ASSERT_THAT(fleets, SizeIs(1)) << "one Spot Fleet request, never two";
  const model::Request stored = Stored(plugin, id);
  EXPECT_EQ(stored.created.resource_id, fleets[0].spot_fleet_request_id) << "adopted";
  EXPECT_THAT(stored.created.launch_template_id, ::testing::StartsWith("lt-")) << "adopted";

  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(done["machines"]))["status"], "complete");
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

}  // namespace
}  // namespace ohfp::testing
