#include "ohfp/resilience/pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/testing/flaky_store.h"
#include "ohfp/resilience/testing/recording_observer.h"
#include "ohfp/resilience/testing/scripted_random.h"
#include "seed_config.h"

namespace ohfp::resilience {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::NoJitterSeedConfig;
using testing::RecordingObserver;

const Error kThrottle(ErrorKind::kThrottled, "RequestLimitExceeded", "slow down");
const Error kInvalid(ErrorKind::kValidation, "InvalidParameterValue", "bad");

// A pipeline over a manual clock, a random source that always draws 0.5 and a store in memory,
// recording its events.
struct Harness {
  explicit Harness(ResilienceConfig config)
      : pipeline(std::move(config), {clock, rng, store, &events}) {}
  ManualClock clock;
  testing::ScriptedRandom rng{{0.5}};
  InMemoryStateStore store;
  RecordingObserver events;
  ResiliencePipeline pipeline;
};

class PipelineTest : public ::testing::Test {
 protected:
  explicit PipelineTest(ResilienceConfig config = NoJitterSeedConfig())
      : pipeline_(std::move(config), {clock_, rng_, store_, &events_, &monitor_}) {}

  // Runs ec2_run_instances; each attempt takes the next outcome (nullptr = success), the last
  // repeating.
  Result<int> Run(std::vector<const Error*> outcomes, const std::string& op = "ec2_run_instances") {
    std::size_t i = 0;
    return pipeline_.Execute(op, [&]() -> Result<int> {
      const Error* e = outcomes[std::min(i++, outcomes.size() - 1)];
      ++attempts_;
      if (e != nullptr) return *e;
      return 42;
    });
  }

  ManualClock clock_;
  testing::ScriptedRandom rng_{{0.5}};
  InMemoryStateStore store_;
  RecordingObserver events_;
  ResilienceMonitor monitor_;
  ResiliencePipeline pipeline_;
  int attempts_ = 0;
};

TEST_F(PipelineTest, AFirstAttemptSuccessPassesStraightThrough) {
  Result<int> r = Run({nullptr});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
  EXPECT_TRUE(clock_.sleeps().empty());
  EXPECT_THAT(events_.lines(), ElementsAre("attempt ec2_run_instances 1 ok",
                                           "result ec2_run_instances ok attempts=1"));
  const MetricsSummary s = monitor_.GetMetricsSummary();
  EXPECT_EQ(s.total_operations, 1U);
  EXPECT_EQ(s.successful_operations, 1U);
  EXPECT_EQ(s.attempts, 1U);
}

TEST_F(PipelineTest, ThrottlingIsRetriedWithBackoffUntilSuccess) {
  Result<int> r = Run({&kThrottle, &kThrottle, nullptr});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(2), seconds(4)));
  EXPECT_THAT(
      events_.lines(),
      ElementsAre("attempt ec2_run_instances 1 RequestLimitExceeded", "failure aws_ec2 1/3",
                  "retry ec2_run_instances after=1 delay=2s",
                  "attempt ec2_run_instances 2 RequestLimitExceeded", "failure aws_ec2 2/3",
                  "retry ec2_run_instances after=2 delay=4s", "attempt ec2_run_instances 3 ok",
                  "result ec2_run_instances ok attempts=3"));
  const MetricsSummary s = monitor_.GetMetricsSummary();
  EXPECT_EQ(s.retry_attempts, 2U);
  EXPECT_EQ(s.retry_successes, 1U);
  EXPECT_EQ(s.attempts, 3U);
}

TEST_F(PipelineTest, RequestErrorsAreNotRetried) {
  Result<int> r = Run({&kInvalid});
  EXPECT_EQ(r.error().code(), "InvalidParameterValue");
  EXPECT_EQ(attempts_, 1);
}

