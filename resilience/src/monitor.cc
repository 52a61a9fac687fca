#include "ohfp/resilience/monitor.h"

#include <utility>

#include "text_format.h"

namespace ohfp::resilience {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

OperationMetrics Read(const std::string& name, const std::string& service,
                      const OperationCounters& c) {
  OperationMetrics m;
  m.operation = name;
  m.service = service;
  m.successful_operations = c.successful_operations.load(kRelaxed);
  m.failed_operations = c.failed_operations.load(kRelaxed);
  m.total_operations = m.successful_operations + m.failed_operations;
  m.attempts = m.successful_operations + c.failed_attempts.load(kRelaxed);
  m.retry_attempts = c.retry_attempts.load(kRelaxed);
  m.retry_successes = c.retry_successes.load(kRelaxed);
  m.timeout_errors = c.timeout_errors.load(kRelaxed);
  m.rejected_calls = c.rejected_calls.load(kRelaxed);
  m.throttled_attempts = c.throttled_attempts.load(kRelaxed);
  m.rate_limited_calls = c.rate_limited_calls.load(kRelaxed);
  return m;
}

ServiceMetrics Read(const std::string& name, const ServiceCounters& c) {
  ServiceMetrics m;
  m.service = name;
  m.circuit_breaker_opens = c.circuit_breaker_opens.load(kRelaxed);
  m.circuit_breaker_half_opens = c.circuit_breaker_half_opens.load(kRelaxed);
  m.circuit_breaker_closes = c.circuit_breaker_closes.load(kRelaxed);
  m.rejections = c.rejections.load(kRelaxed);
  m.failures_recorded = c.failures_recorded.load(kRelaxed);
  return m;
}

LimiterMetrics Read(const std::string& name, const LimiterCounters& c) {
  LimiterMetrics m;
  m.bucket = name;
  m.acquisitions = c.acquisitions.load(kRelaxed);
  m.waits = c.waits.load(kRelaxed);
  m.wait_ns = c.wait_ns.load(kRelaxed);
  m.deadline_failures = c.deadline_failures.load(kRelaxed);
  m.rate_decreases = c.rate_decreases.load(kRelaxed);
  return m;
}

std::string Seconds(std::uint64_t ns) {
  return internal::JsonNumber(static_cast<double>(ns) / 1e9);
}

void AppendField(std::string& out, std::string_view name, std::uint64_t value, bool& first) {
  if (!first) out += ", ";
  first = false;
  out += internal::JsonString(name);
  out += ": ";
  out += std::to_string(value);
}

}  // namespace

OperationCounters& ResilienceMonitor::Operation(std::string_view operation,
                                                std::string_view service) {
  std::lock_guard lock(mu_);
  auto it = operations_.find(operation);
  if (it == operations_.end()) {
    auto entry = std::make_unique<OperationEntry>();
    entry->service = std::string(service);
    it = operations_.emplace(std::string(operation), std::move(entry)).first;
  }
  return it->second->counters;
}

ServiceCounters& ResilienceMonitor::Service(std::string_view service) {
  std::lock_guard lock(mu_);
  auto it = services_.find(service);
  if (it == services_.end())
    it = services_.emplace(std::string(service), std::make_unique<ServiceCounters>()).first;
  return *it->second;
}

LimiterCounters& ResilienceMonitor::Limiter(std::string_view bucket) {
  std::lock_guard lock(mu_);
  auto it = limiters_.find(bucket);
  if (it == limiters_.end())
    it = limiters_.emplace(std::string(bucket), std::make_unique<LimiterCounters>()).first;
  return *it->second;
}

