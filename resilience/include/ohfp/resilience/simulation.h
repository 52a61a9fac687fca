// ohfp/resilience/simulation.h
//
// Simulator: replays calls against a configuration on virtual time, with the same
// ResiliencePipeline the plugin uses (no second implementation). A day of outage runs in
// milliseconds.
//
// Input: calls (when each starts, its operation and service, and the outcome of each attempt: "ok",
// an AWS error code, "connection_error", "hang", or "http_NNN"; the last listed outcome repeats),
// optional fault windows that decide the outcome of attempts for calls that list none
// ("throttle aws_ec2 from t=0 for 90 s"), and an optional server model: the service's token
// buckets (SimServer), which throttle attempts over the limit as EC2 does. With the
// configuration's rate limiter on, the same run shows the client waiting for tokens instead.
//
// Semantics: a discrete-event simulation. An attempt's outcome is known `latency` after it starts;
// calls that start at the same instant are in flight together; events at equal times keep input
// order. When an attempt's deadline passes first (a "hang", or a latency longer than the time left)
// the attempt fails with kTimeout at the deadline and the breaker sees it. The server's buckets
// are checked when an attempt starts: an attempt of an operation with buckets takes one token from
// each request bucket and the call's `resources` from each resource bucket if every one has them;
// otherwise it is throttled (SimServer::throttle_code, with the attempt's latency) and takes
// nothing. Buckets start full and refill on virtual time, less what other clients of the account
// spend (`background_rate`). Jitter and fault probabilities draw from one random source seeded by
// `seed`.
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
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ohfp/resilience/circuit_state.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/config.h"
#include "ohfp/resilience/function_ref.h"
#include "ohfp/resilience/monitor.h"
#include "ohfp/resilience/rate_limiter.h"
#include "ohfp/resilience/token_bucket.h"

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
  std::uint32_t resources = 1;         // what each attempt spends from resource buckets
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

// The service's token buckets (EC2's request and resource buckets, for instance).
struct SimServerBucket {
  TokenBucketOptions options;
  double background_rate = 0.0;  // tokens per second other clients of the account spend
};
struct SimServer {
  std::map<std::string, SimServerBucket, std::less<>> buckets{};
  std::map<std::string, LimiterOperationConfig, std::less<>> operations{};
  std::string throttle_code = "RequestLimitExceeded";

  bool empty() const noexcept { return operations.empty(); }
};

struct SimEvent {
  enum class Type { kAttempt, kRetry, kCircuit, kRejected, kTimeout, kResult, kWait, kRate };
  Type type;
  Duration at{};           // virtual time
  std::int64_t call = -1;  // input index; -1 for circuit events
  std::string operation{};
  std::string service{};
  int attempt = 0;                            // kAttempt, kRetry, kWait
  Duration started{};                         // kAttempt: when the attempt started
  std::string outcome{};                      // kAttempt: "ok", the error code, or "timeout"
  Duration delay{};                           // kRetry; kWait: the wait for tokens
  std::string bucket{};                       // kWait, kRate: the rate limiter's bucket
  double rate_from = 0.0;                     // kRate: tokens per second
  double rate_to = 0.0;                       // kRate
  bool lowered = false;                       // kRate: lowered (else back at its configured rate)
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
  std::uint64_t throttled = 0;                // attempts the server's buckets throttled
  std::uint64_t rate_limiter_waits = 0;       // attempts that waited for tokens
  Duration rate_limiter_wait{};               // how long, in total
  std::uint64_t rate_limited_calls = 0;       // calls ended by the rate limiter (deadline)
  std::uint64_t rate_decreases = 0;           // throttles that lowered a bucket's rate
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
                        FunctionRef<void(const SimEvent&)> sink) {
    return Run(calls, faults, SimServer{}, sink);
  }
  // The same against a server that throttles over its buckets.
  Result<SimReport> Run(std::span<const SimCall> calls, std::span<const SimFault> faults,
                        const SimServer& server, FunctionRef<void(const SimEvent&)> sink);

 private:
  ResilienceConfig config_;
  std::uint64_t seed_;
};

}  // namespace ohfp::resilience
