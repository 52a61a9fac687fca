// IBM's templates as IBM's reference writes them (Spectrum Symphony 7.3.2, "awsprov_templates.json
// reference"), and the fields sites add: the bare attribute form, the API IBM's plugin chooses
// when a template names no providerApi (and the messages that name the key to add when no choice
// is possible), and every field that used to be refused — read, checked against the API and the
// price type, and printed back by getAvailableTemplates so that it reads back the same.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/plugin_config.h"
#include "config/templates_file.h"
#include "hostfactory/contract.h"

namespace ohfp::config {
namespace {

using model::Template;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kRole = "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role";

// IBM's on-demand example, as its reference writes it (bare attributes, no providerApi).
json IbmOnDemand() {
  return json::parse(R"({
      "templateId": "Template-VM-SYMsmall", "maxNumber": 20,
      "attributes": {"type": "X86_64", "ncpus": 1, "nram": 1024, "rank": 0,
                     "priceInfo": "price:0.1,billingTimeUnitType:prorated_hour"},
      "imageId": "ami-f09fbde7", "rootDeviceVolumeSize": 100,
      "instanceTags": "company=abc;project=awscloud", "subnetId": "subnet-20069069",
      "vmType": "t2.micro", "keyName": "Sym-Key",
      "instanceProfile": "arn:aws:iam::123456789013:instance-profile/myRole",
      "securityGroupIds": ["sg-541fdc29"], "priceType": "ondemand"})");
}

// IBM's Spot example.
json IbmSpot() {
  json t = json::parse(R"({
      "templateId": "SpotTemplate-VM-SYM", "maxNumber": 10,
      "attributes": {"type": "X86_64", "ncpus": 2, "nram": 4096},
      "imageId": "ami-01e24be29428c15b2", "rootDeviceVolumeSize": 100,
      "subnetId": ["subnet-12a34b56", "subnet-123ab456789cdef01"],
      "vmTypes": {"t2.medium": 1, "a1.xlarge": 2}, "keyName": "Sym-Key", "priceType": "spot",
      "allocationStrategy": "lowestPrice", "spotFleetRequestExpiry": 40, "poolsCount": 1,
      "securityGroupIds": ["sg-e0d4b999"]})");
  t["fleetRole"] = kRole;
  return t;
}

std::vector<resilience::ConfigProblem> ProblemsOf(const json& t) {
  std::vector<resilience::ConfigProblem> problems;
  (void)ReadTemplates({{"templates", {t}}}, problems);
  return problems;
}

Template Valid(const json& t) {
  std::vector<resilience::ConfigProblem> problems;
  const model::TemplateSet set = ReadTemplates({{"templates", {t}}}, problems);
  EXPECT_THAT(problems, ::testing::IsEmpty()) << FormatProblems(problems) << "\n" << t.dump(2);
  return set.templates.empty() ? Template{} : set.templates.front();
}

// The one problem of `t`, without the "templates[0] (ID)." prefix: "field: message".
std::string OnlyProblem(const json& t) {
  const std::vector<resilience::ConfigProblem> problems = ProblemsOf(t);
  EXPECT_EQ(problems.size(), 1u) << FormatProblems(problems) << "\n" << t.dump(2);
  if (problems.empty()) return "";
  const std::string& path = problems.front().path;
  const std::size_t dot = path.find(").");
  return (dot == std::string::npos ? path : path.substr(dot + 2)) + ": " + problems.front().message;
}

// `t` with one more field.
json With(json t, const std::string& key, json value) {
  t[key] = std::move(value);
  return t;
}

json Without(json t, const std::string& key) {
  t.erase(key);
  return t;
}

// ---- Attributes: both forms ----

TEST(IbmTemplates, BareAttributesReadAsPairs) {
  const Template t = Valid(IbmOnDemand());
  EXPECT_THAT(
      t.attributes,
      ::testing::UnorderedElementsAre(
          model::Attribute{"type", "String", "X86_64"}, model::Attribute{"ncpus", "Numeric", "1"},
          model::Attribute{"nram", "Numeric", "1024"}, model::Attribute{"rank", "Numeric", "0"},
          model::Attribute{"priceInfo", "String", "price:0.1,billingTimeUnitType:prorated_hour"}));
  // Printed in the pair form, which HostFactory reads.
  const nlohmann::ordered_json printed = hostfactory::HostFactoryTemplateJson(t, 20);
  EXPECT_EQ(printed["attributes"]["ncpus"], nlohmann::ordered_json::array({"Numeric", "1"}));
  EXPECT_EQ(printed["attributes"]["type"], nlohmann::ordered_json::array({"String", "X86_64"}));
}

