// tests/integration/plugin_world.h
//
// PluginWorld: the HostFactory service as one plugin process would run it (RequestStore in a
// temporary directory, AwsProvider over an AwsWorld's client, a real JSON-lines log there) for
// in-process end-to-end tests of a providerApi against moto, plus what a test asserts afterwards:
// what ohfp left behind in moto.
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
#include <vector>

#include "aws_world.h"
#include "hostfactory/service.h"
#include "logging/app_log.h"
#include "ohfp/resilience/random.h"
#include "provider/aws_provider.h"
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
hostfactory::Template BasicTemplate(std::string id, hostfactory::ProviderApi api,
                                    std::vector<std::string> subnets = {});

class PluginWorld {
 public:
  PluginWorld(AwsWorld& aws, std::vector<hostfactory::Template> templates,
              hostfactory::ServiceOptions options = {});

  hostfactory::HostFactoryService& service() { return *service_; }
  store::RequestStore& store() { return *store_; }
  provider::AwsProvider& provider() { return *provider_; }
  hostfactory::TemplateSet& templates() { return templates_; }
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
  hostfactory::TemplateSet templates_;
  std::unique_ptr<store::RequestStore> store_;
  std::unique_ptr<logging::AppLog> log_;
  resilience::SeededRandom random_{11};
  std::unique_ptr<provider::AwsProvider> provider_;
  std::unique_ptr<hostfactory::HostFactoryService> service_;
};

}  // namespace ohfp::testing
