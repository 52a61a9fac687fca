// tests/e2e/plugin_install.h
//
// PluginInstall: ohfp installed the way a Symphony administrator installs it, in a temporary
// directory: conf/ (config.json, awsprov_templates.json), work/ (the state database, the metrics
// textfile), logs/ (app.log), and the environment HostFactory gives every command
// (HF_PROVIDER_CONFDIR, HF_PROVIDER_WORKDIR, HF_PROVIDER_LOGDIR, AWS_ENDPOINT_URL, the access key
// moto checks signatures against).
// Commands run as separate processes, through the shell shims in scripts/hostfactory/ (as
// HostFactory runs them) or the ohfp binary directly.
//
// Thread-safety: Run() may be called from several threads at once (each is its own process).
//
// Example:
//   PluginInstall install(proxy->url(), R"({"templates": [...]})");
//   CommandOutput r = install.Run("requestMachines",
//                                 {{"template", {{"templateId", "OnDemand"}, {"machineCount",
//                                 2}}}});
//   ASSERT_EQ(r.exit_code, 0) << r.err;
//   std::string id = r.json["requestId"];
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "moto.h"
#include "subprocess.h"

namespace ohfp::testing {

struct CommandOutput {
  int exit_code = -1;     // -signal when killed
  nlohmann::json json{};  // stdout parsed; discarded when stdout is not one JSON document
  bool json_ok = false;   // stdout was exactly one JSON document
  std::string out{};
  std::string err{};
};

// The seed's example configuration with retry delays shortened for tests (base 0.05 s, no
// jitter), so a throttled call costs milliseconds, not seconds. Breakers are as in the seed.
nlohmann::json FastTestConfig();

// Where AWS is (moto, or the chaos proxy in front of it) and the key to sign with: the
// environment's AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. A bare URL gets
// moto's default key testing/testing (good for a moto that does not check signatures, or for no
// AWS at all).
struct AwsAccess {
  AwsAccess(std::string endpoint) : url(std::move(endpoint)) {}  // NOLINT: implicit on purpose
  AwsAccess(const char* endpoint) : url(endpoint) {}             // NOLINT: implicit on purpose
  AwsAccess(std::string endpoint, const MotoCredentials& key)
      : url(std::move(endpoint)),
        access_key_id(key.access_key_id),
        secret_access_key(key.secret_access_key) {}

  std::string url;
  std::string access_key_id = "testing";
  std::string secret_access_key = "testing";
};

class PluginInstall {
 public:
  PluginInstall(AwsAccess aws, const nlohmann::json& templates,
                const nlohmann::json& config = FastTestConfig());

  const std::string& root() const { return dir_.path(); }
  std::string confdir() const { return root() + "/conf"; }
  std::string workdir() const { return root() + "/work"; }
  std::string logdir() const { return root() + "/logs"; }
  std::string state_db() const { return workdir() + "/ohfp-state.db"; }
  // The environment HostFactory gives each command.
  std::map<std::string, std::string> Env() const;
  // Adds (or replaces) a variable of that environment, e.g. HF_PROVIDER_NAME. Not thread-safe:
  // call it before running commands.
  void SetEnv(const std::string& name, const std::string& value) { extra_env_[name] = value; }
  // Replaces a file in conf/.
  void WriteConf(const std::string& name, const std::string& content) const;

  // Runs scripts/hostfactory/<command>.sh -f <file holding `input`>, as HostFactory does.
  CommandOutput Run(const std::string& command,
                    const nlohmann::json& input = nlohmann::json::object(),
                    std::chrono::seconds timeout = std::chrono::seconds(120)) const;
  // Runs the ohfp binary with `args` (e.g. {"breaker", "status"}) and `stdin_text`.
  CommandOutput Ohfp(const std::vector<std::string>& args,
                     const std::string& stdin_text = "") const;
  // The app.log text (all rotated files, oldest first).
  std::string Log() const;
  // `service`'s breaker state as `ohfp breaker status` prints it ("closed", "open", ...; "" when
  // not listed). A test failure when the command fails.
  std::string BreakerState(const std::string& service) const;

 private:
  TempDir dir_;
  AwsAccess aws_;
  std::map<std::string, std::string> extra_env_;
};

// The shim of `command` in scripts/hostfactory/.
std::string ShimPath(const std::string& command);
// Parses a process's stdout as one JSON document.
CommandOutput ToCommandOutput(ProcessResult r);

}  // namespace ohfp::testing
