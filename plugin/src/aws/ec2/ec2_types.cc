#include "aws/ec2/ec2_types.h"

namespace ohfp::aws::ec2 {

std::optional<std::string> TagValueIn(const std::vector<Tag>& tags, std::string_view key) {
  for (const Tag& t : tags) {
    if (t.key == key) return t.value;
  }
  return std::nullopt;
}

std::optional<std::string> Instance::TagValue(std::string_view key) const {
  return TagValueIn(tags, key);
}

void AddFilters(QueryParams& params, const std::vector<Filter>& filters) {
  std::size_t n = 0;
  for (const Filter& f : filters) {
    const std::string prefix = QueryParams::FlatKey("Filter", ++n);
    params.AddString(prefix + ".Name", f.name);
    params.AddFlatList(prefix + ".Value", f.values);
  }
}

void AddEbsMapping(QueryParams& params, const std::string& prefix, const EbsVolume& v) {
  params.AddString(prefix + ".DeviceName", v.device_name);
  if (v.size_gib) params.AddInt(prefix + ".Ebs.VolumeSize", *v.size_gib);
  if (!v.volume_type.empty()) params.AddString(prefix + ".Ebs.VolumeType", v.volume_type);
  if (v.iops) params.AddInt(prefix + ".Ebs.Iops", *v.iops);
  if (v.throughput) params.AddInt(prefix + ".Ebs.Throughput", *v.throughput);
  params.AddBool(prefix + ".Ebs.DeleteOnTermination", v.delete_on_termination);
}

void AddTags(QueryParams& params, std::string_view prefix, const std::vector<Tag>& tags) {
  std::size_t m = 0;
  for (const Tag& t : tags) {
    const std::string key = QueryParams::FlatKey(prefix, ++m);
    params.AddString(key + ".Key", t.key);
    params.AddString(key + ".Value", t.value);
  }
}

void AddTagSpecification(QueryParams& params, int index, std::string_view resource_type,
                         const std::vector<Tag>& tags) {
  if (tags.empty()) return;
  const std::string prefix =
      QueryParams::FlatKey("TagSpecification", static_cast<std::size_t>(index));
  params.AddString(prefix + ".ResourceType", resource_type);
  AddTags(params, prefix + ".Tag", tags);
}

std::vector<Tag> ParseTags(XmlNode tag_set) {
  std::vector<Tag> tags;
  for (const XmlNode& item : tag_set.Children("item")) {
    tags.push_back(Tag{item.ChildText("key").value_or(""), item.ChildText("value").value_or("")});
  }
  return tags;
}

resilience::Result<Instance> ParseInstance(XmlNode item) {
  Instance i;
  i.instance_id = item.ChildText("instanceId").value_or("");
  if (i.instance_id.empty()) {
    return resilience::Error(resilience::ErrorKind::kInternal, "UnexpectedResponse",
                             "an EC2 instance item without instanceId");
  }
  i.image_id = item.ChildText("imageId").value_or("");
  i.instance_type = item.ChildText("instanceType").value_or("");
  i.state = item.Child("instanceState").ChildText("name").value_or("");
  i.state_reason = item.Child("stateReason").ChildText("message").value_or("");
  i.private_dns_name = item.ChildText("privateDnsName").value_or("");
  i.private_ip_address = item.ChildText("privateIpAddress").value_or("");
  i.public_ip_address = item.ChildText("ipAddress").value_or("");
  i.subnet_id = item.ChildText("subnetId").value_or("");
  i.availability_zone = item.Child("placement").ChildText("availabilityZone").value_or("");
  i.lifecycle = item.ChildText("instanceLifecycle").value_or("");
  i.spot_instance_request_id = item.ChildText("spotInstanceRequestId").value_or("");
  if (XmlNode t = item.Child("launchTime"); t) {
    if (auto when = t.AsTimestamp(); when.ok()) i.launch_time = *when;
  }
  i.tags = ParseTags(item.Child("tagSet"));
  return i;
}

}  // namespace ohfp::aws::ec2
