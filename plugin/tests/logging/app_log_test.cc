#include "logging/app_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>

#include "config/resilience_json.h"
#include "logging/resilience_log.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "subprocess.h"

namespace ohfp::logging {
namespace {

using ohfp::testing::TempDir;
using ::testing::Contains;
using ::testing::HasSubstr;

std::vector<nlohmann::json> Lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(ohfp::testing::ReadFileText(path));
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::vector<std::string> Messages(const std::string& path) {
  std::vector<std::string> out;
  for (const nlohmann::json& j : Lines(path)) out.push_back(j["message"]);
  return out;
}

TEST(AppLog, WritesOneJsonObjectPerLine) {
  TempDir dir;
  auto log = AppLog::Open({.file = dir.path() + "/logs/app.log"});
  ASSERT_TRUE(log.ok()) << log.error().ToString();
  (*log)->Log(spdlog::level::warn, "hello \"world\"", {{"service", "aws_ec2"}, {"count", 3}});
  (*log)->Log(spdlog::level::debug, "hidden below info");
  const std::vector<nlohmann::json> lines = Lines(dir.path() + "/logs/app.log");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0]["message"], "hello \"world\"");
  EXPECT_EQ(lines[0]["level"], "warning");
  EXPECT_EQ(lines[0]["service"], "aws_ec2");
  EXPECT_EQ(lines[0]["count"], 3);
  EXPECT_TRUE(lines[0]["pid"].is_number_integer());
  EXPECT_TRUE(std::regex_match(lines[0]["time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
}

TEST(AppLog, ParsesHostFactoryLevels) {
  EXPECT_EQ(ParseLogLevel("LOG_DEBUG"), spdlog::level::debug);
  EXPECT_EQ(ParseLogLevel("LOG_INFO"), spdlog::level::info);
  EXPECT_EQ(ParseLogLevel("LOG_WARNING"), spdlog::level::warn);
  EXPECT_EQ(ParseLogLevel("LOG_ERR"), spdlog::level::err);
  EXPECT_EQ(ParseLogLevel("LOG_TRACE"), spdlog::level::trace);
  EXPECT_EQ(ParseLogLevel("warning"), spdlog::level::warn);
  EXPECT_EQ(ParseLogLevel("loud"), std::nullopt);
}

TEST(AppLog, RotatesAndLosesNothingWhenSeveralWritersShareTheFile) {
  TempDir dir;
  const std::string path = dir.path() + "/app.log";
  // Two logs on one file stand for two HostFactory processes.
  auto a = AppLog::Open({.file = path, .max_bytes = 2000, .max_files = 50});
  auto b = AppLog::Open({.file = path, .max_bytes = 2000, .max_files = 50});
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 200; ++i)
    ((i % 2 == 0) ? *a : *b)->Log(spdlog::level::info, "line " + std::to_string(i));
  std::set<std::string> seen;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("app.log", 0) != 0 || name == "app.log.lock") continue;
    ++files;
    EXPECT_LE(std::filesystem::file_size(entry.path()), 2000U + 200U) << name;
    for (const std::string& m : Messages(entry.path().string())) seen.insert(m);
  }
  EXPECT_GT(files, 5);
  EXPECT_EQ(seen.size(), 200U) << "every line is in exactly one of the files";
}

TEST(AppLog, KeepsOnlyMaxFilesOldFiles) {
  TempDir dir;
  auto log = AppLog::Open({.file = dir.path() + "/app.log", .max_bytes = 500, .max_files = 2});
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 100; ++i) (*log)->Log(spdlog::level::info, "line " + std::to_string(i));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/app.log.1"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/app.log.2"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/app.log.3"));
}

TEST(AppLog, AnUnwritableDirectoryIsAClearError) {
  auto log = AppLog::Open({.file = "/proc/ohfp-cannot-be-here/app.log"});
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(std::string(log.error().message()), HasSubstr("/proc/ohfp-cannot-be-here"));
}

// app.log in a temporary directory, the resilience events a pipeline writes to it, and the rest a
// pipeline needs: a manual clock, seeded randomness and a store in memory.
class ResilienceLogTest : public ::testing::Test {
 protected:
  // Opens app.log at `level`; false, and a test failure, when it cannot.
  bool Open(spdlog::level::level_enum level = LogOptions{}.level) {
    auto log = AppLog::Open({.file = path_, .level = level});
    EXPECT_TRUE(log.ok()) << log.error().message();
    if (!log.ok()) return false;
    log_ = std::move(*log);
    events_.emplace(*log_);
    return true;
  }

  TempDir dir_;
  const std::string path_ = dir_.path() + "/app.log";
  std::unique_ptr<AppLog> log_;
  std::optional<ResilienceLog> events_;
  resilience::ManualClock clock_;
  resilience::SeededRandom rng_{1};
  resilience::InMemoryStateStore store_;
};

