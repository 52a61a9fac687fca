// Concurrency and crash tests of the PostgreSQL store: processes (each one ohfp process, on any
// host: they share nothing but the server) and threads updating one record, a half-open probe that
// exactly one of them may take, migrations racing, a client killed while it holds a row lock.
// Children are forked (tests/support/forked_child.h) and open their own connections after the
// fork; the parent holds none across it. Pipes order parent and children without sleeping.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "forked_child.h"
#include "ohfp/resilience/circuit_breaker.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/rate_limiter.h"
#include "store/pg_request_store.h"
#include "store/pg_rows.h"
#include "store/pg_state_store.h"
#include "store_backends.h"

namespace ohfp::store {
namespace {

using ohfp::testing::Child;
using ohfp::testing::Pipe;
using resilience::BreakerRecord;
using resilience::CircuitState;
using resilience::ErrorKind;
using resilience::QuotaRecord;
using resilience::Result;

int Fail(int code, const std::string& what) {
  std::fprintf(stderr, "child %d: %s\n", static_cast<int>(getpid()), what.c_str());
  return code;
}

// A bucket of 50 tokens, refilled at 1 per second; every process's clock stands still at the
// same instant, so what the bucket allows is exactly its 50 tokens.
constexpr int kBucketTokens = 50;
constexpr std::string_view kBucketKey = "123456789012/us-east-1/ec2:DescribeInstances";
resilience::RateLimiterConfig OneBucket() {
  resilience::RateLimiterConfig c;
  c.enabled = true;
  c.scope = "123456789012/us-east-1";
  c.buckets = {{"ec2:DescribeInstances", {.capacity = kBucketTokens, .refill_rate = 1}}};
  c.operations = {{"ec2_describe_instances", {.buckets = {"ec2:DescribeInstances"}}}};
  return c;
}

// Counts the store errors the limiter reports (it carries on without the store).
class StoreErrors final : public resilience::ResilienceObserver {
 public:
  void OnStoreError(std::string_view, const resilience::Error& error) override {
    std::fprintf(stderr, "store error: %s\n", error.ToString().c_str());
    ++count_;
  }
  int count() const { return count_; }

 private:
  int count_ = 0;
};

class PgConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    pg_ = testing::TestPostgres(why);
    if (pg_ == nullptr) GTEST_SKIP() << why;
    settings_ = {
        .url = pg_->Url(), .schema = pg_->NewSchema(), .timeout = std::chrono::seconds(120)};
  }
  // One ohfp process's state store (or nullptr, with the reason on stderr).
  static std::unique_ptr<PgStateStore> Open(const PgSettings& settings,
                                            const resilience::Clock& clock) {
    auto pool = PgPool::Open(settings, clock);
    if (!pool.ok()) {
      Fail(0, pool.error().ToString());
      return nullptr;
    }
    auto store = PgStateStore::Open(*pool, settings.schema);
    if (!store.ok()) {
      Fail(0, store.error().ToString());
      return nullptr;
    }
    return std::move(*store);
  }
  static int Increment(resilience::StateStore& store, int count) {
    for (int i = 0; i < count; ++i) {
      Result<BreakerRecord> b = store.UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
        ++r.failure_count;
        return true;
      });
      if (!b.ok()) return Fail(3, b.error().ToString());
      Result<QuotaRecord> q = store.UpdateQuota("aws_ec2", [](QuotaRecord& r) {
        r.tokens = r.tokens.value_or(0) + 1;
        return true;
      });
      if (!q.ok()) return Fail(4, q.error().ToString());
    }
    return 0;
  }

  // One ohfp process asking `count` times for a token it must have at once (a deadline of 1 ns:
  // no waiting), then `reserve` times for one it may wait for. Exits with the number of tokens it
  // was granted at once (at most 200), or 250+ on an error.
  static int Spend(const PgSettings& settings, int count, int reserve) {
    resilience::SystemClock system;
    auto store = Open(settings, system);
    if (store == nullptr) return 250;
    resilience::ManualClock clock;  // every process at the same instant
    StoreErrors errors;
    resilience::RateLimiter limiter(OneBucket(), *store, clock, &errors);
    const resilience::RateLimiter::Plan plan = limiter.PlanFor("ec2_describe_instances");
    int granted = 0;
    for (int i = 0; i < count; ++i) {
      if (limiter.Acquire(plan, 1, std::chrono::nanoseconds(1)).granted) ++granted;
    }
    for (int i = 0; i < reserve; ++i) (void)limiter.Acquire(plan, 1, resilience::Duration::max());
    if (errors.count() != 0) return Fail(251, "the store failed");
    return granted;
  }

  ohfp::testing::PostgresServer* pg_ = nullptr;
  PgSettings settings_;
  resilience::SystemClock clock_;
};

