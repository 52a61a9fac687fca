// The token-bucket model and the RateLimiter, on a manual clock: burst, refill, resource costs,
// waiting versus failing at the deadline, the adaptive rate after a throttle, and two
// installations sharing one store.
#include "ohfp/resilience/rate_limiter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <queue>

#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/testing/flaky_store.h"
#include "ohfp/resilience/testing/recording_observer.h"

namespace ohfp::resilience {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;

const SysTime kT0 = ManualClock::kDefaultWallStart;

// ---- The bucket alone ----

TEST(TokenBucketModel, AFreshBucketIsFullAndBurstsItsCapacity) {
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 5, .refill_rate = 2};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Reserve(r, o, 1, kT0), Duration::zero()) << i;
  // Then callers wait in line, one refill interval (0.5 s) apart.
  EXPECT_EQ(Reserve(r, o, 1, kT0), milliseconds(500));
  EXPECT_EQ(Reserve(r, o, 1, kT0), milliseconds(1000));
  EXPECT_EQ(Reserve(r, o, 1, kT0), milliseconds(1500));
}

TEST(TokenBucketModel, RefillsAtItsRateUpToItsCapacity) {
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 5, .refill_rate = 2};
  for (int i = 0; i < 5; ++i) (void)Reserve(r, o, 1, kT0);
  Refill(r, o, kT0 + seconds(1));
  EXPECT_DOUBLE_EQ(r.tokens, 2.0);
  Refill(r, o, kT0 + seconds(60));
  EXPECT_DOUBLE_EQ(r.tokens, 5.0) << "never more than the capacity";
}

TEST(TokenBucketModel, AResourceCostTakesThatManyTokens) {
  // RunInstances' resource bucket: 1000 instances, 2 per second.
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 1000, .refill_rate = 2};
  EXPECT_EQ(Reserve(r, o, 600, kT0), Duration::zero());
  EXPECT_DOUBLE_EQ(r.tokens, 400.0);
  EXPECT_EQ(Reserve(r, o, 600, kT0), seconds(100)) << "200 instances short at 2 per second";
  // A cost above the capacity cannot ever be met in full: it waits for a full bucket.
  LimiterRecord fresh;
  EXPECT_EQ(Reserve(fresh, o, 5000, kT0), Duration::zero());
}

TEST(TokenBucketModel, AClockSteppingBackAddsNoTokens) {
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 10, .refill_rate = 1};
  for (int i = 0; i < 10; ++i) (void)Reserve(r, o, 1, kT0);
  Refill(r, o, kT0 - seconds(5));  // another host's clock is behind
  EXPECT_DOUBLE_EQ(r.tokens, 0.0);
  EXPECT_EQ(r.updated, kT0);
  Refill(r, o, kT0 + seconds(3));
  EXPECT_DOUBLE_EQ(r.tokens, 3.0);
  Refill(r, o, kT0 - std::chrono::hours(1));  // a step back of an hour: restart from there
  EXPECT_EQ(r.updated, kT0 - std::chrono::hours(1));
}

TEST(TokenBucketModel, AThrottleEmptiesTheBucketAndLowersTheRateByBeta) {
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 100, .refill_rate = 20};
  (void)Reserve(r, o, 1, kT0);
  const std::optional<RateChange> change = OnThrottle(r, o, kT0 + seconds(1), kT0, true);
  ASSERT_TRUE(change.has_value());
  EXPECT_DOUBLE_EQ(change->from, 20.0);
  EXPECT_DOUBLE_EQ(change->to, 14.0);
  EXPECT_DOUBLE_EQ(r.tokens, 0.0);
  EXPECT_DOUBLE_EQ(CurrentCapacity(r, o), 70.0) << "the burst follows the rate";
  EXPECT_TRUE(Recovering(r, o));
  // Refilling now takes 1 / 14 s per token.
  EXPECT_EQ(Reserve(r, o, 1, kT0 + seconds(1)), FromSeconds(1.0 / 14.0));
}

