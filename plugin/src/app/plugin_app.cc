#include "app/plugin_app.h"

#include <cstdio>
#include <fstream>
#include <map>

#include "aws/cloudwatch/metrics.h"
#include "hostfactory/process_identity.h"

namespace ohfp::app {
namespace {

namespace fs = std::filesystem;
using resilience::Result;
using resilience::Status;

// The environment with some variables set from the configuration (which wins).
class OverlayEnvironment final : public aws::Environment {
 public:
  explicit OverlayEnvironment(const aws::Environment& base) : base_(base) {}
  void Set(std::string name, std::string value) {
    if (!value.empty()) values_[std::move(name)] = std::move(value);
  }
  std::optional<std::string> Get(std::string_view name) const override {
    if (auto it = values_.find(name); it != values_.end()) return it->second;
    return base_.Get(name);
  }

 private:
  const aws::Environment& base_;
  std::map<std::string, std::string, std::less<>> values_;
};

// A counter's labels, in order: name and value.
using LabelList = std::vector<std::pair<std::string, std::string>>;

// One counter of this process: a name, its labels in order, how much it grew.
struct Counter {
  std::string name;
  LabelList labels;
  double value = 0;
};

std::string Labels(const LabelList& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out += ",";
    out += k + "=\"" + v + "\"";
  }
  return out;
}

// Appends the counters of `values` that moved, each with `labels`.
template <typename Value, std::size_t N>
void AddMoved(std::vector<Counter>& out, const std::pair<const char*, Value> (&values)[N],
              const LabelList& labels) {
  for (const auto& [name, value] : values) {
    if (value != 0) out.push_back({name, labels, static_cast<double>(value)});
  }
}

// This process's resilience counters (those that moved).
std::vector<Counter> Counters(const resilience::ResilienceMonitor& monitor) {
  std::vector<Counter> out;
  for (const resilience::OperationMetrics& o : monitor.Operations()) {
    const std::pair<const char*, std::uint64_t> values[] = {
        {"ohfp_resilience_total_operations", o.total_operations},
        {"ohfp_resilience_successful_operations", o.successful_operations},
        {"ohfp_resilience_attempts", o.attempts},
        {"ohfp_resilience_retry_attempts", o.retry_attempts},
        {"ohfp_resilience_retry_successes", o.retry_successes},
        {"ohfp_resilience_timeout_errors", o.timeout_errors},
        {"ohfp_resilience_rejected_calls", o.rejected_calls},
        {"ohfp_resilience_throttled_attempts", o.throttled_attempts},
        {"ohfp_resilience_rate_limited_calls", o.rate_limited_calls}};
    AddMoved(out, values, {{"operation", o.operation}, {"service", o.service}});
  }
  for (const resilience::ServiceMetrics& s : monitor.Services()) {
    const std::pair<const char*, std::uint64_t> values[] = {
        {"ohfp_resilience_circuit_breaker_opens", s.circuit_breaker_opens},
        {"ohfp_resilience_circuit_breaker_half_opens", s.circuit_breaker_half_opens},
        {"ohfp_resilience_circuit_breaker_closes", s.circuit_breaker_closes},
        {"ohfp_resilience_circuit_breaker_rejections", s.rejections},
        {"ohfp_resilience_circuit_breaker_failures", s.failures_recorded}};
    AddMoved(out, values, {{"service", s.service}});
  }
  for (const resilience::LimiterMetrics& l : monitor.Limiters()) {
    const std::pair<const char*, double> values[] = {
        {"ohfp_resilience_rate_limiter_acquisitions", static_cast<double>(l.acquisitions)},
        {"ohfp_resilience_rate_limiter_waits", static_cast<double>(l.waits)},
        {"ohfp_resilience_rate_limiter_wait_seconds", static_cast<double>(l.wait_ns) / 1e9},
        {"ohfp_resilience_rate_limiter_deadline_failures",
         static_cast<double>(l.deadline_failures)},
        {"ohfp_resilience_rate_limiter_rate_decreases", static_cast<double>(l.rate_decreases)}};
    AddMoved(out, values, {{"bucket", l.bucket}});
  }
  return out;
}

// Sends this process's counters to CloudWatch. Never fails the command: the counters are in the
// store and the textfile anyway.
void PublishToCloudWatch(aws::AwsClient& client, logging::AppLog& log,
                         const std::string& metric_namespace, const std::string& provider_name,
                         const std::vector<Counter>& counters) {
  aws::cloudwatch::PutMetricDataRequest put{.metric_namespace = metric_namespace};
  for (const Counter& c : counters) {
    aws::cloudwatch::MetricDatum d{.metric_name = c.name, .value = c.value, .unit = "Count"};
    for (const auto& [k, v] : c.labels) d.dimensions.push_back({k, v});
    d.dimensions.push_back({"provider", provider_name});
    put.data.push_back(std::move(d));
  }
  Result<aws::cloudwatch::PutMetricDataSummary> sent = aws::cloudwatch::PutMetricData(client, put);
  if (!sent.ok()) {
    log.Log(spdlog::level::warn, "cannot publish metrics to CloudWatch: " + sent.error().ToString(),
            {{"event", "metrics"}, {"namespace", metric_namespace}});
    return;
  }
  log.Log(spdlog::level::debug,
          "published " + std::to_string(sent->data_points) + " data point(s) to CloudWatch",
          {{"event", "metrics"}, {"namespace", metric_namespace}});
}

// Who shares the rate limiter's buckets: EC2 throttles per account and region. The account is
// AWS_ACCOUNT_ID when the environment says (ohfp does not ask STS: a call per process); processes
// of one installation use one set of credentials, so "default-account" is shared by all of them.
// Installations of different accounts that share a store set resilience.rate_limiter.scope.
std::string LimiterScope(const aws::Environment& env, const std::string& configured_region) {
  Result<std::string> region = aws::ResolveRegion(env, configured_region);
  return env.Get("AWS_ACCOUNT_ID").value_or("default-account") + "/" +
         (region.ok() ? *region : std::string("no-region"));
}

}  // namespace

