#include "ohfp/resilience/retry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/testing/scripted_random.h"

namespace ohfp::resilience {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;

const Error kThrottle(ErrorKind::kThrottled, "RequestLimitExceeded", "slow down");
const Error kInvalid(ErrorKind::kValidation, "InvalidParameterValue", "bad");

RetryOptions NoJitter(int attempts, Duration base = seconds(1)) {
  return RetryOptions{attempts, BackoffOptions{base, seconds(60), 2.0, JitterMode::kNone}};
}

// A manual clock, and draws of 0.5 for the strategies that jitter.
class Retry : public ::testing::Test {
 protected:
  ManualClock clock_;
  testing::ScriptedRandom rng_{{0.5}};
};
using RetryExceptions = Retry;
using RetryDecorator = Retry;
using RetryDecide = Retry;

TEST_F(Retry, ReturnsTheFirstSuccess) {
  ExponentialBackoffStrategy retry(NoJitter(5), clock_, rng_);
  int calls = 0;
  Result<int> r = retry.Execute([&]() -> Result<int> {
    if (++calls < 3) return kThrottle;
    return 7;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(1), seconds(2)));
}

TEST_F(Retry, MaxAttemptsCountsEveryAttemptAndTheLastIsNotFollowedByAWait) {
  ExponentialBackoffStrategy retry(NoJitter(3, seconds(2)), clock_, rng_);
  int calls = 0;
  Result<int> r = retry.Execute([&]() -> Result<int> {
    ++calls;
    return kThrottle;
  });
  EXPECT_EQ(r.error().code(), "RequestLimitExceeded");
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(2), seconds(4)));
}

TEST_F(Retry, AnEmptyRetryableListRetriesEverything) {
  ExponentialBackoffStrategy retry(NoJitter(3), clock_, rng_);
  int calls = 0;
  (void)retry.Execute([&]() -> Result<int> {
    ++calls;
    return kInvalid;
  });
  EXPECT_EQ(calls, 3);
}

TEST_F(Retry, TheAwsStrategyRetriesOnlyTransientKinds) {
  ExponentialBackoffStrategy retry = MakeAwsRetryStrategy(NoJitter(5), clock_, rng_);
  int calls = 0;
  EXPECT_EQ(retry
                .Execute([&]() -> Result<int> {
                  ++calls;
                  return kInvalid;
                })
                .error()
                .kind(),
            ErrorKind::kValidation);
  EXPECT_EQ(calls, 1);
  for (ErrorKind k :
       {ErrorKind::kThrottled, ErrorKind::kTransient, ErrorKind::kTimeout, ErrorKind::kClockSkew}) {
    EXPECT_TRUE(retry.IsRetryable(Error(k))) << ErrorKindName(k);
  }
  for (ErrorKind k : {ErrorKind::kCapacity, ErrorKind::kQuota, ErrorKind::kAuthentication,
                      ErrorKind::kCircuitOpen, ErrorKind::kNotFound, ErrorKind::kUnknown}) {
    EXPECT_FALSE(retry.IsRetryable(Error(k))) << ErrorKindName(k);
  }
}

TEST_F(Retry, SeedJitterDelaysAreExact) {
  testing::ScriptedRandom rng({0.5, 0.0, 1.0 - 1e-9});
  ExponentialBackoffStrategy retry(
      RetryOptions{4, BackoffOptions{seconds(2), seconds(120), 2.0, JitterMode::kSeed}}, clock_,
      rng);
  (void)retry.Execute([] { return Result<int>(kThrottle); });
  ASSERT_EQ(clock_.sleeps().size(), 3U);
  EXPECT_EQ(clock_.sleeps()[0], std::chrono::milliseconds(2100));
  EXPECT_EQ(clock_.sleeps()[1], seconds(4));
  EXPECT_NEAR(ToSeconds(clock_.sleeps()[2]), 8.8, 1e-6);
}

