// placeholder: being written (issue 5).
#include "provider/handlers/ec2_fleet_handler.h"

namespace ohfp::provider {
namespace {
resilience::Error NotYet() {
  return resilience::Error(resilience::ErrorKind::kValidation, "UnsupportedProviderApi",
                           "this providerApi is not implemented yet");
}
}  // namespace

resilience::Result<LaunchOutcome> Ec2FleetHandler::Launch(const LaunchSpec&) { return NotYet(); }
resilience::Result<Observation> Ec2FleetHandler::Observe(const store::RequestRecord&) { return NotYet(); }
resilience::Status Ec2FleetHandler::Release(const store::RequestRecord&, const std::vector<std::string>&) { return NotYet(); }
resilience::Status Ec2FleetHandler::Shrink(const store::RequestRecord&, int) { return NotYet(); }
resilience::Status Ec2FleetHandler::Cleanup(const store::RequestRecord&) { return NotYet(); }

}  // namespace ohfp::provider
