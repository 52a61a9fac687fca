// ohfp/resilience/circuit_state.h
//
// The circuit breaker's states and the record a StateStore keeps per service. Separate from
// circuit_breaker.h so stores can persist records without depending on the breaker.
//
// Thread-safety: value types.
//
// Example:
//   BreakerRecord r;                       // a fresh, closed record
//   CircuitStateName(r.state);             // "closed"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ohfp/resilience/clock.h"

namespace ohfp::resilience {

// The seed's CircuitState: CLOSED (normal), OPEN (failing fast), HALF_OPEN (testing recovery).
enum class CircuitState : std::uint8_t { kClosed, kOpen, kHalfOpen };

// "closed", "open", "half_open": the seed's CircuitState values.
std::string_view CircuitStateName(CircuitState state) noexcept;
std::optional<CircuitState> CircuitStateFromName(std::string_view name) noexcept;

// An operator's manual override, kept in the record so it holds across processes.
enum class CircuitOverride : std::uint8_t { kNone, kForcedOpen, kForcedClosed };
std::string_view CircuitOverrideName(
    CircuitOverride mode) noexcept;  // "none", "forced_open", "forced_closed"
std::optional<CircuitOverride> CircuitOverrideFromName(std::string_view name) noexcept;

// One service's breaker state: the seed's state_info dictionary plus what the extensions need.
struct BreakerRecord {
  CircuitState state = CircuitState::kClosed;
  CircuitOverride override_mode = CircuitOverride::kNone;
  std::uint32_t failure_count = 0;     // consecutive failures (the seed's failure_count)
  std::uint32_t half_open_probes = 0;  // probes admitted in HALF_OPEN and not finished
  std::uint64_t generation = 0;        // incremented on every state change
  std::optional<SysTime> last_failure_time;
  std::optional<SysTime> last_success_time;
  SysTime state_changed_time{};
  std::string window;         // failure-rate window: '0' success, '1' failure, oldest first
  std::uint64_t version = 0;  // incremented by the store on every write

  friend bool operator==(const BreakerRecord&, const BreakerRecord&) = default;
};

// One service's retry quota (the AWS SDK's RetryQuotaContainer). An absent value means "never
// used": full.
struct QuotaRecord {
  std::optional<std::int32_t> tokens;
  std::uint64_t version = 0;

  friend bool operator==(const QuotaRecord&, const QuotaRecord&) = default;
};

}  // namespace ohfp::resilience
