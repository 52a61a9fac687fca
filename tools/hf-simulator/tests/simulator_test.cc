// The simulator against fake plugin scripts: the cycle, polling on a manual clock, violations,
// consistency across calls, kills and timeouts. No ohfp, no AWS.
#include "ohfp/hf_simulator/simulator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "fake_plugin.h"
#include "ohfp/resilience/manual_clock.h"

namespace ohfp::hf_simulator {
namespace {

using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class SimulatorTest : public ::testing::Test {
 protected:
  Simulator Make() { return Simulator({.shim_dir = plugin_.dir(), .clock = &clock_}); }

  FakePlugin plugin_;
  resilience::ManualClock clock_;
};

TEST_F(SimulatorTest, ACycleAgainstAGoodPluginIsOk) {
  Simulator sim = Make();
  const CycleReport r = sim.Cycle({{"T", 2}}, {.poll_interval = seconds(2)});
  EXPECT_TRUE(r.ok()) << r.ToText();
  EXPECT_THAT(r.templates, ElementsAre("T"));
  ASSERT_THAT(r.acquires, SizeIs(1));
  EXPECT_EQ(r.acquires[0].request_id, "req-1");
  EXPECT_EQ(r.acquires[0].status, "complete");
  EXPECT_EQ(r.acquires[0].polls, 2);
  EXPECT_THAT(r.acquires[0].machines, SizeIs(2));
  ASSERT_THAT(r.returns, SizeIs(1));
  EXPECT_EQ(r.returns[0].request_id, "ret-1");
  EXPECT_EQ(r.returns[0].status, "complete");
  EXPECT_EQ(r.returns[0].machine_count, 2);
  EXPECT_THAT(plugin_.Returned(),
              AllOf(HasSubstr("\"machineId\":\"i-1\""), HasSubstr("\"name\":\"host-2\"")));
  EXPECT_EQ(r.commands.at(Command::kGetRequestStatus).calls, 3);
  EXPECT_EQ(r.commands.at(Command::kRequestMachines).calls, 1);
  EXPECT_EQ(r.commands.at(Command::kGetReturnRequests).calls, 1);
  // One poll interval waited, on the manual clock.
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(2)));
  EXPECT_THAT(r.ToText(), HasSubstr("HostFactory cycle: OK"));
  EXPECT_EQ(r.ToJson()["ok"], true);
  EXPECT_EQ(r.ToJson()["commands"]["getRequestStatus"]["calls"], 3);
}

TEST_F(SimulatorTest, AReturnFractionKeepsTheRest) {
  Simulator sim = Make();
  const CycleReport r =
      sim.Cycle({{"T", 2}}, {.poll_interval = seconds(1), .return_fraction = 0.5});
  EXPECT_TRUE(r.ok()) << r.ToText();
  ASSERT_THAT(r.returns, SizeIs(1));
  EXPECT_EQ(r.returns[0].machine_count, 1);
  EXPECT_THAT(r.kept, ElementsAre("i-2"));
  EXPECT_THAT(plugin_.Returned(), AllOf(HasSubstr("i-1"), ::testing::Not(HasSubstr("i-2"))));
}