// The seed's troubleshooting section greps app.log; those commands must find our lines.
TEST_F(ResilienceLogTest, LinesAreFoundByTheSeedsTroubleshootingGreps) {
  ASSERT_TRUE(Open(spdlog::level::debug));
  resilience::ResilienceConfig config = config::AwsResilienceBase();  // the seed's semantics
  config.circuit_breaker.services["aws_ec2"] = {.failure_threshold = 3};
  config.timeout.operations["ec2_describe_instances"] = std::chrono::seconds(2);
  resilience::ResiliencePipeline pipeline(config, {clock_, rng_, store_, &*events_});
  const resilience::Error throttle(resilience::ErrorKind::kThrottled, "RequestLimitExceeded",
                                   "Request limit exceeded.");
  (void)pipeline.Execute("ec2_run_instances", [&] { return resilience::Result<int>(throttle); });
  (void)pipeline.Execute("ec2_run_instances", [&] { return resilience::Result<int>(1); });
  (void)pipeline.Execute(
      pipeline.operation("ec2_describe_instances", "aws_other"), [&](resilience::Deadline d) {
        clock_.AdvanceTo(d.when());
        return resilience::Result<int>(resilience::Error(resilience::ErrorKind::kTimeout));
      });
  log_->Flush();
  const std::string text = ohfp::testing::ReadFileText(path_);
  auto grep = [&](const std::string& pattern) {
    std::vector<std::string> hits;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (std::regex_search(line, std::regex(pattern))) hits.push_back(line);
    }
    return hits;
  };
  EXPECT_EQ(grep("circuit breaker aws_ec2 recorded failure [123]/3").size(), 3U);
  EXPECT_EQ(grep("circuit breaker aws_other recorded failure 1/5").size(), 1U)
      << "a timeout is a breaker failure";
  EXPECT_GE(grep("circuit.*failure").size(), 4U);
  EXPECT_EQ(grep("retry.*attempt").size(), 2U);
  EXPECT_FALSE(grep("timeout").empty());
  EXPECT_EQ(grep("Circuit breaker OPENED for service: aws_ec2").size(), 1U);
  EXPECT_THAT(Messages(path_), Contains("Circuit breaker opened for aws_ec2"));
  EXPECT_THAT(Messages(path_),
              Contains(HasSubstr("Operation ec2_run_instances failed: circuit_open")));
  EXPECT_THAT(Messages(path_), Contains(HasSubstr("Circuit breaker is OPEN for service: aws_ec2")));
  for (const nlohmann::json& j : Lines(path_)) EXPECT_TRUE(j.contains("event")) << j.dump();
}

TEST_F(ResilienceLogTest, TheErrorHandlingSwitchesSilenceRetriesAndStateChanges) {
  ASSERT_TRUE(Open());
  resilience::ErrorHandlingFilter quiet(*events_, /*log_retries=*/false,
                                        /*log_state_changes=*/false);
  resilience::ResilienceConfig config;
  config.circuit_breaker.services["aws_ec2"] = {.failure_threshold = 2};
  config.error_handling.alert_on_circuit_breaker_open = false;
  resilience::ResiliencePipeline pipeline(config, {clock_, rng_, store_, &quiet});
  (void)pipeline.Execute("ec2_run_instances", [] {
    return resilience::Result<int>(resilience::Error(resilience::ErrorKind::kThrottled));
  });
  log_->Flush();
  for (const std::string& m : Messages(path_)) {
    EXPECT_THAT(m, ::testing::Not(HasSubstr("retry attempt")));
    EXPECT_THAT(m, ::testing::Not(HasSubstr("OPENED")));
    EXPECT_THAT(m, ::testing::Not(HasSubstr("opened for")));
  }
  EXPECT_FALSE(Messages(path_).empty());
}

TEST_F(ResilienceLogTest, RateLimiterWaitsAndRateChangesHaveGreppableLines) {
  ASSERT_TRUE(Open(spdlog::level::info));
  resilience::ResilienceConfig config = config::EmbeddedResilienceDefaults();
  config.rate_limiter.scope = "123456789012/us-east-1";
  resilience::ResiliencePipeline pipeline(config, {clock_, rng_, store_, &*events_});
  const resilience::Error throttle(resilience::ErrorKind::kThrottled, "RequestLimitExceeded",
                                   "Request limit exceeded.");
  int attempt = 0;
  (void)pipeline.Execute("ec2_run_instances", [&]() -> resilience::Result<int> {
    if (++attempt == 1) return throttle;
    return 1;
  });
  // RunInstances' request bucket holds 5; after the throttle it is empty, refilling at 1.4/s.
  for (int i = 0; i < 3; ++i) {
    (void)pipeline.Execute("ec2_run_instances", [] { return resilience::Result<int>(1); });
  }
  log_->Flush();
  EXPECT_THAT(Messages(path_),
              Contains("rate limiter: throttled on ec2:RunInstances, rate lowered from 2 to 1.4 "
                       "per second (123456789012/us-east-1/ec2:RunInstances)"));
  EXPECT_THAT(Messages(path_),
              Contains(::testing::MatchesRegex(
                  "rate limiter: ec2_run_instances waits [0-9.]+ s for bucket ec2:RunInstances "
                  "\\(attempt 1\\)")));
  EXPECT_THAT(Messages(path_), ::testing::Not(Contains(HasSubstr("Circuit breaker OPENED"))));
}

}  // namespace
}  // namespace ohfp::logging
