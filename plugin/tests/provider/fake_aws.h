// plugin/tests/provider/fake_aws.h
//
// FakeAws: the one in-memory AWS the handler tests (EC2 Fleet, Spot Fleet, Auto Scaling) run
// against. It is the HttpTransport of a real AwsClient (FakeAwsClient wires one, with a real
// resilience pipeline on a ManualClock), so every request goes through the client's signing,
// Query encoding, pipeline and response parsing; FakeAws decodes the Query body, records it
// (Calls, Actions, Position) and answers from a small state that tests set up and read directly:
// EC2 instances, launch templates, EC2 Fleets, Spot Fleet requests and Auto Scaling groups.
//
// What it models (anything else is a test failure, "unmodelled action"):
//   EC2          DescribeInstances (InstanceId.N; Filter.N: instance-id, tag:<key>, tag-key,
//                instance-state-name), TerminateInstances, CreateTags;
//                Create/Describe/DeleteLaunchTemplate(s);
//                CreateFleet, DescribeFleets, DescribeFleetInstances, ModifyFleet, DeleteFleets;
//                RequestSpotFleet, DescribeSpotFleetRequests, DescribeSpotFleetInstances,
//                DescribeSpotFleetRequestHistory, ModifySpotFleetRequest, CancelSpotFleetRequests.
//   Auto Scaling Create/Describe/Update/DeleteAutoScalingGroup(s), DetachInstances,
//                TerminateInstanceInAutoScalingGroup, DescribeScalingActivities.
// Errors come in each service's own format (EC2's <Response><Errors>, Auto Scaling's
// <ErrorResponse>), told apart by the action.
//
// Where it deliberately answers as AWS does and moto (5.2.1) does not; these paths are why the
// handler tests exist beside tests/integration/provider_*_test.cc:
//   - EC2 Fleet: a fleet reports activityStatus and an errorSet item per pool it could not fill;
//     ModifyFleet is refused (InvalidParameterValue) for request and instant fleets;
//     DescribeFleetInstances is refused for instant fleets (their members are in DescribeFleets'
//     fleetInstanceSet); DeleteFleets of an instant fleet needs TerminateInstances true; a
//     request/maintain fleet tags its instances only with its launch template's tags (none from a
//     user's own template); fleets launch asynchronously (`launch_at_once` instances at once, and
//     no more unless a test adds them).
//   - Spot Fleet: a fleet reports its type, activityStatus and validUntil and keeps a history;
//     ModifySpotFleetRequest is refused for request fleets; describing, modifying or reading the
//     history of an unknown id is InvalidSpotFleetRequestId.NotFound; its instances carry the
//     launch template's tags and their spotInstanceRequestId.
//   - Auto Scaling: members may be Pending or Terminating, a group may be "Delete in progress",
//     members carry their WeightedCapacity, failed scaling activities are listed, DetachInstances
//     refuses (ValidationError) a call naming an instance that is not in the group, and a name in
//     use is AlreadyExists.
//   - TerminateInstances fails as a whole (InvalidInstanceID.NotFound) when one id is unknown;
//     a terminated instance stays terminated; a fleet's fulfilled capacity drops by one for each
//     live member terminated.
// Where it is simpler than AWS: nothing happens by itself (no launches after the first, no state
// transitions in time: tests move states by hand); DescribeLaunchTemplates of an unknown name
// lists nothing instead of failing; CancelSpotFleetRequests skips unknown ids; CreateTags of an
// unknown instance is ignored; Spot Fleet, EC2 Fleet and launch template ids are sequential;
// ClientToken is not checked; pagination is never used.
//
// Tests change answers in two ways. Refuse(action, error) answers the next `times` calls (or every
// call) of an action with an error, then the model again. On(action, script) answers with a
// script until Off(action); a script may hand the call on to the model (Model()), e.g. to change
// the state just before AWS answers.
//
// Thread-safety: Send may be called from any thread (the pipeline's timeouts run attempts on
// their own threads); tests read and set the public state between calls, from the test thread.
//
// Example:
//   FakeAwsClient world(RetryingConfig());
//   FakeAws& aws = world.aws();
//   FakeFleet& fleet = aws.AddFleet(tags, 2, "maintain");      // 2 running members
//   aws.Refuse("TerminateInstances", {.code = "Unavailable", .status = 503, .times = 1});
//   Ec2FleetHandler handler(world.client(), world.clock());
//   ... handler.Release(request, {fleet.members[0]}) ...
//   EXPECT_EQ(aws.Calls("ModifyFleet").at(0).at("FleetId"), fleet.id);
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "aws/ec2/ec2_types.h"
#include "aws/http_transport.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/observer.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::provider::testing {

