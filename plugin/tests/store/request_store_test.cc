#include "store/request_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "forked_child.h"
#include "subprocess.h"

namespace ohfp::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class RequestStoreTest : public ::testing::Test {
 protected:
  RequestStoreTest() : store_(std::move(*RequestStore::Open(dir_.path() + "/state.db"))) {}

  RequestRecord Acquire(const std::string& id, int count, int max_number = 10,
                        const std::string& tmpl = "T") {
    auto r = store_->CreateAcquire({.id = id,
                                    .template_id = tmpl,
                                    .machine_count = count,
                                    .provider_api = "RunInstances",
                                    .max_number = max_number,
                                    .client_token = id + "-1",
                                    .owner = {42, "boot/1"},
                                    .now = now_});
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : RequestRecord{};
  }
  MachineRecord Machine(const std::string& id, const std::string& request,
                        const std::string& result, const std::string& state = "running") {
    MachineRecord m;
    m.instance_id = id;
    m.request_id = request;
    m.template_id = "T";
    m.state = state;
    m.result = result;
    m.created_at = m.updated_at = now_;
    return m;
  }

  ohfp::testing::TempDir dir_;
  std::unique_ptr<RequestStore> store_;
  std::int64_t now_ = 1'700'000'000'000;
};

TEST_F(RequestStoreTest, AnAcquireRequestIsSavedWithItsFirstAttempt) {
  Acquire("req-1", 3);
  auto r = store_->GetRequest("req-1");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->state, RequestState::kRunning);
  EXPECT_EQ((*r)->machine_count, 3);
  EXPECT_EQ((*r)->owner.pid, 42);
  EXPECT_FALSE((*r)->polled_at.has_value());
  auto attempts = store_->Attempts("req-1");
  ASSERT_THAT(*attempts, SizeIs(1));
  EXPECT_EQ((*attempts)[0].client_token, "req-1-1");
  EXPECT_EQ((*attempts)[0].state, AttemptState::kPrepared);
  EXPECT_FALSE(store_->GetRequest("req-2")->has_value());
}

TEST_F(RequestStoreTest, MaxNumberCountsRunningRequestsAndLiveMachines) {
  Acquire("req-1", 4);
  EXPECT_EQ(*store_->HeldMachines("T"), 4);
  auto refused = store_->CreateAcquire({.id = "req-2",
                                        .template_id = "T",
                                        .machine_count = 7,
                                        .max_number = 10,
                                        .client_token = "req-2-1",
                                        .now = now_});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), "NotEnoughCapacity");
  EXPECT_THAT(std::string(refused.error().message()), HasSubstr("6 machine(s) available"));
  EXPECT_FALSE(store_->GetRequest("req-2")->has_value())
      << "a refused request leaves nothing behind";
  // req-1 finishes with 3 of 4 machines: the failed one no longer counts.
  ASSERT_TRUE(
      store_
          ->SaveMachines({Machine("i-1", "req-1", "succeed"), Machine("i-2", "req-1", "succeed"),
                          Machine("i-3", "req-1", "succeed"),
                          Machine("i-4", "req-1", "fail", "terminated")})
          .ok());
  ASSERT_TRUE(store_->SetRequestState("req-1", RequestState::kCompleteWithError, "", now_).ok());
  EXPECT_EQ(*store_->HeldMachines("T"), 3);
  // Returning one frees it.
  ASSERT_TRUE(
      store_
          ->CreateReturn("ret-1", {{.instance_id = "i-1", .acquire_request_id = "req-1"}}, {}, now_)
          .ok());
  EXPECT_EQ(*store_->HeldMachines("T"), 2);
  EXPECT_EQ(*store_->HeldMachines("Other"), 0);
  Acquire("req-3", 8);
}

TEST_F(RequestStoreTest, UnlimitedTemplatesAreNeverRefused) {
  Acquire("req-1", 1000, -1);
  Acquire("req-2", 1000, -1);
}

TEST_F(RequestStoreTest, AttemptsAreNumberedAndUpdated) {
  Acquire("req-1", 1);
  auto second = store_->AddAttempt("req-1", "req-1-2", now_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->number, 2);
  ASSERT_TRUE(
      store_
          ->SetAttemptState("req-1", 1, AttemptState::kFailed, "InsufficientInstanceCapacity", now_)
          .ok());
  auto attempts = *store_->Attempts("req-1");
  ASSERT_THAT(attempts, SizeIs(2));
  EXPECT_EQ(attempts[0].state, AttemptState::kFailed);
  EXPECT_EQ(attempts[0].error, "InsufficientInstanceCapacity");
  EXPECT_EQ(attempts[1].client_token, "req-1-2");
  EXPECT_FALSE(store_->AddAttempt("req-1", "req-1-2", now_).ok())
      << "a token is never reused for a new attempt";
}

TEST_F(RequestStoreTest, MachinesAreUpsertedByInstanceId) {
  Acquire("req-1", 2);
  MachineRecord m = Machine("i-1", "req-1", "executing", "pending");
  ASSERT_TRUE(store_->SaveMachines({m}).ok());
  m.state = "running";
  m.result = "succeed";
  m.name = "ip-10-0-0-1.ec2.internal";
  ASSERT_TRUE(store_->SaveMachines({m, Machine("i-2", "req-1", "executing", "pending")}).ok());
  auto machines = *store_->MachinesOfRequest("req-1");
  ASSERT_THAT(machines, SizeIs(2));
  EXPECT_EQ(machines[0].state, "running");
  EXPECT_EQ(machines[0].name, "ip-10-0-0-1.ec2.internal");
  EXPECT_THAT(*store_->MachinesByIds({"i-2", "i-9"}), SizeIs(1));
}

