// Tests for aws/endpoints.h: region resolution and validation, endpoint defaults, override
// precedence and URL validation.
#include "aws/endpoints.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace ohfp::aws {
namespace {

using resilience::ErrorKind;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A MapEnvironment from name/value pairs (`MapEnvironment({{...}})` is ambiguous with its copy
// constructor).
MapEnvironment Env(std::map<std::string, std::string, std::less<>> values) {
  return MapEnvironment(std::move(values));
}

// ----- Regions
// -------------------------------------------------------------------------------------------------

TEST(EndpointRegion, AcceptsRegionsOfTheAwsGovAndChinaPartitions) {
  for (std::string_view region :
       {"us-east-1", "eu-west-2", "ap-southeast-4", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
        "il-central-1", "me-south-1", "ca-west-1", "ap-northeast-10"}) {
    EXPECT_TRUE(ValidateRegion(region).ok()) << region;
  }
}

TEST(EndpointRegion, RejectsThingsThatAreNotRegions) {
  for (std::string_view region :
       {"", "us-east", "US-EAST-1", "us-east-1a", "useast1", "us_east_1", "us-east-1-",
        "-us-east-1", "usa-east-1", "us-gov-west-", "us-foo-west-1", "us-east-123", "us-east-1 ",
        "https://ec2.us-east-1.amazonaws.com", "us-west-2-lax-1"}) {
    resilience::Status status = ValidateRegion(region);
    ASSERT_FALSE(status.ok()) << region;
    EXPECT_EQ(status.error().kind(), ErrorKind::kValidation) << region;
    EXPECT_THAT(std::string(status.error().message()), HasSubstr("us-east-1")) << region;
  }
}

TEST(EndpointRegion, AwsRegionComesFirst) {
  MapEnvironment env = Env({{"AWS_REGION", "eu-west-1"}, {"AWS_DEFAULT_REGION", "eu-west-2"}});
  resilience::Result<std::string> region = ResolveRegion(env, "us-east-1");
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(*region, "eu-west-1");
}

TEST(EndpointRegion, AwsDefaultRegionComesSecond) {
  MapEnvironment env = Env({{"AWS_DEFAULT_REGION", "eu-west-2"}});
  resilience::Result<std::string> region = ResolveRegion(env, "us-east-1");
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(*region, "eu-west-2");
}

TEST(EndpointRegion, ConfiguredDefaultComesLast) {
  MapEnvironment env;
  resilience::Result<std::string> region = ResolveRegion(env, "us-west-2");
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(*region, "us-west-2");
}

TEST(EndpointRegion, NoRegionAnywhereTellsWhatToSet) {
  MapEnvironment env;
  resilience::Result<std::string> region = ResolveRegion(env, "");
  ASSERT_FALSE(region.ok());
  EXPECT_EQ(region.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(std::string(region.error().message()),
              AllOf(HasSubstr("AWS_REGION"), HasSubstr("AWS_DEFAULT_REGION")));
}

TEST(EndpointRegion, InvalidRegionNamesWhereItCameFrom) {
  MapEnvironment env = Env({{"AWS_DEFAULT_REGION", "Frankfurt"}});
  resilience::Result<std::string> region = ResolveRegion(env, "us-east-1");
  ASSERT_FALSE(region.ok());
  EXPECT_EQ(region.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(std::string(region.error().message()),
              AllOf(HasSubstr("'Frankfurt'"), HasSubstr("AWS_DEFAULT_REGION")));
}

// ----- Default endpoints
// ---------------------------------------------------------------------------------------

TEST(EndpointResolve, DefaultsForTheThreeServices) {
  MapEnvironment env;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ec2", "https://ec2.eu-west-1.amazonaws.com"},
      {"autoscaling", "https://autoscaling.eu-west-1.amazonaws.com"},
      {"monitoring", "https://monitoring.eu-west-1.amazonaws.com"},
  };
  for (const auto& [service, url] : cases) {
    resilience::Result<Endpoint> endpoint = ResolveEndpoint(service, "eu-west-1", {}, env);
    ASSERT_TRUE(endpoint.ok()) << service;
    EXPECT_EQ(endpoint->url, url);
    EXPECT_EQ(endpoint->host, url.substr(8));
    EXPECT_EQ(endpoint->signing_name, service);
    EXPECT_EQ(endpoint->signing_region, "eu-west-1");
    EXPECT_EQ(endpoint->source, "default");
  }
}

TEST(EndpointResolve, ChinaRegionsUseTheCnDomain) {
  MapEnvironment env;
  resilience::Result<Endpoint> endpoint = ResolveEndpoint("ec2", "cn-north-1", {}, env);
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->url, "https://ec2.cn-north-1.amazonaws.com.cn");
  resilience::Result<Endpoint> gov = ResolveEndpoint("monitoring", "us-gov-west-1", {}, env);
  ASSERT_TRUE(gov.ok());
  EXPECT_EQ(gov->url, "https://monitoring.us-gov-west-1.amazonaws.com");
}

TEST(EndpointResolve, UnknownServiceIsAValidationError) {
  MapEnvironment env;
  resilience::Result<Endpoint> endpoint = ResolveEndpoint("s3", "us-east-1", {}, env);
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(std::string(endpoint.error().message()), HasSubstr("'s3'"));
}

TEST(EndpointResolve, InvalidRegionIsAValidationError) {
  MapEnvironment env = Env({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}});
  resilience::Result<Endpoint> endpoint = ResolveEndpoint("ec2", "moon-1", {}, env);
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.error().kind(), ErrorKind::kValidation);
}

