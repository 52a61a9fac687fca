// The machines of requestReturnMachines and getReturnRequests as IBM's specification allows
// HostFactory to send them (issue 17): by host name alone, by machineId alone, or both; and
// getReturnRequests without a list. Issue 9's rule holds throughout: a name that matches nothing
// of this installation fails that entry alone, and nothing else is touched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "service_fixture.h"

namespace ohfp::hostfactory {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<model::Tag> TagsOf(const std::string& installation) {
  return {{"ohfp:request-id", "req-elsewhere"},
          {"ohfp:provider", "aws"},
          {"ohfp:installation", installation}};
}

class InputsTest : public testing::ServiceTest {
 protected:
  // The machines of a new acquire request, running, as HostFactory knows them.
  std::vector<MachineRef> Running(int count) {
    const std::string id = Request(count);
    cloud_.SetAll("running");
    const nlohmann::ordered_json status = Status(id);
    EXPECT_EQ(status["status"], "complete");
    std::vector<MachineRef> held;
    for (const auto& m : status["machines"]) held.push_back({m["name"], m["machineId"]});
    return held;
  }
  static MachineRef ByName(const MachineRef& m) { return {m.name, ""}; }
  // The return request's machines as getRequestStatus prints them.
  nlohmann::ordered_json Returned(const CommandResult& r) {
    EXPECT_EQ(r.exit_code, kExitOk) << r.output.dump();
    return Status(r.output.value("requestId", ""));
  }
  // The machine of a return request's status with this name (the order is the store's).
  static nlohmann::ordered_json Named(const nlohmann::ordered_json& ret, const std::string& name) {
    for (const auto& m : ret["machines"]) {
      if (m["name"] == name) return m;
    }
    ADD_FAILURE() << name << " not in " << ret.dump();
    return {};
  }
};

TEST_F(InputsTest, AHostNameAloneReturnsTheMachineTheStoreKnows) {
  const std::vector<MachineRef> held = Running(2);
  const CommandResult r = service_->RequestReturnMachines({ByName(held[1])});
  EXPECT_THAT(cloud_.released, ::testing::ElementsAre(held[1].machine_id));
  const nlohmann::ordered_json ret = Returned(r);
  ASSERT_THAT(ret["machines"], SizeIs(1));
  EXPECT_EQ(ret["machines"][0]["machineId"], held[1].machine_id);
  EXPECT_EQ(ret["machines"][0]["name"], held[1].name);
  EXPECT_EQ(ret["machines"][0]["result"], "executing");
  EXPECT_THAT(cloud_.host_name_lookups, IsEmpty()) << "the store knew it: AWS not asked";
}

TEST_F(InputsTest, AMachineIdAloneIsEnough) {
  const std::vector<MachineRef> held = Running(1);
  const nlohmann::ordered_json ret =
      Returned(service_->RequestReturnMachines({{"", held[0].machine_id}}));
  EXPECT_THAT(cloud_.released, ::testing::ElementsAre(held[0].machine_id));
  EXPECT_EQ(ret["machines"][0]["name"], held[0].name) << "the name comes from the store";
}

TEST_F(InputsTest, ANameTheStoreDoesNotKnowIsTerminatedOnlyWhenTheCloudShowsItIsOurs) {
  cloud_.Plant("i-ours", TagsOf("inst-a"));
  cloud_.SetAddress("i-ours", "ip-10-1-7-157.ec2.internal", "10.1.7.157");
  cloud_.Plant("i-theirs", TagsOf("inst-b"));
  cloud_.SetAddress("i-theirs", "ip-10-1-7-158.ec2.internal", "10.1.7.158");
  const nlohmann::ordered_json ret = Returned(
      service_->RequestReturnMachines({{"IP-10-1-7-157.ec2.internal", ""}, {"10.1.7.158", ""}}));
  EXPECT_THAT(cloud_.released, ::testing::ElementsAre("i-ours"));
  ASSERT_THAT(ret["machines"], SizeIs(2));
  EXPECT_EQ(Named(ret, "IP-10-1-7-157.ec2.internal")["machineId"], "i-ours");
  EXPECT_EQ(Named(ret, "IP-10-1-7-157.ec2.internal")["result"], "executing");
  EXPECT_EQ(Named(ret, "10.1.7.158")["result"], "fail");
  EXPECT_THAT(Named(ret, "10.1.7.158")["message"].get<std::string>(),
              HasSubstr("i-theirs, which this installation (aws) did not create; left alone"));
}

TEST_F(InputsTest, ANameThatMatchesNothingFailsThatEntryAloneAndTouchesNothing) {
  const std::vector<MachineRef> held = Running(2);
  const CommandResult r =
      service_->RequestReturnMachines({{"ip-10-9-9-9.ec2.internal", ""}, ByName(held[0])});
  EXPECT_THAT(r.output["message"].get<std::string>(),
              HasSubstr("1 name(s) match no machine of this installation"));
  EXPECT_THAT(cloud_.released, ::testing::ElementsAre(held[0].machine_id))
      << "held[1] is not touched";
  const nlohmann::ordered_json ret = Returned(r);
  ASSERT_THAT(ret["machines"], SizeIs(2));
  EXPECT_EQ(Named(ret, held[0].name)["result"], "executing");
  EXPECT_EQ(Named(ret, "ip-10-9-9-9.ec2.internal")["result"], "fail");
  EXPECT_THAT(Named(ret, "ip-10-9-9-9.ec2.internal")["message"].get<std::string>(),
              HasSubstr("no machine of this installation has this host name"));
  EXPECT_FALSE(Named(ret, "ip-10-9-9-9.ec2.internal").contains("status"))
      << "no instance, so no EC2 state (IBM: status is optional)";
  cloud_.SetAll("terminated");
  EXPECT_EQ(Status(r.output["requestId"])["status"], "complete_with_error");
  EXPECT_THAT(cloud_.released, SizeIs(1)) << "refreshing the return touches nothing more";
}

TEST_F(InputsTest, ANameAndAMachineIdThatDisagreeAreRefusedAndNothingIsDone) {
  const std::vector<MachineRef> held = Running(2);
  const int requests = RequestsInStore();
  const CommandResult r = service_->RequestReturnMachines({{held[0].name, held[1].machine_id}});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  const std::string message = r.output["message"];
  EXPECT_THAT(message, HasSubstr(held[0].name));
  EXPECT_THAT(message, HasSubstr(held[1].machine_id));
  EXPECT_THAT(message, HasSubstr("Nothing was done"));
  EXPECT_THAT(cloud_.released, IsEmpty());
  EXPECT_EQ(RequestsInStore(), requests) << "no return request saved";
  EXPECT_EQ(service_->GetReturnRequests({{{held[0].name, held[1].machine_id}}}).exit_code,
            kExitBadInput);
}

TEST_F(InputsTest, TheShortHostNameOrTheAddressAgreesWithTheMachineId) {
  const std::vector<MachineRef> held = Running(2);
  const std::string short_name = held[0].name.substr(0, held[0].name.find('.'));
  const auto stored = store_->MachinesByIds({held[1].machine_id});
  ASSERT_TRUE(stored.ok() && stored->size() == 1);
  const CommandResult r = service_->RequestReturnMachines(
      {{short_name, held[0].machine_id}, {(*stored)[0].private_ip, held[1].machine_id}});
  ASSERT_EQ(r.exit_code, kExitOk) << r.output.dump();
  EXPECT_THAT(cloud_.released, SizeIs(2));
}

TEST_F(InputsTest, SeveralLiveInstancesOfOneNameAreAmbiguousAndLeftAlone) {
  for (const char* id : {"i-one", "i-two"}) {
    cloud_.Plant(id, TagsOf("inst-a"));
    cloud_.SetAddress(id, "ip-10-1-7-157.ec2.internal", "10.1.7.157");
  }
  const nlohmann::ordered_json ret =
      Returned(service_->RequestReturnMachines({{"ip-10-1-7-157.ec2.internal", ""}}));
  EXPECT_THAT(cloud_.released, IsEmpty());
  EXPECT_EQ(ret["machines"][0]["result"], "fail");
  EXPECT_THAT(ret["machines"][0]["message"].get<std::string>(), HasSubstr("give its machineId"));
}

TEST_F(InputsTest, ALookUpByNameThatFailsFailsTheCommandAndTerminatesNothing) {
  const std::vector<MachineRef> held = Running(1);
  cloud_.FailLookups(
      resilience::Error(resilience::ErrorKind::kTransient, "Unavailable", "EC2 is down"));
  const CommandResult r =
      service_->RequestReturnMachines({ByName(held[0]), {"ip-10-9-9-9.ec2.internal", ""}});
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_THAT(r.output["message"].get<std::string>(), HasSubstr("by host name"));
  EXPECT_THAT(cloud_.released, IsEmpty());
}

TEST_F(InputsTest, GetReturnRequestsTakesMachinesByName) {
  const std::vector<MachineRef> held = Running(2);
  cloud_.SetState(held[0].machine_id, "terminated");
  const CommandResult r = service_->GetReturnRequests(
      {{ByName(held[0]), ByName(held[1]), {"ip-10-9-9-9.ec2.internal", ""}}});
  ASSERT_EQ(r.exit_code, kExitOk) << r.output.dump();
  ASSERT_THAT(r.output["requests"], SizeIs(1));
  EXPECT_EQ(r.output["requests"][0]["machine"], held[0].name);
  EXPECT_THAT(r.output["message"].get<std::string>(),
              HasSubstr("1 machine(s) match nothing of this installation, not checked: "
                        "ip-10-9-9-9.ec2.internal"));
  EXPECT_THAT(cloud_.released, IsEmpty());
}

TEST_F(InputsTest, GetReturnRequestsWithoutAListLooksAtEveryMachineHeld) {
  const std::vector<MachineRef> held = Running(3);
  CommandResult r = service_->GetReturnRequests(std::nullopt);
  ASSERT_EQ(r.exit_code, kExitOk) << r.output.dump();
  EXPECT_THAT(r.output["requests"], IsEmpty());
  cloud_.SetState(held[0].machine_id, "terminated");  // from the console
  ASSERT_EQ(service_->RequestReturnMachines({held[2]}).exit_code, kExitOk);
  cloud_.SetState(held[2].machine_id, "shutting-down");  // ohfp's own return: not listed
  r = service_->GetReturnRequests(std::nullopt);
  ASSERT_THAT(r.output["requests"], SizeIs(1)) << r.output.dump();
  EXPECT_EQ(r.output["requests"][0]["machine"], held[0].name);
  EXPECT_EQ(r.output["requests"][0]["gracePeriod"], 0);
}

TEST_F(InputsTest, GetReturnRequestsWithoutAListTakesNoEmptyListingForGone) {
  const std::vector<MachineRef> held = Running(2);
  cloud_.ListNothing(true);
  EXPECT_THAT(service_->GetReturnRequests(std::nullopt).output["requests"], IsEmpty());
  cloud_.Purge(held[1].machine_id);
  EXPECT_THAT(service_->GetReturnRequests(std::nullopt).output["requests"], IsEmpty())
      << "known for less than the grace";
  clock_.Advance(std::chrono::seconds(301));
  const CommandResult r = service_->GetReturnRequests(std::nullopt);
  ASSERT_THAT(r.output["requests"], SizeIs(1));
  EXPECT_EQ(r.output["requests"][0]["machine"], held[1].name);
}

}  // namespace
}  // namespace ohfp::hostfactory
