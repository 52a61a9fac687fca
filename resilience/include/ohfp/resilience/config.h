// ohfp/resilience/config.h
//
// The configuration model of the seed's "resilience" JSON object, as flat structs with the seed's
// defaults:
//
//   circuit_breaker  enabled, default_failure_threshold, default_reset_timeout,
//                    default_half_open_timeout,
//                    services.{name}.{failure_threshold, reset_timeout, half_open_timeout}
//   retry            enabled, default_max_attempts, default_base_delay, default_max_delay,
//                    default_exponential_base, default_jitter,
//                    operations.{name}.{max_attempts, base_delay, max_delay, exponential_base,
//                                       jitter}
//   timeout          default_timeout, operations.{name}: seconds
//   error_handling   log_retries, log_circuit_breaker_state_changes, alert_on_circuit_breaker_open,
//                    max_consecutive_failures_before_alert
//
//   rate_limiter     (extension) enabled, scope, adaptive, scale, buckets.{name}.{capacity,
//                    refill_rate}, operations.{name}.{buckets, resource_buckets}
//
// plus the extension keys documented in docs/configuration.md. Reading JSON is not this library's
// job (it has no JSON dependency): the plugin's config reader fills these structs and reports type
// errors and unknown keys; Validate() reports out-of-range values. Both name the JSON path of every
// problem.
//
// PolicyFor() resolves everything one operation needs, applying per-service and per-operation
// overrides over the defaults, exactly as the seed's ResilientAWSProvider wires its breakers, retry
// strategy and timeout manager. ServiceFor() says which service an operation belongs to when its
// caller does not: the library knows no service names; the table comes from the caller (the
// plugin fills in AWS's).
//
// Thread-safety: value types.
//
// Example:
//   ResilienceConfig config;                                  // the seed's defaults
//   config.circuit_breaker.services["aws_ec2"].failure_threshold = 3;
//   for (const ConfigProblem& p : Validate(config))
//     std::cerr << p.path << ": " << p.message << "\n";
//   OperationPolicy p = config.PolicyFor("ec2_run_instances", "aws_ec2");
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/resilience/backoff.h"
#include "ohfp/resilience/circuit_breaker.h"
#include "ohfp/resilience/rate_limiter.h"
#include "ohfp/resilience/retry.h"
#include "ohfp/resilience/retry_quota.h"

namespace ohfp::resilience {

// Per-service circuit breaker settings; unset fields fall back to the circuit_breaker defaults.
struct CircuitBreakerOverrides {
  std::optional<int> failure_threshold{};
  std::optional<Duration> reset_timeout{};
  std::optional<Duration> half_open_timeout{};
  std::optional<int> half_open_max_probes{};
  std::optional<int> failure_rate_threshold{};
  std::optional<int> sliding_window_size{};
  std::optional<int> minimum_calls{};
  std::optional<Duration> slow_call_duration{};
  std::optional<FailurePolicy> failure_policy{};
  std::optional<bool> count_throttling{};
};

struct CircuitBreakerConfig {
  bool enabled = true;
  CircuitBreakerOptions defaults;  // default_failure_threshold 5, default_reset_timeout 60, ...
  std::map<std::string, CircuitBreakerOverrides, std::less<>> services{};
  // Whether a throttled attempt counts as a breaker failure. Unset: it does unless the rate
  // limiter is enabled (then a throttle is a request to slow down, handled by the limiter and the
  // retries, not a failure of the service). The seed counts every error.
  std::optional<bool> default_count_throttling{};

  CircuitBreakerOptions ForService(std::string_view service) const;
  bool CountsThrottling(std::string_view service, bool limiter_enabled) const;
};

// Per-operation retry settings; unset fields fall back to the retry defaults.
struct RetryOverrides {
  std::optional<int> max_attempts{};
  std::optional<Duration> base_delay{};
  std::optional<Duration> max_delay{};
  std::optional<double> exponential_base{};
  std::optional<JitterMode> jitter{};
};

struct RetryConfig {
  bool enabled = true;
  int default_max_attempts = 3;
  BackoffOptions default_backoff;  // 1 s, 60 s, 2.0, seed jitter
  std::map<std::string, RetryOverrides, std::less<>> operations{};
  // Extensions.
  bool retry_on_circuit_open =
      false;  // wait for an open circuit to half-open instead of failing at once
  bool retry_capacity_errors = false;  // also retry kCapacity (InsufficientInstanceCapacity, ...)
  RetryQuotaOptions quota;             // per-service retry budget; off by default

  RetryOptions ForOperation(std::string_view operation) const;
};

struct TimeoutConfig {
  Duration default_timeout = std::chrono::seconds(30);
  std::map<std::string, Duration, std::less<>> operations{};
  // Extensions: a per-attempt limit inside the operation's deadline (0 = none: an attempt may use
  // all time left).
  Duration default_attempt_timeout = Duration::zero();
  std::map<std::string, Duration, std::less<>> attempt_operations{};

  Duration ForOperation(std::string_view operation) const;
  Duration AttemptTimeoutFor(std::string_view operation) const;
};

struct ErrorHandlingConfig {
  bool log_retries = true;
  bool log_circuit_breaker_state_changes = true;
  bool alert_on_circuit_breaker_open = true;
  int max_consecutive_failures_before_alert = 10;  // 0: never
};

// Everything one operation needs, resolved from the configuration.
struct OperationPolicy {
  std::string operation{};
  std::string service{};
  RetryOptions retry;  // max_attempts is 1 when retry.enabled is false
  bool retry_on_circuit_open = false;
  RetryQuotaOptions quota;
  Duration timeout{};
  Duration attempt_timeout{};  // zero: none
  bool breaker_enabled = true;
  CircuitBreakerOptions breaker;
  bool count_throttling = true;  // a throttled attempt counts as a breaker failure
};

struct ResilienceConfig {
  CircuitBreakerConfig circuit_breaker;
  RetryConfig retry;
  TimeoutConfig timeout;
  ErrorHandlingConfig error_handling;
  RateLimiterConfig rate_limiter;  // off by default
  // Which service an operation belongs to when its caller does not say: exact operation names,
  // or prefixes ending in '*' ("ec2_*"). Exact names win, then the longest prefix. Empty in the
  // library: operations nobody maps belong to "default".
  std::map<std::string, std::string, std::less<>> operation_services{};

  OperationPolicy PolicyFor(std::string_view operation, std::string_view service) const;
  std::optional<std::string_view> ServiceFor(std::string_view operation) const;
};

struct ConfigProblem {
  std::string path{};     // "resilience.retry.operations.ec2_run_instances.max_attempts"
  std::string message{};  // "must be between 1 and 100, got 0"

  friend bool operator==(const ConfigProblem&, const ConfigProblem&) = default;
};

// Every out-of-range value, with its JSON path under `root`. Empty when the configuration is valid.
std::vector<ConfigProblem> Validate(const ResilienceConfig& config,
                                    std::string_view root = "resilience");

}  // namespace ohfp::resilience
