#include "provider/handlers/run_instances_handler.h"

#include "aws/ec2/instances.h"
#include "provider/handlers/request_launch_template.h"

namespace ohfp::provider {

using resilience::Result;
using resilience::Status;

Result<std::vector<aws::ec2::Instance>> InstancesTaggedWith(aws::AwsClient& client,
                                                            std::string_view request_id) {
  return aws::ec2::DescribeInstances(
      client,
      {.filters = {{"tag:" + std::string(model::kTagRequestId), {std::string(request_id)}}}});
}

Result<aws::ec2::RunInstancesRequest> RunInstancesRequestFor(const AwsLaunchSpec& spec) {
  const model::Template& t = *spec.tmpl;
  Result<std::optional<aws::ec2::EbsVolume>> root = RootVolumeFor(spec);
  if (!root.ok()) return root.error();
  aws::ec2::RunInstancesRequest r;
  r.image_id = spec.Image();
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
  if (!t.launch_template_id.empty()) {
    r.launch_template =
        aws::ec2::LaunchTemplateReference{t.launch_template_id, "", t.launch_template_version};
  }
  r.root_volume = *root;
  r.ebs_optimized = t.ebs_optimized;
  r.placement_group = t.placement_group;
  if (t.tenancy) r.tenancy = std::string(model::TenancyName(*t.tenancy));
  r.spot = t.price_type == model::PriceType::kSpot;
  r.max_spot_price = t.max_spot_price;
  return r;
}

Result<AwsLaunchOutcome> RunInstancesHandler::Launch(const AwsLaunchSpec& spec) {
  Result<aws::ec2::RunInstancesRequest> request = RunInstancesRequestFor(spec);
  if (!request.ok()) return request.error();
  Result<aws::ec2::Reservation> reservation = aws::ec2::RunInstances(client_, *request);
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
