// config/resilience_json.h
//
// Reads the seed's "resilience" JSON object (and ohfp's extension keys, docs/configuration.md) into
// a resilience::ResilienceConfig. The seed's example configuration loads unchanged. Every problem —
// an unknown key, a wrong type, an out-of-range value — is reported with its JSON path, all at
// once.
//
// What the library does not know comes from the plugin (aws/resilience_tables.h): the operations'
// services, and the rate limiter's buckets (EC2's published limits). A `resilience` object is the
// seed's, unchanged: a key it leaves out has the seed's meaning, and the seed has no rate limiter,
// so the limiter is off unless `rate_limiter.enabled` is true. Without a `resilience` object the
// plugin runs EmbeddedResilienceDefaults(): the same, with the rate limiter on.
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

// The library's defaults with AWS's tables: the operations' services and the rate limiter's
// buckets (off). What a `resilience` object is read over.
resilience::ResilienceConfig AwsResilienceBase();
// AwsResilienceBase() with the rate limiter on: ohfp's defaults when config.json has no
// `resilience` object.
resilience::ResilienceConfig EmbeddedResilienceDefaults();

// Reads `value` (the object under "resilience") over `base` (AwsResilienceBase() unless given) and
// validates the result. Problems are appended to `problems`; the returned configuration holds every
// value that could be read, `base`'s elsewhere.
resilience::ResilienceConfig ReadResilienceConfig(
    const nlohmann::json& value, const std::string& path,
    std::vector<resilience::ConfigProblem>& problems,
    resilience::ResilienceConfig base = AwsResilienceBase());

// The configuration as JSON, every key written out (defaults included): what "config validate"
// prints.
nlohmann::json ResilienceConfigToJson(const resilience::ResilienceConfig& config);

}  // namespace ohfp::config
