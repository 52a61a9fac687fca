// `ohfp store migrate`: an installation's state copied from SQLite to PostgreSQL and back reads
// the same through the store contract; targets that hold an installation's state are refused.
#include "store/store_copy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "store_backends.h"
#include "subprocess.h"

namespace ohfp::store {
namespace {

using model::InstanceState;
using model::MachineResult;
using model::RequestState;
using resilience::BreakerRecord;
using resilience::QuotaRecord;
using ::testing::HasSubstr;

const model::Timestamp kNow = model::FromEpochMillis(1'700'000'000'123);

class StoreCopyTest : public testing::PostgresTest {
 protected:
  StoreLocation Sqlite(const std::string& name) const {
    return {.sqlite_file = dir_.path() + "/" + name};
  }
  StoreLocation Postgres(const std::string& schema, const std::string& resilience = "") const {
    return {.url = pg_->Url(),
            .schema = schema,
            .resilience_schema = resilience.empty() ? schema : resilience};
  }
  Stores Open(const StoreLocation& where) {
    auto s = OpenStores(where, clock_);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return s.ok() ? std::move(*s) : Stores{};
  }

  // An installation with a little of everything.
  void Fill(const StoreLocation& where) {
    Stores s = Open(where);
    RequestStore& r = *s.requests;
    ASSERT_TRUE(r.ClaimInstallation("inst-copy", kNow).ok());
    ASSERT_TRUE(r.CreateAcquire({.id = "req-1",
                                 .template_id = "T",
                                 .machine_count = 2,
                                 .provider_api = model::ProviderApi::kSpotFleet,
                                 .max_number = 10,
                                 .image_id = "ami-0abc",
                                 .client_token = "req-1-1",
                                 .owner = {42, "boot/7", "host-a"},
                                 .now = kNow})
                    .ok());
    ASSERT_TRUE(r.AddAttempt("req-1", "req-1-2", kNow).ok());
    ASSERT_TRUE(r.SetRequestResources("req-1", {"sfr-1", "lt-1"}, kNow).ok());
    ASSERT_TRUE(r.MarkPolled({"req-1"}, kNow).ok());
    model::Machine m;
    m.instance_id = "i-1";
    m.request_id = "req-1";
    m.template_id = "T";
    m.name = "ip-10-0-0-1";
    m.private_ip = "10.0.0.1";
    m.state = InstanceState::kRunning;
    m.result = MachineResult::kSucceed;
    m.lifecycle = model::Lifecycle::kSpot;
    m.spot_request_id = "sir-1";
    m.launch_time = model::EpochSeconds(std::chrono::seconds(1'700'000'000));
    m.created_at = m.updated_at = kNow;
    model::Machine m2 = m;
    m2.instance_id = "i-2";
    m2.message = "a message with 'quotes', \"double\" ones, {braces} and a\\backslash";
    m2.launch_time.reset();
    ASSERT_TRUE(r.SaveMachines({m, m2}).ok());
    ASSERT_TRUE(r.SetRequestState("req-1", RequestState::kComplete, "done", kNow).ok());
    ASSERT_TRUE(
        r.CreateReturn("ret-1", {{.instance_id = "i-2", .acquire_request_id = "req-1"}}, {}, kNow)
            .ok());
    ASSERT_TRUE(r.SaveInstanceTypes({{"c5.large", 2, 1, 4096}}, kNow).ok());
    ASSERT_TRUE(r.SaveCachedValues("image-root-device", {{"ami-0abc", "/dev/xvda"}}, kNow).ok());
    ASSERT_TRUE(r.AddMetrics({{"ohfp_commands_total", "command=\"x\"", 0.1 + 0.2}}).ok());
    ASSERT_TRUE(r.ClaimSweep("housekeeping", kNow, std::chrono::seconds(60)).ok());
    ASSERT_TRUE(s.state
                    ->UpdateBreaker("aws_ec2",
                                    [](BreakerRecord& b) {
                                      b.state = resilience::CircuitState::kOpen;
                                      b.failure_count = 3;
                                      b.generation = ~std::uint64_t{0};
                                      b.window = "101";
                                      return true;
                                    })
                    .ok());
    ASSERT_TRUE(s.state
                    ->UpdateQuota("aws_ec2",
                                  [](QuotaRecord& q) {
                                    q.tokens = 480;
                                    return true;
                                  })
                    .ok());
    std::vector<resilience::LimiterRecord> limiter(1);
    ASSERT_TRUE(s.state
                    ->UpdateLimiters(std::vector<std::string>{"acct/us-east-1/ec2:RunInstances"},
                                     limiter,
                                     [](std::span<resilience::LimiterRecord> l) {
                                       l[0].tokens = -0.1 - 0.2;  // not exact in binary
                                       l[0].updated = resilience::SysTime(
                                           std::chrono::nanoseconds(1'700'000'000'123'456'789));
                                       l[0].fill_rate = 3.5;
                                       return true;
                                     })
                    .ok());
  }

  // Everything the store holds, as the contract reads it.
  std::string Snapshot(const StoreLocation& where) {
    Stores s = Open(where);
    RequestStore& r = *s.requests;
    std::ostringstream out;
    out << "installation " << r.InstallationId()->value_or("-") << "\n";
    const auto requests = *r.RequestsByIds({"req-1", "ret-1"});
    for (const model::Request& q : requests) {
      out << q.id << " " << model::RequestStateName(q.state) << " " << q.message << " "
          << model::EpochMillis(q.created_at) << " " << q.owner.pid << "/" << q.owner.start << "/"
          << q.owner.host << " " << q.created.resource_id << " " << q.created.launch_template_id
          << " " << (q.polled_at ? model::EpochMillis(*q.polled_at) : 0) << " "
          << model::ProviderApiName(q.provider_api) << " " << q.image_id << "\n";
    }
    const auto attempts = *r.Attempts("req-1");
    for (const model::Attempt& a : attempts) {
      out << "attempt " << a.number << " " << a.client_token << " "
          << model::AttemptStateName(a.state) << "\n";
    }
    const auto machines = *r.MachinesOfRequest("req-1");
    for (const model::Machine& m : machines) {
      out << m.instance_id << " " << m.name << " " << m.private_ip << " "
          << model::InstanceStateName(m.state) << " " << model::MachineResultName(m.result) << " "
          << m.message << " " << (m.lifecycle == model::Lifecycle::kSpot) << " "
          << m.spot_request_id << " "
          << (m.launch_time ? m.launch_time->time_since_epoch().count() : -1) << "\n";
    }
    const auto returned = *r.MachinesOfReturn("ret-1");
    for (const model::ReturnMachine& m : returned) {
      out << "returned " << m.instance_id << " " << m.acquire_request_id << "\n";
    }
    const auto metrics = *r.Metrics();
    for (const MetricDelta& d : metrics) {
      out << d.name << "{" << d.labels << "} " << d.value << (d.value == 0.1 + 0.2 ? " exact" : "")
          << "\n";
    }
    out << "types " << r.InstanceTypes({"c5.large"})->size() << "\n";
    const auto cached = *r.CachedValues("image-root-device", {"ami-0abc"});
    for (const CachedValue& v : cached) {
      out << "cached " << v.key << " " << v.value << " " << model::EpochMillis(v.fetched_at)
          << "\n";
    }
    out << "sweep claimable " << *r.ClaimSweep("housekeeping", kNow, std::chrono::seconds(60))
        << "\n";
    const BreakerRecord b = *s.state->ReadBreaker("aws_ec2");
    out << "breaker " << resilience::CircuitStateName(b.state) << " " << b.failure_count << " "
        << b.generation << " " << b.window << " v" << b.version << "\n";
    out << "quota " << s.state->ReadQuota("aws_ec2")->tokens.value_or(-1) << "\n";
    std::vector<resilience::LimiterRecord> l(1);
    (void)s.state->UpdateLimiters(std::vector<std::string>{"acct/us-east-1/ec2:RunInstances"}, l,
                                  [](std::span<resilience::LimiterRecord>) { return false; });
    out << "limiter " << (l[0].tokens == -0.1 - 0.2 ? "exact" : "inexact") << " "
        << (l[0].updated ? l[0].updated->time_since_epoch().count() : -1) << " " << l[0].fill_rate
        << " v" << l[0].version << "\n";
    return out.str();
  }

  ohfp::testing::TempDir dir_;
  resilience::SystemClock clock_;
};

TEST_F(StoreCopyTest, AnInstallationMovesToPostgresAndBackUnchanged) {
  const StoreLocation sqlite = Sqlite("state.db");
  Fill(sqlite);
  const std::string before = Snapshot(sqlite);
  ASSERT_THAT(before, HasSubstr("installation inst-copy"));
  ASSERT_THAT(before, HasSubstr("exact"));
  ASSERT_THAT(before, HasSubstr("cached ami-0abc /dev/xvda"));
  ASSERT_THAT(before, HasSubstr("limiter exact 1700000000123456789 3.5 v1"));

  const StoreLocation pg = Postgres(pg_->NewSchema());
  auto to_pg = CopyStore(sqlite, pg, clock_);
  ASSERT_TRUE(to_pg.ok()) << to_pg.error().ToString();
  EXPECT_EQ(to_pg->installation, "inst-copy");
  EXPECT_EQ(to_pg->rows.at("requests"), 2);
  EXPECT_EQ(to_pg->rows.at("machines"), 2);
  EXPECT_EQ(to_pg->rows.at("resilience_breakers"), 1);
  EXPECT_EQ(to_pg->rows.at("cached_values"), 1);
  EXPECT_EQ(to_pg->rows.at("resilience_limiters"), 1);
  EXPECT_EQ(Snapshot(pg), before);

  const StoreLocation back = Sqlite("back.db");
  auto to_sqlite = CopyStore(pg, back, clock_);
  ASSERT_TRUE(to_sqlite.ok()) << to_sqlite.error().ToString();
  EXPECT_EQ(Snapshot(back), before);
}

TEST_F(StoreCopyTest, ATargetHoldingAnInstallationsStateIsRefusedAndLeftAlone) {
  const StoreLocation sqlite = Sqlite("state.db");
  Fill(sqlite);
  const StoreLocation other = Postgres(pg_->NewSchema());
  {
    Stores s = Open(other);
    ASSERT_TRUE(s.requests->ClaimInstallation("inst-other", kNow).ok());
  }
  auto refused = CopyStore(sqlite, other, clock_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), "StoreForeign");
  EXPECT_THAT(std::string(refused.error().message()), HasSubstr("inst-other"));
  EXPECT_FALSE(Open(other).requests->GetRequest("req-1")->has_value());

  const StoreLocation pg = Postgres(pg_->NewSchema());
  ASSERT_TRUE(CopyStore(sqlite, pg, clock_).ok());
  auto again = CopyStore(sqlite, pg, clock_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), "StoreNotEmpty");
}

// Installations sharing breakers and quotas (one AWS account): the shared schema keeps what it
// knows; the newcomer's records fill in only what it lacks.
TEST_F(StoreCopyTest, ASharedResilienceSchemaKeepsItsRecords) {
  const StoreLocation sqlite = Sqlite("state.db");
  Fill(sqlite);
  const std::string shared = pg_->NewSchema();
  {
    Stores s = Open(Postgres(pg_->NewSchema(), shared));
    ASSERT_TRUE(s.state
                    ->UpdateBreaker("aws_ec2",
                                    [](BreakerRecord& b) {
                                      b.failure_count = 1;
                                      return true;
                                    })
                    .ok());
  }
  const StoreLocation pg = Postgres(pg_->NewSchema(), shared);
  auto copied = CopyStore(sqlite, pg, clock_);
  ASSERT_TRUE(copied.ok()) << copied.error().ToString();
  EXPECT_EQ(copied->kept.at("resilience_breakers"), 1);
  EXPECT_EQ(copied->rows.at("resilience_quotas"), 1);
  Stores s = Open(pg);
  EXPECT_EQ(s.state->ReadBreaker("aws_ec2")->failure_count, 1U);
  EXPECT_EQ(s.state->ReadQuota("aws_ec2")->tokens, 480);
}

}  // namespace
}  // namespace ohfp::store
