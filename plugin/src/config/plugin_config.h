// config/plugin_config.h
//
// The plugin's configuration: config.json in HostFactory's configuration directory
// (HF_PROVIDER_CONFDIR, or --config), with these sections, every one optional:
//
//   provider    AWS: region, endpoints, credentials file and profile, proxy, timeouts, tags
//   logging     app.log: level, size, rotation
//   storage     the embedded SQLite state database in HF_PROVIDER_WORKDIR
//   store       where the state lives: a PostgreSQL server shared by several hosts (url, or the
//               environment variable OHFP_STORE_URL, which wins) instead of SQLite; schemas,
//               the timeout of each store call, how long finished requests are kept
//   metrics     the Prometheus textfile, optional CloudWatch publishing
//   resilience  the seed's object, unchanged (config/resilience_json.h); without it, ohfp's
//               embedded defaults (the seed's values and the rate limiter with AWS's limits)
//
// IBM's own provider configuration (<provider>prov_config.json beside it, config/ibm_keys.h) is
// read too, and IBM's keys are also accepted at the top level of config.json and as environment
// variables. Precedence, lowest first: the defaults, IBM's file, config.json (its sections, then
// its IBM keys), the environment. ConfigSources records where each effective value came from.
// The seed's example JSON saved alone as config.json is a complete, valid configuration. Every
// problem — unknown key, wrong type, out-of-range value, bad environment value — is reported with
// its path ("provider.connection_timeout_ms", "env AWS_PROXY_PORT"), all at once, per file.
//
// Thread-safety: value types and stateless functions.
//
// Example:
//   Result<LoadedConfig> c = LoadConfiguration({.ibm_config = confdir / "awsprov_config.json",
//                                               .config = confdir / "config.json"}, env);
//   if (!c.ok()) { PrintProblems(c.error()); return 2; }
//   c->config.provider.instance_pending_timeout;        // 180 s unless configured
//   c->sources.OriginOf("provider.region");             // "files[0] AWS_REGION"
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aws/environment.h"
#include "config/config_sources.h"
#include "config/resilience_json.h"
#include "ohfp/resilience/config.h"
#include "ohfp/resilience/result.h"

namespace ohfp::config {

using resilience::ConfigProblem;

struct ProviderConfig {
  std::string region{};        // empty: AWS_REGION / AWS_DEFAULT_REGION must say
  std::string endpoint_url{};  // one endpoint for every service (AWS_ENDPOINT_URL)
  std::map<std::string, std::string, std::less<>>
      endpoints{};                // per service: "ec2", "autoscaling", "monitoring", "ssm"
  std::string credential_file{};  // AWS_CREDENTIAL_FILE; empty: the usual chain
  std::string profile{};          // profile in the credentials file; empty: AWS_PROFILE/default
  std::string proxy_host{};       // AWS_PROXY_HOST
  std::optional<std::uint16_t> proxy_port{};  // AWS_PROXY_PORT
  std::string ca_bundle{};                    // CA certificates for TLS; empty: the system's
  std::chrono::milliseconds connection_timeout{10000};  // AWS_CONNECTION_TIMEOUT_MS
  std::chrono::seconds instance_pending_timeout{180};   // AWS_INSTANCE_PENDING_TIMEOUT_SEC
  std::chrono::seconds fleet_fulfillment_timeout{
      600};  // a request/maintain fleet or group short of its target this
             // long ends complete_with_error
  std::chrono::seconds unclaimed_request_timeout{
      600};  // a request HostFactory never asked about (its creating
             // process died before printing the id) is reclaimed after; also how
             // long a launch whose outcome is unknown may stay unconfirmed
  // How long a machine must have been known before "does not exist" from a describe by its id
  // counts as proof that it is gone (EC2's describe calls are eventually consistent).
  std::chrono::seconds instance_visibility_grace{300};
  // The orphan sweep terminates no instance younger than this.
  std::chrono::seconds orphan_min_age{900};
  // Every AWS call of one command (one process) ends within this of its start; what is left is
  // picked up by the next poll. Below HostFactory's own limit on a provider script.
  std::chrono::seconds command_timeout{100};
  std::map<std::string, std::string, std::less<>> tags{};  // added to every resource ohfp creates
  // The Name tag of launched instances: {templateId}, {requestId} and {provider} are replaced;
  // "" for none (model::InstanceName).
  std::string instance_name = "ohfp-{templateId}-{requestId}";
  // How long the value of an SSM parameter a template's imageId names is reused, by every process,
  // before GetParameter is asked again; 0: every request asks.
  std::chrono::seconds ssm_parameter_ttl{300};
};

struct LoggingConfig {
  std::string level = "info";    // HF_LOGLEVEL wins; debug, info, warning, error, or LOG_* names
  std::string file = "app.log";  // in HF_PROVIDER_LOGDIR
  std::uint64_t max_bytes = 10 * 1024 * 1024;
  int max_files = 5;
  // HostFactory's HF_LOGLEVEL, HF_LOG_MAX_FILE_SIZE (MB) and HF_LOG_MAX_ROTATE win over level,
  // max_bytes and max_files (IBM's ACCEPT_PROPAGATED_LOG_SETTING).
  bool accept_propagated = true;
};

struct StorageConfig {
  std::string file = "ohfp-state.db";  // in HF_PROVIDER_WORKDIR
  std::chrono::milliseconds busy_timeout{5000};
};

struct StoreConfig {
  // A libpq connection URI (postgresql://user@host:port/db?sslmode=...); empty: SQLite in the work
  // directory (storage.*). OHFP_STORE_URL wins over the file. The password may come from libpq's
  // usual sources (PGPASSWORD, PGPASSFILE, ~/.pgpass); it is never printed.
  std::string url{};
  std::string schema = "ohfp";      // PostgreSQL: this installation's tables
  std::string resilience_schema{};  // PostgreSQL: breakers and quotas; empty: `schema`
  // PostgreSQL: connecting, and each store call (its statements, its retries).
  std::chrono::milliseconds timeout{10000};
  // Finished requests are removed after this long, by the commands, `purge_batch` at a time.
  std::chrono::hours retention{24 * 30};
  int purge_batch = 500;