TEST_F(PipelineTest, TheBreakerSeesEveryAttemptAndStopsTheRetries) {
  // The seed's numbers: five attempts allowed, but aws_ec2 opens after three failures.
  Result<int> r = Run({&kThrottle});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_EQ(attempts_, 3);
  EXPECT_THAT(events_.lines("circuit"), ElementsAre("circuit aws_ec2 closed->open"));
  EXPECT_THAT(events_.lines("rejected"), ElementsAre("rejected ec2_run_instances"));
  EXPECT_THAT(events_.lines("alert"), ElementsAre("alert circuit_open aws_ec2 3"));
  const MetricsSummary s = monitor_.GetMetricsSummary();
  EXPECT_EQ(s.rejected_calls, 1U);
  EXPECT_EQ(s.circuit_breaker_opens, 1U);
}

TEST_F(PipelineTest, GivesUpAfterMaxAttemptsWithTheLastError) {
  Result<int> r = Run({&kThrottle}, "ec2_describe_instances");  // 3 attempts, threshold 3
  EXPECT_EQ(r.error().code(), "RequestLimitExceeded");
  EXPECT_EQ(attempts_, 3);
}

TEST_F(PipelineTest, ARejectedCallFailsFastWithoutRunning) {
  (void)Run({&kThrottle});
  attempts_ = 0;
  events_.clear();
  Result<int> r = Run({nullptr});
  EXPECT_EQ(r.error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_EQ(attempts_, 0);
  EXPECT_THAT(events_.lines(), ElementsAre("rejected ec2_run_instances",
                                           "result ec2_run_instances circuit_open attempts=0"));
}

TEST_F(PipelineTest, FallbackAnswersWhileTheCircuitIsOpen) {
  (void)Run({&kThrottle});
  const Operation& op = pipeline_.operation("ec2_run_instances");
  Result<int> r = pipeline_.ExecuteWithFallback(
      op, [] { return Result<int>(1); },
      [](const Error& e) -> Result<int> {
        EXPECT_EQ(e.kind(), ErrorKind::kCircuitOpen);
        return -1;
      });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, -1);
  // Other errors are not replaced.
  Result<int> other = pipeline_.ExecuteWithFallback(
      pipeline_.operation("ec2_terminate_instances", "aws_other"),
      [] { return Result<int>(kInvalid); }, [](const Error&) { return Result<int>(-1); });
  EXPECT_EQ(other.error().kind(), ErrorKind::kValidation);
}

TEST(PipelineDeadline, TheTimeoutSpansEveryAttemptAndWait) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.circuit_breaker.enabled = false;
  c.timeout.operations["ec2_run_instances"] = seconds(10);
  Harness h(c);
  const MonoTime start = h.clock.Now();
  int attempts = 0;
  Result<int> r = h.pipeline.Execute("ec2_run_instances", [&]() -> Result<int> {
    ++attempts;
    h.clock.Advance(seconds(1));
    return kThrottle;
  });
  // t=1 fail, wait 2, t=4 fail, wait 4, t=9 fail: a wait of 8 s would reach the deadline at t=10.
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kTimeout);
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(h.clock.Now() - start, seconds(9))
      << "the call ends at once instead of sleeping into the deadline";
  EXPECT_THAT(h.events.lines("timeout"), ElementsAre("timeout ec2_run_instances attempts=3"));
  EXPECT_EQ(r.error().message(),
            "Operation ec2_run_instances timed out after 10 seconds (last error: "
            "RequestLimitExceeded: slow down)");
}

TEST(PipelineDeadline, EachAttemptGetsTheSmallerOfItsTimeoutAndTheTimeLeft) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.circuit_breaker.enabled = false;
  c.timeout.operations["ec2_run_instances"] = seconds(25);
  c.timeout.default_attempt_timeout = seconds(10);
  Harness h(c);
  const MonoTime start = h.clock.Now();
  std::vector<Duration> budgets;
  (void)h.pipeline.Execute("ec2_run_instances", [&](const AttemptContext& ctx) -> Result<int> {
    budgets.push_back(ctx.deadline.when() - start);
    h.clock.AdvanceTo(ctx.deadline.when());  // every attempt hangs until its deadline
    return Error(ErrorKind::kTimeout);
  });
  // Attempt 1: [0, 10]; wait 2; attempt 2: [12, 22]; wait 4 would end at 26 > 25: the call ends.
  EXPECT_THAT(budgets, ElementsAre(seconds(10), seconds(22)));
}

