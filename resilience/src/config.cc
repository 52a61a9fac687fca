#include "ohfp/resilience/config.h"

#include <algorithm>
#include <sstream>

namespace ohfp::resilience {
namespace {

template <class T>
void Apply(T& target, const std::optional<T>& value) {
  if (value) target = *value;
}

std::string Num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// Durations beyond a year are typos, and would overflow time arithmetic long before they made
// sense.
constexpr Duration kMaxDuration = std::chrono::hours(24 * 365);

class Checker {
 public:
  explicit Checker(std::vector<ConfigProblem>& out) : out_(out) {}

  void Int(const std::string& path, int value, int low, int high) {
    if (value < low || value > high) {
      Add(path, "must be between " + std::to_string(low) + " and " + std::to_string(high) +
                    ", got " + std::to_string(value));
    }
  }
  void Seconds(const std::string& path, Duration value, bool allow_zero) {
    if (allow_zero ? value < Duration::zero() : value <= Duration::zero()) {
      Add(path, std::string(allow_zero ? "must be zero or more" : "must be more than zero") +
                    " seconds, got " + Num(ToSeconds(value)));
    } else if (value > kMaxDuration) {
      Add(path, "must be at most " + Num(ToSeconds(kMaxDuration)) + " seconds (a year), got " +
                    Num(ToSeconds(value)));
    }
  }
  void Real(const std::string& path, double value, double low, double high) {
    if (!(value >= low && value <= high)) {
      Add(path, "must be between " + Num(low) + " and " + Num(high) + ", got " + Num(value));
    }
  }
  void Positive(const std::string& path, double value, double high) {
    if (!(value > 0.0)) {
      Add(path, "must be more than zero, got " + Num(value));
    } else if (value > high) {
      Add(path, "must be at most " + Num(high) + ", got " + Num(value));
    }
  }
  void Add(const std::string& path, std::string message) {
    out_.push_back({path, std::move(message)});
  }

