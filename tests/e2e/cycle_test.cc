// HostFactory's whole cycle, through the simulator and the shims, one process per command:
//  - request, poll to complete, return half, poll, return the rest, poll: exactly the returned
//    machines go each time, and afterwards moto holds nothing ohfp created (no live instance,
//    fleet, Spot Fleet request, Auto Scaling group or ohfp launch template);
//  - under 20 % EC2 throttling every answer follows the contract and nothing is left running;
//  - eight HostFactory calls at once on one state store: the store and moto agree afterwards;
//  - eight requestMachines at once against one template's maxNumber never over-commit it.
// Parameterized by providerApi (ProviderCases(): RunInstances, EC2Fleet maintain, SpotFleet
// maintain, ASG). Where moto lacks an API the proxy answers it (E2eWorld::Use(); the case's name
// says so: EC2FleetMaintainModifyFleetViaProxy).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <thread>

#include "e2e_suite.h"
#include "e2e_world.h"

namespace ohfp::testing {
namespace {

using hf_simulator::CallResult;
using hf_simulator::MachineRef;
using hf_simulator::Simulator;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr std::chrono::milliseconds kPoll(200);
constexpr std::chrono::seconds kWait(60);

class CycleTest : public E2eSuite<CycleTest, 20260101, ::testing::TestWithParam<ProviderCase>> {
 protected:
  void AfterReset() override { world_->Use(GetParam()); }

