#include "ohfp/resilience/rate_limiter.h"

#include <algorithm>
#include <array>

namespace ohfp::resilience {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

using Records = std::array<LimiterRecord, kMaxBucketsPerOperation>;

std::uint64_t Nanoseconds(Duration d) noexcept {
  return d > Duration::zero() ? static_cast<std::uint64_t>(d.count()) : 0;
}

}  // namespace

std::optional<TokenBucketOptions> RateLimiterConfig::Bucket(std::string_view name) const {
  auto it = buckets.find(name);
  if (it == buckets.end()) return std::nullopt;
  return TokenBucketOptions{.capacity = it->second.capacity * scale,
                            .refill_rate = it->second.refill_rate * scale};
}

RateLimiter::RateLimiter(RateLimiterConfig config, StateStore& store, Clock& clock,
                         ResilienceObserver* observer, ResilienceMonitor* monitor)
    : config_(std::move(config)),
      store_(store),
      clock_(clock),
      observer_(observer),
      monitor_(monitor) {}

RateLimiter::Plan RateLimiter::PlanFor(std::string_view operation) {
  Plan plan;
  if (!config_.enabled) return plan;
  auto it = config_.operations.find(operation);
  if (it == config_.operations.end()) return plan;
  auto add = [&](const std::string& name, bool per_resource) {
    const std::optional<TokenBucketOptions> options = config_.Bucket(name);
    if (!options || plan.entries_.size() >= kMaxBucketsPerOperation) return;  // Validate() says
    plan.entries_.push_back(
        {name, *options, per_resource, monitor_ != nullptr ? &monitor_->Limiter(name) : nullptr});
    plan.keys_.push_back(config_.scope.empty() ? name : config_.scope + "/" + name);
  };
  for (const std::string& name : it->second.buckets) add(name, false);
  for (const std::string& name : it->second.resource_buckets) add(name, true);
  return plan;
}

RateLimiter::Grant RateLimiter::Acquire(const Plan& plan, std::uint32_t resources, Duration limit) {
  return Decide(plan, resources, limit, nullptr);
}

RateLimiter::Grant RateLimiter::Recheck(const Plan& plan, const Grant& previous,
                                        std::uint32_t resources, Duration limit) {
  Grant unchanged = previous;
  unchanged.wait = Duration::zero();
  if (plan.empty() || previous.wait <= Duration::zero()) return unchanged;
  return Decide(plan, resources, limit, &previous);
}

RateLimiter::Grant RateLimiter::Decide(const Plan& plan, std::uint32_t resources, Duration limit,
                                       const Grant* previous) {
  Grant grant;
  if (plan.empty()) return grant;
  const SysTime now = clock_.SystemNow();
  const std::size_t n = plan.size();
  auto cost = [&](const Plan::Entry& e) {
    return e.per_resource ? static_cast<double>(resources) : 1.0;
  };
  bool stale = previous == nullptr;
  Records records;
  Status stored = store_.UpdateLimiters(
      plan.keys_, std::span<LimiterRecord>(records.data(), n), [&](std::span<LimiterRecord> r) {
        grant = Grant{};
        if (previous != nullptr) {
          // A rate lowered since the reservation applies to callers still waiting: they give
          // their tokens back and take a place at the new rate.
          stale = false;
          for (std::size_t i = 0; i < n; ++i) {
            stale = stale || (r[i].last_throttle && *r[i].last_throttle > previous->reserved_at);
          }
          if (!stale) return false;
          for (std::size_t i = 0; i < n; ++i) {
            Refill(r[i], plan.entries_[i].options, now);
            Return(r[i], plan.entries_[i].options, cost(plan.entries_[i]));
          }
        }
        for (std::size_t i = 0; i < n; ++i) {
          const Plan::Entry& e = plan.entries_[i];
          Refill(r[i], e.options, now);
          const Duration wait = WaitFor(r[i], e.options, cost(e));
          if (wait > grant.wait) {
            grant.wait = wait;
            grant.bucket = i;
          }
          grant.recovering = grant.recovering || Recovering(r[i], e.options);
        }
        if (grant.wait > Duration::zero() && grant.wait >= limit) {
          grant.granted = false;
          return previous != nullptr;  // a first ask reserves nothing; a recheck gives back
        }
        for (std::size_t i = 0; i < n; ++i)
          Take(r[i], plan.entries_[i].options, cost(plan.entries_[i]), now);
        return true;
      });
  if (!stored.ok()) {
    StoreFailed(plan, stored.error());
    return Grant{.granted = true, .reserved_at = now};
  }
  if (!stale) {  // a recheck with nothing to change
    Grant unchanged = *previous;
    unchanged.wait = Duration::zero();
    return unchanged;
  }
  grant.reserved_at = now;
  if (LimiterCounters* c = plan.entries_[grant.bucket].counters) {
    if (!grant.granted) {
      c->deadline_failures.fetch_add(1, kRelaxed);
    } else if (grant.wait > Duration::zero()) {
      c->waits.fetch_add(1, kRelaxed);
      c->wait_ns.fetch_add(Nanoseconds(grant.wait), kRelaxed);
    }
  }
  if (grant.granted && previous == nullptr) {
    for (const Plan::Entry& e : plan.entries_) {
      if (e.counters != nullptr) e.counters->acquisitions.fetch_add(1, kRelaxed);
    }
  }
  return grant;
}

