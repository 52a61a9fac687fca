#include "config/plugin_config.h"

#include <array>
#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "aws/endpoints.h"
#include "base/connection_url.h"
#include "config/json_file.h"
#include "config/json_reader.h"
#include "config/resilience_json.h"

namespace ohfp::config {
namespace {

using resilience::Error;
using resilience::ErrorKind;

// ---- Ranges (docs/configuration.md lists the same numbers) ----

constexpr std::int64_t kMaxConnectionTimeoutMs = 2147483647;  // the IBM plugin's maximum
constexpr std::int64_t kMaxPendingTimeoutSec = 86400;         // one day
constexpr std::int64_t kMaxFleetTimeoutSec = 7 * 86400;       // one week
constexpr std::int64_t kMaxBusyTimeoutMs = 3600 * 1000;       // one hour
constexpr std::int64_t kMaxStoreTimeoutMs = 3600 * 1000;      // one hour
constexpr std::int64_t kMaxRetentionDays = 3650;              // ten years
constexpr std::int64_t kMaxPurgeBatch = 500;                  // ids bound to one statement
constexpr std::uint64_t kMinLogBytes = 1024;
constexpr int kMaxLogFiles = 1000;
constexpr std::size_t kMaxTagKey = 128;
constexpr std::size_t kMaxTagValue = 256;
constexpr std::size_t kMaxNamespace = 255;

// The services a per-service endpoint may name (aws/endpoints.h's signing names).
constexpr std::array<std::string_view, 3> kEndpointServices = {"autoscaling", "ec2", "monitoring"};

// The per-service endpoint variables ResolveEndpoint reads; validated here so a bad one is reported
// with the rest.
constexpr std::array<std::string_view, 3> kEndpointVariables = {
    "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_AUTO_SCALING", "AWS_ENDPOINT_URL_CLOUDWATCH"};

// A JSON string literal for messages; bytes that are not UTF-8 (environment values may hold any)
// become U+FFFD.
std::string Quoted(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Whether nlohmann::json can write `s` (strict UTF-8): an environment value may hold any bytes.
bool IsValidUtf8(std::string_view s) {
  try {
    (void)nlohmann::json(std::string(s)).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

// ---- Log levels ----

// The canonical name of a log level, accepting what logging::ParseLogLevel accepts (plain names and
// HostFactory's LOG_* names, any case). Duplicated from logging/app_log.cc on purpose: ohfp_config
// must not depend on ohfp_logging. Keep the two lists in step (plugin_config_test.cc checks every
// name).
std::optional<std::string_view> CanonicalLogLevel(std::string_view name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n.starts_with("log_")) n.erase(0, 4);
  if (n == "trace") return "trace";
  if (n == "debug") return "debug";
  if (n == "info" || n == "notice") return "info";
  if (n == "warning" || n == "warn") return "warning";
  if (n == "err" || n == "error") return "error";
  if (n == "crit" || n == "critical" || n == "alert" || n == "emerg") return "critical";
  if (n == "off" || n == "none") return "off";
  return std::nullopt;
}

std::optional<std::string> SetLogLevel(LoggingConfig& logging, const std::string& text) {
  if (std::optional<std::string_view> level = CanonicalLogLevel(text)) {
    logging.level = std::string(*level);
    return std::nullopt;
  }
  return "must be a log level (trace, debug, info, warning, error, critical, off, or HostFactory's "
         "LOG_DEBUG, "
         "LOG_INFO, LOG_WARNING, LOG_ERR, ...), got " +
         Quoted(text);
}

// ---- Value checks: each returns the problem's message, or nullopt when the value is fine ----

std::optional<std::string> RangeProblem(std::int64_t value, std::int64_t min, std::int64_t max) {
  if (value >= min && value <= max) return std::nullopt;
  return "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
         std::to_string(value);
}

std::optional<std::string> RegionProblem(std::string_view region) {
  if (resilience::Status s = aws::ValidateRegion(region); !s.ok())
    return std::string(s.error().message());
  return std::nullopt;
}

std::optional<std::string> UrlProblem(std::string_view url) {
  resilience::Result<aws::EndpointUrl> parsed = aws::ParseEndpointUrl(url, "");
  if (parsed.ok()) return std::nullopt;
  // The message reads "<source>='<url>' is not a valid endpoint URL: ..."; with an empty source it
  // starts at '='.
  std::string message(parsed.error().message());
  if (message.starts_with("=")) message.erase(0, 1);
  return message;
}

std::optional<std::string> ProxyHostProblem(std::string_view host) {
  for (char c : host) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F) {
      return "must be a host name or URL without spaces or control characters, got " + Quoted(host);
    }
  }
  const std::size_t scheme_end = host.find("://");
  if (scheme_end != std::string_view::npos) {
    std::string scheme;
    for (char c : host.substr(0, scheme_end)) {
      scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (scheme != "http") {
      return "must be an http:// proxy (HTTPS requests pass through it in a CONNECT tunnel), got " +
             Quoted(host);
    }
  }
  return std::nullopt;
}

std::optional<std::string> TagProblem(std::string_view key, std::string_view value) {
  if (key.empty()) return "a tag key must not be empty";
  if (key.size() > kMaxTagKey) return "a tag key has at most 128 characters";
  std::string lower;
  for (char c : key.substr(0, 4))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "aws:") return "tag keys starting with \"aws:\" are reserved by AWS";
  if (value.size() > kMaxTagValue) return "a tag value has at most 256 characters";
  return std::nullopt;
}

std::optional<std::string> NamespaceProblem(std::string_view ns) {
  if (ns.empty()) return "must not be empty";
  if (ns.size() > kMaxNamespace) return "has at most 255 characters";
  if (ns.starts_with("AWS/")) return "must not start with \"AWS/\" (reserved for AWS services)";
  for (char c : ns) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
                    c == '_' || c == '/' || c == '#' || c == ':' || c == ' ';
    if (!ok) {
      return "may hold letters, digits and . - _ / # : space only, got " + Quoted(ns);
    }
  }
  return std::nullopt;
}

// A whole decimal number (an environment value, or an IBM key written as a string); nullopt
// otherwise.
std::optional<std::int64_t> ParseInteger(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// A JSON integer, or a problem ("must be an integer", out of range).
std::optional<std::int64_t> IntegerFromJson(const nlohmann::json& v, std::int64_t min,
                                            std::int64_t max, std::string& problem) {
  if (!v.is_number_integer()) {
    problem = "must be an integer, got " + JsonTypeName(v);
    return std::nullopt;
  }
  if (v.is_number_unsigned() &&
      v.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    problem = "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
              v.dump();
    return std::nullopt;
  }
  const auto n = v.get<std::int64_t>();
  if (std::optional<std::string> p = RangeProblem(n, min, max)) {
    problem = *p;
    return std::nullopt;
  }
  return n;
}

// Reads integer `key` of `r` within [min, max]; nullopt when absent or bad (the problem is
// reported).
std::optional<std::int64_t> ReadInteger(ObjectReader& r, std::string_view key, std::int64_t min,
                                        std::int64_t max) {
  const nlohmann::json* v = r.Raw(key);
  if (v == nullptr) return std::nullopt;
  std::string problem;
  std::optional<std::int64_t> n = IntegerFromJson(*v, min, max, problem);
  if (!n) r.Problem(key, problem);
  return n;
}

// A string key that must hold a non-empty value when present.
void ReadNonEmptyString(ObjectReader& r, std::string_view key, std::string& out) {
  std::optional<std::string> value;
  r.String(key, value);
  if (!value) return;
  if (value->empty()) return r.Problem(key, "must not be empty");
  out = std::move(*value);
}

// ---- The IBM plugin's keys: one table for the top level of the file and for the environment ----

// Parses `text`, checks it and stores it; returns the problem's message instead when the value is
// bad.
using IbmSetter = std::optional<std::string> (*)(ProviderConfig&, const std::string& text);

std::optional<std::string> SetRegion(ProviderConfig& p, const std::string& text) {
  if (std::optional<std::string> problem = RegionProblem(text)) return problem;
  p.region = text;
  return std::nullopt;
}

std::optional<std::string> SetCredentialFile(ProviderConfig& p, const std::string& text) {
  if (!IsValidUtf8(text)) return "must be valid UTF-8, got " + Quoted(text);
  p.credential_file = text;
  return std::nullopt;
}

std::optional<std::string> SetEndpointUrl(ProviderConfig& p, const std::string& text) {
  if (std::optional<std::string> problem = UrlProblem(text)) return problem;
  p.endpoint_url = text;
  return std::nullopt;
}

std::optional<std::string> SetProxyHost(ProviderConfig& p, const std::string& text) {
  if (std::optional<std::string> problem = ProxyHostProblem(text)) return problem;
  p.proxy_host = text;
  return std::nullopt;
}

std::optional<std::string> SetProxyPort(ProviderConfig& p, const std::string& text) {
  std::optional<std::int64_t> n = ParseInteger(text);
  if (!n) return "must be a port number (1 to 65535), got " + Quoted(text);
  if (std::optional<std::string> problem = RangeProblem(*n, 1, 65535)) return problem;
  p.proxy_port = static_cast<std::uint16_t>(*n);
  return std::nullopt;
}

std::optional<std::string> SetConnectionTimeout(ProviderConfig& p, const std::string& text) {
  std::optional<std::int64_t> n = ParseInteger(text);
  if (!n) return "must be a whole number of milliseconds, got " + Quoted(text);
  if (std::optional<std::string> problem = RangeProblem(*n, 1, kMaxConnectionTimeoutMs))
    return problem;
  p.connection_timeout = std::chrono::milliseconds(*n);
  return std::nullopt;
}

std::optional<std::string> SetPendingTimeout(ProviderConfig& p, const std::string& text) {
  std::optional<std::int64_t> n = ParseInteger(text);
  if (!n) return "must be a whole number of seconds, got " + Quoted(text);
  if (std::optional<std::string> problem = RangeProblem(*n, 1, kMaxPendingTimeoutSec))
    return problem;
  p.instance_pending_timeout = std::chrono::seconds(*n);
  return std::nullopt;
}

struct IbmKey {
  std::string_view name;  // AWS_PROXY_PORT: the key at the top of config.json and the variable
  std::string_view provider_key;  // proxy_port: the same setting in the provider section
  bool numeric;  // in the file: an integer (or a string of digits) rather than a string
  IbmSetter set;
};

// AWS_REGION is in the file table only: in the environment, the region comes from
// aws::ResolveRegion (AWS_REGION, then AWS_DEFAULT_REGION).
constexpr std::array<IbmKey, 7> kIbmKeys = {{
    {"AWS_REGION", "region", false, SetRegion},
    {"AWS_CREDENTIAL_FILE", "credential_file", false, SetCredentialFile},
    {"AWS_ENDPOINT_URL", "endpoint_url", false, SetEndpointUrl},
    {"AWS_PROXY_HOST", "proxy_host", false, SetProxyHost},
    {"AWS_PROXY_PORT", "proxy_port", true, SetProxyPort},
    {"AWS_CONNECTION_TIMEOUT_MS", "connection_timeout_ms", true, SetConnectionTimeout},
    {"AWS_INSTANCE_PENDING_TIMEOUT_SEC", "instance_pending_timeout_sec", true, SetPendingTimeout},
}};

// Keys of the IBM plugin's awsprov_config.json that ohfp does not read, with what to do instead.
// They are errors like any unknown key, with a message that helps someone porting an IBM
// configuration.
struct RetiredKey {
  std::string_view name;
  std::string_view advice;
};
constexpr std::array<RetiredKey, 5> kRetiredIbmKeys = {{
    {"ACCEPT_PROPAGATED_LOG_SETTING",
     "ohfp always honours HF_LOGLEVEL; set logging.level for the default"},
    {"AWS_KEY_FILE", "ohfp never logs in to instances; remove it"},
    {"AWS_REQUEST_RETRY_ATTEMPTS",
     "retries are set by resilience.retry (default_max_attempts counts the first attempt too)"},
    {"AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS",
     "set resilience.retry.operations.ec2_describe_instances.max_attempts"},
    {"AWS_DESCRIBE_REQUEST_INTERVAL",
     "set resilience.retry.operations.ec2_describe_instances.base_delay"},
}};

nlohmann::json StringMapJson(const std::map<std::string, std::string, std::less<>>& map) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : map) out[k] = v;
  return out;
}

