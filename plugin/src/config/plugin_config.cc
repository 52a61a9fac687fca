#include "config/plugin_config.h"

#include <fstream>
#include <utility>

#include "aws/endpoints.h"
#include "base/connection_url.h"
#include "base/untrusted_text.h"
#include "config/ibm_keys.h"
#include "config/json_file.h"
#include "config/json_reader.h"
#include "config/resilience_json.h"
#include "config/value_checks.h"

namespace ohfp::config {
namespace {

using namespace internal;  // NOLINT: the checks and ranges shared with ibm_keys.cc
using resilience::Error;
using resilience::ErrorKind;

constexpr std::int64_t kMaxStoreTimeoutMs = 3600 * 1000;  // one hour
constexpr std::int64_t kMaxRetentionDays = 3650;          // ten years
constexpr std::int64_t kMaxPurgeBatch = 500;              // ids bound to one statement

// A string key whose empty value means "not set": the setting keeps its value.
void ReadUnlessEmpty(ObjectReader& r, std::string_view key, std::string& out) {
  std::optional<std::string> value;
  r.String(key, value);
  if (value && !value->empty()) out = std::move(*value);
}

// What an empty string means where a value is checked.
enum class Empty { kNotSet, kAValue };

// A string key whose value `problem_of` checks: a problem is reported, a good value stored in
// `out`. An empty value is either "not set" (`out` keeps its value) or checked as any other.
void ReadChecked(ObjectReader& r, std::string_view key,
                 std::optional<std::string> (*problem_of)(std::string_view), std::string& out,
                 Empty empty = Empty::kNotSet) {
  std::optional<std::string> value;
  r.String(key, value);
  if (!value || (value->empty() && empty == Empty::kNotSet)) return;
  if (std::optional<std::string> problem = problem_of(*value)) {
    r.Problem(key, *problem);
  } else {
    out = std::move(*value);
  }
}

nlohmann::json StringMapJson(const std::map<std::string, std::string, std::less<>>& map) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : map) out[k] = v;
  return out;
}

// The provider's settings in whole seconds, in the order they are read: key, range, field.
struct SecondsSetting {
  std::string_view key;
  std::int64_t min;
  std::int64_t max;
  std::chrono::seconds ProviderConfig::*field;
};
constexpr SecondsSetting kSecondsSettings[] = {
    {"instance_pending_timeout_sec", 1, kMaxPendingTimeoutSec,
     &ProviderConfig::instance_pending_timeout},
    {"fleet_fulfillment_timeout_sec", 1, kMaxFleetTimeoutSec,
     &ProviderConfig::fleet_fulfillment_timeout},
    {"instance_visibility_grace_sec", 0, kMaxFleetTimeoutSec,
     &ProviderConfig::instance_visibility_grace},
    {"orphan_min_age_sec", 0, kMaxFleetTimeoutSec, &ProviderConfig::orphan_min_age},
    {"command_timeout_sec", 5, kMaxFleetTimeoutSec, &ProviderConfig::command_timeout},
    {"unclaimed_request_timeout_sec", 1, kMaxFleetTimeoutSec,
     &ProviderConfig::unclaimed_request_timeout},
    {"ssm_parameter_ttl_sec", 0, kMaxPendingTimeoutSec, &ProviderConfig::ssm_parameter_ttl},
};

nlohmann::json ProviderJson(const ProviderConfig& p) {
  nlohmann::json out = {
      {"region", p.region},
      {"endpoint_url", p.endpoint_url},
      {"endpoints", StringMapJson(p.endpoints)},
      {"credential_file", p.credential_file},
      {"profile", p.profile},
      {"proxy_host", p.proxy_host},
      {"proxy_port", p.proxy_port ? nlohmann::json(*p.proxy_port) : nlohmann::json(nullptr)},
      {"ca_bundle", p.ca_bundle},
      {"connection_timeout_ms", p.connection_timeout.count()},
      {"tags", StringMapJson(p.tags)},
      {"instance_name", p.instance_name},
  };
  for (const SecondsSetting& s : kSecondsSettings) out[std::string(s.key)] = (p.*s.field).count();
  return out;
}

// ---- Sections ----

