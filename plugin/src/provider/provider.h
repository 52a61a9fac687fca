// provider/provider.h
//
// Provider: what the HostFactory commands need from a cloud, in their own terms. The commands
// decide (which requests exist, what state they are in, what to save before calling out); the
// provider acts on the cloud. AwsProvider (aws_provider.h) implements it with one handler per
// providerApi (RunInstances, EC2Fleet, SpotFleet, ASG); tests use fakes.
//
// Every resource a provider creates is tagged with the request id, the template id and the provider
// instance's name (kTagRequestId, kTagTemplateId, kTagProvider), so a crash between "AWS said yes"
// and "we saved it" is reconciled by looking the tags up, never by launching again.
//
// Thread-safety: implementations are used by one command (one thread) at a time.
//
// Example:
//   Result<LaunchOutcome> launched = provider.Launch(spec);  // spec.client_token saved first
//   Result<Observation> seen = provider.Observe(request);     // every instance tagged with it
//   Status gone = provider.Release(request, {"i-0abc"});      // exactly those; none replaced
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/ec2/ec2_types.h"
#include "hostfactory/templates.h"
#include "ohfp/resilience/result.h"
#include "store/request_store.h"

namespace ohfp::provider {

inline constexpr std::string_view kTagRequestId = "ohfp:request-id";
inline constexpr std::string_view kTagTemplateId = "ohfp:template-id";
inline constexpr std::string_view kTagProvider = "ohfp:provider";

struct LaunchSpec {
  const hostfactory::Template* tmpl = nullptr;
  std::string request_id{};
  int count = 0;
  int attempt = 1;                    // the attempt's number (1 for the first)
  std::string client_token{};         // saved before the call; the same on every retry
  std::vector<aws::ec2::Tag> tags{};  // the ohfp tags, the configuration's and the template's
  std::string user_data{};            // the template's userDataScript, read
};

struct LaunchOutcome {
  std::vector<aws::ec2::Instance>
      instances{};                    // the instances known now (all of them for RunInstances)
  std::string resource_id{};          // the fleet, Spot Fleet request or group created
  std::string launch_template_id{};   // the launch template created
  std::vector<std::string> errors{};  // what AWS said about capacity it could not give
};

struct Observation {
  std::vector<aws::ec2::Instance>
      instances{};                    // every instance that belongs to the request, in any state
  bool fulfilling = false;            // more instances may still come
  std::vector<std::string> errors{};  // fulfilment errors AWS reported
  // Capacity units running when the fleet or group weighs instance types (WeightedCapacity); absent
  // when every instance counts as one machine.
  std::optional<double> running_capacity{};
  std::string resource_id{};         // the fleet, Spot Fleet request or group found for the request
  std::string launch_template_id{};  // the launch template found for the request
};

// A Spot instance's interruption notice.
struct SpotNotice {
  std::string spot_request_id{};
  std::string status_code{};  // e.g. "marked-for-termination"
  int grace_seconds = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;

  // Creates the instances (or the fleet/group that will) for one attempt of an acquire request.
  [[nodiscard]] virtual resilience::Result<LaunchOutcome> Launch(const LaunchSpec& spec) = 0;
  // What the cloud holds for an acquire request.
  [[nodiscard]] virtual resilience::Result<Observation> Observe(
      const store::RequestRecord& request) = 0;
  // Stops exactly `instance_ids` of `request` for good: lowers a fleet's or group's target first so
  // nothing replaces them or picks other victims, then terminates them. Idempotent.
  [[nodiscard]] virtual resilience::Status Release(
      const store::RequestRecord& request, const std::vector<std::string>& instance_ids) = 0;
  // Stops asking for more than `keep` instances for the request (a fleet or group short of its
  // target after the fulfilment timeout keeps what it has): lowers the target without terminating
  // anything. Idempotent; nothing to do for RunInstances.
  [[nodiscard]] virtual resilience::Status Shrink(const store::RequestRecord& request,
                                                  int keep) = 0;
  // Deletes what the request created (fleet, group, launch template) once it holds no machine.
  // Idempotent.
  [[nodiscard]] virtual resilience::Status Cleanup(const store::RequestRecord& request) = 0;

  // Instances by id; ids the cloud does not know are simply absent.
  [[nodiscard]] virtual resilience::Result<std::vector<aws::ec2::Instance>> DescribeInstances(
      const std::vector<std::string>& instance_ids) = 0;
  [[nodiscard]] virtual resilience::Status TerminateInstances(
      const std::vector<std::string>& instance_ids) = 0;
  // Live (not terminated) instances tagged with this provider instance's name.
  [[nodiscard]] virtual resilience::Result<std::vector<aws::ec2::Instance>>
  DescribeOwnedInstances() = 0;
  // Interruption notices of these Spot requests (requests without one are absent).
  [[nodiscard]] virtual resilience::Result<std::vector<SpotNotice>> SpotNotices(
      const std::vector<std::string>& spot_request_ids) = 0;
  // vCPUs and memory of instance types.
  [[nodiscard]] virtual resilience::Result<std::vector<store::InstanceTypeRecord>>
  DescribeInstanceTypes(const std::vector<std::string>& types) = 0;
};

}  // namespace ohfp::provider
