// ohfp/resilience/observer.h
//
// ResilienceObserver: how the library reports what it does. The library never logs; it calls an
// observer that the caller injects (the plugin's logging adapter, the simulator's event printer, a
// test recorder). Every method has an empty default, so an observer overrides only what it needs.
//
// Events are delivered synchronously on the thread that caused them, after any internal lock is
// released. Strings and errors in an event are valid only during the call.
//
// ErrorHandlingFilter applies the seed's "error_handling" logging switches (log_retries,
// log_circuit_breaker_state_changes) in front of another observer; alerts
// (alert_on_circuit_breaker_open, max_consecutive_failures_before_alert) are raised by the pipeline
// as OnAlert events.
//
// Thread-safety: observers must be safe to call from any thread.
//
// Example:
//   class PrintOpens : public ResilienceObserver {
//     void OnCircuitStateChange(const CircuitStateChange& c) override {
//       if (c.to == CircuitState::kOpen) std::cerr << "open: " << c.service << "\n";
//     }
//   };
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ohfp/resilience/circuit_state.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/error.h"

namespace ohfp::resilience {

// One attempt of a call finished. `error` is null when it succeeded.
struct AttemptEvent {
  std::uint64_t call_id;
  std::string_view operation;
  std::string_view service;
  int attempt;  // 1-based
  MonoTime started;
  MonoTime finished;
  const Error* error;
};

// A retry was scheduled after failed attempt `attempt`; the next attempt starts after `delay`.
struct RetryEvent {
  std::uint64_t call_id;
  std::string_view operation;
  std::string_view service;
  int attempt;
  Duration delay;
  const Error& cause;
};

struct CircuitStateChange {
  std::string_view service;
  CircuitState from;
  CircuitState to;
  SysTime at;
  std::uint32_t failure_count;  // consecutive failures when the change happened
};

// A breaker counted a failure (the seed's _record_failure).
struct CircuitFailureEvent {
  std::string_view service;
  const Error& error;
  std::uint32_t failure_count;  // after this failure
  int failure_threshold;
  CircuitState state;  // after this failure
};

// A breaker rejected a call without running it.
struct RejectedEvent {
  std::uint64_t call_id;
  std::string_view operation;
  std::string_view service;
};

// A call ended because its deadline passed (during an attempt or while waiting to retry).
struct TimeoutEvent {
  std::uint64_t call_id;
  std::string_view operation;
  std::string_view service;
  Duration timeout;  // the operation's configured timeout
  int attempts;      // attempts made
};

// A call ended. `error` is null when it succeeded.
struct ResultEvent {
  std::uint64_t call_id;
  std::string_view operation;
  std::string_view service;
  const Error* error;
  int attempts;
  Duration elapsed;
};

// A call waits for rate-limiter tokens before it sends attempt `attempt` (rate_limiter.h).
struct RateLimitWaitEvent {
  std::uint64_t call_id;
  std::string_view operation;
  std::string_view service;
  int attempt;
  std::string_view bucket;  // the bucket that needs the longest wait
  Duration wait;
};

// A rate-limiter bucket's rate changed: lowered because the service throttled a request, or back
// at its configured rate (`lowered` false). Rates are tokens per second.
struct RateChangeEvent {
  std::string_view bucket;  // the bucket's name
  std::string_view key;     // its record in the store: the limiter's scope and the name
  double from;
  double to;
  bool lowered;
};

struct AlertEvent {
  enum class Kind { kCircuitOpen, kConsecutiveFailures };
  Kind kind;
  std::string_view service;
  std::string_view operation;  // empty for kCircuitOpen
  std::uint32_t consecutive_failures;
};

class ResilienceObserver {
 public:
  virtual ~ResilienceObserver() = default;
  virtual void OnAttempt(const AttemptEvent& /*event*/) {}
  virtual void OnRetry(const RetryEvent& /*event*/) {}
  virtual void OnCircuitStateChange(const CircuitStateChange& /*event*/) {}
  virtual void OnCircuitFailure(const CircuitFailureEvent& /*event*/) {}
  virtual void OnRejected(const RejectedEvent& /*event*/) {}
  virtual void OnTimeout(const TimeoutEvent& /*event*/) {}
  virtual void OnResult(const ResultEvent& /*event*/) {}
  virtual void OnAlert(const AlertEvent& /*event*/) {}
  virtual void OnRateLimitWait(const RateLimitWaitEvent& /*event*/) {}
  virtual void OnRateChange(const RateChangeEvent& /*event*/) {}
  // A StateStore operation failed; the breaker or quota carried on without it.
  virtual void OnStoreError(std::string_view /*service*/, const Error& /*error*/) {}
};

// Forwards every event to each observer in order. Holds pointers; the observers must outlive it.
class ObserverList final : public ResilienceObserver {
 public:
  ObserverList() = default;
  explicit ObserverList(std::vector<ResilienceObserver*> observers)
      : observers_(std::move(observers)) {}
  void Add(ResilienceObserver* observer) { observers_.push_back(observer); }

  void OnAttempt(const AttemptEvent& e) override;
  void OnRetry(const RetryEvent& e) override;
  void OnCircuitStateChange(const CircuitStateChange& e) override;
  void OnCircuitFailure(const CircuitFailureEvent& e) override;
  void OnRejected(const RejectedEvent& e) override;
  void OnTimeout(const TimeoutEvent& e) override;
  void OnResult(const ResultEvent& e) override;
  void OnAlert(const AlertEvent& e) override;
  void OnRateLimitWait(const RateLimitWaitEvent& e) override;
  void OnRateChange(const RateChangeEvent& e) override;
  void OnStoreError(std::string_view service, const Error& error) override;

 private:
  std::vector<ResilienceObserver*> observers_;
};

// The seed's error_handling logging switches, applied in front of `inner`: retry events pass only
// when log_retries is set, state changes only when log_circuit_breaker_state_changes is set.
// Everything else passes.
class ErrorHandlingFilter final : public ResilienceObserver {
 public:
  ErrorHandlingFilter(ResilienceObserver& inner, bool log_retries, bool log_state_changes) noexcept
      : inner_(inner), log_retries_(log_retries), log_state_changes_(log_state_changes) {}

  void OnAttempt(const AttemptEvent& e) override { inner_.OnAttempt(e); }
  void OnRetry(const RetryEvent& e) override {
    if (log_retries_) inner_.OnRetry(e);
  }
  void OnCircuitStateChange(const CircuitStateChange& e) override {
    if (log_state_changes_) inner_.OnCircuitStateChange(e);
  }
  void OnCircuitFailure(const CircuitFailureEvent& e) override { inner_.OnCircuitFailure(e); }
  void OnRejected(const RejectedEvent& e) override { inner_.OnRejected(e); }
  void OnTimeout(const TimeoutEvent& e) override { inner_.OnTimeout(e); }
  void OnResult(const ResultEvent& e) override { inner_.OnResult(e); }
  void OnAlert(const AlertEvent& e) override { inner_.OnAlert(e); }
  void OnRateLimitWait(const RateLimitWaitEvent& e) override { inner_.OnRateLimitWait(e); }
  void OnRateChange(const RateChangeEvent& e) override { inner_.OnRateChange(e); }
  void OnStoreError(std::string_view service, const Error& error) override {
    inner_.OnStoreError(service, error);
  }

 private:
  ResilienceObserver& inner_;
  bool log_retries_;
  bool log_state_changes_;
};

}  // namespace ohfp::resilience