TEST_F(SimulatorTest, ReturnBatchesGiveBackHalfThenTheRestEachPolledToItsEnd) {
  // Every requestReturnMachines input is kept, in order; the hook sees each batch finished.
  plugin_.Set("requestReturnMachines",
              R"sh(cat "$2" >> "$(dirname "$0")/returns.log"; echo >> "$(dirname "$0")/returns.log"
echo '{"requestId": "ret-1", "message": "terminating"}')sh");
  Simulator sim = Make();
  std::vector<std::string> seen;
  const CycleReport r =
      sim.Cycle({{"T", 2}}, {.poll_interval = seconds(1),
                             .return_batches = 2,
                             .after_return = [&](const RequestSummary& s) {
                               seen.push_back(s.request_id + " " + s.status + " " +
                                              std::to_string(s.machine_count));
                             }});
  EXPECT_TRUE(r.ok()) << r.ToText();
  ASSERT_THAT(r.returns, SizeIs(2));
  EXPECT_EQ(r.returns[0].machine_count, 1);
  EXPECT_EQ(r.returns[1].machine_count, 1);
  EXPECT_THAT(seen, ElementsAre("ret-1 complete 1", "ret-1 complete 1"));
  EXPECT_THAT(r.kept, IsEmpty());
  std::ifstream in(plugin_.dir() / "returns.log");
  std::vector<std::string> inputs;
  for (std::string line; std::getline(in, line);) inputs.push_back(line);
  EXPECT_THAT(inputs, ElementsAre(AllOf(HasSubstr("i-1"), ::testing::Not(HasSubstr("i-2"))),
                                  AllOf(HasSubstr("i-2"), ::testing::Not(HasSubstr("i-1")))));
  // Each return was polled before the next one was made.
  EXPECT_EQ(r.commands.at(Command::kRequestReturnMachines).calls, 2);
  EXPECT_EQ(r.commands.at(Command::kGetRequestStatus).calls, 4);  // 2 acquire polls + 1 per return
}

TEST_F(SimulatorTest, ReturnBatchesAreNeverMoreThanTheMachinesNorFewerThanOne) {
  Simulator sim = Make();
  CycleReport r = sim.Cycle({{"T", 2}}, {.poll_interval = seconds(1), .return_batches = 5});
  EXPECT_TRUE(r.ok()) << r.ToText();
  EXPECT_THAT(r.returns, SizeIs(2)) << "two machines, so two batches at most";
  // 0 batches counts as one.
  Simulator other = Make();
  r = other.Cycle({{"T", 2}}, {.poll_interval = seconds(1), .return_batches = 0});
  ASSERT_THAT(r.returns, SizeIs(1));
  EXPECT_EQ(r.returns[0].machine_count, 2);
}

TEST_F(SimulatorTest, ARequestThatNeverFinishesIsAProblemAfterTheTimeout) {
  plugin_.Set("getRequestStatus", R"sh(echo '{"requests": [{"requestId": "req-1",
    "status": "running", "message": "", "machines": []}]}')sh");
  Simulator sim = Make();
  const CycleReport r =
      sim.Cycle({{"T", 1}}, {.poll_interval = seconds(2), .timeout = seconds(10)});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.violations, IsEmpty());
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("request req-1 (T x1) did not finish")));
  EXPECT_EQ(r.acquires[0].polls, 6) << "polls at 0, 2, 4, 6, 8 and 10 s";
  EXPECT_THAT(r.returns, IsEmpty());
}

TEST_F(SimulatorTest, ViolationsAreReportedWithTheirCommand) {
  plugin_.Set("getAvailableTemplates", R"sh(echo 'starting up'
echo '{"templates": []}')sh");
  plugin_.Set("getReturnRequests", R"sh(echo '{"requests": [{"machine": "host-1"}]}')sh");
  Simulator sim = Make();
  const CycleReport r = sim.Cycle({{"T", 2}}, {.poll_interval = seconds(1)});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.violations, ElementsAre(AllOf(Field(&Violation::command, "getAvailableTemplates"),
                                              Field(&Violation::path, "stdout")),
                                        AllOf(Field(&Violation::command, "getReturnRequests"),
                                              Field(&Violation::path, "requests[0].gracePeriod"))));
  EXPECT_THAT(r.problems, Contains(HasSubstr("getAvailableTemplates failed")));
  EXPECT_THAT(r.ToText(), HasSubstr("FAILED (2 contract violation(s)"));
}

TEST_F(SimulatorTest, AFailedRequestMachinesIsAProblem) {
  plugin_.Set("requestMachines", R"sh(echo '{"message": "no such template"}'; exit 2)sh");
  Simulator sim = Make();
  const CycleReport r = sim.Cycle({{"T", 2}});
  EXPECT_THAT(r.violations, IsEmpty());
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("requestMachines T x2 failed (exit 2: no such "
                                                "template)")));
  EXPECT_EQ(r.commands.at(Command::kRequestMachines).failures, 1);
}