TEST(TokenBucketModel, AThrottleLowersToBetaTimesTheMeasuredRateWhenThatIsLower) {
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 100, .refill_rate = 20};
  r.measured_rate = 10;
  ASSERT_TRUE(OnThrottle(r, o, kT0, kT0, true).has_value());
  EXPECT_DOUBLE_EQ(CurrentRate(r, o), 7.0);
  EXPECT_DOUBLE_EQ(r.last_max_rate, 10.0);
}

TEST(TokenBucketModel, ThrottlesOfRequestsAdmittedBeforeTheLastDecreaseDoNotLowerItAgain) {
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 100, .refill_rate = 20};
  ASSERT_TRUE(OnThrottle(r, o, kT0 + seconds(1), kT0, true).has_value());
  // Nine more requests admitted with the first come back throttled, some after waiting.
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(OnThrottle(r, o, kT0 + seconds(1 + i), kT0, true));
  EXPECT_DOUBLE_EQ(CurrentRate(r, o), 14.0);
  // A request admitted after the decrease that is throttled is a new event.
  ASSERT_TRUE(OnThrottle(r, o, kT0 + seconds(3), kT0 + seconds(2), true).has_value());
  EXPECT_DOUBLE_EQ(CurrentRate(r, o), 14.0 * 0.7);
}

TEST(TokenBucketModel, AThrottleOfABucketTooSlowToAdaptIsNoNewEvent) {
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 1, .refill_rate = 0.4};  // RunInstances x 0.2
  (void)Reserve(r, o, 1, kT0);
  (void)Reserve(r, o, 1, kT0);  // a caller in line, 2.5 s of debt
  EXPECT_FALSE(OnThrottle(r, o, kT0 + seconds(1), kT0, true).has_value());
  EXPECT_DOUBLE_EQ(CurrentRate(r, o), 0.4);
  EXPECT_FALSE(r.last_throttle.has_value()) << "callers in line must keep their places";
  EXPECT_DOUBLE_EQ(r.tokens, -0.6) << "the debt stays; the refill since the reservation counts";
}

TEST(TokenBucketModel, AThrottleAtTheFloorKeepsTheLastDecrease) {
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 5, .refill_rate = 2};
  ASSERT_TRUE(OnThrottle(r, o, kT0, kT0, true).has_value());                            // 2 -> 1.4
  ASSERT_TRUE(OnThrottle(r, o, kT0 + seconds(2), kT0 + seconds(1), true).has_value());  // -> 0.98
  ASSERT_TRUE(OnThrottle(r, o, kT0 + seconds(4), kT0 + seconds(3), true).has_value());  // -> 0.686
  ASSERT_TRUE(OnThrottle(r, o, kT0 + seconds(6), kT0 + seconds(5), true).has_value());  // -> 0.5
  EXPECT_DOUBLE_EQ(CurrentRate(r, o), kLimiterMinFillRate);
  EXPECT_FALSE(OnThrottle(r, o, kT0 + seconds(8), kT0 + seconds(7), true).has_value());
  EXPECT_EQ(r.last_throttle, kT0 + seconds(6));
}

TEST(TokenBucketModel, WithoutAdaptationAThrottleOnlyEmptiesTheBucket) {
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 100, .refill_rate = 20};
  EXPECT_FALSE(OnThrottle(r, o, kT0, kT0, false).has_value());
  EXPECT_DOUBLE_EQ(r.tokens, 0.0);
  EXPECT_DOUBLE_EQ(CurrentRate(r, o), 20.0);
}

