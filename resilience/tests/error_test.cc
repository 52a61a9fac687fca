#include "ohfp/resilience/error.h"

#include <gtest/gtest.h>

#include "ohfp/resilience/result.h"

namespace ohfp::resilience {
namespace {

TEST(Error, KindNamesRoundTrip) {
  for (int i = 0; i < kErrorKindCount; ++i) {
    const auto kind = static_cast<ErrorKind>(i);
    EXPECT_EQ(ErrorKindFromName(ErrorKindName(kind)), kind);
  }
  EXPECT_EQ(ErrorKindFromName("nope"), std::nullopt);
  EXPECT_EQ(ErrorKindName(ErrorKind::kCircuitOpen), "circuit_open");
}

TEST(Error, CodeDefaultsToTheKindName) {
  const Error e(ErrorKind::kCircuitOpen);
  EXPECT_EQ(e.code(), "circuit_open");
  EXPECT_EQ(e.message(), "");
  EXPECT_EQ(e.http_status(), 0);
  EXPECT_EQ(e.ToString(), "circuit_open");
}

TEST(Error, CarriesServiceDetails) {
  const Error e = Error(ErrorKind::kThrottled, "RequestLimitExceeded", "Request limit exceeded.")
                      .WithHttpStatus(503)
                      .WithRequestId("abc-123")
                      .WithRetryAfter(std::chrono::seconds(2));
  EXPECT_EQ(e.code(), "RequestLimitExceeded");
  EXPECT_EQ(e.http_status(), 503);
  EXPECT_EQ(e.request_id(), "abc-123");
  EXPECT_EQ(e.retry_after(), std::chrono::seconds(2));
  EXPECT_EQ(e.ToString(),
            "RequestLimitExceeded: Request limit exceeded. (HTTP 503, request id abc-123)");
}

TEST(Error, BuildersCopyOnWrite) {
  const Error a(ErrorKind::kTransient, "InternalError", "boom");
  const Error b = a.WithMessage("other");
  EXPECT_EQ(a.message(), "boom");
  EXPECT_EQ(b.message(), "other");
  EXPECT_EQ(b.code(), "InternalError");
  EXPECT_EQ(a.WithKind(ErrorKind::kTimeout).kind(), ErrorKind::kTimeout);
  EXPECT_EQ(a.kind(), ErrorKind::kTransient);
}

TEST(KindSet, ContainsWhatWasInserted) {
  KindSet s{ErrorKind::kThrottled, ErrorKind::kTimeout};
  EXPECT_TRUE(s.contains(ErrorKind::kThrottled));
  EXPECT_FALSE(s.contains(ErrorKind::kValidation));
  s.erase(ErrorKind::kThrottled);
  EXPECT_FALSE(s.contains(ErrorKind::kThrottled));
  EXPECT_TRUE(KindSet::All().contains(ErrorKind::kUnknown));
  EXPECT_TRUE(KindSet::All().all());
  EXPECT_TRUE(KindSet{}.empty());
}

TEST(Result, HoldsAValueOrAnError) {
  Result<int> ok = 42;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42);
  Result<int> bad = Error(ErrorKind::kNotFound);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(bad.value_or(7), 7);
  Status s;
  EXPECT_TRUE(s.ok());
  Status f = Error(ErrorKind::kInternal);
  EXPECT_FALSE(f.ok());
}

}  // namespace
}  // namespace ohfp::resilience
