// Many threads through one breaker, one quota, one pipeline. Run under ThreadSanitizer by
// scripts/test.sh; the assertions check invariants that hold whatever the interleaving.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <mutex>
#include <thread>
#include <vector>

#include "ohfp/resilience/circuit_breaker.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/rate_limiter.h"
#include "ohfp/resilience/retry_quota.h"
#include "ohfp/resilience/testing/flaky_store.h"
#include "ohfp/resilience/timer_service.h"

namespace ohfp::resilience {
namespace {

using std::chrono::seconds;

constexpr int kThreads = 8;

template <class F>
void RunThreads(int n, F&& body) {
  std::vector<std::thread> threads;
  std::barrier start(n);
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      body(t);
    });
  }
  for (std::thread& th : threads) th.join();
}

TEST(Concurrency, OneBreakerManyThreadsKeepsItsRecordConsistent) {
  ManualClock clock;
  InMemoryStateStore store;
  ResilienceMonitor monitor;
  CircuitBreaker breaker("aws_ec2", {.failure_threshold = 5, .reset_timeout = seconds(1)}, store,
                         clock, nullptr, &monitor.Service("aws_ec2"));
  std::atomic<int> ran{0};
  std::atomic<int> rejected{0};
  RunThreads(kThreads, [&](int t) {
    for (int i = 0; i < 2000; ++i) {
      Result<int> r = breaker.Call([&]() -> Result<int> {
        ran.fetch_add(1);
        if ((i + t) % 7 == 0) return Error(ErrorKind::kTransient);
        return 1;
      });
      if (!r.ok() && r.error().kind() == ErrorKind::kCircuitOpen) rejected.fetch_add(1);
      if (i % 100 == 0) clock.Advance(std::chrono::milliseconds(300));
    }
  });
  EXPECT_EQ(ran.load() + rejected.load(), kThreads * 2000);
  const BreakerRecord r = *store.ReadBreaker("aws_ec2");
  const ServiceCounters& c = monitor.Service("aws_ec2");
  // Every transition is counted once: opens and closes alternate around half-opens.
  EXPECT_LE(c.circuit_breaker_closes.load(), c.circuit_breaker_half_opens.load());
  EXPECT_LE(c.circuit_breaker_half_opens.load(), c.circuit_breaker_opens.load());
  EXPECT_EQ(r.generation, c.circuit_breaker_opens.load() + c.circuit_breaker_half_opens.load() +
                              c.circuit_breaker_closes.load());
}

TEST(Concurrency, TheHalfOpenProbeLimitHoldsUnderContention) {
  ManualClock clock;
  InMemoryStateStore store;
  CircuitBreaker breaker(
      "aws_ec2", {.failure_threshold = 1, .reset_timeout = seconds(10), .half_open_max_probes = 2},
      store, clock);
  (void)breaker.Call([] { return Result<int>(Error(ErrorKind::kTransient)); });
  clock.Advance(seconds(10));
  std::atomic<int> admitted{0};
  std::vector<CircuitBreaker::Permit> permits(kThreads * 50);
  RunThreads(kThreads, [&](int t) {
    for (int i = 0; i < 50; ++i) {
      Result<CircuitBreaker::Permit> p = breaker.TryAcquire();
      if (p.ok()) {
        permits[static_cast<std::size_t>(admitted.fetch_add(1))] = *p;
      }
    }
    (void)t;
  });
  EXPECT_EQ(admitted.load(), 2) << "only two probes may be in flight";
  EXPECT_EQ(store.ReadBreaker("aws_ec2")->half_open_probes, 2U);
}

TEST(Concurrency, SharedStoreBreakersSeeEachOther) {
  ManualClock clock;
  InMemoryStateStore memory;
  testing::FlakyStore shared(memory, true);
  std::vector<std::unique_ptr<CircuitBreaker>> processes;
  for (int i = 0; i < kThreads; ++i) {
    processes.push_back(std::make_unique<CircuitBreaker>(
        "aws_ec2", CircuitBreakerOptions{.failure_threshold = 1000000}, shared, clock));
  }
  RunThreads(kThreads, [&](int t) {
    for (int i = 0; i < 250; ++i) {
      (void)processes[static_cast<std::size_t>(t)]->Call(
          [] { return Result<int>(Error(ErrorKind::kTransient)); });
    }
  });
  EXPECT_EQ(memory.ReadBreaker("aws_ec2")->failure_count,
            static_cast<std::uint32_t>(kThreads * 250))
      << "no failure was lost between processes";
}

