#include "ohfp/resilience/simulation.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <queue>

#include "ohfp/resilience/classifier.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::resilience {
namespace {

// The error an attempt outcome stands for; nullopt for "ok".
std::optional<Error> OutcomeError(std::string_view outcome) {
  if (outcome == "ok") return std::nullopt;
  if (outcome == "connection_error") {
    return Error(ErrorKind::kTransient, "connection_error", "connection refused or reset");
  }
  if (outcome.starts_with("http_")) {
    int status = 0;
    const std::string_view digits = outcome.substr(5);
    std::from_chars(digits.data(), digits.data() + digits.size(), status);
    return Error(ErrorClassifier::KindOf("", status), std::string(outcome),
                 "HTTP " + std::string(digits))
        .WithHttpStatus(status);
  }
  return Error(ErrorClassifier::KindOf(outcome, 0), std::string(outcome), "");
}

// Turns pipeline events into SimEvents with virtual times.
class EventRecorder final : public ResilienceObserver {
 public:
  EventRecorder(FunctionRef<void(const SimEvent&)> sink, const ManualClock& clock, MonoTime origin,
                SysTime wall_origin)
      : sink_(sink), clock_(clock), origin_(origin), wall_origin_(wall_origin) {}

  void OnAttempt(const AttemptEvent& e) override {
    SimEvent s = Base(SimEvent::Type::kAttempt, e.call_id, e.operation, e.service);
    s.at = e.finished - origin_;
    s.attempt = e.attempt;
    s.started = e.started - origin_;
    s.outcome = e.error == nullptr ? "ok" : std::string(e.error->code());
    Send(s);
  }
  void OnRetry(const RetryEvent& e) override {
    SimEvent s = Base(SimEvent::Type::kRetry, e.call_id, e.operation, e.service);
    s.attempt = e.attempt;
    s.delay = e.delay;
    Send(s);
  }
  void OnCircuitStateChange(const CircuitStateChange& e) override {
    SimEvent s;
    s.type = SimEvent::Type::kCircuit;
    s.at = e.at - wall_origin_;
    s.service = std::string(e.service);
    s.from = e.from;
    s.to = e.to;
    if (e.to == CircuitState::kOpen) ++openings_;
    Send(s);
  }
  void OnRejected(const RejectedEvent& e) override {
    ++rejected_;
    Send(Base(SimEvent::Type::kRejected, e.call_id, e.operation, e.service));
  }
  void OnTimeout(const TimeoutEvent& e) override {
    SimEvent s = Base(SimEvent::Type::kTimeout, e.call_id, e.operation, e.service);
    s.attempts = e.attempts;
    Send(s);
  }
  void OnRateLimitWait(const RateLimitWaitEvent& e) override {
    SimEvent s = Base(SimEvent::Type::kWait, e.call_id, e.operation, e.service);
    s.attempt = e.attempt;
    s.bucket = std::string(e.bucket);
    s.delay = e.wait;
    ++waits_;
    wait_ += e.wait;
    Send(s);
  }
  void OnRateChange(const RateChangeEvent& e) override {
    SimEvent s;
    s.type = SimEvent::Type::kRate;
    s.at = clock_.Now() - origin_;
    s.bucket = std::string(e.bucket);
    s.rate_from = e.from;
    s.rate_to = e.to;
    s.lowered = e.lowered;
    Send(s);
  }
  void OnResult(const ResultEvent& e) override {
    SimEvent s = Base(SimEvent::Type::kResult, e.call_id, e.operation, e.service);
    s.ok = e.error == nullptr;
    s.error = e.error == nullptr ? "" : std::string(e.error->code());
    s.attempts = e.attempts;
    if (s.ok) {
      ++succeeded_;
      last_success_ = s.at;
    } else {
      ++failed_;
    }
    Send(s);
  }

  std::uint64_t succeeded() const { return succeeded_; }
  std::uint64_t failed() const { return failed_; }
  std::uint64_t openings() const { return openings_; }
  std::uint64_t rejected() const { return rejected_; }
  std::uint64_t waits() const { return waits_; }
  Duration wait() const { return wait_; }
  std::optional<Duration> last_success() const { return last_success_; }
  Duration end() const { return end_; }

