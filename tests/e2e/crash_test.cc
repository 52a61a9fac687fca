// kill -9 at random moments (seeded) of requestMachines and of requestReturnMachines, with a proxy
// latency rule holding the launching (or releasing) AWS calls open so the kill often lands while
// one is in flight. After each kill, HostFactory carries on as it would (it polls what it learned
// of, repeats a return it got no answer to) and an operator's `ohfp reconcile` (with a 1 s
// unclaimed_request_timeout) settles the rest. Then, every time:
//  - no duplicate: no request has more instances than it asked for; RunInstances: each ClientToken
//    (one per attempt) launched one reservation at most; the fleet APIs and ASG: one fleet, Spot
//    Fleet request or group per request at most;
//  - no orphan: every live instance, fleet, Spot Fleet request, group and ohfp launch template
//    belongs to a request HostFactory knows, and every request in the store has reached complete
//    or complete_with_error.
// Parameterized by providerApi (ProviderCases()); RunInstances runs 6 trials per test, the others
// 3 (ProviderCase::crash_trials), so the binary stays well under 90 s. EC2 Fleet's ModifyFleet is
// answered by the proxy (moto lacks it; the case is named ...ModifyFleetViaProxy).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <thread>

#include "e2e_suite.h"
#include "e2e_world.h"

namespace ohfp::testing {
namespace {

using hf_simulator::CallResult;
using hf_simulator::WaitOutcome;
using std::chrono::milliseconds;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr std::uint32_t kSeed = 20260107;
constexpr milliseconds kPoll(150);
constexpr std::chrono::seconds kWait(60);
// Each AWS call being crashed is held this long by the proxy.
constexpr int kLatencyMs = 300;

// When trial `trial` of `trials` kills the command: drawn (seeded) uniformly from the trial's
// share of [0, window_ms), so even three trials spread over the whole window (before the request
// is saved, while AWS calls are held open, after they answered).
int KillAfterMs(std::mt19937& random, int trial, int trials, int window_ms) {
  const int from = window_ms * trial / trials;
  const int to = window_ms * (trial + 1) / trials;
  return std::uniform_int_distribution<int>(from, std::max(from, to - 1))(random);
}

class CrashTest : public E2eSuite<CrashTest, kSeed, ::testing::TestWithParam<ProviderCase>> {
 protected:
  void SetUp() override { ASSERT_NE(world_, nullptr) << failure_; }

  static nlohmann::json Config() {
    return ConfigWith({{"unclaimed_request_timeout_sec", 1}, {"command_timeout_sec", 5}});
  }

  // Forgets everything; the case's workarounds are back.
  void Fresh() {
    ASSERT_TRUE(world_->Reset());
    world_->Use(GetParam());
  }
  // The proxy holds each of `actions` kLatencyMs before forwarding it.
  static void Latency(const std::vector<std::string>& actions) {
    const nlohmann::json slow = {{"name", "slow"},
                                 {"match", {{"action", actions}}},
                                 {"fault", {{"type", "latency"}, {"ms", kLatencyMs}}}};
    world_->SetRules(nlohmann::json{{"rules", nlohmann::json::array({slow})}}.dump());
  }

  // True when the store holds no running request and every live instance tagged for this provider
  // belongs to a request in `known`.
  static bool Settled(const PluginInstall& install, const std::set<std::string>& known,
                      std::string* why) {
    const std::vector<Row> running =
        ReadRows(install.state_db(), "SELECT id, kind FROM requests WHERE state = 'running'");
    std::string problems;
    for (const Row& r : running) problems += "running in the store: " + r.at("id") + "\n";
    for (const MotoInstance& i : LiveInstances(TaggedFor(world_->Instances()))) {
      if (known.count(i.Tag(kTagRequestId)) == 0) problems += "orphan: " + Describe({i});
    }
    for (const MotoResource& r : world_->Resources()) {
      const bool ours = r.kind != MotoResource::Kind::kLaunchTemplate || !r.request_id.empty();
      if (ours && r.live && known.count(r.request_id) == 0) {
        problems += "orphan: " + r.ToString() + "\n";
      }
    }
    *why = problems;
    return problems.empty();
  }

  // `ohfp reconcile` every 250 ms until Settled(), a bounded number of times.
  static void ReconcileUntilSettled(const PluginInstall& install,
                                    const std::set<std::string>& known) {
    std::string why;
    for (int i = 0; i < 40; ++i) {
      const CommandOutput r = install.Ohfp({"reconcile"});
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
      if (Settled(install, known, &why)) return;
      std::this_thread::sleep_for(milliseconds(250));
    }
    FAIL() << "not settled after 40 reconciles:\n" << why;
  }