TEST(TokenBucketModel, SuccessesRaiseTheRateAlongTheCubicBackToTheConfiguredRate) {
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 100, .refill_rate = 40};
  r.measured_rate = 20;  // W_max = 20, lowered to 14
  ASSERT_TRUE(OnThrottle(r, o, kT0, kT0, true).has_value());
  const double k = std::cbrt(20 * 0.3 / 0.4);  // 2.466 s: when the curve is back at W_max
  EXPECT_FALSE(OnSuccess(r, o, kT0).has_value()) << "t = 0: the curve starts at beta x W_max";
  std::optional<RateChange> c = OnSuccess(r, o, kT0 + FromSeconds(k / 2));
  ASSERT_TRUE(c.has_value());
  EXPECT_NEAR(c->to, 20 - 0.4 * std::pow(k / 2, 3), 1e-9) << "concave: fast, then slowing";
  c = OnSuccess(r, o, kT0 + FromSeconds(k));
  ASSERT_TRUE(c.has_value());
  EXPECT_NEAR(c->to, 20.0, 1e-6) << "back at W_max after K seconds";
  c = OnSuccess(r, o, kT0 + FromSeconds(k + 3));
  ASSERT_TRUE(c.has_value());
  EXPECT_NEAR(c->to, 20 + 0.4 * 27, 1e-6) << "then probing above it";
  c = OnSuccess(r, o, kT0 + seconds(60));
  ASSERT_TRUE(c.has_value());
  EXPECT_DOUBLE_EQ(c->to, 40.0) << "never above the configured rate";
  EXPECT_FALSE(Recovering(r, o));
  EXPECT_DOUBLE_EQ(r.fill_rate, 0.0);
  EXPECT_FALSE(OnSuccess(r, o, kT0 + seconds(61)).has_value()) << "nothing to do at full rate";
}

TEST(TokenBucketModel, TheMeasuredRateFollowsWhatIsSpent) {
  LimiterRecord r;
  const TokenBucketOptions o{.capacity = 1000, .refill_rate = 1000};
  // 10 tokens every half second (20 per second) for 10 s.
  for (int slot = 0; slot < 20; ++slot) {
    for (int i = 0; i < 10; ++i) (void)Reserve(r, o, 1, kT0 + milliseconds(500 * slot));
  }
  EXPECT_NEAR(r.measured_rate, 20.0, 0.5);
}

TEST(ServerTokenBucket, ThrottlesWithoutTakingAnything) {
  ManualClock clock;
  const MonoTime t0 = clock.Now();
  TokenBucket bucket({.capacity = 2, .refill_rate = 1}, t0);
  EXPECT_TRUE(bucket.TryTake(1, t0));
  EXPECT_TRUE(bucket.TryTake(1, t0));
  EXPECT_FALSE(bucket.TryTake(1, t0));
  EXPECT_FALSE(bucket.TryTake(1, t0 + milliseconds(999)));
  EXPECT_TRUE(bucket.TryTake(1, t0 + seconds(1)));
  EXPECT_FALSE(bucket.TryTake(2, t0 + seconds(2))) << "one token, and a throttle took nothing";
  EXPECT_TRUE(bucket.TryTake(1, t0 + seconds(2)));
}

TEST(ServerTokenBucket, OtherClientsSpendingShrinkWhatIsLeft) {
  ManualClock clock;
  const MonoTime t0 = clock.Now();
  TokenBucket bucket({.capacity = 10, .refill_rate = 4}, t0, /*background_rate=*/3);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(bucket.TryTake(1, t0));
  EXPECT_NEAR(bucket.tokens(t0 + seconds(2)), 2.0, 1e-9) << "4 - 3 per second";
}

// ---- The RateLimiter ----

RateLimiterConfig SmallConfig() {
  RateLimiterConfig c;
  c.enabled = true;
  c.scope = "acct/region";
  c.buckets = {{"describe", {.capacity = 2, .refill_rate = 1}},
               {"run", {.capacity = 5, .refill_rate = 2}},
               {"run_instances", {.capacity = 10, .refill_rate = 1}}};
  c.operations = {{"describe_things", {.buckets = {"describe"}}},
                  {"run_things", {.buckets = {"run"}, .resource_buckets = {"run_instances"}}}};
  return c;
}

class RateLimiterTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  InMemoryStateStore store_;
  testing::RecordingObserver events_;
  ResilienceMonitor monitor_;
  RateLimiter limiter_{SmallConfig(), store_, clock_, &events_, &monitor_};
};

