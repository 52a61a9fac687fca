// Issue 17, end to end: HostFactory's inputs exactly as IBM's provider specification (Spectrum
// Symphony 7.3.2) allows them, each command a process through the shims, against moto behind
// ohfp-chaos-proxy, every output checked by the HostFactory simulator's own contract checker.
//  - IbmInputs: machines named by host name alone, by machineId alone or both; a name matching
//    nothing of this installation fails that entry and touches nothing; a name and a machineId
//    that disagree are refused (exit 2); getReturnRequests with {} answers for every machine held.
//  - TheContractTable: each of the five commands with only the mandatory input fields, with the
//    optional ones, and with what HostFactory's own inputs add (machineId beside name); each
//    output keeps its mandatory fields and the documented optional ones ohfp knows.
// One moto for the binary; each test a few seconds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e_suite.h"
#include "e2e_world.h"

namespace ohfp::testing {
namespace {

using hf_simulator::CallResult;
using hf_simulator::Command;
using nlohmann::json;
using ::testing::SizeIs;

constexpr std::chrono::milliseconds kPoll{100};
constexpr std::chrono::seconds kWait{60};

struct Held {
  std::string id;
  std::string name;
  std::string ip;
};

class ContractTest : public E2eSuite<ContractTest, 17> {
 protected:
  void AfterReset() override {
    install_ = std::make_unique<PluginInstall>(world_->endpoint(), RunInstancesCase().templates);
    sim_ = std::make_unique<hf_simulator::Simulator>(SimulatorFor(*install_));
  }

  // Runs `command` with `input`; the output must keep the contract.
  CallResult Call(Command command, const json& input) {
    CallResult r = sim_->Call(command, input);
    EXPECT_THAT(r.violations, ::testing::IsEmpty()) << r.Describe();
    return r;
  }
  // `count` running machines of "OnDemand".
  std::vector<Held> Borrow(int count) {
    const CallResult r =
        Call(Command::kRequestMachines,
             {{"template", {{"templateId", "OnDemand"}, {"machineCount", count}}}});
    const std::string id = r.json.value("requestId", "");
    last_request_ = id;
    const auto done = sim_->WaitFor({id}, {.poll_interval = kPoll, .timeout = kWait});
    EXPECT_TRUE(done.finished());
    std::vector<Held> held;
    if (!done.finished()) return held;
    for (const auto& m : done.last.at(id)["machines"])
      held.push_back({m["machineId"], m["name"], m.value("privateIpAddress", "")});
    EXPECT_THAT(held, SizeIs(count));
    return held;
  }
  // The return request's last status, polled to its end.
  json Finished(const CallResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    const std::string id = r.json.value("requestId", "");
    const auto done = sim_->WaitFor({id}, {.poll_interval = kPoll, .timeout = kWait});
    EXPECT_TRUE(done.finished());
    return done.finished() ? done.last.at(id) : json::object();
  }
  static std::set<std::string> Live() {
    std::set<std::string> live;
    for (const MotoInstance& i : world_->Instances()) {
      if (i.Live()) live.insert(i.instance_id);
    }
    return live;
  }
  static std::vector<std::string> Notices(const CallResult& r) {
    std::vector<std::string> names;
    for (const auto& n : r.json.value("requests", json::array())) names.push_back(n["machine"]);
    return names;
  }

  std::unique_ptr<PluginInstall> install_;
  std::unique_ptr<hf_simulator::Simulator> sim_;
  std::string last_request_;  // the id Borrow() got
};

TEST_F(ContractTest, IbmInputsNameOnlyMachinesAndGetReturnRequestsWithoutAList) {
  const std::vector<Held> held = Borrow(4);
  ASSERT_THAT(held, SizeIs(4));
  const std::string nobody = "ip-10-254-254-254.ec2.internal";

  // requestReturnMachines by host name alone, with a name that is nothing of this installation.
  json ret = Finished(Call(Command::kRequestReturnMachines,
                           {{"machines", {{{"name", held[0].name}}, {{"name", nobody}}}}}));
  EXPECT_EQ(ret["status"], "complete_with_error") << ret.dump();
  ASSERT_THAT(ret["machines"], SizeIs(2));
  for (const auto& m : ret["machines"]) {
    if (m["name"] == nobody) {
      EXPECT_EQ(m["result"], "fail");
      EXPECT_THAT(m["message"].get<std::string>(),
                  ::testing::HasSubstr("no machine of this installation"));
    } else {
      EXPECT_EQ(m["machineId"], held[0].id);
      EXPECT_EQ(m["result"], "succeed");
    }
  }
  EXPECT_EQ(Live(), (std::set<std::string>{held[1].id, held[2].id, held[3].id}))
      << "only the named machine was terminated";

  // A name and a machineId that disagree: refused, nothing done.
  CallResult refused = Call(Command::kRequestReturnMachines,
                            {{"machines", {{{"name", held[1].name}, {"machineId", held[2].id}}}}});
  EXPECT_EQ(refused.exit_code, 2) << refused.Describe();
  EXPECT_THAT(refused.json.value("message", ""), ::testing::HasSubstr(held[1].name));
  EXPECT_EQ(Live(), (std::set<std::string>{held[1].id, held[2].id, held[3].id}));

  // Someone terminates held[1] from the console: getReturnRequests by name, and with {}.
  std::string why;
  ASSERT_TRUE(MotoTerminate(world_->moto(), {held[1].id}, &why)) << why;
  CallResult by_name = Call(Command::kGetReturnRequests,
                            {{"machines", {{{"name", held[1].name}}, {{"name", held[2].name}}}}});
  ASSERT_EQ(by_name.exit_code, 0) << by_name.Describe();
  EXPECT_EQ(Notices(by_name), std::vector<std::string>{held[1].name});
  // By private IP address: the store knows host names only, so EC2 is asked by address.
  CallResult by_ip = Call(Command::kGetReturnRequests, {{"machines", {{{"name", held[1].ip}}}}});
  ASSERT_EQ(by_ip.exit_code, 0) << by_ip.Describe();
  EXPECT_EQ(Notices(by_ip), std::vector<std::string>{held[1].ip}) << by_ip.Describe();
  CallResult all = Call(Command::kGetReturnRequests, json::object());
  ASSERT_EQ(all.exit_code, 0) << all.Describe();
  EXPECT_EQ(Notices(all), std::vector<std::string>{held[1].name})
      << "every machine held is looked at; held[0] was returned by ohfp itself";
  EXPECT_EQ(Live(), (std::set<std::string>{held[2].id, held[3].id}));

  // machineId alone.
  ret = Finished(
      Call(Command::kRequestReturnMachines, {{"machines", {{{"machineId", held[2].id}}}}}));
  EXPECT_EQ(ret["status"], "complete") << ret.dump();
  EXPECT_EQ(ret["machines"][0]["name"], held[2].name);
  EXPECT_EQ(Live(), (std::set<std::string>{held[3].id}));
}

// One row of the contract table: a command, its input file's text (IBM's field names; {req},
// {name0}, {id0}, ... stand for the request and machines borrowed first), and the members its
// output must have (JSON pointers): the mandatory ones and the documented optional ones ohfp knows.
struct ContractRow {
  std::string what;
  Command command;
  std::string input;
  std::vector<std::string> output_has;
};

std::string Filled(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
      text.replace(at, key.size(), value);
      at += value.size();
    }
  }
  return text;
}

