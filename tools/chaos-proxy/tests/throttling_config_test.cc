#include "ohfp/chaos_proxy/throttling_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "ohfp/chaos_proxy/rules.h"
#include "test_support.h"

namespace ohfp::chaos_proxy {
namespace {

using ::testing::HasSubstr;

using testing::Asg;
using testing::Ec2;

std::vector<std::string> Errors(std::string_view section) {
  std::vector<ConfigError> errors;
  EXPECT_FALSE(ParseThrottlingSection(nlohmann::json::parse(section), errors).has_value());
  std::vector<std::string> out;
  for (const ConfigError& e : errors) out.push_back(e.ToString());
  return out;
}

BucketUse Only(const ThrottlingConfig& config, const AwsRequest& request) {
  const auto plan = BucketsFor(config, request);
  EXPECT_TRUE(plan.has_value());
  EXPECT_EQ(plan ? plan->uses.size() : 0u, 1u);
  return plan && !plan->uses.empty() ? plan->uses.front() : BucketUse{};
}

TEST(ThrottlingConfig, ThePublishedTableHasTheDocumentedNumbers) {
  // "Request token bucket sizes and refill rates": the categories...
  EXPECT_EQ(PublishedCategoryLimits(ThrottleCategory::kNonMutating), (BucketLimits{100, 20}));
  EXPECT_EQ(PublishedCategoryLimits(ThrottleCategory::kUnfilteredNonMutating),
            (BucketLimits{50, 10}));
  EXPECT_EQ(PublishedCategoryLimits(ThrottleCategory::kMutating), (BucketLimits{50, 5}));
  EXPECT_EQ(PublishedCategoryLimits(ThrottleCategory::kResourceIntensive), (BucketLimits{50, 5}));
  EXPECT_EQ(PublishedCategoryLimits(ThrottleCategory::kConsoleNonMutating),
            (BucketLimits{100, 10}));
  EXPECT_FALSE(PublishedCategoryLimits(ThrottleCategory::kUncategorized).has_value());
  // ...and the actions HostFactory uses most.
  const ThrottlingConfig published;
  EXPECT_EQ(Only(published, Ec2("DescribeInstances", "Filter.1.Name=tag%3Aa")).limits,
            (BucketLimits{100, 20}));
  EXPECT_EQ(Only(published, Ec2("DescribeInstances")).limits, (BucketLimits{50, 10}));
  EXPECT_EQ(Only(published, Ec2("CreateFleet")).limits, (BucketLimits{50, 5}));
  EXPECT_EQ(Only(published, Ec2("CreateTags")).limits, (BucketLimits{100, 10}));
  EXPECT_EQ(Only(published, Ec2("DescribeSpotFleetRequests")).limits, (BucketLimits{50, 3}));
  EXPECT_EQ(Only(published, Ec2("CancelSpotInstanceRequests")).limits, (BucketLimits{50, 5}));
  EXPECT_EQ(Only(published, Ec2("AdvertiseByoipCidr")).limits, (BucketLimits{1, 0.1}));

  // "Resource token bucket sizes and refill rates", with each action's request bucket.
  const auto both = [&](const std::string& action, const std::string& extra) {
    const auto plan = BucketsFor(published, Ec2(action, extra));
    EXPECT_TRUE(plan && plan->uses.size() == 2) << action;
    return plan && plan->uses.size() == 2
               ? std::make_pair(plan->uses[0].limits, plan->uses[1].limits)
               : std::make_pair(BucketLimits{}, BucketLimits{});
  };
  EXPECT_EQ(both("RunInstances", "MinCount=1&MaxCount=1"),
            std::make_pair(BucketLimits{5, 2}, BucketLimits{1000, 2}));
  EXPECT_EQ(both("TerminateInstances", "InstanceId.1=i-1"),
            std::make_pair(BucketLimits{100, 5}, BucketLimits{1000, 20}));
  EXPECT_EQ(both("StartInstances", "InstanceId.1=i-1"),
            std::make_pair(BucketLimits{5, 2}, BucketLimits{1000, 2}));
  EXPECT_EQ(both("StopInstances", "InstanceId.1=i-1"),  // request bucket: a mutating action
            std::make_pair(BucketLimits{50, 5}, BucketLimits{1000, 20}));

  std::set<std::string_view> names;
  for (const PublishedLimit& limit : PublishedUncategorizedLimits()) {
    EXPECT_TRUE(names.insert(limit.action).second) << "listed twice: " << limit.action;
    EXPECT_GE(limit.limits.capacity, 1) << limit.action;
    EXPECT_GT(limit.limits.refill_rate, 0) << limit.action;
  }
  EXPECT_EQ(names.size(), 121u);
  EXPECT_EQ(PublishedResourceLimits().size(), 4u);
  EXPECT_EQ(ResourceIntensiveActions().size(), 9u);
  EXPECT_EQ(UnfilteredNonMutatingActions().size(), 7u);
}

TEST(ThrottlingConfig, ClassifiesEc2Actions) {
  EXPECT_EQ(Ec2Category("DescribeRegions"), ThrottleCategory::kNonMutating);
  EXPECT_EQ(Ec2Category("ListImagesInRecycleBin"), ThrottleCategory::kNonMutating);
  EXPECT_EQ(Ec2Category("SearchTransitGatewayRoutes"), ThrottleCategory::kNonMutating);
  EXPECT_EQ(Ec2Category("GetConsoleOutput"), ThrottleCategory::kNonMutating);
  EXPECT_EQ(Ec2Category("CreateFleet"), ThrottleCategory::kMutating);
  EXPECT_EQ(Ec2Category("RequestSpotFleet"), ThrottleCategory::kMutating);
  EXPECT_EQ(Ec2Category("StopInstances"), ThrottleCategory::kMutating);
  EXPECT_EQ(Ec2Category("RequestSpotInstances"), ThrottleCategory::kResourceIntensive);
  EXPECT_EQ(Ec2Category("RunInstances"), ThrottleCategory::kUncategorized);
  EXPECT_EQ(Ec2Category("DescribeSpotFleetInstances"), ThrottleCategory::kUncategorized);
}

TEST(ThrottlingConfig, UnfilteredUnpaginatedDescribesUseTheSmallerBucket) {
  const ThrottlingConfig published;
  const BucketUse unfiltered = Only(published, Ec2("DescribeInstances", "InstanceId.1=i-1"));
  EXPECT_EQ(unfiltered.name, "ec2:DescribeInstances:unfiltered");
  EXPECT_EQ(unfiltered.kind, BucketKind::kUnfiltered);
  EXPECT_EQ(unfiltered.category, ThrottleCategory::kUnfilteredNonMutating);
  for (const std::string extra : {"Filter.1.Name=instance-state-name&Filter.1.Value.1=running",
                                  "MaxResults=100", "NextToken=abc"}) {
    const BucketUse standard = Only(published, Ec2("DescribeInstances", extra));
    EXPECT_EQ(standard.name, "ec2:DescribeInstances") << extra;
    EXPECT_EQ(standard.category, ThrottleCategory::kNonMutating) << extra;
  }
  // Only the seven listed actions have the smaller bucket.
  EXPECT_EQ(Only(published, Ec2("DescribeRegions")).name, "ec2:DescribeRegions");
  EXPECT_TRUE(IsUnfilteredUnpaginated(Ec2("DescribeVolumes")));
  EXPECT_FALSE(IsUnfilteredUnpaginated(Ec2("DescribeImages")));
}

TEST(ThrottlingConfig, ResourceBucketsCostOneTokenPerInstance) {
  const ThrottlingConfig published;
  const auto plan = BucketsFor(published, Ec2("RunInstances", "MinCount=2&MaxCount=250"));
  ASSERT_TRUE(plan.has_value());
  ASSERT_EQ(plan->uses.size(), 2u);
  EXPECT_EQ(plan->uses[0].name, "ec2:RunInstances");
  EXPECT_EQ(plan->uses[0].cost, 1);
  EXPECT_EQ(plan->uses[1].name, "ec2:RunInstances:resource");
  EXPECT_EQ(plan->uses[1].kind, BucketKind::kResource);
  EXPECT_EQ(plan->uses[1].cost, 250);  // MaxCount: what the upstream will launch
  EXPECT_EQ(plan->resources, 250u);

  EXPECT_EQ(ResourceCount(Ec2("RunInstances", "MinCount=3")), 3u);
  EXPECT_EQ(ResourceCount(Ec2("RunInstances")), 1u);
  EXPECT_EQ(ResourceCount(Ec2("TerminateInstances",
                              "InstanceId.1=i-1&InstanceId.2=i-2&InstanceId.3=i-3&Force=true")),
            3u);
  EXPECT_EQ(ResourceCount(Ec2("StopInstances", "InstanceId.1=i-1")), 1u);
  EXPECT_EQ(ResourceCount(Ec2("DescribeInstances", "InstanceId.1=i-1")), 0u);

  // A request naming no instance takes no resource token.
  const auto none = BucketsFor(published, Ec2("TerminateInstances"));
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->uses.size(), 1u);
  // One naming more than the bucket holds needs a full bucket, not the impossible.
  const auto huge = BucketsFor(published, Ec2("RunInstances", "MinCount=1&MaxCount=5000"));
  ASSERT_TRUE(huge && huge->uses.size() == 2);
  EXPECT_EQ(huge->uses[1].cost, 1000);
  EXPECT_EQ(huge->resources, 5000u);
}

TEST(ThrottlingConfig, AutoScalingSharesOneBucketAndOtherServicesAreNotModelled) {
  const ThrottlingConfig published;
  const BucketUse a = Only(published, Asg("DescribeAutoScalingGroups"));
  const BucketUse b = Only(published, Asg("SetDesiredCapacity"));
  EXPECT_EQ(a.name, "autoscaling");
  EXPECT_EQ(b.name, "autoscaling");
  EXPECT_EQ(a.category, ThrottleCategory::kAutoScaling);
  EXPECT_EQ(a.limits, (BucketLimits{100, 20}));
  EXPECT_FALSE(BucketsFor(published, ParseAwsRequest(testing::FormRequest(
                                         "Action=PutMetricData&Version=2010-08-01",
                                         "monitoring.us-east-1.amazonaws.com")))
                   .has_value());
  EXPECT_FALSE(
      BucketsFor(published, ParseAwsRequest(HttpRequest{"POST", "/moto-api/reset", {}, ""}))
          .has_value());
}

TEST(ThrottlingConfig, ScaleShrinksPublishedLimitsAndOverridesAreTakenAsWritten) {
  const ThrottlingConfig config = testing::ThrottlingSection(R"({"scale": 0.05,
    "categories": {"mutating": {"capacity": 7}, "autoscaling": {"refill_rate": 0.5}},
    "actions": {"DescribeInstances": {"refill_rate": 3, "unfiltered": {"capacity": 2}},
                "RunInstances": {"resource": {"capacity": 20, "refill_rate": 0.25}}}})");
  EXPECT_EQ(Only(config, Ec2("DescribeRegions")).limits, (BucketLimits{5, 1}));
  // 50 x 0.05 = 2.5 tokens: sizes are rounded to whole tokens.
  EXPECT_EQ(Only(config, Ec2("CancelSpotInstanceRequests")).limits, (BucketLimits{3, 0.25}));
  EXPECT_EQ(Only(config, Ec2("CreateFleet")).limits, (BucketLimits{7, 0.25}));
  EXPECT_EQ(Only(config, Ec2("DescribeInstances", "MaxResults=5")).limits, (BucketLimits{5, 3}));
  EXPECT_EQ(Only(config, Ec2("DescribeInstances")).limits, (BucketLimits{2, 0.5}));
  EXPECT_EQ(Only(config, Asg("DescribeAutoScalingGroups")).limits, (BucketLimits{5, 0.5}));
  const auto run = BucketsFor(config, Ec2("RunInstances", "MinCount=1&MaxCount=30"));
  ASSERT_TRUE(run && run->uses.size() == 2);
  // 5 x 0.05 = 0.25 tokens: never less than one token, or no request could ever pass.
  EXPECT_EQ(run->uses[0].limits, (BucketLimits{1, 0.1}));
  EXPECT_EQ(run->uses[1].limits, (BucketLimits{20, 0.25}));
  EXPECT_EQ(run->uses[1].cost, 20);
  // An uncategorized action keeps its own line, scaled.
  EXPECT_EQ(Only(config, Ec2("CreateTags")).limits, (BucketLimits{5, 0.5}));
}