TEST(IbmTemplates, BareNumbersAndCountedStringsAreNumeric) {
  json t = IbmOnDemand();
  t["attributes"] = {
      {"ncpus", "2"}, {"nram", 4096}, {"ncores", "1"}, {"weight", 0.5}, {"zone", "a"}};
  const Template read = Valid(t);
  EXPECT_EQ(*read.FindAttribute("ncpus"), (model::Attribute{"ncpus", "Numeric", "2"}));
  EXPECT_EQ(*read.FindAttribute("ncores"), (model::Attribute{"ncores", "Numeric", "1"}));
  EXPECT_EQ(*read.FindAttribute("weight"), (model::Attribute{"weight", "Numeric", "0.5"}));
  EXPECT_EQ(*read.FindAttribute("zone"), (model::Attribute{"zone", "String", "a"}));
  t["attributes"]["ncpus"] = 0;
  EXPECT_EQ(OnlyProblem(t),
            "attributes.ncpus: must be a whole number above 0 (2, or [\"Numeric\", \"2\"]), got "
            "[\"Numeric\",\"0\"]");
  t["attributes"]["ncpus"] = "two";
  EXPECT_THAT(OnlyProblem(t), HasSubstr("attributes.ncpus: must be a whole number above 0"));
}

// ---- The API IBM's plugin chooses ----

TEST(IbmTemplates, WithoutProviderApiOnDemandIsRunInstances) {
  const Template t = Valid(IbmOnDemand());
  EXPECT_EQ(t.provider_api, model::ProviderApi::kRunInstances);
  EXPECT_TRUE(t.ibm_defaults);
  EXPECT_EQ(Valid(Without(IbmOnDemand(), "priceType")).provider_api,
            model::ProviderApi::kRunInstances);
}

TEST(IbmTemplates, WithoutProviderApiSpotIsASpotFleetWithIbmsDefaults) {
  const Template t = Valid(Without(IbmSpot(), "spotFleetRequestExpiry"));
  EXPECT_EQ(t.provider_api, model::ProviderApi::kSpotFleet);
  EXPECT_EQ(t.fleet_role, kRole);
  EXPECT_EQ(t.spot_fleet_request_expiry, 30) << "IBM's default expiry";
  EXPECT_EQ(Valid(IbmSpot()).spot_fleet_request_expiry, 40);
  // An explicit providerApi keeps ohfp's own defaults: no expiry.
  EXPECT_FALSE(Valid(With(Without(IbmSpot(), "spotFleetRequestExpiry"), "providerApi", "SpotFleet"))
                   .spot_fleet_request_expiry);
}

TEST(IbmTemplates, HeterogeneousWithoutProviderApiIsASpotFleetWithNoOnDemandShareByDefault) {
  json t = With(IbmSpot(), "priceType", "heterogeneous");
  t["vmTypesOnDemand"] = {{"t2.medium", 1}};
  const Template read = Valid(t);
  EXPECT_EQ(read.provider_api, model::ProviderApi::kSpotFleet);
  EXPECT_EQ(read.percent_on_demand, 0) << "IBM's default percentOnDemand";
  EXPECT_EQ(Valid(With(t, "percentOnDemand", 30)).percent_on_demand, 30);
  // With an explicit API ohfp asks for the share (the APIs' own defaults differ).
  EXPECT_THAT(OnlyProblem(With(t, "providerApi", "SpotFleet")),
              HasSubstr("percentOnDemand: is required with priceType heterogeneous"));
}

TEST(IbmTemplates, SpotWithoutFleetRoleNamesTheKeysToAdd) {
  EXPECT_EQ(OnlyProblem(Without(IbmSpot(), "fleetRole")),
            "fleetRole: is required: ohfp requests a template with priceType spot and no "
            "providerApi through a Spot Fleet, as IBM's plugin does, and a Spot Fleet needs the "
            "ARN of its IAM role; add fleetRole, or add providerApi (EC2Fleet or ASG; RunInstances "
            "for one-time Spot Instances)");
  // Either key makes the template valid.
  json ec2_fleet = With(Without(Without(IbmSpot(), "fleetRole"), "spotFleetRequestExpiry"),
                        "providerApi", "EC2Fleet");
  EXPECT_EQ(Valid(ec2_fleet).provider_api, model::ProviderApi::kEc2Fleet);
}