// Eight processes released together onto a schema that does not exist yet: they create it once
// (no process fails on a half-made schema) and lose no update.
TEST_F(PgConcurrencyTest, ProcessesOnANewSchemaMigrateItOnceAndLoseNoUpdate) {
  constexpr int kProcesses = 8;
  constexpr int kIncrements = 40;
  const PgSettings settings = settings_;
  Pipe start;
  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < kProcesses; ++i) {
    children.push_back(std::make_unique<Child>([&] {
      start.CloseWrite();
      start.ReadByte();
      resilience::SystemClock clock;
      auto pool = PgPool::Open(settings, clock);
      if (!pool.ok()) return Fail(2, pool.error().ToString());
      auto requests = PgRequestStore::Open(*pool);  // both components, as ohfp opens them
      if (!requests.ok()) return Fail(2, requests.error().ToString());
      auto store = PgStateStore::Open(*pool, settings.schema);
      if (!store.ok()) return Fail(2, store.error().ToString());
      return Increment(**store, kIncrements);
    }));
  }
  start.CloseWrite();
  for (auto& child : children) EXPECT_EQ(child->Wait(), 0);

  auto store = Open(settings_, clock_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->failure_count, std::uint32_t{kProcesses * kIncrements});
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->version, std::uint64_t{kProcesses * kIncrements});
  EXPECT_EQ(store->ReadQuota("aws_ec2")->tokens, kProcesses * kIncrements);
  std::string out;
  ASSERT_TRUE(pg_->Sql("SELECT component || ':' || count(*) FROM " + settings_.schema +
                           ".schema_version GROUP BY component ORDER BY component",
                       &out))
      << out;
  // Each migration applied once, by one process.
  EXPECT_EQ(out, "requests:" + std::to_string(internal::PgRequestMigrations().size()) +
                     "\nresilience:" + std::to_string(PgResilienceMigrations().size()));
}

// Processes of several hosts spending from one rate-limiter bucket at once (a bucket nobody has
// written yet: the first writers race to create it): every token is taken once, none twice.
TEST_F(PgConcurrencyTest, ProcessesSpendingFromOneBucketNeverTakeMoreThanItHolds) {
  constexpr int kProcesses = 4;
  constexpr int kAsks = 40;      // 160 asks for the 50 tokens
  constexpr int kReserves = 10;  // then, in new processes, 10 each that may wait
  const PgSettings settings = settings_;
  auto run = [&](int asks, int reserves) {
    Pipe start;
    std::vector<std::unique_ptr<Child>> children;
    for (int i = 0; i < kProcesses; ++i) {
      children.push_back(std::make_unique<Child>([&] {
        start.CloseWrite();
        start.ReadByte();
        return Spend(settings, asks, reserves);
      }));
    }
    start.CloseWrite();
    int granted = 0;
    for (auto& child : children) {
      const int code = child->Wait();
      EXPECT_LE(code, asks) << "a child failed (see its stderr)";
      granted += code;
    }
    return granted;
  };
  EXPECT_EQ(run(kAsks, 0), kBucketTokens) << "every token once, none twice";
  EXPECT_EQ(run(0, kReserves), 0);
  auto store = Open(settings_, clock_);
  ASSERT_NE(store, nullptr);
  std::vector<resilience::LimiterRecord> r(1);
  ASSERT_TRUE(store
                  ->UpdateLimiters(std::vector<std::string>{std::string(kBucketKey)}, r,
                                   [](std::span<resilience::LimiterRecord>) { return false; })
                  .ok());
  // Reservations are a debt their callers wait out: 40 tokens owed. One write per token taken;
  // the asks refused took nothing and wrote nothing.
  EXPECT_NEAR(r[0].tokens, -kProcesses * kReserves, 1e-9);
  EXPECT_EQ(r[0].version, std::uint64_t{kBucketTokens + kProcesses * kReserves});
}

