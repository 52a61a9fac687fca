#include "hostfactory/service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "service_fixture.h"

namespace ohfp::hostfactory {
namespace {

using ::testing::HasSubstr;
using testing::ServiceTest;
using ::testing::SizeIs;

TEST_F(ServiceTest, TheRequestAndItsClientTokenAreSavedBeforeTheCloudIsCalled) {
  cloud_.NextLaunch(
      [&](const provider::LaunchSpec& spec) -> resilience::Result<provider::LaunchOutcome> {
        auto request = store_->GetRequest(spec.request_id);
        EXPECT_TRUE(request.ok() && request->has_value())
            << "the request must exist before the call";
        auto attempts = store_->Attempts(spec.request_id);
        EXPECT_THAT(*attempts, SizeIs(1));
        EXPECT_EQ((*attempts)[0].client_token, spec.request_id + "-1");
        EXPECT_EQ(spec.client_token, spec.request_id + "-1");
        return cloud_.LaunchNow(spec);
      });
  const std::string id = Request(3);
  EXPECT_THAT(id, ::testing::StartsWith("req-"));
  ASSERT_THAT(cloud_.launches, SizeIs(1));
  EXPECT_EQ(cloud_.launches[0].count, 3);
  EXPECT_THAT(cloud_.launches[0].tags,
              ::testing::IsSupersetOf(
                  {model::Tag{"ohfp:request-id", id}, model::Tag{"ohfp:template-id", "OnDemand-C5"},
                   model::Tag{"ohfp:provider", "aws"}, model::Tag{"ohfp:installation", "inst-a"}}));
}

TEST_F(ServiceTest, StatusFollowsTheInstancesFromPendingToComplete) {
  const std::string id = Request(2);
  nlohmann::ordered_json s = Status(id);
  EXPECT_EQ(s["status"], "running");
  ASSERT_THAT(s["machines"], SizeIs(2));
  EXPECT_EQ(s["machines"][0]["result"], "executing");
  EXPECT_EQ(s["machines"][0]["status"], "pending");
  cloud_.SetAll("running");
  s = Status(id);
  EXPECT_EQ(s["status"], "complete");
  for (const auto& m : s["machines"]) {
    EXPECT_EQ(m["result"], "succeed");
    EXPECT_THAT(m["name"].get<std::string>(), HasSubstr(".ec2.internal"));
    EXPECT_FALSE(m["privateIpAddress"].is_null());
    EXPECT_TRUE(m["publicIpAddress"].is_null());
  }
}

TEST_F(ServiceTest, ARefusalFailsTheCommandAndTheRequest) {
  cloud_.NextLaunch([](const provider::LaunchSpec&) -> resilience::Result<provider::LaunchOutcome> {
    return resilience::Error(resilience::ErrorKind::kValidation, "InvalidAMIID.NotFound",
                             "The image id does not exist");
  });
  CommandResult r = service_->RequestMachines({"OnDemand-C5", 2});
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_THAT(r.output["message"].get<std::string>(), HasSubstr("InvalidAMIID.NotFound"));
  // The request was saved before the call: its id is printed with the failure, and it says so.
  ASSERT_TRUE(r.output.contains("requestId"));
  EXPECT_EQ(Status(r.output["requestId"])["status"], "complete_with_error");
  EXPECT_EQ(cloud_.Live(), 0);
}

TEST_F(ServiceTest, AnUnknownOutcomeIsSettledByTagWithoutLaunchingAgain) {
  // The cloud launched, but the answer was lost (a timeout after the retries).
  cloud_.NextLaunch(
      [&](const provider::LaunchSpec& spec) -> resilience::Result<provider::LaunchOutcome> {
        cloud_.LaunchNow(spec, "running");
        return resilience::Error(resilience::ErrorKind::kTimeout, "timeout",
                                 "no answer before the deadline");
      });
  CommandResult r = service_->RequestMachines({"OnDemand-C5", 2});
  ASSERT_EQ(r.exit_code, kExitOk) << "the request may have launched: HostFactory must get its id";
  const std::string id = r.output["requestId"];
  EXPECT_THAT(r.output["message"].get<std::string>(), HasSubstr("not confirmed"));
  const nlohmann::ordered_json s = Status(id);
  EXPECT_EQ(s["status"], "complete");
  EXPECT_THAT(s["machines"], SizeIs(2));
  EXPECT_THAT(cloud_.launches, SizeIs(1)) << "found by tag: no second launch";
}

TEST_F(ServiceTest, AnUnknownOutcomeWithNothingLaunchedIsSentAgainWithTheSameToken) {
  cloud_.NextLaunch([](const provider::LaunchSpec&) -> resilience::Result<provider::LaunchOutcome> {
    return resilience::Error(resilience::ErrorKind::kTransient, "InternalError", "server error");
  });
  const std::string id = Request(2);
  // The creating process (this one, in the test) is gone when HostFactory polls.
  alive_.clear();
  auto other = MakeService({2, "poller"});
  CommandResult r = other->GetRequestStatus({id});
  ASSERT_THAT(cloud_.launches, SizeIs(2));
  EXPECT_EQ(cloud_.launches[1].client_token, cloud_.launches[0].client_token);
  EXPECT_EQ(cloud_.launches[1].client_token, id + "-1");
  EXPECT_EQ(r.output["requests"][0]["machines"].size(), 2U);
}

TEST_F(ServiceTest, AnAttemptStillInFlightInAnotherProcessIsLeftAlone) {
  cloud_.NextLaunch([](const provider::LaunchSpec&) -> resilience::Result<provider::LaunchOutcome> {
    return resilience::Error(resilience::ErrorKind::kTimeout, "timeout", "slow");
  });
  const std::string id = Request(1);
  auto other = MakeService({2, "poller"});
  alive_.insert("poller");  // "me" (the creator) is still alive too
  const nlohmann::ordered_json s = other->GetRequestStatus({id}).output["requests"][0];
  EXPECT_EQ(s["status"], "running");
  EXPECT_THAT(cloud_.launches, SizeIs(1));
}

TEST_F(ServiceTest, InstancesStuckInPendingAreTerminatedAndFailed) {
  cloud_.SetLaunchTime(clock_.SystemNow());
  const std::string id = Request(2);
  const auto instances = cloud_.instances();
  const std::string first = instances.begin()->first;
  cloud_.SetState(first, "running");
  clock_.Advance(std::chrono::seconds(181));
  const nlohmann::ordered_json s = Status(id);
  EXPECT_EQ(s["status"], "complete_with_error");
  EXPECT_THAT(cloud_.released, ::testing::ElementsAre(std::next(instances.begin())->first));
  int failed = 0;
  for (const auto& m : s["machines"]) {
    if (m["result"] == "fail") {
      ++failed;
      EXPECT_THAT(m["message"].get<std::string>(), HasSubstr("pending for more than 180 s"));
    }
  }
  EXPECT_EQ(failed, 1);
  EXPECT_THAT(s["message"].get<std::string>(), HasSubstr("1 of 2 machine(s) running"));
}

TEST_F(ServiceTest, MaxNumberHoldsAcrossOpenRequests) {
  Request(6);
  CommandResult r = service_->RequestMachines({"OnDemand-C5", 5});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_THAT(r.output["message"].get<std::string>(), HasSubstr("4 machine(s) available"));
  Request(4);
  const nlohmann::ordered_json t = service_->GetAvailableTemplates().output["templates"][0];
  EXPECT_EQ(t["templateId"], "OnDemand-C5");
  EXPECT_EQ(t["availableNumber"], 0);
}

TEST_F(ServiceTest, BadInputChangesNothing) {
  CommandResult r = service_->RequestMachines({"NoSuchTemplate", 1});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_THAT(r.output["message"].get<std::string>(),
              HasSubstr("unknown template 'NoSuchTemplate'"));
  EXPECT_THAT(r.output["message"].get<std::string>(), HasSubstr("OnDemand-C5"));
  EXPECT_EQ(RequestsInStore(), 0);
  EXPECT_TRUE(cloud_.launches.empty());
}

TEST_F(ServiceTest, AnUnknownRequestIdIsReportedNotFatal) {
  const nlohmann::ordered_json s = Status("req-does-not-exist");
  EXPECT_EQ(s["status"], "complete_with_error");
  EXPECT_THAT(s["message"].get<std::string>(), HasSubstr("unknown request id"));
  EXPECT_TRUE(s["machines"].empty());
}

TEST_F(ServiceTest, ACapacityRefusalTriesTheNextSubnetWithANewToken) {
  cloud_.NextLaunch([](const provider::LaunchSpec&) -> resilience::Result<provider::LaunchOutcome> {
    return resilience::Error(resilience::ErrorKind::kCapacity, "InsufficientInstanceCapacity",
                             "no capacity in this zone");
  });
  const std::string id = Request(2, "Zones");
  ASSERT_THAT(cloud_.launches, SizeIs(2));
  EXPECT_EQ(cloud_.launches[0].attempt, 1);
  EXPECT_EQ(cloud_.launches[1].attempt, 2);
  EXPECT_EQ(cloud_.launches[1].client_token, id + "-2");
}

TEST_F(ServiceTest, ReturningTerminatesAndCompletesOnceTerminated) {
  const std::string id = Request(2);
  cloud_.SetAll("running");
  const nlohmann::ordered_json s = Status(id);
  std::vector<MachineRef> refs;
  for (const auto& m : s["machines"]) refs.push_back({m["name"], m["machineId"]});
  CommandResult r = service_->RequestReturnMachines(refs);
  ASSERT_EQ(r.exit_code, kExitOk) << r.output.dump();
  const std::string ret = r.output["requestId"];
  EXPECT_THAT(ret, ::testing::StartsWith("ret-"));
  EXPECT_THAT(cloud_.released, SizeIs(2));
  nlohmann::ordered_json rs = Status(ret);
  EXPECT_EQ(rs["status"], "running");
  EXPECT_EQ(rs["machines"][0]["result"], "executing");
  cloud_.SetAll("terminated");
  rs = Status(ret);
  EXPECT_EQ(rs["status"], "complete");
  for (const auto& m : rs["machines"]) EXPECT_EQ(m["result"], "succeed");
  EXPECT_THAT(cloud_.cleaned, ::testing::ElementsAre(id))
      << "the acquire request holds no machine: clean it up";
  EXPECT_EQ(service_->GetAvailableTemplates().output["templates"][0]["availableNumber"], 10);
}

TEST_F(ServiceTest, AFailedCleanupIsTriedAgainAtTheNextHousekeepingAndThenNeverAgain) {
  const std::string id = Request(2);
  cloud_.SetAll("running");
  const nlohmann::ordered_json acquired = Status(id);
  std::vector<MachineRef> refs;
  for (const auto& m : acquired["machines"]) refs.push_back({m["name"], m["machineId"]});
  ASSERT_THAT(refs, SizeIs(2));
  const std::string ret = service_->RequestReturnMachines(refs).output["requestId"];
  cloud_.SetAll("terminated");
  cloud_.FailCleanups(1);
  EXPECT_EQ(Status(ret)["status"], "complete") << "a failed cleanup does not hold the return up";
  EXPECT_THAT(cloud_.cleaned, ::testing::IsEmpty());
  auto before = store_->GetRequest(id);
  ASSERT_TRUE(before.ok() && before->has_value());
  EXPECT_FALSE((*before)->cleaned_up_at) << "not cleaned up yet";

  // Another process, later: its housekeeping finishes the job once.
  auto later = MakeService({3, "later"});
  later->Housekeeping(/*force=*/true);
  EXPECT_THAT(cloud_.cleaned, ::testing::ElementsAre(id));
  auto after = store_->GetRequest(id);
  EXPECT_TRUE((*after)->cleaned_up_at);
  later->Housekeeping(/*force=*/true);
  EXPECT_EQ(Status(ret)["status"], "complete");
  EXPECT_THAT(cloud_.cleaned, ::testing::ElementsAre(id)) << "cleaned up once";
}

TEST_F(ServiceTest, ARequestThatEndsWithNothingRunningIsCleanedUpWithoutAReturn) {
  // A fleet that failed: no instance ever came, the cloud says it is done.
  cloud_.NextLaunch([](const provider::LaunchSpec&) -> resilience::Result<provider::LaunchOutcome> {
    return provider::LaunchOutcome{};
  });
  const std::string id = Request(2);
  cloud_.SetFulfilling(false);
  const nlohmann::ordered_json s = Status(id);
  EXPECT_EQ(s["status"], "complete_with_error");
  EXPECT_THAT(s["message"].get<std::string>(), HasSubstr("0 of 2 machine(s) running"));
  EXPECT_THAT(cloud_.cleaned, ::testing::ElementsAre(id));
}

TEST_F(ServiceTest, ARefusedRequestIsCleanedUp) {
  cloud_.NextLaunch([](const provider::LaunchSpec&) -> resilience::Result<provider::LaunchOutcome> {
    return resilience::Error(resilience::ErrorKind::kValidation, "InvalidAMIID.NotFound",
                             "The image id does not exist");
  });
  CommandResult r = service_->RequestMachines({"OnDemand-C5", 2});
  ASSERT_EQ(r.exit_code, kExitFailed);
  ASSERT_THAT(cloud_.cleaned, SizeIs(1)) << "the launch template made for it is deleted";
  auto request = store_->GetRequest(cloud_.cleaned[0]);
  ASSERT_TRUE(request.ok() && request->has_value());
  EXPECT_EQ((*request)->state, model::RequestState::kCompleteWithError);
  EXPECT_TRUE((*request)->cleaned_up_at);
}

TEST_F(ServiceTest, AMachineThisProviderDidNotCreateIsNotTerminated) {
  cloud_.Plant("i-foreign", {{"owner", "someone-else"}});
  CommandResult r = service_->RequestReturnMachines({{"foreign", "i-foreign"}});
  ASSERT_EQ(r.exit_code, kExitOk);
  EXPECT_TRUE(cloud_.released.empty());
  const nlohmann::ordered_json rs = Status(r.output["requestId"]);
  EXPECT_EQ(rs["status"], "complete_with_error");
  EXPECT_THAT(rs["machines"][0]["message"].get<std::string>(), HasSubstr("left alone"));
}

TEST_F(ServiceTest, GetReturnRequestsListsWhatTheCloudTakesBack) {
  const std::string id = Request(4);
  cloud_.SetAll("running");
  const nlohmann::ordered_json s = Status(id);
  std::vector<MachineRef> held;
  for (const auto& m : s["machines"]) held.push_back({m["name"], m["machineId"]});
  cloud_.SetState(held[0].machine_id, "terminated");  // terminated from the console
  cloud_.MarkSpot(held[1].machine_id, "sir-1");
  cloud_.SetSpotNotice("sir-1", 110);  // Spot interruption notice
  ASSERT_EQ(service_->RequestReturnMachines({held[2]}).exit_code,
            kExitOk);  // our own return: not listed
  CommandResult r = service_->GetReturnRequests(held);
  ASSERT_EQ(r.exit_code, kExitOk);
  const auto& notices = r.output["requests"];
  ASSERT_THAT(notices, SizeIs(2));
  EXPECT_EQ(notices[0]["machine"], held[0].name);
  EXPECT_EQ(notices[0]["gracePeriod"], 0);
  EXPECT_EQ(notices[1]["machine"], held[1].name);
  EXPECT_EQ(notices[1]["gracePeriod"], 110);
}

// A poll whose machine rows cannot be saved (the database restarted under it) decides nothing:
// the request stays running, the poll fails, and the next poll finishes the job. Before, the
// request was saved complete over rows still executing, and every later poll answered running.
TEST_F(ServiceTest, AReturnWhoseMachinesCannotBeSavedIsNotDecidedUntilTheyAre) {
  const std::string id = Request(2);
  cloud_.SetAll("running");
  const nlohmann::ordered_json held = Status(id);
  std::vector<MachineRef> refs;
  for (const auto& m : held["machines"]) refs.push_back({m["name"], m["machineId"]});
  ASSERT_THAT(refs, SizeIs(2));
  const std::string ret = service_->RequestReturnMachines(refs).output["requestId"];
  cloud_.SetAll("terminated");
  nlohmann::ordered_json rs = PollThroughALostWrite(ret, "UPDATE ON return_machines");
  EXPECT_EQ(rs["status"], "complete");
  for (const auto& m : rs["machines"]) EXPECT_EQ(m["result"], "succeed");
}

TEST_F(ServiceTest, AnAcquireWhoseMachinesCannotBeSavedIsNotDecidedUntilTheyAre) {
  const std::string id = Request(2);
  cloud_.SetAll("running");
  nlohmann::ordered_json s = PollThroughALostWrite(id, "INSERT ON machines");
  EXPECT_EQ(s["status"], "complete");
  EXPECT_THAT(s["machines"], SizeIs(2));
}

TEST_F(ServiceTest, ARequestHostFactoryNeverLearnedOfIsReclaimed) {
  const std::string id = Request(2);  // ... and the process died before printing the id
  auto later = LaterProcess();
  later->Housekeeping(/*force=*/true);
  EXPECT_THAT(cloud_.released, SizeIs(2));
  EXPECT_EQ(cloud_.Live(), 0);
  const auto request = store_->GetRequest(id);
  EXPECT_TRUE((*request)->abandoned);
  EXPECT_EQ((*request)->state, model::RequestState::kCompleteWithError);
}

// A creator killed with its launch in flight: AWS may still make the instances after it died. With
// a confirmation window shorter than the command deadline, the reclaim waits for the deadline, so
// that what it looks up and terminates includes them.
TEST_F(ServiceTest, AnUnclaimedRequestIsReclaimedOnlyPastTheCommandDeadline) {
  ServiceOptions short_window = Options();
  short_window.acquire.confirmation_window = std::chrono::seconds(1);
  short_window.command_timeout = std::chrono::seconds(5);
  const std::string id = Request(2);
  alive_.clear();
  clock_.Advance(std::chrono::seconds(4));
  MakeService({3, "later"}, "inst-a", short_window)->Housekeeping(/*force=*/true);
  EXPECT_TRUE(cloud_.released.empty()) << "its creator may still be launching";
  EXPECT_FALSE((*store_->GetRequest(id))->abandoned);
  clock_.Advance(std::chrono::seconds(2));
  MakeService({4, "later"}, "inst-a", short_window)->Housekeeping(/*force=*/true);
  EXPECT_THAT(cloud_.released, SizeIs(2));
  EXPECT_TRUE((*store_->GetRequest(id))->abandoned);
}

// maxNumber held by a request nobody will ever use (its requestMachines was killed before it
// printed the id): the next requestMachines refused for capacity reclaims it and is admitted,
// without waiting for a getRequestStatus that a HostFactory waiting for capacity may never send.
TEST_F(ServiceTest, ARequestRefusedForCapacityFirstReclaimsWhatNobodyWillUse) {
  const std::string unclaimed = Request(10);  // all of OnDemand-C5's maxNumber
  auto later = LaterProcess();                // ... and its process died before printing the id
  CommandResult r = later->RequestMachines({"OnDemand-C5", 4});
  ASSERT_EQ(r.exit_code, kExitOk) << r.output.dump();
  EXPECT_NE(r.output.value("requestId", ""), unclaimed);
  EXPECT_THAT(cloud_.released, SizeIs(10)) << "the unclaimed request's instances are gone";
  EXPECT_TRUE((*store_->GetRequest(unclaimed))->abandoned);
}

TEST_F(ServiceTest, ARequestRefusedForCapacityReclaimsNothingHostFactoryKnows) {
  const std::string claimed = Request(10);
  (void)Status(claimed);  // HostFactory asked: it knows the id
  auto later = LaterProcess();
  CommandResult r = later->RequestMachines({"OnDemand-C5", 4});
  EXPECT_EQ(r.exit_code, kExitBadInput) << r.output.dump();
  EXPECT_TRUE(cloud_.released.empty());
  EXPECT_FALSE((*store_->GetRequest(claimed))->abandoned);
}

TEST_F(ServiceTest, AClaimedRequestIsNeverReclaimed) {
  const std::string id = Request(2);
  (void)Status(id);  // HostFactory asked: it knows the id
  alive_.clear();
  clock_.Advance(std::chrono::seconds(3600));
  MakeService({3, "later"})->Housekeeping(true);
  EXPECT_TRUE(cloud_.released.empty());
}

TEST_F(ServiceTest, TemplatesGetCpusAndMemoryFromTheInstanceTypeOnce) {
  nlohmann::ordered_json t = service_->GetAvailableTemplates().output["templates"][0];
  // The fake's types have 2 vCPUs on 1 core: IBM's ncpus counts no hyperthreads.
  EXPECT_EQ(t["attributes"]["ncpus"], nlohmann::ordered_json::array({"Numeric", "1"}));
  EXPECT_EQ(t["attributes"]["nram"], nlohmann::ordered_json::array({"Numeric", "4096"}));
  EXPECT_EQ(t["maxNumber"], 10);
  EXPECT_EQ(t["availableNumber"], 10);
  (void)service_->GetAvailableTemplates();
  EXPECT_EQ(cloud_.instance_type_calls, 1) << "cached in the store";
  EXPECT_EQ(service_->GetAvailableTemplates().output["templates"][1]["availableNumber"],
            kUnlimitedAvailable);
}

TEST_F(ServiceTest, AFailedRefreshKeepsTheStoredStateAndSaysWhy) {
  const std::string id = Request(1);
  cloud_.FailObserve(resilience::Error(resilience::ErrorKind::kCircuitOpen));
  const nlohmann::ordered_json s = Status(id);
  EXPECT_EQ(s["status"], "running");
  EXPECT_THAT(s["message"].get<std::string>(), HasSubstr("could not refresh"));
  EXPECT_THAT(s["machines"], SizeIs(1));
}

TEST_F(ServiceTest, InstancesLaunchedRunningAreSucceedEvenWhenTheCloudCannotBeAsked) {
  // A fleet that answers with running instances, then an open circuit on every poll: the answer
  // comes from the store and must still say a running instance is a usable machine.
  cloud_.NextLaunch([&](const provider::LaunchSpec& spec) {
    return resilience::Result<provider::LaunchOutcome>(cloud_.LaunchNow(spec, "running"));
  });
  const std::string id = Request(2);
  cloud_.FailObserve(resilience::Error(resilience::ErrorKind::kCircuitOpen));
  const nlohmann::ordered_json s = Status(id);
  ASSERT_THAT(s["machines"], SizeIs(2));
  for (const auto& m : s["machines"]) {
    EXPECT_EQ(m["status"], "running");
    EXPECT_EQ(m["result"], "succeed") << "HostFactory's contract: running is succeed";
  }
}

TEST_F(ServiceTest, AFleetShortOfItsTargetAfterTheTimeoutKeepsWhatItHas) {
  cloud_.NextLaunch(
      [&](const provider::LaunchSpec& spec) -> resilience::Result<provider::LaunchOutcome> {
        provider::LaunchSpec fewer = spec;
        fewer.count = 2;  // the fleet launches 2 of 5 and keeps trying
        provider::LaunchOutcome out = cloud_.LaunchNow(fewer, "running");
        out.created.resource_id = "fleet-1";
        return out;
      });
  const std::string id = Request(5);
  cloud_.SetFulfilling(true);
  EXPECT_EQ(Status(id)["status"], "running");
  clock_.Advance(std::chrono::seconds(601));
  const nlohmann::ordered_json s = Status(id);
  EXPECT_EQ(s["status"], "complete_with_error");
  EXPECT_THAT(s["message"].get<std::string>(), HasSubstr("2 of 5 machine(s) running"));
  EXPECT_THAT(s["message"].get<std::string>(), HasSubstr("not fulfilled within 600 s"));
  EXPECT_THAT(cloud_.shrunk, ::testing::ElementsAre(std::pair<std::string, int>(id, 2)));
}

TEST_F(ServiceTest, AFleetFoundByTagAfterAnUnknownOutcomeIsAdoptedNotLaunchedAgain) {
  // The fleet was created but the answer was lost; no instance has arrived yet.
  cloud_.NextLaunch(
      [&](const provider::LaunchSpec& spec) -> resilience::Result<provider::LaunchOutcome> {
        cloud_.SetResource(spec.request_id, "fleet-9", "lt-9");
        return resilience::Error(resilience::ErrorKind::kTimeout, "timeout",
                                 "no answer before the deadline");
      });
  const std::string id = Request(3);
  alive_.clear();  // the creator is gone: without the tag lookup the poller would send it again
  cloud_.SetFulfilling(true);
  auto other = MakeService({2, "poller"});
  const nlohmann::ordered_json s = other->GetRequestStatus({id}).output["requests"][0];
  EXPECT_EQ(s["status"], "running");
  EXPECT_THAT(cloud_.launches, SizeIs(1)) << "the fleet exists: no second one";
  auto stored = store_->GetRequest(id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->created.resource_id, "fleet-9");
  EXPECT_EQ((*stored)->created.launch_template_id, "lt-9");
}

TEST_F(ServiceTest, AWeightedFleetCompletesWhenItsCapacityUnitsRun) {
  // 4 units asked; the fleet chose 2 instances of weight 2.
  cloud_.NextLaunch(
      [&](const provider::LaunchSpec& spec) -> resilience::Result<provider::LaunchOutcome> {
        provider::LaunchSpec two = spec;
        two.count = 2;
        provider::LaunchOutcome out = cloud_.LaunchNow(two, "running");
        out.created.resource_id = "fleet-1";
        return out;
      });
  const std::string id = Request(4);
  cloud_.SetRunningCapacity(2.0);
  cloud_.SetFulfilling(true);
  EXPECT_EQ(Status(id)["status"], "running");
  cloud_.SetRunningCapacity(4.0);
  cloud_.SetFulfilling(false);
  const nlohmann::ordered_json s = Status(id);
  EXPECT_EQ(s["status"], "complete") << s.dump();
  EXPECT_THAT(s["machines"], SizeIs(2));
}

}  // namespace
}  // namespace ohfp::hostfactory