TEST_F(RateLimiterTest, AnOperationWithoutBucketsIsNotLimited) {
  EXPECT_TRUE(limiter_.PlanFor("something_else").empty());
  const RateLimiter::Grant g = limiter_.Acquire(limiter_.PlanFor("something_else"), 1, seconds(1));
  EXPECT_TRUE(g.granted);
  EXPECT_EQ(g.wait, Duration::zero());
  RateLimiterConfig off = SmallConfig();
  off.enabled = false;
  RateLimiter disabled(off, store_, clock_);
  EXPECT_TRUE(disabled.PlanFor("describe_things").empty());
}

TEST_F(RateLimiterTest, PlansNameTheirRecordsByScope) {
  const RateLimiter::Plan plan = limiter_.PlanFor("run_things");
  ASSERT_EQ(plan.size(), 2U);
  EXPECT_EQ(plan.key(0), "acct/region/run");
  EXPECT_EQ(plan.key(1), "acct/region/run_instances");
}

TEST_F(RateLimiterTest, CallersBeyondTheBurstWaitInLine) {
  const RateLimiter::Plan plan = limiter_.PlanFor("describe_things");
  std::vector<Duration> waits;
  for (int i = 0; i < 4; ++i) waits.push_back(limiter_.Acquire(plan, 1, seconds(30)).wait);
  EXPECT_THAT(waits, ElementsAre(Duration::zero(), Duration::zero(), seconds(1), seconds(2)));
  const LimiterMetrics m = monitor_.Limiters().front();
  EXPECT_EQ(m.acquisitions, 4U);
  EXPECT_EQ(m.waits, 2U);
  EXPECT_EQ(m.wait_ns, static_cast<std::uint64_t>(Duration(seconds(3)).count()));
}

TEST_F(RateLimiterTest, AWaitPastTheLimitIsRefusedAndReservesNothing) {
  const RateLimiter::Plan plan = limiter_.PlanFor("describe_things");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter_.Acquire(plan, 1, seconds(30)).granted);
  const RateLimiter::Grant refused = limiter_.Acquire(plan, 1, milliseconds(1500));
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.wait, seconds(2));
  // The refused call took nothing: the next one waits what it would have waited.
  EXPECT_EQ(limiter_.Acquire(plan, 1, seconds(30)).wait, seconds(2));
  EXPECT_EQ(monitor_.Limiters().front().deadline_failures, 1U);
}

TEST_F(RateLimiterTest, TheRequestAndResourceBucketsBothMustHaveTokens) {
  const RateLimiter::Plan plan = limiter_.PlanFor("run_things");
  RateLimiter::Grant g = limiter_.Acquire(plan, 8, seconds(60));
  EXPECT_EQ(g.wait, Duration::zero());
  g = limiter_.Acquire(plan, 8, seconds(60));
  EXPECT_EQ(g.wait, seconds(6)) << "2 instance tokens left, 1 per second";
  EXPECT_EQ(g.bucket, 1U) << "the resource bucket is the one to wait for";
  // Small launches are bound by the request bucket instead (5 tokens, 2 per second): 3 left.
  clock_.Advance(seconds(30));
  for (int i = 0; i < 5; ++i) (void)limiter_.Acquire(plan, 1, seconds(60));
  g = limiter_.Acquire(plan, 1, seconds(60));
  EXPECT_EQ(g.bucket, 0U);
  EXPECT_EQ(g.wait, milliseconds(500));
}

TEST_F(RateLimiterTest, TwoProcessesOnOneStoreSpendFromOneBucket) {
  RateLimiter other(SmallConfig(), store_, clock_);
  const RateLimiter::Plan mine = limiter_.PlanFor("describe_things");
  const RateLimiter::Plan theirs = other.PlanFor("describe_things");
  EXPECT_EQ(limiter_.Acquire(mine, 1, seconds(30)).wait, Duration::zero());
  EXPECT_EQ(other.Acquire(theirs, 1, seconds(30)).wait, Duration::zero());
  EXPECT_EQ(limiter_.Acquire(mine, 1, seconds(30)).wait, seconds(1));
  EXPECT_EQ(other.Acquire(theirs, 1, seconds(30)).wait, seconds(2));
  // Another scope (account or region) is another bucket.
  RateLimiterConfig elsewhere = SmallConfig();
  elsewhere.scope = "acct/other-region";
  RateLimiter third(elsewhere, store_, clock_);
  EXPECT_EQ(third.Acquire(third.PlanFor("describe_things"), 1, seconds(30)).wait, Duration::zero());
}

