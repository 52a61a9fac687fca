#include "ohfp/resilience/classifier.h"

#include <array>
#include <cstddef>
#include <span>

namespace ohfp::resilience {
namespace {

using K = ErrorKind;

// The rows of a family of codes that share a kind and a classification string.
template <std::size_t N>
constexpr std::array<AwsErrorClass, N> Family(ErrorKind kind, std::string_view label,
                                              const std::string_view (&codes)[N]) {
  std::array<AwsErrorClass, N> rows{};
  for (std::size_t i = 0; i < N; ++i) rows[i] = {codes[i], kind, label};
  return rows;
}

template <std::size_t... N>
constexpr std::array<AwsErrorClass, (N + ...)> Concat(
    const std::array<AwsErrorClass, N>&... families) {
  std::array<AwsErrorClass, (N + ...)> rows{};
  std::size_t i = 0;
  for (const auto& family : {std::span<const AwsErrorClass>(families)...}) {
    for (const AwsErrorClass& row : family) rows[i++] = row;
  }
  return rows;
}

// The one table, a family at a time. The seed's ErrorClassifier codes keep its strings ("seed"
// below); see docs/resilience.md for the reasoning on the others.
constexpr auto kTable = Concat(
    // Throttling: the service is healthy and asks us to slow down.
    Family(K::kThrottled, "retryable_rate_limit",
           {"ThrottlingException", "RequestLimitExceeded",  // seed
            "Throttling", "ThrottledException", "RequestThrottledException",
            "TooManyRequestsException", "RequestThrottled", "SlowDown", "EC2ThrottledException",
            "BandwidthLimitExceeded", "PriorRequestNotComplete"}),
    // Transient server-side faults. unexpectedError: Spot Fleet's and EC2 Fleet's per-item error.
    Family(K::kTransient, "retryable_service_unavailable",
           {"ServiceUnavailable" /* seed */, "Unavailable"}),
    Family(
        K::kTransient, "retryable_internal_error",
        {"InternalServerError" /* seed */, "InternalError", "InternalFailure", "unexpectedError"}),
    Family(K::kTransient, "retryable_timeout",
           {"RequestTimeout" /* seed */, "RequestTimeoutException"}),
    Family(K::kTransient, "retryable_connection_error", {"ConnectionError"}),
    // Auto Scaling: another change to the same group is in progress; it passes.
    Family(K::kTransient, "retryable_resource_contention",
           {"ResourceContention", "ScalingActivityInProgress"}),
    // Capacity: retrying the same request soon rarely helps; fleets diversify instead.
    Family(K::kCapacity, "retryable_capacity_issue",
           {"InsufficientInstanceCapacity",  // seed
            "InsufficientHostCapacity", "InsufficientReservedInstanceCapacity",
            "InsufficientCapacity", "SpotMaxPriceTooLow", "MaxSpotInstanceCountExceeded",
            "InsufficientFreeAddressesInSubnet"}),
    // Account quotas.
    Family(K::kQuota, "non_retryable_quota",
           {"InstanceLimitExceeded", "VcpuLimitExceeded", "LimitExceeded", "LimitExceededException",
            "MaxSpotFleetRequestCountExceeded"}),
    // Validation; the fleet* codes are per-item errors that Spot Fleet and EC2 Fleet calls report
    // inside a successful answer. Then families, by prefix (after every exact code).
    Family(K::kValidation, "non_retryable_validation",
           {"InvalidParameterValue", "InvalidAMIID.NotFound", "InvalidSubnetID.NotFound",  // seed
            "InvalidParameterCombination", "InvalidParameter", "MissingParameter",
            "ValidationError", "InvalidGroup.NotFound", "InvalidKeyPair.NotFound", "InvalidAction",
            "InvalidQueryParameter", "MalformedQueryString", "UnknownParameter", "ResourceInUse",
            "Unsupported", "UnsupportedOperation", "fleetRequestIdMalformed",
            "fleetRequestNotInCancellableState", "fleetIdMalformed", "fleetNotInDeletableState",
            // by prefix
            "InvalidAMIID.*", "InvalidSubnetID.*", "InvalidSubnet.*", "InvalidInstanceID.*",
            "InvalidLaunchTemplate*", "InvalidFleetId.*", "InvalidSpotFleetRequestId.*"}),
    // Authentication: who we are.
    Family(K::kAuthentication, "non_retryable_authentication",
           {"InvalidUserID.NotFound",  // seed
            "AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature",
            "MissingAuthenticationToken", "UnrecognizedClientException", "ExpiredToken",
            "ExpiredTokenException", "InvalidAccessKeyId"}),
    // Clock skew: an authentication failure that a corrected clock fixes. The seed's
    // AWSRetryStrategy retries RequestTimeTooSkewed; the AWS client corrects its clock offset from
    // the response before the retry.
    Family(K::kClockSkew, "retryable_clock_skew",
           {"RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture"}),
    // Authorization: what we asked for.
    Family(K::kAuthorization, "non_retryable_authorization",
           {"UnauthorizedOperation",  // seed
            "AccessDenied", "AccessDeniedException", "OptInRequired", "PendingVerification",
            "Blocked"}),
    // Not found; the fleet* codes are per-item errors, as above.
    Family(K::kNotFound, "non_retryable_not_found",
           {"InvalidInstanceID.NotFound", "InvalidFleetId.NotFound",
            "InvalidSpotFleetRequestId.NotFound", "InvalidLaunchTemplateId.NotFound",
            "InvalidLaunchTemplateName.NotFoundException", "fleetRequestIdDoesNotExist",
            "fleetIdDoesNotExist"}),
    // Idempotency.
    Family(K::kIdempotencyMismatch, "non_retryable_idempotency",
           {"IdempotentParameterMismatch", "IdempotentInstanceTerminated"}),
    // Creation by a unique name (Auto Scaling groups, launch templates): it exists already.
    Family(K::kAlreadyExists, "non_retryable_already_exists",
           {"AlreadyExists", "AlreadyExistsFault",
            "InvalidLaunchTemplateName.AlreadyExistsException"}));

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
