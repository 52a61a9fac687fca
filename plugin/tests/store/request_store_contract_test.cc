// The RequestStore contract (store/request_store.h), one suite for every backend: the same tests,
// unchanged, run against each backend instantiated below. This file is compiled into two
// binaries: ohfp_store_tests runs the suite against SQLite, ohfp_pg_store_tests (built with
// OHFP_CONTRACT_POSTGRES) against PostgreSQL, on the one server that binary starts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "forked_child.h"
#include "store/pg_request_store.h"
#include "store/sqlite_request_store.h"
#include "store_backends.h"
#include "subprocess.h"

namespace ohfp::store {
namespace {

using model::InstanceState;
using model::MachineResult;
using model::RequestState;
using ::testing::ElementsAre;
using ::testing::SizeIs;

const model::Timestamp kNow = model::FromEpochMillis(1'700'000'000'000);

class RequestStoreContract : public testing::BackendTest<RequestStore> {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    auto opened = GetParam().open(location_);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(*opened);
  }

  model::Request Acquire(const std::string& id, int count, int max_number = 10,
                         const std::string& tmpl = "T") {
    auto r = store_->CreateAcquire({.id = id,
                                    .template_id = tmpl,
                                    .machine_count = count,
                                    .provider_api = model::ProviderApi::kEc2Fleet,
                                    .max_number = max_number,
                                    .client_token = id + "-1",
                                    .owner = {42, "boot/1"},
                                    .now = kNow});
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : model::Request{};
  }
  static model::Machine Machine(const std::string& id, const std::string& request,
                                MachineResult result,
                                InstanceState state = InstanceState::kRunning) {
    model::Machine m;
    m.instance_id = id;
    m.request_id = request;
    m.template_id = "T";
    m.state = state;
    m.result = result;
    m.created_at = m.updated_at = kNow;
    return m;
  }

  std::unique_ptr<RequestStore> store_;
};

TEST_P(RequestStoreContract, AnAcquireRequestIsSavedWithItsFirstAttempt) {
  Acquire("req-1", 3);
  auto r = store_->GetRequest("req-1");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->state, RequestState::kRunning);
  EXPECT_EQ((*r)->machine_count, 3);
  EXPECT_EQ((*r)->provider_api, model::ProviderApi::kEc2Fleet);
  EXPECT_EQ((*r)->owner.pid, 42);
  EXPECT_EQ((*r)->created_at, kNow);
  EXPECT_FALSE((*r)->polled_at.has_value());
  auto attempts = store_->Attempts("req-1");
  ASSERT_THAT(*attempts, SizeIs(1));
  EXPECT_EQ((*attempts)[0].client_token, "req-1-1");
  EXPECT_EQ((*attempts)[0].state, model::AttemptState::kPrepared);
  EXPECT_FALSE(store_->GetRequest("req-2")->has_value());
}

TEST_P(RequestStoreContract, MaxNumberCountsRunningRequestsAndLiveMachines) {
  Acquire("req-1", 4);
  EXPECT_EQ(*store_->HeldMachines("T"), 4);
  auto refused = store_->CreateAcquire({.id = "req-2",
                                        .template_id = "T",
                                        .machine_count = 7,
                                        .max_number = 10,
                                        .client_token = "req-2-1",
                                        .now = kNow});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), "NotEnoughCapacity");
  EXPECT_THAT(std::string(refused.error().message()),
              ::testing::HasSubstr("6 machine(s) available"));
  EXPECT_FALSE(store_->GetRequest("req-2")->has_value())
      << "a refused request leaves nothing behind";
  // req-1 finishes with 3 of 4 machines: the failed one no longer counts.
  ASSERT_TRUE(store_
                  ->SaveMachines(
                      {Machine("i-1", "req-1", MachineResult::kSucceed),
                       Machine("i-2", "req-1", MachineResult::kSucceed),
                       Machine("i-3", "req-1", MachineResult::kSucceed),
                       Machine("i-4", "req-1", MachineResult::kFail, InstanceState::kTerminated)})
                  .ok());
  ASSERT_TRUE(store_->SetRequestState("req-1", RequestState::kCompleteWithError, "", kNow).ok());
  EXPECT_EQ(*store_->HeldMachines("T"), 3);
  // Returning one frees it.
  ASSERT_TRUE(
      store_
          ->CreateReturn("ret-1", {{.instance_id = "i-1", .acquire_request_id = "req-1"}}, {}, kNow)
          .ok());
  EXPECT_EQ(*store_->HeldMachines("T"), 2);
  EXPECT_EQ(*store_->HeldMachines("Other"), 0);
  Acquire("req-3", 8);
}

