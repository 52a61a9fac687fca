#include "plugin_world.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "aws/autoscaling/groups.h"
#include "aws/ec2/fleets.h"
#include "aws/ec2/instances.h"
#include "aws/ec2/launch_templates.h"
#include "aws/ec2/spot_fleet.h"
#include "hostfactory/installation.h"
#include "hostfactory/process_identity.h"
#include "store/sqlite_request_store.h"

namespace ohfp::testing {

namespace ec2 = aws::ec2;

namespace {

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

}  // namespace

bool Leftovers::Empty() const {
  return instances.empty() && fleets.empty() && spot_fleets.empty() && groups.empty() &&
         launch_templates.empty();
}

std::string Leftovers::ToString() const {
  return "instances [" + JoinIds(instances) + "], fleets [" + JoinIds(fleets) + "], spot fleets [" +
         JoinIds(spot_fleets) + "], groups [" + JoinIds(groups) + "], launch templates [" +
         JoinIds(launch_templates) + "]";
}

model::Template BasicTemplate(std::string id, model::ProviderApi api,
                              std::vector<std::string> subnets) {
  model::Template t;
  t.template_id = std::move(id);
  t.max_number = 100;
  t.image_id = "ami-12c6146b";
  t.vm_type = "c5.large";
  t.subnet_ids = std::move(subnets);
  t.attributes = {
      {"type", "String", "X86_64"}, {"ncpus", "Numeric", "2"}, {"nram", "Numeric", "4096"}};
  t.provider_api = api;
  return t;
}

std::vector<std::string> IdsOf(const nlohmann::ordered_json& machines) {
  std::vector<std::string> ids;
  for (const auto& m : machines) ids.push_back(m["machineId"].get<std::string>());
  return ids;
}

std::pair<nlohmann::ordered_json, nlohmann::ordered_json> Split(
    const nlohmann::ordered_json& machines, std::size_t n) {
  nlohmann::ordered_json first = nlohmann::ordered_json::array();
  nlohmann::ordered_json rest = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < machines.size(); ++i) (i < n ? first : rest).push_back(machines[i]);
  return {first, rest};
}

nlohmann::ordered_json Succeeded(const nlohmann::ordered_json& machines) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& m : machines) {
    if (m.value("result", "") == "succeed") out.push_back(m);
  }
  return out;
}

hostfactory::ServiceOptions GiveUpOnFulfilmentAtOnce() {
  hostfactory::ServiceOptions options;
  options.acquire.fulfillment_timeout = std::chrono::seconds(0);
  return options;
}

PluginWorld::PluginWorld(AwsWorld& aws, std::vector<model::Template> templates,
                         hostfactory::ServiceOptions options, Recording recording)
    : aws_(aws) {
  if (recording == Recording::kOn) recording_ = std::make_unique<RecordingClient>(aws);
  aws::AwsClient& client = recording_ ? recording_->client() : aws_.client();
  templates_.templates = std::move(templates);
  auto store = store::SqliteRequestStore::Open(dir_.path() + "/ohfp-state.db");
  if (!store.ok()) throw std::runtime_error(store.error().ToString());
  store_ = std::move(*store);
  auto log =
      logging::AppLog::Open({.file = dir_.path() + "/app.log", .level = spdlog::level::debug});
  if (!log.ok()) throw std::runtime_error(log.error().ToString());
  log_ = std::move(*log);
  provider_ = std::make_unique<provider::AwsProvider>(client, aws_.clock());
  auto installation = hostfactory::EnsureInstallation(
      *store_, *provider_, random_, *log_,
      {.marker = std::filesystem::path(dir_.path()) / hostfactory::kInstallationMarker,
       .now = model::ToTimestamp(aws_.clock().SystemNow())});
  if (!installation.ok()) throw std::runtime_error(installation.error().ToString());
  installation_id_ = *installation;
  service_ = std::make_unique<hostfactory::HostFactoryService>(
      hostfactory::ServiceDependencies{.store = *store_,
                                       .provider = *provider_,
                                       .templates = templates_,
                                       .clock = aws_.clock(),
                                       .random = random_,
                                       .log = *log_,
                                       .installation_id = installation_id_,
                                       .self = hostfactory::CurrentProcess(),
                                       .is_alive = {}},
      std::move(options));
}

RecordingTransport& PluginWorld::wire() {
  if (!recording_) {
    ADD_FAILURE() << "PluginWorld::wire() needs Recording::kOn";
    throw std::logic_error("PluginWorld::wire() without Recording::kOn");
  }
  return recording_->wire();
}

