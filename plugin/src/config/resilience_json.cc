#include "config/resilience_json.h"

#include "aws/resilience_tables.h"
#include "config/json_reader.h"

namespace ohfp::config {
namespace {

using resilience::CircuitBreakerOptions;
using resilience::CircuitBreakerOverrides;
using resilience::ConfigProblem;
using resilience::Duration;
using resilience::FailurePolicy;
using resilience::JitterMode;
using resilience::LimiterOperationConfig;
using resilience::RateLimiterConfig;
using resilience::ResilienceConfig;
using resilience::RetryOverrides;

// A boolean that may be left out (then `out` keeps nullopt).
void ReadOptionalBool(ObjectReader& r, std::string_view key, std::optional<bool>& out) {
  const nlohmann::json* v = r.Raw(key);
  if (v == nullptr) return;
  if (v->is_boolean()) {
    out = v->get<bool>();
  } else {
    r.Problem(key, "must be a boolean, got " + JsonTypeName(*v));
  }
}

// A list of bucket names.
void ReadNames(ObjectReader& r, std::string_view key, std::vector<std::string>& out) {
  const nlohmann::json* v = r.Raw(key);
  if (v == nullptr) return;
  if (!v->is_array()) {
    r.Problem(key, "must be a list of bucket names, got " + JsonTypeName(*v));
    return;
  }
  out.clear();
  for (std::size_t i = 0; i < v->size(); ++i) {
    const nlohmann::json& item = (*v)[i];
    if (item.is_string()) {
      out.push_back(item.get<std::string>());
    } else {
      r.Problem(std::string(key) + "[" + std::to_string(i) + "]",
                "must be a bucket name (a string), got " + JsonTypeName(item));
    }
  }
}

// The rate limiter: read over `c`, which holds the plugin's defaults. A bucket's keys replace the
// default's one by one (a new bucket needs both); an operation's entry replaces its default.
void ReadRateLimiter(ObjectReader& r, RateLimiterConfig& c, std::vector<ConfigProblem>& problems) {
  r.Bool("enabled", c.enabled);
  r.String("scope", c.scope);
  r.Bool("adaptive", c.adaptive);
  r.Double("scale", c.scale);
  r.Entries("buckets", [&](const std::string& name, const nlohmann::json& v, const std::string& p) {
    ObjectReader b(v, p, problems);
    if (!b.is_object()) return;
    std::optional<double> capacity;
    std::optional<double> rate;
    b.Double("capacity", capacity);
    b.Double("refill_rate", rate);
    b.Finish();
    auto it = c.buckets.find(name);
    if (it == c.buckets.end() && (!capacity || !rate)) {
      b.Problem(capacity ? "refill_rate" : "capacity",
                "is required for a bucket ohfp does not know (\"" + name + "\")");
      return;
    }
    resilience::TokenBucketOptions& bucket = c.buckets[name];
    if (capacity) bucket.capacity = *capacity;
    if (rate) bucket.refill_rate = *rate;
  });
  r.Entries("operations",
            [&](const std::string& name, const nlohmann::json& v, const std::string& p) {
              ObjectReader o(v, p, problems);
              if (!o.is_object()) return;
              LimiterOperationConfig op;
              ReadNames(o, "buckets", op.buckets);
              ReadNames(o, "resource_buckets", op.resource_buckets);
              o.Finish();
              c.operations[name] = std::move(op);
            });
}

nlohmann::json RateLimiterJson(const RateLimiterConfig& c) {
  nlohmann::json buckets = nlohmann::json::object();
  for (const auto& [name, b] : c.buckets) {
    buckets[name] = {{"capacity", b.capacity}, {"refill_rate", b.refill_rate}};
  }
  nlohmann::json operations = nlohmann::json::object();
  for (const auto& [name, op] : c.operations) {
    operations[name] = {{"buckets", op.buckets}, {"resource_buckets", op.resource_buckets}};
  }
  return {{"enabled", c.enabled}, {"scope", c.scope},   {"adaptive", c.adaptive},
          {"scale", c.scale},     {"buckets", buckets}, {"operations", operations}};
}

// "jitter": true (the seed's +0-10 %), false (none), or a strategy name.
void ReadJitter(ObjectReader& r, std::string_view key, std::optional<JitterMode>& out) {
  const nlohmann::json* v = r.Raw(key);
  if (v == nullptr) return;
  if (v->is_boolean()) {
    out = v->get<bool>() ? JitterMode::kSeed : JitterMode::kNone;
  } else if (v->is_string()) {
    if (auto mode = resilience::JitterModeFromName(v->get<std::string>())) {
      out = *mode;
    } else {
      r.Problem(
          key,
          "must be true, false, \"none\", \"seed\", \"full\", \"equal\" or \"decorrelated\", got " +
              v->dump());
    }
  } else {
    r.Problem(key, "must be a boolean or a jitter name, got " + JsonTypeName(*v));
  }
}

void ReadFailurePolicy(ObjectReader& r, std::string_view key, std::optional<FailurePolicy>& out) {
  std::optional<std::string> name;
  r.String(key, name);
  if (!name) return;
  if (auto policy = resilience::FailurePolicyFromName(*name)) {
    out = *policy;
  } else {
    r.Problem(key, "must be \"all\" or \"service_errors\", got \"" + *name + "\"");
  }
}

// Breaker fields shared by the defaults ("default_" prefix) and the services (no prefix).
void ReadBreakerFields(ObjectReader& r, const std::string& prefix, CircuitBreakerOverrides& o) {
  r.Int(prefix + "failure_threshold", o.failure_threshold);
  r.Seconds(prefix + "reset_timeout", o.reset_timeout);
  r.Seconds(prefix + "half_open_timeout", o.half_open_timeout);
  r.Int(prefix + "half_open_max_probes", o.half_open_max_probes);
  r.Int(prefix + "failure_rate_threshold", o.failure_rate_threshold);
  r.Int(prefix + "sliding_window_size", o.sliding_window_size);
  r.Int(prefix + "minimum_calls", o.minimum_calls);
  r.Seconds(prefix + "slow_call_duration", o.slow_call_duration);
  ReadFailurePolicy(r, prefix + "failure_policy", o.failure_policy);
  ReadOptionalBool(r, prefix + "count_throttling", o.count_throttling);
}

template <class T>
void Apply(T& target, const std::optional<T>& value) {
  if (value) target = *value;
}

void ApplyBreaker(CircuitBreakerOptions& target, const CircuitBreakerOverrides& o) {
  Apply(target.failure_threshold, o.failure_threshold);
  Apply(target.reset_timeout, o.reset_timeout);
  Apply(target.half_open_timeout, o.half_open_timeout);
  Apply(target.half_open_max_probes, o.half_open_max_probes);
  Apply(target.failure_rate_threshold, o.failure_rate_threshold);
  Apply(target.sliding_window_size, o.sliding_window_size);
  Apply(target.minimum_calls, o.minimum_calls);
  Apply(target.slow_call_duration, o.slow_call_duration);
  Apply(target.failure_policy, o.failure_policy);
}

void ReadRetryFields(ObjectReader& r, const std::string& prefix, RetryOverrides& o) {
  r.Int(prefix + "max_attempts", o.max_attempts);
  r.Seconds(prefix + "base_delay", o.base_delay);
  r.Seconds(prefix + "max_delay", o.max_delay);
  r.Double(prefix + "exponential_base", o.exponential_base);
  ReadJitter(r, prefix + "jitter", o.jitter);
}

void ReadDurationMap(ObjectReader& r, std::string_view key,
                     std::map<std::string, Duration, std::less<>>& out,
                     std::vector<ConfigProblem>& problems) {
  r.Entries(key, [&](const std::string& name, const nlohmann::json& v, const std::string& path) {
    if (auto d = SecondsFromJson(v, path, problems)) out[name] = *d;
  });
}

double Secs(Duration d) { return resilience::ToSeconds(d); }

nlohmann::json BreakerJson(const CircuitBreakerOptions& o, const std::string& prefix) {
  return {
      {prefix + "failure_threshold", o.failure_threshold},
      {prefix + "reset_timeout", Secs(o.reset_timeout)},
      {prefix + "half_open_timeout", Secs(o.half_open_timeout)},
      {prefix + "half_open_max_probes", o.half_open_max_probes},
      {prefix + "failure_rate_threshold", o.failure_rate_threshold},
      {prefix + "sliding_window_size", o.sliding_window_size},
      {prefix + "minimum_calls", o.minimum_calls},
      {prefix + "slow_call_duration", Secs(o.slow_call_duration)},
      {prefix + "failure_policy", std::string(resilience::FailurePolicyName(o.failure_policy))}};
}

}  // namespace

ResilienceConfig AwsResilienceBase() {
  ResilienceConfig config;
  config.operation_services = aws::OperationServices();
  config.rate_limiter = aws::PublishedRateLimits();
  return config;
}

ResilienceConfig EmbeddedResilienceDefaults() {
  ResilienceConfig config = AwsResilienceBase();
  config.rate_limiter.enabled = true;
  return config;
}

ResilienceConfig ReadResilienceConfig(const nlohmann::json& value, const std::string& path,
                                      std::vector<ConfigProblem>& problems, ResilienceConfig base) {
  ResilienceConfig config = std::move(base);
  ObjectReader root(value, path, problems);
  if (!root.is_object()) return config;

  root.Object("circuit_breaker", [&](ObjectReader& r) {
    r.Bool("enabled", config.circuit_breaker.enabled);
    CircuitBreakerOverrides defaults;
    ReadBreakerFields(r, "default_", defaults);
    ApplyBreaker(config.circuit_breaker.defaults, defaults);
    config.circuit_breaker.default_count_throttling = defaults.count_throttling;
    r.Entries("services",
              [&](const std::string& name, const nlohmann::json& v, const std::string& p) {
                ObjectReader s(v, p, problems);
                if (!s.is_object()) return;
                ReadBreakerFields(s, "", config.circuit_breaker.services[name]);
                s.Finish();
              });
  });

  root.Object("retry", [&](ObjectReader& r) {
    r.Bool("enabled", config.retry.enabled);
    RetryOverrides defaults;
    ReadRetryFields(r, "default_", defaults);
    Apply(config.retry.default_max_attempts, defaults.max_attempts);
    Apply(config.retry.default_backoff.base_delay, defaults.base_delay);
    Apply(config.retry.default_backoff.max_delay, defaults.max_delay);
    Apply(config.retry.default_backoff.exponential_base, defaults.exponential_base);
    Apply(config.retry.default_backoff.jitter, defaults.jitter);
    r.Entries("operations",
              [&](const std::string& name, const nlohmann::json& v, const std::string& p) {
                ObjectReader o(v, p, problems);
                if (!o.is_object()) return;
                ReadRetryFields(o, "", config.retry.operations[name]);
                o.Finish();
              });
    r.Bool("retry_on_circuit_open", config.retry.retry_on_circuit_open);
    r.Bool("retry_capacity_errors", config.retry.retry_capacity_errors);
    r.Object("quota", [&](ObjectReader& q) {
      q.Bool("enabled", config.retry.quota.enabled);
      q.Int("max_tokens", config.retry.quota.max_tokens);
      q.Int("retry_cost", config.retry.quota.retry_cost);
      q.Int("timeout_retry_cost", config.retry.quota.timeout_retry_cost);
      q.Int("no_retry_increment", config.retry.quota.no_retry_increment);
    });
  });

  root.Object("timeout", [&](ObjectReader& r) {
    r.Seconds("default_timeout", config.timeout.default_timeout);
    ReadDurationMap(r, "operations", config.timeout.operations, problems);
    r.Seconds("default_attempt_timeout", config.timeout.default_attempt_timeout);
    ReadDurationMap(r, "attempt_operations", config.timeout.attempt_operations, problems);
  });

  root.Object("error_handling", [&](ObjectReader& r) {
    r.Bool("log_retries", config.error_handling.log_retries);
    r.Bool("log_circuit_breaker_state_changes",
           config.error_handling.log_circuit_breaker_state_changes);
    r.Bool("alert_on_circuit_breaker_open", config.error_handling.alert_on_circuit_breaker_open);
    r.Int("max_consecutive_failures_before_alert",
          config.error_handling.max_consecutive_failures_before_alert);
  });

  root.Object("rate_limiter",
              [&](ObjectReader& r) { ReadRateLimiter(r, config.rate_limiter, problems); });
  root.Finish();

  for (ConfigProblem& p : resilience::Validate(config, path)) problems.push_back(std::move(p));
  return config;
}

nlohmann::json ResilienceConfigToJson(const ResilienceConfig& c) {
  const bool limiter = c.rate_limiter.enabled;
  nlohmann::json cb = BreakerJson(c.circuit_breaker.defaults, "default_");
  cb["enabled"] = c.circuit_breaker.enabled;
  cb["default_count_throttling"] = c.circuit_breaker.default_count_throttling.value_or(!limiter);
  cb["services"] = nlohmann::json::object();
  for (const auto& [name, _] : c.circuit_breaker.services) {
    cb["services"][name] = BreakerJson(c.circuit_breaker.ForService(name), "");
    cb["services"][name]["count_throttling"] = c.circuit_breaker.CountsThrottling(name, limiter);
  }
  nlohmann::json retry = {
      {"enabled", c.retry.enabled},
      {"default_max_attempts", c.retry.default_max_attempts},
      {"default_base_delay", Secs(c.retry.default_backoff.base_delay)},
      {"default_max_delay", Secs(c.retry.default_backoff.max_delay)},
      {"default_exponential_base", c.retry.default_backoff.exponential_base},
      {"default_jitter", std::string(resilience::JitterModeName(c.retry.default_backoff.jitter))},
      {"retry_on_circuit_open", c.retry.retry_on_circuit_open},
      {"retry_capacity_errors", c.retry.retry_capacity_errors},
      {"quota",
       {{"enabled", c.retry.quota.enabled},
        {"max_tokens", c.retry.quota.max_tokens},
        {"retry_cost", c.retry.quota.retry_cost},
        {"timeout_retry_cost", c.retry.quota.timeout_retry_cost},
        {"no_retry_increment", c.retry.quota.no_retry_increment}}},
      {"operations", nlohmann::json::object()}};
  for (const auto& operation : c.retry.operations) {
    const std::string& name = operation.first;
    // A structured binding here could not be captured by clang 14 (a C++20 change it lacks).
    const resilience::RetryOptions o = [&] {
      resilience::RetryConfig enabled = c.retry;
      enabled.enabled = true;
      return enabled.ForOperation(name);
    }();
    retry["operations"][name] = {
        {"max_attempts", o.max_attempts},
        {"base_delay", Secs(o.backoff.base_delay)},
        {"max_delay", Secs(o.backoff.max_delay)},
        {"exponential_base", o.backoff.exponential_base},
        {"jitter", std::string(resilience::JitterModeName(o.backoff.jitter))}};
  }
  nlohmann::json timeout = {{"default_timeout", Secs(c.timeout.default_timeout)},
                            {"default_attempt_timeout", Secs(c.timeout.default_attempt_timeout)},
                            {"operations", nlohmann::json::object()},
                            {"attempt_operations", nlohmann::json::object()}};
  for (const auto& [name, d] : c.timeout.operations) timeout["operations"][name] = Secs(d);
  for (const auto& [name, d] : c.timeout.attempt_operations)
    timeout["attempt_operations"][name] = Secs(d);
  nlohmann::json errors = {
      {"log_retries", c.error_handling.log_retries},
      {"log_circuit_breaker_state_changes", c.error_handling.log_circuit_breaker_state_changes},
      {"alert_on_circuit_breaker_open", c.error_handling.alert_on_circuit_breaker_open},
      {"max_consecutive_failures_before_alert",
       c.error_handling.max_consecutive_failures_before_alert}};
  return {{"circuit_breaker", cb},
          {"retry", retry},
          {"timeout", timeout},
          {"error_handling", errors},
          {"rate_limiter", RateLimiterJson(c.rate_limiter)}};
}

}  // namespace ohfp::config
