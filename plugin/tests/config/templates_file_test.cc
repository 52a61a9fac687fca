#include "config/templates_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "config/plugin_config.h"
#include "config_problems.h"
#include "hostfactory/contract.h"
#include "scratch_dir.h"

namespace ohfp::config {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- Helpers ----

// The template's allocation strategy as the templates file spells it, "" without one.
std::string StrategyOf(const model::Template& t) {
  return t.allocation_strategy ? std::string(model::AllocationStrategyName(*t.allocation_strategy))
                               : std::string();
}

// A valid RunInstances template; tests change one thing at a time. It names its providerApi: the
// API IBM's plugin would choose for a template without one is ibm_templates_test.cc's subject.
constexpr const char* kSubnet = "subnet-0123456789abcdef0";

json Minimal() {
  return json::parse(R"({
      "templateId": "T1",
      "providerApi": "RunInstances",
      "attributes": {"ncpus": ["Numeric", "2"], "nram": ["Numeric", "4096"]},
      "imageId": "ami-0123456789abcdef0",
      "vmType": "c5.large"})");
}

// A valid spot SpotFleet template.
json SpotFleet() {
  json t = Minimal();
  t.erase("vmType");
  t["providerApi"] = "SpotFleet";
  t["priceType"] = "spot";
  t["vmTypes"] = {{"c5.large", 1}, {"c5.xlarge", 2}};
  t["fleetRole"] = "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role";
  return t;
}

// `t` for `api`; an ASG template also gets the subnet it requires.
json WithApi(json t, const char* api) {
  t["providerApi"] = api;
  if (std::string_view(api) == "ASG" && !t.contains("subnetId")) t["subnetId"] = kSubnet;
  return t;
}

struct Read {
  model::TemplateSet set;
  std::vector<resilience::ConfigProblem> problems;
};

Read ReadList(const std::vector<json>& templates) {
  Read r;
  r.set = ReadTemplates({{"templates", templates}}, r.problems);
  return r;
}

Read ReadOne(const json& t) { return ReadList({t}); }

// The template, asserting that it read without problems.
model::Template ReadValid(const json& t) {
  Read r = ReadOne(t);
  EXPECT_THAT(r.problems, ::testing::IsEmpty()) << FormatProblems(r.problems) << "\n" << t.dump(2);
  return r.set.templates.empty() ? model::Template{} : r.set.templates.front();
}

// The one problem the template has: "path: message".
std::string OnlyProblem(const json& t) {
  Read r = ReadOne(t);
  EXPECT_EQ(r.problems.size(), 1u) << FormatProblems(r.problems) << "\n" << t.dump(2);
  return r.problems.empty() ? "" : r.problems.front().path + ": " + r.problems.front().message;
}

fs::path ExampleTemplates() {
  return fs::path(OHFP_SOURCE_DIR) / "config" / "examples" / "awsprov_templates.json";
}

// ---- Every field ----

TEST(Templates, ReadsEveryField) {
  const model::Template t = ReadValid(json::parse(R"({
      "templateId": "Mixed_C5-1",
      "maxNumber": 50,
      "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"], "nram": ["Numeric", "8192"],
                     "ncores": ["Numeric", "1"], "rank": ["Numeric", "0.5"], "zone": ["String", "a"]},
      "imageId": "ami-0123456789abcdef0",
      "subnetId": ["subnet-0123456789abcdef0", "subnet-0fedcba9"],
      "vmTypes": {"c5.xlarge": 1, "c5.2xlarge": 2.5},
      "priceType": "heterogeneous",
      "maxSpotPrice": "0.25",
      "keyName": "symphony-key",
      "securityGroupIds": ["sg-0123456789abcdef0", "sg-01234567"],
      "instanceTags": "project=symphony;team=hpc",
      "instanceProfile": "arn:aws:iam::123456789012:instance-profile/compute",
      "userDataScript": "/opt/hf/user_data.sh",
      "rootDeviceVolumeSize": 200,
      "volumeType": "gp3",
      "fleetRole": "arn:aws:iam::123456789012:role/spot-fleet",
      "allocationStrategy": "priceCapacityOptimized",
      "spotFleetRequestExpiry": 45,
      "percentOnDemand": 30,
      "launchTemplateId": "lt-0123456789abcdef0",
      "providerApi": "SpotFleet",
      "fleetType": "maintain"})"));
  EXPECT_EQ(t.template_id, "Mixed_C5-1");
  EXPECT_EQ(t.max_number, 50);
  EXPECT_THAT(t.attributes, ElementsAre(model::Attribute{"ncores", "Numeric", "1"},
                                        model::Attribute{"ncpus", "Numeric", "2"},
                                        model::Attribute{"nram", "Numeric", "8192"},
                                        model::Attribute{"rank", "Numeric", "0.5"},
                                        model::Attribute{"type", "String", "X86_64"},
                                        model::Attribute{"zone", "String", "a"}));
  EXPECT_EQ(t.image_id, "ami-0123456789abcdef0");
  EXPECT_THAT(t.subnet_ids, ElementsAre("subnet-0123456789abcdef0", "subnet-0fedcba9"));
  EXPECT_THAT(t.vm_types, ElementsAre(::testing::Pair("c5.2xlarge", 2.5),
                                      ::testing::Pair("c5.xlarge", 1.0)));  // json sorts keys
  EXPECT_EQ(t.vm_type, "c5.2xlarge");
  EXPECT_EQ(t.price_type, model::PriceType::kHeterogeneous);
  EXPECT_EQ(t.max_spot_price, "0.25");
  EXPECT_EQ(t.key_name, "symphony-key");
  EXPECT_THAT(t.security_group_ids, ElementsAre("sg-0123456789abcdef0", "sg-01234567"));
  EXPECT_THAT(t.instance_tags,
              ElementsAre(::testing::Pair("project", "symphony"), ::testing::Pair("team", "hpc")));
  EXPECT_EQ(t.instance_profile, "arn:aws:iam::123456789012:instance-profile/compute");
  EXPECT_EQ(t.user_data_script, "/opt/hf/user_data.sh");
  EXPECT_EQ(t.root_device_volume_size, 200);
  EXPECT_EQ(t.volume_type, "gp3");
  EXPECT_EQ(t.fleet_role, "arn:aws:iam::123456789012:role/spot-fleet");
  EXPECT_EQ(StrategyOf(t), "price-capacity-optimized");
  EXPECT_EQ(t.spot_fleet_request_expiry, 45);
  EXPECT_EQ(t.percent_on_demand, 30);
  EXPECT_EQ(t.launch_template_id, "lt-0123456789abcdef0");
  EXPECT_EQ(t.provider_api, model::ProviderApi::kSpotFleet);
  EXPECT_EQ(t.fleet_type, model::FleetType::kMaintain);
}

TEST(Templates, OptionalFieldsTakeTheirDefaults) {
  const model::Template t = ReadValid(Minimal());
  EXPECT_EQ(t.max_number, -1);
  EXPECT_EQ(t.price_type, model::PriceType::kOnDemand);
  EXPECT_EQ(t.provider_api, model::ProviderApi::kRunInstances);
  EXPECT_EQ(t.fleet_type, model::FleetType::kRequest);
  // "type" defaults to String X86_64, first.
  EXPECT_THAT(t.attributes, ElementsAre(model::Attribute{"type", "String", "X86_64"},
                                        model::Attribute{"ncpus", "Numeric", "2"},
                                        model::Attribute{"nram", "Numeric", "4096"}));
  EXPECT_THAT(t.subnet_ids, ::testing::IsEmpty());
  EXPECT_THAT(t.vm_types, ::testing::IsEmpty());
  EXPECT_EQ(t.vm_type, "c5.large");
  EXPECT_THAT(t.security_group_ids, ::testing::IsEmpty());
  EXPECT_THAT(t.instance_tags, ::testing::IsEmpty());
  EXPECT_EQ(t.root_device_volume_size, std::nullopt);
  EXPECT_EQ(t.spot_fleet_request_expiry, std::nullopt);
  EXPECT_EQ(t.percent_on_demand, std::nullopt);
  for (const std::string* s :
       {&t.max_spot_price, &t.key_name, &t.instance_profile, &t.user_data_script, &t.volume_type,
        &t.fleet_role, &t.launch_template_id}) {
    EXPECT_EQ(*s, "");
  }
  EXPECT_EQ(t.allocation_strategy, std::nullopt);
}

