#include "config/plugin_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/resilience_json.h"
#include "config_problems.h"
#include "logging/app_log.h"
#include "scratch_dir.h"
#include "subprocess.h"

namespace ohfp::config {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Vars = std::map<std::string, std::string, std::less<>>;

// ---- Helpers ----

struct Read {
  PluginConfig config;
  std::vector<resilience::ConfigProblem> problems;
};

Read ReadJson(const nlohmann::json& j) {
  Read r;
  r.config = ReadPluginConfig(j, r.problems);
  return r;
}

Read ReadText(const std::string& text) { return ReadJson(nlohmann::json::parse(text)); }

// The message of loading `file`, which must fail.
std::string LoadProblem(const fs::path& file, const aws::MapEnvironment& env = {}) {
  resilience::Result<PluginConfig> c = LoadPluginConfig(file, env);
  EXPECT_FALSE(c.ok()) << file;
  return c.ok() ? std::string() : std::string(c.error().message());
}

fs::path Example(const std::string& name) {
  return fs::path(OHFP_SOURCE_DIR) / "config" / "examples" / name;
}

// Every "a.b.c" path of an object tree (objects only; arrays and scalars end a path).
void KeyPaths(const nlohmann::json& j, const std::string& prefix, std::set<std::string>& out) {
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string path = prefix.empty() ? it.key() : prefix + "." + it.key();
    out.insert(path);
    KeyPaths(it.value(), path, out);
  }
}

// A configuration with a non-default value in every field of every section.
PluginConfig EverythingChanged() {
  PluginConfig c;
  c.provider.region = "eu-west-2";
  c.provider.endpoint_url = "http://127.0.0.1:5000";
  c.provider.endpoints = {{"ec2", "http://127.0.0.1:5001"},
                          {"autoscaling", "https://autoscaling.internal:8443/base"},
                          {"monitoring", "http://[::1]:5003"}};
  c.provider.credential_file = "/etc/ohfp/credentials";
  c.provider.profile = "symphony";
  c.provider.proxy_host = "proxy.corp";
  c.provider.proxy_port = 3128;
  c.provider.ca_bundle = "/etc/ssl/certs/corp.pem";
  c.provider.connection_timeout = std::chrono::milliseconds(2500);
  c.provider.instance_pending_timeout = seconds(300);
  c.provider.fleet_fulfillment_timeout = seconds(1200);
  c.provider.unclaimed_request_timeout = seconds(900);
  c.provider.tags = {{"team", "hpc"}, {"ohfp:cluster", "prod"}};
  c.logging.level = "debug";
  c.logging.file = "ohfp.log";
  c.logging.max_bytes = 1 << 20;
  c.logging.max_files = 9;
  c.storage.file = "/var/lib/ohfp/state.db";
  c.storage.busy_timeout = std::chrono::milliseconds(750);
  c.store.url = "postgresql://hf@db1:5432/ohfp?sslmode=verify-full";
  c.store.schema = "cluster_a";
  c.store.resilience_schema = "aws_shared";
  c.store.timeout = std::chrono::milliseconds(4000);
  c.store.retention = std::chrono::hours(24 * 90);
  c.store.purge_batch = 100;
  c.metrics.textfile = "";
  c.metrics.cloudwatch = true;
  c.metrics.cloudwatch_namespace = "Corp/Symphony";
  c.resilience.retry.default_max_attempts = 7;
  c.resilience.retry.quota.enabled = true;
  c.resilience.circuit_breaker.services["aws_ec2"].failure_threshold = 2;
  c.resilience.timeout.operations["ec2_run_instances"] = seconds(90);
  return c;
}

// Field by field: the sections this file owns (resilience is compared through its JSON).
void ExpectSameConfig(const PluginConfig& a, const PluginConfig& b) {
  EXPECT_EQ(a.provider.region, b.provider.region);
  EXPECT_EQ(a.provider.endpoint_url, b.provider.endpoint_url);
  EXPECT_EQ(a.provider.endpoints, b.provider.endpoints);
  EXPECT_EQ(a.provider.credential_file, b.provider.credential_file);
  EXPECT_EQ(a.provider.profile, b.provider.profile);
  EXPECT_EQ(a.provider.proxy_host, b.provider.proxy_host);
  EXPECT_EQ(a.provider.proxy_port, b.provider.proxy_port);
  EXPECT_EQ(a.provider.ca_bundle, b.provider.ca_bundle);
  EXPECT_EQ(a.provider.connection_timeout, b.provider.connection_timeout);
  EXPECT_EQ(a.provider.instance_pending_timeout, b.provider.instance_pending_timeout);
  EXPECT_EQ(a.provider.fleet_fulfillment_timeout, b.provider.fleet_fulfillment_timeout);
  EXPECT_EQ(a.provider.unclaimed_request_timeout, b.provider.unclaimed_request_timeout);
  EXPECT_EQ(a.provider.tags, b.provider.tags);
  EXPECT_EQ(a.logging.level, b.logging.level);
  EXPECT_EQ(a.logging.file, b.logging.file);
  EXPECT_EQ(a.logging.max_bytes, b.logging.max_bytes);
  EXPECT_EQ(a.logging.max_files, b.logging.max_files);
  EXPECT_EQ(a.storage.file, b.storage.file);
  EXPECT_EQ(a.storage.busy_timeout, b.storage.busy_timeout);
  EXPECT_EQ(a.store.url, b.store.url);
  EXPECT_EQ(a.store.schema, b.store.schema);
  EXPECT_EQ(a.store.effective_resilience_schema(), b.store.effective_resilience_schema());
  EXPECT_EQ(a.store.timeout, b.store.timeout);
  EXPECT_EQ(a.store.retention, b.store.retention);
  EXPECT_EQ(a.store.purge_batch, b.store.purge_batch);
  EXPECT_EQ(a.metrics.textfile, b.metrics.textfile);
  EXPECT_EQ(a.metrics.cloudwatch, b.metrics.cloudwatch);
  EXPECT_EQ(a.metrics.cloudwatch_namespace, b.metrics.cloudwatch_namespace);
  EXPECT_EQ(ResilienceConfigToJson(a.resilience), ResilienceConfigToJson(b.resilience));
}