  // The case's resource (fleet, Spot Fleet request, group) of each request, any state.
  static std::map<std::string, std::vector<MotoResource>> ResourcesByRequest(
      const ProviderCase& c) {
    std::map<std::string, std::vector<MotoResource>> out;
    for (const MotoResource& r : world_->Resources()) {
      if (c.resource && r.kind == *c.resource) out[r.request_id].push_back(r);
    }
    return out;
  }
  // The launch templates ohfp made for `request_id`.
  static int LaunchTemplatesOf(const std::string& request_id) {
    int n = 0;
    for (const MotoResource& r : world_->Resources()) {
      n += r.kind == MotoResource::Kind::kLaunchTemplate && r.request_id == request_id;
    }
    return n;
  }
  // Every workaround rule answered its action, which never reached moto.
  static void ExpectWorkaroundsAnsweredByTheProxy(const ProviderCase& c) {
    const nlohmann::json stats = world_->Stats();
    for (const nlohmann::json& rule : c.moto_workarounds) {
      const std::string action = rule["match"]["action"];
      const nlohmann::json counters =
          stats.value("actions", nlohmann::json::object()).value(action, nlohmann::json::object());
      EXPECT_GT(counters.value("requests", 0), 0) << action << ": " << stats.dump();
      EXPECT_EQ(counters.value("forwarded", 0), 0) << action << " reached moto: " << stats.dump();
    }
  }
};

std::set<std::string> Ids(const std::vector<MotoInstance>& instances) {
  std::set<std::string> ids;
  for (const MotoInstance& i : instances) ids.insert(i.instance_id);
  return ids;
}

TEST_P(CycleTest, RequestReturnHalfThenTheRestLeavesNothingOhfpCreatedInMoto) {
  const ProviderCase& c = GetParam();
  PluginInstall install(world_->endpoint(), world_->Templates(c));
  Simulator sim(SimulatorFor(install));

  // Between the two returns: exactly the returned machines are going, the others run, and the
  // request's fleet or group (with ohfp's launch template) is still there, its target lowered.
  int batches_seen = 0;
  std::set<std::string> resources_seen;
  const auto between = [&](const hf_simulator::RequestSummary& returned) {
    ++batches_seen;
    SCOPED_TRACE("after return " + std::to_string(batches_seen) + " (" + returned.request_id + ")");
    EXPECT_EQ(returned.status, "complete") << returned.message;
    std::set<std::string> gone;
    for (const auto& m : returned.machines) {
      EXPECT_EQ(m.result, "succeed") << m.machine_id;
      gone.insert(m.machine_id);
    }
    EXPECT_THAT(gone, SizeIs(2));
    const std::vector<MotoInstance> ours = TaggedFor(world_->Instances());
    for (const MotoInstance& i : ours) {
      if (gone.count(i.instance_id) != 0) {
        EXPECT_FALSE(i.Live()) << i.instance_id << " was returned: " << i.state;
      }
    }
    const std::size_t left = batches_seen == 1 ? 2 : 0;
    EXPECT_THAT(LiveInstances(ours), SizeIs(left)) << Describe(ours);
    if (!c.resource) return;
    const auto by_request = ResourcesByRequest(c);
    if (left > 0) {
      EXPECT_THAT(by_request, SizeIs(1)) << "the request's fleet or group is there";
    }
    for (const auto& [request, resources] : by_request) {
      EXPECT_THAT(resources, SizeIs(1)) << "one per request: " << request;
      for (const MotoResource& r : resources) {
        resources_seen.insert(r.id);
        EXPECT_EQ(r.live, left > 0) << r.ToString();
        if (c.moto_tracks_target && r.live) {
          EXPECT_EQ(r.target, 2) << r.ToString();
        }
      }
      EXPECT_EQ(LaunchTemplatesOf(request), left > 0 ? 1 : 0) << request;
    }
  };
  const hf_simulator::CycleReport r = sim.Cycle(
      {{"OnDemand", 4}},
      {.poll_interval = kPoll, .timeout = kWait, .return_batches = 2, .after_return = between});

  EXPECT_TRUE(r.ok()) << r.ToText();
  EXPECT_THAT(r.violations, IsEmpty()) << r.ToText();
  ASSERT_THAT(r.acquires, SizeIs(1)) << r.ToText();
  EXPECT_EQ(r.acquires[0].status, "complete") << r.ToText();
  EXPECT_THAT(r.acquires[0].machines, SizeIs(4)) << r.ToText();
  ASSERT_THAT(r.returns, SizeIs(2)) << r.ToText();
  EXPECT_EQ(batches_seen, 2);
  for (const auto& ret : r.returns) {
    EXPECT_EQ(ret.machine_count, 2) << r.ToText();
    EXPECT_EQ(ret.status, "complete") << r.ToText();
  }
  if (c.resource) {
    EXPECT_THAT(resources_seen, SizeIs(1)) << "one fleet or group, never two";
  }

  // moto: the four machines existed, tagged with the request, and nothing ohfp made is left.
  const std::vector<MotoInstance> ours = TaggedFor(world_->Instances());
  EXPECT_THAT(ours, SizeIs(4)) << Describe(ours);
  for (const MotoInstance& i : ours) {
    EXPECT_EQ(i.Tag(kTagRequestId), r.acquires[0].request_id) << Describe({i});
  }
  EXPECT_EQ(world_->Leftovers(), "");
  ExpectWorkaroundsAnsweredByTheProxy(c);
}

TEST_P(CycleTest, AFullCycleUnderThrottlingFollowsTheContractAndLeavesNothingRunning) {
  // One EC2 call in five is throttled. The breaker is the seed's but resets after 1 s, so a run of
  // throttles costs a second of this test rather than 30.
  world_->SetRules(R"({"rules": [{"name": "throttle-20", "match": {"service": "ec2"},
                                  "probability": 0.2, "fault": {"type": "throttle"}}]})");
  PluginInstall install(world_->endpoint(), world_->Templates(GetParam()),
                        ConfigWith(nullptr, {{"reset_timeout", 1}, {"half_open_timeout", 1}}));
  Simulator sim(SimulatorFor(install));

  const hf_simulator::CycleReport r =
      sim.Cycle({{"OnDemand", 3}, {"Sized", 2}}, {.poll_interval = kPoll, .timeout = kWait});

  EXPECT_TRUE(r.ok()) << r.ToText();
  EXPECT_THAT(r.violations, IsEmpty()) << r.ToText();
  ASSERT_THAT(r.acquires, SizeIs(2)) << r.ToText();
  for (const auto& a : r.acquires) {
    EXPECT_EQ(a.status, "complete") << r.ToText();
    EXPECT_THAT(a.machines, SizeIs(a.machine_count)) << r.ToText();
  }
  ASSERT_THAT(r.returns, SizeIs(1)) << r.ToText();
  EXPECT_EQ(r.returns[0].status, "complete") << r.ToText();
  EXPECT_EQ(r.returns[0].machine_count, 5);
  EXPECT_THAT(r.templates, ::testing::IsSupersetOf({"OnDemand", "Sized", "Limited"}));

  // What the user notices in the cloud: the five machines existed, and none is running now.
  const std::vector<MotoInstance> ours = TaggedFor(world_->Instances());
  EXPECT_THAT(ours, SizeIs(5)) << Describe(ours);
  EXPECT_THAT(LiveInstances(ours), IsEmpty()) << Describe(ours);
  EXPECT_EQ(world_->Leftovers(), "");
  // The throttling did happen (the proxy's draws are seeded), and the plugin retried through it.
  EXPECT_THAT(world_->Stats()["totals"]["faults"].get<int>(), ::testing::Gt(0))
      << world_->Stats().dump();
  EXPECT_THAT(install.Log(), ::testing::HasSubstr("RequestLimitExceeded"));
}