TEST(Templates, NamesAreTheDocumentedSpellings) {
  EXPECT_EQ(ProviderApiName(model::ProviderApi::kRunInstances), "RunInstances");
  EXPECT_EQ(ProviderApiName(model::ProviderApi::kEc2Fleet), "EC2Fleet");
  EXPECT_EQ(ProviderApiName(model::ProviderApi::kSpotFleet), "SpotFleet");
  EXPECT_EQ(ProviderApiName(model::ProviderApi::kAsg), "ASG");
  EXPECT_EQ(PriceTypeName(model::PriceType::kOnDemand), "ondemand");
  EXPECT_EQ(PriceTypeName(model::PriceType::kSpot), "spot");
  EXPECT_EQ(PriceTypeName(model::PriceType::kHeterogeneous), "heterogeneous");
  EXPECT_EQ(FleetTypeName(model::FleetType::kInstant), "instant");
  EXPECT_EQ(FleetTypeName(model::FleetType::kRequest), "request");
  EXPECT_EQ(FleetTypeName(model::FleetType::kMaintain), "maintain");
}

TEST(Templates, FindLooksUpTemplatesAndAttributes) {
  json second = Minimal();
  second["templateId"] = "T2";
  const Read r = ReadList({Minimal(), second});
  ASSERT_THAT(r.problems, ::testing::IsEmpty());
  ASSERT_NE(r.set.Find("T2"), nullptr);
  EXPECT_EQ(r.set.Find("T2"), &r.set.templates[1]);
  EXPECT_EQ(r.set.Find("t2"), nullptr);
  EXPECT_EQ(r.set.Find("T3"), nullptr);
  const model::Template& t = r.set.templates[0];
  ASSERT_NE(t.FindAttribute("nram"), nullptr);
  EXPECT_EQ(t.FindAttribute("nram")->value, "4096");
  EXPECT_EQ(t.FindAttribute("ncores"), nullptr);
}

// ---- templateId ----

TEST(Templates, TemplateIdIsRequiredAndChecked) {
  json t = Minimal();
  t.erase("templateId");
  EXPECT_EQ(OnlyProblem(t), "templates[0].templateId: is required");
  t["templateId"] = 7;
  EXPECT_EQ(OnlyProblem(t), "templates[0].templateId: must be a string, got an integer");
  t["templateId"] = "has space";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0].templateId: must be 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_', "
            "got \"has space\"");
  t["templateId"] = "";
  EXPECT_THAT(OnlyProblem(t), HasSubstr("must be 1 to 64 characters"));
  t["templateId"] = std::string(65, 'a');
  EXPECT_THAT(OnlyProblem(t), HasSubstr("templates[0].templateId: must be 1 to 64 characters"));
  t["templateId"] = std::string(64, 'a');
  EXPECT_EQ(ReadValid(t).template_id, std::string(64, 'a'));
  t["templateId"] = "Az09-_";
  EXPECT_EQ(ReadValid(t).template_id, "Az09-_");
}

TEST(Templates, TemplateIdsAreUnique) {
  json other = Minimal();
  other["templateId"] = "T2";
  const Read r = ReadList({Minimal(), other, Minimal()});
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].path, "templates[2] (T1).templateId");
  EXPECT_EQ(r.problems[0].message, "duplicates templates[0]: template ids must be unique");
}

TEST(Templates, ProblemPathsNameTheTemplate) {
  json t = Minimal();
  t["maxNumber"] = -5;
  json unnamed = Minimal();
  unnamed["templateId"] = "bad id";
  unnamed["maxNumber"] = "x";
  const Read r = ReadList({t, unnamed});
  EXPECT_THAT(Paths(r.problems),
              ::testing::UnorderedElementsAre("templates[0] (T1).maxNumber",
                                              "templates[1].templateId", "templates[1].maxNumber"));
}

// ---- maxNumber ----

TEST(Templates, MaxNumberIsMinusOneTo10000) {
  for (int n : {-1, 0, 1, 10000}) {
    json t = Minimal();
    t["maxNumber"] = n;
    EXPECT_EQ(ReadValid(t).max_number, n);
  }
  json t = Minimal();
  t["maxNumber"] = -2;
  EXPECT_EQ(OnlyProblem(t), "templates[0] (T1).maxNumber: must be between -1 and 10000, got -2");
  t["maxNumber"] = 10001;
  EXPECT_EQ(OnlyProblem(t), "templates[0] (T1).maxNumber: must be between -1 and 10000, got 10001");
  t["maxNumber"] = 2.5;
  EXPECT_EQ(OnlyProblem(t), "templates[0] (T1).maxNumber: must be an integer, got a number");
  t["maxNumber"] = "10";
  EXPECT_EQ(OnlyProblem(t), "templates[0] (T1).maxNumber: must be an integer, got a string");
}

// ---- attributes ----

TEST(Templates, NcpusAndNramComeFromTheInstanceTypeWhenTheFileOmitsThem) {
  json t = Minimal();
  t.erase("attributes");
  const model::Template read = ReadValid(t);  // ohfp reads them from DescribeInstanceTypes
  ASSERT_NE(read.FindAttribute("type"), nullptr);
  EXPECT_EQ(read.FindAttribute("type")->value, "X86_64");
  EXPECT_EQ(read.FindAttribute("ncpus"), nullptr);
  t["attributes"] = json::array();
  EXPECT_EQ(OnlyProblem(t), "templates[0] (T1).attributes: must be an object, got an array");
}

TEST(Templates, ATemplateWithoutAnInstanceTypeMustGiveNcpusAndNram) {
  json t = Minimal();
  t.erase("vmType");
  t.erase("imageId");
  t["launchTemplateId"] = "lt-0123456789abcdef0";
  t["attributes"] = {{"type", {"String", "X86_64"}}};
  const Read r = ReadOne(t);
  ASSERT_EQ(r.problems.size(), 2U) << FormatProblems(r.problems);
  EXPECT_EQ(r.problems[0].path, "templates[0] (T1).attributes");
  EXPECT_THAT(r.problems[0].message, HasSubstr("must give ncpus"));
  EXPECT_THAT(r.problems[1].message, HasSubstr("must give nram"));
}