// `resilience`: ohfp's embedded defaults when the file has no `resilience` object; the seed's
// (AwsResilienceBase, no rate limiter) when it has one.
void ExpectDefaults(const PluginConfig& c,
                    const resilience::ResilienceConfig& resilience = EmbeddedResilienceDefaults()) {
  EXPECT_EQ(c.provider.region, "");
  EXPECT_EQ(c.provider.endpoint_url, "");
  EXPECT_THAT(c.provider.endpoints, IsEmpty());
  EXPECT_EQ(c.provider.credential_file, "");
  EXPECT_EQ(c.provider.profile, "");
  EXPECT_EQ(c.provider.proxy_host, "");
  EXPECT_EQ(c.provider.proxy_port, std::nullopt);
  EXPECT_EQ(c.provider.ca_bundle, "");
  EXPECT_EQ(c.provider.connection_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(c.provider.instance_pending_timeout, seconds(180));
  EXPECT_EQ(c.provider.fleet_fulfillment_timeout, seconds(600));
  EXPECT_EQ(c.provider.unclaimed_request_timeout, seconds(600));
  EXPECT_THAT(c.provider.tags, IsEmpty());
  EXPECT_EQ(c.logging.level, "info");
  EXPECT_EQ(c.logging.file, "app.log");
  EXPECT_EQ(c.logging.max_bytes, 10u * 1024 * 1024);
  EXPECT_EQ(c.logging.max_files, 5);
  EXPECT_EQ(c.storage.file, "ohfp-state.db");
  EXPECT_EQ(c.storage.busy_timeout, std::chrono::milliseconds(5000));
  EXPECT_FALSE(c.store.postgres());
  EXPECT_EQ(c.store.timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(c.metrics.textfile, "ohfp-metrics.prom");
  EXPECT_FALSE(c.metrics.cloudwatch);
  EXPECT_EQ(c.metrics.cloudwatch_namespace, "OHFP/HostFactory");
  EXPECT_EQ(ResilienceConfigToJson(c.resilience), ResilienceConfigToJson(resilience));
}

// ---- Defaults and the shipped files ----

TEST(PluginConfig, AnEmptyObjectMeansEveryDefault) {
  const Read r = ReadText("{}");
  EXPECT_THAT(r.problems, IsEmpty());
  ExpectDefaults(r.config);
}

TEST(PluginConfig, EmptySectionsMeanTheirDefaults) {
  const Read r = ReadText(
      R"({"provider": {}, "logging": {}, "storage": {}, "metrics": {}, "resilience": {}})");
  EXPECT_THAT(r.problems, IsEmpty());
  // A `resilience` object is the seed's: what it leaves out is the seed's, without a rate limiter.
  ExpectDefaults(r.config, AwsResilienceBase());
}

TEST(PluginConfig, TheEmbeddedDefaultsLimitTheRateAndTheSeedsObjectDoesNot) {
  EXPECT_TRUE(ReadText("{}").config.resilience.rate_limiter.enabled);
  const resilience::ResilienceConfig embedded = ReadText("{}").config.resilience;
  EXPECT_FALSE(embedded.PolicyFor("ec2_run_instances", "aws_ec2").count_throttling);
  const resilience::ResilienceConfig seed =
      ReadText(R"({"resilience": {"retry": {"default_max_attempts": 3}}})").config.resilience;
  EXPECT_FALSE(seed.rate_limiter.enabled);
  EXPECT_TRUE(seed.PolicyFor("ec2_run_instances", "aws_ec2").count_throttling);
  const resilience::ResilienceConfig on =
      ReadText(R"({"resilience": {"rate_limiter": {"enabled": true}}})").config.resilience;
  EXPECT_TRUE(on.rate_limiter.enabled);
  EXPECT_EQ(on.rate_limiter.buckets, embedded.rate_limiter.buckets) << "AWS's published limits";
  EXPECT_FALSE(on.PolicyFor("ec2_run_instances", "aws_ec2").count_throttling);
}

TEST(PluginConfig, AMissingFileMeansTheDefaults) {
  ohfp::testing::ScratchDir dir("plugin-config");
  resilience::Result<PluginConfig> c =
      LoadPluginConfig(dir.path() / "config.json", aws::MapEnvironment{});
  ASSERT_TRUE(c.ok()) << c.error().message();
  ExpectDefaults(*c);
}

TEST(PluginConfig, AMissingFileStillTakesTheEnvironment) {
  ohfp::testing::ScratchDir dir("plugin-config");
  aws::MapEnvironment env(Vars{{"AWS_REGION", "eu-central-1"}, {"HF_LOGLEVEL", "LOG_DEBUG"}});
  resilience::Result<PluginConfig> c = LoadPluginConfig(dir.path() / "config.json", env);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->provider.region, "eu-central-1");
  EXPECT_EQ(c->logging.level, "debug");
}

TEST(PluginConfig, TheSeedsExampleAloneIsACompleteConfiguration) {
  resilience::Result<PluginConfig> c =
      LoadPluginConfig(Example("seed-resilience.json"), aws::MapEnvironment{});
  ASSERT_TRUE(c.ok()) << c.error().message();
  const resilience::OperationPolicy run = c->resilience.PolicyFor("ec2_run_instances", "aws_ec2");
  EXPECT_EQ(run.breaker.failure_threshold, 3);
  EXPECT_EQ(run.retry.max_attempts, 5);
  EXPECT_EQ(run.timeout, seconds(180));
  EXPECT_EQ(c->resilience.PolicyFor("spot_fleet_request", "aws_spot_fleet").timeout, seconds(300));
  // Everything else is the defaults.
  PluginConfig expected;
  expected.resilience = c->resilience;
  ExpectSameConfig(*c, expected);
}

TEST(PluginConfig, TheFullExampleLoadsWithoutProblems) {
  resilience::Result<PluginConfig> c =
      LoadPluginConfig(Example("config.json"), aws::MapEnvironment{});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->provider.region, "us-east-1");
  EXPECT_EQ(c->provider.tags.at("CostCenter"), "hpc");
  EXPECT_EQ(c->resilience.PolicyFor("ec2_run_instances", "aws_ec2").retry.max_attempts, 5);
}

TEST(PluginConfig, TheFullExampleWritesEveryKey) {
  // Every key PluginConfigToJson writes appears in the example, so that it stays a complete
  // reference.
  std::set<std::string> expected;
  KeyPaths(PluginConfigToJson(PluginConfig{}), "", expected);
  std::set<std::string> in_example;
  KeyPaths(nlohmann::json::parse(testing::ReadFileText(Example("config.json"))), "", in_example);
  for (const std::string& key : expected) EXPECT_TRUE(in_example.contains(key)) << key;
}

// ---- Every key ----

TEST(PluginConfig, ReadsEveryProviderKey) {
  const Read r = ReadText(R"({"provider": {
      "region": "us-gov-west-1",
      "endpoint_url": "http://127.0.0.1:5000",
      "endpoints": {"ec2": "http://127.0.0.1:5001", "autoscaling": "https://as.internal/x",
                    "monitoring": "http://localhost:5003"},
      "credential_file": "/etc/ohfp/credentials",
      "profile": "symphony",
      "proxy_host": "http://proxy.corp",
      "proxy_port": 3128,
      "ca_bundle": "/etc/ssl/corp.pem",
      "connection_timeout_ms": 2500,
      "instance_pending_timeout_sec": 240,
      "fleet_fulfillment_timeout_sec": 900,
      "unclaimed_request_timeout_sec": 1800,
      "tags": {"team": "hpc", "ohfp:cluster": "prod"}}})");
  ASSERT_THAT(r.problems, IsEmpty()) << FormatProblems(r.problems);
  const ProviderConfig& p = r.config.provider;
  EXPECT_EQ(p.region, "us-gov-west-1");
  EXPECT_EQ(p.endpoint_url, "http://127.0.0.1:5000");
  EXPECT_EQ(p.endpoints.at("ec2"), "http://127.0.0.1:5001");
  EXPECT_EQ(p.endpoints.at("autoscaling"), "https://as.internal/x");
  EXPECT_EQ(p.endpoints.at("monitoring"), "http://localhost:5003");
  EXPECT_EQ(p.credential_file, "/etc/ohfp/credentials");
  EXPECT_EQ(p.profile, "symphony");
  EXPECT_EQ(p.proxy_host, "http://proxy.corp");
  EXPECT_EQ(p.proxy_port, 3128);
  EXPECT_EQ(p.ca_bundle, "/etc/ssl/corp.pem");
  EXPECT_EQ(p.connection_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(p.instance_pending_timeout, seconds(240));
  EXPECT_EQ(p.fleet_fulfillment_timeout, seconds(900));
  EXPECT_EQ(p.unclaimed_request_timeout, seconds(1800));
  EXPECT_EQ(p.tags.size(), 2u);
  EXPECT_EQ(p.tags.at("ohfp:cluster"), "prod");
}