using aws::ec2::Tag;
// One request's Query parameters, decoded: "Action", "FleetId.1", ...
using Params = std::map<std::string, std::string>;

// The values of "<prefix>1", "<prefix>2", ... in order: Listed(p, "InstanceId.").
std::vector<std::string> Listed(const Params& p, const std::string& prefix);
bool HasTag(const std::vector<Tag>& tags, std::string_view key, std::string_view value);

// ---- EC2 ----

struct FakeInstance {
  std::string type = "c5.large";
  std::string state = "running";
  std::string lifecycle{};        // "spot", or empty (on-demand)
  std::string spot_request_id{};  // a Spot instance's request ("sir-...")
  std::vector<Tag> tags{};
};

struct FakeLaunchTemplate {
  std::string id{};
  std::vector<Tag> tags{};
};

// A pool an EC2 Fleet could not fill (reported for c5.large in subnet-0000000a, on-demand).
struct FakePoolError {
  std::string code;
  std::string message;
};

struct FakeFleet {
  std::string id{};
  std::string state = "active";
  std::string type = "maintain";
  int target = 0;
  std::optional<int> on_demand_target{};  // with it, the rest is the spot target
  double fulfilled = 0;
  std::string activity{};  // activityStatus; not reported when empty
  std::vector<Tag> tags{};
  std::vector<std::string> members{};
  std::vector<FakePoolError> errors{};
};

struct FakeHistoryEvent {
  std::string type;  // "error", "information", "instanceChange", ...
  std::string sub_type;
  std::string description;
};

struct FakeSpotFleet {
  std::string id{};
  std::string state = "active";
  std::string type = "maintain";  // not reported when empty
  int target = 0;
  int on_demand_target = 0;
  double fulfilled = 0;
  std::string valid_until{};  // not reported when empty
  std::string activity{};     // activityStatus; not reported when empty
  std::vector<Tag> tags{};
  std::vector<std::string> members{};
  std::vector<FakeHistoryEvent> history{};
};

// ---- Auto Scaling ----

struct FakeGroupMember {
  std::string id;
  std::string lifecycle = "InService";
  std::string type = "c5.large";
  std::optional<int> weight{};  // WeightedCapacity, when the group reports it
};

struct FakeActivity {
  std::string status;                          // "Successful", "Failed", "Cancelled", ...
  std::string message;                         // StatusMessage; not reported when empty
  std::string start = "2026-01-01T00:00:10Z";  // the ManualClock starts at 2026-01-01T00:00:00Z
};

// A group of 3 unless told otherwise.
struct FakeGroup {
  std::string name{};
  int min = 0;
  int max = 3;
  int desired = 3;
  std::string status{};  // e.g. "Delete in progress"; not reported when empty
  std::vector<FakeGroupMember> members{};
  std::vector<std::pair<std::string, int>> weights{};  // the mixed policy's overrides, if any
  std::vector<Tag> tags{};                             // propagated at launch
  std::string launch_template_id{};
  std::vector<FakeActivity> activities{};  // newest first, as AWS lists them
};

// An error answer: `code` with `message` (default "<code> (fake)"), HTTP `status`.
struct Refusal {
  std::string code;
  std::string message{};
  int status = 400;
  int times = -1;  // how many calls; -1: every call until StopRefusing
};

class FakeAws final : public aws::HttpTransport {
 public:
  using Script = std::function<aws::HttpResponse(const Params&)>;

  // The endpoints FakeAwsClient gives the AwsClient (nothing listens there).
  static constexpr std::string_view kEc2Url = "http://127.0.0.1:9999";
  static constexpr std::string_view kAutoScalingUrl = "http://127.0.0.1:9998";
  static constexpr std::string_view kMonitoringUrl = "http://127.0.0.1:9997";

