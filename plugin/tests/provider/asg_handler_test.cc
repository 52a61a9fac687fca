// AsgHandler without a network. First the CreateAutoScalingGroup request built from templates (each
// priceType, weights, subnets, tags, protection, refusals); then the handler's decisions against
// scripted AWS answers, for the paths moto cannot show: instances still Pending in the group, a
// group "Delete in progress", AlreadyExists, per-instance weights, a refused creation.
#include "provider/handlers/asg_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::provider {
namespace {

namespace as = aws::autoscaling;
using hostfactory::PriceType;
using hostfactory::ProviderApi;
using hostfactory::Template;
using resilience::ErrorKind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

// ---- The CreateAutoScalingGroup request
// -----------------------------------------------------------

Template AsgTemplate() {
  Template t;
  t.template_id = "Asg-C5";
  t.image_id = "ami-12c6146b";
  t.vm_type = "c5.large";
  t.subnet_ids = {"subnet-0123abcd", "subnet-4567cdef"};
  t.provider_api = ProviderApi::kAsg;
  return t;
}

LaunchSpec SpecFor(const Template& t, int count = 3) {
  LaunchSpec spec;
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
  t.allocation_strategy = "capacity-optimized";
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
  t.allocation_strategy = "price-capacity-optimized";
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
  t.allocation_strategy = "lowest-price";
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
  t.allocation_strategy = "prioritized";
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

// ---- The handler against scripted answers
// ---------------------------------------------------------

using Params = std::map<std::string, std::string>;

std::string Decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Params ParseForm(std::string_view body) {
  Params p;
  while (!body.empty()) {
    const std::size_t amp = std::min(body.find('&'), body.size());
    const std::string_view pair = body.substr(0, amp);
    const std::size_t eq = pair.find('=');
    p[Decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : Decode(pair.substr(eq + 1));
    body.remove_prefix(std::min(amp + 1, body.size()));
  }
  return p;
}

// The values of "<prefix>1", "<prefix>2", ... in order.
std::vector<std::string> Listed(const Params& p, const std::string& prefix) {
  std::vector<std::string> out;
  for (int n = 1;; ++n) {
    auto it = p.find(prefix + std::to_string(n));
    if (it == p.end()) return out;
    out.push_back(it->second);
  }
}

struct FakeInstance {
  std::string id;
  std::string state = "running";
  bool tagged = true;  // carries ohfp:request-id = req-7
};

struct FakeMember {
  std::string id;
  std::string lifecycle = "InService";
  std::string type = "c5.large";
  std::optional<int> weight{};
};

struct FakeGroup {
  std::string name = "ohfp-req-7";
  int min = 0;
  int max = 3;
  int desired = 3;
  std::string status{};
  std::vector<FakeMember> members{};
  std::vector<std::pair<std::string, int>> weights{};  // the policy's overrides, when weighted
};

// AWS as far as the handler needs it: groups and instances it describes, and every request it got.
class FakeAws final : public aws::HttpTransport {
 public:
  struct Call {
    std::string action;
    Params params;
  };
  using Handler = std::function<aws::HttpResponse(const Params&)>;

  void On(const std::string& action, Handler h) { handlers_[action] = std::move(h); }
  std::vector<Params> Calls(const std::string& action) const {
    std::lock_guard lock(mu_);
    std::vector<Params> out;
    for (const Call& c : calls_) {
      if (c.action == action) out.push_back(c.params);
    }
    return out;
  }
  std::vector<std::string> Actions() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const Call& c : calls_) out.push_back(c.action);
    return out;
  }

  resilience::Result<aws::HttpResponse> Send(const aws::HttpRequest& request, resilience::Deadline,
                                             std::stop_token) override {
    Params p = ParseForm(request.body);
    const std::string action = p["Action"];
    Handler h;
    {
      std::lock_guard lock(mu_);
      calls_.push_back({action, p});
      if (auto it = handlers_.find(action); it != handlers_.end()) h = it->second;
    }
    if (!h) {
      ADD_FAILURE() << "unscripted AWS action " << action;
      return resilience::Error(ErrorKind::kInternal, "Unscripted", action);
    }
    return h(p);
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, Handler> handlers_;
  std::vector<Call> calls_;
};

aws::HttpResponse Ok(std::string body) { return {200, {}, std::move(body)}; }
aws::HttpResponse QueryError(int status, const std::string& code, const std::string& message) {
  return {status,
          {},
          "<ErrorResponse><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message +
              "</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"};
}
aws::HttpResponse Empty(const std::string& action) {
  return Ok("<" + action + "Response><ResponseMetadata><RequestId>r-1</RequestId>" +
            "</ResponseMetadata></" + action + "Response>");
}

std::string GroupXml(const FakeGroup& g) {
  std::string x = "<member><AutoScalingGroupName>" + g.name + "</AutoScalingGroupName>" +
                  "<MinSize>" + std::to_string(g.min) + "</MinSize><MaxSize>" +
                  std::to_string(g.max) + "</MaxSize><DesiredCapacity>" +
                  std::to_string(g.desired) + "</DesiredCapacity>";
  if (!g.status.empty()) x += "<Status>" + g.status + "</Status>";
  if (!g.weights.empty()) {
    x += "<MixedInstancesPolicy><LaunchTemplate><LaunchTemplateSpecification>"
         "<LaunchTemplateId>lt-0aaa</LaunchTemplateId></LaunchTemplateSpecification><Overrides>";
    for (const auto& [type, w] : g.weights) {
      x += "<member><InstanceType>" + type + "</InstanceType><WeightedCapacity>" +
           std::to_string(w) + "</WeightedCapacity></member>";
    }
    x += "</Overrides></LaunchTemplate></MixedInstancesPolicy>";
  }
  x += "<Instances>";
  for (const FakeMember& m : g.members) {
    x += "<member><InstanceId>" + m.id + "</InstanceId><InstanceType>" + m.type +
         "</InstanceType><LifecycleState>" + m.lifecycle +
         "</LifecycleState><HealthStatus>Healthy</HealthStatus>"
         "<ProtectedFromScaleIn>true</ProtectedFromScaleIn>";
    if (m.weight) x += "<WeightedCapacity>" + std::to_string(*m.weight) + "</WeightedCapacity>";
    x += "</member>";
  }
  x += "</Instances><Tags><member><Key>ohfp:request-id</Key><Value>req-7</Value>"
       "<PropagateAtLaunch>true</PropagateAtLaunch></member></Tags></member>";
  return x;
}

std::string InstancesXml(const std::vector<FakeInstance>& instances) {
  std::string x = "<DescribeInstancesResponse><reservationSet><item><instancesSet>";
  for (const FakeInstance& i : instances) {
    x += "<item><instanceId>" + i.id + "</instanceId><instanceType>c5.large</instanceType>" +
         "<instanceState><name>" + i.state + "</name></instanceState><tagSet>";
    if (i.tagged) x += "<item><key>ohfp:request-id</key><value>req-7</value></item>";
    x += "</tagSet></item>";
  }
  return x + "</instancesSet></item></reservationSet></DescribeInstancesResponse>";
}

struct FakeActivity {
  std::string status;
  std::string message;
  std::string start = "2026-01-01T00:00:10Z";  // the ManualClock starts at 2026-01-01T00:00:00Z
};

// A DescribeScalingActivities answer, newest first as AWS lists them.
std::string ActivitiesXml(const std::vector<FakeActivity>& activities) {
  std::string x =
      "<DescribeScalingActivitiesResponse><DescribeScalingActivitiesResult><Activities>";
  for (const FakeActivity& a : activities) {
    x += "<member><ActivityId>a-1</ActivityId><AutoScalingGroupName>ohfp-req-7"
         "</AutoScalingGroupName><Description>Launching a new EC2 instance.  Status Reason: " +
         a.message +
         "</Description><Cause>At 2026-01-01T00:00:00Z a user request created an "
         "AutoScalingGroup</Cause><StartTime>" +
         a.start + "</StartTime><StatusCode>" + a.status + "</StatusCode>" +
         (a.message.empty() ? "" : "<StatusMessage>" + a.message + "</StatusMessage>") +
         "<Progress>100</Progress></member>";
  }
  return x + "</Activities></DescribeScalingActivitiesResult></DescribeScalingActivitiesResponse>";
}

class AsgHandlerTest : public ::testing::Test {
 protected:
  AsgHandlerTest()
      : credentials_(aws::Credentials{.access_key_id = "AKIDEXAMPLE", .secret_access_key = "s"}),
        pipeline_(Config(), {clock_, random_, store_}) {
    std::array<aws::Endpoint, aws::kAwsServiceCount> endpoints;
    endpoints[0] = {"http://127.0.0.1:9", "127.0.0.1:9", "ec2", "us-east-1", "test"};
    endpoints[1] = {"http://127.0.0.1:9", "127.0.0.1:9", "autoscaling", "us-east-1", "test"};
    endpoints[2] = {"http://127.0.0.1:9", "127.0.0.1:9", "monitoring", "us-east-1", "test"};
    client_ =
        std::make_unique<aws::AwsClient>("us-east-1", endpoints,
                                         aws::AwsClientDependencies{.transport = aws_,
                                                                    .credentials = credentials_,
                                                                    .clock = clock_,
                                                                    .pipeline = pipeline_});
    handler_ = std::make_unique<AsgHandler>(*client_, clock_);
    request_.id = "req-7";
    request_.provider_api = "ASG";
    request_.machine_count = 3;
    request_.resource_id = "ohfp-req-7";

    // The group and the EC2 instances, as the tests set them.
    aws_.On("DescribeAutoScalingGroups", [this](const Params& p) {
      std::string x =
          "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>"
          "<AutoScalingGroups>";
      if (group_ && p.count("AutoScalingGroupNames.member.1") != 0 &&
          p.at("AutoScalingGroupNames.member.1") == group_->name) {
        x += GroupXml(*group_);
      }
      return Ok(x +
                "</AutoScalingGroups></DescribeAutoScalingGroupsResult>"
                "</DescribeAutoScalingGroupsResponse>");
    });
    aws_.On("DescribeInstances", [this](const Params& p) {
      std::vector<FakeInstance> out;
      const std::string filter = p.count("Filter.1.Name") != 0 ? p.at("Filter.1.Name") : "";
      const std::vector<std::string> values = Listed(p, "Filter.1.Value.");
      for (const FakeInstance& i : instances_) {
        const bool wanted = filter == "tag:ohfp:request-id"
                                ? i.tagged
                                : std::find(values.begin(), values.end(), i.id) != values.end();
        if (wanted) out.push_back(i);
      }
      return Ok(InstancesXml(out));
    });
    aws_.On("DescribeLaunchTemplates", [](const Params&) {
      return Ok(
          "<DescribeLaunchTemplatesResponse><launchTemplates><item>"
          "<launchTemplateId>lt-0aaa</launchTemplateId>"
          "<launchTemplateName>ohfp-req-7</launchTemplateName></item></launchTemplates>"
          "</DescribeLaunchTemplatesResponse>");
    });
    aws_.On("DeleteLaunchTemplate", [](const Params&) {
      return Ok(
          "<DeleteLaunchTemplateResponse><launchTemplate>"
          "<launchTemplateId>lt-0aaa</launchTemplateId>"
          "<launchTemplateName>ohfp-req-7</launchTemplateName></launchTemplate>"
          "</DeleteLaunchTemplateResponse>");
    });
    aws_.On("DetachInstances", [this](const Params& p) {
      // AWS: the instances leave the group, the target drops by their number.
      const std::vector<std::string> ids = Listed(p, "InstanceIds.member.");
      if (group_) {
        std::erase_if(group_->members, [&](const FakeMember& m) {
          return std::find(ids.begin(), ids.end(), m.id) != ids.end();
        });
        if (p.at("ShouldDecrementDesiredCapacity") == "true") {
          group_->desired -= static_cast<int>(ids.size());
        }
      }
      std::string x = "<DetachInstancesResponse><DetachInstancesResult><Activities>";
      for (const std::string& id : ids) {
        x += "<member><ActivityId>a-" + id +
             "</ActivityId><Description>Detaching EC2 instance: " + id +
             "</Description><StatusCode>InProgress</StatusCode></member>";
      }
      return Ok(x + "</Activities></DetachInstancesResult></DetachInstancesResponse>");
    });
    aws_.On("TerminateInstanceInAutoScalingGroup", [this](const Params& p) {
      const std::string id = p.at("InstanceId");
      if (group_) {
        if (p.at("ShouldDecrementDesiredCapacity") == "true") --group_->desired;
        for (FakeMember& m : group_->members) {
          if (m.id == id) m.lifecycle = "Terminating";
        }
      }
      return Ok(
          "<TerminateInstanceInAutoScalingGroupResponse>"
          "<TerminateInstanceInAutoScalingGroupResult><Activity><ActivityId>a-" +
          id +
          "</ActivityId></Activity></TerminateInstanceInAutoScalingGroupResult>"
          "</TerminateInstanceInAutoScalingGroupResponse>");
    });
    aws_.On("TerminateInstances", [](const Params& p) {
      std::string x = "<TerminateInstancesResponse><instancesSet>";
      for (const std::string& id : Listed(p, "InstanceId.")) {
        x += "<item><instanceId>" + id + "</instanceId><previousState><name>running</name>" +
             "</previousState><currentState><name>shutting-down</name></currentState></item>";
      }
      return Ok(x + "</instancesSet></TerminateInstancesResponse>");
    });
    aws_.On("UpdateAutoScalingGroup", [this](const Params& p) {
      if (group_) {
        if (p.count("DesiredCapacity") != 0) group_->desired = std::stoi(p.at("DesiredCapacity"));
        if (p.count("MaxSize") != 0) group_->max = std::stoi(p.at("MaxSize"));
        if (p.count("MinSize") != 0) group_->min = std::stoi(p.at("MinSize"));
      }
      return Empty("UpdateAutoScalingGroup");
    });
    aws_.On("DeleteAutoScalingGroup", [this](const Params&) {
      if (!group_)
        return QueryError(400, "ValidationError", "AutoScalingGroup name not found - null");
      group_.reset();
      return Empty("DeleteAutoScalingGroup");
    });
    aws_.On("CreateTags", [](const Params&) {
      return Ok("<CreateTagsResponse><return>true</return></CreateTagsResponse>");
    });
    aws_.On("DescribeScalingActivities", [](const Params&) { return Ok(ActivitiesXml({})); });
  }

  static resilience::ResilienceConfig Config() {
    resilience::ResilienceConfig c;
    c.retry.enabled = false;  // every scripted answer is the final one
    c.circuit_breaker.enabled = false;
    return c;
  }
  // Ids of every instance the handler asked EC2 to terminate.
  std::set<std::string> Terminated() const {
    std::set<std::string> out;
    for (const Params& p : aws_.Calls("TerminateInstances")) {
      for (const std::string& id : Listed(p, "InstanceId.")) out.insert(id);
    }
    return out;
  }

  resilience::ManualClock clock_;
  resilience::SeededRandom random_{3};
  resilience::InMemoryStateStore store_;
  FakeAws aws_;
  aws::StaticCredentialsProvider credentials_;
  resilience::ResiliencePipeline pipeline_;
  std::unique_ptr<aws::AwsClient> client_;
  std::unique_ptr<AsgHandler> handler_;
  store::RequestRecord request_;
  std::optional<FakeGroup> group_;
  std::vector<FakeInstance> instances_;
};

TEST_F(AsgHandlerTest, ReleaseDetachesInServiceEndsPendingInTheGroupAndTerminatesExactlyTheIds) {
  group_ = FakeGroup{.desired = 3,
                     .members = {{"i-a"}, {"i-b", "Pending"}, {"i-c"}, {"i-d", "Terminating"}}};
  instances_ = {{"i-a"}, {"i-b", "pending"}, {"i-c"}, {"i-e"}};
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
  EXPECT_THAT(Terminated(), UnorderedElementsAre("i-a", "i-b", "i-d", "i-e"));
  EXPECT_EQ(group_->desired, 1) << "lowered by the two taken out, so nothing replaces them";
  EXPECT_THAT(aws_.Calls("UpdateAutoScalingGroup"), IsEmpty());
  // Detach (or end) before terminating: a member terminated while in the group is replaced.
  const std::vector<std::string> order = aws_.Actions();
  const auto first_terminate = std::find(order.begin(), order.end(), "TerminateInstances");
  EXPECT_EQ(std::find(first_terminate, order.end(), "DetachInstances"), order.end());
}

TEST_F(AsgHandlerTest, ReleaseNeverTouchesAnInstanceItWasNotGiven) {
  group_ = FakeGroup{.desired = 3, .members = {{"i-a"}, {"i-b"}, {"i-c"}}};
  instances_ = {{"i-a"}, {"i-b"}, {"i-c"}};
  ASSERT_TRUE(handler_->Release(request_, {"i-b"}).ok());
  EXPECT_THAT(Terminated(), ElementsAre("i-b"));
  for (const Params& p : aws_.Calls("DetachInstances")) {
    EXPECT_THAT(Listed(p, "InstanceIds.member."), ElementsAre("i-b"));
  }
  EXPECT_THAT(aws_.Calls("TerminateInstanceInAutoScalingGroup"), IsEmpty());
  EXPECT_EQ(group_->members.size(), 2U);
}

TEST_F(AsgHandlerTest, ReleaseWithTheGroupGoneOnlyTerminates) {
  instances_ = {{"i-a"}};
  ASSERT_TRUE(handler_->Release(request_, {"i-a"}).ok());
  EXPECT_THAT(aws_.Calls("DetachInstances"), IsEmpty());
  EXPECT_THAT(Terminated(), ElementsAre("i-a"));
}

TEST_F(AsgHandlerTest, ReleaseFromAGroupBeingDeletedOnlyTerminates) {
  group_ =
      FakeGroup{.desired = 0, .status = "Delete in progress", .members = {{"i-a", "Terminating"}}};
  ASSERT_TRUE(handler_->Release(request_, {"i-a"}).ok());
  EXPECT_THAT(aws_.Calls("DetachInstances"), IsEmpty());
  EXPECT_THAT(Terminated(), ElementsAre("i-a"));
}

TEST_F(AsgHandlerTest, ReleaseFromAWeightedGroupLowersTheTargetByTheInstancesUnits) {
  // The fake, like AWS's documentation, decrements by the number of instances detached.
  group_ = FakeGroup{.max = 8,
                     .desired = 8,
                     .members = {{"i-a", "InService", "c5.xlarge"},
                                 {"i-b", "InService", "c5.2xlarge"},
                                 {"i-c", "InService", "c5.xlarge"}},
                     .weights = {{"c5.xlarge", 2}, {"c5.2xlarge", 4}}};
  ASSERT_TRUE(handler_->Release(request_, {"i-b"}).ok());
  const auto updates = aws_.Calls("UpdateAutoScalingGroup");
  ASSERT_EQ(updates.size(), 1U);
  EXPECT_EQ(updates[0].at("DesiredCapacity"), "4") << "8 units less the 4 of a c5.2xlarge";
  EXPECT_EQ(group_->desired, 4);
  EXPECT_THAT(Terminated(), ElementsAre("i-b"));
}

TEST_F(AsgHandlerTest, ReleaseWhoseDetachFindsAnInstanceGoneDetachesTheOthersOneByOne) {
  group_ = FakeGroup{.desired = 3, .members = {{"i-a"}, {"i-b"}, {"i-c"}}};
  int calls = 0;
  aws_.On("DetachInstances", [&](const Params& p) {
    if (++calls == 1) {
      // i-a left the group meanwhile (a spot interruption, say): AWS refuses the whole call.
      std::erase_if(group_->members, [](const FakeMember& m) { return m.id == "i-a"; });
      return QueryError(400, "ValidationError",
                        "The instance i-a is not part of Auto Scaling group ohfp-req-7.");
    }
    const std::vector<std::string> ids = Listed(p, "InstanceIds.member.");
    std::erase_if(group_->members, [&](const FakeMember& m) { return m.id == ids.at(0); });
    --group_->desired;
    return Ok(
        "<DetachInstancesResponse><DetachInstancesResult><Activities/>"
        "</DetachInstancesResult></DetachInstancesResponse>");
  });
  ASSERT_TRUE(handler_->Release(request_, {"i-a", "i-b"}).ok());
  const auto detach = aws_.Calls("DetachInstances");
  ASSERT_EQ(detach.size(), 2U);
  EXPECT_THAT(Listed(detach[1], "InstanceIds.member."), ElementsAre("i-b"));
  EXPECT_THAT(Terminated(), UnorderedElementsAre("i-a", "i-b"));
  EXPECT_EQ(group_->desired, 2);
}

TEST_F(AsgHandlerTest, ReleaseStopsBeforeTerminatingWhenTheDetachFails) {
  group_ = FakeGroup{.desired = 2, .members = {{"i-a"}, {"i-b"}}};
  aws_.On("DetachInstances",
          [](const Params&) { return QueryError(500, "InternalFailure", "try again"); });
  const auto s = handler_->Release(request_, {"i-a"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kTransient);
  EXPECT_THAT(aws_.Calls("TerminateInstances"), IsEmpty())
      << "terminating a member still in the group would make the group replace it";
}

TEST_F(AsgHandlerTest, ObserveCountsPendingAndInServiceMembersTowardsTheTarget) {
  group_ = FakeGroup{.desired = 3, .members = {{"i-a"}, {"i-b", "Pending"}}};
  instances_ = {{"i-a"}, {"i-b", "pending"}};
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling) << "2 of 3";
  EXPECT_EQ(seen->resource_id, "ohfp-req-7");
  EXPECT_FALSE(seen->running_capacity.has_value()) << "no weights";
  EXPECT_EQ(seen->instances.size(), 2U);

  group_->members.push_back({"i-c", "Pending"});
  instances_.push_back({"i-c", "pending"});
  seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling) << "3 of 3, one still pending (its machine is executing)";
}

TEST_F(AsgHandlerTest, ObserveOfAGroupShortOfItsTargetSaysWhyFromItsFailedActivities) {
  request_.created_at = 1767225600000;  // 2026-01-01T00:00:00Z, the ManualClock's start
  group_ = FakeGroup{.desired = 3, .members = {{"i-a"}}};
  instances_ = {{"i-a"}};
  const std::string no_capacity =
      "We currently do not have sufficient c5.large capacity in the Availability Zone you "
      "requested (us-east-1a). Launching EC2 instance failed.";
  aws_.On("DescribeScalingActivities", [&](const Params& p) {
    EXPECT_EQ(p.at("AutoScalingGroupName"), "ohfp-req-7");
    return Ok(ActivitiesXml({{"Failed", no_capacity},
                             {"Successful", ""},
                             {"Failed", no_capacity, "2026-01-01T00:00:05Z"},
                             {"Cancelled", "Spot price too low"},
                             {"Failed", "an earlier group's", "2025-12-31T23:00:00Z"}}));
  });
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling);
  EXPECT_THAT(seen->errors, ElementsAre("Auto Scaling activity Failed: " + no_capacity,
                                        "Auto Scaling activity Cancelled: Spot price too low"));