TEST(PluginConfig, ReadsEveryLoggingStorageAndMetricsKey) {
  const Read r = ReadText(R"({
      "logging": {"level": "warning", "file": "/var/log/ohfp.log", "max_bytes": 2048, "max_files": 1},
      "storage": {"file": "state.db", "busy_timeout_ms": 100},
      "metrics": {"textfile": "", "cloudwatch": true, "cloudwatch_namespace": "Corp/HPC #1:a_b-c.d"}})");
  ASSERT_THAT(r.problems, IsEmpty()) << FormatProblems(r.problems);
  EXPECT_EQ(r.config.logging.level, "warning");
  EXPECT_EQ(r.config.logging.file, "/var/log/ohfp.log");
  EXPECT_EQ(r.config.logging.max_bytes, 2048u);
  EXPECT_EQ(r.config.logging.max_files, 1);
  EXPECT_EQ(r.config.storage.file, "state.db");
  EXPECT_EQ(r.config.storage.busy_timeout, std::chrono::milliseconds(100));
  EXPECT_EQ(r.config.metrics.textfile, "");
  EXPECT_TRUE(r.config.metrics.cloudwatch);
  EXPECT_EQ(r.config.metrics.cloudwatch_namespace, "Corp/HPC #1:a_b-c.d");
}

TEST(PluginConfig, TheStoreIsSqliteUnlessAUrlNamesAPostgresServer) {
  const Read defaults = ReadText("{}");
  EXPECT_FALSE(defaults.config.store.postgres());
  EXPECT_EQ(defaults.config.store.schema, "ohfp");
  EXPECT_EQ(defaults.config.store.effective_resilience_schema(), "ohfp");
  EXPECT_EQ(defaults.config.store.retention, std::chrono::hours(24 * 30));
  const Read r = ReadText(R"({"store": {"url": "postgresql://hf@db1:5432/ohfp?sslmode=verify-full",
      "schema": "cluster_a", "resilience_schema": "aws_111122223333", "timeout_ms": 2500,
      "retention_days": 7, "purge_batch": 50}})");
  ASSERT_THAT(r.problems, IsEmpty()) << FormatProblems(r.problems);
  EXPECT_TRUE(r.config.store.postgres());
  EXPECT_EQ(r.config.store.url, "postgresql://hf@db1:5432/ohfp?sslmode=verify-full");
  EXPECT_EQ(r.config.store.schema, "cluster_a");
  EXPECT_EQ(r.config.store.effective_resilience_schema(), "aws_111122223333");
  EXPECT_EQ(r.config.store.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(r.config.store.retention, std::chrono::hours(24 * 7));
  EXPECT_EQ(r.config.store.purge_batch, 50);
}

TEST(PluginConfig, OhfpStoreUrlWinsAndBadStoreValuesAreProblems) {
  ohfp::testing::ScratchDir dir("plugin-config");
  aws::MapEnvironment env(Vars{{"OHFP_STORE_URL", "postgres://hf@db2/ohfp"}});
  resilience::Result<PluginConfig> c = LoadPluginConfig(dir.path() / "config.json", env);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->store.url, "postgres://hf@db2/ohfp");

  const Read r = ReadText(R"({"store": {"url": "mysql://root:hunter2@db/x", "schema": "Bad-Name",
      "timeout_ms": 0, "retention_days": 0, "purge_batch": 501}})");
  EXPECT_THAT(MessageAt(r.problems, "store.url"), HasSubstr("must be a PostgreSQL connection URI"));
  EXPECT_THAT(MessageAt(r.problems, "store.url"), ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(MessageAt(r.problems, "store.schema"), HasSubstr("lowercase SQL identifier"));
  EXPECT_THAT(
      Paths(r.problems),
      ::testing::IsSupersetOf({"store.timeout_ms", "store.retention_days", "store.purge_batch"}));
  aws::MapEnvironment bad(Vars{{"OHFP_STORE_URL", "db1:5432"}});
  resilience::Result<PluginConfig> b = LoadPluginConfig(dir.path() / "config.json", bad);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(std::string(b.error().message()), HasSubstr("env OHFP_STORE_URL"));
}

TEST(PluginConfig, TheEffectiveConfigurationNeverShowsTheStorePassword) {
  const Read r = ReadText(
      R"({"store": {"url": "postgresql://hf:s3cret@db1/ohfp?password=s3cret&sslmode=require"}})");
  ASSERT_THAT(r.problems, IsEmpty());
  const std::string shown = PluginConfigToJson(r.config).dump();
  EXPECT_THAT(shown, ::testing::Not(HasSubstr("s3cret")));
  EXPECT_THAT(shown, HasSubstr("postgresql://hf:***@db1/ohfp?password=***&sslmode=require"));
}

TEST(PluginConfig, ReadsTheResilienceSection) {
  const Read r = ReadText(R"({"resilience": {"retry": {"default_max_attempts": 6}}})");
  ASSERT_THAT(r.problems, IsEmpty());
  EXPECT_EQ(r.config.resilience.retry.default_max_attempts, 6);
}

TEST(PluginConfig, EmptyStringsMeanUnset) {
  const Read r = ReadText(
      R"({"provider": {"region": "", "endpoint_url": "", "proxy_host": "", "proxy_port": null, "credential_file": ""}})");
  EXPECT_THAT(r.problems, IsEmpty());
  ExpectDefaults(r.config);
}

// ---- Problems: unknown keys, types, ranges, formats ----

TEST(PluginConfig, UnknownKeysAreErrorsNamingTheKey) {
  const Read r =
      ReadText(R"({"provder": {}, "provider": {"regoin": "us-east-1"}, "logging": {"levle": "info"},
      "storage": {"path": "x"}, "metrics": {"prometheus": true}, "resilience": {"retry": {"tries": 3}}})");
  EXPECT_THAT(Paths(r.problems), ::testing::UnorderedElementsAre(
                                     "provder", "provider.regoin", "logging.levle", "storage.path",
                                     "metrics.prometheus", "resilience.retry.tries"));
  EXPECT_THAT(MessageAt(r.problems, "provder"), HasSubstr("is not a known key"));
  EXPECT_THAT(MessageAt(r.problems, "provder"), HasSubstr("provider"));
  EXPECT_THAT(MessageAt(r.problems, "provider.regoin"), HasSubstr("region"));
}

TEST(PluginConfig, WrongTypesAreReportedWithTheirPath) {
  const Read r = ReadText(R"({
      "provider": {"region": 1, "endpoint_url": true, "endpoints": [], "credential_file": 2, "profile": {},
                   "proxy_host": 3, "proxy_port": "3128", "ca_bundle": false, "connection_timeout_ms": 1.5,
                   "instance_pending_timeout_sec": "180", "fleet_fulfillment_timeout_sec": null,
                   "unclaimed_request_timeout_sec": [], "tags": {"team": 7}},
      "logging": {"level": 3, "file": 1, "max_bytes": -5, "max_files": "5"},
      "storage": {"file": null, "busy_timeout_ms": 2.5},
      "metrics": {"textfile": 0, "cloudwatch": "yes", "cloudwatch_namespace": 1}})");
  EXPECT_EQ(MessageAt(r.problems, "provider.region"), "must be a string, got an integer");
  EXPECT_EQ(MessageAt(r.problems, "provider.endpoint_url"), "must be a string, got a boolean");
  EXPECT_EQ(MessageAt(r.problems, "provider.endpoints"), "must be an object, got an array");
  EXPECT_EQ(MessageAt(r.problems, "provider.credential_file"), "must be a string, got an integer");
  EXPECT_EQ(MessageAt(r.problems, "provider.profile"), "must be a string, got an object");
  EXPECT_EQ(MessageAt(r.problems, "provider.proxy_host"), "must be a string, got an integer");
  EXPECT_EQ(MessageAt(r.problems, "provider.proxy_port"),
            "must be an integer, got a string (null: no port)");
  EXPECT_EQ(MessageAt(r.problems, "provider.ca_bundle"), "must be a string, got a boolean");
  EXPECT_EQ(MessageAt(r.problems, "provider.connection_timeout_ms"),
            "must be an integer, got a number");
  EXPECT_EQ(MessageAt(r.problems, "provider.instance_pending_timeout_sec"),
            "must be an integer, got a string");
  EXPECT_EQ(MessageAt(r.problems, "provider.fleet_fulfillment_timeout_sec"),
            "must be an integer, got null");
  EXPECT_EQ(MessageAt(r.problems, "provider.unclaimed_request_timeout_sec"),
            "must be an integer, got an array");
  EXPECT_EQ(MessageAt(r.problems, "provider.tags.team"), "must be a string, got an integer");
  EXPECT_EQ(MessageAt(r.problems, "logging.level"), "must be a string, got an integer");
  EXPECT_EQ(MessageAt(r.problems, "logging.file"), "must be a string, got an integer");
  EXPECT_EQ(MessageAt(r.problems, "logging.max_bytes"),
            "must be between 1024 and 1099511627776, got -5");
  EXPECT_EQ(MessageAt(r.problems, "logging.max_files"), "must be an integer, got a string");
  EXPECT_EQ(MessageAt(r.problems, "storage.file"), "must be a string, got null");
  EXPECT_EQ(MessageAt(r.problems, "storage.busy_timeout_ms"), "must be an integer, got a number");
  EXPECT_EQ(MessageAt(r.problems, "metrics.textfile"), "must be a string, got an integer");
  EXPECT_EQ(MessageAt(r.problems, "metrics.cloudwatch"), "must be true or false, got a string");
  EXPECT_EQ(MessageAt(r.problems, "metrics.cloudwatch_namespace"),
            "must be a string, got an integer");
  EXPECT_EQ(r.problems.size(), 22u) << FormatProblems(r.problems);
  ExpectDefaults(r.config);  // nothing bad was stored
}