TEST(Templates, AttributesArePairsOfTypeAndValue) {
  // IBM's bare form ("ncpus": 2) is ibm_templates_test.cc's subject; a boolean is neither form.
  const std::vector<std::pair<json, std::string>> cases = {
      {true,
       "must be a [type, value] pair such as [\"Numeric\", \"2\"] or [\"String\", \"X86_64\"], or "
       "a bare number or string as in IBM's reference (\"ncpus\": 2), got true"},
      {json::array({"Numeric"}), "must be a [type, value] pair"},
      {json::array({"Numeric", "2", "3"}), "must be a [type, value] pair"},
      {json::array({2, "2"}), "must be a [type, value] pair"},
      {json::array({"Integer", "2"}),
       "the type must be \"String\" or \"Numeric\", got \"Integer\""},
      {json::array({"numeric", "2"}),
       "the type must be \"String\" or \"Numeric\", got \"numeric\""},
      {json::array({"Numeric", 2}),
       "the value must be a string (a Numeric one too, e.g. [\"Numeric\", \"2\"]), got an integer"},
      {json::array({"Numeric", "two"}),
       "a Numeric value must be a number written as a string, got \"two\""},
      {json::array({"Numeric", "1e3"}),
       "a Numeric value must be a number written as a string, got \"1e3\""},
      {json::array({"Numeric", ""}),
       "a Numeric value must be a number written as a string, got \"\""},
      {json::array({"Numeric", "1."}),
       "a Numeric value must be a number written as a string, got \"1.\""},
  };
  for (const auto& [value, message] : cases) {
    json t = Minimal();
    t["attributes"]["custom"] = value;
    EXPECT_THAT(OnlyProblem(t), HasSubstr("templates[0] (T1).attributes.custom: " + message))
        << value.dump();
  }
  for (const char* number : {"0", "-1", "2.5", "-0.25", "4096"}) {
    json t = Minimal();
    t["attributes"]["custom"] = {"Numeric", number};
    EXPECT_EQ(ReadValid(t).FindAttribute("custom")->value, number);
  }
  json t = Minimal();
  t["attributes"]["label"] = {"String", ""};
  EXPECT_EQ(ReadValid(t).FindAttribute("label")->value, "");
}

TEST(Templates, TypeNcpusNramAndNcoresHaveTheirOwnRules) {
  const std::vector<std::tuple<std::string, json, std::string>> cases = {
      {"type", json::array({"Numeric", "64"}),
       "must be a String attribute such as [\"String\", \"X86_64\"]"},
      {"type", json::array({"String", ""}), "must be a String attribute"},
      {"ncpus", json::array({"String", "2"}),
       "must be a whole number above 0 (2, or [\"Numeric\", \"2\"])"},
      {"ncpus", json::array({"Numeric", "0"}),
       "must be a whole number above 0 (2, or [\"Numeric\", \"2\"])"},
      {"ncpus", json::array({"Numeric", "1.5"}),
       "must be a whole number above 0 (2, or [\"Numeric\", \"2\"])"},
      {"nram", json::array({"Numeric", "-4096"}),
       "must be a whole number above 0 (2, or [\"Numeric\", \"2\"])"},
      {"ncores", json::array({"Numeric", "00"}),
       "must be a whole number above 0 (2, or [\"Numeric\", \"2\"])"},
  };
  for (const auto& [name, value, message] : cases) {
    json t = Minimal();
    t["attributes"][name] = value;
    EXPECT_THAT(OnlyProblem(t), HasSubstr("templates[0] (T1).attributes." + name + ": " + message))
        << value;
  }
  json t = Minimal();
  t["attributes"]["type"] = {"String", "NTX64"};
  EXPECT_EQ(ReadValid(t).FindAttribute("type")->value, "NTX64");
}

// ---- Lists of ids ----

TEST(Templates, SubnetIdIsAStringOrAList) {
  json t = Minimal();
  t["subnetId"] = "subnet-0123456789abcdef0";
  EXPECT_THAT(ReadValid(t).subnet_ids, ElementsAre("subnet-0123456789abcdef0"));
  t["subnetId"] = {"subnet-0123456789abcdef0", "subnet-aaaaaaaa"};
  EXPECT_THAT(ReadValid(t).subnet_ids, ElementsAre("subnet-0123456789abcdef0", "subnet-aaaaaaaa"));
  t["subnetId"] = json::array();
  EXPECT_EQ(OnlyProblem(t), "templates[0] (T1).subnetId: must list at least one id");
  t["subnetId"] = 5;
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).subnetId: must be a string or a list of strings, got an integer");
  t["subnetId"] = "sg-0123456789abcdef0";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).subnetId: must be an id such as subnet-0123456789abcdef0, got "
            "\"sg-0123456789abcdef0\"");
  t["subnetId"] = {"subnet-aaaaaaaa", 3, "subnet-AAAAAAAA", "subnet-aaaaaaaa"};
  const Read r = ReadOne(t);
  EXPECT_EQ(MessageAt(r.problems, "templates[0] (T1).subnetId[1]"),
            "must be a string, got an integer");
  EXPECT_THAT(MessageAt(r.problems, "templates[0] (T1).subnetId[2]"),
              HasSubstr("must be an id such as"));
  EXPECT_EQ(MessageAt(r.problems, "templates[0] (T1).subnetId[3]"),
            "\"subnet-aaaaaaaa\" is listed twice");
  EXPECT_EQ(r.problems.size(), 3u);
}

TEST(Templates, SecurityGroupIdsIsAList) {
  json t = Minimal();
  t["securityGroupIds"] = json::array();
  EXPECT_THAT(ReadValid(t).security_group_ids, ::testing::IsEmpty());
  t["securityGroupIds"] = "sg-0123456789abcdef0";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).securityGroupIds: must be a list of strings, got a string");
  t["securityGroupIds"] = {"sg-short"};
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).securityGroupIds[0]: must be an id such as sg-0123456789abcdef0, "
            "got \"sg-short\"");
}

TEST(Templates, ImageAndLaunchTemplateIdsAreChecked) {
  json t = Minimal();
  // An SSM parameter path is an image too (ibm_templates_test.cc).
  // An SSM parameter path is an image too (ibm_templates_test.cc).
  t["imageId"] = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64";
  EXPECT_EQ(ReadValid(t).image_parameter,
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64");
  t["imageId"] = "ami-short";
  EXPECT_THAT(OnlyProblem(t), HasSubstr("templates[0] (T1).imageId: must be an AMI id such as "
                                        "ami-0123456789abcdef0, or an SSM parameter"));
  t["imageId"] = "ami-12345678";
  EXPECT_EQ(ReadValid(t).image_id, "ami-12345678");
  t["launchTemplateId"] = "my-template";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).launchTemplateId: must be a launch template id such as "
            "lt-0123456789abcdef0, got \"my-template\"");
}

// ---- Instance types ----

TEST(Templates, VmTypeIsAnInstanceTypeName) {
  json t = Minimal();
  for (const char* good : {"c5.large", "u-6tb1.metal", "c6gn.16xlarge", "t3a.nano"}) {
    t["vmType"] = good;
    EXPECT_EQ(ReadValid(t).vm_type, good);
  }
  for (const char* bad : {"large", "C5.large", "c5.", ".large", "c5 large"}) {
    t["vmType"] = bad;
    EXPECT_EQ(OnlyProblem(t),
              "templates[0] (T1).vmType: must be an instance type name such as c5.large, got \"" +
                  std::string(bad) + "\"");
  }
}

TEST(Templates, VmTypesMapsTypesToWeightsAboveZero) {
  json t = SpotFleet();
  t["vmTypes"] = {{"c5.large", 0.5}};
  model::Template read = ReadValid(t);
  EXPECT_THAT(read.vm_types, ElementsAre(::testing::Pair("c5.large", 0.5)));
  EXPECT_EQ(read.vm_type, "c5.large");
  const std::vector<std::pair<json, std::string>> cases = {
      {json::object(), "templates[0] (T1).vmTypes: must name at least one instance type"},
      {json::array({"c5.large"}),
       "templates[0] (T1).vmTypes: must be an object of instance type -> weight"},
      {{{"c5.large", 0}},
       "templates[0] (T1).vmTypes.c5.large: the weight must be a number above 0, got 0"},
      {{{"c5.large", -1}},
       "templates[0] (T1).vmTypes.c5.large: the weight must be a number above 0, got -1"},
      {{{"c5.large", "1"}},
       "templates[0] (T1).vmTypes.c5.large: the weight must be a number above 0, got \"1\""},
      {{{"C5", 1}}, "templates[0] (T1).vmTypes.C5: is not an instance type name such as c5.large"},
  };
  for (const auto& [value, message] : cases) {
    t["vmTypes"] = value;
    EXPECT_THAT(OnlyProblem(t), HasSubstr(message)) << value.dump();
  }
}

