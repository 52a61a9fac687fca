// SpotFleetHandler without a network. SpotFleetRequestFor: the RequestSpotFleet request built from
// a template (each priceType, weights, overrides, strategies, ValidUntil from a ManualClock, tags,
// token). SpotFleetTargetAfterRelease and SpotFleetWeights: the arithmetic Release relies on.
// SpotFleetHandlerTest: the handler over an AwsClient whose transport is FakeEc2, a small
// in-memory EC2 that answers as AWS does where moto does not (it reports a fleet's type,
// activityStatus and validUntil, refuses to modify request fleets, keeps history, launches
// asynchronously), so the decisions are checked call by call, on a ManualClock.
#include "provider/handlers/spot_fleet_handler.h"

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
#include <vector>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "aws/http_transport.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::provider {
namespace {

namespace ec2 = aws::ec2;
using ec2::SpotFleetAllocationStrategy;
using ec2::SpotFleetExcessCapacityTerminationPolicy;
using ec2::SpotFleetOnDemandAllocationStrategy;
using ec2::SpotFleetType;
using ec2::Tag;
using hostfactory::FleetType;
using hostfactory::PriceType;
using hostfactory::ProviderApi;
using resilience::ErrorKind;
using resilience::ManualClock;
using resilience::SysTime;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kRole[] = "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role";

hostfactory::Template SpotTemplate() {
  hostfactory::Template t;
  t.template_id = "Spot-C5";
  t.image_id = "ami-12345678";
  t.vm_type = "c5.large";
  t.subnet_ids = {"subnet-0000000a"};
  t.price_type = PriceType::kSpot;
  t.fleet_role = kRole;
  t.provider_api = ProviderApi::kSpotFleet;
  t.fleet_type = FleetType::kMaintain;
  return t;
}

std::vector<Tag> RequestTags(const std::string& request_id) {
  return {
      {"ohfp:request-id", request_id}, {"ohfp:template-id", "Spot-C5"}, {"ohfp:provider", "aws"}};
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

// ---- SpotFleetRequestFor ----

TEST(SpotFleetRequestFor, SpotTemplateAsksForEverythingOnSpotWithTheDefaultStrategy) {
  const hostfactory::Template t = SpotTemplate();
  const ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 4), kOwnTemplate, {});
  EXPECT_EQ(r.client_token, "req-1-1");
  EXPECT_EQ(r.iam_fleet_role, kRole);
  EXPECT_EQ(r.target_capacity, 4);
  EXPECT_FALSE(r.on_demand_target_capacity.has_value());
  EXPECT_EQ(r.allocation_strategy, SpotFleetAllocationStrategy::kPriceCapacityOptimized);
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
  hostfactory::Template t = SpotTemplate();
  t.price_type = PriceType::kOnDemand;
  t.allocation_strategy = "lowest-price";
  const ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 5), kOwnTemplate, {});
  EXPECT_EQ(r.target_capacity, 5);
  EXPECT_EQ(r.on_demand_target_capacity, 5);
  EXPECT_EQ(r.on_demand_allocation_strategy, SpotFleetOnDemandAllocationStrategy::kLowestPrice);
  // Always sent (moto refuses a request without it); irrelevant with no spot capacity.
  EXPECT_EQ(r.allocation_strategy, SpotFleetAllocationStrategy::kPriceCapacityOptimized);
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
    hostfactory::Template t = SpotTemplate();
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
  hostfactory::Template t = SpotTemplate();
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
  hostfactory::Template t = SpotTemplate();
  t.vm_types = {{"c5.xlarge", 2.0}, {"m5.large", 0.5}};
  const ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 4), kOwnTemplate, {});
  std::vector<Tag> expected = RequestTags("req-1");
  expected.push_back({"ohfp:weight:c5.xlarge", "2"});
  expected.push_back({"ohfp:weight:m5.large", "0.5"});
  EXPECT_EQ(r.tags, expected);
  const auto weights = SpotFleetWeights(r.tags);
  EXPECT_EQ(weights.size(), 2U);
  EXPECT_EQ(weights.at("c5.xlarge"), 2.0);
  EXPECT_EQ(weights.at("m5.large"), 0.5);
}

TEST(SpotFleetRequestFor, EqualWeightsAreSentButNotTagged) {
  hostfactory::Template t = SpotTemplate();
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
  hostfactory::Template t = SpotTemplate();
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
  const hostfactory::Template t = SpotTemplate();
  const ec2::RequestSpotFleetRequest r =
      SpotFleetRequestFor(SpecFor(t, 2), kOwnTemplate, ManualClock().SystemNow());
  EXPECT_FALSE(r.valid_until.has_value());
  EXPECT_FALSE(r.terminate_instances_with_expiration.has_value());
}