  group_->members.push_back({"i-b"});
  group_->members.push_back({"i-c"});
  const std::size_t asked = aws_.Calls("DescribeScalingActivities").size();
  seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
  EXPECT_THAT(seen->errors, IsEmpty());
  EXPECT_EQ(aws_.Calls("DescribeScalingActivities").size(), asked) << "at its target: not asked";
}

TEST_F(AsgHandlerTest, ObserveOfAShortGroupWhoseActivitiesCannotBeReadSaysSo) {
  group_ = FakeGroup{.desired = 3, .members = {{"i-a"}}};
  instances_ = {{"i-a"}};
  aws_.On("DescribeScalingActivities", [](const Params&) {
    return QueryError(403, "AccessDenied", "not authorized to DescribeScalingActivities");
  });
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_TRUE(seen->fulfilling);
  EXPECT_THAT(seen->errors, ElementsAre(HasSubstr("scaling activities could not be read")));
}

TEST_F(AsgHandlerTest, ARecordedGroupNotListedYetIsFulfillingUntilTheGraceEnds) {
  request_.created_at = 1767225600000;  // now, on the ManualClock
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
  group_ = FakeGroup{.desired = 1, .members = {{"i-a"}}};
  instances_ = {{"i-a", "running", /*tagged=*/false}};
  aws_.On("CreateTags", [](const Params&) {
    return QueryError(403, "UnauthorizedOperation", "not authorized to perform ec2:CreateTags");
  });
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  ASSERT_EQ(seen->instances.size(), 1U);
  EXPECT_EQ(seen->instances[0].instance_id, "i-a");
  EXPECT_FALSE(seen->fulfilling);

  aws_.On("CreateTags", [](const Params&) {
    return Ok("<CreateTagsResponse><return>true</return></CreateTagsResponse>");
  });
  seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->instances.at(0).TagValue("ohfp:request-id"), "req-7");
  EXPECT_EQ(aws_.Calls("CreateTags").size(), 2U);
}

