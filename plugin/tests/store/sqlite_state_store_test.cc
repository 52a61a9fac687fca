// What only the SQLite StateStore does (the contract both backends keep is
// state_store_contract_test.cc): its tables and migrations in the file, its path, the busy timeout
// of SQLite's write lock.
#include "store/sqlite_state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "store/statement.h"
#include "store/transaction.h"
#include "subprocess.h"

namespace ohfp::store {
namespace {

using resilience::BreakerRecord;
using resilience::ErrorKind;
using resilience::Result;

class SqliteStateStoreTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.path() + "/hf/work/ohfp.db"; }
  // Each store is what one ohfp process would open.
  std::unique_ptr<SqliteStateStore> OpenStore(
      std::chrono::milliseconds busy_timeout = std::chrono::seconds(5)) {
    Result<std::unique_ptr<SqliteStateStore>> store =
        SqliteStateStore::Open(Path(), {.busy_timeout = busy_timeout});
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  Database OpenDatabase() {
    Result<Database> db = Database::Open(Path());
    EXPECT_TRUE(db.ok()) << db.error().ToString();
    return std::move(db).value();
  }
  static Result<BreakerRecord> AddFailure(resilience::StateStore& store) {
    return store.UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
      ++r.failure_count;
      return true;
    });
  }

  testing::TempDir dir_;
};

TEST_F(SqliteStateStoreTest, OpenCreatesTheResilienceTables) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->path(), Path());
  Database db = OpenDatabase();
  EXPECT_EQ(*SchemaVersion(db, kResilienceSchema), static_cast<int>(ResilienceMigrations().size()));
  EXPECT_TRUE(db.Execute("SELECT service, state, override_mode, failure_count, half_open_probes, "
                         "generation, last_failure_ns, last_success_ns, state_changed_ns, "
                         "failure_window, version FROM resilience_breakers; "
                         "SELECT service, tokens, version FROM resilience_quotas; "
                         "SELECT key, tokens, updated_ns, fill_rate, last_max_rate, "
                         "last_throttle_ns, measured_rate, measure_start_ns, measure_count, "
                         "version FROM resilience_limiters")
                  .ok());
}

TEST_F(SqliteStateStoreTest, ADatabaseOfAnOlderOhfpGainsTheLimiterTableAndKeepsItsRecords) {
  {
    // What the previous ohfp made: migration 1 only, with an open circuit in it.
    Database db = OpenDatabase();
    ASSERT_TRUE(ApplyMigrations(db, kResilienceSchema, ResilienceMigrations().first(1)).ok());
    ASSERT_TRUE(db.Execute("INSERT INTO resilience_breakers VALUES ('aws_ec2', 'open', 'none', "
                           "3, 0, 1, 5, NULL, 5, '', 4)")
                    .ok());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->state, resilience::CircuitState::kOpen);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->failure_count, 3U);
  Database db = OpenDatabase();
  EXPECT_EQ(*SchemaVersion(db, kResilienceSchema), 2);
  std::vector<resilience::LimiterRecord> records(1);
  EXPECT_TRUE(store
                  ->UpdateLimiters(std::vector<std::string>{"k"}, records,
                                   [](std::span<resilience::LimiterRecord>) { return true; })
                  .ok());
}

TEST_F(SqliteStateStoreTest, ABusyWriterMakesUpdatesTimeOutButNotReads) {
  auto store = OpenStore(std::chrono::milliseconds(20));
  ASSERT_TRUE(AddFailure(*store).ok());
  Database holder = OpenDatabase();
  {
    Result<Transaction> held = Transaction::Begin(holder);  // another process, mid-write
    ASSERT_TRUE(held.ok());
    Result<BreakerRecord> blocked = AddFailure(*store);
    ASSERT_FALSE(blocked.ok());
    EXPECT_EQ(blocked.error().kind(), ErrorKind::kTimeout);
    EXPECT_EQ(blocked.error().code(), "StoreBusy");
    EXPECT_THAT(std::string(blocked.error().message()), ::testing::HasSubstr(Path()));
    // No write needed: no lock needed.
    EXPECT_EQ(store->ReadBreaker("aws_ec2")->failure_count, 1U);
    Result<BreakerRecord> unchanged =
        store->UpdateBreaker("aws_ec2", [](BreakerRecord&) { return false; });
    ASSERT_TRUE(unchanged.ok());
    EXPECT_EQ(unchanged->failure_count, 1U);
  }
  Result<BreakerRecord> after = AddFailure(*store);
  ASSERT_TRUE(after.ok()) << after.error().ToString();
  EXPECT_EQ(after->failure_count, 2U);
}

TEST_F(SqliteStateStoreTest, AnUnwritablePathIsAClearError) {
  const std::string blocker = dir_.Write("hf", "a file where a directory should be");
  const std::string path = blocker + "/work/ohfp.db";
  Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind(), ErrorKind::kInternal);
  EXPECT_THAT(std::string(store.error().message()), ::testing::HasSubstr(path));
}

}  // namespace
}  // namespace ohfp::store
