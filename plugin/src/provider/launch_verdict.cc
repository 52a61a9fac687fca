#include "provider/launch_verdict.h"

#include "model/names.h"

namespace ohfp::provider {
namespace {

using resilience::ErrorKind;

bool Answered(const resilience::Error& e) { return e.http_status() != 0; }
bool ServerError(const resilience::Error& e) { return e.http_status() >= 500; }

constexpr model::internal::NameTable<LaunchVerdict, 4> kVerdictNames = {
    {{LaunchVerdict::kRefused, "refused"},
     {LaunchVerdict::kRetryLater, "retry_later"},
     {LaunchVerdict::kExists, "exists"},
     {LaunchVerdict::kUnknown, "unknown"}}};

}  // namespace

std::string_view LaunchVerdictName(LaunchVerdict verdict) noexcept {
  return model::internal::NameOf(kVerdictNames, verdict, "unknown");
}

LaunchVerdict LaunchVerdictOf(const resilience::Error& e) noexcept {
  switch (e.kind()) {
    case ErrorKind::kValidation:
    case ErrorKind::kAuthentication:
    case ErrorKind::kAuthorization:
    case ErrorKind::kQuota:
    case ErrorKind::kCapacity:
    case ErrorKind::kNotFound:
      // An answer about the request, or a local failure before anything was sent.
      return LaunchVerdict::kRefused;
    case ErrorKind::kThrottled:
    case ErrorKind::kClockSkew:
    case ErrorKind::kCircuitOpen:
      return LaunchVerdict::kRetryLater;
    case ErrorKind::kIdempotencyMismatch:
    case ErrorKind::kAlreadyExists:
      return LaunchVerdict::kExists;
    case ErrorKind::kUnknown:
      // An error answer with a code ohfp has no name for says the request was refused; a 5xx or
      // no answer says nothing.
      return Answered(e) && !ServerError(e) ? LaunchVerdict::kRefused : LaunchVerdict::kUnknown;
    case ErrorKind::kInternal:
      // A local failure before sending; an answer that could not be read may hide a success.
      return Answered(e) ? LaunchVerdict::kUnknown : LaunchVerdict::kRefused;
    case ErrorKind::kTimeout:
    case ErrorKind::kTransient:
    case ErrorKind::kCancelled:
      return LaunchVerdict::kUnknown;
  }
  return LaunchVerdict::kUnknown;
}

}  // namespace ohfp::provider