TEST_F(AsgHandlerTest, ObserveOfAGroupBeingDeletedIsNotFulfilling) {
  group_ = FakeGroup{.desired = 3, .status = "Delete in progress"};
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_FALSE(seen->fulfilling);
}

TEST_F(AsgHandlerTest, ObserveFindsTheGroupByNameBeforeTheRequestRecordedIt) {
  request_.resource_id.clear();
  group_ = FakeGroup{.desired = 3};
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->resource_id, "ohfp-req-7");
  EXPECT_EQ(seen->launch_template_id, "lt-0aaa");
  EXPECT_TRUE(seen->fulfilling);

  group_.reset();
  seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  EXPECT_EQ(seen->resource_id, "") << "no group: nothing to adopt";
  EXPECT_FALSE(seen->fulfilling);
}

TEST_F(AsgHandlerTest, ObserveTagsAMemberThatLacksTheRequestTag) {
  group_ = FakeGroup{.desired = 1, .members = {{"i-a"}}};
  instances_ = {{"i-a", "running", /*tagged=*/false}};
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  ASSERT_EQ(seen->instances.size(), 1U);
  EXPECT_EQ(seen->instances[0].TagValue("ohfp:request-id"), "req-7");
  const auto tagged = aws_.Calls("CreateTags");
  ASSERT_EQ(tagged.size(), 1U);
  EXPECT_EQ(tagged[0].at("ResourceId.1"), "i-a");
}