TEST(PipelineDeadline, AnAttemptThatHangsPastTheDeadlineEndsTheCall) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.timeout.operations["ec2_run_instances"] = seconds(5);
  Harness h(c);
  Result<int> r = h.pipeline.Execute("ec2_run_instances", [&](Deadline d) -> Result<int> {
    h.clock.AdvanceTo(d.when());
    return Error(ErrorKind::kTimeout, "timeout", "no answer");
  });
  EXPECT_EQ(r.error().kind(), ErrorKind::kTimeout);
  EXPECT_THAT(h.events.lines("failure"), ElementsAre("failure aws_ec2 1/3"))
      << "the breaker sees the timeout";
  EXPECT_EQ(h.pipeline.monitor().GetMetricsSummary().timeout_errors, 1U);
}

// A caller's limit (e.g. a whole command's deadline) shared by several calls: it shortens the
// call's deadline, and running out of it gives the call up without blaming the service.
TEST(PipelineLimit, AnAttemptHangingIntoTheCallersLimitIsGivenUpAndNotCounted) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.timeout.operations["ec2_run_instances"] = seconds(60);
  Harness h(c);
  const MonoTime start = h.clock.Now();
  const Deadline limit = Deadline::After(start, seconds(7));
  int attempts = 0;
  Result<int> r =
      h.pipeline.Execute(h.pipeline.operation("ec2_run_instances"), ResiliencePipeline::Resources{},
                         limit, [&](Deadline d) -> Result<int> {
                           ++attempts;
                           h.clock.AdvanceTo(d.when());
                           return Error(ErrorKind::kTimeout, "timeout", "no answer");
                         });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(r.error().code(), "DeadlineExceeded");
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(h.clock.Now() - start, seconds(7)) << "the attempt ran to the limit, not to 60 s";
  EXPECT_THAT(h.events.lines("failure"), IsEmpty()) << "the breaker does not see the cut";
}

TEST(PipelineLimit, BackoffThatWouldPassTheLimitEndsTheCallAtOnce) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.circuit_breaker.enabled = false;
  Harness h(c);
  const MonoTime start = h.clock.Now();
  int attempts = 0;
  Result<int> r =
      h.pipeline.Execute(h.pipeline.operation("ec2_run_instances"), ResiliencePipeline::Resources{},
                         Deadline::After(start, seconds(5)), [&]() -> Result<int> {
                           ++attempts;
                           h.clock.Advance(seconds(1));
                           return kThrottle;
                         });
  // t=1 fail, wait 2, t=4 fail: a wait of 4 s would pass the limit at t=5.
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(h.clock.Now() - start, seconds(4));
  EXPECT_NE(std::string(r.error().message()).find("RequestLimitExceeded"), std::string::npos)
      << r.error().message();
}

TEST(PipelineLimit, APassedLimitSendsNothing) {
  Harness h(NoJitterSeedConfig());
  const Deadline limit = Deadline::After(h.clock.Now(), seconds(1));
  h.clock.Advance(seconds(2));
  int attempts = 0;
  Result<int> r = h.pipeline.Execute(h.pipeline.operation("ec2_run_instances"),
                                     ResiliencePipeline::Resources{}, limit, [&]() -> Result<int> {
                                       ++attempts;
                                       return 1;
                                     });
  EXPECT_EQ(attempts, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), "DeadlineExceeded");
}

