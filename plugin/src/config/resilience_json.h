// config/resilience_json.h
//
// Reads the seed's "resilience" JSON object (and ohfp's extension keys, docs/configuration.md) into
// a resilience::ResilienceConfig. The seed's example configuration loads unchanged. Every problem —
// an unknown key, a wrong type, an out-of-range value — is reported with its JSON path, all at
// once.
//
// Thread-safety: stateless functions.
//
// Example:
//   std::vector<ConfigProblem> problems;
//   ResilienceConfig config = ReadResilienceConfig(json["resilience"], "resilience", problems);
//   for (const ConfigProblem& p : problems) std::cerr << p.path << ": " << p.message << "\n";
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ohfp/resilience/config.h"

namespace ohfp::config {

// Reads `value` (the object under "resilience") over `base` and validates the result. Problems are
// appended to `problems`; the returned configuration holds every value that could be read, `base`'s
// elsewhere (the defaults unless given).
resilience::ResilienceConfig ReadResilienceConfig(const nlohmann::json& value,
                                                  const std::string& path,
                                                  std::vector<resilience::ConfigProblem>& problems,
                                                  resilience::ResilienceConfig base = {});

// The configuration as JSON, every key written out (defaults included): what "config validate"
// prints.
nlohmann::json ResilienceConfigToJson(const resilience::ResilienceConfig& config);

}  // namespace ohfp::config
