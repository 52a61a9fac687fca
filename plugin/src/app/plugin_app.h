// app/plugin_app.h
//
// PluginApp: everything one ohfp command needs, built from the environment HostFactory gives it:
//
//   paths     HF_PROVIDER_CONFDIR (IBM's <provider>prov_config.json, config.json,
//             <provider>prov_templates.json: config/provider_files.h), HF_PROVIDER_WORKDIR (the
//             state database, the metrics textfile), HF_PROVIDER_LOGDIR (app.log); each may be
//             overridden on the command line
//   config    IBM's file + config.json + environment (config/plugin_config.h), with where each
//             value came from; what cannot be honoured is logged as a warning
//   log       app.log, JSON lines, shared by processes (logging/app_log.h), with the resilience
//             events in it
//   stores    the request store and the resilience state store (store/open_stores.h): one SQLite
//             file in the work directory, or a PostgreSQL server when store.url (OHFP_STORE_URL)
//             is set, shared by the hosts of a failover pair; a circuit opened by one process
//             rejects in the next and the retry budget is shared
//   pipeline  the seed's resilience configuration over that state; every AWS call goes through it
//   AWS       credentials chain, socket transport (timed), endpoints, AwsClient, AwsProvider
//   identity  the installation's (hostfactory/installation.h): a store of another installation,
//             or a lost one while the cloud holds this installation's machines, stops the command
//   service   the five commands (hostfactory/service.h)
//
// Finish() adds this process's counters to the store, rewrites the Prometheus textfile and logs the
// command's exit code, wall time and the part of it spent in AWS round trips.
//
// Thread-safety: one PluginApp per process, used by its main thread.
//
// Example:
//   Result<std::unique_ptr<PluginApp>> app = PluginApp::Create(options, env);
//   CommandResult r = (*app)->service().GetRequestStatus(ids);
//   (*app)->Finish("getRequestStatus", r.exit_code);
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "aws/socket_transport.h"
#include "aws/timed_transport.h"
#include "config/plugin_config.h"
#include "config/provider_files.h"
#include "config/templates_file.h"
#include "hostfactory/service.h"
#include "logging/app_log.h"
#include "logging/resilience_log.h"
#include "ohfp/resilience/pipeline.h"
#include "provider/aws_provider.h"
#include "store/open_stores.h"

namespace ohfp::app {

struct PluginPaths {
  std::filesystem::path confdir{};
  std::filesystem::path workdir{};
  std::filesystem::path logdir{};
};

struct AppOptions {
  std::optional<std::filesystem::path> config_file{};  // default: confdir/config.json
  std::optional<std::filesystem::path> confdir{};
  std::optional<std::filesystem::path> workdir{};
  std::optional<std::filesystem::path> logdir{};
  bool need_templates =
      true;  // the HostFactory commands need them; config/metrics/breaker commands do not
  bool need_aws = true;        // build the AWS client and provider
  bool log_to_stderr = false;  // also echo log lines to stderr (interactive commands)
  // `ohfp reconcile --adopt`: a lost store is accepted (its records are about to be rebuilt).
  bool accept_lost_store = false;
};

// Counters as Prometheus' text exposition format (one "# TYPE <name> counter" per family): what
// `ohfp metrics`, the textfile and `ohfp serve`'s /metrics print.
std::string PrometheusText(const std::vector<store::MetricDelta>& counters);

// confdir: option > HF_PROVIDER_CONFDIR > "."; workdir: option > HF_PROVIDER_WORKDIR > confdir;
// logdir: option > HF_PROVIDER_LOGDIR > workdir.
PluginPaths ResolvePaths(const AppOptions& options, const aws::Environment& env);
// config.json: the option, else confdir/config.json.
std::filesystem::path ConfigFile(const AppOptions& options, const PluginPaths& paths);

// Where the configuration puts the stores: PostgreSQL at store.url, else SQLite in the workdir.
store::StoreLocation StoreLocationFor(const config::PluginConfig& config, const PluginPaths& paths);

class PluginApp {
 public:
  // Errors are kValidation (configuration, templates: exit 2) or kInternal (the store, the log, or
  // the installation's identity: exit 1).
  [[nodiscard]] static resilience::Result<std::unique_ptr<PluginApp>> Create(
      const AppOptions& options, const aws::Environment& env);
  ~PluginApp();
  PluginApp(const PluginApp&) = delete;
  PluginApp& operator=(const PluginApp&) = delete;