TEST_P(CycleTest, EightConcurrentHostFactoryCallsLeaveTheStoreAndMotoInAgreement) {
  const ProviderCase& c = GetParam();
  PluginInstall install(world_->endpoint(), world_->Templates(c));
  constexpr int kProcesses = 8;
  struct Outcome {
    std::string failure{};
    std::string request_id{};
    std::string status{};
    std::vector<MachineRef> machines{};
    std::vector<MachineRef> returned{};
    std::string return_id{};
    std::string return_status{};
    std::vector<hf_simulator::Violation> violations{};
  };
  std::vector<Outcome> outcomes(kProcesses);
  std::latch start(kProcesses);
  std::vector<std::thread> threads;
  for (int p = 0; p < kProcesses; ++p) {
    threads.emplace_back([&, p] {
      Outcome& o = outcomes[static_cast<std::size_t>(p)];
      Simulator sim(SimulatorFor(install));
      start.arrive_and_wait();  // every requestMachines starts at once, on a fresh database
      const CallResult r = sim.RequestMachines("OnDemand", 2);
      o.violations = sim.violations();
      if (!r.ok()) {
        o.failure = r.Describe();
        return;
      }
      o.request_id = r.json["requestId"].get<std::string>();
      const hf_simulator::WaitOutcome w =
          sim.WaitFor({o.request_id}, {.poll_interval = kPoll, .timeout = kWait});
      const nlohmann::json& last =
          w.last.count(o.request_id) ? w.last.at(o.request_id) : nlohmann::json::object();
      o.status = last.value("status", "");
      for (const auto& m : last.value("machines", nlohmann::json::array())) {
        o.machines.push_back({m["name"].get<std::string>(), m["machineId"].get<std::string>()});
      }
      // Half of the callers give back both machines, the other half one.
      o.returned.assign(o.machines.begin(),
                        o.machines.begin() +
                            (p % 2 == 0 ? static_cast<long>(o.machines.size())
                                        : std::min<long>(1, static_cast<long>(o.machines.size()))));
      if (!o.returned.empty()) {
        const CallResult ret = sim.RequestReturnMachines(o.returned);
        if (ret.ok()) {
          o.return_id = ret.json["requestId"].get<std::string>();
          const hf_simulator::WaitOutcome rw =
              sim.WaitFor({o.return_id}, {.poll_interval = kPoll, .timeout = kWait});
          if (rw.last.count(o.return_id))
            o.return_status = rw.last.at(o.return_id).value("status", "");
        } else {
          o.failure = ret.Describe();
        }
      }
      o.violations = sim.violations();
    });
  }
  for (std::thread& t : threads) t.join();

  // Every HostFactory call went through and followed the contract.
  std::set<std::string> request_ids;
  std::set<std::string> returned;
  std::set<std::string> kept;
  for (const Outcome& o : outcomes) {
    EXPECT_EQ(o.failure, "");
    EXPECT_THAT(o.violations, IsEmpty());
    EXPECT_EQ(o.status, "complete") << o.request_id;
    EXPECT_THAT(o.machines, SizeIs(2)) << o.request_id;
    EXPECT_EQ(o.return_status, "complete") << o.return_id;
    EXPECT_TRUE(request_ids.insert(o.request_id).second)
        << "request id given twice: " << o.request_id;
    for (const MachineRef& m : o.machines) {
      const bool back = std::any_of(o.returned.begin(), o.returned.end(), [&](const MachineRef& x) {
        return x.machine_id == m.machine_id;
      });
      (back ? returned : kept).insert(m.machine_id);
    }
  }
  ASSERT_FALSE(HasFailure());

  // moto: exactly the 16 instances HostFactory was given, each tagged with its request.
  const std::vector<MotoInstance> ours = TaggedFor(world_->Instances());
  EXPECT_THAT(ours, SizeIs(2 * kProcesses)) << Describe(ours);
  std::map<std::string, int> per_request;
  std::map<std::string, std::set<std::string>> reservations_per_token;
  for (const MotoInstance& i : ours) {
    EXPECT_EQ(request_ids.count(i.Tag(kTagRequestId)), 1U)
        << "instance of an unknown request: " << i.instance_id;
    ++per_request[i.Tag(kTagRequestId)];
    reservations_per_token[i.client_token].insert(i.reservation_id);
    if (returned.count(i.instance_id)) {
      EXPECT_EQ(i.state, "terminated") << i.instance_id << " was returned";
    } else {
      EXPECT_EQ(kept.count(i.instance_id), 1U)
          << i.instance_id << " was never given to HostFactory";
      EXPECT_EQ(i.state, "running") << i.instance_id << " is still held by HostFactory";
    }
  }
  for (const auto& [request, count] : per_request) EXPECT_EQ(count, 2) << request;
  if (c.api == "RunInstances") {
    for (const auto& [token, reservations] : reservations_per_token) {
      EXPECT_THAT(reservations, SizeIs(1)) << "ClientToken " << token << " launched more than once";
    }
  }
  // One fleet or group per request; it (and ohfp's launch template) lives while the request
  // holds a machine, its target lowered by what was returned.
  if (c.resource) {
    const auto resources = ResourcesByRequest(c);
    for (const auto& [request, list] : resources) {
      EXPECT_EQ(request_ids.count(request), 1U) << "of an unknown request: " << list[0].ToString();
    }
    for (const Outcome& o : outcomes) {
      const std::size_t held = o.machines.size() - o.returned.size();
      const auto it = resources.find(o.request_id);
      const std::vector<MotoResource> list =
          it == resources.end() ? std::vector<MotoResource>{} : it->second;
      EXPECT_LE(list.size(), 1U) << "more than one for " << o.request_id;
      const long live =
          std::count_if(list.begin(), list.end(), [](const MotoResource& r) { return r.live; });
      EXPECT_EQ(live, held > 0 ? 1 : 0) << o.request_id;
      for (const MotoResource& r : list) {
        if (c.moto_tracks_target && r.live) {
          EXPECT_EQ(r.target, static_cast<int>(held)) << r.ToString();
        }
      }
      EXPECT_EQ(LaunchTemplatesOf(o.request_id), held > 0 ? 1 : 0) << o.request_id;
    }
    ExpectWorkaroundsAnsweredByTheProxy(c);
  }

  // The store: the same requests and machines, every update kept.
  const std::string db = install.state_db();
  const std::vector<Row> acquires =
      ReadRows(db, "SELECT id, state, machine_count FROM requests WHERE kind = 'acquire'");
  EXPECT_THAT(acquires, SizeIs(kProcesses));
  for (const Row& r : acquires) {
    EXPECT_EQ(request_ids.count(r.at("id")), 1U) << r.at("id");
    EXPECT_EQ(r.at("state"), "complete") << r.at("id");
    EXPECT_EQ(r.at("machine_count"), "2") << r.at("id");
  }
  const std::vector<Row> returns =
      ReadRows(db, "SELECT id, state FROM requests WHERE kind = 'return'");
  EXPECT_THAT(returns, SizeIs(kProcesses));
  for (const Row& r : returns) EXPECT_EQ(r.at("state"), "complete") << r.at("id");
  const std::vector<Row> machines =
      ReadRows(db, "SELECT instance_id, request_id, state, result FROM machines");
  EXPECT_THAT(machines, SizeIs(2 * kProcesses));
  EXPECT_EQ(Ids(ours).size(), machines.size());
  for (const Row& m : machines) {
    auto it = std::find_if(ours.begin(), ours.end(), [&](const MotoInstance& i) {
      return i.instance_id == m.at("instance_id");
    });
    ASSERT_NE(it, ours.end()) << "the store holds " << m.at("instance_id") << ", moto does not";
    EXPECT_EQ(m.at("request_id"), it->Tag(kTagRequestId)) << m.at("instance_id");
    EXPECT_EQ(m.at("result"), "succeed") << m.at("instance_id");
    EXPECT_EQ(m.at("state"), returned.count(m.at("instance_id")) ? "terminated" : "running")
        << m.at("instance_id");
  }
  const std::vector<Row> given_back =
      ReadRows(db, "SELECT instance_id, result, state FROM return_machines");
  EXPECT_THAT(given_back, SizeIs(returned.size()));
  for (const Row& m : given_back) {
    EXPECT_EQ(returned.count(m.at("instance_id")), 1U) << m.at("instance_id");
    EXPECT_EQ(m.at("result"), "succeed") << m.at("instance_id");
    EXPECT_EQ(m.at("state"), "terminated") << m.at("instance_id");
  }
}

