// The contract checker on good and bad documents of every command.
#include "ohfp/hf_simulator/contract_checker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ohfp::hf_simulator {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A violation at `path` whose problem mentions `text`.
auto At(const std::string& path, const std::string& text) {
  return ::testing::AllOf(::testing::Field(&Violation::path, path),
                          ::testing::Field(&Violation::problem, ::testing::HasSubstr(text)));
}

std::string Dump(const nlohmann::json& j) { return j.dump(); }

nlohmann::json GoodTemplates() {
  return nlohmann::json::parse(R"({"templates": [
    {"templateId": "OnDemand-C5", "maxNumber": 10, "availableNumber": 8,
     "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"],
                    "nram": ["Numeric", "4096"], "ncores": ["Numeric", "1"]},
     "imageId": "ami-12345678", "vmType": "c5.large", "priceType": "ondemand"},
    {"templateId": "Unlimited_1", "maxNumber": -1,
     "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "0.5"],
                    "nram": ["Numeric", "512"]}}],
   "message": ""})");
}

nlohmann::json Machine(const std::string& id, const std::string& result,
                       const std::string& status) {
  return {{"machineId", id},
          {"name", "ip-10-0-1-23.ec2.internal"},
          {"result", result},
          {"status", status},
          {"privateIpAddress", "10.0.1.23"},
          {"publicIpAddress", nullptr},
          {"launchtime", 1734619942},
          {"message", result == "fail" ? "the instance is terminated" : ""}};
}

nlohmann::json Status(const std::string& id, const std::string& status,
                      std::vector<nlohmann::json> machines, const std::string& message = "") {
  return {
      {"requests",
       {{{"requestId", id}, {"status", status}, {"message", message}, {"machines", machines}}}}};
}

CheckContext Asked(const std::string& id, RequestKind kind) {
  CheckContext c;
  c.asked_requests = {{id, kind}};
  return c;
}

TEST(CommandNameTest, RoundTripsEveryCommand) {
  for (Command c : kAllCommands) EXPECT_EQ(ParseCommand(CommandName(c)), c);
  EXPECT_EQ(ParseCommand("getrequeststatus"), std::nullopt);
}

// --- the envelope: stdout, exit code, errors ---

TEST(ContractCheckerTest, AcceptsOneDocumentWithSurroundingWhitespace) {
  const CheckResult r = CheckOutput(Command::kRequestMachines, 0,
                                    "\n  {\"requestId\": \"req-1\", \"message\": \"ok\"}\n\n");
  EXPECT_THAT(r.violations, IsEmpty());
  EXPECT_TRUE(r.parsed);
  EXPECT_EQ(r.document["requestId"], "req-1");
}

TEST(ContractCheckerTest, RejectsEmptyStdout) {
  const CheckResult r = CheckOutput(Command::kRequestMachines, 0, "  \n");
  EXPECT_THAT(r.violations, ElementsAre(At("stdout", "is empty")));
  EXPECT_FALSE(r.parsed);
}

TEST(ContractCheckerTest, RejectsTwoDocuments) {
  const CheckResult r = CheckOutput(Command::kRequestMachines, 0,
                                    "{\"requestId\": \"req-1\"}\n{\"requestId\": \"req-2\"}\n");
  EXPECT_THAT(r.violations, ElementsAre(At("stdout", "more than one JSON document")));
}

TEST(ContractCheckerTest, RejectsLogLinesAroundTheDocument) {
  EXPECT_THAT(
      CheckOutput(Command::kRequestMachines, 0, "INFO starting\n{\"requestId\": \"r\"}").violations,
      ElementsAre(At("stdout", "is not a JSON document")));
  EXPECT_THAT(
      CheckOutput(Command::kRequestMachines, 0, "{\"requestId\": \"r\"}\nINFO done\n").violations,
      ElementsAre(At("stdout", "more than one JSON document")));
}

TEST(ContractCheckerTest, RejectsPlainTextErrors) {
  // The Python plugin's habit: an error as text on stdout.
  const CheckResult r = CheckOutput(Command::kRequestMachines, 1, "Error: template not found\n");
  EXPECT_THAT(r.violations, ElementsAre(At("stdout", "is not a JSON document")));
}

TEST(ContractCheckerTest, RejectsANonObjectDocument) {
  EXPECT_THAT(CheckOutput(Command::kGetAvailableTemplates, 0, "[1, 2]").violations,
              ElementsAre(At("stdout", "must be a JSON object, got an array")));
  EXPECT_THAT(CheckOutput(Command::kGetAvailableTemplates, 0, "\"ok\"").violations,
              ElementsAre(At("stdout", "must be a JSON object, got a string")));
}

