#include "logging/resilience_log.h"

#include <cstdio>

#include "ohfp/resilience/timeout.h"

namespace ohfp::logging {
namespace {

using resilience::CircuitState;
using resilience::FormatSeconds;
using spdlog::level::level_enum;

std::string S(std::string_view v) { return std::string(v); }

// A rate in tokens per second, as a person reads it: "10", "7", "0.35".
std::string Rate(double rate) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", rate);
  return buffer;
}

}  // namespace

nlohmann::json ErrorFields(const resilience::Error& error) {
  nlohmann::json j = {{"error_code", S(error.code())},
                      {"error_kind", S(resilience::ErrorKindName(error.kind()))}};
  if (!error.message().empty()) j["error_message"] = S(error.message());
  if (!error.request_id().empty()) j["aws_request_id"] = S(error.request_id());
  if (error.http_status() != 0) j["http_status"] = error.http_status();
  return j;
}

void ResilienceLog::OnAttempt(const resilience::AttemptEvent& e) {
  if (!log_.ShouldLog(level_enum::debug)) return;
  const std::string took = FormatSeconds(e.finished - e.started);
  nlohmann::json f = {{"event", "attempt"},      {"operation", S(e.operation)},
                      {"service", S(e.service)}, {"attempt", e.attempt},
                      {"call", e.call_id},       {"seconds", took}};
  if (e.error != nullptr) f.update(ErrorFields(*e.error));
  log_.Log(level_enum::debug,
           "attempt " + std::to_string(e.attempt) + " of " + S(e.operation) + ": " +
               (e.error == nullptr ? std::string("ok") : S(e.error->code())) + " in " + took + " s",
           f);
}

void ResilienceLog::OnRetry(const resilience::RetryEvent& e) {
  nlohmann::json f = {{"event", "retry"},        {"operation", S(e.operation)},
                      {"service", S(e.service)}, {"attempt", e.attempt + 1},
                      {"call", e.call_id},       {"delay_seconds", resilience::ToSeconds(e.delay)}};
  f.update(ErrorFields(e.cause));
  log_.Log(level_enum::info,
           "retry attempt " + std::to_string(e.attempt + 1) + " for " + S(e.operation) + " in " +
               FormatSeconds(e.delay) + " s after " + S(e.cause.code()),
           f);
}

void ResilienceLog::OnCircuitStateChange(const resilience::CircuitStateChange& e) {
  const nlohmann::json f = {{"event", "circuit"},
                            {"service", S(e.service)},
                            {"from", S(resilience::CircuitStateName(e.from))},
                            {"to", S(resilience::CircuitStateName(e.to))},
                            {"failure_count", e.failure_count}};
  switch (e.to) {
    case CircuitState::kOpen:
      log_.Log(level_enum::warn, "Circuit breaker OPENED for service: " + S(e.service), f);
      break;
    case CircuitState::kHalfOpen:
      log_.Log(level_enum::info, "Circuit breaker HALF_OPEN for service: " + S(e.service), f);
      break;
    case CircuitState::kClosed:
      log_.Log(level_enum::info, "Circuit breaker CLOSED for service: " + S(e.service), f);
      break;
  }
}

void ResilienceLog::OnCircuitFailure(const resilience::CircuitFailureEvent& e) {
  nlohmann::json f = {{"event", "circuit_failure"},
                      {"service", S(e.service)},
                      {"failure_count", e.failure_count},
                      {"failure_threshold", e.failure_threshold},
                      {"state", S(resilience::CircuitStateName(e.state))}};
  f.update(ErrorFields(e.error));
  log_.Log(level_enum::info,
           "circuit breaker " + S(e.service) + " recorded failure " +
               std::to_string(e.failure_count) + "/" + std::to_string(e.failure_threshold) + " (" +
               S(e.error.code()) + ")",
           f);
}

void ResilienceLog::OnRejected(const resilience::RejectedEvent& e) {
  log_.Log(level_enum::info,
           "Circuit breaker is OPEN for service: " + S(e.service) + " (" + S(e.operation) +
               " rejected without calling it)",
           {{"event", "rejected"},
            {"service", S(e.service)},
            {"operation", S(e.operation)},
            {"call", e.call_id}});
}

