// The IBM-format provider directories under tests/data/ibm/ (their README says what each is): each
// loads as HostFactory would have ohfp load it — IBM's configuration, config.json, the templates —
// without a problem, and together they cover every key of IBM's configuration, every template field
// of issue 12, both attribute forms, every price type and every providerApi.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "config/ibm_keys.h"
#include "config/json_file.h"
#include "config/plugin_config.h"
#include "config/provider_files.h"
#include "config/templates_file.h"

namespace ohfp::config {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;

const fs::path kCorpus = fs::path(OHFP_SOURCE_DIR) / "tests" / "data" / "ibm";

struct Loaded {
  ProviderFiles files;
  LoadedConfig config;
  model::TemplateSet templates;
};

Loaded LoadDirectory(const std::string& provider) {
  Loaded l;
  const fs::path dir = kCorpus / provider;
  l.files = FindProviderFiles(dir, provider);
  resilience::Result<LoadedConfig> c = LoadConfiguration(
      {.ibm_config = l.files.ibm_config, .config = dir / "config.json"}, aws::MapEnvironment{});
  EXPECT_TRUE(c.ok()) << provider << ": " << (c.ok() ? "" : c.error().message());
  if (c.ok()) l.config = std::move(*c);
  resilience::Result<model::TemplateSet> t = LoadTemplates(l.files.templates);
  EXPECT_TRUE(t.ok()) << provider << ": " << (t.ok() ? "" : t.error().message());
  if (t.ok()) l.templates = std::move(*t);
  return l;
}

nlohmann::json Json(const fs::path& file) {
  std::vector<ConfigProblem> problems;
  std::optional<JsonFile> f = ReadJsonFile(file, problems);
  EXPECT_TRUE(f.has_value()) << file;
  return f ? f->value : nlohmann::json();
}

const std::vector<std::string> kProviders = {"aws", "awsinst", "lsfaws"};

TEST(IbmCorpus, EveryDirectoryLoadsWithoutAProblem) {
  for (const std::string& provider : kProviders) {
    const Loaded l = LoadDirectory(provider);
    EXPECT_TRUE(l.files.ibm_config.has_value()) << provider;
    EXPECT_EQ(l.files.templates.filename(),
              provider == "aws" ? "awsprov_templates.json" : provider + "prov_templates.json");
    EXPECT_FALSE(l.templates.templates.empty()) << provider;
  }
}

TEST(IbmCorpus, WhatOhfpCannotHonourIsAWarningNamingIt) {
  const Loaded inst = LoadDirectory("awsinst");
  EXPECT_THAT(inst.config.sources.warnings,
              ::testing::ElementsAre(HasSubstr("AWS_KEY_FILE: ohfp never connects to instances")));
  ASSERT_EQ(inst.files.warnings.size(), 1u);
  EXPECT_THAT(inst.files.warnings[0], HasSubstr("awsprov_templates.json is ignored"));
  EXPECT_THAT(LoadDirectory("lsfaws").config.sources.warnings, ::testing::IsEmpty());
}

TEST(IbmCorpus, IbmsValuesAreTheEffectiveOnes) {
  const Loaded aws = LoadDirectory("aws");
  EXPECT_EQ(aws.config.config.provider.proxy_host, "proxyhost");
  EXPECT_EQ(aws.config.config.provider.proxy_port, 80);
  EXPECT_FALSE(aws.config.config.logging.accept_propagated);
  const Loaded lsf = LoadDirectory("lsfaws");
  EXPECT_EQ(lsf.config.config.provider.region, "eu-west-1");
  EXPECT_EQ(lsf.config.config.provider.connection_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(lsf.config.sources.OriginOf("provider.connection_timeout_ms"),
            "files[1] AWS_CONNECTION_TIMEOUT_MS");
  EXPECT_EQ(lsf.config.config.provider.instance_name, "{templateId}-{requestId}");
}

TEST(IbmCorpus, CoversEveryIbmKeyAndEveryTemplateField) {
  std::set<std::string> keys;
  std::set<std::string> fields;
  bool bare = false;
  bool pairs = false;
  for (const std::string& provider : kProviders) {
    const ProviderFiles f = FindProviderFiles(kCorpus / provider, provider);
    const nlohmann::json config = Json(*f.ibm_config);
    for (auto it = config.begin(); it != config.end(); ++it) keys.insert(it.key());
    const nlohmann::json templates = Json(f.templates);
    for (const nlohmann::json& t : templates["templates"]) {
      for (auto it = t.begin(); it != t.end(); ++it) fields.insert(it.key());
      for (const nlohmann::json& value : t["attributes"]) (value.is_array() ? pairs : bare) = true;
    }
  }
  for (std::string_view key : internal::IbmKeyNames()) {
    EXPECT_THAT(keys, Contains(std::string(key)));
  }
  for (const char* field : {"templateId",
                            "maxNumber",
                            "attributes",
                            "imageId",
                            "subnetId",
                            "vmType",
                            "vmTypes",
                            "vmTypesOnDemand",
                            "vmTypesPriority",
                            "priceType",
                            "rootDeviceVolumeSize",
                            "volumeType",
                            "iops",
                            "volumeThroughput",
                            "instanceTags",
                            "keyName",
                            "securityGroupIds",
                            "fleetRole",
                            "maxSpotPrice",
                            "spotFleetRequestExpiry",
                            "allocationStrategy",
                            "allocationStrategyOnDemand",
                            "percentOnDemand",
                            "poolsCount",
                            "instanceProfile",
                            "userDataScript",
                            "launchTemplateId",
                            "userData",
                            "ebsOptimized",
                            "spotPrice",
                            "placementGroupName",
                            "pgrpName",
                            "tenancy",
                            "interruptible",
                            "onDemandCapacity",
                            "launchTemplateVersion",
                            "providerApi",
                            "fleetType"}) {
    EXPECT_THAT(fields, Contains(std::string(field)));
  }
  EXPECT_TRUE(bare) << "IBM's bare attributes";
  EXPECT_TRUE(pairs) << "the pair form";
}

TEST(IbmCorpus, CoversEveryPriceTypeApiAndFleetType) {
  std::set<std::string> prices;
  std::set<std::string> apis;
  std::set<std::string> fleet_types;
  int chosen_for_ibm = 0;
  int from_ssm = 0;
  for (const std::string& provider : kProviders) {
    for (const model::Template& t : LoadDirectory(provider).templates.templates) {
      prices.emplace(model::PriceTypeName(t.price_type));
      apis.emplace(model::ProviderApiName(t.provider_api));
      if (t.provider_api == model::ProviderApi::kEc2Fleet ||
          t.provider_api == model::ProviderApi::kSpotFleet) {
        fleet_types.emplace(model::FleetTypeName(t.fleet_type));
      }
      chosen_for_ibm += t.ibm_defaults;
      from_ssm += !t.image_parameter.empty();
    }
  }
  EXPECT_EQ(prices, (std::set<std::string>{"ondemand", "spot", "heterogeneous"}));
  EXPECT_EQ(apis, (std::set<std::string>{"RunInstances", "EC2Fleet", "SpotFleet", "ASG"}));
  EXPECT_EQ(fleet_types, (std::set<std::string>{"instant", "request", "maintain"}));
  EXPECT_GE(chosen_for_ibm, 5) << "templates without providerApi, read as IBM's plugin reads them";
  EXPECT_GE(from_ssm, 2) << "images named by SSM parameters, in both spellings";
}

}  // namespace
}  // namespace ohfp::config