TEST(ContractCheckerTest, AcceptsAFailureWithAMessage) {
  for (int code : {1, 2, 3}) {
    EXPECT_THAT(
        CheckOutput(Command::kRequestMachines, code, R"({"message": "unknown template 'X'"})")
            .violations,
        IsEmpty())
        << code;
  }
}

TEST(ContractCheckerTest, RejectsAFailureWithoutAMessage) {
  EXPECT_THAT(CheckOutput(Command::kRequestMachines, 1, "{}").violations,
              ElementsAre(At("message", "is required")));
  EXPECT_THAT(CheckOutput(Command::kRequestMachines, 1, R"({"message": ""})").violations,
              ElementsAre(At("message", "must not be empty")));
  EXPECT_THAT(CheckOutput(Command::kRequestMachines, 2, R"({"message": 42})").violations,
              ElementsAre(At("message", "must be a string, got an integer")));
}

TEST(ContractCheckerTest, RejectsUndocumentedExitCodesAndSignals) {
  EXPECT_THAT(CheckOutput(Command::kRequestMachines, 7, R"({"message": "x"})").violations,
              ElementsAre(At("exit code", "got 7")));
  EXPECT_THAT(CheckOutput(Command::kRequestMachines, -9, "").violations,
              ::testing::Contains(At("exit code", "killed by signal 9")));
  CheckContext lenient;
  lenient.failure_exit_codes = {7};
  EXPECT_THAT(CheckOutput(Command::kRequestMachines, 7, R"({"message": "x"})", lenient).violations,
              IsEmpty());
}

TEST(ContractCheckerTest, ASuccessThatIsOnlyAMessageIsMissingItsFields) {
  EXPECT_THAT(CheckOutput(Command::kRequestMachines, 0, R"({"message": "failed"})").violations,
              ElementsAre(At("requestId", "is required")));
}

// --- getAvailableTemplates ---

TEST(ContractCheckerTest, AcceptsGoodTemplates) {
  EXPECT_THAT(CheckOutput(Command::kGetAvailableTemplates, 0, Dump(GoodTemplates())).violations,
              IsEmpty());
  EXPECT_THAT(CheckOutput(Command::kGetAvailableTemplates, 0, R"({"templates": []})").violations,
              IsEmpty());
}

TEST(ContractCheckerTest, RejectsTemplatesWithoutTheRequiredFields) {
  nlohmann::json doc = GoodTemplates();
  doc["templates"][0].erase("templateId");
  doc["templates"][0].erase("maxNumber");
  doc["templates"][1]["attributes"].erase("nram");
  EXPECT_THAT(CheckOutput(Command::kGetAvailableTemplates, 0, Dump(doc)).violations,
              ElementsAre(At("templates[0].templateId", "is required"),
                          At("templates[0].maxNumber", "is required"),
                          At("templates[1].attributes.nram", "is required")));
  EXPECT_THAT(CheckOutput(Command::kGetAvailableTemplates, 0, R"({"message": ""})").violations,
              ElementsAre(At("templates", "is required")));
}

TEST(ContractCheckerTest, RejectsTemplatesWithWrongTypesAndValues) {
  nlohmann::json doc = GoodTemplates();
  doc["templates"][0]["maxNumber"] = "10";
  doc["templates"][0]["attributes"]["ncpus"] = 2;  // the IBM plugin's bare form
  doc["templates"][0]["priceType"] = "OnDemand";
  doc["templates"][1]["templateId"] = "has space";
  doc["templates"][1]["maxNumber"] = -2;
  doc["templates"][1]["attributes"]["nram"] = {"Numeric", "lots"};
  doc["templates"][1]["attributes"]["type"] = {"Numeric", "1"};
  EXPECT_THAT(CheckOutput(Command::kGetAvailableTemplates, 0, Dump(doc)).violations,
              ElementsAre(At("templates[0].maxNumber", "must be an integer, got a string"),
                          At("templates[0].attributes.ncpus", "pair of strings"),
                          At("templates[0].priceType", "got \"OnDemand\""),
                          At("templates[1].templateId", "[A-Za-z0-9_-]"),
                          At("templates[1].maxNumber", "-1 (unlimited) or >= 0"),
                          At("templates[1].attributes.nram[1]", "decimal number, got \"lots\""),
                          At("templates[1].attributes.type[0]", "must be \"String\"")));
}

