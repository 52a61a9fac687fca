#include "store/sqlite_state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include "ohfp/resilience/circuit_breaker.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/rate_limiter.h"
#include "ohfp/resilience/retry_quota.h"
#include "store/statement.h"
#include "store/transaction.h"
#include "subprocess.h"

namespace ohfp::store {
namespace {

using resilience::BreakerRecord;
using resilience::CircuitBreaker;
using resilience::CircuitBreakerOptions;
using resilience::CircuitOverride;
using resilience::CircuitState;
using resilience::Error;
using resilience::ErrorKind;
using resilience::LimiterRecord;
using resilience::QuotaRecord;
using resilience::Result;
using resilience::SysTime;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

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
  static Result<BreakerRecord> Put(resilience::StateStore& store, std::string_view service,
                                   const BreakerRecord& record) {
    return store.UpdateBreaker(service, [&](BreakerRecord& r) {
      r = record;
      return true;
    });
  }
  static BreakerRecord WithFailures(std::uint32_t failures) {
    BreakerRecord r;
    r.failure_count = failures;
    return r;
  }
  static BreakerRecord InState(CircuitState state) {
    BreakerRecord r;
    r.state = state;
    return r;
  }
  static Result<BreakerRecord> AddFailure(resilience::StateStore& store) {
    return store.UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
      ++r.failure_count;
      return true;
    });
  }

  testing::TempDir dir_;
};

TEST_F(SqliteStateStoreTest, IsSharedAndStartsEmpty) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->shared());
  EXPECT_EQ(store->path(), Path());
  EXPECT_EQ(*store->ReadBreaker("aws_ec2"), BreakerRecord{});
  EXPECT_EQ(*store->ReadQuota("aws_ec2"), QuotaRecord{});
  EXPECT_TRUE(store->ListBreakers()->empty());
}

TEST_F(SqliteStateStoreTest, OpenCreatesTheResilienceTables) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
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
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->state, CircuitState::kOpen);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->failure_count, 3U);
  Database db = OpenDatabase();
  EXPECT_EQ(*SchemaVersion(db, kResilienceSchema), 2);
  std::vector<LimiterRecord> records(1);
  EXPECT_TRUE(store
                  ->UpdateLimiters(std::vector<std::string>{"k"}, records,
                                   [](std::span<LimiterRecord>) { return true; })
                  .ok());
}

TEST_F(SqliteStateStoreTest, LimiterRecordsRoundTripEveryField) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  LimiterRecord full;
  full.tokens = -12.625;
  full.updated = SysTime(nanoseconds(1'767'225'600'123'456'789));
  full.fill_rate = 0.35;
  full.last_max_rate = 0.5;
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
  // Another process reads what this one wrote.
  auto other = OpenStore();
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

TEST_F(SqliteStateStoreTest, ARefusedLimiterUpdateWritesNothing) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> keys = {"k"};
  std::vector<LimiterRecord> records(1);
  ASSERT_TRUE(store
                  ->UpdateLimiters(keys, records,
                                   [](std::span<LimiterRecord> r) {
                                     r[0].tokens = 7;
                                     return false;
                                   })
                  .ok());
  Database db = OpenDatabase();
  Result<Statement> q = db.Prepare("SELECT count(*) FROM resilience_limiters");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(q->Step().ok());
  EXPECT_EQ(q->Column<std::int64_t>(0), 0);
}