fs::path ConfigFile(const AppOptions& options, const PluginPaths& paths) {
  return options.config_file ? *options.config_file : paths.confdir / "config.json";
}

PluginPaths ResolvePaths(const AppOptions& options, const aws::Environment& env) {
  PluginPaths p;
  p.confdir =
      options.confdir ? *options.confdir : fs::path(env.Get("HF_PROVIDER_CONFDIR").value_or("."));
  p.workdir = options.workdir
                  ? *options.workdir
                  : (env.Get("HF_PROVIDER_WORKDIR") ? fs::path(*env.Get("HF_PROVIDER_WORKDIR"))
                                                    : p.confdir);
  p.logdir =
      options.logdir
          ? *options.logdir
          : (env.Get("HF_PROVIDER_LOGDIR") ? fs::path(*env.Get("HF_PROVIDER_LOGDIR")) : p.workdir);
  return p;
}

store::StoreLocation StoreLocationFor(const config::PluginConfig& config,
                                      const PluginPaths& paths) {
  store::StoreLocation where;
  where.url = config.store.url;
  where.schema = config.store.schema;
  where.resilience_schema = config.store.effective_resilience_schema();
  where.timeout = config.store.timeout;
  where.sqlite_file = paths.workdir / config.storage.file;
  where.sqlite.busy_timeout = config.storage.busy_timeout;
  return where;
}

