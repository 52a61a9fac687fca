#include "base/time_text.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ohfp::base {
namespace {

using namespace std::chrono;
using resilience::SysTime;

// 2026-01-01 06:07:08 UTC.
SysTime NewYearMorning() { return SysTime(sys_days(2026y / January / 1)) + 6h + 7min + 8s; }

TEST(FormatIso8601, WritesUtcWithTheFractionAsked) {
  const SysTime t = NewYearMorning() + 120ms + 999us;
  EXPECT_EQ(FormatIso8601(t), "2026-01-01T06:07:08Z");
  EXPECT_EQ(FormatIso8601(t, Fraction::kMillis), "2026-01-01T06:07:08.120Z");
  EXPECT_EQ(FormatIso8601(t, Fraction::kMillisIfAny), "2026-01-01T06:07:08.120Z");
  EXPECT_EQ(FormatIso8601(NewYearMorning(), Fraction::kMillis), "2026-01-01T06:07:08.000Z");
  EXPECT_EQ(FormatIso8601(NewYearMorning(), Fraction::kMillisIfAny), "2026-01-01T06:07:08Z");
  EXPECT_EQ(FormatIso8601(SysTime(sys_days(2024y / February / 29)) + 23h + 59min + 59s),
            "2024-02-29T23:59:59Z");
  EXPECT_EQ(FormatIso8601(SysTime() - 1ms, Fraction::kMillis), "1969-12-31T23:59:59.999Z");
}

TEST(FormatIso8601Basic, IsSigV4sDate) {
  EXPECT_EQ(FormatIso8601Basic(NewYearMorning() + 999ms), "20260101T060708Z");
}

TEST(ParseIso8601, ReadsEveryFormAwsSends) {
  const SysTime t = NewYearMorning();
  EXPECT_EQ(ParseIso8601("2026-01-01T06:07:08Z"), t);
  EXPECT_EQ(ParseIso8601("2026-01-01t06:07:08z"), t);
  EXPECT_EQ(ParseIso8601("2026-01-01 06:07:08"), t);  // no zone: UTC
  EXPECT_EQ(ParseIso8601("2026-01-01T06:07:08.5Z"), t + 500ms);
  EXPECT_EQ(ParseIso8601("2026-01-01T06:07:08.1234567891Z"), t + 123456789ns);
  EXPECT_EQ(ParseIso8601("2026-01-01T07:07:08+01:00"), t);
  EXPECT_EQ(ParseIso8601("2026-01-01T05:07:08-0100"), t);
  EXPECT_EQ(ParseIso8601("2026-01-01T06:07:60Z"), t + 52s);  // a leap second
}

TEST(ParseIso8601, RefusesWhatIsNoTime) {
  for (const char* text :
       {"", "tomorrow", "2026-01-01", "2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z",
        "2026-01-01T06:07:08.Z", "2026-01-01T06:07:08+24:00", "2026-01-01T06:07:08Z ",
        "1899-12-31T23:59:59Z", "4030-01-01T00:00:00Z"}) {
    EXPECT_EQ(ParseIso8601(text), std::nullopt) << text;
  }
}

TEST(ParseHttpDate, ReadsRfc1123WithOrWithoutTheDayName) {
  const SysTime t = NewYearMorning();
  EXPECT_EQ(ParseHttpDate("Thu, 01 Jan 2026 06:07:08 GMT"), t);
  EXPECT_EQ(ParseHttpDate("01 jan 2026 06:07:08 UTC"), t);
  EXPECT_EQ(ParseHttpDate("01 Jan 2026 06:07:08 CET"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("01 Foo 2026 06:07:08 GMT"), std::nullopt);
}

TEST(ParseEpochSeconds, ReadsWholeAndFractionalSeconds) {
  EXPECT_EQ(ParseEpochSeconds("1767247628"), NewYearMorning());
  EXPECT_EQ(ParseEpochSeconds("1767247628.25"), NewYearMorning() + 250ms);
  EXPECT_EQ(ParseEpochSeconds("-5"), SysTime() - 5s);
  EXPECT_EQ(ParseEpochSeconds("99999999999999999999"), std::nullopt);
  EXPECT_EQ(ParseEpochSeconds("12a"), std::nullopt);
  EXPECT_EQ(ParseEpochSeconds(""), std::nullopt);
}

}  // namespace
}  // namespace ohfp::base
