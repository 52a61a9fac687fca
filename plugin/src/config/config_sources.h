// config/config_sources.h
//
// Where each effective configuration value came from, without making every field of the
// configuration a pair: a side map from the value's path in the effective configuration
// (PluginConfigToJson's, e.g. "provider.region", "resilience.retry.default_max_attempts") to its
// source, filled by the readers as they set values. Each file read is listed once, in precedence
// order (lowest first), and values refer to it by its place: "files[0]", or "files[0] AWS_REGION"
// for an IBM key (the key named in the file). Environment variables are "env NAME"; values no
// source set are "default". Also the warnings of the load: IBM keys ohfp cannot honour, files it
// ignores.
//
// Thread-safety: a value type.
//
// Example:
//   ConfigSources s;
//   s.Set("provider.region", s.File("/conf/awsprov_config.json") + " AWS_REGION");
//   s.OriginOf("provider.region");   // "files[0] AWS_REGION"
//   s.OriginOf("logging.level");     // "default"
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ohfp::config {

struct ConfigSources {
  std::vector<std::filesystem::path> files{};
  std::map<std::string, std::string, std::less<>> origins{};
  std::vector<std::string> warnings{};

  // "files[i]" of `file`, listing it (once) when it is new.
  std::string File(const std::filesystem::path& file);
  void Set(std::string path, std::string origin) { origins[std::move(path)] = std::move(origin); }
  // The origin of `path`, "default" when no source set it.
  std::string OriginOf(std::string_view path) const;
  // Records every leaf of `document` (an object; arrays and scalars are leaves) under `prefix`
  // ("" for the top) as coming from `origin`.
  void SetLeaves(const nlohmann::json& document, const std::string& prefix,
                 const std::string& origin);
};

// The value at a dotted path of `document` ("provider.region"); null when there is none.
const nlohmann::json* ValueAt(const nlohmann::json& document, std::string_view path);

// Every leaf of `effective` (the effective configuration, PluginConfigToJson) with its origin, in
// the document's order: {"provider.region": "files[0] AWS_REGION", "logging.level": "default"}.
nlohmann::ordered_json OriginsJson(const nlohmann::json& effective, const ConfigSources& sources);

}  // namespace ohfp::config