TEST(PipelineCircuitWait, RetryOnCircuitOpenWaitsForTheProbe) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.retry.retry_on_circuit_open = true;
  c.circuit_breaker.services["aws_ec2"].failure_threshold = 1;
  Harness h(c);
  const MonoTime start = h.clock.Now();
  int attempts = 0;
  Result<int> r = h.pipeline.Execute("ec2_run_instances", [&]() -> Result<int> {
    if (++attempts == 1) return kThrottle;
    return 7;
  });
  ASSERT_TRUE(r.ok());
  // Attempt 1 fails at t=0 and opens the circuit; the retry after 2 s is rejected; the call waits
  // the 28 s left of the reset timeout plus the first backoff step (2 s, no jitter) and its probe
  // closes the circuit.
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(h.clock.Now() - start, seconds(32));
  EXPECT_THAT(h.events.lines("circuit"),
              ElementsAre("circuit aws_ec2 closed->open", "circuit aws_ec2 open->half_open",
                          "circuit aws_ec2 half_open->closed"));
}

TEST(PipelineCircuitWait, GivesUpWhenTheCircuitCannotHalfOpenInTime) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.retry.retry_on_circuit_open = true;
  c.timeout.operations["ec2_run_instances"] = seconds(20);
  Harness h(c);
  ASSERT_TRUE(h.pipeline.breakers().Get("aws_ec2").ForceOpen().ok());
  EXPECT_EQ(h.pipeline.Execute("ec2_run_instances", [] { return Result<int>(1); }).error().kind(),
            ErrorKind::kCircuitOpen);
}

TEST(PipelineQuota, AnEmptyQuotaStopsRetries) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.circuit_breaker.enabled = false;
  c.retry.quota = {.enabled = true, .max_tokens = 10, .retry_cost = 5};
  Harness h(c);
  int attempts = 0;
  (void)h.pipeline.Execute("ec2_run_instances", [&] {
    ++attempts;
    return Result<int>(kThrottle);
  });
  EXPECT_EQ(attempts, 3) << "10 tokens pay for two retries";
  attempts = 0;
  (void)h.pipeline.Execute("ec2_run_instances", [&] {
    ++attempts;
    return Result<int>(kThrottle);
  });
  EXPECT_EQ(attempts, 1) << "nothing left for the next call";
}

TEST(PipelineRetryAfter, AServerHintRaisesTheDelay) {
  Harness h(NoJitterSeedConfig());
  int attempts = 0;
  (void)h.pipeline.Execute("ec2_run_instances", [&]() -> Result<int> {
    if (++attempts == 1) return kThrottle.WithRetryAfter(seconds(9));
    return 1;
  });
  EXPECT_THAT(h.clock.sleeps(), ElementsAre(seconds(9)));
}

TEST(PipelineCancel, AStopRequestEndsTheCall) {
  Harness h(NoJitterSeedConfig());
  std::stop_source stop;
  int attempts = 0;
  Result<int> r = h.pipeline.Execute(
      h.pipeline.operation("ec2_run_instances"),
      [&]() -> Result<int> {
        ++attempts;
        stop.request_stop();
        return kThrottle;
      },
      stop.get_token());
  EXPECT_EQ(r.error().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(attempts, 1);
}

TEST(PipelineAlerts, ConsecutiveFailuresRaiseAnAlertEveryN) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.circuit_breaker.enabled = false;
  c.error_handling.max_consecutive_failures_before_alert = 2;
  Harness h(c);
  for (int i = 0; i < 5; ++i)
    (void)h.pipeline.Execute("ec2_describe_instances", [] { return Result<int>(kInvalid); });
  EXPECT_THAT(h.events.lines("alert"), ElementsAre("alert consecutive_failures aws_ec2 2",
                                                   "alert consecutive_failures aws_ec2 4"));
  (void)h.pipeline.Execute("ec2_describe_instances", [] { return Result<int>(1); });
  (void)h.pipeline.Execute("ec2_describe_instances", [] { return Result<int>(kInvalid); });
  EXPECT_EQ(h.events.lines("alert").size(), 2U) << "a success restarts the count";
}

