// provider/handlers/api_handler.h
//
// ApiHandler: how one providerApi (RunInstances, EC2Fleet, SpotFleet, ASG) creates, observes,
// shrinks and deletes what backs an acquire request. AwsProvider picks the handler from the
// template (on launch) or from the request's recorded providerApi (afterwards), so a template
// edited later cannot confuse a request already running.
//
// Handlers work in AWS's terms: the launch spec's tags and the instances they report are
// aws::ec2 types. AwsProvider (aws_provider.h) translates between them and the model's
// (provider/provider.h), so the model's types stay free of AWS and the handlers of the model's
// instance records.
//
// Thread-safety: used by one command at a time.
//
// Example:
//   class RunInstancesHandler final : public ApiHandler { ... };
//   Result<AwsLaunchOutcome> out = handler.Launch(spec);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aws/aws_client.h"
#include "aws/ec2/ec2_types.h"
#include "model/request.h"
#include "model/tag.h"
#include "model/template.h"
#include "ohfp/resilience/result.h"

namespace ohfp::provider {

// provider::LaunchSpec with the tags in AWS's form.
struct AwsLaunchSpec {
  const model::Template* tmpl = nullptr;
  std::string request_id{};
  int count = 0;
  int attempt = 1;
  std::string client_token{};
  std::vector<aws::ec2::Tag> tags{};
  std::string user_data{};
  std::string image_id{};          // empty: the launch template's
  std::string root_device_name{};  // the image's root device (provider::LaunchSpec)

  // The image to launch: image_id, else the template's.
  const std::string& Image() const { return image_id.empty() ? tmpl->image_id : image_id; }
};

struct AwsLaunchOutcome {
  std::vector<aws::ec2::Instance> instances{};  // the instances known now
  std::string resource_id{};                    // the fleet, Spot Fleet request or group created
  std::string launch_template_id{};             // the launch template created
  std::vector<std::string> errors{};            // what AWS said about capacity it could not give
};

struct AwsObservation {
  std::vector<aws::ec2::Instance> instances{};  // every instance of the request, in any state
  bool fulfilling = false;                      // more instances may still come
  std::vector<std::string> errors{};            // fulfilment errors AWS reported
  std::optional<double> running_capacity{};     // with weighted instance types
  std::string resource_id{};                    // the fleet, Spot Fleet request or group found
  std::string launch_template_id{};             // the launch template found
};

class ApiHandler {
 public:
  virtual ~ApiHandler() = default;
  [[nodiscard]] virtual resilience::Result<AwsLaunchOutcome> Launch(const AwsLaunchSpec& spec) = 0;
  [[nodiscard]] virtual resilience::Result<AwsObservation> Observe(
      const model::Request& request) = 0;
  [[nodiscard]] virtual resilience::Status Release(
      const model::Request& request, const std::vector<std::string>& instance_ids) = 0;
  [[nodiscard]] virtual resilience::Status Shrink(const model::Request& request, int keep) = 0;
  [[nodiscard]] virtual resilience::Status Cleanup(const model::Request& request) = 0;
};

// Every instance tagged with the request id, in any state (the request's instances, whatever
// created them).
[[nodiscard]] resilience::Result<std::vector<aws::ec2::Instance>> InstancesTaggedWith(
    aws::AwsClient& client, std::string_view request_id);

}  // namespace ohfp::provider
