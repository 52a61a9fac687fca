// ohfp/resilience/classifier.h
//
// ErrorClassifier: the one table that maps an AWS error code (and, failing that, the HTTP status)
// to an ErrorKind and to the seed's classification string ("retryable_rate_limit",
// "non_retryable_validation", ..., "unknown").
//
// Every code in the seed's ErrorClassifier tables keeps the seed's string. Codes the seed does not
// list get a string in the same style ("retryable_internal_error" for InternalError) instead of
// "unknown"; see docs/resilience.md, "Error classification", for the whole table and where the
// seed's two lists disagree (InsufficientInstanceCapacity: classified "retryable_capacity_issue" as
// the seed's ErrorClassifier says, kind kCapacity, but not retried by the AWS retry strategy, as
// the seed's AWSRetryStrategy does not retry it).
//
// Thread-safety: stateless; all functions are safe from any thread.
//
// Example:
//   ErrorClassifier::ClassifyAwsError("RequestLimitExceeded");   // "retryable_rate_limit"
//   ErrorClassifier::KindOf("InvalidAMIID.NotFound", 400);       // ErrorKind::kValidation
//   ErrorClassifier::KindOf("", 503);                            // ErrorKind::kTransient
//   ErrorClassifier::ShouldRetry(error);                         // the seed's should_retry
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "ohfp/resilience/error.h"

namespace ohfp::resilience {

struct AwsErrorClass {
  std::string_view code;  // exact code, or a prefix when it ends in '*'
  ErrorKind kind;
  std::string_view label;  // the seed's classification string
};

class ErrorClassifier {
 public:
  // The seed's classify_aws_error: the classification string of an AWS error code, "unknown" if not
  // in the table.
  static std::string_view ClassifyAwsError(std::string_view code) noexcept;

  // The table row for `code`, if any (exact rows first, then prefix rows).
  static std::optional<AwsErrorClass> Lookup(std::string_view code) noexcept;

  // The kind of an AWS error: the table row for `code`; else from the HTTP status (429 throttled,
  // 5xx transient, 401 authentication, 403 authorization); else kUnknown. `http_status` is 0 when
  // there was no HTTP answer.
  static ErrorKind KindOf(std::string_view code, int http_status) noexcept;

  // The seed's should_retry, for an error value. Precedence: an error whose code is in the table
  // retries when its classification starts with "retryable_" (the seed's ClientError rule);
  // otherwise by kind: retryable kinds (throttled, transient, timeout, capacity, clock_skew) yes,
  // non-retryable kinds (validation, authentication, authorization, not_found, quota,
  // idempotency_mismatch, cancelled) no; kUnknown from a service answer (http_status != 0) no, as
  // the seed answers for an unclassified ClientError; anything else yes, the seed's "default to
  // retryable for unknown exceptions".
  static bool ShouldRetry(const Error& error) noexcept;

  // Every row of the table, for documentation and tests.
  static std::span<const AwsErrorClass> Table() noexcept;
};

}  // namespace ohfp::resilience
