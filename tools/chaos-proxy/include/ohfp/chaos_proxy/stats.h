// ohfp/chaos_proxy/stats.h
//
// Counters the chaos proxy keeps, in total and per action: requests seen, requests forwarded to the
// upstream, faults injected by type, idempotent replays, idempotency mismatches, and upstream
// failures (the proxy answered 502/504 because the upstream could not be reached), and requests
// the throttling model refused (throttle_model.h). GET
// /__chaos/stats returns them as JSON. Requests without an Action (not AWS Query traffic) are
// counted under "(no action)".
//
// Thread-safety: all methods are safe from any thread (one mutex; the critical sections are map
// updates).
//
// Example:
//   Stats stats;
//   stats.RecordRequest("RunInstances");
//   stats.RecordFault("RunInstances", FaultType::kThrottle);
//   EXPECT_EQ(stats.ForAction("RunInstances").faults[FaultIndex(FaultType::kThrottle)], 1u);
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "ohfp/chaos_proxy/rules.h"

namespace ohfp::chaos_proxy {

constexpr std::size_t FaultIndex(FaultType type) noexcept { return static_cast<std::size_t>(type); }

struct Counters {
  std::uint64_t requests = 0;
  std::uint64_t forwarded = 0;
  std::array<std::uint64_t, kFaultTypeCount> faults{};
  std::uint64_t idempotent_replays = 0;
  std::uint64_t idempotency_mismatches = 0;
  std::uint64_t upstream_errors = 0;
  std::uint64_t throttled_by_model = 0;  // answered as AWS does when a token bucket is empty

  std::uint64_t TotalFaults() const noexcept;
  nlohmann::json ToJson() const;
};

class Stats {
 public:
  static constexpr std::string_view kNoAction = "(no action)";

  void RecordRequest(std::string_view action) {
    Update(action, [](Counters& c) { ++c.requests; });
  }
  void RecordForwarded(std::string_view action) {
    Update(action, [](Counters& c) { ++c.forwarded; });
  }
  void RecordFault(std::string_view action, FaultType type) {
    Update(action, [type](Counters& c) { ++c.faults[FaultIndex(type)]; });
  }
  void RecordReplay(std::string_view action) {
    Update(action, [](Counters& c) { ++c.idempotent_replays; });
  }
  void RecordMismatch(std::string_view action) {
    Update(action, [](Counters& c) { ++c.idempotency_mismatches; });
  }
  void RecordUpstreamError(std::string_view action) {
    Update(action, [](Counters& c) { ++c.upstream_errors; });
  }
  void RecordModelThrottle(std::string_view action) {
    Update(action, [](Counters& c) { ++c.throttled_by_model; });
  }

  Counters Totals() const;
  // All zero for an action never seen.
  Counters ForAction(std::string_view action) const;
  // {"totals": {...}, "actions": {"RunInstances": {...}, ...}}
  nlohmann::json ToJson() const;
  void Reset();

 private:
  template <class F>
  void Update(std::string_view action, F&& update) {
    const std::string_view key = action.empty() ? kNoAction : action;
    std::lock_guard lock(mu_);
    update(totals_);
    auto it = actions_.find(key);
    if (it == actions_.end()) it = actions_.emplace(std::string(key), Counters{}).first;
    update(it->second);
  }

  mutable std::mutex mu_;
  Counters totals_;                                       // guarded by mu_
  std::map<std::string, Counters, std::less<>> actions_;  // guarded by mu_
};

}  // namespace ohfp::chaos_proxy