TEST_F(SqliteStateStoreTest, RateLimitersOfTwoProcessesSpendFromOneBucket) {
  auto first = OpenStore();
  auto second = OpenStore();
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

TEST_F(SqliteStateStoreTest, EveryBreakerFieldRoundTripsIncludingEdgeValues) {
  BreakerRecord edge;
  edge.state = CircuitState::kHalfOpen;
  edge.override_mode = CircuitOverride::kForcedClosed;
  edge.failure_count = std::numeric_limits<std::uint32_t>::max();
  edge.half_open_probes = 7;
  edge.generation = std::numeric_limits<std::uint64_t>::max();  // beyond int64: stored as its bits
  edge.last_failure_time = SysTime(nanoseconds(-1));            // before the epoch
  edge.last_success_time = std::nullopt;
  edge.state_changed_time = SysTime(nanoseconds(std::numeric_limits<std::int64_t>::min()));
  edge.window = "0110100001";
  {
    auto writer = OpenStore();
    Result<BreakerRecord> written = Put(*writer, "aws_ec2", edge);
    ASSERT_TRUE(written.ok()) << written.error().ToString();
    EXPECT_EQ(written->version, 1U);
  }
  auto reader = OpenStore();
  BreakerRecord expected = edge;
  expected.version = 1;
  EXPECT_EQ(*reader->ReadBreaker("aws_ec2"), expected);

  // The other way round: set and unset timestamps swap, ordinary values.
  BreakerRecord plain;
  plain.state = CircuitState::kOpen;
  plain.override_mode = CircuitOverride::kForcedOpen;
  plain.failure_count = 0;
  plain.half_open_probes = std::numeric_limits<std::uint32_t>::max();
  plain.generation = 0;
  plain.last_failure_time = std::nullopt;
  plain.last_success_time = resilience::ManualClock::kDefaultWallStart + nanoseconds(123456789);
  plain.state_changed_time = SysTime(nanoseconds(std::numeric_limits<std::int64_t>::max()));
  plain.window = "";
  ASSERT_TRUE(Put(*reader, "aws_ec2", plain).ok());
  plain.version = 2;
  EXPECT_EQ(*OpenStore()->ReadBreaker("aws_ec2"), plain);
}

TEST_F(SqliteStateStoreTest, AVersionBeyondInt64KeepsCounting) {
  auto store = OpenStore();
  BreakerRecord r;
  ASSERT_TRUE(Put(*store, "aws_ec2", r).ok());
  // Move the stored version to INT64_MAX by hand: the next write is version 2^63, stored as bits.
  Database db = OpenDatabase();
  ASSERT_TRUE(db.Execute("UPDATE resilience_breakers SET version = 9223372036854775807").ok());
  Result<BreakerRecord> next = AddFailure(*store);
  ASSERT_TRUE(next.ok()) << next.error().ToString();
  EXPECT_EQ(next->version, std::uint64_t{1} << 63);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->version, std::uint64_t{1} << 63);
}

TEST_F(SqliteStateStoreTest, QuotaRecordsRoundTrip) {
  auto store = OpenStore();
  auto set = [&](std::optional<std::int32_t> tokens) {
    return store->UpdateQuota("aws_ec2", [&](QuotaRecord& q) {
      q.tokens = tokens;
      return true;
    });
  };
  ASSERT_TRUE(set(495).ok());
  EXPECT_EQ(*OpenStore()->ReadQuota("aws_ec2"), (QuotaRecord{.tokens = 495, .version = 1}));
  ASSERT_TRUE(set(std::numeric_limits<std::int32_t>::min()).ok());
  EXPECT_EQ(*OpenStore()->ReadQuota("aws_ec2"),
            (QuotaRecord{.tokens = std::numeric_limits<std::int32_t>::min(), .version = 2}));
  ASSERT_TRUE(set(std::nullopt).ok());
  EXPECT_EQ(*OpenStore()->ReadQuota("aws_ec2"),
            (QuotaRecord{.tokens = std::nullopt, .version = 3}));
  EXPECT_FALSE(store->ReadQuota("aws_autoscaling")->tokens.has_value());
}

