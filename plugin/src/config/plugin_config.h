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
//   resilience  the seed's object, unchanged (config/resilience_json.h)
//
// The IBM AWS plugin's keys are accepted at the top level of the file (AWS_REGION,
// AWS_CREDENTIAL_FILE, AWS_ENDPOINT_URL, AWS_PROXY_HOST, AWS_PROXY_PORT, AWS_CONNECTION_TIMEOUT_MS,
// AWS_INSTANCE_PENDING_TIMEOUT_SEC) and as environment variables; the environment wins over the
// file. The seed's example JSON saved alone as config.json is a complete, valid configuration.
// Every problem — unknown key, wrong type, out-of-range value, bad environment value — is reported
// with its path ("provider.connection_timeout_ms", "env AWS_PROXY_PORT"), all at once.
//
// Thread-safety: value types and stateless functions.
//
// Example:
//   Result<PluginConfig> c = LoadPluginConfig(paths.confdir / "config.json", env);
//   if (!c.ok()) { PrintProblems(c.error()); return 2; }
//   c->provider.instance_pending_timeout;   // 180 s unless configured
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
#include "ohfp/resilience/config.h"
#include "ohfp/resilience/result.h"

namespace ohfp::config {

using resilience::ConfigProblem;

struct ProviderConfig {
  std::string region{};        // empty: AWS_REGION / AWS_DEFAULT_REGION must say
  std::string endpoint_url{};  // one endpoint for every service (AWS_ENDPOINT_URL)
  std::map<std::string, std::string, std::less<>>
      endpoints{};                // per service: "ec2", "autoscaling", "monitoring"
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
  std::map<std::string, std::string, std::less<>> tags{};  // added to every resource ohfp creates
};

struct LoggingConfig {
  std::string level = "info";    // HF_LOGLEVEL wins; debug, info, warning, error, or LOG_* names
  std::string file = "app.log";  // in HF_PROVIDER_LOGDIR
  std::uint64_t max_bytes = 10 * 1024 * 1024;
  int max_files = 5;
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
  resilience::ResilienceConfig resilience{};
};

// Reads a parsed config.json. Problems are appended; the result holds every value that could be
// read.
PluginConfig ReadPluginConfig(const nlohmann::json& value, std::vector<ConfigProblem>& problems);

// Applies the IBM keys and AWS variables from the environment (they win over the file). A malformed
// value is a problem whose path is "env NAME".
void ApplyEnvironment(PluginConfig& config, const aws::Environment& env,
                      std::vector<ConfigProblem>& problems);

// ReadPluginConfig(file) + ApplyEnvironment. A missing file means the embedded defaults (not an
// error); a file that is not JSON is one problem naming the line and column. kValidation with every
// problem, one per line, otherwise.
[[nodiscard]] resilience::Result<PluginConfig> LoadPluginConfig(const std::filesystem::path& file,
                                                                const aws::Environment& env);

// The effective configuration, every key written out (what `ohfp config validate` prints). Holds no
// secret (store.url's password is "***").
nlohmann::json PluginConfigToJson(const PluginConfig& config);

// "path: message" lines, for error output.
std::string FormatProblems(const std::vector<ConfigProblem>& problems);

}  // namespace ohfp::config
