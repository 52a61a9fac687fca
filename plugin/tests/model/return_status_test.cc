// The return-side decisions (model/return_status.h): a returned machine is done only when the
// cloud shows it terminated or says it does not exist.
#include "model/return_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ohfp::model {
namespace {

using ::testing::ElementsAre;

const Timestamp kT0 = FromEpochMillis(1'700'000'000'000);

ReturnMachine Row(std::string id, std::string acquire = "req-1") {
  ReturnMachine r;
  r.return_id = "ret-1";
  r.instance_id = std::move(id);
  r.acquire_request_id = std::move(acquire);
  return r;
}

Instance Shown(std::string id, InstanceState state) {
  Instance i;
  i.id = std::move(id);
  i.state = state;
  return i;
}

TEST(ClassifyReturns, TerminatedOrProvenAbsentIsDoneShuttingDownWaitsTheRestIsReleased) {
  const ReturnVerdicts v = ClassifyReturns(
      {Row("i-term"), Row("i-gone"), Row("i-down"), Row("i-run"), Row("i-hidden", "")},
      {Shown("i-term", InstanceState::kTerminated), Shown("i-down", InstanceState::kShuttingDown),
       Shown("i-run", InstanceState::kRunning)},
      {"i-gone"}, kT0);
  EXPECT_THAT(v.done, ::testing::UnorderedElementsAre("i-term", "i-gone"));
  EXPECT_THAT(v.to_release, ElementsAre(::testing::Pair("req-1", ElementsAre("i-run"))));
  for (const ReturnMachine& r : v.rows) {
    const bool done = r.instance_id == "i-term" || r.instance_id == "i-gone";
    EXPECT_EQ(r.result, done ? MachineResult::kSucceed : MachineResult::kExecuting)
        << r.instance_id;
  }
}

TEST(ClassifyReturns, FinishedRowsAreLeftAsTheyAre) {
  ReturnMachine failed = Row("i-1");
  failed.result = MachineResult::kFail;
  const ReturnVerdicts v =
      ClassifyReturns({failed}, {Shown("i-1", InstanceState::kRunning)}, {}, kT0);
  EXPECT_THAT(v.to_release, ::testing::IsEmpty());
  EXPECT_EQ(v.rows[0].result, MachineResult::kFail);
}

TEST(DecideReturnState, RunningThenCompleteOrCompleteWithError) {
  ReturnMachine a = Row("i-1");
  ReturnMachine b = Row("i-2");
  EXPECT_EQ(DecideReturnState({a, b}).state, RequestState::kRunning);
  a.result = MachineResult::kSucceed;
  b.result = MachineResult::kSucceed;
  EXPECT_EQ(DecideReturnState({a, b}).state, RequestState::kComplete);
  b.result = MachineResult::kFail;
  const RequestVerdict r = DecideReturnState({a, b});
  EXPECT_EQ(r.state, RequestState::kCompleteWithError);
  EXPECT_EQ(r.message, "1 machine(s) could not be returned");
}

}  // namespace
}  // namespace ohfp::model