void ResilienceMonitor::RecordCircuitBreakerOpen(std::string_view service) {
  Service(service).circuit_breaker_opens.fetch_add(1, kRelaxed);
}
void ResilienceMonitor::RecordCircuitBreakerClose(std::string_view service) {
  Service(service).circuit_breaker_closes.fetch_add(1, kRelaxed);
}
void ResilienceMonitor::RecordRetryAttempt(std::string_view operation, int /*attempt*/) {
  Operation(operation).retry_attempts.fetch_add(1, kRelaxed);
}
void ResilienceMonitor::RecordOperationSuccess(std::string_view operation, bool after_retry) {
  OperationCounters& c = Operation(operation);
  c.successful_operations.fetch_add(1, kRelaxed);
  if (after_retry) c.retry_successes.fetch_add(1, kRelaxed);
}
void ResilienceMonitor::RecordOperationFailure(std::string_view operation, const Error& error) {
  OperationCounters& c = Operation(operation);
  c.failed_operations.fetch_add(1, kRelaxed);
  if (error.kind() == ErrorKind::kTimeout) c.timeout_errors.fetch_add(1, kRelaxed);
  if (error.kind() == ErrorKind::kCircuitOpen) c.rejected_calls.fetch_add(1, kRelaxed);
}

std::vector<OperationMetrics> ResilienceMonitor::Operations() const {
  std::lock_guard lock(mu_);
  std::vector<OperationMetrics> out;
  out.reserve(operations_.size());
  for (const auto& [name, entry] : operations_)
    out.push_back(Read(name, entry->service, entry->counters));
  return out;
}

std::vector<ServiceMetrics> ResilienceMonitor::Services() const {
  std::lock_guard lock(mu_);
  std::vector<ServiceMetrics> out;
  out.reserve(services_.size());
  for (const auto& [name, counters] : services_) out.push_back(Read(name, *counters));
  return out;
}

std::vector<LimiterMetrics> ResilienceMonitor::Limiters() const {
  std::lock_guard lock(mu_);
  std::vector<LimiterMetrics> out;
  out.reserve(limiters_.size());
  for (const auto& [name, counters] : limiters_) out.push_back(Read(name, *counters));
  return out;
}

MetricsSummary Summarize(const std::vector<OperationMetrics>& operations,
                         const std::vector<ServiceMetrics>& services,
                         const std::vector<LimiterMetrics>& limiters) {
  MetricsSummary s;
  for (const OperationMetrics& o : operations) {
    s.total_operations += o.total_operations;
    s.successful_operations += o.successful_operations;
    s.retry_attempts += o.retry_attempts;
    s.retry_successes += o.retry_successes;
    s.timeout_errors += o.timeout_errors;
    s.rejected_calls += o.rejected_calls;
    s.attempts += o.attempts;
    s.throttled_attempts += o.throttled_attempts;
    s.rate_limited_calls += o.rate_limited_calls;
  }
  for (const LimiterMetrics& l : limiters) {
    s.rate_limiter_waits += l.waits;
    s.rate_limiter_wait_ns += l.wait_ns;
    s.rate_decreases += l.rate_decreases;
  }
  for (const ServiceMetrics& m : services) {
    s.circuit_breaker_opens += m.circuit_breaker_opens;
    s.circuit_breaker_closes += m.circuit_breaker_closes;
  }
  s.success_rate = s.total_operations == 0 ? 0.0
                                           : static_cast<double>(s.successful_operations) /
                                                 static_cast<double>(s.total_operations);
  return s;
}

MetricsSummary ResilienceMonitor::GetMetricsSummary() const {
  return Summarize(Operations(), Services(), Limiters());
}

double ResilienceMonitor::GetSuccessRate() const { return GetMetricsSummary().success_rate; }

