// Tests of the ohfp-chaos-proxy executable as a user runs it: exit codes, what it prints, the ready
// line, the port file, and a clean stop on SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ohfp/chaos_proxy/cli.h"
#include "process.h"
#include "test_support.h"

namespace ohfp::chaos_proxy {
namespace {

using ::testing::HasSubstr;

// The proxy as a child process.
class ProxyProcess : public testing::Process {
 public:
  explicit ProxyProcess(std::vector<std::string> args)
      : Process([&] {
          args.insert(args.begin(), OHFP_CHAOS_PROXY_BINARY);
          return args;
        }()) {}
};

class ExecutableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { signal(SIGPIPE, SIG_IGN); }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ohfp-chaos-proxy-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

TEST_F(ExecutableTest, HelpExitsZeroAndExplainsTheRules) {
  ProxyProcess process({"--help"});
  const std::string out = process.ReadAllStdout();
  EXPECT_EQ(process.Wait(), 0);
  EXPECT_THAT(out, HasSubstr("Usage: ohfp-chaos-proxy [OPTIONS]"));
  EXPECT_THAT(out, HasSubstr("drop_response"));
  EXPECT_THAT(out, HasSubstr("EXAMPLE"));
  EXPECT_THAT(out, HasSubstr("THROTTLING MODEL"));
  EXPECT_THAT(out, HasSubstr("RequestLimitExceeded"));
}

TEST_F(ExecutableTest, ABadConfigIsReportedWholeAndTheProxyDoesNotStart) {
  const std::string config = WriteFile("bad.json", R"({"rules": [
      {"match": {"action": "RunInstances"}, "probability": 1.5, "fault": {"type": "throttle"}},
      {"fault": {"type": "teleport"}},
      {"fault": {"type": "latency", "ms": "slow"}, "colour": "red"}]})");
  ProxyProcess process({"--upstream", "http://127.0.0.1:1", "--config", config});
  const std::string err = process.ReadAllStderr();
  EXPECT_EQ(process.Wait(), kExitUsage);
  EXPECT_THAT(err, HasSubstr("invalid config " + config + " (4 problems)"));
  EXPECT_THAT(err, HasSubstr("$.rules[0].probability: must be between 0 and 1, got 1.5"));
  EXPECT_THAT(err, HasSubstr("$.rules[1].fault.type: unknown fault type \"teleport\""));
  EXPECT_THAT(err, HasSubstr("$.rules[2].fault.ms: must be an integer, got string"));
  EXPECT_THAT(err, HasSubstr("$.rules[2].colour: unknown key"));
  EXPECT_EQ(process.ReadAllStdout(), "");  // never said it was listening
}

TEST_F(ExecutableTest, CheckValidatesAConfigWithoutServing) {
  ProxyProcess process({"--upstream", "http://127.0.0.1:1", "--check", "--config",
                        std::string(OHFP_CHAOS_PROXY_EXAMPLES) + "/lost-launch.json"});
  EXPECT_EQ(process.ReadAllStdout(), "ohfp-chaos-proxy: configuration OK (2 rule(s))\n");
  EXPECT_EQ(process.Wait(), 0);
}

TEST_F(ExecutableTest, CheckSaysWhenTheThrottlingModelIsOn) {
  ProxyProcess process({"--upstream", "http://127.0.0.1:1", "--check", "--config",
                        std::string(OHFP_CHAOS_PROXY_EXAMPLES) + "/ec2-account-limits.json"});
  EXPECT_EQ(process.ReadAllStdout(),
            "ohfp-chaos-proxy: configuration OK (0 rule(s); throttling model ec2-published, scale "
            "0.05)\n");
  EXPECT_EQ(process.Wait(), 0);
}

