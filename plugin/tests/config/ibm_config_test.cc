// IBM's provider configuration (<provider>prov_config.json, IBM Spectrum Symphony 7.3.2's
// "awsprov_config.json reference") beside ohfp's config.json: which files are read, every IBM key
// honoured or mapped (AWS_KEY_FILE a warning), the precedence defaults < IBM's file < config.json
// < environment, and where each effective value came from.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/plugin_config.h"
#include "config/provider_files.h"
#include "scratch_dir.h"

namespace ohfp::config {
namespace {

using ohfp::testing::ScratchDir;

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Vars = std::map<std::string, std::string, std::less<>>;

// IBM's Linux example, with the region and credentials of a site.
constexpr const char* kIbmExample = R"({
  "ACCEPT_PROPAGATED_LOG_SETTING": "false",
  "AWS_CREDENTIAL_FILE": "/home/aws/credentials",
  "AWS_KEY_FILE": "/home/aws/",
  "AWS_REGION": "eu-west-1",
  "AWS_PROXY_HOST": "proxyhost",
  "AWS_PROXY_PORT": 80,
  "AWS_CONNECTION_TIMEOUT_MS": 10000,
  "AWS_REQUEST_RETRY_ATTEMPTS": 0
})";

LoadedConfig Load(const ScratchDir& dir, const std::string& ibm, const std::string& own,
                  const Vars& env = {}) {
  ConfigFiles files{.config = dir.path() / "config.json"};
  if (!ibm.empty()) files.ibm_config = dir.Write("awsprov_config.json", ibm);
  if (!own.empty()) dir.Write("config.json", own);
  resilience::Result<LoadedConfig> loaded = LoadConfiguration(files, aws::MapEnvironment(env));
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message());
  return loaded.ok() ? std::move(*loaded) : LoadedConfig{};
}

std::string Problems(const ScratchDir& dir, const std::string& ibm, const std::string& own,
                     const Vars& env = {}) {
  ConfigFiles files{.config = dir.path() / "config.json"};
  if (!ibm.empty()) files.ibm_config = dir.Write("awsprov_config.json", ibm);
  if (!own.empty()) dir.Write("config.json", own);
  resilience::Result<LoadedConfig> loaded = LoadConfiguration(files, aws::MapEnvironment(env));
  EXPECT_FALSE(loaded.ok());
  return loaded.ok() ? "" : std::string(loaded.error().message());
}

// ---- Which files ----

TEST(ProviderFiles, TheProvidersOwnFilesElseAwsprov) {
  ScratchDir dir("ibm-config");
  ProviderFiles f = FindProviderFiles(dir.path(), "awsinst");
  EXPECT_FALSE(f.ibm_config.has_value());
  EXPECT_EQ(f.templates, dir.path() / "awsinstprov_templates.json") << "named when missing";
  dir.Write("awsprov_config.json", "{}");
  dir.Write("awsprov_templates.json", "{}");
  f = FindProviderFiles(dir.path(), "awsinst");
  EXPECT_EQ(f.ibm_config, dir.path() / "awsprov_config.json");
  EXPECT_EQ(f.templates, dir.path() / "awsprov_templates.json");
  EXPECT_THAT(f.warnings, IsEmpty());
  dir.Write("awsinstprov_config.json", "{}");
  dir.Write("awsinstprov_templates.json", "{}");
  f = FindProviderFiles(dir.path(), "awsinst");
  EXPECT_EQ(f.ibm_config, dir.path() / "awsinstprov_config.json");
  EXPECT_EQ(f.templates, dir.path() / "awsinstprov_templates.json");
  ASSERT_EQ(f.warnings.size(), 2u) << "both exist: the other is ignored, and said so";
  EXPECT_THAT(f.warnings[0], HasSubstr("awsprov_config.json is ignored: the provider is named "
                                       "awsinst (HF_PROVIDER_NAME), so "));
  EXPECT_THAT(f.warnings[1], HasSubstr("awsprov_templates.json is ignored"));
  // The usual name: one file each, no warning.
  f = FindProviderFiles(dir.path(), "aws");
  EXPECT_EQ(f.ibm_config, dir.path() / "awsprov_config.json");
  EXPECT_THAT(f.warnings, IsEmpty());
  EXPECT_EQ(FindProviderFiles(dir.path(), "").templates, dir.path() / "awsprov_templates.json");
}

// ---- Every key of IBM's reference ----

