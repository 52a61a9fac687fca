// Concurrency and crash tests of the PostgreSQL store beyond what every backend does
// (state_store_concurrency_test.cc): processes (each one ohfp process, on any host: they share
// nothing but the server) migrating a new schema at once, a client killed while it holds a row
// lock.
// Children are forked (tests/support/forked_child.h) and open their own connections after the
// fork; the parent holds none across it. Pipes order parent and children without sleeping.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "concurrency_workloads.h"
#include "forked_child.h"
#include "store/pg_request_store.h"
#include "store/pg_rows.h"
#include "store/pg_state_store.h"
#include "store_backends.h"

namespace ohfp::store {
namespace {

using ohfp::testing::Child;
using ohfp::testing::Pipe;
using resilience::Result;

class PgConcurrencyTest : public testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped()) return;
    settings_ = {
        .url = pg_->Url(), .schema = pg_->NewSchema(), .timeout = std::chrono::seconds(120)};
  }
  // One ohfp process's state store (or nullptr, with the reason on stderr).
  static std::unique_ptr<PgStateStore> Open(const PgSettings& settings,
                                            const resilience::Clock& clock) {
    auto pool = PgPool::Open(settings, clock);
    if (!pool.ok()) {
      testing::Fail(0, pool.error().ToString());
      return nullptr;
    }
    auto store = PgStateStore::Open(*pool, settings.schema);
    if (!store.ok()) {
      testing::Fail(0, store.error().ToString());
      return nullptr;
    }
    return std::move(*store);
  }

  PgSettings settings_;
  resilience::SystemClock clock_;
};

// Eight processes released together onto a schema that does not exist yet: they create it once
// (no process fails on a half-made schema) and lose no update.
TEST_F(PgConcurrencyTest, ProcessesOnANewSchemaMigrateItOnceAndLoseNoUpdate) {
  constexpr int kProcesses = 8;
  constexpr int kIncrements = 40;
  const PgSettings settings = settings_;
  for (int code : testing::RunTogether(kProcesses, [&] {
         resilience::SystemClock clock;
         auto pool = PgPool::Open(settings, clock);
         if (!pool.ok()) return testing::Fail(2, pool.error().ToString());
         auto requests = PgRequestStore::Open(*pool);  // both components, as ohfp opens them
         if (!requests.ok()) return testing::Fail(2, requests.error().ToString());
         auto store = PgStateStore::Open(*pool, settings.schema);
         if (!store.ok()) return testing::Fail(2, store.error().ToString());
         return testing::Increment(**store, kIncrements);
       })) {
    EXPECT_EQ(code, 0);
  }

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

// A process killed while it holds a record's row lock (mid-update): the server rolls its
// transaction back when the connection drops, and the next writer goes ahead.
TEST_F(PgConcurrencyTest, AProcessKilledHoldingARowLockDoesNotBlockTheOthers) {
  {
    auto store = Open(settings_, clock_);
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(testing::Increment(*store, 1), 0);
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
  ASSERT_EQ(testing::Increment(*store, 1), 0);
  EXPECT_EQ(store->ReadBreaker("aws_ec2")->version, 2U) << "the killed transaction left nothing";
}

}  // namespace
}  // namespace ohfp::store
