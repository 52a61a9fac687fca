// ohfp/resilience/testing/scripted_random.h
//
// ScriptedRandom: a RandomSource that returns the draws it was given, in order, then repeats the
// last one. For exact expectations on jitter.
//
// Thread-safety: safe from any thread (a mutex guards the position).
//
// Example:
//   ScriptedRandom rng({0.5, 0.25});
//   rng.NextDouble();  // 0.5
//   rng.NextDouble();  // 0.25
//   rng.NextDouble();  // 0.25
#pragma once

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "ohfp/resilience/random.h"

namespace ohfp::resilience::testing {

class ScriptedRandom final : public RandomSource {
 public:
  explicit ScriptedRandom(std::vector<double> draws) : draws_(std::move(draws)) {}

  double NextDouble() noexcept override {
    std::lock_guard lock(mu_);
    ++count_;
    if (draws_.empty()) return 0.0;
    const double d = draws_[next_ < draws_.size() ? next_ : draws_.size() - 1];
    if (next_ < draws_.size()) ++next_;
    return d;
  }
  // How many draws were taken.
  std::size_t count() const {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<double> draws_;
  std::size_t next_ = 0;
  std::size_t count_ = 0;
};

}  // namespace ohfp::resilience::testing
