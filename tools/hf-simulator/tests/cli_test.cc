// The ohfp-hf-simulator command line, in process, against fake plugin scripts.
#include "ohfp/hf_simulator/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "fake_plugin.h"

namespace ohfp::hf_simulator {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

CliRun Cli(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  CliRun r;
  r.code = RunCli(args, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

TEST(CliTest, HelpDocumentsEverySubcommandAndTheChecks) {
  const CliRun r = Cli({"--help"});
  EXPECT_EQ(r.code, kCliOk);
  EXPECT_THAT(r.out, AllOf(HasSubstr("cycle"), HasSubstr("call"), HasSubstr("check"),
                           HasSubstr("--shim-dir"), HasSubstr("WHAT IS CHECKED"),
                           HasSubstr("EXIT STATUS")));
  const CliRun cycle = Cli({"cycle", "--help"});
  EXPECT_EQ(cycle.code, kCliOk);
  EXPECT_THAT(cycle.out, AllOf(HasSubstr("--template"), HasSubstr("--poll-interval"),
                               HasSubstr("--timeout"), HasSubstr("--return-fraction"),
                               HasSubstr("--return-batches"), HasSubstr("--json")));
}

TEST(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Cli({}).code, kCliUsage);
  EXPECT_EQ(Cli({"cycle"}).code, kCliUsage);  // --template is required
  EXPECT_EQ(Cli({"cycle", "--template", "OnDemand"}).code, kCliUsage);
  EXPECT_EQ(Cli({"cycle", "--template", "OnDemand:0"}).code, kCliUsage);
  EXPECT_EQ(Cli({"cycle", "--template", "T:1", "--return-fraction", "1.5"}).code, kCliUsage);
  EXPECT_EQ(Cli({"cycle", "--template", "T:1", "--return-batches", "0"}).code, kCliUsage);
  EXPECT_EQ(Cli({"call", "getSomething"}).code, kCliUsage);
  EXPECT_EQ(Cli({"--env", "NOEQUALS", "call", "getAvailableTemplates"}).code, kCliUsage);
  EXPECT_THAT(Cli({"cycle", "--template", "OnDemand"}).err, HasSubstr("ID:COUNT"));
}

TEST(CliTest, CycleAgainstAGoodPluginExitsZeroWithASummary) {
  FakePlugin plugin;
  const CliRun r = Cli({"--shim-dir", plugin.dir().string(), "cycle", "--template", "T:2",
                        "--poll-interval", "0.01"});
  EXPECT_EQ(r.code, kCliOk) << r.out << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("HostFactory cycle: OK"), HasSubstr("req-1"),
                           HasSubstr("ret-1"), HasSubstr("getRequestStatus"),
                           HasSubstr("contract violations: none"), HasSubstr("elapsed:")));
}

TEST(CliTest, CycleJsonIsOneDocument) {
  FakePlugin plugin;
  const CliRun r = Cli({"--shim-dir", plugin.dir().string(), "cycle", "-t", "T:2",
                        "--poll-interval", "0", "--json"});
  EXPECT_EQ(r.code, kCliOk) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["requests"][0]["status"], "complete");
  EXPECT_EQ(j["returns"][0]["requestId"], "ret-1");
  EXPECT_EQ(j["commands"]["requestMachines"]["calls"], 1);
}

TEST(CliTest, CycleReturnsInBatches) {
  FakePlugin plugin;
  const CliRun r = Cli({"--shim-dir", plugin.dir().string(), "cycle", "-t", "T:2",
                        "--poll-interval", "0", "--return-batches", "2", "--json"});
  EXPECT_EQ(r.code, kCliOk) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["returns"].size(), 2U) << r.out;
  EXPECT_EQ(j["commands"]["requestReturnMachines"]["calls"], 2);
}

TEST(CliTest, CycleWithAViolationExitsOne) {
  FakePlugin plugin;
  plugin.Set("requestReturnMachines", "echo 'terminated 2 machines'");
  const CliRun r =
      Cli({"--shim-dir", plugin.dir().string(), "cycle", "-t", "T:2", "--poll-interval", "0"});
  EXPECT_EQ(r.code, kCliViolations);
  EXPECT_THAT(r.out, HasSubstr("requestReturnMachines: stdout: is not a JSON document"));
}

TEST(CliTest, CallPassesTheEnvironmentAndChecks) {
  FakePlugin plugin;
  plugin.Set("requestMachines", R"sh(printf '{"requestId": "%s"}' "$SIM_ID")sh");
  const CliRun r =
      Cli({"--shim-dir", plugin.dir().string(), "--env", "SIM_ID=req-env", "call",
           "requestMachines", "--data", R"({"template": {"templateId": "T", "machineCount": 1}})"});
  EXPECT_EQ(r.code, kCliOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("req-env"));
  EXPECT_THAT(r.err, HasSubstr("contract: OK"));
}

TEST(CliTest, CallJsonReportsViolations) {
  FakePlugin plugin;
  plugin.Set("getRequestStatus", R"sh(echo '{"requests": [{"requestId": "req-9",
    "status": "running", "message": "", "machines": []}]}')sh");
  const CliRun r = Cli({"--shim-dir", plugin.dir().string(), "call", "getRequestStatus", "--data",
                        R"({"requests": [{"requestId": "req-9"}]})", "--request-kind",
                        "never-issued", "--json"});
  EXPECT_EQ(r.code, kCliViolations);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_EQ(j["violations"][0]["path"], "requests[0].status");
}

TEST(CliTest, CheckReadsASavedOutput) {
  const CliRun good = Cli({"check", "requestMachines"}, R"({"requestId": "req-1"})");
  EXPECT_EQ(good.code, kCliOk);
  EXPECT_THAT(good.out, HasSubstr("contract: OK"));
  const CliRun bad = Cli({"check", "requestMachines", "--exit-code", "1"}, "oops");
  EXPECT_EQ(bad.code, kCliViolations);
  EXPECT_THAT(bad.out, HasSubstr("requestMachines: stdout: is not a JSON document"));
}

}  // namespace
}  // namespace ohfp::hf_simulator
