// The resilience library's StateStore (ohfp/resilience/state_store.h) as both backends keep it,
// one suite for every backend: records round-trip exactly, read-modify-writes are atomic across
// processes, a refused update writes nothing, unreadable or newer data is a clear error, and the
// library's breakers, quotas and rate limiters share their state through it. Each store a test
// opens is what one ohfp process opens. This file is compiled into two binaries: ohfp_store_tests
// runs the suite against SQLite, ohfp_pg_store_tests (built with OHFP_CONTRACT_POSTGRES) against
// PostgreSQL, on the one server that binary starts. What only one backend does is tested in
// sqlite_state_store_test.cc and pg_store_test.cc.
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
#include "store_backends.h"
#include "subprocess.h"

namespace ohfp::store {
namespace {

using resilience::BreakerRecord;
using resilience::CircuitState;
using resilience::ErrorKind;
using resilience::LimiterRecord;
using resilience::Result;
using namespace std::chrono_literals;

class StateStoreContract : public testing::BackendTest<resilience::StateStore> {
 protected:
  // A store of its own, as one ohfp process opens it.
  std::unique_ptr<resilience::StateStore> OpenStore() {
    auto store = GetParam().open(location_);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  // Runs SQL on the store's tables behind its back.
  void Execute(const std::string& sql) {
    std::string why;
    ASSERT_TRUE(GetParam().execute(location_, sql, why)) << why;
  }
  std::string NamedInErrors() const { return GetParam().named_in_errors(location_); }

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
};

TEST_P(StateStoreContract, IsSharedAndStartsEmpty) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->shared());
  EXPECT_EQ(*store->ReadBreaker("aws_ec2"), BreakerRecord{});
  EXPECT_EQ(*store->ReadQuota("aws_ec2"), resilience::QuotaRecord{});
  EXPECT_TRUE(store->ListBreakers()->empty());
}

TEST_P(StateStoreContract, EveryBreakerFieldRoundTripsIncludingEdgeValues) {
  BreakerRecord edge;
  edge.state = CircuitState::kHalfOpen;
  edge.override_mode = resilience::CircuitOverride::kForcedClosed;
  edge.failure_count = std::numeric_limits<std::uint32_t>::max();
  edge.half_open_probes = 7;
  edge.generation = std::numeric_limits<std::uint64_t>::max();  // beyond int64: stored as its bits
  edge.last_failure_time = resilience::SysTime(-1ns);           // before the epoch
  edge.last_success_time = std::nullopt;
  edge.state_changed_time =
      resilience::SysTime(std::chrono::nanoseconds(std::numeric_limits<std::int64_t>::min()));
  edge.window = "0110100001";
  {
    auto writer = OpenStore();
    ASSERT_NE(writer, nullptr);
    Result<BreakerRecord> written = Put(*writer, "aws_ec2", edge);
    ASSERT_TRUE(written.ok()) << written.error().ToString();
    EXPECT_EQ(written->version, 1U);
  }
  auto reader = OpenStore();
  ASSERT_NE(reader, nullptr);
  BreakerRecord expected = edge;
  expected.version = 1;
  EXPECT_EQ(*reader->ReadBreaker("aws_ec2"), expected);

  // The other way round: set and unset timestamps swap, ordinary values.
  BreakerRecord plain;
  plain.state = CircuitState::kOpen;
  plain.override_mode = resilience::CircuitOverride::kForcedOpen;
  plain.failure_count = 0;
  plain.half_open_probes = std::numeric_limits<std::uint32_t>::max();
  plain.generation = 0;
  plain.last_failure_time = std::nullopt;
  plain.last_success_time = resilience::SysTime(1'767'225'600'123'456'789ns);
  plain.state_changed_time =
      resilience::SysTime(std::chrono::nanoseconds(std::numeric_limits<std::int64_t>::max()));
  plain.window = "";
  ASSERT_TRUE(Put(*reader, "aws_ec2", plain).ok());
  plain.version = 2;
  EXPECT_EQ(*OpenStore()->ReadBreaker("aws_ec2"), plain);
}

TEST_P(StateStoreContract, AVersionBeyondInt64KeepsCounting) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Put(*store, "aws_ec2", BreakerRecord{}).ok());
  // Move the stored version to INT64_MAX by hand: the next write is version 2^63, stored as bits.
  Execute("UPDATE resilience_breakers SET version = 9223372036854775807");
  Result<BreakerRecord> next = AddFailure(*store);
  ASSERT_TRUE(next.ok()) << next.error().ToString();
  EXPECT_EQ(next->version, std::uint64_t{1} << 63);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->version, std::uint64_t{1} << 63);
}