TEST(PipelineSwitches, DisabledRetryAndBreakerMeanOneUnguardedAttempt) {
  ResilienceConfig c = NoJitterSeedConfig();
  c.retry.enabled = false;
  c.circuit_breaker.enabled = false;
  Harness h(c);
  for (int i = 0; i < 10; ++i) {
    int attempts = 0;
    (void)h.pipeline.Execute("ec2_run_instances", [&] {
      ++attempts;
      return Result<int>(kThrottle);
    });
    EXPECT_EQ(attempts, 1);
  }
  EXPECT_EQ(h.pipeline.operation("ec2_run_instances").breaker(), nullptr);
}

TEST(PipelineCallables, AcceptEveryCallingConvention) {
  Harness h(ResilienceConfig{});
  EXPECT_EQ(*h.pipeline.Execute("op", [] { return Result<int>(1); }), 1);
  EXPECT_EQ(*h.pipeline.Execute("op", [](Deadline d) { return Result<bool>(!d.is_infinite()); }),
            true);
  EXPECT_EQ(
      *h.pipeline.Execute("op", [](std::stop_token s) { return Result<bool>(s.stop_possible()); }),
      false);
  EXPECT_EQ(*h.pipeline.Execute("op",
                                [](const AttemptContext& ctx) {
                                  return Result<std::string>(std::string(ctx.operation));
                                }),
            "op");
  Status s = h.pipeline.Execute("op", [] { return Status(); });
  EXPECT_TRUE(s.ok());
}

TEST(PipelineOperations, ResolveServicesFromTheOperationTable) {
  Harness h(NoJitterSeedConfig());
  EXPECT_EQ(h.pipeline.operation("ec2_run_instances").service(), "aws_ec2");
  EXPECT_EQ(h.pipeline.operation("autoscaling_create_group").service(), "aws_autoscaling");
  EXPECT_EQ(h.pipeline.operation("custom_thing").service(), "default");
  EXPECT_EQ(h.pipeline.operation("custom_other", "aws_ec2").service(), "aws_ec2");
  EXPECT_EQ(&h.pipeline.operation("ec2_run_instances"),
            &h.pipeline.operation("ec2_run_instances", "elsewhere"));
  EXPECT_EQ(h.pipeline.operation("ec2_run_instances").breaker(),
            h.pipeline.operation("ec2_describe_instances").breaker());
  EXPECT_EQ(h.pipeline.operation("ec2_run_instances").policy().retry.max_attempts, 5);
}

TEST(PipelineOperations, TheLibraryAloneKnowsNoService) {
  Harness h(ResilienceConfig{});
  EXPECT_EQ(h.pipeline.operation("ec2_run_instances").service(), "default");
}

TEST(PipelineStateMachine, DecidesWithoutWaiting) {
  Harness h(NoJitterSeedConfig());
  PipelineCall call(h.pipeline, h.pipeline.operation("ec2_run_instances"), 1);
  PipelineCall::Step s = call.Start();
  ASSERT_EQ(s.kind, PipelineCall::StepKind::kAttempt);
  EXPECT_EQ(s.attempt, 1);
  s = call.AttemptFailed(kThrottle);
  ASSERT_EQ(s.kind, PipelineCall::StepKind::kWait);
  EXPECT_EQ(s.wait, seconds(2));
  h.clock.Advance(s.wait);
  s = call.WaitFinished();
  ASSERT_EQ(s.kind, PipelineCall::StepKind::kAttempt);
  EXPECT_EQ(s.attempt, 2);
  s = call.AttemptSucceeded();
  EXPECT_EQ(s.kind, PipelineCall::StepKind::kDone);
  EXPECT_TRUE(call.succeeded());
  EXPECT_EQ(call.attempts(), 2);
}

// ---- With the rate limiter ----