TEST(Templates, VmTypeAndVmTypesAreExclusiveAndOneIsNeeded) {
  json t = SpotFleet();
  t["vmType"] = "c5.large";
  EXPECT_EQ(OnlyProblem(t), "templates[0] (T1).vmTypes: set vmType or vmTypes, not both");
  t = Minimal();
  t.erase("vmType");
  EXPECT_EQ(
      OnlyProblem(t),
      "templates[0] (T1).vmType: is required (or vmTypes, or a launchTemplateId whose template "
      "sets the instance type)");
  t["launchTemplateId"] = "lt-0123456789abcdef0";
  EXPECT_EQ(ReadValid(t).vm_type, "");
}

// ---- Enumerations: case-sensitive, with a hint ----

TEST(Templates, PriceTypeProviderApiAndFleetTypeAreCaseSensitive) {
  json t = Minimal();
  t["priceType"] = "OnDemand";
  EXPECT_EQ(
      OnlyProblem(t),
      "templates[0] (T1).priceType: must be ondemand, spot or heterogeneous, got \"OnDemand\" "
      "(names are case-sensitive: did you mean \"ondemand\"?)");
  t["priceType"] = "reserved";
  EXPECT_EQ(
      OnlyProblem(t),
      "templates[0] (T1).priceType: must be ondemand, spot or heterogeneous, got \"reserved\"");
  t["priceType"] = 1;
  EXPECT_EQ(OnlyProblem(t), "templates[0] (T1).priceType: must be a string, got an integer");
  t = Minimal();
  t["providerApi"] = "runinstances";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).providerApi: must be RunInstances, EC2Fleet, SpotFleet or ASG, got "
            "\"runinstances\" (names are case-sensitive: did you mean \"RunInstances\"?)");
  t["providerApi"] = "Fleet";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).providerApi: must be RunInstances, EC2Fleet, SpotFleet or ASG, got "
            "\"Fleet\"");
  t = WithApi(Minimal(), "EC2Fleet");
  t["fleetType"] = "Instant";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).fleetType: must be instant, request or maintain, got \"Instant\" "
            "(names are case-sensitive: did you mean \"instant\"?)");
}

TEST(Templates, ReadsEachEnumeratedName) {
  for (const auto& [name, api] : {std::pair{"RunInstances", model::ProviderApi::kRunInstances},
                                  std::pair{"EC2Fleet", model::ProviderApi::kEc2Fleet},
                                  std::pair{"ASG", model::ProviderApi::kAsg}}) {
    EXPECT_EQ(ReadValid(WithApi(Minimal(), name)).provider_api, api);
  }
  EXPECT_EQ(ReadValid(SpotFleet()).provider_api, model::ProviderApi::kSpotFleet);
  for (const auto& [name, type] : {std::pair{"ondemand", model::PriceType::kOnDemand},
                                   std::pair{"spot", model::PriceType::kSpot}}) {
    json t = Minimal();
    t["priceType"] = name;
    EXPECT_EQ(ReadValid(t).price_type, type);
  }
  for (const auto& [name, type] : {std::pair{"instant", model::FleetType::kInstant},
                                   std::pair{"request", model::FleetType::kRequest},
                                   std::pair{"maintain", model::FleetType::kMaintain}}) {
    json t = WithApi(Minimal(), "EC2Fleet");
    t["fleetType"] = name;
    EXPECT_EQ(ReadValid(t).fleet_type, type);
  }
}

// ---- Other fields ----

TEST(Templates, MaxSpotPriceIsAPositivePrice) {
  json t = Minimal();
  t["priceType"] = "spot";
  t["maxSpotPrice"] = "0.05";
  EXPECT_EQ(ReadValid(t).max_spot_price, "0.05");
  t["maxSpotPrice"] = 0.125;
  EXPECT_EQ(ReadValid(t).max_spot_price, "0.125");
  t["maxSpotPrice"] = 2;
  EXPECT_EQ(ReadValid(t).max_spot_price, "2");
  for (const json& bad : {json("0"), json("-1"), json("cheap"), json(""), json(0), json(-0.5)}) {
    t["maxSpotPrice"] = bad;
    EXPECT_THAT(OnlyProblem(t),
                HasSubstr("templates[0] (T1).maxSpotPrice: must be a price above 0"))
        << bad;
  }
  t["maxSpotPrice"] = true;
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).maxSpotPrice: must be a string or a number, got a boolean");
}

TEST(Templates, InstanceTagsParseKeyValuePairs) {
  json t = Minimal();
  t["instanceTags"] = " project = symphony ; team=hpc;formula=a=b; ;";
  EXPECT_THAT(ReadValid(t).instance_tags,
              ElementsAre(::testing::Pair("project", "symphony"), ::testing::Pair("team", "hpc"),
                          ::testing::Pair("formula", "a=b")));
  t["instanceTags"] = "empty=";
  EXPECT_THAT(ReadValid(t).instance_tags, ElementsAre(::testing::Pair("empty", "")));
  t["instanceTags"] = "";
  EXPECT_THAT(ReadValid(t).instance_tags, ::testing::IsEmpty());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"project", "\"project\" is not a key=value pair (expected \"key=value;key2=value2\")"},
      {"a=1;b", "\"b\" is not a key=value pair"},
      {"=v", "\"=v\" has an empty key"},
      {"aws:owner=me", "the tag key \"aws:owner\" starts with \"aws:\", which AWS reserves"},
      {"k=1;k=2", "the tag key \"k\" appears twice"},
      {std::string(129, 'k') + "=v",
       "the tag key \"" + std::string(129, 'k') + "\" is longer than 128 characters"},
      {"k=" + std::string(257, 'v'), "the value of tag \"k\" is longer than 256 characters"},
  };
  for (const auto& [text, message] : cases) {
    t["instanceTags"] = text;
    EXPECT_THAT(OnlyProblem(t),
                HasSubstr("templates[0] (T1).instanceTags: " + message.substr(0, 20)))
        << text;
    EXPECT_THAT(OnlyProblem(t), HasSubstr(message)) << text;
  }
  t["instanceTags"] = "a;b;c=1";
  const Read r = ReadOne(t);
  EXPECT_EQ(r.problems.size(), 2u);  // every malformed pair
  EXPECT_THAT(r.set.templates[0].instance_tags, ElementsAre(::testing::Pair("c", "1")));
}

TEST(Templates, InstanceProfileIsANameOrAnArn) {
  json t = Minimal();
  for (const char* good :
       {"compute-role", "arn:aws:iam::123456789012:instance-profile/compute", "a+b=c,d.e@f_g"}) {
    t["instanceProfile"] = good;
    EXPECT_EQ(ReadValid(t).instance_profile, good);
  }
  for (const char* bad : {"arn:aws:iam::123456789012:role/compute", "has space", ""}) {
    t["instanceProfile"] = bad;
    EXPECT_THAT(
        OnlyProblem(t),
        HasSubstr("templates[0] (T1).instanceProfile: must be an instance profile name or ARN"));
  }
}

TEST(Templates, UserDataScriptIsAPathAbsoluteOrRelativeToTheConfiguration) {
  json t = Minimal();
  t["userDataScript"] =
      "scripts/user_data.sh";  // read from HF_PROVIDER_CONFDIR/scripts/user_data.sh
  EXPECT_EQ(ReadValid(t).user_data_script, "scripts/user_data.sh");
  t["userDataScript"] = "";
  EXPECT_THAT(OnlyProblem(t), HasSubstr("templates[0] (T1).userDataScript: must be a path"));
}

