// A circuit opened by one process rejects calls in the next one: the breaker lives in the state
// database every HostFactory command shares. `ohfp breaker status` shows it, `ohfp breaker reset`
// closes it, and so does the reset timeout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "e2e_suite.h"
#include "e2e_world.h"

namespace ohfp::testing {
namespace {

using hf_simulator::CallResult;
using hf_simulator::MachineRef;
using hf_simulator::Simulator;
using ::testing::IsEmpty;

constexpr const char* kEc2Fails =
    R"({"rules": [{"name": "ec2-500", "match": {"service": "ec2"},
                   "fault": {"type": "error", "status": 500, "code": "InternalError"}}]})";
constexpr const char* kNoRules = R"({"rules": []})";

class BreakerTest : public E2eSuite<BreakerTest> {
 protected:
  // Runs getReturnRequests (one DescribeInstances) in new processes until aws_ec2 is open.
  static void TripTheBreaker(Simulator& sim, const PluginInstall& install,
                             const std::vector<MachineRef>& held) {
    world_->SetRules(kEc2Fails);
    for (int i = 0; i < 5 && install.BreakerState("aws_ec2") != "open"; ++i) {
      const CallResult r = sim.GetReturnRequests(held);
      EXPECT_THAT(r.violations, IsEmpty()) << r.Describe();
      EXPECT_EQ(r.exit_code, 1) << r.Describe();
    }
    ASSERT_EQ(install.BreakerState("aws_ec2"), "open");
  }
};

TEST_F(BreakerTest, AnOpenCircuitRejectsInTheNextProcessUntilReset) {
  // The seed's aws_ec2 breaker (3 failures), with a reset timeout long enough not to pass here.
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates,
                        ConfigWith(nullptr, {{"failure_threshold", 3}, {"reset_timeout", 600}}));
  Simulator sim(SimulatorFor(install));
  const std::vector<MachineRef> held = {{"ip-10-0-0-1.ec2.internal", "i-0123456789abcdef0"}};
  TripTheBreaker(sim, install, held);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_THAT(install.Log(), ::testing::HasSubstr("Circuit breaker OPENED for service: aws_ec2"));

  // EC2 is healthy again, but the next process does not even try: nothing reaches the proxy.
  world_->SetRules(kNoRules);
  ASSERT_TRUE(world_->proxy().Reset());
  const CallResult rejected = sim.GetReturnRequests(held);
  EXPECT_THAT(rejected.violations, IsEmpty()) << rejected.Describe();
  EXPECT_EQ(rejected.exit_code, 1) << rejected.Describe();
  EXPECT_THAT(rejected.json.value("message", ""), ::testing::HasSubstr("ircuit"))
      << rejected.Describe();
  EXPECT_EQ(world_->ProxyRequests(), 0) << world_->Stats().dump();
  EXPECT_EQ(install.BreakerState("aws_ec2"), "open");

  // An operator resets it: the next process calls EC2 and succeeds. The machine no longer exists,
  // so it is reported as taken back.
  const CommandOutput reset = install.Ohfp({"breaker", "reset", "aws_ec2"});
  EXPECT_EQ(reset.exit_code, 0) << reset.out << reset.err;
  const CallResult ok = sim.GetReturnRequests(held);
  EXPECT_TRUE(ok.ok()) << ok.Describe();
  EXPECT_EQ(ok.json["requests"].size(), 1U) << ok.Describe();
  EXPECT_GT(world_->ProxyRequests("DescribeInstances"), 0);
  EXPECT_EQ(install.BreakerState("aws_ec2"), "closed");
}

TEST_F(BreakerTest, AnOpenCircuitLetsCallsThroughAfterItsResetTimeout) {
  PluginInstall install(
      world_->endpoint(), RunInstancesCase().templates,
      ConfigWith(nullptr,
                 {{"failure_threshold", 3}, {"reset_timeout", 1}, {"half_open_timeout", 5}}));
  Simulator sim(SimulatorFor(install));
  const std::vector<MachineRef> held = {{"ip-10-0-0-1.ec2.internal", "i-0123456789abcdef0"}};
  TripTheBreaker(sim, install, held);
  ASSERT_FALSE(HasFatalFailure());
  world_->SetRules(kNoRules);
  // Polled the way HostFactory polls: a new process every half second, a bounded number of times.
  CallResult last;
  for (int i = 0; i < 20; ++i) {
    last = sim.GetReturnRequests(held);
    if (last.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_TRUE(last.ok()) << last.Describe();
  EXPECT_EQ(install.BreakerState("aws_ec2"), "closed");
  EXPECT_THAT(sim.violations(), IsEmpty());
}

}  // namespace
}  // namespace ohfp::testing
