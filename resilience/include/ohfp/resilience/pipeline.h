// ohfp/resilience/pipeline.h
//
// ResiliencePipeline: timeout( retry( circuit_breaker( rate_limiter( operation ) ) ) ) per
// operation name, built from a ResilienceConfig, as the seed's ResilientAWSProvider composes it
// (the rate limiter is ohfp's extension, off unless configured):
//
//  - timeout: the operation's timeout is one deadline spanning every attempt and wait. Each
//    attempt gets min(attempt timeout, time left) as its own deadline (AttemptContext::deadline),
//    for its I/O to enforce.
//  - retry: the operation's RetryOptions with the AWS retryable kinds (plus kCapacity when
//    configured); the optional per-service RetryQuota; a wait whose end would reach the deadline
//    is not started: the call ends at once with kTimeout ("the deadline passes during the wait").
//  - circuit breaker: the service's breaker sees every attempt. A rejection ends the call with
//    kCircuitOpen (the seed does not retry CircuitBreakerOpenError) unless retry_on_circuit_open
//    is set; then the call waits for the circuit to half-open (plus jittered backoff) within its
//    deadline, without spending attempts. A throttled attempt counts as a breaker failure unless
//    count_throttling says otherwise (by default it does not when the rate limiter is enabled).
//  - rate limiter (rate_limiter.h): before each attempt the operation's buckets are asked for
//    tokens; the call waits for them (a wait step) within its deadline. A wait that would not end
//    before the deadline is not started: the call ends at once with kThrottled, code
//    "ClientRateLimitExceeded" (not retried: a retry would wait for the same tokens; not a breaker
//    failure: nothing was sent). A throttled attempt lowers the buckets' rates.
//  - fallback: ExecuteWithFallback() answers from a fallback while the circuit is open.
//  - monitoring: counters in the ResilienceMonitor; events to the ResilienceObserver; alerts per
//    error_handling.
//
// The pipeline is the only retrier in the system: the HTTP layer below makes exactly one attempt
// per call.
//
// PipelineCall is one call as a state machine: it decides (attempt, wait, done) and the caller
// acts. Execute() drives it synchronously with the Clock; the simulator drives the same machine on
// virtual time.
//
// Thread-safety: ResiliencePipeline is safe from any thread. A PipelineCall belongs to one thread.
//
// Example:
//   ResiliencePipeline pipeline(config, {.clock = clock, .random = rng, .store = store,
//                                        .observer = &log});
//   const Operation& run = pipeline.operation("ec2_run_instances", "aws_ec2");
//   Result<Reservation> r = pipeline.Execute(run, [&](const AttemptContext& ctx) {
//     return ec2.RunInstances(request, ctx.deadline);   // same ClientToken on every attempt
//   });
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "ohfp/resilience/circuit_breaker.h"
#include "ohfp/resilience/circuit_breaker_registry.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/config.h"
#include "ohfp/resilience/deadline.h"
#include "ohfp/resilience/monitor.h"
#include "ohfp/resilience/observer.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/rate_limiter.h"
#include "ohfp/resilience/result.h"
#include "ohfp/resilience/retry_quota.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::resilience {

// What an attempt is told.
struct AttemptContext {
  std::uint64_t call_id;
  std::string_view operation{};
  int attempt;  // 1-based
  Deadline
      deadline;  // this attempt's deadline: min(now + attempt timeout, the operation's deadline)
  std::stop_token stop;
};

struct PipelineDependencies {
  Clock& clock;
  RandomSource& random;
  StateStore& store;
  ResilienceObserver* observer = nullptr;  // optional
  ResilienceMonitor* monitor = nullptr;    // optional; the pipeline owns one when null
};

class ResiliencePipeline;

// One operation, resolved once: its policy, breaker, quota and counters.
class Operation {
 public:
  const OperationPolicy& policy() const noexcept { return policy_; }
  const std::string& name() const noexcept { return policy_.operation; }
  const std::string& service() const noexcept { return policy_.service; }
  CircuitBreaker* breaker() const noexcept { return breaker_; }
  // The rate-limiter buckets the operation spends from (empty: not limited).
  const RateLimiter::Plan& limits() const noexcept { return limits_; }

 private:
  friend class ResiliencePipeline;
  friend class PipelineCall;
  Operation(OperationPolicy policy, CircuitBreaker* breaker, RetryQuota* quota,
            RateLimiter::Plan limits, OperationCounters& counters,
            ServiceCounters& service_counters)
      : policy_(std::move(policy)),
        breaker_(breaker),
        quota_(quota),
        limits_(std::move(limits)),
        counters_(counters),
        service_counters_(service_counters) {}

