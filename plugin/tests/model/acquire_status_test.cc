// The acquire-side decisions (model/acquire_status.h), without any I/O: which result each machine
// gets from what the cloud shows, when a missing machine counts as gone, what a fleet short of
// its target keeps, and the request's status and message.
#include "model/acquire_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ohfp::model {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Timestamp kT0 = FromEpochMillis(1'700'000'000'000);

Request MakeRequest(int count) {
  Request r;
  r.id = "req-1";
  r.template_id = "T";
  r.machine_count = count;
  r.created_at = kT0;
  return r;
}

Instance Shown(std::string id, InstanceState state, std::string reason = {}) {
  Instance i;
  i.id = std::move(id);
  i.state = state;
  i.state_reason = std::move(reason);
  i.private_dns_name = "ip-" + i.id;
  i.launch_time = std::chrono::time_point_cast<std::chrono::seconds>(kT0);
  return i;
}

Machine Known(std::string id, MachineResult result, Timestamp first_seen = kT0) {
  Machine m = NewMachine(MakeRequest(1), std::move(id), first_seen);
  m.result = result;
  m.launch_time = std::chrono::time_point_cast<std::chrono::seconds>(kT0);
  return m;
}

const Machine& ById(const MachineVerdicts& v, const std::string& id) {
  for (const Machine& m : v.machines) {
    if (m.instance_id == id) return m;
  }
  throw std::out_of_range(id);
}

TEST(ClassifyMachines, RunningSucceedsPendingExecutesAndGoneFailsSayingWhy) {
  Observation seen;
  seen.instances = {Shown("i-1", InstanceState::kRunning), Shown("i-2", InstanceState::kPending),
                    Shown("i-3", InstanceState::kTerminated, "Server.SpotInstanceTermination")};
  const MachineVerdicts v = ClassifyMachines(MakeRequest(3), {}, seen, {}, kT0, {});
  EXPECT_EQ(ById(v, "i-1").result, MachineResult::kSucceed);
  EXPECT_EQ(ById(v, "i-2").result, MachineResult::kExecuting);
  EXPECT_EQ(ById(v, "i-3").result, MachineResult::kFail);
  EXPECT_EQ(ById(v, "i-3").message, "the instance is terminated: Server.SpotInstanceTermination");
  EXPECT_EQ(v.succeeded, 1);
  EXPECT_EQ(v.executing, 1);
  EXPECT_THAT(v.failures, ElementsAre(::testing::HasSubstr("i-3: the instance is terminated")));
}

TEST(ClassifyMachines, EveryGoingOrGoneStateIsAFailure) {
  for (InstanceState s : {InstanceState::kShuttingDown, InstanceState::kTerminated,
                          InstanceState::kStopping, InstanceState::kStopped}) {
    Observation seen;
    seen.instances = {Shown("i-1", s)};
    const MachineVerdicts v = ClassifyMachines(MakeRequest(1), {}, seen, {}, kT0, {});
    EXPECT_EQ(ById(v, "i-1").result, MachineResult::kFail) << InstanceStateName(s);
  }
}

TEST(ClassifyMachines, AMachineMissingFromTheObservationKeepsItsLastResult) {
  const MachineVerdicts v = ClassifyMachines(
      MakeRequest(2),
      {Known("i-1", MachineResult::kSucceed), Known("i-2", MachineResult::kExecuting)},
      Observation{}, {}, kT0 + std::chrono::hours(1), {});
  EXPECT_EQ(ById(v, "i-1").result, MachineResult::kSucceed);
  EXPECT_EQ(ById(v, "i-2").result, MachineResult::kExecuting);
  EXPECT_THAT(v.failures, IsEmpty());
}

TEST(ClassifyMachines, AMachineProvenAbsentFails) {
  const MachineVerdicts v = ClassifyMachines(
      MakeRequest(1), {Known("i-1", MachineResult::kSucceed)}, Observation{}, {"i-1"}, kT0, {});
  EXPECT_EQ(ById(v, "i-1").result, MachineResult::kFail);
  EXPECT_EQ(ById(v, "i-1").state, InstanceState::kTerminated);
  EXPECT_THAT(ById(v, "i-1").message, ::testing::HasSubstr("does not exist"));
}

TEST(ClassifyMachines, PendingPastTheTimeoutIsStuckAndFailed) {
  Observation seen;
  seen.instances = {Shown("i-1", InstanceState::kPending)};
  const AcquirePolicy policy{.pending_timeout = seconds(180)};
  MachineVerdicts v = ClassifyMachines(MakeRequest(1), {}, seen, {}, kT0 + seconds(180), policy);
  EXPECT_THAT(v.stuck, IsEmpty()) << "at the timeout, not past it";
  v = ClassifyMachines(MakeRequest(1), {}, seen, {}, kT0 + seconds(181), policy);
  EXPECT_THAT(v.stuck, ElementsAre("i-1"));
  EXPECT_EQ(ById(v, "i-1").message, "pending for more than 180 s; terminated");
}