TEST(ThrottlingConfig, ReportsEveryProblemWithItsPath) {
  EXPECT_THAT(
      Errors(R"({"model": "ec2-actual", "scale": 0, "burst": 1,
        "categories": {"mutating": {"capacity": 0}, "uncategorized": {"capacity": 5},
                       "describe": {"capacity": 5}, "non-mutating": {}, "autoscaling": 3},
        "actions": {"DescribeRegions": {"unfiltered": {"capacity": 1}},
                    "CreateFleet": {"resource": {"refill_rate": 1}},
                    "RunInstances": {"capacity": 2.5, "refill_rate": -1, "resource": {"size": 1}},
                    "TerminateInstances": {}, "": {"capacity": 1}}})"),
      ::testing::UnorderedElementsAre(
          "$.throttling.model: unknown model \"ec2-actual\" (expected \"ec2-published\")",
          "$.throttling.scale: must be a number > 0 and <= 1000, got 0",
          HasSubstr("$.throttling.burst: unknown key (allowed: model, description, scale"),
          "$.throttling.categories.mutating.capacity: must be between 1 and 1000000000, got 0",
          "$.throttling.categories.uncategorized: uncategorized actions each have their own "
          "limits; override them under \"actions\"",
          HasSubstr("$.throttling.categories.describe: unknown category (expected one of: "
                    "non-mutating, unfiltered-non-mutating, mutating, resource-intensive, "
                    "console-non-mutating, autoscaling)"),
          "$.throttling.categories.non-mutating: must set \"capacity\" (tokens) or "
          "\"refill_rate\" (tokens per second)",
          "$.throttling.categories.autoscaling: must be an object with \"capacity\" and/or "
          "\"refill_rate\", got number",
          HasSubstr("$.throttling.actions.DescribeRegions.unfiltered: \"DescribeRegions\" has no "
                    "unfiltered bucket (only DescribeInstances, "),
          "$.throttling.actions.CreateFleet.resource: \"CreateFleet\" has no resource bucket "
          "(only RunInstances, TerminateInstances, StartInstances, StopInstances have one)",
          "$.throttling.actions.RunInstances.capacity: must be an integer, got a fractional "
          "number 2.5",
          "$.throttling.actions.RunInstances.refill_rate: must be a number of tokens per second "
          ">= 0, got -1",
          "$.throttling.actions.RunInstances.resource.size: unknown key (allowed: capacity, "
          "refill_rate)",
          HasSubstr("$.throttling.actions.TerminateInstances: must set \"capacity\", "),
          "$.throttling.actions.: action names must not be empty"));
  EXPECT_THAT(Errors(R"("on")"),
              ::testing::ElementsAre("$.throttling: must be an object, got string"));
  EXPECT_THAT(Errors(R"({"actions": []})"),
              ::testing::ElementsAre("$.throttling.actions: must be an object, got array"));
}

