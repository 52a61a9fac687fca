// `ohfp resilience simulate` and `compare`, run as a user runs them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "subprocess.h"

namespace ohfp::cli {
namespace {

using ohfp::testing::ProcessResult;
using ::testing::HasSubstr;

const std::string kSeedConfig =
    std::string(OHFP_SOURCE_DIR) + "/config/examples/seed-resilience.json";
const std::string kRecommended =
    std::string(OHFP_SOURCE_DIR) + "/config/recommended-resilience.json";
const std::string kScenario = std::string(OHFP_SOURCE_DIR) + "/config/scenarios/throttle-storm";

// `ohfp resilience <args>`.
ProcessResult Resilience(std::vector<std::string> args,
                         ohfp::testing::ProcessOptions options = {}) {
  args.insert(args.begin(), {ohfp::testing::OhfpBinary(), "resilience"});
  return ohfp::testing::RunProcess(args, options);
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(SimulateCli, PrintsTheEventsOfTheDocumentedExample) {
  const std::string trace =
      R"({"at": 12.5, "operation": "ec2_run_instances", "attempts": [{"outcome": "RequestLimitExceeded", "latency": 0.2}, {"outcome": "ok", "latency": 0.1}]})"
      "\n";
  const ProcessResult r =
      Resilience({"simulate", "--config", kSeedConfig, "--seed", "5"}, {.stdin_text = trace});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<nlohmann::json> events = JsonLines(r.out);
  ASSERT_EQ(events.size(), 5U) << r.out;
  EXPECT_EQ(events[0]["event"], "attempt");
  EXPECT_EQ(events[0]["at"], 12.7);
  EXPECT_EQ(events[0]["outcome"], "RequestLimitExceeded");
  EXPECT_EQ(events[1]["event"], "retry");
  // The seed's ec2_run_instances retry: 2 s plus up to 10 % jitter.
  EXPECT_GE(events[1]["delay"].get<double>(), 2.0);
  EXPECT_LT(events[1]["delay"].get<double>(), 2.2);
  EXPECT_EQ(events[3]["event"], "result");
  EXPECT_EQ(events[3]["ok"], true);
  EXPECT_EQ(events[3]["attempts"], 2);
  EXPECT_EQ(events[4]["event"], "summary");
  EXPECT_EQ(events[4]["total_operations"], 1);
  EXPECT_EQ(events[4]["success_rate"], 1.0);
}

TEST(SimulateCli, TheSameSeedReplaysTheSameRun) {
  ohfp::testing::TempDir dir;
  const std::string trace = kScenario + ".trace.jsonl";
  const std::string faults = kScenario + ".faults.json";
  auto run = [&](const char* seed) {
    return Resilience({"simulate", "--config", kRecommended, "--trace", trace, "--faults", faults,
                       "--seed", seed});
  };
  const ProcessResult a = run("9");
  const ProcessResult b = run("9");
  const ProcessResult c = run("10");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
  const nlohmann::json summary = JsonLines(a.out).back();
  EXPECT_EQ(summary["calls"], 50);
  EXPECT_EQ(summary["succeeded"], 50);
}

TEST(SimulateCli, BadInputIsExitCodeTwoWithEveryProblemNamed) {
  ohfp::testing::TempDir dir;
  const std::string config =
      dir.Write("bad.json", R"({"resilience": {"retry": {"default_max_attempts": 0, "oops": 1}}})");
  ProcessResult r = Resilience({"simulate", "--config", config}, {.stdin_text = "\n"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_THAT(r.err,
              HasSubstr("resilience.retry.default_max_attempts: must be between 1 and 100, got 0"));
  EXPECT_THAT(r.err, HasSubstr("resilience.retry.oops: is not a known key"));

  r = Resilience({"simulate", "--config", kSeedConfig},
                 {.stdin_text = "{\"operation\": \"provision\"}\n"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("needs a \"service\""));

  r = Resilience({"simulate", "--config", dir.path() + "/missing.json"}, {.stdin_text = "\n"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot read"));

  r = Resilience({"simulate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--config"));
}

TEST(CompareCli, ShowsTheSeedConfigurationFailingWhereTheRecommendedOneRecovers) {
  const ProcessResult r =
      Resilience({"compare", "--config", kSeedConfig, "--config", kRecommended, "--trace",
                  kScenario + ".trace.jsonl", "--faults", kScenario + ".faults.json", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2U);
  EXPECT_EQ(j[0]["succeeded"], 0) << "the seed's breaker rejects, and rejections are not retried";
  EXPECT_EQ(j[1]["succeeded"], 50);
  EXPECT_GE(j[1]["last_success_at"].get<double>(), 90.0)
      << "nothing can succeed before the throttling ends";
}

TEST(CompareCli, PrintsATable) {
  const ProcessResult r =
      Resilience({"compare", "--config", kSeedConfig, "--config", kRecommended, "--label", "seed",
                  "--label", "recommended", "--trace", kScenario + ".trace.jsonl", "--faults",
                  kScenario + ".faults.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("recommended"));
  EXPECT_THAT(r.out, HasSubstr("breaker openings"));
  EXPECT_THAT(r.out, HasSubstr("time until the last success"));
  EXPECT_THAT(r.out, HasSubstr("never"));
}

TEST(CompareCli, ASmallBucketOpensTheSeedsBreakerAndTheLimiterWaitsInstead) {
  // 48 DescribeInstances in the first 0.2 s against EC2's published buckets scaled to a tenth
  // (DescribeInstances: 5 tokens, 1 per second), as the chaos proxy's model serves them.
  const std::string burst = std::string(OHFP_SOURCE_DIR) + "/config/scenarios/describe-burst";
  const ProcessResult r =
      Resilience({"compare", "--config", kSeedConfig, "--config", burst + ".seed-with-limiter.json",
                  "--trace", burst + ".trace.jsonl", "--server", burst + ".server.json", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2U);
  EXPECT_EQ(j[0]["failed"], 43) << "the seed: throttles open aws_ec2, and it rejects the rest";
  EXPECT_EQ(j[0]["breaker_openings"], 1);
  EXPECT_GT(j[0]["throttled"].get<int>(), 0);
  EXPECT_EQ(j[1]["throttled"], 0) << "the limiter sends nothing the bucket cannot take";
  EXPECT_EQ(j[1]["breaker_openings"], 0);
  EXPECT_EQ(j[1]["succeeded"], 35) << "5 at once and one a second until the 30 s deadline";
  EXPECT_EQ(j[1]["rate_limited_calls"], 13) << "the rest fail at once, not at their deadline";
}

TEST(SimulateCli, PrintsWaitsForTokensAndRateChanges) {
  ohfp::testing::TempDir dir;
  const std::string server =
      dir.Write("server.json",
                R"({"buckets": {"b": {"capacity": 1, "refill_rate": 1, "background_rate": 0.5}},
          "operations": {"ec2_describe_instances": {"buckets": ["b"]}}})");
  const std::string config = dir.Write("config.json",
                                       R"({"resilience": {"rate_limiter": {"enabled": true,
          "buckets": {"b": {"capacity": 1, "refill_rate": 1}},
          "operations": {"ec2_describe_instances": {"buckets": ["b"]}}}}})");
  std::string trace;
  for (int i = 0; i < 4; ++i)
    trace += R"({"operation": "ec2_describe_instances"})"
             "\n";
  const ProcessResult r =
      Resilience({"simulate", "--config", config, "--server", server}, {.stdin_text = trace});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> kinds;
  for (const nlohmann::json& e : JsonLines(r.out)) kinds.insert(e["event"].get<std::string>());
  EXPECT_TRUE(kinds.contains("wait")) << r.out;
  EXPECT_TRUE(kinds.contains("rate")) << r.out;
  const nlohmann::json summary = JsonLines(r.out).back();
  EXPECT_GT(summary["rate_limiter_waits"].get<int>(), 0);
  EXPECT_GT(summary["throttled"].get<int>(), 0) << "the background spending surprised it";
}

}  // namespace
}  // namespace ohfp::cli