namespace limited {

using ohfp::resilience::testing::FlakyStore;

// Config() with a rate limiter: describe (2 tokens, 1 per second); run (1 token, one every 10 s)
// plus an instance bucket (10, one every 2 s).
ResilienceConfig LimitedConfig() {
  ResilienceConfig c = NoJitterSeedConfig();
  c.rate_limiter.enabled = true;
  c.rate_limiter.scope = "acct/region";
  c.rate_limiter.buckets = {{"describe", {.capacity = 2, .refill_rate = 1}},
                            {"run", {.capacity = 1, .refill_rate = 0.1}},
                            {"instances", {.capacity = 10, .refill_rate = 0.5}}};
  c.rate_limiter.operations = {
      {"ec2_describe_instances", {.buckets = {"describe"}}},
      {"ec2_run_instances", {.buckets = {"run"}, .resource_buckets = {"instances"}}}};
  return c;
}

class LimitedPipelineTest : public PipelineTest {
 protected:
  explicit LimitedPipelineTest(ResilienceConfig config = LimitedConfig())
      : PipelineTest(std::move(config)) {}
};

TEST_F(LimitedPipelineTest, ThrottlesTheLimiterAbsorbsDoNotOpenTheBreaker) {
  // Nine throttles in a row, three calls of three attempts; aws_ec2 opens after three failures.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Run({&kThrottle}, "ec2_describe_instances").error().code(), "RequestLimitExceeded");
  }
  EXPECT_EQ(attempts_, 9);
  EXPECT_THAT(events_.lines("circuit"), IsEmpty());
  EXPECT_THAT(events_.lines("failure"), IsEmpty());
  EXPECT_EQ(pipeline_.breakers().Get("aws_ec2").state(), CircuitState::kClosed);
  // The limiter took the hint instead.
  EXPECT_THAT(events_.lines("rate"),
              ::testing::Contains("rate acct/region/describe lowered 1->0.7"));
  const MetricsSummary s = monitor_.GetMetricsSummary();
  EXPECT_EQ(s.throttled_attempts, 9U);
  EXPECT_GE(s.rate_decreases, 1U);
  EXPECT_EQ(s.circuit_breaker_opens, 0U);
}

class SeedSemanticsPipelineTest : public LimitedPipelineTest {
 protected:
  static ResilienceConfig Seed() {
    ResilienceConfig c = LimitedConfig();
    c.circuit_breaker.default_count_throttling = true;
    return c;
  }
  SeedSemanticsPipelineTest() : LimitedPipelineTest(Seed()) {}
};

TEST_F(SeedSemanticsPipelineTest, CountingThrottlesAsTheSeedDoesOpensTheBreaker) {
  Result<int> r = Run({&kThrottle}, "ec2_describe_instances");
  EXPECT_EQ(r.error().code(), "RequestLimitExceeded");
  r = Run({&kThrottle}, "ec2_describe_instances");
  EXPECT_EQ(r.error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_THAT(events_.lines("circuit"), ElementsAre("circuit aws_ec2 closed->open"));
}

TEST(CountThrottling, FollowsTheLimiterUnlessConfigured) {
  ResilienceConfig c = NoJitterSeedConfig();
  EXPECT_TRUE(c.PolicyFor("ec2_run_instances", "aws_ec2").count_throttling) << "the seed";
  c.rate_limiter.enabled = true;
  EXPECT_FALSE(c.PolicyFor("ec2_run_instances", "aws_ec2").count_throttling);
  c.circuit_breaker.services["aws_ec2"].count_throttling = true;
  EXPECT_TRUE(c.PolicyFor("ec2_run_instances", "aws_ec2").count_throttling);
  EXPECT_FALSE(c.PolicyFor("autoscaling_create_group", "aws_autoscaling").count_throttling);
  c.circuit_breaker.default_count_throttling = true;
  EXPECT_TRUE(c.PolicyFor("autoscaling_create_group", "aws_autoscaling").count_throttling);
}

TEST_F(LimitedPipelineTest, ACallWaitsForItsTokenWithinItsDeadline) {
  ASSERT_TRUE(Run({nullptr}, "ec2_describe_instances").ok());
  ASSERT_TRUE(Run({nullptr}, "ec2_describe_instances").ok());
  EXPECT_TRUE(clock_.sleeps().empty()) << "the burst";
  ASSERT_TRUE(Run({nullptr}, "ec2_describe_instances").ok());
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(1)));
  EXPECT_THAT(events_.lines("wait"),
              ElementsAre("wait ec2_describe_instances attempt=1 describe 1s"));
  EXPECT_EQ(attempts_, 3);
  EXPECT_EQ(monitor_.GetMetricsSummary().rate_limiter_waits, 1U);
}

