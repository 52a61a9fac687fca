// Concurrency and crash tests of the SQLite store: threads and processes updating one record, and
// a process killed in the middle of a write.
//
// Child processes are made with fork() and run a lambda from this file, then leave with _exit():
// no gtest teardown, no atexit handlers, no destructors of the parent's objects. This keeps each
// scenario in one readable test without a helper program. Two rules keep it sound with SQLite:
// the parent has no connection to the database open when it forks (SQLite's per-process lock
// bookkeeping must not be shared with a child), and each child opens its own connection after the
// fork. The parent is single-threaded when it forks (thread tests join their threads first).
// Children report through their exit code and stderr; pipes order parent and children without
// sleeping.
#include <gtest/gtest.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "forked_child.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/rate_limiter.h"
#include "store/database.h"
#include "store/sqlite_state_store.h"
#include "store/statement.h"
#include "store/transaction.h"
#include "subprocess.h"

namespace ohfp::store {
namespace {

using ohfp::testing::Child;
using ohfp::testing::Pipe;

using resilience::BreakerRecord;
using resilience::ErrorKind;
using resilience::QuotaRecord;
using resilience::Result;

// Long enough that contention never exhausts it; the tests assert on counts, never on time.
constexpr std::chrono::milliseconds kPatientTimeout = std::chrono::seconds(120);

int Fail(int code, const std::string& what) {
  std::fprintf(stderr, "child %d: %s\n", static_cast<int>(getpid()), what.c_str());
  return code;
}

// One ohfp process: opens the store and adds `count` failures to aws_ec2's breaker and `count`
// tokens to its quota, one read-modify-write each.
int IncrementInOwnStore(const std::string& path, int count) {
  Result<std::unique_ptr<SqliteStateStore>> store =
      SqliteStateStore::Open(path, {.busy_timeout = kPatientTimeout});
  if (!store.ok()) return Fail(2, store.error().ToString());
  for (int i = 0; i < count; ++i) {
    Result<BreakerRecord> breaker = (*store)->UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
      ++r.failure_count;
      return true;
    });
    if (!breaker.ok()) return Fail(3, breaker.error().ToString());
    Result<QuotaRecord> quota = (*store)->UpdateQuota("aws_ec2", [](QuotaRecord& q) {
      q.tokens = q.tokens.value_or(0) + 1;
      return true;
    });
    if (!quota.ok()) return Fail(4, quota.error().ToString());
  }
  return 0;
}

// A bucket of 50 tokens, refilled at 1 per second; every process's clock stands still at the
// same instant, so what the bucket allows is exactly its 50 tokens.
constexpr int kBucketTokens = 50;
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

// One ohfp process asking `count` times for a token it must have at once (a deadline of 1 ns:
// no waiting), then `reserve` times for one it may wait for. Exits with the number of tokens it
// was granted at once (at most 200), or 250+ on an error.
int SpendInOwnStore(const std::string& path, int count, int reserve) {
  Result<std::unique_ptr<SqliteStateStore>> store =
      SqliteStateStore::Open(path, {.busy_timeout = kPatientTimeout});
  if (!store.ok()) return Fail(250, store.error().ToString());
  resilience::ManualClock clock;  // every process at the same instant
  StoreErrors errors;
  resilience::RateLimiter limiter(OneBucket(), **store, clock, &errors);
  const resilience::RateLimiter::Plan plan = limiter.PlanFor("ec2_describe_instances");
  int granted = 0;
  for (int i = 0; i < count; ++i) {
    if (limiter.Acquire(plan, 1, std::chrono::nanoseconds(1)).granted) ++granted;
  }
  for (int i = 0; i < reserve; ++i) (void)limiter.Acquire(plan, 1, resilience::Duration::max());
  if (errors.count() != 0) return Fail(251, "the store failed");
  return granted;
}

class StoreConcurrencyTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.path() + "/work/ohfp.db"; }
  std::unique_ptr<SqliteStateStore> OpenStore(std::chrono::milliseconds busy_timeout) {
    Result<std::unique_ptr<SqliteStateStore>> store =
        SqliteStateStore::Open(Path(), {.busy_timeout = busy_timeout});
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::int64_t Count(std::string_view sql) {
    Result<Database> db = Database::Open(Path());
    EXPECT_TRUE(db.ok());
    Result<Statement> q = db->Prepare(sql);
    EXPECT_TRUE(q.ok()) << q.error().ToString();
    Result<bool> row = q->Step();
    EXPECT_TRUE(row.ok() && *row);
    return q->Column<std::int64_t>(0);
  }

  testing::TempDir dir_;
};