TEST_P(RequestStoreContract, UnlimitedTemplatesAreNeverRefused) {
  Acquire("req-1", 1000, -1);
  Acquire("req-2", 1000, -1);
}

TEST_P(RequestStoreContract, AnAdoptedRequestIsPolledSettledAndNotCountedAgainstMaxNumber) {
  Acquire("req-1", 10, 10);
  auto adopted = store_->CreateAcquire({.id = "req-2",
                                        .template_id = "T",
                                        .machine_count = 2,
                                        .max_number = 10,
                                        .client_token = "req-2-1",
                                        .now = kNow,
                                        .adopted = true});
  ASSERT_TRUE(adopted.ok()) << adopted.error().ToString();
  EXPECT_EQ((*store_->GetRequest("req-2"))->polled_at, kNow);
  EXPECT_EQ((*store_->Attempts("req-2"))[0].state, model::AttemptState::kSucceeded);
}

TEST_P(RequestStoreContract, AttemptsAreNumberedAndUpdated) {
  Acquire("req-1", 1);
  auto second = store_->AddAttempt("req-1", "req-1-2", kNow);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->number, 2);
  ASSERT_TRUE(store_
                  ->SetAttemptState("req-1", 1, model::AttemptState::kFailed,
                                    "InsufficientInstanceCapacity", kNow)
                  .ok());
  auto attempts = *store_->Attempts("req-1");
  ASSERT_THAT(attempts, SizeIs(2));
  EXPECT_EQ(attempts[0].state, model::AttemptState::kFailed);
  EXPECT_EQ(attempts[0].error, "InsufficientInstanceCapacity");
  EXPECT_EQ(attempts[1].client_token, "req-1-2");
  EXPECT_FALSE(store_->AddAttempt("req-1", "req-1-2", kNow).ok())
      << "a token is never reused for a new attempt";
}