TEST(PluginConfig, SectionsMustBeObjects) {
  const Read r = ReadText(
      R"({"provider": 1, "logging": [], "storage": "x", "metrics": true, "resilience": 2})");
  EXPECT_EQ(MessageAt(r.problems, "provider"), "must be an object, got an integer");
  EXPECT_EQ(MessageAt(r.problems, "logging"), "must be an object, got an array");
  EXPECT_EQ(MessageAt(r.problems, "storage"), "must be an object, got a string");
  EXPECT_EQ(MessageAt(r.problems, "metrics"), "must be an object, got a boolean");
  EXPECT_EQ(MessageAt(r.problems, "resilience"), "must be an object, got an integer");
}

TEST(PluginConfig, TheTopLevelMustBeAnObject) {
  const Read r = ReadText("[1, 2]");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].path, "");
  EXPECT_EQ(r.problems[0].message, "the configuration must be a JSON object, got an array");
}

struct RangeCase {
  std::string json;     // a config.json
  std::string path;     // where the problem is reported; empty: no problem
  std::string message;  // the exact message
};

class PluginConfigRange : public ::testing::TestWithParam<RangeCase> {};

TEST_P(PluginConfigRange, ChecksTheRange) {
  const RangeCase& c = GetParam();
  const Read r = ReadText(c.json);
  if (c.path.empty()) {
    EXPECT_THAT(r.problems, IsEmpty()) << c.json << "\n" << FormatProblems(r.problems);
  } else {
    ASSERT_EQ(r.problems.size(), 1u) << c.json << "\n" << FormatProblems(r.problems);
    EXPECT_EQ(r.problems[0].path, c.path);
    EXPECT_EQ(r.problems[0].message, c.message);
  }
}

