#include "ohfp/resilience/pipeline.h"

#include "ohfp/resilience/backoff.h"
#include "ohfp/resilience/timeout.h"

namespace ohfp::resilience {
namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}  // namespace

// ---- PipelineCall ----

PipelineCall::PipelineCall(ResiliencePipeline& pipeline, const Operation& operation,
                           std::uint64_t call_id, std::uint32_t resources, Deadline limit) noexcept
    : pipeline_(pipeline),
      operation_(operation),
      id_(call_id),
      resources_(resources),
      limit_(limit) {}

PipelineCall::Step PipelineCall::Start() {
  const MonoTime now = pipeline_.clock_.Now();
  started_ = now;
  deadline_ = Deadline::After(now, operation_.policy_.timeout).Min(limit_);
  if (LimitBinds() && limit_.Expired(now)) {
    return EndByDeadline(now, Error(ErrorKind::kTimeout, "DeadlineExceeded", "no time was left"));
  }
  return BeginAttempt(now);
}

PipelineCall::Step PipelineCall::BeginAttempt(MonoTime now) {
  if (CircuitBreaker* breaker = operation_.breaker_) {
    Result<CircuitBreaker::Permit> permit = breaker->TryAcquire();
    if (!permit.ok()) {
      operation_.service_counters_.rejections.fetch_add(1, kRelaxed);
      if (ResilienceObserver* o = pipeline_.observer_)
        o->OnRejected({id_, operation_.name(), operation_.service()});
      return WaitForCircuit(now, permit.error());
    }
    permit_ = *permit;
    permit_held_ = true;
  }
  if (!operation_.limits_.empty()) {
    grant_ = pipeline_.limiter_->Acquire(operation_.limits_, resources_, deadline_.Remaining(now));
    if (!grant_.granted) return FailRateLimited(now);
    if (grant_.wait > Duration::zero()) return WaitForTokens();
  }
  return SendAttempt(now);
}

PipelineCall::Step PipelineCall::WaitForTokens() {
  token_wait_ = true;
  if (ResilienceObserver* o = pipeline_.observer_) {
    o->OnRateLimitWait({id_, operation_.name(), operation_.service(), attempts_ + 1,
                        operation_.limits_.bucket(grant_.bucket), grant_.wait});
  }
  return Step{StepKind::kWait, 0, Deadline::Infinite(), grant_.wait};
}

PipelineCall::Step PipelineCall::SendAttempt(MonoTime now) {
  ++attempts_;
  attempt_started_ = now;
  Deadline attempt_deadline = deadline_;
  if (operation_.policy_.attempt_timeout > Duration::zero()) {
    attempt_deadline = deadline_.Min(Deadline::After(now, operation_.policy_.attempt_timeout));
  }
  return Step{StepKind::kAttempt, attempts_, attempt_deadline, {}};
}

PipelineCall::Step PipelineCall::AttemptSucceeded() {
  ResilienceObserver* const observer = pipeline_.observer_;
  const MonoTime now = observer != nullptr ? pipeline_.clock_.Now() : MonoTime{};
  if (observer != nullptr) ReportAttempt(now, nullptr);
  if (CircuitBreaker* breaker = operation_.breaker_) breaker->OnSuccess(permit_);
  permit_held_ = false;
  if (!operation_.limits_.empty()) pipeline_.limiter_->OnSuccess(operation_.limits_, grant_);
  if (RetryQuota* quota = operation_.quota_) quota->Release(quota_cost_);
  OperationCounters& counters = operation_.counters_;
  counters.successful_operations.fetch_add(1, kRelaxed);
  if (retries_ > 0) counters.retry_successes.fetch_add(1, kRelaxed);
  if (counters.consecutive_failures.load(kRelaxed) != 0)
    counters.consecutive_failures.store(0, kRelaxed);
  done_ = true;
  if (observer != nullptr) {
    observer->OnResult(
        {id_, operation_.name(), operation_.service(), nullptr, attempts_, now - started_});
  }
  return Step{StepKind::kDone};
}

