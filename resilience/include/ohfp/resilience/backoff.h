// ohfp/resilience/backoff.h
//
// Backoff: the delay before retry number n, as a pure function of the options, the attempt index,
// the previous delay (for decorrelated jitter) and one random draw. Deciding the delay is separate
// from waiting for it.
//
// The un-jittered delay is the seed's: min(base_delay * exponential_base^attempt, max_delay),
// attempt 0-based. Jitter modes:
//   kNone          d
//   kSeed          d + d * 0.1 * u  (the seed's ExponentialBackoffStrategy; "jitter": true)
//                  Note: applied after the cap, exactly as the seed's code, so it can reach
//                  1.1 * max_delay.
//   kFull          d * u  (AWS SDK standard mode; "Exponential Backoff And Jitter")
//   kEqual         d / 2 + (d / 2) * u
//   kDecorrelated  min(max_delay, base + (3 * previous - base) * u), previous starting at
//                  base_delay
// where u is a draw in [0, 1). With kNone no random number is drawn.
//
// Thread-safety: pure functions; the RandomSource must be thread-safe if shared.
//
// Example:
//   BackoffOptions o{.base_delay = 1s, .max_delay = 20s, .exponential_base = 2.0,
//                    .jitter = JitterMode::kFull};
//   Duration d = ComputeBackoff(o, /*attempt=*/2, /*previous=*/Duration::zero(), rng);
//   // d is in [0, 4s)
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/random.h"

namespace ohfp::resilience {

enum class JitterMode { kNone, kSeed, kFull, kEqual, kDecorrelated };

// "none", "seed", "full", "equal", "decorrelated".
std::string_view JitterModeName(JitterMode mode) noexcept;
std::optional<JitterMode> JitterModeFromName(std::string_view name) noexcept;

struct BackoffOptions {
  Duration base_delay = std::chrono::seconds(1);
  Duration max_delay = std::chrono::seconds(60);
  double exponential_base = 2.0;
  JitterMode jitter = JitterMode::kSeed;

  friend bool operator==(const BackoffOptions&, const BackoffOptions&) = default;
};

// The delay before the retry that follows failed attempt `attempt` (0-based: 0 is the wait after
// the first try). `previous` is the delay returned for the previous retry (zero before the first);
// only kDecorrelated uses it.
Duration ComputeBackoff(const BackoffOptions& options, int attempt, Duration previous,
                        RandomSource& random) noexcept;

// The un-jittered, capped delay min(base * exponential_base^attempt, max_delay).
Duration CappedExponentialDelay(const BackoffOptions& options, int attempt) noexcept;

}  // namespace ohfp::resilience
