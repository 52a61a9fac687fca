// ohfp/resilience/clock.h
//
// Time as the library sees it. Every component takes a Clock& instead of reading the real clock, so
// tests and the simulator can run on a ManualClock (see manual_clock.h) and never sleep for real.
//
//  - Now()        monotonic time, for deadlines, backoff and latency.
//  - SystemNow()  wall time, for state that outlives the process (circuit breaker records in a
//                 shared store), SigV4 timestamps and logs.
//  - SleepFor()   the one way to wait; returns early (false) when the stop token is triggered.
//
// SystemClock is the real implementation and the only code in the library that reads the real clock
// or sleeps. By default it reads the kernel's coarse clocks (resolution of one tick, 1-4 ms, at
// ~5 ns a read instead of ~25 ns): deadlines and breaker timers are set in seconds, so ticks are
// ample, and the circuit breaker's rejection path reads the clock on every call. Pass
// Resolution::kPrecise where nanoseconds matter.
//
// Thread-safety: Clock implementations must be safe to call from any thread.
//
// Example:
//   SystemClock clock;
//   MonoTime deadline = clock.Now() + std::chrono::seconds(30);
//   if (!clock.SleepFor(std::chrono::milliseconds(200), stop_token))
//     return Error(ErrorKind::kCancelled);
#pragma once

#include <chrono>
#include <stop_token>

namespace ohfp::resilience {

using Duration = std::chrono::nanoseconds;
using MonoTime = std::chrono::steady_clock::time_point;
using SysTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime Now() const noexcept = 0;
  virtual SysTime SystemNow() const noexcept = 0;
  // Waits for `duration` (nothing for zero or negative). Returns false if `stop` was requested
  // before the end.
  virtual bool SleepFor(Duration duration, std::stop_token stop) = 0;
};

class SystemClock final : public Clock {
 public:
  enum class Resolution { kCoarse, kPrecise };
  explicit SystemClock(Resolution resolution = Resolution::kCoarse) noexcept
      : resolution_(resolution) {}

  MonoTime Now() const noexcept override;
  SysTime SystemNow() const noexcept override;
  bool SleepFor(Duration duration, std::stop_token stop) override;

 private:
  Resolution resolution_;
};

// Seconds as a double, for JSON and logs only ("delay": 2.0). Never use doubles for time inside the
// library.
constexpr double ToSeconds(Duration d) noexcept { return std::chrono::duration<double>(d).count(); }
// The inverse, rounding to the nearest nanosecond.
constexpr Duration FromSeconds(double seconds) noexcept {
  return std::chrono::round<Duration>(std::chrono::duration<double>(seconds));
}

}  // namespace ohfp::resilience