TEST(SpotFleetRequestFor, MaintainFleetsNeverPickVictimsAndRequestFleetsLeaveThePolicyUnset) {
  hostfactory::Template t = SpotTemplate();
  t.fleet_type = FleetType::kMaintain;
  ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 2), kOwnTemplate, {});
  EXPECT_EQ(r.type, SpotFleetType::kMaintain);
  EXPECT_EQ(r.excess_capacity_termination_policy,
            SpotFleetExcessCapacityTerminationPolicy::kNoTermination);
  t.fleet_type = FleetType::kRequest;
  r = SpotFleetRequestFor(SpecFor(t, 2), kOwnTemplate, {});
  EXPECT_EQ(r.type, SpotFleetType::kRequest);
  EXPECT_FALSE(r.excess_capacity_termination_policy.has_value())
      << "AWS supports the policy on maintain fleets only";
}

TEST(SpotFleetRequestFor, EveryStrategySpellingMapsToItsSpotFleetValue) {
  const std::vector<std::pair<std::string, SpotFleetAllocationStrategy>> cases = {
      {"lowest-price", SpotFleetAllocationStrategy::kLowestPrice},
      {"diversified", SpotFleetAllocationStrategy::kDiversified},
      {"capacity-optimized", SpotFleetAllocationStrategy::kCapacityOptimized},
      {"capacity-optimized-prioritized",
       SpotFleetAllocationStrategy::kCapacityOptimizedPrioritized},
      {"price-capacity-optimized", SpotFleetAllocationStrategy::kPriceCapacityOptimized},
      {"capacityOptimized", SpotFleetAllocationStrategy::kCapacityOptimized},
      {"lowestPrice", SpotFleetAllocationStrategy::kLowestPrice}};
  for (const auto& [name, value] : cases) {
    hostfactory::Template t = SpotTemplate();
    t.allocation_strategy = name;
    EXPECT_EQ(SpotFleetRequestFor(SpecFor(t, 1), kOwnTemplate, {}).allocation_strategy, value)
        << name;
  }
}

TEST(SpotFleetRequestFor, PrioritizedStrategiesRankTypesInTemplateOrder) {
  hostfactory::Template t = SpotTemplate();
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}};
  t.subnet_ids = {"subnet-0000000a", "subnet-0000000b"};
  t.allocation_strategy = "capacity-optimized-prioritized";
  ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 4), kOwnTemplate, {});
  std::vector<std::optional<double>> priorities;
  for (const auto& o : r.launch_template_configs.at(0).overrides) priorities.push_back(o.priority);
  EXPECT_THAT(priorities, ElementsAre(0.0, 1.0, 0.0, 1.0));

  t.price_type = PriceType::kOnDemand;
  t.allocation_strategy = "prioritized";
  r = SpotFleetRequestFor(SpecFor(t, 4), kOwnTemplate, {});
  EXPECT_EQ(r.on_demand_allocation_strategy, SpotFleetOnDemandAllocationStrategy::kPrioritized);
  EXPECT_EQ(r.launch_template_configs.at(0).overrides.at(1).priority, 1.0);
}

