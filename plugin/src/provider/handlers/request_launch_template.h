// provider/handlers/request_launch_template.h
//
// The launch template ohfp creates for one acquire request that an EC2 Fleet, a Spot Fleet or an
// Auto Scaling group launches from. Its name is "ohfp-<request id>" and its ClientToken
// "<request id>-lt", so creating it again after a crash or a lost answer finds the first one
// instead of making a second; it carries the request's tags (on itself, and on every instance and
// volume launched from it), so instances are found by tag whatever launched them. When the
// HostFactory template names its own launchTemplateId, that one is used as is and nothing is
// created or deleted (its instances are then tagged after launch, see TagUntagged).
//
// Thread-safety: stateless functions over a thread-safe AwsClient.
//
// Example:
//   Result<RequestLaunchTemplate> lt = EnsureRequestLaunchTemplate(client, spec);
//   // ... CreateFleet with {lt->id, lt->version} ...
//   Status gone = DeleteRequestLaunchTemplate(client, request);   // at cleanup; idempotent
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_client.h"
#include "aws/ec2/launch_templates.h"
#include "provider/handlers/api_handler.h"

namespace ohfp::provider {

struct RequestLaunchTemplate {
  std::string id{};       // lt-...
  std::string version{};  // "$Default" for ohfp's own; the template's choice otherwise
  bool owned = false;     // created by ohfp for this request (deleted at cleanup)
};

// Whether ohfp's launch template can go after a create call failed with `error`: the call was
// refused (provider/launch_verdict.h) for a reason no later attempt of the request gets around. A
// capacity refusal keeps it (the next attempt, in another subnet, uses it), and so does an unknown
// outcome (what was created may use it).
bool LaunchTemplateNoLongerNeeded(const resilience::Error& error);

// "ohfp-<request id>".
std::string RequestLaunchTemplateName(std::string_view request_id);

// The root volume the template sets (size, type, IOPS, throughput) on the image's own root device
// (spec.root_device_name, from DescribeImages); nullopt when it sets none. kValidation when it sets
// one and the device is unknown: the size is never sent to a device the image may not have.
[[nodiscard]] resilience::Result<std::optional<aws::ec2::EbsVolume>> RootVolumeFor(
    const AwsLaunchSpec& spec);

// What the request's instances are launched with: the spec's image, the template's first instance
// type, key, security groups, instance profile, root volume (RootVolumeFor), EBS optimisation,
// placement group and tenancy, the spec's user data and tags. No market options: the fleet or
// group decides On-Demand or Spot.
[[nodiscard]] resilience::Result<aws::ec2::LaunchTemplateData> LaunchTemplateDataFor(
    const AwsLaunchSpec& spec);

// The template's own launchTemplateId (at its launchTemplateVersion), or ohfp's template for the
// request (created now, or found by name when it already exists).
[[nodiscard]] resilience::Result<RequestLaunchTemplate> EnsureRequestLaunchTemplate(
    aws::AwsClient& client, const AwsLaunchSpec& spec);

// ohfp's launch template for the request, found by its ohfp:request-id tag (empty id: none).
[[nodiscard]] resilience::Result<std::string> FindRequestLaunchTemplate(
    aws::AwsClient& client, std::string_view request_id);

// Deletes ohfp's launch template(s) for the request: the recorded one and any found by tag. A
// template already gone is fine; a template the user named (not ohfp's) is never touched.
[[nodiscard]] resilience::Status DeleteRequestLaunchTemplate(aws::AwsClient& client,
                                                             const model::Request& request);

// Tags the instances among `instances` that lack the request's ohfp:request-id tag with the
// request's ohfp tags (instances an API could not tag at launch), and updates `instances` to say
// so. `tags` are the tags to add.
[[nodiscard]] resilience::Status TagUntagged(aws::AwsClient& client,
                                             std::vector<aws::ec2::Instance>& instances,
                                             std::string_view request_id,
                                             const std::vector<aws::ec2::Tag>& tags);

}  // namespace ohfp::provider
