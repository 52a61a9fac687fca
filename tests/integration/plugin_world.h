// tests/integration/plugin_world.h
//
// PluginWorld: the HostFactory service as one plugin process would run it (SqliteRequestStore in a
// temporary directory, the installation's identity made sure of there, AwsProvider over an
// AwsWorld's client, a real JSON-lines log there) for in-process end-to-end tests of a providerApi
// against moto, plus what a test asserts afterwards: what ohfp left behind in moto. With
// Recording::kOn the provider talks through a RecordingClient, so a test can read what the service
// sent (the world's own client, which LeftInMoto and DefaultSubnets use, is not recorded).
//
// Thread-safety: one world per thread.
//
// Example:
//   PluginWorld plugin(aws_world, {Ec2FleetTemplate("Fleet", subnets)});
//   std::string id = plugin.Request("Fleet", 4);
//   nlohmann::ordered_json done = plugin.PollUntilDone(id);         // "complete"
//   plugin.PollReturnUntilDone(plugin.Return(done["machines"]));
//   EXPECT_TRUE(plugin.LeftInMoto().Empty()) << plugin.LeftInMoto().ToString();
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "aws_world.h"
#include "base/exit_codes.h"
#include "hostfactory/service.h"
#include "logging/app_log.h"
#include "model/template.h"
#include "ohfp/resilience/random.h"
#include "provider/aws_provider.h"
#include "recording_client.h"
#include "store/request_store.h"
#include "subprocess.h"

namespace ohfp::testing {

// What ohfp created that still exists in moto: live instances tagged ohfp:provider, fleets and
// Spot Fleet requests not deleted or cancelled, Auto Scaling groups, launch templates named
// "ohfp-*".
struct Leftovers {
  std::vector<std::string> instances{};
  std::vector<std::string> fleets{};
  std::vector<std::string> spot_fleets{};
  std::vector<std::string> groups{};
  std::vector<std::string> launch_templates{};
  bool Empty() const;
  std::string ToString() const;
};

// A template for `api` ("RunInstances", "EC2Fleet", "SpotFleet", "ASG") with the fields moto
// needs: an image, c5.large, the given subnets, maxNumber 100.
model::Template BasicTemplate(std::string id, model::ProviderApi api,
                              std::vector<std::string> subnets = {});

// getRequestStatus machines (entries with "machineId", "result", ...): their machineIds; the first
// `n` of them and the rest; those whose result is "succeed".
std::vector<std::string> IdsOf(const nlohmann::ordered_json& machines);
std::pair<nlohmann::ordered_json, nlohmann::ordered_json> Split(
    const nlohmann::ordered_json& machines, std::size_t n);
nlohmann::ordered_json Succeeded(const nlohmann::ordered_json& machines);

// ServiceOptions with a fulfilment timeout of 0: the first poll that finds a fleet or group short
// of its target keeps what it has and ends the request.
hostfactory::ServiceOptions GiveUpOnFulfilmentAtOnce();

class PluginWorld {
 public:
  // Whether the provider's requests are recorded (wire()).
  enum class Recording { kOff, kOn };

  PluginWorld(AwsWorld& aws, std::vector<model::Template> templates,
              hostfactory::ServiceOptions options = {}, Recording recording = Recording::kOff);

  hostfactory::HostFactoryService& service() { return *service_; }
  store::RequestStore& store() { return *store_; }
  provider::AwsProvider& provider() { return *provider_; }
  model::TemplateSet& templates() { return templates_; }
  // This installation's identity (the ohfp:installation tag on what it creates).
  const std::string& installation_id() const { return installation_id_; }
  // What the provider sent; only with Recording::kOn (a test failure and a throw otherwise).
  RecordingTransport& wire();
  // The app.log lines so far.
  std::string Log() const;

  // requestMachines: the request id (empty, and a test failure, when the command failed).
  std::string Request(const std::string& template_id, int count);
  // getRequestStatus of one request: its entry of "requests".
  nlohmann::ordered_json Status(const std::string& request_id);
  // Polls until the request is no longer "running" (at most `max_polls`, 50 ms apart).
  nlohmann::ordered_json PollUntilDone(const std::string& request_id, int max_polls = 60);
  // requestReturnMachines for these machines (entries with "name" and "machineId", as
  // getRequestStatus prints them): the return request id.
  std::string Return(const nlohmann::ordered_json& machines);
  nlohmann::ordered_json PollReturnUntilDone(const std::string& return_id, int max_polls = 60);

  // moto's default subnets (one per availability zone).
  std::vector<std::string> DefaultSubnets();
  Leftovers LeftInMoto();

 private:
  AwsWorld& aws_;
  TempDir dir_;
  std::unique_ptr<RecordingClient> recording_;
  model::TemplateSet templates_;
  std::unique_ptr<store::RequestStore> store_;
  std::unique_ptr<logging::AppLog> log_;
  resilience::SeededRandom random_{11};
  std::unique_ptr<provider::AwsProvider> provider_;
  std::string installation_id_;
  std::unique_ptr<hostfactory::HostFactoryService> service_;
};

}  // namespace ohfp::testing
