#include "provider/aws_provider.h"

#include <algorithm>
#include <set>

#include "aws/ec2/images.h"
#include "aws/ec2/instances.h"
#include "aws/ssm/parameters.h"
#include "base/strings.h"
#include "provider/aws_model.h"
#include "provider/handlers/asg_handler.h"
#include "provider/handlers/ec2_fleet_handler.h"
#include "provider/handlers/instance_ops.h"
#include "provider/handlers/run_instances_handler.h"
#include "provider/handlers/spot_fleet_handler.h"

namespace ohfp::provider {
namespace {

using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

// AWS gives a Spot instance two minutes' notice.
constexpr int kSpotNoticeSeconds = 120;

bool Interrupting(const aws::ec2::SpotInstanceRequest& r) {
  return r.status_code == "marked-for-termination" || r.status_code == "marked-for-stop" ||
         r.status_code == "marked-for-hibernation";
}

}  // namespace

AwsProvider::AwsProvider(aws::AwsClient& client, const resilience::Clock& clock)
    : client_(client),
      clock_(clock),
      run_instances_(std::make_unique<RunInstancesHandler>(client)),
      ec2_fleet_(std::make_unique<Ec2FleetHandler>(client, clock)),
      spot_fleet_(std::make_unique<SpotFleetHandler>(client, clock)),
      asg_(std::make_unique<AsgHandler>(client, clock)) {}

AwsProvider::~AwsProvider() = default;

ApiHandler& AwsProvider::HandlerFor(model::ProviderApi api) {
  switch (api) {
    case model::ProviderApi::kRunInstances:
      return *run_instances_;
    case model::ProviderApi::kEc2Fleet:
      return *ec2_fleet_;
    case model::ProviderApi::kSpotFleet:
      return *spot_fleet_;
    case model::ProviderApi::kAsg:
      return *asg_;
  }
  return *run_instances_;
}

Result<LaunchOutcome> AwsProvider::Launch(const LaunchSpec& spec) {
  Result<AwsLaunchOutcome> out = HandlerFor(spec.tmpl->provider_api).Launch(ToAws(spec));
  if (!out.ok()) return out.error();
  return ToModel(std::move(*out));
}

Result<model::Observation> AwsProvider::Observe(const model::Request& request) {
  Result<AwsObservation> seen = HandlerFor(request.provider_api).Observe(request);
  if (!seen.ok()) return seen.error();
  return ToModel(std::move(*seen));
}

Status AwsProvider::Release(const model::Request& request,
                            const std::vector<std::string>& instance_ids) {
  return HandlerFor(request.provider_api).Release(request, instance_ids);
}

Status AwsProvider::Shrink(const model::Request& request, int keep) {
  return HandlerFor(request.provider_api).Shrink(request, keep);
}

Status AwsProvider::Cleanup(const model::Request& request) {
  return HandlerFor(request.provider_api).Cleanup(request);
}

Result<std::vector<model::Instance>> AwsProvider::DescribeInstances(
    const std::vector<std::string>& instance_ids) {
  Result<std::vector<aws::ec2::Instance>> found = DescribeByIds(client_, instance_ids);
  if (!found.ok()) return found.error();
  return ToModel(*found);
}

Result<InstanceLookup> AwsProvider::LookUpInstances(const std::vector<std::string>& instance_ids,
                                                    std::size_t max_checks) {
  InstanceLookup out;
  Result<std::vector<aws::ec2::Instance>> listed = DescribeByIds(client_, instance_ids);
  if (!listed.ok()) return listed.error();
  std::set<std::string> shown;
  for (const aws::ec2::Instance& i : *listed) shown.insert(i.instance_id);
  out.found = ToModel(*listed);
  // A listing leaves out what it does not show; only a describe by the id itself answers
  // InvalidInstanceID.NotFound for an instance that does not exist.
  std::size_t checked = 0;
  for (const std::string& id : instance_ids) {
    if (shown.count(id) != 0 || checked == max_checks) continue;
    ++checked;
    Result<std::vector<aws::ec2::Instance>> one =
        aws::ec2::DescribeInstances(client_, {.instance_ids = {id}});
    if (one.ok()) {
      for (const aws::ec2::Instance& i : *one) out.found.push_back(ToModel(i));
    } else if (one.error().kind() == ErrorKind::kNotFound) {
      out.absent.push_back(id);
    } else {
      return one.error();
    }
  }
  return out;
}

Status AwsProvider::TerminateInstances(const std::vector<std::string>& instance_ids) {
  return TerminateExactly(client_, instance_ids);
}

Result<std::vector<model::Instance>> AwsProvider::DescribeOwnedInstances(
    std::string_view installation_id) {
  Result<std::vector<aws::ec2::Instance>> found = aws::ec2::DescribeInstances(
      client_,
      {.filters = {{"tag:" + std::string(model::kTagInstallation), {std::string(installation_id)}},
                   {"instance-state-name", {"pending", "running", "stopping", "stopped"}}}});
  if (!found.ok()) return found.error();
  return ToModel(*found);
}

Result<std::vector<model::Instance>> AwsProvider::InstancesByHostName(
    const std::vector<std::string>& host_names) {
  // EC2 ANDs filters, so addresses and DNS names are asked for in calls of their own.
  std::vector<std::string> addresses;
  std::vector<std::string> dns_names;
  for (const std::string& n : host_names)
    (base::IsIpv4Address(n) ? addresses : dns_names).push_back(n);
  std::vector<aws::ec2::Instance> found;
  for (const auto& [filter, values] :
       {std::pair<const char*, const std::vector<std::string>&>{"private-dns-name", dns_names},
        {"private-ip-address", addresses}}) {
    Status s = ForEachSlice(
        values, kMaxFilterValues, [&](const std::vector<std::string>& slice) -> Status {
          Result<std::vector<aws::ec2::Instance>> part =
              aws::ec2::DescribeInstances(client_, {.filters = {{filter, slice}}});
          if (!part.ok()) return part.error();
          found.insert(found.end(), part->begin(), part->end());
          return resilience::OkStatus();
        });
    if (!s.ok()) return s.error();
  }
  return ToModel(found);
}

Result<std::vector<model::Instance>> AwsProvider::InstancesOfRequest(std::string_view request_id) {
  Result<std::vector<aws::ec2::Instance>> found = InstancesTaggedWith(client_, request_id);
  if (!found.ok()) return found.error();
  return ToModel(*found);
}

Result<std::vector<model::InterruptionNotice>> AwsProvider::SpotNotices(
    const std::vector<std::string>& spot_request_ids) {
  std::vector<model::InterruptionNotice> out;
  const resilience::SysTime now = clock_.SystemNow();
  Status s = ForEachSlice(
      spot_request_ids, kMaxFilterValues, [&](const std::vector<std::string>& chunk) -> Status {
        Result<std::vector<aws::ec2::SpotInstanceRequest>> part =
            aws::ec2::DescribeSpotInstanceRequests(client_, chunk);
        if (!part.ok()) return part.error();
        for (const aws::ec2::SpotInstanceRequest& r : *part) {
          if (!Interrupting(r)) continue;
          int grace = kSpotNoticeSeconds;
          if (r.status_update_time) {
            const auto since =
                std::chrono::duration_cast<std::chrono::seconds>(now - *r.status_update_time)
                    .count();
            grace = static_cast<int>(
                std::clamp<long>(kSpotNoticeSeconds - since, 0, kSpotNoticeSeconds));
          }
          out.push_back({r.spot_instance_request_id, r.status_code, grace});
        }
        return resilience::OkStatus();
      });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<model::InstanceType>> AwsProvider::DescribeInstanceTypes(
    const std::vector<std::string>& types) {
  Result<std::vector<aws::ec2::InstanceTypeInfo>> r =
      aws::ec2::DescribeInstanceTypes(client_, types);
  if (!r.ok()) return r.error();
  std::vector<model::InstanceType> out;
  for (const aws::ec2::InstanceTypeInfo& i : *r)
    out.push_back({i.instance_type, i.vcpus, i.cores, i.memory_mib});
  return out;
}

Result<std::string> AwsProvider::GetParameter(std::string_view name) {
  Result<aws::ssm::Parameter> p = aws::ssm::GetParameter(client_, {.name = std::string(name)});
  if (!p.ok()) return p.error();
  return p->value;
}

Result<std::vector<model::Image>> AwsProvider::DescribeImages(
    const std::vector<std::string>& image_ids) {
  Result<std::vector<aws::ec2::Image>> r = aws::ec2::DescribeImages(client_, image_ids);
  if (!r.ok()) return r.error();
  std::vector<model::Image> out;
  for (const aws::ec2::Image& i : *r) out.push_back({i.image_id, i.root_device_name});
  return out;
}

}  // namespace ohfp::provider