TEST(IbmConfig, IbmsExampleLoadsWithEveryKeyHonouredOrWarned) {
  ScratchDir dir("ibm-config");
  const LoadedConfig c = Load(dir, kIbmExample, "");
  EXPECT_EQ(c.config.provider.region, "eu-west-1");
  EXPECT_EQ(c.config.provider.credential_file, "/home/aws/credentials");
  EXPECT_EQ(c.config.provider.proxy_host, "proxyhost");
  EXPECT_EQ(c.config.provider.proxy_port, 80);
  EXPECT_EQ(c.config.provider.connection_timeout, std::chrono::milliseconds(10000));
  EXPECT_FALSE(c.config.logging.accept_propagated);
  EXPECT_EQ(c.config.resilience.retry.default_max_attempts, 4)
      << "0 retries of IBM's, each through the AWS SDK's 4 attempts";
  ASSERT_EQ(c.sources.warnings.size(), 1u);
  EXPECT_EQ(c.sources.warnings[0],
            "files[0] AWS_KEY_FILE: ohfp never connects to instances, so it needs no key pair "
            "file; ignored");
}

TEST(IbmConfig, TheRemainingKeysMapOntoOhfpsSettings) {
  ScratchDir dir("ibm-config");
  const LoadedConfig c = Load(dir, R"({
      "AWS_REGION": "us-west-2", "AWS_ENDPOINT_URL": "https://ec2.us-west-2.amazonaws.com:443",
      "AWS_INSTANCE_PENDING_TIMEOUT_SEC": 600, "AWS_REQUEST_RETRY_ATTEMPTS": "2",
      "AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS": 1, "AWS_DESCRIBE_REQUEST_INTERVAL": 250,
      "ACCEPT_PROPAGATED_LOG_SETTING": true})",
                              "");
  EXPECT_EQ(c.config.provider.endpoint_url, "https://ec2.us-west-2.amazonaws.com:443");
  EXPECT_EQ(c.config.provider.instance_pending_timeout, std::chrono::seconds(600));
  EXPECT_EQ(c.config.resilience.retry.default_max_attempts, 12);
  for (const char* op : {"ec2_describe_instances", "spot_fleet_describe_instances",
                         "ec2_describe_fleet_instances", "autoscaling_describe_groups"}) {
    const resilience::RetryOverrides& o = c.config.resilience.retry.operations.at(op);
    EXPECT_EQ(o.max_attempts, 8) << op;
    EXPECT_EQ(o.base_delay, std::chrono::milliseconds(250)) << op;
  }
  EXPECT_TRUE(c.config.logging.accept_propagated);
  EXPECT_THAT(c.sources.warnings, IsEmpty());
}

TEST(IbmConfig, EmptyStringsAreUnsetAsInIbmsSamples) {
  ScratchDir dir("ibm-config");
  const LoadedConfig c =
      Load(dir, R"({"AWS_PROXY_HOST": "", "AWS_PROXY_PORT": "", "AWS_REGION": "us-east-1"})", "");
  EXPECT_EQ(c.config.provider.proxy_host, "");
  EXPECT_FALSE(c.config.provider.proxy_port.has_value());
  EXPECT_EQ(c.sources.OriginOf("provider.proxy_host"), "default");
}

TEST(IbmConfig, BadValuesAndUnknownKeysAreProblemsOfIbmsFile) {
  ScratchDir dir("ibm-config");
  const std::string message = Problems(dir, R"({
      "AWS_REQUEST_RETRY_ATTEMPTS": 11, "AWS_DESCRIBE_REQUEST_INTERVAL": -1,
      "ACCEPT_PROPAGATED_LOG_SETTING": "maybe", "AWS_PROXY_PORT": "eighty",
      "AWS_REGOIN": "us-east-1", "provider": {}})",
                                       "");
  const std::string file = (dir.path() / "awsprov_config.json").string();
  EXPECT_THAT(message, HasSubstr(file + ": 6 problem(s):"));
  EXPECT_THAT(message, HasSubstr("AWS_REQUEST_RETRY_ATTEMPTS: must be between 0 and 10, got 11"));
  EXPECT_THAT(message, HasSubstr("AWS_DESCRIBE_REQUEST_INTERVAL: must be between 0 and 10000, got "
                                 "-1"));
  EXPECT_THAT(message,
              HasSubstr("ACCEPT_PROPAGATED_LOG_SETTING: must be true or false, got \"maybe\""));
  EXPECT_THAT(message, HasSubstr("AWS_PROXY_PORT: must be a port number (1 to 65535)"));
  EXPECT_THAT(message, HasSubstr("AWS_REGOIN: is not a key of IBM's AWS provider configuration "
                                 "(its keys: ACCEPT_PROPAGATED_LOG_SETTING, "));
  EXPECT_THAT(message, HasSubstr("provider: is not a key of IBM's AWS provider configuration"));
  EXPECT_THAT(message, HasSubstr("ohfp's own settings go in config.json"));
}