TEST_F(StoreConcurrencyTest, ProcessesIncrementingOneRecordLoseNoUpdate) {
  constexpr int kProcesses = 4;
  constexpr int kIncrements = 100;
  const std::string path = Path();
  Pipe start;
  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < kProcesses; ++i) {
    children.push_back(std::make_unique<Child>([&] {
      start.CloseWrite();
      start.ReadByte();  // released together, onto a database that does not exist yet
      return IncrementInOwnStore(path, kIncrements);
    }));
  }
  start.CloseWrite();
  for (auto& child : children) EXPECT_EQ(child->Wait(), 0);

  auto store = OpenStore(kPatientTimeout);
  ASSERT_NE(store, nullptr);
  const BreakerRecord breaker = *store->ReadBreaker("aws_ec2");
  EXPECT_EQ(breaker.failure_count, std::uint32_t{kProcesses * kIncrements});
  EXPECT_EQ(breaker.version, std::uint64_t{kProcesses * kIncrements});
  const QuotaRecord quota = *store->ReadQuota("aws_ec2");
  EXPECT_EQ(quota.tokens, kProcesses * kIncrements);
  EXPECT_EQ(quota.version, std::uint64_t{kProcesses * kIncrements});
}

TEST_F(StoreConcurrencyTest, ProcessesStartingTogetherOnANewDatabaseMigrateItOnce) {
  constexpr int kProcesses = 8;
  const std::string path = Path();
  Pipe start;
  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < kProcesses; ++i) {
    children.push_back(std::make_unique<Child>([&] {
      start.CloseWrite();
      start.ReadByte();
      return IncrementInOwnStore(path, 1);
    }));
  }
  start.CloseWrite();
  for (auto& child : children) EXPECT_EQ(child->Wait(), 0);

  EXPECT_EQ(Count("SELECT count(*) FROM schema_version WHERE component = 'resilience'"),
            static_cast<std::int64_t>(ResilienceMigrations().size()));
  EXPECT_EQ(Count("SELECT failure_count FROM resilience_breakers WHERE service = 'aws_ec2'"),
            kProcesses);
}

TEST_F(StoreConcurrencyTest, ProcessesSpendingFromOneBucketNeverTakeMoreThanItHolds) {
  constexpr int kProcesses = 4;
  constexpr int kAsks = 40;      // 160 asks for the 50 tokens
  constexpr int kReserves = 10;  // then, in new processes, 10 each that may wait
  const std::string path = Path();
  auto run = [&](int asks, int reserves) {
    Pipe start;
    std::vector<std::unique_ptr<Child>> children;
    for (int i = 0; i < kProcesses; ++i) {
      children.push_back(std::make_unique<Child>([&] {
        start.CloseWrite();
        start.ReadByte();
        return SpendInOwnStore(path, asks, reserves);
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
  auto store = OpenStore(kPatientTimeout);
  ASSERT_NE(store, nullptr);
  std::vector<resilience::LimiterRecord> r(1);
  ASSERT_TRUE(store
                  ->UpdateLimiters(std::vector<std::string>{"123456789012/us-east-1/"
                                                            "ec2:DescribeInstances"},
                                   r, [](std::span<resilience::LimiterRecord>) { return false; })
                  .ok());
  // Reservations are a debt their callers wait out: 40 tokens owed. One write per token taken;
  // the asks refused took nothing and wrote nothing.
  EXPECT_NEAR(r[0].tokens, -kProcesses * kReserves, 1e-9);
  EXPECT_EQ(r[0].version, std::uint64_t{kBucketTokens + kProcesses * kReserves});
}

TEST_F(StoreConcurrencyTest, ThreadsSpendingFromOneBucketNeverTakeMoreThanItHolds) {
  auto store = OpenStore(kPatientTimeout);
  ASSERT_NE(store, nullptr);
  resilience::ManualClock clock;
  StoreErrors errors;  // reported once, from whichever thread; read after the threads joined
  resilience::RateLimiter limiter(OneBucket(), *store, clock, &errors);
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
  EXPECT_EQ(granted.load(), kBucketTokens);
}

TEST_F(StoreConcurrencyTest, ThreadsWithAStoreEachLoseNoUpdate) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 100;
  const std::string path = Path();
  std::atomic<int> failed{0};
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        if (IncrementInOwnStore(path, kIncrements) != 0) failed.fetch_add(1);
      });
    }
  }
  EXPECT_EQ(failed.load(), 0);
  auto store = OpenStore(kPatientTimeout);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->failure_count, std::uint32_t{kThreads * kIncrements});
  EXPECT_EQ(store->ReadQuota("aws_ec2")->tokens, kThreads * kIncrements);
}

