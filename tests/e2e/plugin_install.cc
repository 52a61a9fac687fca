#include "plugin_install.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace ohfp::testing {

namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

nlohmann::json FastTestConfig() {
  nlohmann::json config = nlohmann::json::parse(
      ReadFile(std::string(OHFP_SOURCE_DIR) + "/config/examples/seed-resilience.json"));
  nlohmann::json& retry = config["resilience"]["retry"];
  retry["default_base_delay"] = 0.05;
  retry["default_max_delay"] = 0.2;
  retry["default_jitter"] = false;
  for (auto& [name, op] : retry["operations"].items()) {
    op["base_delay"] = 0.05;
    op["max_delay"] = 0.2;
    op["jitter"] = false;
  }
  return config;
}

PluginInstall::PluginInstall(AwsAccess aws, const nlohmann::json& templates,
                             const nlohmann::json& config)
    : aws_(std::move(aws)) {
  std::filesystem::create_directories(confdir());
  std::filesystem::create_directories(workdir());
  std::filesystem::create_directories(logdir());
  WriteConf("config.json", config.dump(2));
  WriteConf("awsprov_templates.json", templates.dump(2));
}

std::map<std::string, std::string> PluginInstall::Env() const {
  std::map<std::string, std::string> env = {{"HF_PROVIDER_CONFDIR", confdir()},
                                            {"HF_PROVIDER_WORKDIR", workdir()},
                                            {"HF_PROVIDER_LOGDIR", logdir()},
                                            {"HF_LOGLEVEL", "LOG_DEBUG"},
                                            {"AWS_ENDPOINT_URL", aws_.url},
                                            {"AWS_REGION", "us-east-1"},
                                            {"AWS_ACCESS_KEY_ID", aws_.access_key_id},
                                            {"AWS_SECRET_ACCESS_KEY", aws_.secret_access_key},
                                            {"OHFP_BIN", OhfpBinary()}};
  for (const auto& [k, v] : extra_env_) env[k] = v;
  return env;
}

void PluginInstall::WriteConf(const std::string& name, const std::string& content) const {
  std::ofstream(confdir() + "/" + name, std::ios::trunc) << content;
}

std::string ShimPath(const std::string& command) {
  return std::string(OHFP_SOURCE_DIR) + "/scripts/hostfactory/" + command + ".sh";
}

CommandOutput ToCommandOutput(ProcessResult r) {
  CommandOutput out;
  out.exit_code = r.exit_code;
  out.out = std::move(r.out);
  out.err = std::move(r.err);
  out.json = nlohmann::json::parse(out.out, nullptr, /*allow_exceptions=*/false);
  out.json_ok = !out.json.is_discarded();
  return out;
}

CommandOutput PluginInstall::Run(const std::string& command, const nlohmann::json& input,
                                 std::chrono::seconds timeout) const {
  // One input file per call: concurrent calls must not share one.
  TempDir call;
  const std::string file = call.Write("input.json", input.dump());
  return ToCommandOutput(
      RunProcess({"/bin/sh", ShimPath(command), "-f", file},
                 {.env = Env(),
                  .unset_env = {"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE",
                                "AWS_SHARED_CREDENTIALS_FILE"},
                  .timeout = timeout}));
}

CommandOutput PluginInstall::Ohfp(const std::vector<std::string>& args,
                                  const std::string& stdin_text) const {
  std::vector<std::string> argv = {OhfpBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return ToCommandOutput(RunProcess(argv, {.stdin_text = stdin_text, .env = Env()}));
}

std::string PluginInstall::Log() const {
  std::string text;
  for (int i = 9; i >= 1; --i) {
    const std::string rotated = logdir() + "/app.log." + std::to_string(i);
    if (std::filesystem::exists(rotated)) text += ReadFile(rotated);
  }
  return text + ReadFile(logdir() + "/app.log");
}

std::string PluginInstall::BreakerState(const std::string& service) const {
  const CommandOutput s = Ohfp({"breaker", "status"});
  EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
  if (!s.json_ok || !s.json.is_array()) return "";
  for (const auto& b : s.json) {
    if (b.value("service", "") == service) return b.value("state", "");
  }
  return "";
}

}  // namespace ohfp::testing