Result<std::unique_ptr<PluginApp>> PluginApp::Create(const AppOptions& options,
                                                     const aws::Environment& env) {
  std::unique_ptr<PluginApp> app(new PluginApp());
  app->started_ = app->timing_clock_.Now();
  const resilience::MonoTime command_started = app->clock_.Now();
  Result<config::ProviderFiles> files = app->LoadConfiguration(options, env);
  if (!files.ok()) return files.error();
  // The log first: everything after it can say what went wrong.
  if (Status s = app->OpenLog(options, *files); !s.ok()) return s.error();
  if (options.need_templates) {
    Result<model::TemplateSet> templates = config::LoadTemplates(files->templates);
    if (!templates.ok()) return templates.error();
    app->templates_ = std::move(*templates);
  }
  // A HostFactory command's store calls end store.timeout_ms after its AWS deadline at the latest:
  // what its AWS calls learned can still be saved, and a database that hangs does not keep the
  // command past HostFactory's limit. Other commands (serve, store migrate) have no deadline.
  std::optional<resilience::Deadline> store_ends_by;
  if (options.need_aws) {
    store_ends_by = resilience::Deadline::After(
        command_started, app->config_.provider.command_timeout + app->config_.store.timeout);
  }
  if (Status s = app->OpenStores(store_ends_by); !s.ok()) return s.error();
  app->BuildPipeline(env);
  if (options.need_aws) {
    if (Status s = app->ConnectAws(env, command_started); !s.ok()) return s.error();
    if (Status s = app->EnsureInstallation(options); !s.ok()) return s.error();
    app->BuildService();
  }
  return app;
}

Result<config::ProviderFiles> PluginApp::LoadConfiguration(const AppOptions& options,
                                                           const aws::Environment& env) {
  paths_ = ResolvePaths(options, env);
  provider_name_ = env.Get("HF_PROVIDER_NAME").value_or("aws");
  config::ProviderFiles files = config::FindProviderFiles(paths_.confdir, provider_name_);
  Result<config::LoadedConfig> config = config::LoadConfiguration(
      {.ibm_config = files.ibm_config, .config = ConfigFile(options, paths_)}, env);
  if (!config.ok()) return config.error();
  config_ = std::move(config->config);
  sources_ = std::move(config->sources);
  return files;
}

Status PluginApp::OpenLog(const AppOptions& options, const config::ProviderFiles& files) {
  logging::LogOptions log_options;
  log_options.file = paths_.logdir / config_.logging.file;
  log_options.level = logging::ParseLogLevel(config_.logging.level).value_or(spdlog::level::info);
  log_options.max_bytes = config_.logging.max_bytes;
  log_options.max_files = config_.logging.max_files;
  log_options.echo_to_stderr = options.log_to_stderr;
  Result<std::unique_ptr<logging::AppLog>> log = logging::AppLog::Open(log_options);
  if (!log.ok()) return log.error();
  log_ = std::move(*log);
  // What the configuration could not honour, once per command (`ohfp config validate` lists it).
  const std::vector<std::string>* const warning_lists[] = {&files.warnings, &sources_.warnings};
  for (const std::vector<std::string>* warnings : warning_lists) {
    for (const std::string& w : *warnings) {
      log_->Log(spdlog::level::warn, w, {{"event", "config_warning"}});
    }
  }
  return resilience::OkStatus();
}

Status PluginApp::OpenStores(std::optional<resilience::Deadline> ends_by) {
  store::StoreLocation where = StoreLocationFor(config_, paths_);
  where.ends_by = ends_by;
  store_description_ = where.Describe();
  Result<store::Stores> stores = store::OpenStores(where, clock_);
  if (!stores.ok()) {
    log_->Log(
        spdlog::level::err,
        "cannot open the state store (" + store_description_ + "): " + stores.error().ToString(),
        {{"event", "store"}, {"store", store_description_}});
    return stores.error();
  }
  stores_ = std::move(*stores);
  return resilience::OkStatus();
}

