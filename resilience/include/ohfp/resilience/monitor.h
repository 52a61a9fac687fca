// ohfp/resilience/monitor.h
//
// ResilienceMonitor: the seed's counters (circuit_breaker_opens, circuit_breaker_closes,
// retry_attempts, retry_successes, timeout_errors, total_operations, successful_operations), kept
// per operation and per service, with the seed's get_success_rate / get_metrics_summary, and
// exports as JSON and Prometheus text. Extensions: throttled attempts and calls ended by the rate
// limiter per operation; per rate-limiter bucket, the attempts that took tokens, waited for them
// (and how long), could not wait within their deadline, and the rate's decreases.
//
// Counters are relaxed atomics in cache-line-aligned blocks created once per operation and service;
// the pipeline keeps a reference to its blocks, so counting costs one uncontended atomic add and no
// lookup. A monitor counts what happened in this process; the plugin adds each process's counts
// into its store.
//
// Thread-safety: all methods are safe from any thread. Snapshots are not atomic across counters.
//
// Example:
//   ResilienceMonitor monitor;
//   monitor.RecordOperationSuccess("ec2_run_instances");
//   monitor.GetSuccessRate();                      // 1.0
//   std::string text = monitor.ToPrometheus();
//   // text: ... ohfp_resilience_total_operations{operation=...} 1 ...
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/resilience/error.h"

namespace ohfp::resilience {

struct alignas(64) OperationCounters {
  std::atomic<std::uint64_t> successful_operations{0};
  std::atomic<std::uint64_t> failed_operations{0};
  std::atomic<std::uint64_t> failed_attempts{
      0};  // attempts that failed (attempts = these + successes)
  std::atomic<std::uint64_t> retry_attempts{0};   // retries scheduled
  std::atomic<std::uint64_t> retry_successes{0};  // calls that succeeded after at least one retry
  std::atomic<std::uint64_t> timeout_errors{0};   // calls that ended by their deadline
  std::atomic<std::uint64_t> rejected_calls{0};   // calls that ended on an open circuit
  std::atomic<std::uint64_t> throttled_attempts{0};  // attempts the service throttled
  std::atomic<std::uint64_t> rate_limited_calls{0};  // calls the rate limiter ended (deadline)
  std::atomic<std::uint32_t> consecutive_failures{0};
};

struct alignas(64) ServiceCounters {
  std::atomic<std::uint64_t> circuit_breaker_opens{0};
  std::atomic<std::uint64_t> circuit_breaker_half_opens{0};
  std::atomic<std::uint64_t> circuit_breaker_closes{0};
  std::atomic<std::uint64_t> rejections{0};         // attempts rejected by the breaker
  std::atomic<std::uint64_t> failures_recorded{0};  // failures the breaker counted
};

// One rate-limiter bucket (by name, across scopes), as this process used it.
struct alignas(64) LimiterCounters {
  std::atomic<std::uint64_t> acquisitions{0};       // attempts that took tokens
  std::atomic<std::uint64_t> waits{0};              // of those, attempts that had to wait
  std::atomic<std::uint64_t> wait_ns{0};            // the time they waited, in total
  std::atomic<std::uint64_t> deadline_failures{0};  // attempts that could not wait that long
  std::atomic<std::uint64_t> rate_decreases{0};     // throttles that lowered the rate
};

struct OperationMetrics {
  std::string operation;
  std::string service;
  std::uint64_t total_operations = 0;
  std::uint64_t successful_operations = 0;
  std::uint64_t failed_operations = 0;
  std::uint64_t attempts = 0;
  std::uint64_t retry_attempts = 0;
  std::uint64_t retry_successes = 0;
  std::uint64_t timeout_errors = 0;
  std::uint64_t rejected_calls = 0;
  std::uint64_t throttled_attempts = 0;
  std::uint64_t rate_limited_calls = 0;
};

struct ServiceMetrics {
  std::string service;
  std::uint64_t circuit_breaker_opens = 0;
  std::uint64_t circuit_breaker_half_opens = 0;
  std::uint64_t circuit_breaker_closes = 0;
  std::uint64_t rejections = 0;
  std::uint64_t failures_recorded = 0;
};

struct LimiterMetrics {
  std::string bucket;
  std::uint64_t acquisitions = 0;
  std::uint64_t waits = 0;
  std::uint64_t wait_ns = 0;
  std::uint64_t deadline_failures = 0;
  std::uint64_t rate_decreases = 0;
};

// The seed's get_metrics_summary, plus the counters it keeps but did not print.
struct MetricsSummary {
  double success_rate = 0.0;
  std::uint64_t circuit_breaker_opens = 0;
  std::uint64_t circuit_breaker_closes = 0;
  std::uint64_t retry_attempts = 0;
  std::uint64_t retry_successes = 0;
  std::uint64_t timeout_errors = 0;
  std::uint64_t total_operations = 0;
  std::uint64_t successful_operations = 0;
  std::uint64_t rejected_calls = 0;
  std::uint64_t attempts = 0;
  // Extensions: throttling and the rate limiter.
  std::uint64_t throttled_attempts = 0;
  std::uint64_t rate_limited_calls = 0;
  std::uint64_t rate_limiter_waits = 0;
  std::uint64_t rate_limiter_wait_ns = 0;
  std::uint64_t rate_decreases = 0;
};

class ResilienceMonitor {
 public:
  ResilienceMonitor() = default;
  ResilienceMonitor(const ResilienceMonitor&) = delete;
  ResilienceMonitor& operator=(const ResilienceMonitor&) = delete;

  // The counter block of an operation or service, created on first use. The reference stays valid
  // for the monitor's lifetime. An operation keeps the service it was first registered with.
  OperationCounters& Operation(std::string_view operation, std::string_view service = {});
  ServiceCounters& Service(std::string_view service);
  LimiterCounters& Limiter(std::string_view bucket);

  // The seed's recording methods.
  void RecordCircuitBreakerOpen(std::string_view service);
  void RecordCircuitBreakerClose(std::string_view service);
  void RecordRetryAttempt(std::string_view operation, int attempt);
  void RecordOperationSuccess(std::string_view operation, bool after_retry = false);
  void RecordOperationFailure(std::string_view operation, const Error& error);

  // successful / total over every operation; 0.0 before any operation, as the seed returns.
  double GetSuccessRate() const;
  MetricsSummary GetMetricsSummary() const;
  std::vector<OperationMetrics> Operations() const;
  std::vector<ServiceMetrics> Services() const;
  std::vector<LimiterMetrics> Limiters() const;

  // {"summary": {...}, "operations": {"ec2_run_instances": {...}}, "services": {"aws_ec2": {...}}}
  std::string ToJson() const;
  // Prometheus text exposition format, metric names prefixed with `prefix` (default
  // "ohfp_resilience").
  std::string ToPrometheus(std::string_view prefix = "ohfp_resilience") const;

 private:
  struct OperationEntry {
    std::string service;
    OperationCounters counters;
  };
  mutable std::mutex mu_;  // guards the maps, not the counters
  std::map<std::string, std::unique_ptr<OperationEntry>, std::less<>> operations_;
  std::map<std::string, std::unique_ptr<ServiceCounters>, std::less<>> services_;
  std::map<std::string, std::unique_ptr<LimiterCounters>, std::less<>> limiters_;
};

// Summary over a list of per-operation and per-service metrics (used for merged, cross-process
// numbers too).
MetricsSummary Summarize(const std::vector<OperationMetrics>& operations,
                         const std::vector<ServiceMetrics>& services,
                         const std::vector<LimiterMetrics>& limiters = {});

}  // namespace ohfp::resilience
