#include "ohfp/resilience/backoff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ohfp/resilience/testing/scripted_random.h"

namespace ohfp::resilience {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ScriptedRandom;

BackoffOptions Options(JitterMode jitter, Duration base = seconds(1), Duration max = seconds(60),
                       double exp = 2.0) {
  return BackoffOptions{base, max, exp, jitter};
}

TEST(Backoff, NoJitterIsCappedExponential) {
  ScriptedRandom rng({0.9});
  const BackoffOptions o = Options(JitterMode::kNone);
  const std::vector<Duration> expected = {seconds(1),  seconds(2),  seconds(4),  seconds(8),
                                          seconds(16), seconds(32), seconds(60), seconds(60)};
  for (int attempt = 0; attempt < static_cast<int>(expected.size()); ++attempt) {
    EXPECT_EQ(ComputeBackoff(o, attempt, Duration::zero(), rng),
              expected[static_cast<std::size_t>(attempt)])
        << "attempt " << attempt;
  }
  EXPECT_EQ(rng.count(), 0U) << "no jitter must not draw random numbers";
}

TEST(Backoff, SeedJitterAddsUpToTenPercentAfterTheCap) {
  ScriptedRandom rng({0.5, 1.0 - 1e-12, 0.0});
  const BackoffOptions o = Options(JitterMode::kSeed, seconds(2), seconds(120));
  EXPECT_EQ(ComputeBackoff(o, 0, {}, rng), milliseconds(2100));  // 2 + 2 * 0.1 * 0.5
  // The seed adds jitter after min(delay, max_delay): at the cap it can exceed max_delay by up to
  // 10 %.
  const Duration capped = ComputeBackoff(o, 10, {}, rng);
  EXPECT_GT(capped, seconds(131));
  EXPECT_LE(capped, seconds(132));
  EXPECT_EQ(ComputeBackoff(o, 1, {}, rng), seconds(4));  // u = 0 adds nothing
}

TEST(Backoff, FullJitterScalesTheWholeDelay) {
  ScriptedRandom rng({0.25, 0.0, 0.999});
  const BackoffOptions o = Options(JitterMode::kFull, seconds(1), seconds(20));
  EXPECT_EQ(ComputeBackoff(o, 2, {}, rng), seconds(1));  // 0.25 * 4
  EXPECT_EQ(ComputeBackoff(o, 2, {}, rng), Duration::zero());
  EXPECT_EQ(ComputeBackoff(o, 9, {}, rng), milliseconds(19980));  // 0.999 * min(512, 20)
}

TEST(Backoff, EqualJitterKeepsHalfTheDelay) {
  ScriptedRandom rng({0.5, 0.0});
  const BackoffOptions o = Options(JitterMode::kEqual);
  EXPECT_EQ(ComputeBackoff(o, 3, {}, rng), seconds(6));  // 4 + 4 * 0.5
  EXPECT_EQ(ComputeBackoff(o, 3, {}, rng), seconds(4));
}

TEST(Backoff, DecorrelatedJitterGrowsFromThePreviousDelay) {
  ScriptedRandom rng({0.5, 0.5, 1.0 - 1e-12});
  const BackoffOptions o = Options(JitterMode::kDecorrelated, seconds(1), seconds(20));
  const Duration first = ComputeBackoff(o, 0, Duration::zero(), rng);  // between 1 and 3
  EXPECT_EQ(first, seconds(2));
  const Duration second = ComputeBackoff(o, 1, first, rng);  // between 1 and 6
  EXPECT_EQ(second, milliseconds(3500));
  const Duration third = ComputeBackoff(o, 2, seconds(15), rng);  // between 1 and 45, capped at 20
  EXPECT_EQ(third, seconds(20));
}

TEST(Backoff, HugeAttemptNumbersSaturateAtTheCap) {
  ScriptedRandom rng({0.5});
  EXPECT_EQ(ComputeBackoff(Options(JitterMode::kNone), 5000, {}, rng), seconds(60));
  EXPECT_EQ(CappedExponentialDelay(Options(JitterMode::kNone, seconds(1), Duration::max()), 5000),
            seconds(1'000'000'000));
}

TEST(Backoff, ExponentialBaseOfOneIsConstant) {
  ScriptedRandom rng({0.5});
  const BackoffOptions o = Options(JitterMode::kNone, seconds(3), seconds(60), 1.0);
  EXPECT_EQ(ComputeBackoff(o, 0, {}, rng), seconds(3));
  EXPECT_EQ(ComputeBackoff(o, 7, {}, rng), seconds(3));
}

TEST(Backoff, JitterModeNamesRoundTrip) {
  for (JitterMode m : {JitterMode::kNone, JitterMode::kSeed, JitterMode::kFull, JitterMode::kEqual,
                       JitterMode::kDecorrelated}) {
    EXPECT_EQ(JitterModeFromName(JitterModeName(m)), m);
  }
  EXPECT_EQ(JitterModeFromName("random"), std::nullopt);
}

}  // namespace
}  // namespace ohfp::resilience
