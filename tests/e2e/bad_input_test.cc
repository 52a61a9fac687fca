// Bad input and bad configuration, as HostFactory (or an administrator) would get them wrong: every
// answer is one JSON document with a message, the documented exit code (2: "the input, the
// arguments or the configuration is invalid; nothing was changed"), and the state database's rows
// are the same before and after; nothing reaches EC2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "e2e_suite.h"
#include "e2e_world.h"

namespace ohfp::testing {
namespace {

using hf_simulator::CallResult;
using hf_simulator::Command;
using hf_simulator::Simulator;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::chrono::milliseconds kPoll(200);
constexpr std::chrono::seconds kWait(60);

class BadInputTest : public E2eSuite<BadInputTest> {
 protected:
  // A store with something in it: a finished request of two machines, one of them returned.
  static void Populate(Simulator& sim) {
    const CallResult r = sim.RequestMachines("OnDemand", 2);
    ASSERT_TRUE(r.ok()) << r.Describe();
    const std::string id = r.json["requestId"];
    const auto done = sim.WaitFor({id}, {.poll_interval = kPoll, .timeout = kWait});
    ASSERT_TRUE(done.finished());
    const nlohmann::json& m = done.last.at(id)["machines"][0];
    const CallResult ret = sim.RequestReturnMachines({{m["name"], m["machineId"]}});
    ASSERT_TRUE(ret.ok()) << ret.Describe();
    ASSERT_TRUE(sim.WaitFor({ret.json["requestId"]}, {.poll_interval = kPoll, .timeout = kWait})
                    .finished());
  }
};

struct BadInput {
  std::string what;
  Command command;
  std::string input;
  std::string message_has;
};

TEST_F(BadInputTest, BadInputIsOneJsonMessageWithExitTwoAndChangesNothing) {
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates);
  Simulator sim(SimulatorFor(install));
  Populate(sim);
  ASSERT_FALSE(HasFatalFailure());
  const std::string before = StoreSnapshot(install.state_db());
  const std::size_t instances_before = world_->Instances().size();
  const int run_instances_before = world_->ProxyRequests("RunInstances");
  const int terminates_before = world_->ProxyRequests("TerminateInstances");

