// provider/handlers/run_instances_handler.h
//
// RunInstancesHandler: an acquire request is one RunInstances call per attempt, MinCount = MaxCount
// = the count asked for (all or nothing: EC2 answers InsufficientInstanceCapacity rather than
// launching fewer), with the attempt's ClientToken, the template's settings and the request's tags
// on the instances and their volumes, the root volume on the image's own root device, EBS
// optimisation, the placement group and tenancy, and the template's launchTemplateId at its
// launchTemplateVersion. Attempt N uses the template's subnets in turn (subnet N mod
// count), so a retry after a capacity error tries another zone. Instances are found again by tag;
// returning terminates exactly the returned instances; there is nothing to clean up.
//
// Thread-safety: used by one command at a time.
//
// Example:
//   RunInstancesHandler handler(client);
//   Result<AwsLaunchOutcome> out = handler.Launch(spec);
#pragma once

#include "aws/ec2/instances.h"
#include "provider/handlers/api_handler.h"

namespace ohfp::provider {

class RunInstancesHandler final : public ApiHandler {
 public:
  explicit RunInstancesHandler(aws::AwsClient& client) : client_(client) {}

  OHFP_API_HANDLER_OPERATIONS;

 private:
  aws::AwsClient& client_;
};

// The RunInstances request for a launch spec: what Launch() sends, exposed for tests. kValidation
// when the template sets a root volume and the image's root device is unknown (RootVolumeFor).
[[nodiscard]] resilience::Result<aws::ec2::RunInstancesRequest> RunInstancesRequestFor(
    const AwsLaunchSpec& spec);

}  // namespace ohfp::provider