const std::vector<std::string> kMachineFields = {
    "/machineId",       "/name",       "/result",  "/status",    "/privateIpAddress",
    "/publicIpAddress", "/launchtime", "/message", "/priceType", "/instanceType",
    "/cloudHostId"};

std::vector<std::string> MachineFields(const std::string& at) {
  std::vector<std::string> out = {at.substr(0, at.rfind("/machines")) + "/requestId",
                                  at.substr(0, at.rfind("/machines")) + "/status"};
  for (const std::string& f : kMachineFields) out.push_back(at + f);
  return out;
}

TEST_F(ContractTest, TheContractTable) {
  const std::vector<Held> held = Borrow(4);
  ASSERT_THAT(held, SizeIs(4));
  std::map<std::string, std::string> values = {{"{req}", last_request_}};
  for (std::size_t i = 0; i < held.size(); ++i) {
    values["{id" + std::to_string(i) + "}"] = held[i].id;
    values["{name" + std::to_string(i) + "}"] = held[i].name;
  }
  const std::vector<std::string> templates = {"/templates/0/templateId",
                                              "/templates/0/maxNumber",
                                              "/templates/0/availableNumber",
                                              "/templates/0/attributes/type",
                                              "/templates/0/attributes/ncpus",
                                              "/templates/0/attributes/nram",
                                              "/message"};
  const std::vector<ContractRow> table = {
      {"templates: {}", Command::kGetAvailableTemplates, "{}", templates},
      {"templates: no input", Command::kGetAvailableTemplates, "", templates},
      {"request: mandatory fields",
       Command::kRequestMachines,
       R"({"template": {"templateId": "OnDemand", "machineCount": 1}})",
       {"/requestId", "/message"}},
      {"status: a list", Command::kGetRequestStatus, R"({"requests": [{"requestId": "{req}"}]})",
       MachineFields("/requests/0/machines/0")},
      {"status: one object, as IBM's page shows it", Command::kGetRequestStatus,
       R"({"requests": {"requestId": "{req}"}})", MachineFields("/requests/0/machines/3")},
      {"held: {}", Command::kGetReturnRequests, "{}", {"/requests", "/message"}},
      {"held: no input", Command::kGetReturnRequests, "", {"/requests", "/message"}},
      {"held: name only",
       Command::kGetReturnRequests,
       R"({"machines": [{"name": "{name0}"}]})",
       {"/requests", "/message"}},
      {"held: name and machineId",
       Command::kGetReturnRequests,
       R"({"machines": [{"name": "{name0}", "machineId": "{id0}"}]})",
       {"/requests", "/message"}},
      {"return: name only",
       Command::kRequestReturnMachines,
       R"({"machines": [{"name": "{name0}"}]})",
       {"/requestId", "/message"}},
      {"return: machineId only",
       Command::kRequestReturnMachines,
       R"({"machines": [{"machineId": "{id1}"}]})",
       {"/requestId", "/message"}},
      {"return: name and machineId, as HostFactory sends them",
       Command::kRequestReturnMachines,
       R"({"machines": [{"name": "{name2}", "machineId": "{id2}"}]})",
       {"/requestId", "/message"}},
  };
  for (const ContractRow& row : table) {
    SCOPED_TRACE(row.what);
    const CallResult r = sim_->CallWithText(row.command, Filled(row.input, values));
    EXPECT_THAT(r.violations, ::testing::IsEmpty()) << r.Describe();
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    for (const std::string& pointer : row.output_has) {
      EXPECT_TRUE(r.json.contains(json::json_pointer(pointer)))
          << pointer << " in " << r.json.dump();
    }
  }
  // What the returns did: exactly the three machines named, and the fourth still running.
  std::set<std::string> live;
  for (const MotoInstance& i : world_->Instances()) {
    if (i.Live()) live.insert(i.instance_id);
  }
  EXPECT_EQ(live.count(held[3].id), 1U);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(live.count(held[static_cast<std::size_t>(i)].id), 0U);
}

}  // namespace
}  // namespace ohfp::testing
