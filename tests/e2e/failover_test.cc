// Two hosts, one PostgreSQL store (store.url): HostFactory's failover and shared breakers.
//
// Failover: host A borrows machines, one request's launch is killed mid-call, and A dies (its
// conf/work/log directories are deleted). HostFactory restarts on host B, which has directories of
// its own and the same store, and carries on polling the request ids A answered: B reports them,
// completes them and returns the machines. Nothing is launched twice (one reservation per
// ClientToken, no request above its count) and nothing is left in the emulator; the request whose
// launch was killed is settled too (reclaimed: HostFactory never learned its id).
//
// Breakers: a circuit opened by A's processes rejects B's at once (no call reaches AWS), and once
// its reset timeout has passed, exactly one of eight processes of A and B (started together) takes
// the half-open probe; the seven others are rejected while it runs, and only the probe's calls
// reach AWS.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <thread>

#include "shared_store.h"

namespace ohfp::testing {
namespace {

using hf_simulator::CallResult;
using hf_simulator::MachineRef;
using hf_simulator::Simulator;
using hf_simulator::WaitOutcome;
using std::chrono::milliseconds;

constexpr milliseconds kPoll(150);
constexpr std::chrono::seconds kWait(60);

class FailoverTest : public SharedStoreSuite<FailoverTest> {
 protected:
  static std::string Marker(const PluginInstall& install) {
    std::ifstream in(install.workdir() + "/ohfp-installation");
    std::string id;
    std::getline(in, id);
    return id;
  }
  static std::vector<MachineRef> MachinesOf(const nlohmann::json& status) {
    std::vector<MachineRef> out;
    for (const auto& m : status["machines"]) out.push_back({m["name"], m["machineId"]});
    return out;
  }
};

TEST_F(FailoverTest, HostBCarriesOnWithHostARequestsAfterADies) {
  const ProviderCase c = RunInstancesCase();
  // A request HostFactory never learned of is reclaimed 5 s after it was made (the command
  // deadline: its creator is done launching, and a call in flight when it was killed has been
  // answered).
  const nlohmann::json config = store_->Config(
      ConfigWith({{"unclaimed_request_timeout_sec", 1}, {"command_timeout_sec", 5}}));
  std::string installation;
  std::vector<std::string> known;  // the ids HostFactory got answers for
  std::string phase;
  {
    PluginInstall a(world_->endpoint(), c.templates, config);
    Simulator sim_a(SimulatorFor(a));
    const CallResult first = sim_a.RequestMachines("OnDemand", 2);
    ASSERT_TRUE(first.ok()) << first.Describe();
    known.push_back(first.json["requestId"]);
    const WaitOutcome up = sim_a.WaitFor({known[0]}, {.poll_interval = kPoll, .timeout = kWait});
    ASSERT_TRUE(up.finished());
    ASSERT_EQ(up.last.at(known[0]).value("status", ""), "complete");
    // A dies in the middle of a launch: RunInstances is held open by the proxy, A is killed.
    world_->SetRules(R"({"rules": [{"name": "slow", "match": {"action": "RunInstances"},
                                    "fault": {"type": "latency", "ms": 1500}}]})");
    const CallResult killed =
        sim_a.RequestMachines("OnDemand", 2, {.kill_after = milliseconds(700)});
    EXPECT_TRUE(killed.killed) << killed.Describe();
    // The held call still reaches AWS after the kill, as a call in flight does when its host dies;
    // the failover takes longer than that.
    std::this_thread::sleep_for(milliseconds(1500));
    world_->SetRules(R"({"rules": []})");
    // And one more request A answered but never polled.
    const CallResult last = sim_a.RequestMachines("OnDemand", 1);
    ASSERT_TRUE(last.ok()) << last.Describe();
    known.push_back(last.json["requestId"]);
    installation = Marker(a);
    const std::size_t saved = store_->Rows("SELECT id FROM {s}.requests").size();
    phase = saved == 3 ? "the killed launch's request was saved" : "killed before it was saved";
  }  // A's directories are gone
  ASSERT_FALSE(installation.empty());
  std::cout << "  " << phase << "\n";

  PluginInstall b(world_->endpoint(), c.templates, config);
  Simulator sim_b(SimulatorFor(b));
  for (const std::string& id : known) sim_b.Remember(id, hf_simulator::RequestKind::kAcquire);
  const WaitOutcome up = sim_b.WaitFor(known, {.poll_interval = kPoll, .timeout = kWait});
  ASSERT_TRUE(up.finished());
  EXPECT_EQ(Marker(b), installation) << "B carries on as the same installation";
  std::vector<MachineRef> held;
  for (const std::string& id : known) {
    EXPECT_EQ(up.last.at(id).value("status", ""), "complete") << up.last.at(id);
    for (const MachineRef& m : MachinesOf(up.last.at(id))) held.push_back(m);
  }
  EXPECT_THAT(held, ::testing::SizeIs(3));
  // Returned from B.
  const CallResult ret = sim_b.RequestReturnMachines(held);
  ASSERT_TRUE(ret.ok()) << ret.Describe();
  const std::string return_id = ret.json["requestId"];
  const WaitOutcome down = sim_b.WaitFor({return_id}, {.poll_interval = kPoll, .timeout = kWait});
  ASSERT_TRUE(down.finished());
  EXPECT_EQ(down.last.at(return_id).value("status", ""), "complete");

  ReconcileUntilSettled(*world_, *store_, b, {});
  ASSERT_FALSE(HasFatalFailure());
  ExpectNoDuplicates(*world_, *store_, c.api);
  EXPECT_EQ(world_->Leftovers(), "");
  EXPECT_THAT(sim_b.violations(), ::testing::IsEmpty());
  EXPECT_THAT(store_->Rows("SELECT id FROM {s}.requests WHERE state = 'running'"),
              ::testing::IsEmpty());
}