void RateLimiter::OnThrottled(const Plan& plan, const Grant& grant) {
  if (plan.empty()) return;
  const SysTime now = clock_.SystemNow();
  const std::size_t n = plan.size();
  Records records;
  std::size_t short_one = 0;
  std::optional<RateChange> change;
  Status stored = store_.UpdateLimiters(
      plan.keys_, std::span<LimiterRecord>(records.data(), n), [&](std::span<LimiterRecord> r) {
        // The answer does not say which bucket was short: take the one closest to empty (the
        // lowest share of its capacity), e.g. RunInstances' 5 requests rather than its 1000
        // instances, unless a launch took most of the instances.
        double lowest = 0;
        for (std::size_t i = 0; i < n; ++i) {
          const TokenBucketOptions& o = plan.entries_[i].options;
          Refill(r[i], o, now);
          const double share = r[i].tokens / CurrentCapacity(r[i], o);
          if (i == 0 || share < lowest) {
            lowest = share;
            short_one = i;
          }
        }
        change = ::ohfp::resilience::OnThrottle(r[short_one], plan.entries_[short_one].options, now,
                                                grant.reserved_at, config_.adaptive);
        return true;
      });
  if (!stored.ok()) {
    StoreFailed(plan, stored.error());
    return;
  }
  if (!change) return;
  if (LimiterCounters* c = plan.entries_[short_one].counters) {
    c->rate_decreases.fetch_add(1, kRelaxed);
  }
  Report(plan, short_one, *change, true);
}

void RateLimiter::OnSuccess(const Plan& plan, const Grant& grant) {
  if (plan.empty() || !grant.recovering || !config_.adaptive) return;
  const SysTime now = clock_.SystemNow();
  const std::size_t n = plan.size();
  Records records;
  std::array<std::optional<RateChange>, kMaxBucketsPerOperation> changes{};
  Status stored = store_.UpdateLimiters(
      plan.keys_, std::span<LimiterRecord>(records.data(), n), [&](std::span<LimiterRecord> r) {
        bool changed = false;
        for (std::size_t i = 0; i < n; ++i) {
          changes[i] = ::ohfp::resilience::OnSuccess(r[i], plan.entries_[i].options, now);
          changed = changed || changes[i].has_value();
        }
        return changed;
      });
  if (!stored.ok()) {
    StoreFailed(plan, stored.error());
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    // Only the return to the configured rate is reported; the steps on the way are not.
    if (changes[i] && !Recovering(records[i], plan.entries_[i].options)) {
      Report(plan, i, *changes[i], false);
    }
  }
}

void RateLimiter::StoreFailed(const Plan& plan, const Error& error) {
  if (observer_ == nullptr || store_error_reported_.exchange(true, kRelaxed)) return;
  observer_->OnStoreError(plan.keys_.front(), error);
}

void RateLimiter::Report(const Plan& plan, std::size_t i, const RateChange& change, bool lowered) {
  if (observer_ == nullptr) return;
  observer_->OnRateChange({plan.entries_[i].name, plan.keys_[i], change.from, change.to, lowered});
}

}  // namespace ohfp::resilience
