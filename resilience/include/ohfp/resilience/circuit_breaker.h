// ohfp/resilience/circuit_breaker.h
//
// CircuitBreaker: the seed's CircuitBreakerStrategy. Three states (circuit_state.h), with the
// seed's semantics:
//  - CLOSED: calls run; consecutive failures are counted and a success resets the count; at
//    failure_threshold the circuit opens.
//  - OPEN: calls are rejected at once (kCircuitOpen; CircuitBreakerOpenError at the exception
//    edge). When a call arrives and reset_timeout has passed since the last failure, the circuit
//    goes HALF_OPEN and the call runs.
//  - HALF_OPEN: a success closes the circuit, a failure opens it, and a call arriving after
//    half_open_timeout without a success re-opens it. (As in the seed's code, the re-opened
//    circuit is measured from the last failure, so the following call may half-open it again;
//    see docs/resilience.md.)
// Failures recorded while OPEN (calls admitted before it opened) count and move last_failure_time,
// as in the seed.
//
// Extensions, all off by default: a limit on concurrent HALF_OPEN probes; a failure-rate window
// (the last N calls, opening at a failure percentage once a minimum number of calls is seen); a
// slow-call threshold (a success slower than it counts as a timeout failure); counting only
// service-side errors (throttled, transient, timeout, capacity; any other error counts as a
// success, as resilience4j treats unrecorded exceptions); manual ForceOpen / ForceClosed / Reset,
// kept in the store so they hold across processes.
//
// State lives in a StateStore, one record per service name. The hot paths do not touch the store:
// with a private store the breaker publishes its state in atomics, so a CLOSED call with no
// failures pending writes nothing shared, and an OPEN rejection is one atomic load and one clock
// read. With a shared store every acquisition re-reads the record, so a circuit opened by one
// process rejects in the next. The protected call never runs under a lock: TryAcquire() returns a
// permit, the caller runs the call, then reports the outcome with OnSuccess/OnFailure. Call() does
// all three. If the store fails, the breaker lets the call through (it is a safety device, not a
// gate) and reports the store error to the observer (OnStoreError); the store error never counts as
// a failure of the call.
//
// Thread-safety: all methods are safe from any thread.
//
// Example:
//   CircuitBreaker breaker("aws_ec2", {.failure_threshold = 3, .reset_timeout = 30s}, store,
//                          clock);
//   Result<Reservation> r = breaker.Call([&] { return ec2.RunInstances(request); });
//   if (!r.ok() && r.error().kind() == ErrorKind::kCircuitOpen) { /* failing fast */ }
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "ohfp/resilience/circuit_state.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/error.h"
#include "ohfp/resilience/monitor.h"
#include "ohfp/resilience/observer.h"
#include "ohfp/resilience/result.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::resilience {

// Which errors count as breaker failures.
enum class FailurePolicy : std::uint8_t {
  kAllErrors,      // every error (the seed)
  kServiceErrors,  // throttled, transient, timeout, capacity; other errors count as successes
};
std::string_view FailurePolicyName(FailurePolicy policy) noexcept;  // "all", "service_errors"
std::optional<FailurePolicy> FailurePolicyFromName(std::string_view name) noexcept;

struct CircuitBreakerOptions {
  // The seed's parameters and defaults.
  int failure_threshold = 5;
  Duration reset_timeout = std::chrono::seconds(60);
  Duration half_open_timeout = std::chrono::seconds(30);
  // Extensions (0 = off).
  int half_open_max_probes =
      0;  // concurrent calls admitted while HALF_OPEN; 0 = unlimited (the seed)
  int failure_rate_threshold =
      0;  // percent of failures in the window that opens the circuit; 0 = off
  int sliding_window_size = 100;  // calls in the failure-rate window
  int minimum_calls = 10;         // calls the window must hold before the rate is judged
  Duration slow_call_duration =
      Duration::zero();  // successes at least this slow count as failures; 0 = off
  FailurePolicy failure_policy = FailurePolicy::kAllErrors;

  friend bool operator==(const CircuitBreakerOptions&, const CircuitBreakerOptions&) = default;
};

class CircuitBreaker {
 public:
  // Permission to run one call, returned by TryAcquire() and handed back with the outcome.
  class Permit {
   public:
    Permit() = default;

   private:
    friend class CircuitBreaker;
    std::uint64_t generation_ = 0;
    MonoTime started_{};
    bool fast_ = false;    // admitted on the lock-free CLOSED path
    bool probe_ = false;   // counted against half_open_max_probes
    bool clean_ = false;   // the record had nothing for a success to reset (shared stores)
    bool forced_ = false;  // admitted by ForceClosed: outcomes are not counted
  };

