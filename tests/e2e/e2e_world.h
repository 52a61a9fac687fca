// tests/e2e/e2e_world.h
//
// What the end-to-end tests look at from outside the plugin:
//  - E2eWorld: moto on a free 127.0.0.1 port with ohfp-chaos-proxy in front of it, one per test
//    suite; Reset() between tests (moto's state, the proxy's rules, stats and ClientToken cache).
//  - MotoInstances(): every instance moto holds, read straight from moto (not through the proxy,
//    so faults never hide it and the proxy's stats only count the plugin's calls; signed with
//    moto's current key, as moto checks signatures), with its state,
//    reservation, ClientToken and tags. MotoResources(): the same for the fleets, Spot Fleet
//    requests, Auto Scaling groups and launch templates; E2eWorld::Leftovers() lists whatever
//    ohfp created that is still alive.
//  - ReadRows() / StoreSnapshot(): the plugin's state database read with the sqlite3 C API,
//    read-only, the way an operator would look at it.
//  - ProviderCase: the templates of one providerApi, so every scenario runs for each API
//    (RunInstances, EC2Fleet maintain, SpotFleet maintain, ASG), with the proxy rules that stand in
//    for what moto lacks (E2eWorld::Use()) and the subnets the templates need
//    (E2eWorld::Templates()).
//  - SimulatorFor(): a HostFactory simulator for a PluginInstall.
//
// Thread-safety: an E2eWorld is driven by one thread; its const methods, the Moto*() functions and
// ReadRows() may run on any thread.
//
// Example:
//   std::unique_ptr<E2eWorld> world = E2eWorld::Start(&why);
//   world->Use(Ec2FleetCase());  // after each Reset()
//   PluginInstall install(world->endpoint(), world->Templates(Ec2FleetCase()));
//   hf_simulator::Simulator sim(SimulatorFor(install));
//   CycleReport r = sim.Cycle({{"OnDemand", 2}});
//   EXPECT_EQ(world->Leftovers(), "");
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "moto.h"
#include "ohfp/hf_simulator/simulator.h"
#include "plugin_install.h"

namespace ohfp::testing {

// The tag names ohfp puts on everything it launches (docs/operations.md).
inline constexpr const char* kTagProvider = "ohfp:provider";
inline constexpr const char* kTagRequestId = "ohfp:request-id";

struct MotoInstance {
  std::string instance_id{};
  std::string state{};  // pending, running, shutting-down, terminated, ...
  std::string reservation_id{};
  std::string client_token{};
  std::string private_dns_name{};
  std::map<std::string, std::string> tags{};

  std::string Tag(const std::string& key) const;
  bool Live() const { return state == "pending" || state == "running"; }
};

// Every instance moto holds (any state). Empty and `why` set when moto does not answer.
std::vector<MotoInstance> MotoInstances(const MotoServer& moto, std::string* why = nullptr);
// Terminates `instance_ids` straight in moto, as an operator would from the console (not through
// the proxy). False, with `why`, when moto refuses.
bool MotoTerminate(const MotoServer& moto, const std::vector<std::string>& instance_ids,
                   std::string* why = nullptr);
// Of `all`, those tagged ohfp:provider=`provider`.
std::vector<MotoInstance> TaggedFor(const std::vector<MotoInstance>& all,
                                    const std::string& provider = "aws");
// Of `all`, those pending or running.
std::vector<MotoInstance> LiveInstances(const std::vector<MotoInstance>& all);
std::string Describe(const std::vector<MotoInstance>& instances);

// A fleet, Spot Fleet request, Auto Scaling group or launch template moto holds.
struct MotoResource {
  enum class Kind { kFleet, kSpotFleet, kGroup, kLaunchTemplate };
  Kind kind = Kind::kFleet;
  std::string id{};          // fleet-..., sfr-..., the group's name, lt-...
  std::string name{};        // a launch template's name
  std::string state{};       // a fleet's or Spot Fleet request's state; "" for the others
  std::string request_id{};  // its ohfp:request-id tag; a launch template "ohfp-<id>": <id>
  int target = -1;           // total target capacity (fleets), DesiredCapacity (groups)
  // Not deleted, cancelled or failed. Groups and launch templates are live while they exist.
  bool live = true;

  std::string KindName() const;
  std::string ToString() const;
};

// Every fleet, Spot Fleet request, Auto Scaling group and launch template moto holds (any state).
// Empty and `why` set when moto does not answer.
std::vector<MotoResource> MotoResources(const MotoServer& moto, std::string* why = nullptr);
// A CloudWatch metric moto holds (ListMetrics).
struct MotoMetric {
  std::string name{};
  std::map<std::string, std::string> dimensions{};
};
// The metrics of `metric_namespace` in moto's CloudWatch. Empty and `why` set when moto does not
// answer.
std::vector<MotoMetric> MotoMetrics(const MotoServer& moto, const std::string& metric_namespace,
                                    std::string* why = nullptr);
// GetMetricStatistics: the Sum of `metric` with `dimensions` over the last hour (0 when there are
// no data points; -1 and `why` set when moto does not answer).
double MotoMetricSum(const MotoServer& moto, const std::string& metric_namespace,
                     const std::string& metric,
                     const std::map<std::string, std::string>& dimensions,
                     std::string* why = nullptr);

// An EBS volume moto holds, and where it is attached.
struct MotoVolume {
  std::string volume_id{};
  int size_gib = 0;
  std::string volume_type{};
  std::string instance_id{};  // "" when not attached
  std::string device{};       // the attachment's device name
};
// Every volume moto holds. Empty and `why` set when moto does not answer.
std::vector<MotoVolume> MotoVolumes(const MotoServer& moto, std::string* why = nullptr);
// An image's RootDeviceName as moto describes it ("" and `why` set when it does not).
std::string MotoRootDevice(const MotoServer& moto, const std::string& image_id,
                           std::string* why = nullptr);

// moto's default subnets, sorted by availability zone.
std::vector<std::string> MotoDefaultSubnets(const MotoServer& moto, std::string* why = nullptr);

struct ProviderCase;

class E2eWorld {
 public:
  // Starts moto and the proxy (seeded with `seed`), and warms moto's EC2 backend up.
  static std::unique_ptr<E2eWorld> Start(std::string* why, std::uint64_t seed = 1);

