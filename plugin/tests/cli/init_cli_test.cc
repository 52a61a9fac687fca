// `ohfp init`, run as an administrator runs it, without AWS (tests/install/ runs --discover against
// moto from the installed tree).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "subprocess.h"

namespace ohfp::cli {
namespace {

namespace fs = std::filesystem;
using ohfp::testing::ProcessResult;
using ohfp::testing::ReadFileText;
using ohfp::testing::TempDir;
using ::testing::HasSubstr;

const std::vector<std::string> kNoAwsEnvironment = {"AWS_REGION", "AWS_DEFAULT_REGION",
                                                    "AWS_PROFILE", "AWS_ENDPOINT_URL", "OHFP_BIN"};

ProcessResult Init(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), {ohfp::testing::OhfpBinary(), "init"});
  return ohfp::testing::RunProcess(args, {.env = std::move(env), .unset_env = kNoAwsEnvironment});
}

nlohmann::json ReadJson(const fs::path& path) {
  return nlohmann::json::parse(ReadFileText(path.string()));
}

TEST(InitCli, WritesAProviderDirectoryThatOhfpAccepts) {
  TempDir dir;
  const std::string conf = dir.path() + "/awsinst";
  const ProcessResult r = Init({"--name", "awsinst", "--confdir", conf, "--region", "eu-west-1",
                                "--image-id", "ami-0123456789abcdef0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wrote " + conf + "/config.json"));
  EXPECT_THAT(r.out, HasSubstr("wrote " + conf + "/awsprov_templates.json"));

  const nlohmann::json templates = ReadJson(conf + "/awsprov_templates.json");
  ASSERT_EQ(templates["templates"].size(), 1U);
  EXPECT_EQ(templates["templates"][0]["templateId"], "OnDemand");
  EXPECT_EQ(templates["templates"][0]["imageId"], "ami-0123456789abcdef0");
  EXPECT_EQ(templates["templates"][0]["vmType"], "t3.medium");
  EXPECT_EQ(ReadJson(conf + "/config.json")["provider"]["region"], "eu-west-1");

  // The registration entries, to merge into HostFactory's files by hand.
  const nlohmann::json plugins = ReadJson(conf + "/hostfactory/hostProviderPlugins.json");
  EXPECT_EQ(plugins["version"], 2);
  ASSERT_EQ(plugins["providerplugins"].size(), 1U);
  EXPECT_EQ(plugins["providerplugins"][0]["name"], "ohfp");
  EXPECT_EQ(plugins["providerplugins"][0]["enabled"], 1);
  const fs::path scripts = plugins["providerplugins"][0]["scriptPath"].get<std::string>();
  EXPECT_TRUE(fs::is_regular_file(scripts / "ohfp-command.sh")) << scripts;
  EXPECT_TRUE(fs::exists(scripts / "requestMachines.sh")) << scripts;
  const nlohmann::json providers = ReadJson(conf + "/hostfactory/hostProviders.json");
  ASSERT_EQ(providers["providers"].size(), 1U);
  const nlohmann::json& p = providers["providers"][0];
  EXPECT_EQ(p["name"], "awsinst");
  EXPECT_EQ(p["plugin"], "ohfp");
  EXPECT_EQ(p["confPath"], conf + "/");
  EXPECT_EQ(p["workPath"], "${HF_WORKDIR}/providers/awsinst/");
  EXPECT_EQ(p["logPath"], "${HF_LOGDIR}/");

  // What ohfp itself makes of it.
  const ProcessResult validate =
      ohfp::testing::RunProcess({ohfp::testing::OhfpBinary(), "config", "validate"},
                                {.env = {{"HF_PROVIDER_CONFDIR", conf}}});
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_THAT(validate.out, HasSubstr("ami-0123456789abcdef0"));
}

TEST(InitCli, NeverReplacesAFileWithoutForce) {
  TempDir dir;
  const std::string conf = dir.path() + "/awsinst";
  const std::vector<std::string> args = {"--name", "awsinst",    "--confdir",
                                         conf,     "--image-id", "ami-0123456789abcdef0"};
  ASSERT_EQ(Init(args).exit_code, 0);
  std::ofstream(conf + "/config.json", std::ios::trunc) << R"({"logging": {"level": "debug"}})";

  const ProcessResult again = Init(args);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("--force"));
  EXPECT_THAT(again.err, HasSubstr(conf + "/config.json"));
  EXPECT_EQ(ReadFileText(conf + "/config.json"), R"({"logging": {"level": "debug"}})");

  std::vector<std::string> forced = args;
  forced.push_back("--force");
  ASSERT_EQ(Init(forced).exit_code, 0);
  EXPECT_THAT(ReadFileText(conf + "/config.json"), HasSubstr("\"resilience\""));
}

