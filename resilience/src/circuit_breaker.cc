#include "ohfp/resilience/circuit_breaker.h"

#include <array>
#include <limits>

#include "ohfp/resilience/timeout.h"

namespace ohfp::resilience {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

enum class Outcome { kSuccess, kFailure, kNeutral };

}  // namespace

// State changes made inside a store update, reported after it returns (never under a lock).
struct CircuitBreaker::Transitions {
  struct Item {
    CircuitState from;
    CircuitState to;
    std::uint32_t failure_count;
  };
  std::array<Item, 4> items{};
  int count = 0;
  SysTime at{};

  void Clear() noexcept { count = 0; }
  void Add(CircuitState from, CircuitState to, std::uint32_t failures) noexcept {
    if (count < static_cast<int>(items.size()))
      items[static_cast<std::size_t>(count++)] = {from, to, failures};
  }
};

namespace {

template <class T>
void MoveTo(BreakerRecord& r, CircuitState to, SysTime now, T& transitions) {
  if (r.state == to) return;
  transitions.Add(r.state, to, r.failure_count);
  r.state = to;
  r.state_changed_time = now;
  ++r.generation;
  r.half_open_probes = 0;
  r.window.clear();
  if (to == CircuitState::kClosed) r.failure_count = 0;  // the seed's _transition_to_closed
}

// The seed's _update_state: the time-based transitions, checked when a call arrives.
template <class T>
void UpdateState(BreakerRecord& r, const CircuitBreakerOptions& o, SysTime now, T& transitions) {
  if (r.override_mode != CircuitOverride::kNone) return;
  if (r.state == CircuitState::kOpen) {
    if (!r.last_failure_time) return;
    const Duration since_failure = now - *r.last_failure_time;
    // A wall clock stepped back by more than a reset period would otherwise hold the circuit open
    // that long.
    if (since_failure >= o.reset_timeout || since_failure < -o.reset_timeout) {
      MoveTo(r, CircuitState::kHalfOpen, now, transitions);
    }
  } else if (r.state == CircuitState::kHalfOpen) {
    if (now - r.state_changed_time >= o.half_open_timeout)
      MoveTo(r, CircuitState::kOpen, now, transitions);
  }
}

bool WindowTripped(const BreakerRecord& r, const CircuitBreakerOptions& o) {
  if (o.failure_rate_threshold <= 0) return false;
  const std::size_t calls = r.window.size();
  if (calls == 0 || calls < static_cast<std::size_t>(o.minimum_calls)) return false;
  std::size_t failures = 0;
  for (char c : r.window) failures += c == '1' ? 1U : 0U;
  return failures * 100 >= static_cast<std::size_t>(o.failure_rate_threshold) * calls;
}

void PushWindow(BreakerRecord& r, const CircuitBreakerOptions& o, bool failure) {
  if (o.failure_rate_threshold <= 0 || r.state != CircuitState::kClosed) return;
  r.window.push_back(failure ? '1' : '0');
  const auto size = static_cast<std::size_t>(o.sliding_window_size > 0 ? o.sliding_window_size : 1);
  if (r.window.size() > size) r.window.erase(0, r.window.size() - size);
}

std::int64_t Ns(SysTime t) noexcept { return t.time_since_epoch().count(); }

}  // namespace

std::string_view FailurePolicyName(FailurePolicy policy) noexcept {
  return policy == FailurePolicy::kAllErrors ? "all" : "service_errors";
}

std::optional<FailurePolicy> FailurePolicyFromName(std::string_view name) noexcept {
  if (name == "all") return FailurePolicy::kAllErrors;
  if (name == "service_errors") return FailurePolicy::kServiceErrors;
  return std::nullopt;
}

CircuitBreaker::CircuitBreaker(std::string service, CircuitBreakerOptions options,
                               StateStore& store, Clock& clock, ResilienceObserver* observer,
                               ServiceCounters* counters)
    : service_(std::move(service)),
      options_(options),
      store_(store),
      clock_(clock),
      observer_(observer),
      counters_(counters),
      shared_(store.shared()),
      track_every_outcome_(options.failure_rate_threshold > 0),
      times_calls_(options.slow_call_duration > Duration::zero()),
      plain_successes_(!track_every_outcome_ && !times_calls_) {}

