// The resilience StateStore under concurrency, one suite for every backend: processes (each one
// ohfp process; for PostgreSQL, think of several hosts) and threads updating one record, spending
// from one rate-limiter bucket, and racing for a half-open probe that exactly one may take.
// Children are forked (tests/support/forked_child.h) and open their own store after the fork; the
// parent holds no connection across it (SQLite's per-process lock bookkeeping must not be shared
// with a child) and is single-threaded when it forks. Children report through their exit code
// and stderr; pipes order parent and children without sleeping. This file is compiled into two
// binaries: ohfp_store_concurrency_tests (SQLite, also run under ThreadSanitizer) and
// ohfp_pg_concurrency_tests (built with OHFP_CONTRACT_POSTGRES). What only one backend does
// (migrations racing, a writer killed mid-transaction) is in store_concurrency_test.cc and
// pg_concurrency_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "concurrency_workloads.h"
#include "forked_child.h"
#include "ohfp/resilience/circuit_breaker.h"
#include "store_backends.h"

namespace ohfp::store {
namespace {

using resilience::ErrorKind;
using resilience::Result;

class StateStoreConcurrency : public testing::BackendTest<resilience::StateStore> {
 protected:
  // One ohfp process's store (or nullptr, with the reason on stderr): safe in a forked child.
  static std::unique_ptr<resilience::StateStore> Open(const testing::StateStoreBackend& backend,
                                                      const std::string& location) {
    auto store = backend.open(location);
    if (!store.ok()) {
      testing::Fail(0, store.error().ToString());
      return nullptr;
    }
    return std::move(*store);
  }
  std::unique_ptr<resilience::StateStore> OpenStore() const { return Open(GetParam(), location_); }
};

TEST_P(StateStoreConcurrency, ProcessesIncrementingOneRecordLoseNoUpdate) {
  constexpr int kProcesses = 4;
  constexpr int kIncrements = 100;
  const testing::StateStoreBackend backend = GetParam();
  const std::string location = location_;
  // Released together, onto a location whose tables do not exist yet.
  const std::vector<int> codes = testing::RunTogether(kProcesses, [&] {
    auto store = Open(backend, location);
    return store == nullptr ? 2 : testing::Increment(*store, kIncrements);
  });
  for (int code : codes) EXPECT_EQ(code, 0);

  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const resilience::BreakerRecord breaker = *store->ReadBreaker("aws_ec2");
  EXPECT_EQ(breaker.failure_count, std::uint32_t{kProcesses * kIncrements});
  EXPECT_EQ(breaker.version, std::uint64_t{kProcesses * kIncrements});
  const resilience::QuotaRecord quota = *store->ReadQuota("aws_ec2");
  EXPECT_EQ(quota.tokens, kProcesses * kIncrements);
  EXPECT_EQ(quota.version, std::uint64_t{kProcesses * kIncrements});
}

// A bucket nobody has written yet: the first writers race to create it. Every token is taken
// once, none twice.
TEST_P(StateStoreConcurrency, ProcessesSpendingFromOneBucketNeverTakeMoreThanItHolds) {
  constexpr int kProcesses = 4;
  constexpr int kAsks = 40;      // 160 asks for the 50 tokens
  constexpr int kReserves = 10;  // then, in new processes, 10 each that may wait
  const testing::StateStoreBackend backend = GetParam();
  const std::string location = location_;
  auto run = [&](int asks, int reserves) {
    int granted = 0;
    for (int code : testing::RunTogether(kProcesses, [&] {
           auto store = Open(backend, location);
           return store == nullptr ? 250 : testing::Spend(*store, asks, reserves);
         })) {
      EXPECT_LE(code, asks) << "a child failed (see its stderr)";
      granted += code;
    }
    return granted;
  };
  EXPECT_EQ(run(kAsks, 0), testing::kBucketTokens) << "every token once, none twice";
  EXPECT_EQ(run(0, kReserves), 0);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::vector<resilience::LimiterRecord> r(1);
  ASSERT_TRUE(store
                  ->UpdateLimiters(std::vector<std::string>{std::string(testing::kBucketKey)}, r,
                                   [](std::span<resilience::LimiterRecord>) { return false; })
                  .ok());
  // Reservations are a debt their callers wait out: 40 tokens owed. One write per token taken;
  // the asks refused took nothing and wrote nothing.
  EXPECT_NEAR(r[0].tokens, -kProcesses * kReserves, 1e-9);
  EXPECT_EQ(r[0].version, std::uint64_t{testing::kBucketTokens + kProcesses * kReserves});
}

TEST_P(StateStoreConcurrency, ThreadsSpendingFromOneBucketNeverTakeMoreThanItHolds) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  resilience::ManualClock clock;
  testing::StoreErrors errors;  // reported once, from whichever thread; read after they joined
  resilience::RateLimiter limiter(testing::OneBucket(), *store, clock, &errors);
  const resilience::RateLimiter::Plan plan = limiter.PlanFor("ec2_describe_instances");
  std::atomic<int> granted{0};
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        for (int n = 0; n < 20; ++n) {
          if (limiter.Acquire(plan, 1, std::chrono::nanoseconds(1)).granted) granted.fetch_add(1);
        }
      });
    }
  }
  EXPECT_EQ(errors.count(), 0);
  EXPECT_EQ(granted.load(), testing::kBucketTokens);
}

