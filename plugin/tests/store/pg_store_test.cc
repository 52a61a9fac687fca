// The PostgreSQL backend beyond the RequestStore contract (request_store_contract_test.cc runs
// that): the resilience state store, connections and their deadlines, what an operator sees when
// the server is away, migrations. Against the test binary's own server (tests/support/postgres.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <limits>

#include "base/connection_url.h"
#include "forked_child.h"
#include "ohfp/resilience/circuit_breaker.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/rate_limiter.h"
#include "ohfp/resilience/retry_quota.h"
#include "postgres.h"
#include "store/pg_migrations.h"
#include "store/pg_request_store.h"
#include "store/pg_state_store.h"

namespace ohfp::store {
namespace {

using resilience::BreakerRecord;
using resilience::CircuitBreaker;
using resilience::CircuitBreakerOptions;
using resilience::CircuitState;
using resilience::Error;
using resilience::ErrorKind;
using resilience::LimiterRecord;
using resilience::QuotaRecord;
using resilience::Result;
using resilience::SysTime;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    pg_ = ohfp::testing::SharedPostgres(&why);
    if (pg_ == nullptr) {
      if (ohfp::testing::PostgresSkipAllowed()) GTEST_SKIP() << why;
      FAIL() << why;
    }
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
  static Result<BreakerRecord> AddFailure(resilience::StateStore& store) {
    return store.UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
      ++r.failure_count;
      return true;
    });
  }

  resilience::SystemClock clock_;
  ohfp::testing::PostgresServer* pg_ = nullptr;
  std::string schema_;
};

TEST_F(PgStoreTest, TheStateStoreIsSharedAndStartsEmpty) {
  auto store = OpenStateStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->shared());
  EXPECT_EQ(*store->ReadBreaker("aws_ec2"), BreakerRecord{});
  EXPECT_EQ(*store->ReadQuota("aws_ec2"), QuotaRecord{});
  EXPECT_TRUE(store->ListBreakers()->empty());
}

TEST_F(PgStoreTest, EveryBreakerAndQuotaFieldRoundTripsIncludingEdgeValues) {
  auto store = OpenStateStore();
  ASSERT_NE(store, nullptr);
  BreakerRecord r;
  r.state = CircuitState::kHalfOpen;
  r.override_mode = resilience::CircuitOverride::kForcedClosed;
  r.failure_count = std::numeric_limits<std::uint32_t>::max();
  r.half_open_probes = 3;
  r.generation = std::numeric_limits<std::uint64_t>::max();
  r.last_failure_time = SysTime(std::chrono::nanoseconds(1'767'225'600'123'456'789));
  r.state_changed_time = SysTime(std::chrono::nanoseconds(-5));
  r.window = "0110";
  auto written = store->UpdateBreaker("aws_ec2", [&](BreakerRecord& b) {
    b = r;
    return true;
  });
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  r.version = 1;
  EXPECT_EQ(*written, r);
  EXPECT_EQ(*store->ReadBreaker("aws_ec2"), r);
  EXPECT_FALSE(store->ReadBreaker("aws_ec2")->last_success_time.has_value());

  auto quota = store->UpdateQuota("aws_ec2", [](QuotaRecord& q) {
    q.tokens = -7;
    return true;
  });
  ASSERT_TRUE(quota.ok()) << quota.error().ToString();
  EXPECT_EQ(store->ReadQuota("aws_ec2")->tokens, -7);
  EXPECT_EQ(store->ReadQuota("aws_ec2")->version, 1U);
  EXPECT_FALSE(store->ReadQuota("aws_s3")->tokens.has_value());
}

TEST_F(PgStoreTest, AnUpdateThatReturnsFalseWritesNothing) {
  auto store = OpenStateStore();
  ASSERT_NE(store, nullptr);
  auto r = store->UpdateBreaker("aws_ec2", [](BreakerRecord&) { return false; });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(store->ListBreakers()->empty()) << "no row for an update that changed nothing";
  ASSERT_TRUE(AddFailure(*store).ok());
  r = store->UpdateBreaker("aws_ec2", [](BreakerRecord& b) {
    b.failure_count = 99;
    return false;
  });
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->failure_count, 1U);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->version, 1U);
}

