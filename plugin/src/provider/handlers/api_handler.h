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
//   class RunInstancesHandler final : public ApiHandler {
//    public:
//     OHFP_API_HANDLER_OPERATIONS;
//   };
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
#include "ohfp/resilience/clock.h"
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

// The five operations as a handler declares them (one list for every handler, like ApiHandler's
// own): a handler's class says OHFP_API_HANDLER_OPERATIONS; in its public section and defines the
// five in its .cc.
#define OHFP_API_HANDLER_OPERATIONS                                                                \
  [[nodiscard]] resilience::Result<AwsLaunchOutcome> Launch(const AwsLaunchSpec& spec) override;   \
  [[nodiscard]] resilience::Result<AwsObservation> Observe(const model::Request& request)          \
      override;                                                                                    \
  [[nodiscard]] resilience::Status Release(const model::Request& request,                          \
                                           const std::vector<std::string>& instance_ids) override; \
  [[nodiscard]] resilience::Status Shrink(const model::Request& request, int keep) override;       \
  [[nodiscard]] resilience::Status Cleanup(const model::Request& request) override

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

// The base of the handlers that back a request with one AWS resource (an EC2 Fleet, a Spot Fleet
// request, an Auto Scaling group): the client, and the wall clock that says how old a request is,
// so that a recorded resource AWS does not list yet counts as not visible yet within the handler's
// grace (describe calls are eventually consistent) and as gone after it.
class ResourceApiHandler : public ApiHandler {
 public:
  ResourceApiHandler(aws::AwsClient& client, const resilience::Clock& clock)
      : client_(client), clock_(clock) {}

 protected:
  aws::AwsClient& client_;
  const resilience::Clock& clock_;
};

// Every instance tagged with the request id, in any state (the request's instances, whatever
// created them).
[[nodiscard]] resilience::Result<std::vector<aws::ec2::Instance>> InstancesTaggedWith(
    aws::AwsClient& client, std::string_view request_id);

}  // namespace ohfp::provider