TEST_F(ExecutableTest, ABadThrottlingSectionIsReportedWithItsPaths) {
  const std::string config = WriteFile("bad.json", R"({"rules": [], "throttling": {
      "scale": "small", "actions": {"CreateFleet": {"resource": {"capacity": 5}}}}})");
  ProxyProcess process({"--upstream", "http://127.0.0.1:1", "--config", config});
  const std::string err = process.ReadAllStderr();
  EXPECT_EQ(process.Wait(), kExitUsage);
  EXPECT_THAT(err, HasSubstr("(2 problems)"));
  EXPECT_THAT(err, HasSubstr("$.throttling.scale: must be a number, got string"));
  EXPECT_THAT(err, HasSubstr("$.throttling.actions.CreateFleet.resource: \"CreateFleet\" has no "
                             "resource bucket"));
}

TEST_F(ExecutableTest, AMissingUpstreamIsAUsageError) {
  ProxyProcess process({"--listen", "127.0.0.1:0"});
  EXPECT_THAT(process.ReadAllStderr(), HasSubstr("--upstream is required"));
  EXPECT_EQ(process.Wait(), kExitUsage);
}

TEST_F(ExecutableTest, ServesPrintsItsAddressWritesThePortFileAndStopsOnSigterm) {
  httplib::Server upstream;
  std::atomic<int> upstream_requests{0};
  upstream.Post(".*", [&](const httplib::Request&, httplib::Response& response) {
    ++upstream_requests;
    response.set_content("<DescribeInstancesResponse/>", "text/xml");
  });
  const int upstream_port = upstream.bind_to_any_port("127.0.0.1");
  std::thread upstream_thread([&] { upstream.listen_after_bind(); });
  ASSERT_TRUE(testing::WaitUntil([&] { return upstream.is_running(); }));

  const std::string port_file = (dir_ / "port").string();
  ProxyProcess process({"--upstream", "http://127.0.0.1:" + std::to_string(upstream_port),
                        "--listen", "127.0.0.1:0", "--port-file", port_file, "--seed", "5",
                        "--config", std::string(OHFP_CHAOS_PROXY_EXAMPLES) + "/moto-gaps.json"});
  const auto ready = nlohmann::json::parse(process.ReadStdoutLine());
  EXPECT_EQ(ready["seed"], 5);
  EXPECT_EQ(ready["upstream"], "http://127.0.0.1:" + std::to_string(upstream_port));
  const std::string listening = ready["listening"];
  ASSERT_THAT(listening, HasSubstr("127.0.0.1:"));
  const int port = std::stoi(listening.substr(listening.rfind(':') + 1));
  std::ifstream port_text(port_file);
  int port_from_file = 0;
  port_text >> port_from_file;
  EXPECT_EQ(port_from_file, port);

  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  auto modify = client.Post("/", "Action=ModifyFleet&Version=2016-11-15&FleetId=fleet-1",
                            "application/x-www-form-urlencoded");
  ASSERT_TRUE(modify);
  EXPECT_EQ(modify->status, 200);
  EXPECT_THAT(modify->body, HasSubstr("<return>true</return>"));
  auto describe = client.Post("/", "Action=DescribeInstances&Version=2016-11-15",
                              "application/x-www-form-urlencoded");
  ASSERT_TRUE(describe);
  EXPECT_EQ(describe->body, "<DescribeInstancesResponse/>");
  EXPECT_EQ(upstream_requests.load(), 1);

  process.Signal(SIGTERM);
  EXPECT_EQ(process.Wait(), 0);
  const std::string err = process.ReadAllStderr();
  EXPECT_THAT(
      err, HasSubstr("fault=respond rule=modify-fleet action=ModifyFleet service=ec2 status=200"));
  EXPECT_THAT(err, HasSubstr("stopped; 2 request(s), 1 forwarded, 1 fault(s) injected"));

  upstream.stop();
  upstream_thread.join();
}

TEST_F(ExecutableTest, ABusyPortIsARuntimeError) {
  testing::BoundSocket holder(/*listen=*/true);
  const int busy = holder.port();
  ProxyProcess process(
      {"--upstream", "http://127.0.0.1:1", "--listen", "127.0.0.1:" + std::to_string(busy)});
  EXPECT_THAT(process.ReadAllStderr(),
              HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(busy)));
  EXPECT_EQ(process.Wait(), kExitRuntime);
}

}  // namespace
}  // namespace ohfp::chaos_proxy