  const auto request = [](const nlohmann::json& count, const std::string& id = "OnDemand") {
    return nlohmann::json{{"template", {{"templateId", id}, {"machineCount", count}}}}.dump();
  };
  const std::vector<BadInput> cases = {
      {"malformed JSON", Command::kRequestMachines, R"({"template": {"templateId": )", "JSON"},
      {"not an object", Command::kRequestMachines, "[1, 2]", "object"},
      {"empty input", Command::kRequestMachines, "", "empty"},
      {"no template", Command::kRequestMachines, "{}", "templateId"},
      {"unknown template", Command::kRequestMachines, request(1, "NoSuchTemplate"),
       "NoSuchTemplate"},
      {"machineCount 0", Command::kRequestMachines, request(0), "machineCount"},
      {"negative machineCount", Command::kRequestMachines, request(-3), "machineCount"},
      {"fractional machineCount", Command::kRequestMachines, request(1.5), "machineCount"},
      {"machineCount as a string", Command::kRequestMachines, request("2"), "machineCount"},
      {"machineCount above maxNumber", Command::kRequestMachines, request(7, "Limited"), "6"},
      {"status: malformed JSON", Command::kGetRequestStatus, "{", "JSON"},
      {"status: no requests", Command::kGetRequestStatus, "{}", "requests"},
      {"status: requestId not a string", Command::kGetRequestStatus,
       R"({"requests": [{"requestId": 5}]})", "requestId"},
      {"return: malformed JSON", Command::kRequestReturnMachines, "machines", "JSON"},
      {"return: no machine", Command::kRequestReturnMachines, R"({"machines": []})", "machines"},
      {"return: machine with neither name nor machineId", Command::kRequestReturnMachines,
       R"({"machines": [{"name": ""}]})", "machines[0] needs a \"name\""},
      {"return: name not a string", Command::kRequestReturnMachines,
       R"({"machines": [{"name": 7}]})", "machines[0].name must be a string"},
      {"getReturnRequests: malformed JSON", Command::kGetReturnRequests, "{]", "JSON"},
      {"getReturnRequests: machines not a list", Command::kGetReturnRequests,
       R"({"machines": "all"})", "machines"},
      // Issue 11: these were exit 3 (invalid UTF-8, 1e400) or had no limit at all (size, depth).
      {"not UTF-8", Command::kRequestMachines,
       "{\"template\": {\"templateId\": \"caf\xe9\", \"machineCount\": 1}}", "JSON"},
      {"machineCount 1e400", Command::kRequestMachines,
       R"({"template": {"templateId": "OnDemand", "machineCount": 1e400}})", "range"},
      {"nested 100,000 deep", Command::kGetRequestStatus,
       "{\"requests\": " + std::string(100'000, '[') + std::string(100'000, ']') + "}", "deeper"},
      {"17 MiB", Command::kGetReturnRequests,
       "{\"machines\": []" + std::string(17 << 20, ' ') + "}", "larger than 16777216 bytes"},
  };
  for (const BadInput& c : cases) {
    SCOPED_TRACE(c.what);
    const CallResult r = sim.CallWithText(c.command, c.input);
    EXPECT_THAT(r.violations, IsEmpty()) << r.Describe();
    EXPECT_EQ(r.exit_code, 2) << r.Describe();
    EXPECT_THAT(r.json.value("message", ""), HasSubstr(c.message_has)) << r.Describe();
    EXPECT_EQ(StoreSnapshot(install.state_db()), before) << r.Describe();
  }
  EXPECT_EQ(world_->Instances().size(), instances_before);
  EXPECT_EQ(world_->ProxyRequests("RunInstances"), run_instances_before);
  EXPECT_EQ(world_->ProxyRequests("TerminateInstances"), terminates_before);
}

// The e2e world's moto checks every signature against its IAM user's key (issue 11): a key it does
// not know is refused, so nothing is launched and the command says why.
TEST_F(BadInputTest, AKeyMotoDoesNotKnowIsRefusedAndNothingIsLaunched) {
  ASSERT_TRUE(world_->moto().checks_signatures());
  AwsAccess stranger = world_->endpoint();
  stranger.secret_access_key += "-wrong";
  PluginInstall install(stranger, RunInstancesCase().templates);
  Simulator sim(SimulatorFor(install));
  const CallResult r = sim.RequestMachines("OnDemand", 1);
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.out + r.err + install.Log(), HasSubstr("AuthFailure")) << r.Describe();
  EXPECT_THAT(world_->Instances(), IsEmpty());
}

TEST_F(BadInputTest, AnUnknownRequestIdIsCompleteWithErrorAndChangesNothing) {
  // The contract: "An unknown request id gets an entry with complete_with_error and a message,
  // not a crash." The known request asked alongside is answered as usual.
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates);
  Simulator sim(SimulatorFor(install));
  Populate(sim);
  ASSERT_FALSE(HasFatalFailure());
  const std::string before = StoreSnapshot(install.state_db());
  const std::string unknown = "req-00000000-0000-4000-8000-000000000000";
  sim.Remember(unknown, hf_simulator::RequestKind::kNeverIssued);
  const CallResult r = sim.GetRequestStatus({unknown});
  EXPECT_TRUE(r.ok()) << r.Describe();
  ASSERT_EQ(r.json["requests"].size(), 1U) << r.Describe();
  EXPECT_EQ(r.json["requests"][0]["status"], "complete_with_error");
  EXPECT_THAT(r.json["requests"][0]["message"].get<std::string>(), HasSubstr(unknown));
  EXPECT_EQ(StoreSnapshot(install.state_db()), before);
}

