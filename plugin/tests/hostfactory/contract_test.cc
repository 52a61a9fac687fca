#include "hostfactory/contract.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ohfp::hostfactory {
namespace {

using ::testing::HasSubstr;

std::string MessageOf(const resilience::Error& e) { return std::string(e.message()); }

TEST(Contract, ParsesTheDocumentedInputs) {
  auto in = ParseInput(R"({"template": {"templateId": "OnDemand-C5", "machineCount": 3}})");
  ASSERT_TRUE(in.ok());
  auto r = ParseRequestMachines(*in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->template_id, "OnDemand-C5");
  EXPECT_EQ(r->machine_count, 3);

  auto ids = ParseGetRequestStatus(
      *ParseInput(R"({"requests": [{"requestId": "req-1"}, {"requestId": "ret-2"},
                                                             {"requestId": "req-1"}]})"));
  ASSERT_TRUE(ids.ok());
  EXPECT_THAT(*ids, ::testing::ElementsAre("req-1", "ret-2"));

  auto machines = ParseRequestReturnMachines(
      *ParseInput(R"({"machines": [{"name": "ip-10-0-1-23", "machineId": "i-0abc"}]})"));
  ASSERT_TRUE(machines.ok());
  EXPECT_EQ((*machines)[0].machine_id, "i-0abc");
  EXPECT_EQ((*machines)[0].name, "ip-10-0-1-23");
  auto held = ParseGetReturnRequests(*ParseInput(R"({"machines": []})"));
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(held->has_value()) << "an empty list is a list: no machine to look at";
  EXPECT_THAT(**held, ::testing::IsEmpty());
}

// IBM's specification: "name" is the only mandatory member of a machine; HostFactory's own
// inputs add "machineId"; a list of one may be written as the object itself.
TEST(Contract, MachinesMayBeNamedByNameByMachineIdOrBoth) {
  const char* input = R"({"machines": [{"name": "ip-10-1-7-157.ec2.internal"},
                                       {"machineId": "i-0abc"},
                                       {"name": "ip-10-1-7-158.ec2.internal", "machineId": "i-0def",
                                        "extra": 1},
                                       {"name": "ip-10-1-7-157.ec2.internal"}]})";
  for (bool returning : {true, false}) {
    std::vector<MachineRef> refs;
    if (returning) {
      auto r = ParseRequestReturnMachines(*ParseInput(input));
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      refs = *r;
    } else {
      auto r = ParseGetReturnRequests(*ParseInput(input));
      ASSERT_TRUE(r.ok() && r->has_value());
      refs = **r;
    }
    ASSERT_THAT(refs, ::testing::SizeIs(3)) << "the repeated entry is dropped";
    EXPECT_EQ(refs[0], (MachineRef{"ip-10-1-7-157.ec2.internal", ""}));
    EXPECT_EQ(refs[1], (MachineRef{"", "i-0abc"}));
    EXPECT_EQ(refs[2], (MachineRef{"ip-10-1-7-158.ec2.internal", "i-0def"}));
  }
  auto one = ParseRequestReturnMachines(*ParseInput(R"({"machines": {"name": "host-1"}})"));
  ASSERT_TRUE(one.ok());
  EXPECT_THAT(*one, ::testing::ElementsAre(MachineRef{"host-1", ""}));
}

TEST(Contract, GetReturnRequestsWithoutMachinesMeansEveryMachineHeld) {
  for (const char* input : {"{}", R"({"machines": null})"}) {
    auto r = ParseGetReturnRequests(*ParseInput(input));
    ASSERT_TRUE(r.ok()) << input;
    EXPECT_FALSE(r->has_value()) << input;
  }
  EXPECT_THAT(MessageOf(ParseGetReturnRequests(*ParseInput(R"({"machines": "all"})")).error()),
              HasSubstr("machines must be a list"));
}

TEST(Contract, RejectsMalformedInputWithAClearMessage) {
  EXPECT_THAT(MessageOf(ParseInput("").error()), HasSubstr("empty"));
  EXPECT_THAT(MessageOf(ParseInput("{not json").error()), HasSubstr("not valid JSON"));
  EXPECT_THAT(MessageOf(ParseInput("[1, 2]").error()), HasSubstr("must be a JSON object"));
  auto request = [](const char* text) {
    return MessageOf(ParseRequestMachines(*ParseInput(text)).error());
  };
  EXPECT_THAT(request(R"({})"), HasSubstr("templateId"));
  EXPECT_THAT(request(R"({"template": {"templateId": "", "machineCount": 1}})"),
              HasSubstr("non-empty"));
  EXPECT_THAT(request(R"({"template": {"templateId": "a", "machineCount": 0}})"),
              HasSubstr("at least 1, got 0"));
  EXPECT_THAT(request(R"({"template": {"templateId": "a", "machineCount": -4}})"),
              HasSubstr("at least 1, got -4"));
  EXPECT_THAT(request(R"({"template": {"templateId": "a", "machineCount": "3"}})"),
              HasSubstr("must be an integer"));
  EXPECT_THAT(request(R"({"template": {"templateId": "a", "machineCount": 2.5}})"),
              HasSubstr("must be an integer"));
  EXPECT_THAT(MessageOf(ParseGetRequestStatus(*ParseInput(R"({"requests": [{}]})")).error()),
              HasSubstr("requests[0].requestId"));
  auto returning = [](const char* text) {
    return MessageOf(ParseRequestReturnMachines(*ParseInput(text)).error());
  };
  EXPECT_THAT(returning(R"({"machines": []})"), HasSubstr("nothing to return"));
  EXPECT_THAT(returning(R"({})"), HasSubstr("requestReturnMachines needs"));
  EXPECT_THAT(returning(R"({"machines": [{"name": "a"}, {}]})"),
              HasSubstr("machines[1] needs a \"name\""));
  EXPECT_THAT(returning(R"({"machines": [{"name": "", "machineId": ""}]})"),
              HasSubstr("machines[0] needs a \"name\""));
  EXPECT_THAT(returning(R"({"machines": [{"name": 7}]})"),
              HasSubstr("machines[0].name must be a string"));
  EXPECT_THAT(returning(R"({"machines": ["host-1"]})"), HasSubstr("machines[0] must be an object"));
  EXPECT_THAT(
      MessageOf(ParseGetReturnRequests(*ParseInput(R"({"machines": [{"machineId": 1}]})")).error()),
      HasSubstr("machines[0].machineId must be a string"));
}