TEST_F(AsgHandlerTest, ObserveOfAWeightedGroupCountsUnitsRunning) {
  group_ = FakeGroup{.max = 8,
                     .desired = 8,
                     .members = {{"i-a", "InService", "c5.xlarge"},
                                 {"i-b", "InService", "c5.2xlarge", 4},
                                 {"i-c", "Pending", "c5.xlarge"}},
                     .weights = {{"c5.xlarge", 2}, {"c5.2xlarge", 4}}};
  instances_ = {{"i-a"}, {"i-b"}, {"i-c", "pending"}};
  auto seen = handler_->Observe(request_);
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  ASSERT_TRUE(seen->running_capacity.has_value());
  EXPECT_DOUBLE_EQ(*seen->running_capacity, 6.0) << "2 + 4; the pending one does not count yet";
  EXPECT_FALSE(seen->fulfilling) << "2 + 4 + 2 units live of 8";
}

TEST_F(AsgHandlerTest, ShrinkLowersTargetAndMaximumToWhatIsKept) {
  group_ = FakeGroup{.max = 5, .desired = 5, .members = {{"i-a"}, {"i-b"}}};
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
  group_ = FakeGroup{.max = 8,
                     .desired = 8,
                     .members = {{"i-a", "InService", "c5.xlarge"}},
                     .weights = {{"c5.xlarge", 2}, {"c5.2xlarge", 4}}};
  ASSERT_TRUE(handler_->Shrink(request_, 1).ok());
  EXPECT_EQ(group_->desired, 2);
  EXPECT_EQ(group_->max, 2);
}