TEST(Templates, KeyNameIsNotEmpty) {
  json t = Minimal();
  t["keyName"] = "";
  EXPECT_EQ(OnlyProblem(t), "templates[0] (T1).keyName: must be 1 to 255 characters, got \"\"");
}

TEST(Templates, RootVolumeSizeAndType) {
  json t = Minimal();
  t["rootDeviceVolumeSize"] = 16384;
  t["volumeType"] = "standard";
  EXPECT_EQ(ReadValid(t).root_device_volume_size, 16384);
  t["rootDeviceVolumeSize"] = 0;
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).rootDeviceVolumeSize: must be between 1 and 16384, got 0");
  t["rootDeviceVolumeSize"] = 16385;
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).rootDeviceVolumeSize: must be between 1 and 16384, got 16385");
  t["rootDeviceVolumeSize"] = 8;
  t["volumeType"] = "io2";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).iops: is required with volumeType io2: the IOPS to provision (100 "
            "to 256000)");
  t["volumeType"] = "GP3";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).volumeType: must be gp2, gp3, io1, io2 or standard, got \"GP3\"");
}

TEST(Templates, FleetRoleIsARoleArn) {
  json t = SpotFleet();
  t["fleetRole"] = "aws-ec2-spot-fleet-tagging-role";
  EXPECT_THAT(OnlyProblem(t),
              HasSubstr("templates[0] (T1).fleetRole: must be an IAM role ARN such as "
                        "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role"));
  t["fleetRole"] = "arn:aws-us-gov:iam::123456789012:role/fleet";
  EXPECT_EQ(ReadValid(t).fleet_role, "arn:aws-us-gov:iam::123456789012:role/fleet");
}

TEST(Templates, SpotFleetRequestExpiryAndPercentOnDemandRanges) {
  json t = SpotFleet();
  t["spotFleetRequestExpiry"] = 0;
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).spotFleetRequestExpiry: must be between 1 and 525600, got 0");
  t["spotFleetRequestExpiry"] = 525600;
  EXPECT_EQ(ReadValid(t).spot_fleet_request_expiry, 525600);
  t["priceType"] = "heterogeneous";
  for (int ok : {0, 100}) {
    t["percentOnDemand"] = ok;
    EXPECT_EQ(ReadValid(t).percent_on_demand, ok);
  }
  t["percentOnDemand"] = 101;
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).percentOnDemand: must be between 0 and 100, got 101");
  t["percentOnDemand"] = -1;
  EXPECT_EQ(OnlyProblem(t), "templates[0] (T1).percentOnDemand: must be between 0 and 100, got -1");
}

TEST(Templates, UnknownKeysAreErrorsNamingTheKey) {
  json t = Minimal();
  t["vmtype"] = "c5.large";
  const std::string problem = OnlyProblem(t);
  EXPECT_THAT(problem, HasSubstr("templates[0] (T1).vmtype: is not a known key (known here: "));
  EXPECT_THAT(problem, HasSubstr("vmType"));
}

TEST(Templates, ThePythonPluginsAwsHandlerSaysWhatToUseInstead) {
  // Every field of IBM's reference is read now (ibm_templates_test.cc); the Python plugin's
  // awshandler is not IBM's.
  json t = SpotFleet();
  t["awshandler"] = "SpotFleet";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).awshandler: is the Python plugin's field; use providerApi (and "
            "fleetType)");
}

// ---- Invalid combinations ----

TEST(Templates, NeedsAnImageOrALaunchTemplate) {
  json t = Minimal();
  t.erase("imageId");
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).imageId: is required unless launchTemplateId is set: neither says "
            "which image to launch");
  t["launchTemplateId"] = "lt-0123456789abcdef0";
  EXPECT_EQ(ReadValid(t).launch_template_id, "lt-0123456789abcdef0");
  t["imageId"] = "ami-0123456789abcdef0";  // both: the image overrides the launch template's
  EXPECT_EQ(ReadValid(t).image_id, "ami-0123456789abcdef0");
}

TEST(Templates, RunInstancesTakesOneInstanceType) {
  json t = SpotFleet();
  t.erase("fleetRole");
  t["providerApi"] = "RunInstances";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).vmTypes: RunInstances launches one instance type; use vmType (or "
            "EC2Fleet, SpotFleet or ASG)");
}

TEST(Templates, HeterogeneousNeedsAFleetAndAPercentage) {
  json t = Minimal();
  t["priceType"] = "heterogeneous";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).priceType: heterogeneous mixes on-demand and spot capacity, which "
            "RunInstances cannot; use EC2Fleet, SpotFleet or ASG");
  t["percentOnDemand"] = 50;
  for (const char* api : {"EC2Fleet", "ASG"}) {
    t = WithApi(t, api);
    EXPECT_EQ(ReadValid(t).percent_on_demand, 50);
    t.erase("percentOnDemand");
    EXPECT_EQ(OnlyProblem(t),
              "templates[0] (T1).percentOnDemand: is required with priceType heterogeneous: the "
              "percentage (0 to 100) of the capacity to launch on-demand (or give "
              "onDemandCapacity)");
    t["percentOnDemand"] = 50;
  }
}

TEST(Templates, PercentOnDemandNeedsSpotCapacity) {
  // IBM's reference gives percentOnDemand to spot templates too: a Spot Fleet's on-demand share.
  json t = WithApi(Minimal(), "EC2Fleet");
  t["priceType"] = "spot";
  t["percentOnDemand"] = 20;
  EXPECT_EQ(ReadValid(t).percent_on_demand, 20);
  t["priceType"] = "ondemand";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).percentOnDemand: applies to priceType spot or heterogeneous (the "
            "on-demand share of a request); priceType is ondemand");
  t.erase("priceType");  // absent: ondemand
  EXPECT_THAT(OnlyProblem(t), HasSubstr("priceType is ondemand"));
}

TEST(Templates, SpotFleetNeedsAFleetRoleAndOnlySpotFleetTakesOne) {
  json t = SpotFleet();
  t.erase("fleetRole");
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).fleetRole: is required by SpotFleet: the ARN of the IAM role Spot "
            "Fleet launches and terminates instances with");
  for (const char* api : {"RunInstances", "EC2Fleet", "ASG"}) {
    json other = WithApi(Minimal(), api);
    other["fleetRole"] = "arn:aws:iam::123456789012:role/fleet";
    EXPECT_EQ(OnlyProblem(other), "templates[0] (T1).fleetRole: is used by SpotFleet only; " +
                                      std::string(api) + " does not take a fleet role");
  }
}

TEST(Templates, AnAsgNeedsSubnetsAndWholeWeights) {
  json t = WithApi(Minimal(), "ASG");
  t.erase("subnetId");
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).subnetId: is required by ASG: an Auto Scaling group launches into "
            "the subnets listed here");
  t["subnetId"] = json::array({kSubnet, "subnet-0fedcba9876543210"});
  t.erase("vmType");
  t["vmTypes"] = {{"c5.large", 1}, {"c5.xlarge", 1.5}};
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).vmTypes: ASG weights are whole numbers from 1 to 999 (Auto Scaling "
            "WeightedCapacity); c5.xlarge has 1.5");
  t["vmTypes"] = {{"c5.large", 1}, {"c5.xlarge", 1000}};
  EXPECT_THAT(OnlyProblem(t), HasSubstr("c5.xlarge has 1000"));
  t["vmTypes"] = {{"c5.large", 1}, {"c5.xlarge", 2}};
  EXPECT_EQ(ReadValid(t).vm_types.size(), 2U);
  // Fleets take fractional weights.
  t["providerApi"] = "EC2Fleet";
  t["vmTypes"] = {{"c5.large", 1}, {"c5.xlarge", 1.5}};
  EXPECT_EQ(ReadValid(t).vm_types.size(), 2U);
}

