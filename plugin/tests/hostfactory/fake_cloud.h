// A Provider whose cloud is a map in memory, for the service's tests: launches are scripted,
// instances change state when the test says so, listings can be made to lie (empty, as EC2's
// eventually consistent describe calls can be), and every call is recorded.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/instance.h"
#include "model/tag.h"
#include "provider/provider.h"

namespace ohfp::hostfactory::testing {

class FakeCloud final : public provider::Provider {
 public:
  using LaunchScript =
      std::function<resilience::Result<provider::LaunchOutcome>(const provider::LaunchSpec&)>;

  // The next Launch() answers with `script` (default: launch `count` pending instances).
  void NextLaunch(LaunchScript script) { scripts_.push_back(std::move(script)); }
  // Launches spec.count instances now (what a successful RunInstances does).
  provider::LaunchOutcome LaunchNow(const provider::LaunchSpec& spec,
                                    std::string_view state = "pending") {
    provider::LaunchOutcome out;
    for (int i = 0; i < spec.count; ++i) {
      model::Instance inst;
      inst.id = "i-" + std::to_string(next_id_++);
      inst.state = model::InstanceStateFromName(state);
      inst.private_dns_name = "ip-10-0-0-" + std::to_string(next_id_) + ".ec2.internal";
      inst.private_ip = "10.0.0." + std::to_string(next_id_);
      inst.launch_time = launch_time_;
      SetTags(inst, spec.tags);
      instances_[inst.id] = inst;
      out.instances.push_back(inst);
    }
    return out;
  }
  void SetState(const std::string& id, std::string_view state) {
    instances_.at(id).state = model::InstanceStateFromName(state);
  }
  void SetAll(std::string_view state) {
    for (auto& [id, i] : instances_) {
      if (i.state != model::InstanceState::kTerminated)
        i.state = model::InstanceStateFromName(state);
    }
  }
  void SetLaunchTime(resilience::SysTime t) {
    launch_time_ = std::chrono::time_point_cast<std::chrono::seconds>(t);
  }
  // An instance that exists in the cloud without any launch of ours (a crash left it, or another
  // tool or installation made it).
  void Plant(const std::string& id, std::vector<model::Tag> tags,
             std::string_view state = "running",
             std::optional<resilience::SysTime> launched = std::nullopt) {
    model::Instance inst;
    inst.id = id;
    inst.state = model::InstanceStateFromName(state);
    if (launched) inst.launch_time = std::chrono::time_point_cast<std::chrono::seconds>(*launched);
    SetTags(inst, tags);
    instances_[id] = inst;
  }
  // The instance's private DNS name and IP address (what a look-up by host name matches).
  void SetAddress(const std::string& id, std::string dns_name, std::string ip) {
    instances_.at(id).private_dns_name = std::move(dns_name);
    instances_.at(id).private_ip = std::move(ip);
  }
  // The instance disappears from the cloud: a describe by its id says it does not exist.
  void Purge(const std::string& id) { instances_.erase(id); }
  void MarkSpot(const std::string& id, const std::string& spot_request) {
    instances_.at(id).lifecycle = model::Lifecycle::kSpot;
    instances_.at(id).spot_request_id = spot_request;
  }
  void SetSpotNotice(const std::string& spot_request, int grace) {
    spot_notices_[spot_request] = grace;
  }
  void FailObserve(std::optional<resilience::Error> e) { observe_error_ = std::move(e); }
  // Listings (Observe, DescribeInstances, DescribeOwnedInstances, the listing part of
  // LookUpInstances) show nothing while on, as an eventually consistent or bogus answer may;
  // describes by id still answer.
  void ListNothing(bool on) { list_nothing_ = on; }
  // Describes by id fail with `e` while set.
  void FailLookups(std::optional<resilience::Error> e) { lookup_error_ = std::move(e); }

  std::vector<provider::LaunchSpec> launches;  // every Launch() call
  std::vector<std::string> released;           // every instance id Release()d or terminated
  std::vector<std::string> cleaned;            // requests Cleanup()ed
  std::vector<std::string> looked_up;          // every id described by id
  const std::map<std::string, model::Instance>& instances() const { return instances_; }
  int Live() const {
    int n = 0;
    for (const auto& [id, i] : instances_) n += model::IsLive(i.state) ? 1 : 0;
    return n;
  }