// Issue 11's findings in the input readers: each is a kValidation error (exit 2) whose message
// prints as JSON, never an exception (exit 3) or a crash.
TEST(Contract, HostileInputsAreValidationErrorsThatPrintAsJson) {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  const struct {
    std::string input;
    std::string says;
  } cases[] = {
      {"{\"template\": {\"templateId\": \"caf\xe9\"}}", "not valid JSON (line 1, column"},
      {"{\"template\": {\"templateId\": \"a\", \"machineCount\": 1e400}}",
       "a number beyond the range of a double (line 1, column 50): 1e400"},
      {"{\"requests\": " + deep + "}", "deeper than 64 levels (line 1, column 77)"},
      {"\xff\xfe{}", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto parsed = ParseInput(c.input);
    ASSERT_FALSE(parsed.ok()) << c.input.substr(0, 80);
    EXPECT_EQ(parsed.error().kind(), resilience::ErrorKind::kValidation);
    EXPECT_THAT(std::string(parsed.error().message()), HasSubstr(c.says));
    EXPECT_NO_THROW(static_cast<void>(ErrorJson(parsed.error().message()).dump()));
  }
  // An integer beyond int64 was read as -1 ("must be at least 1, got -1").
  auto huge = ParseRequestMachines(nlohmann::json::parse(
      R"({"template": {"templateId": "a", "machineCount": 18446744073709551615}})"));
  ASSERT_FALSE(huge.ok());
  EXPECT_THAT(std::string(huge.error().message()),
              HasSubstr("template.machineCount is too large: 18446744073709551615"));
}

TEST(Contract, PrintsRequestStatusExactlyAsHostFactoryReadsIt) {
  RequestReport r{"req-1", RequestStatus::kRunning, "", {}};
  r.machines.push_back({"i-0abc", "ip-10-0-1-23.ec2.internal", MachineResult::kExecuting,
                        model::InstanceState::kPending, "10.0.1.23", "",
                        model::EpochSeconds(std::chrono::seconds(1734619942)), ""});
  EXPECT_EQ(
      RequestStatusJson({r}).dump(),
      R"({"requests":[{"requestId":"req-1","status":"running","message":"","machines":[{"machineId":"i-0abc",)"
      R"("name":"ip-10-0-1-23.ec2.internal","result":"executing","status":"pending",)"
      R"("privateIpAddress":"10.0.1.23","publicIpAddress":null,"cloudHostId":null,"launchtime":1734619942,"message":""}]}]})");
}

TEST(Contract, PrintsIbmsOptionalMachineFieldsWhenKnown) {
  RequestReport r{"req-1", RequestStatus::kComplete, "", {}};
  MachineReport m{"i-0abc",
                  "ip-10-0-1-23.ec2.internal",
                  MachineResult::kSucceed,
                  model::InstanceState::kRunning,
                  "10.0.1.23",
                  "54.1.2.3",
                  model::EpochSeconds(std::chrono::seconds(1734619942)),
                  ""};
  m.price_type = "spot";
  m.instance_type = "c5.large";
  m.instance_tags = "team=hpc;env=prod";
  r.machines.push_back(m);
  EXPECT_EQ(RequestStatusJson({r})["requests"][0]["machines"][0].dump(),
            R"({"machineId":"i-0abc","name":"ip-10-0-1-23.ec2.internal","result":"succeed",)"
            R"("status":"running","privateIpAddress":"10.0.1.23","publicIpAddress":"54.1.2.3",)"
            R"("priceType":"spot","instanceType":"c5.large","instanceTags":"team=hpc;env=prod",)"
            R"("cloudHostId":null,"launchtime":1734619942,"message":""})");
}

TEST(Contract, PrintsTheOtherOutputs) {
  EXPECT_EQ(RequestIdJson("req-1", "ok").dump(), R"({"requestId":"req-1","message":"ok"})");
  EXPECT_EQ(
      ReturnRequestsJson({{"host-1", 0}, {"host-2", 120}}, "").dump(),
      R"({"requests":[{"machine":"host-1","gracePeriod":0},{"machine":"host-2","gracePeriod":120}],"message":""})");
  EXPECT_EQ(ErrorJson("bad").dump(), R"({"message":"bad"})");
  EXPECT_EQ(TemplatesJson({}, "").dump(), R"({"templates":[],"message":""})");
  EXPECT_EQ(model::RequestStateName(RequestStatus::kCompleteWithError), "complete_with_error");
  EXPECT_EQ(model::MachineResultName(MachineResult::kSucceed), "succeed");
}

}  // namespace
}  // namespace ohfp::hostfactory