// The provider section's durations, and the Name pattern of what it launches.
void ReadProviderDurations(ObjectReader& r, ProviderConfig& p) {
  if (auto n = ReadInteger(r, "connection_timeout_ms", 1, kMaxConnectionTimeoutMs)) {
    p.connection_timeout = std::chrono::milliseconds(*n);
  }
  for (const SecondsSetting& s : kSecondsSettings) {
    if (auto n = ReadInteger(r, s.key, s.min, s.max)) p.*s.field = std::chrono::seconds(*n);
  }
  r.String("instance_name", p.instance_name);
}

// Reads the provider section. Empty strings (and a null proxy_port) leave a setting as it was: they
// mean "not set", as in IBM's files.
void ReadProvider(ObjectReader& r, ProviderConfig& p, std::vector<ConfigProblem>& problems) {
  ReadChecked(r, "region", RegionProblem, p.region);
  ReadChecked(r, "endpoint_url", UrlProblem, p.endpoint_url);
  r.Entries("endpoints", [&](const std::string& service, const nlohmann::json& v,
                             const std::string& path) {
    bool known = false;
    for (std::string_view s : kEndpointServices) known = known || s == service;
    if (!known) {
      problems.push_back(
          {path, "is not a known service (known here: autoscaling, ec2, monitoring, ssm)"});
      return;
    }
    if (!v.is_string()) {
      problems.push_back({path, "must be a string, got " + JsonTypeName(v)});
      return;
    }
    const auto& text = v.get_ref<const std::string&>();
    if (std::optional<std::string> problem = UrlProblem(text)) {
      problems.push_back({path, *problem});
      return;
    }
    p.endpoints[service] = text;
  });
  ReadUnlessEmpty(r, "credential_file", p.credential_file);
  ReadUnlessEmpty(r, "profile", p.profile);
  ReadChecked(r, "proxy_host", ProxyHostProblem, p.proxy_host);
  if (const nlohmann::json* port = r.Raw("proxy_port"); port != nullptr && !port->is_null()) {
    std::string problem;
    if (std::optional<std::int64_t> n = IntegerFromJson(*port, 1, 65535, problem)) {
      p.proxy_port = static_cast<std::uint16_t>(*n);
    } else {
      r.Problem("proxy_port", problem + " (null: no port)");
    }
  }
  ReadUnlessEmpty(r, "ca_bundle", p.ca_bundle);
  ReadProviderDurations(r, p);
  r.Entries("tags", [&](const std::string& key, const nlohmann::json& v, const std::string& path) {
    if (!v.is_string()) {
      problems.push_back({path, "must be a string, got " + JsonTypeName(v)});
      return;
    }
    const auto& value = v.get_ref<const std::string&>();
    if (std::optional<std::string> problem = TagProblem(key, value)) {
      problems.push_back({path, *problem});
      return;
    }
    p.tags[key] = value;
  });
}

void ReadLogging(ObjectReader& r, LoggingConfig& l) {
  std::optional<std::string> level;
  r.String("level", level);
  if (level) {
    if (std::optional<std::string> problem = SetLogLevel(l, *level)) r.Problem("level", *problem);
  }
  ReadNonEmptyString(r, "file", l.file);
  r.Bool("accept_propagated", l.accept_propagated);
  if (const nlohmann::json* v = r.Raw("max_bytes")) {
    constexpr std::uint64_t kMax = kMaxLogBytes;
    if (!v->is_number_integer()) {
      r.Problem("max_bytes", "must be an integer, got " + JsonTypeName(*v));
    } else if (!v->is_number_unsigned() || v->get<std::uint64_t>() < kMinLogBytes ||
               v->get<std::uint64_t>() > kMax) {
      r.Problem("max_bytes",
                "must be between 1024 and " + std::to_string(kMax) + ", got " + v->dump());
    } else {
      l.max_bytes = v->get<std::uint64_t>();
    }
  }
  if (auto n = ReadInteger(r, "max_files", 1, kMaxLogFiles)) l.max_files = static_cast<int>(*n);
}