TEST_P(StateStoreContract, QuotaRecordsRoundTrip) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto set = [&](std::optional<std::int32_t> tokens) {
    return store->UpdateQuota("aws_ec2", [&](resilience::QuotaRecord& q) {
      q.tokens = tokens;
      return true;
    });
  };
  ASSERT_TRUE(set(495).ok());
  EXPECT_EQ(*OpenStore()->ReadQuota("aws_ec2"),
            (resilience::QuotaRecord{.tokens = 495, .version = 1}));
  ASSERT_TRUE(set(std::numeric_limits<std::int32_t>::min()).ok());
  EXPECT_EQ(
      *OpenStore()->ReadQuota("aws_ec2"),
      (resilience::QuotaRecord{.tokens = std::numeric_limits<std::int32_t>::min(), .version = 2}));
  ASSERT_TRUE(set(std::nullopt).ok());
  EXPECT_EQ(*OpenStore()->ReadQuota("aws_ec2"),
            (resilience::QuotaRecord{.tokens = std::nullopt, .version = 3}));
  EXPECT_FALSE(store->ReadQuota("aws_autoscaling")->tokens.has_value());
}

TEST_P(StateStoreContract, AnUpdateThatReturnsFalseWritesNothing) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<BreakerRecord> after = store->UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
    r.failure_count = 2;
    return false;
  });
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, BreakerRecord{});
  EXPECT_TRUE(store->ListBreakers()->empty()) << "no row for an update that changed nothing";

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

  Result<resilience::QuotaRecord> quota =
      store->UpdateQuota("aws_ec2", [](resilience::QuotaRecord& q) {
        q.tokens = 1;
        return false;
      });
  ASSERT_TRUE(quota.ok());
  EXPECT_EQ(*quota, resilience::QuotaRecord{});
  EXPECT_EQ(*store->ReadQuota("aws_ec2"), resilience::QuotaRecord{});
}

TEST_P(StateStoreContract, UpdatesSeeWhatOtherProcessesWrote) {
  auto first = OpenStore();
  auto second = OpenStore();
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(AddFailure(*first).ok());
  ASSERT_TRUE(AddFailure(*second).ok());
  Result<BreakerRecord> third = AddFailure(*first);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->failure_count, 3U);
  EXPECT_EQ(third->version, 3U);
  EXPECT_EQ(second->ReadBreaker("aws_ec2")->failure_count, 3U);
}

// The second process's update read the record (there was none yet) before the first wrote; it
// decides again on what the first wrote instead of overwriting it.
TEST_P(StateStoreContract, AnUpdateDecidesAgainWhenAnotherWriterGotInBetween) {
  auto store = OpenStore();
  auto other = OpenStore();
  ASSERT_TRUE(store && other);
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
  EXPECT_EQ(other->ReadBreaker("aws_ec2")->version, 2U);
}

TEST_P(StateStoreContract, ListBreakersReturnsEveryRecordByService) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Put(*store, "aws_spot_fleet", WithFailures(1)).ok());
  ASSERT_TRUE(Put(*store, "aws_ec2", InState(CircuitState::kOpen)).ok());
  ASSERT_TRUE(Put(*store, "aws_autoscaling", WithFailures(2)).ok());
  Result<std::vector<std::pair<std::string, BreakerRecord>>> all = store->ListBreakers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3U);
  EXPECT_EQ((*all)[0].first, "aws_autoscaling");
  EXPECT_EQ((*all)[0].second.failure_count, 2U);
  EXPECT_EQ((*all)[1].first, "aws_ec2");
  EXPECT_EQ((*all)[1].second.state, CircuitState::kOpen);
  EXPECT_EQ((*all)[1].second.version, 1U);
  EXPECT_EQ((*all)[2].first, "aws_spot_fleet");
}