  // `monitor` and `observer` may be null. The store, clock and those must outlive the breaker.
  CircuitBreaker(std::string service, CircuitBreakerOptions options, StateStore& store,
                 Clock& clock, ResilienceObserver* observer = nullptr,
                 ServiceCounters* counters = nullptr);
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Admits a call (a permit) or rejects it (kCircuitOpen). Applies the time-based transitions
  // first.
  [[nodiscard]] Result<Permit> TryAcquire() {
    const std::uint8_t fast = fast_state_.load(std::memory_order_acquire);
    if (fast == kFastClosed) {
      Permit permit;
      permit.fast_ = true;
      if (times_calls_) permit.started_ = clock_.Now();
      return permit;
    }
    if (fast == kFastOpen && RejectsNow()) return Error(ErrorKind::kCircuitOpen);
    return SlowAcquire();
  }
  void OnSuccess(const Permit& permit) {
    // The CLOSED success path: nothing to reset means nothing to write, not even a shared cache
    // line.
    if (permit.fast_ && plain_successes_ && !has_failures_.load(std::memory_order_relaxed)) return;
    RecordSuccess(permit);
  }
  void OnFailure(const Permit& permit, const Error& error);
  // Hands back a permit whose outcome is not counted (the attempt was not sent, or its outcome is
  // not the breaker's business, e.g. a throttle the rate limiter handles): frees its HALF_OPEN
  // probe slot, if it held one, and counts nothing. Free for permits that hold no probe.
  void Release(const Permit& permit) {
    if (permit.probe_) Record(permit, &kNotCounted);
  }
  // Starts the permit's slow-call clock again (after the caller waited before sending).
  void Restart(Permit& permit) const noexcept {
    if (times_calls_) permit.started_ = clock_.Now();
  }
  // OnSuccess when `error` is null, else OnFailure. kCancelled outcomes release the permit and
  // count nothing.
  void OnOutcome(const Permit& permit, const Error* error) {
    if (error == nullptr) {
      OnSuccess(permit);
    } else {
      OnFailure(permit, *error);
    }
  }

  // The seed's call(): acquire, run `f` (which returns a Result), record the outcome. No lock is
  // held while `f` runs and nothing is allocated on the CLOSED or rejection paths.
  template <class F>
  auto Call(F&& f) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    static_assert(kIsResult<R>, "CircuitBreaker::Call needs a callable returning Result<T>");
    const std::uint8_t fast = fast_state_.load(std::memory_order_acquire);
    if (fast == kFastClosed && plain_successes_) {
      R result = std::invoke(f);
      if (!result.ok()) {
        OnFailure(FastPermit(), result.error());
      } else if (has_failures_.load(std::memory_order_relaxed)) {
        RecordSuccess(FastPermit());
      }
      return result;
    }
    if (fast == kFastOpen && RejectsNow()) return R(Error(ErrorKind::kCircuitOpen));
    return SlowCall(f);
  }

  // The state as this process last saw it (no store access, no time-based transition).
  CircuitState state() const noexcept;
  // The stored record (reads the store).
  Result<BreakerRecord> Snapshot() const;
  // How long until an OPEN circuit would admit a call; zero when it would admit one now.
  Duration TimeUntilHalfOpen() const;

  // Manual control, persisted in the record: ForceOpen rejects every call, ForceClosed admits every
  // call and counts nothing, Reset returns to a fresh CLOSED record without an override.
  Status ForceOpen();
  Status ForceClosed();
  Status Reset();

  const std::string& service() const noexcept { return service_; }
  const CircuitBreakerOptions& options() const noexcept { return options_; }

 private:
  enum FastState : std::uint8_t { kFastSlow = 0, kFastClosed = 1, kFastOpen = 2 };
  struct Transitions;
  static inline const Error kNotCounted{ErrorKind::kCancelled};

  template <class F>
  [[gnu::noinline]] auto SlowCall(F& f) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    Result<Permit> permit = SlowAcquire();
    if (!permit.ok()) return R(std::move(permit).error());
    R result = std::invoke(f);
    OnOutcome(*permit, result.ok() ? nullptr : &result.error());
    return result;
  }
  static Permit FastPermit() noexcept {
    Permit permit;
    permit.fast_ = true;
    return permit;
  }
  // OPEN, as published: reject while now is within reset_timeout of the last failure, on either
  // side (a wall clock stepped far back must not hold the circuit open; see UpdateState in
  // circuit_breaker.cc).
  bool RejectsNow() const noexcept {
    const std::int64_t now = clock_.SystemNow().time_since_epoch().count();
    const std::int64_t until = reject_until_ns_.load(std::memory_order_relaxed);
    return now < until && now >= until - 2 * options_.reset_timeout.count();
  }
  Result<Permit> SlowAcquire();
  void RecordSuccess(const Permit& permit);
  void Record(const Permit& permit, const Error* error);
  Status ApplyOverride(CircuitOverride mode);
  void Publish(const BreakerRecord& record);
  void Emit(const Transitions& transitions);
  bool CountsAsFailure(const Error& error) const noexcept;

  const std::string service_;
  const CircuitBreakerOptions options_;
  StateStore& store_;
  Clock& clock_;
  ResilienceObserver* const observer_;
  ServiceCounters* const counters_;
  const bool shared_;
  const bool track_every_outcome_;  // failure-rate window: every success is recorded in the store
  const bool times_calls_;          // slow-call detection: permits carry their start time
  const bool
      plain_successes_;  // neither of the above: a success with no failures pending changes nothing

  // Published view of the record for the lock-free paths (private stores only).
  std::atomic<std::uint8_t> fast_state_{kFastSlow};
  std::atomic<std::int64_t> reject_until_ns_{
      0};                                    // OPEN: system time (ns since epoch) of the next probe
  std::atomic<bool> has_failures_{false};    // a success would have something to reset
  std::atomic<std::uint8_t> last_state_{0};  // CircuitState, for state()

  std::mutex publish_mu_;  // orders Publish() calls; never held across store I/O or user code
  std::uint64_t published_version_ = 0;
};

// The seed's name for the class.
using CircuitBreakerStrategy = CircuitBreaker;

}  // namespace ohfp::resilience