TEST(Templates, FleetTypeBelongsToEc2FleetAndSpotFleet) {
  for (const char* api : {"RunInstances", "ASG"}) {
    json t = WithApi(Minimal(), api);
    t["fleetType"] = "request";
    EXPECT_EQ(OnlyProblem(t),
              "templates[0] (T1).fleetType: applies to EC2Fleet and SpotFleet only; " +
                  std::string(api) + " has no fleet type");
  }
  json t = SpotFleet();
  t["fleetType"] = "instant";
  EXPECT_EQ(
      OnlyProblem(t),
      "templates[0] (T1).fleetType: SpotFleet has no instant type; use request or maintain (or "
      "EC2Fleet for instant)");
  t["fleetType"] = "maintain";
  EXPECT_EQ(ReadValid(t).fleet_type, model::FleetType::kMaintain);
}

TEST(Templates, MaxSpotPriceNeedsSpotCapacity) {
  json t = Minimal();
  t["maxSpotPrice"] = "0.1";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).maxSpotPrice: applies to spot capacity only; priceType is ondemand");
  t["priceType"] = "spot";
  EXPECT_EQ(ReadValid(t).max_spot_price, "0.1");  // RunInstances can launch spot instances
}

TEST(Templates, SpotFleetRequestExpiryIsForSpotFleetOnly) {
  EXPECT_EQ(ReadValid([] {
              json t = SpotFleet();
              t["spotFleetRequestExpiry"] = 30;
              return t;
            }())
                .spot_fleet_request_expiry,
            30);
  for (const char* api : {"RunInstances", "EC2Fleet", "ASG"}) {
    json t = WithApi(Minimal(), api);
    t["spotFleetRequestExpiry"] = 30;
    EXPECT_EQ(OnlyProblem(t),
              "templates[0] (T1).spotFleetRequestExpiry: applies to SpotFleet only, not " +
                  std::string(api));
  }
}

TEST(Templates, RunInstancesHasNoAllocationStrategy) {
  json t = Minimal();
  t["priceType"] = "spot";
  t["allocationStrategy"] = "lowest-price";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).allocationStrategy: RunInstances has no allocation strategy; use "
            "EC2Fleet, SpotFleet or ASG");
}

struct StrategyCase {
  const char* api;
  const char* price;
  const char* given;
  const char* stored;  // nullptr: rejected
};

class TemplatesAllocationStrategy : public ::testing::TestWithParam<StrategyCase> {};

