#include "provider/handlers/request_launch_template.h"

#include <algorithm>

#include "aws/ec2/instances.h"
#include "provider/launch_verdict.h"

namespace ohfp::provider {

bool LaunchTemplateNoLongerNeeded(const resilience::Error& error) {
  return LaunchVerdictOf(error) == LaunchVerdict::kRefused &&
         error.kind() != resilience::ErrorKind::kCapacity;
}

using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

std::string RequestLaunchTemplateName(std::string_view request_id) {
  return "ohfp-" + std::string(request_id);
}

Result<std::optional<aws::ec2::EbsVolume>> RootVolumeFor(const AwsLaunchSpec& spec) {
  const model::Template& t = *spec.tmpl;
  if (!t.SetsRootVolume()) return std::optional<aws::ec2::EbsVolume>();
  if (spec.root_device_name.empty()) {
    return resilience::Error(
        ErrorKind::kValidation, "RootDeviceUnknown",
        "template " + t.template_id + " sets the root volume, but the root device of image " +
            (spec.Image().empty() ? std::string("(none)") : spec.Image()) +
            " is unknown: ohfp sends the volume to the image's own root device only");
  }
  return std::optional<aws::ec2::EbsVolume>(aws::ec2::EbsVolume{
      .device_name = spec.root_device_name,
      .size_gib = t.root_device_volume_size,
      .volume_type = t.volume_type,
      .iops = t.iops,
      .throughput = t.volume_throughput,
  });
}

Result<aws::ec2::LaunchTemplateData> LaunchTemplateDataFor(const AwsLaunchSpec& spec) {
  const model::Template& t = *spec.tmpl;
  Result<std::optional<aws::ec2::EbsVolume>> root = RootVolumeFor(spec);
  if (!root.ok()) return root.error();
  aws::ec2::LaunchTemplateData d;
  d.image_id = spec.Image();
  d.instance_type = t.vm_type;
  d.key_name = t.key_name;
  d.security_group_ids = t.security_group_ids;
  d.user_data = spec.user_data;
  d.iam_instance_profile = t.instance_profile;
  d.tags = spec.tags;
  d.root_volume = *root;
  d.ebs_optimized = t.ebs_optimized;
  d.placement_group = t.placement_group;
  if (t.tenancy) d.tenancy = std::string(model::TenancyName(*t.tenancy));
  return d;
}

Result<RequestLaunchTemplate> EnsureRequestLaunchTemplate(aws::AwsClient& client,
                                                          const AwsLaunchSpec& spec) {
  if (!spec.tmpl->launch_template_id.empty()) {
    return RequestLaunchTemplate{spec.tmpl->launch_template_id, spec.tmpl->LaunchTemplateVersion(),
                                 false};
  }
  Result<aws::ec2::LaunchTemplateData> data = LaunchTemplateDataFor(spec);
  if (!data.ok()) return data.error();
  const std::string name = RequestLaunchTemplateName(spec.request_id);
  Result<aws::ec2::LaunchTemplate> created = aws::ec2::CreateLaunchTemplate(
      client, {.name = name,
               .client_token = spec.request_id + "-lt",
               .data = std::move(*data),
               .template_tags = spec.tags,
               .version_description = "ohfp request " + spec.request_id});
  if (created.ok()) return RequestLaunchTemplate{created->id, "$Default", true};
  if (created.error().kind() != ErrorKind::kAlreadyExists) return created.error();
  // Made by an earlier attempt whose answer was lost: the same request, the same content.
  Result<std::vector<aws::ec2::LaunchTemplate>> found =
      aws::ec2::DescribeLaunchTemplates(client, {.names = {name}});
  if (!found.ok()) return found.error();
  if (found->empty()) return created.error();
  return RequestLaunchTemplate{found->front().id, "$Default", true};
}

Result<std::string> FindRequestLaunchTemplate(aws::AwsClient& client, std::string_view request_id) {
  Result<std::vector<aws::ec2::LaunchTemplate>> found = aws::ec2::DescribeLaunchTemplates(
      client,
      {.filters = {{"tag:" + std::string(model::kTagRequestId), {std::string(request_id)}}}});
  if (!found.ok()) return found.error();
  for (const aws::ec2::LaunchTemplate& lt : *found) {
    if (lt.name == RequestLaunchTemplateName(request_id)) return lt.id;
  }
  return std::string();
}

Status DeleteRequestLaunchTemplate(aws::AwsClient& client, const model::Request& request) {
  std::vector<std::string> ids;
  Result<std::string> found = FindRequestLaunchTemplate(client, request.id);
  if (!found.ok()) return found.error();
  if (!found->empty()) ids.push_back(*found);
  // The recorded id is deleted only when it is ohfp's (found by its tag above): a template the
  // user named in launchTemplateId is recorded too, and must survive.
  for (const std::string& id : ids) {
    Result<aws::ec2::LaunchTemplate> gone = aws::ec2::DeleteLaunchTemplate(client, {.id = id});
    if (!gone.ok() && gone.error().kind() != ErrorKind::kNotFound) return gone.error();
  }
  return resilience::OkStatus();
}

Status TagUntagged(aws::AwsClient& client, std::vector<aws::ec2::Instance>& instances,
                   std::string_view request_id, const std::vector<aws::ec2::Tag>& tags) {
  std::vector<std::string> untagged;
  for (const aws::ec2::Instance& i : instances) {
    if (i.TagValue(model::kTagRequestId) != request_id) untagged.push_back(i.instance_id);
  }
  if (untagged.empty() || tags.empty()) return resilience::OkStatus();
  if (Status s = aws::ec2::CreateTags(client, untagged, tags); !s.ok()) return s;
  for (aws::ec2::Instance& i : instances) {
    if (std::find(untagged.begin(), untagged.end(), i.instance_id) == untagged.end()) continue;
    for (const aws::ec2::Tag& t : tags) {
      auto it = std::find_if(i.tags.begin(), i.tags.end(),
                             [&](const aws::ec2::Tag& have) { return have.key == t.key; });
      if (it == i.tags.end()) {
        i.tags.push_back(t);
      } else {
        it->value = t.value;
      }
    }
  }
  return resilience::OkStatus();
}

}  // namespace ohfp::provider
