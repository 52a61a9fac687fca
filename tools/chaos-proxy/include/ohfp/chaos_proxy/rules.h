// ohfp/chaos_proxy/rules.h
//
// The chaos proxy's fault rules and their JSON form (the --config file and PUT /__chaos/rules). A
// rule says which requests it matches (action names and service), how often it fires (probability,
// an optional time window relative to the proxy's start, an optional maximum number of hits) and
// what fault it injects.
//
//   {"rules": [{"name": "slow-describes",
//               "match": {"action": "DescribeInstances", "service": "ec2"},
//               "probability": 0.5, "from": 10, "duration": 30, "max_hits": 5,
//               "fault": {"type": "latency", "ms": 2000}}]}
//
// The document may also carry a "throttling" section, which switches on the model of AWS's own
// request throttling (throttling_config.h, throttle_model.h).
//
// ParseRules() validates the whole document once and reports every problem with its JSON path
// ("$.rules[1].probability: must be between 0 and 1, got 1.5"); a document with any error yields no
// rules. Unknown keys, and keys that the rule's fault type does not use, are errors.
//
// Thread-safety: value types and pure functions; safe from any thread.
//
// Example:
//   ParsedRules parsed = ParseRules(text);
//   if (!parsed.ok()) {
//     for (const auto& e : parsed.errors) std::cerr << e.ToString() << '\n';
//     return 2;
//   }
//   RuleSet rules = std::move(*parsed.rules);
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/chaos_proxy/aws_request.h"
#include "ohfp/chaos_proxy/throttling_config.h"
#include "ohfp/resilience/clock.h"

namespace ohfp::chaos_proxy {

enum class FaultType {
  kThrottle,
  kError,
  kCapacity,
  kLatency,
  kHang,
  kReset,
  kDropResponse,
  kRespond
};
inline constexpr int kFaultTypeCount = static_cast<int>(FaultType::kRespond) + 1;

// The JSON name: "throttle", "error", "capacity", "latency", "hang", "reset", "drop_response",
// "respond".
std::string_view FaultTypeName(FaultType type) noexcept;
std::optional<FaultType> FaultTypeFromName(std::string_view name) noexcept;

struct Fault {
  FaultType type = FaultType::kThrottle;
  int status = 0;                      // error, respond: the HTTP status
  std::string code;                    // error, capacity: the AWS error code
  std::string message;                 // throttle, error, capacity: empty = the usual AWS message
  bool html = false;                   // error: answer a text/html page instead of XML
  std::chrono::milliseconds delay{0};  // latency: added before forwarding; hang: how long to hold
  std::string body;          // respond: the body; "{{request_id}}" becomes a fresh request id
  std::string content_type;  // respond
};

struct Match {
  std::vector<std::string> actions;  // empty = any action
  std::optional<Service> service;    // nullopt = any service
};

struct Rule {
  std::string name;  // from the document, or "rules[i]"
  Match match;
  double probability = 1.0;
  resilience::Duration from{0};  // window start, relative to the proxy's time origin
  std::optional<resilience::Duration> duration;  // window length; nullopt = until the proxy stops
  std::optional<std::uint64_t> max_hits;         // nullopt = unlimited
  Fault fault;
};

struct RuleSet {
  std::vector<Rule> rules;
  // The document's "throttling" section: the model of AWS's request throttling
  // (throttling_config.h), applied to the requests no rule stops. nullopt: off.
  std::optional<ThrottlingConfig> throttling;
};

struct ConfigError {
  std::string path;  // "$.rules[2].fault.type"
  std::string message;
  std::string ToString() const { return path + ": " + message; }
};

struct ParsedRules {
  std::optional<RuleSet> rules;  // set exactly when errors is empty
  std::vector<ConfigError> errors;
  bool ok() const noexcept { return errors.empty(); }
};

[[nodiscard]] ParsedRules ParseRules(std::string_view json_text);
[[nodiscard]] ParsedRules ParseRulesDocument(const nlohmann::json& document);

// The document form of a rule set, as GET /__chaos/rules returns it.
// ParseRulesDocument(RulesToJson(r)) gives r back.
nlohmann::json RulesToJson(const RuleSet& rules);

}  // namespace ohfp::chaos_proxy
