// provider/handlers/ec2_fleet_handler.h — placeholder: being written (issue 5).
#pragma once

#include "ohfp/resilience/clock.h"
#include "provider/handlers/api_handler.h"

namespace ohfp::provider {

class Ec2FleetHandler final : public ApiHandler {
 public:
  Ec2FleetHandler(aws::AwsClient& client, const resilience::Clock& clock) : client_(client), clock_(clock) {}
  [[nodiscard]] resilience::Result<LaunchOutcome> Launch(const LaunchSpec& spec) override;
  [[nodiscard]] resilience::Result<Observation> Observe(const store::RequestRecord& request) override;
  [[nodiscard]] resilience::Status Release(const store::RequestRecord& request,
                                           const std::vector<std::string>& instance_ids) override;
  [[nodiscard]] resilience::Status Shrink(const store::RequestRecord& request, int keep) override;
  [[nodiscard]] resilience::Status Cleanup(const store::RequestRecord& request) override;

 private:
  aws::AwsClient& client_;
  const resilience::Clock& clock_;
};

}  // namespace ohfp::provider