TEST_F(RateLimiterTest, AThrottleLowersTheRateOfTheBucketClosestToEmptyAndSaysSo) {
  const RateLimiter::Plan plan = limiter_.PlanFor("run_things");
  const RateLimiter::Grant g = limiter_.Acquire(plan, 1, seconds(30));  // run 4/5, instances 9/10
  limiter_.OnThrottled(plan, g);
  EXPECT_THAT(events_.lines("rate"), ElementsAre("rate acct/region/run lowered 2->1.4"));
  EXPECT_EQ(monitor_.GetMetricsSummary().rate_decreases, 1U);
  // The next call finds the request bucket empty and refilling at the lower rate.
  const RateLimiter::Grant next = limiter_.Acquire(plan, 1, seconds(30));
  EXPECT_TRUE(next.recovering);
  EXPECT_EQ(next.wait, FromSeconds(1 / 1.4));
  EXPECT_EQ(next.bucket, 0U);
  // A launch that takes most of the instances makes the instance bucket the one to blame; its
  // rate comes down to beta x the measured 0.88 instances per second.
  events_.clear();
  clock_.Advance(seconds(10));
  const RateLimiter::Grant big = limiter_.Acquire(plan, 9, seconds(30));  // run 2.5/3.5, 1/10
  limiter_.OnThrottled(plan, big);
  EXPECT_THAT(events_.lines("rate"),
              ElementsAre("rate acct/region/run_instances lowered 1->0.616"));
  // Successes bring the rates back; the return to the configured rate is reported.
  events_.clear();
  clock_.Advance(seconds(30));
  limiter_.OnSuccess(plan, limiter_.Acquire(plan, 1, seconds(30)));
  EXPECT_THAT(events_.lines("rate"),
              ElementsAre("rate acct/region/run restored 1.4->2",
                          "rate acct/region/run_instances restored 0.616->1"));
  EXPECT_FALSE(limiter_.Acquire(plan, 1, seconds(30)).recovering);
}

TEST_F(RateLimiterTest, AWaiterWhoseRateWasLoweredMeanwhileTakesANewPlace) {
  const RateLimiter::Plan plan = limiter_.PlanFor("describe_things");  // 2 tokens, 1 per second
  for (int i = 0; i < 2; ++i) (void)limiter_.Acquire(plan, 1, seconds(30));
  const RateLimiter::Grant waiting = limiter_.Acquire(plan, 1, seconds(30));
  ASSERT_EQ(waiting.wait, seconds(1));
  // Before its second is up, another caller's request is throttled: the rate drops to 0.7.
  clock_.Advance(milliseconds(500));
  limiter_.OnThrottled(plan, limiter_.Acquire(plan, 1, seconds(30)));
  clock_.Advance(milliseconds(500));
  const RateLimiter::Grant again = limiter_.Recheck(plan, waiting, 1, seconds(30));
  EXPECT_TRUE(again.granted);
  // The bucket owes 1.15 tokens with its own (the throttle left the debt, the refill since was at
  // 0.7 per second): it gives its token back and takes one at the new rate.
  EXPECT_EQ(again.wait, FromSeconds(1.15 / 0.7));
  EXPECT_GT(again.reserved_at, waiting.reserved_at);
  // A recheck that cannot end within the limit gives the tokens back.
  const RateLimiter::Grant refused = limiter_.Recheck(plan, waiting, 1, milliseconds(100));
  EXPECT_FALSE(refused.granted);
}