INSTANTIATE_TEST_SUITE_P(
    PluginConfig, PluginConfigRange,
    ::testing::Values(
        RangeCase{R"({"provider": {"connection_timeout_ms": 0}})", "provider.connection_timeout_ms",
                  "must be between 1 and 2147483647, got 0"},
        RangeCase{R"({"provider": {"connection_timeout_ms": 1}})", "", ""},
        RangeCase{R"({"provider": {"connection_timeout_ms": 2147483647}})", "", ""},
        RangeCase{R"({"provider": {"connection_timeout_ms": 2147483648}})",
                  "provider.connection_timeout_ms",
                  "must be between 1 and 2147483647, got 2147483648"},
        RangeCase{R"({"provider": {"connection_timeout_ms": 18446744073709551615}})",
                  "provider.connection_timeout_ms",
                  "must be between 1 and 2147483647, got 18446744073709551615"},
        RangeCase{R"({"provider": {"instance_pending_timeout_sec": 0}})",
                  "provider.instance_pending_timeout_sec", "must be between 1 and 86400, got 0"},
        RangeCase{R"({"provider": {"instance_pending_timeout_sec": 86400}})", "", ""},
        RangeCase{R"({"provider": {"instance_pending_timeout_sec": 86401}})",
                  "provider.instance_pending_timeout_sec",
                  "must be between 1 and 86400, got 86401"},
        RangeCase{R"({"provider": {"fleet_fulfillment_timeout_sec": -1}})",
                  "provider.fleet_fulfillment_timeout_sec", "must be between 1 and 604800, got -1"},
        RangeCase{R"({"provider": {"fleet_fulfillment_timeout_sec": 604800}})", "", ""},
        RangeCase{R"({"provider": {"instance_visibility_grace_sec": -1}})",
                  "provider.instance_visibility_grace_sec", "must be between 0 and 604800, got -1"},
        RangeCase{R"({"provider": {"orphan_min_age_sec": 604801}})", "provider.orphan_min_age_sec",
                  "must be between 0 and 604800, got 604801"},
        RangeCase{R"({"provider": {"command_timeout_sec": 4}})", "provider.command_timeout_sec",
                  "must be between 5 and 604800, got 4"},
        RangeCase{R"({"provider": {"unclaimed_request_timeout_sec": 0}})",
                  "provider.unclaimed_request_timeout_sec", "must be between 1 and 604800, got 0"},
        RangeCase{R"({"provider": {"unclaimed_request_timeout_sec": 604801}})",
                  "provider.unclaimed_request_timeout_sec",
                  "must be between 1 and 604800, got 604801"},
        RangeCase{R"({"provider": {"proxy_port": 0}})", "provider.proxy_port",
                  "must be between 1 and 65535, got 0 (null: no port)"},
        RangeCase{R"({"provider": {"proxy_port": 1}})", "", ""},
        RangeCase{R"({"provider": {"proxy_port": 65535}})", "", ""},
        RangeCase{R"({"provider": {"proxy_port": 65536}})", "provider.proxy_port",
                  "must be between 1 and 65535, got 65536 (null: no port)"},
        RangeCase{R"({"logging": {"max_files": 0}})", "logging.max_files",
                  "must be between 1 and 1000, got 0"},
        RangeCase{R"({"logging": {"max_files": 1000}})", "", ""},
        RangeCase{R"({"logging": {"max_files": 1001}})", "logging.max_files",
                  "must be between 1 and 1000, got 1001"},
        RangeCase{R"({"logging": {"max_bytes": 1023}})", "logging.max_bytes",
                  "must be between 1024 and 1099511627776, got 1023"},
        RangeCase{R"({"logging": {"max_bytes": 1024}})", "", ""},
        RangeCase{R"({"logging": {"max_bytes": 1099511627777}})", "logging.max_bytes",
                  "must be between 1024 and 1099511627776, got 1099511627777"},
        RangeCase{R"({"logging": {"file": ""}})", "logging.file", "must not be empty"},
        RangeCase{R"({"storage": {"file": ""}})", "storage.file", "must not be empty"},
        RangeCase{R"({"storage": {"busy_timeout_ms": 0}})", "storage.busy_timeout_ms",
                  "must be between 1 and 3600000, got 0"},
        RangeCase{R"({"storage": {"busy_timeout_ms": 3600000}})", "", ""},
        RangeCase{R"({"storage": {"busy_timeout_ms": 3600001}})", "storage.busy_timeout_ms",
                  "must be between 1 and 3600000, got 3600001"},
        RangeCase{R"({"metrics": {"cloudwatch_namespace": ""}})", "metrics.cloudwatch_namespace",
                  "must not be empty"},
        RangeCase{R"({"metrics": {"cloudwatch_namespace": "AWS/EC2"}})",
                  "metrics.cloudwatch_namespace",
                  "must not start with \"AWS/\" (reserved for AWS services)"},
        RangeCase{R"({"metrics": {"cloudwatch_namespace": "a|b"}})", "metrics.cloudwatch_namespace",
                  "may hold letters, digits and . - _ / # : space only, got \"a|b\""},
        RangeCase{R"({"provider": {"tags": {"aws:owner": "me"}}})", "provider.tags.aws:owner",
                  "tag keys starting with \"aws:\" are reserved by AWS"},
        RangeCase{R"({"provider": {"tags": {"AWS:owner": "me"}}})", "provider.tags.AWS:owner",
                  "tag keys starting with \"aws:\" are reserved by AWS"},
        RangeCase{R"({"provider": {"tags": {"": "me"}}})", "provider.tags.",
                  "a tag key must not be empty"},
        RangeCase{
            R"({"provider": {"proxy_host": "proxy corp"}})", "provider.proxy_host",
            "must be a host name or URL without spaces or control characters, got \"proxy corp\""},
        RangeCase{
            R"({"provider": {"proxy_host": "https://proxy.corp:3128"}})", "provider.proxy_host",
            "must be an http:// proxy (HTTPS requests pass through it in a CONNECT tunnel), got "
            "\"https://proxy.corp:3128\""},
        RangeCase{R"({"provider": {"proxy_host": "HTTP://proxy.corp:3128"}})", "", ""},
        RangeCase{R"({"provider": {"endpoints": {"s3": "http://127.0.0.1:5000"}}})",
                  "provider.endpoints.s3",
                  "is not a known service (known here: autoscaling, ec2, monitoring, ssm)"},
        RangeCase{R"({"provider": {"endpoints": {"ec2": 5}}})", "provider.endpoints.ec2",
                  "must be a string, got an integer"}));

TEST(PluginConfig, TagsAreLimitedTo128And256Characters) {
  nlohmann::json j;
  j["provider"]["tags"][std::string(128, 'k')] = std::string(256, 'v');
  EXPECT_THAT(ReadJson(j).problems, IsEmpty());
  j["provider"]["tags"][std::string(129, 'k')] = "v";
  j["provider"]["tags"]["long"] = std::string(257, 'v');
  const Read r = ReadJson(j);
  EXPECT_EQ(MessageAt(r.problems, "provider.tags." + std::string(129, 'k')),
            "a tag key has at most 128 characters");
  EXPECT_EQ(MessageAt(r.problems, "provider.tags.long"), "a tag value has at most 256 characters");
}

TEST(PluginConfig, ValidatesTheRegion) {
  for (const char* good :
       {"us-east-1", "eu-west-2", "us-gov-west-1", "cn-north-1", "ap-southeast-4"}) {
    EXPECT_THAT(ReadJson({{"provider", {{"region", good}}}}).problems, IsEmpty()) << good;
  }
  for (const char* bad : {"US-EAST-1", "us-east", "useast1", "us-east-1a", "mars"}) {
    const Read r = ReadJson({{"provider", {{"region", bad}}}});
    EXPECT_THAT(MessageAt(r.problems, "provider.region"), HasSubstr("invalid AWS region")) << bad;
    EXPECT_EQ(r.config.provider.region, "");
  }
}

TEST(PluginConfig, ValidatesEndpointUrls) {
  const Read r = ReadText(R"({"provider": {"endpoint_url": "ftp://127.0.0.1", "endpoints": {
      "ec2": "127.0.0.1:5000", "autoscaling": "http://user@host", "monitoring": "http://h:99999"}}})");
  EXPECT_THAT(Paths(r.problems),
              ::testing::UnorderedElementsAre("provider.endpoint_url", "provider.endpoints.ec2",
                                              "provider.endpoints.autoscaling",
                                              "provider.endpoints.monitoring"));
  for (const resilience::ConfigProblem& p : r.problems) {
    EXPECT_THAT(p.message, HasSubstr("is not a valid endpoint URL")) << p.path;
    EXPECT_FALSE(p.message.starts_with("=")) << p.message;
  }
  EXPECT_THAT(MessageAt(r.problems, "provider.endpoint_url"), HasSubstr("'ftp://127.0.0.1'"));
  EXPECT_EQ(r.config.provider.endpoint_url, "");
  EXPECT_THAT(r.config.provider.endpoints, IsEmpty());
}

// ---- Log levels ----

TEST(PluginConfig, LogLevelsTakeHostFactorysNamesAndAreStoredCanonically) {
  const std::vector<std::pair<std::string, std::string>> cases = {{"trace", "trace"},
                                                                  {"LOG_TRACE", "trace"},
                                                                  {"debug", "debug"},
                                                                  {"LOG_DEBUG", "debug"},
                                                                  {"Info", "info"},
                                                                  {"LOG_INFO", "info"},
                                                                  {"LOG_NOTICE", "info"},
                                                                  {"warning", "warning"},
                                                                  {"warn", "warning"},
                                                                  {"LOG_WARNING", "warning"},
                                                                  {"error", "error"},
                                                                  {"LOG_ERR", "error"},
                                                                  {"LOG_ERROR", "error"},
                                                                  {"LOG_CRIT", "critical"},
                                                                  {"critical", "critical"},
                                                                  {"LOG_ALERT", "critical"},
                                                                  {"LOG_EMERG", "critical"},
                                                                  {"off", "off"},
                                                                  {"none", "off"}};
  for (const auto& [name, canonical] : cases) {
    const Read r = ReadJson({{"logging", {{"level", name}}}});
    EXPECT_THAT(r.problems, IsEmpty()) << name;
    EXPECT_EQ(r.config.logging.level, canonical) << name;
    // The canonical name means the same to the logger as the name it came from.
    EXPECT_EQ(logging::ParseLogLevel(canonical), logging::ParseLogLevel(name)) << name;
  }
  const Read bad = ReadJson({{"logging", {{"level", "verbose"}}}});
  EXPECT_EQ(MessageAt(bad.problems, "logging.level"),
            "must be a log level (trace, debug, info, warning, error, critical, off, or "
            "HostFactory's LOG_DEBUG, "
            "LOG_INFO, LOG_WARNING, LOG_ERR, ...), got \"verbose\"");
}

TEST(PluginConfig, LogLevelNamesMatchTheLoggersParser) {
  // The list is duplicated from logging::ParseLogLevel (ohfp_config must not depend on
  // ohfp_logging): a name is accepted here exactly when the logger accepts it.
  for (const char* name : {"trace",   "debug",    "info",     "notice",      "warning", "warn",
                           "err",     "error",    "crit",     "critical",    "alert",   "emerg",
                           "off",     "none",     "LOG_INFO", "log_debug",   "LOG_",    "fatal",
                           "verbose", "LOG_WARN", "",         "information", "7"}) {
    const Read r = ReadJson({{"logging", {{"level", name}}}});
    EXPECT_EQ(r.problems.empty(), logging::ParseLogLevel(name).has_value()) << "'" << name << "'";
  }
}

// ---- The IBM plugin's keys at the top level ----