 private:
  SimEvent Base(SimEvent::Type type, std::uint64_t call, std::string_view operation,
                std::string_view service) {
    SimEvent s;
    s.type = type;
    s.at = clock_.Now() - origin_;
    s.call = static_cast<std::int64_t>(call);
    s.operation = std::string(operation);
    s.service = std::string(service);
    return s;
  }
  void Send(const SimEvent& s) {
    end_ = std::max(end_, s.at);
    sink_(s);
  }

  FunctionRef<void(const SimEvent&)> sink_;
  const ManualClock& clock_;
  MonoTime origin_;
  SysTime wall_origin_;
  std::uint64_t succeeded_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t openings_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t waits_ = 0;
  Duration wait_{};
  std::optional<Duration> last_success_;
  Duration end_{};
};

struct Scheduled {
  enum class Kind { kStart, kAttemptEnd, kWaitEnd };
  MonoTime at;
  std::uint64_t seq;
  std::size_t call;
  Kind kind;

  bool operator>(const Scheduled& other) const {
    return at != other.at ? at > other.at : seq > other.seq;
  }
};

struct CallState {
  std::string service;
  std::unique_ptr<PipelineCall> call;
  std::optional<Error> pending;  // the outcome of the attempt in flight (nullopt: success)
};

}  // namespace

// The service's buckets on virtual time.
class ServerModel {
 public:
  ServerModel(const SimServer& server, MonoTime start) : server_(server) {
    for (const auto& [name, b] : server.buckets) {
      buckets_.emplace(name, TokenBucket(b.options, start, b.background_rate));
    }
  }

  // True when the attempt may pass (and its tokens are taken); false: throttled, nothing taken.
  bool Admit(std::string_view operation, std::uint32_t resources, MonoTime now) {
    auto op = server_.operations.find(operation);
    if (op == server_.operations.end()) return true;
    const double n = static_cast<double>(resources);
    bool enough = true;
    auto check = [&](const std::vector<std::string>& names, double cost) {
      for (const std::string& name : names) {
        if (TokenBucket* b = Find(name)) {
          enough = enough && b->tokens(now) + 1e-9 >= std::min(cost, b->options().capacity);
        }
      }
    };
    check(op->second.buckets, 1.0);
    check(op->second.resource_buckets, n);
    if (!enough) return false;
    for (const std::string& name : op->second.buckets) {
      if (TokenBucket* b = Find(name)) (void)b->TryTake(1.0, now);
    }
    for (const std::string& name : op->second.resource_buckets) {
      if (TokenBucket* b = Find(name)) (void)b->TryTake(n, now);
    }
    return true;
  }

 private:
  TokenBucket* Find(const std::string& name) {
    auto it = buckets_.find(name);
    return it == buckets_.end() ? nullptr : &it->second;
  }

  const SimServer& server_;
  std::map<std::string, TokenBucket, std::less<>> buckets_;
};

