#include "config/ibm_keys.h"

#include <chrono>
#include <cstdint>
#include <optional>

#include "base/strings.h"
#include "config/value_checks.h"

namespace ohfp::config::internal {
namespace {

constexpr int kIbmAttemptsPerTry = 4;  // the AWS SDK for Java's default: 3 retries
constexpr std::int64_t kIbmMaxRetries = 10;
constexpr std::int64_t kIbmMaxIntervalMs = 10000;

enum class Kind { kString, kInteger, kFlag };

// Parses `text`, checks it and stores it in `c`; returns the problem instead when the value is bad.
using Setter = std::optional<std::string> (*)(PluginConfig& c, const std::string& text);

std::optional<std::string> SetRegion(PluginConfig& c, const std::string& text) {
  if (std::optional<std::string> problem = RegionProblem(text)) return problem;
  c.provider.region = text;
  return std::nullopt;
}

std::optional<std::string> SetCredentialFile(PluginConfig& c, const std::string& text) {
  if (!IsValidUtf8(text)) return "must be valid UTF-8, got " + Quoted(text);
  c.provider.credential_file = text;
  return std::nullopt;
}

std::optional<std::string> SetEndpointUrl(PluginConfig& c, const std::string& text) {
  if (std::optional<std::string> problem = UrlProblem(text)) return problem;
  c.provider.endpoint_url = text;
  return std::nullopt;
}

std::optional<std::string> SetProxyHost(PluginConfig& c, const std::string& text) {
  if (std::optional<std::string> problem = ProxyHostProblem(text)) return problem;
  c.provider.proxy_host = text;
  return std::nullopt;
}

// A whole number within [min, max] (`unit` names it in the message), or the problem.
std::optional<std::string> Whole(const std::string& text, std::int64_t min, std::int64_t max,
                                 std::string_view unit, std::int64_t& out) {
  std::optional<std::int64_t> n = ParseInteger(text);
  if (!n) return "must be a whole number of " + std::string(unit) + ", got " + Quoted(text);
  if (std::optional<std::string> problem = RangeProblem(*n, min, max)) return problem;
  out = *n;
  return std::nullopt;
}

std::optional<std::string> SetProxyPort(PluginConfig& c, const std::string& text) {
  std::optional<std::int64_t> n = ParseInteger(text);
  if (!n) return "must be a port number (1 to 65535), got " + Quoted(text);
  if (std::optional<std::string> problem = RangeProblem(*n, 1, 65535)) return problem;
  c.provider.proxy_port = static_cast<std::uint16_t>(*n);
  return std::nullopt;
}

std::optional<std::string> SetConnectionTimeout(PluginConfig& c, const std::string& text) {
  std::int64_t n = 0;
  if (auto problem = Whole(text, 1, kMaxConnectionTimeoutMs, "milliseconds", n)) return problem;
  c.provider.connection_timeout = std::chrono::milliseconds(n);
  return std::nullopt;
}

std::optional<std::string> SetPendingTimeout(PluginConfig& c, const std::string& text) {
  std::int64_t n = 0;
  if (auto problem = Whole(text, 1, kMaxPendingTimeoutSec, "seconds", n)) return problem;
  c.provider.instance_pending_timeout = std::chrono::seconds(n);
  return std::nullopt;
}

std::optional<std::string> SetAcceptPropagated(PluginConfig& c, const std::string& text) {
  if (base::EqualsIgnoringCase(text, "true")) {
    c.logging.accept_propagated = true;
  } else if (base::EqualsIgnoringCase(text, "false")) {
    c.logging.accept_propagated = false;
  } else {
    return "must be true or false, got " + Quoted(text);
  }
  return std::nullopt;
}

std::optional<std::string> SetRequestRetries(PluginConfig& c, const std::string& text) {
  std::int64_t n = 0;
  if (auto problem = Whole(text, 0, kIbmMaxRetries, "retries", n)) return problem;
  c.resilience.retry.default_max_attempts = static_cast<int>((n + 1) * kIbmAttemptsPerTry);
  return std::nullopt;
}

std::optional<std::string> SetDescribeRetries(PluginConfig& c, const std::string& text) {
  std::int64_t n = 0;
  if (auto problem = Whole(text, 0, kIbmMaxRetries, "retries", n)) return problem;
  for (std::string_view op : kIbmDescribeOperations) {
    c.resilience.retry.operations[std::string(op)].max_attempts =
        static_cast<int>((n + 1) * kIbmAttemptsPerTry);
  }
  return std::nullopt;
}

std::optional<std::string> SetDescribeInterval(PluginConfig& c, const std::string& text) {
  std::int64_t n = 0;
  if (auto problem = Whole(text, 0, kIbmMaxIntervalMs, "milliseconds", n)) return problem;
  for (std::string_view op : kIbmDescribeOperations) {
    c.resilience.retry.operations[std::string(op)].base_delay = std::chrono::milliseconds(n);
  }
  return std::nullopt;
}

struct IbmKey {
  std::string_view name;
  Kind kind;
  Setter set;               // nullptr: ohfp cannot honour the key (`note` says why)
  std::string_view target;  // the effective setting(s); "{describe}" stands for each operation
  bool in_environment;      // also read from the environment
  std::string_view note;
};

// IBM's reference, in its order.
constexpr std::array<IbmKey, 12> kIbmKeys = {{
    {"ACCEPT_PROPAGATED_LOG_SETTING", Kind::kFlag, SetAcceptPropagated, "logging.accept_propagated",
     true, ""},
    {"AWS_CREDENTIAL_FILE", Kind::kString, SetCredentialFile, "provider.credential_file", true, ""},
    {"AWS_ENDPOINT_URL", Kind::kString, SetEndpointUrl, "provider.endpoint_url", true, ""},
    {"AWS_REGION", Kind::kString, SetRegion, "provider.region", false, ""},
    {"AWS_KEY_FILE", Kind::kString, nullptr, "", false,
     "ohfp never connects to instances, so it needs no key pair file; ignored"},
    {"AWS_PROXY_HOST", Kind::kString, SetProxyHost, "provider.proxy_host", true, ""},
    {"AWS_PROXY_PORT", Kind::kInteger, SetProxyPort, "provider.proxy_port", true, ""},
    {"AWS_CONNECTION_TIMEOUT_MS", Kind::kInteger, SetConnectionTimeout,
     "provider.connection_timeout_ms", true, ""},
    {"AWS_REQUEST_RETRY_ATTEMPTS", Kind::kInteger, SetRequestRetries,
     "resilience.retry.default_max_attempts", true, ""},
    {"AWS_INSTANCE_PENDING_TIMEOUT_SEC", Kind::kInteger, SetPendingTimeout,
     "provider.instance_pending_timeout_sec", true, ""},
    {"AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS", Kind::kInteger, SetDescribeRetries,
     "resilience.retry.operations.{describe}.max_attempts", true, ""},
    {"AWS_DESCRIBE_REQUEST_INTERVAL", Kind::kInteger, SetDescribeInterval,
     "resilience.retry.operations.{describe}.base_delay", true, ""},
}};

// The effective paths a key sets.
std::vector<std::string> PathsOf(const IbmKey& key) {
  const std::string target(key.target);
  const std::size_t at = target.find("{describe}");
  if (target.empty()) return {};
  if (at == std::string::npos) return {target};
  std::vector<std::string> out;
  for (std::string_view op : kIbmDescribeOperations) {
    out.push_back(target.substr(0, at) + std::string(op) + target.substr(at + 10));
  }
  return out;
}

// The key's value as text; nullopt with `problem` set when it has the wrong type. "" is unset.
std::optional<std::string> TextOf(const IbmKey& key, const nlohmann::json& v,
                                  std::string& problem) {
  if (v.is_string()) return v.get<std::string>();
  if (key.kind == Kind::kInteger && v.is_number_integer()) return v.dump();
  if (key.kind == Kind::kFlag && v.is_boolean())
    return std::string(v.get<bool>() ? "true" : "false");
  problem = std::string(key.kind == Kind::kInteger ? "must be an integer"
                        : key.kind == Kind::kFlag  ? "must be true or false"
                                                   : "must be a string") +
            ", got " + JsonTypeName(v);
  return std::nullopt;
}

// Applies `key` = `text` from `origin` ("files[0]", "env"); the problem's message when the value
// is bad.
std::optional<std::string> Apply(const IbmKey& key, const std::string& text, PluginConfig& config,
                                 ConfigSources& sources, const std::string& origin) {
  if (key.set == nullptr) {
    sources.warnings.push_back(origin + " " + std::string(key.name) + ": " + std::string(key.note));
    return std::nullopt;
  }
  if (std::optional<std::string> problem = key.set(config, text)) return problem;
  const std::string label =
      origin.starts_with("env") ? origin : origin + " " + std::string(key.name);
  for (std::string& path : PathsOf(key)) sources.Set(std::move(path), label);
  return std::nullopt;
}

const IbmKey* Find(std::string_view name) {
  for (const IbmKey& key : kIbmKeys) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string_view> IbmKeyNames() {
  std::vector<std::string_view> names;
  for (const IbmKey& key : kIbmKeys) names.push_back(key.name);
  return names;
}

bool IsIbmKey(std::string_view name) { return Find(name) != nullptr; }

void ReadIbmFile(const nlohmann::json& document, PluginConfig& config, ConfigSources& sources,
                 const std::string& file, std::vector<ConfigProblem>& problems) {
  if (!document.is_object()) {
    problems.push_back(
        {"", "IBM's provider configuration must be a JSON object, got " + JsonTypeName(document)});
    return;
  }
  for (auto it = document.begin(); it != document.end(); ++it) {
    const IbmKey* key = Find(it.key());
    if (key == nullptr) {
      std::vector<std::string> names;
      for (std::string_view n : IbmKeyNames()) names.emplace_back(n);
      problems.push_back({it.key(), "is not a key of IBM's AWS provider configuration (its keys: " +
                                        base::Join(names, ", ") +
                                        "); ohfp's own settings go in config.json"});
      continue;
    }
    std::string problem;
    std::optional<std::string> text = TextOf(*key, it.value(), problem);
    if (!text) {
      problems.push_back({it.key(), problem});
      continue;
    }
    if (text->empty()) continue;  // IBM's samples write "" for unset
    if (std::optional<std::string> bad = Apply(*key, *text, config, sources, file)) {
      problems.push_back({it.key(), *bad});
    }
  }
}

void ReadIbmTopLevelKeys(ObjectReader& root, PluginConfig& config, ConfigSources& sources,
                         const std::string& file) {
  for (const IbmKey& key : kIbmKeys) {
    const nlohmann::json* v = root.Raw(key.name);
    if (v == nullptr) continue;
    std::string problem;
    std::optional<std::string> text = TextOf(key, *v, problem);
    if (!text) {
      root.Problem(key.name, problem);
      continue;
    }
    if (text->empty()) continue;
    PluginConfig probe = config;
    ConfigSources probe_sources = sources;
    if (std::optional<std::string> bad = Apply(key, *text, probe, probe_sources, file)) {
      root.Problem(key.name, *bad);
      continue;
    }
    // A setting the same file's sections set, to another value: the file contradicts itself.
    const nlohmann::json before = PluginConfigToJson(config);
    const nlohmann::json after = PluginConfigToJson(probe);
    bool conflict = false;
    for (const std::string& path : PathsOf(key)) {
      const nlohmann::json* was = ValueAt(before, path);
      const nlohmann::json* now = ValueAt(after, path);
      if (sources.OriginOf(path) == file && was != nullptr && now != nullptr && *was != *now) {
        root.Problem(key.name,
                     "conflicts with " + path + " (" + was->dump() + "); set one of them");
        conflict = true;
        break;
      }
    }
    if (conflict) continue;
    config = std::move(probe);
    sources = std::move(probe_sources);
  }
}

void ApplyIbmEnvironment(PluginConfig& config, const aws::Environment& env, ConfigSources& sources,
                         std::vector<ConfigProblem>& problems) {
  for (const IbmKey& key : kIbmKeys) {
    if (!key.in_environment) continue;
    std::optional<std::string> text = env.Get(key.name);
    if (!text) continue;
    const std::string origin = "env " + std::string(key.name);
    if (std::optional<std::string> bad = Apply(key, *text, config, sources, origin)) {
      problems.push_back({origin, *bad});
    }
  }
}

}  // namespace ohfp::config::internal
