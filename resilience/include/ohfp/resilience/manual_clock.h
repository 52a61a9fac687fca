// ohfp/resilience/manual_clock.h
//
// ManualClock: a Clock that moves only when told to. Tests and the simulator run on it, so nothing
// sleeps for real and every timing is exact. SleepFor() advances the clock by the requested
// duration (and records it) instead of waiting, which makes single-threaded retry loops run
// instantly and deterministically.
//
// The monotonic and wall clocks move together; the wall clock starts at `wall_start` (default
// 2026-01-01T00:00:00Z) and the monotonic clock at an arbitrary fixed point.
//
// Thread-safety: all methods are safe from any thread.
//
// Example:
//   ManualClock clock;
//   MonoTime t0 = clock.Now();
//   clock.Advance(std::chrono::seconds(30));   // clock.Now() - t0 == 30s
//   clock.SleepFor(2s, {});                    // returns at once; clock advanced by 2s;
//                                              // sleeps() == {2s}
#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include "ohfp/resilience/clock.h"

namespace ohfp::resilience {

class ManualClock final : public Clock {
 public:
  static constexpr SysTime kDefaultWallStart{
      std::chrono::seconds(1767225600)};  // 2026-01-01T00:00:00Z

  explicit ManualClock(SysTime wall_start = kDefaultWallStart) noexcept
      : wall_offset_ns_(wall_start.time_since_epoch().count()) {}

  MonoTime Now() const noexcept override {
    return MonoTime(Duration(elapsed_ns_.load(std::memory_order_acquire)));
  }
  SysTime SystemNow() const noexcept override {
    return SysTime(Duration(wall_offset_ns_ + elapsed_ns_.load(std::memory_order_acquire)));
  }
  // Advances the clock by `duration` (if positive) and records it; returns false if `stop` was
  // already requested.
  bool SleepFor(Duration duration, std::stop_token stop) override;

  void Advance(Duration duration) noexcept;
  // Moves the clock to `when` if that is later than now.
  void AdvanceTo(MonoTime when) noexcept;
  // Moves the wall clock alone (a clock step: NTP correcting a skewed clock).
  void StepWallClock(Duration delta) noexcept {
    wall_offset_ns_.fetch_add(delta.count(), std::memory_order_acq_rel);
  }

  // Every SleepFor() duration so far, in order.
  std::vector<Duration> sleeps() const;

 private:
  std::atomic<std::int64_t> elapsed_ns_{0};
  std::atomic<std::int64_t> wall_offset_ns_;
  mutable std::mutex mu_;
  std::vector<Duration> sleeps_;
};

}  // namespace ohfp::resilience
