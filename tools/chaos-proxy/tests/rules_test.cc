#include "ohfp/chaos_proxy/rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "ohfp/chaos_proxy/cli.h"

namespace ohfp::chaos_proxy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Errors(std::string_view text) {
  std::vector<std::string> out;
  for (const ConfigError& e : ParseRules(text).errors) out.push_back(e.ToString());
  return out;
}

TEST(Rules, ParsesEveryFaultType) {
  const ParsedRules parsed = ParseRules(R"({"rules": [
    {"name": "a", "match": {"action": "DescribeInstances", "service": "ec2"}, "probability": 0.25,
     "from": 10, "duration": 30.5, "max_hits": 3, "fault": {"type": "throttle", "message": "slow down"}},
    {"match": {"action": ["RunInstances", "CreateFleet"]}, "fault": {"type": "capacity"}},
    {"match": {"service": "autoscaling"}, "fault": {"type": "error", "status": 503, "code": "ServiceUnavailable"}},
    {"fault": {"type": "error", "status": 502, "html": true}},
    {"fault": {"type": "latency", "ms": 250}},
    {"fault": {"type": "hang", "ms": 60000}},
    {"fault": {"type": "reset"}},
    {"fault": {"type": "drop_response"}},
    {"match": {"action": "ModifyFleet"}, "fault": {"type": "respond", "body": "<x/>"}}
  ]})");
  ASSERT_TRUE(parsed.ok()) << parsed.errors.front().ToString();
  const auto& rules = parsed.rules->rules;
  ASSERT_EQ(rules.size(), 9u);

  EXPECT_EQ(rules[0].name, "a");
  EXPECT_THAT(rules[0].match.actions, ElementsAre("DescribeInstances"));
  EXPECT_EQ(rules[0].match.service, Service::kEc2);
  EXPECT_DOUBLE_EQ(rules[0].probability, 0.25);
  EXPECT_EQ(rules[0].from, std::chrono::seconds(10));
  EXPECT_EQ(rules[0].duration, std::chrono::milliseconds(30500));
  EXPECT_EQ(rules[0].max_hits, 3u);
  EXPECT_EQ(rules[0].fault.type, FaultType::kThrottle);
  EXPECT_EQ(rules[0].fault.message, "slow down");

  EXPECT_EQ(rules[1].name, "rules[1]");
  EXPECT_THAT(rules[1].match.actions, ElementsAre("RunInstances", "CreateFleet"));
  EXPECT_FALSE(rules[1].match.service.has_value());
  EXPECT_DOUBLE_EQ(rules[1].probability, 1.0);
  EXPECT_FALSE(rules[1].duration.has_value());
  EXPECT_FALSE(rules[1].max_hits.has_value());
  EXPECT_EQ(rules[1].fault.type, FaultType::kCapacity);

  EXPECT_EQ(rules[2].fault.status, 503);
  EXPECT_EQ(rules[2].fault.code, "ServiceUnavailable");
  EXPECT_TRUE(rules[3].fault.html);
  EXPECT_EQ(rules[4].fault.delay, std::chrono::milliseconds(250));
  EXPECT_EQ(rules[5].fault.type, FaultType::kHang);
  EXPECT_EQ(rules[5].fault.delay, std::chrono::seconds(60));
  EXPECT_EQ(rules[6].fault.type, FaultType::kReset);
  EXPECT_EQ(rules[7].fault.type, FaultType::kDropResponse);
  EXPECT_EQ(rules[8].fault.type, FaultType::kRespond);
  EXPECT_EQ(rules[8].fault.status, 200);
  EXPECT_EQ(rules[8].fault.content_type, "text/xml;charset=UTF-8");
  EXPECT_TRUE(rules[8].match.actions == std::vector<std::string>{"ModifyFleet"});
}

TEST(Rules, StarAndAnyMatchEverything) {
  const ParsedRules parsed = ParseRules(
      R"({"rules": [{"match": {"action": "*", "service": "any"}, "fault": {"type": "reset"}}]})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed.rules->rules[0].match.actions.empty());
  EXPECT_FALSE(parsed.rules->rules[0].match.service.has_value());
}

TEST(Rules, AnEmptyListIsValid) {
  const ParsedRules parsed = ParseRules(R"({"rules": []})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed.rules->rules.empty());
}

TEST(Rules, ReportsEveryProblemAtOnceWithItsJsonPath) {
  const auto errors = Errors(R"({"rulez": 1, "rules": [
    {"match": {"action": "RunInstances", "servce": "ec2"}, "probability": 1.5, "fault": {"type": "throttle"}},
    {"probability": "often", "fault": {"type": "explode"}},
    {"fault": {"type": "latency"}, "max_hits": -1, "from": -3},
    {"fault": {"type": "error", "status": 200}},
    {"match": {"service": "s3"}, "fault": {"type": "throttle", "ms": 5}},
    {"name": "x", "fault": {"type": "reset"}},
    {"name": "x", "fault": {"type": "hang", "ms": 1.5}},
    {"match": {"action": []}},
    "not an object"
  ]})");
  EXPECT_THAT(
      errors,
      UnorderedElementsAre(
          HasSubstr("$.rulez: unknown key"),
          HasSubstr("$.rules[0].match.servce: unknown key (allowed: action, service)"),
          "$.rules[0].probability: must be between 0 and 1, got 1.5",
          "$.rules[1].probability: must be a number, got string",
          HasSubstr(
              "$.rules[1].fault.type: unknown fault type \"explode\" (expected one of: throttle, "
              "error, capacity, latency, hang, reset, drop_response, respond)"),
          "$.rules[2].fault.ms: is required",
          "$.rules[2].max_hits: must be an integer >= 0, got -1",
          "$.rules[2].from: must be a number of seconds >= 0, got -3",
          "$.rules[3].fault.status: must be between 400 and 599, got 200",
          "$.rules[3].fault.code: is required",
          HasSubstr("$.rules[4].match.service: unknown service \"s3\""),
          HasSubstr("$.rules[4].fault.ms: not used by fault type \"throttle\""),
          "$.rules[6].name: duplicate rule name \"x\"",
          "$.rules[6].fault.ms: must be an integer, got a fractional number 1.5",
          "$.rules[7].match.action: must not be an empty list", "$.rules[7].fault: is required",
          "$.rules[8]: must be an object, got string"));
}

