// provider/handlers/api_handler.h
//
// ApiHandler: how one providerApi (RunInstances, EC2Fleet, SpotFleet, ASG) creates, observes,
// shrinks and deletes what backs an acquire request. AwsProvider picks the handler from the
// template (on launch) or from the request's recorded providerApi (afterwards), so a template
// edited later cannot confuse a request already running.
//
// Thread-safety: used by one command at a time.
//
// Example:
//   class RunInstancesHandler final : public ApiHandler { ... };
//   Result<LaunchOutcome> out = handler.Launch(spec);
#pragma once

#include <string>
#include <vector>

#include "aws/aws_client.h"
#include "provider/provider.h"

namespace ohfp::provider {

class ApiHandler {
 public:
  virtual ~ApiHandler() = default;
  [[nodiscard]] virtual resilience::Result<LaunchOutcome> Launch(const LaunchSpec& spec) = 0;
  [[nodiscard]] virtual resilience::Result<Observation> Observe(
      const store::RequestRecord& request) = 0;
  [[nodiscard]] virtual resilience::Status Release(
      const store::RequestRecord& request, const std::vector<std::string>& instance_ids) = 0;
  [[nodiscard]] virtual resilience::Status Shrink(const store::RequestRecord& request,
                                                  int keep) = 0;
  [[nodiscard]] virtual resilience::Status Cleanup(const store::RequestRecord& request) = 0;
};

// Every instance tagged with the request id, in any state (the request's instances, whatever
// created them).
[[nodiscard]] resilience::Result<std::vector<aws::ec2::Instance>> InstancesTaggedWith(
    aws::AwsClient& client, std::string_view request_id);

}  // namespace ohfp::provider