void ResilienceLog::OnTimeout(const resilience::TimeoutEvent& e) {
  log_.Log(level_enum::warn,
           "timeout: " + S(e.operation) + " gave up after " + std::to_string(e.attempts) +
               " attempts (deadline " + FormatSeconds(e.timeout) + " s)",
           {{"event", "timeout"},
            {"operation", S(e.operation)},
            {"service", S(e.service)},
            {"attempts", e.attempts},
            {"timeout_seconds", resilience::ToSeconds(e.timeout)},
            {"call", e.call_id}});
}

void ResilienceLog::OnResult(const resilience::ResultEvent& e) {
  nlohmann::json f = {{"event", "result"},       {"operation", S(e.operation)},
                      {"service", S(e.service)}, {"attempts", e.attempts},
                      {"call", e.call_id},       {"seconds", resilience::ToSeconds(e.elapsed)},
                      {"ok", e.error == nullptr}};
  if (e.error == nullptr) {
    log_.Log(level_enum::debug, "Operation " + S(e.operation) + " succeeded", f);
    return;
  }
  f.update(ErrorFields(*e.error));
  log_.Log(level_enum::err, "Operation " + S(e.operation) + " failed: " + e.error->ToString(), f);
}

void ResilienceLog::OnAlert(const resilience::AlertEvent& e) {
  if (e.kind == resilience::AlertEvent::Kind::kCircuitOpen) {
    log_.Log(level_enum::warn, "Circuit breaker opened for " + S(e.service),
             {{"event", "alert"}, {"alert", "circuit_open"}, {"service", S(e.service)}});
    return;
  }
  log_.Log(level_enum::err,
           "ALERT: " + std::to_string(e.consecutive_failures) + " consecutive failures of " +
               S(e.operation) + " (service " + S(e.service) + ")",
           {{"event", "alert"},
            {"alert", "consecutive_failures"},
            {"service", S(e.service)},
            {"operation", S(e.operation)},
            {"consecutive_failures", e.consecutive_failures}});
}

void ResilienceLog::OnRateLimitWait(const resilience::RateLimitWaitEvent& e) {
  log_.Log(level_enum::info,
           "rate limiter: " + S(e.operation) + " waits " + FormatSeconds(e.wait) +
               " s for bucket " + S(e.bucket) + " (attempt " + std::to_string(e.attempt) + ")",
           {{"event", "rate_limit_wait"},
            {"operation", S(e.operation)},
            {"service", S(e.service)},
            {"bucket", S(e.bucket)},
            {"attempt", e.attempt},
            {"wait_seconds", resilience::ToSeconds(e.wait)},
            {"call", e.call_id}});
}

void ResilienceLog::OnRateChange(const resilience::RateChangeEvent& e) {
  const nlohmann::json f = {{"event", e.lowered ? "rate_lowered" : "rate_restored"},
                            {"bucket", S(e.bucket)},
                            {"key", S(e.key)},
                            {"from_per_second", e.from},
                            {"to_per_second", e.to}};
  if (e.lowered) {
    log_.Log(level_enum::info,
             "rate limiter: throttled on " + S(e.bucket) + ", rate lowered from " + Rate(e.from) +
                 " to " + Rate(e.to) + " per second (" + S(e.key) + ")",
             f);
  } else {
    log_.Log(level_enum::info,
             "rate limiter: " + S(e.bucket) + " back at its configured rate, " + Rate(e.to) +
                 " per second (" + S(e.key) + ")",
             f);
  }
}

void ResilienceLog::OnStoreError(std::string_view service, const resilience::Error& error) {
  nlohmann::json f = {{"event", "store_error"}, {"service", S(service)}};
  f.update(ErrorFields(error));
  log_.Log(level_enum::err,
           "state store failed for " + S(service) + "; carrying on without it: " + error.ToString(),
           f);
}

}  // namespace ohfp::logging