  hostfactory::HostFactoryService& service() { return *service_; }
  const config::PluginConfig& config() const { return config_; }
  const config::ConfigSources& config_sources() const { return sources_; }
  const PluginPaths& paths() const { return paths_; }
  logging::AppLog& log() { return *log_; }
  store::RequestStore& store() { return *stores_.requests; }
  // Where the stores are, for messages: "sqlite <file>" or "postgresql <url without password>".
  const std::string& store_description() const { return store_description_; }
  // PostgreSQL: the connections of both stores (thread-safe; store::OpenReader); else null.
  const std::shared_ptr<store::PgPool>& store_pool() const { return stores_.pool; }
  const std::string& installation_id() const { return installation_id_; }
  resilience::ResiliencePipeline& pipeline() { return *pipeline_; }
  resilience::StateStore& state_store() { return *stores_.state; }

  // Records the command's outcome, adds this process's counters to the store, rewrites the metrics
  // textfile.
  void Finish(std::string_view command, int exit_code);

  // All counters of every process so far, as Prometheus text and as JSON.
  [[nodiscard]] resilience::Result<std::string> MetricsPrometheus();
  [[nodiscard]] resilience::Result<nlohmann::ordered_json> MetricsJson();

 private:
  PluginApp() = default;
  // Create's steps, in order: paths and configuration (returns which provider files it read), the
  // log, the stores, the resilience pipeline over them, then only when the command needs AWS the
  // client and provider, the installation's identity and the service.
  resilience::Result<config::ProviderFiles> LoadConfiguration(const AppOptions& options,
                                                              const aws::Environment& env);
  resilience::Status OpenLog(const AppOptions& options, const config::ProviderFiles& files);
  // `ends_by`: every store call ends by it (a HostFactory command's deadline), or none.
  resilience::Status OpenStores(std::optional<resilience::Deadline> ends_by);
  void BuildPipeline(const aws::Environment& env);
  resilience::Status ConnectAws(const aws::Environment& env, resilience::MonoTime command_started);
  resilience::Status EnsureInstallation(const AppOptions& options);
  void BuildService();

  PluginPaths paths_;
  config::PluginConfig config_;
  config::ConfigSources sources_;
  std::string provider_name_;
  model::TemplateSet templates_;
  std::string installation_id_;
  resilience::SystemClock clock_;
  resilience::SystemClock timing_clock_{resilience::SystemClock::Resolution::kPrecise};  // for logs
  resilience::MonoTime started_{};
  std::unique_ptr<resilience::SeededRandom> random_;
  std::unique_ptr<logging::AppLog> log_;
  std::unique_ptr<logging::ResilienceLog> log_events_;
  std::unique_ptr<resilience::ErrorHandlingFilter> filtered_events_;
  store::Stores stores_;
  std::string store_description_;
  resilience::ResilienceMonitor monitor_;
  std::unique_ptr<resilience::ResiliencePipeline> pipeline_;
  std::unique_ptr<aws::SocketTransport> transport_;
  std::unique_ptr<aws::TimedTransport> timed_transport_;  // over transport_: counts AWS time
  std::unique_ptr<aws::CredentialsProvider> credentials_;
  std::unique_ptr<aws::AwsClient> client_;
  std::unique_ptr<provider::AwsProvider> provider_;
  std::unique_ptr<hostfactory::HostFactoryService> service_;
};

}  // namespace ohfp::app