Result<SimReport> Simulator::Run(std::span<const SimCall> calls, std::span<const SimFault> faults,
                                 const SimServer& server, FunctionRef<void(const SimEvent&)> sink) {
  for (const auto& [name, op] : server.operations) {
    for (const auto* list : {&op.buckets, &op.resource_buckets}) {
      for (const std::string& bucket : *list) {
        if (!server.buckets.contains(bucket)) {
          return Error(ErrorKind::kValidation, "invalid_server",
                       "server operation \"" + name + "\": no bucket \"" + bucket + "\"");
        }
      }
    }
  }
  std::vector<CallState> states(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const SimCall& c = calls[i];
    if (c.operation.empty()) {
      return Error(ErrorKind::kValidation, "invalid_trace",
                   "call " + std::to_string(i) + ": no operation");
    }
    if (c.at < Duration::zero()) {
      return Error(ErrorKind::kValidation, "invalid_trace",
                   "call " + std::to_string(i) + ": negative start time");
    }
    if (!c.service.empty()) {
      states[i].service = c.service;
    } else if (auto svc = config_.ServiceFor(c.operation)) {
      states[i].service = std::string(*svc);
    } else {
      return Error(ErrorKind::kValidation, "invalid_trace",
                   "call " + std::to_string(i) + ": operation \"" + c.operation +
                       "\" belongs to no service of the configuration, so the call needs a "
                       "\"service\"");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (calls[j].operation == c.operation && states[j].service != states[i].service) {
        return Error(ErrorKind::kValidation, "invalid_trace",
                     "call " + std::to_string(i) + ": operation \"" + c.operation +
                         "\" has service \"" + states[i].service + "\" but call " +
                         std::to_string(j) + " gave it \"" + states[j].service +
                         "\"; an operation belongs to one service");
      }
    }
    for (const SimAttempt& a : c.attempts) {
      if (a.latency < Duration::zero()) {
        return Error(ErrorKind::kValidation, "invalid_trace",
                     "call " + std::to_string(i) + ": negative latency");
      }
    }
  }

  ManualClock clock;
  SeededRandom random(seed_);
  InMemoryStateStore store;
  ResilienceMonitor monitor;
  const MonoTime origin = clock.Now();
  EventRecorder recorder(sink, clock, origin, clock.SystemNow());
  ResiliencePipeline pipeline(config_, {clock, random, store, &recorder, &monitor});
  ServerModel service(server, origin);
  std::uint64_t throttled = 0;

  std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>> queue;
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    queue.push({origin + calls[i].at, seq++, i, Scheduled::Kind::kStart});
  }

  auto resolve = [&](std::size_t i, int attempt, Duration now) -> SimAttempt {
    const SimCall& c = calls[i];
    if (!c.attempts.empty()) {
      return c.attempts[std::min(static_cast<std::size_t>(attempt - 1), c.attempts.size() - 1)];
    }
    for (const SimFault& f : faults) {
      if (!f.service.empty() && f.service != states[i].service) continue;
      if (!f.operation.empty() && f.operation != c.operation) continue;
      if (now < f.from || now >= f.until) continue;
      const bool hit = f.probability >= 1.0 || random.NextDouble() < f.probability;
      return SimAttempt{hit ? f.outcome : "ok", f.latency};
    }
    return SimAttempt{};
  };

  auto handle = [&](std::size_t i, PipelineCall::Step step) {
    const MonoTime now = clock.Now();
    switch (step.kind) {
      case PipelineCall::StepKind::kAttempt: {
        SimAttempt a = resolve(i, step.attempt, now - origin);
        if (!service.Admit(calls[i].operation, calls[i].resources, now)) {
          a.outcome = server.throttle_code;  // over the service's limit: throttled, nothing taken
          ++throttled;
        }
        const Duration left = step.deadline.Remaining(now);
        if (a.outcome == "hang" || a.latency >= left) {
          // The deadline passes during the attempt: it fails as a timeout, at the deadline.
          states[i].pending =
              Error(ErrorKind::kTimeout, "timeout", "no answer before the attempt's deadline");
          queue.push({step.deadline.when(), seq++, i, Scheduled::Kind::kAttemptEnd});
        } else {
          states[i].pending = OutcomeError(a.outcome);
          queue.push({now + a.latency, seq++, i, Scheduled::Kind::kAttemptEnd});
        }
        break;
      }
      case PipelineCall::StepKind::kWait:
        queue.push({now + step.wait, seq++, i, Scheduled::Kind::kWaitEnd});
        break;
      case PipelineCall::StepKind::kDone:
        break;
    }
  };

  while (!queue.empty()) {
    const Scheduled e = queue.top();
    queue.pop();
    clock.AdvanceTo(e.at);
    CallState& st = states[e.call];
    switch (e.kind) {
      case Scheduled::Kind::kStart: {
        const Operation& op = pipeline.operation(calls[e.call].operation, st.service);
        st.call = std::make_unique<PipelineCall>(pipeline, op, e.call, calls[e.call].resources);
        handle(e.call, st.call->Start());
        break;
      }
      case Scheduled::Kind::kAttemptEnd:
        handle(e.call,
               st.pending ? st.call->AttemptFailed(*st.pending) : st.call->AttemptSucceeded());
        break;
      case Scheduled::Kind::kWaitEnd:
        handle(e.call, st.call->WaitFinished());
        break;
    }
  }

  SimReport report;
  report.summary = monitor.GetMetricsSummary();
  report.calls = calls.size();
  report.succeeded = recorder.succeeded();
  report.failed = recorder.failed();
  report.attempts = report.summary.attempts;
  report.retries = report.summary.retry_attempts;
  report.breaker_openings = recorder.openings();
  report.rejected = recorder.rejected();
  report.throttled = throttled;
  report.rate_limiter_waits = recorder.waits();
  report.rate_limiter_wait = recorder.wait();
  report.rate_limited_calls = report.summary.rate_limited_calls;
  report.rate_decreases = report.summary.rate_decreases;
  report.last_success_at = recorder.last_success();
  report.end = recorder.end();
  return report;
}

}  // namespace ohfp::resilience