void ReadStorage(ObjectReader& r, StorageConfig& s) {
  ReadNonEmptyString(r, "file", s.file);
  if (auto n = ReadInteger(r, "busy_timeout_ms", 1, kMaxBusyTimeoutMs))
    s.busy_timeout = std::chrono::milliseconds(*n);
}

std::optional<std::string> StoreUrlProblem(std::string_view url) {
  if (url.empty() || base::IsPostgresUrl(url)) return std::nullopt;
  return "must be a PostgreSQL connection URI (postgresql://user@host:port/database?...), got " +
         Quoted(base::RedactConnectionUrl(url));
}

void ReadSchema(ObjectReader& r, std::string_view key, std::string& out) {
  std::optional<std::string> value;
  r.String(key, value);
  if (!value) return;
  if (!base::ValidSchemaName(*value)) {
    return r.Problem(
        key,
        "must be a lowercase SQL identifier ([a-z_][a-z0-9_]*, at most 63), got " + Quoted(*value));
  }
  out = std::move(*value);
}

void ReadStore(ObjectReader& r, StoreConfig& s) {
  ReadChecked(r, "url", StoreUrlProblem, s.url, Empty::kAValue);
  ReadSchema(r, "schema", s.schema);
  ReadSchema(r, "resilience_schema", s.resilience_schema);
  if (auto n = ReadInteger(r, "timeout_ms", 1, kMaxStoreTimeoutMs)) {
    s.timeout = std::chrono::milliseconds(*n);
  }
  if (auto n = ReadInteger(r, "retention_days", 1, kMaxRetentionDays)) {
    s.retention = std::chrono::hours(24 * *n);
  }
  if (auto n = ReadInteger(r, "purge_batch", 1, kMaxPurgeBatch))
    s.purge_batch = static_cast<int>(*n);
}

void ReadMetrics(ObjectReader& r, MetricsConfig& m) {
  r.String("textfile", m.textfile);
  r.Bool("cloudwatch", m.cloudwatch);
  ReadChecked(r, "cloudwatch_namespace", NamespaceProblem, m.cloudwatch_namespace, Empty::kAValue);
}

// Settings a file spells "not set" ("" or null) are not recorded as coming from it.
void DropUnset(const nlohmann::json& document, ConfigSources& sources) {
  const nlohmann::json* provider = ValueAt(document, "provider");
  if (provider == nullptr || !provider->is_object()) return;
  for (auto it = provider->begin(); it != provider->end(); ++it) {
    if ((it->is_string() && it->get_ref<const std::string&>().empty()) ||
        (it->is_null() && it.key() == "proxy_port")) {
      sources.origins.erase("provider." + it.key());
    }
  }
}

// config.json's sections, then its IBM keys, over `config`; origins "<file>".
void ReadSections(const nlohmann::json& value, PluginConfig& config, ConfigSources& sources,
                  const std::string& file, std::vector<ConfigProblem>& problems) {
  ObjectReader root(value, "", problems);
  root.Object("provider", [&](ObjectReader& r) { ReadProvider(r, config.provider, problems); });
  root.Object("logging", [&](ObjectReader& r) { ReadLogging(r, config.logging); });
  root.Object("storage", [&](ObjectReader& r) { ReadStorage(r, config.storage); });
  root.Object("store", [&](ObjectReader& r) { ReadStore(r, config.store); });
  root.Object("metrics", [&](ObjectReader& r) { ReadMetrics(r, config.metrics); });
  if (const nlohmann::json* resilience = root.Raw("resilience")) {
    // The seed's semantics: a `resilience` object without `rate_limiter` runs without the limiter
    // (the embedded defaults, used when there is no such object, have it on).
    resilience::ResilienceConfig base = config.resilience;
    if (ValueAt(*resilience, "rate_limiter") == nullptr) {
      base.rate_limiter.enabled = false;
    }
    config.resilience = ReadResilienceConfig(*resilience, "resilience", problems, std::move(base));
  }
  for (const char* section : {"provider", "logging", "storage", "store", "metrics", "resilience"}) {
    if (const nlohmann::json* v = ValueAt(value, section); v != nullptr && v->is_object()) {
      sources.SetLeaves(*v, section, file);
    }
  }
  DropUnset(value, sources);
  ReadIbmTopLevelKeys(root, config, sources, file);
  root.Finish();
}

