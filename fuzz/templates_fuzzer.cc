// Fuzz target: the templates file (config/templates_file.h: ohfp's awsprov_templates.json format,
// the one HostFactory's IBM plugin uses today), read from a file as `ohfp` reads it; then what
// getAvailableTemplates prints for each template, or the message of a rejected file.
//
// Input: the file's text.
//
// Checked: no crash, no sanitizer report, no exception; a rejected file is a kValidation error
// whose message prints as JSON; every accepted template prints as JSON.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "config/templates_file.h"
#include "fuzz_file.h"
#include "hostfactory/contract.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const FuzzFile file("awsprov_templates.json");
  file.Write(std::string_view(reinterpret_cast<const char*>(data), size));
  auto set = ohfp::config::LoadTemplates(file.path());
  if (!set.ok()) {
    if (set.error().kind() != ohfp::resilience::ErrorKind::kValidation) __builtin_trap();
    static_cast<void>(ohfp::hostfactory::ErrorJson(set.error().message()).dump());
    return 0;
  }
  std::vector<nlohmann::ordered_json> templates;
  for (const ohfp::model::Template& t : set->templates) {
    templates.push_back(ohfp::hostfactory::HostFactoryTemplateJson(t, t.max_number));
  }
  static_cast<void>(ohfp::hostfactory::TemplatesJson(templates, "").dump());
  return 0;
}