TEST(PluginConfig, ReadsTheIbmKeysAtTheTopLevel) {
  const Read r = ReadText(R"({
      "AWS_REGION": "eu-west-1",
      "AWS_CREDENTIAL_FILE": "/root/.aws/credentials",
      "AWS_ENDPOINT_URL": "https://ec2.eu-west-1.amazonaws.com:443",
      "AWS_PROXY_HOST": "proxyhost",
      "AWS_PROXY_PORT": 80,
      "AWS_CONNECTION_TIMEOUT_MS": 20000,
      "AWS_INSTANCE_PENDING_TIMEOUT_SEC": 600})");
  ASSERT_THAT(r.problems, IsEmpty()) << FormatProblems(r.problems);
  const ProviderConfig& p = r.config.provider;
  EXPECT_EQ(p.region, "eu-west-1");
  EXPECT_EQ(p.credential_file, "/root/.aws/credentials");
  EXPECT_EQ(p.endpoint_url, "https://ec2.eu-west-1.amazonaws.com:443");
  EXPECT_EQ(p.proxy_host, "proxyhost");
  EXPECT_EQ(p.proxy_port, 80);
  EXPECT_EQ(p.connection_timeout, std::chrono::milliseconds(20000));
  EXPECT_EQ(p.instance_pending_timeout, seconds(600));
}

TEST(PluginConfig, IbmNumbersMayBeStringsAndEmptyStringsMeanUnset) {
  const Read r = ReadText(
      R"({"AWS_PROXY_HOST": "", "AWS_PROXY_PORT": "8080", "AWS_CONNECTION_TIMEOUT_MS": "15000",
      "AWS_INSTANCE_PENDING_TIMEOUT_SEC": "200", "AWS_ENDPOINT_URL": "", "AWS_REGION": ""})");
  ASSERT_THAT(r.problems, IsEmpty()) << FormatProblems(r.problems);
  EXPECT_EQ(r.config.provider.proxy_host, "");
  EXPECT_EQ(r.config.provider.proxy_port, 8080);
  EXPECT_EQ(r.config.provider.connection_timeout, std::chrono::milliseconds(15000));
  EXPECT_EQ(r.config.provider.instance_pending_timeout, seconds(200));
  EXPECT_EQ(r.config.provider.region, "");
}

TEST(PluginConfig, BadIbmKeysAreReportedByName) {
  const Read r = ReadText(
      R"({"AWS_REGION": "moon-1", "AWS_CREDENTIAL_FILE": 5, "AWS_ENDPOINT_URL": "ec2.local",
      "AWS_PROXY_HOST": "a b", "AWS_PROXY_PORT": 70000, "AWS_CONNECTION_TIMEOUT_MS": "ten",
      "AWS_INSTANCE_PENDING_TIMEOUT_SEC": 1.5})");
  EXPECT_THAT(MessageAt(r.problems, "AWS_REGION"), HasSubstr("invalid AWS region 'moon-1'"));
  EXPECT_EQ(MessageAt(r.problems, "AWS_CREDENTIAL_FILE"), "must be a string, got an integer");
  EXPECT_THAT(MessageAt(r.problems, "AWS_ENDPOINT_URL"), HasSubstr("is not a valid endpoint URL"));
  EXPECT_THAT(MessageAt(r.problems, "AWS_PROXY_HOST"), HasSubstr("without spaces"));
  EXPECT_EQ(MessageAt(r.problems, "AWS_PROXY_PORT"), "must be between 1 and 65535, got 70000");
  EXPECT_EQ(MessageAt(r.problems, "AWS_CONNECTION_TIMEOUT_MS"),
            "must be a whole number of milliseconds, got \"ten\"");
  EXPECT_EQ(MessageAt(r.problems, "AWS_INSTANCE_PENDING_TIMEOUT_SEC"),
            "must be an integer, got a number");
  EXPECT_EQ(r.problems.size(), 7u);
  ExpectDefaults(r.config);
}

TEST(PluginConfig, AnIbmKeyThatContradictsTheProviderSectionIsAConflict) {
  const Read r = ReadText(
      R"({"AWS_REGION": "eu-west-1", "AWS_CONNECTION_TIMEOUT_MS": 3000, "AWS_PROXY_PORT": 80,
      "provider": {"region": "us-east-1", "connection_timeout_ms": 3000, "proxy_port": 8080}})");
  EXPECT_THAT(Paths(r.problems), ::testing::UnorderedElementsAre("AWS_REGION", "AWS_PROXY_PORT"));
  EXPECT_EQ(MessageAt(r.problems, "AWS_REGION"),
            "conflicts with provider.region (\"us-east-1\"); set one of them");
  EXPECT_EQ(MessageAt(r.problems, "AWS_PROXY_PORT"),
            "conflicts with provider.proxy_port (8080); set one of them");
  EXPECT_EQ(r.config.provider.region, "us-east-1");
}

TEST(PluginConfig, EveryIbmKeyIsReadAtTheTopLevel) {
  // Once the keys ohfp refused; now each is honoured, mapped, or (AWS_KEY_FILE) a warning
  // (ibm_config_test.cc has the details).
  const Read r =
      ReadText(R"({"ACCEPT_PROPAGATED_LOG_SETTING": "false", "AWS_KEY_FILE": "/home/aws/",
      "AWS_REQUEST_RETRY_ATTEMPTS": 0, "AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS": 2,
      "AWS_DESCRIBE_REQUEST_INTERVAL": 100})");
  EXPECT_THAT(r.problems, IsEmpty()) << FormatProblems(r.problems);
  EXPECT_FALSE(r.config.logging.accept_propagated);
  EXPECT_EQ(r.config.resilience.retry.default_max_attempts, 4);
  EXPECT_EQ(r.config.resilience.retry.operations.at("ec2_describe_instances").max_attempts, 12);
}

// ---- The environment ----

TEST(PluginConfig, EveryVariableWinsOverTheFile) {
  Read r = ReadText(
      R"({"AWS_PROXY_PORT": 80, "provider": {"region": "us-east-1", "credential_file": "/a",
      "endpoint_url": "http://127.0.0.1:1", "proxy_host": "file-proxy", "connection_timeout_ms": 1000,
      "instance_pending_timeout_sec": 100}, "logging": {"level": "error"}})");
  ASSERT_THAT(r.problems, IsEmpty()) << FormatProblems(r.problems);
  aws::MapEnvironment env(Vars{{"AWS_REGION", "ap-south-1"},
                               {"AWS_CREDENTIAL_FILE", "/b"},
                               {"AWS_ENDPOINT_URL", "http://127.0.0.1:2"},
                               {"AWS_PROXY_HOST", "env-proxy"},
                               {"AWS_PROXY_PORT", "3128"},
                               {"AWS_CONNECTION_TIMEOUT_MS", "2000"},
                               {"AWS_INSTANCE_PENDING_TIMEOUT_SEC", "200"},
                               {"HF_LOGLEVEL", "LOG_TRACE"}});
  ApplyEnvironment(r.config, env, r.problems);
  ASSERT_THAT(r.problems, IsEmpty()) << FormatProblems(r.problems);
  const ProviderConfig& p = r.config.provider;
  EXPECT_EQ(p.region, "ap-south-1");
  EXPECT_EQ(p.credential_file, "/b");
  EXPECT_EQ(p.endpoint_url, "http://127.0.0.1:2");
  EXPECT_EQ(p.proxy_host, "env-proxy");
  EXPECT_EQ(p.proxy_port, 3128);
  EXPECT_EQ(p.connection_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(p.instance_pending_timeout, seconds(200));
  EXPECT_EQ(r.config.logging.level, "trace");
}

TEST(PluginConfig, UnsetOrEmptyVariablesLeaveTheFileAlone) {
  Read r = ReadText(
      R"({"provider": {"region": "us-east-1", "proxy_port": 80}, "logging": {"level": "error"}})");
  aws::MapEnvironment env(Vars{{"AWS_REGION", ""}, {"AWS_PROXY_PORT", ""}, {"HF_LOGLEVEL", ""}});
  ApplyEnvironment(r.config, env, r.problems);
  EXPECT_THAT(r.problems, IsEmpty());
  EXPECT_EQ(r.config.provider.region, "us-east-1");
  EXPECT_EQ(r.config.provider.proxy_port, 80);
  EXPECT_EQ(r.config.logging.level, "error");
}