TEST_F(RateLimiterTest, AWaiterKeepsItsPlaceWhenAThrottleCannotLowerTheRate) {
  RateLimiterConfig c = SmallConfig();
  c.buckets.at("describe") = {.capacity = 1, .refill_rate = 0.4};  // below the floor: not adapted
  RateLimiter limiter(c, store_, clock_);
  const RateLimiter::Plan plan = limiter.PlanFor("describe_things");
  (void)limiter.Acquire(plan, 1, seconds(30));
  const RateLimiter::Grant waiting = limiter.Acquire(plan, 1, seconds(30));
  ASSERT_EQ(waiting.wait, milliseconds(2500));
  clock_.Advance(milliseconds(1000));
  limiter.OnThrottled(plan, limiter.Acquire(plan, 1, seconds(30)));  // another caller's request
  clock_.Advance(milliseconds(1500));
  const RateLimiter::Grant again = limiter.Recheck(plan, waiting, 1, seconds(30));
  EXPECT_TRUE(again.granted);
  EXPECT_EQ(again.wait, Duration::zero()) << "it goes out when its turn comes";
  EXPECT_EQ(again.reserved_at, waiting.reserved_at);
}

// The limiter over a store that counts its calls and fails on demand.
class RateLimiterOverAFlakyStore : public RateLimiterTest {
 protected:
  InMemoryStateStore memory_;
  testing::FlakyStore flaky_{memory_, /*shared=*/true};
  RateLimiter flaky_limiter_{SmallConfig(), flaky_, clock_, &events_};
  const RateLimiter::Plan plan_ = flaky_limiter_.PlanFor("describe_things");
};

TEST_F(RateLimiterOverAFlakyStore, ARecheckWithNothingChangedWritesNothing) {
  const RateLimiter::Grant first = flaky_limiter_.Acquire(plan_, 1, seconds(30));
  const int calls = flaky_.calls();
  EXPECT_EQ(flaky_limiter_.Recheck(plan_, first, 1, seconds(30)).wait, Duration::zero());
  EXPECT_EQ(flaky_.calls(), calls) << "no wait, nothing to check";
  (void)flaky_limiter_.Acquire(plan_, 1, seconds(30));
  const RateLimiter::Grant waited = flaky_limiter_.Acquire(plan_, 1, seconds(30));
  clock_.Advance(waited.wait);
  const RateLimiter::Grant again = flaky_limiter_.Recheck(plan_, waited, 1, seconds(30));
  EXPECT_TRUE(again.granted);
  EXPECT_EQ(again.wait, Duration::zero());
  EXPECT_EQ(again.reserved_at, waited.reserved_at) << "its place was kept";
}

TEST_F(RateLimiterOverAFlakyStore, SuccessesAtFullRateDoNotTouchTheStore) {
  const RateLimiter::Grant g = flaky_limiter_.Acquire(plan_, 1, seconds(30));
  const int calls = flaky_.calls();
  flaky_limiter_.OnSuccess(plan_, g);
  EXPECT_EQ(flaky_.calls(), calls);
}

TEST_F(RateLimiterOverAFlakyStore, AStoreFailureLetsCallsThroughAndIsReportedOnce) {
  flaky_.set_failing(true);
  for (int i = 0; i < 5; ++i) {
    const RateLimiter::Grant g = flaky_limiter_.Acquire(plan_, 1, seconds(1));
    EXPECT_TRUE(g.granted);
    EXPECT_EQ(g.wait, Duration::zero());
    flaky_limiter_.OnThrottled(plan_, g);
  }
  EXPECT_THAT(events_.lines("store_error"),
              ElementsAre("store_error acct/region/describe StoreUnavailable"));
}

TEST(RateLimiterConfigTest, ScaleMultipliesEveryBucket) {
  RateLimiterConfig c = SmallConfig();
  c.scale = 0.5;
  EXPECT_EQ(c.Bucket("run"), (TokenBucketOptions{.capacity = 2.5, .refill_rate = 1}));
  EXPECT_EQ(c.Bucket("nope"), std::nullopt);
}

// ---- On virtual time: clients against a server's bucket ----

