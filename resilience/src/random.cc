#include "ohfp/resilience/random.h"

#include <random>

namespace ohfp::resilience {

std::uint64_t SeededRandom::EntropySeed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

std::uint64_t SeededRandom::NextUint64() noexcept {
  // SplitMix64 (Steele, Lea, Flood 2014): the state advances by the golden-ratio increment; the
  // output mixes it.
  constexpr std::uint64_t kIncrement = 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state_.fetch_add(kIncrement, std::memory_order_relaxed) + kIncrement;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double SeededRandom::NextDouble() noexcept {
  // The top 53 bits as a fraction of 2^53: uniform in [0, 1).
  return static_cast<double>(NextUint64() >> 11) * 0x1.0p-53;
}

}  // namespace ohfp::resilience
