#include "ohfp/chaos_proxy/stats.h"

#include <nlohmann/json.hpp>
#include <numeric>

namespace ohfp::chaos_proxy {

std::uint64_t Counters::TotalFaults() const noexcept {
  return std::accumulate(faults.begin(), faults.end(), std::uint64_t{0});
}

nlohmann::json Counters::ToJson() const {
  nlohmann::json by_type = nlohmann::json::object();
  for (int i = 0; i < kFaultTypeCount; ++i) {
    by_type[std::string(FaultTypeName(static_cast<FaultType>(i)))] =
        faults[static_cast<std::size_t>(i)];
  }
  return {{"requests", requests},
          {"forwarded", forwarded},
          {"faults", TotalFaults()},
          {"faults_by_type", std::move(by_type)},
          {"idempotent_replays", idempotent_replays},
          {"idempotency_mismatches", idempotency_mismatches},
          {"upstream_errors", upstream_errors},
          {"throttled_by_model", throttled_by_model}};
}

Counters Stats::Totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

Counters Stats::ForAction(std::string_view action) const {
  const std::string_view key = action.empty() ? kNoAction : action;
  std::lock_guard lock(mu_);
  const auto it = actions_.find(key);
  return it == actions_.end() ? Counters{} : it->second;
}

nlohmann::json Stats::ToJson() const {
  std::lock_guard lock(mu_);
  nlohmann::json actions = nlohmann::json::object();
  for (const auto& [name, counters] : actions_) actions[name] = counters.ToJson();
  return {{"totals", totals_.ToJson()}, {"actions", std::move(actions)}};
}

void Stats::Reset() {
  std::lock_guard lock(mu_);
  totals_ = Counters{};
  actions_.clear();
}

}  // namespace ohfp::chaos_proxy
