// The one launch verdict (provider/launch_verdict.h), over every error kind and the ways an error
// can arrive: as an answer (an HTTP status), or without one. The same table holds for every create
// call (RunInstances, CreateFleet, RequestSpotFleet, CreateAutoScalingGroup, CreateLaunchTemplate):
// the verdict depends on the error alone, and AwsClient::Create turns a retry chain with an
// unanswered attempt into an unanswered error (aws_client_test.cc).
#include "provider/launch_verdict.h"

#include <gtest/gtest.h>

#include <vector>

namespace ohfp::provider {
namespace {

using resilience::Error;
using resilience::ErrorKind;

struct Case {
  ErrorKind kind;
  int http_status;  // 0: no answer
  LaunchVerdict expected;
};

// Every kind, answered with a 4xx, with a 5xx, and unanswered.
const std::vector<Case> kTable = {
    {ErrorKind::kValidation, 400, LaunchVerdict::kRefused},
    {ErrorKind::kValidation, 0, LaunchVerdict::kRefused},  // e.g. unreadable user data
    {ErrorKind::kAuthentication, 401, LaunchVerdict::kRefused},
    {ErrorKind::kAuthentication, 0, LaunchVerdict::kRefused},  // no credentials: nothing sent
    {ErrorKind::kAuthorization, 403, LaunchVerdict::kRefused},
    {ErrorKind::kQuota, 400, LaunchVerdict::kRefused},
    {ErrorKind::kCapacity, 500, LaunchVerdict::kRefused},  // InsufficientInstanceCapacity
    {ErrorKind::kCapacity, 400, LaunchVerdict::kRefused},  // SpotMaxPriceTooLow
    {ErrorKind::kNotFound, 400, LaunchVerdict::kRefused},  // InvalidAMIID.NotFound
    {ErrorKind::kThrottled, 503, LaunchVerdict::kRetryLater},
    {ErrorKind::kThrottled, 400, LaunchVerdict::kRetryLater},
    {ErrorKind::kClockSkew, 403, LaunchVerdict::kRetryLater},
    {ErrorKind::kCircuitOpen, 0, LaunchVerdict::kRetryLater},
    {ErrorKind::kIdempotencyMismatch, 400, LaunchVerdict::kExists},
    {ErrorKind::kAlreadyExists, 400, LaunchVerdict::kExists},
    {ErrorKind::kUnknown, 400, LaunchVerdict::kRefused},  // a code ohfp has no name for
    {ErrorKind::kUnknown, 500, LaunchVerdict::kUnknown},
    {ErrorKind::kUnknown, 0, LaunchVerdict::kUnknown},
    {ErrorKind::kInternal, 0, LaunchVerdict::kRefused},    // failed before sending
    {ErrorKind::kInternal, 200, LaunchVerdict::kUnknown},  // a success that could not be read
    {ErrorKind::kTimeout, 0, LaunchVerdict::kUnknown},
    {ErrorKind::kTransient, 0, LaunchVerdict::kUnknown},    // a reset
    {ErrorKind::kTransient, 500, LaunchVerdict::kUnknown},  // InternalError: says nothing more
    {ErrorKind::kTransient, 503, LaunchVerdict::kUnknown},
    {ErrorKind::kCancelled, 0, LaunchVerdict::kUnknown},
};

TEST(LaunchVerdictOf, TheTable) {
  for (const Case& c : kTable) {
    Error e(c.kind, "Code", "message");
    if (c.http_status != 0) e = e.WithHttpStatus(c.http_status);
    EXPECT_EQ(LaunchVerdictOf(e), c.expected)
        << resilience::ErrorKindName(c.kind) << " with HTTP " << c.http_status << ": got "
        << LaunchVerdictName(LaunchVerdictOf(e)) << ", want " << LaunchVerdictName(c.expected);
  }
}

TEST(LaunchVerdictOf, EveryKindIsInTheTable) {
  for (int k = 0; k < resilience::kErrorKindCount; ++k) {
    bool found = false;
    for (const Case& c : kTable) found = found || static_cast<int>(c.kind) == k;
    EXPECT_TRUE(found) << resilience::ErrorKindName(static_cast<ErrorKind>(k));
  }
}

}  // namespace
}  // namespace ohfp::provider