TEST(EndpointResolve, PerServiceVariables) {
  EXPECT_EQ(EndpointEnvVariable("ec2"), "AWS_ENDPOINT_URL_EC2");
  EXPECT_EQ(EndpointEnvVariable("autoscaling"), "AWS_ENDPOINT_URL_AUTO_SCALING");
  EXPECT_EQ(EndpointEnvVariable("monitoring"), "AWS_ENDPOINT_URL_CLOUDWATCH");
  EXPECT_FALSE(EndpointEnvVariable("sqs").has_value());
}

// ----- Precedence
// ----------------------------------------------------------------------------------------------

struct PrecedenceSetup {
  bool config_per_service;
  bool env_per_service;
  bool env_global;
  bool config_global;
  std::string expected_url;
  std::string expected_source;
};

TEST(EndpointResolve, PrecedenceConfigServiceThenEnvServiceThenEnvGlobalThenConfigGlobal) {
  const std::vector<PrecedenceSetup> cases = {
      {true, true, true, true, "http://config-ec2:1", "config (ec2)"},
      {false, true, true, true, "http://env-ec2:2", "AWS_ENDPOINT_URL_EC2"},
      {false, false, true, true, "http://env-global:3", "AWS_ENDPOINT_URL"},
      {false, false, false, true, "http://config-global:4", "config (AWS_ENDPOINT_URL)"},
      {false, false, false, false, "https://ec2.us-east-1.amazonaws.com", "default"},
      {true, false, false, false, "http://config-ec2:1", "config (ec2)"},
      {false, true, false, true, "http://env-ec2:2", "AWS_ENDPOINT_URL_EC2"},
  };
  for (const PrecedenceSetup& c : cases) {
    MapEnvironment env;
    EndpointOverrides overrides;
    if (c.config_per_service) overrides.per_service["ec2"] = "http://config-ec2:1";
    if (c.env_per_service) env.Set("AWS_ENDPOINT_URL_EC2", "http://env-ec2:2");
    if (c.env_global) env.Set("AWS_ENDPOINT_URL", "http://env-global:3");
    if (c.config_global) overrides.global = "http://config-global:4";
    resilience::Result<Endpoint> endpoint = ResolveEndpoint("ec2", "us-east-1", overrides, env);
    ASSERT_TRUE(endpoint.ok()) << c.expected_source;
    EXPECT_EQ(endpoint->url, c.expected_url);
    EXPECT_EQ(endpoint->source, c.expected_source);
  }
}

