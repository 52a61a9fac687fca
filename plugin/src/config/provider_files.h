// config/provider_files.h
//
// Which files of HostFactory's configuration directory (HF_PROVIDER_CONFDIR) ohfp reads, for the
// provider instance named HF_PROVIDER_NAME ("aws" unless set), as IBM's plugin names them:
//
//   IBM's provider configuration  <name>prov_config.json, else awsprov_config.json (if either is
//                                 there; config/ibm_keys.h)
//   the templates                 <name>prov_templates.json, else awsprov_templates.json
//   ohfp's own configuration      config.json (config/plugin_config.h), read after IBM's file
//
// When both the provider's own file and awsprov_*.json exist (a provider named "awsinst" whose
// directory still holds IBM's sample), the provider's file is read and the other is ignored, with a
// warning that names both.
//
// Thread-safety: stateless functions (they look at the file system).
//
// Example:
//   ProviderFiles f = FindProviderFiles("/opt/hf/conf/providers/awsinst", "awsinst");
//   // f.ibm_config: .../awsinstprov_config.json; f.templates: .../awsinstprov_templates.json
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ohfp::config {

struct ProviderFiles {
  std::optional<std::filesystem::path> ibm_config{};  // none when neither file is there
  std::filesystem::path templates{};  // the one to read (reported missing when neither is there)
  std::vector<std::string> warnings{};
};

ProviderFiles FindProviderFiles(const std::filesystem::path& confdir,
                                std::string_view provider_name);

}  // namespace ohfp::config