std::string ResilienceMonitor::ToJson() const {
  const std::vector<OperationMetrics> ops = Operations();
  const std::vector<ServiceMetrics> svcs = Services();
  const std::vector<LimiterMetrics> lims = Limiters();
  const MetricsSummary s = Summarize(ops, svcs, lims);
  std::string out = "{\"summary\": {\"success_rate\": " + internal::JsonNumber(s.success_rate);
  bool first = false;
  AppendField(out, "circuit_breaker_opens", s.circuit_breaker_opens, first);
  AppendField(out, "circuit_breaker_closes", s.circuit_breaker_closes, first);
  AppendField(out, "retry_attempts", s.retry_attempts, first);
  AppendField(out, "retry_successes", s.retry_successes, first);
  AppendField(out, "timeout_errors", s.timeout_errors, first);
  AppendField(out, "total_operations", s.total_operations, first);
  AppendField(out, "successful_operations", s.successful_operations, first);
  AppendField(out, "rejected_calls", s.rejected_calls, first);
  AppendField(out, "attempts", s.attempts, first);
  AppendField(out, "throttled_attempts", s.throttled_attempts, first);
  AppendField(out, "rate_limited_calls", s.rate_limited_calls, first);
  AppendField(out, "rate_limiter_waits", s.rate_limiter_waits, first);
  out += ", \"rate_limiter_wait_seconds\": " + Seconds(s.rate_limiter_wait_ns);
  out += "}, \"operations\": {";
  bool first_op = true;
  for (const OperationMetrics& o : ops) {
    if (!first_op) out += ", ";
    first_op = false;
    out += internal::JsonString(o.operation) + ": {\"service\": " + internal::JsonString(o.service);
    bool f = false;
    AppendField(out, "total_operations", o.total_operations, f);
    AppendField(out, "successful_operations", o.successful_operations, f);
    AppendField(out, "failed_operations", o.failed_operations, f);
    AppendField(out, "attempts", o.attempts, f);
    AppendField(out, "retry_attempts", o.retry_attempts, f);
    AppendField(out, "retry_successes", o.retry_successes, f);
    AppendField(out, "timeout_errors", o.timeout_errors, f);
    AppendField(out, "rejected_calls", o.rejected_calls, f);
    AppendField(out, "throttled_attempts", o.throttled_attempts, f);
    AppendField(out, "rate_limited_calls", o.rate_limited_calls, f);
    out += "}";
  }
  out += "}, \"services\": {";
  bool first_svc = true;
  for (const ServiceMetrics& m : svcs) {
    if (!first_svc) out += ", ";
    first_svc = false;
    out += internal::JsonString(m.service) + ": {";
    bool f = true;
    AppendField(out, "circuit_breaker_opens", m.circuit_breaker_opens, f);
    AppendField(out, "circuit_breaker_half_opens", m.circuit_breaker_half_opens, f);
    AppendField(out, "circuit_breaker_closes", m.circuit_breaker_closes, f);
    AppendField(out, "rejections", m.rejections, f);
    AppendField(out, "failures_recorded", m.failures_recorded, f);
    out += "}";
  }
  out += "}, \"rate_limiter\": {";
  bool first_lim = true;
  for (const LimiterMetrics& l : lims) {
    if (!first_lim) out += ", ";
    first_lim = false;
    out += internal::JsonString(l.bucket) + ": {";
    bool f = true;
    AppendField(out, "acquisitions", l.acquisitions, f);
    AppendField(out, "waits", l.waits, f);
    out += ", \"wait_seconds\": " + Seconds(l.wait_ns);
    AppendField(out, "deadline_failures", l.deadline_failures, f);
    AppendField(out, "rate_decreases", l.rate_decreases, f);
    out += "}";
  }
  out += "}}";
  return out;
}