TEST_F(SimulatorTest, ATemplateNotOfferedIsAProblem) {
  Simulator sim = Make();
  const CycleReport r = sim.Cycle({{"Other", 1}}, {.poll_interval = seconds(1)});
  EXPECT_THAT(r.problems, Contains(HasSubstr("template Other is not offered")));
}

TEST_F(SimulatorTest, AMachineInTwoRequestsIsAViolation) {
  Simulator sim = Make();
  ASSERT_TRUE(sim.RequestMachines("T", 2).ok());
  plugin_.Set("requestMachines", R"sh(echo '{"requestId": "req-2"}')sh");
  ASSERT_TRUE(sim.RequestMachines("T", 2).ok());
  plugin_.Set("getRequestStatus", R"sh(echo '{"requests": [
    {"requestId": "req-1", "status": "running", "message": "", "machines": [
      {"machineId": "i-1", "name": "h", "result": "executing", "status": "pending",
       "privateIpAddress": null, "publicIpAddress": null, "launchtime": 0, "message": ""}]},
    {"requestId": "req-2", "status": "running", "message": "", "machines": [
      {"machineId": "i-1", "name": "h", "result": "executing", "status": "pending",
       "privateIpAddress": null, "publicIpAddress": null, "launchtime": 0, "message": ""}]}]}')sh");
  const CallResult r = sim.GetRequestStatus({"req-1", "req-2"});
  EXPECT_THAT(
      r.violations,
      ElementsAre(AllOf(Field(&Violation::path, "requests[1].machines[0].machineId"),
                        Field(&Violation::problem, HasSubstr("also a machine of request req-1")))));
}

TEST_F(SimulatorTest, AFinishedRequestRunningAgainIsAViolation) {
  Simulator sim = Make();
  ASSERT_TRUE(sim.RequestMachines("T", 2).ok());
  plugin_.Set("getRequestStatus", R"sh(echo '{"requests": [{"requestId": "req-1",
    "status": "complete_with_error", "message": "gone", "machines": []}]}')sh");
  EXPECT_TRUE(sim.GetRequestStatus({"req-1"}).ok());
  plugin_.Set("getRequestStatus", R"sh(echo '{"requests": [{"requestId": "req-1",
    "status": "running", "message": "", "machines": []}]}')sh");
  EXPECT_THAT(sim.GetRequestStatus({"req-1"}).violations,
              ElementsAre(Field(&Violation::problem, HasSubstr("running again"))));
  EXPECT_THAT(sim.violations(), SizeIs(1));
}

TEST_F(SimulatorTest, KnownReturnIdsGetTheReturnRules) {
  Simulator sim = Make();
  ASSERT_TRUE(sim.RequestReturnMachines({{"host-1", "i-1"}}).ok());
  plugin_.Set("getRequestStatus", R"sh(echo '{"requests": [{"requestId": "ret-1",
    "status": "running", "message": "", "machines": [
      {"machineId": "i-1", "name": "host-1", "result": "executing", "status": "terminated",
       "privateIpAddress": null, "publicIpAddress": null, "launchtime": 0, "message": ""}]}]}')sh");
  EXPECT_THAT(
      sim.GetRequestStatus({"ret-1"}).violations,
      ElementsAre(Field(&Violation::problem, HasSubstr("terminated instance must be succeed"))));
}

TEST_F(SimulatorTest, RememberedNeverIssuedIdsMustFail) {
  plugin_.Set("getRequestStatus", R"sh(echo '{"requests": [{"requestId": "req-x",
    "status": "running", "message": "", "machines": []}]}')sh");
  Simulator sim = Make();
  sim.Remember("req-x", RequestKind::kNeverIssued);
  EXPECT_THAT(sim.GetRequestStatus({"req-x"}).violations,
              Contains(Field(&Violation::path, "requests[0].status")));
}