TEST(ContractCheckerTest, RejectsDuplicateTemplatesAndAvailableAboveMax) {
  nlohmann::json doc = GoodTemplates();
  doc["templates"][0]["availableNumber"] = 11;
  doc["templates"][1]["templateId"] = "OnDemand-C5";
  EXPECT_THAT(CheckOutput(Command::kGetAvailableTemplates, 0, Dump(doc)).violations,
              ElementsAre(At("templates[0].availableNumber", "more than maxNumber 10"),
                          At("templates[1].templateId", "listed twice")));
}

TEST(ContractCheckerTest, RejectsATemplateIdLongerThan64) {
  nlohmann::json doc = GoodTemplates();
  doc["templates"][0]["templateId"] = std::string(65, 'a');
  EXPECT_THAT(CheckOutput(Command::kGetAvailableTemplates, 0, Dump(doc)).violations,
              ElementsAre(At("templates[0].templateId", "at most 64")));
}

// --- requestMachines / requestReturnMachines ---

TEST(ContractCheckerTest, RequestIdMustBeANonEmptyString) {
  for (Command c : {Command::kRequestMachines, Command::kRequestReturnMachines}) {
    EXPECT_THAT(CheckOutput(c, 0, R"({"requestId": "ret-9", "message": ""})").violations,
                IsEmpty());
    EXPECT_THAT(CheckOutput(c, 0, R"({"requestId": ""})").violations,
                ElementsAre(At("requestId", "must not be empty")));
    EXPECT_THAT(CheckOutput(c, 0, R"({"requestId": 17})").violations,
                ElementsAre(At("requestId", "must be a string")));
    EXPECT_THAT(CheckOutput(c, 0, R"({"requestId": "r", "message": null})").violations,
                ElementsAre(At("message", "must be a string, got null")));
  }
}

// --- getRequestStatus ---

TEST(ContractCheckerTest, AcceptsAGoodAcquireStatus) {
  const nlohmann::json doc =
      Status("req-1", "running",
             {Machine("i-1", "succeed", "running"), Machine("i-2", "executing", "pending"),
              Machine("i-3", "fail", "terminated")});
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0, Dump(doc), Asked("req-1", RequestKind::kAcquire))
          .violations,
      IsEmpty());
}

TEST(ContractCheckerTest, AcceptsAGoodReturnStatus) {
  const nlohmann::json doc = Status(
      "ret-1", "running",
      {Machine("i-1", "succeed", "terminated"), Machine("i-2", "executing", "shutting-down")});
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0, Dump(doc), Asked("ret-1", RequestKind::kReturn))
          .violations,
      IsEmpty());
}

TEST(ContractCheckerTest, RejectsBadRequestEntries) {
  const std::string text = R"({"requests": [
      {"requestId": "req-1", "status": "done", "message": "", "machines": []},
      {"requestId": "req-2", "status": "running", "machines": {}},
      {"status": "complete", "message": "", "machines": []},
      "req-4"]})";
  EXPECT_THAT(CheckOutput(Command::kGetRequestStatus, 0, text).violations,
              ElementsAre(At("requests[0].status", "got \"done\""),
                          At("requests[1].message", "is required"),
                          At("requests[1].machines", "must be an array"),
                          At("requests[2].requestId", "is required"),
                          At("requests[3]", "must be an object")));
}

TEST(ContractCheckerTest, RejectsBadMachineFields) {
  nlohmann::json m = Machine("", "ok", "booting");
  m["name"] = "";
  m["privateIpAddress"] = "";
  m["publicIpAddress"] = 7;
  m["launchtime"] = 1734619942000;  // milliseconds
  m.erase("message");
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0, Dump(Status("req-1", "running", {m}))).violations,
      ElementsAre(At("requests[0].machines[0].machineId", "must not be empty"),
                  At("requests[0].machines[0].name", "must not be empty"),
                  At("requests[0].machines[0].result", "got \"ok\""),
                  At("requests[0].machines[0].status", "must be an EC2 state"),
                  At("requests[0].machines[0].privateIpAddress", "empty string"),
                  At("requests[0].machines[0].publicIpAddress", "string or null"),
                  At("requests[0].machines[0].launchtime", "milliseconds")));
}