void PluginApp::BuildPipeline(const aws::Environment& env) {
  random_ = std::make_unique<resilience::SeededRandom>(resilience::SeededRandom::EntropySeed());
  log_events_ = std::make_unique<logging::ResilienceLog>(*log_);
  filtered_events_ = std::make_unique<resilience::ErrorHandlingFilter>(
      *log_events_, config_.resilience.error_handling.log_retries,
      config_.resilience.error_handling.log_circuit_breaker_state_changes);
  resilience::ResilienceConfig resilience = config_.resilience;
  if (resilience.rate_limiter.scope.empty()) {
    resilience.rate_limiter.scope = LimiterScope(env, config_.provider.region);
  }
  pipeline_ = std::make_unique<resilience::ResiliencePipeline>(
      std::move(resilience), resilience::PipelineDependencies{clock_, *random_, *stores_.state,
                                                              filtered_events_.get(), &monitor_});
}

Status PluginApp::ConnectAws(const aws::Environment& env, resilience::MonoTime command_started) {
  const config::ProviderConfig& p = config_.provider;
  aws::TransportOptions transport;
  transport.connect_timeout = p.connection_timeout;
  transport.ca_bundle = p.ca_bundle;
  transport.proxy_host = p.proxy_host;
  transport.proxy_port = p.proxy_port;
  transport_ = std::make_unique<aws::SocketTransport>(clock_, transport);
  timed_transport_ = std::make_unique<aws::TimedTransport>(*transport_, timing_clock_);

  OverlayEnvironment aws_env(env);
  aws_env.Set("AWS_CREDENTIAL_FILE", p.credential_file);
  aws_env.Set("AWS_PROFILE", p.profile);
  credentials_ = aws::MakeDefaultCredentialsChain(aws_env, *timed_transport_, clock_);

  Result<std::string> region = aws::ResolveRegion(env, p.region);
  if (!region.ok()) return region.error();
  aws::EndpointOverrides overrides;
  for (const auto& [service, url] : p.endpoints) overrides.per_service[service] = url;
  overrides.global = p.endpoint_url;
  Result<std::array<aws::Endpoint, aws::kAwsServiceCount>> endpoints =
      aws::ResolveEndpoints(*region, overrides, env);
  if (!endpoints.ok()) return endpoints.error();
  client_ = std::make_unique<aws::AwsClient>(
      *region, *endpoints,
      aws::AwsClientDependencies{
          .transport = *timed_transport_,
          .credentials = *credentials_,
          .clock = clock_,
          .pipeline = *pipeline_,
          .deadline = resilience::Deadline::After(command_started, p.command_timeout)});
  provider_ = std::make_unique<provider::AwsProvider>(*client_, clock_);
  return resilience::OkStatus();
}

Status PluginApp::EnsureInstallation(const AppOptions& options) {
  Result<std::string> installation =
      hostfactory::EnsureInstallation(*stores_.requests, *provider_, *random_, *log_,
                                      {.marker = paths_.workdir / hostfactory::kInstallationMarker,
                                       .now = model::ToTimestamp(clock_.SystemNow()),
                                       .accept_lost = options.accept_lost_store});
  if (!installation.ok()) return installation.error();
  installation_id_ = *installation;
  return resilience::OkStatus();
}

void PluginApp::BuildService() {
  const config::ProviderConfig& p = config_.provider;
  hostfactory::ServiceOptions service_options;
  service_options.provider_name = provider_name_;
  service_options.acquire.pending_timeout = p.instance_pending_timeout;
  service_options.acquire.fulfillment_timeout = p.fleet_fulfillment_timeout;
  service_options.acquire.visibility_grace = p.instance_visibility_grace;
  service_options.acquire.confirmation_window = p.unclaimed_request_timeout;
  service_options.orphan_min_age = p.orphan_min_age;
  service_options.command_timeout = p.command_timeout;
  service_options.history_retention = config_.store.retention;
  service_options.purge_batch = config_.store.purge_batch;
  service_options.tags = p.tags;
  service_options.instance_name = p.instance_name;
  service_options.ssm_parameter_ttl = p.ssm_parameter_ttl;
  service_options.confdir = paths_.confdir;
  service_ = std::make_unique<hostfactory::HostFactoryService>(
      hostfactory::ServiceDependencies{.store = *stores_.requests,
                                       .provider = *provider_,
                                       .templates = templates_,
                                       .clock = clock_,
                                       .random = *random_,
                                       .log = *log_,
                                       .installation_id = installation_id_,
                                       .self = hostfactory::CurrentProcess()},
      service_options);
}