TEST_F(FailoverTest, ABreakerOpenedOnOneHostRejectsOnTheOtherAndOneProcessProbes) {
  auto config = [&](int reset_timeout) {
    return store_->Config(ConfigWith(nullptr, {{"failure_threshold", 2},
                                               {"reset_timeout", reset_timeout},
                                               {"half_open_timeout", 30},
                                               {"half_open_max_probes", 1}}));
  };
  const nlohmann::json templates = RunInstancesCase().templates;
  PluginInstall a(world_->endpoint(), templates, config(600));
  PluginInstall b(world_->endpoint(), templates, config(600));
  Simulator sim_a(SimulatorFor(a));
  Simulator sim_b(SimulatorFor(b));
  const std::vector<MachineRef> held = {{"ip-10-0-0-1.ec2.internal", "i-0123456789abcdef0"}};

  // What one getReturnRequests asks EC2 while the circuit is closed (the batch, then by id).
  ASSERT_TRUE(world_->proxy().Reset());
  (void)sim_a.GetReturnRequests(held);
  const int per_call = world_->ProxyRequests("DescribeInstances");
  ASSERT_GT(per_call, 0);

  // A's processes meet a failing EC2 until the circuit opens.
  world_->SetRules(R"({"rules": [{"name": "ec2-500", "match": {"service": "ec2"},
                      "fault": {"type": "error", "status": 500, "code": "InternalError"}}]})");
  for (int i = 0; i < 5 && a.BreakerState("aws_ec2") != "open"; ++i)
    (void)sim_a.GetReturnRequests(held);
  ASSERT_EQ(a.BreakerState("aws_ec2"), "open");

  // B's processes are rejected at once: nothing reaches AWS.
  world_->SetRules(R"({"rules": []})");
  ASSERT_TRUE(world_->proxy().Reset());
  const CallResult rejected = sim_b.GetReturnRequests(held);
  EXPECT_EQ(rejected.exit_code, 1) << rejected.Describe();
  EXPECT_EQ(world_->ProxyRequests(), 0) << world_->Stats().dump();
  EXPECT_EQ(b.BreakerState("aws_ec2"), "open");

  // The reset timeout passes (1 s now), and eight processes, four per host, call at once while
  // EC2 takes 3 s to answer: one probes, seven are rejected.
  a.WriteConf("config.json", config(1).dump());
  b.WriteConf("config.json", config(1).dump());
  std::this_thread::sleep_for(milliseconds(1100));
  world_->SetRules(R"({"rules": [{"name": "slow", "match": {"action": "DescribeInstances"},
                                  "fault": {"type": "latency", "ms": 3000}}]})");
  ASSERT_TRUE(world_->proxy().Reset());
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  std::vector<std::future<int>> codes;
  for (int p = 0; p < 8; ++p) {
    const PluginInstall& host = p % 2 == 0 ? a : b;
    codes.push_back(std::async(std::launch::async, [&, start] {
      Simulator sim(SimulatorFor(host));
      start.wait();
      return sim.GetReturnRequests(held).exit_code;
    }));
  }
  go.set_value();
  int succeeded = 0;
  int failed = 0;
  for (auto& f : codes) (f.get() == 0 ? succeeded : failed) += 1;
  EXPECT_EQ(succeeded, 1);
  EXPECT_EQ(world_->ProxyRequests("DescribeInstances"), per_call)
      << "the probe's calls only: " << world_->Stats().dump();
  EXPECT_EQ(failed, 7);
  EXPECT_EQ(b.BreakerState("aws_ec2"), "closed") << "the probe succeeded";
}

}  // namespace
}  // namespace ohfp::testing
