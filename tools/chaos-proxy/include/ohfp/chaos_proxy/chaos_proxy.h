// ohfp/chaos_proxy/chaos_proxy.h
//
// ChaosProxy is the proxy's logic, without sockets: given one HTTP request it decides what the
// client gets - the upstream's answer, an invented AWS error, a replayed idempotent answer, or a
// closed/reset connection - and keeps the statistics. It also serves the control endpoint
// (/__chaos/stats, /__chaos/rules, /__chaos/reset and the /stats alias), which is never
// forwarded. ProxyServer (proxy_server.h) puts it on a socket; tests drive it directly with a fake
// Upstream and a ManualClock, on which latency and hangs pass instantly.
//
// For each AWS request: count it; ask the DecisionEngine for a fault; answer invented faults
// (throttle, error, capacity, respond) or drop the connection (reset, hang after its delay) without
// forwarding; otherwise wait (latency), ask the ThrottleModel (when the rules document has a
// "throttling" section) for tokens and answer as AWS does when it has none, apply ClientToken
// idempotency (EC2 requests with a token), forward, record a 2xx answer for the token, and - for
// drop_response - close the connection instead of answering.
//
// Thread-safety: Handle() and every other method are safe from any number of threads at once. The
// clock, random source, upstream and event sink must outlive the proxy and be thread-safe.
//
// Example:
//   ChaosProxy proxy(clock, random, upstream, std::move(rules), ProxyOptions{}, &log_sink);
//   Outcome outcome = proxy.Handle(request, stop_token);
//   if (outcome.disposition == Disposition::kRespond) Send(outcome.response);
//   else Close(outcome.disposition);
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "ohfp/chaos_proxy/aws_request.h"
#include "ohfp/chaos_proxy/decision_engine.h"
#include "ohfp/chaos_proxy/error_bodies.h"
#include "ohfp/chaos_proxy/http_message.h"
#include "ohfp/chaos_proxy/idempotency_cache.h"
#include "ohfp/chaos_proxy/rules.h"
#include "ohfp/chaos_proxy/stats.h"
#include "ohfp/chaos_proxy/throttle_model.h"
#include "ohfp/chaos_proxy/upstream.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/random.h"

namespace ohfp::chaos_proxy {

struct ProxyOptions {
  bool idempotency = true;                   // emulate EC2 ClientToken semantics
  std::size_t idempotency_capacity = 10000;  // recorded responses kept
  std::uint64_t request_id_seed = 0;         // seeds the request ids of invented responses
};

enum class EventKind {
  kFault,
  kModelThrottle,  // the throttling model found a bucket empty
  kIdempotentReplay,
  kIdempotencyMismatch,
  kUpstreamError,
  kRulesReplaced,
  kReset
};

// What the proxy did that a user may want to see in its log.
struct ProxyEvent {
  EventKind kind = EventKind::kFault;
  std::optional<FaultType> fault;  // kFault
  std::string rule;                // kFault: the rule's name
  std::string action;
  Service service = Service::kUnknown;
  std::string client_token;  // kIdempotentReplay, kIdempotencyMismatch
  int status = 0;            // the status the client got; 0 when the connection was closed instead
  std::chrono::milliseconds delay{0};  // latency and hang faults
  std::string detail;                  // the upstream error; the number of rules; the empty bucket
  resilience::Duration elapsed{0};     // since the time origin
};

// Receives events; called from request threads, so implementations must be thread-safe and quick.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnEvent(const ProxyEvent& event) = 0;
};

enum class Disposition {
  kRespond,  // send `response`
  kClose,    // close the connection without answering (FIN)
  kReset,    // abort the connection without answering (RST)
};

struct Outcome {
  Disposition disposition = Disposition::kRespond;
  HttpResponse response;  // kRespond only
};

class ChaosProxy {
 public:
  ChaosProxy(resilience::Clock& clock, resilience::RandomSource& random, Upstream& upstream,
             RuleSet rules, ProxyOptions options = {}, EventSink* events = nullptr);
  ChaosProxy(const ChaosProxy&) = delete;
  ChaosProxy& operator=(const ChaosProxy&) = delete;

  // Handles one request. Blocks for latency and hang faults, for the upstream, and while another
  // request with the same ClientToken is in flight; `stop` ends every such wait (the connection is
  // then closed).
  Outcome Handle(const HttpRequest& request, std::stop_token stop);

  // The same operations as the control endpoint.
  // Replaces the rules and the throttling model's configuration (rules.throttling; nullopt turns
  // the model off). A changed throttling configuration starts its buckets full.
  void ReplaceRules(RuleSet rules);
  // Statistics, the time origin (and rule hits), the idempotency cache, the throttling model's
  // buckets (full again) and statistics.
  void Reset();
  nlohmann::json StatsJson() const;
  // The current rules document: the rules and the throttling section.
  RuleSet CurrentRules() const;

  const Stats& stats() const noexcept { return stats_; }
  const DecisionEngine& engine() const noexcept { return engine_; }
  const ThrottleModel& throttle_model() const noexcept { return throttle_; }
  const IdempotencyCache& idempotency_cache() const noexcept { return cache_; }

  // "/__chaos/..." and "/stats": paths the proxy answers itself.
  static bool IsControlPath(std::string_view path) noexcept;

 private:
  Outcome HandleControl(const HttpRequest& request);
  Outcome InjectFault(const Decision& decision, const AwsRequest& aws, std::stop_token stop);
  Outcome AnswerModelThrottle(const ThrottleDecision& decision, const AwsRequest& aws,
                              bool drop_response);
  Outcome Forward(const HttpRequest& request, const AwsRequest& aws, bool drop_response,
                  std::stop_token stop);
  HttpResponse CallUpstream(const HttpRequest& request, const AwsRequest& aws, std::stop_token stop,
                            bool& cancelled);
  void Emit(ProxyEvent event);

  resilience::Clock& clock_;
  Upstream& upstream_;
  const ProxyOptions options_;
  EventSink* events_;
  ThrottleModel throttle_;  // before engine_: built from the rules' throttling section
  DecisionEngine engine_;
  IdempotencyCache cache_;
  Stats stats_;
  RequestIdGenerator request_ids_;
};

}  // namespace ohfp::chaos_proxy