TEST_F(Retry, ARetryAfterHintRaisesTheDelay) {
  ExponentialBackoffStrategy retry(NoJitter(2), clock_, rng_);
  (void)retry.Execute([] { return Result<int>(kThrottle.WithRetryAfter(seconds(7))); });
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(7)));
}

TEST_F(Retry, AStopRequestEndsTheWait) {
  ExponentialBackoffStrategy retry(NoJitter(5), clock_, rng_);
  std::stop_source stop;
  int calls = 0;
  Result<int> r = retry.ExecuteWithStop(stop.get_token(), [&]() -> Result<int> {
    ++calls;
    stop.request_stop();
    return kThrottle;
  });
  EXPECT_EQ(r.error().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(calls, 1);
}

TEST_F(Retry, PassesArgumentsThrough) {
  ExponentialBackoffStrategy retry(NoJitter(2), clock_, rng_);
  Result<int> r = retry.Execute([](int a, int b) { return Result<int>(a + b); }, 2, 3);
  EXPECT_EQ(*r, 5);
}

TEST_F(RetryExceptions, RetriesRetryableExceptionsAndRethrowsTheLast) {
  ExponentialBackoffStrategy retry = MakeAwsRetryStrategy(NoJitter(3), clock_, rng_);
  int calls = 0;
  try {
    retry.Execute([&]() -> int {
      ++calls;
      throw RateLimitError(kThrottle.WithMessage("attempt " + std::to_string(calls)));
    });
    FAIL() << "must rethrow";
  } catch (const RateLimitError& e) {
    EXPECT_EQ(e.error().message(), "attempt 3");
  }
  EXPECT_EQ(calls, 3);
}

TEST_F(RetryExceptions, NonRetryableExceptionsPropagateAtOnce) {
  ExponentialBackoffStrategy retry = MakeAwsRetryStrategy(NoJitter(3), clock_, rng_);
  int calls = 0;
  EXPECT_THROW(retry.Execute([&] {
    ++calls;
    throw AuthenticationError(Error(ErrorKind::kAuthentication, "AuthFailure", ""));
  }),
               AuthenticationError);
  EXPECT_EQ(calls, 1);
}

TEST_F(RetryExceptions, BugsAreNeverCaught) {
  ExponentialBackoffStrategy retry(NoJitter(5), clock_, rng_);  // retries everything...
  int calls = 0;
  EXPECT_THROW(retry.Execute([&] {
    ++calls;
    throw std::out_of_range("index");  // ... but not a bug
  }),
               std::out_of_range);
  EXPECT_THROW(retry.Execute([&] {
    ++calls;
    throw std::bad_alloc();
  }),
               std::bad_alloc);
  EXPECT_EQ(calls, 2);
}

TEST_F(RetryExceptions, ReturnsTheValueOnSuccess) {
  ExponentialBackoffStrategy retry(NoJitter(3), clock_, rng_);
  int calls = 0;
  const int v = retry.Execute([&] {
    if (++calls == 1) throw std::runtime_error("flaky");
    return 11;
  });
  EXPECT_EQ(v, 11);
  EXPECT_EQ(calls, 2);
}

TEST_F(RetryDecorator, WrapsAnyCallable) {
  int calls = 0;
  auto create =
      RetryWithBackoff(NoJitter(3, seconds(2)), clock_, rng_)([&](int count) -> Result<int> {
        if (++calls < 2) return kThrottle;
        return count * 10;
      });
  Result<int> r = create(4);
  EXPECT_EQ(*r, 40);
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(2)));
}

TEST_F(RetryDecide, GivesUpOnTheLastAttempt) {
  ExponentialBackoffStrategy retry(NoJitter(2), clock_, rng_);
  EXPECT_TRUE(retry.Decide(0, kThrottle, {}).retry);
  EXPECT_FALSE(retry.Decide(1, kThrottle, {}).retry);
  EXPECT_EQ(retry.CalculateDelay(3), seconds(8));
}

}  // namespace
}  // namespace ohfp::resilience