TEST(IbmTemplates, OnDemandWithSeveralTypesNamesTheKeyToAdd) {
  json t = Without(IbmOnDemand(), "vmType");
  t["vmTypes"] = {{"t2.micro", 1}, {"t3.micro", 1}};
  EXPECT_EQ(OnlyProblem(t),
            "vmTypes: RunInstances launches one instance type, and ohfp launches a template with "
            "priceType ondemand and no providerApi with RunInstances, as IBM's plugin does: use "
            "vmType, or add providerApi (EC2Fleet, SpotFleet or ASG)");
  EXPECT_EQ(Valid(With(t, "providerApi", "EC2Fleet")).vm_types.size(), 2u);
}

TEST(IbmTemplates, AnInvalidPriceTypeGivesOneProblemWithoutGuessingTheApi) {
  EXPECT_THAT(OnlyProblem(With(IbmSpot(), "priceType", "Spot")),
              HasSubstr("priceType: must be ondemand, spot or heterogeneous"));
}

// ---- interruptible and spotPrice (IBM LSF's spellings) ----

TEST(IbmTemplates, InterruptibleSaysSpotOrOnDemand) {
  json spot = Without(IbmSpot(), "priceType");
  EXPECT_EQ(Valid(With(spot, "interruptible", true)).price_type, model::PriceType::kSpot);
  EXPECT_EQ(Valid(With(spot, "interruptible", "true")).provider_api,
            model::ProviderApi::kSpotFleet);
  EXPECT_EQ(Valid(With(Without(IbmOnDemand(), "priceType"), "interruptible", false)).price_type,
            model::PriceType::kOnDemand);
  EXPECT_EQ(OnlyProblem(With(IbmOnDemand(), "interruptible", true)),
            "interruptible: true contradicts priceType ondemand; set one of them");
  EXPECT_THAT(OnlyProblem(With(IbmOnDemand(), "interruptible", "yes")),
              HasSubstr("interruptible: must be true or false"));
}

TEST(IbmTemplates, SpotPriceIsMaxSpotPriceAndMeansSpot) {
  json t = Without(IbmSpot(), "priceType");
  t["spotPrice"] = "0.04";
  const Template read = Valid(t);
  EXPECT_EQ(read.price_type, model::PriceType::kSpot);
  EXPECT_EQ(read.max_spot_price, "0.04");
  EXPECT_EQ(Valid(With(t, "maxSpotPrice", 0.04)).max_spot_price, "0.04");
  EXPECT_EQ(OnlyProblem(With(t, "maxSpotPrice", "0.05")),
            "spotPrice: is another name for maxSpotPrice, which says \"0.05\"; set one of them");
  EXPECT_EQ(OnlyProblem(With(IbmOnDemand(), "spotPrice", "0.04")),
            "spotPrice: applies to spot capacity only; priceType is ondemand");
}

// ---- Launch fields ----

TEST(IbmTemplates, UserDataInlineOrAScriptNotBoth) {
  EXPECT_EQ(Valid(With(IbmOnDemand(), "userData", "#!/bin/sh\necho hi\n")).user_data,
            "#!/bin/sh\necho hi\n");
  EXPECT_EQ(OnlyProblem(With(With(IbmOnDemand(), "userData", "x"), "userDataScript", "/a.sh")),
            "userData: set userData (the data itself) or userDataScript (a file holding it), not "
            "both");
  EXPECT_THAT(OnlyProblem(With(IbmOnDemand(), "userData", std::string(16385, 'x'))),
              HasSubstr("userData: is 16385 bytes; EC2 takes at most 16384 bytes"));
  EXPECT_THAT(OnlyProblem(With(IbmOnDemand(), "userData", "")), HasSubstr("must not be empty"));
}

TEST(IbmTemplates, EbsOptimizedTakesBooleansAndTheirStrings) {
  EXPECT_EQ(Valid(With(IbmOnDemand(), "ebsOptimized", true)).ebs_optimized, true);
  EXPECT_EQ(Valid(With(IbmOnDemand(), "ebsOptimized", "false")).ebs_optimized, false);
  EXPECT_FALSE(Valid(IbmOnDemand()).ebs_optimized.has_value());
  EXPECT_THAT(OnlyProblem(With(IbmOnDemand(), "ebsOptimized", 1)),
              HasSubstr("ebsOptimized: must be true or false"));
}

