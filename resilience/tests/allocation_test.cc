// The hot paths must not allocate: a closed-circuit success, an open-circuit rejection, a
// first-attempt success through retry, the decorator, the timeout manager and the whole pipeline.
// This binary replaces the global operator new to count allocations made by the current thread.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "ohfp/resilience/circuit_breaker.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/retry.h"
#include "ohfp/resilience/testing/scripted_random.h"
#include "ohfp/resilience/timeout.h"

namespace {
thread_local long allocations = 0;  // NOLINT: the hook needs a counter outside any object
}  // namespace

// Not inlined: GCC would otherwise see a `new` paired with the `free` inside `delete` and warn
// (-Wmismatched-new-delete) wherever both are inlined into one function.
[[gnu::noinline]] void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace ohfp::resilience {
namespace {

using std::chrono::seconds;

// Allocations made while running `f` (after one warm-up run, which may create lazily built state).
template <class F>
long AllocationsOf(F&& f) {
  f();
  const long before = allocations;
  for (int i = 0; i < 100; ++i) f();
  return allocations - before;
}

int Work() { return 1; }

class Allocations : public ::testing::Test {
 protected:
  ManualClock clock_;
  testing::ScriptedRandom rng_{{0.5}};
  InMemoryStateStore store_;
};

TEST_F(Allocations, ClosedCircuitSuccessAllocatesNothing) {
  CircuitBreaker breaker("aws_ec2", {}, store_, clock_);
  EXPECT_EQ(AllocationsOf([&] { (void)breaker.Call([] { return Result<int>(Work()); }); }), 0);
}

TEST_F(Allocations, OpenCircuitRejectionAllocatesNothing) {
  CircuitBreaker breaker("aws_ec2", {.failure_threshold = 1}, store_, clock_);
  (void)breaker.Call([] { return Result<int>(Error(ErrorKind::kThrottled)); });
  ASSERT_EQ(breaker.state(), CircuitState::kOpen);
  EXPECT_EQ(AllocationsOf([&] {
              Result<int> r = breaker.Call([] { return Result<int>(Work()); });
              if (r.ok()) std::abort();
            }),
            0);
}

TEST_F(Allocations, FirstAttemptSuccessThroughRetryAllocatesNothing) {
  ExponentialBackoffStrategy retry(RetryOptions{}, clock_, rng_);
  EXPECT_EQ(AllocationsOf([&] { (void)retry.Execute([] { return Result<int>(Work()); }); }), 0);
  auto decorated =
      RetryWithBackoff(RetryOptions{}, clock_, rng_)([](int x) { return Result<int>(x); });
  EXPECT_EQ(AllocationsOf([&] { (void)decorated(3); }), 0);
}

TEST_F(Allocations, TimeoutManagerWithADeadlineAllocatesNothing) {
  TimeoutManager timeouts(clock_, seconds(30));
  timeouts.SetOperationTimeout("ec2_run_instances", seconds(180));
  EXPECT_EQ(AllocationsOf([&] {
              (void)timeouts.ExecuteWithTimeout([](Deadline) { return Result<int>(Work()); },
                                                "ec2_run_instances");
            }),
            0);
}

TEST_F(Allocations, PipelineSuccessAllocatesNothing) {
  ResiliencePipeline pipeline(ResilienceConfig{}, {clock_, rng_, store_});
  const Operation& op = pipeline.operation("ec2_run_instances");
  EXPECT_EQ(AllocationsOf([&] { (void)pipeline.Execute(op, [] { return Result<int>(Work()); }); }),
            0);
}

TEST_F(Allocations, PipelineSuccessThroughTheRateLimiterAllocatesNothing) {
  ResilienceConfig config;
  config.rate_limiter.enabled = true;
  config.rate_limiter.scope = "123456789012/us-east-1";
  config.rate_limiter.buckets = {{"run", {.capacity = 1e6, .refill_rate = 1e6}},
                                 {"instances", {.capacity = 1e6, .refill_rate = 1e6}}};
  config.rate_limiter.operations = {
      {"ec2_run_instances", {.buckets = {"run"}, .resource_buckets = {"instances"}}}};
  ResiliencePipeline pipeline(config, {clock_, rng_, store_});
  const Operation& op = pipeline.operation("ec2_run_instances");
  (void)pipeline.Execute(op, [] { return Result<int>(Work()); });  // creates the records
  EXPECT_EQ(AllocationsOf([&] {
              (void)pipeline.Execute(op, ResiliencePipeline::Resources{3},
                                     [] { return Result<int>(Work()); });
            }),
            0);
}

TEST_F(Allocations, PipelineRejectionAllocatesNothing) {
  ResiliencePipeline pipeline(ResilienceConfig{}, {clock_, rng_, store_});
  const Operation& op = pipeline.operation("ec2_run_instances", "aws_ec2");
  ASSERT_TRUE(pipeline.breakers().Get("aws_ec2").ForceOpen().ok());
  EXPECT_EQ(AllocationsOf([&] {
              Result<int> r = pipeline.Execute(op, [] { return Result<int>(Work()); });
              if (r.ok()) std::abort();
            }),
            0);
}

TEST_F(Allocations, TheCounterWorks) {
  EXPECT_GT(AllocationsOf([] {
              int* volatile p = new int(3);  // volatile: the compiler may not elide this allocation
              delete p;
            }),
            0);
}

}  // namespace
}  // namespace ohfp::resilience
