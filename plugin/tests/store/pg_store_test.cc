// The PostgreSQL backend beyond the two contracts (request_store_contract_test.cc,
// state_store_contract_test.cc): resilience state in a schema of its own, connections and their
// deadlines, what an operator sees when the server is away, migrations. Against the test binary's
// own server (tests/support/postgres.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "base/connection_url.h"
#include "store/pg_migrations.h"
#include "store/pg_request_store.h"
#include "store/pg_state_store.h"
#include "store_backends.h"

namespace ohfp::store {
namespace {

using resilience::ErrorKind;
using resilience::Result;
using std::chrono::milliseconds;
using std::chrono::seconds;

class PgStoreTest : public testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped()) return;
    schema_ = pg_->NewSchema();
  }
  PgSettings Settings(milliseconds timeout = seconds(30)) const {
    return {.url = pg_->Url(), .schema = schema_, .timeout = timeout};
  }
  // What one ohfp process opens: its pool and state store.
  std::unique_ptr<PgStateStore> OpenStateStore() {
    auto pool = PgPool::Open(Settings(), clock_);
    EXPECT_TRUE(pool.ok()) << pool.error().ToString();
    if (!pool.ok()) return nullptr;
    auto store = PgStateStore::Open(*pool, schema_);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  resilience::SystemClock clock_;
  std::string schema_;
};

TEST_F(PgStoreTest, ResilienceStateMayLiveInASchemaSharedByInstallations) {
  const std::string shared = pg_->NewSchema();
  auto pool_a = PgPool::Open(Settings(), clock_);
  auto pool_b = PgPool::Open({.url = pg_->Url(), .schema = pg_->NewSchema()}, clock_);
  ASSERT_TRUE(pool_a.ok() && pool_b.ok());
  auto a = PgStateStore::Open(*pool_a, shared);
  auto b = PgStateStore::Open(*pool_b, shared);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->UpdateBreaker("aws_ec2",
                                  [](resilience::BreakerRecord& r) {
                                    ++r.failure_count;
                                    return true;
                                  })
                  .ok());
  EXPECT_EQ((*b)->ReadBreaker("aws_ec2")->failure_count, 1U);
  std::string out;
  ASSERT_TRUE(pg_->Sql("SELECT count(*) FROM " + shared + ".resilience_breakers", &out)) << out;
  EXPECT_EQ(out, "1");
}

TEST_F(PgStoreTest, ASchemaOfAnOlderOhfpGainsTheLimiterTableAndKeepsItsBreakers) {
  {
    // What the previous ohfp made: migration 1 only, with a failure recorded.
    auto pool = PgPool::Open(Settings(), clock_);
    ASSERT_TRUE(pool.ok()) << pool.error().ToString();
    ASSERT_TRUE(
        ApplyPgMigrations(**pool, schema_, "resilience", PgResilienceMigrations().first(1)).ok());
  }
  std::string out;
  ASSERT_TRUE(pg_->Sql("INSERT INTO " + schema_ +
                           ".resilience_quotas (service, tokens, version) VALUES ('aws_ec2', 4, 9)",
                       &out))
      << out;
  auto store = OpenStateStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ReadQuota("aws_ec2")->tokens, 4);
  std::vector<resilience::LimiterRecord> records(1);
  EXPECT_TRUE(store
                  ->UpdateLimiters(std::vector<std::string>{"k"}, records,
                                   [](std::span<resilience::LimiterRecord>) { return true; })
                  .ok());
  ASSERT_TRUE(pg_->Sql(
      "SELECT max(version) FROM " + schema_ + ".schema_version WHERE component = 'resilience'",
      &out))
      << out;
  EXPECT_EQ(out, "2");
}

TEST_F(PgStoreTest, AServerThatIsNotThereIsAQuickTransientErrorWithoutThePassword) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // a port with nobody listening
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url =
      "postgresql://ohfp:s3cret-pw@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
      "/ohfp?sslmode=disable";
  auto pool = PgPool::Open({.url = url, .schema = "ohfp", .timeout = seconds(5)}, clock_);
  ::close(fd);
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(pool.error().code(), kStoreUnavailableCode);
  EXPECT_THAT(std::string(pool.error().message()), ::testing::HasSubstr("ohfp:***@127.0.0.1"));
  EXPECT_THAT(pool.error().ToString(), ::testing::Not(::testing::HasSubstr("s3cret")));
}