TEST(IbmTemplates, PlacementGroupUnderEitherName) {
  EXPECT_EQ(Valid(With(IbmOnDemand(), "placementGroupName", "hpc")).placement_group, "hpc");
  EXPECT_EQ(Valid(With(IbmOnDemand(), "pgrpName", "hpc")).placement_group, "hpc");
  EXPECT_EQ(Valid(With(With(IbmOnDemand(), "pgrpName", "hpc"), "placementGroupName", "hpc"))
                .placement_group,
            "hpc");
  EXPECT_EQ(OnlyProblem(With(With(IbmOnDemand(), "pgrpName", "a"), "placementGroupName", "b")),
            "pgrpName: is another name for placementGroupName, which says \"b\"; set one of them");
  EXPECT_THAT(OnlyProblem(With(IbmOnDemand(), "pgrpName", "")),
              HasSubstr("pgrpName: must be a placement group name of 1 to 255 characters"));
}

TEST(IbmTemplates, TenancyAndWhereAwsHasNoDedicatedHosts) {
  EXPECT_EQ(Valid(With(IbmOnDemand(), "tenancy", "dedicated")).tenancy, model::Tenancy::kDedicated);
  EXPECT_EQ(Valid(With(IbmOnDemand(), "tenancy", "host")).tenancy, model::Tenancy::kHost);
  EXPECT_EQ(Valid(With(IbmSpot(), "tenancy", "dedicated")).tenancy, model::Tenancy::kDedicated);
  EXPECT_EQ(OnlyProblem(With(IbmOnDemand(), "tenancy", "Dedicated")),
            "tenancy: must be default, dedicated or host, got \"Dedicated\" (names are "
            "case-sensitive: did you mean \"dedicated\"?)");
  EXPECT_EQ(OnlyProblem(With(IbmSpot(), "tenancy", "host")),
            "tenancy: host: Spot Instances cannot run on Dedicated Hosts (priceType is spot)");
  json asg = With(With(IbmOnDemand(), "providerApi", "ASG"), "tenancy", "host");
  EXPECT_THAT(OnlyProblem(asg), HasSubstr("tenancy: host: Auto Scaling launches onto Dedicated "
                                          "Hosts only through a host resource group"));
}

TEST(IbmTemplates, LaunchTemplateVersionBelongsToALaunchTemplate) {
  json t = With(IbmOnDemand(), "launchTemplateId", "lt-0123456789abcdef0");
  t.erase("rootDeviceVolumeSize");
  EXPECT_EQ(Valid(t).LaunchTemplateVersion(), "$Default");
  for (const json& v : {json("$Latest"), json("$Default"), json(3), json("12")}) {
    const std::string expected = v.is_string() ? v.get<std::string>() : v.dump();
    EXPECT_EQ(Valid(With(t, "launchTemplateVersion", v)).LaunchTemplateVersion(), expected);
  }
  for (const json& v : {json("latest"), json(0), json("1.5"), json("")}) {
    EXPECT_THAT(OnlyProblem(With(t, "launchTemplateVersion", v)),
                HasSubstr("launchTemplateVersion: must be \"$Default\", \"$Latest\" or a version"))
        << v;
  }
  EXPECT_EQ(OnlyProblem(With(IbmOnDemand(), "launchTemplateVersion", "$Latest")),
            "launchTemplateVersion: is the version of launchTemplateId, which is not set");
}

