#include "ohfp/resilience/circuit_breaker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ohfp/resilience/circuit_breaker_registry.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/testing/flaky_store.h"
#include "ohfp/resilience/testing/recording_observer.h"

namespace ohfp::resilience {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using testing::FlakyStore;

const Error kThrottle(ErrorKind::kThrottled, "RequestLimitExceeded", "slow down");
const Error kInvalid(ErrorKind::kValidation, "InvalidParameterValue", "bad");

class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreaker& Make(CircuitBreakerOptions options) {
    breaker_ =
        std::make_unique<CircuitBreaker>("aws_ec2", options, store_, clock_, &events_, &counters_);
    return *breaker_;
  }
  // A breaker with `options` (reset timeout 10 s), opened by one failure, its reset timeout over:
  // the next call is a probe.
  CircuitBreaker& MakeDueForAProbe(CircuitBreakerOptions options) {
    options.failure_threshold = 1;
    options.reset_timeout = std::chrono::seconds(10);
    CircuitBreaker& b = Make(options);
    (void)Run(b, &kThrottle);
    clock_.Advance(options.reset_timeout);
    return b;
  }
  // One call through the breaker; counts whether the callable ran.
  Result<int> Run(CircuitBreaker& b, const Error* outcome) {
    return b.Call([&]() -> Result<int> {
      ++ran_;
      if (outcome != nullptr) return *outcome;
      return 1;
    });
  }
  CircuitState Stored() { return store_.ReadBreaker("aws_ec2")->state; }

  ManualClock clock_;
  InMemoryStateStore store_;
  testing::RecordingObserver events_;
  ServiceCounters counters_;
  std::unique_ptr<CircuitBreaker> breaker_;
  int ran_ = 0;
};

TEST_F(CircuitBreakerTest, StaysClosedBelowTheThreshold) {
  CircuitBreaker& b = Make({.failure_threshold = 3});
  EXPECT_FALSE(Run(b, &kThrottle).ok());
  EXPECT_FALSE(Run(b, &kThrottle).ok());
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  EXPECT_EQ(store_.ReadBreaker("aws_ec2")->failure_count, 2U);
  EXPECT_TRUE(Run(b, nullptr).ok());
  EXPECT_EQ(ran_, 3);
}

TEST_F(CircuitBreakerTest, OpensAtTheThresholdAndRejectsWithoutRunning) {
  CircuitBreaker& b = Make({.failure_threshold = 3, .reset_timeout = seconds(30)});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Run(b, &kThrottle).error().kind(), ErrorKind::kThrottled);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  const Result<int> rejected = Run(b, nullptr);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_EQ(ran_, 3) << "an open circuit must not run the call";
  EXPECT_THAT(events_.lines(), ElementsAre("failure aws_ec2 1/3", "failure aws_ec2 2/3",
                                           "failure aws_ec2 3/3", "circuit aws_ec2 closed->open"));
  EXPECT_EQ(counters_.circuit_breaker_opens.load(), 1U);
  EXPECT_EQ(counters_.failures_recorded.load(), 3U);
}