TEST_P(StateStoreContract, AnUnreadableRecordIsAClearError) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Put(*store, "aws_ec2", BreakerRecord{}).ok());
  Execute("UPDATE resilience_breakers SET state = 'ajar'");
  Result<BreakerRecord> read = store->ReadBreaker("aws_ec2");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind(), ErrorKind::kInternal);
  EXPECT_THAT(std::string(read.error().message()), ::testing::HasSubstr("'aws_ec2'"));
  EXPECT_THAT(std::string(read.error().message()), ::testing::HasSubstr("unknown state 'ajar'"));
  EXPECT_THAT(std::string(read.error().message()), ::testing::HasSubstr(NamedInErrors()));
  EXPECT_FALSE(AddFailure(*store).ok());  // never overwritten on a guess
  EXPECT_FALSE(store->ListBreakers().ok());
}

TEST_P(StateStoreContract, AStoreFromANewerOhfpIsRefused) {
  ASSERT_NE(OpenStore(), nullptr);
  Execute(
      "INSERT INTO schema_version (component, version, description) "
      "VALUES ('resilience', 7, 'from the future')");
  auto store = GetParam().open(location_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), "SchemaTooNew");
  const std::string message(store.error().message());
  EXPECT_THAT(message, ::testing::HasSubstr("database schema 'resilience'"));
  EXPECT_THAT(message, ::testing::HasSubstr("version 7 is newer than this ohfp (2); upgrade ohfp"));
  EXPECT_THAT(message, ::testing::HasSubstr(NamedInErrors()));
}

TEST_P(StateStoreContract, LimiterRecordsRoundTripEveryField) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  LimiterRecord full;
  full.tokens = -12.625;
  full.updated = resilience::SysTime(1'767'225'600'123'456'789ns);
  full.fill_rate = 0.35;
  full.last_max_rate = 0.1 + 0.2;  // not exact in binary: must come back bit for bit
  full.last_throttle = resilience::SysTime(-5ns);
  full.measured_rate = 19.75;
  full.measure_start = resilience::SysTime(1'767'225'600'000'000'000ns);
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
  auto other = OpenStore();
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

TEST_P(StateStoreContract, ARefusedLimiterUpdateWritesNothing) {
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
  // Another process finds a bucket nobody has written (version 0).
  auto other = OpenStore();
  ASSERT_NE(other, nullptr);
  std::vector<LimiterRecord> read(1);
  ASSERT_TRUE(
      other->UpdateLimiters(keys, read, [](std::span<LimiterRecord>) { return false; }).ok());
  EXPECT_EQ(read[0], LimiterRecord{});
  std::vector<LimiterRecord> two(2);
  resilience::Status misuse =
      store->UpdateLimiters(keys, two, [](std::span<LimiterRecord>) { return true; });
  ASSERT_FALSE(misuse.ok());
  EXPECT_EQ(misuse.error().code(), "StoreMisuse");
}

TEST_P(StateStoreContract, RateLimitersOfTwoProcessesSpendFromOneBucket) {
  auto first = OpenStore();
  auto second = OpenStore();
  ASSERT_TRUE(first && second);
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
  EXPECT_EQ(a.Acquire(plan_a, 1, 30s).wait, 0ns);
  EXPECT_EQ(b.Acquire(plan_b, 1, 30s).wait, 0ns);
  EXPECT_EQ(a.Acquire(plan_a, 1, 30s).wait, 1s);
  EXPECT_EQ(b.Acquire(plan_b, 1, 30s).wait, 2s);
  EXPECT_FALSE(a.Acquire(plan_a, 1, 1s).granted) << "3 s away, 1 s allowed";
}