PipelineCall::Step PipelineCall::AttemptFailed(const Error& error) {
  const MonoTime now = pipeline_.clock_.Now();
  operation_.counters_.failed_attempts.fetch_add(1, kRelaxed);
  if (pipeline_.observer_ != nullptr) ReportAttempt(now, &error);
  const bool throttled = error.kind() == ErrorKind::kThrottled;
  if (throttled) {
    operation_.counters_.throttled_attempts.fetch_add(1, kRelaxed);
    if (!operation_.limits_.empty()) pipeline_.limiter_->OnThrottled(operation_.limits_, grant_);
  }
  // An attempt cut short by the caller's limit, not by the operation's own timeouts, says nothing
  // about the service.
  const bool cut_by_limit =
      error.kind() == ErrorKind::kTimeout && LimitBinds() && limit_.Expired(now);
  if (CircuitBreaker* breaker = operation_.breaker_) {
    if ((throttled && !operation_.policy_.count_throttling) || cut_by_limit) {
      breaker->Release(permit_);  // a request to slow down, not a failure of the service
    } else {
      breaker->OnFailure(permit_, error);
    }
  }
  permit_held_ = false;
  if (error.kind() == ErrorKind::kCancelled) return Fail(now, error);
  if (deadline_.Expired(now)) return EndByDeadline(now, error);
  return ScheduleRetry(now, error);
}

PipelineCall::Step PipelineCall::ScheduleRetry(MonoTime now, const Error& cause) {
  const RetryOptions& retry = operation_.policy_.retry;
  if (!retry.retryable.contains(cause.kind()) || attempts_ >= retry.max_attempts)
    return Fail(now, cause);
  Duration delay = ComputeBackoff(retry.backoff, retries_, previous_delay_, pipeline_.random_);
  if (auto hint = cause.retry_after(); hint && *hint > delay) delay = *hint;
  // A wait that would reach the deadline cannot be followed by an attempt: end now rather than
  // sleep for nothing.
  if (delay >= deadline_.Remaining(now)) return EndByDeadline(now, cause);
  if (RetryQuota* quota = operation_.quota_) {
    std::optional<int> cost = quota->TryAcquire(cause.kind());
    if (!cost) return Fail(now, cause);
    quota_cost_ = *cost;
  }
  previous_delay_ = delay;
  ++retries_;
  last_error_ = cause;
  operation_.counters_.retry_attempts.fetch_add(1, kRelaxed);
  if (ResilienceObserver* o = pipeline_.observer_) {
    o->OnRetry({id_, operation_.name(), operation_.service(), attempts_, delay, cause});
  }
  return Step{StepKind::kWait, 0, Deadline::Infinite(), delay};
}

PipelineCall::Step PipelineCall::WaitForCircuit(MonoTime now, const Error& rejection) {
  if (!operation_.policy_.retry_on_circuit_open) return Fail(now, rejection);
  const Duration until_half_open = operation_.breaker_->TimeUntilHalfOpen();
  if (until_half_open == Duration::max())
    return Fail(now, rejection);  // forced open: waiting cannot help
  // Spread the waiters so they do not all arrive the moment the circuit half-opens.
  const Duration spread = ComputeBackoff(operation_.policy_.retry.backoff, rejections_,
                                         previous_delay_, pipeline_.random_);
  const Duration wait = until_half_open + spread;
  if (wait >= deadline_.Remaining(now)) return Fail(now, rejection);
  ++rejections_;
  previous_delay_ = spread;
  last_error_ = rejection;
  if (ResilienceObserver* o = pipeline_.observer_) {
    o->OnRetry({id_, operation_.name(), operation_.service(), attempts_, wait, rejection});
  }
  return Step{StepKind::kWait, 0, Deadline::Infinite(), wait};
}