TEST_F(CircuitBreakerTest, ASuccessResetsTheConsecutiveCount) {
  CircuitBreaker& b = Make({.failure_threshold = 3});
  (void)Run(b, &kThrottle);
  (void)Run(b, &kThrottle);
  (void)Run(b, nullptr);
  (void)Run(b, &kThrottle);
  (void)Run(b, &kThrottle);
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  (void)Run(b, &kThrottle);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

TEST_F(CircuitBreakerTest, HalfOpensWhenResetTimeoutHasPassedSinceTheLastFailure) {
  CircuitBreaker& b = Make({.failure_threshold = 1, .reset_timeout = seconds(30)});
  (void)Run(b, &kThrottle);
  clock_.Advance(seconds(30) - std::chrono::nanoseconds(1));
  EXPECT_EQ(Run(b, nullptr).error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_EQ(ran_, 1);
  clock_.Advance(std::chrono::nanoseconds(1));
  events_.clear();
  EXPECT_TRUE(Run(b, nullptr).ok());
  EXPECT_THAT(events_.lines(),
              ElementsAre("circuit aws_ec2 open->half_open", "circuit aws_ec2 half_open->closed"));
  EXPECT_EQ(Stored(), CircuitState::kClosed);
}

TEST_F(CircuitBreakerTest, HalfOpenReopensOnFailure) {
  CircuitBreaker& b = MakeDueForAProbe({});
  EXPECT_EQ(Run(b, &kThrottle).error().kind(), ErrorKind::kThrottled);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  // The new failure restarts the reset timeout.
  clock_.Advance(seconds(9));
  EXPECT_EQ(Run(b, nullptr).error().kind(), ErrorKind::kCircuitOpen);
  clock_.Advance(seconds(1));
  EXPECT_TRUE(Run(b, nullptr).ok());
}

TEST_F(CircuitBreakerTest, HalfOpenTimeoutWithoutSuccessReopensAsTheSeedsCodeDoes) {
  CircuitBreaker& b = MakeDueForAProbe({.half_open_timeout = seconds(5)});
  // A probe is admitted (HALF_OPEN) but never reports back.
  Result<CircuitBreaker::Permit> probe = b.TryAcquire();
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  clock_.Advance(seconds(5));
  events_.clear();
  // The next call finds the half-open timeout passed: OPEN, rejected.
  EXPECT_EQ(Run(b, nullptr).error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_THAT(events_.lines(), ElementsAre("circuit aws_ec2 half_open->open"));
  // The seed measures the reset timeout from the last failure, long past: the next call half-opens
  // again.
  EXPECT_TRUE(Run(b, nullptr).ok());
  EXPECT_EQ(b.state(), CircuitState::kClosed);
}

TEST_F(CircuitBreakerTest, FailuresOfCallsAdmittedBeforeOpeningExtendTheOpenPeriod) {
  CircuitBreaker& b = Make({.failure_threshold = 2, .reset_timeout = seconds(30)});
  Result<CircuitBreaker::Permit> late = b.TryAcquire();  // in flight while the circuit opens
  ASSERT_TRUE(late.ok());
  (void)Run(b, &kThrottle);
  (void)Run(b, &kThrottle);
  ASSERT_EQ(b.state(), CircuitState::kOpen);
  clock_.Advance(seconds(20));
  b.OnFailure(*late, kThrottle);  // counted, last_failure_time moves to t=20
  EXPECT_EQ(store_.ReadBreaker("aws_ec2")->failure_count, 3U);
  clock_.Advance(seconds(15));  // 35 s after opening, 15 s after the last failure
  EXPECT_EQ(Run(b, nullptr).error().kind(), ErrorKind::kCircuitOpen);
  clock_.Advance(seconds(15));
  EXPECT_TRUE(Run(b, nullptr).ok());
}

TEST_F(CircuitBreakerTest, HalfOpenProbeLimitAdmitsOnlySoManyCalls) {
  CircuitBreaker& b = MakeDueForAProbe({.half_open_max_probes = 1});
  Result<CircuitBreaker::Permit> first = b.TryAcquire();
  ASSERT_TRUE(first.ok());
  Result<CircuitBreaker::Permit> second = b.TryAcquire();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_EQ(store_.ReadBreaker("aws_ec2")->half_open_probes, 1U);
  b.OnSuccess(*first);
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  EXPECT_TRUE(b.TryAcquire().ok());
}

TEST_F(CircuitBreakerTest, AProbeCancelledByItsCallerFreesItsSlot) {
  CircuitBreaker& b = MakeDueForAProbe({.half_open_max_probes = 1});
  Result<CircuitBreaker::Permit> probe = b.TryAcquire();
  ASSERT_TRUE(probe.ok());
  b.OnOutcome(*probe, &static_cast<const Error&>(Error(ErrorKind::kCancelled)));
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  EXPECT_EQ(store_.ReadBreaker("aws_ec2")->failure_count, 1U) << "a cancellation is not a failure";
  EXPECT_TRUE(b.TryAcquire().ok());
}

TEST_F(CircuitBreakerTest, FailureRateWindowOpensAtThePercentage) {
  CircuitBreaker& b = Make({.failure_threshold = 100,
                            .failure_rate_threshold = 50,
                            .sliding_window_size = 4,
                            .minimum_calls = 4});
  (void)Run(b, &kThrottle);
  (void)Run(b, nullptr);
  (void)Run(b, &kThrottle);
  EXPECT_EQ(b.state(), CircuitState::kClosed) << "three calls are fewer than minimum_calls";
  (void)Run(b, nullptr);
  EXPECT_EQ(b.state(), CircuitState::kClosed) << "the rate is judged when a failure is recorded";
  (void)Run(b, &kThrottle);  // window: S F S F -> 50 %
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

TEST_F(CircuitBreakerTest, FailureRateWindowSlides) {
  CircuitBreaker& b = Make({.failure_threshold = 100,
                            .failure_rate_threshold = 75,
                            .sliding_window_size = 4,
                            .minimum_calls = 2});
  for (int i = 0; i < 4; ++i) (void)Run(b, nullptr);
  (void)Run(b, &kThrottle);  // S S S F: 25 %
  (void)Run(b, &kThrottle);  // S S F F: 50 %
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  (void)Run(b, &kThrottle);  // S F F F: 75 %
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

TEST_F(CircuitBreakerTest, SlowSuccessesCountAsFailures) {
  CircuitBreaker& b = Make({.failure_threshold = 2, .slow_call_duration = seconds(1)});
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(b.Call([&]() -> Result<int> {
                   clock_.Advance(std::chrono::milliseconds(1500));
                   return 1;
                 }).ok())
        << "the caller still gets its result";
  }
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_THAT(events_.lines("failure"), ElementsAre("failure aws_ec2 1/2", "failure aws_ec2 2/2"));
}

TEST_F(CircuitBreakerTest, ServiceErrorPolicyIgnoresRequestErrors) {
  CircuitBreaker& b =
      Make({.failure_threshold = 2, .failure_policy = FailurePolicy::kServiceErrors});
  (void)Run(b, &kThrottle);
  (void)Run(b, &kInvalid);  // the service answered: counts as a success and resets the count
  (void)Run(b, &kThrottle);
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  (void)Run(b, &kThrottle);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

TEST_F(CircuitBreakerTest, AllErrorsPolicyCountsRequestErrors) {
  CircuitBreaker& b = Make({.failure_threshold = 2});
  (void)Run(b, &kInvalid);
  (void)Run(b, &kInvalid);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

TEST_F(CircuitBreakerTest, ForceOpenRejectsEverythingUntilReset) {
  CircuitBreaker& b = Make({.failure_threshold = 5, .reset_timeout = seconds(1)});
  ASSERT_TRUE(b.ForceOpen().ok());
  clock_.Advance(seconds(3600));
  EXPECT_EQ(Run(b, nullptr).error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_EQ(store_.ReadBreaker("aws_ec2")->override_mode, CircuitOverride::kForcedOpen);
  ASSERT_TRUE(b.Reset().ok());
  EXPECT_TRUE(Run(b, nullptr).ok());
  EXPECT_EQ(store_.ReadBreaker("aws_ec2")->override_mode, CircuitOverride::kNone);
}

TEST_F(CircuitBreakerTest, ForceClosedAdmitsAndCountsNothing) {
  CircuitBreaker& b = Make({.failure_threshold = 1});
  ASSERT_TRUE(b.ForceClosed().ok());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Run(b, &kThrottle).error().kind(), ErrorKind::kThrottled);
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  EXPECT_EQ(store_.ReadBreaker("aws_ec2")->failure_count, 0U);
}

TEST_F(CircuitBreakerTest, ResetClearsAnOpenCircuit) {
  CircuitBreaker& b = Make({.failure_threshold = 1, .reset_timeout = seconds(60)});
  (void)Run(b, &kThrottle);
  ASSERT_EQ(b.state(), CircuitState::kOpen);
  events_.clear();
  ASSERT_TRUE(b.Reset().ok());
  EXPECT_THAT(events_.lines(), ElementsAre("circuit aws_ec2 open->closed"));
  const BreakerRecord r = *store_.ReadBreaker("aws_ec2");
  EXPECT_EQ(r.failure_count, 0U);
  EXPECT_FALSE(r.last_failure_time.has_value());
  EXPECT_TRUE(Run(b, nullptr).ok());
}

TEST_F(CircuitBreakerTest, AWallClockSteppedFarBackDoesNotHoldTheCircuitOpen) {
  CircuitBreaker& b = Make({.failure_threshold = 1, .reset_timeout = seconds(30)});
  (void)Run(b, &kThrottle);
  clock_.StepWallClock(-std::chrono::hours(2));
  EXPECT_TRUE(Run(b, nullptr).ok());
}

TEST_F(CircuitBreakerTest, TimeUntilHalfOpenCountsDown) {
  CircuitBreaker& b = Make({.failure_threshold = 1, .reset_timeout = seconds(30)});
  EXPECT_EQ(b.TimeUntilHalfOpen(), Duration::zero());
  (void)Run(b, &kThrottle);
  clock_.Advance(seconds(12));
  EXPECT_EQ(b.TimeUntilHalfOpen(), seconds(18));
  ASSERT_TRUE(b.ForceOpen().ok());
  EXPECT_EQ(b.TimeUntilHalfOpen(), Duration::max());
}

TEST_F(CircuitBreakerTest, ClosedSuccessesWriteNothingToTheStore) {
  CircuitBreaker& b = Make({.failure_threshold = 3});
  (void)Run(b, nullptr);  // the first call publishes the state
  const std::uint64_t version = store_.ReadBreaker("aws_ec2")->version;
  for (int i = 0; i < 100; ++i) (void)Run(b, nullptr);
  EXPECT_EQ(store_.ReadBreaker("aws_ec2")->version, version);
}

// Two breakers over one store that says it is shared behave like two processes over one database.
TEST(CircuitBreakerShared, ACircuitOpenedInOneProcessRejectsInTheNext) {
  ManualClock clock;
  InMemoryStateStore memory;
  FlakyStore shared(memory, /*shared=*/true);
  const CircuitBreakerOptions options{.failure_threshold = 2, .reset_timeout = seconds(30)};
  {
    CircuitBreaker first("aws_ec2", options, shared, clock);
    (void)first.Call([] { return Result<int>(kThrottle); });
    (void)first.Call([] { return Result<int>(kThrottle); });
    EXPECT_EQ(first.state(), CircuitState::kOpen);
  }
  CircuitBreaker next("aws_ec2", options, shared, clock);
  int ran = 0;
  EXPECT_EQ(next.Call([&] {
                  ++ran;
                  return Result<int>(1);
                })
                .error()
                .kind(),
            ErrorKind::kCircuitOpen);
  EXPECT_EQ(ran, 0);
  clock.Advance(seconds(30));
  EXPECT_TRUE(next.Call([&] {
                    ++ran;
                    return Result<int>(1);
                  })
                  .ok());
  EXPECT_EQ(memory.ReadBreaker("aws_ec2")->state, CircuitState::kClosed);
}

TEST(CircuitBreakerShared, FailuresFromSeveralProcessesAddUp) {
  ManualClock clock;
  InMemoryStateStore memory;
  FlakyStore shared(memory, /*shared=*/true);
  const CircuitBreakerOptions options{.failure_threshold = 3};
  CircuitBreaker a("aws_ec2", options, shared, clock);
  CircuitBreaker b("aws_ec2", options, shared, clock);
  (void)a.Call([] { return Result<int>(kThrottle); });
  (void)b.Call([] { return Result<int>(kThrottle); });
  (void)a.Call([] { return Result<int>(kThrottle); });
  EXPECT_EQ(memory.ReadBreaker("aws_ec2")->state, CircuitState::kOpen);
  EXPECT_EQ(b.Call([] { return Result<int>(1); }).error().kind(), ErrorKind::kCircuitOpen);
}

TEST(CircuitBreakerShared, AForcedOpenCircuitHoldsAcrossProcesses) {
  ManualClock clock;
  InMemoryStateStore memory;
  FlakyStore shared(memory, /*shared=*/true);
  CircuitBreaker admin("aws_ec2", {}, shared, clock);
  ASSERT_TRUE(admin.ForceOpen().ok());
  CircuitBreaker worker("aws_ec2", {}, shared, clock);
  EXPECT_EQ(worker.Call([] { return Result<int>(1); }).error().kind(), ErrorKind::kCircuitOpen);
}

TEST(CircuitBreakerStore, AFailingStoreLetsCallsThroughAndSaysSo) {
  ManualClock clock;
  InMemoryStateStore memory;
  FlakyStore store(memory, /*shared=*/true);
  testing::RecordingObserver events;
  CircuitBreaker b("aws_ec2", {.failure_threshold = 1}, store, clock, &events);
  store.set_failing(true);
  int ran = 0;
  EXPECT_EQ(b.Call([&] {
               ++ran;
               return Result<int>(kThrottle);
             })
                .error()
                .kind(),
            ErrorKind::kThrottled);
  EXPECT_TRUE(b.Call([&] {
                 ++ran;
                 return Result<int>(1);
               }).ok());
  EXPECT_EQ(ran, 2);
  EXPECT_THAT(events.lines(), ElementsAre("store_error aws_ec2 StoreUnavailable",
                                          "store_error aws_ec2 StoreUnavailable"));
  store.set_failing(false);
  EXPECT_EQ(memory.ReadBreaker("aws_ec2")->failure_count, 0U)
      << "nothing was counted while the store was down";
}

TEST(CircuitBreakerRegistry, OneBreakerPerServiceFirstOptionsWin) {
  ManualClock clock;
  InMemoryStateStore store;
  ResilienceMonitor monitor;
  CircuitBreakerRegistry registry(store, clock, nullptr, &monitor);
  CircuitBreaker& a = registry.Get("aws_ec2", {.failure_threshold = 3});
  CircuitBreaker& b = registry.Get("aws_ec2", {.failure_threshold = 9});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(b.options().failure_threshold, 3);
  EXPECT_NE(&registry.Get("aws_autoscaling"), &a);
  EXPECT_EQ(registry.Find("aws_spot_fleet"), nullptr);
  EXPECT_THAT(registry.Services(), ElementsAre("aws_autoscaling", "aws_ec2"));
  for (int i = 0; i < 3; ++i) (void)a.Call([] { return Result<int>(kThrottle); });
  EXPECT_EQ(monitor.GetMetricsSummary().circuit_breaker_opens, 1U);
}

TEST(CircuitState, NamesAreTheSeeds) {
  EXPECT_EQ(CircuitStateName(CircuitState::kClosed), "closed");
  EXPECT_EQ(CircuitStateName(CircuitState::kOpen), "open");
  EXPECT_EQ(CircuitStateName(CircuitState::kHalfOpen), "half_open");
  EXPECT_EQ(CircuitStateFromName("half_open"), CircuitState::kHalfOpen);
  EXPECT_EQ(FailurePolicyFromName("service_errors"), FailurePolicy::kServiceErrors);
}

}  // namespace
}  // namespace ohfp::resilience