TEST_F(AsgHandlerTest, ShrinkToNothingDeletesTheGroupAndTheLaunchTemplate) {
  // The request ends without a machine: none will ever be returned to trigger the cleanup.
  group_ = FakeGroup{.max = 3, .desired = 3};
  ASSERT_TRUE(handler_->Shrink(request_, 0).ok());
  EXPECT_FALSE(group_.has_value()) << "deleted";
  const auto deletes = aws_.Calls("DeleteAutoScalingGroup");
  ASSERT_EQ(deletes.size(), 1U);
  EXPECT_EQ(deletes[0].at("ForceDelete"), "true");
  EXPECT_EQ(aws_.Calls("DeleteLaunchTemplate").size(), 1U);
  EXPECT_THAT(aws_.Calls("UpdateAutoScalingGroup"), IsEmpty());
}

TEST_F(AsgHandlerTest, ShrinkOfARecordedGroupNotListedYetIsToBeRetried) {
  request_.created_at = 1767225600000;  // now, on the ManualClock
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
  group_ = FakeGroup{.desired = 0};
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
  group_ = FakeGroup{.desired = 0, .status = "Delete in progress"};
  ASSERT_TRUE(handler_->Cleanup(request_).ok());
  EXPECT_THAT(aws_.Calls("DeleteAutoScalingGroup"), IsEmpty());
  EXPECT_EQ(aws_.Calls("DeleteLaunchTemplate").size(), 1U);
}