std::string ResilienceMonitor::ToPrometheus(std::string_view prefix) const {
  const std::vector<OperationMetrics> ops = Operations();
  const std::vector<ServiceMetrics> svcs = Services();
  const std::vector<LimiterMetrics> lims = Limiters();
  std::string out;
  const std::string p(prefix);
  auto family = [&](std::string_view name, std::string_view help, auto&& rows) {
    out += "# HELP " + p + "_" + std::string(name) + " " + std::string(help) + "\n";
    out += "# TYPE " + p + "_" + std::string(name) + " counter\n";
    rows();
  };
  auto op_family = [&](std::string_view name, std::string_view help,
                       std::uint64_t OperationMetrics::*field) {
    family(name, help, [&] {
      for (const OperationMetrics& o : ops) {
        out += p + "_" + std::string(name) + "{operation=\"" +
               internal::PrometheusLabel(o.operation) + "\",service=\"" +
               internal::PrometheusLabel(o.service) + "\"} " + std::to_string(o.*field) + "\n";
      }
    });
  };
  auto svc_family = [&](std::string_view name, std::string_view help,
                        std::uint64_t ServiceMetrics::*field) {
    family(name, help, [&] {
      for (const ServiceMetrics& m : svcs) {
        out += p + "_" + std::string(name) + "{service=\"" + internal::PrometheusLabel(m.service) +
               "\"} " + std::to_string(m.*field) + "\n";
      }
    });
  };
  op_family("total_operations", "Calls that ended.", &OperationMetrics::total_operations);
  op_family("successful_operations", "Calls that succeeded.",
            &OperationMetrics::successful_operations);
  op_family("attempts", "Attempts sent to the service.", &OperationMetrics::attempts);
  op_family("retry_attempts", "Retries scheduled.", &OperationMetrics::retry_attempts);
  op_family("retry_successes", "Calls that succeeded after a retry.",
            &OperationMetrics::retry_successes);
  op_family("timeout_errors", "Calls that ended by their deadline.",
            &OperationMetrics::timeout_errors);
  op_family("rejected_calls", "Calls that ended on an open circuit.",
            &OperationMetrics::rejected_calls);
  op_family("throttled_attempts", "Attempts the service throttled.",
            &OperationMetrics::throttled_attempts);
  op_family("rate_limited_calls",
            "Calls ended by the rate limiter: no token before their deadline.",
            &OperationMetrics::rate_limited_calls);
  svc_family("circuit_breaker_opens", "Transitions to OPEN.",
             &ServiceMetrics::circuit_breaker_opens);
  svc_family("circuit_breaker_half_opens", "Transitions to HALF_OPEN.",
             &ServiceMetrics::circuit_breaker_half_opens);
  svc_family("circuit_breaker_closes", "Transitions to CLOSED.",
             &ServiceMetrics::circuit_breaker_closes);
  svc_family("circuit_breaker_rejections", "Attempts rejected by the breaker.",
             &ServiceMetrics::rejections);
  svc_family("circuit_breaker_failures", "Failures counted by the breaker.",
             &ServiceMetrics::failures_recorded);
  auto lim_family = [&](std::string_view name, std::string_view help, auto&& value) {
    family(name, help, [&] {
      for (const LimiterMetrics& l : lims) {
        out += p + "_" + std::string(name) + "{bucket=\"" + internal::PrometheusLabel(l.bucket) +
               "\"} " + value(l) + "\n";
      }
    });
  };
  auto count = [](std::uint64_t LimiterMetrics::*field) {
    return [field](const LimiterMetrics& l) { return std::to_string(l.*field); };
  };
  lim_family("rate_limiter_acquisitions", "Attempts that took rate-limiter tokens.",
             count(&LimiterMetrics::acquisitions));
  lim_family("rate_limiter_waits", "Attempts that waited for rate-limiter tokens.",
             count(&LimiterMetrics::waits));
  lim_family("rate_limiter_wait_seconds", "Time attempts waited for rate-limiter tokens.",
             [](const LimiterMetrics& l) { return Seconds(l.wait_ns); });
  lim_family("rate_limiter_deadline_failures",
             "Attempts that could not wait for tokens within their deadline.",
             count(&LimiterMetrics::deadline_failures));
  lim_family("rate_limiter_rate_decreases", "Throttles that lowered a bucket's rate.",
             count(&LimiterMetrics::rate_decreases));
  return out;
}

}  // namespace ohfp::resilience