// The resilience library over this store: two stores on one location are two ohfp processes
// (think: on two hosts, for PostgreSQL).
resilience::Error Throttle() {
  return resilience::Error(ErrorKind::kThrottled, "Throttling", "Rate exceeded");
}

TEST_P(StateStoreContract, ACircuitOpenedInOneProcessRejectsInTheNext) {
  resilience::ManualClock clock;
  const resilience::CircuitBreakerOptions options{.failure_threshold = 2, .reset_timeout = 30s};
  auto first_process = OpenStore();
  auto next_process = OpenStore();
  ASSERT_TRUE(first_process && next_process);
  resilience::CircuitBreaker first("aws_ec2", options, *first_process, clock);
  (void)first.Call([] { return Result<int>(Throttle()); });
  (void)first.Call([] { return Result<int>(Throttle()); });
  EXPECT_EQ(first.state(), CircuitState::kOpen);

  resilience::CircuitBreaker next("aws_ec2", options, *next_process, clock);
  int ran = 0;
  auto call = [&] {
    ++ran;
    return Result<int>(1);
  };
  Result<int> rejected = next.Call(call);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_EQ(ran, 0);

  clock.Advance(30s);
  EXPECT_TRUE(next.Call(call).ok());  // half-open probe succeeds and closes the circuit
  EXPECT_EQ(ran, 1);
  const BreakerRecord record = *first_process->ReadBreaker("aws_ec2");
  EXPECT_EQ(record.state, CircuitState::kClosed);
  EXPECT_EQ(record.failure_count, 0U);
  EXPECT_TRUE(first.Call(call).ok());  // the first process sees the closed circuit too
}

TEST_P(StateStoreContract, AForcedOpenCircuitHoldsAcrossProcesses) {
  resilience::ManualClock clock;
  {
    auto admin_process = OpenStore();
    ASSERT_NE(admin_process, nullptr);
    resilience::CircuitBreaker admin("aws_ec2", {}, *admin_process, clock);
    ASSERT_TRUE(admin.ForceOpen().ok());
  }
  auto worker_process = OpenStore();
  ASSERT_NE(worker_process, nullptr);
  resilience::CircuitBreaker worker("aws_ec2", {}, *worker_process, clock);
  clock.Advance(std::chrono::hours(24));
  EXPECT_EQ(worker.Call([] { return Result<int>(1); }).error().kind(), ErrorKind::kCircuitOpen);
  EXPECT_EQ(worker_process->ReadBreaker("aws_ec2")->override_mode,
            resilience::CircuitOverride::kForcedOpen);
}

TEST_P(StateStoreContract, TheRetryQuotaIsSpentAcrossProcesses) {
  auto first_process = OpenStore();
  ASSERT_NE(first_process, nullptr);
  resilience::RetryQuota first("aws_ec2", {.enabled = true}, *first_process);
  ASSERT_EQ(first.TryAcquire(ErrorKind::kThrottled), 5);
  ASSERT_EQ(first.TryAcquire(ErrorKind::kTimeout), 10);
  auto next_process = OpenStore();
  ASSERT_NE(next_process, nullptr);
  EXPECT_EQ(next_process->ReadQuota("aws_ec2")->tokens, 485);
  resilience::RetryQuota next("aws_ec2", {.enabled = true}, *next_process);
  ASSERT_EQ(next.TryAcquire(ErrorKind::kThrottled), 5);
  EXPECT_EQ(first_process->ReadQuota("aws_ec2")->tokens, 480);
}

// Each backend's stores wait at most 5 s for a lock or a server (store_backends.h).
#ifndef OHFP_CONTRACT_POSTGRES
INSTANTIATE_TEST_SUITE_P(Backends, StateStoreContract,
                         ::testing::Values(testing::SqliteStateStores(5s)),
                         [](const auto& param_info) { return param_info.param.name; });
#else
INSTANTIATE_TEST_SUITE_P(Backends, StateStoreContract,
                         ::testing::Values(testing::PostgresStateStores(5s)),
                         [](const auto& param_info) { return param_info.param.name; });
#endif

}  // namespace
}  // namespace ohfp::store