nlohmann::json ProviderJson(const ProviderConfig& p) {
  return {
      {"region", p.region},
      {"endpoint_url", p.endpoint_url},
      {"endpoints", StringMapJson(p.endpoints)},
      {"credential_file", p.credential_file},
      {"profile", p.profile},
      {"proxy_host", p.proxy_host},
      {"proxy_port", p.proxy_port ? nlohmann::json(*p.proxy_port) : nlohmann::json(nullptr)},
      {"ca_bundle", p.ca_bundle},
      {"connection_timeout_ms", p.connection_timeout.count()},
      {"instance_pending_timeout_sec", p.instance_pending_timeout.count()},
      {"fleet_fulfillment_timeout_sec", p.fleet_fulfillment_timeout.count()},
      {"unclaimed_request_timeout_sec", p.unclaimed_request_timeout.count()},
      {"instance_visibility_grace_sec", p.instance_visibility_grace.count()},
      {"orphan_min_age_sec", p.orphan_min_age.count()},
      {"tags", StringMapJson(p.tags)},
  };
}

// ---- Sections ----

// Reads the provider section; `present` receives the keys the file set to a usable, non-empty value
// (to detect conflicts with the IBM keys at the top level).
void ReadProvider(ObjectReader& r, ProviderConfig& p, std::set<std::string, std::less<>>& present,
                  std::vector<ConfigProblem>& problems) {
  std::optional<std::string> region;
  r.String("region", region);
  if (region && !region->empty()) {
    if (std::optional<std::string> problem = RegionProblem(*region)) {
      r.Problem("region", *problem);
    } else {
      p.region = *region;
      present.emplace("region");
    }
  }
  std::optional<std::string> url;
  r.String("endpoint_url", url);
  if (url && !url->empty()) {
    if (std::optional<std::string> problem = UrlProblem(*url)) {
      r.Problem("endpoint_url", *problem);
    } else {
      p.endpoint_url = *url;
      present.emplace("endpoint_url");
    }
  }
  r.Entries("endpoints",
            [&](const std::string& service, const nlohmann::json& v, const std::string& path) {
              bool known = false;
              for (std::string_view s : kEndpointServices) known = known || s == service;
              if (!known) {
                problems.push_back(
                    {path, "is not a known service (known here: autoscaling, ec2, monitoring)"});
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
  r.String("credential_file", p.credential_file);
  if (!p.credential_file.empty()) present.emplace("credential_file");
  r.String("profile", p.profile);
  std::optional<std::string> proxy_host;
  r.String("proxy_host", proxy_host);
  if (proxy_host) {
    if (std::optional<std::string> problem = ProxyHostProblem(*proxy_host)) {
      r.Problem("proxy_host", *problem);
    } else {
      p.proxy_host = *proxy_host;
      if (!p.proxy_host.empty()) present.emplace("proxy_host");
    }
  }
  if (const nlohmann::json* port = r.Raw("proxy_port"); port != nullptr && !port->is_null()) {
    std::string problem;
    if (std::optional<std::int64_t> n = IntegerFromJson(*port, 1, 65535, problem)) {
      p.proxy_port = static_cast<std::uint16_t>(*n);
      present.emplace("proxy_port");
    } else {
      r.Problem("proxy_port", problem + " (null: no port)");
    }
  }
  r.String("ca_bundle", p.ca_bundle);
  if (auto n = ReadInteger(r, "connection_timeout_ms", 1, kMaxConnectionTimeoutMs)) {
    p.connection_timeout = std::chrono::milliseconds(*n);
    present.emplace("connection_timeout_ms");
  }
  if (auto n = ReadInteger(r, "instance_pending_timeout_sec", 1, kMaxPendingTimeoutSec)) {
    p.instance_pending_timeout = std::chrono::seconds(*n);
    present.emplace("instance_pending_timeout_sec");
  }
  if (auto n = ReadInteger(r, "fleet_fulfillment_timeout_sec", 1, kMaxFleetTimeoutSec)) {
    p.fleet_fulfillment_timeout = std::chrono::seconds(*n);
  }
  if (auto n = ReadInteger(r, "instance_visibility_grace_sec", 0, kMaxFleetTimeoutSec)) {
    p.instance_visibility_grace = std::chrono::seconds(*n);
  }
  if (auto n = ReadInteger(r, "orphan_min_age_sec", 0, kMaxFleetTimeoutSec)) {
    p.orphan_min_age = std::chrono::seconds(*n);
  }
  if (auto n = ReadInteger(r, "unclaimed_request_timeout_sec", 1, kMaxFleetTimeoutSec)) {
    p.unclaimed_request_timeout = std::chrono::seconds(*n);
  }
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
  if (const nlohmann::json* v = r.Raw("max_bytes")) {
    constexpr std::uint64_t kMax = std::uint64_t{1} << 40;  // 1 TiB
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

std::optional<std::string> StoreUrlProblem(const std::string& url) {
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
  std::optional<std::string> url;
  r.String("url", url);
  if (url) {
    if (std::optional<std::string> problem = StoreUrlProblem(*url)) {
      r.Problem("url", *problem);
    } else {
      s.url = *url;
    }
  }
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
  std::optional<std::string> ns;
  r.String("cloudwatch_namespace", ns);
  if (ns) {
    if (std::optional<std::string> problem = NamespaceProblem(*ns)) {
      r.Problem("cloudwatch_namespace", *problem);
    } else {
      m.cloudwatch_namespace = *ns;
    }
  }
}

// The IBM keys at the top level of the file. A key also set (differently) in the provider section
// is a conflict.
void ReadIbmKeys(ObjectReader& root, ProviderConfig& p,
                 const std::set<std::string, std::less<>>& present) {
  for (const IbmKey& key : kIbmKeys) {
    const nlohmann::json* v = root.Raw(key.name);
    if (v == nullptr) continue;
    std::string text;
    if (v->is_string()) {
      text = v->get<std::string>();
    } else if (key.numeric && v->is_number_integer()) {
      text = v->dump();
    } else {
      root.Problem(key.name, std::string(key.numeric ? "must be an integer" : "must be a string") +
                                 ", got " + JsonTypeName(*v));
      continue;
    }
    if (text.empty()) continue;  // the IBM samples write "AWS_PROXY_HOST": "" for "none"
    ProviderConfig probe = p;
    if (std::optional<std::string> problem = key.set(probe, text)) {
      root.Problem(key.name, *problem);
      continue;
    }
    const nlohmann::json before = ProviderJson(p);
    const nlohmann::json after = ProviderJson(probe);
    const std::string field(key.provider_key);
    if (present.contains(key.provider_key) && before[field] != after[field]) {
      root.Problem(key.name, "conflicts with provider." + field + " (" + before[field].dump() +
                                 "); set one of them");
      continue;
    }
    p = std::move(probe);
  }
  for (const RetiredKey& key : kRetiredIbmKeys) {
    if (!root.Has(key.name)) continue;
    (void)root.Raw(key.name);
    root.Problem(key.name,
                 "is an IBM AWS plugin key that ohfp does not read: " + std::string(key.advice));
  }
}

// "line L, column C" of the 1-based byte position nlohmann reports.
}  // namespace

PluginConfig ReadPluginConfig(const nlohmann::json& value, std::vector<ConfigProblem>& problems) {
  PluginConfig config;
  if (!value.is_object()) {
    problems.push_back({"", "the configuration must be a JSON object, got " + JsonTypeName(value)});
    return config;
  }
  ObjectReader root(value, "", problems);
  std::set<std::string, std::less<>> provider_keys;
  root.Object("provider",
              [&](ObjectReader& r) { ReadProvider(r, config.provider, provider_keys, problems); });
  root.Object("logging", [&](ObjectReader& r) { ReadLogging(r, config.logging); });
  root.Object("storage", [&](ObjectReader& r) { ReadStorage(r, config.storage); });
  root.Object("store", [&](ObjectReader& r) { ReadStore(r, config.store); });
  root.Object("metrics", [&](ObjectReader& r) { ReadMetrics(r, config.metrics); });
  if (const nlohmann::json* resilience = root.Raw("resilience")) {
    config.resilience = ReadResilienceConfig(*resilience, "resilience", problems);
  }
  ReadIbmKeys(root, config.provider, provider_keys);
  root.Finish();
  return config;
}

void ApplyEnvironment(PluginConfig& config, const aws::Environment& env,
                      std::vector<ConfigProblem>& problems) {
  // The region: AWS_REGION, else AWS_DEFAULT_REGION (aws::ResolveRegion's order), over the file's.
  const char* region_source = env.Get("AWS_REGION")           ? "AWS_REGION"
                              : env.Get("AWS_DEFAULT_REGION") ? "AWS_DEFAULT_REGION"
                                                              : nullptr;
  if (region_source != nullptr) {
    resilience::Result<std::string> region = aws::ResolveRegion(env, "");
    if (region.ok()) {
      config.provider.region = *region;
    } else {
      problems.push_back(
          {std::string("env ") + region_source, std::string(region.error().message())});
    }
  }
  for (const IbmKey& key : kIbmKeys) {
    if (key.name == "AWS_REGION") continue;
    std::optional<std::string> text = env.Get(key.name);
    if (!text) continue;
    if (std::optional<std::string> problem = key.set(config.provider, *text)) {
      problems.push_back({"env " + std::string(key.name), *problem});
    }
  }
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
    }
  }
  if (std::optional<std::string> level = env.Get("HF_LOGLEVEL")) {
    if (std::optional<std::string> problem = SetLogLevel(config.logging, *level)) {
      problems.push_back({"env HF_LOGLEVEL", *problem});
    }
  }
}

resilience::Result<PluginConfig> LoadPluginConfig(const std::filesystem::path& file,
                                                  const aws::Environment& env) {
  std::vector<ConfigProblem> problems;
  PluginConfig config;
  // No file: the defaults (HostFactory's configuration directory may hold only the templates).
  if (std::optional<JsonFile> f = ReadJsonFile(file, problems)) {
    config = ReadPluginConfig(f->value, problems);
  }
  ApplyEnvironment(config, env, problems);
  if (!problems.empty()) return ProblemsError(file, problems, "invalid_config");
  return config;
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
        {"max_files", l.max_files}}},
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