// A positive whole number from the environment, or a problem "env NAME".
std::optional<std::int64_t> EnvNumber(const aws::Environment& env, std::string_view name,
                                      std::int64_t max, std::vector<ConfigProblem>& problems) {
  std::optional<std::string> text = env.Get(name);
  if (!text) return std::nullopt;
  std::optional<std::int64_t> n = ParseInteger(*text);
  if (!n || *n < 1 || *n > max) {
    problems.push_back(
        {"env " + std::string(name),
         "must be a whole number from 1 to " + std::to_string(max) + ", got " + Quoted(*text)});
    return std::nullopt;
  }
  return n;
}

// HostFactory's log settings, when the configuration accepts them (IBM's
// ACCEPT_PROPAGATED_LOG_SETTING): HF_LOGLEVEL, HF_LOG_MAX_FILE_SIZE (MB), HF_LOG_MAX_ROTATE.
void ApplyPropagatedLogSettings(PluginConfig& config, const aws::Environment& env,
                                ConfigSources& sources, std::vector<ConfigProblem>& problems) {
  if (!config.logging.accept_propagated) return;
  if (std::optional<std::string> level = env.Get("HF_LOGLEVEL")) {
    if (std::optional<std::string> problem = SetLogLevel(config.logging, *level)) {
      problems.push_back({"env HF_LOGLEVEL", *problem});
    } else {
      sources.Set("logging.level", "env HF_LOGLEVEL");
    }
  }
  constexpr std::int64_t kMaxMegabytes = static_cast<std::int64_t>(kMaxLogBytes >> 20);
  if (auto mb = EnvNumber(env, "HF_LOG_MAX_FILE_SIZE", kMaxMegabytes, problems)) {
    config.logging.max_bytes = static_cast<std::uint64_t>(*mb) << 20;
    sources.Set("logging.max_bytes", "env HF_LOG_MAX_FILE_SIZE");
  }
  if (auto files = EnvNumber(env, "HF_LOG_MAX_ROTATE", kMaxLogFiles, problems)) {
    config.logging.max_files = static_cast<int>(*files);
    sources.Set("logging.max_files", "env HF_LOG_MAX_ROTATE");
  }
}

// The problems of each file, "<file>: N problem(s):" each, as one kValidation error.
Error FilesError(
    const std::vector<std::pair<std::filesystem::path, std::vector<ConfigProblem>>>& problems) {
  std::string message;
  for (const auto& [file, list] : problems) {
    if (list.empty()) continue;
    if (!message.empty()) message += "\n";
    message += std::string(ProblemsError(file, list, "invalid_config").message());
  }
  return Error(ErrorKind::kValidation, "invalid_config", std::move(message));
}

}  // namespace

PluginConfig ReadPluginConfig(const nlohmann::json& value, std::vector<ConfigProblem>& problems) {
  PluginConfig config;
  ConfigSources sources;
  if (!value.is_object()) {
    problems.push_back({"", "the configuration must be a JSON object, got " + JsonTypeName(value)});
    return config;
  }
  ReadSections(value, config, sources, "config.json", problems);
  return config;
}

void ApplyEnvironment(PluginConfig& config, const aws::Environment& env,
                      std::vector<ConfigProblem>& problems) {
  ConfigSources sources;
  ApplyEnvironment(config, env, sources, problems);
}

