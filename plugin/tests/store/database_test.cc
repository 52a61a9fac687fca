#include "store/database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>

#include "store/statement.h"
#include "store/transaction.h"
#include "subprocess.h"

namespace ohfp::store {
namespace {

using resilience::ErrorKind;
using resilience::Result;
using ::testing::HasSubstr;

class DatabaseTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.path() + "/work/ohfp/state.db"; }
  Database Open(std::chrono::milliseconds busy_timeout = std::chrono::seconds(5)) {
    Result<Database> db = Database::Open(Path(), {.busy_timeout = busy_timeout});
    EXPECT_TRUE(db.ok()) << db.error().ToString();
    return std::move(db).value();
  }
  // The first column of the first row of `sql`, as text.
  static std::string Scalar(Database& db, std::string_view sql) {
    Result<Statement> q = db.Prepare(sql);
    EXPECT_TRUE(q.ok()) << q.error().ToString();
    Result<bool> row = q->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return q->Column<std::string>(0);
  }

  testing::TempDir dir_;
};

TEST_F(DatabaseTest, OpenCreatesTheFileAndItsDirectoriesAndSetsThePragmas) {
  Database db = Open(std::chrono::milliseconds(1234));
  EXPECT_TRUE(std::filesystem::exists(Path()));
  EXPECT_EQ(db.path(), Path());
  EXPECT_EQ(Scalar(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Scalar(db, "PRAGMA synchronous"), "1");  // NORMAL
  EXPECT_EQ(Scalar(db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(Scalar(db, "PRAGMA busy_timeout"), "1234");
}

TEST_F(DatabaseTest, TheDefaultBusyTimeoutIsFiveSeconds) {
  Result<Database> db = Database::Open(Path());
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(Scalar(*db, "PRAGMA busy_timeout"), "5000");
}

TEST_F(DatabaseTest, AReadOnlyConnectionReadsBesideAWriterAndCannotWrite) {
  EXPECT_FALSE(Database::Open(Path(), {.read_only = true}).ok()) << "read-only creates nothing";
  EXPECT_FALSE(std::filesystem::exists(Path()));
  Database writer = Open();
  ASSERT_TRUE(writer.Execute("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)").ok());
  Result<Database> reader = Database::Open(Path(), {.read_only = true});
  ASSERT_TRUE(reader.ok()) << reader.error().ToString();
  // A read transaction open on the reader does not stop the writer from committing (WAL).
  Result<Transaction> snapshot = Transaction::Begin(*reader, TransactionMode::kDeferred);
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(Scalar(*reader, "SELECT COUNT(*) FROM t"), "1");
  Result<Database> other_writer = Database::Open(Path(), {.busy_timeout = {}});
  ASSERT_TRUE(other_writer.ok());
  EXPECT_TRUE(other_writer->Execute("INSERT INTO t VALUES (2)").ok());
  EXPECT_EQ(Scalar(*reader, "SELECT COUNT(*) FROM t"), "1") << "the reader's snapshot";
  ASSERT_TRUE(snapshot->Commit().ok());
  EXPECT_EQ(Scalar(*reader, "SELECT COUNT(*) FROM t"), "2");
  resilience::Status write = reader->Execute("INSERT INTO t VALUES (3)");
  ASSERT_FALSE(write.ok());
  EXPECT_THAT(write.error().message(), HasSubstr("readonly"));
}

TEST_F(DatabaseTest, AnUncreatableDirectoryIsAClearError) {
  const std::string blocker = dir_.Write("not-a-directory", "x");
  const std::string path = blocker + "/state.db";
  Result<Database> db = Database::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().kind(), ErrorKind::kInternal);
  EXPECT_THAT(std::string(db.error().message()), HasSubstr(path));
  EXPECT_THAT(std::string(db.error().message()), HasSubstr("cannot create directory"));
}

TEST_F(DatabaseTest, AnUnopenableFileIsAClearError) {
  std::filesystem::create_directories(Path());  // a directory where the file should be
  Result<Database> db = Database::Open(Path());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().kind(), ErrorKind::kInternal);
  EXPECT_EQ(db.error().code(), "StoreCantOpen");
  EXPECT_THAT(std::string(db.error().message()), HasSubstr(Path()));
  EXPECT_THAT(std::string(db.error().message()), HasSubstr("unable to open database file"));
}

TEST_F(DatabaseTest, AFileThatIsNotADatabaseIsAClearError) {
  const std::string path = dir_.Write("config.json", std::string(4096, '{'));
  Result<Database> db = Database::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().kind(), ErrorKind::kInternal);
  EXPECT_EQ(db.error().code(), "StoreNotADb");
  EXPECT_THAT(std::string(db.error().message()), HasSubstr(path));
  EXPECT_THAT(std::string(db.error().message()), HasSubstr("not a database"));
}