TEST_F(AsgHandlerTest, CleanupWhenTheGroupVanishesMeanwhileIsDone) {
  group_ = FakeGroup{.desired = 0};
  aws_.On("DeleteAutoScalingGroup", [](const Params&) {
    return QueryError(400, "ValidationError",
                      "AutoScalingGroup name not found - AutoScalingGroup 'ohfp-req-7' not found");
  });
  ASSERT_TRUE(handler_->Cleanup(request_).ok());
  EXPECT_EQ(aws_.Calls("DeleteLaunchTemplate").size(), 1U);
}

class AsgLaunchTest : public AsgHandlerTest {
 protected:
  AsgLaunchTest() : tmpl_(AsgTemplate()) {
    aws_.On("CreateLaunchTemplate", [](const Params&) {
      return Ok(
          "<CreateLaunchTemplateResponse><launchTemplate>"
          "<launchTemplateId>lt-0aaa</launchTemplateId>"
          "<launchTemplateName>ohfp-req-7</launchTemplateName></launchTemplate>"
          "</CreateLaunchTemplateResponse>");
    });
  }
  Template tmpl_;
};

TEST_F(AsgLaunchTest, LaunchCreatesTheLaunchTemplateThenTheGroupAndReportsBoth) {
  aws_.On("CreateAutoScalingGroup", [](const Params&) { return Empty("CreateAutoScalingGroup"); });
  auto out = handler_->Launch(SpecFor(tmpl_, 3));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->resource_id, "ohfp-req-7");
  EXPECT_EQ(out->launch_template_id, "lt-0aaa");
  EXPECT_THAT(out->instances, IsEmpty());
  EXPECT_THAT(aws_.Actions(), ElementsAre("CreateLaunchTemplate", "CreateAutoScalingGroup"));
  const auto created = aws_.Calls("CreateAutoScalingGroup");
  EXPECT_EQ(created[0].at("LaunchTemplate.LaunchTemplateId"), "lt-0aaa");
  EXPECT_EQ(created[0].at("NewInstancesProtectedFromScaleIn"), "true");
  EXPECT_EQ(created[0].at("VPCZoneIdentifier"), "subnet-0123abcd,subnet-4567cdef");
  EXPECT_EQ(created[0].at("DesiredCapacity"), "3");
}

