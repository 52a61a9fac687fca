// provider/aws_provider.h
//
// AwsProvider: the Provider over AWS. Acquire requests go to the handler of their providerApi
// (RunInstances now; EC2Fleet, SpotFleet and ASG handlers plug in the same way); the calls every
// API shares (describe and terminate instances by id, find this provider's live instances, Spot
// interruption notices, instance types) are here. Every AWS call goes through the resilience
// pipeline inside AwsClient.
//
// Thread-safety: used by one command at a time.
//
// Example:
//   AwsProvider provider(client, /*provider_name=*/"aws", clock);
//   Result<std::vector<Instance>> mine = provider.DescribeOwnedInstances();
#pragma once

#include <memory>
#include <string>

#include "aws/aws_client.h"
#include "provider/handlers/api_handler.h"
#include "provider/provider.h"

namespace ohfp::provider {

class AwsProvider final : public Provider {
 public:
  AwsProvider(aws::AwsClient& client, std::string provider_name, const resilience::Clock& clock);
  ~AwsProvider() override;

  [[nodiscard]] resilience::Result<LaunchOutcome> Launch(const LaunchSpec& spec) override;
  [[nodiscard]] resilience::Result<Observation> Observe(
      const store::RequestRecord& request) override;
  [[nodiscard]] resilience::Status Release(const store::RequestRecord& request,
                                           const std::vector<std::string>& instance_ids) override;
  [[nodiscard]] resilience::Status Shrink(const store::RequestRecord& request, int keep) override;
  [[nodiscard]] resilience::Status Cleanup(const store::RequestRecord& request) override;
  [[nodiscard]] resilience::Result<std::vector<aws::ec2::Instance>> DescribeInstances(
      const std::vector<std::string>& instance_ids) override;
  [[nodiscard]] resilience::Status TerminateInstances(
      const std::vector<std::string>& instance_ids) override;
  [[nodiscard]] resilience::Result<std::vector<aws::ec2::Instance>> DescribeOwnedInstances()
      override;
  [[nodiscard]] resilience::Result<std::vector<SpotNotice>> SpotNotices(
      const std::vector<std::string>& spot_request_ids) override;
  [[nodiscard]] resilience::Result<std::vector<store::InstanceTypeRecord>> DescribeInstanceTypes(
      const std::vector<std::string>& types) override;

 private:
  resilience::Result<ApiHandler*> HandlerFor(std::string_view provider_api);

  aws::AwsClient& client_;
  std::string provider_name_;
  const resilience::Clock& clock_;
  std::unique_ptr<ApiHandler> run_instances_;
  std::unique_ptr<ApiHandler> ec2_fleet_;
  std::unique_ptr<ApiHandler> spot_fleet_;
  std::unique_ptr<ApiHandler> asg_;
};

}  // namespace ohfp::provider
