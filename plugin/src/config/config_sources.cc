#include "config/config_sources.h"

#include <algorithm>
#include <functional>

namespace ohfp::config {
namespace {

void Leaves(const nlohmann::json& value, const std::string& path,
            const std::function<void(const std::string&)>& visit) {
  if (!value.is_object() || value.empty()) {
    if (!path.empty()) visit(path);
    return;
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    Leaves(it.value(), path.empty() ? it.key() : path + "." + it.key(), visit);
  }
}

}  // namespace

std::string ConfigSources::File(const std::filesystem::path& file) {
  auto it = std::find(files.begin(), files.end(), file);
  if (it == files.end()) it = files.insert(files.end(), file);
  return "files[" + std::to_string(it - files.begin()) + "]";
}

std::string ConfigSources::OriginOf(std::string_view path) const {
  auto it = origins.find(path);
  return it == origins.end() ? std::string("default") : it->second;
}

void ConfigSources::SetLeaves(const nlohmann::json& document, const std::string& prefix,
                              const std::string& origin) {
  Leaves(document, prefix, [&](const std::string& path) { Set(path, origin); });
}

const nlohmann::json* ValueAt(const nlohmann::json& document, std::string_view path) {
  const nlohmann::json* at = &document;
  while (!path.empty()) {
    const std::size_t dot = path.find('.');
    const std::string_view key = path.substr(0, dot);
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return at;
}

nlohmann::ordered_json OriginsJson(const nlohmann::json& effective, const ConfigSources& sources) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  Leaves(effective, "", [&](const std::string& path) { out[path] = sources.OriginOf(path); });
  return out;
}

}  // namespace ohfp::config
