// ohfp/resilience/deadline.h
//
// Deadline: a point in monotonic time by which an operation must finish, spanning all of its
// retries. Each attempt gets AttemptDeadline(per-attempt timeout) = min(now + per-attempt timeout,
// deadline), which the I/O layer turns into its own timeout (libcurl's CURLOPT_TIMEOUT_MS).
// Timeouts here are never signals.
//
// Thread-safety: a value type.
//
// Example:
//   Deadline d = Deadline::After(clock.Now(), std::chrono::seconds(180));
//   Duration left = d.Remaining(clock.Now());
//   Deadline attempt = d.Min(Deadline::After(clock.Now(), std::chrono::seconds(20)));
#pragma once

#include <algorithm>

#include "ohfp/resilience/clock.h"

namespace ohfp::resilience {

class Deadline {
 public:
  // No deadline at all.
  static constexpr Deadline Infinite() noexcept { return Deadline(MonoTime::max()); }
  static constexpr Deadline At(MonoTime when) noexcept { return Deadline(when); }
  // `now + timeout`, saturating; a zero or negative timeout means "already expired".
  static constexpr Deadline After(MonoTime now, Duration timeout) noexcept {
    if (timeout >= MonoTime::max() - now) return Infinite();
    return Deadline(now + timeout);
  }

  constexpr bool is_infinite() const noexcept { return when_ == MonoTime::max(); }
  constexpr MonoTime when() const noexcept { return when_; }
  constexpr bool Expired(MonoTime now) const noexcept { return now >= when_; }
  // Time left, never negative; Duration::max() for an infinite deadline.
  constexpr Duration Remaining(MonoTime now) const noexcept {
    if (is_infinite()) return Duration::max();
    return now >= when_ ? Duration::zero() : when_ - now;
  }
  constexpr Deadline Min(Deadline other) const noexcept {
    return Deadline(std::min(when_, other.when_));
  }

  friend constexpr bool operator==(Deadline a, Deadline b) noexcept { return a.when_ == b.when_; }

 private:
  constexpr explicit Deadline(MonoTime when) noexcept : when_(when) {}
  MonoTime when_;
};

}  // namespace ohfp::resilience