TEST(Concurrency, TheRetryQuotaNeverOverdraws) {
  InMemoryStateStore store;
  RetryQuota quota("aws_ec2", {.enabled = true, .max_tokens = 500}, store);
  std::atomic<int> paid{0};
  RunThreads(kThreads, [&](int) {
    for (int i = 0; i < 100; ++i) {
      if (quota.TryAcquire(ErrorKind::kThrottled)) paid.fetch_add(1);
    }
  });
  EXPECT_EQ(paid.load(), 100);
  EXPECT_EQ(store.ReadQuota("aws_ec2")->tokens, 0);
}

TEST(Concurrency, ThreadsSpendingFromOneBucketEachGetTheirOwnPlaceInLine) {
  // 8 threads x 100 calls at one instant on a bucket of 100 tokens refilled at 10 per second:
  // the first 100 go at once and every other call waits its own tenth of a second longer than
  // the one before it. A lost update would give two calls the same place.
  ManualClock clock;
  InMemoryStateStore store;
  RateLimiterConfig config;
  config.enabled = true;
  config.buckets = {{"describe", {.capacity = 100, .refill_rate = 10}}};
  config.operations = {{"describe", {.buckets = {"describe"}}}};
  RateLimiter limiter(config, store, clock);
  const RateLimiter::Plan plan = limiter.PlanFor("describe");
  std::mutex mu;
  std::vector<std::int64_t> waits_ms;
  RunThreads(kThreads, [&](int) {
    std::vector<std::int64_t> mine;
    for (int i = 0; i < 100; ++i) {
      const RateLimiter::Grant g = limiter.Acquire(plan, 1, Duration::max());
      mine.push_back(std::chrono::round<std::chrono::milliseconds>(g.wait).count());
    }
    std::lock_guard lock(mu);
    waits_ms.insert(waits_ms.end(), mine.begin(), mine.end());
  });
  std::sort(waits_ms.begin(), waits_ms.end());
  ASSERT_EQ(waits_ms.size(), 800U);
  for (std::size_t i = 0; i < waits_ms.size(); ++i) {
    const std::int64_t expected = i < 100 ? 0 : static_cast<std::int64_t>(i - 99) * 100;
    ASSERT_EQ(waits_ms[i], expected) << "call " << i;
  }
}

TEST(Concurrency, APipelineSharedByThreadsCountsEveryCall) {
  ManualClock clock;
  SeededRandom rng(3);
  InMemoryStateStore store;
  ResilienceConfig config;
  config.retry.default_backoff.base_delay = Duration::zero();
  ResiliencePipeline pipeline(config, {clock, rng, store});
  const Operation& op = pipeline.operation("ec2_describe_instances");
  RunThreads(kThreads, [&](int t) {
    for (int i = 0; i < 500; ++i) {
      int attempt = 0;
      (void)pipeline.Execute(op, [&]() -> Result<int> {
        if (++attempt == 1 && (i + t) % 3 == 0) return Error(ErrorKind::kThrottled);
        return 1;
      });
    }
  });
  const MetricsSummary s = pipeline.monitor().GetMetricsSummary();
  EXPECT_EQ(s.total_operations, static_cast<std::uint64_t>(kThreads * 500));
  EXPECT_EQ(s.successful_operations + s.rejected_calls +
                (s.total_operations - s.successful_operations - s.rejected_calls),
            s.total_operations);
}

TEST(Concurrency, SeededRandomIsSafeFromManyThreads) {
  SeededRandom rng(11);
  std::atomic<int> out_of_range{0};
  RunThreads(kThreads, [&](int) {
    for (int i = 0; i < 10000; ++i) {
      const double d = rng.NextDouble();
      if (d < 0.0 || d >= 1.0) out_of_range.fetch_add(1);
    }
  });
  EXPECT_EQ(out_of_range.load(), 0);
}

TEST(Concurrency, TimerServiceSchedulesAndCancelsFromManyThreads) {
  SystemClock clock;
  std::atomic<int> fired{0};
  {
    ThreadTimerService timers;
    RunThreads(4, [&](int) {
      for (int i = 0; i < 100; ++i) {
        const TimerService::Id soon = timers.ScheduleAt(clock.Now(), [&] { fired.fetch_add(1); });
        const TimerService::Id never =
            timers.ScheduleAt(clock.Now() + std::chrono::hours(1), [&] { fired.fetch_add(1000); });
        (void)soon;
        EXPECT_TRUE(timers.Cancel(never));
      }
    });
  }
  EXPECT_LE(fired.load(), 400);
}

}  // namespace
}  // namespace ohfp::resilience