TEST(IbmTemplates, IopsAndThroughputWhereTheVolumeTypeTakesThem) {
  json t = IbmOnDemand();
  EXPECT_EQ(Valid(With(With(t, "volumeType", "io1"), "iops", 64000)).iops, 64000);
  EXPECT_EQ(Valid(With(With(t, "volumeType", "io2"), "iops", 256000)).iops, 256000);
  const Template gp3 =
      Valid(With(With(With(t, "volumeType", "gp3"), "iops", 3000), "volumeThroughput", 250));
  EXPECT_EQ(gp3.iops, 3000);
  EXPECT_EQ(gp3.volume_throughput, 250);
  EXPECT_EQ(OnlyProblem(With(With(t, "volumeType", "io1"), "iops", 64001)),
            "iops: with volumeType io1 must be between 100 and 64000, got 64001");
  EXPECT_EQ(OnlyProblem(With(With(t, "volumeType", "gp3"), "iops", 2000)),
            "iops: with volumeType gp3 must be between 3000 and 16000, got 2000");
  EXPECT_EQ(OnlyProblem(With(With(t, "volumeType", "gp2"), "iops", 3000)),
            "iops: applies to volumeType io1, io2 or gp3; volumeType is gp2");
  EXPECT_EQ(OnlyProblem(With(t, "iops", 3000)),
            "iops: needs volumeType io1, io2 or gp3 (without volumeType the volume keeps the "
            "image's type)");
  EXPECT_EQ(OnlyProblem(With(t, "volumeType", "io1")),
            "iops: is required with volumeType io1: the IOPS to provision (100 to 64000)");
  EXPECT_EQ(
      OnlyProblem(With(With(With(t, "volumeType", "io1"), "iops", 100), "volumeThroughput", 250)),
      "volumeThroughput: applies to volumeType gp3 only; volumeType is io1");
  EXPECT_EQ(OnlyProblem(With(With(t, "volumeType", "gp3"), "volumeThroughput", 1001)),
            "volumeThroughput: must be between 125 and 1000, got 1001");
}

TEST(IbmTemplates, TheRootVolumeNeedsTheImageToKnowItsDevice) {
  json t = Without(IbmOnDemand(), "imageId");
  t["launchTemplateId"] = "lt-0123456789abcdef0";
  EXPECT_EQ(OnlyProblem(t),
            "rootDeviceVolumeSize: needs imageId: ohfp sets the root volume on the image's own "
            "root device, which it reads from the image; give imageId, or set the volume in the "
            "launch template");
  EXPECT_TRUE(Valid(Without(t, "rootDeviceVolumeSize")).launch_template_id.size() > 0);
}

// ---- Capacity fields ----

TEST(IbmTemplates, OnDemandCapacityIsTheOnDemandBase) {
  for (const char* api : {"SpotFleet", "EC2Fleet"}) {
    json t = With(Without(IbmSpot(), "spotFleetRequestExpiry"), "providerApi", api);
    if (std::string(api) != "SpotFleet") t.erase("fleetRole");
    EXPECT_EQ(Valid(With(t, "onDemandCapacity", 2)).on_demand_base, 2) << api;
    // heterogeneous with an explicit API needs a share: either field gives it.
    EXPECT_EQ(
        Valid(With(With(t, "priceType", "heterogeneous"), "onDemandCapacity", 1)).on_demand_base,
        1);
  }
  EXPECT_EQ(OnlyProblem(With(IbmOnDemand(), "onDemandCapacity", 1)),
            "onDemandCapacity: RunInstances launches every instance of a request in one market; "
            "use EC2Fleet, SpotFleet or ASG");
  json fleet = With(IbmOnDemand(), "providerApi", "EC2Fleet");
  EXPECT_EQ(OnlyProblem(With(fleet, "onDemandCapacity", 1)),
            "onDemandCapacity: applies to priceType spot or heterogeneous (the on-demand share of "
            "a request); priceType is ondemand");
}

TEST(IbmTemplates, PoolsCountMeansLowestPrice) {
  const Template t = Valid(Without(IbmSpot(), "allocationStrategy"));
  EXPECT_EQ(t.pools_count, 1);
  EXPECT_EQ(t.allocation_strategy, model::AllocationStrategy::kLowestPrice)
      << "pools apply to lowest-price only";
  EXPECT_EQ(OnlyProblem(With(IbmSpot(), "allocationStrategy", "capacityOptimized")),
            "poolsCount: applies with allocationStrategy lowestPrice only (AWS spreads "
            "lowest-price Spot capacity over that many pools); allocationStrategy is "
            "\"capacityOptimized\"");
  EXPECT_THAT(OnlyProblem(With(IbmOnDemand(), "poolsCount", 2)),
              HasSubstr("poolsCount: RunInstances has no Spot pools"));
  json fleet = With(With(IbmOnDemand(), "providerApi", "EC2Fleet"), "poolsCount", 2);
  EXPECT_EQ(OnlyProblem(fleet),
            "poolsCount: spreads Spot capacity over pools; priceType is "
            "ondemand");
  json asg = With(With(Without(Without(IbmSpot(), "fleetRole"), "spotFleetRequestExpiry"),
                       "providerApi", "ASG"),
                  "poolsCount", 21);
  EXPECT_EQ(OnlyProblem(asg),
            "poolsCount: Auto Scaling spreads over 1 to 20 Spot pools (SpotInstancePools), got 21");
}

