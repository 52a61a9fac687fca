// Concurrency and crash tests of the SQLite store beyond what every backend does
// (state_store_concurrency_test.cc): processes starting together on a new file, and a process
// killed in the middle of a write.
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

#include "concurrency_workloads.h"
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
using resilience::Result;

// Long enough that contention never exhausts it; the tests assert on counts, never on time.
constexpr std::chrono::milliseconds kPatientTimeout = std::chrono::seconds(120);

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

  ohfp::testing::TempDir dir_;
};

TEST_F(StoreConcurrencyTest, ProcessesStartingTogetherOnANewDatabaseMigrateItOnce) {
  constexpr int kProcesses = 8;
  const std::string path = Path();
  for (int code : testing::RunTogether(kProcesses, [&] {
         Result<std::unique_ptr<SqliteStateStore>> store =
             SqliteStateStore::Open(path, {.busy_timeout = kPatientTimeout});
         if (!store.ok()) return testing::Fail(2, store.error().ToString());
         return testing::Increment(**store, 1);
       })) {
    EXPECT_EQ(code, 0);
  }

  EXPECT_EQ(Count("SELECT count(*) FROM schema_version WHERE component = 'resilience'"),
            static_cast<std::int64_t>(ResilienceMigrations().size()));
  EXPECT_EQ(Count("SELECT failure_count FROM resilience_breakers WHERE service = 'aws_ec2'"),
            kProcesses);
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
    if (!db.ok()) return testing::Fail(2, db.error().ToString());
    // A tiny page cache makes SQLite spill the uncommitted pages into the WAL file, so the kill
    // leaves half a transaction on disk for the next connection to ignore.
    if (!db->Execute("PRAGMA cache_size = 10").ok()) return testing::Fail(3, "cache_size");
    Result<Transaction> txn = Transaction::Begin(*db);
    if (!txn.ok()) return testing::Fail(4, txn.error().ToString());
    if (!db->Execute("UPDATE resilience_breakers SET failure_count = 999, version = version + 1")
             .ok()) {
      return testing::Fail(5, "update");
    }
    Result<Statement> insert =
        db->Prepare("INSERT INTO resilience_quotas (service, tokens, version) VALUES (?, 1, 1)");
    if (!insert.ok()) return testing::Fail(6, insert.error().ToString());
    for (int i = 0; i < 2000; ++i) {
      insert->Reset();
      insert->Bind(1, "half-done-" + std::to_string(i) + std::string(200, 'x'));
      if (!insert->Run().ok()) return testing::Fail(7, "insert");
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
                                [](resilience::QuotaRecord& q) {
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