std::string PluginWorld::Log() const {
  std::ifstream in(dir_.path() + "/app.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string PluginWorld::Request(const std::string& template_id, int count) {
  hostfactory::CommandResult r = service_->RequestMachines({template_id, count});
  EXPECT_EQ(r.exit_code, kExitOk) << r.output.dump();
  return r.output.value("requestId", "");
}

nlohmann::ordered_json PluginWorld::Status(const std::string& request_id) {
  hostfactory::CommandResult r = service_->GetRequestStatus({request_id});
  EXPECT_EQ(r.exit_code, kExitOk) << r.output.dump();
  if (!r.output.contains("requests") || r.output["requests"].empty()) return r.output;
  return r.output["requests"][0];
}

nlohmann::ordered_json PluginWorld::PollUntilDone(const std::string& request_id, int max_polls) {
  nlohmann::ordered_json s;
  for (int i = 0; i < max_polls; ++i) {
    s = Status(request_id);
    if (s.value("status", "") != "running") return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << request_id << " still running after " << max_polls << " polls: " << s.dump();
  return s;
}

std::string PluginWorld::Return(const nlohmann::ordered_json& machines) {
  std::vector<hostfactory::MachineRef> refs;
  for (const auto& m : machines) {
    refs.push_back({m.value("name", ""), m.value("machineId", "")});
  }
  hostfactory::CommandResult r = service_->RequestReturnMachines(refs);
  EXPECT_EQ(r.exit_code, kExitOk) << r.output.dump();
  return r.output.value("requestId", "");
}

nlohmann::ordered_json PluginWorld::PollReturnUntilDone(const std::string& return_id,
                                                        int max_polls) {
  return PollUntilDone(return_id, max_polls);
}

std::vector<std::string> PluginWorld::DefaultSubnets() {
  aws::QueryParams p;
  auto doc =
      aws_.client().Call(aws::AwsService::kEc2, "DescribeSubnets", p, "ec2_describe_subnets");
  std::vector<std::string> out;
  if (!doc.ok()) {
    ADD_FAILURE() << "DescribeSubnets: " << doc.error().ToString();
    return out;
  }
  for (aws::XmlNode item : doc->Find("subnetSet").Children("item")) {
    if (auto id = item.ChildText("subnetId")) out.push_back(*id);
  }
  return out;
}

Leftovers PluginWorld::LeftInMoto() {
  Leftovers left;
  auto instances = ec2::DescribeInstances(
      aws_.client(),
      {.filters = {{"tag-key", {"ohfp:provider"}},
                   {"instance-state-name", {"pending", "running", "stopping", "stopped"}}}});
  EXPECT_TRUE(instances.ok()) << instances.error().ToString();
  if (instances.ok()) {
    for (const auto& i : *instances) left.instances.push_back(i.instance_id);
  }
  auto fleets = ec2::DescribeFleets(aws_.client(), {});
  EXPECT_TRUE(fleets.ok()) << fleets.error().ToString();
  if (fleets.ok()) {
    for (const auto& f : *fleets) {
      if (f.state != ec2::FleetState::kDeleted && f.state != ec2::FleetState::kDeletedRunning &&
          f.state != ec2::FleetState::kDeletedTerminating && f.state != ec2::FleetState::kFailed) {
        left.fleets.push_back(f.fleet_id);
      }
    }
  }
  auto spot = ec2::DescribeSpotFleetRequests(aws_.client(), {});
  EXPECT_TRUE(spot.ok()) << spot.error().ToString();
  if (spot.ok()) {
    for (const auto& f : *spot) {
      if (f.state == ec2::SpotFleetState::kSubmitted || f.state == ec2::SpotFleetState::kActive ||
          f.state == ec2::SpotFleetState::kModifying) {
        left.spot_fleets.push_back(f.spot_fleet_request_id);
      }
    }
  }
  auto groups = aws::autoscaling::DescribeGroups(aws_.client(), {});
  EXPECT_TRUE(groups.ok()) << groups.error().ToString();
  if (groups.ok()) {
    for (const auto& g : *groups) left.groups.push_back(g.name);
  }
  auto templates = ec2::DescribeLaunchTemplates(aws_.client(), {});
  EXPECT_TRUE(templates.ok()) << templates.error().ToString();
  if (templates.ok()) {
    for (const auto& lt : *templates) {
      if (lt.name.rfind("ohfp-", 0) == 0) left.launch_templates.push_back(lt.name);
    }
  }
  return left;
}

}  // namespace ohfp::testing
