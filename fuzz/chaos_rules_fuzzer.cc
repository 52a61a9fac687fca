// Fuzz target: the chaos proxy's rule files (tools/chaos-proxy: --config FILE and PUT
// /__chaos/rules), then what the proxy does with accepted rules: print them back (GET
// /__chaos/rules) and decide on a request.
//
// Input: the document's text.
//
// Checked: no crash, no sanitizer report, no exception; a rejected document lists at least one
// problem, each with a JSON path; an accepted one round-trips (ParseRulesDocument(RulesToJson(r))
// is accepted with as many rules) and prints as JSON.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "ohfp/chaos_proxy/decision_engine.h"
#include "ohfp/chaos_proxy/rules.h"
#include "ohfp/resilience/manual_clock.h"

namespace cp = ohfp::chaos_proxy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  cp::ParsedRules parsed = cp::ParseRules(text);
  if (!parsed.ok()) {
    if (parsed.rules.has_value()) __builtin_trap();
    for (const cp::ConfigError& e : parsed.errors) {
      if (e.path.empty() || e.path.front() != '$') __builtin_trap();
      static_cast<void>(nlohmann::json(e.ToString()).dump());
    }
    return 0;
  }
  if (!parsed.rules) __builtin_trap();
  const nlohmann::json printed = cp::RulesToJson(*parsed.rules);
  static_cast<void>(printed.dump());
  const cp::ParsedRules again = cp::ParseRulesDocument(printed);
  if (!again.ok() || again.rules->rules.size() != parsed.rules->rules.size()) __builtin_trap();

  ohfp::resilience::ManualClock clock;
  ohfp::resilience::SeededRandom random(1);
  cp::DecisionEngine engine(clock, random, std::move(*parsed.rules));
  cp::AwsRequest request{
      .action = "RunInstances", .version = "2016-11-15", .service = cp::Service::kEc2};
  static_cast<void>(engine.Decide(request));
  return 0;
}
