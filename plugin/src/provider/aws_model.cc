#include "provider/aws_model.h"

#include <utility>

namespace ohfp::provider {

model::Instance ToModel(const aws::ec2::Instance& i) {
  model::Instance m;
  m.id = i.instance_id;
  m.state = model::InstanceStateFromName(i.state);
  m.state_reason = i.state_reason;
  m.instance_type = i.instance_type;
  m.private_dns_name = i.private_dns_name;
  m.private_ip = i.private_ip_address;
  m.public_ip = i.public_ip_address;
  if (i.launch_time) {
    m.launch_time = std::chrono::time_point_cast<std::chrono::seconds>(*i.launch_time);
  }
  m.lifecycle = i.lifecycle == "spot" ? model::Lifecycle::kSpot : model::Lifecycle::kOnDemand;
  m.spot_request_id = i.spot_instance_request_id;
  for (const aws::ec2::Tag& t : i.tags) m.tags.push_back({t.key, t.value});
  m.request_id = model::TagValue(m.tags, model::kTagRequestId).value_or("");
  m.installation_id = model::TagValue(m.tags, model::kTagInstallation).value_or("");
  return m;
}

std::vector<model::Instance> ToModel(const std::vector<aws::ec2::Instance>& instances) {
  std::vector<model::Instance> out;
  out.reserve(instances.size());
  for (const aws::ec2::Instance& i : instances) out.push_back(ToModel(i));
  return out;
}

std::vector<aws::ec2::Tag> ToAws(const std::vector<model::Tag>& tags) {
  std::vector<aws::ec2::Tag> out;
  out.reserve(tags.size());
  for (const model::Tag& t : tags) out.push_back({t.key, t.value});
  return out;
}

AwsLaunchSpec ToAws(const LaunchSpec& spec) {
  return {spec.tmpl,        spec.request_id, spec.count,    spec.attempt,         spec.client_token,
          ToAws(spec.tags), spec.user_data,  spec.image_id, spec.root_device_name};
}

LaunchOutcome ToModel(AwsLaunchOutcome outcome) {
  return {ToModel(outcome.instances),
          {std::move(outcome.resource_id), std::move(outcome.launch_template_id)},
          std::move(outcome.errors)};
}

model::Observation ToModel(AwsObservation observation) {
  return {ToModel(observation.instances),
          observation.fulfilling,
          std::move(observation.errors),
          observation.running_capacity,
          {std::move(observation.resource_id), std::move(observation.launch_template_id)}};
}

}  // namespace ohfp::provider