  bool postgres() const noexcept { return !url.empty(); }
  const std::string& effective_resilience_schema() const noexcept {
    return resilience_schema.empty() ? schema : resilience_schema;
  }
};

struct MetricsConfig {
  std::string textfile =
      "ohfp-metrics.prom";  // Prometheus textfile in HF_PROVIDER_WORKDIR; empty: none
  bool cloudwatch = false;  // also publish to CloudWatch (PutMetricData)
  std::string cloudwatch_namespace = "OHFP/HostFactory";
};

struct PluginConfig {
  ProviderConfig provider{};
  LoggingConfig logging{};
  StorageConfig storage{};
  StoreConfig store{};
  MetricsConfig metrics{};
  resilience::ResilienceConfig resilience = EmbeddedResilienceDefaults();
};

// Reads a parsed config.json. Problems are appended; the result holds every value that could be
// read.
PluginConfig ReadPluginConfig(const nlohmann::json& value, std::vector<ConfigProblem>& problems);

// Applies the IBM keys and AWS variables from the environment (they win over the files), and
// HostFactory's log settings when accepted. A malformed value is a problem whose path is
// "env NAME". With `sources`, records "env NAME" as the origin of what it sets.
void ApplyEnvironment(PluginConfig& config, const aws::Environment& env,
                      std::vector<ConfigProblem>& problems);
void ApplyEnvironment(PluginConfig& config, const aws::Environment& env, ConfigSources& sources,
                      std::vector<ConfigProblem>& problems);

struct ConfigFiles {
  // IBM's <provider>prov_config.json (config/provider_files.h finds it); none: not read.
  std::optional<std::filesystem::path> ibm_config{};
  std::filesystem::path config{};  // config.json; a missing file means the defaults
};

struct LoadedConfig {
  PluginConfig config{};
  ConfigSources sources{};
};

// IBM's file, then config.json, then the environment. A missing file is not an error; a file that
// is not JSON is one problem naming the line and column. kValidation with every problem of every
// file otherwise ("<file>: N problem(s):" and one per line, file by file).
[[nodiscard]] resilience::Result<LoadedConfig> LoadConfiguration(const ConfigFiles& files,
                                                                 const aws::Environment& env);
// config.json alone + the environment.
[[nodiscard]] resilience::Result<PluginConfig> LoadPluginConfig(const std::filesystem::path& file,
                                                                const aws::Environment& env);

// The effective configuration, every key written out (what `ohfp config validate` prints). Holds no
// secret (store.url's password is "***").
nlohmann::json PluginConfigToJson(const PluginConfig& config);

// "path: message" lines, for error output.
std::string FormatProblems(const std::vector<ConfigProblem>& problems);

}  // namespace ohfp::config