TEST_F(BadInputTest, AMissingInputFileIsExitTwoWithAMessage) {
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates);
  const ProcessResult p =
      RunProcess({ShimPath("requestMachines"), "-f", install.root() + "/no-such-input.json"},
                 {.env = install.Env()});
  const auto checked = hf_simulator::CheckOutput(Command::kRequestMachines, p.exit_code, p.out);
  EXPECT_THAT(checked.violations, IsEmpty()) << p.out << p.err;
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_THAT(checked.document.value("message", ""), HasSubstr("no-such-input.json"));
  EXPECT_FALSE(std::filesystem::exists(install.state_db()));
}

TEST_F(BadInputTest, ABadConfigurationIsExitTwoWithAMessageAndChangesNothing) {
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates);
  Simulator sim(SimulatorFor(install));
  const CallResult first = sim.RequestMachines("OnDemand", 1);
  ASSERT_TRUE(first.ok()) << first.Describe();
  const std::string before = StoreSnapshot(install.state_db());
  const int run_instances_before = world_->ProxyRequests("RunInstances");
  const std::string good_config = FastTestConfig().dump();
  const std::string good_templates = RunInstancesCase().templates.dump();

  struct Bad {
    std::string what;
    std::string file;
    std::string content;  // "" with remove: the file is deleted
    bool remove;
    std::string message_has;
  };
  const std::vector<Bad> cases = {
      {"config.json is not JSON", "config.json", R"({"provider": {"region": u)", false,
       "not valid JSON"},
      {"config.json has an unknown key", "config.json", R"({"provider": {"regoin": "us-east-1"}})",
       false, "regoin"},
      {"config.json has a wrong type", "config.json",
       R"({"provider": {"unclaimed_request_timeout_sec": "soon"}})", false,
       "unclaimed_request_timeout_sec"},
      {"config.json has a bad retry setting", "config.json",
       R"({"resilience": {"retry": {"default_max_attempts": 0}}})", false, "default_max_attempts"},
      {"awsprov_templates.json is missing", "awsprov_templates.json", "", true,
       "awsprov_templates.json"},
      {"awsprov_templates.json is not JSON", "awsprov_templates.json", "{\"templates\": [", false,
       "JSON"},
      {"a template has a wrongly cased priceType", "awsprov_templates.json",
       R"({"templates": [{"templateId": "OnDemand", "imageId": "ami-12c6146b",
                          "vmType": "t2.micro", "priceType": "OnDemand"}]})",
       false, "priceType"},
      {"a template lacks an image", "awsprov_templates.json",
       R"({"templates": [{"templateId": "OnDemand", "vmType": "t2.micro"}]})", false, "imageId"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string path = install.confdir() + "/" + c.file;
    if (c.remove) {
      std::filesystem::remove(path);
    } else {
      install.WriteConf(c.file, c.content);
    }
    for (Command command : {Command::kRequestMachines, Command::kGetAvailableTemplates}) {
      const CallResult r = command == Command::kRequestMachines ? sim.RequestMachines("OnDemand", 1)
                                                                : sim.GetAvailableTemplates();
      EXPECT_THAT(r.violations, IsEmpty()) << r.Describe();
      EXPECT_EQ(r.exit_code, 2) << r.Describe();
      EXPECT_THAT(r.json.value("message", ""), HasSubstr(c.message_has)) << r.Describe();
    }
    EXPECT_EQ(StoreSnapshot(install.state_db()), before);
    install.WriteConf("config.json", good_config);
    install.WriteConf("awsprov_templates.json", good_templates);
  }
  EXPECT_EQ(world_->ProxyRequests("RunInstances"), run_instances_before);
}

TEST_F(BadInputTest, WithoutConfigJsonTheDefaultsApply) {
  // docs/configuration.md: "A missing file means every default below".
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates);
  std::filesystem::remove(install.confdir() + "/config.json");
  Simulator sim(SimulatorFor(install));
  const CallResult r = sim.GetAvailableTemplates();
  EXPECT_TRUE(r.ok()) << r.Describe();
}

}  // namespace
}  // namespace ohfp::testing
