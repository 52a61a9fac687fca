// Fuzz target: config.json (config/plugin_config.h: ohfp's keys, the IBM plugin's AWS_* keys, the
// resilience section), read from a file as `ohfp` reads it, with a few environment variables that
// override the file; then what `ohfp config validate` and a failing command print.
//
// Input (FuzzedDataProvider): the last byte says which of the environment variables
// AWS_PROXY_PORT, AWS_CONNECTION_TIMEOUT_MS, AWS_ENDPOINT_URL, AWS_REGION are set; their values
// are strings from the front; the rest is the file.
//
// Checked: no crash, no sanitizer report, no exception; a rejected file is a kValidation error
// whose message prints as JSON; an accepted configuration prints as JSON.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "aws/environment.h"
#include "config/plugin_config.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const FuzzFile file("config.json");
  static constexpr std::array<const char*, 4> kVariables = {
      "AWS_PROXY_PORT", "AWS_CONNECTION_TIMEOUT_MS", "AWS_ENDPOINT_URL", "AWS_REGION"};
  FuzzedDataProvider in(data, size);
  const auto set = in.ConsumeIntegral<std::uint8_t>();
  ohfp::aws::MapEnvironment env;
  for (std::size_t i = 0; i < kVariables.size(); ++i) {
    if ((set >> i & 1) != 0) env.Set(kVariables[i], in.ConsumeRandomLengthString(64));
  }
  file.Write(in.ConsumeRemainingBytesAsString());
  auto config = ohfp::config::LoadPluginConfig(file.path(), env);
  if (config.ok()) {
    static_cast<void>(ohfp::config::PluginConfigToJson(*config).dump());
  } else {
    if (config.error().kind() != ohfp::resilience::ErrorKind::kValidation) __builtin_trap();
    static_cast<void>(nlohmann::json{{"message", config.error().message()}}.dump());
  }
  return 0;
}
