// LogEvents (serve/log_events.h): what `ohfp serve` shows of app.log, read incrementally, across
// rotation, in bounded memory. And the bearer token's rules (serve/token.h).
#include "serve/log_events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "ohfp/resilience/manual_clock.h"
#include "serve/token.h"
#include "subprocess.h"

namespace ohfp::serve {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 2026-01-01T00:10:00Z, the clock's wall time below.
const resilience::SysTime kWall{std::chrono::seconds(1767225600 + 600)};

std::string Line(const std::string& time, const std::string& fields) {
  return R"({"time":")" + time + R"(","level":"info","pid":1,"message":"m",)" + fields + "}\n";
}

void Append(const std::string& file, const std::string& text) {
  std::ofstream(file, std::ios::app) << text;
}

std::vector<std::string> Kinds(const nlohmann::ordered_json& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e["kind"]);
  return out;
}

class LogEventsTest : public ::testing::Test {
 protected:
  std::string Log() const { return dir_.path() + "/app.log"; }
  testing::TempDir dir_;
  resilience::ManualClock clock_{kWall};
};

TEST_F(LogEventsTest, KeepsBreakerTransitionsRetriesAndErrorsNewestFirstAndCountsPerMinute) {
  Append(Log(), Line("2026-01-01T00:08:10.000Z", R"("event":"command","aws_calls":3)") +
                    Line("2026-01-01T00:08:20.000Z",
                         R"("event":"retry","error_kind":"throttled","operation":"x")") +
                    Line("2026-01-01T00:09:01.000Z",
                         R"("event":"circuit","service":"aws_ec2","from":"closed","to":"open")") +
                    Line("2026-01-01T00:09:02.000Z", R"("event":"attempt")") + "not json\n" +
                    Line("2026-01-01T00:09:03.000Z",
                         R"("event":"result","ok":false,"error_kind":"throttled")") +
                    Line("2026-01-01T00:09:04.000Z", R"("event":"rejected","service":"aws_ec2")"));
  LogEvents events({.file = Log()}, clock_);
  EXPECT_THAT(Kinds(events.Recent(10, {})),
              ElementsAre("rejected", "throttle", "breaker", "retry"));
  EXPECT_THAT(Kinds(events.Recent(10, {"breaker"})), ElementsAre("breaker"));
  EXPECT_THAT(Kinds(events.Recent(1, {})), ElementsAre("rejected"));
  const nlohmann::ordered_json minutes = events.Timeline(std::chrono::minutes(3));
  ASSERT_EQ(minutes.size(), 3u);
  EXPECT_EQ(minutes[0]["time"], "2026-01-01T00:08:00.000Z");
  EXPECT_EQ(minutes[0]["commands"], 1);
  EXPECT_EQ(minutes[0]["aws_calls"], 3);
  EXPECT_EQ(minutes[0]["retries"], 1);
  EXPECT_EQ(minutes[0]["throttles"], 1);
  EXPECT_EQ(minutes[1]["breaker_opens"], 1);
  EXPECT_EQ(minutes[1]["throttles"], 1);
  EXPECT_EQ(minutes[1]["errors"], 1);
  EXPECT_EQ(minutes[1]["rejections"], 1);
  EXPECT_EQ(minutes[2]["commands"], 0) << "a quiet minute is there, with zeros";
}

TEST_F(LogEventsTest, ReadsOnlyWhatWasAppendedAndFollowsARotation) {
  const std::string open = R"("event":"circuit","service":"s","from":"closed","to":"open")";
  Append(Log(), Line("2026-01-01T00:09:00.000Z", open));
  LogEvents events({.file = Log(), .min_refresh_interval = std::chrono::seconds(1)}, clock_);
  EXPECT_EQ(events.Recent(10, {}).size(), 1u);
  Append(Log(), Line("2026-01-01T00:09:01.000Z", open));
  EXPECT_EQ(events.Recent(10, {}).size(), 1u) << "no second read within the refresh interval";
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(events.Recent(10, {}).size(), 2u);
  // A half-written line waits for its end.
  Append(Log(), R"({"time":"2026-01-01T00:09:02.000Z","event":"circ)");
  events.Refresh(/*force=*/true);
  EXPECT_EQ(events.Recent(10, {}).size(), 2u);
  Append(Log(), R"(uit","to":"half_open"})"
                "\n");
  // Another process rotates: app.log -> app.log.1 after one more line, then a new app.log.
  Append(Log(), Line("2026-01-01T00:09:03.000Z", open));
  std::filesystem::rename(Log(), Log() + ".1");
  Append(Log(), Line("2026-01-01T00:09:04.000Z", open));
  events.Refresh(/*force=*/true);
  const nlohmann::ordered_json all = events.Recent(10, {});
  ASSERT_EQ(all.size(), 5u) << all.dump();
  EXPECT_EQ(all[0]["time"], "2026-01-01T00:09:04.000Z");
  EXPECT_EQ(all[1]["time"], "2026-01-01T00:09:03.000Z");
  EXPECT_EQ(all[2]["to"], "half_open");
}

