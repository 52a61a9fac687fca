// ohfp/resilience/simulation.h
//
// Simulator: replays calls against a configuration on virtual time, with the same
// ResiliencePipeline the plugin uses (no second implementation). A day of outage runs in
// milliseconds.
//
// Input: calls (when each starts, its operation and service, and the outcome of each attempt: "ok",
// an AWS error code, "connection_error", "hang", or "http_NNN"; the last listed outcome repeats),
// and optional fault windows that decide the outcome of attempts for calls that list none
// ("throttle aws_ec2 from t=0 for 90 s").
//
// Semantics: a discrete-event simulation. An attempt's outcome is known `latency` after it starts;
// calls that start at the same instant are in flight together; events at equal times keep input
// order. When an attempt's deadline passes first (a "hang", or a latency longer than the time left)
// the attempt fails with kTimeout at the deadline and the breaker sees it. Jitter and fault
// probabilities draw from one random source seeded by `seed`.
//
// Output: events in time order through a callback (the CLI prints them as JSON lines) and a
// SimReport.
//
// Thread-safety: a Simulator is used by one thread at a time.
//
// Example:
//   Simulator sim(config, /*seed=*/7);
//   std::vector<SimCall> calls = {{.at = 0s, .operation = "ec2_run_instances",
//                                  .attempts = {{"RequestLimitExceeded"}, {"ok"}}}};
//   SimReport report = sim.Run(calls, {}, [](const SimEvent& e) { Print(e); });
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ohfp/resilience/circuit_state.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/config.h"
#include "ohfp/resilience/function_ref.h"
#include "ohfp/resilience/monitor.h"

namespace ohfp::resilience {

struct SimAttempt {
  std::string outcome = "ok";  // "ok", an AWS error code, "connection_error", "hang", "http_503"
  Duration latency{};
};

struct SimCall {
  Duration at{};  // virtual time the call starts
  std::string operation{};
  std::string service{};               // empty: the configuration's ServiceFor(operation)
  std::vector<SimAttempt> attempts{};  // empty: decided by the fault windows ("ok" outside them)
};

// From `from` until `until`, attempts of matching calls that list no outcomes get `outcome` (with
// `probability`, else "ok") and take `latency`. Empty service/operation match any. The first
// matching window wins.
struct SimFault {
  std::string service{};
  std::string operation{};
  Duration from{};
  Duration until = Duration::max();
  std::string outcome{};
  Duration latency{};
  double probability = 1.0;
};

struct SimEvent {
  enum class Type { kAttempt, kRetry, kCircuit, kRejected, kTimeout, kResult };
  Type type;
  Duration at{};           // virtual time
  std::int64_t call = -1;  // input index; -1 for circuit events
  std::string operation{};
  std::string service{};
  int attempt = 0;                            // kAttempt, kRetry
  Duration started{};                         // kAttempt: when the attempt started
  std::string outcome{};                      // kAttempt: "ok", the error code, or "timeout"
  Duration delay{};                           // kRetry
  CircuitState from = CircuitState::kClosed;  // kCircuit
  CircuitState to = CircuitState::kClosed;    // kCircuit
  bool ok = false;                            // kResult
  std::string error{};  // kResult: the last attempt's code, "circuit_open" or "timeout"
  int attempts = 0;     // kResult
};

struct SimReport {
  MetricsSummary summary;  // the monitor's summary
  std::uint64_t calls = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  std::uint64_t attempts = 0;  // requests that reached the service
  std::uint64_t retries = 0;
  std::uint64_t breaker_openings = 0;
  std::uint64_t rejected = 0;                 // attempts the breakers turned away
  std::optional<Duration> last_success_at{};  // when the last successful call finished
  Duration end{};                             // when the last event happened
};

class Simulator {
 public:
  Simulator(ResilienceConfig config, std::uint64_t seed)
      : config_(std::move(config)), seed_(seed) {}

  // Validates the calls (known service for every operation) and runs them. Errors name the input
  // index.
  Result<SimReport> Run(std::span<const SimCall> calls, std::span<const SimFault> faults,
                        FunctionRef<void(const SimEvent&)> sink);

 private:
  ResilienceConfig config_;
  std::uint64_t seed_;
};

}  // namespace ohfp::resilience