  resilience::Result<provider::LaunchOutcome> Launch(const provider::LaunchSpec& spec) override {
    launches.push_back(spec);
    if (scripts_.empty()) return LaunchNow(spec);
    LaunchScript s = std::move(scripts_.front());
    scripts_.pop_front();
    return s(spec);
  }
  // Observations report `fulfilling` (more instances may come) until the test says otherwise.
  void SetFulfilling(bool fulfilling) { fulfilling_ = fulfilling; }
  // A fleet or group the cloud holds for `request_id` (found by its tag).
  void SetResource(const std::string& request_id, std::string resource_id,
                   std::string launch_template_id = {}) {
    resources_[request_id] = {std::move(resource_id), std::move(launch_template_id)};
  }
  void SetRunningCapacity(std::optional<double> units) { running_capacity_ = units; }
  resilience::Result<model::Observation> Observe(const model::Request& request) override {
    if (observe_error_) return *observe_error_;
    model::Observation o;
    o.fulfilling = fulfilling_;
    o.running_capacity = running_capacity_;
    if (auto it = resources_.find(request.id); it != resources_.end()) o.found = it->second;
    if (list_nothing_) return o;
    for (const auto& [id, i] : instances_) {
      if (i.request_id == request.id) o.instances.push_back(i);
    }
    return o;
  }
  resilience::Status Release(const model::Request&, const std::vector<std::string>& ids) override {
    return TerminateInstances(ids);
  }
  resilience::Status Shrink(const model::Request& request, int keep) override {
    shrunk.push_back({request.id, keep});
    return resilience::OkStatus();
  }
  std::vector<std::pair<std::string, int>> shrunk;  // every Shrink(): request, instances kept
  // The next `n` Cleanup() calls fail (and are not recorded in `cleaned`).
  void FailCleanups(int n) { cleanup_failures_ = n; }
  resilience::Status Cleanup(const model::Request& request) override {
    if (cleanup_failures_ > 0) {
      --cleanup_failures_;
      return resilience::Error(resilience::ErrorKind::kThrottled, "RequestLimitExceeded",
                               "Request limit exceeded.");
    }
    cleaned.push_back(request.id);
    return resilience::OkStatus();
  }
  resilience::Result<std::vector<model::Instance>> DescribeInstances(
      const std::vector<std::string>& ids) override {
    std::vector<model::Instance> out;
    if (list_nothing_) return out;
    for (const std::string& id : ids) {
      if (auto it = instances_.find(id); it != instances_.end()) out.push_back(it->second);
    }
    return out;
  }
  resilience::Result<provider::InstanceLookup> LookUpInstances(const std::vector<std::string>& ids,
                                                               std::size_t max_checks) override {
    provider::InstanceLookup out;
    Result<std::vector<model::Instance>> listed = DescribeInstances(ids);
    out.found = *listed;
    std::size_t checked = 0;
    for (const std::string& id : ids) {
      if (std::any_of(out.found.begin(), out.found.end(),
                      [&](const model::Instance& i) { return i.id == id; }) ||
          checked == max_checks) {
        continue;
      }
      ++checked;
      looked_up.push_back(id);
      if (lookup_error_) return *lookup_error_;
      if (auto it = instances_.find(id); it != instances_.end()) {
        out.found.push_back(it->second);
      } else {
        out.absent.push_back(id);
      }
    }
    return out;
  }
  resilience::Status TerminateInstances(const std::vector<std::string>& ids) override {
    for (const std::string& id : ids) {
      released.push_back(id);
      if (auto it = instances_.find(id); it != instances_.end()) {
        it->second.state = model::InstanceState::kShuttingDown;
      }
    }
    return resilience::OkStatus();
  }
  resilience::Result<std::vector<model::Instance>> DescribeOwnedInstances(
      std::string_view installation_id) override {
    std::vector<model::Instance> out;
    if (list_nothing_) return out;
    for (const auto& [id, i] : instances_) {
      if (i.installation_id == installation_id &&
          (model::IsLive(i.state) || i.state == model::InstanceState::kStopped ||
           i.state == model::InstanceState::kStopping)) {
        out.push_back(i);
      }
    }
    return out;
  }
  std::vector<std::string> host_name_lookups;  // every name InstancesByHostName() was asked
  resilience::Result<std::vector<model::Instance>> InstancesByHostName(
      const std::vector<std::string>& names) override {
    std::vector<model::Instance> out;
    host_name_lookups.insert(host_name_lookups.end(), names.begin(), names.end());
    if (lookup_error_) return *lookup_error_;
    if (list_nothing_) return out;
    for (const auto& [id, i] : instances_) {
      for (const std::string& n : names) {
        if ((!i.private_dns_name.empty() && n == i.private_dns_name) ||
            (!i.private_ip.empty() && n == i.private_ip)) {
          out.push_back(i);
          break;
        }
      }
    }
    return out;
  }
  resilience::Result<std::vector<model::Instance>> InstancesOfRequest(
      std::string_view request_id) override {
    std::vector<model::Instance> out;
    if (list_nothing_) return out;
    for (const auto& [id, i] : instances_) {
      if (i.request_id == request_id) out.push_back(i);
    }
    return out;
  }
  resilience::Result<std::vector<model::InterruptionNotice>> SpotNotices(
      const std::vector<std::string>& ids) override {
    std::vector<model::InterruptionNotice> out;
    for (const std::string& id : ids) {
      if (auto it = spot_notices_.find(id); it != spot_notices_.end()) {
        out.push_back({id, "marked-for-termination", it->second});
      }
    }
    return out;
  }
  resilience::Result<std::vector<model::InstanceType>> DescribeInstanceTypes(
      const std::vector<std::string>& types) override {
    ++instance_type_calls;
    if (instance_type_error) return *instance_type_error;
    std::vector<model::InstanceType> out;
    for (const std::string& t : types) {
      if (unknown_types.count(t) != 0) {  // as EC2: one unknown type fails the whole call
        return resilience::Error(resilience::ErrorKind::kValidation, "InvalidInstanceType",
                                 "The following supplied instance types do not exist: [" + t + "]");
      }
      out.push_back({t, 2, 1, 4096});
    }
    return out;
  }
  int instance_type_calls = 0;
  std::set<std::string> unknown_types{};
  std::optional<resilience::Error> instance_type_error{};
  // Images and their root devices; an image not listed does not exist.
  resilience::Result<std::vector<model::Image>> DescribeImages(
      const std::vector<std::string>& image_ids) override {
    ++image_calls;
    if (image_error) return *image_error;
    std::vector<model::Image> out;
    for (const std::string& id : image_ids) {
      if (auto it = images.find(id); it != images.end()) out.push_back({id, it->second});
    }
    if (out.size() != image_ids.size()) {
      return resilience::Error(resilience::ErrorKind::kValidation, "InvalidAMIID.NotFound",
                               "The image id does not exist");
    }
    return out;
  }
  std::map<std::string, std::string> images{{"ami-12345678", "/dev/xvda"}};
  // SSM parameters and their values; a name not listed does not exist.
  resilience::Result<std::string> GetParameter(std::string_view name) override {
    ++parameter_calls;
    if (parameter_error) return *parameter_error;
    if (auto it = parameters.find(std::string(name)); it != parameters.end()) return it->second;
    return resilience::Error(resilience::ErrorKind::kNotFound, "ParameterNotFound",
                             "parameter " + std::string(name) + " not found");
  }
  std::map<std::string, std::string> parameters{};
  std::optional<resilience::Error> parameter_error{};
  int parameter_calls = 0;
  std::optional<resilience::Error> image_error{};
  int image_calls = 0;

 private:
  template <class T>
  using Result = resilience::Result<T>;

  static void SetTags(model::Instance& inst, const std::vector<model::Tag>& tags) {
    inst.tags = tags;
    inst.request_id = model::TagValue(tags, model::kTagRequestId).value_or("");
    inst.installation_id = model::TagValue(tags, model::kTagInstallation).value_or("");
  }

  int cleanup_failures_ = 0;
  std::deque<LaunchScript> scripts_;
  std::map<std::string, model::Instance> instances_;
  std::map<std::string, int> spot_notices_;
  std::optional<resilience::Error> observe_error_;
  std::optional<resilience::Error> lookup_error_;
  bool fulfilling_ = false;
  bool list_nothing_ = false;
  std::map<std::string, model::CloudRef> resources_;
  std::optional<double> running_capacity_;
  int next_id_ = 1;
  std::optional<model::EpochSeconds> launch_time_;
};

}  // namespace ohfp::hostfactory::testing