RateLimiterConfig Published(bool adaptive) {
  RateLimiterConfig c;
  c.enabled = true;
  c.scope = "123456789012/us-east-1";
  c.adaptive = adaptive;
  c.buckets = {{"ec2_non_mutating", {.capacity = 100, .refill_rate = 20}}};
  c.operations = {{"ec2_describe_fleets", {.buckets = {"ec2_non_mutating"}}}};
  return c;
}

// An account's server bucket (the published 100 tokens and 20 per second, of which others spend
// `background_rate`) and installations that share one store, each one limiter (as every process
// of an installation shares the store) with `workers` calls in flight: a worker asks for a token,
// waits, sends; the server's bucket answers after `latency`; the worker reports the outcome and
// asks again. Counts per installation.
class Traffic {
 public:
  struct Counts {
    int sent = 0;
    int throttled = 0;
    int late_throttled = 0;  // throttled in the last third of the run
    int late_sent = 0;
  };

  explicit Traffic(double background_rate = 0.0)
      : server_({.capacity = 100, .refill_rate = 20}, clock_.Now(), background_rate) {}

  // An installation calling ec2_describe_fleets from `start` on.
  void AddInstallation(int workers, Duration start = Duration::zero(),
                       const RateLimiterConfig& config = Published(true)) {
    limiters_.push_back(std::make_unique<RateLimiter>(config, store_, clock_));
    RateLimiter& limiter = *limiters_.back();
    installations_.push_back({&limiter, limiter.PlanFor("ec2_describe_fleets")});
    counts_.emplace_back();
    for (int w = 0; w < workers; ++w) {
      queue_.push({clock_.Now() + start, seq_++, installations_.size() - 1, Event::kAsk, {}});
    }
  }

  void Run(Duration duration) {
    const MonoTime origin = clock_.Now();
    const MonoTime end = origin + duration;
    const MonoTime late = origin + duration * 2 / 3;
    while (!queue_.empty() && queue_.top().at < end) {
      Event e = queue_.top();
      queue_.pop();
      clock_.AdvanceTo(e.at);
      Installation& in = installations_[e.installation];
      Counts& c = counts_[e.installation];
      switch (e.kind) {
        case Event::kAsk: {
          const RateLimiter::Grant g = in.limiter->Acquire(in.plan, 1, Duration::max());
          queue_.push({e.at + g.wait, seq_++, e.installation, Event::kSend, g});
        } break;
        case Event::kSend: {
          // As the pipeline does: a wait that ends after the rate was lowered takes a new place.
          const RateLimiter::Grant again =
              in.limiter->Recheck(in.plan, e.grant, 1, Duration::max());
          if (again.wait > Duration::zero()) {
            queue_.push({e.at + again.wait, seq_++, e.installation, Event::kSend, again});
            break;
          }
          e.grant = again;
          const bool ok = server_.TryTake(1, e.at);
          ++c.sent;
          if (e.at >= late) ++c.late_sent;
          if (!ok) {
            ++c.throttled;
            if (e.at >= late) ++c.late_throttled;
          }
          queue_.push({e.at + kLatency, seq_++, e.installation, ok ? Event::kOk : Event::kThrottled,
                       e.grant});
        } break;
        case Event::kOk:
          in.limiter->OnSuccess(in.plan, e.grant);
          queue_.push({e.at, seq_++, e.installation, Event::kAsk, {}});
          break;
        case Event::kThrottled:
          in.limiter->OnThrottled(in.plan, e.grant);
          queue_.push({e.at, seq_++, e.installation, Event::kAsk, {}});
          break;
      }
    }
  }

  const Counts& counts(std::size_t installation) const { return counts_[installation]; }

 private:
  static constexpr Duration kLatency = milliseconds(50);
  struct Event {
    enum Kind { kAsk, kSend, kOk, kThrottled };
    MonoTime at;
    std::uint64_t seq;
    std::size_t installation;
    Kind kind;
    RateLimiter::Grant grant;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  struct Installation {
    RateLimiter* limiter;
    RateLimiter::Plan plan;
  };