// A server that accepts the connection and then says nothing: the deadline ends the wait.
TEST_F(PgStoreTest, ConnectingGivesUpAtTheDeadline) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);  // the kernel completes the handshake; nobody ever answers
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  auto pool =
      PgPool::Open({.url = "postgresql://ohfp@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
                           "/ohfp?sslmode=disable",
                    .timeout = milliseconds(300)},
                   clock_);
  ::close(fd);
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.error().kind(), ErrorKind::kTimeout);
  EXPECT_EQ(pool.error().code(), kStoreTimeoutCode);
}

TEST_F(PgStoreTest, AStatementPastTheTimeoutIsATimeoutAndTheNextCallReconnects) {
  auto pool = PgPool::Open(Settings(milliseconds(300)), clock_);
  ASSERT_TRUE(pool.ok()) << pool.error().ToString();
  Result<int> slow = (*pool)->Run([](PgConnection& c, resilience::Deadline d) -> Result<int> {
    Result<PgResult> r = c.Exec("SELECT pg_sleep(30)", d);
    if (!r.ok()) return r.error();
    return 1;
  });
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().kind(), ErrorKind::kTimeout) << slow.error().ToString();
  Result<int> next = (*pool)->Run([](PgConnection& c, resilience::Deadline d) -> Result<int> {
    Result<PgResult> r = c.Exec("SELECT 41 + 1", d);
    if (!r.ok()) return r.error();
    return static_cast<int>(r->Int(0, 0));
  });
  ASSERT_TRUE(next.ok()) << next.error().ToString();
  EXPECT_EQ(*next, 42);
}

TEST_F(PgStoreTest, ASchemaFromANewerOhfpIsRefused) {
  auto pool = PgPool::Open(Settings(), clock_);
  ASSERT_TRUE(pool.ok());
  ASSERT_TRUE(PgRequestStore::Open(*pool).ok());
  ASSERT_TRUE(pg_->Sql("INSERT INTO " + schema_ +
                       ".schema_version (component, version, description) "
                       "VALUES ('requests', 99, 'from the future')"));
  auto again = PgRequestStore::Open(*pool);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), "SchemaTooNew");
  EXPECT_THAT(std::string(again.error().message()), ::testing::HasSubstr("version 99 is newer"));
}

TEST_F(PgStoreTest, ABadSchemaNameOrUrlIsAClearError) {
  auto pool = PgPool::Open({.url = pg_->Url(), .schema = "Robert'); DROP TABLE x;--"}, clock_);
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.error().code(), "StoreBadSchema");
  auto url = PgPool::Open({.url = "postgresql://ohfp@127.0.0.1:1/x?nonsense=1"}, clock_);
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().code(), "StoreBadUrl");
}

TEST(PgUrlTest, PasswordsAreRedacted) {
  EXPECT_EQ(base::RedactConnectionUrl("postgresql://hf:pw@db1:5432/ohfp?sslmode=require"),
            "postgresql://hf:***@db1:5432/ohfp?sslmode=require");
  EXPECT_EQ(base::RedactConnectionUrl("postgresql://hf@db1/ohfp?password=pw&sslmode=verify-full"),
            "postgresql://hf@db1/ohfp?password=***&sslmode=verify-full");
  EXPECT_EQ(base::RedactConnectionUrl("postgres://db1/ohfp"), "postgres://db1/ohfp");
  EXPECT_EQ(base::RedactConnectionUrl("host=db1 password=pw user=hf"),
            "host=db1 password=*** user=hf");
  EXPECT_EQ(base::RedactConnectionUrl("postgresql://hf:p@ss@db1/ohfp"),
            "postgresql://hf:***@db1/ohfp");
}

// The server stopped and started again (an upgrade, a failover of the database): what was
// committed is there, the call that met the outage failed with a transient error, and later calls
// of the same process carry on.
TEST_F(PgStoreTest, AfterTheServerRestartsCallsCarryOnAndNothingCommittedIsLost) {
  auto pool = PgPool::Open(Settings(), clock_);
  ASSERT_TRUE(pool.ok());
  auto store = PgRequestStore::Open(*pool);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->ClaimInstallation("inst-1", {}).ok());
  std::string why;
  ASSERT_TRUE(pg_->Restart(&why)) << why;
  // The idle connection died with the server: the first call finds out (a transient error) and
  // drops it; the next opens a new one.
  Result<std::optional<std::string>> first = (*store)->InstallationId();
  if (!first.ok()) {
    EXPECT_EQ(first.error().kind(), ErrorKind::kTransient) << first.error().ToString();
    EXPECT_EQ(first.error().code(), kStoreUnavailableCode);
  }
  Result<std::optional<std::string>> next = (*store)->InstallationId();
  ASSERT_TRUE(next.ok()) << next.error().ToString();
  EXPECT_EQ(**next, "inst-1");
}

}  // namespace
}  // namespace ohfp::store