TEST(InitCli, RegistersWithHostFactoryKeepingTheOtherEntries) {
  TempDir dir;
  const fs::path hf = dir.path() + "/conf";
  fs::create_directories(hf / "providers");
  std::ofstream(hf / "providers" / "hostProviders.json")
      << R"({"version": 2, "providers": [{"name": "awsinst", "enabled": 1, "plugin": "aws",)"
         R"( "confPath": "${HF_CONFDIR}/providers/awsinst/", "workPath":)"
         R"( "${HF_WORKDIR}/providers/awsinst/", "logPath": "${HF_LOGDIR}/"}]})";
  const fs::perms mode = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read;
  fs::permissions(hf / "providers" / "hostProviders.json", mode);

  const ProcessResult r = Init({"--name", "ohfpinst", "--hostfactory-conf", hf.string(),
                                "--image-id", "ami-0123456789abcdef0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fs::status(hf / "providers" / "hostProviders.json").permissions(), mode)
      << "a rewritten HostFactory file keeps its mode";
  EXPECT_TRUE(fs::exists(hf / "providers" / "ohfpinst" / "config.json"));
  EXPECT_TRUE(fs::exists(hf / "providers" / "ohfpinst" / "awsprov_templates.json"));
  EXPECT_FALSE(fs::exists(hf / "providers" / "ohfpinst" / "hostfactory"));
  const nlohmann::json providers = ReadJson(hf / "providers" / "hostProviders.json");
  ASSERT_EQ(providers["providers"].size(), 2U);
  EXPECT_EQ(providers["providers"][0]["name"], "awsinst");
  EXPECT_EQ(providers["providers"][0]["plugin"], "aws");
  EXPECT_EQ(providers["providers"][1]["name"], "ohfpinst");
  EXPECT_EQ(providers["providers"][1]["plugin"], "ohfp");
  EXPECT_EQ(providers["providers"][1]["confPath"], (hf / "providers" / "ohfpinst").string() + "/");
  const nlohmann::json plugins = ReadJson(hf / "providerplugins" / "hostProviderPlugins.json");
  ASSERT_EQ(plugins["providerplugins"].size(), 1U);
  EXPECT_EQ(plugins["providerplugins"][0]["name"], "ohfp");

  // A second provider instance of the same plugin: one plugin entry still.
  ASSERT_EQ(Init({"--name", "ohfpinst2", "--hostfactory-conf", hf.string(), "--image-id",
                  "ami-0123456789abcdef0"})
                .exit_code,
            0);
  EXPECT_EQ(ReadJson(hf / "providerplugins" / "hostProviderPlugins.json")["providerplugins"].size(),
            1U);
  EXPECT_EQ(ReadJson(hf / "providers" / "hostProviders.json")["providers"].size(), 3U);
}

TEST(InitCli, ADifferentEntryOfTheSameNameStopsEverything) {
  TempDir dir;
  const fs::path hf = dir.path() + "/conf";
  fs::create_directories(hf / "providers");
  const std::string theirs =
      R"({"version": 2, "providers": [{"name": "awsinst", "enabled": 1, "plugin": "aws"}]})";
  std::ofstream(hf / "providers" / "hostProviders.json") << theirs;

  const ProcessResult r = Init({"--name", "awsinst", "--hostfactory-conf", hf.string(),
                                "--image-id", "ami-0123456789abcdef0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr((hf / "providers" / "hostProviders.json").string()));
  EXPECT_THAT(r.err, HasSubstr("--force"));
  EXPECT_EQ(ReadFileText((hf / "providers" / "hostProviders.json").string()), theirs);
  EXPECT_FALSE(fs::exists(hf / "providers" / "awsinst")) << "nothing is written";
  EXPECT_FALSE(fs::exists(hf / "providerplugins")) << "nothing is written";
}

TEST(InitCli, BadArgumentsExitTwoAndWriteNothing) {
  TempDir dir;
  const std::string conf = dir.path() + "/p";
  const std::vector<std::vector<std::string>> cases = {
      {"--name", "aws inst", "--confdir", conf, "--image-id", "ami-0123456789abcdef0"},
      {"--name", "awsinst", "--image-id", "ami-0123456789abcdef0"},
      {"--name", "awsinst", "--confdir", conf},
      {"--name", "awsinst", "--confdir", conf, "--discover"},
      {"--name", "awsinst", "--confdir", conf, "--discover", "--region", "moon-1"},
      {"--name", "awsinst", "--confdir", conf, "--image-id", "ami-0", "--max-number", "-5"},
      {"--confdir", conf, "--image-id", "ami-0123456789abcdef0"},
  };
  for (const std::vector<std::string>& args : cases) {
    const ProcessResult r = Init(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << "\n" << r.err;
    EXPECT_THAT(r.err, ::testing::Not(::testing::IsEmpty())) << ::testing::PrintToString(args);
  }
  EXPECT_FALSE(fs::exists(conf));
}

TEST(InitCli, WhenAwsFailsNothingIsWrittenAndTheRetriesAreReported) {
  TempDir dir;
  const std::string conf = dir.path() + "/awsinst";
  // Nothing listens on port 9: every attempt is refused, and retried by the pipeline.
  const ProcessResult r =
      Init({"--name", "awsinst", "--confdir", conf, "--region", "us-east-1", "--discover"},
           {{"AWS_ENDPOINT_URL", "http://127.0.0.1:9"},
            {"AWS_ACCESS_KEY_ID", "testing"},
            {"AWS_SECRET_ACCESS_KEY", "testing"}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("ssm_get_parameter attempt 1 failed"));
  EXPECT_THAT(r.err, HasSubstr("asking AWS (us-east-1) failed"));
  EXPECT_FALSE(fs::exists(conf));
}

}  // namespace
}  // namespace ohfp::cli