// IBM's optional machine fields: accepted when well-formed, never required.
TEST(ContractCheckerTest, AcceptsIbmsOptionalMachineFieldsAndChecksTheirTypes) {
  nlohmann::json m = Machine("i-1", "succeed", "running");
  m["priceType"] = "spot";
  m["instanceType"] = "c5.large";
  m["instanceTags"] = "team=hpc;env=prod";
  m["cloudHostId"] = nullptr;
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0, Dump(Status("req-1", "complete", {m}))).violations,
      IsEmpty());
  nlohmann::json failed = Machine("host-x", "fail", "");
  failed.erase("status");  // optional: a name that matched no instance has no state
  EXPECT_THAT(CheckOutput(Command::kGetRequestStatus, 0,
                          Dump(Status("ret-1", "complete_with_error", {failed}, "1 failed")))
                  .violations,
              IsEmpty());
  m["priceType"] = "reserved";
  m["instanceType"] = "";
  m["instanceTags"] = 3;
  m["cloudHostId"] = 7;
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0, Dump(Status("req-1", "complete", {m}))).violations,
      ElementsAre(At("requests[0].machines[0].priceType", "got \"reserved\""),
                  At("requests[0].machines[0].instanceType", "must not be empty"),
                  At("requests[0].machines[0].instanceTags", "must be a string"),
                  At("requests[0].machines[0].cloudHostId", "string or null")));
}

TEST(ContractCheckerTest, RejectsALaunchtimeThatIsNotAnInteger) {
  nlohmann::json m = Machine("i-1", "succeed", "running");
  m["launchtime"] = "2024-12-19T14:52:22Z";
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0, Dump(Status("req-1", "running", {m}))).violations,
      ElementsAre(At("requests[0].machines[0].launchtime", "must be an integer, got a string")));
  m.erase("launchtime");
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0, Dump(Status("req-1", "running", {m}))).violations,
      ElementsAre(At("requests[0].machines[0].launchtime", "is required")));
}

TEST(ContractCheckerTest, AFailedMachineMustSayWhy) {
  nlohmann::json m = Machine("i-1", "fail", "terminated");
  m["message"] = "";
  EXPECT_THAT(CheckOutput(Command::kGetRequestStatus, 0,
                          Dump(Status("req-1", "complete_with_error", {m}, "1 failed")))
                  .violations,
              ElementsAre(At("requests[0].machines[0].message", "must say why")));
  m.erase("message");
  EXPECT_THAT(CheckOutput(Command::kGetRequestStatus, 0,
                          Dump(Status("req-1", "complete_with_error", {m}, "1 failed")))
                  .violations,
              ElementsAre(At("requests[0].machines[0].message", "is required")));
}

TEST(ContractCheckerTest, AcquireMachinesFollowTheirState) {
  const CheckContext acquire = Asked("req-1", RequestKind::kAcquire);
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0,
                  Dump(Status("req-1", "running", {Machine("i-1", "executing", "running")})),
                  acquire)
          .violations,
      ElementsAre(At("requests[0].machines[0]", "a running instance must be succeed")));
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0,
                  Dump(Status("req-1", "running", {Machine("i-1", "succeed", "pending")})), acquire)
          .violations,
      ElementsAre(At("requests[0].machines[0]", "a pending instance cannot be succeed")));
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0,
                  Dump(Status("req-1", "running", {Machine("i-1", "succeed", "terminated")})),
                  acquire)
          .violations,
      ElementsAre(At("requests[0].machines[0]", "an instance that died must be fail")));
  // Without context, the kind-specific rules do not apply.
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0,
                  Dump(Status("req-1", "running", {Machine("i-1", "succeed", "terminated")})))
          .violations,
      IsEmpty());
}

TEST(ContractCheckerTest, ReturnMachinesFollowTheirState) {
  const CheckContext ret = Asked("ret-1", RequestKind::kReturn);
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0,
                  Dump(Status("ret-1", "running", {Machine("i-1", "executing", "terminated")})),
                  ret)
          .violations,
      ElementsAre(At("requests[0].machines[0]", "a terminated instance must be succeed")));
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0,
                  Dump(Status("ret-1", "running", {Machine("i-1", "succeed", "shutting-down")})),
                  ret)
          .violations,
      ElementsAre(At("requests[0].machines[0]", "still shutting down must be executing"),
                  At("requests[0].machines[0]", "only a terminated instance is returned")));
}

