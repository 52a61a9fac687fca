#include "ohfp/chaos_proxy/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "ohfp/chaos_proxy/upstream.h"

namespace ohfp::chaos_proxy {
namespace {

using ::testing::HasSubstr;

CliParse Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "ohfp-chaos-proxy");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST(Cli, HelpDocumentsOptionsRulesAndAnExample) {
  const CliParse cli = Parse({"--help"});
  EXPECT_FALSE(cli.options.has_value());
  EXPECT_EQ(cli.exit_code, 0);
  for (const char* text : {"--upstream URL",
                           "--listen HOST:PORT",
                           "--config FILE",
                           "--seed N",
                           "--port-file FILE",
                           "--no-idempotency",
                           "--quiet",
                           "throttle",
                           "error",
                           "capacity",
                           "latency",
                           "hang",
                           "reset",
                           "drop_response",
                           "respond",
                           "GET  /__chaos/stats",
                           "PUT  /__chaos/rules",
                           "POST /__chaos/reset",
                           "EXAMPLE",
                           "{\"rules\": ["}) {
    EXPECT_THAT(cli.output, HasSubstr(text));
  }
}

TEST(Cli, DefaultsListenOnLoopbackAnyPortWithIdempotency) {
  const CliParse cli = Parse({"--upstream", "http://127.0.0.1:5000"});
  ASSERT_TRUE(cli.options.has_value()) << cli.output;
  EXPECT_EQ(cli.options->upstream, "http://127.0.0.1:5000");
  EXPECT_EQ(cli.options->listen_host, "127.0.0.1");
  EXPECT_EQ(cli.options->listen_port, 0);
  EXPECT_TRUE(cli.options->idempotency);
  EXPECT_FALSE(cli.options->seed.has_value());
  EXPECT_FALSE(cli.options->config_path.has_value());
  EXPECT_FALSE(cli.options->quiet);
}

TEST(Cli, ReadsEveryOption) {
  const CliParse cli = Parse({"--upstream",
                              "http://localhost:5000/",
                              "--listen",
                              "0.0.0.0:8080",
                              "--config",
                              "c.json",
                              "--seed",
                              "42",
                              "--port-file",
                              "p",
                              "--no-idempotency",
                              "--idempotency-capacity",
                              "5",
                              "--upstream-timeout",
                              "1500",
                              "--connect-timeout",
                              "250",
                              "--threads",
                              "4",
                              "-q",
                              "--check"});
  ASSERT_TRUE(cli.options.has_value()) << cli.output;
  const CliOptions& o = *cli.options;
  EXPECT_EQ(o.listen_host, "0.0.0.0");
  EXPECT_EQ(o.listen_port, 8080);
  EXPECT_EQ(o.config_path, "c.json");
  EXPECT_EQ(o.seed, 42u);
  EXPECT_EQ(o.port_file, "p");
  EXPECT_FALSE(o.idempotency);
  EXPECT_EQ(o.idempotency_capacity, 5u);
  EXPECT_EQ(o.upstream_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(o.connect_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(o.threads, 4u);
  EXPECT_TRUE(o.quiet);
  EXPECT_TRUE(o.check_only);
}

TEST(Cli, MistakesExitWith2AndSayWhatIsWrong) {
  const CliParse missing = Parse({});
  EXPECT_EQ(missing.exit_code, kExitUsage);
  EXPECT_THAT(missing.output, HasSubstr("--upstream is required"));

  const CliParse bad_url = Parse({"--upstream", "127.0.0.1:5000"});
  EXPECT_EQ(bad_url.exit_code, kExitUsage);
  EXPECT_THAT(bad_url.output, HasSubstr("invalid upstream URL \"127.0.0.1:5000\": missing scheme"));

  const CliParse path = Parse({"--upstream", "http://h:1/api"});
  EXPECT_THAT(path.output, HasSubstr("a path is not supported"));

  const CliParse bad_listen = Parse({"--upstream", "http://h:1", "--listen", "localhost"});
  EXPECT_EQ(bad_listen.exit_code, kExitUsage);
  EXPECT_THAT(bad_listen.output, HasSubstr("--listen localhost: missing :PORT"));

  const CliParse bad_number = Parse({"--upstream", "http://h:1", "--threads", "0"});
  EXPECT_EQ(bad_number.exit_code, kExitUsage);
  EXPECT_THAT(bad_number.output, HasSubstr("--threads"));
}

TEST(Cli, ParsesListenAddresses) {
  auto v4 = ParseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->first, "127.0.0.1");
  EXPECT_EQ(v4->second, 0);
  auto v6 = ParseListenAddress("[::1]:8080");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 8080);
  EXPECT_FALSE(ParseListenAddress(":80").ok());
  EXPECT_FALSE(ParseListenAddress("host:99999").ok());
  EXPECT_FALSE(ParseListenAddress("host:http").ok());
}

TEST(Cli, ParsesUpstreamUrls) {
  auto plain = ParseUpstreamUrl("http://127.0.0.1:5000");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->ToString(), "http://127.0.0.1:5000");
  auto tls = ParseUpstreamUrl("https://ec2.us-east-1.amazonaws.com");
  ASSERT_TRUE(tls.ok());
  EXPECT_EQ(tls->port, 443);
  auto v6 = ParseUpstreamUrl("http://[::1]:5000/");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->ToString(), "http://[::1]:5000");
  EXPECT_FALSE(ParseUpstreamUrl("ftp://h").ok());
  EXPECT_FALSE(ParseUpstreamUrl("http://:5000").ok());
  EXPECT_FALSE(ParseUpstreamUrl("http://h:0").ok());
  EXPECT_FALSE(ParseUpstreamUrl("http://user@h:1").ok());
}

TEST(Cli, AMissingRulesFileIsOneErrorNamingTheFile) {
  const ParsedRules parsed = LoadRulesFile("/nonexistent/chaos.json");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].path, "/nonexistent/chaos.json");
  EXPECT_THAT(parsed.errors[0].message, HasSubstr("cannot read the file"));
}

}  // namespace
}  // namespace ohfp::chaos_proxy