  OperationPolicy policy_;
  CircuitBreaker* breaker_;  // null when circuit breakers are disabled
  RetryQuota* quota_;        // null when the quota is disabled
  RateLimiter::Plan limits_;
  OperationCounters& counters_;
  ServiceCounters& service_counters_;
};

class PipelineCall {
 public:
  enum class StepKind : std::uint8_t { kAttempt, kWait, kDone };
  struct Step {
    StepKind kind;
    int attempt = 0;                           // kAttempt: 1-based attempt number
    Deadline deadline = Deadline::Infinite();  // kAttempt: the attempt's deadline
    Duration wait{};                           // kWait: how long to wait before WaitFinished()
  };

  // `resources`: what the call spends from each of the operation's resource buckets.
  PipelineCall(ResiliencePipeline& pipeline, const Operation& operation, std::uint64_t call_id,
               std::uint32_t resources = 1) noexcept;

  Step Start();
  Step AttemptSucceeded();
  Step AttemptFailed(const Error& error);
  Step WaitFinished();
  // The caller stopped the call (its stop token); ends it with kCancelled.
  Step Cancel();

  bool done() const noexcept { return done_; }
  bool succeeded() const noexcept { return done_ && !error_.has_value(); }
  const Error& error() const noexcept { return *error_; }
  int attempts() const noexcept { return attempts_; }
  std::uint64_t id() const noexcept { return id_; }
  Deadline deadline() const noexcept { return deadline_; }
  const Operation& operation() const noexcept { return operation_; }

 private:
  Step BeginAttempt(MonoTime now);
  Step SendAttempt(MonoTime now);
  Step WaitForTokens();
  Step FailRateLimited(MonoTime now);
  void ReleasePermit();
  Step ScheduleRetry(MonoTime now, const Error& cause);
  Step WaitForCircuit(MonoTime now, const Error& rejection);
  Step Fail(MonoTime now, Error error);
  Step EndByDeadline(MonoTime now, const Error& cause);
  void ReportAttempt(MonoTime now, const Error* error);

  ResiliencePipeline& pipeline_;
  const Operation& operation_;
  const std::uint64_t id_;
  const std::uint32_t resources_;
  MonoTime started_{};
  MonoTime attempt_started_{};
  Deadline deadline_ = Deadline::Infinite();
  CircuitBreaker::Permit permit_;
  bool permit_held_ = false;  // permit_ is out and no outcome was reported yet
  RateLimiter::Grant grant_;  // the tokens of the current attempt
  bool token_wait_ = false;   // the current wait is for tokens (then the attempt is sent)
  int attempts_ = 0;          // attempts sent
  int retries_ = 0;           // retries scheduled
  int rejections_ = 0;        // breaker rejections waited out
  int quota_cost_ = 0;        // cost of the last retry
  Duration previous_delay_{};
  std::optional<Error> last_error_{};  // the error that led to the current wait
  std::optional<Error> error_{};       // the error that ended the call
  bool done_ = false;
};

class ResiliencePipeline {
 public:
  ResiliencePipeline(ResilienceConfig config, PipelineDependencies dependencies);
  ResiliencePipeline(const ResiliencePipeline&) = delete;
  ResiliencePipeline& operator=(const ResiliencePipeline&) = delete;

  // The operation `name` of `service`, resolved on first use and cached; the reference stays valid.
  // An empty `service` means config().ServiceFor(name), or "default" for names it does not map. An
  // operation belongs to one service: later calls with another service get the operation as first
  // resolved.
  const Operation& operation(std::string_view name, std::string_view service = {});

  // What a call spends from its operation's resource buckets (e.g. RunInstances: its instance
  // count); request buckets always cost one token per attempt.
  struct Resources {
    std::uint32_t count = 1;
  };

  // Runs `f` through timeout(retry(circuit_breaker(rate_limiter(f)))). `f` takes (const
  // AttemptContext&), (Deadline), (std::stop_token) or (), and returns Result<T>. Returns the first
  // success, or the error that ended the call (the last attempt's, kCircuitOpen, kTimeout,
  // kCancelled, or kThrottled "ClientRateLimitExceeded").
  template <class F>
  auto Execute(const Operation& op, F&& f, std::stop_token stop = {}) {
    return Run(op, 1, f, std::move(stop));
  }
  template <class F>
  auto Execute(const Operation& op, Resources resources, F&& f, std::stop_token stop = {}) {
    return Run(op, resources.count, f, std::move(stop));
  }