TEST(ContractCheckerTest, AFinishedRequestHasNothingExecutingAndCompleteHasNoFailure) {
  EXPECT_THAT(
      CheckOutput(Command::kGetRequestStatus, 0,
                  Dump(Status("req-1", "complete", {Machine("i-1", "executing", "pending")})))
          .violations,
      ElementsAre(At("requests[0].status", "still executing")));
  EXPECT_THAT(CheckOutput(Command::kGetRequestStatus, 0,
                          Dump(Status("req-1", "complete",
                                      {Machine("i-1", "succeed", "running"),
                                       Machine("i-2", "fail", "terminated")})))
                  .violations,
              ElementsAre(At("requests[0].status", "must be complete_with_error")));
  EXPECT_THAT(
      CheckOutput(
          Command::kGetRequestStatus, 0,
          Dump(Status("req-1", "complete_with_error",
                      {Machine("i-1", "succeed", "running"), Machine("i-2", "fail", "terminated")},
                      "1 of 2 failed")))
          .violations,
      IsEmpty());
}

TEST(ContractCheckerTest, EveryAskedIdIsAnsweredOnce) {
  CheckContext context;
  context.asked_requests = {{"req-1", RequestKind::kAcquire}, {"req-2", RequestKind::kAcquire}};
  const std::string text = R"({"requests": [
      {"requestId": "req-1", "status": "running", "message": "", "machines": []},
      {"requestId": "req-1", "status": "running", "message": "", "machines": []},
      {"requestId": "req-3", "status": "running", "message": "", "machines": []}]})";
  EXPECT_THAT(CheckOutput(Command::kGetRequestStatus, 0, text, context).violations,
              ElementsAre(At("requests[1].requestId", "answered twice"),
                          At("requests[2].requestId", "was not asked about"),
                          At("requests", "no entry for \"req-2\"")));
}

TEST(ContractCheckerTest, AnUnknownRequestIdIsCompleteWithErrorAndAMessage) {
  const CheckContext unknown = Asked("req-nope", RequestKind::kNeverIssued);
  EXPECT_THAT(CheckOutput(Command::kGetRequestStatus, 0,
                          Dump(Status("req-nope", "complete_with_error", {}, "unknown request id")),
                          unknown)
                  .violations,
              IsEmpty());
  EXPECT_THAT(CheckOutput(Command::kGetRequestStatus, 0,
                          Dump(Status("req-nope", "running", {}, "")), unknown)
                  .violations,
              ElementsAre(At("requests[0].status", "must be \"complete_with_error\""),
                          At("requests[0].message", "must say why")));
}

// --- getReturnRequests ---

TEST(ContractCheckerTest, AcceptsGoodReturnNotices) {
  CheckContext held;
  held.held_machines = {{"ip-10-0-1-23.ec2.internal", "i-1"}};
  EXPECT_THAT(CheckOutput(Command::kGetReturnRequests, 0,
                          R"({"requests": [{"machine": "ip-10-0-1-23.ec2.internal",
                                            "gracePeriod": 120}], "message": ""})",
                          held)
                  .violations,
              IsEmpty());
  EXPECT_THAT(
      CheckOutput(Command::kGetReturnRequests, 0, R"({"requests": [], "message": ""})").violations,
      IsEmpty());
}

TEST(ContractCheckerTest, RejectsBadReturnNotices) {
  CheckContext held;
  held.held_machines = {{"host-a", "i-1"}};
  EXPECT_THAT(CheckOutput(Command::kGetReturnRequests, 0,
                          R"({"requests": [{"machine": "host-b", "gracePeriod": -1},
                                           {"machine": "", "gracePeriod": 1.5},
                                           {"gracePeriod": 0}]})",
                          held)
                  .violations,
              ElementsAre(At("requests[0].machine", "not one of the machines"),
                          At("requests[0].gracePeriod", ">= 0"),
                          At("requests[1].machine", "must not be empty"),
                          At("requests[1].gracePeriod", "must be an integer, got a fractional"),
                          At("requests[2].machine", "is required")));
  EXPECT_THAT(CheckOutput(Command::kGetReturnRequests, 0, R"({"message": ""})").violations,
              ElementsAre(At("requests", "is required")));
}

TEST(ViolationTest, PrintsCommandPathAndProblem) {
  const Violation v{"getRequestStatus", "requests[0].status", "must be ..."};
  EXPECT_EQ(v.ToString(), "getRequestStatus: requests[0].status: must be ...");
  EXPECT_EQ(v.ToJson()["path"], "requests[0].status");
}

}  // namespace
}  // namespace ohfp::hf_simulator
