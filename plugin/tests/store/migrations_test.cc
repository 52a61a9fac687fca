#include "store/migrations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "store/statement.h"
#include "store/transaction.h"
#include "subprocess.h"

namespace ohfp::store {
namespace {

using resilience::ErrorKind;
using resilience::Result;
using ::testing::HasSubstr;

// Plain CREATE TABLE (no IF NOT EXISTS): running a migration twice would fail.
constexpr Migration kV1[] = {
    {1, "create requests", "CREATE TABLE requests (id TEXT PRIMARY KEY)"},
};
constexpr Migration kV2[] = {
    {1, "create requests", "CREATE TABLE requests (id TEXT PRIMARY KEY)"},
    {2, "add request state",
     "ALTER TABLE requests ADD COLUMN state TEXT; CREATE TABLE tags (k TEXT)"},
};

class MigrationsTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.path() + "/state.db"; }
  Database Open(std::chrono::milliseconds busy_timeout = std::chrono::seconds(5)) {
    Result<Database> db = Database::Open(Path(), {.busy_timeout = busy_timeout});
    EXPECT_TRUE(db.ok()) << db.error().ToString();
    return std::move(db).value();
  }
  static std::int64_t Count(Database& db, std::string_view sql) {
    Result<Statement> q = db.Prepare(sql);
    EXPECT_TRUE(q.ok()) << q.error().ToString();
    Result<bool> row = q->Step();
    EXPECT_TRUE(row.ok() && *row);
    return q->Column<std::int64_t>(0);
  }
  static bool HasTable(Database& db, std::string_view name) {
    return Count(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" +
                         std::string(name) + "'") == 1;
  }

  testing::TempDir dir_;
};

TEST_F(MigrationsTest, AFreshDatabaseIsAtVersionZero) {
  Database db = Open();
  EXPECT_EQ(*SchemaVersion(db, "requests"), 0);
  EXPECT_EQ(*ApplyMigrations(db, "requests", {}), 0);
}

TEST_F(MigrationsTest, MigrationsApplyInOrderOnceAndAreRecorded) {
  Database db = Open();
  Result<int> version = ApplyMigrations(db, "requests", kV2);
  ASSERT_TRUE(version.ok()) << version.error().ToString();
  EXPECT_EQ(*version, 2);
  EXPECT_TRUE(HasTable(db, "tags"));
  EXPECT_TRUE(db.Execute("INSERT INTO requests (id, state) VALUES ('r1', 'running')").ok());
  EXPECT_EQ(Count(db, "SELECT count(*) FROM schema_version WHERE component = 'requests'"), 2);
  EXPECT_EQ(Count(db,
                  "SELECT count(*) FROM schema_version WHERE component = 'requests' AND "
                  "version = 2 AND description = 'add request state'"),
            1);

  // Again, from this connection and from another: nothing runs twice (it would fail if it did).
  version = ApplyMigrations(db, "requests", kV2);
  ASSERT_TRUE(version.ok()) << version.error().ToString();
  EXPECT_EQ(*version, 2);
  Database other = Open();
  version = ApplyMigrations(other, "requests", kV2);
  ASSERT_TRUE(version.ok()) << version.error().ToString();
  EXPECT_EQ(Count(other, "SELECT count(*) FROM schema_version"), 2);
}

TEST_F(MigrationsTest, OnlyTheNewMigrationsRun) {
  Database db = Open();
  ASSERT_EQ(*ApplyMigrations(db, "requests", kV1), 1);
  ASSERT_TRUE(db.Execute("INSERT INTO requests (id) VALUES ('kept')").ok());
  Result<int> version = ApplyMigrations(db, "requests", kV2);
  ASSERT_TRUE(version.ok()) << version.error().ToString();
  EXPECT_EQ(*version, 2);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM requests WHERE id = 'kept' AND state IS NULL"), 1);
}

TEST_F(MigrationsTest, AnUpToDateDatabaseIsRecognizedWithoutTheWriteLock) {
  Database db = Open();
  ASSERT_EQ(*ApplyMigrations(db, "requests", kV2), 2);
  Result<Transaction> held = Transaction::Begin(db);  // another process is writing
  ASSERT_TRUE(held.ok());
  Database starting = Open(std::chrono::milliseconds(0));
  Result<int> version = ApplyMigrations(starting, "requests", kV2);
  ASSERT_TRUE(version.ok()) << version.error().ToString();
  EXPECT_EQ(*version, 2);
  // ...whereas one that has work to do needs the lock, and says so when it cannot have it.
  version = ApplyMigrations(starting, "other", kV1);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().kind(), ErrorKind::kTimeout);
}

TEST_F(MigrationsTest, ADatabaseFromANewerOhfpIsRefused) {
  Database db = Open();
  ASSERT_EQ(*ApplyMigrations(db, "requests", kV2), 2);
  Result<int> version = ApplyMigrations(db, "requests", kV1);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().kind(), ErrorKind::kInternal);
  EXPECT_EQ(version.error().code(), "SchemaTooNew");
  EXPECT_THAT(std::string(version.error().message()),
              HasSubstr("database schema 'requests' version 2 is newer than this ohfp (1); "
                        "upgrade ohfp"));
  EXPECT_THAT(std::string(version.error().message()), HasSubstr(Path()));
}

TEST_F(MigrationsTest, AFailingMigrationRollsBackEverythingThisCallApplied) {
  constexpr Migration kBroken[] = {
      {1, "create requests", "CREATE TABLE requests (id TEXT PRIMARY KEY)"},
      {2, "typo", "ALTER TABLE requets ADD COLUMN state TEXT"},
  };
  Database db = Open();
  Result<int> version = ApplyMigrations(db, "requests", kBroken);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().kind(), ErrorKind::kInternal);
  EXPECT_THAT(std::string(version.error().message()), HasSubstr("no such table: requets"));
  EXPECT_THAT(std::string(version.error().message()), HasSubstr("migration 'requests' 2, typo"));
  EXPECT_THAT(std::string(version.error().message()), HasSubstr(Path()));
  EXPECT_FALSE(db.in_transaction());
  EXPECT_FALSE(HasTable(db, "requests"));
  EXPECT_EQ(*SchemaVersion(db, "requests"), 0);
}

TEST_F(MigrationsTest, AMisnumberedListIsRefusedBeforeAnythingRuns) {
  constexpr Migration kGap[] = {
      {1, "one", "CREATE TABLE one (k TEXT)"},
      {3, "three", "CREATE TABLE three (k TEXT)"},
  };
  Database db = Open();
  Result<int> version = ApplyMigrations(db, "requests", kGap);
  ASSERT_FALSE(version.ok());
  EXPECT_THAT(std::string(version.error().message()), HasSubstr("entry 2 has version 3"));
  EXPECT_FALSE(HasTable(db, "one"));
}

TEST_F(MigrationsTest, ComponentsHaveTheirOwnVersions) {
  constexpr Migration kAudit[] = {{1, "create audit", "CREATE TABLE audit (line TEXT)"}};
  Database db = Open();
  ASSERT_EQ(*ApplyMigrations(db, "requests", kV2), 2);
  Result<int> version = ApplyMigrations(db, "audit", kAudit);
  ASSERT_TRUE(version.ok()) << version.error().ToString();
  EXPECT_EQ(*version, 1);
  EXPECT_EQ(*SchemaVersion(db, "requests"), 2);
  EXPECT_EQ(*SchemaVersion(db, "audit"), 1);
}

}  // namespace
}  // namespace ohfp::store