Result<CircuitBreaker::Permit> CircuitBreaker::SlowAcquire() {
  const SysTime now = clock_.SystemNow();
  Transitions transitions;
  transitions.at = now;
  Permit permit;
  bool admitted = false;
  Result<BreakerRecord> stored = store_.UpdateBreaker(service_, [&](BreakerRecord& r) {
    transitions.Clear();
    permit = Permit{};
    const std::uint64_t generation = r.generation;
    const std::uint32_t probes = r.half_open_probes;
    UpdateState(r, options_, now, transitions);
    switch (r.override_mode) {
      case CircuitOverride::kForcedOpen:
        admitted = false;
        break;
      case CircuitOverride::kForcedClosed:
        admitted = true;
        permit.forced_ = true;
        break;
      case CircuitOverride::kNone:
        switch (r.state) {
          case CircuitState::kOpen:
            admitted = false;
            break;
          case CircuitState::kHalfOpen:
            admitted =
                options_.half_open_max_probes <= 0 ||
                r.half_open_probes < static_cast<std::uint32_t>(options_.half_open_max_probes);
            if (admitted && options_.half_open_max_probes > 0) {
              ++r.half_open_probes;
              permit.probe_ = true;
            }
            break;
          case CircuitState::kClosed:
            admitted = true;
            permit.clean_ = r.failure_count == 0;
            break;
        }
        break;
    }
    permit.generation_ = r.generation;
    return r.generation != generation || r.half_open_probes != probes;
  });
  if (!stored.ok()) {
    // The breaker protects the service; it must not become the outage. Let the call through,
    // uncounted.
    if (observer_ != nullptr) observer_->OnStoreError(service_, stored.error());
    Permit through;
    through.forced_ = true;
    return through;
  }
  Publish(*stored);
  Emit(transitions);
  if (!admitted) return Error(ErrorKind::kCircuitOpen);
  if (times_calls_) permit.started_ = clock_.Now();
  return permit;
}

void CircuitBreaker::RecordSuccess(const Permit& permit) {
  if (permit.forced_) return;
  if (times_calls_ && clock_.Now() - permit.started_ >= options_.slow_call_duration) {
    const Error slow(ErrorKind::kTimeout, "SlowCall",
                     "call slower than slow_call_duration (" +
                         FormatSeconds(options_.slow_call_duration) + " s)");
    Record(permit, &slow);
    return;
  }
  if (!track_every_outcome_) {
    if (permit.fast_ && !has_failures_.load(kRelaxed)) return;
    if (permit.clean_)
      return;  // shared store: the record had nothing to reset when this call was admitted
  }
  Record(permit, nullptr);
}

void CircuitBreaker::OnFailure(const Permit& permit, const Error& error) {
  if (permit.forced_) return;
  Record(permit, &error);
}

bool CircuitBreaker::CountsAsFailure(const Error& error) const noexcept {
  return options_.failure_policy == FailurePolicy::kAllErrors || IsServiceError(error.kind());
}

void CircuitBreaker::Record(const Permit& permit, const Error* error) {
  Outcome outcome = Outcome::kSuccess;
  if (error != nullptr) {
    if (error->kind() == ErrorKind::kCancelled || error->kind() == ErrorKind::kCircuitOpen) {
      outcome = Outcome::kNeutral;
    } else if (CountsAsFailure(*error)) {
      outcome = Outcome::kFailure;
    }
  }
  const SysTime now = clock_.SystemNow();
  Transitions transitions;
  transitions.at = now;
  Result<BreakerRecord> stored = store_.UpdateBreaker(service_, [&](BreakerRecord& r) {
    transitions.Clear();
    if (r.override_mode != CircuitOverride::kNone)
      return false;  // overridden since acquisition: count nothing
    bool changed = false;
    if (permit.probe_ && permit.generation_ == r.generation && r.half_open_probes > 0) {
      --r.half_open_probes;
      changed = true;
    }
    switch (outcome) {
      case Outcome::kNeutral:
        break;
      case Outcome::kSuccess:  // the seed's _record_success
        if (r.failure_count != 0 || r.state == CircuitState::kHalfOpen || track_every_outcome_) {
          r.failure_count = 0;
          r.last_success_time = now;
          PushWindow(r, options_, false);
          if (r.state == CircuitState::kHalfOpen)
            MoveTo(r, CircuitState::kClosed, now, transitions);
          changed = true;
        }
        break;
      case Outcome::kFailure:  // the seed's _record_failure
        ++r.failure_count;
        r.last_failure_time = now;
        PushWindow(r, options_, true);
        if (r.state == CircuitState::kClosed &&
            (r.failure_count >= static_cast<std::uint32_t>(options_.failure_threshold) ||
             WindowTripped(r, options_))) {
          MoveTo(r, CircuitState::kOpen, now, transitions);
        } else if (r.state == CircuitState::kHalfOpen) {
          MoveTo(r, CircuitState::kOpen, now, transitions);
        }
        changed = true;
        break;
    }
    return changed;
  });
  if (!stored.ok()) {
    if (observer_ != nullptr) observer_->OnStoreError(service_, stored.error());
    return;
  }
  Publish(*stored);
  if (outcome == Outcome::kFailure) {
    if (counters_ != nullptr) counters_->failures_recorded.fetch_add(1, kRelaxed);
    if (observer_ != nullptr) {
      observer_->OnCircuitFailure(CircuitFailureEvent{service_, *error, stored->failure_count,
                                                      options_.failure_threshold, stored->state});
    }
  }
  Emit(transitions);
}

