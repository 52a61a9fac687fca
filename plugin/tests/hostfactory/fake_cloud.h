// A Provider whose cloud is a map in memory, for the service's tests: launches are scripted,
// instances change state when the test says so, every call is recorded.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
                                    std::string state = "pending") {
    provider::LaunchOutcome out;
    for (int i = 0; i < spec.count; ++i) {
      aws::ec2::Instance inst;
      inst.instance_id = "i-" + std::to_string(next_id_++);
      inst.state = state;
      inst.private_dns_name = "ip-10-0-0-" + std::to_string(next_id_) + ".ec2.internal";
      inst.private_ip_address = "10.0.0." + std::to_string(next_id_);
      inst.launch_time = launch_time_;
      inst.tags = spec.tags;
      instances_[inst.instance_id] = inst;
      out.instances.push_back(inst);
    }
    return out;
  }
  void SetState(const std::string& id, const std::string& state) {
    instances_.at(id).state = state;
  }
  void SetAll(const std::string& state) {
    for (auto& [id, i] : instances_) {
      if (i.state != "terminated") i.state = state;
    }
  }
  void SetLaunchTime(resilience::SysTime t) { launch_time_ = t; }
  // An instance that exists in the cloud without any launch of ours (a crash left it, or another
  // tool made it).
  void Plant(const std::string& id, std::vector<aws::ec2::Tag> tags,
             std::string state = "running") {
    aws::ec2::Instance inst;
    inst.instance_id = id;
    inst.state = std::move(state);
    inst.tags = std::move(tags);
    instances_[id] = inst;
  }
  void MarkSpot(const std::string& id, const std::string& spot_request) {
    instances_.at(id).lifecycle = "spot";
    instances_.at(id).spot_instance_request_id = spot_request;
  }
  void SetSpotNotice(const std::string& spot_request, int grace) {
    spot_notices_[spot_request] = grace;
  }
  void FailObserve(std::optional<resilience::Error> e) { observe_error_ = std::move(e); }

  std::vector<provider::LaunchSpec> launches;  // every Launch() call
  std::vector<std::string> released;           // every instance id Release()d or terminated
  std::vector<std::string> cleaned;            // requests Cleanup()ed
  const std::map<std::string, aws::ec2::Instance>& instances() const { return instances_; }
  int Live() const {
    int n = 0;
    for (const auto& [id, i] : instances_)
      n += i.state != "terminated" && i.state != "shutting-down" ? 1 : 0;
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
  // A fleet or group the cloud holds for `request_id` (found by its tag), and the capacity units it
  // runs.
  void SetResource(const std::string& request_id, std::string resource_id,
                   std::string launch_template_id = {}) {
    resources_[request_id] = {std::move(resource_id), std::move(launch_template_id)};
  }
  void SetRunningCapacity(std::optional<double> units) { running_capacity_ = units; }
  resilience::Result<provider::Observation> Observe(const store::RequestRecord& request) override {
    if (observe_error_) return *observe_error_;
    provider::Observation o;
    o.fulfilling = fulfilling_;
    o.running_capacity = running_capacity_;
    if (auto it = resources_.find(request.id); it != resources_.end()) {
      o.resource_id = it->second.first;
      o.launch_template_id = it->second.second;
    }
    for (const auto& [id, i] : instances_) {
      if (i.TagValue(provider::kTagRequestId) == request.id) o.instances.push_back(i);
    }
    return o;
  }
  resilience::Status Release(const store::RequestRecord&,
                             const std::vector<std::string>& ids) override {
    return TerminateInstances(ids);
  }
  resilience::Status Shrink(const store::RequestRecord& request, int keep) override {
    shrunk.push_back({request.id, keep});
    return resilience::OkStatus();
  }
  std::vector<std::pair<std::string, int>> shrunk;  // every Shrink(): request, instances kept
  // The next `n` Cleanup() calls fail (and are not recorded in `cleaned`).
  void FailCleanups(int n) { cleanup_failures_ = n; }
  resilience::Status Cleanup(const store::RequestRecord& request) override {
    if (cleanup_failures_ > 0) {
      --cleanup_failures_;
      return resilience::Error(resilience::ErrorKind::kThrottled, "RequestLimitExceeded",
                               "Request limit exceeded.");
    }
    cleaned.push_back(request.id);
    return resilience::OkStatus();
  }
  resilience::Result<std::vector<aws::ec2::Instance>> DescribeInstances(
      const std::vector<std::string>& ids) override {
    std::vector<aws::ec2::Instance> out;
    for (const std::string& id : ids) {
      if (auto it = instances_.find(id); it != instances_.end()) out.push_back(it->second);
    }
    return out;
  }
  resilience::Status TerminateInstances(const std::vector<std::string>& ids) override {
    for (const std::string& id : ids) {
      released.push_back(id);
      if (auto it = instances_.find(id); it != instances_.end()) it->second.state = "shutting-down";
    }
    return resilience::OkStatus();
  }
  resilience::Result<std::vector<aws::ec2::Instance>> DescribeOwnedInstances() override {
    std::vector<aws::ec2::Instance> out;
    for (const auto& [id, i] : instances_) {
      if (i.TagValue(provider::kTagProvider) == "aws" && i.state != "terminated" &&
          i.state != "shutting-down") {
        out.push_back(i);
      }
    }
    return out;
  }
  resilience::Result<std::vector<provider::SpotNotice>> SpotNotices(
      const std::vector<std::string>& ids) override {
    std::vector<provider::SpotNotice> out;
    for (const std::string& id : ids) {
      if (auto it = spot_notices_.find(id); it != spot_notices_.end()) {
        out.push_back({id, "marked-for-termination", it->second});
      }
    }
    return out;
  }
  resilience::Result<std::vector<store::InstanceTypeRecord>> DescribeInstanceTypes(
      const std::vector<std::string>& types) override {
    ++instance_type_calls;
    std::vector<store::InstanceTypeRecord> out;
    for (const std::string& t : types) out.push_back({t, 2, 1, 4096});
    return out;
  }
  int instance_type_calls = 0;

 private:
  int cleanup_failures_ = 0;
  std::deque<LaunchScript> scripts_;
  std::map<std::string, aws::ec2::Instance> instances_;
  std::map<std::string, int> spot_notices_;
  std::optional<resilience::Error> observe_error_;
  bool fulfilling_ = false;
  std::map<std::string, std::pair<std::string, std::string>> resources_;
  std::optional<double> running_capacity_;
  int next_id_ = 1;
  std::optional<resilience::SysTime> launch_time_;
};

}  // namespace ohfp::hostfactory::testing