TEST_P(CycleTest, EightConcurrentRequestsNeverOvercommitMaxNumber) {
  // "Limited" allows 6 machines: of eight requests for 2 at once, exactly three fit.
  PluginInstall install(world_->endpoint(), world_->Templates(GetParam()));
  constexpr int kProcesses = 8;
  std::vector<CallResult> results(kProcesses);
  std::vector<std::vector<hf_simulator::Violation>> violations(kProcesses);
  std::latch start(kProcesses);
  std::vector<std::thread> threads;
  for (int p = 0; p < kProcesses; ++p) {
    threads.emplace_back([&, p] {
      Simulator sim(SimulatorFor(install));
      start.arrive_and_wait();
      results[static_cast<std::size_t>(p)] = sim.RequestMachines("Limited", 2);
      violations[static_cast<std::size_t>(p)] = sim.violations();
    });
  }
  for (std::thread& t : threads) t.join();

  std::vector<std::string> accepted;
  for (std::size_t p = 0; p < results.size(); ++p) {
    EXPECT_THAT(violations[p], IsEmpty()) << results[p].Describe();
    if (results[p].exit_code == 0) {
      accepted.push_back(results[p].json["requestId"].get<std::string>());
    } else {
      EXPECT_EQ(results[p].exit_code, 2) << results[p].Describe();
      EXPECT_THAT(results[p].json.value("message", ""), ::testing::HasSubstr("6"))
          << results[p].Describe();
    }
  }
  EXPECT_THAT(accepted, SizeIs(3));

  Simulator sim(SimulatorFor(install));
  const hf_simulator::WaitOutcome w =
      sim.WaitFor(accepted, {.poll_interval = kPoll, .timeout = kWait});
  EXPECT_TRUE(w.finished());
  for (const std::string& id : accepted) {
    EXPECT_EQ(w.last.at(id).value("status", ""), "complete") << w.last.at(id).dump();
  }
  EXPECT_THAT(sim.violations(), IsEmpty());
  EXPECT_THAT(LiveInstances(TaggedFor(world_->Instances())), SizeIs(6));
  EXPECT_THAT(ReadRows(install.state_db(), "SELECT id FROM requests WHERE kind = 'acquire'"),
              SizeIs(3));
  // Refused requests created nothing: one fleet or group per accepted request only.
  if (GetParam().resource) {
    const auto resources = ResourcesByRequest(GetParam());
    EXPECT_THAT(resources, SizeIs(3));
    for (const std::string& id : accepted) EXPECT_EQ(resources.count(id), 1U) << id;
  }
  // And getAvailableTemplates agrees: nothing left of Limited.
  const CallResult templates = sim.GetAvailableTemplates();
  ASSERT_TRUE(templates.ok()) << templates.Describe();
  for (const auto& t : templates.json["templates"]) {
    if (t["templateId"] == "Limited") {
      EXPECT_EQ(t["availableNumber"], 0) << t.dump();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Providers, CycleTest, ::testing::ValuesIn(ProviderCases()), CaseName);

}  // namespace
}  // namespace ohfp::testing
