#include "provider/handlers/run_instances_handler.h"

#include "aws/ec2/instances.h"

namespace ohfp::provider {

using resilience::Result;
using resilience::Status;

Result<std::vector<aws::ec2::Instance>> InstancesTaggedWith(aws::AwsClient& client,
                                                            std::string_view request_id) {
  return aws::ec2::DescribeInstances(
      client,
      {.filters = {{"tag:" + std::string(model::kTagRequestId), {std::string(request_id)}}}});
}

aws::ec2::RunInstancesRequest RunInstancesRequestFor(const AwsLaunchSpec& spec) {
  const model::Template& t = *spec.tmpl;
  aws::ec2::RunInstancesRequest r;
  r.image_id = t.image_id;
  r.instance_type = t.vm_type;
  r.min_count =
      spec.count;  // all or nothing: a shortfall is a capacity refusal, and the next attempt
  r.max_count = spec.count;  // tries the next subnet

  r.client_token = spec.client_token;
  r.key_name = t.key_name;
  r.security_group_ids = t.security_group_ids;
  if (!t.subnet_ids.empty()) {
    r.subnet_id = t.subnet_ids[static_cast<std::size_t>(spec.attempt - 1) % t.subnet_ids.size()];
  }
  r.user_data = spec.user_data;
  r.iam_instance_profile = t.instance_profile;
  r.tags = spec.tags;
  if (!t.launch_template_id.empty())
    r.launch_template = aws::ec2::LaunchTemplateReference{t.launch_template_id, "", ""};
  r.root_volume_size_gib = t.root_device_volume_size;
  r.root_volume_type = t.volume_type;
  r.spot = t.price_type == model::PriceType::kSpot;
  r.max_spot_price = t.max_spot_price;
  return r;
}

Result<AwsLaunchOutcome> RunInstancesHandler::Launch(const AwsLaunchSpec& spec) {
  Result<aws::ec2::Reservation> reservation =
      aws::ec2::RunInstances(client_, RunInstancesRequestFor(spec));
  if (!reservation.ok()) return reservation.error();
  AwsLaunchOutcome out;
  out.instances = std::move(reservation->instances);
  if (static_cast<int>(out.instances.size()) < spec.count) {
    out.errors.push_back("EC2 launched " + std::to_string(out.instances.size()) + " of " +
                         std::to_string(spec.count) + " instances (no capacity for more)");
  }
  return out;
}

Result<AwsObservation> RunInstancesHandler::Observe(const model::Request& request) {
  Result<std::vector<aws::ec2::Instance>> instances = InstancesTaggedWith(client_, request.id);
  if (!instances.ok()) return instances.error();
  return AwsObservation{std::move(*instances), false, {}};
}

Status RunInstancesHandler::Release(const model::Request& /*request*/,
                                    const std::vector<std::string>& instance_ids) {
  Result<std::vector<aws::ec2::InstanceStateChange>> r =
      aws::ec2::TerminateInstances(client_, instance_ids);
  if (!r.ok()) return r.error();
  return resilience::OkStatus();
}

Status RunInstancesHandler::Shrink(const model::Request& /*request*/, int /*keep*/) {
  return resilience::OkStatus();  // a RunInstances request never asks for more later
}

Status RunInstancesHandler::Cleanup(const model::Request& /*request*/) {
  return resilience::OkStatus();
}

}  // namespace ohfp::provider
