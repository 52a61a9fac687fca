// What each providerApi sends to AWS for a launch, captured on the wire (AwsProvider over an
// AwsClient whose transport records every request and answers just enough): the root volume on the
// image's own root device — /dev/sda1 for one image, /dev/xvda for another, never a default — and
// the fields issue 12 added (IOPS, throughput, EBS optimisation, placement group, tenancy, a
// launch template version, Spot pools, the on-demand base, instance type priorities, the Name tag).
// A template that sets the root volume without a known root device sends nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "aws/http_transport.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/state_store.h"
#include "provider/aws_provider.h"
#include "provider/launch_verdict.h"

namespace ohfp::provider {
namespace {

using model::ProviderApi;
using ::testing::Contains;
using ::testing::Pair;
using Params = std::map<std::string, std::string>;

std::string Decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

Params ParseForm(std::string_view body) {
  Params p;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    const std::size_t eq = pair.find('=');
    p[Decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : Decode(pair.substr(eq + 1));
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
  }
  return p;
}

// Records every request and answers the launch calls of the four APIs.
class Wire final : public aws::HttpTransport {
 public:
  resilience::Result<aws::HttpResponse> Send(const aws::HttpRequest& request, resilience::Deadline,
                                             std::stop_token) override {
    Params p = ParseForm(request.body);
    const std::string action = p["Action"];
    {
      std::lock_guard lock(mu_);
      sent_.emplace_back(action, p);
    }
    return aws::HttpResponse{200, {}, Answer(action)};
  }
  std::vector<Params> Sent(const std::string& action) const {
    std::lock_guard lock(mu_);
    std::vector<Params> out;
    for (const auto& [a, p] : sent_) {
      if (a == action) out.push_back(p);
    }
    return out;
  }
  std::size_t Count() const {
    std::lock_guard lock(mu_);
    return sent_.size();
  }
  void Clear() {
    std::lock_guard lock(mu_);
    sent_.clear();
  }

 private:
  static std::string Answer(const std::string& action) {
    if (action == "RunInstances") {
      return "<RunInstancesResponse><reservationId>r-1</reservationId><instancesSet><item>"
             "<instanceId>i-0000000000000001</instanceId><instanceState><name>pending</name>"
             "</instanceState></item></instancesSet></RunInstancesResponse>";
    }
    if (action == "CreateLaunchTemplate") {
      return "<CreateLaunchTemplateResponse><launchTemplate><launchTemplateId>lt-0aaa"
             "</launchTemplateId><launchTemplateName>ohfp-req-1</launchTemplateName>"
             "</launchTemplate></CreateLaunchTemplateResponse>";
    }
    if (action == "CreateFleet") {
      return "<CreateFleetResponse><fleetId>fleet-1</fleetId></CreateFleetResponse>";
    }
    if (action == "RequestSpotFleet") {
      return "<RequestSpotFleetResponse><spotFleetRequestId>sfr-1</spotFleetRequestId>"
             "</RequestSpotFleetResponse>";
    }
    if (action == "DescribeSpotFleetInstances") {
      return "<DescribeSpotFleetInstancesResponse><activeInstanceSet/>"
             "</DescribeSpotFleetInstancesResponse>";
    }
    return "<" + action + "Response><ResponseMetadata><RequestId>r</RequestId>" +
           "</ResponseMetadata></" + action + "Response>";
  }

  mutable std::mutex mu_;
  std::vector<std::pair<std::string, Params>> sent_;
};

resilience::ResilienceConfig OneAttempt() {
  resilience::ResilienceConfig c;
  c.retry.enabled = false;
  return c;
}

class LaunchWire : public ::testing::Test {
 protected:
  LaunchWire()
      : credentials_(aws::Credentials{.access_key_id = "AKIDEXAMPLE", .secret_access_key = "s"}),
        pipeline_(OneAttempt(), {clock_, random_, store_}) {
    std::array<aws::Endpoint, aws::kAwsServiceCount> endpoints;
    endpoints[0] = {"http://127.0.0.1:9", "127.0.0.1:9", "ec2", "us-east-1", "test"};
    endpoints[1] = {"http://127.0.0.1:9", "127.0.0.1:9", "autoscaling", "us-east-1", "test"};
    endpoints[2] = {"http://127.0.0.1:9", "127.0.0.1:9", "monitoring", "us-east-1", "test"};
    client_ =
        std::make_unique<aws::AwsClient>("us-east-1", endpoints,
                                         aws::AwsClientDependencies{.transport = wire_,
                                                                    .credentials = credentials_,
                                                                    .clock = clock_,
                                                                    .pipeline = pipeline_});
    provider_ = std::make_unique<AwsProvider>(*client_, clock_);
  }