void ApplyEnvironment(PluginConfig& config, const aws::Environment& env, ConfigSources& sources,
                      std::vector<ConfigProblem>& problems) {
  // The region: AWS_REGION, else AWS_DEFAULT_REGION (aws::ResolveRegion's order), over the file's.
  const char* region_source = env.Get("AWS_REGION")           ? "AWS_REGION"
                              : env.Get("AWS_DEFAULT_REGION") ? "AWS_DEFAULT_REGION"
                                                              : nullptr;
  if (region_source != nullptr) {
    resilience::Result<std::string> region = aws::ResolveRegion(env, "");
    if (region.ok()) {
      config.provider.region = *region;
      sources.Set("provider.region", std::string("env ") + region_source);
    } else {
      problems.push_back(
          {std::string("env ") + region_source, std::string(region.error().message())});
    }
  }
  ApplyIbmEnvironment(config, env, sources, problems);
  // Read by aws::ResolveEndpoint when endpoints are resolved; checked here so that a bad one is
  // reported at once.
  for (std::string_view name : kEndpointVariables) {
    if (std::optional<std::string> text = env.Get(name)) {
      if (std::optional<std::string> problem = UrlProblem(*text)) {
        problems.push_back({"env " + std::string(name), *problem});
      }
    }
  }
  if (std::optional<std::string> url = env.Get("OHFP_STORE_URL"); url && !url->empty()) {
    if (std::optional<std::string> problem = StoreUrlProblem(*url)) {
      problems.push_back({"env OHFP_STORE_URL", *problem});
    } else {
      config.store.url = *url;
      sources.Set("store.url", "env OHFP_STORE_URL");
    }
  }
  ApplyPropagatedLogSettings(config, env, sources, problems);
}

resilience::Result<LoadedConfig> LoadConfiguration(const ConfigFiles& files,
                                                   const aws::Environment& env) {
  LoadedConfig loaded;
  std::vector<std::pair<std::filesystem::path, std::vector<ConfigProblem>>> problems;
  if (files.ibm_config) {
    problems.push_back({*files.ibm_config, {}});
    if (std::optional<JsonFile> f = ReadJsonFile(*files.ibm_config, problems.back().second)) {
      ReadIbmFile(f->value, loaded.config, loaded.sources, loaded.sources.File(*files.ibm_config),
                  problems.back().second);
    }
  }
  problems.push_back({files.config, {}});
  std::vector<ConfigProblem>& own = problems.back().second;
  // No config.json: the defaults (HostFactory's configuration directory may hold only templates).
  if (std::optional<JsonFile> f = ReadJsonFile(files.config, own)) {
    if (!f->value.is_object()) {
      own.push_back({"", "the configuration must be a JSON object, got " + JsonTypeName(f->value)});
    } else {
      ReadSections(f->value, loaded.config, loaded.sources, loaded.sources.File(files.config), own);
    }
  }
  ApplyEnvironment(loaded.config, env, loaded.sources, own);
  for (const auto& [file, list] : problems) {
    if (!list.empty()) return FilesError(problems);
  }
  return loaded;
}

resilience::Result<PluginConfig> LoadPluginConfig(const std::filesystem::path& file,
                                                  const aws::Environment& env) {
  resilience::Result<LoadedConfig> loaded = LoadConfiguration({.config = file}, env);
  if (!loaded.ok()) return loaded.error();
  return std::move(loaded->config);
}

nlohmann::json PluginConfigToJson(const PluginConfig& config) {
  const LoggingConfig& l = config.logging;
  const StorageConfig& s = config.storage;
  const StoreConfig& st = config.store;
  const MetricsConfig& m = config.metrics;
  return {
      {"provider", ProviderJson(config.provider)},
      {"logging",
       {{"level", l.level},
        {"file", l.file},
        {"max_bytes", l.max_bytes},
        {"max_files", l.max_files},
        {"accept_propagated", l.accept_propagated}}},
      {"storage", {{"file", s.file}, {"busy_timeout_ms", s.busy_timeout.count()}}},
      {"store",
       {{"url", base::RedactConnectionUrl(st.url)},
        {"schema", st.schema},
        {"resilience_schema", st.effective_resilience_schema()},
        {"timeout_ms", st.timeout.count()},
        {"retention_days", st.retention.count() / 24},
        {"purge_batch", st.purge_batch}}},
      {"metrics",
       {{"textfile", m.textfile},
        {"cloudwatch", m.cloudwatch},
        {"cloudwatch_namespace", m.cloudwatch_namespace}}},
      {"resilience", ResilienceConfigToJson(config.resilience)},
  };
}

std::string FormatProblems(const std::vector<ConfigProblem>& problems) {
  std::string out;
  for (const ConfigProblem& p : problems) {
    if (!out.empty()) out += '\n';
    if (!p.path.empty()) {
      out += p.path;
      out += ": ";
    }
    out += p.message;
  }
  return out;
}

}  // namespace ohfp::config