  ManualClock clock_;
  InMemoryStateStore store_;
  TokenBucket server_;
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
  std::vector<Installation> installations_;
  std::vector<Counts> counts_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  std::uint64_t seq_ = 0;
};

TEST(RateLimiterOnVirtualTime, ClientsThatMirrorTheServersBucketAreNeverThrottled) {
  Traffic traffic;
  traffic.AddInstallation(16);
  traffic.Run(seconds(60));
  // The burst and then the refill rate: 100 + 20 x 60, give or take the last calls in flight.
  EXPECT_EQ(traffic.counts(0).throttled, 0);
  EXPECT_GE(traffic.counts(0).sent, 1290);
  EXPECT_LE(traffic.counts(0).sent, 1300);
}

TEST(RateLimiterOnVirtualTime, AfterThrottlingTheRateConvergesToWhatTheServerLeaves) {
  // Another tool spends 10 of the account's 20 tokens per second, which the published limits do
  // not know: the first requests are throttled, the rate comes down, and throttling stays rare.
  auto run = [](bool adaptive) {
    Traffic traffic(/*background_rate=*/10);
    traffic.AddInstallation(16, Duration::zero(), Published(adaptive));
    traffic.Run(seconds(180));
    return traffic.counts(0);
  };
  const Traffic::Counts adaptive = run(true);
  const Traffic::Counts fixed = run(false);
  // What the server can take in the last minute: 10 per second.
  const int accepted_late = adaptive.late_sent - adaptive.late_throttled;
  EXPECT_GE(accepted_late, 500) << "the client still uses most of what is left";
  EXPECT_LE(adaptive.late_throttled * 10, adaptive.late_sent) << "under 10 % throttled";
  // Without adaptation the client keeps sending at 20 per second: about half is throttled.
  EXPECT_GE(fixed.late_throttled * 3, fixed.late_sent);
}

TEST(RateLimiterOnVirtualTime, TwoEquallyBusyInstallationsSharingAStoreGetHalfEach) {
  Traffic traffic;
  traffic.AddInstallation(8);
  traffic.AddInstallation(8, seconds(30));  // starts later
  traffic.Run(seconds(120));
  const Traffic::Counts& a = traffic.counts(0);
  const Traffic::Counts& b = traffic.counts(1);
  EXPECT_EQ(a.throttled + b.throttled, 0) << "together they stay under the account's limit";
  // In the last 40 s: the account's 20 per second, half each.
  EXPECT_EQ(a.late_sent + b.late_sent, 800);
  EXPECT_NEAR(a.late_sent, 400, 8);
  EXPECT_NEAR(b.late_sent, 400, 8);
}

TEST(RateLimiterOnVirtualTime, ABusierInstallationDoesNotStarveAQuietOne) {
  // Tokens go in the order they are asked for, so each call in flight gets an equal turn: the
  // installation with three times the calls in flight gets three times the tokens, and the
  // other still gets its turns.
  Traffic traffic;
  traffic.AddInstallation(4);   // quiet
  traffic.AddInstallation(12);  // busy
  traffic.Run(seconds(120));
  EXPECT_EQ(traffic.counts(0).throttled + traffic.counts(1).throttled, 0);
  EXPECT_NEAR(traffic.counts(0).late_sent, 200, 8);
  EXPECT_NEAR(traffic.counts(1).late_sent, 600, 8);
}

TEST(RateLimiterOnVirtualTime, TwoEquallyBusyInstallationsGetHalfEachUnderThrottling) {
  Traffic traffic(/*background_rate=*/8);
  traffic.AddInstallation(8);
  traffic.AddInstallation(8);
  traffic.Run(seconds(180));
  const int a = traffic.counts(0).late_sent - traffic.counts(0).late_throttled;
  const int b = traffic.counts(1).late_sent - traffic.counts(1).late_throttled;
  EXPECT_GE(a + b, 600) << "together they use most of the 12 per second left";
  EXPECT_NEAR(static_cast<double>(a) / (a + b), 0.5, 0.05);
}

}  // namespace
}  // namespace ohfp::resilience
