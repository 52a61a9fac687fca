// ohfp/resilience/random.h
//
// Randomness as the library sees it: a RandomSource passed in, never a global generator. Jitter is
// the only consumer, and it draws only when a retry is scheduled.
//
// SeededRandom is SplitMix64 over an atomic counter: lock-free, safe from any number of threads,
// and a fixed sequence for a fixed seed when used by one thread (what the simulator's --seed relies
// on). Tests script exact draws with ohfp::resilience::testing::ScriptedRandom.
//
// Thread-safety: implementations must be safe to call from any thread.
//
// Example:
//   SeededRandom rng(42);
//   double u = rng.NextDouble();   // in [0, 1)
//   SeededRandom fresh(SeededRandom::EntropySeed());
#pragma once

#include <atomic>
#include <cstdint>

namespace ohfp::resilience {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // A uniformly distributed double in [0, 1).
  virtual double NextDouble() noexcept = 0;
};

class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) noexcept : state_(seed) {}
  // Seeded from std::random_device.
  static std::uint64_t EntropySeed();

  double NextDouble() noexcept override;
  std::uint64_t NextUint64() noexcept;

 private:
  std::atomic<std::uint64_t> state_;
};

}  // namespace ohfp::resilience