TEST_F(SqliteStateStoreTest, AnUpdateThatReturnsFalseWritesNothing) {
  auto store = OpenStore();
  Result<BreakerRecord> after = store->UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
    r.failure_count = 2;
    return false;
  });
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, BreakerRecord{});
  EXPECT_TRUE(store->ListBreakers()->empty());

  ASSERT_TRUE(AddFailure(*store).ok());
  after = store->UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
    r.failure_count = 99;
    return false;
  });
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->failure_count, 1U);
  EXPECT_EQ(after->version, 1U);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->failure_count, 1U);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->version, 1U);

  Result<QuotaRecord> quota = store->UpdateQuota("aws_ec2", [](QuotaRecord& q) {
    q.tokens = 1;
    return false;
  });
  ASSERT_TRUE(quota.ok());
  EXPECT_EQ(*quota, QuotaRecord{});
  EXPECT_EQ(*store->ReadQuota("aws_ec2"), QuotaRecord{});
}

TEST_F(SqliteStateStoreTest, UpdatesSeeWhatOtherProcessesWrote) {
  auto first = OpenStore();
  auto second = OpenStore();
  ASSERT_TRUE(AddFailure(*first).ok());
  ASSERT_TRUE(AddFailure(*second).ok());
  Result<BreakerRecord> third = AddFailure(*first);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->failure_count, 3U);
  EXPECT_EQ(third->version, 3U);
  EXPECT_EQ(second->ReadBreaker("aws_ec2")->failure_count, 3U);
}

TEST_F(SqliteStateStoreTest, AnUpdateDecidesAgainWhenAnotherWriterGotInBetween) {
  auto store = OpenStore();
  auto other = OpenStore();
  int calls = 0;
  Result<BreakerRecord> result = store->UpdateBreaker("aws_ec2", [&](BreakerRecord& r) {
    if (++calls == 1) {
      // Between this store's unlocked read and its write, another process writes. (Tests only:
      // real callbacks must not touch a store.)
      EXPECT_TRUE(Put(*other, "aws_ec2", WithFailures(10)).ok());
    }
    ++r.failure_count;
    return true;
  });
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(result->failure_count, 11U);  // decided on what the other wrote, not on the stale read
  EXPECT_EQ(result->version, 2U);
  EXPECT_EQ(other->ReadBreaker("aws_ec2")->failure_count, 11U);
}

TEST_F(SqliteStateStoreTest, ListBreakersReturnsEveryRecordByService) {
  auto store = OpenStore();
  ASSERT_TRUE(Put(*store, "aws_ec2", InState(CircuitState::kOpen)).ok());
  ASSERT_TRUE(Put(*store, "aws_autoscaling", WithFailures(2)).ok());
  Result<std::vector<std::pair<std::string, BreakerRecord>>> all = store->ListBreakers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].first, "aws_autoscaling");
  EXPECT_EQ((*all)[0].second.failure_count, 2U);
  EXPECT_EQ((*all)[1].first, "aws_ec2");
  EXPECT_EQ((*all)[1].second.state, CircuitState::kOpen);
  EXPECT_EQ((*all)[1].second.version, 1U);
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
    EXPECT_THAT(std::string(blocked.error().message()), HasSubstr(Path()));
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

TEST_F(SqliteStateStoreTest, ADatabaseFromANewerOhfpIsRefused) {
  ASSERT_NE(OpenStore(), nullptr);
  {
    Database db = OpenDatabase();
    ASSERT_TRUE(db.Execute("INSERT INTO schema_version (component, version, description) "
                           "VALUES ('resilience', 7, 'from the future')")
                    .ok());
  }
  Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(Path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), "SchemaTooNew");
  EXPECT_THAT(std::string(store.error().message()),
              HasSubstr("database schema 'resilience' version 7 is newer than this ohfp (2); "
                        "upgrade ohfp"));
  EXPECT_THAT(std::string(store.error().message()), HasSubstr(Path()));
}