TEST(IbmConfig, ProblemsOfBothFilesAreReportedFileByFile) {
  ScratchDir dir("ibm-config");
  const std::string message =
      Problems(dir, R"({"AWS_REGION": "moon-1"})", R"({"logging": {"max_files": 0}})");
  EXPECT_THAT(message, HasSubstr((dir.path() / "awsprov_config.json").string() +
                                 ": 1 problem(s):\n  AWS_REGION: "));
  EXPECT_THAT(message, HasSubstr("\n" + (dir.path() / "config.json").string() +
                                 ": 1 problem(s):\n  logging.max_files: "));
}

// ---- Precedence: defaults < IBM's file < config.json < environment ----

TEST(IbmConfig, ConfigJsonWinsOverIbmsFileAndTheEnvironmentOverBoth) {
  ScratchDir dir("ibm-config");
  const std::string own = R"({"provider": {"region": "us-east-2", "proxy_port": 3128},
      "resilience": {"retry": {"default_max_attempts": 5}}})";
  LoadedConfig c = Load(dir, kIbmExample, own);
  EXPECT_EQ(c.config.provider.region, "us-east-2");
  EXPECT_EQ(c.config.provider.proxy_port, 3128);
  EXPECT_EQ(c.config.provider.proxy_host, "proxyhost") << "only in IBM's file";
  EXPECT_EQ(c.config.resilience.retry.default_max_attempts, 5);
  c = Load(dir, kIbmExample, own,
           {{"AWS_REGION", "ap-south-1"},
            {"AWS_PROXY_PORT", "8080"},
            {"AWS_REQUEST_RETRY_ATTEMPTS", "1"}});
  EXPECT_EQ(c.config.provider.region, "ap-south-1");
  EXPECT_EQ(c.config.provider.proxy_port, 8080);
  EXPECT_EQ(c.config.resilience.retry.default_max_attempts, 8);
}

TEST(IbmConfig, ConfigJsonsSectionsKeepIbmsDescribeSettingsTheyDoNotSet) {
  ScratchDir dir("ibm-config");
  const LoadedConfig c = Load(
      dir, R"({"AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS": 2, "AWS_DESCRIBE_REQUEST_INTERVAL": 100})",
      R"({"resilience": {"retry": {"operations": {"ec2_describe_instances": {"max_attempts": 2}}}}})");
  const auto& ops = c.config.resilience.retry.operations;
  EXPECT_EQ(ops.at("ec2_describe_instances").max_attempts, 2);
  EXPECT_EQ(ops.at("ec2_describe_instances").base_delay, std::chrono::milliseconds(100));
  EXPECT_EQ(ops.at("spot_fleet_describe").max_attempts, 12);
}

TEST(IbmConfig, AnIbmKeyInConfigJsonThatItsSectionsContradictIsAConflict) {
  ScratchDir dir("ibm-config");
  const std::string message = Problems(
      dir, "",
      R"({"AWS_REQUEST_RETRY_ATTEMPTS": 1, "resilience": {"retry": {"default_max_attempts": 3}}})");
  EXPECT_THAT(message, HasSubstr("AWS_REQUEST_RETRY_ATTEMPTS: conflicts with "
                                 "resilience.retry.default_max_attempts (3); set one of them"));
  // The same value in both is no conflict.
  const LoadedConfig c = Load(
      dir, "",
      R"({"AWS_REQUEST_RETRY_ATTEMPTS": 1, "resilience": {"retry": {"default_max_attempts": 8}}})");
  EXPECT_EQ(c.config.resilience.retry.default_max_attempts, 8);
}

