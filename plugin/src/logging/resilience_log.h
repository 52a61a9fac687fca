// logging/resilience_log.h
//
// ResilienceLog: turns the resilience library's events into log lines that the seed's
// troubleshooting commands find in app.log:
//   grep "circuit.*failure"   circuit breaker aws_ec2 recorded failure 2/3 (RequestLimitExceeded)
//   grep "retry.*attempt"     retry attempt 2 of 5 for ec2_run_instances in 2.1 s after
//                             RequestLimitExceeded
//   grep "timeout"            timeout: ec2_run_instances gave up after 3 attempts (deadline 180 s)
//   warning                   Circuit breaker OPENED for service: aws_ec2
//   grep "rate limiter"       rate limiter: ec2_run_instances waits 2.5 s for bucket
//                             ec2:RunInstances (attempt 1)
//                             rate limiter: throttled on ec2:DescribeInstances, rate lowered from
//                             10 to 7 per second (123456789012/us-east-1/ec2:DescribeInstances)
// Each line also carries the event's fields ("event", "service", "operation", "attempt", ...). Put
// an ErrorHandlingFilter in front of it to apply the seed's log_retries /
// log_circuit_breaker_state_changes switches.
//
// Thread-safety: as AppLog: safe from any thread.
//
// Example:
//   ResilienceLog log_events(app_log);
//   ErrorHandlingFilter filtered(log_events, config.error_handling.log_retries,
//                                config.error_handling.log_circuit_breaker_state_changes);
//   ResiliencePipeline pipeline(config, {.clock = clock, .random = rng, .store = store,
//                                        .observer = &filtered});
#pragma once

#include "logging/app_log.h"
#include "ohfp/resilience/observer.h"

namespace ohfp::logging {

class ResilienceLog final : public resilience::ResilienceObserver {
 public:
  explicit ResilienceLog(AppLog& log) : log_(log) {}

  void OnAttempt(const resilience::AttemptEvent& e) override;
  void OnRetry(const resilience::RetryEvent& e) override;
  void OnCircuitStateChange(const resilience::CircuitStateChange& e) override;
  void OnCircuitFailure(const resilience::CircuitFailureEvent& e) override;
  void OnRejected(const resilience::RejectedEvent& e) override;
  void OnTimeout(const resilience::TimeoutEvent& e) override;
  void OnResult(const resilience::ResultEvent& e) override;
  void OnAlert(const resilience::AlertEvent& e) override;
  void OnRateLimitWait(const resilience::RateLimitWaitEvent& e) override;
  void OnRateChange(const resilience::RateChangeEvent& e) override;
  void OnStoreError(std::string_view service, const resilience::Error& error) override;

 private:
  AppLog& log_;
};

// An error's fields for a log line: code, kind, message, request id, HTTP status.
nlohmann::json ErrorFields(const resilience::Error& error);

}  // namespace ohfp::logging
