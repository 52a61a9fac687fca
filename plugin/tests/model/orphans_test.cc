// The orphan sweep's decision (model/orphans.h): terminate only what the store positively records
// as abandoned, and only this installation's, and (but for a reclaimed request's) only past the
// minimum age; report what cannot be accounted for.
#include "model/orphans.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ohfp::model {
namespace {

using std::chrono::seconds;
using ::testing::IsEmpty;

const Timestamp kNow = FromEpochMillis(1'700'000'000'000);
const SweepFacts kFacts{"inst-a", kNow, seconds(900)};

Instance Owned(std::string id, std::string request, std::string installation = "inst-a",
               seconds age = seconds(3600), InstanceState state = InstanceState::kRunning) {
  Instance i;
  i.id = std::move(id);
  i.request_id = std::move(request);
  i.installation_id = std::move(installation);
  i.state = state;
  i.launch_time = std::chrono::time_point_cast<seconds>(kNow - age);
  return i;
}

Request Finished(std::string id, bool abandoned = false) {
  Request r;
  r.id = std::move(id);
  r.state = RequestState::kComplete;
  r.abandoned = abandoned;
  return r;
}

Machine MachineOf(std::string id, std::string request, MachineResult result) {
  Machine m;
  m.instance_id = std::move(id);
  m.request_id = std::move(request);
  m.result = result;
  m.message = "why";
  return m;
}

OrphanAction ActionFor(const Instance& i, const std::map<std::string, Request>& requests,
                       const std::map<std::string, Machine>& machines = {},
                       const SweepFacts& facts = kFacts) {
  const std::vector<OrphanFinding> f = ClassifyOwned({i}, requests, machines, facts);
  EXPECT_THAT(f, ::testing::SizeIs(1));
  return f.empty() ? OrphanAction::kKeep : f[0].action;
}

TEST(ClassifyOwned, AnotherInstallationsInstancesAreNotLookedAt) {
  EXPECT_THAT(ClassifyOwned({Owned("i-1", "req-1", "inst-b")}, {}, {}, kFacts), IsEmpty());
  EXPECT_THAT(ClassifyOwned({Owned("i-1", "req-1", "")}, {}, {}, kFacts), IsEmpty());
  EXPECT_THAT(ClassifyOwned({Owned("i-1", "req-1")}, {}, {}, {"", kNow, seconds(900)}), IsEmpty());
}

TEST(ClassifyOwned, WhatTheStoreDoesNotKnowIsReportedNeverTerminated) {
  EXPECT_EQ(ActionFor(Owned("i-1", "req-unknown"), {}), OrphanAction::kReport);
  EXPECT_EQ(ActionFor(Owned("i-1", ""), {}), OrphanAction::kReport);
  const std::vector<OrphanFinding> f = ClassifyOwned({Owned("i-1", "req-x")}, {}, {}, kFacts);
  EXPECT_THAT(f[0].reason, ::testing::HasSubstr("does not know"));
}

TEST(ClassifyOwned, ARunningRequestsInstancesAreKept) {
  Request r = Finished("req-1");
  r.state = RequestState::kRunning;
  EXPECT_EQ(ActionFor(Owned("i-1", "req-1"), {{"req-1", r}}), OrphanAction::kKeep);
}

TEST(ClassifyOwned, AHeldMachineIsKept) {
  EXPECT_EQ(ActionFor(Owned("i-1", "req-1"), {{"req-1", Finished("req-1")}},
                      {{"i-1", MachineOf("i-1", "req-1", MachineResult::kSucceed)}}),
            OrphanAction::kKeep);
}

TEST(ClassifyOwned, PositivelyAbandonedIsTerminated) {
  EXPECT_EQ(ActionFor(Owned("i-1", "req-1"), {{"req-1", Finished("req-1", /*abandoned=*/true)}},
                      {{"i-1", MachineOf("i-1", "req-1", MachineResult::kSucceed)}}),
            OrphanAction::kTerminate);
  EXPECT_EQ(ActionFor(Owned("i-1", "req-1"), {{"req-1", Finished("req-1")}},
                      {{"i-1", MachineOf("i-1", "req-1", MachineResult::kFail)}}),
            OrphanAction::kTerminate);
  EXPECT_EQ(ActionFor(Owned("i-1", "req-1"), {{"req-1", Finished("req-1")}}),
            OrphanAction::kTerminate)
      << "came after its request finished: HostFactory was never given it";
}

TEST(ClassifyOwned, NothingYoungerThanTheMinimumAgeIsTerminated) {
  const std::map<std::string, Request> r = {{"req-1", Finished("req-1")}};  // finished without it
  EXPECT_EQ(ActionFor(Owned("i-1", "req-1", "inst-a", seconds(899)), r), OrphanAction::kKeep);
  EXPECT_EQ(ActionFor(Owned("i-1", "req-1", "inst-a", seconds(901)), r), OrphanAction::kTerminate);
  Instance unknown_age = Owned("i-1", "req-1");
  unknown_age.launch_time.reset();
  EXPECT_EQ(ActionFor(unknown_age, r), OrphanAction::kKeep);
}

// A launch in flight when its creator died can make instances after the request was reclaimed:
// the store says HostFactory was never given them, whatever their age.
TEST(ClassifyOwned, AReclaimedRequestsInstancesAreTerminatedAtAnyAge) {
  const std::map<std::string, Request> r = {{"req-1", Finished("req-1", /*abandoned=*/true)}};
  EXPECT_EQ(ActionFor(Owned("i-1", "req-1", "inst-a", seconds(1)), r), OrphanAction::kTerminate);
  Instance unknown_age = Owned("i-1", "req-1");
  unknown_age.launch_time.reset();
  EXPECT_EQ(ActionFor(unknown_age, r), OrphanAction::kTerminate);
}

TEST(ClassifyOwned, InstancesOnTheirWayOutAreLeftAlone) {
  EXPECT_THAT(
      ClassifyOwned({Owned("i-1", "req-1", "inst-a", seconds(3600), InstanceState::kShuttingDown)},
                    {{"req-1", Finished("req-1", true)}}, {}, kFacts),
      IsEmpty());
}

}  // namespace
}  // namespace ohfp::model