TEST_F(SqliteStateStoreTest, AnUnreadableRecordIsAClearError) {
  auto store = OpenStore();
  ASSERT_TRUE(Put(*store, "aws_ec2", BreakerRecord{}).ok());
  Database db = OpenDatabase();
  ASSERT_TRUE(db.Execute("UPDATE resilience_breakers SET state = 'ajar'").ok());
  Result<BreakerRecord> read = store->ReadBreaker("aws_ec2");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind(), ErrorKind::kInternal);
  EXPECT_THAT(std::string(read.error().message()), HasSubstr("'aws_ec2'"));
  EXPECT_THAT(std::string(read.error().message()), HasSubstr("unknown state 'ajar'"));
  EXPECT_THAT(std::string(read.error().message()), HasSubstr(Path()));
  EXPECT_FALSE(AddFailure(*store).ok());  // never overwritten on a guess
  EXPECT_FALSE(store->ListBreakers().ok());
}

TEST_F(SqliteStateStoreTest, AnUnwritablePathIsAClearError) {
  const std::string blocker = dir_.Write("hf", "a file where a directory should be");
  const std::string path = blocker + "/work/ohfp.db";
  Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind(), ErrorKind::kInternal);
  EXPECT_THAT(std::string(store.error().message()), HasSubstr(path));
}

// The resilience library over this store: two stores on one file are two ohfp processes.
Error Throttle() { return Error(ErrorKind::kThrottled, "Throttling", "Rate exceeded"); }

TEST_F(SqliteStateStoreTest, ACircuitOpenedInOneProcessRejectsInTheNext) {
  resilience::ManualClock clock;
  const CircuitBreakerOptions options{.failure_threshold = 2, .reset_timeout = seconds(30)};
  auto first_process = OpenStore();
  auto next_process = OpenStore();
  CircuitBreaker first("aws_ec2", options, *first_process, clock);
  (void)first.Call([] { return Result<int>(Throttle()); });
  (void)first.Call([] { return Result<int>(Throttle()); });
  EXPECT_EQ(first.state(), CircuitState::kOpen);

  CircuitBreaker next("aws_ec2", options, *next_process, clock);
  int ran = 0;
  auto call = [&] {
    ++ran;
    return Result<int>(1);
  };
  Result<int> rejected = next.Call(call);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_EQ(ran, 0);

  clock.Advance(seconds(30));
  EXPECT_TRUE(next.Call(call).ok());  // half-open probe succeeds and closes the circuit
  EXPECT_EQ(ran, 1);
  const BreakerRecord record = *first_process->ReadBreaker("aws_ec2");
  EXPECT_EQ(record.state, CircuitState::kClosed);
  EXPECT_EQ(record.failure_count, 0U);
  EXPECT_TRUE(first.Call(call).ok());  // the first process sees the closed circuit too
}

TEST_F(SqliteStateStoreTest, AForcedOpenCircuitHoldsAcrossProcesses) {
  resilience::ManualClock clock;
  {
    auto admin_process = OpenStore();
    CircuitBreaker admin("aws_ec2", {}, *admin_process, clock);
    ASSERT_TRUE(admin.ForceOpen().ok());
  }
  auto worker_process = OpenStore();
  CircuitBreaker worker("aws_ec2", {}, *worker_process, clock);
  clock.Advance(std::chrono::hours(24));
  EXPECT_EQ(worker.Call([] { return Result<int>(1); }).error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_EQ(worker_process->ReadBreaker("aws_ec2")->override_mode, CircuitOverride::kForcedOpen);
}

TEST_F(SqliteStateStoreTest, TheRetryQuotaIsSpentAcrossProcesses) {
  auto first_process = OpenStore();
  resilience::RetryQuota first("aws_ec2", {.enabled = true}, *first_process);
  ASSERT_EQ(first.TryAcquire(ErrorKind::kThrottled), 5);
  ASSERT_EQ(first.TryAcquire(ErrorKind::kTimeout), 10);
  auto next_process = OpenStore();
  EXPECT_EQ(next_process->ReadQuota("aws_ec2")->tokens, 485);
  resilience::RetryQuota next("aws_ec2", {.enabled = true}, *next_process);
  ASSERT_EQ(next.TryAcquire(ErrorKind::kThrottled), 5);
  EXPECT_EQ(first_process->ReadQuota("aws_ec2")->tokens, 480);
}

}  // namespace
}  // namespace ohfp::store
