#include "ohfp/resilience/exceptions.h"

#include <gtest/gtest.h>

namespace ohfp::resilience {
namespace {

template <class Expected>
void ExpectThrows(ErrorKind kind) {
  try {
    ThrowError(Error(kind, "Code", "message"));
    FAIL() << "nothing thrown for " << ErrorKindName(kind);
  } catch (const Expected& e) {
    EXPECT_EQ(e.error().kind(), kind);
  } catch (...) {
    FAIL() << "wrong exception type for " << ErrorKindName(kind);
  }
}

TEST(Exceptions, ThrowErrorPicksTheSeedsClass) {
  ExpectThrows<CircuitBreakerOpenError>(ErrorKind::kCircuitOpen);
  ExpectThrows<TimeoutError>(ErrorKind::kTimeout);
  ExpectThrows<RateLimitError>(ErrorKind::kThrottled);
  ExpectThrows<AuthenticationError>(ErrorKind::kAuthentication);
  ExpectThrows<AuthenticationError>(ErrorKind::kClockSkew);
  ExpectThrows<AuthorizationError>(ErrorKind::kAuthorization);
  ExpectThrows<RetryableError>(ErrorKind::kTransient);
  ExpectThrows<RetryableError>(ErrorKind::kCapacity);
  ExpectThrows<NonRetryableError>(ErrorKind::kValidation);
  ExpectThrows<NonRetryableError>(ErrorKind::kNotFound);
  ExpectThrows<ResilienceError>(ErrorKind::kInternal);
}

TEST(Exceptions, HierarchyIsTheSeeds) {
  EXPECT_TRUE((std::is_base_of_v<RetryableError, TimeoutError>));
  EXPECT_TRUE((std::is_base_of_v<RetryableError, RateLimitError>));
  EXPECT_TRUE((std::is_base_of_v<NonRetryableError, AuthenticationError>));
  EXPECT_TRUE((std::is_base_of_v<NonRetryableError, AuthorizationError>));
  EXPECT_TRUE((std::is_base_of_v<ResilienceError, CircuitBreakerOpenError>));
  EXPECT_TRUE((std::is_base_of_v<ResilienceError, RetryableError>));
  EXPECT_TRUE((std::is_base_of_v<ResilienceError, NonRetryableError>));
}

TEST(Exceptions, ErrorFromExceptionKeepsTheCarriedError) {
  const Error e(ErrorKind::kThrottled, "Throttling", "Rate exceeded");
  EXPECT_EQ(ErrorFromException(RateLimitError(e)), e);
  EXPECT_EQ(ErrorFromException(ServiceError(e)), e);
  EXPECT_EQ(ErrorFromException(DomainError("bad template")).kind(), ErrorKind::kValidation);
  const Error other = ErrorFromException(std::runtime_error("disk full"));
  EXPECT_EQ(other.kind(), ErrorKind::kUnknown);
  EXPECT_EQ(other.message(), "disk full");
}

TEST(Exceptions, ShouldRetryFollowsTheSeedsOrder) {
  EXPECT_FALSE(ShouldRetryException(AuthenticationError(Error(ErrorKind::kAuthentication))));
  EXPECT_TRUE(ShouldRetryException(TimeoutError(Error(ErrorKind::kTimeout))));
  EXPECT_TRUE(ShouldRetryException(RateLimitError(Error(ErrorKind::kThrottled))));
  EXPECT_FALSE(ShouldRetryException(DomainError("no such template")));
  EXPECT_TRUE(
      ShouldRetryException(ServiceError(Error(ErrorKind::kThrottled, "RequestLimitExceeded", ""))));
  EXPECT_FALSE(ShouldRetryException(
      ServiceError(Error(ErrorKind::kValidation, "InvalidParameterValue", ""))));
  EXPECT_FALSE(ShouldRetryException(ServiceError(Error(ErrorKind::kUnknown, "Unheard", ""))));
  EXPECT_TRUE(ShouldRetryException(std::runtime_error("anything else")));
}

}  // namespace
}  // namespace ohfp::resilience
