// ohfp/resilience/retry.h
//
// Retry with exponential backoff: the seed's ExponentialBackoffStrategy, its AWSRetryStrategy and
// its retry_with_backoff decorator.
//
//  - max_attempts is the total number of attempts (the seed's loop runs max_attempts times).
//  - Only errors whose kind is in `retryable` are retried; the default set is every kind, the
//    seed's "retry all exceptions if none specified". The AWS strategy retries
//    kAwsRetryableKinds.
//  - The delay before retry n is ComputeBackoff() (backoff.h). A server's retry-after hint on the
//    error raises the delay to at least the hint. The last attempt is never followed by a wait.
//  - Execute() takes a callable returning Result<T> (errors as values: the last error is
//    returned) or any other type (exceptions: a std::exception whose kind is retryable is retried
//    and the last one is rethrown). std::logic_error and std::bad_alloc are bugs or exhaustion,
//    never caught.
//  - The strategy decides; the Clock waits (interruptibly, through a std::stop_token), so tests
//    never sleep.
//
// Inside the plugin this class is not used directly: ResiliencePipeline is the one retrier, and
// uses the same backoff and decision code.
//
// Thread-safety: const methods and Execute() are safe from any thread if the Clock and RandomSource
// are.
//
// Example:
//   ExponentialBackoffStrategy retry({.max_attempts = 5, .backoff = {.base_delay = 2s}}, clock,
//                                    rng);
//   Result<int> r = retry.Execute([&] { return Fetch(); });
//   auto fetch =
//       RetryWithBackoff({.max_attempts = 3}, clock, rng)([&](int id) { return Fetch(id); });
//   Result<int> r2 = fetch(7);      // no heap allocation per call
#pragma once

#include <exception>
#include <functional>
#include <new>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <type_traits>
#include <utility>

#include "ohfp/resilience/backoff.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/error.h"
#include "ohfp/resilience/exceptions.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/result.h"

namespace ohfp::resilience {

struct RetryOptions {
  int max_attempts = 3;
  BackoffOptions backoff;
  KindSet retryable = KindSet::All();

  friend bool operator==(const RetryOptions&, const RetryOptions&) = default;
};

// The seed's AWSRetryStrategy retries its retryable codes (throttling, ServiceUnavailable,
// InternalError, RequestTimeout, PriorRequestNotComplete, RequestTimeTooSkewed, ...), connection
// errors and timeouts; as kinds:
inline constexpr KindSet kAwsRetryableKinds{ErrorKind::kThrottled, ErrorKind::kTransient,
                                            ErrorKind::kTimeout, ErrorKind::kClockSkew};

struct RetryDecision {
  bool retry = false;
  Duration delay{};
};

class ExponentialBackoffStrategy {
 public:
  ExponentialBackoffStrategy(RetryOptions options, Clock& clock, RandomSource& random) noexcept
      : options_(options), clock_(&clock), random_(&random) {}

  const RetryOptions& options() const noexcept { return options_; }

  // The seed's _is_retryable_exception, for an error value.
  bool IsRetryable(const Error& error) const noexcept {
    return options_.retryable.contains(error.kind());
  }
  // The seed's _calculate_delay: the wait after failed attempt `attempt` (0-based).
  Duration CalculateDelay(int attempt, Duration previous = Duration::zero()) const noexcept {
    return ComputeBackoff(options_.backoff, attempt, previous, *random_);
  }
  // What follows failed attempt `attempt` (0-based): no retry if the error is not retryable or it
  // was the last attempt; else a retry after CalculateDelay(), raised to the error's retry-after
  // hint.
  RetryDecision Decide(int attempt, const Error& error, Duration previous) const noexcept {
    if (!IsRetryable(error) || attempt + 1 >= options_.max_attempts) return {};
    Duration delay = CalculateDelay(attempt, previous);
    if (auto hint = error.retry_after(); hint && *hint > delay) delay = *hint;
    return {true, delay};
  }

  // Runs f(args...) with retries. See the file comment for the two calling conventions.
  template <class F, class... Args>
  auto Execute(F&& f, Args&&... args) {
    return ExecuteWithStop(std::stop_token{}, std::forward<F>(f), std::forward<Args>(args)...);
  }

  // As Execute(), and a stop request ends the wait between attempts with kCancelled (thrown as
  // ResilienceError in the exception convention).
  template <class F, class... Args>
  auto ExecuteWithStop(std::stop_token stop, F&& f, Args&&... args) {
    using R = std::invoke_result_t<F&, Args&...>;
    if constexpr (kIsResult<R>) {
      return RunValues<R>(stop, f, args...);
    } else {
      return RunExceptions<R>(stop, f, args...);
    }
  }

 private:
  template <class R, class F, class... Args>
  R RunValues(const std::stop_token& stop, F& f, Args&... args) {
    Duration previous = Duration::zero();
    for (int attempt = 0;; ++attempt) {
      R result = std::invoke(f, args...);
      if (result.ok()) return result;
      RetryDecision decision = Decide(attempt, result.error(), previous);
      if (!decision.retry) return result;
      previous = decision.delay;
      if (!clock_->SleepFor(decision.delay, stop)) return R(Error(ErrorKind::kCancelled));
    }
  }

  template <class R, class F, class... Args>
  R RunExceptions(const std::stop_token& stop, F& f, Args&... args) {
    Duration previous = Duration::zero();
    for (int attempt = 0;; ++attempt) {
      std::exception_ptr failure;
      std::optional<Error> error;
      try {
        return std::invoke(f, args...);
      } catch (const std::logic_error&) {
        throw;
      } catch (const std::bad_alloc&) {
        throw;
      } catch (const std::exception& e) {
        failure = std::current_exception();
        error.emplace(ErrorFromException(e));
      }
      RetryDecision decision = Decide(attempt, *error, previous);
      if (!decision.retry) std::rethrow_exception(failure);
      previous = decision.delay;
      if (!clock_->SleepFor(decision.delay, stop))
        throw ResilienceError(Error(ErrorKind::kCancelled));
    }
  }

  RetryOptions options_;
  Clock* clock_;
  RandomSource* random_;
};

// The seed's AWSRetryStrategy: `options` with `retryable` set to kAwsRetryableKinds.
inline ExponentialBackoffStrategy MakeAwsRetryStrategy(RetryOptions options, Clock& clock,
                                                       RandomSource& random) {
  options.retryable = kAwsRetryableKinds;
  return ExponentialBackoffStrategy(options, clock, random);
}

// A callable wrapped with retries (what RetryWithBackoff returns). Copyable if F is.
template <class F>
class Retrying {
 public:
  Retrying(F f, ExponentialBackoffStrategy strategy) : f_(std::move(f)), strategy_(strategy) {}

  template <class... Args>
  auto operator()(Args&&... args) {
    return strategy_.Execute(f_, std::forward<Args>(args)...);
  }

 private:
  F f_;
  ExponentialBackoffStrategy strategy_;
};

// The seed's @retry_with_backoff(...) decorator: RetryWithBackoff(options, clock, random)(f)
// returns f with retries.
inline auto RetryWithBackoff(RetryOptions options, Clock& clock, RandomSource& random) {
  return [options, &clock, &random]<class F>(F&& f) {
    return Retrying<std::decay_t<F>>(std::forward<F>(f),
                                     ExponentialBackoffStrategy(options, clock, random));
  };
}

}  // namespace ohfp::resilience
