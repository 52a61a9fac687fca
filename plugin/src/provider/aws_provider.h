// provider/aws_provider.h
//
// AwsProvider: the Provider over AWS. Acquire requests go to the handler of their providerApi
// (RunInstances, EC2Fleet, SpotFleet, ASG; provider/handlers/); the calls every API shares
// (describe and terminate instances by id, find instances by host name, find an installation's
// live instances, Spot interruption notices, instance types) are here. It is also where AWS's types
// become the model's (aws_model.h): handlers speak aws::ec2, the commands speak model::. Every AWS
// call goes through the resilience pipeline inside AwsClient.
//
// Thread-safety: used by one command at a time.
//
// Example:
//   AwsProvider provider(client, clock);
//   Result<std::vector<model::Instance>> mine = provider.DescribeOwnedInstances(installation);
#pragma once

#include <memory>
#include <string>

#include "aws/aws_client.h"
#include "provider/handlers/api_handler.h"
#include "provider/provider.h"

namespace ohfp::provider {

class AwsProvider final : public Provider {
 public:
  AwsProvider(aws::AwsClient& client, const resilience::Clock& clock);
  ~AwsProvider() override;

  [[nodiscard]] resilience::Result<LaunchOutcome> Launch(const LaunchSpec& spec) override;
  [[nodiscard]] resilience::Result<model::Observation> Observe(
      const model::Request& request) override;
  [[nodiscard]] resilience::Status Release(const model::Request& request,
                                           const std::vector<std::string>& instance_ids) override;
  [[nodiscard]] resilience::Status Shrink(const model::Request& request, int keep) override;
  [[nodiscard]] resilience::Status Cleanup(const model::Request& request) override;
  [[nodiscard]] resilience::Result<std::vector<model::Instance>> DescribeInstances(
      const std::vector<std::string>& instance_ids) override;
  [[nodiscard]] resilience::Result<InstanceLookup> LookUpInstances(
      const std::vector<std::string>& instance_ids, std::size_t max_checks) override;
  [[nodiscard]] resilience::Status TerminateInstances(
      const std::vector<std::string>& instance_ids) override;
  [[nodiscard]] resilience::Result<std::vector<model::Instance>> DescribeOwnedInstances(
      std::string_view installation_id) override;
  [[nodiscard]] resilience::Result<std::vector<model::Instance>> InstancesByHostName(
      const std::vector<std::string>& host_names) override;
  [[nodiscard]] resilience::Result<std::vector<model::Instance>> InstancesOfRequest(
      std::string_view request_id) override;
  [[nodiscard]] resilience::Result<std::vector<model::InterruptionNotice>> SpotNotices(
      const std::vector<std::string>& spot_request_ids) override;
  [[nodiscard]] resilience::Result<std::vector<model::InstanceType>> DescribeInstanceTypes(
      const std::vector<std::string>& types) override;
  [[nodiscard]] resilience::Result<std::vector<model::Image>> DescribeImages(
      const std::vector<std::string>& image_ids) override;
  [[nodiscard]] resilience::Result<std::string> GetParameter(std::string_view name) override;

 private:
  ApiHandler& HandlerFor(model::ProviderApi api);

  aws::AwsClient& client_;
  const resilience::Clock& clock_;
  std::unique_ptr<ApiHandler> run_instances_;
  std::unique_ptr<ApiHandler> ec2_fleet_;
  std::unique_ptr<ApiHandler> spot_fleet_;
  std::unique_ptr<ApiHandler> asg_;
};

}  // namespace ohfp::provider