PluginApp::~PluginApp() = default;

void PluginApp::Finish(std::string_view command, int exit_code) {
  std::vector<Counter> counters = Counters(monitor_);
  counters.push_back({"ohfp_commands_total",
                      {{"command", std::string(command)}, {"exit_code", std::to_string(exit_code)}},
                      1});
  std::vector<store::MetricDelta> deltas;
  for (const Counter& c : counters) deltas.push_back({c.name, Labels(c.labels), c.value});
  if (config_.metrics.cloudwatch && client_) {
    PublishToCloudWatch(*client_, *log_, config_.metrics.cloudwatch_namespace, provider_name_,
                        counters);
  }
  if (Status s = stores_.requests->AddMetrics(deltas); !s.ok()) {
    log_->Log(spdlog::level::warn, "cannot save metrics: " + s.error().ToString(),
              {{"event", "metrics"}});
  }
  if (!config_.metrics.textfile.empty()) {
    Result<std::string> text = MetricsPrometheus();
    if (text.ok()) {
      const fs::path target = paths_.workdir / config_.metrics.textfile;
      const fs::path temp =
          target.string() + ".tmp." + std::to_string(hostfactory::CurrentProcess().pid);
      {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << *text;
      }
      std::error_code ec;
      fs::rename(temp, target, ec);  // atomic: a scraper never reads half a file
      if (ec) fs::remove(temp, ec);
    }
  }
  // Where the time went: the whole command, and the part spent waiting for AWS.
  const auto ms = [](resilience::Duration d) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) /
           1000.0;
  };
  const double total_ms = ms(timing_clock_.Now() - started_);
  const aws::TransportTotals aws_totals =
      timed_transport_ ? timed_transport_->Totals() : aws::TransportTotals{};
  const double aws_ms = ms(aws_totals.time);
  char timing[96];
  std::snprintf(timing, sizeof timing, " in %.1f ms (AWS %.1f ms over %lld call(s))", total_ms,
                aws_ms, static_cast<long long>(aws_totals.calls));
  log_->Log(spdlog::level::info,
            std::string(command) + " finished with exit code " + std::to_string(exit_code) + timing,
            {{"event", "command"},
             {"command", command},
             {"exit_code", exit_code},
             {"duration_ms", total_ms},
             {"aws_ms", aws_ms},
             {"aws_calls", aws_totals.calls}});
}

std::string PrometheusText(const std::vector<store::MetricDelta>& counters) {
  std::string out;
  std::string last;
  for (const store::MetricDelta& m : counters) {
    if (m.name != last) {
      out += "# TYPE " + m.name + " counter\n";
      last = m.name;
    }
    char value[32];
    std::snprintf(value, sizeof value, "%.15g", m.value);
    out += m.name + "{" + m.labels + "} " + value + "\n";
  }
  return out;
}

Result<std::string> PluginApp::MetricsPrometheus() {
  Result<std::vector<store::MetricDelta>> all = stores_.requests->Metrics();
  if (!all.ok()) return all.error();
  return PrometheusText(*all);
}

Result<nlohmann::ordered_json> PluginApp::MetricsJson() {
  Result<std::vector<store::MetricDelta>> all = stores_.requests->Metrics();
  if (!all.ok()) return all.error();
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const store::MetricDelta& m : *all) {
    nlohmann::ordered_json& family = j[m.name];
    if (family.is_null()) family = nlohmann::ordered_json::array();
    family.push_back({{"labels", m.labels}, {"value", m.value}});
  }
  return j;
}

}  // namespace ohfp::app