TEST_F(RequestStoreTest, PollingIsRecordedOnce) {
  Acquire("req-1", 1);
  ASSERT_TRUE(store_->MarkPolled({"req-1", "req-unknown"}, now_ + 5).ok());
  ASSERT_TRUE(store_->MarkPolled({"req-1"}, now_ + 9).ok());
  EXPECT_EQ((*store_->GetRequest("req-1"))->polled_at, now_ + 5);
}

TEST_F(RequestStoreTest, AbandoningFailsTheRequestItsMachinesAndItsAttempt) {
  Acquire("req-1", 2);
  ASSERT_TRUE(store_->SaveMachines({Machine("i-1", "req-1", "succeed")}).ok());
  ASSERT_TRUE(store_->AbandonRequest("req-1", "reclaimed", now_).ok());
  const RequestRecord r = **store_->GetRequest("req-1");
  EXPECT_TRUE(r.abandoned);
  EXPECT_EQ(r.state, RequestState::kCompleteWithError);
  EXPECT_EQ((*store_->MachinesOfRequest("req-1"))[0].result, "fail");
  EXPECT_EQ((*store_->Attempts("req-1"))[0].state, AttemptState::kFailed);
  EXPECT_THAT(*store_->OpenRequests(RequestKind::kAcquire), SizeIs(0));
}

TEST_F(RequestStoreTest, AReturnRequestIsSavedWithItsMachines) {
  auto r =
      store_->CreateReturn("ret-1",
                           {{.instance_id = "i-1", .name = "h1", .acquire_request_id = "req-1"},
                            {.instance_id = "i-2", .name = "h2", .result = "succeed"}},
                           {7, "b/7"}, now_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->kind, RequestKind::kReturn);
  auto rows = *store_->MachinesOfReturn("ret-1");
  ASSERT_THAT(rows, SizeIs(2));
  EXPECT_EQ(rows[0].result, "executing");
  EXPECT_EQ(rows[1].result, "succeed");
  rows[0].result = "succeed";
  rows[0].state = "terminated";
  ASSERT_TRUE(store_->SaveReturnMachines(rows).ok());
  EXPECT_EQ((*store_->MachinesOfReturn("ret-1"))[0].state, "terminated");
  EXPECT_THAT(*store_->ReturnedInstances({"i-1", "i-3"}), ElementsAre("i-1"));
  EXPECT_THAT(*store_->OpenRequests(RequestKind::kReturn), SizeIs(1));
}

TEST_F(RequestStoreTest, InstanceTypesAndMetricsAreKept) {
  ASSERT_TRUE(store_->SaveInstanceTypes({{"c5.large", 2, 1, 4096}}, now_).ok());
  auto types = *store_->InstanceTypes({"c5.large", "m5.large"});
  ASSERT_THAT(types, SizeIs(1));
  EXPECT_EQ(types[0].memory_mib, 4096);
  ASSERT_TRUE(store_->AddMetrics({{"ohfp_commands_total", "command=\"x\"", 1}}).ok());
  ASSERT_TRUE(
      store_->AddMetrics({{"ohfp_commands_total", "command=\"x\"", 2}, {"other", "", 5}}).ok());
  auto metrics = *store_->Metrics();
  ASSERT_THAT(metrics, SizeIs(2));
  EXPECT_EQ(metrics[0].name, "ohfp_commands_total");
  EXPECT_EQ(metrics[0].value, 3);
}

TEST_F(RequestStoreTest, ASweepRunsOncePerInterval) {
  EXPECT_TRUE(*store_->ClaimSweep("housekeeping", now_, 60'000));
  EXPECT_FALSE(*store_->ClaimSweep("housekeeping", now_ + 59'000, 60'000));
  EXPECT_TRUE(*store_->ClaimSweep("housekeeping", now_ + 60'000, 60'000));
  EXPECT_TRUE(*store_->ClaimSweep("other", now_, 60'000));
}

// Eight HostFactory processes asking for machines of one template at once: maxNumber holds exactly.
TEST(RequestStoreConcurrency, MaxNumberHoldsWhenProcessesRequestAtOnce) {
  ohfp::testing::TempDir dir;
  const std::string path = dir.path() + "/state.db";
  { ASSERT_TRUE(RequestStore::Open(path).ok()); }  // create it; no connection crosses the fork
  ohfp::testing::Pipe go;
  std::vector<std::unique_ptr<ohfp::testing::Child>> children;
  for (int p = 0; p < 8; ++p) {
    children.push_back(std::make_unique<ohfp::testing::Child>([&, p] {
      go.CloseWrite();
      go.ReadByte();  // all start together
      auto store = RequestStore::Open(path, {.busy_timeout = std::chrono::seconds(60)});
      if (!store.ok()) return 3;
      int granted = 0;
      for (int i = 0; i < 5; ++i) {
        const std::string id = "req-" + std::to_string(p) + "-" + std::to_string(i);
        auto r = (*store)->CreateAcquire({.id = id,
                                          .template_id = "T",
                                          .machine_count = 1,
                                          .max_number = 20,
                                          .client_token = id + "-1",
                                          .now = 1});
        if (r.ok()) {
          ++granted;
        } else if (r.error().code() != "NotEnoughCapacity") {
          return 4;
        }
      }
      return granted == 0 ? 10 : 0;  // exit code only says "no error"
    }));
  }
  go.CloseRead();
  go.CloseWrite();
  for (auto& c : children) EXPECT_THAT(c->Wait(), ::testing::AnyOf(0, 10));
  auto store = RequestStore::Open(path);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->HeldMachines("T"), 20) << "40 asked, 20 allowed: never more";
  EXPECT_THAT(*(*store)->OpenRequests(RequestKind::kAcquire), SizeIs(20));
}

}  // namespace
}  // namespace ohfp::store
