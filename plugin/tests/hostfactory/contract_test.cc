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

  auto machines = ParseMachines(
      *ParseInput(R"({"machines": [{"name": "ip-10-0-1-23", "machineId": "i-0abc"}]})"), true);
  ASSERT_TRUE(machines.ok());
  EXPECT_EQ((*machines)[0].machine_id, "i-0abc");
  EXPECT_EQ((*machines)[0].name, "ip-10-0-1-23");
  EXPECT_TRUE(ParseMachines(*ParseInput(R"({"machines": []})"), false).ok());
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
  EXPECT_THAT(MessageOf(ParseMachines(*ParseInput(R"({"machines": []})"), true).error()),
              HasSubstr("nothing to return"));
  EXPECT_THAT(
      MessageOf(ParseMachines(*ParseInput(R"({"machines": [{"name": "x"}]})"), true).error()),
      HasSubstr("machines[0].machineId"));
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
      R"("privateIpAddress":"10.0.1.23","publicIpAddress":null,"launchtime":1734619942,"message":""}]}]})");
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