TEST(EndpointResolve, PerServiceOverridesApplyOnlyToTheirService) {
  MapEnvironment env = Env({{"AWS_ENDPOINT_URL_AUTO_SCALING", "http://asg.local:5001"},
                            {"AWS_ENDPOINT_URL_CLOUDWATCH", "http://cw.local:5002"}});
  EndpointOverrides overrides;
  overrides.per_service["autoscaling"] = "http://config-asg.local:6001";
  resilience::Result<Endpoint> ec2 = ResolveEndpoint("ec2", "us-east-1", overrides, env);
  resilience::Result<Endpoint> asg = ResolveEndpoint("autoscaling", "us-east-1", overrides, env);
  resilience::Result<Endpoint> cw = ResolveEndpoint("monitoring", "us-east-1", overrides, env);
  ASSERT_TRUE(ec2.ok() && asg.ok() && cw.ok());
  EXPECT_EQ(ec2->url, "https://ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(asg->url, "http://config-asg.local:6001");
  EXPECT_EQ(cw->url, "http://cw.local:5002");
  EXPECT_EQ(cw->signing_name, "monitoring");
}

TEST(EndpointResolve, OverriddenEndpointKeepsPortPathAndSigningRegion) {
  MapEnvironment env = Env({{"AWS_ENDPOINT_URL", "HTTP://LocalHost:5000/moto/"}});
  resilience::Result<Endpoint> endpoint = ResolveEndpoint("ec2", "eu-central-1", {}, env);
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->url, "http://localhost:5000/moto");
  EXPECT_EQ(endpoint->host, "localhost:5000");
  EXPECT_EQ(endpoint->signing_region, "eu-central-1");
}

// ----- URL validation
// ------------------------------------------------------------------------------------------

TEST(EndpointUrlParse, AcceptsHostsPortsIpv6AndPaths) {
  struct Case {
    std::string url;
    std::string authority;
    std::string normalized;
  };
  const std::vector<Case> cases = {
      {"http://127.0.0.1:5000", "127.0.0.1:5000", "http://127.0.0.1:5000"},
      {"http://127.0.0.1:5000/", "127.0.0.1:5000", "http://127.0.0.1:5000"},
      {"https://ec2.us-east-1.amazonaws.com:443", "ec2.us-east-1.amazonaws.com",
       "https://ec2.us-east-1.amazonaws.com"},
      {"http://localhost:80/", "localhost", "http://localhost"},
      {"https://proxy.corp:8443/aws", "proxy.corp:8443", "https://proxy.corp:8443/aws"},
      {"http://[::1]:8080", "[::1]:8080", "http://[::1]:8080"},
      {"http://[fd00:ec2::254]", "[fd00:ec2::254]", "http://[fd00:ec2::254]"},
  };
  for (const Case& c : cases) {
    resilience::Result<EndpointUrl> parsed = ParseEndpointUrl(c.url, "test");
    ASSERT_TRUE(parsed.ok()) << c.url << ": " << parsed.error().ToString();
    EXPECT_EQ(parsed->Authority(), c.authority) << c.url;
    EXPECT_EQ(parsed->ToString(), c.normalized) << c.url;
  }
}

TEST(EndpointUrlParse, RejectsBadUrlsNamingTheSettingAndTheProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"localhost:5000", "no scheme"},
      {"ftp://example.com", "http or https"},
      {"http://", "no host"},
      {"http://:5000", "no host"},
      {"http://user:secret@host:5000", "user info"},
      {"http://host:0", "port"},
      {"http://host:65536", "port"},
      {"http://host:http", "port"},
      {"http://host:", "port"},
      {"http://host/path?x=1", "query"},
      {"http://host/#frag", "query or a fragment"},
      {"http://ho st", "space"},
      {"http://[::1", "IPv6"},
      {"http://exa$mple.com", "host name"},
  };
  for (const auto& [url, why] : cases) {
    resilience::Result<EndpointUrl> parsed = ParseEndpointUrl(url, "AWS_ENDPOINT_URL_EC2");
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.error().kind(), ErrorKind::kValidation) << url;
    EXPECT_THAT(std::string(parsed.error().message()),
                AllOf(HasSubstr("AWS_ENDPOINT_URL_EC2"), HasSubstr(why)))
        << url;
  }
}

TEST(EndpointResolve, InvalidOverrideFailsInsteadOfFallingBack) {
  MapEnvironment env = Env({{"AWS_ENDPOINT_URL_CLOUDWATCH", "monitoring.local:5000"}});
  resilience::Result<Endpoint> endpoint = ResolveEndpoint("monitoring", "us-east-1", {}, env);
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(std::string(endpoint.error().message()),
              AllOf(HasSubstr("AWS_ENDPOINT_URL_CLOUDWATCH"), HasSubstr("monitoring.local:5000")));

  EndpointOverrides overrides;
  overrides.per_service["ec2"] = "tcp://x";
  resilience::Result<Endpoint> config = ResolveEndpoint("ec2", "us-east-1", overrides, env);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.error().message()), HasSubstr("config (ec2)"));
}

}  // namespace
}  // namespace ohfp::aws