  static model::Template Sized(ProviderApi api) {
    model::Template t;
    t.template_id = "T";
    t.image_id = "ami-0000000a";
    t.vm_type = "c5.large";
    t.subnet_ids = {"subnet-0000000a"};
    t.root_device_volume_size = 100;
    t.volume_type = "gp3";
    t.iops = 4000;
    t.volume_throughput = 250;
    t.provider_api = api;
    if (api == ProviderApi::kSpotFleet) {
      t.price_type = model::PriceType::kSpot;
      t.fleet_role = "arn:aws:iam::123456789012:role/fleet";
    }
    return t;
  }
  resilience::Result<LaunchOutcome> Launch(const model::Template& t, std::string image,
                                           std::string device) {
    return provider_->Launch({.tmpl = &t,
                              .request_id = "req-1",
                              .count = 2,
                              .client_token = "req-1-1",
                              .tags = {{"ohfp:request-id", "req-1"}, {"Name", "ohfp-T-req-1"}},
                              .image_id = std::move(image),
                              .root_device_name = std::move(device)});
  }
  // The parameters that carry the instances' settings: RunInstances' own, or ohfp's launch
  // template's (prefix "LaunchTemplateData.").
  std::pair<Params, std::string> LaunchParams(ProviderApi api) const {
    if (api == ProviderApi::kRunInstances) return {wire_.Sent("RunInstances").at(0), ""};
    return {wire_.Sent("CreateLaunchTemplate").at(0), "LaunchTemplateData."};
  }

  resilience::ManualClock clock_;
  resilience::SeededRandom random_{3};
  resilience::InMemoryStateStore store_;
  Wire wire_;
  aws::StaticCredentialsProvider credentials_;
  resilience::ResiliencePipeline pipeline_;
  std::unique_ptr<aws::AwsClient> client_;
  std::unique_ptr<AwsProvider> provider_;
};

constexpr ProviderApi kApis[] = {ProviderApi::kRunInstances, ProviderApi::kEc2Fleet,
                                 ProviderApi::kSpotFleet, ProviderApi::kAsg};

TEST_F(LaunchWire, TheRootVolumeGoesToTheImagesOwnRootDeviceOnEveryApi) {
  for (ProviderApi api : kApis) {
    for (const auto& [image, device] :
         {std::pair{"ami-0000000a", "/dev/sda1"}, std::pair{"ami-0000000b", "/dev/xvda"}}) {
      SCOPED_TRACE(std::string(model::ProviderApiName(api)) + " " + image);
      wire_.Clear();
      const model::Template t = Sized(api);
      const std::size_t before_calls = wire_.Count();
      ASSERT_TRUE(Launch(t, image, device).ok());
      ASSERT_GT(wire_.Count(), before_calls);
      const auto [p, prefix] = LaunchParams(api);
      const std::string bdm = prefix + "BlockDeviceMapping.1.";
      EXPECT_THAT(p, Contains(Pair(prefix + "ImageId", image)));
      EXPECT_THAT(p, Contains(Pair(bdm + "DeviceName", device)));
      EXPECT_THAT(p, Contains(Pair(bdm + "Ebs.VolumeSize", "100")));
      EXPECT_THAT(p, Contains(Pair(bdm + "Ebs.VolumeType", "gp3")));
      EXPECT_THAT(p, Contains(Pair(bdm + "Ebs.Iops", "4000")));
      EXPECT_THAT(p, Contains(Pair(bdm + "Ebs.Throughput", "250")));
      EXPECT_THAT(p, Contains(Pair(bdm + "Ebs.DeleteOnTermination", "true")));
      EXPECT_THAT(
          p, ::testing::Not(Contains(::testing::Key(prefix + "BlockDeviceMapping.2.DeviceName"))))
          << "one mapping: the root volume itself, not a second volume";
    }
  }
}

TEST_F(LaunchWire, WithoutTheRootDeviceNothingIsSent) {
  for (ProviderApi api : kApis) {
    SCOPED_TRACE(std::string(model::ProviderApiName(api)));
    const std::size_t before = wire_.Count();
    resilience::Result<LaunchOutcome> r = Launch(Sized(api), "ami-0000000a", "");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), resilience::ErrorKind::kValidation);
    EXPECT_EQ(r.error().code(), "RootDeviceUnknown");
    EXPECT_EQ(LaunchVerdictOf(r.error()), LaunchVerdict::kRefused);
    EXPECT_EQ(wire_.Count(), before) << "no launch call, no launch template";
  }
}

TEST_F(LaunchWire, EveryApiSendsEbsOptimisationPlacementAndTenancy) {
  for (ProviderApi api : kApis) {
    SCOPED_TRACE(std::string(model::ProviderApiName(api)));
    model::Template t = Sized(api);
    t.ebs_optimized = true;
    t.placement_group = "hpc";
    t.tenancy = model::Tenancy::kDedicated;
    ASSERT_TRUE(Launch(t, "ami-0000000a", "/dev/sda1").ok());
    const auto [p, prefix] = LaunchParams(api);
    EXPECT_THAT(p, Contains(Pair(prefix + "EbsOptimized", "true")));
    EXPECT_THAT(p, Contains(Pair(prefix + "Placement.GroupName", "hpc")));
    EXPECT_THAT(p, Contains(Pair(prefix + "Placement.Tenancy", "dedicated")));
    EXPECT_THAT(p, Contains(Pair(prefix + "TagSpecification.1.Tag.2.Key", "Name")));
    wire_.Clear();
  }
}

