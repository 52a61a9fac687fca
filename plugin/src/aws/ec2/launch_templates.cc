#include "aws/ec2/launch_templates.h"

#include <cassert>
#include <utility>

#include "aws/ec2/instances.h"

namespace ohfp::aws::ec2 {
namespace {

using resilience::Result;

// DescribeLaunchTemplates' largest page. Sent only without ids or names (where the answer is
// bounded anyway); moto needs it: without MaxResults it returns the first 15 templates and no
// nextToken.
constexpr int kDescribePageSize = 200;

// A <launchTemplate> element, or an <item> of <launchTemplates>.
Result<LaunchTemplate> ParseLaunchTemplate(XmlNode node) {
  LaunchTemplate t;
  t.id = node.ChildText("launchTemplateId").value_or("");
  if (t.id.empty()) return UnexpectedResponse("a launch template without launchTemplateId");
  t.name = node.ChildText("launchTemplateName").value_or("");
  t.default_version = node.ChildInt64("defaultVersionNumber").value_or(0);
  t.latest_version = node.ChildInt64("latestVersionNumber").value_or(0);
  if (XmlNode created = node.Child("createTime"); created) {
    if (auto when = created.AsTimestamp(); when.ok()) t.create_time = *when;
  }
  t.tags = ParseTags(node.Child("tagSet"));
  return t;
}

void AddLaunchTemplateData(QueryParams& p, const LaunchTemplateData& d) {
  const std::string prefix = "LaunchTemplateData.";
  if (!d.image_id.empty()) p.AddString(prefix + "ImageId", d.image_id);
  if (!d.instance_type.empty()) p.AddString(prefix + "InstanceType", d.instance_type);
  if (!d.key_name.empty()) p.AddString(prefix + "KeyName", d.key_name);
  p.AddFlatList(prefix + "SecurityGroupId", d.security_group_ids);
  if (!d.user_data.empty()) p.AddString(prefix + "UserData", Base64Encode(d.user_data));
  if (!d.iam_instance_profile.empty()) {
    p.AddString(prefix + (d.iam_instance_profile.starts_with("arn:") ? "IamInstanceProfile.Arn"
                                                                     : "IamInstanceProfile.Name"),
                d.iam_instance_profile);
  }
  if (d.root_volume) AddEbsMapping(p, prefix + "BlockDeviceMapping.1", *d.root_volume);
  if (d.ebs_optimized) p.AddBool(prefix + "EbsOptimized", *d.ebs_optimized);
  if (!d.placement_group.empty()) p.AddString(prefix + "Placement.GroupName", d.placement_group);
  if (!d.tenancy.empty()) p.AddString(prefix + "Placement.Tenancy", d.tenancy);
  if (d.spot) {
    p.AddString(prefix + "InstanceMarketOptions.MarketType", "spot");
    if (!d.max_spot_price.empty()) {
      p.AddString(prefix + "InstanceMarketOptions.SpotOptions.MaxPrice", d.max_spot_price);
    }
  }
  if (!d.tags.empty()) {
    std::size_t n = 0;
    for (const char* resource_type : {"instance", "volume"}) {
      const std::string spec = QueryParams::FlatKey(prefix + "TagSpecification", ++n);
      p.AddString(spec + ".ResourceType", resource_type);
      AddTags(p, spec + ".Tag", d.tags);
    }
  }
}

}  // namespace

std::optional<std::string> LaunchTemplate::TagValue(std::string_view key) const {
  return TagValueIn(tags, key);
}

Result<LaunchTemplate> CreateLaunchTemplate(AwsClient& client, const CreateLaunchTemplateRequest& r,
                                            std::stop_token stop) {
  QueryParams p;
  if (!r.client_token.empty()) p.AddString("ClientToken", r.client_token);
  p.AddString("LaunchTemplateName", r.name);
  if (!r.version_description.empty()) p.AddString("VersionDescription", r.version_description);
  AddLaunchTemplateData(p, r.data);
  AddTagSpecification(p, 1, "launch-template", r.template_tags);
  Result<XmlDocument> doc = client.Create(AwsService::kEc2, "CreateLaunchTemplate", p,
                                          "ec2_create_launch_template", std::move(stop));
  if (!doc.ok()) return doc.error();
  const XmlNode node = doc->Root().Child("launchTemplate");
  if (!node) return UnexpectedResponse("CreateLaunchTemplate answered without launchTemplate");
  return ParseLaunchTemplate(node);
}

Result<std::vector<LaunchTemplate>> DescribeLaunchTemplates(AwsClient& client,
                                                            const DescribeLaunchTemplatesRequest& r,
                                                            std::stop_token stop) {
  QueryParams p;
  p.AddFlatList("LaunchTemplateId", r.ids);
  p.AddFlatList("LaunchTemplateName", r.names);
  AddFilters(p, r.filters);
  if (r.ids.empty() && r.names.empty()) p.AddInt("MaxResults", kDescribePageSize);
  return client.CollectPages<LaunchTemplate>(
      AwsService::kEc2, "DescribeLaunchTemplates", std::move(p), "ec2_describe_launch_templates",
      {.set = "launchTemplates"}, ParseLaunchTemplate, std::move(stop));
}

Result<LaunchTemplate> DeleteLaunchTemplate(AwsClient& client, const DeleteLaunchTemplateRequest& r,
                                            std::stop_token stop) {
  assert(!r.id.empty() || !r.name.empty());
  QueryParams p;
  if (!r.id.empty()) {
    p.AddString("LaunchTemplateId", r.id);
  } else {
    p.AddString("LaunchTemplateName", r.name);
  }
  Result<XmlDocument> doc = client.Call(AwsService::kEc2, "DeleteLaunchTemplate", p,
                                        "ec2_delete_launch_template", std::move(stop));
  if (!doc.ok()) return doc.error();
  const XmlNode node = doc->Root().Child("launchTemplate");
  if (!node) return UnexpectedResponse("DeleteLaunchTemplate answered without launchTemplate");
  return ParseLaunchTemplate(node);
}

}  // namespace ohfp::aws::ec2
