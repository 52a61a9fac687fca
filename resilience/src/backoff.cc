#include "ohfp/resilience/backoff.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "enum_names.h"

namespace ohfp::resilience {
namespace {

constexpr std::array<std::string_view, 5> kJitterNames = {"none", "seed", "full", "equal",
                                                          "decorrelated"};

// Seconds as double for the arithmetic, clamped before converting back so huge exponents cannot
// overflow.
double Secs(Duration d) { return std::chrono::duration<double>(d).count(); }
Duration FromSecsClamped(double s) {
  constexpr double kMaxSeconds =
      1e9;  // ~31 years: far beyond any delay, far below Duration's range
  if (!(s > 0.0)) return Duration::zero();
  return FromSeconds(std::min(s, kMaxSeconds));
}

}  // namespace

std::string_view JitterModeName(JitterMode mode) noexcept {
  return internal::NameOf(kJitterNames, mode);
}

std::optional<JitterMode> JitterModeFromName(std::string_view name) noexcept {
  return internal::ValueOf<JitterMode>(kJitterNames, name);
}

Duration CappedExponentialDelay(const BackoffOptions& options, int attempt) noexcept {
  const double exponential = Secs(options.base_delay) * std::pow(options.exponential_base, attempt);
  return FromSecsClamped(std::min(exponential, Secs(options.max_delay)));
}

Duration ComputeBackoff(const BackoffOptions& options, int attempt, Duration previous,
                        RandomSource& random) noexcept {
  switch (options.jitter) {
    case JitterMode::kNone:
      return CappedExponentialDelay(options, attempt);
    case JitterMode::kSeed: {
      // The seed: delay += delay * 0.1 * random.random(), after the cap.
      const double d = Secs(CappedExponentialDelay(options, attempt));
      return FromSecsClamped(d + d * 0.1 * random.NextDouble());
    }
    case JitterMode::kFull:
      return FromSecsClamped(Secs(CappedExponentialDelay(options, attempt)) * random.NextDouble());
    case JitterMode::kEqual: {
      const double half = Secs(CappedExponentialDelay(options, attempt)) / 2.0;
      return FromSecsClamped(half + half * random.NextDouble());
    }
    case JitterMode::kDecorrelated: {
      // "Decorrelated jitter": sleep = min(cap, random_between(base, previous * 3)).
      const double base = Secs(options.base_delay);
      const double prev = previous > Duration::zero() ? Secs(previous) : base;
      const double high = std::max(base, prev * 3.0);
      return FromSecsClamped(
          std::min(Secs(options.max_delay), base + (high - base) * random.NextDouble()));
    }
  }
  return CappedExponentialDelay(options, attempt);
}

}  // namespace ohfp::resilience
