// placeholder: being written (issue 5).
#include "provider/handlers/asg_handler.h"

namespace ohfp::provider {
namespace {
resilience::Error NotYet() {
  return resilience::Error(resilience::ErrorKind::kValidation, "UnsupportedProviderApi",
                           "this providerApi is not implemented yet");
}
}  // namespace

resilience::Result<LaunchOutcome> AsgHandler::Launch(const LaunchSpec&) { return NotYet(); }
resilience::Result<Observation> AsgHandler::Observe(const store::RequestRecord&) { return NotYet(); }
resilience::Status AsgHandler::Release(const store::RequestRecord&, const std::vector<std::string>&) { return NotYet(); }
resilience::Status AsgHandler::Shrink(const store::RequestRecord&, int) { return NotYet(); }
resilience::Status AsgHandler::Cleanup(const store::RequestRecord&) { return NotYet(); }

}  // namespace ohfp::provider