  template <class F>
  auto Execute(std::string_view operation_name, F&& f, std::stop_token stop = {}) {
    return Execute(operation(operation_name), std::forward<F>(f), std::move(stop));
  }

  // Execute(), and when the call ends on an open circuit, the result of fallback(error) instead.
  template <class F, class Fallback>
  auto ExecuteWithFallback(const Operation& op, F&& f, Fallback&& fallback,
                           std::stop_token stop = {}) {
    auto result = Execute(op, std::forward<F>(f), std::move(stop));
    if (!result.ok() && result.error().kind() == ErrorKind::kCircuitOpen)
      return decltype(result)(fallback(result.error()));
    return result;
  }

  const ResilienceConfig& config() const noexcept { return config_; }
  CircuitBreakerRegistry& breakers() noexcept { return registry_; }
  ResilienceMonitor& monitor() noexcept { return *monitor_; }
  Clock& clock() const noexcept { return clock_; }
  RandomSource& random() const noexcept { return random_; }
  ResilienceObserver* observer() const noexcept { return observer_; }
  // Null when the rate limiter is disabled.
  RateLimiter* limiter() noexcept { return limiter_.get(); }

 private:
  friend class PipelineCall;

  template <class F>
  auto Run(const Operation& op, std::uint32_t resources, F& f, std::stop_token stop) {
    using R = InvokeResult<F>;
    static_assert(kIsResult<R>, "ResiliencePipeline::Execute needs a callable returning Result<T>");
    PipelineCall call(*this, op, NextCallId(), resources);
    PipelineCall::Step step = call.Start();
    for (;;) {
      switch (step.kind) {
        case PipelineCall::StepKind::kAttempt: {
          if (stop.stop_requested()) {
            step = call.Cancel();
            break;
          }
          R result =
              Invoke(f, AttemptContext{call.id(), op.name(), step.attempt, step.deadline, stop});
          if (result.ok()) {
            call.AttemptSucceeded();
            return result;
          }
          step = call.AttemptFailed(result.error());
          break;
        }
        case PipelineCall::StepKind::kWait:
          step = clock_.SleepFor(step.wait, stop) ? call.WaitFinished() : call.Cancel();
          break;
        case PipelineCall::StepKind::kDone:
          return R(call.error());
      }
    }
  }

  // Forwards breaker events to the observer and raises the circuit-open alert.
  class BreakerEvents final : public ResilienceObserver {
   public:
    BreakerEvents(ResilienceObserver* inner, bool alert_on_open)
        : inner_(inner), alert_on_open_(alert_on_open) {}
    void OnCircuitStateChange(const CircuitStateChange& e) override;
    void OnCircuitFailure(const CircuitFailureEvent& e) override;
    void OnStoreError(std::string_view service, const Error& error) override;

   private:
    ResilienceObserver* inner_;
    bool alert_on_open_;
  };

  template <class F>
  static auto Invoke(F& f, const AttemptContext& context) {
    if constexpr (std::is_invocable_v<F&, const AttemptContext&>) {
      return std::invoke(f, context);
    } else if constexpr (std::is_invocable_v<F&, Deadline>) {
      return std::invoke(f, context.deadline);
    } else if constexpr (std::is_invocable_v<F&, std::stop_token>) {
      return std::invoke(f, context.stop);
    } else {
      return std::invoke(f);
    }
  }

  template <class F>
  using InvokeResult = decltype(Invoke(std::declval<F&>(), std::declval<const AttemptContext&>()));

  std::uint64_t NextCallId() noexcept {
    // Ids matter only to observers; without one, skip the shared counter.
    return observer_ == nullptr ? 0 : next_call_id_.fetch_add(1, std::memory_order_relaxed);
  }
  RetryQuota* QuotaFor(const OperationPolicy& policy);

  ResilienceConfig config_;
  Clock& clock_;
  RandomSource& random_;
  StateStore& store_;
  ResilienceObserver* observer_;
  std::unique_ptr<ResilienceMonitor> owned_monitor_;
  ResilienceMonitor* monitor_;
  BreakerEvents breaker_events_;
  CircuitBreakerRegistry registry_;
  std::unique_ptr<RateLimiter> limiter_;
  std::atomic<std::uint64_t> next_call_id_{1};

  std::mutex mu_;  // guards the two maps below (creation only; entries are immutable once made)
  std::map<std::string, std::unique_ptr<Operation>, std::less<>> operations_{};
  std::map<std::string, std::unique_ptr<RetryQuota>, std::less<>> quotas_{};
};

}  // namespace ohfp::resilience
