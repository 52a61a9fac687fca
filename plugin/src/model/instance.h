// model/instance.h
//
// A cloud instance as ohfp sees it, whatever API launched it: its state (an enum; the EC2 names
// exist only at the edges), addresses, launch time, market, and the ohfp tags that say which
// request and which installation it belongs to. Also instance types (vCPUs, cores, memory) and a
// Spot interruption notice.
//
// Thread-safety: value types and stateless functions.
//
// Example:
//   if (IsLive(instance.state) && instance.installation_id == me) { ... }
//   std::string_view s = InstanceStateName(InstanceState::kShuttingDown);   // "shutting-down"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/tag.h"
#include "model/time.h"

namespace ohfp::model {

enum class InstanceState {
  kUnknown,  // not (yet) seen in the cloud
  kPending,
  kRunning,
  kShuttingDown,
  kTerminated,
  kStopping,
  kStopped,
};

// EC2's names: "pending", "running", "shutting-down", "terminated", "stopping", "stopped"; "" for
// kUnknown.
std::string_view InstanceStateName(InstanceState state) noexcept;
// kUnknown for a name EC2 does not use.
InstanceState InstanceStateFromName(std::string_view name) noexcept;

// Pending or running: an instance that is, or will be, doing work.
constexpr bool IsLive(InstanceState s) noexcept {
  return s == InstanceState::kPending || s == InstanceState::kRunning;
}
// Positively on its way out, or out: shutting down, terminated, stopping or stopped. Only such a
// state (or a describe by id that says the instance does not exist) is evidence that a machine is
// lost; an instance missing from a listing is not.
constexpr bool IsGone(InstanceState s) noexcept {
  return s == InstanceState::kShuttingDown || s == InstanceState::kTerminated ||
         s == InstanceState::kStopping || s == InstanceState::kStopped;
}

enum class Lifecycle { kOnDemand, kSpot };

// Shaped like an EC2 instance id: "i-" and 8 or 17 lower-case hexadecimal digits.
constexpr bool IsInstanceId(std::string_view s) noexcept {
  if (s.size() != 10 && s.size() != 19) return false;
  if (s[0] != 'i' || s[1] != '-') return false;
  for (std::size_t k = 2; k < s.size(); ++k) {
    const char c = s[k];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

struct Instance {
  std::string id{};
  InstanceState state = InstanceState::kUnknown;
  std::string state_reason{};  // e.g. "Server.SpotInstanceTermination: ..."
  std::string instance_type{};
  std::string private_dns_name{};
  std::string private_ip{};
  std::string public_ip{};
  std::optional<EpochSeconds> launch_time{};
  Lifecycle lifecycle = Lifecycle::kOnDemand;
  std::string spot_request_id{};
  std::string request_id{};       // the kTagRequestId tag; empty when untagged
  std::string installation_id{};  // the kTagInstallation tag; empty when untagged
  std::vector<Tag> tags{};
};

struct InstanceType {
  std::string name{};  // "c5.large"
  int vcpus = 0;
  int cores = 0;
  std::int64_t memory_mib = 0;
};

// What launching an image needs to know of it: the name of its root device, where a root volume
// size, type, IOPS or throughput must go.
struct Image {
  std::string id{};                // "ami-..."
  std::string root_device_name{};  // "/dev/xvda", "/dev/sda1"
  friend bool operator==(const Image&, const Image&) = default;
};

// A Spot instance's interruption notice: the instance will be stopped or terminated.
struct InterruptionNotice {
  std::string spot_request_id{};
  std::string status_code{};  // e.g. "marked-for-termination"
  int grace_seconds = 0;      // seconds left
};

}  // namespace ohfp::model
