#include "ohfp/resilience/manual_clock.h"

namespace ohfp::resilience {

bool ManualClock::SleepFor(Duration duration, std::stop_token stop) {
  if (stop.stop_requested()) return false;
  {
    std::lock_guard lock(mu_);
    sleeps_.push_back(duration);
  }
  Advance(duration);
  return true;
}

void ManualClock::Advance(Duration duration) noexcept {
  if (duration > Duration::zero())
    elapsed_ns_.fetch_add(duration.count(), std::memory_order_acq_rel);
}

void ManualClock::AdvanceTo(MonoTime when) noexcept {
  const std::int64_t target = when.time_since_epoch().count();
  std::int64_t current = elapsed_ns_.load(std::memory_order_acquire);
  while (current < target &&
         !elapsed_ns_.compare_exchange_weak(current, target, std::memory_order_acq_rel)) {
  }
}

std::vector<Duration> ManualClock::sleeps() const {
  std::lock_guard lock(mu_);
  return sleeps_;
}

}  // namespace ohfp::resilience