TEST_P(StateStoreConcurrency, ThreadsWithAStoreEachLoseNoUpdate) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 100;
  const testing::StateStoreBackend backend = GetParam();
  std::atomic<int> failed{0};
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        auto store = Open(backend, location_);
        if (store == nullptr || testing::Increment(*store, kIncrements) != 0) failed.fetch_add(1);
      });
    }
  }
  EXPECT_EQ(failed.load(), 0);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->failure_count, std::uint32_t{kThreads * kIncrements});
  EXPECT_EQ(store->ReadQuota("aws_ec2")->tokens, kThreads * kIncrements);
}

TEST_P(StateStoreConcurrency, ThreadsSharingOneStoreLoseNoUpdate) {
  constexpr int kThreads = 8;
  constexpr int kIncrements = 40;
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::atomic<int> failed{0};
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        for (int n = 0; n < kIncrements; ++n) {
          if (testing::Increment(*store, 1) != 0) failed.fetch_add(1);
          if (!store->ReadBreaker("aws_ec2").ok()) failed.fetch_add(1);
        }
      });
    }
  }
  EXPECT_EQ(failed.load(), 0);
  const resilience::BreakerRecord record = *store->ReadBreaker("aws_ec2");
  EXPECT_EQ(record.failure_count, std::uint32_t{kThreads * kIncrements});
  EXPECT_EQ(record.version, std::uint64_t{kThreads * kIncrements});
  EXPECT_EQ(store->ReadQuota("aws_ec2")->tokens, kThreads * kIncrements);
}

// An open circuit past its reset timeout, and eight processes calling at once: exactly one runs
// the half-open probe; the others are rejected while it runs.
TEST_P(StateStoreConcurrency, TheHalfOpenProbeIsTakenByExactlyOneProcess) {
  constexpr int kProcesses = 8;
  const resilience::CircuitBreakerOptions options{
      .failure_threshold = 1, .reset_timeout = std::chrono::seconds(30), .half_open_max_probes = 1};
  {
    resilience::ManualClock clock;
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    resilience::CircuitBreaker breaker("aws_ec2", options, *store, clock);
    (void)breaker.Call([] {
      return Result<int>(resilience::Error(ErrorKind::kTransient, "Unavailable", "down"));
    });
    ASSERT_EQ(store->ReadBreaker("aws_ec2")->state, resilience::CircuitState::kOpen);
  }  // closed: no connection crosses the fork
  const testing::StateStoreBackend backend = GetParam();
  const std::string location = location_;
  ohfp::testing::Pipe start;
  ohfp::testing::Pipe rejected;  // each rejected process writes a byte
  ohfp::testing::Pipe
      finish;  // the parent lets the probe finish once every other process was rejected
  std::vector<std::unique_ptr<ohfp::testing::Child>> children;
  for (int i = 0; i < kProcesses; ++i) {
    children.push_back(std::make_unique<ohfp::testing::Child>([&] {
      start.CloseWrite();
      start.ReadByte();
      resilience::ManualClock clock;
      clock.Advance(std::chrono::seconds(31));  // the same virtual time in every process
      auto store = Open(backend, location);
      if (store == nullptr) return 5;
      resilience::CircuitBreaker breaker("aws_ec2", options, *store, clock);
      bool probed = false;
      Result<int> r = breaker.Call([&] {
        probed = true;
        rejected.CloseWrite();  // were every process to probe, the parent would not wait forever
        finish.ReadByte();
        return Result<int>(1);
      });
      if (probed) return r.ok() ? 0 : 4;
      if (r.ok() || r.error().kind() != ErrorKind::kCircuitOpen) return 3;
      rejected.WriteByte();
      return 2;
    }));
  }
  start.CloseWrite();
  rejected.CloseWrite();
  for (int i = 0; i < kProcesses - 1; ++i) ASSERT_TRUE(rejected.ReadByte()) << "rejection " << i;
  finish.WriteByte();
  int probes = 0;
  int rejections = 0;
  for (auto& child : children) {
    const int code = child->Wait();
    probes += code == 0 ? 1 : 0;
    rejections += code == 2 ? 1 : 0;
  }
  EXPECT_EQ(probes, 1);
  EXPECT_EQ(rejections, kProcesses - 1);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->state, resilience::CircuitState::kClosed)
      << "the probe succeeded";
}

// Every wait for a lock or the server may last 120 s: contention never exhausts it; the tests
// assert on counts, never on time.
#ifndef OHFP_CONTRACT_POSTGRES
INSTANTIATE_TEST_SUITE_P(Backends, StateStoreConcurrency,
                         ::testing::Values(testing::SqliteStateStores(std::chrono::seconds(120))),
                         [](const auto& param_info) { return param_info.param.name; });
#else
INSTANTIATE_TEST_SUITE_P(Backends, StateStoreConcurrency,
                         ::testing::Values(testing::PostgresStateStores(std::chrono::seconds(120))),
                         [](const auto& param_info) { return param_info.param.name; });
#endif

}  // namespace
}  // namespace ohfp::store
