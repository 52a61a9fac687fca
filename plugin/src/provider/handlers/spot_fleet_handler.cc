// placeholder: being written (issue 5).
#include "provider/handlers/spot_fleet_handler.h"

namespace ohfp::provider {
namespace {
resilience::Error NotYet() {
  return resilience::Error(resilience::ErrorKind::kValidation, "UnsupportedProviderApi",
                           "this providerApi is not implemented yet");
}
}  // namespace

resilience::Result<LaunchOutcome> SpotFleetHandler::Launch(const LaunchSpec&) { return NotYet(); }
resilience::Result<Observation> SpotFleetHandler::Observe(const store::RequestRecord&) { return NotYet(); }
resilience::Status SpotFleetHandler::Release(const store::RequestRecord&, const std::vector<std::string>&) { return NotYet(); }
resilience::Status SpotFleetHandler::Shrink(const store::RequestRecord&, int) { return NotYet(); }
resilience::Status SpotFleetHandler::Cleanup(const store::RequestRecord&) { return NotYet(); }

}  // namespace ohfp::provider