PipelineCall::Step PipelineCall::WaitFinished() {
  const MonoTime now = pipeline_.clock_.Now();
  if (token_wait_) {
    // The tokens are ours: send, unless the deadline passed during the wait after all, or the
    // rate was lowered meanwhile (then wait for a place at the new rate).
    token_wait_ = false;
    if (deadline_.Expired(now)) {
      ReleasePermit();
      return EndByDeadline(now, last_error_ ? *last_error_ : Error(ErrorKind::kTimeout));
    }
    grant_ = pipeline_.limiter_->Recheck(operation_.limits_, grant_, resources_,
                                         deadline_.Remaining(now));
    if (!grant_.granted) return FailRateLimited(now);
    if (grant_.wait > Duration::zero()) return WaitForTokens();
    if (CircuitBreaker* breaker = operation_.breaker_) breaker->Restart(permit_);
    return SendAttempt(now);
  }
  if (deadline_.Expired(now))
    return EndByDeadline(now, last_error_ ? *last_error_ : Error(ErrorKind::kTimeout));
  return BeginAttempt(now);
}

PipelineCall::Step PipelineCall::Cancel() {
  token_wait_ = false;
  ReleasePermit();  // admitted but never sent
  return Fail(pipeline_.clock_.Now(),
              Error(ErrorKind::kCancelled, "cancelled", "the caller stopped the call"));
}

void PipelineCall::ReleasePermit() {
  if (!permit_held_) return;
  permit_held_ = false;
  if (CircuitBreaker* breaker = operation_.breaker_) breaker->Release(permit_);
}

PipelineCall::Step PipelineCall::FailRateLimited(MonoTime now) {
  ReleasePermit();  // nothing was sent
  operation_.counters_.rate_limited_calls.fetch_add(1, kRelaxed);
  const RateLimiter::Plan& plan = operation_.limits_;
  std::string message = "the rate limiter cannot send " + operation_.name() +
                        " before its deadline: bucket " + plan.key(grant_.bucket) +
                        " has no token for " + FormatSeconds(grant_.wait) + " s, " +
                        FormatSeconds(deadline_.Remaining(now)) + " s are left";
  if (last_error_) message += " (after " + std::string(last_error_->code()) + ")";
  return Fail(now, Error(ErrorKind::kThrottled, "ClientRateLimitExceeded", std::move(message)));
}

bool PipelineCall::LimitBinds() const noexcept {
  return limit_ != Deadline::Infinite() && deadline_ == limit_;
}

PipelineCall::Step PipelineCall::EndByDeadline(MonoTime now, const Error& cause) {
  if (LimitBinds()) {
    // The caller's deadline, not the operation's timeout: the call is given up, not timed out
    // (neutral to the breaker, like a cancellation).
    return Fail(now, Error(ErrorKind::kCancelled, "DeadlineExceeded",
                           "the caller's deadline passed before " + operation_.name() +
                               " could finish; last error: " + cause.ToString()));
  }
  operation_.counters_.timeout_errors.fetch_add(1, kRelaxed);
  if (ResilienceObserver* o = pipeline_.observer_) {
    o->OnTimeout(
        {id_, operation_.name(), operation_.service(), operation_.policy_.timeout, attempts_});
  }
  return Fail(now, OperationTimeoutError(operation_.name(), operation_.policy_.timeout, &cause));
}

PipelineCall::Step PipelineCall::Fail(MonoTime now, Error error) {
  done_ = true;
  OperationCounters& counters = operation_.counters_;
  counters.failed_operations.fetch_add(1, kRelaxed);
  if (error.kind() == ErrorKind::kCircuitOpen) counters.rejected_calls.fetch_add(1, kRelaxed);
  const std::uint32_t streak = counters.consecutive_failures.fetch_add(1, kRelaxed) + 1;
  error_ = std::move(error);
  if (ResilienceObserver* o = pipeline_.observer_) {
    const int every = pipeline_.config_.error_handling.max_consecutive_failures_before_alert;
    if (every > 0 && streak % static_cast<std::uint32_t>(every) == 0) {
      o->OnAlert({AlertEvent::Kind::kConsecutiveFailures, operation_.service(), operation_.name(),
                  streak});
    }
    o->OnResult(
        {id_, operation_.name(), operation_.service(), &*error_, attempts_, now - started_});
  }
  return Step{StepKind::kDone};
}