TEST(IbmTemplates, AllocationStrategyOnDemand) {
  const Template t = Valid(With(IbmSpot(), "allocationStrategyOnDemand", "prioritized"));
  EXPECT_EQ(t.on_demand_allocation_strategy, model::AllocationStrategy::kPrioritized);
  EXPECT_EQ(model::OnDemandStrategyOf(t), model::AllocationStrategy::kPrioritized);
  EXPECT_EQ(Valid(With(IbmSpot(), "allocationStrategyOnDemand", "lowest-price"))
                .on_demand_allocation_strategy,
            model::AllocationStrategy::kLowestPrice);
  EXPECT_EQ(OnlyProblem(With(IbmSpot(), "allocationStrategyOnDemand", "diversified")),
            "allocationStrategyOnDemand: must be lowestPrice or prioritized, got \"diversified\"");
  json ondemand =
      With(With(IbmOnDemand(), "providerApi", "EC2Fleet"), "allocationStrategy", "prioritized");
  EXPECT_EQ(Valid(With(ondemand, "allocationStrategyOnDemand", "prioritized"))
                .on_demand_allocation_strategy,
            model::AllocationStrategy::kPrioritized);
  EXPECT_THAT(OnlyProblem(With(ondemand, "allocationStrategyOnDemand", "lowestPrice")),
              HasSubstr("allocationStrategyOnDemand: with priceType ondemand, allocationStrategy "
                        "is the on-demand strategy too"));
  EXPECT_THAT(OnlyProblem(With(IbmOnDemand(), "allocationStrategyOnDemand", "prioritized")),
              HasSubstr("allocationStrategyOnDemand: RunInstances has no allocation strategy"));
}

TEST(IbmTemplates, VmTypesOnDemandArePreferredForTheOnDemandPart) {
  json t = With(With(IbmSpot(), "priceType", "heterogeneous"), "percentOnDemand", 50);
  t["vmTypesOnDemand"] = {{"m5.large", 1}};
  const Template read = Valid(t);
  EXPECT_THAT(read.vm_types_on_demand, ::testing::ElementsAre(::testing::Pair("m5.large", 1.0)));
  EXPECT_EQ(read.on_demand_allocation_strategy, model::AllocationStrategy::kPrioritized);
  EXPECT_THAT(OnlyProblem(With(t, "allocationStrategyOnDemand", "lowestPrice")),
              HasSubstr("allocationStrategyOnDemand: lowestPrice ignores vmTypesOnDemand"));
  json ondemand = With(With(IbmOnDemand(), "providerApi", "EC2Fleet"), "vmTypesOnDemand",
                       json{{"m5.large", 1}});
  EXPECT_THAT(OnlyProblem(ondemand), HasSubstr("vmTypesOnDemand: names the types of the "
                                               "on-demand part of a spot or heterogeneous"));
  json asg = With(Without(Without(t, "fleetRole"), "spotFleetRequestExpiry"), "providerApi", "ASG");
  asg.erase("poolsCount");
  asg["vmTypesOnDemand"] = {{"m5.large", 1.5}};
  EXPECT_THAT(OnlyProblem(asg), HasSubstr("vmTypesOnDemand: ASG weights are whole numbers"));
}

TEST(IbmTemplates, VmTypesPriorityNamesKnownTypes) {
  json t = Without(IbmSpot(), "poolsCount");
  t.erase("allocationStrategy");
  t["vmTypesPriority"] = {{"a1.xlarge", 0}, {"t2.medium", 1}};
  const Template read = Valid(t);
  EXPECT_EQ(read.allocation_strategy, model::AllocationStrategy::kCapacityOptimizedPrioritized)
      << "priorities count only with a prioritized strategy";
  EXPECT_EQ(read.on_demand_allocation_strategy, model::AllocationStrategy::kPrioritized);
  EXPECT_EQ(OnlyProblem(With(t, "vmTypesPriority", json{{"c5.large", 0}})),
            "vmTypesPriority: names c5.large, which neither vmType, vmTypes nor vmTypesOnDemand "
            "names");
  EXPECT_THAT(OnlyProblem(With(t, "vmTypesPriority", json{{"t2.medium", -1}})),
              HasSubstr("vmTypesPriority.t2.medium: the priority must be a number of 0 or more"));
  EXPECT_THAT(OnlyProblem(With(IbmOnDemand(), "vmTypesPriority", json{{"t2.micro", 0}})),
              HasSubstr("vmTypesPriority: RunInstances launches one instance type"));
}