TEST_F(StoreConcurrencyTest, ThreadsSharingOneStoreLoseNoUpdate) {
  constexpr int kThreads = 8;
  constexpr int kIncrements = 50;
  auto store = OpenStore(kPatientTimeout);
  ASSERT_NE(store, nullptr);
  std::atomic<int> failed{0};
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        for (int n = 0; n < kIncrements; ++n) {
          Result<BreakerRecord> r = store->UpdateBreaker("aws_ec2", [](BreakerRecord& rec) {
            ++rec.failure_count;
            return true;
          });
          if (!r.ok()) {
            failed.fetch_add(1);
            ADD_FAILURE() << r.error().ToString();
            return;
          }
          if (!store->ReadBreaker("aws_ec2").ok()) failed.fetch_add(1);
        }
      });
    }
  }
  EXPECT_EQ(failed.load(), 0);
  const BreakerRecord record = *store->ReadBreaker("aws_ec2");
  EXPECT_EQ(record.failure_count, std::uint32_t{kThreads * kIncrements});
  EXPECT_EQ(record.version, std::uint64_t{kThreads * kIncrements});
}

TEST_F(StoreConcurrencyTest, AWriterKilledMidTransactionLeavesTheDatabaseUsable) {
  const std::string path = Path();
  {
    auto setup = OpenStore(kPatientTimeout);
    ASSERT_NE(setup, nullptr);
    ASSERT_TRUE(setup
                    ->UpdateBreaker("aws_ec2",
                                    [](BreakerRecord& r) {
                                      r.failure_count = 3;
                                      return true;
                                    })
                    .ok());
  }  // closed: no connection crosses the fork

  Pipe ready;
  Child writer([&] {
    ready.CloseRead();
    Result<Database> db = Database::Open(path);
    if (!db.ok()) return Fail(2, db.error().ToString());
    // A tiny page cache makes SQLite spill the uncommitted pages into the WAL file, so the kill
    // leaves half a transaction on disk for the next connection to ignore.
    if (!db->Execute("PRAGMA cache_size = 10").ok()) return Fail(3, "cache_size");
    Result<Transaction> txn = Transaction::Begin(*db);
    if (!txn.ok()) return Fail(4, txn.error().ToString());
    if (!db->Execute("UPDATE resilience_breakers SET failure_count = 999, version = version + 1")
             .ok()) {
      return Fail(5, "update");
    }
    Result<Statement> insert =
        db->Prepare("INSERT INTO resilience_quotas (service, tokens, version) VALUES (?, 1, 1)");
    if (!insert.ok()) return Fail(6, insert.error().ToString());
    for (int i = 0; i < 2000; ++i) {
      insert->Reset();
      insert->Bind(1, "half-done-" + std::to_string(i) + std::string(200, 'x'));
      if (!insert->Run().ok()) return Fail(7, "insert");
    }
    ready.WriteByte();
    while (true) pause();  // holds the transaction open until killed
  });
  ready.CloseWrite();
  ASSERT_TRUE(ready.ReadByte()) << "the writer died before it was ready";

  // While it holds the write lock: reads see the last commit; writes wait, then time out.
  auto other = OpenStore(std::chrono::milliseconds(0));
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->ReadBreaker("aws_ec2")->failure_count, 3U);
  Result<BreakerRecord> blocked = other->UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
    ++r.failure_count;
    return true;
  });
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().kind(), ErrorKind::kTimeout);
  EXPECT_GT(std::filesystem::file_size(path + "-wal"), 100'000U);  // the spilled pages

  writer.Kill();
  EXPECT_EQ(writer.Wait(), -SIGKILL);

  // A connection that was open during the crash, and a new one, both read and write.
  Result<BreakerRecord> after = other->UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
    ++r.failure_count;
    return true;
  });
  ASSERT_TRUE(after.ok()) << after.error().ToString();
  EXPECT_EQ(after->failure_count, 4U);  // 3 + 1: the killed writer's 999 never happened
  EXPECT_EQ(after->version, 2U);
  other.reset();

  auto next = OpenStore(kPatientTimeout);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->ReadBreaker("aws_ec2")->failure_count, 4U);
  EXPECT_FALSE(next->ReadQuota("half-done-0" + std::string(200, 'x'))->tokens.has_value());
  EXPECT_EQ(Count("SELECT count(*) FROM resilience_quotas"), 0);
  ASSERT_TRUE(next->UpdateQuota("aws_ec2",
                                [](QuotaRecord& q) {
                                  q.tokens = 7;
                                  return true;
                                })
                  .ok());
  Result<Database> check = Database::Open(path);
  ASSERT_TRUE(check.ok());
  Result<Statement> integrity = check->Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(integrity.ok());
  ASSERT_TRUE(*integrity->Step());
  EXPECT_EQ(integrity->Column<std::string>(0), "ok");
}

}  // namespace
}  // namespace ohfp::store