TEST_P(TemplatesAllocationStrategy, AcceptsWhatTheApiAccepts) {
  const StrategyCase& c = GetParam();
  json t = std::string(c.api) == "SpotFleet" ? SpotFleet() : WithApi(Minimal(), c.api);
  t["priceType"] = c.price;
  if (std::string(c.price) == "heterogeneous") t["percentOnDemand"] = 10;
  t["allocationStrategy"] = c.given;
  Read r = ReadOne(t);
  if (c.stored != nullptr) {
    EXPECT_THAT(r.problems, ::testing::IsEmpty()) << FormatProblems(r.problems);
    ASSERT_EQ(r.set.templates.size(), 1u);
    EXPECT_EQ(StrategyOf(r.set.templates[0]), c.stored);
  } else {
    ASSERT_EQ(r.problems.size(), 1u) << FormatProblems(r.problems);
    EXPECT_EQ(r.problems[0].path, "templates[0] (T1).allocationStrategy");
    EXPECT_THAT(r.problems[0].message, HasSubstr(std::string("with ") + c.api + " and priceType " +
                                                 c.price + " must be "));
    EXPECT_THAT(r.problems[0].message, HasSubstr(std::string("got \"") + c.given + "\""));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Templates, TemplatesAllocationStrategy,
    ::testing::Values(
        // EC2Fleet, spot: the five Spot strategies, in either spelling.
        StrategyCase{"EC2Fleet", "spot", "lowest-price", "lowest-price"},
        StrategyCase{"EC2Fleet", "spot", "diversified", "diversified"},
        StrategyCase{"EC2Fleet", "spot", "capacity-optimized", "capacity-optimized"},
        StrategyCase{"EC2Fleet", "spot", "capacity-optimized-prioritized",
                     "capacity-optimized-prioritized"},
        StrategyCase{"EC2Fleet", "spot", "price-capacity-optimized", "price-capacity-optimized"},
        StrategyCase{"EC2Fleet", "spot", "capacityOptimized", "capacity-optimized"},
        StrategyCase{"EC2Fleet", "spot", "prioritized", nullptr},
        StrategyCase{"EC2Fleet", "spot", "Lowest-Price", nullptr},
        StrategyCase{"EC2Fleet", "heterogeneous", "price-capacity-optimized",
                     "price-capacity-optimized"},
        // On-demand capacity: lowest-price or prioritized.
        StrategyCase{"EC2Fleet", "ondemand", "lowest-price", "lowest-price"},
        StrategyCase{"EC2Fleet", "ondemand", "prioritized", "prioritized"},
        StrategyCase{"EC2Fleet", "ondemand", "capacity-optimized", nullptr},
        StrategyCase{"SpotFleet", "ondemand", "lowestPrice", "lowest-price"},
        StrategyCase{"SpotFleet", "ondemand", "diversified", nullptr},
        StrategyCase{"ASG", "ondemand", "prioritized", "prioritized"},
        StrategyCase{"ASG", "ondemand", "price-capacity-optimized", nullptr},
        // SpotFleet, spot: its camelCase names, and the kebab-case ones.
        StrategyCase{"SpotFleet", "spot", "lowestPrice", "lowest-price"},
        StrategyCase{"SpotFleet", "spot", "diversified", "diversified"},
        StrategyCase{"SpotFleet", "spot", "capacityOptimized", "capacity-optimized"},
        StrategyCase{"SpotFleet", "spot", "capacityOptimizedPrioritized",
                     "capacity-optimized-prioritized"},
        StrategyCase{"SpotFleet", "spot", "priceCapacityOptimized", "price-capacity-optimized"},
        StrategyCase{"SpotFleet", "spot", "price-capacity-optimized", "price-capacity-optimized"},
        StrategyCase{"SpotFleet", "spot", "lowestprice", nullptr},
        // ASG, spot: no diversified.
        StrategyCase{"ASG", "spot", "lowest-price", "lowest-price"},
        StrategyCase{"ASG", "spot", "capacity-optimized", "capacity-optimized"},
        StrategyCase{"ASG", "spot", "capacity-optimized-prioritized",
                     "capacity-optimized-prioritized"},
        StrategyCase{"ASG", "spot", "price-capacity-optimized", "price-capacity-optimized"},
        StrategyCase{"ASG", "spot", "diversified", nullptr},
        StrategyCase{"ASG", "heterogeneous", "diversified", nullptr}));

TEST(Templates, AllocationStrategyMessagesListTheApisOwnNames) {
  json t = SpotFleet();
  t["allocationStrategy"] = "cheapest";
  EXPECT_EQ(OnlyProblem(t),
            "templates[0] (T1).allocationStrategy: with SpotFleet and priceType spot must be "
            "lowestPrice, diversified, capacityOptimized, capacityOptimizedPrioritized or "
            "priceCapacityOptimized, got \"cheapest\"");
  t = WithApi(Minimal(), "ASG");
  t["priceType"] = "spot";
  t["allocationStrategy"] = "diversified";
  EXPECT_EQ(
      OnlyProblem(t),
      "templates[0] (T1).allocationStrategy: with ASG and priceType spot must be lowest-price, "
      "capacity-optimized, capacity-optimized-prioritized or price-capacity-optimized, got "
      "\"diversified\"");
}

TEST(Templates, AnInvalidProviderApiOrPriceTypeDoesNotCascade) {
  json t = SpotFleet();
  t["providerApi"] = "spotfleet";
  t["priceType"] = "Spot";
  t["allocationStrategy"] = "whatever";
  t["spotFleetRequestExpiry"] = 10;
  t["percentOnDemand"] = 10;
  const Read r = ReadOne(t);
  EXPECT_THAT(Paths(r.problems), ::testing::UnorderedElementsAre("templates[0] (T1).providerApi",
                                                                 "templates[0] (T1).priceType"));
}

// ---- Every problem at once ----

TEST(Templates, EveryProblemInEveryTemplateIsReportedAtOnce) {
  json a = Minimal();
  a["maxNumber"] = -3;
  a["vmTypes"] = {{"c5.large", 1}};
  a["priceType"] = "heterogeneous";
  a["maxSpotPrice"] = "x";
  a["extra"] = 1;
  json b = SpotFleet();
  b["templateId"] = "Spot";
  b.erase("fleetRole");
  b["fleetType"] = "instant";
  b["attributes"]["ncpus"] = {"Numeric", "0"};
  b["instanceTags"] = "broken";
  json c = Minimal();  // a duplicate of a's id
  c.erase("imageId");
  const Read r = ReadList({a, b, c, json(5)});
  EXPECT_THAT(Paths(r.problems),
              ::testing::UnorderedElementsAre(
                  "templates[0] (T1).maxNumber", "templates[0] (T1).maxSpotPrice",
                  "templates[0] (T1).extra",
                  "templates[0] (T1).vmTypes",    // vmType and vmTypes
                  "templates[0] (T1).vmTypes",    // vmTypes with RunInstances
                  "templates[0] (T1).priceType",  // heterogeneous, RunInstances
                  "templates[1] (Spot).attributes.ncpus", "templates[1] (Spot).instanceTags",
                  "templates[1] (Spot).fleetRole", "templates[1] (Spot).fleetType",
                  "templates[2] (T1).imageId", "templates[2] (T1).templateId", "templates[3]"));
  EXPECT_EQ(MessageAt(r.problems, "templates[3]"), "must be an object, got an integer");
}

// ---- The file's shape ----

TEST(Templates, TheFileIsAnObjectWithATemplatesArray) {
  std::vector<resilience::ConfigProblem> problems;
  (void)ReadTemplates(json::array(), problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "");
  EXPECT_THAT(problems[0].message,
              HasSubstr("must be a JSON object {\"templates\": [...]}, got an array"));
  problems.clear();
  (void)ReadTemplates(json::object(), problems);
  EXPECT_THAT(Paths(problems), ElementsAre("templates"));
  problems.clear();
  (void)ReadTemplates({{"templates", json::object()}}, problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message, "must be an array, got an object");
  problems.clear();
  (void)ReadTemplates({{"templates", json::array()}, {"version", 2}}, problems);
  EXPECT_THAT(Paths(problems), ElementsAre("version"));
  problems.clear();
  const model::TemplateSet empty = ReadTemplates({{"templates", json::array()}}, problems);
  EXPECT_THAT(problems, ::testing::IsEmpty());
  EXPECT_THAT(empty.templates, ::testing::IsEmpty());
}

// ---- Loading files ----

TEST(Templates, TheExampleLoadsWithOneTemplatePerProviderApi) {
  resilience::Result<model::TemplateSet> set = LoadTemplates(ExampleTemplates());
  ASSERT_TRUE(set.ok()) << set.error().message();
  std::vector<model::ProviderApi> apis;
  for (const model::Template& t : set->templates) apis.push_back(t.provider_api);
  EXPECT_THAT(apis, ::testing::UnorderedElementsAre(
                        model::ProviderApi::kRunInstances, model::ProviderApi::kEc2Fleet,
                        model::ProviderApi::kSpotFleet, model::ProviderApi::kAsg));
  const model::Template* fleet = set->Find("Mixed-C5-EC2Fleet");
  ASSERT_NE(fleet, nullptr);
  EXPECT_EQ(fleet->fleet_type, model::FleetType::kInstant);
  EXPECT_EQ(fleet->vm_type, "c5.xlarge");  // the first of vmTypes, in file order
  const model::Template* spot = set->Find("Spot-C5-SpotFleet");
  ASSERT_NE(spot, nullptr);
  EXPECT_EQ(StrategyOf(*spot), "capacity-optimized");
}

TEST(Templates, LoadKeepsTheFileOrderOfAttributesAndVmTypes) {
  ohfp::testing::ScratchDir dir("templates");
  const fs::path file = dir.Write("awsprov_templates.json", R"({"templates": [{
      "templateId": "Ordered", "providerApi": "EC2Fleet", "priceType": "spot",
      "attributes": {"nram": ["Numeric", "4096"], "type": ["String", "X86_64"], "ncpus": ["Numeric", "2"],
                     "zeta": ["String", "z"], "alpha": ["String", "a"]},
      "imageId": "ami-0123456789abcdef0",
      "vmTypes": {"m5.xlarge": 2, "c5.large": 1, "r5.large": 1},
      "allocationStrategy": "capacity-optimized-prioritized"}]})");
  resilience::Result<model::TemplateSet> set = LoadTemplates(file);
  ASSERT_TRUE(set.ok()) << set.error().message();
  const model::Template& t = set->templates.at(0);
  std::vector<std::string> names;
  for (const model::Attribute& a : t.attributes) names.push_back(a.name);
  EXPECT_THAT(names, ElementsAre("nram", "type", "ncpus", "zeta", "alpha"));
  EXPECT_THAT(t.vm_types,
              ElementsAre(::testing::Pair("m5.xlarge", 2.0), ::testing::Pair("c5.large", 1.0),
                          ::testing::Pair("r5.large", 1.0)));
  EXPECT_EQ(t.vm_type, "m5.xlarge");
  const nlohmann::ordered_json out = hostfactory::HostFactoryTemplateJson(t, 3);
  EXPECT_EQ(
      out["attributes"].dump(),
      R"({"nram":["Numeric","4096"],"type":["String","X86_64"],"ncpus":["Numeric","2"],"zeta":["String","z"],)"
      R"("alpha":["String","a"]})");
  EXPECT_EQ(out["vmTypes"].dump(), R"({"m5.xlarge":2.0,"c5.large":1.0,"r5.large":1.0})");
}

TEST(Templates, AMissingFileIsAnError) {
  ohfp::testing::ScratchDir dir("templates");
  resilience::Result<model::TemplateSet> set = LoadTemplates(dir.path() / "awsprov_templates.json");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().kind(), resilience::ErrorKind::kValidation);
  EXPECT_EQ(set.error().code(), "missing_templates");
  EXPECT_THAT(std::string(set.error().message()), HasSubstr("awsprov_templates.json: not found"));
}

// Issue 11's findings where the templates file is parsed (see contract_test and
// plugin_config_test): one problem, exit 2, a message that says where and prints as JSON.
TEST(Templates, HostileFilesAreOneProblemThatSaysWhere) {
  ExpectEachRefused(
      ohfp::testing::ScratchDir("templates"), "awsprov_templates.json",
      {{"{\"templates\": [{\"templateId\": \"\xc3\"}]}", "is not valid JSON (line 1, column"},
       {"{\"templates\": [{\"templateId\": \"a\", \"maxNumber\": 1e400}]}",
        "has a number beyond the range of a double (line 1, column 49): 1e400"},
       {"{\"templates\": [{\"attributes\": {\"ncpus\": " + std::string(1000, '[') +
            std::string(1000, ']') + "}}]}",
        "nests arrays and objects deeper than 64 levels (line 1, column 101)"}},
      [](const fs::path& file) { return LoadTemplates(file); });
}