TEST_F(DatabaseTest, SqlErrorsNameTheFileAndSqlitesMessage) {
  Database db = Open();
  resilience::Status s = db.Execute("CREATE TABLE t (k TEXT); INSERT INTO nowhere VALUES (1)");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kInternal);
  EXPECT_THAT(std::string(s.error().message()), HasSubstr(Path()));
  EXPECT_THAT(std::string(s.error().message()), HasSubstr("no such table: nowhere"));

  Result<Statement> bad = db.Prepare("SELEC 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.error().message()), HasSubstr(Path()));
  EXPECT_THAT(std::string(bad.error().message()), HasSubstr("syntax error"));
}

TEST_F(DatabaseTest, PrepareTakesExactlyOneStatement) {
  Database db = Open();
  EXPECT_TRUE(db.Prepare("SELECT 1;  ").ok());
  Result<Statement> two = db.Prepare("SELECT 1; SELECT 2");
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(std::string(two.error().message()), HasSubstr("exactly one SQL statement"));
  EXPECT_FALSE(db.Prepare("  ").ok());
}

TEST_F(DatabaseTest, StatementsBindAndReadEveryType) {
  Database db = Open();
  ASSERT_TRUE(db.Execute("CREATE TABLE t (i INTEGER, d REAL, s TEXT, n INTEGER)").ok());
  Result<Statement> insert = db.Prepare("INSERT INTO t VALUES (?, ?, ?, ?)");
  ASSERT_TRUE(insert.ok());
  const std::string text("with\0nul and \xc3\xa9", 15);
  insert->Bind(1, std::numeric_limits<std::int64_t>::min());
  insert->Bind(2, -0.125);
  insert->Bind(3, std::string_view(text));
  insert->Bind(4, nullptr);
  ASSERT_TRUE(insert->Run().ok());
  EXPECT_EQ(db.changes(), 1);

  Result<Statement> select = db.Prepare("SELECT i, d, s, n FROM t");
  ASSERT_TRUE(select.ok());
  Result<bool> row = select->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->column_count(), 4);
  EXPECT_EQ(select->Column<std::int64_t>(0), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(select->Column<double>(1), -0.125);
  EXPECT_EQ(select->Column<std::string>(2), text);
  EXPECT_TRUE(select->IsNull(3));
  EXPECT_EQ(select->Column<std::optional<std::int64_t>>(3), std::nullopt);
  EXPECT_EQ(select->Column<std::optional<std::int64_t>>(0),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(select->Column<std::optional<std::string>>(3), std::nullopt);
  EXPECT_EQ(select->Column<std::int64_t>(3), 0);  // NULL as a plain integer
  row = select->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

TEST_F(DatabaseTest, StatementsBindByNameAndOptionals) {
  Database db = Open();
  ASSERT_TRUE(db.Execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)").ok());
  Result<Statement> insert = db.Prepare("INSERT INTO t VALUES (:k, :v)");
  ASSERT_TRUE(insert.ok());
  insert->Bind(":k", "set");
  insert->Bind(":v", std::optional<std::uint32_t>(std::numeric_limits<std::uint32_t>::max()));
  ASSERT_TRUE(insert->Run().ok());
  insert->Reset();
  insert->Bind(":k", "unset");
  insert->Bind(":v", std::optional<int>());
  ASSERT_TRUE(insert->Run().ok());

  Result<Statement> select = db.Prepare("SELECT v FROM t WHERE k = :k");
  ASSERT_TRUE(select.ok());
  select->Bind(":k", "set");
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->Column<std::optional<std::int64_t>>(0), 4294967295);
  select->Reset();
  select->Bind(":k", "unset");
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->Column<std::optional<std::int64_t>>(0), std::nullopt);
}

TEST_F(DatabaseTest, ResetClearsTheBindings) {
  Database db = Open();
  Result<Statement> q = db.Prepare("SELECT ?1 IS NULL");
  ASSERT_TRUE(q.ok());
  q->Bind(1, 5);
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->Column<std::int64_t>(0), 0);
  q->Reset();
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->Column<std::int64_t>(0), 1);
}

TEST_F(DatabaseTest, BindErrorsAreReportedByTheNextStepAndNameTheParameter) {
  Database db = Open();
  Result<Statement> q = db.Prepare("SELECT :a, :b");
  ASSERT_TRUE(q.ok());
  q->Bind(":a", 1);
  q->Bind(":nope", 2);
  q->Bind(7, 3);
  Result<bool> row = q->Step();
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().kind(), ErrorKind::kInternal);
  EXPECT_THAT(std::string(row.error().message()), HasSubstr(":nope"));
  EXPECT_THAT(std::string(row.error().message()), HasSubstr(Path()));
  q->Reset();  // forgets the error
  q->Bind(7, 3);
  row = q->Step();
  ASSERT_FALSE(row.ok());
  EXPECT_THAT(std::string(row.error().message()), HasSubstr("parameter 7"));
}