 private:
  std::vector<ConfigProblem>& out_;
};

constexpr int kMaxCount = 1'000'000;
// Bucket sizes and rates: positive, and below anything a service publishes by far.
constexpr double kMaxLimiterNumber = 1e9;
constexpr double kMaxScale = 1000.0;

template <class T>
bool Has(const std::optional<T>& value) {
  return value.has_value();
}

// Checks the fields of `o` that `present` says were configured (every field for the defaults).
template <class Present>
void CheckBreaker(Checker& c, const std::string& base, const std::string& prefix,
                  const CircuitBreakerOptions& o, Present&& present) {
  if (present("failure_threshold"))
    c.Int(base + prefix + "failure_threshold", o.failure_threshold, 1, kMaxCount);
  if (present("reset_timeout")) c.Seconds(base + prefix + "reset_timeout", o.reset_timeout, false);
  if (present("half_open_timeout"))
    c.Seconds(base + prefix + "half_open_timeout", o.half_open_timeout, false);
  if (present("half_open_max_probes")) {
    c.Int(base + prefix + "half_open_max_probes", o.half_open_max_probes, 0, kMaxCount);
  }
  if (present("failure_rate_threshold")) {
    c.Int(base + prefix + "failure_rate_threshold", o.failure_rate_threshold, 0, 100);
  }
  if (present("sliding_window_size"))
    c.Int(base + prefix + "sliding_window_size", o.sliding_window_size, 1, 1000);
  if (present("minimum_calls") || present("sliding_window_size")) {
    c.Int(base + prefix + "minimum_calls", o.minimum_calls, 0,
          o.sliding_window_size > 0 ? o.sliding_window_size : 1);
  }
  if (present("slow_call_duration"))
    c.Seconds(base + prefix + "slow_call_duration", o.slow_call_duration, true);
}

template <class Present>
void CheckBackoff(Checker& c, const std::string& base, const std::string& prefix, int max_attempts,
                  const BackoffOptions& b, Present&& present) {
  if (present("max_attempts")) c.Int(base + prefix + "max_attempts", max_attempts, 1, 100);
  if (present("base_delay")) c.Seconds(base + prefix + "base_delay", b.base_delay, true);
  if (present("max_delay")) c.Seconds(base + prefix + "max_delay", b.max_delay, true);
  if (present("exponential_base"))
    c.Real(base + prefix + "exponential_base", b.exponential_base, 1.0, 100.0);
}

}  // namespace

CircuitBreakerOptions CircuitBreakerConfig::ForService(std::string_view service) const {
  CircuitBreakerOptions o = defaults;
  auto it = services.find(service);
  if (it == services.end()) return o;
  const CircuitBreakerOverrides& s = it->second;
  Apply(o.failure_threshold, s.failure_threshold);
  Apply(o.reset_timeout, s.reset_timeout);
  Apply(o.half_open_timeout, s.half_open_timeout);
  Apply(o.half_open_max_probes, s.half_open_max_probes);
  Apply(o.failure_rate_threshold, s.failure_rate_threshold);
  Apply(o.sliding_window_size, s.sliding_window_size);
  Apply(o.minimum_calls, s.minimum_calls);
  Apply(o.slow_call_duration, s.slow_call_duration);
  Apply(o.failure_policy, s.failure_policy);
  return o;
}

bool CircuitBreakerConfig::CountsThrottling(std::string_view service, bool limiter_enabled) const {
  if (auto it = services.find(service); it != services.end() && it->second.count_throttling) {
    return *it->second.count_throttling;
  }
  return default_count_throttling.value_or(!limiter_enabled);
}

RetryOptions RetryConfig::ForOperation(std::string_view operation) const {
  RetryOptions o;
  o.max_attempts = default_max_attempts;
  o.backoff = default_backoff;
  if (auto it = operations.find(operation); it != operations.end()) {
    const RetryOverrides& r = it->second;
    Apply(o.max_attempts, r.max_attempts);
    Apply(o.backoff.base_delay, r.base_delay);
    Apply(o.backoff.max_delay, r.max_delay);
    Apply(o.backoff.exponential_base, r.exponential_base);
    Apply(o.backoff.jitter, r.jitter);
  }
  if (!enabled) o.max_attempts = 1;
  o.retryable = kAwsRetryableKinds;
  if (retry_capacity_errors) o.retryable.insert(ErrorKind::kCapacity);
  return o;
}

Duration TimeoutConfig::ForOperation(std::string_view operation) const {
  auto it = operations.find(operation);
  return it == operations.end() ? default_timeout : it->second;
}

Duration TimeoutConfig::AttemptTimeoutFor(std::string_view operation) const {
  auto it = attempt_operations.find(operation);
  return it == attempt_operations.end() ? default_attempt_timeout : it->second;
}

OperationPolicy ResilienceConfig::PolicyFor(std::string_view operation,
                                            std::string_view service) const {
  OperationPolicy p;
  p.operation = std::string(operation);
  p.service = std::string(service);
  p.retry = retry.ForOperation(operation);
  p.retry_on_circuit_open = retry.enabled && retry.retry_on_circuit_open;
  p.quota = retry.quota;
  p.quota.enabled = retry.enabled && retry.quota.enabled;
  p.timeout = timeout.ForOperation(operation);
  p.attempt_timeout = timeout.AttemptTimeoutFor(operation);
  p.breaker_enabled = circuit_breaker.enabled;
  p.breaker = circuit_breaker.ForService(service);
  p.count_throttling = circuit_breaker.CountsThrottling(service, rate_limiter.enabled);
  return p;
}

std::optional<std::string_view> ResilienceConfig::ServiceFor(std::string_view operation) const {
  if (auto it = operation_services.find(operation); it != operation_services.end()) {
    return it->second;
  }
  std::optional<std::string_view> best;
  std::size_t best_length = 0;
  for (const auto& [pattern, service] : operation_services) {
    if (!pattern.ends_with('*')) continue;
    const std::string_view prefix = std::string_view(pattern).substr(0, pattern.size() - 1);
    if (operation.starts_with(prefix) && (!best || prefix.size() > best_length)) {
      best = service;
      best_length = prefix.size();
    }
  }
  return best;
}

std::vector<ConfigProblem> Validate(const ResilienceConfig& config, std::string_view root) {
  std::vector<ConfigProblem> problems;
  Checker c(problems);
  const std::string r(root);

  const std::string cb = r + ".circuit_breaker.";
  CheckBreaker(c, cb, "default_", config.circuit_breaker.defaults,
               [](std::string_view) { return true; });
  for (const auto& [name, s] : config.circuit_breaker.services) {
    const std::map<std::string_view, bool> present = {
        {"failure_threshold", Has(s.failure_threshold)},
        {"reset_timeout", Has(s.reset_timeout)},
        {"half_open_timeout", Has(s.half_open_timeout)},
        {"half_open_max_probes", Has(s.half_open_max_probes)},
        {"failure_rate_threshold", Has(s.failure_rate_threshold)},
        {"sliding_window_size", Has(s.sliding_window_size)},
        {"minimum_calls", Has(s.minimum_calls)},
        {"slow_call_duration", Has(s.slow_call_duration)},
    };
    CheckBreaker(c, cb + "services." + name + ".", "", config.circuit_breaker.ForService(name),
                 [&](std::string_view field) { return present.at(field); });
  }

  const std::string rt = r + ".retry.";
  CheckBackoff(c, rt, "default_", config.retry.default_max_attempts, config.retry.default_backoff,
               [](std::string_view) { return true; });
  for (const auto& [name, o] : config.retry.operations) {
    BackoffOptions b = config.retry.default_backoff;
    Apply(b.base_delay, o.base_delay);
    Apply(b.max_delay, o.max_delay);
    Apply(b.exponential_base, o.exponential_base);
    const std::map<std::string_view, bool> present = {
        {"max_attempts", Has(o.max_attempts)},
        {"base_delay", Has(o.base_delay)},
        {"max_delay", Has(o.max_delay)},
        {"exponential_base", Has(o.exponential_base)},
    };
    CheckBackoff(c, rt + "operations." + name + ".", "", o.max_attempts.value_or(1), b,
                 [&](std::string_view field) { return present.at(field); });
  }
  const RetryQuotaOptions& q = config.retry.quota;
  c.Int(rt + "quota.max_tokens", q.max_tokens, 1, kMaxCount);
  c.Int(rt + "quota.retry_cost", q.retry_cost, 0, kMaxCount);
  c.Int(rt + "quota.timeout_retry_cost", q.timeout_retry_cost, 0, kMaxCount);
  c.Int(rt + "quota.no_retry_increment", q.no_retry_increment, 0, kMaxCount);

  const std::string to = r + ".timeout.";
  c.Seconds(to + "default_timeout", config.timeout.default_timeout, false);
  for (const auto& [name, value] : config.timeout.operations)
    c.Seconds(to + "operations." + name, value, false);
  c.Seconds(to + "default_attempt_timeout", config.timeout.default_attempt_timeout, true);
  for (const auto& [name, value] : config.timeout.attempt_operations) {
    c.Seconds(to + "attempt_operations." + name, value, true);
  }

  c.Int(r + ".error_handling.max_consecutive_failures_before_alert",
        config.error_handling.max_consecutive_failures_before_alert, 0, kMaxCount);

  const std::string rl = r + ".rate_limiter.";
  const RateLimiterConfig& limiter = config.rate_limiter;
  c.Positive(rl + "scale", limiter.scale, kMaxScale);
  for (const auto& [name, bucket] : limiter.buckets) {
    c.Positive(rl + "buckets." + name + ".capacity", bucket.capacity, kMaxLimiterNumber);
    c.Positive(rl + "buckets." + name + ".refill_rate", bucket.refill_rate, kMaxLimiterNumber);
  }
  for (const auto& [name, op] : limiter.operations) {
    const std::string base = rl + "operations." + name + ".";
    std::vector<std::string_view> seen;
    auto check = [&](const std::vector<std::string>& list, const char* key) {
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = base + key + "[" + std::to_string(i) + "]";
        if (!limiter.buckets.contains(list[i])) {
          c.Add(path, "is not a bucket of rate_limiter.buckets: \"" + list[i] + "\"");
        } else if (std::find(seen.begin(), seen.end(), list[i]) != seen.end()) {
          c.Add(path, "names bucket \"" + list[i] + "\" twice for one operation");
        }
        seen.push_back(list[i]);
      }
    };
    check(op.buckets, "buckets");
    check(op.resource_buckets, "resource_buckets");
    if (seen.size() > kMaxBucketsPerOperation) {
      c.Add(base + "buckets", "an operation spends from at most " +
                                  std::to_string(kMaxBucketsPerOperation) + " buckets, got " +
                                  std::to_string(seen.size()));
    }
  }
  return problems;
}

}  // namespace ohfp::resilience