  // The state, by id (name for launch templates and groups).
  std::map<std::string, FakeInstance> instances;
  std::map<std::string, FakeLaunchTemplate> launch_templates;
  std::vector<FakeFleet> fleets;
  std::vector<FakeSpotFleet> spot_fleets;
  std::map<std::string, FakeGroup> groups;
  // CreateFleet and RequestSpotFleet launch this many instances at once; an instant EC2 Fleet
  // also reports an errorSet item per `pool_errors` entry.
  int launch_at_once = 0;
  std::vector<FakePoolError> pool_errors{};

  resilience::Result<aws::HttpResponse> Send(const aws::HttpRequest& request, resilience::Deadline,
                                             std::stop_token) override;

  // What the model answers to `action` (a script's way to hand a call on).
  aws::HttpResponse Model(const std::string& action, const Params& p);
  void Refuse(std::string action, Refusal refusal);
  void StopRefusing(const std::string& action);
  void On(std::string action, Script script);
  void Off(const std::string& action);

  // Every call (each attempt) for `action`, oldest first; every action, in order.
  std::vector<Params> Calls(std::string_view action) const;
  std::vector<std::string> Actions() const;
  // Position of the first call for `action` among Actions() (their number when there is none).
  long Position(std::string_view action) const;

  FakeFleet* Fleet(const std::string& id);
  FakeSpotFleet* SpotFleet(const std::string& id);
  FakeGroup* Group(const std::string& name);
  // A fleet ("fleet-7000", "fleet-7001", ...) of `n` running members tagged `tags`, fulfilled.
  FakeFleet& AddFleet(std::vector<Tag> tags, int n, std::string type = "maintain");
  // A Spot Fleet request ("sfr-7000", ...) of `n` running Spot members tagged `tags`, fulfilled.
  FakeSpotFleet& AddSpotFleet(std::vector<Tag> tags, int n, std::string type = "maintain");
  // A running member of the fleet with these tags.
  void AddMember(FakeFleet& fleet, const std::string& id, std::vector<Tag> tags,
                 std::string type = "c5.large", std::string lifecycle = "");
  // A running Spot member ("sir-<id>") of the Spot Fleet with these tags.
  void AddSpotMember(FakeSpotFleet& fleet, const std::string& id, std::vector<Tag> tags,
                     std::string type = "c5.large");

 private:
  struct Call {
    std::string action;
    Params params;
  };
  // An error answer in EC2's format or Auto Scaling's.
  static aws::HttpResponse Error(bool autoscaling, int status, const std::string& code,
                                 const std::string& message = "");
  aws::HttpResponse Ec2(const std::string& action, const Params& p);
  aws::HttpResponse AutoScaling(const std::string& action, const Params& p);
  std::string NewLaunchTemplateId() const;
  // Terminates one instance (already going or gone: nothing), lowering its fleet's fulfilment.
  void Terminate(const std::string& id);

  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::map<std::string, Refusal, std::less<>> refusals_;
  std::map<std::string, Script, std::less<>> scripts_;
};

// A real AwsClient over a FakeAws: credentials, the three services' endpoints, and a resilience
// pipeline with `config` on a ManualClock (and `observer`, when given).
class FakeAwsClient {
 public:
  explicit FakeAwsClient(const resilience::ResilienceConfig& config,
                         resilience::ResilienceObserver* observer = nullptr);

  FakeAws& aws() { return aws_; }
  aws::AwsClient& client() { return client_; }
  resilience::ManualClock& clock() { return clock_; }

 private:
  resilience::ManualClock clock_;
  resilience::SeededRandom random_{3};
  resilience::InMemoryStateStore store_;
  FakeAws aws_;
  aws::StaticCredentialsProvider credentials_;
  resilience::ResiliencePipeline pipeline_;
  aws::AwsClient client_;
};

// The pipeline the EC2 and Spot Fleet tests use: AWS's retries, without jitter, and breakers that
// never open (a refusal repeated `times` times is retried until it is not).
resilience::ResilienceConfig RetryingConfig();
// One attempt per call and no breaker: every answer, scripted or refused, is the final one.
resilience::ResilienceConfig SingleAttemptConfig();

}  // namespace ohfp::provider::testing