TEST(Templates, AFileThatIsNotJsonIsOneProblemWithLineAndColumn) {
  ohfp::testing::ScratchDir dir("templates");
  const fs::path file =
      dir.Write("awsprov_templates.json", "{\"templates\": [\n  {\"templateId\": 'x'}\n]}");
  resilience::Result<model::TemplateSet> set = LoadTemplates(file);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code(), "invalid_templates");
  EXPECT_THAT(std::string(set.error().message()),
              HasSubstr(file.string() +
                        ": 1 problem(s):\n  is not valid JSON (line 2, column 18): syntax error"));
}

TEST(Templates, LoadReportsEveryProblemOnePerLine) {
  ohfp::testing::ScratchDir dir("templates");
  json a = Minimal();
  a["maxNumber"] = -2;
  json b = Minimal();
  b["templateId"] = "T2";
  b["vmType"] = "big";
  const fs::path file = dir.Write("t.json", json({{"templates", {a, b}}}).dump());
  resilience::Result<model::TemplateSet> set = LoadTemplates(file);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(std::string(set.error().message()),
            file.string() +
                ": 2 problem(s):\n"
                "  templates[0] (T1).maxNumber: must be between -1 and 10000, got -2\n"
                "  templates[1] (T2).vmType: must be an instance type name such as c5.large, got "
                "\"big\"");
}

TEST(Templates, ADirectoryIsNotATemplatesFile) {
  ohfp::testing::ScratchDir dir("templates");
  resilience::Result<model::TemplateSet> set = LoadTemplates(dir.path());
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(std::string(set.error().message()), HasSubstr("is a directory"));
}

// ---- What getAvailableTemplates prints ----

TEST(Templates, HostFactoryJsonHasTheContractsFieldsFirst) {
  json t = Minimal();
  t["maxNumber"] = 10;
  t["attributes"] = {{"type", {"String", "X86_64"}},
                     {"ncpus", {"Numeric", "2"}},
                     {"nram", {"Numeric", "4096"}},
                     {"ncores", {"Numeric", "1"}}};
  const nlohmann::ordered_json j = hostfactory::HostFactoryTemplateJson(ReadValid(t), 8);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys, ElementsAre("templateId", "maxNumber", "availableNumber", "attributes",
                                "imageId", "vmType", "priceType", "providerApi"));
  EXPECT_EQ(j["templateId"], "T1");
  EXPECT_EQ(j["maxNumber"], 10);
  EXPECT_EQ(j["availableNumber"], 8);
  EXPECT_EQ(j["attributes"]["ncpus"], nlohmann::ordered_json::array({"Numeric", "2"}));
  EXPECT_EQ(j["attributes"]["type"], nlohmann::ordered_json::array({"String", "X86_64"}));
  EXPECT_EQ(j["imageId"], "ami-0123456789abcdef0");
  EXPECT_EQ(j["vmType"], "c5.large");
  EXPECT_EQ(j["priceType"], "ondemand");
  EXPECT_EQ(j["providerApi"], "RunInstances");
}

TEST(Templates, HostFactoryJsonShowsTheDefaultTypeAttribute) {
  const nlohmann::ordered_json j = hostfactory::HostFactoryTemplateJson(ReadValid(Minimal()), -1);
  EXPECT_EQ(j["attributes"].dump(),
            R"({"type":["String","X86_64"],"ncpus":["Numeric","2"],"nram":["Numeric","4096"]})");
  EXPECT_EQ(j["maxNumber"], -1);
}

TEST(Templates, HostFactoryJsonWritesSubnetsAsGivenAndFleetTypeForFleetsOnly) {
  json t = Minimal();
  t["subnetId"] = {"subnet-aaaaaaaa"};
  EXPECT_EQ(hostfactory::HostFactoryTemplateJson(ReadValid(t), 0)["subnetId"], "subnet-aaaaaaaa");
  t["subnetId"] = {"subnet-aaaaaaaa", "subnet-bbbbbbbb"};
  EXPECT_EQ(hostfactory::HostFactoryTemplateJson(ReadValid(t), 0)["subnetId"],
            nlohmann::ordered_json::array({"subnet-aaaaaaaa", "subnet-bbbbbbbb"}));
  EXPECT_FALSE(hostfactory::HostFactoryTemplateJson(ReadValid(t), 0).contains("fleetType"));
  EXPECT_FALSE(
      hostfactory::HostFactoryTemplateJson(ReadValid(WithApi(t, "ASG")), 0).contains("fleetType"));
  EXPECT_EQ(hostfactory::HostFactoryTemplateJson(ReadValid(WithApi(t, "EC2Fleet")), 0)["fleetType"],
            "request");
  EXPECT_EQ(hostfactory::HostFactoryTemplateJson(ReadValid(SpotFleet()), 0)["fleetType"],
            "request");
}

TEST(Templates, HostFactoryJsonReadsBackToTheSameTemplate) {
  resilience::Result<model::TemplateSet> set = LoadTemplates(ExampleTemplates());
  ASSERT_TRUE(set.ok()) << set.error().message();
  json everything = json::parse(R"({
      "templateId": "All", "maxNumber": 5,
      "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"], "nram": ["Numeric", "4096"]},
      "imageId": "ami-0123456789abcdef0", "launchTemplateId": "lt-0123456789abcdef0",
      "subnetId": ["subnet-aaaaaaaa", "subnet-bbbbbbbb"], "vmTypes": {"c5.large": 1, "c5.xlarge": 2},
      "priceType": "heterogeneous", "percentOnDemand": 40, "maxSpotPrice": "0.3", "keyName": "k",
      "securityGroupIds": ["sg-aaaaaaaa"], "instanceTags": "a=1;b=2",
      "instanceProfile": "compute", "userDataScript": "/opt/u.sh", "rootDeviceVolumeSize": 30,
      "volumeType": "gp2", "fleetRole": "arn:aws:iam::123456789012:role/f", "allocationStrategy": "diversified",
      "spotFleetRequestExpiry": 60, "providerApi": "SpotFleet", "fleetType": "maintain"})");
  std::vector<model::Template> originals = set->templates;
  originals.push_back(ReadValid(everything));
  // Printed, written to a file and loaded again (which keeps the order of attributes and vmTypes).
  nlohmann::ordered_json file = {{"templates", nlohmann::ordered_json::array()}};
  for (const model::Template& original : originals) {
    nlohmann::ordered_json printed = hostfactory::HostFactoryTemplateJson(original, 7);
    printed.erase("availableNumber");
    file["templates"].push_back(printed);
  }
  ohfp::testing::ScratchDir dir("templates");
  resilience::Result<model::TemplateSet> again =
      LoadTemplates(dir.Write("again.json", file.dump(2)));
  ASSERT_TRUE(again.ok()) << again.error().message();
  ASSERT_EQ(again->templates.size(), originals.size());
  for (std::size_t i = 0; i < originals.size(); ++i) {
    const model::Template& a = again->templates[i];
    const model::Template& o = originals[i];
    EXPECT_EQ(hostfactory::HostFactoryTemplateJson(a, 7),
              hostfactory::HostFactoryTemplateJson(o, 7))
        << o.template_id;
    EXPECT_EQ(a.attributes, o.attributes);
    EXPECT_EQ(a.vm_types, o.vm_types);
    EXPECT_EQ(a.vm_type, o.vm_type);
    EXPECT_EQ(a.instance_tags, o.instance_tags);
    EXPECT_EQ(a.subnet_ids, o.subnet_ids);
    EXPECT_EQ(a.security_group_ids, o.security_group_ids);
    EXPECT_EQ(a.fleet_type, o.fleet_type);
  }
  // Every field of the everything-template is printed.
  const nlohmann::ordered_json printed = hostfactory::HostFactoryTemplateJson(originals.back(), 7);
  for (auto it = everything.begin(); it != everything.end(); ++it) {
    EXPECT_TRUE(printed.contains(it.key())) << it.key();
  }
}

}  // namespace
}  // namespace ohfp::config
