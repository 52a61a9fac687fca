#include "config/provider_files.h"

#include <system_error>

namespace ohfp::config {
namespace {

namespace fs = std::filesystem;

bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// The provider's own `<name>prov_<suffix>`, else awsprov_<suffix>; nullopt when neither exists.
// A warning when both exist and differ.
std::optional<fs::path> Pick(const fs::path& confdir, const std::string& name,
                             const std::string& suffix, std::vector<std::string>& warnings) {
  const fs::path own = confdir / (name + "prov_" + suffix);
  const fs::path ibm = confdir / ("awsprov_" + suffix);
  const bool has_own = IsFile(own);
  const bool has_ibm = own != ibm && IsFile(ibm);
  if (has_own && has_ibm) {
    warnings.push_back(ibm.string() + " is ignored: the provider is named " + name +
                       " (HF_PROVIDER_NAME), so " + own.string() +
                       " is read, as IBM's plugin reads it");
  }
  if (has_own) return own;
  if (has_ibm) return ibm;
  return std::nullopt;
}

}  // namespace

ProviderFiles FindProviderFiles(const fs::path& confdir, std::string_view provider_name) {
  const std::string name = provider_name.empty() ? std::string("aws") : std::string(provider_name);
  ProviderFiles f;
  f.ibm_config = Pick(confdir, name, "config.json", f.warnings);
  std::optional<fs::path> templates = Pick(confdir, name, "templates.json", f.warnings);
  f.templates = templates ? *templates : confdir / (name + "prov_templates.json");
  return f;
}

}  // namespace ohfp::config
