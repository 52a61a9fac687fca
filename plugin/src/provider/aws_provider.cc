#include "provider/aws_provider.h"

#include <algorithm>

#include "aws/ec2/instances.h"
#include "provider/handlers/asg_handler.h"
#include "provider/handlers/ec2_fleet_handler.h"
#include "provider/handlers/instance_ops.h"
#include "provider/handlers/run_instances_handler.h"
#include "provider/handlers/spot_fleet_handler.h"

namespace ohfp::provider {
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

// AWS gives a Spot instance two minutes' notice.
constexpr int kSpotNoticeSeconds = 120;

}  // namespace

AwsProvider::AwsProvider(aws::AwsClient& client, std::string provider_name,
                         const resilience::Clock& clock)
    : client_(client),
      provider_name_(std::move(provider_name)),
      clock_(clock),
      run_instances_(std::make_unique<RunInstancesHandler>(client)),
      ec2_fleet_(std::make_unique<Ec2FleetHandler>(client, clock)),
      spot_fleet_(std::make_unique<SpotFleetHandler>(client, clock)),
      asg_(std::make_unique<AsgHandler>(client, clock)) {}

AwsProvider::~AwsProvider() = default;

Result<ApiHandler*> AwsProvider::HandlerFor(std::string_view provider_api) {
  using hostfactory::ProviderApi;
  using hostfactory::ProviderApiName;
  if (provider_api.empty() || provider_api == ProviderApiName(ProviderApi::kRunInstances)) {
    return run_instances_.get();
  }
  if (provider_api == ProviderApiName(ProviderApi::kEc2Fleet)) return ec2_fleet_.get();
  if (provider_api == ProviderApiName(ProviderApi::kSpotFleet)) return spot_fleet_.get();
  if (provider_api == ProviderApiName(ProviderApi::kAsg)) return asg_.get();
  return Error(ErrorKind::kValidation, "UnsupportedProviderApi",
               "providerApi " + std::string(provider_api) + " is not one ohfp knows");
}

Result<LaunchOutcome> AwsProvider::Launch(const LaunchSpec& spec) {
  Result<ApiHandler*> h = HandlerFor(hostfactory::ProviderApiName(spec.tmpl->provider_api));
  if (!h.ok()) return h.error();
  return (*h)->Launch(spec);
}

Result<Observation> AwsProvider::Observe(const store::RequestRecord& request) {
  Result<ApiHandler*> h = HandlerFor(request.provider_api);
  if (!h.ok()) return h.error();
  return (*h)->Observe(request);
}

Status AwsProvider::Release(const store::RequestRecord& request,
                            const std::vector<std::string>& instance_ids) {
  Result<ApiHandler*> h = HandlerFor(request.provider_api);
  if (!h.ok()) return h.error();
  return (*h)->Release(request, instance_ids);
}

Status AwsProvider::Shrink(const store::RequestRecord& request, int keep) {
  Result<ApiHandler*> h = HandlerFor(request.provider_api);
  if (!h.ok()) return h.error();
  return (*h)->Shrink(request, keep);
}

Status AwsProvider::Cleanup(const store::RequestRecord& request) {
  Result<ApiHandler*> h = HandlerFor(request.provider_api);
  if (!h.ok()) return h.error();
  return (*h)->Cleanup(request);
}

Result<std::vector<aws::ec2::Instance>> AwsProvider::DescribeInstances(
    const std::vector<std::string>& instance_ids) {
  return DescribeByIds(client_, instance_ids);
}

Status AwsProvider::TerminateInstances(const std::vector<std::string>& instance_ids) {
  return ForEachSlice(instance_ids, kMaxTerminateIds,
                      [&](const std::vector<std::string>& chunk) -> Status {
                        Result<std::vector<aws::ec2::InstanceStateChange>> r =
                            aws::ec2::TerminateInstances(client_, chunk);
                        if (!r.ok() && r.error().kind() != ErrorKind::kNotFound) return r.error();
                        return resilience::OkStatus();
                      });
}

Result<std::vector<aws::ec2::Instance>> AwsProvider::DescribeOwnedInstances() {
  return aws::ec2::DescribeInstances(
      client_,
      {.filters = {{"tag:" + std::string(kTagProvider), {provider_name_}},
                   {"instance-state-name", {"pending", "running", "stopping", "stopped"}}}});
}

Result<std::vector<SpotNotice>> AwsProvider::SpotNotices(
    const std::vector<std::string>& spot_request_ids) {
  std::vector<SpotNotice> out;
  const resilience::SysTime now = clock_.SystemNow();
  Status s = ForEachSlice(
      spot_request_ids, kMaxFilterValues, [&](const std::vector<std::string>& chunk) -> Status {
        Result<std::vector<aws::ec2::SpotInstanceRequest>> part =
            aws::ec2::DescribeSpotInstanceRequests(client_, chunk);
        if (!part.ok()) return part.error();
        for (const aws::ec2::SpotInstanceRequest& r : *part) {
          if (r.status_code != "marked-for-termination" && r.status_code != "marked-for-stop" &&
              r.status_code != "marked-for-hibernation") {
            continue;
          }
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

Result<std::vector<store::InstanceTypeRecord>> AwsProvider::DescribeInstanceTypes(
    const std::vector<std::string>& types) {
  Result<std::vector<aws::ec2::InstanceTypeInfo>> r =
      aws::ec2::DescribeInstanceTypes(client_, types);
  if (!r.ok()) return r.error();
  std::vector<store::InstanceTypeRecord> out;
  for (const aws::ec2::InstanceTypeInfo& i : *r)
    out.push_back({i.instance_type, i.vcpus, i.cores, i.memory_mib});
  return out;
}

}  // namespace ohfp::provider