TEST(ClassifyMachines, AFailedMachineStaysFailedWhateverTheCloudShows) {
  Machine m = Known("i-1", MachineResult::kFail);
  m.message = "pending for more than 180 s; terminated";
  Observation seen;
  seen.instances = {Shown("i-1", InstanceState::kRunning)};
  const MachineVerdicts v = ClassifyMachines(MakeRequest(1), {m}, seen, {}, kT0, {});
  EXPECT_EQ(ById(v, "i-1").result, MachineResult::kFail);
  EXPECT_EQ(v.succeeded, 0);
}

TEST(MissingPastGrace, OnlyMachinesKnownLongerThanTheGraceAndNotFailed) {
  const AcquirePolicy policy{.visibility_grace = seconds(300)};
  const std::vector<Machine> machines = {
      Known("i-old", MachineResult::kExecuting, kT0),
      Known("i-new", MachineResult::kExecuting, kT0 + seconds(200)),
      Known("i-failed", MachineResult::kFail, kT0)};
  Observation seen;
  EXPECT_THAT(MissingPastGrace(machines, seen, kT0 + seconds(300), policy), IsEmpty());
  EXPECT_THAT(MissingPastGrace(machines, seen, kT0 + seconds(301), policy), ElementsAre("i-old"));
  seen.instances = {Shown("i-old", InstanceState::kRunning)};
  EXPECT_THAT(MissingPastGrace(machines, seen, kT0 + seconds(600), policy), ElementsAre("i-new"));
}

TEST(ShrinkTarget, AFulfillingFleetPastTheTimeoutKeepsWhatItHolds) {
  Observation seen;
  seen.fulfilling = true;
  MachineVerdicts v;
  v.succeeded = 2;
  v.executing = 1;
  const AcquirePolicy policy{.fulfillment_timeout = seconds(600)};
  EXPECT_EQ(ShrinkTarget(MakeRequest(5), seen, v, kT0 + seconds(600), policy), std::nullopt);
  EXPECT_EQ(ShrinkTarget(MakeRequest(5), seen, v, kT0 + seconds(601), policy), 3);
  seen.fulfilling = false;
  EXPECT_EQ(ShrinkTarget(MakeRequest(5), seen, v, kT0 + seconds(601), policy), std::nullopt);
}

TEST(ConfirmationExpired, APreparedAttemptOlderThanTheWindow) {
  Attempt a;
  a.created_at = kT0;
  const AcquirePolicy policy{.confirmation_window = seconds(600)};
  EXPECT_FALSE(ConfirmationExpired(a, kT0 + seconds(600), policy));
  EXPECT_TRUE(ConfirmationExpired(a, kT0 + seconds(601), policy));
  a.state = AttemptState::kSucceeded;
  EXPECT_FALSE(ConfirmationExpired(a, kT0 + seconds(601), policy));
}

TEST(DecideAcquireState, RunningWhileAnythingMayStillChange) {
  MachineVerdicts v;
  v.succeeded = 2;
  EXPECT_EQ(DecideAcquireState(MakeRequest(2), v, {.unsettled = true}).message,
            "the launch is being confirmed");
  EXPECT_EQ(DecideAcquireState(MakeRequest(2), v, {.fulfilling = true}).state,
            RequestState::kRunning);
  v.executing = 1;
  EXPECT_EQ(DecideAcquireState(MakeRequest(3), v, {}).state, RequestState::kRunning);
}

TEST(DecideAcquireState, CompleteWhenEnoughMachinesOrUnitsRun) {
  MachineVerdicts v;
  v.succeeded = 2;
  EXPECT_EQ(DecideAcquireState(MakeRequest(2), v, {}).state, RequestState::kComplete);
  EXPECT_EQ(DecideAcquireState(MakeRequest(4), v, {.running_capacity = 4.0}).state,
            RequestState::kComplete);
  EXPECT_EQ(DecideAcquireState(MakeRequest(4), v, {.running_capacity = 3.0}).state,
            RequestState::kCompleteWithError);
}

TEST(DecideAcquireState, CompleteWithErrorSaysEveryReasonOnce) {
  MachineVerdicts v;
  v.succeeded = 1;
  v.failures = {"i-2: the instance is terminated"};
  const RequestVerdict r =
      DecideAcquireState(MakeRequest(3), v,
                         {.cloud_errors = {"InsufficientInstanceCapacity: none left",
                                           "InsufficientInstanceCapacity: none left"},
                          .attempt_error = "InsufficientInstanceCapacity: none left"});
  EXPECT_EQ(r.state, RequestState::kCompleteWithError);
  EXPECT_EQ(r.message,
            "1 of 3 machine(s) running; InsufficientInstanceCapacity: none left; i-2: the "
            "instance is terminated");
}

}  // namespace
}  // namespace ohfp::model