TEST(PluginConfig, TheRegionComesFromAwsRegionThenAwsDefaultRegionThenTheFile) {
  const auto region = [](Vars vars) {
    Read r = ReadText(R"({"provider": {"region": "us-east-1"}})");
    ApplyEnvironment(r.config, aws::MapEnvironment(std::move(vars)), r.problems);
    EXPECT_THAT(r.problems, IsEmpty());
    return r.config.provider.region;
  };
  EXPECT_EQ(region({}), "us-east-1");
  EXPECT_EQ(region({{"AWS_DEFAULT_REGION", "eu-west-3"}}), "eu-west-3");
  EXPECT_EQ(region({{"AWS_REGION", "ca-central-1"}, {"AWS_DEFAULT_REGION", "eu-west-3"}}),
            "ca-central-1");
}

TEST(PluginConfig, BadVariablesAreReportedAsEnvProblems) {
  PluginConfig c;
  std::vector<resilience::ConfigProblem> problems;
  aws::MapEnvironment env(Vars{{"AWS_REGION", "nowhere"},
                               {"AWS_ENDPOINT_URL", "localhost:5000"},
                               {"AWS_ENDPOINT_URL_EC2", "http://"},
                               {"AWS_ENDPOINT_URL_AUTO_SCALING", "https://ok.example"},
                               {"AWS_ENDPOINT_URL_CLOUDWATCH", "gopher://x"},
                               {"AWS_PROXY_HOST", "a\tb"},
                               {"AWS_PROXY_PORT", "80x"},
                               {"AWS_CONNECTION_TIMEOUT_MS", "0"},
                               {"AWS_INSTANCE_PENDING_TIMEOUT_SEC", "-5"},
                               {"AWS_CREDENTIAL_FILE", "/tmp/\xff\xfe"},
                               {"HF_LOGLEVEL", "LOG_LOUD"}});
  ApplyEnvironment(c, env, problems);
  EXPECT_THAT(Paths(problems),
              ::testing::UnorderedElementsAre(
                  "env AWS_REGION", "env AWS_ENDPOINT_URL", "env AWS_ENDPOINT_URL_EC2",
                  "env AWS_ENDPOINT_URL_CLOUDWATCH", "env AWS_PROXY_HOST", "env AWS_PROXY_PORT",
                  "env AWS_CONNECTION_TIMEOUT_MS", "env AWS_INSTANCE_PENDING_TIMEOUT_SEC",
                  "env AWS_CREDENTIAL_FILE", "env HF_LOGLEVEL"));
  EXPECT_THAT(MessageAt(problems, "env AWS_REGION"), HasSubstr("invalid AWS region 'nowhere'"));
  EXPECT_THAT(MessageAt(problems, "env AWS_ENDPOINT_URL"),
              HasSubstr("is not a valid endpoint URL"));
  EXPECT_EQ(MessageAt(problems, "env AWS_PROXY_PORT"),
            "must be a port number (1 to 65535), got \"80x\"");
  EXPECT_EQ(MessageAt(problems, "env AWS_CONNECTION_TIMEOUT_MS"),
            "must be between 1 and 2147483647, got 0");
  EXPECT_EQ(MessageAt(problems, "env AWS_INSTANCE_PENDING_TIMEOUT_SEC"),
            "must be between 1 and 86400, got -5");
  EXPECT_THAT(MessageAt(problems, "env AWS_CREDENTIAL_FILE"), HasSubstr("must be valid UTF-8"));
  EXPECT_THAT(MessageAt(problems, "env HF_LOGLEVEL"), HasSubstr("got \"LOG_LOUD\""));
  // Nothing bad was applied, and the result can be printed.
  ExpectDefaults(c);
  EXPECT_NO_THROW((void)PluginConfigToJson(c).dump());
}

TEST(PluginConfig, AnInvalidAwsDefaultRegionIsNamed) {
  PluginConfig c;
  std::vector<resilience::ConfigProblem> problems;
  ApplyEnvironment(c, aws::MapEnvironment(Vars{{"AWS_DEFAULT_REGION", "bogus"}}), problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "env AWS_DEFAULT_REGION");
}

TEST(PluginConfig, TheEnvironmentWinsOverTheIbmKeysInTheFile) {
  ohfp::testing::ScratchDir dir("plugin-config");
  const fs::path file =
      dir.Write("config.json", R"({"AWS_REGION": "us-east-1", "AWS_PROXY_PORT": 80,
      "AWS_INSTANCE_PENDING_TIMEOUT_SEC": 180})");
  aws::MapEnvironment env(Vars{{"AWS_REGION", "us-west-2"},
                               {"AWS_PROXY_PORT", "8080"},
                               {"AWS_INSTANCE_PENDING_TIMEOUT_SEC", "900"}});
  resilience::Result<PluginConfig> c = LoadPluginConfig(file, env);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->provider.region, "us-west-2");
  EXPECT_EQ(c->provider.proxy_port, 8080);
  EXPECT_EQ(c->provider.instance_pending_timeout, seconds(900));
}

// ---- Loading files ----

TEST(PluginConfig, AFileThatIsNotJsonIsOneProblemWithLineAndColumn) {
  ohfp::testing::ScratchDir dir("plugin-config");
  const fs::path file =
      dir.Write("config.json", "{\n  \"provider\": {\n    \"region\": us-east-1\n  }\n}\n");
  resilience::Result<PluginConfig> c = LoadPluginConfig(file, aws::MapEnvironment{});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind(), resilience::ErrorKind::kValidation);
  EXPECT_EQ(c.error().code(), "invalid_config");
  const std::string message(c.error().message());
  EXPECT_THAT(message, HasSubstr(file.string() +
                                 ": 1 problem(s):\n  is not valid JSON (line 3, column 15): "));
  EXPECT_THAT(message, HasSubstr("syntax error"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("[json.exception")));
}

// Issue 11's findings where config.json is parsed: each is one problem, exit 2, with a message
// that says where and prints as JSON (invalid UTF-8 in nlohmann's message made it exit 3; 1e400
// threw out_of_range, which nobody caught; deep nesting overflows the stack when printed).
TEST(PluginConfig, HostileFilesAreOneProblemThatSaysWhere) {
  ExpectEachRefused(
      ohfp::testing::ScratchDir("plugin-config"), "config.json",
      {{"{\n  \"logging\": {\"file\": \"caf\xe9.log\"}}", "is not valid JSON (line 2, column"},
       {"{\"provider\": {\"connection_timeout_ms\": -1e400}}",
        "has a number beyond the range of a double (line 1, column 40): -1e400"},
       {"{\"provider\": " + std::string(5000, '[') + std::string(5000, ']') + "}",
        "nests arrays and objects deeper than 64 levels (line 1, column 77)"},
       {"{\"resilience\": {\"retry\": {\"default_max_attempts\": 18446744073709551615}}}",
        "resilience.retry.default_max_attempts: is out of range: 18446744073709551615"}},
      [](const fs::path& file) { return LoadPluginConfig(file, aws::MapEnvironment{}); });
}

TEST(PluginConfig, LineAndColumnAgreeWithTheParser) {
  ohfp::testing::ScratchDir dir("plugin-config");
  for (const std::string& text : {std::string("{"), std::string("x"), std::string("{\"a\": 1,}"),
                                  std::string("\n\n   [1, 2,, 3]"), std::string("")}) {
    const fs::path file = dir.Write("c.json", text);
    resilience::Result<PluginConfig> c = LoadPluginConfig(file, aws::MapEnvironment{});
    ASSERT_FALSE(c.ok()) << text;
    std::string expected;
    try {
      const nlohmann::json parsed = nlohmann::json::parse(text);
      ADD_FAILURE() << "parsed: " << parsed.dump();
    } catch (const nlohmann::json::parse_error& e) {
      const std::string what = e.what();
      const std::size_t at = what.find("line ");
      expected = what.substr(at, what.find(':', at) - at);
    }
    EXPECT_THAT(std::string(c.error().message()), HasSubstr("(" + expected + ")")) << text;
  }
}