TEST_F(LogEventsTest, MemoryIsBoundedAndAStartReadsOnlyTheTail) {
  std::string text;
  for (int i = 0; i < 500; ++i) {
    text += Line("2026-01-01T00:09:00.000Z",
                 R"("event":"retry","n":)" + std::to_string(i) + R"(,"error_kind":"transient")");
  }
  Append(Log(), text);
  LogEvents tail({.file = Log(), .initial_bytes = 2000}, clock_);
  const nlohmann::ordered_json recent = tail.Recent(1000, {});
  EXPECT_GT(recent.size(), 5u);
  EXPECT_LT(recent.size(), 30u) << "only the last 2000 bytes";
  EXPECT_EQ(recent[0]["n"], 499);
  LogEvents capped({.file = Log(), .max_events = 10}, clock_);
  EXPECT_EQ(capped.Recent(1000, {}).size(), 10u);
}

TEST(IsoTime, ParsesWithAndWithoutMillisecondsAndRefusesTheRest) {
  EXPECT_EQ(ParseIsoMillis("1970-01-01T00:00:01.250Z"), 1250);
  EXPECT_EQ(ParseIsoMillis("2026-01-01T00:00:00Z"), 1767225600000);
  EXPECT_EQ(ParseIsoMillis("2026-01-01 00:00:00"), std::nullopt);
  EXPECT_EQ(ParseIsoMillis("2026-13-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseIsoMillis(""), std::nullopt);
}

class TokenTest : public ::testing::Test {
 protected:
  std::string File(const std::string& content, mode_t mode) {
    const std::string path = dir_.Write("token", content);
    ::chmod(path.c_str(), mode);
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(TokenTest, AFileEveryoneCanReadIsRefusedWithTheFix) {
  auto token = LoadToken(File("0123456789abcdef0123\n", 0644));
  ASSERT_FALSE(token.ok());
  EXPECT_THAT(token.error().message(), HasSubstr("readable by every user"));
  EXPECT_THAT(token.error().message(), HasSubstr("chmod 600"));
  EXPECT_THAT(token.error().message(), ::testing::Not(HasSubstr("0123456789abcdef")))
      << "the message never shows the token";
}

TEST_F(TokenTest, AShortOrMissingTokenIsRefused) {
  EXPECT_FALSE(LoadToken(File("short\n", 0600)).ok());
  EXPECT_FALSE(LoadToken(dir_.path() + "/none").ok());
}

TEST_F(TokenTest, AnOwnerOnlyFileGivesTheTokenWithoutItsNewline) {
  auto token = LoadToken(File("0123456789abcdef0123\n", 0640));
  ASSERT_TRUE(token.ok()) << token.error().ToString();
  EXPECT_EQ(*token, "0123456789abcdef0123");
}

TEST(Bearer, TheSchemeIsCaseInsensitiveAndTheTokenExact) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer abc"), "abc");
  EXPECT_EQ(BearerToken("Basic abc"), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer "), std::nullopt);
  EXPECT_EQ(BearerToken(""), std::nullopt);
  EXPECT_TRUE(TokenMatches("0123456789abcdef", "0123456789abcdef"));
  EXPECT_FALSE(TokenMatches("0123456789abcdef", "0123456789abcdeF"));
  EXPECT_FALSE(TokenMatches("0123456789abcdef", "0123456789abcde"));
  EXPECT_FALSE(TokenMatches("", ""));
}

}  // namespace
}  // namespace ohfp::serve