TEST_F(PgConcurrencyTest, ThreadsSharingOneStoreLoseNoUpdate) {
  constexpr int kThreads = 8;
  constexpr int kIncrements = 30;
  auto store = Open(settings_, clock_);
  ASSERT_NE(store, nullptr);
  std::atomic<int> failed{0};
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        if (Increment(*store, kIncrements) != 0) failed.fetch_add(1);
        if (!store->ReadBreaker("aws_ec2").ok()) failed.fetch_add(1);
      });
    }
  }
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->failure_count, std::uint32_t{kThreads * kIncrements});
  EXPECT_EQ(store->ReadQuota("aws_ec2")->tokens, kThreads * kIncrements);
}

// An open circuit past its reset timeout, and eight processes (think: of two hosts) calling at
// once: exactly one runs the half-open probe; the others are rejected while it runs.
TEST_F(PgConcurrencyTest, TheHalfOpenProbeIsTakenByExactlyOneProcess) {
  constexpr int kProcesses = 8;
  const resilience::CircuitBreakerOptions options{
      .failure_threshold = 1, .reset_timeout = std::chrono::seconds(30), .half_open_max_probes = 1};
  {
    resilience::ManualClock clock;
    auto store = Open(settings_, clock);
    ASSERT_NE(store, nullptr);
    resilience::CircuitBreaker breaker("aws_ec2", options, *store, clock);
    (void)breaker.Call([] {
      return Result<int>(resilience::Error(ErrorKind::kTransient, "Unavailable", "down"));
    });
    ASSERT_EQ(store->ReadBreaker("aws_ec2")->state, CircuitState::kOpen);
  }
  const PgSettings settings = settings_;
  Pipe start;
  Pipe rejected;  // each rejected process writes a byte
  Pipe finish;    // the parent lets the probe finish once every other process was rejected
  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < kProcesses; ++i) {
    children.push_back(std::make_unique<Child>([&] {
      start.CloseWrite();
      start.ReadByte();
      resilience::ManualClock clock;
      clock.Advance(std::chrono::seconds(31));  // the same virtual time in every process
      auto store = Open(settings, clock);
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
  auto store = Open(settings_, clock_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->state, CircuitState::kClosed) << "the probe succeeded";
}

// A process killed while it holds a record's row lock (mid-update): the server rolls its
// transaction back when the connection drops, and the next writer goes ahead.
TEST_F(PgConcurrencyTest, AProcessKilledHoldingARowLockDoesNotBlockTheOthers) {
  {
    auto store = Open(settings_, clock_);
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(Increment(*store, 1), 0);
  }
  const PgSettings settings = settings_;
  // A child locks the row inside a transaction, says so, and is killed there.
  Pipe ready;
  Child killed([&] {
    resilience::SystemClock clock;
    auto pool = PgPool::Open(settings, clock);
    if (!pool.ok()) return 2;
    (void)(*pool)->Transact([&](PgConnection& c, resilience::Deadline d) -> resilience::Status {
      Result<PgResult> r = c.Exec("SELECT failure_count FROM " + settings.schema +
                                      ".resilience_breakers WHERE service = 'aws_ec2' FOR UPDATE",
                                  d);
      if (!r.ok()) return r.error();
      ready.WriteByte();
      for (;;) ::pause();  // killed here, inside the transaction, holding the row lock
    });
    return 3;
  });
  ready.CloseWrite();
  ASSERT_TRUE(ready.ReadByte());
  killed.Kill();
  EXPECT_EQ(killed.Wait(), -SIGKILL);
  auto store = Open(settings_, clock_);
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(Increment(*store, 1), 0);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->version, 2U) << "the killed transaction left nothing";
}

}  // namespace
}  // namespace ohfp::store