TEST_F(LimitedPipelineTest, ACallThatCannotHaveATokenBeforeItsDeadlineFailsAtOnce) {
  // ec2_describe_instances has the default 30 s deadline; spend the burst and 40 s more of
  // tokens, so the next call would wait past its deadline.
  const Operation& op = pipeline_.operation("ec2_describe_instances");
  RateLimiter& limiter = *pipeline_.limiter();
  for (int i = 0; i < 42; ++i) (void)limiter.Acquire(op.limits(), 1, Duration::max());
  Result<int> r = Run({nullptr}, "ec2_describe_instances");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kThrottled);
  EXPECT_EQ(r.error().code(), "ClientRateLimitExceeded");
  EXPECT_THAT(std::string(r.error().message()),
              ::testing::HasSubstr("bucket acct/region/describe has no token for 41 s"));
  EXPECT_EQ(attempts_, 0) << "nothing was sent";
  EXPECT_TRUE(clock_.sleeps().empty()) << "and nothing waited for nothing";
  EXPECT_THAT(events_.lines("failure"), IsEmpty()) << "not a breaker failure";
  const MetricsSummary s = monitor_.GetMetricsSummary();
  EXPECT_EQ(s.rate_limited_calls, 1U);
  EXPECT_EQ(s.retry_attempts, 0U) << "not retried";
}

TEST_F(LimitedPipelineTest, ACallSpendsItsResourceCountFromTheResourceBuckets) {
  const Operation& op = pipeline_.operation("ec2_run_instances");
  auto launch = [&](std::uint32_t instances) {
    return pipeline_.Execute(op, ResiliencePipeline::Resources{instances}, [&]() -> Result<int> {
      ++attempts_;
      return 1;
    });
  };
  ASSERT_TRUE(launch(8).ok());
  // 10 s later the request bucket has its token again; the instance bucket has 2 + 5 of the 8.
  clock_.Advance(seconds(10));
  ASSERT_TRUE(launch(8).ok());
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(2)));
  EXPECT_THAT(events_.lines("wait"), ElementsAre("wait ec2_run_instances attempt=1 instances 2s"));
}

TEST_F(LimitedPipelineTest, TheStateMachineWaitsForTokensBeforeTheAttempt) {
  const Operation& op = pipeline_.operation("ec2_describe_instances");
  for (int i = 0; i < 2; ++i) (void)pipeline_.limiter()->Acquire(op.limits(), 1, seconds(30));
  PipelineCall call(pipeline_, op, 1);
  PipelineCall::Step s = call.Start();
  ASSERT_EQ(s.kind, PipelineCall::StepKind::kWait);
  EXPECT_EQ(s.wait, seconds(1));
  EXPECT_EQ(call.attempts(), 0);
  clock_.Advance(s.wait);
  s = call.WaitFinished();
  ASSERT_EQ(s.kind, PipelineCall::StepKind::kAttempt);
  EXPECT_EQ(s.attempt, 1);
  EXPECT_EQ(call.AttemptSucceeded().kind, PipelineCall::StepKind::kDone);
}

TEST(LimitedPipeline, AStoreFailureDoesNotBlockCalls) {
  ManualClock clock;
  testing::ScriptedRandom rng({0.5});
  InMemoryStateStore memory;
  FlakyStore store(memory, /*shared=*/false);
  RecordingObserver events;
  ResiliencePipeline pipeline(LimitedConfig(), {clock, rng, store, &events});
  store.set_failing(true);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(pipeline.Execute("ec2_describe_instances", [] { return Result<int>(1); }).ok());
  }
  EXPECT_TRUE(clock.sleeps().empty());
  EXPECT_THAT(events.lines("store_error acct/region"),
              ElementsAre("store_error acct/region/describe StoreUnavailable"));
}

}  // namespace limited
}  // namespace
}  // namespace ohfp::resilience