  MotoServer& moto() { return *moto_; }
  ChaosProxyProcess& proxy() { return *proxy_; }
  // Where the plugin is pointed: the proxy, with moto's current key (it changes with Reset()).
  AwsAccess endpoint() const { return {proxy_->url(), moto_->credentials()}; }
  // Forgets every resource, every rule (workarounds included), the stats and the ClientToken
  // cache. False on failure.
  bool Reset();
  // Installs `c`'s workarounds for moto's gaps (ProviderCase::moto_workarounds) as proxy rules,
  // kept after the rules of every later SetRules() until the next Reset().
  void Use(const ProviderCase& c);
  // Replaces the proxy's rules with `rules_json`'s, followed by the workarounds in use; fails the
  // test when the proxy refuses them.
  void SetRules(const std::string& rules_json);
  // The proxy's statistics.
  nlohmann::json Stats() const;
  // Requests the proxy received for `action` ("" : all).
  int ProxyRequests(const std::string& action = "") const;
  std::vector<MotoInstance> Instances() const { return MotoInstances(*moto_); }
  std::vector<MotoResource> Resources() const { return MotoResources(*moto_); }
  // What ohfp created that is still alive, one line each: instances pending or running tagged
  // ohfp:provider, live fleets, Spot Fleet requests and groups, launch templates named "ohfp-*".
  // "" when nothing is left (or what went wrong asking moto).
  std::string Leftovers() const;
  // `c`'s templates, with moto's current default subnets where the case needs them (they change
  // with every Reset()).
  nlohmann::json Templates(const ProviderCase& c) const;

 private:
  E2eWorld() = default;
  std::unique_ptr<MotoServer> moto_;
  std::unique_ptr<ChaosProxyProcess> proxy_;
  nlohmann::json workarounds_ = nlohmann::json::array();
};

// One providerApi's templates: "OnDemand" (maxNumber 100, attributes given), "Sized" (no ncpus or
// nram: getAvailableTemplates must find them) and "Limited" (maxNumber 6); and what the scenarios
// need to know about the API.
struct ProviderCase {
  // The case in test names: RunInstances, EC2FleetMaintainModifyFleetViaProxy (the proxy stands
  // in for moto's missing ModifyFleet), SpotFleetMaintain, ASG.
  std::string name{};
  std::string api{};  // providerApi: RunInstances, EC2Fleet, SpotFleet, ASG
  nlohmann::json templates{};
  // The templates get subnetId = moto's default subnets (E2eWorld::Templates()).
  bool needs_subnets = false;
  // Proxy rules answering what moto lacks (E2eWorld::Use()); a comment at each case says which.
  nlohmann::json moto_workarounds = nlohmann::json::array();
  // The resource one acquire request makes besides instances (none for RunInstances).
  std::optional<MotoResource::Kind> resource{};
  // moto lowers that resource's target when machines are returned (not EC2 Fleet: moto has no
  // ModifyFleet, the proxy answers it).
  bool moto_tracks_target = false;
  // The EC2 / Auto Scaling actions that launch a request's machines, and those a return sends to
  // moto before the instances are terminated (crash tests hold them open with latency).
  std::vector<std::string> launch_actions{};
  std::vector<std::string> release_actions{};
  // Trials per crash test (kept small for the fleet APIs so the crash binary stays fast).
  int crash_trials = 3;
};
ProviderCase RunInstancesCase();
// EC2Fleet, fleetType maintain. moto has no ModifyFleet: the proxy answers it (a maintain fleet's
// target is lowered before returned machines are terminated).
ProviderCase Ec2FleetCase();
// SpotFleet, fleetType maintain, priceType spot, a fleet role. Nothing answered by the proxy.
ProviderCase SpotFleetCase();
// ASG. Nothing answered by the proxy.
ProviderCase AsgCase();
// Every case the parameterized scenarios run for.
std::vector<ProviderCase> ProviderCases();
// The name of a case in test names: Providers/CycleTest.X/RunInstances.
std::string CaseName(const ::testing::TestParamInfo<ProviderCase>& param);

// FastTestConfig() with `provider` keys merged in (e.g. {"unclaimed_request_timeout_sec": 1}) and
// `breaker` keys (e.g. {"reset_timeout": 1}) merged into the breakers of aws_ec2, aws_spot_fleet
// and aws_autoscaling.
nlohmann::json ConfigWith(const nlohmann::json& provider, const nlohmann::json& breaker = {});

// A simulator that runs the install's shims with its environment.
hf_simulator::SimulatorOptions SimulatorFor(const PluginInstall& install);

// --- the state database ---
using Row = std::map<std::string, std::string>;  // column -> value as text ("NULL" for null)
// Runs a query on the database, read-only. Empty when the file does not exist or has no such
// table yet (a process killed while creating it).
std::vector<Row> ReadRows(const std::string& db_path, const std::string& sql);
// Every row of the tables HostFactory's requests live in (requests, attempts, machines,
// return_machines), in key order, as text: equal before and after = nothing changed.
std::string StoreSnapshot(const std::string& db_path);

}  // namespace ohfp::testing
