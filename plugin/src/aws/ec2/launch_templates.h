// aws/ec2/launch_templates.h
//
// Typed EC2 launch template operations, each one call through the resilience pipeline under its
// operation name:
//   CreateLaunchTemplate     ec2_create_launch_template     ClientToken: the caller's, the same
//                                                           on every retry
//   DescribeLaunchTemplates  ec2_describe_launch_templates  pagination followed
//   DeleteLaunchTemplate     ec2_delete_launch_template
//
// The plugin creates one template per HostFactory request (an EC2 Fleet or Spot Fleet launches
// from it), tags the template and what it launches, finds its templates again after a crash by
// tag, and deletes them when done.
//
// Errors the plugin decides on (kinds, never codes):
//   - CreateLaunchTemplate, kAlreadyExists: the name is in use. On AWS the same name with the same
//     ClientToken returns the first answer instead; a retry without a token (or on moto, which
//     ignores tokens) gets kAlreadyExists: the template exists, look it up by name.
//   - DescribeLaunchTemplates, kNotFound: a name (on AWS also an id) in `names`/`ids` does not
//     exist, and the whole call fails; moto answers unknown ids with an empty list. Tag filters
//     never fail: no match is an empty list.
//   - DeleteLaunchTemplate, kNotFound: no such template (already deleted); treat it as done.
//     Delete by id: moto answers an unknown name with MissingParameter (kValidation).
//
// moto ignores ClientToken (ohfp-chaos-proxy emulates it) and, without MaxResults, returns at
// most 15 templates and no nextToken; DescribeLaunchTemplates therefore asks for pages of 200
// when it lists by filter.
//
// Thread-safety: stateless functions over a thread-safe AwsClient.
//
// Example:
//   LaunchTemplateData data{.image_id = "ami-1", .instance_type = "c5.large",
//                           .tags = {{"ohfp:request-id", "r7"}}};
//   Result<LaunchTemplate> lt = CreateLaunchTemplate(
//       client, {.name = "ohfp-r7", .client_token = "r7-lt", .data = data,
//                .template_tags = {{"ohfp:request-id", "r7"}}});
//   auto mine = DescribeLaunchTemplates(client, {.filters = {{"tag:ohfp:request-id", {"r7"}}}});
//   Result<LaunchTemplate> gone = DeleteLaunchTemplate(client, {.id = lt->id});
#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_client.h"
#include "aws/ec2/ec2_types.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws::ec2 {

// What the template launches (LaunchTemplateData). Empty strings, empty lists and nullopt are left
// out.
struct LaunchTemplateData {
  std::string image_id{};
  std::string instance_type{};
  std::string key_name{};
  std::vector<std::string> security_group_ids{};
  std::string user_data{};                 // plain text; base64-encoded on the wire
  std::string iam_instance_profile{};      // a name, or an ARN ("arn:...")
  std::vector<Tag> tags{};                 // applied to the launched instances and their volumes
  std::optional<EbsVolume> root_volume{};  // BlockDeviceMapping.1
  std::optional<bool> ebs_optimized{};
  std::string placement_group{};  // Placement.GroupName
  std::string tenancy{};          // Placement.Tenancy: default, dedicated, host
  // InstanceMarketOptions spot, for RunInstances from the template. Leave it off in templates an
  // EC2 Fleet or Spot Fleet launches from: the fleet chooses the market (its capacity types).
  bool spot = false;
  std::string max_spot_price{};  // with `spot`; empty: the on-demand price caps it
};

struct CreateLaunchTemplateRequest {
  std::string name{};          // unique in the region, 3-128 characters
  std::string client_token{};  // at most 64 ASCII characters; empty: none (not idempotent)
  LaunchTemplateData data{};
  std::vector<Tag> template_tags{};  // on the launch template itself (find it again by tag)
  std::string version_description{};
};

struct LaunchTemplate {
  std::string id{};  // lt-...
  std::string name{};
  std::int64_t default_version = 0;
  std::int64_t latest_version = 0;
  std::optional<resilience::SysTime> create_time{};
  std::vector<Tag> tags{};

  // The value of tag `key`, if present.
  std::optional<std::string> TagValue(std::string_view key) const;
};

// Every list may be empty; all empty: every template in the region.
struct DescribeLaunchTemplatesRequest {
  std::vector<std::string> ids{};
  std::vector<std::string> names{};
  std::vector<Filter> filters{};  // "tag:<key>", "tag-key", "launch-template-name", "create-time"
};

// One of the two (at least one must be set); the id wins when both are.
struct DeleteLaunchTemplateRequest {
  std::string id{};
  std::string name{};
};

[[nodiscard]] resilience::Result<LaunchTemplate> CreateLaunchTemplate(
    AwsClient& client, const CreateLaunchTemplateRequest& request, std::stop_token stop = {});
[[nodiscard]] resilience::Result<std::vector<LaunchTemplate>> DescribeLaunchTemplates(
    AwsClient& client, const DescribeLaunchTemplatesRequest& request, std::stop_token stop = {});
// The deleted template (id, name, default version).
[[nodiscard]] resilience::Result<LaunchTemplate> DeleteLaunchTemplate(
    AwsClient& client, const DeleteLaunchTemplateRequest& request, std::stop_token stop = {});

}  // namespace ohfp::aws::ec2