TEST_F(SimulatorTest, TheScriptGetsTheInputFileAndTheEnvironment) {
  plugin_.Set("requestMachines",
              R"sh(printf '{"requestId": "%s", "message": "%s"}' "$HF_TEST_VALUE" "$1")sh");
  Simulator sim({.shim_dir = plugin_.dir(), .env = {{"HF_TEST_VALUE", "req-from-env"}}});
  const CallResult r = sim.RequestMachines("T", 1);
  EXPECT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.json["requestId"], "req-from-env");
  EXPECT_EQ(r.json["message"], "-f");
  EXPECT_EQ(nlohmann::json::parse(r.input)["template"]["machineCount"], 1);
}

TEST_F(SimulatorTest, MalformedInputTextIsPassedAsIs) {
  plugin_.Set("requestMachines", R"sh(printf '{"message": "%s"}' "$(cat "$2")"; exit 2)sh");
  Simulator sim = Make();
  const CallResult r = sim.CallWithText(Command::kRequestMachines, "{not json");
  EXPECT_THAT(r.violations, IsEmpty());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.json["message"], "{not json");
}

TEST_F(SimulatorTest, AKilledCallIsNotChecked) {
  plugin_.Set("requestMachines", "sleep 5; echo '{}'");
  Simulator sim = Make();
  const CallResult r = sim.RequestMachines("T", 1, {.kill_after = std::chrono::milliseconds(50)});
  EXPECT_TRUE(r.killed);
  EXPECT_EQ(r.exit_code, -9);
  EXPECT_THAT(r.violations, IsEmpty());
  EXPECT_EQ(sim.Stats().at(Command::kRequestMachines).failures, 1);
}

TEST_F(SimulatorTest, ACallPastTheCommandTimeoutIsAViolation) {
  plugin_.Set("requestMachines", "sleep 5; echo '{}'");
  Simulator sim({.shim_dir = plugin_.dir(), .command_timeout = std::chrono::milliseconds(100)});
  const CallResult r = sim.RequestMachines("T", 1);
  EXPECT_TRUE(r.timed_out);
  EXPECT_THAT(r.violations,
              Contains(Field(&Violation::problem, HasSubstr("no answer within 100 ms"))));
}

TEST_F(SimulatorTest, AMissingScriptIsAViolation) {
  Simulator sim({.shim_dir = plugin_.dir() / "nowhere"});
  const CallResult r = sim.GetAvailableTemplates();
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.violations, Contains(Field(&Violation::path, "script")));
}

TEST_F(SimulatorTest, AShellRunsScriptsThatAreNotExecutable) {
  plugin_.Set("requestMachines", R"sh(echo '{"requestId": "req-sh"}')sh");
  chmod((plugin_.dir() / "requestMachines.sh").c_str(), 0644);
  Simulator sim({.shim_dir = plugin_.dir(), .shell = "/bin/sh"});
  EXPECT_EQ(sim.RequestMachines("T", 1).json["requestId"], "req-sh");
}

TEST_F(SimulatorTest, OnCallSeesEveryCall) {
  int calls = 0;
  Simulator sim({.shim_dir = plugin_.dir(), .clock = &clock_, .on_call = [&](const CallResult&) {
                   ++calls;
                 }});
  (void)sim.Cycle({{"T", 2}}, {.poll_interval = seconds(1)});
  EXPECT_EQ(calls, 7);  // templates, request, 2 polls, return, 1 poll, getReturnRequests
}

TEST(SummarizeTest, MedianAndMax) {
  using std::chrono::nanoseconds;
  CommandStats odd = Summarize({nanoseconds(5), nanoseconds(1), nanoseconds(3)}, 1);
  EXPECT_EQ(odd.calls, 3);
  EXPECT_EQ(odd.failures, 1);
  EXPECT_EQ(odd.median, nanoseconds(3));
  EXPECT_EQ(odd.max, nanoseconds(5));
  EXPECT_EQ(Summarize({nanoseconds(4), nanoseconds(2)}, 0).median, nanoseconds(3));
  EXPECT_EQ(Summarize({}, 0).calls, 0);
}

}  // namespace
}  // namespace ohfp::hf_simulator