void PipelineCall::ReportAttempt(MonoTime now, const Error* error) {
  pipeline_.observer_->OnAttempt(
      {id_, operation_.name(), operation_.service(), attempts_, attempt_started_, now, error});
}

// ---- ResiliencePipeline ----

void ResiliencePipeline::BreakerEvents::OnCircuitStateChange(const CircuitStateChange& e) {
  if (inner_ == nullptr) return;
  inner_->OnCircuitStateChange(e);
  if (alert_on_open_ && e.to == CircuitState::kOpen) {
    inner_->OnAlert({AlertEvent::Kind::kCircuitOpen, e.service, {}, e.failure_count});
  }
}

void ResiliencePipeline::BreakerEvents::OnCircuitFailure(const CircuitFailureEvent& e) {
  if (inner_ != nullptr) inner_->OnCircuitFailure(e);
}

void ResiliencePipeline::BreakerEvents::OnStoreError(std::string_view service, const Error& error) {
  if (inner_ != nullptr) inner_->OnStoreError(service, error);
}

ResiliencePipeline::ResiliencePipeline(ResilienceConfig config, PipelineDependencies dependencies)
    : config_(std::move(config)),
      clock_(dependencies.clock),
      random_(dependencies.random),
      store_(dependencies.store),
      observer_(dependencies.observer),
      owned_monitor_(dependencies.monitor == nullptr ? std::make_unique<ResilienceMonitor>()
                                                     : nullptr),
      monitor_(dependencies.monitor != nullptr ? dependencies.monitor : owned_monitor_.get()),
      breaker_events_(observer_, config_.error_handling.alert_on_circuit_breaker_open),
      registry_(store_, clock_, &breaker_events_, monitor_),
      limiter_(config_.rate_limiter.enabled
                   ? std::make_unique<RateLimiter>(config_.rate_limiter, store_, clock_, observer_,
                                                   monitor_)
                   : nullptr) {}

const Operation& ResiliencePipeline::operation(std::string_view name, std::string_view service) {
  std::lock_guard lock(mu_);
  if (auto it = operations_.find(name); it != operations_.end()) return *it->second;
  const std::string svc(service.empty() ? config_.ServiceFor(name).value_or("default") : service);
  OperationPolicy policy = config_.PolicyFor(name, svc);
  CircuitBreaker* breaker = policy.breaker_enabled ? &registry_.Get(svc, policy.breaker) : nullptr;
  RetryQuota* quota = policy.quota.enabled ? QuotaFor(policy) : nullptr;
  RateLimiter::Plan limits = limiter_ ? limiter_->PlanFor(name) : RateLimiter::Plan{};
  OperationCounters& counters = monitor_->Operation(name, svc);
  ServiceCounters& service_counters = monitor_->Service(svc);
  std::unique_ptr<Operation> op(new Operation(std::move(policy), breaker, quota, std::move(limits),
                                              counters, service_counters));
  return *operations_.emplace(std::string(name), std::move(op)).first->second;
}

RetryQuota* ResiliencePipeline::QuotaFor(const OperationPolicy& policy) {
  auto it = quotas_.find(policy.service);
  if (it == quotas_.end()) {
    it = quotas_
             .emplace(policy.service,
                      std::make_unique<RetryQuota>(policy.service, policy.quota, store_, observer_))
             .first;
  }
  return it->second.get();
}

}  // namespace ohfp::resilience