TEST_F(LaunchWire, ALaunchTemplateIsUsedAtItsVersion) {
  model::Template t = Sized(ProviderApi::kRunInstances);
  t.root_device_volume_size.reset();
  t.volume_type.clear();
  t.iops.reset();
  t.volume_throughput.reset();
  t.image_id.clear();
  t.launch_template_id = "lt-0123456789abcdef0";
  t.launch_template_version = "$Latest";
  ASSERT_TRUE(Launch(t, "", "").ok());
  const Params run = wire_.Sent("RunInstances").at(0);
  EXPECT_THAT(run, Contains(Pair("LaunchTemplate.LaunchTemplateId", "lt-0123456789abcdef0")));
  EXPECT_THAT(run, Contains(Pair("LaunchTemplate.Version", "$Latest")));
  EXPECT_THAT(run, ::testing::Not(Contains(::testing::Key("ImageId"))));
  t.provider_api = ProviderApi::kEc2Fleet;
  t.launch_template_version = "7";
  ASSERT_TRUE(Launch(t, "", "").ok());
  EXPECT_THAT(wire_.Sent("CreateLaunchTemplate"), ::testing::IsEmpty())
      << "the user's own template";
  EXPECT_THAT(wire_.Sent("CreateFleet").at(0),
              Contains(Pair("LaunchTemplateConfigs.1.LaunchTemplateSpecification.Version", "7")));
}

TEST_F(LaunchWire, SpotPoolsOnDemandBaseAndPrioritiesReachEachFleetApi) {
  model::Template t = Sized(ProviderApi::kEc2Fleet);
  t.price_type = model::PriceType::kSpot;
  t.vm_types = {{"c5.large", 1}, {"c5.xlarge", 2}};
  t.vm_type = "c5.large";
  t.pools_count = 3;
  t.allocation_strategy = model::AllocationStrategy::kLowestPrice;
  t.on_demand_base = 1;
  t.vm_types_on_demand = {{"m5.large", 1}};
  t.on_demand_allocation_strategy = model::AllocationStrategy::kPrioritized;
  ASSERT_TRUE(Launch(t, "ami-0000000a", "/dev/sda1").ok());
  const Params fleet = wire_.Sent("CreateFleet").at(0);
  EXPECT_THAT(fleet, Contains(Pair("SpotOptions.InstancePoolsToUseCount", "3")));
  EXPECT_THAT(fleet, Contains(Pair("SpotOptions.AllocationStrategy", "lowest-price")));
  EXPECT_THAT(fleet, Contains(Pair("OnDemandOptions.AllocationStrategy", "prioritized")));
  EXPECT_THAT(fleet, Contains(Pair("TargetCapacitySpecification.OnDemandTargetCapacity", "1")));
  EXPECT_THAT(fleet, Contains(Pair("TargetCapacitySpecification.SpotTargetCapacity", "1")));
  // The on-demand type first.
  const std::string o = "LaunchTemplateConfigs.1.Overrides.";
  EXPECT_THAT(fleet, Contains(Pair(o + "1.InstanceType", "m5.large")));
  EXPECT_THAT(fleet, Contains(Pair(o + "1.Priority", "0")));
  EXPECT_THAT(fleet, Contains(Pair(o + "3.InstanceType", "c5.xlarge")));
  EXPECT_THAT(fleet, Contains(Pair(o + "3.Priority", "2")));

  t.provider_api = ProviderApi::kSpotFleet;
  t.fleet_role = "arn:aws:iam::123456789012:role/fleet";
  ASSERT_TRUE(Launch(t, "ami-0000000a", "/dev/sda1").ok());
  const Params spot = wire_.Sent("RequestSpotFleet").at(0);
  const std::string c = "SpotFleetRequestConfig.";
  EXPECT_THAT(spot, Contains(Pair(c + "InstancePoolsToUseCount", "3")));
  EXPECT_THAT(spot, Contains(Pair(c + "OnDemandTargetCapacity", "1")));
  EXPECT_THAT(spot, Contains(Pair(c + "OnDemandAllocationStrategy", "prioritized")));
  EXPECT_THAT(spot,
              Contains(Pair(c + "LaunchTemplateConfigs.1.Overrides.1.InstanceType", "m5.large")));

  t.provider_api = ProviderApi::kAsg;
  t.fleet_role.clear();
  ASSERT_TRUE(Launch(t, "ami-0000000a", "/dev/sda1").ok());
  const Params group = wire_.Sent("CreateAutoScalingGroup").at(0);
  const std::string d = "MixedInstancesPolicy.InstancesDistribution.";
  EXPECT_THAT(group, Contains(Pair(d + "SpotInstancePools", "3")));
  EXPECT_THAT(group, Contains(Pair(d + "OnDemandBaseCapacity", "1")));
  EXPECT_THAT(group, Contains(Pair(d + "OnDemandAllocationStrategy", "prioritized")));
  EXPECT_THAT(group, Contains(Pair("MixedInstancesPolicy.LaunchTemplate.Overrides.member.1."
                                   "InstanceType",
                                   "m5.large")));
}

}  // namespace
}  // namespace ohfp::provider