TEST_F(AsgLaunchTest, LaunchAdoptsTheGroupWhenTheNameIsInUseViaScriptedAlreadyExists) {
  aws_.On("CreateAutoScalingGroup", [](const Params&) {
    return QueryError(400, "AlreadyExists",
                      "AutoScalingGroup by this name already exists - A group with the name "
                      "ohfp-req-7 already exists");
  });
  auto out = handler_->Launch(SpecFor(tmpl_, 3));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->resource_id, "ohfp-req-7");
  EXPECT_EQ(out->launch_template_id, "lt-0aaa");
  EXPECT_THAT(aws_.Calls("DeleteLaunchTemplate"), IsEmpty());
}

TEST_F(AsgLaunchTest, ARefusedGroupDeletesTheLaunchTemplateMadeForIt) {
  aws_.On("CreateAutoScalingGroup", [](const Params&) {
    return QueryError(400, "ValidationError", "The subnet ID 'subnet-0123abcd' does not exist");
  });
  auto out = handler_->Launch(SpecFor(tmpl_, 3));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kValidation);
  EXPECT_EQ(aws_.Calls("DeleteLaunchTemplate").size(), 1U);
}

TEST_F(AsgLaunchTest, AnUnansweredCreateKeepsTheLaunchTemplateForTheGroupThatMayExist) {
  aws_.On("CreateAutoScalingGroup",
          [](const Params&) { return QueryError(503, "ServiceUnavailable", "later"); });
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
  aws_.On("CreateAutoScalingGroup", [](const Params&) { return Empty("CreateAutoScalingGroup"); });
  auto out = handler_->Launch(SpecFor(tmpl_, 3));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->launch_template_id, "");
  EXPECT_THAT(aws_.Actions(), ElementsAre("CreateAutoScalingGroup"));
  EXPECT_THAT(aws_.Actions(), Not(::testing::Contains("CreateLaunchTemplate")));
}

}  // namespace
}  // namespace ohfp::provider
