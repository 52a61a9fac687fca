// model/request.h
//
// HostFactory's requests as ohfp records them: acquire requests ("req-...") with their launch
// attempts (each with the EC2 ClientToken every retry of it reuses), and return requests
// ("ret-..."); the process that created a request; and a provider-neutral reference to what the
// cloud created for it (a fleet, a Spot Fleet request or an Auto Scaling group, and the launch
// template ohfp made for it).
//
// Thread-safety: value types and stateless functions.
//
// Example:
//   if (request.kind == RequestKind::kAcquire && request.state == RequestState::kRunning) { ... }
//   std::string_view s = RequestStateName(RequestState::kCompleteWithError);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/template.h"
#include "model/time.h"

namespace ohfp::model {

enum class RequestKind { kAcquire, kReturn };
// HostFactory's request statuses.
enum class RequestState { kRunning, kComplete, kCompleteWithError };
enum class AttemptState { kPrepared, kSucceeded, kFailed };

std::string_view RequestKindName(RequestKind kind) noexcept;  // "acquire", "return"
// "running", "complete", "complete_with_error".
std::string_view RequestStateName(RequestState state) noexcept;
std::string_view AttemptStateName(AttemptState state) noexcept;  // prepared, succeeded, failed
std::optional<RequestKind> RequestKindFromName(std::string_view name) noexcept;
std::optional<RequestState> RequestStateFromName(std::string_view name) noexcept;
std::optional<AttemptState> AttemptStateFromName(std::string_view name) noexcept;

// Which process did something: its pid and an opaque start token (equal only for the same process,
// so a reused pid is not mistaken for the original), and the host it ran on (several hosts may
// share one store: a failover pair, docs/operations.md).
struct ProcessIdentity {
  std::int64_t pid = 0;
  std::string start{};
  std::string host{};
  friend bool operator==(const ProcessIdentity&, const ProcessIdentity&) = default;
};

// What the cloud holds for an acquire request beyond its instances.
struct CloudRef {
  std::string resource_id{};         // the fleet, Spot Fleet request or group
  std::string launch_template_id{};  // the launch template ohfp created for the request
  bool empty() const noexcept { return resource_id.empty() && launch_template_id.empty(); }
  friend bool operator==(const CloudRef&, const CloudRef&) = default;
};

struct Request {
  std::string id{};
  RequestKind kind = RequestKind::kAcquire;
  std::string template_id{};  // acquire requests
  int machine_count = 0;
  ProviderApi provider_api = ProviderApi::kRunInstances;  // acquire requests: the API used
  // Acquire requests: the image launched (the template's, or what its SSM parameter named when the
  // request was made); every attempt and every re-send launches this one. Empty: a launch
  // template's own image.
  std::string image_id{};
  RequestState state = RequestState::kRunning;
  std::string message{};
  Timestamp created_at{};
  Timestamp updated_at{};
  std::optional<Timestamp> polled_at{};  // the first time HostFactory asked about it
  ProcessIdentity owner{};
  CloudRef created{};
  bool abandoned = false;  // reclaimed: its creator died before HostFactory learned of it
  std::optional<Timestamp> cleaned_up_at{};  // when its fleet/group/launch template were deleted

  bool finished() const noexcept { return state != RequestState::kRunning; }
};

struct Attempt {
  std::string request_id{};
  int number = 1;
  std::string client_token{};
  AttemptState state = AttemptState::kPrepared;
  std::string error{};
  Timestamp created_at{};
  Timestamp updated_at{};
};

// "<request id>-<attempt number>": the ClientToken of an attempt.
std::string ClientTokenFor(std::string_view request_id, int attempt);

}  // namespace ohfp::model