  // No request has more instances than it asked for. RunInstances: one reservation per
  // ClientToken, and every token is one of the request's attempts. Others: one fleet or group per
  // request.
  static void ExpectNoDuplicates(const ProviderCase& c, const PluginInstall& install) {
    if (c.resource) {
      std::map<std::string, std::vector<std::string>> per_request;
      for (const MotoResource& r : world_->Resources()) {
        if (r.kind == *c.resource) per_request[r.request_id].push_back(r.ToString());
      }
      for (const auto& [request, list] : per_request) {
        EXPECT_THAT(list, SizeIs(1)) << "more than one for request " << request;
        EXPECT_THAT(
            ReadRows(install.state_db(), "SELECT id FROM requests WHERE id = '" + request + "'"),
            SizeIs(1))
            << "of a request the store does not know: " << list[0];
      }
    }
    const std::vector<MotoInstance> ours = TaggedFor(world_->Instances());
    std::map<std::string, std::vector<MotoInstance>> by_request;
    for (const MotoInstance& i : ours) by_request[i.Tag(kTagRequestId)].push_back(i);
    for (const auto& [request, instances] : by_request) {
      const std::vector<Row> row = ReadRows(
          install.state_db(), "SELECT machine_count FROM requests WHERE id = '" + request + "'");
      ASSERT_THAT(row, SizeIs(1)) << "instances of a request the store does not know:\n"
                                  << Describe(instances);
      EXPECT_LE(instances.size(), std::stoul(row[0].at("machine_count")))
          << "request " << request << " launched more than it asked for:\n"
          << Describe(instances);
      if (c.api != "RunInstances") continue;
      std::map<std::string, std::set<std::string>> reservations;
      for (const MotoInstance& i : instances) reservations[i.client_token].insert(i.reservation_id);
      const std::vector<Row> attempts =
          ReadRows(install.state_db(),
                   "SELECT client_token FROM attempts WHERE request_id = '" + request + "'");
      std::set<std::string> tokens;
      for (const Row& a : attempts) tokens.insert(a.at("client_token"));
      for (const auto& [token, ids] : reservations) {
        EXPECT_THAT(ids, SizeIs(1)) << "ClientToken " << token << " launched twice:\n"
                                    << Describe(instances);
        EXPECT_EQ(tokens.count(token), 1U) << "a launch with a token of no attempt: " << token;
      }
    }
  }
};

TEST_P(CrashTest, KillDuringRequestMachinesLeavesNoDuplicateAndNoOrphan) {
  const ProviderCase& c = GetParam();
  std::mt19937 random(kSeed);
  // From before the request is saved to after AWS answered: process start, the store, the latency
  // of each launching call, moto's answers.
  const int window_ms = kLatencyMs * static_cast<int>(c.launch_actions.size()) + 500;
  std::map<std::string, int> phases;
  for (int trial = 0; trial < c.crash_trials; ++trial) {
    const int kill_after = KillAfterMs(random, trial, c.crash_trials, window_ms);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": kill -9 after " +
                 std::to_string(kill_after) + " ms (seed " + std::to_string(kSeed) + ")");
    Fresh();
    ASSERT_FALSE(HasFatalFailure());
    Latency(c.launch_actions);
    PluginInstall install(world_->endpoint(), world_->Templates(c), Config());
    hf_simulator::Simulator sim(SimulatorFor(install));

    const CallResult r =
        sim.RequestMachines("OnDemand", 2, {.kill_after = milliseconds(kill_after)});
    std::set<std::string> known;  // what HostFactory learned
    if (!r.killed) {
      ASSERT_TRUE(r.ok()) << r.Describe();
      known.insert(r.json["requestId"].get<std::string>());
    }
    const std::vector<Row> saved = ReadRows(install.state_db(), "SELECT id FROM requests");

    // HostFactory polls what it knows of; an operator (or the next poll's housekeeping) reconciles.
    if (!known.empty()) {
      const WaitOutcome w =
          sim.WaitFor({known.begin(), known.end()}, {.poll_interval = kPoll, .timeout = kWait});
      ASSERT_TRUE(w.finished());
      EXPECT_EQ(w.last.begin()->second.value("status", ""), "complete") << w.last.begin()->second;
    }
    ReconcileUntilSettled(install, known);
    ASSERT_FALSE(HasFatalFailure());
    ExpectNoDuplicates(c, install);
    EXPECT_THAT(sim.violations(), IsEmpty());
    // HostFactory's request has its two machines; nothing else of ours is alive.
    const std::vector<MotoInstance> ours = TaggedFor(world_->Instances());
    EXPECT_THAT(LiveInstances(ours), SizeIs(known.empty() ? 0 : 2));
    // Where the kill landed, told afterwards (a call held by the proxy may still reach moto after
    // the kill): terminated instances stay listed in moto.
    ++phases[!r.killed       ? "finished"
             : saved.empty() ? "killed before the request was saved"
             : ours.empty()  ? "killed before AWS launched"
                             : "killed after AWS launched (reconcile cleaned up)"];
    if (known.empty()) {
      EXPECT_EQ(world_->Leftovers(), "");
    }
  }
  for (const auto& [phase, count] : phases) std::cout << "  " << phase << ": " << count << "\n";
}

TEST_P(CrashTest, KillDuringRequestReturnMachinesLeavesNoOrphan) {
  const ProviderCase& c = GetParam();
  std::mt19937 random(kSeed + 1);
  const int window_ms = kLatencyMs * static_cast<int>(c.release_actions.size()) + 500;
  std::map<std::string, int> phases;
  for (int trial = 0; trial < c.crash_trials; ++trial) {
    const int kill_after = KillAfterMs(random, trial, c.crash_trials, window_ms);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": kill -9 after " +
                 std::to_string(kill_after) + " ms (seed " + std::to_string(kSeed + 1) + ")");
    Fresh();
    ASSERT_FALSE(HasFatalFailure());
    PluginInstall install(world_->endpoint(), world_->Templates(c), Config());
    hf_simulator::Simulator sim(SimulatorFor(install));
    const CallResult acquire = sim.RequestMachines("OnDemand", 2);
    ASSERT_TRUE(acquire.ok()) << acquire.Describe();
    const std::string acquire_id = acquire.json["requestId"];
    const WaitOutcome up = sim.WaitFor({acquire_id}, {.poll_interval = kPoll, .timeout = kWait});
    ASSERT_TRUE(up.finished());
    std::vector<hf_simulator::MachineRef> held;
    for (const auto& m : up.last.at(acquire_id)["machines"])
      held.push_back({m["name"], m["machineId"]});
    ASSERT_THAT(held, SizeIs(2));

    Latency(c.release_actions);
    const CallResult r = sim.RequestReturnMachines(held, {.kill_after = milliseconds(kill_after)});
    const std::size_t returns_saved =
        ReadRows(install.state_db(), "SELECT id FROM requests WHERE kind = 'return'").size();
    ++phases[!r.killed            ? "finished"
             : returns_saved == 0 ? "killed before the return was saved"
                                  : "killed after the return was saved"];
    std::string return_id;
    if (!r.killed) {
      ASSERT_TRUE(r.ok()) << r.Describe();
      return_id = r.json["requestId"];
    } else {
      // HostFactory got no answer and still holds the machines: it asks again.
      world_->SetRules(R"({"rules": []})");
      const CallResult again = sim.RequestReturnMachines(held);
      ASSERT_TRUE(again.ok()) << again.Describe();
      return_id = again.json["requestId"];
    }
    world_->SetRules(R"({"rules": []})");
    const WaitOutcome down = sim.WaitFor({return_id}, {.poll_interval = kPoll, .timeout = kWait});
    ASSERT_TRUE(down.finished());
    EXPECT_EQ(down.last.at(return_id).value("status", ""), "complete") << down.last.at(return_id);
    for (const auto& m : down.last.at(return_id)["machines"]) {
      EXPECT_EQ(m.value("result", ""), "succeed") << m;
    }

    // HostFactory holds nothing now: every request must settle and nothing may stay alive.
    ReconcileUntilSettled(install, {});
    ASSERT_FALSE(HasFatalFailure());
    ExpectNoDuplicates(c, install);
    EXPECT_THAT(sim.violations(), IsEmpty());
    const std::vector<MotoInstance> ours = TaggedFor(world_->Instances());
    EXPECT_THAT(ours, SizeIs(2)) << Describe(ours);
    EXPECT_THAT(LiveInstances(ours), IsEmpty()) << Describe(ours);
    EXPECT_EQ(world_->Leftovers(), "");
    EXPECT_THAT(ReadRows(install.state_db(),
                         "SELECT instance_id FROM machines WHERE state != 'terminated'"),
                IsEmpty());
  }
  for (const auto& [phase, count] : phases) std::cout << "  " << phase << ": " << count << "\n";
}

INSTANTIATE_TEST_SUITE_P(Providers, CrashTest, ::testing::ValuesIn(ProviderCases()), CaseName);

}  // namespace
}  // namespace ohfp::testing
