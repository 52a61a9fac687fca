// The rule ohfp lives by (issue 9): it destroys or reports as lost only what it has positive
// evidence for. An empty listing, a failed read or a missing record is never evidence. These
// tests drive the service over the in-memory cloud; tests/e2e/evidence_test.cc shows the same
// against moto, through the real executable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "service_fixture.h"

namespace ohfp::hostfactory {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<model::Tag> TagsOf(const std::string& request_id, const std::string& installation) {
  return {{"ohfp:request-id", request_id},
          {"ohfp:provider", "aws"},
          {"ohfp:installation", installation}};
}

class EvidenceTest : public testing::ServiceTest {
 protected:
  std::vector<MachineRef> Held(const std::string& id) {
    std::vector<MachineRef> held;
    const nlohmann::ordered_json status = Status(id);  // the loop must not range over a temporary
    for (const auto& m : status["machines"]) held.push_back({m["name"], m["machineId"]});
    return held;
  }
  // The request's first launch gets no answer, and its creator stays alive (so another process
  // polling it waits): it ends complete_with_error once the confirmation window has passed.
  std::string UnconfirmedRequest() {
    cloud_.NextLaunch(
        [](const provider::LaunchSpec&) -> resilience::Result<provider::LaunchOutcome> {
          return resilience::Error(resilience::ErrorKind::kTimeout, "timeout", "no answer");
        });
    const std::string id = Request(1);
    clock_.Advance(std::chrono::seconds(601));
    const CommandResult r = MakeService({2, "poller"})->GetRequestStatus({id});
    EXPECT_EQ(r.output["requests"][0]["status"], "complete_with_error") << r.output.dump();
    EXPECT_THAT(cloud_.launches, SizeIs(1));
    return id;
  }
};

TEST_F(EvidenceTest, TwoInstallationsWithOneProviderNameNeverTouchEachOthersMachines) {
  // Installation A holds two running machines, and a third request mid-launch.
  const std::string held = Request(2);
  cloud_.SetAll("running");
  ASSERT_EQ(Status(held)["status"], "complete");
  const std::string launching = Request(1);
  // Installation B: its own work directory (store), the same account and provider name.
  auto store_b = std::move(*store::SqliteRequestStore::Open(dir_.path() + "/b.db"));
  HostFactoryService b(
      ServiceDependencies{.store = *store_b,
                          .provider = cloud_,
                          .templates = templates_,
                          .clock = clock_,
                          .random = random_,
                          .log = *log_,
                          .installation_id = "inst-b",
                          .self = {9, "b"},
                          .is_alive = [](const model::ProcessIdentity&) { return true; }},
      Options());
  for (int round = 0; round < 3; ++round) {
    clock_.Advance(std::chrono::seconds(1000));
    b.Housekeeping(/*force=*/true);
    const SweepReport dry = b.Sweep(/*dry_run=*/true);
    EXPECT_TRUE(dry.ran);
    EXPECT_THAT(dry.findings, IsEmpty()) << "A's instances are not B's business";
  }
  EXPECT_THAT(cloud_.released, IsEmpty());
  EXPECT_EQ(cloud_.Live(), 3);
  (void)launching;
}

TEST_F(EvidenceTest, AnInstanceOfARequestTheStoreDoesNotKnowIsReportedAndNeverTerminated) {
  cloud_.Plant("i-stray", TagsOf("req-not-in-this-store", "inst-a"), "running",
               clock_.SystemNow() - std::chrono::hours(24));
  service_->Housekeeping(/*force=*/true);
  const SweepReport r = service_->Sweep(/*dry_run=*/false);
  EXPECT_TRUE(r.ran);
  ASSERT_THAT(r.findings, SizeIs(1));
  EXPECT_EQ(r.findings[0].action, model::OrphanAction::kReport);
  EXPECT_THAT(r.findings[0].reason, HasSubstr("does not know"));
  EXPECT_THAT(cloud_.released, IsEmpty());
}

TEST_F(EvidenceTest, AnAbandonedRequestsLateInstanceIsTerminatedOnlyPastTheMinimumAge) {
  const std::string id = UnconfirmedRequest();
  cloud_.Plant("i-late", TagsOf(id, "inst-a"), "running", clock_.SystemNow());
  service_->Housekeeping(/*force=*/true);
  EXPECT_THAT(cloud_.released, IsEmpty()) << "younger than the sweep's minimum age";
  clock_.Advance(std::chrono::seconds(901));
  service_->Housekeeping(/*force=*/true);
  EXPECT_THAT(cloud_.released, ::testing::ElementsAre("i-late"));
}

TEST_F(EvidenceTest, ASweepOnAStoreThatCannotBeReadTerminatesNothing) {
  const std::string id = UnconfirmedRequest();
  cloud_.Plant("i-late", TagsOf(id, "inst-a"), "running",
               clock_.SystemNow() - std::chrono::hours(1));
  ASSERT_TRUE(store_->database().Execute("DROP TABLE return_machines; DROP TABLE machines").ok());
  service_->Housekeeping(/*force=*/true);
  const SweepReport r = service_->Sweep(/*dry_run=*/false);
  EXPECT_FALSE(r.ran);
  EXPECT_THAT(r.problem, HasSubstr("cannot read the state store"));
  EXPECT_THAT(cloud_.released, IsEmpty());
  // getRequestStatus does not answer from a failed read either.
  const CommandResult s = service_->GetRequestStatus({id});
  EXPECT_EQ(s.exit_code, kExitFailed);
  EXPECT_THAT(s.output["message"].get<std::string>(), HasSubstr("cannot read the state store"));
}

TEST_F(EvidenceTest, AnEmptyListingRightAfterALaunchKeepsTheMachinesExecuting) {
  const std::string id = Request(2);
  cloud_.ListNothing(true);  // EC2's describe calls are eventually consistent
  const nlohmann::ordered_json s = Status(id);
  EXPECT_EQ(s["status"], "running");
  ASSERT_THAT(s["machines"], SizeIs(2));
  for (const auto& m : s["machines"]) EXPECT_EQ(m["result"], "executing");
  EXPECT_THAT(cloud_.looked_up, IsEmpty()) << "within the grace, not even worth a describe by id";
  service_->Housekeeping(/*force=*/true);
  EXPECT_THAT(cloud_.released, IsEmpty());
}

TEST_F(EvidenceTest, AMachineMissingFromListingsFailsOnlyWhenADescribeByIdSaysItIsGone) {
  const std::string id = Request(2);
  const std::string first = cloud_.instances().begin()->first;
  cloud_.ListNothing(true);
  clock_.Advance(std::chrono::seconds(301));
  nlohmann::ordered_json s = Status(id);
  EXPECT_EQ(s["status"], "running") << "both still exist: a describe by id finds them";
  for (const auto& m : s["machines"]) EXPECT_EQ(m["result"], "executing");
  cloud_.Purge(first);
  s = Status(id);
  for (const auto& m : s["machines"]) {
    if (m["machineId"] == first) {
      EXPECT_EQ(m["result"], "fail");
      EXPECT_THAT(m["message"].get<std::string>(), HasSubstr("does not exist"));
    } else {
      EXPECT_EQ(m["result"], "executing");
    }
  }
}

TEST_F(EvidenceTest, ADescribeByIdThatFailsProvesNothing) {
  const std::string id = Request(1);
  cloud_.ListNothing(true);
  cloud_.FailLookups(
      resilience::Error(resilience::ErrorKind::kTransient, "Unavailable", "try later"));
  clock_.Advance(std::chrono::seconds(301));
  const nlohmann::ordered_json s = Status(id);
  EXPECT_EQ(s["status"], "running");
  EXPECT_EQ(s["machines"][0]["result"], "executing");
}

TEST_F(EvidenceTest, GetReturnRequestsReportsOnlyMachinesTheCloudSaysAreGone) {
  const std::string id = Request(3);
  cloud_.SetAll("running");
  const std::vector<MachineRef> held = Held(id);
  cloud_.ListNothing(true);
  CommandResult r = service_->GetReturnRequests(held);
  ASSERT_EQ(r.exit_code, kExitOk);
  EXPECT_THAT(r.output["requests"], IsEmpty()) << "an empty listing says nothing is gone";
  cloud_.Purge(held[0].machine_id);
  r = service_->GetReturnRequests(held);
  EXPECT_THAT(r.output["requests"], IsEmpty()) << "known for less than the grace";
  clock_.Advance(std::chrono::seconds(301));
  r = service_->GetReturnRequests(held);
  ASSERT_THAT(r.output["requests"], SizeIs(1));
  EXPECT_EQ(r.output["requests"][0]["machine"], held[0].name);
}

TEST_F(EvidenceTest, AReturnIsDoneOnlyWhenTheCloudShowsTheInstanceGone) {
  const std::string id = Request(1);
  cloud_.SetAll("running");
  const std::vector<MachineRef> held = Held(id);
  const std::string ret = service_->RequestReturnMachines(held).output["requestId"];
  cloud_.ListNothing(true);
  EXPECT_EQ(Status(ret)["status"], "running") << "missing from a listing is not terminated";
  cloud_.Purge(held[0].machine_id);
  EXPECT_EQ(Status(ret)["status"], "complete");
}

// A process that recorded a return's machines as terminated and was killed (or lost the store)
// before recording the machines themselves: the next poll of the return catches up, so that the
// store and the cloud agree and the acquire request is cleaned up.
TEST_F(EvidenceTest, AReturnsMachinesAreRecordedGoneEvenAfterALostWrite) {
  const std::string id = Request(1);
  cloud_.SetAll("running");
  const std::vector<MachineRef> held = Held(id);
  const std::string ret = service_->RequestReturnMachines(held).output["requestId"];
  cloud_.Purge(held[0].machine_id);
  std::vector<model::ReturnMachine> rows = *store_->MachinesOfReturn(ret);
  ASSERT_THAT(rows, SizeIs(1));
  rows[0].state = model::InstanceState::kTerminated;  // what the killed process got to write
  rows[0].result = model::MachineResult::kSucceed;
  ASSERT_TRUE(store_->SaveReturnMachines(rows).ok());
  EXPECT_EQ(Status(ret)["status"], "complete");
  const std::vector<model::Machine> machines = *store_->MachinesByIds({held[0].machine_id});
  ASSERT_THAT(machines, SizeIs(1));
  EXPECT_EQ(machines[0].state, model::InstanceState::kTerminated);
  EXPECT_TRUE((*store_->GetRequest(id))->cleaned_up_at.has_value());
}

TEST_F(EvidenceTest, AnUnknownRequestIdWhoseInstancesLiveMeansALostStore) {
  cloud_.Plant("i-1", TagsOf("req-from-a-lost-store", "inst-old"), "running",
               clock_.SystemNow() - std::chrono::hours(2));
  const CommandResult r = service_->GetRequestStatus({"req-from-a-lost-store"});
  EXPECT_EQ(r.exit_code, kExitFailed);
  const std::string message = r.output["message"];
  EXPECT_THAT(message, HasSubstr("req-from-a-lost-store (i-1)"));
  EXPECT_THAT(message, HasSubstr("reconcile --adopt"));
  EXPECT_THAT(cloud_.released, IsEmpty());
}

TEST_F(EvidenceTest, AnErrorCodeOhfpHasNoNameForEndsTheRequestAtOnceAfterOneLaunch) {
  cloud_.NextLaunch([](const provider::LaunchSpec&) -> resilience::Result<provider::LaunchOutcome> {
    return resilience::Error(resilience::ErrorKind::kUnknown, "InvalidParameterValue.NoSuchProfile",
                             "Invalid IAM Instance Profile name")
        .WithHttpStatus(400);
  });
  const CommandResult r = service_->RequestMachines({"OnDemand-C5", 3});
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_THAT(r.output["message"].get<std::string>(),
              HasSubstr("InvalidParameterValue.NoSuchProfile"));
  const nlohmann::ordered_json s = Status(r.output["requestId"]);
  EXPECT_EQ(s["status"], "complete_with_error");
  EXPECT_THAT(s["message"].get<std::string>(), HasSubstr("Invalid IAM Instance Profile name"));
  alive_.clear();
  (void)MakeService({2, "poller"})->GetRequestStatus({r.output["requestId"]});
  EXPECT_THAT(cloud_.launches, SizeIs(1));
  EXPECT_EQ(service_->GetAvailableTemplates().output["templates"][0]["availableNumber"], 10)
      << "its machines no longer count against maxNumber";
}

TEST_F(EvidenceTest, AThrottledLaunchIsSentAgainWithTheSameTokenNotFailed) {
  cloud_.NextLaunch([](const provider::LaunchSpec&) -> resilience::Result<provider::LaunchOutcome> {
    return resilience::Error(resilience::ErrorKind::kThrottled, "RequestLimitExceeded",
                             "Request limit exceeded.")
        .WithHttpStatus(503);
  });
  const CommandResult r = service_->RequestMachines({"OnDemand-C5", 2});
  ASSERT_EQ(r.exit_code, kExitOk);
  EXPECT_THAT(r.output["message"].get<std::string>(), HasSubstr("not launched yet"));
  alive_.clear();
  const nlohmann::ordered_json s =
      MakeService({2, "poller"})->GetRequestStatus({r.output["requestId"]}).output["requests"][0];
  ASSERT_THAT(cloud_.launches, SizeIs(2));
  EXPECT_EQ(cloud_.launches[1].client_token, cloud_.launches[0].client_token);
  EXPECT_THAT(s["machines"], SizeIs(2));
}

}  // namespace
}  // namespace ohfp::hostfactory