// Two processes: the second's update read the record before the first wrote; it decides again on
// what the first wrote instead of overwriting it.
TEST_F(PgStoreTest, AnUpdateDecidesAgainWhenAnotherWriterGotInBetween) {
  auto first = OpenStateStore();
  auto second = OpenStateStore();
  ASSERT_TRUE(first && second);
  int calls = 0;
  auto r = second->UpdateBreaker("aws_ec2", [&](BreakerRecord& b) {
    if (++calls == 1) {
      EXPECT_TRUE(AddFailure(*first).ok());  // gets in between
    }
    ++b.failure_count;
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(r->failure_count, 2U);
  EXPECT_EQ(first->ReadBreaker("aws_ec2")->failure_count, 2U);
  EXPECT_EQ(first->ReadBreaker("aws_ec2")->version, 2U);
}

TEST_F(PgStoreTest, ListBreakersReturnsEveryRecordByService) {
  auto store = OpenStateStore();
  ASSERT_NE(store, nullptr);
  for (const char* s : {"aws_spot_fleet", "aws_autoscaling", "aws_ec2"}) {
    ASSERT_TRUE(store
                    ->UpdateBreaker(s,
                                    [](BreakerRecord& b) {
                                      b.state = CircuitState::kOpen;
                                      return true;
                                    })
                    .ok());
  }
  auto all = store->ListBreakers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3U);
  EXPECT_EQ((*all)[0].first, "aws_autoscaling");
  EXPECT_EQ((*all)[2].first, "aws_spot_fleet");
  EXPECT_EQ((*all)[1].second.state, CircuitState::kOpen);
}

// The resilience library over this store, two processes on two hosts: a circuit one opened
// rejects in the other at once, and the quota is spent from one budget.
TEST_F(PgStoreTest, ACircuitOpenedOnOneHostRejectsOnTheOtherAndTheQuotaIsShared) {
  resilience::ManualClock clock;
  const CircuitBreakerOptions options{.failure_threshold = 2, .reset_timeout = seconds(30)};
  auto host_a = OpenStateStore();
  auto host_b = OpenStateStore();
  ASSERT_TRUE(host_a && host_b);
  CircuitBreaker a("aws_ec2", options, *host_a, clock);
  const Error throttled(ErrorKind::kThrottled, "Throttling", "Rate exceeded");
  (void)a.Call([&] { return Result<int>(throttled); });
  (void)a.Call([&] { return Result<int>(throttled); });
  CircuitBreaker b("aws_ec2", options, *host_b, clock);
  int ran = 0;
  Result<int> rejected = b.Call([&] { return Result<int>(++ran); });
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_EQ(ran, 0);

  resilience::RetryQuota qa("aws_ec2", {.enabled = true}, *host_a);
  resilience::RetryQuota qb("aws_ec2", {.enabled = true}, *host_b);
  ASSERT_EQ(qa.TryAcquire(ErrorKind::kThrottled), 5);
  ASSERT_EQ(qb.TryAcquire(ErrorKind::kTimeout), 10);
  EXPECT_EQ(host_a->ReadQuota("aws_ec2")->tokens, 485);
}

TEST_F(PgStoreTest, ResilienceStateMayLiveInASchemaSharedByInstallations) {
  const std::string shared = pg_->NewSchema();
  auto pool_a = PgPool::Open(Settings(), clock_);
  auto pool_b = PgPool::Open({.url = pg_->Url(), .schema = pg_->NewSchema()}, clock_);
  ASSERT_TRUE(pool_a.ok() && pool_b.ok());
  auto a = PgStateStore::Open(*pool_a, shared);
  auto b = PgStateStore::Open(*pool_b, shared);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(AddFailure(**a).ok());
  EXPECT_EQ((*b)->ReadBreaker("aws_ec2")->failure_count, 1U);
  std::string out;
  ASSERT_TRUE(pg_->Sql("SELECT count(*) FROM " + shared + ".resilience_breakers", &out)) << out;
  EXPECT_EQ(out, "1");
}

TEST_F(PgStoreTest, LimiterRecordsRoundTripEveryField) {
  auto store = OpenStateStore();
  ASSERT_NE(store, nullptr);
  LimiterRecord full;
  full.tokens = -12.625;
  full.updated = SysTime(nanoseconds(1'767'225'600'123'456'789));
  full.fill_rate = 0.35;
  full.last_max_rate = 0.1 + 0.2;  // not exact in binary: must come back bit for bit
  full.last_throttle = SysTime(nanoseconds(-5));
  full.measured_rate = 19.75;
  full.measure_start = SysTime(nanoseconds(1'767'225'600'000'000'000));
  full.measure_count = 1000.5;
  const std::vector<std::string> keys = {"123456789012/us-east-1/ec2:RunInstances",
                                         "123456789012/us-east-1/ec2:RunInstances:instances"};
  std::vector<LimiterRecord> records(2);
  ASSERT_TRUE(store
                  ->UpdateLimiters(keys, records,
                                   [&](std::span<LimiterRecord> r) {
                                     EXPECT_EQ(r[0], LimiterRecord{}) << "a fresh record";
                                     r[0] = full;
                                     r[1].tokens = 3;  // the rest unset
                                     return true;
                                   })
                  .ok());
  EXPECT_EQ(records[0].version, 1U) << "records holds what is stored";
  // Another process reads what this one wrote.
  auto other = OpenStateStore();
  ASSERT_NE(other, nullptr);
  std::vector<LimiterRecord> read(2);
  ASSERT_TRUE(
      other->UpdateLimiters(keys, read, [](std::span<LimiterRecord>) { return false; }).ok());
  LimiterRecord expected = full;
  expected.version = 1;
  EXPECT_EQ(read[0], expected);
  EXPECT_EQ(read[1].tokens, 3);
  EXPECT_FALSE(read[1].updated.has_value());
  EXPECT_FALSE(read[1].last_throttle.has_value());
  EXPECT_EQ(read[1].version, 1U);
}

TEST_F(PgStoreTest, ARefusedLimiterUpdateWritesNothing) {
  auto store = OpenStateStore();
  ASSERT_NE(store, nullptr);
  std::vector<LimiterRecord> records(1);
  ASSERT_TRUE(store
                  ->UpdateLimiters(std::vector<std::string>{"k"}, records,
                                   [](std::span<LimiterRecord> r) {
                                     r[0].tokens = 7;
                                     return false;
                                   })
                  .ok());
  std::string out;
  ASSERT_TRUE(pg_->Sql("SELECT count(*) FROM " + schema_ + ".resilience_limiters", &out)) << out;
  EXPECT_EQ(out, "0");
  std::vector<LimiterRecord> two(2);
  EXPECT_EQ(store
                ->UpdateLimiters(std::vector<std::string>{"k"}, two,
                                 [](std::span<LimiterRecord>) { return true; })
                .error()
                .code(),
            "StoreMisuse");
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
  std::vector<LimiterRecord> records(1);
  EXPECT_TRUE(store
                  ->UpdateLimiters(std::vector<std::string>{"k"}, records,
                                   [](std::span<LimiterRecord>) { return true; })
                  .ok());
  ASSERT_TRUE(pg_->Sql(
      "SELECT max(version) FROM " + schema_ + ".schema_version WHERE component = 'resilience'",
      &out))
      << out;
  EXPECT_EQ(out, "2");
}

TEST_F(PgStoreTest, RateLimitersOnTwoHostsSpendFromOneBucket) {
  auto first = OpenStateStore();
  auto second = OpenStateStore();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  resilience::ManualClock clock;
  resilience::RateLimiterConfig config;
  config.enabled = true;
  config.scope = "123456789012/us-east-1";
  config.buckets = {{"ec2:DescribeInstances", {.capacity = 2, .refill_rate = 1}}};
  config.operations = {{"ec2_describe_instances", {.buckets = {"ec2:DescribeInstances"}}}};
  resilience::RateLimiter a(config, *first, clock);
  resilience::RateLimiter b(config, *second, clock);
  const auto plan_a = a.PlanFor("ec2_describe_instances");
  const auto plan_b = b.PlanFor("ec2_describe_instances");
  EXPECT_EQ(a.Acquire(plan_a, 1, seconds(30)).wait, nanoseconds(0));
  EXPECT_EQ(b.Acquire(plan_b, 1, seconds(30)).wait, nanoseconds(0));
  EXPECT_EQ(a.Acquire(plan_a, 1, seconds(30)).wait, seconds(1));
  EXPECT_EQ(b.Acquire(plan_b, 1, seconds(30)).wait, seconds(2));
  EXPECT_FALSE(a.Acquire(plan_a, 1, seconds(1)).granted) << "3 s away, 1 s allowed";
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
  EXPECT_THAT(std::string(pool.error().message()), HasSubstr("ohfp:***@127.0.0.1"));
  EXPECT_THAT(pool.error().ToString(), Not(HasSubstr("s3cret")));
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
  EXPECT_THAT(std::string(again.error().message()), HasSubstr("version 99 is newer"));
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