// Found by fuzz_chaos_rules: nlohmann's message quoted bytes that are not UTF-8 (the errors are
// printed as JSON); 1e400 threw out_of_range past the parse_error handler; a deep document
// overflows the stack when copied or printed.
TEST(Rules, HostileDocumentsAreOneErrorThatPrintsAsJson) {
  for (const std::string& text :
       {std::string("\n\xe7"), std::string(R"({"rules": [{"probability": 1e400}]})"),
        std::string(R"({"rules": )") + std::string(100'000, '[') + std::string(100'000, ']') +
            "}"}) {
    const ParsedRules parsed = ParseRules(text);
    ASSERT_FALSE(parsed.ok()) << text.substr(0, 60);
    ASSERT_EQ(parsed.errors.size(), 1U);
    EXPECT_EQ(parsed.errors[0].path, "$");
    EXPECT_NO_THROW(static_cast<void>(nlohmann::json(parsed.errors[0].ToString()).dump()));
  }
}

TEST(Rules, AnyErrorMeansNoRules) {
  const ParsedRules parsed =
      ParseRules(R"({"rules": [{"fault": {"type": "reset"}}, {"fault": 3}]})");
  EXPECT_FALSE(parsed.ok());
  EXPECT_FALSE(parsed.rules.has_value());
  EXPECT_THAT(Errors(R"({"rules": [{"fault": 3}]})"),
              ElementsAre("$.rules[0].fault: must be an object, got number"));
}

TEST(Rules, ReportsDocumentLevelProblems) {
  EXPECT_THAT(Errors("{"), ElementsAre(HasSubstr("$: not valid JSON")));
  EXPECT_THAT(Errors("[]"), ElementsAre("$: must be an object with a \"rules\" list, got array"));
  EXPECT_THAT(Errors("{}"), ElementsAre("$.rules: is required (a list of rules; [] for none)"));
  EXPECT_THAT(Errors(R"({"rules": {}})"), ElementsAre("$.rules: must be a list, got object"));
}

TEST(Rules, RoundTripsThroughJson) {
  const ParsedRules parsed = ParseRules(R"({"rules": [
    {"name": "a", "match": {"action": ["RunInstances", "CreateFleet"], "service": "ec2"}, "probability": 0.5,
     "from": 1.5, "duration": 2, "max_hits": 4, "fault": {"type": "error", "status": 500, "code": "InternalError",
     "message": "m"}},
    {"fault": {"type": "respond", "status": 201, "body": "b", "content_type": "text/plain"}},
    {"match": {"service": "monitoring"}, "fault": {"type": "hang", "ms": 10}}
  ]})");
  ASSERT_TRUE(parsed.ok());
  const nlohmann::json once = RulesToJson(*parsed.rules);
  const ParsedRules again = ParseRulesDocument(once);
  ASSERT_TRUE(again.ok()) << again.errors.front().ToString();
  EXPECT_EQ(RulesToJson(*again.rules), once);
  EXPECT_EQ(once["rules"][0]["match"]["action"], nlohmann::json({"RunInstances", "CreateFleet"}));
  EXPECT_EQ(once["rules"][1]["name"], "rules[1]");
  EXPECT_EQ(once["rules"][2]["match"]["service"], "monitoring");
}

TEST(Rules, TheShippedExamplesAreValid) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(OHFP_CHAOS_PROXY_EXAMPLES)) {
    if (entry.path().extension() != ".json") continue;
    const ParsedRules parsed = LoadRulesFile(entry.path().string());
    EXPECT_TRUE(parsed.ok()) << entry.path() << ": " << parsed.errors.front().ToString();
    // Each example does something: rules, or the throttling model.
    EXPECT_FALSE(parsed.ok() && parsed.rules->rules.empty() && !parsed.rules->throttling)
        << entry.path();
    ++count;
  }
  EXPECT_GE(count, 4);
}

TEST(Rules, FaultTypeNamesRoundTrip) {
  for (int i = 0; i < kFaultTypeCount; ++i) {
    const auto type = static_cast<FaultType>(i);
    EXPECT_EQ(FaultTypeFromName(FaultTypeName(type)), type);
  }
  EXPECT_FALSE(FaultTypeFromName("timeout").has_value());
}

}  // namespace
}  // namespace ohfp::chaos_proxy