TEST(ThrottlingConfig, TheRulesDocumentCarriesTheSectionAndRoundTripsIt) {
  const ParsedRules parsed = ParseRules(R"({"rules": [], "throttling": {"scale": 0.5,
    "categories": {"non-mutating": {"capacity": 10, "refill_rate": 2}},
    "actions": {"DescribeInstances": {"unfiltered": {"capacity": 3}},
                "RunInstances": {"capacity": 2, "resource": {"refill_rate": 0.5}}}}})");
  ASSERT_TRUE(parsed.ok()) << parsed.errors.front().ToString();
  ASSERT_TRUE(parsed.rules->throttling.has_value());
  const ThrottlingConfig& config = *parsed.rules->throttling;
  EXPECT_EQ(config.model, "ec2-published");
  EXPECT_EQ(config.scale, 0.5);
  EXPECT_EQ(config.categories.at(ThrottleCategory::kNonMutating).capacity, 10);
  EXPECT_EQ(config.actions.at("RunInstances").resource->refill_rate, 0.5);

  const nlohmann::json once = RulesToJson(*parsed.rules);
  const ParsedRules again = ParseRulesDocument(once);
  ASSERT_TRUE(again.ok()) << again.errors.front().ToString();
  EXPECT_EQ(again.rules->throttling, parsed.rules->throttling);
  EXPECT_EQ(once["throttling"]["actions"]["DescribeInstances"]["unfiltered"]["capacity"], 3);

  // Without the section the model is off, and the document says nothing about it.
  const ParsedRules without = ParseRules(R"({"rules": []})");
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(without.rules->throttling.has_value());
  EXPECT_FALSE(RulesToJson(*without.rules).contains("throttling"));
  // The section's errors are reported with the rules' errors.
  std::vector<std::string> errors;
  for (const ConfigError& e :
       ParseRules(R"({"rules": [{"fault": {"type": "boom"}}], "throttling": {"scale": -1}})")
           .errors) {
    errors.push_back(e.ToString());
  }
  EXPECT_THAT(errors, ::testing::UnorderedElementsAre(HasSubstr("$.rules[0].fault.type"),
                                                      HasSubstr("$.throttling.scale")));
}

}  // namespace
}  // namespace ohfp::chaos_proxy