TEST(IbmConfig, AcceptPropagatedLogSettingDecidesWhetherHostFactorysLogSettingsCount) {
  ScratchDir dir("ibm-config");
  const Vars env = {
      {"HF_LOGLEVEL", "LOG_DEBUG"}, {"HF_LOG_MAX_FILE_SIZE", "20"}, {"HF_LOG_MAX_ROTATE", "9"}};
  LoadedConfig c = Load(dir, R"({"ACCEPT_PROPAGATED_LOG_SETTING": "false"})",
                        R"({"logging": {"level": "warning"}})", env);
  EXPECT_EQ(c.config.logging.level, "warning") << "false: config.json's level, as log4j.xml's";
  EXPECT_EQ(c.config.logging.max_files, 5);
  c = Load(dir, R"({"ACCEPT_PROPAGATED_LOG_SETTING": true})",
           R"({"logging": {"level": "warning"}})", env);
  EXPECT_EQ(c.config.logging.level, "debug");
  EXPECT_EQ(c.config.logging.max_bytes, 20u << 20);
  EXPECT_EQ(c.config.logging.max_files, 9);
  EXPECT_EQ(c.sources.OriginOf("logging.max_bytes"), "env HF_LOG_MAX_FILE_SIZE");
  // ohfp's default accepts them (it has no log4j.xml).
  c = Load(dir, "", R"({})", env);
  EXPECT_EQ(c.config.logging.level, "debug");
  EXPECT_THAT(Problems(dir, "", "{}", {{"HF_LOG_MAX_ROTATE", "0"}}),
              HasSubstr("env HF_LOG_MAX_ROTATE: must be a whole number from 1 to 1000, got \"0\""));
}

// ---- Where each value came from ----

TEST(IbmConfig, EveryEffectiveValueKnowsItsSourceAndEveryFileIsListedOnce) {
  ScratchDir dir("ibm-config");
  const LoadedConfig c = Load(dir, kIbmExample,
                              R"({"provider": {"proxy_port": 3128, "tags": {"team": "hpc"}},
               "AWS_INSTANCE_PENDING_TIMEOUT_SEC": 300,
               "resilience": {"retry": {"default_base_delay": 0.5}}})",
                              {{"HF_LOGLEVEL", "LOG_ERR"}, {"AWS_CONNECTION_TIMEOUT_MS", "2000"}});
  EXPECT_THAT(c.sources.files, ::testing::ElementsAre(dir.path() / "awsprov_config.json",
                                                      dir.path() / "config.json"));
  const nlohmann::ordered_json origins = OriginsJson(PluginConfigToJson(c.config), c.sources);
  EXPECT_EQ(origins["provider.region"], "files[0] AWS_REGION");
  EXPECT_EQ(origins["provider.proxy_host"], "files[0] AWS_PROXY_HOST");
  EXPECT_EQ(origins["provider.proxy_port"], "files[1]");
  EXPECT_EQ(origins["provider.tags.team"], "files[1]");
  EXPECT_EQ(origins["provider.instance_pending_timeout_sec"],
            "files[1] AWS_INSTANCE_PENDING_TIMEOUT_SEC");
  EXPECT_EQ(origins["provider.connection_timeout_ms"], "env AWS_CONNECTION_TIMEOUT_MS");
  EXPECT_EQ(origins["resilience.retry.default_max_attempts"],
            "files[0] AWS_REQUEST_RETRY_ATTEMPTS");
  EXPECT_EQ(origins["resilience.retry.default_base_delay"], "files[1]");
  EXPECT_EQ(origins["logging.accept_propagated"], "files[0] ACCEPT_PROPAGATED_LOG_SETTING");
  EXPECT_EQ(origins["logging.level"], "default") << "HF_LOGLEVEL is not accepted by IBM's file";
  EXPECT_EQ(origins["storage.file"], "default");
  // Every leaf of the effective configuration has an origin.
  std::size_t leaves = 0;
  for (auto it = origins.begin(); it != origins.end(); ++it) ++leaves;
  EXPECT_GT(leaves, 40u);
}

TEST(IbmConfig, AMissingIbmFileOrConfigJsonIsNoProblemAndNotListed) {
  ScratchDir dir("ibm-config");
  const LoadedConfig c = Load(dir, "", "");
  EXPECT_THAT(c.sources.files, IsEmpty());
  EXPECT_EQ(c.sources.OriginOf("provider.region"), "default");
  resilience::Result<LoadedConfig> none = LoadConfiguration(
      {.ibm_config = dir.path() / "awsprov_config.json", .config = dir.path() / "config.json"},
      aws::MapEnvironment{});
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(none->sources.files, IsEmpty());
}

}  // namespace
}  // namespace ohfp::config
