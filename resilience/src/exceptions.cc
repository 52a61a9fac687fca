#include "ohfp/resilience/exceptions.h"

#include <string>

#include "ohfp/resilience/classifier.h"

namespace ohfp::resilience {

ResilienceError::ResilienceError(Error error)
    : std::runtime_error(error.ToString()), error_(std::move(error)) {}

ResilienceError::ResilienceError(ErrorKind kind, const std::string& message)
    : std::runtime_error(message), error_(kind, std::string(ErrorKindName(kind)), message) {}

ServiceError::ServiceError(Error error)
    : std::runtime_error(error.ToString()), error_(std::move(error)) {}

void ThrowError(const Error& error) {
  switch (error.kind()) {
    case ErrorKind::kCircuitOpen:
      throw CircuitBreakerOpenError(error);
    case ErrorKind::kTimeout:
      throw TimeoutError(error);
    case ErrorKind::kThrottled:
      throw RateLimitError(error);
    case ErrorKind::kAuthentication:
    case ErrorKind::kClockSkew:
      throw AuthenticationError(error);
    case ErrorKind::kAuthorization:
      throw AuthorizationError(error);
    case ErrorKind::kTransient:
    case ErrorKind::kCapacity:
      throw RetryableError(error);
    case ErrorKind::kValidation:
    case ErrorKind::kNotFound:
    case ErrorKind::kQuota:
    case ErrorKind::kIdempotencyMismatch:
    case ErrorKind::kAlreadyExists:
      throw NonRetryableError(error);
    case ErrorKind::kCancelled:
    case ErrorKind::kInternal:
    case ErrorKind::kUnknown:
      throw ResilienceError(error);
  }
  throw ResilienceError(error);
}

Error ErrorFromException(const std::exception& exception) {
  if (const auto* r = dynamic_cast<const ResilienceError*>(&exception)) return r->error();
  if (const auto* s = dynamic_cast<const ServiceError*>(&exception)) return s->error();
  if (dynamic_cast<const DomainError*>(&exception) != nullptr) {
    return Error(ErrorKind::kValidation, "DomainError", exception.what());
  }
  return Error(ErrorKind::kUnknown, "", exception.what());
}

bool ShouldRetryException(const std::exception& exception) noexcept {
  if (dynamic_cast<const NonRetryableError*>(&exception) != nullptr) return false;
  if (dynamic_cast<const RetryableError*>(&exception) != nullptr) return true;
  if (dynamic_cast<const DomainError*>(&exception) != nullptr) return false;
  if (const auto* s = dynamic_cast<const ServiceError*>(&exception)) {
    return ErrorClassifier::ClassifyAwsError(s->error().code()).starts_with("retryable_");
  }
  return true;
}

}  // namespace ohfp::resilience
