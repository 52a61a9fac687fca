// provider/provider.h
//
// Provider: what the HostFactory commands need from a cloud, in the model's terms only (model/):
// templates, requests, instances and observations. The commands decide (which requests exist,
// what state they are in, what to save before calling out); the provider acts on the cloud.
// AwsProvider (aws_provider.h) implements it with one handler per providerApi (RunInstances,
// EC2Fleet, SpotFleet, ASG); tests use fakes.
//
// Every resource a provider creates carries the tags of LaunchSpec::tags: the request id, the
// template id, the provider instance's name and the installation's identity (model/tag.h), so a
// crash between "AWS said yes" and "we saved it" is reconciled by looking the tags up, never by
// launching again, and so that an installation only ever acts on its own resources.
//
// A failed Launch says, through LaunchVerdictOf() (provider/launch_verdict.h), whether the cloud
// certainly created nothing (an error answer) or whether the outcome is unknown (no answer).
//
// Thread-safety: implementations are used by one command (one thread) at a time.
//
// Example:
//   Result<LaunchOutcome> launched = provider.Launch(spec);   // spec.client_token saved first
//   Result<model::Observation> seen = provider.Observe(request);
//   Status gone = provider.Release(request, {"i-0abc"});      // exactly those; none replaced
#pragma once

#include <string>
#include <vector>

#include "model/instance.h"
#include "model/observation.h"
#include "model/request.h"
#include "model/tag.h"
#include "model/template.h"
#include "ohfp/resilience/result.h"

namespace ohfp::provider {

struct LaunchSpec {
  const model::Template* tmpl = nullptr;
  std::string request_id{};
  int count = 0;
  int attempt = 1;                 // the attempt's number (1 for the first)
  std::string client_token{};      // saved before the call; the same on every retry
  std::vector<model::Tag> tags{};  // the ohfp tags, the configuration's and the template's
  std::string user_data{};         // the template's userData, or its userDataScript read
  // The image to launch (model::Request::image_id: the template's, or its SSM parameter's value
  // when the request was made); empty: the template's launch template's.
  std::string image_id{};
  // That image's root device (DescribeImages), where the template's root volume goes; required
  // when the template sets one (Template::SetsRootVolume), or the launch is refused.
  std::string root_device_name{};
};

struct LaunchOutcome {
  std::vector<model::Instance> instances{};  // the instances known now (all for RunInstances)
  model::CloudRef created{};                 // the fleet, group and launch template created
  std::vector<std::string> errors{};         // what the cloud said about capacity it lacked
};

// Instances looked up by id: those the cloud shows, and those it positively says do not exist.
// Ids in neither list are unknown for now (the lookup of them did not happen or did not answer).
struct InstanceLookup {
  std::vector<model::Instance> found{};
  std::vector<std::string> absent{};
};

class Provider {
 public:
  virtual ~Provider() = default;

  // Creates the instances (or the fleet/group that will) for one attempt of an acquire request.
  [[nodiscard]] virtual resilience::Result<LaunchOutcome> Launch(const LaunchSpec& spec) = 0;
  // What the cloud holds for an acquire request.
  [[nodiscard]] virtual resilience::Result<model::Observation> Observe(
      const model::Request& request) = 0;
  // Stops exactly `instance_ids` of `request` for good: lowers a fleet's or group's target first so
  // nothing replaces them or picks other victims, then terminates them. Idempotent.
  [[nodiscard]] virtual resilience::Status Release(
      const model::Request& request, const std::vector<std::string>& instance_ids) = 0;
  // Stops asking for more than `keep` instances for the request (a fleet or group short of its
  // target after the fulfilment timeout keeps what it has): lowers the target without terminating
  // anything. Idempotent; nothing to do for RunInstances.
  [[nodiscard]] virtual resilience::Status Shrink(const model::Request& request, int keep) = 0;
  // Deletes what the request created (fleet, group, launch template) once it holds no machine.
  // Idempotent.
  [[nodiscard]] virtual resilience::Status Cleanup(const model::Request& request) = 0;

  // Instances by id, from a listing: ids the cloud does not show are simply absent (no evidence).
  [[nodiscard]] virtual resilience::Result<std::vector<model::Instance>> DescribeInstances(
      const std::vector<std::string>& instance_ids) = 0;
  // Instances by id, with proof: ids the listing does not show are asked for one by one (at most
  // `max_checks` of them), and those the cloud answers "does not exist" for are `absent`.
  [[nodiscard]] virtual resilience::Result<InstanceLookup> LookUpInstances(
      const std::vector<std::string>& instance_ids, std::size_t max_checks) = 0;
  // Terminates exactly these instances (ids the cloud no longer knows are skipped).
  [[nodiscard]] virtual resilience::Status TerminateInstances(
      const std::vector<std::string>& instance_ids) = 0;
  // Instances not terminated nor shutting down that carry the tag of installation
  // `installation_id` (model::kTagInstallation).
  [[nodiscard]] virtual resilience::Result<std::vector<model::Instance>> DescribeOwnedInstances(
      std::string_view installation_id) = 0;
  // Instances (any state the cloud still lists) whose private DNS name or private IPv4 address is
  // one of `host_names`, whoever created them: how a machine HostFactory names only by its host
  // name is found. Names match exactly; a name nothing matches is simply absent.
  [[nodiscard]] virtual resilience::Result<std::vector<model::Instance>> InstancesByHostName(
      const std::vector<std::string>& host_names) = 0;
  // Every instance (any state) tagged with the request id, whoever created it. Used for requests
  // the store does not know.
  [[nodiscard]] virtual resilience::Result<std::vector<model::Instance>> InstancesOfRequest(
      std::string_view request_id) = 0;
  // Interruption notices of these Spot requests (requests without one are absent).
  [[nodiscard]] virtual resilience::Result<std::vector<model::InterruptionNotice>> SpotNotices(
      const std::vector<std::string>& spot_request_ids) = 0;
  // vCPUs and memory of instance types.
  [[nodiscard]] virtual resilience::Result<std::vector<model::InstanceType>> DescribeInstanceTypes(
      const std::vector<std::string>& types) = 0;
  // The value of an SSM parameter ("name", "name:version", "name:label"); kNotFound when there is
  // no such parameter.
  [[nodiscard]] virtual resilience::Result<std::string> GetParameter(std::string_view name) = 0;
  // The root devices of images. An image that does not exist fails the call (kValidation).
  [[nodiscard]] virtual resilience::Result<std::vector<model::Image>> DescribeImages(
      const std::vector<std::string>& image_ids) = 0;
};

}  // namespace ohfp::provider