TEST(PluginConfig, ANewlineInAStringIsReportedWhereItIs) {
  // nlohmann's own message says "line 2, column 0" here (it has counted the newline already); the
  // problem names the newline's own place.
  ohfp::testing::ScratchDir dir("plugin-config");
  EXPECT_THAT(LoadProblem(dir.Write("c.json", "{\"a\": \"b\n\"}")),
              HasSubstr("(line 1, column 9)"));
}

TEST(PluginConfig, LoadReportsFileAndEnvironmentProblemsTogether) {
  ohfp::testing::ScratchDir dir("plugin-config");
  const fs::path file =
      dir.Write("config.json", R"({"provider": {"proxy_port": 0}, "logging": {"max_files": 0},
      "typo": 1})");
  EXPECT_EQ(LoadProblem(file, aws::MapEnvironment(Vars{{"AWS_PROXY_PORT", "none"}})),
            file.string() +
                ": 4 problem(s):\n"
                "  provider.proxy_port: must be between 1 and 65535, got 0 (null: no port)\n"
                "  logging.max_files: must be between 1 and 1000, got 0\n"
                "  typo: is not a known key (known here: ACCEPT_PROPAGATED_LOG_SETTING, "
                "AWS_CONNECTION_TIMEOUT_MS, AWS_CREDENTIAL_FILE, AWS_DESCRIBE_REQUEST_INTERVAL, "
                "AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS, AWS_ENDPOINT_URL, "
                "AWS_INSTANCE_PENDING_TIMEOUT_SEC, AWS_KEY_FILE, AWS_PROXY_HOST, AWS_PROXY_PORT, "
                "AWS_REGION, AWS_REQUEST_RETRY_ATTEMPTS, logging, metrics, provider, resilience, "
                "storage, store)\n"
                "  env AWS_PROXY_PORT: must be a port number (1 to 65535), got \"none\"");
}

TEST(PluginConfig, EveryProblemInAFileIsReportedAtOnce) {
  const Read r = ReadText(R"({
      "provider": {"region": "x", "proxy_port": -1, "connection_timeout_ms": 0, "bogus": 1,
                   "endpoints": {"ec2": "nope"}, "tags": {"aws:x": "1"}},
      "logging": {"level": "loud", "max_files": 0},
      "storage": {"busy_timeout_ms": -1},
      "metrics": {"cloudwatch_namespace": "AWS/x"},
      "resilience": {"retry": {"default_max_attempts": 0}, "circuit_breaker": {"typo": true}},
      "AWS_PROXY_PORT": "port"})");
  EXPECT_THAT(Paths(r.problems),
              ::testing::UnorderedElementsAre(
                  "provider.region", "provider.proxy_port", "provider.connection_timeout_ms",
                  "provider.bogus", "provider.endpoints.ec2", "provider.tags.aws:x",
                  "logging.level", "logging.max_files", "storage.busy_timeout_ms",
                  "metrics.cloudwatch_namespace", "resilience.retry.default_max_attempts",
                  "resilience.circuit_breaker.typo", "AWS_PROXY_PORT"));
}

TEST(PluginConfig, ADirectoryIsNotAConfigurationFile) {
  ohfp::testing::ScratchDir dir("plugin-config");
  EXPECT_THAT(LoadProblem(dir.path()), HasSubstr("is a directory"));
}

TEST(PluginConfig, AnEmptyFileIsNotJson) {
  ohfp::testing::ScratchDir dir("plugin-config");
  EXPECT_THAT(LoadProblem(dir.Write("config.json", "")),
              HasSubstr("is not valid JSON (line 1, column 1)"));
}

// ---- Writing the effective configuration ----

TEST(PluginConfig, ToJsonWritesEveryKeyWithItsDefault) {
  const nlohmann::json j = PluginConfigToJson(PluginConfig{});
  const nlohmann::json expected_provider = {{"region", ""},
                                            {"endpoint_url", ""},
                                            {"endpoints", nlohmann::json::object()},
                                            {"credential_file", ""},
                                            {"profile", ""},
                                            {"proxy_host", ""},
                                            {"proxy_port", nullptr},
                                            {"ca_bundle", ""},
                                            {"connection_timeout_ms", 10000},
                                            {"instance_pending_timeout_sec", 180},
                                            {"fleet_fulfillment_timeout_sec", 600},
                                            {"unclaimed_request_timeout_sec", 600},
                                            {"instance_visibility_grace_sec", 300},
                                            {"orphan_min_age_sec", 900},
                                            {"command_timeout_sec", 100},
                                            {"tags", nlohmann::json::object()},
                                            {"instance_name", "ohfp-{templateId}-{requestId}"},
                                            {"ssm_parameter_ttl_sec", 300}};
  EXPECT_EQ(j["provider"], expected_provider);
  EXPECT_EQ(j["logging"], nlohmann::json({{"level", "info"},
                                          {"file", "app.log"},
                                          {"max_bytes", 10485760},
                                          {"max_files", 5},
                                          {"accept_propagated", true}}));
  EXPECT_EQ(j["storage"], nlohmann::json({{"file", "ohfp-state.db"}, {"busy_timeout_ms", 5000}}));
  EXPECT_EQ(j["store"], nlohmann::json({{"url", ""},
                                        {"schema", "ohfp"},
                                        {"resilience_schema", "ohfp"},
                                        {"timeout_ms", 10000},
                                        {"retention_days", 30},
                                        {"purge_batch", 500}}));
  EXPECT_EQ(j["metrics"], nlohmann::json({{"textfile", "ohfp-metrics.prom"},
                                          {"cloudwatch", false},
                                          {"cloudwatch_namespace", "OHFP/HostFactory"}}));
  EXPECT_EQ(j["resilience"], ResilienceConfigToJson(EmbeddedResilienceDefaults()));
  EXPECT_EQ(j.size(), 6u);
}

TEST(PluginConfig, ToJsonReadsBackToTheSameConfiguration) {
  for (const PluginConfig& original : {PluginConfig{}, EverythingChanged()}) {
    const nlohmann::json written = PluginConfigToJson(original);
    const Read r = ReadJson(written);
    ASSERT_THAT(r.problems, IsEmpty()) << FormatProblems(r.problems) << "\n" << written.dump(2);
    ExpectSameConfig(r.config, original);
    EXPECT_EQ(PluginConfigToJson(r.config), written);
  }
}

TEST(PluginConfig, ToJsonOfALoadedFileReadsBack) {
  resilience::Result<PluginConfig> c =
      LoadPluginConfig(Example("config.json"), aws::MapEnvironment{});
  ASSERT_TRUE(c.ok()) << c.error().message();
  const Read r = ReadJson(PluginConfigToJson(*c));
  ASSERT_THAT(r.problems, IsEmpty()) << FormatProblems(r.problems);
  ExpectSameConfig(r.config, *c);
}

// ---- FormatProblems ----

TEST(PluginConfig, FormatProblemsWritesOnePathAndMessagePerLine) {
  EXPECT_EQ(FormatProblems({}), "");
  EXPECT_EQ(FormatProblems({{"a.b", "is bad"}, {"", "is not valid JSON"}, {"env X", "is worse"}}),
            "a.b: is bad\nis not valid JSON\nenv X: is worse");
}

}  // namespace
}  // namespace ohfp::config
