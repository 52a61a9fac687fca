#include "ohfp/resilience/classifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "ohfp/resilience/retry.h"

namespace ohfp::resilience {
namespace {

// The seed's ErrorClassifier.classify_aws_error, code for code.
TEST(ErrorClassifier, KeepsTheSeedsStringsForEveryCodeInItsTables) {
  const std::vector<std::pair<std::string, std::string>> seed = {
      {"ThrottlingException", "retryable_rate_limit"},
      {"RequestLimitExceeded", "retryable_rate_limit"},
      {"ServiceUnavailable", "retryable_service_unavailable"},
      {"InternalServerError", "retryable_internal_error"},
      {"RequestTimeout", "retryable_timeout"},
      {"InsufficientInstanceCapacity", "retryable_capacity_issue"},
      {"InvalidUserID.NotFound", "non_retryable_authentication"},
      {"UnauthorizedOperation", "non_retryable_authorization"},
      {"InvalidParameterValue", "non_retryable_validation"},
      {"InvalidAMIID.NotFound", "non_retryable_validation"},
      {"InvalidSubnetID.NotFound", "non_retryable_validation"},
  };
  for (const auto& [code, label] : seed)
    EXPECT_EQ(ErrorClassifier::ClassifyAwsError(code), label) << code;
}

TEST(ErrorClassifier, UnknownCodesAreUnknown) {
  EXPECT_EQ(ErrorClassifier::ClassifyAwsError("SomethingNew"), "unknown");
  EXPECT_EQ(ErrorClassifier::ClassifyAwsError(""), "unknown");
  EXPECT_EQ(ErrorClassifier::KindOf("SomethingNew", 400), ErrorKind::kUnknown);
}

// Every code aws-notes.md lists, with the kind it gives it.
TEST(ErrorClassifier, CoversTheCodesOfTheAwsNotes) {
  const std::vector<std::pair<std::string, ErrorKind>> notes = {
      {"RequestLimitExceeded", ErrorKind::kThrottled},
      {"Throttling", ErrorKind::kThrottled},
      {"ThrottlingException", ErrorKind::kThrottled},
      {"ThrottledException", ErrorKind::kThrottled},
      {"RequestThrottledException", ErrorKind::kThrottled},
      {"TooManyRequestsException", ErrorKind::kThrottled},
      {"RequestThrottled", ErrorKind::kThrottled},
      {"SlowDown", ErrorKind::kThrottled},
      {"EC2ThrottledException", ErrorKind::kThrottled},
      {"BandwidthLimitExceeded", ErrorKind::kThrottled},
      {"PriorRequestNotComplete", ErrorKind::kThrottled},
      {"InternalError", ErrorKind::kTransient},
      {"InternalFailure", ErrorKind::kTransient},
      {"ServiceUnavailable", ErrorKind::kTransient},
      {"Unavailable", ErrorKind::kTransient},
      {"RequestTimeout", ErrorKind::kTransient},
      {"RequestTimeoutException", ErrorKind::kTransient},
      {"InsufficientInstanceCapacity", ErrorKind::kCapacity},
      {"InsufficientHostCapacity", ErrorKind::kCapacity},
      {"InsufficientReservedInstanceCapacity", ErrorKind::kCapacity},
      {"SpotMaxPriceTooLow", ErrorKind::kCapacity},
      {"MaxSpotInstanceCountExceeded", ErrorKind::kCapacity},
      {"InstanceLimitExceeded", ErrorKind::kQuota},
      {"VcpuLimitExceeded", ErrorKind::kQuota},
      {"LimitExceeded", ErrorKind::kQuota},
      {"LimitExceededException", ErrorKind::kQuota},
      {"InvalidParameterValue", ErrorKind::kValidation},
      {"InvalidParameterCombination", ErrorKind::kValidation},
      {"MissingParameter", ErrorKind::kValidation},
      {"ValidationError", ErrorKind::kValidation},
      {"InvalidAMIID.Malformed", ErrorKind::kValidation},
      {"InvalidAMIID.NotFound", ErrorKind::kValidation},
      {"InvalidSubnetID.NotFound", ErrorKind::kValidation},
      {"InvalidSubnetID.Malformed", ErrorKind::kValidation},
      {"InvalidGroup.NotFound", ErrorKind::kValidation},
      {"InvalidKeyPair.NotFound", ErrorKind::kValidation},
      {"AuthFailure", ErrorKind::kAuthentication},
      {"InvalidClientTokenId", ErrorKind::kAuthentication},
      {"SignatureDoesNotMatch", ErrorKind::kAuthentication},
      {"RequestExpired", ErrorKind::kClockSkew},
      {"RequestTimeTooSkewed", ErrorKind::kClockSkew},
      {"UnauthorizedOperation", ErrorKind::kAuthorization},
      {"AccessDenied", ErrorKind::kAuthorization},
      {"AccessDeniedException", ErrorKind::kAuthorization},
      {"InvalidInstanceID.NotFound", ErrorKind::kNotFound},
      {"InvalidFleetId.NotFound", ErrorKind::kNotFound},
      {"InvalidSpotFleetRequestId.NotFound", ErrorKind::kNotFound},
      {"IdempotentParameterMismatch", ErrorKind::kIdempotencyMismatch},
      {"IdempotentInstanceTerminated", ErrorKind::kIdempotencyMismatch},
      {"AlreadyExists", ErrorKind::kAlreadyExists},
  };
  for (const auto& [code, kind] : notes) {
    EXPECT_EQ(ErrorClassifier::KindOf(code, 400), kind)
        << code << " is " << ErrorKindName(ErrorClassifier::KindOf(code, 400));
  }
}

TEST(ErrorClassifier, FallsBackOnTheHttpStatus) {
  EXPECT_EQ(ErrorClassifier::KindOf("", 429), ErrorKind::kThrottled);
  for (int status : {500, 502, 503, 504})
    EXPECT_EQ(ErrorClassifier::KindOf("", status), ErrorKind::kTransient);
  EXPECT_EQ(ErrorClassifier::KindOf("", 401), ErrorKind::kAuthentication);
  EXPECT_EQ(ErrorClassifier::KindOf("", 403), ErrorKind::kAuthorization);
  EXPECT_EQ(ErrorClassifier::KindOf("", 404), ErrorKind::kUnknown);
  // A known code wins over the status: EC2 throttles with 503, Auto Scaling with 400.
  EXPECT_EQ(ErrorClassifier::KindOf("RequestLimitExceeded", 503), ErrorKind::kThrottled);
  EXPECT_EQ(ErrorClassifier::KindOf("InvalidParameterValue", 503), ErrorKind::kValidation);
}

TEST(ErrorClassifier, ExactRowsWinOverPrefixRows) {
  EXPECT_EQ(ErrorClassifier::KindOf("InvalidInstanceID.NotFound", 400), ErrorKind::kNotFound);
  EXPECT_EQ(ErrorClassifier::KindOf("InvalidInstanceID.Malformed", 400), ErrorKind::kValidation);
}

TEST(ErrorClassifier, LabelsAgreeWithKinds) {
  std::set<std::string_view> codes;
  for (const AwsErrorClass& row : ErrorClassifier::Table()) {
    EXPECT_TRUE(codes.insert(row.code).second) << "duplicate row " << row.code;
    const bool retryable_label = row.label.starts_with("retryable_");
    EXPECT_EQ(retryable_label, ErrorClassifier::ShouldRetry(Error(row.kind))) << row.code;
  }
}

TEST(ErrorClassifier, ShouldRetryKeepsTheSeedsPrecedence) {
  // A code in the table decides by its classification, whatever kind the error was given.
  EXPECT_TRUE(ErrorClassifier::ShouldRetry(Error(ErrorKind::kUnknown, "RequestLimitExceeded", "")));
  EXPECT_FALSE(
      ErrorClassifier::ShouldRetry(Error(ErrorKind::kUnknown, "UnauthorizedOperation", "")));
  // The seed's ErrorClassifier retries capacity problems...
  EXPECT_TRUE(ErrorClassifier::ShouldRetry(
      Error(ErrorKind::kCapacity, "InsufficientInstanceCapacity", "")));
  // ... but its AWSRetryStrategy, the one its provider uses, does not: neither does ours by
  // default.
  EXPECT_FALSE(kAwsRetryableKinds.contains(ErrorKind::kCapacity));
  // An unclassified answer from a service is not retried (the seed's "unknown" ClientError)...
  EXPECT_FALSE(
      ErrorClassifier::ShouldRetry(Error(ErrorKind::kUnknown, "Weird", "").WithHttpStatus(400)));
  // ... while an unknown local failure is (the seed's default for unknown exceptions).
  EXPECT_TRUE(ErrorClassifier::ShouldRetry(Error(ErrorKind::kUnknown)));
  EXPECT_FALSE(ErrorClassifier::ShouldRetry(Error(ErrorKind::kCancelled)));
  EXPECT_TRUE(ErrorClassifier::ShouldRetry(Error(ErrorKind::kTimeout)));
}

}  // namespace
}  // namespace ohfp::resilience

namespace ohfp::resilience {
namespace {

// docs/resilience.md lists the table; it must not fall behind the code.
TEST(ErrorClassifier, TheDocumentationListsEveryCode) {
  std::ifstream in(std::string(OHFP_SOURCE_DIR) + "/docs/resilience.md");
  std::stringstream doc;
  doc << in.rdbuf();
  std::string text = doc.str();
  // Markdown escapes '*' as '\*'.
  for (std::size_t p = text.find("\\*"); p != std::string::npos; p = text.find("\\*", p))
    text.erase(p, 1);
  ASSERT_FALSE(text.empty());
  for (const AwsErrorClass& row : ErrorClassifier::Table()) {
    EXPECT_NE(text.find(std::string(row.code)), std::string::npos)
        << row.code << " is missing from docs/resilience.md";
    EXPECT_NE(text.find(std::string(row.label)), std::string::npos) << row.label;
  }
}

}  // namespace
}  // namespace ohfp::resilience
