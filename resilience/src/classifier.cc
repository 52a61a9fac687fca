#include "ohfp/resilience/classifier.h"

#include <array>

namespace ohfp::resilience {
namespace {

using K = ErrorKind;

// The one table. Rows whose code ends in '*' match by prefix and are tried after every exact row.
// The seed's ErrorClassifier rows keep its strings; see docs/resilience.md for the reasoning on the
// others.
constexpr std::array kTable = {
    // Throttling: the service is healthy and asks us to slow down.
    AwsErrorClass{"ThrottlingException", K::kThrottled, "retryable_rate_limit"},   // seed
    AwsErrorClass{"RequestLimitExceeded", K::kThrottled, "retryable_rate_limit"},  // seed
    AwsErrorClass{"Throttling", K::kThrottled, "retryable_rate_limit"},
    AwsErrorClass{"ThrottledException", K::kThrottled, "retryable_rate_limit"},
    AwsErrorClass{"RequestThrottledException", K::kThrottled, "retryable_rate_limit"},
    AwsErrorClass{"TooManyRequestsException", K::kThrottled, "retryable_rate_limit"},
    AwsErrorClass{"RequestThrottled", K::kThrottled, "retryable_rate_limit"},
    AwsErrorClass{"SlowDown", K::kThrottled, "retryable_rate_limit"},
    AwsErrorClass{"EC2ThrottledException", K::kThrottled, "retryable_rate_limit"},
    AwsErrorClass{"BandwidthLimitExceeded", K::kThrottled, "retryable_rate_limit"},
    AwsErrorClass{"PriorRequestNotComplete", K::kThrottled, "retryable_rate_limit"},
    // Transient server-side faults.
    AwsErrorClass{"ServiceUnavailable", K::kTransient, "retryable_service_unavailable"},  // seed
    AwsErrorClass{"Unavailable", K::kTransient, "retryable_service_unavailable"},
    AwsErrorClass{"InternalServerError", K::kTransient, "retryable_internal_error"},  // seed
    AwsErrorClass{"InternalError", K::kTransient, "retryable_internal_error"},
    AwsErrorClass{"InternalFailure", K::kTransient, "retryable_internal_error"},
    AwsErrorClass{"RequestTimeout", K::kTransient, "retryable_timeout"},  // seed
    AwsErrorClass{"RequestTimeoutException", K::kTransient, "retryable_timeout"},
    AwsErrorClass{"ConnectionError", K::kTransient, "retryable_connection_error"},
    // Auto Scaling: another change to the same group is in progress; it passes.
    AwsErrorClass{"ResourceContention", K::kTransient, "retryable_resource_contention"},
    AwsErrorClass{"ScalingActivityInProgress", K::kTransient, "retryable_resource_contention"},
    // Capacity: retrying the same request soon rarely helps; fleets diversify instead.
    AwsErrorClass{"InsufficientInstanceCapacity", K::kCapacity,
                  "retryable_capacity_issue"},  // seed
    AwsErrorClass{"InsufficientHostCapacity", K::kCapacity, "retryable_capacity_issue"},
    AwsErrorClass{"InsufficientReservedInstanceCapacity", K::kCapacity, "retryable_capacity_issue"},
    AwsErrorClass{"InsufficientCapacity", K::kCapacity, "retryable_capacity_issue"},
    AwsErrorClass{"SpotMaxPriceTooLow", K::kCapacity, "retryable_capacity_issue"},
    AwsErrorClass{"MaxSpotInstanceCountExceeded", K::kCapacity, "retryable_capacity_issue"},
    AwsErrorClass{"InsufficientFreeAddressesInSubnet", K::kCapacity, "retryable_capacity_issue"},
    // Account quotas.
    AwsErrorClass{"InstanceLimitExceeded", K::kQuota, "non_retryable_quota"},
    AwsErrorClass{"VcpuLimitExceeded", K::kQuota, "non_retryable_quota"},
    AwsErrorClass{"LimitExceeded", K::kQuota, "non_retryable_quota"},
    AwsErrorClass{"LimitExceededException", K::kQuota, "non_retryable_quota"},
    AwsErrorClass{"MaxSpotFleetRequestCountExceeded", K::kQuota, "non_retryable_quota"},
    // Validation.
    AwsErrorClass{"InvalidParameterValue", K::kValidation, "non_retryable_validation"},     // seed
    AwsErrorClass{"InvalidAMIID.NotFound", K::kValidation, "non_retryable_validation"},     // seed
    AwsErrorClass{"InvalidSubnetID.NotFound", K::kValidation, "non_retryable_validation"},  // seed
    AwsErrorClass{"InvalidParameterCombination", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"InvalidParameter", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"MissingParameter", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"ValidationError", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"InvalidGroup.NotFound", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"InvalidKeyPair.NotFound", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"InvalidAction", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"InvalidQueryParameter", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"MalformedQueryString", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"UnknownParameter", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"ResourceInUse", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"Unsupported", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"UnsupportedOperation", K::kValidation, "non_retryable_validation"},
    // Authentication: who we are.
    AwsErrorClass{"InvalidUserID.NotFound", K::kAuthentication,
                  "non_retryable_authentication"},  // seed
    AwsErrorClass{"AuthFailure", K::kAuthentication, "non_retryable_authentication"},
    AwsErrorClass{"InvalidClientTokenId", K::kAuthentication, "non_retryable_authentication"},
    AwsErrorClass{"SignatureDoesNotMatch", K::kAuthentication, "non_retryable_authentication"},
    AwsErrorClass{"IncompleteSignature", K::kAuthentication, "non_retryable_authentication"},
    AwsErrorClass{"MissingAuthenticationToken", K::kAuthentication, "non_retryable_authentication"},
    AwsErrorClass{"UnrecognizedClientException", K::kAuthentication,
                  "non_retryable_authentication"},
    AwsErrorClass{"ExpiredToken", K::kAuthentication, "non_retryable_authentication"},
    AwsErrorClass{"ExpiredTokenException", K::kAuthentication, "non_retryable_authentication"},
    AwsErrorClass{"InvalidAccessKeyId", K::kAuthentication, "non_retryable_authentication"},
    // Clock skew: an authentication failure that a corrected clock fixes. The seed's
    // AWSRetryStrategy retries
    // RequestTimeTooSkewed; the AWS client corrects its clock offset from the response before the
    // retry.
    AwsErrorClass{"RequestTimeTooSkewed", K::kClockSkew, "retryable_clock_skew"},
    AwsErrorClass{"RequestExpired", K::kClockSkew, "retryable_clock_skew"},
    AwsErrorClass{"RequestInTheFuture", K::kClockSkew, "retryable_clock_skew"},
    // Authorization: what we asked for.
    AwsErrorClass{"UnauthorizedOperation", K::kAuthorization,
                  "non_retryable_authorization"},  // seed
    AwsErrorClass{"AccessDenied", K::kAuthorization, "non_retryable_authorization"},
    AwsErrorClass{"AccessDeniedException", K::kAuthorization, "non_retryable_authorization"},
    AwsErrorClass{"OptInRequired", K::kAuthorization, "non_retryable_authorization"},
    AwsErrorClass{"PendingVerification", K::kAuthorization, "non_retryable_authorization"},
    AwsErrorClass{"Blocked", K::kAuthorization, "non_retryable_authorization"},
    // Not found.
    AwsErrorClass{"InvalidInstanceID.NotFound", K::kNotFound, "non_retryable_not_found"},
    AwsErrorClass{"InvalidFleetId.NotFound", K::kNotFound, "non_retryable_not_found"},
    AwsErrorClass{"InvalidSpotFleetRequestId.NotFound", K::kNotFound, "non_retryable_not_found"},
    AwsErrorClass{"InvalidLaunchTemplateId.NotFound", K::kNotFound, "non_retryable_not_found"},
    AwsErrorClass{"InvalidLaunchTemplateName.NotFoundException", K::kNotFound,
                  "non_retryable_not_found"},
    // Idempotency.
    AwsErrorClass{"IdempotentParameterMismatch", K::kIdempotencyMismatch,
                  "non_retryable_idempotency"},
    AwsErrorClass{"IdempotentInstanceTerminated", K::kIdempotencyMismatch,
                  "non_retryable_idempotency"},
    // Per-item errors that Spot Fleet and EC2 Fleet calls report inside a successful answer.
    AwsErrorClass{"fleetRequestIdDoesNotExist", K::kNotFound, "non_retryable_not_found"},
    AwsErrorClass{"fleetRequestIdMalformed", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"fleetRequestNotInCancellableState", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"fleetIdDoesNotExist", K::kNotFound, "non_retryable_not_found"},
    AwsErrorClass{"fleetIdMalformed", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"fleetNotInDeletableState", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"unexpectedError", K::kTransient, "retryable_internal_error"},
    // Creation by a unique name (Auto Scaling groups, launch templates): it exists already.
    AwsErrorClass{"AlreadyExists", K::kAlreadyExists, "non_retryable_already_exists"},
    AwsErrorClass{"AlreadyExistsFault", K::kAlreadyExists, "non_retryable_already_exists"},
    AwsErrorClass{"InvalidLaunchTemplateName.AlreadyExistsException", K::kAlreadyExists,
                  "non_retryable_already_exists"},
    // Families, by prefix (after every exact row).
    AwsErrorClass{"InvalidAMIID.*", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"InvalidSubnetID.*", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"InvalidSubnet.*", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"InvalidInstanceID.*", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"InvalidLaunchTemplate*", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"InvalidFleetId.*", K::kValidation, "non_retryable_validation"},
    AwsErrorClass{"InvalidSpotFleetRequestId.*", K::kValidation, "non_retryable_validation"},
};

bool IsPrefixRow(std::string_view pattern) noexcept {
  return !pattern.empty() && pattern.back() == '*';
}

}  // namespace

std::optional<AwsErrorClass> ErrorClassifier::Lookup(std::string_view code) noexcept {
  if (code.empty()) return std::nullopt;
  for (const AwsErrorClass& row : kTable) {
    if (!IsPrefixRow(row.code) && row.code == code) return row;
  }
  for (const AwsErrorClass& row : kTable) {
    if (IsPrefixRow(row.code) && code.starts_with(row.code.substr(0, row.code.size() - 1)))
      return row;
  }
  return std::nullopt;
}

std::string_view ErrorClassifier::ClassifyAwsError(std::string_view code) noexcept {
  auto row = Lookup(code);
  return row ? row->label : std::string_view("unknown");
}

ErrorKind ErrorClassifier::KindOf(std::string_view code, int http_status) noexcept {
  if (auto row = Lookup(code)) return row->kind;
  if (http_status == 429) return K::kThrottled;
  if (http_status >= 500 && http_status <= 599) return K::kTransient;
  if (http_status == 401) return K::kAuthentication;
  if (http_status == 403) return K::kAuthorization;
  return K::kUnknown;
}

bool ErrorClassifier::ShouldRetry(const Error& error) noexcept {
  if (auto row = Lookup(error.code())) return row->label.starts_with("retryable_");
  switch (error.kind()) {
    case K::kThrottled:
    case K::kTransient:
    case K::kTimeout:
    case K::kCapacity:
    case K::kClockSkew:
      return true;
    case K::kQuota:
    case K::kValidation:
    case K::kAuthentication:
    case K::kAuthorization:
    case K::kNotFound:
    case K::kIdempotencyMismatch:
    case K::kAlreadyExists:
    case K::kCancelled:
      return false;
    case K::kUnknown:
      return error.http_status() == 0;
    case K::kCircuitOpen:
    case K::kInternal:
      return true;
  }
  return true;
}

std::span<const AwsErrorClass> ErrorClassifier::Table() noexcept { return kTable; }

}  // namespace ohfp::resilience