TEST(SpotFleetRequestFor, TheSameSpecGivesTheSameRequestSoItsTokenCanBeReplayed) {
  hostfactory::Template t = SpotTemplate();
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
  hostfactory::Template t = SpotTemplate();
  t.launch_template_id = "lt-0aaaaaaaaaaaaaaaa";
  t.vm_type.clear();
  t.subnet_ids.clear();
  const RequestLaunchTemplate theirs{"lt-0aaaaaaaaaaaaaaaa", "$Default", false};
  ec2::RequestSpotFleetRequest r = SpotFleetRequestFor(SpecFor(t, 2), theirs, {});
  ASSERT_EQ(r.launch_template_configs.size(), 1U);
  EXPECT_EQ(r.launch_template_configs[0].launch_template.id, "lt-0aaaaaaaaaaaaaaaa");
  EXPECT_THAT(r.launch_template_configs[0].overrides, IsEmpty()) << "nothing to override";

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

struct FakeInstance {
  std::string type = "c5.large";
  std::string state = "running";
  std::string spot_request_id = "sir-1";
  std::vector<Tag> tags{};
};

struct FakeFleet {
  std::string id{};
  std::string state = "active";
  std::string type = "maintain";  // "" : not reported
  int target = 0;
  int on_demand_target = 0;
  double fulfilled = 0;
  std::string valid_until{};
  std::string activity{};
  std::vector<Tag> tags{};
  std::vector<std::string> members{};
};

struct FakeEvent {
  std::string type;
  std::string sub_type;
  std::string description;
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
  for (const Tag& t : tags)
    out += "<item><key>" + t.key + "</key><value>" + t.value + "</value></item>";
  return out + "</tagSet>";
}

// A small EC2 for the Spot Fleet handler: what AWS answers, as a state machine in memory.
class FakeEc2 final : public aws::HttpTransport {
 public:
  using Params = std::map<std::string, std::string>;

  std::map<std::string, FakeInstance> instances;
  std::vector<FakeFleet> fleets;
  std::map<std::string, std::pair<std::string, std::vector<Tag>>> templates;  // name -> id, tags
  std::vector<FakeEvent> history;
  // RequestSpotFleet: refuse with this code (HTTP 400), or launch this many instances at once.
  std::string refuse_request_with{};
  int launch_at_once = 0;
  // The next TerminateInstances fails with HTTP 503 (after the pipeline's retries: a failure).
  int terminate_failures = 0;
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
  FakeFleet* Fleet(const std::string& id) {
    for (FakeFleet& f : fleets) {
      if (f.id == id) return &f;
    }
    return nullptr;
  }
  // Adds a fleet member instance tagged with the request.
  void AddMember(FakeFleet& fleet, const std::string& id, const std::string& request_id,
                 std::string type = "c5.large") {
    instances[id] = FakeInstance{type, "running", "sir-" + id, RequestTags(request_id)};
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
  static bool HasTag(const std::vector<Tag>& tags, const std::string& key, const std::string& v) {
    for (const Tag& t : tags) {
      if (t.key == key && t.value == v) return true;
    }
    return false;
  }
  static void SetTags(std::vector<Tag>& tags, const std::vector<Tag>& add) {
    for (const Tag& a : add) {
      bool found = false;
      for (Tag& t : tags) {
        if (t.key == a.key) {
          t.value = a.value;
          found = true;
        }
      }
      if (!found) tags.push_back(a);
    }
  }
  std::string InstanceXml(const std::string& id, const FakeInstance& i) const {
    return "<item><instanceId>" + id + "</instanceId><instanceType>" + i.type +
           "</instanceType><instanceState><name>" + i.state + "</name></instanceState>" +
           (i.spot_request_id.empty() ? "" : "<instanceLifecycle>spot</instanceLifecycle>") +
           TagSet(i.tags) + "</item>";
  }
  std::string FleetXml(const FakeFleet& f) const {
    return "<item><spotFleetRequestId>" + f.id + "</spotFleetRequestId><spotFleetRequestState>" +
           f.state + "</spotFleetRequestState>" +
           (f.activity.empty() ? "" : "<activityStatus>" + f.activity + "</activityStatus>") +
           "<spotFleetRequestConfig><targetCapacity>" + std::to_string(f.target) +
           "</targetCapacity><onDemandTargetCapacity>" + std::to_string(f.on_demand_target) +
           "</onDemandTargetCapacity><fulfilledCapacity>" + std::to_string(f.fulfilled) +
           "</fulfilledCapacity>" + (f.type.empty() ? "" : "<type>" + f.type + "</type>") +
           (f.valid_until.empty() ? "" : "<validUntil>" + f.valid_until + "</validUntil>") +
           "</spotFleetRequestConfig>" + TagSet(f.tags) + "</item>";
  }

  aws::HttpResponse Answer(const std::string& action, const Params& p) {
    if (action == "CreateLaunchTemplate") {
      const std::string name = p.at("LaunchTemplateName");
      if (templates.count(name) != 0) {
        return Err(400, "InvalidLaunchTemplateName.AlreadyExistsException");
      }
      const std::string id = "lt-0" + std::to_string(100000000 + templates.size());
      templates[name] = {id, Tags(p, "TagSpecification.1.Tag")};
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
    if (action == "RequestSpotFleet") {
      if (!refuse_request_with.empty()) return Err(400, refuse_request_with);
      const std::string c = "SpotFleetRequestConfig.";
      FakeFleet f;
      f.id = "sfr-" + std::to_string(1000 + fleets.size());
      f.target = std::stoi(p.at(c + "TargetCapacity"));
      f.type = p.count(c + "Type") ? p.at(c + "Type") : "maintain";
      f.tags = Tags(p, c + "TagSpecification.1.Tag");
      std::string request_id;
      for (const Tag& t : f.tags) {
        if (t.key == "ohfp:request-id") request_id = t.value;
      }
      fleets.push_back(f);
      FakeFleet& added = fleets.back();
      for (int i = 0; i < launch_at_once; ++i) {
        AddMember(added, "i-" + added.id.substr(4) + std::to_string(i), request_id);
        added.fulfilled += 1;
      }
      return Ok(action, "<spotFleetRequestId>" + added.id + "</spotFleetRequestId>");
    }
    if (action == "DescribeSpotFleetRequests") {
      const std::vector<std::string> ids = List(p, "SpotFleetRequestId");
      std::string items;
      for (const FakeFleet& f : fleets) {
        if (ids.empty() || ids[0] == f.id) items += FleetXml(f);
      }
      if (!ids.empty() && items.empty()) return Err(400, "InvalidSpotFleetRequestId.NotFound");
      return Ok(action, "<spotFleetRequestConfigSet>" + items + "</spotFleetRequestConfigSet>");
    }
    if (action == "DescribeSpotFleetInstances") {
      FakeFleet* f = Fleet(p.at("SpotFleetRequestId"));
      if (f == nullptr) return Err(400, "InvalidSpotFleetRequestId.NotFound");
      std::string items;
      for (const std::string& id : f->members) {
        const FakeInstance& i = instances.at(id);
        if (i.state != "pending" && i.state != "running") continue;
        items +=
            "<item><instanceId>" + id + "</instanceId><instanceType>" + i.type + "</instanceType>" +
            (i.spot_request_id.empty()
                 ? ""
                 : "<spotInstanceRequestId>" + i.spot_request_id + "</spotInstanceRequestId>") +
            "</item>";
      }
      return Ok(action, "<activeInstanceSet>" + items + "</activeInstanceSet>");
    }
    if (action == "DescribeSpotFleetRequestHistory") {
      std::string items;
      for (const FakeEvent& e : history) {
        items += "<item><timestamp>2026-01-01T00:00:05.000Z</timestamp><eventType>" + e.type +
                 "</eventType><eventInformation><eventSubType>" + e.sub_type +
                 "</eventSubType><eventDescription>" + e.description +
                 "</eventDescription></eventInformation></item>";
      }
      return Ok(action, "<historyRecordSet>" + items + "</historyRecordSet>");
    }
    if (action == "ModifySpotFleetRequest") {
      FakeFleet* f = Fleet(p.at("SpotFleetRequestId"));
      if (f == nullptr) return Err(400, "InvalidSpotFleetRequestId.NotFound");
      if (f->type == "request") return Err(400, "InvalidParameterValue");  // maintain only
      f->target = std::stoi(p.at("TargetCapacity"));
      if (p.count("OnDemandTargetCapacity")) {
        f->on_demand_target = std::stoi(p.at("OnDemandTargetCapacity"));
      }
      return Ok(action, "<return>true</return>");
    }
    if (action == "CancelSpotFleetRequests") {
      std::string ok;
      for (const std::string& id : List(p, "SpotFleetRequestId")) {
        if (FakeFleet* f = Fleet(id)) {
          const bool terminate = p.at("TerminateInstances") == "true";
          f->state = terminate ? "cancelled_terminating" : "cancelled_running";
          for (const std::string& m : f->members) {
            FakeInstance& i = instances.at(m);
            if (terminate && (i.state == "pending" || i.state == "running")) {
              i.state = "shutting-down";
            }
          }
          ok += "<item><spotFleetRequestId>" + id +
                "</spotFleetRequestId>"
                "<currentSpotFleetRequestState>" +
                f->state +
                "</currentSpotFleetRequestState>"
                "<previousSpotFleetRequestState>active</previousSpotFleetRequestState></item>";
        }
      }
      return Ok(action, "<successfulFleetRequestSet>" + ok + "</successfulFleetRequestSet>");
    }
    if (action == "DescribeInstances") {
      std::string items;
      const std::string name = p.count("Filter.1.Name") ? p.at("Filter.1.Name") : "";
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
        FakeInstance& i = instances.at(id);
        items += "<item><instanceId>" + id + "</instanceId><previousState><name>" + i.state +
                 "</name></previousState><currentState><name>shutting-down</name></currentState>"
                 "</item>";
        i.state = "shutting-down";
        for (FakeFleet& f : fleets) {
          for (const std::string& m : f.members) {
            if (m == id) f.fulfilled -= 1;
          }
        }
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

class SpotFleetHandlerTest : public ::testing::Test {
 protected:
  SpotFleetHandlerTest()
      : credentials_(aws::Credentials{.access_key_id = "AKIDEXAMPLE", .secret_access_key = "s"}),
        pipeline_(Config(), {clock_, random_, store_}) {
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
    handler_ = std::make_unique<SpotFleetHandler>(*client_, clock_);
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
    r.template_id = "Spot-C5";
    r.machine_count = 4;
    r.provider_api = "SpotFleet";
    r.created_at =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.SystemNow().time_since_epoch())
            .count();
    r.resource_id = fleet_id;
    return r;
  }
  // A fleet of `n` running instances tagged with `request_id`, fulfilled.
  FakeFleet& Fleet(const std::string& request_id, int n, std::string type = "maintain") {
    FakeFleet f;
    f.id = "sfr-" + std::to_string(7000 + ec2_.fleets.size());
    f.target = n;
    f.fulfilled = n;
    f.type = std::move(type);
    f.tags = RequestTags(request_id);
    ec2_.fleets.push_back(f);
    FakeFleet& added = ec2_.fleets.back();
    for (int i = 0; i < n; ++i) {
      ec2_.AddMember(added, "i-" + std::to_string(i) + added.id.substr(4), request_id);
    }
    return added;
  }
  std::vector<std::string> Actions() const {
    std::vector<std::string> out;
    for (const auto& [a, p] : ec2_.calls) out.push_back(a);
    return out;
  }
  std::vector<std::string> Terminated(const FakeEc2::Params& call) const {
    std::vector<std::string> out;
    for (int i = 1; call.count("InstanceId." + std::to_string(i)); ++i) {
      out.push_back(call.at("InstanceId." + std::to_string(i)));
    }
    return out;
  }

  ManualClock clock_;
  resilience::SeededRandom random_{3};
  resilience::InMemoryStateStore store_;
  FakeEc2 ec2_;
  aws::StaticCredentialsProvider credentials_;
  resilience::ResiliencePipeline pipeline_;
  std::unique_ptr<aws::AwsClient> client_;
  std::unique_ptr<SpotFleetHandler> handler_;
};

TEST_F(SpotFleetHandlerTest, LaunchCreatesTheTemplateThenTheFleetAndReportsBoth) {
  const hostfactory::Template t = SpotTemplate();
  ec2_.launch_at_once = 2;
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(ec2_.templates.count("ohfp-req-1"), 1U);
  EXPECT_EQ(out->launch_template_id, ec2_.templates["ohfp-req-1"].first);
  ASSERT_EQ(ec2_.fleets.size(), 1U);
  EXPECT_EQ(out->resource_id, ec2_.fleets[0].id);
  EXPECT_EQ(out->instances.size(), 2U);
  const FakeEc2::Params sent = ec2_.Calls("RequestSpotFleet").at(0);
  EXPECT_EQ(sent.at("SpotFleetRequestConfig.ClientToken"), "req-1-1");
  EXPECT_EQ(sent.at("SpotFleetRequestConfig.LaunchTemplateConfigs.1.LaunchTemplateSpecification."
                    "LaunchTemplateId"),
            out->launch_template_id);
  EXPECT_EQ(sent.at("SpotFleetRequestConfig.ExcessCapacityTerminationPolicy"), "noTermination");
}

TEST_F(SpotFleetHandlerTest, LaunchSendsWhatMotoIgnoresOnTheWire) {
  hostfactory::Template t = SpotTemplate();
  t.price_type = PriceType::kHeterogeneous;
  t.percent_on_demand = 50;
  t.fleet_type = FleetType::kMaintain;
  t.spot_fleet_request_expiry = 30;
  t.vm_types = {{"c5.xlarge", 2.0}, {"c5.large", 1.0}};
  t.subnet_ids = {"subnet-0000000a", "subnet-0000000b"};
  t.max_spot_price = "0.40";
  clock_.Advance(std::chrono::milliseconds(2500));
  ASSERT_TRUE(handler_->Launch(SpecFor(t, 3, "req-1")).ok());
  const FakeEc2::Params p = ec2_.Calls("RequestSpotFleet").at(0);
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
  hostfactory::Template t = SpotTemplate();
  t.launch_template_id = "lt-0aaaaaaaaaaaaaaaa";
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(t, 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_TRUE(ec2_.templates.empty());
  EXPECT_EQ(out->launch_template_id, "");
  EXPECT_FALSE(out->resource_id.empty());
}

TEST_F(SpotFleetHandlerTest, LaunchAdoptsTheFleetOfItsTokenOnIdempotentParameterMismatch) {
  const FakeFleet& existing = Fleet("req-1", 2);
  const std::string existing_id = existing.id;
  ec2_.refuse_request_with = "IdempotentParameterMismatch";
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(SpotTemplate(), 2, "req-1"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->resource_id, existing_id);
  EXPECT_EQ(ec2_.fleets.size(), 1U);
}

TEST_F(SpotFleetHandlerTest, AMismatchWithoutAVisibleFleetIsAnUnknownOutcomeNotARefusal) {
  ec2_.refuse_request_with = "IdempotentParameterMismatch";
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(SpotTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kTransient) << out.error().ToString();
  EXPECT_EQ(ec2_.templates.size(), 1U) << "the fleet may exist: its template stays";
}

TEST_F(SpotFleetHandlerTest, ARefusedLaunchDeletesTheLaunchTemplateItCreated) {
  ec2_.refuse_request_with = "InvalidParameterValue";
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(SpotTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kValidation);
  EXPECT_TRUE(ec2_.templates.empty());
  EXPECT_TRUE(ec2_.fleets.empty());
}

TEST_F(SpotFleetHandlerTest, ACapacityRefusalKeepsTheLaunchTemplateForTheNextAttempt) {
  ec2_.refuse_request_with = "InsufficientInstanceCapacity";
  resilience::Result<LaunchOutcome> out = handler_->Launch(SpecFor(SpotTemplate(), 2, "req-1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kCapacity);
  EXPECT_EQ(ec2_.templates.size(), 1U);
}

TEST_F(SpotFleetHandlerTest, ObserveFindsTheFleetAndTemplateByTagWhenNoneIsRecorded) {
  Fleet("req-other", 1);
  const FakeFleet& fleet = Fleet("req-1", 2);
  ec2_.templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  resilience::Result<Observation> seen = handler_->Observe(Request("req-1"));
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
  FakeFleet& fleet = Fleet("req-1", 2);
  fleet.target = 4;
  ec2_.history = {{"instanceChange", "launched", "{}"},
                  {"error", "spotInstanceCountLimitExceeded", "Max spot instance count exceeded"},
                  {"information", "launchSpecUnusable", "c5.large, us-east-1a, Spot price too low"},
                  {"error", "spotInstanceCountLimitExceeded", "Max spot instance count exceeded"}};
  resilience::Result<Observation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling);
  EXPECT_THAT(seen->errors,
              ElementsAre("Spot Fleet error spotInstanceCountLimitExceeded: Max spot instance "
                          "count exceeded",
                          "Spot Fleet information launchSpecUnusable: c5.large, us-east-1a, Spot "
                          "price too low"));
}

TEST_F(SpotFleetHandlerTest, AnExpiredFleetLeftShortIsNotFulfillingAndSaysItExpired) {
  FakeFleet& fleet = Fleet("req-1", 1);
  fleet.target = 3;
  fleet.state = "cancelled_running";
  fleet.valid_until = "2025-12-31T23:30:00.000Z";  // the ManualClock says 2026-01-01T00:00:00Z
  resilience::Result<Observation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
  ASSERT_FALSE(seen->errors.empty());
  EXPECT_EQ(seen->errors[0], "Spot Fleet request " + fleet.id +
                                 " is cancelled_running with 1 of 3 units: it expired at "
                                 "2025-12-31T23:30:00Z (spotFleetRequestExpiry)");
}

TEST_F(SpotFleetHandlerTest, AFailedFleetWithActivityErrorSaysSo) {
  FakeFleet& fleet = Fleet("req-1", 0);
  fleet.target = 2;
  fleet.state = "failed";
  fleet.activity = "error";
  ec2_.history = {{"error", "iamFleetRoleInvalid", "The fleet role is not valid"}};
  resilience::Result<Observation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
  EXPECT_THAT(
      seen->errors,
      ElementsAre(HasSubstr("is failed with 0 of 2 units"), HasSubstr("activity status error"),
                  HasSubstr("iamFleetRoleInvalid: The fleet role is not valid")));
}

TEST_F(SpotFleetHandlerTest, ARecordedFleetNotListedYetIsFulfillingUntilTheGraceEnds) {
  const store::RequestRecord request = Request("req-1", "sfr-9999");
  resilience::Result<Observation> seen = handler_->Observe(request);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling);
  clock_.Advance(kFleetVisibilityGrace + std::chrono::seconds(1));
  seen = handler_->Observe(request);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
  EXPECT_THAT(seen->errors, ElementsAre("Spot Fleet request sfr-9999 no longer exists"));
}

TEST_F(SpotFleetHandlerTest, WeightedFleetsReportTheUnitsOfTheirRunningInstances) {
  FakeFleet& fleet = Fleet("req-1", 0);
  fleet.target = 5;
  fleet.fulfilled = 5;
  fleet.tags.push_back({"ohfp:weight:c5.xlarge", "2"});
  fleet.tags.push_back({"ohfp:weight:c5.large", "1"});
  ec2_.AddMember(fleet, "i-a", "req-1", "c5.xlarge");
  ec2_.AddMember(fleet, "i-b", "req-1", "c5.xlarge");
  ec2_.AddMember(fleet, "i-c", "req-1", "c5.large");
  ec2_.instances["i-c"].state = "pending";
  resilience::Result<Observation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->running_capacity, 4.0);
}

TEST_F(SpotFleetHandlerTest, FleetInstancesLaunchedUntaggedAreTaggedWithTheFleetsTags) {
  FakeFleet& fleet = Fleet("req-1", 1);
  ec2_.instances["i-u"] = FakeInstance{"c5.large", "running", "sir-u", {}};
  fleet.members.push_back("i-u");
  fleet.tags.push_back({"ohfp:weight:c5.large", "3"});
  resilience::Result<Observation> seen = handler_->Observe(Request("req-1", fleet.id));
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->instances.size(), 2U);
  EXPECT_EQ(ec2_.instances["i-u"].tags, RequestTags("req-1")) << "without the weight tags";
}

TEST_F(SpotFleetHandlerTest, ReleaseLowersAMaintainFleetFirstThenTerminatesExactlyTheReleased) {
  FakeFleet& fleet = Fleet("req-1", 4);
  const std::string id = fleet.id;
  const std::vector<std::string> members = fleet.members;
  ASSERT_TRUE(handler_->Release(Request("req-1", id), {members[0], members[2]}).ok());
  const std::vector<FakeEc2::Params> modify = ec2_.Calls("ModifySpotFleetRequest");
  ASSERT_EQ(modify.size(), 1U);
  EXPECT_EQ(modify[0].at("TargetCapacity"), "2");
  EXPECT_EQ(modify[0].at("ExcessCapacityTerminationPolicy"), "noTermination");
  const std::vector<FakeEc2::Params> terminate = ec2_.Calls("TerminateInstances");
  ASSERT_EQ(terminate.size(), 1U);
  EXPECT_THAT(Terminated(terminate[0]), UnorderedElementsAre(members[0], members[2]));
  const std::vector<std::string> actions = Actions();
  const auto position = [&](const char* action) {
    return std::distance(actions.begin(), std::find(actions.begin(), actions.end(), action));
  };
  EXPECT_LT(position("ModifySpotFleetRequest"), position("TerminateInstances"))
      << "the target is lowered before anything is terminated";
  EXPECT_EQ(ec2_.instances[members[1]].state, "running");
  EXPECT_EQ(ec2_.instances[members[3]].state, "running");
  EXPECT_EQ(ec2_.Fleet(id)->target, 2);
}

TEST_F(SpotFleetHandlerTest, ReleaseRepeatedAfterAFailedTerminateLowersTheTargetOnce) {
  FakeFleet& fleet = Fleet("req-1", 2);
  fleet.target = 4;  // short of its target: two more to come
  const std::string id = fleet.id;
  const std::string victim = fleet.members[0];
  ec2_.terminate_failures = 100;  // every attempt of the first call
  EXPECT_FALSE(handler_->Release(Request("req-1", id), {victim}).ok());
  EXPECT_EQ(ec2_.Fleet(id)->target, 3);
  ec2_.terminate_failures = 0;
  ASSERT_TRUE(handler_->Release(Request("req-1", id), {victim}).ok());
  EXPECT_EQ(ec2_.Fleet(id)->target, 3) << "lowered once, for one instance";
  EXPECT_EQ(ec2_.instances[victim].state, "shutting-down");
}

TEST_F(SpotFleetHandlerTest, ReleaseFromARequestFleetOnlyTerminatesBecauseAwsCannotModifyIt) {
  FakeFleet& fleet = Fleet("req-1", 3, "request");
  const std::vector<std::string> members = fleet.members;
  ASSERT_TRUE(handler_->Release(Request("req-1", fleet.id), {members[1]}).ok());
  EXPECT_TRUE(ec2_.Calls("ModifySpotFleetRequest").empty());
  ASSERT_EQ(ec2_.Calls("TerminateInstances").size(), 1U);
  EXPECT_THAT(Terminated(ec2_.Calls("TerminateInstances")[0]), ElementsAre(members[1]));
}

TEST_F(SpotFleetHandlerTest, ReleaseFromACancelledFleetOnlyTerminatesAndSkipsUnknownIds) {
  FakeFleet& fleet = Fleet("req-1", 2);
  fleet.state = "cancelled_running";
  const std::vector<std::string> members = fleet.members;
  ASSERT_TRUE(handler_->Release(Request("req-1", fleet.id), {members[0], "i-gone"}).ok());
  EXPECT_TRUE(ec2_.Calls("ModifySpotFleetRequest").empty());
  EXPECT_EQ(ec2_.instances[members[0]].state, "shutting-down");
  EXPECT_EQ(ec2_.instances[members[1]].state, "running");
}

TEST_F(SpotFleetHandlerTest, ReleaseOfWeightedInstancesLowersByTheirWeight) {
  FakeFleet& fleet = Fleet("req-1", 0);
  fleet.target = 6;
  fleet.fulfilled = 6;
  fleet.tags.push_back({"ohfp:weight:c5.xlarge", "2"});
  ec2_.AddMember(fleet, "i-a", "req-1", "c5.xlarge");
  ec2_.AddMember(fleet, "i-b", "req-1", "c5.xlarge");
  ec2_.AddMember(fleet, "i-c", "req-1", "c5.xlarge");
  ASSERT_TRUE(handler_->Release(Request("req-1", fleet.id), {"i-b"}).ok());
  EXPECT_EQ(ec2_.Fleet(fleet.id)->target, 4);
}

TEST_F(SpotFleetHandlerTest, ReleaseOfAnOnDemandInstanceLowersTheOnDemandTargetToo) {
  FakeFleet& fleet = Fleet("req-1", 3);
  fleet.on_demand_target = 1;
  ec2_.instances[fleet.members[0]].spot_request_id.clear();  // the on-demand one
  const std::string od = fleet.members[0];
  ASSERT_TRUE(handler_->Release(Request("req-1", fleet.id), {od}).ok());
  const FakeEc2::Params modify = ec2_.Calls("ModifySpotFleetRequest").at(0);
  EXPECT_EQ(modify.at("TargetCapacity"), "2");
  EXPECT_EQ(modify.at("OnDemandTargetCapacity"), "0");
}

TEST_F(SpotFleetHandlerTest, ShrinkLowersAMaintainFleetToWhatItKeepsWithoutTerminating) {
  FakeFleet& fleet = Fleet("req-1", 2);
  fleet.target = 4;
  ASSERT_TRUE(handler_->Shrink(Request("req-1", fleet.id), 2).ok());
  EXPECT_EQ(ec2_.Fleet(fleet.id)->target, 2);
  EXPECT_TRUE(ec2_.Calls("TerminateInstances").empty());
  EXPECT_TRUE(ec2_.Calls("CancelSpotFleetRequests").empty());
  ASSERT_TRUE(handler_->Shrink(Request("req-1", fleet.id), 2).ok());
  EXPECT_EQ(ec2_.Calls("ModifySpotFleetRequest").size(), 1U) << "already there: no call";
}

TEST_F(SpotFleetHandlerTest, ShrinkCancelsARequestFleetWithoutTerminatingItsInstances) {
  FakeFleet& fleet = Fleet("req-1", 1, "request");
  fleet.target = 3;
  ASSERT_TRUE(handler_->Shrink(Request("req-1", fleet.id), 1).ok());
  EXPECT_TRUE(ec2_.Calls("ModifySpotFleetRequest").empty());
  const std::vector<FakeEc2::Params> cancel = ec2_.Calls("CancelSpotFleetRequests");
  ASSERT_EQ(cancel.size(), 1U);
  EXPECT_EQ(cancel[0].at("TerminateInstances"), "false");
  EXPECT_EQ(ec2_.instances[fleet.members[0]].state, "running");
}

TEST_F(SpotFleetHandlerTest, ShrinkToNothingCancelsTheFleetAndDeletesTheTemplate) {
  // The request ends without a machine: none will ever be returned to trigger the cleanup.
  FakeFleet& fleet = Fleet("req-1", 0);
  fleet.target = 4;
  const std::string id = fleet.id;
  ec2_.templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  ASSERT_TRUE(handler_->Shrink(Request("req-1", id), 0).ok());
  EXPECT_EQ(ec2_.Fleet(id)->state, "cancelled_running");
  EXPECT_TRUE(ec2_.templates.empty());
  EXPECT_TRUE(ec2_.Calls("ModifySpotFleetRequest").empty());
}

TEST_F(SpotFleetHandlerTest, ShrinkOfARecordedFleetNotListedYetIsToBeRetried) {
  ec2_.templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  const store::RequestRecord request = Request("req-1", "sfr-9999");
  resilience::Status s = handler_->Shrink(request, 0);
  ASSERT_FALSE(s.ok()) << "it may still launch: not stopped yet";
  EXPECT_EQ(s.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(ec2_.templates.size(), 1U);
  clock_.Advance(kFleetVisibilityGrace + std::chrono::seconds(1));
  ASSERT_TRUE(handler_->Shrink(request, 0).ok()) << "gone";
  EXPECT_TRUE(ec2_.templates.empty());
}

TEST_F(SpotFleetHandlerTest, CleanupCancelsThenTerminatesWhatTheFleetStillRunsAndIsIdempotent) {
  FakeFleet& fleet = Fleet("req-1", 0);
  const std::string id = fleet.id;
  fleet.target = 1;
  fleet.fulfilled = 1;
  // A replacement HostFactory never had, launched untagged from the user's launch template.
  ec2_.instances["i-replacement"] = FakeInstance{"c5.large", "running", "sir-r", {}};
  fleet.members.push_back("i-replacement");
  ec2_.instances["i-returned"] = FakeInstance{"c5.large", "terminated", "sir-t", {}};
  fleet.members.push_back("i-returned");
  ec2_.templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  store::RequestRecord request = Request("req-1", id);
  request.launch_template_id = "lt-0111";
  ASSERT_TRUE(handler_->Cleanup(request).ok());
  EXPECT_EQ(ec2_.Fleet(id)->state, "cancelled_running");
  const std::vector<std::string> actions = Actions();
  const auto position = [&](const char* action) {
    return std::distance(actions.begin(), std::find(actions.begin(), actions.end(), action));
  };
  EXPECT_LT(position("CancelSpotFleetRequests"), position("TerminateInstances"))
      << "cancelled first: a maintain fleet would replace what is terminated";
  const std::vector<FakeEc2::Params> terminate = ec2_.Calls("TerminateInstances");
  ASSERT_EQ(terminate.size(), 1U);
  EXPECT_THAT(Terminated(terminate[0]), ElementsAre("i-replacement"))
      << "the request holds no machine: what the fleet still runs is nobody's";
  EXPECT_EQ(ec2_.instances["i-replacement"].state, "shutting-down");
  EXPECT_TRUE(ec2_.templates.empty());

  ASSERT_TRUE(handler_->Cleanup(request).ok());
  EXPECT_EQ(ec2_.Calls("CancelSpotFleetRequests").size(), 1U) << "cancelled already: no call";
  EXPECT_EQ(ec2_.Calls("TerminateInstances").size(), 1U) << "nothing live left: no call";
}

TEST_F(SpotFleetHandlerTest, CleanupOfAFleetCancelledWithoutItsInstancesTerminatesWhatItRuns) {
  FakeFleet& fleet = Fleet("req-1", 2);
  fleet.state = "cancelled_running";  // expired, or a request fleet stopped by Shrink
  const std::string id = fleet.id;
  const std::vector<std::string> members = fleet.members;
  ec2_.instances[members[0]].state = "terminated";  // returned by HostFactory
  ASSERT_TRUE(handler_->Cleanup(Request("req-1", id)).ok());
  EXPECT_TRUE(ec2_.Calls("CancelSpotFleetRequests").empty());
  const std::vector<FakeEc2::Params> terminate = ec2_.Calls("TerminateInstances");
  ASSERT_EQ(terminate.size(), 1U);
  EXPECT_THAT(Terminated(terminate[0]), ElementsAre(members[1]));
}

TEST_F(SpotFleetHandlerTest, CleanupOfAFleetAwsNoLongerKnowsOnlyDeletesTheTemplate) {
  ec2_.templates["ohfp-req-1"] = {"lt-0111", RequestTags("req-1")};
  ec2_.templates["users-own"] = {"lt-0222", {}};
  ASSERT_TRUE(handler_->Cleanup(Request("req-1", "sfr-0123456789abcdef0")).ok());
  EXPECT_TRUE(ec2_.Calls("CancelSpotFleetRequests").empty());
  EXPECT_EQ(ec2_.templates.size(), 1U);
  EXPECT_EQ(ec2_.templates.count("users-own"), 1U) << "a template ohfp did not create stays";
}

}  // namespace
}  // namespace ohfp::provider