void CircuitBreaker::Publish(const BreakerRecord& record) {
  std::lock_guard lock(publish_mu_);
  if (record.version < published_version_) return;  // a newer view is already published
  published_version_ = record.version;
  last_state_.store(static_cast<std::uint8_t>(record.state), kRelaxed);
  has_failures_.store(record.failure_count > 0, kRelaxed);
  std::uint8_t fast = kFastSlow;
  if (!shared_) {
    if (record.override_mode == CircuitOverride::kForcedOpen) {
      reject_until_ns_.store(std::numeric_limits<std::int64_t>::max(), kRelaxed);
      fast = kFastOpen;
    } else if (record.override_mode == CircuitOverride::kNone) {
      if (record.state == CircuitState::kClosed) {
        fast = kFastClosed;
      } else if (record.state == CircuitState::kOpen && record.last_failure_time) {
        reject_until_ns_.store(Ns(*record.last_failure_time + options_.reset_timeout), kRelaxed);
        fast = kFastOpen;
      }
    }
  }
  fast_state_.store(fast, std::memory_order_release);
}

void CircuitBreaker::Emit(const Transitions& transitions) {
  for (int i = 0; i < transitions.count; ++i) {
    const auto& t = transitions.items[static_cast<std::size_t>(i)];
    if (counters_ != nullptr) {
      switch (t.to) {
        case CircuitState::kOpen:
          counters_->circuit_breaker_opens.fetch_add(1, kRelaxed);
          break;
        case CircuitState::kHalfOpen:
          counters_->circuit_breaker_half_opens.fetch_add(1, kRelaxed);
          break;
        case CircuitState::kClosed:
          counters_->circuit_breaker_closes.fetch_add(1, kRelaxed);
          break;
      }
    }
    if (observer_ != nullptr) {
      observer_->OnCircuitStateChange(
          CircuitStateChange{service_, t.from, t.to, transitions.at, t.failure_count});
    }
  }
}

CircuitState CircuitBreaker::state() const noexcept {
  return static_cast<CircuitState>(last_state_.load(kRelaxed));
}

Result<BreakerRecord> CircuitBreaker::Snapshot() const { return store_.ReadBreaker(service_); }

Duration CircuitBreaker::TimeUntilHalfOpen() const {
  Result<BreakerRecord> record = store_.ReadBreaker(service_);
  if (!record.ok()) return Duration::zero();
  if (record->override_mode == CircuitOverride::kForcedOpen) return Duration::max();
  if (record->override_mode != CircuitOverride::kNone || record->state != CircuitState::kOpen ||
      !record->last_failure_time) {
    return Duration::zero();
  }
  const Duration left = *record->last_failure_time + options_.reset_timeout - clock_.SystemNow();
  return left > Duration::zero() ? left : Duration::zero();
}

Status CircuitBreaker::ApplyOverride(CircuitOverride mode) {
  const SysTime now = clock_.SystemNow();
  Transitions transitions;
  transitions.at = now;
  Result<BreakerRecord> stored = store_.UpdateBreaker(service_, [&](BreakerRecord& r) {
    transitions.Clear();
    r.override_mode = mode;
    switch (mode) {
      case CircuitOverride::kForcedOpen:
        MoveTo(r, CircuitState::kOpen, now, transitions);
        break;
      case CircuitOverride::kForcedClosed:
        MoveTo(r, CircuitState::kClosed, now, transitions);
        break;
      case CircuitOverride::kNone:
        MoveTo(r, CircuitState::kClosed, now, transitions);
        r.failure_count = 0;
        r.half_open_probes = 0;
        r.last_failure_time.reset();
        r.window.clear();
        break;
    }
    return true;
  });
  if (!stored.ok()) return stored.error();
  Publish(*stored);
  Emit(transitions);
  return OkStatus();
}

Status CircuitBreaker::ForceOpen() { return ApplyOverride(CircuitOverride::kForcedOpen); }
Status CircuitBreaker::ForceClosed() { return ApplyOverride(CircuitOverride::kForcedClosed); }
Status CircuitBreaker::Reset() { return ApplyOverride(CircuitOverride::kNone); }

}  // namespace ohfp::resilience
