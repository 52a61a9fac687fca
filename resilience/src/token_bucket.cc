#include "ohfp/resilience/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace ohfp::resilience {
namespace {

// Token amounts within this of each other are equal (sums of rates x seconds are inexact).
constexpr double kEpsilon = 1e-9;
// The send rate is measured over half-second slots, as in the AWS SDKs.
constexpr std::int64_t kMeasureSlotNs = 500'000'000;

double Seconds(Duration d) noexcept { return ToSeconds(d); }

double MinRate(const TokenBucketOptions& o) noexcept {
  return std::min(kLimiterMinFillRate, o.refill_rate);
}

// The AWS SDKs' update_measured_rate, counting tokens when they are spent.
void Measure(LimiterRecord& r, double amount, SysTime now) noexcept {
  const std::int64_t ns = now.time_since_epoch().count();
  const std::int64_t floored = ns - ((ns % kMeasureSlotNs) + kMeasureSlotNs) % kMeasureSlotNs;
  const SysTime slot{Duration(floored)};
  r.measure_count += amount;
  if (!r.measure_start) {
    r.measure_start = slot;
    return;
  }
  if (slot <= *r.measure_start) return;
  const double sample = r.measure_count / Seconds(slot - *r.measure_start);
  r.measured_rate = sample * kLimiterSmooth + r.measured_rate * (1.0 - kLimiterSmooth);
  r.measure_count = 0.0;
  r.measure_start = slot;
}

}  // namespace

double CurrentRate(const LimiterRecord& r, const TokenBucketOptions& o) noexcept {
  return r.fill_rate > 0.0 ? std::min(r.fill_rate, o.refill_rate) : o.refill_rate;
}

double CurrentCapacity(const LimiterRecord& r, const TokenBucketOptions& o) noexcept {
  const double scaled = o.capacity * CurrentRate(r, o) / o.refill_rate;
  return std::max(std::min(kLimiterMinCapacity, o.capacity), scaled);
}

bool Recovering(const LimiterRecord& r, const TokenBucketOptions& o) noexcept {
  return r.fill_rate > 0.0 && r.fill_rate < o.refill_rate;
}

void Refill(LimiterRecord& r, const TokenBucketOptions& o, SysTime now) noexcept {
  const double capacity = CurrentCapacity(r, o);
  if (!r.updated) {
    r.tokens = capacity;
    r.updated = now;
    return;
  }
  const Duration elapsed = now - *r.updated;
  if (elapsed < Duration::zero()) {
    // Another host's clock is ahead, or ours stepped back: add nothing. A step back longer than a
    // full refill would freeze the bucket for that long: restart the timeline instead.
    const Duration full = FromSeconds(std::max(1.0, capacity / CurrentRate(r, o)));
    if (-elapsed > full) r.updated = now;
    return;
  }
  r.tokens = std::min(capacity, r.tokens + Seconds(elapsed) * CurrentRate(r, o));
  r.updated = now;
}

Duration WaitFor(const LimiterRecord& r, const TokenBucketOptions& o, double cost) noexcept {
  const double deficit = std::min(cost, o.capacity) - r.tokens;
  if (deficit <= kEpsilon) return Duration::zero();
  return FromSeconds(deficit / CurrentRate(r, o));
}

void Take(LimiterRecord& r, const TokenBucketOptions& o, double cost, SysTime now) noexcept {
  const double need = std::min(cost, o.capacity);
  r.tokens -= need;
  Measure(r, need, now);
}

void Return(LimiterRecord& r, const TokenBucketOptions& o, double cost) noexcept {
  const double need = std::min(cost, o.capacity);
  r.tokens = std::min(CurrentCapacity(r, o), r.tokens + need);
  r.measure_count = std::max(0.0, r.measure_count - need);
}

Duration Reserve(LimiterRecord& r, const TokenBucketOptions& o, double cost, SysTime now) noexcept {
  Refill(r, o, now);
  const Duration wait = WaitFor(r, o, cost);
  Take(r, o, cost, now);
  return wait;
}

std::optional<RateChange> OnThrottle(LimiterRecord& r, const TokenBucketOptions& o, SysTime now,
                                     SysTime reserved_at, bool adapt) noexcept {
  Refill(r, o, now);
  r.tokens = std::min(r.tokens, 0.0);  // the service's bucket is empty: ours must say so too
  if (!adapt) return std::nullopt;
  if (r.last_throttle && reserved_at <= *r.last_throttle) return std::nullopt;  // same event
  const double rate = CurrentRate(r, o);
  const double basis = r.measured_rate > 0.0 ? std::min(r.measured_rate, rate) : rate;
  const double lowered = std::max(MinRate(o), basis * kLimiterBeta);
  // At the floor (or a bucket too slow to adapt) there is nothing to lower: no new congestion
  // event, so the callers waiting in line keep their places (a recorded decrease would send each
  // of them to the back of the line when its wait ends, for a rate that did not change).
  if (std::abs(lowered - rate) <= kEpsilon) return std::nullopt;
  r.last_max_rate = basis;
  r.last_throttle = now;
  r.fill_rate = lowered >= o.refill_rate ? 0.0 : lowered;
  return RateChange{rate, CurrentRate(r, o)};
}

std::optional<RateChange> OnSuccess(LimiterRecord& r, const TokenBucketOptions& o,
                                    SysTime now) noexcept {
  if (!Recovering(r, o)) return std::nullopt;
  Refill(r, o, now);  // what was earned at the old rate
  const double rate = CurrentRate(r, o);
  double raised = o.refill_rate;
  if (r.last_throttle) {
    const double t = std::max(0.0, Seconds(now - *r.last_throttle));
    const double w = r.last_max_rate;
    const double k = std::cbrt(w * (1.0 - kLimiterBeta) / kLimiterScale);
    raised = kLimiterScale * std::pow(t - k, 3.0) + w;
  }
  raised = std::clamp(raised, rate, o.refill_rate);
  if (raised - rate <= kEpsilon) return std::nullopt;
  r.fill_rate = raised >= o.refill_rate - kEpsilon ? 0.0 : raised;
  return RateChange{rate, CurrentRate(r, o)};
}

void TokenBucket::Advance(MonoTime now) noexcept {
  if (now <= updated_) return;
  const double earned = Seconds(now - updated_) * (options_.refill_rate - background_rate_);
  tokens_ = std::clamp(tokens_ + earned, 0.0, options_.capacity);
  updated_ = now;
}

bool TokenBucket::TryTake(double cost, MonoTime now) noexcept {
  Advance(now);
  const double need = std::min(cost, options_.capacity);
  if (tokens_ + kEpsilon < need) return false;
  tokens_ = std::max(0.0, tokens_ - need);
  return true;
}

double TokenBucket::tokens(MonoTime now) noexcept {
  Advance(now);
  return tokens_;
}

}  // namespace ohfp::resilience