TEST_F(DatabaseTest, AnUnsignedValueTooLargeForSqliteIsABindErrorNotAWrappedValue) {
  Database db = Open();
  Result<Statement> q = db.Prepare("SELECT ?");
  ASSERT_TRUE(q.ok());
  q->Bind(1, std::numeric_limits<std::uint64_t>::max());
  Result<bool> row = q->Step();
  ASSERT_FALSE(row.ok());
  EXPECT_THAT(std::string(row.error().message()), HasSubstr("does not fit"));
  q->Reset();
  q->Bind(1, std::uint64_t{std::numeric_limits<std::int64_t>::max()});
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->Column<std::int64_t>(0), std::numeric_limits<std::int64_t>::max());
}

class TransactionTest : public DatabaseTest {
 protected:
  void SetUp() override {
    Database db = Open();
    ASSERT_TRUE(db.Execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
                           "INSERT INTO t VALUES ('a', 1)")
                    .ok());
  }
  static std::int64_t ValueOf(Database& db, std::string_view key) {
    Result<Statement> q = db.Prepare("SELECT v FROM t WHERE k = ?");
    EXPECT_TRUE(q.ok());
    q->Bind(1, key);
    Result<bool> row = q->Step();
    EXPECT_TRUE(row.ok());
    return row.ok() && *row ? q->Column<std::int64_t>(0) : -1;
  }
};

TEST_F(TransactionTest, ATransactionNotCommittedRollsBack) {
  Database db = Open();
  {
    Result<Transaction> txn = Transaction::Begin(db);
    ASSERT_TRUE(txn.ok());
    EXPECT_TRUE(db.in_transaction());
    ASSERT_TRUE(db.Execute("UPDATE t SET v = 2 WHERE k = 'a'; INSERT INTO t VALUES ('b', 3)").ok());
    EXPECT_EQ(ValueOf(db, "a"), 2);  // visible inside
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(ValueOf(db, "a"), 1);
  EXPECT_EQ(ValueOf(db, "b"), -1);
}

TEST_F(TransactionTest, ACommittedTransactionIsVisibleToOtherConnections) {
  Database writer = Open();
  Database reader = Open();
  Result<Transaction> txn = Transaction::Begin(writer);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(writer.Execute("UPDATE t SET v = 2 WHERE k = 'a'").ok());
  EXPECT_EQ(ValueOf(reader, "a"), 1);  // not yet
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_FALSE(writer.in_transaction());
  EXPECT_EQ(ValueOf(reader, "a"), 2);
  EXPECT_FALSE(txn->Commit().ok());  // committed once
}

TEST_F(TransactionTest, AFailedStatementLeavesTheTransactionToRollBack) {
  Database db = Open();
  {
    Result<Transaction> txn = Transaction::Begin(db, TransactionMode::kDeferred);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(db.Execute("UPDATE t SET v = 5 WHERE k = 'a'").ok());
    resilience::Status s = db.Execute("INSERT INTO t VALUES ('a', 9)");  // duplicate key
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code(), "StoreConstraint");
  }
  EXPECT_EQ(ValueOf(db, "a"), 1);
}

TEST_F(TransactionTest, TransactionsDoNotNest) {
  Database db = Open();
  Result<Transaction> outer = Transaction::Begin(db);
  ASSERT_TRUE(outer.ok());
  Result<Transaction> inner = Transaction::Begin(db);
  ASSERT_FALSE(inner.ok());
  EXPECT_THAT(std::string(inner.error().message()), HasSubstr("within a transaction"));
  EXPECT_TRUE(db.in_transaction());  // the outer one is untouched
}

TEST_F(TransactionTest, AWriterHoldingTheLockMakesAnotherWriterTimeOut) {
  Database holder = Open();
  Database other = Open(std::chrono::milliseconds(20));
  {
    Result<Transaction> held = Transaction::Begin(holder);
    ASSERT_TRUE(held.ok());
    Result<Transaction> blocked = Transaction::Begin(other);
    ASSERT_FALSE(blocked.ok());
    EXPECT_EQ(blocked.error().kind(), ErrorKind::kTimeout);
    EXPECT_EQ(blocked.error().code(), "StoreBusy");
    EXPECT_THAT(std::string(blocked.error().message()), HasSubstr(Path()));
    EXPECT_THAT(std::string(blocked.error().message()), HasSubstr("BEGIN IMMEDIATE"));
    EXPECT_FALSE(other.in_transaction());
    EXPECT_EQ(ValueOf(other, "a"), 1);  // WAL: reading is never blocked by the writer
  }
  Result<Transaction> after = Transaction::Begin(other);  // the holder rolled back: free again
  EXPECT_TRUE(after.ok());
}

}  // namespace
}  // namespace ohfp::store