TEST_P(RequestStoreContract, MachinesAreUpsertedByInstanceIdWithEveryField) {
  Acquire("req-1", 2);
  model::Machine m = Machine("i-1", "req-1", MachineResult::kExecuting, InstanceState::kPending);
  ASSERT_TRUE(store_->SaveMachines({m}).ok());
  m.state = InstanceState::kRunning;
  m.result = MachineResult::kSucceed;
  m.name = "ip-10-0-0-1.ec2.internal";
  m.private_ip = "10.0.0.1";
  m.lifecycle = model::Lifecycle::kSpot;
  m.spot_request_id = "sir-1";
  m.launch_time = model::EpochSeconds(std::chrono::seconds(1'700'000'000));
  ASSERT_TRUE(store_
                  ->SaveMachines({m, Machine("i-2", "req-1", MachineResult::kExecuting,
                                             InstanceState::kPending)})
                  .ok());
  auto machines = *store_->MachinesOfRequest("req-1");
  ASSERT_THAT(machines, SizeIs(2));
  EXPECT_EQ(machines[0].state, InstanceState::kRunning);
  EXPECT_EQ(machines[0].result, MachineResult::kSucceed);
  EXPECT_EQ(machines[0].name, "ip-10-0-0-1.ec2.internal");
  EXPECT_EQ(machines[0].lifecycle, model::Lifecycle::kSpot);
  EXPECT_EQ(machines[0].spot_request_id, "sir-1");
  EXPECT_EQ(machines[0].launch_time, m.launch_time);
  EXPECT_FALSE(machines[1].launch_time.has_value());
  EXPECT_THAT(*store_->MachinesByIds({"i-2", "i-9"}), SizeIs(1));
}

TEST_P(RequestStoreContract, MachinesAreFoundByTheirHostName) {
  Acquire("req-1", 3);
  model::Machine a = Machine("i-1", "req-1", MachineResult::kSucceed);
  a.name = "ip-10-0-0-1.ec2.internal";
  model::Machine b = Machine("i-2", "req-1", MachineResult::kSucceed);
  b.name = "ip-10-0-0-2.ec2.internal";
  model::Machine c = Machine("i-3", "req-1", MachineResult::kFail, InstanceState::kTerminated);
  c.name = a.name;  // the address came back to another instance later
  c.created_at = kNow + std::chrono::seconds(1);
  ASSERT_TRUE(store_->SaveMachines({a, b, c}).ok());
  auto found = store_->MachinesByNames({"ip-10-0-0-1.ec2.internal", "ip-10-0-0-9.ec2.internal"});
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  ASSERT_THAT(*found, SizeIs(2));
  EXPECT_EQ((*found)[0].instance_id, "i-1") << "oldest first";
  EXPECT_EQ((*found)[1].instance_id, "i-3");
  EXPECT_THAT(*store_->MachinesByNames({}), SizeIs(0));
}

TEST_P(RequestStoreContract, ListsOfAnyLengthAreRead) {
  Acquire("req-1", 1);
  ASSERT_TRUE(store_->SaveMachines({Machine("i-1", "req-1", MachineResult::kSucceed)}).ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 250'001; ++i) ids.push_back("i-x" + std::to_string(i));
  ids.push_back("i-1");
  auto found = store_->MachinesByIds(ids);
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  EXPECT_THAT(*found, SizeIs(1));
  auto returned = store_->ReturnedInstances(ids);
  ASSERT_TRUE(returned.ok()) << returned.error().ToString();
}

TEST_P(RequestStoreContract, PollingIsRecordedOnce) {
  Acquire("req-1", 1);
  ASSERT_TRUE(store_->MarkPolled({"req-1", "req-unknown"}, kNow + std::chrono::seconds(5)).ok());
  ASSERT_TRUE(store_->MarkPolled({"req-1"}, kNow + std::chrono::seconds(9)).ok());
  EXPECT_EQ((*store_->GetRequest("req-1"))->polled_at, kNow + std::chrono::seconds(5));
}

TEST_P(RequestStoreContract, AbandoningFailsTheRequestItsMachinesAndItsAttempt) {
  Acquire("req-1", 2);
  ASSERT_TRUE(store_->SaveMachines({Machine("i-1", "req-1", MachineResult::kSucceed)}).ok());
  auto abandoned = store_->AbandonRequest("req-1", "reclaimed", kNow);
  ASSERT_TRUE(abandoned.ok()) << abandoned.error().ToString();
  EXPECT_TRUE(*abandoned);
  const model::Request r = **store_->GetRequest("req-1");
  EXPECT_TRUE(r.abandoned);
  EXPECT_EQ(r.state, RequestState::kCompleteWithError);
  EXPECT_EQ((*store_->MachinesOfRequest("req-1"))[0].result, MachineResult::kFail);
  EXPECT_EQ((*store_->Attempts("req-1"))[0].state, model::AttemptState::kFailed);
  EXPECT_THAT(*store_->OpenRequests(model::RequestKind::kAcquire), SizeIs(0));
}

// The reclaim and a poll of the same request, in either order: HostFactory's poll wins, and what
// HostFactory was told of a request never changes afterwards.
TEST_P(RequestStoreContract, ARequestHostFactoryAskedAboutIsNeverAbandoned) {
  Acquire("req-1", 1);
  ASSERT_TRUE(store_->SaveMachines({Machine("i-1", "req-1", MachineResult::kSucceed)}).ok());
  ASSERT_TRUE(store_->MarkPolled({"req-1"}, kNow).ok());
  auto abandoned = store_->AbandonRequest("req-1", "reclaimed", kNow);
  ASSERT_TRUE(abandoned.ok()) << abandoned.error().ToString();
  EXPECT_FALSE(*abandoned);
  EXPECT_EQ((*store_->GetRequest("req-1"))->state, RequestState::kRunning);
  EXPECT_FALSE((*store_->GetRequest("req-1"))->abandoned);
  EXPECT_EQ((*store_->MachinesOfRequest("req-1"))[0].result, MachineResult::kSucceed);
  EXPECT_EQ((*store_->Attempts("req-1"))[0].state, model::AttemptState::kPrepared);

  Acquire("req-2", 1);
  ASSERT_TRUE(store_->SetRequestState("req-2", RequestState::kComplete, "", kNow).ok());
  EXPECT_FALSE(*store_->AbandonRequest("req-2", "reclaimed", kNow)) << "finished already";
}

TEST_P(RequestStoreContract, AFinishedRequestKeepsItsState) {
  Acquire("req-1", 1);
  ASSERT_TRUE(store_->SetRequestState("req-1", RequestState::kRunning, "launching", kNow).ok());
  EXPECT_EQ((*store_->GetRequest("req-1"))->message, "launching");
  ASSERT_TRUE(store_->SetRequestState("req-1", RequestState::kComplete, "done", kNow).ok());
  ASSERT_TRUE(
      store_->SetRequestState("req-1", RequestState::kCompleteWithError, "late", kNow).ok());
  ASSERT_TRUE(store_->SetRequestState("req-1", RequestState::kRunning, "again", kNow).ok());
  EXPECT_EQ((*store_->GetRequest("req-1"))->state, RequestState::kComplete);
  EXPECT_EQ((*store_->GetRequest("req-1"))->message, "done");
}

TEST_P(RequestStoreContract, WhatWasCreatedAndItsCleanupAreRecorded) {
  Acquire("req-1", 1);
  ASSERT_TRUE(store_->SetRequestResources("req-1", {"fleet-1", "lt-1"}, kNow).ok());
  EXPECT_EQ((*store_->GetRequest("req-1"))->created, (model::CloudRef{"fleet-1", "lt-1"}));
  ASSERT_TRUE(store_->SetRequestState("req-1", RequestState::kComplete, "", kNow).ok());
  EXPECT_THAT(*store_->FinishedNotCleanedUp(), SizeIs(1));
  ASSERT_TRUE(store_->MarkCleanedUp("req-1", kNow).ok());
  EXPECT_THAT(*store_->FinishedNotCleanedUp(), SizeIs(0));
  EXPECT_EQ((*store_->GetRequest("req-1"))->cleaned_up_at, kNow);
  EXPECT_THAT(*store_->RequestsByIds({"req-1", "req-9"}), SizeIs(1));
}

TEST_P(RequestStoreContract, AReturnRequestIsSavedWithItsMachines) {
  auto r = store_->CreateReturn(
      "ret-1",
      {{.instance_id = "i-1", .name = "h1", .acquire_request_id = "req-1"},
       {.instance_id = "i-2", .name = "h2", .result = MachineResult::kSucceed}},
      {7, "b/7"}, kNow);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->kind, model::RequestKind::kReturn);
  auto rows = *store_->MachinesOfReturn("ret-1");
  ASSERT_THAT(rows, SizeIs(2));
  EXPECT_EQ(rows[0].result, MachineResult::kExecuting);
  EXPECT_EQ(rows[1].result, MachineResult::kSucceed);
  rows[0].result = MachineResult::kSucceed;
  rows[0].state = InstanceState::kTerminated;
  ASSERT_TRUE(store_->SaveReturnMachines(rows).ok());
  EXPECT_EQ((*store_->MachinesOfReturn("ret-1"))[0].state, InstanceState::kTerminated);
  EXPECT_THAT(*store_->ReturnedInstances({"i-1", "i-3"}), ElementsAre("i-1"));
  EXPECT_THAT(*store_->OpenRequests(model::RequestKind::kReturn), SizeIs(1));
}

// Ids of a page, in its order.
std::vector<std::string> Ids(const RequestPage& page) {
  std::vector<std::string> ids;
  for (const model::Request& r : page.requests) ids.push_back(r.id);
  return ids;
}

TEST_P(RequestStoreContract, RequestsAreListedNewestFirstByStateTemplateAndTimeInPages) {
  // req-0 .. req-4, a minute apart; templates A, B, A, B, A; req-1 completes; a return request.
  for (int i = 0; i < 5; ++i) {
    auto r = store_->CreateAcquire({.id = "req-" + std::to_string(i),
                                    .template_id = i % 2 == 0 ? "A" : "B",
                                    .machine_count = 1,
                                    .client_token = "req-" + std::to_string(i) + "-1",
                                    .owner = {42, "boot/1"},
                                    .now = kNow + std::chrono::minutes(i)});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
  }
  ASSERT_TRUE(store_->SetRequestState("req-1", RequestState::kComplete, "", kNow).ok());
  ASSERT_TRUE(store_
                  ->CreateReturn("ret-9", {{.instance_id = "i-9"}}, {7, "b/7"},
                                 kNow + std::chrono::minutes(9))
                  .ok());

  auto all = store_->ListRequests({});
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  EXPECT_EQ(all->total, 6);
  EXPECT_THAT(Ids(*all), ElementsAre("ret-9", "req-4", "req-3", "req-2", "req-1", "req-0"));

  auto acquire_a =
      *store_->ListRequests({.kind = model::RequestKind::kAcquire, .template_id = "A"});
  EXPECT_THAT(Ids(acquire_a), ElementsAre("req-4", "req-2", "req-0"));
  auto running_b = *store_->ListRequests({.state = RequestState::kRunning, .template_id = "B"});
  EXPECT_THAT(Ids(running_b), ElementsAre("req-3"));
  auto window = *store_->ListRequests({.kind = model::RequestKind::kAcquire,
                                       .created_from = kNow + std::chrono::minutes(1),
                                       .created_until = kNow + std::chrono::minutes(3)});
  EXPECT_THAT(Ids(window), ElementsAre("req-2", "req-1")) << "from inclusive, until exclusive";

  auto page2 =
      *store_->ListRequests({.kind = model::RequestKind::kAcquire, .limit = 2, .offset = 2});
  EXPECT_EQ(page2.total, 5) << "the total ignores paging";
  EXPECT_THAT(Ids(page2), ElementsAre("req-2", "req-1"));
  auto past_the_end = *store_->ListRequests({.limit = 10, .offset = 10});
  EXPECT_THAT(past_the_end.requests, ::testing::IsEmpty());
  auto count_only = *store_->ListRequests({.state = RequestState::kComplete, .limit = 0});
  EXPECT_EQ(count_only.total, 1);
  EXPECT_THAT(count_only.requests, ::testing::IsEmpty());
  EXPECT_EQ((*store_->ListRequests({.template_id = "Z"})).total, 0);
}

TEST_P(RequestStoreContract, MachinesAreListedNewestFirstByResultAndTemplateInPages) {
  Acquire("req-1", 3);
  std::vector<model::Machine> machines;
  for (int i = 0; i < 3; ++i) {
    model::Machine m = Machine("i-" + std::to_string(i), "req-1",
                               i == 1 ? MachineResult::kFail : MachineResult::kSucceed);
    m.created_at = m.updated_at = kNow + std::chrono::seconds(i);
    machines.push_back(m);
  }
  ASSERT_TRUE(store_->SaveMachines(machines).ok());
  auto all = store_->ListMachines({});
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  EXPECT_EQ(all->total, 3);
  ASSERT_THAT(all->machines, SizeIs(3));
  EXPECT_EQ(all->machines[0].instance_id, "i-2");
  EXPECT_EQ(all->machines[2].instance_id, "i-0");
  auto failed = *store_->ListMachines({.result = MachineResult::kFail});
  ASSERT_THAT(failed.machines, SizeIs(1));
  EXPECT_EQ(failed.machines[0].instance_id, "i-1");
  auto page = *store_->ListMachines({.limit = 1, .offset = 1});
  EXPECT_EQ(page.total, 3);
  ASSERT_THAT(page.machines, SizeIs(1));
  EXPECT_EQ(page.machines[0].instance_id, "i-1");
  EXPECT_EQ((*store_->ListMachines({.template_id = "other"})).total, 0);
}

TEST_P(RequestStoreContract, InstanceTypesAndMetricsAreKept) {
  ASSERT_TRUE(store_->SaveInstanceTypes({{"c5.large", 2, 1, 4096}}, kNow).ok());
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

TEST_P(RequestStoreContract, TheImageARequestLaunchesIsKept) {
  auto created = store_->CreateAcquire({.id = "req-9",
                                        .template_id = "T",
                                        .machine_count = 1,
                                        .image_id = "ami-0123456789abcdef0",
                                        .client_token = "req-9-1",
                                        .owner = {42, "boot/1"},
                                        .now = kNow});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_EQ(created->image_id, "ami-0123456789abcdef0");
  EXPECT_EQ((*store_->GetRequest("req-9"))->image_id, "ami-0123456789abcdef0");
  EXPECT_EQ((*store_->OpenRequests(model::RequestKind::kAcquire))[0].image_id,
            "ami-0123456789abcdef0");
  Acquire("req-10", 1);
  EXPECT_EQ((*store_->GetRequest("req-10"))->image_id, "") << "a launch template's own image";
}

TEST_P(RequestStoreContract, CachedValuesAreKeptPerKindAndReplaced) {
  const model::Timestamp later = kNow + std::chrono::hours(1);
  ASSERT_TRUE(store_
                  ->SaveCachedValues("image-root-device",
                                     {{"ami-1", "/dev/sda1"}, {"ami-2", "/dev/xvda"}}, kNow)
                  .ok());
  ASSERT_TRUE(store_->SaveCachedValues("ssm-parameter", {{"ami-1", "other kind"}}, kNow).ok());
  auto found = store_->CachedValues("image-root-device", {"ami-1", "ami-3"});
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  EXPECT_THAT(*found, ElementsAre(CachedValue{"ami-1", "/dev/sda1", kNow}));
  ASSERT_TRUE(store_->SaveCachedValues("image-root-device", {{"ami-1", "/dev/xvda"}}, later).ok());
  EXPECT_THAT(*store_->CachedValues("image-root-device", {"ami-1"}),
              ElementsAre(CachedValue{"ami-1", "/dev/xvda", later}));
  EXPECT_THAT(*store_->CachedValues("ssm-parameter", {"ami-1"}),
              ElementsAre(CachedValue{"ami-1", "other kind", kNow}));
  // Any number of keys, as every list the store reads.
  std::vector<std::pair<std::string, std::string>> many;
  std::vector<std::string> keys;
  for (int i = 0; i < 1200; ++i) {
    many.emplace_back("k" + std::to_string(i), std::to_string(i));
    keys.push_back("k" + std::to_string(i));
  }
  ASSERT_TRUE(store_->SaveCachedValues("many", many, kNow).ok());
  EXPECT_THAT(*store_->CachedValues("many", keys), SizeIs(1200));
  EXPECT_THAT(*store_->CachedValues("many", {}), ::testing::IsEmpty());
}

TEST_P(RequestStoreContract, ASweepRunsOncePerInterval) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  EXPECT_TRUE(*store_->ClaimSweep("housekeeping", kNow, seconds(60)));
  EXPECT_FALSE(*store_->ClaimSweep("housekeeping", kNow + seconds(59), seconds(60)));
  EXPECT_TRUE(*store_->ClaimSweep("housekeeping", kNow + seconds(60), seconds(60)));
  EXPECT_TRUE(*store_->ClaimSweep("other", kNow, milliseconds(60'000)));
}

TEST_P(RequestStoreContract, TheInstallationIsClaimedOnce) {
  EXPECT_EQ(*store_->InstallationId(), std::nullopt);
  EXPECT_EQ(*store_->ClaimInstallation("inst-1", kNow), "inst-1");
  EXPECT_EQ(*store_->ClaimInstallation("inst-2", kNow), "inst-1") << "the first claim stands";
  EXPECT_EQ(*store_->InstallationId(), "inst-1");
}

TEST_P(RequestStoreContract, TheCreatorsHostIsRecorded) {
  auto r = store_->CreateAcquire({.id = "req-1",
                                  .template_id = "T",
                                  .machine_count = 1,
                                  .client_token = "req-1-1",
                                  .owner = {42, "boot/1", "hf-master-a"},
                                  .now = kNow});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*store_->GetRequest("req-1"))->owner,
            (model::ProcessIdentity{42, "boot/1", "hf-master-a"}));
  ASSERT_TRUE(store_->CreateReturn("ret-1", {}, {7, "b/7", "hf-master-b"}, kNow).ok());
  EXPECT_EQ((*store_->GetRequest("ret-1"))->owner.host, "hf-master-b");
}

// History goes only when nothing depends on it: an acquire request once cleaned up, a return
// request once none of its machines is live; oldest first, at most `limit` per call.
TEST_P(RequestStoreContract, FinishedRequestsArePurgedOldestFirstWhenNothingDependsOnThem) {
  using std::chrono::hours;
  const model::Timestamp old = kNow - hours(24 * 40);
  const model::Timestamp cutoff = kNow - hours(24 * 30);
  Acquire("req-done", 1);     // finished, cleaned up, old: goes
  Acquire("req-held", 1);     // finished, its machine still held: stays
  Acquire("req-recent", 1);   // finished and cleaned up, but recent: stays
  Acquire("req-running", 1);  // running: stays
  ASSERT_TRUE(store_
                  ->SaveMachines({Machine("i-done", "req-done", MachineResult::kSucceed,
                                          InstanceState::kTerminated),
                                  Machine("i-held", "req-held", MachineResult::kSucceed)})
                  .ok());
  for (const char* id : {"req-done", "req-held"}) {
    ASSERT_TRUE(store_->SetRequestState(id, RequestState::kComplete, "", old).ok());
  }
  ASSERT_TRUE(store_->SetRequestState("req-recent", RequestState::kComplete, "", kNow).ok());
  ASSERT_TRUE(store_->MarkCleanedUp("req-done", old).ok());
  ASSERT_TRUE(store_->MarkCleanedUp("req-recent", kNow).ok());
  // A finished return of the gone machine goes; one of the held machine stays.
  ASSERT_TRUE(store_->CreateReturn("ret-done", {{.instance_id = "i-done"}}, {}, old).ok());
  ASSERT_TRUE(store_->CreateReturn("ret-held", {{.instance_id = "i-held"}}, {}, old).ok());
  for (const char* id : {"ret-done", "ret-held"}) {
    ASSERT_TRUE(store_->SetRequestState(id, RequestState::kCompleteWithError, "", old).ok());
  }

  auto first = store_->PurgeFinished(cutoff, 1);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(*first, 1);
  auto rest = store_->PurgeFinished(cutoff, 100);
  ASSERT_TRUE(rest.ok()) << rest.error().ToString();
  EXPECT_EQ(*rest, 1) << "req-done and ret-done, nothing else";
  EXPECT_EQ(*store_->PurgeFinished(cutoff, 100), 0);
  for (const char* gone : {"req-done", "ret-done"}) {
    EXPECT_FALSE(store_->GetRequest(gone)->has_value()) << gone;
  }
  for (const char* kept : {"req-held", "req-recent", "req-running", "ret-held"}) {
    EXPECT_TRUE(store_->GetRequest(kept)->has_value()) << kept;
  }
  EXPECT_THAT(*store_->Attempts("req-done"), SizeIs(0));
  EXPECT_THAT(*store_->MachinesByIds({"i-done", "i-held"}), SizeIs(1));
  EXPECT_THAT(*store_->MachinesOfReturn("ret-done"), SizeIs(0));
  EXPECT_EQ(*store_->HeldMachines("T"), 1)
      << "req-running's; req-held's machine is in a return (ret-held), which stays";
}

// Eight HostFactory processes asking for machines of one template at once: maxNumber holds
// exactly; and they claim the installation's identity at once: one wins, all agree.
TEST_P(RequestStoreContract, MaxNumberAndIdentityHoldWhenProcessesActAtOnce) {
  store_.reset();  // no connection crosses the fork
  const std::string location = location_;
  const testing::RequestStoreBackend backend = GetParam();
  ohfp::testing::Pipe go;
  std::vector<std::unique_ptr<ohfp::testing::Child>> children;
  for (int p = 0; p < 8; ++p) {
    children.push_back(std::make_unique<ohfp::testing::Child>([&, p] {
      go.CloseWrite();
      go.ReadByte();  // all start together
      auto store = backend.open(location);
      if (!store.ok()) return 3;
      auto id = (*store)->ClaimInstallation("inst-" + std::to_string(p), kNow);
      if (!id.ok()) return 5;
      int granted = 0;
      for (int i = 0; i < 5; ++i) {
        const std::string rid = "req-" + std::to_string(p) + "-" + std::to_string(i);
        auto r = (*store)->CreateAcquire({.id = rid,
                                          .template_id = "T",
                                          .machine_count = 1,
                                          .max_number = 20,
                                          .client_token = rid + "-1",
                                          .now = kNow});
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
  auto store = backend.open(location);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->HeldMachines("T"), 20) << "40 asked, 20 allowed: never more";
  EXPECT_THAT(*(*store)->OpenRequests(model::RequestKind::kAcquire), SizeIs(20));
  EXPECT_TRUE((*(*store)->InstallationId()).has_value());
}

#ifndef OHFP_CONTRACT_POSTGRES

testing::RequestStoreBackend Sqlite() {
  return {"sqlite",
          [](const std::string& dir, std::string&) -> std::optional<std::string> {
            return dir + "/state.db";
          },
          [](const std::string& file) -> resilience::Result<std::unique_ptr<RequestStore>> {
            auto s = SqliteRequestStore::Open(file, {.busy_timeout = std::chrono::seconds(60)});
            if (!s.ok()) return s.error();
            return std::unique_ptr<RequestStore>(std::move(*s));
          }};
}

INSTANTIATE_TEST_SUITE_P(Backends, RequestStoreContract, ::testing::Values(Sqlite()),
                         [](const auto& param_info) { return param_info.param.name; });

#else

// A schema of its own per test, on the test binary's server (tests/support/postgres.h). Without a
// server the tests fail, saying why (OHFP_TEST_POSTGRES=skip skips them instead).
testing::RequestStoreBackend Postgres() {
  return {
      "postgres",
      [](const std::string&, std::string& why_not) { return testing::PostgresLocation(why_not); },
      [](const std::string& location) -> resilience::Result<std::unique_ptr<RequestStore>> {
        static const resilience::SystemClock clock;
        auto pool = PgPool::Open(testing::PostgresSettings(location), clock);
        if (!pool.ok()) return pool.error();
        auto s = PgRequestStore::Open(std::move(*pool));
        if (!s.ok()) return s.error();
        return std::unique_ptr<RequestStore>(std::move(*s));
      }};
}

INSTANTIATE_TEST_SUITE_P(Backends, RequestStoreContract, ::testing::Values(Postgres()),
                         [](const auto& param_info) { return param_info.param.name; });

#endif

}  // namespace
}  // namespace ohfp::store