// ---- SSM parameters ----

TEST(IbmTemplates, ImageIdMayNameAnSsmParameter) {
  const std::string path = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
  Template t = Valid(With(IbmOnDemand(), "imageId", "resolve:ssm:" + path));
  EXPECT_EQ(t.image_parameter, path);
  EXPECT_EQ(t.image_id, "");
  EXPECT_EQ(t.ImageSpelling(), "resolve:ssm:" + path);
  EXPECT_EQ(Valid(With(IbmOnDemand(), "imageId", path)).image_parameter, path)
      << "a parameter path, as the Open Host Factory Plugin writes it";
  EXPECT_EQ(Valid(With(IbmOnDemand(), "imageId", "resolve:ssm:golden-ami:3")).image_parameter,
            "golden-ami:3");
  EXPECT_EQ(Valid(With(IbmOnDemand(), "imageId", "resolve:ssm:golden-ami:prod")).image_parameter,
            "golden-ami:prod");
  // Printed in one spelling, which reads back.
  nlohmann::ordered_json printed = hostfactory::HostFactoryTemplateJson(t, 1);
  printed.erase("availableNumber");
  EXPECT_EQ(printed["imageId"], "resolve:ssm:" + path);
  EXPECT_EQ(Valid(json::parse(printed.dump())).image_parameter, path);
  for (const char* bad :
       {"resolve:ssm:", "resolve:ssm:a b", "resolve:ssm:x:", "ssm:/a/b", "ami-XYZ", "golden-ami"}) {
    EXPECT_THAT(OnlyProblem(With(IbmOnDemand(), "imageId", bad)), HasSubstr("imageId: must "))
        << bad;
  }
  EXPECT_THAT(OnlyProblem(With(IbmOnDemand(), "imageId", "ami-XYZ")),
              HasSubstr("or an SSM parameter that names one (resolve:ssm:NAME, or a path"));
}

// ---- Printed back ----

TEST(IbmTemplates, EveryNewFieldIsPrintedAndReadsBack) {
  json t = With(With(IbmSpot(), "priceType", "heterogeneous"), "percentOnDemand", 25);
  t.erase("poolsCount");
  t.erase("allocationStrategy");
  t["onDemandCapacity"] = 1;
  t["vmTypesOnDemand"] = {{"m5.large", 1}};
  t["vmTypesPriority"] = {{"a1.xlarge", 0}};
  t["userData"] = "#!/bin/sh\n";
  t["volumeType"] = "gp3";
  t["iops"] = 4000;
  t["volumeThroughput"] = 300;
  t["ebsOptimized"] = true;
  t["pgrpName"] = "hpc";
  t["tenancy"] = "dedicated";
  t["launchTemplateId"] = "lt-0123456789abcdef0";
  t["launchTemplateVersion"] = 4;
  t["spotPrice"] = "0.1";
  t["interruptible"] = true;
  const Template original = Valid(t);
  nlohmann::ordered_json printed = hostfactory::HostFactoryTemplateJson(original, 10);
  printed.erase("availableNumber");
  for (const char* key :
       {"onDemandCapacity", "vmTypesOnDemand", "vmTypesPriority", "userData", "iops",
        "volumeThroughput", "ebsOptimized", "placementGroupName", "tenancy",
        "launchTemplateVersion", "maxSpotPrice", "allocationStrategyOnDemand", "providerApi"}) {
    EXPECT_TRUE(printed.contains(key)) << key;
  }
  const Template again = Valid(json::parse(printed.dump()));
  EXPECT_EQ(hostfactory::HostFactoryTemplateJson(again, 10),
            hostfactory::HostFactoryTemplateJson(original, 10));
  EXPECT_EQ(again.vm_types_priority, original.vm_types_priority);
  EXPECT_EQ(again.tenancy, original.tenancy);
}

}  // namespace
}  // namespace ohfp::config
