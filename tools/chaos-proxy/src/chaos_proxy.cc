#include "ohfp/chaos_proxy/chaos_proxy.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace ohfp::chaos_proxy {
namespace {

using nlohmann::json;

constexpr std::string_view kControlPrefix = "/__chaos/";
constexpr std::string_view kStatsAlias = "/stats";
constexpr std::string_view kRequestIdPlaceholder = "{{request_id}}";

HttpResponse JsonResponse(int status, const json& body) {
  // Action names come from requests and may hold invalid UTF-8: replace it rather than throw.
  return HttpResponse{status,
                      {{"Content-Type", "application/json"}},
                      body.dump(2, ' ', false, json::error_handler_t::replace) + "\n"};
}

HttpResponse JsonError(int status, std::string message) {
  return JsonResponse(status, json{{"error", std::move(message)}});
}

ProxyEvent RequestEvent(EventKind kind, const AwsRequest& aws) {
  ProxyEvent event;
  event.kind = kind;
  event.action = aws.action;
  event.service = aws.service;
  event.client_token = aws.client_token;
  return event;
}

ProxyEvent FaultEvent(const Decision& decision, const AwsRequest& aws) {
  ProxyEvent event = RequestEvent(EventKind::kFault, aws);
  event.fault = decision.fault.type;
  event.rule = decision.rule_name;
  return event;
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  for (auto pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

}  // namespace

ChaosProxy::ChaosProxy(resilience::Clock& clock, resilience::RandomSource& random,
                       Upstream& upstream, RuleSet rules, ProxyOptions options, EventSink* events)
    : clock_(clock),
      upstream_(upstream),
      options_(options),
      events_(events),
      throttle_(clock, std::exchange(rules.throttling, std::nullopt)),
      engine_(clock, random, std::move(rules)),
      cache_(options.idempotency_capacity),
      request_ids_(options.request_id_seed) {}

bool ChaosProxy::IsControlPath(std::string_view path) noexcept {
  return path == kStatsAlias || path.starts_with(kControlPrefix) || path == "/__chaos";
}

Outcome ChaosProxy::Handle(const HttpRequest& request, std::stop_token stop) {
  if (IsControlPath(TargetPath(request.target)) &&
      (TargetPath(request.target) != kStatsAlias || request.method == "GET" ||
       request.method == "HEAD")) {
    return HandleControl(request);
  }
  const AwsRequest aws = ParseAwsRequest(request);
  stats_.RecordRequest(aws.action);
  bool drop_response = false;
  if (std::optional<Decision> decision = engine_.Decide(aws)) {
    stats_.RecordFault(aws.action, decision->fault.type);
    switch (decision->fault.type) {
      case FaultType::kLatency: {
        ProxyEvent event = FaultEvent(*decision, aws);
        event.delay = decision->fault.delay;
        Emit(std::move(event));
        if (!clock_.SleepFor(decision->fault.delay, stop)) return Outcome{Disposition::kClose, {}};
        break;
      }
      case FaultType::kDropResponse:
        Emit(FaultEvent(*decision, aws));
        drop_response = true;
        break;
      case FaultType::kThrottle:
      case FaultType::kError:
      case FaultType::kCapacity:
      case FaultType::kHang:
      case FaultType::kReset:
      case FaultType::kRespond:
        return InjectFault(*decision, aws, stop);
    }
  }
  // AWS's own throttling comes after the faults in front of it (a request the rules stop never
  // reaches AWS) and before it looks at ClientTokens.
  if (const ThrottleDecision throttled = throttle_.Admit(aws); throttled.throttled) {
    return AnswerModelThrottle(throttled, aws, drop_response);
  }
  return Forward(request, aws, drop_response, stop);
}

Outcome ChaosProxy::AnswerModelThrottle(const ThrottleDecision& decision, const AwsRequest& aws,
                                        bool drop_response) {
  stats_.RecordModelThrottle(aws.action);
  HttpResponse response = ThrottleResponse(aws.service, request_ids_.Next(), "");
  RemoveHeader(response.headers, kChaosHeader);
  response.headers.emplace_back(kChaosHeader, "throttle-model");
  ProxyEvent event = RequestEvent(EventKind::kModelThrottle, aws);
  event.status = drop_response ? 0 : response.status;
  event.detail = decision.bucket;
  Emit(std::move(event));
  if (drop_response) return Outcome{Disposition::kClose, {}};
  return Outcome{Disposition::kRespond, std::move(response)};
}

Outcome ChaosProxy::InjectFault(const Decision& decision, const AwsRequest& aws,
                                std::stop_token stop) {
  const Fault& fault = decision.fault;
  ProxyEvent event = FaultEvent(decision, aws);
  Outcome outcome;
  switch (fault.type) {
    case FaultType::kThrottle:
      outcome.response = ThrottleResponse(aws.service, request_ids_.Next(), fault.message);
      break;
    case FaultType::kError:
      outcome.response = fault.html ? HtmlErrorResponse(fault.status, request_ids_.Next())
                                    : ErrorResponse(aws.service, fault.status, fault.code,
                                                    fault.message, request_ids_.Next());
      break;
    case FaultType::kCapacity:
      outcome.response = CapacityResponse(fault.code, fault.message, request_ids_.Next());
      break;
    case FaultType::kRespond: {
      const std::string request_id = request_ids_.Next();
      outcome.response = HttpResponse{fault.status,
                                      {{"Content-Type", fault.content_type},
                                       {std::string(kRequestIdHeader), request_id},
                                       {std::string(kChaosHeader), "respond"}},
                                      ReplaceAll(fault.body, kRequestIdPlaceholder, request_id)};
      break;
    }
    case FaultType::kHang:
      event.delay = fault.delay;
      Emit(event);
      // Hold the request without a word, then hang up; shutting down ends the wait early.
      (void)clock_.SleepFor(fault.delay, stop);
      return Outcome{Disposition::kClose, {}};
    case FaultType::kReset:
      Emit(event);
      return Outcome{Disposition::kReset, {}};
    case FaultType::kLatency:
    case FaultType::kDropResponse:
      // Handled in Handle(): both still forward the request.
      return Outcome{Disposition::kClose, {}};
  }
  event.status = outcome.response.status;
  Emit(event);
  return outcome;
}

HttpResponse ChaosProxy::CallUpstream(const HttpRequest& request, const AwsRequest& aws,
                                      std::stop_token stop, bool& cancelled) {
  stats_.RecordForwarded(aws.action);
  UpstreamResult result = upstream_.Forward(request, stop);
  cancelled = result.cancelled;
  if (result.response) return std::move(*result.response);
  if (!cancelled) {
    stats_.RecordUpstreamError(aws.action);
    ProxyEvent event = RequestEvent(EventKind::kUpstreamError, aws);
    event.status = 502;
    event.detail = result.error;
    Emit(std::move(event));
  }
  return HttpResponse{502,
                      {{"Content-Type", "text/plain; charset=UTF-8"},
                       {std::string(kRequestIdHeader), request_ids_.Next()},
                       {std::string(kChaosHeader), "upstream-error"}},
                      "ohfp-chaos-proxy: the upstream did not answer: " + result.error + "\n"};
}

Outcome ChaosProxy::Forward(const HttpRequest& request, const AwsRequest& aws, bool drop_response,
                            std::stop_token stop) {
  const auto answer = [drop_response](HttpResponse response) {
    return drop_response ? Outcome{Disposition::kClose, {}}
                         : Outcome{Disposition::kRespond, std::move(response)};
  };
  bool cancelled = false;
  if (!options_.idempotency || aws.client_token.empty()) {
    HttpResponse response = CallUpstream(request, aws, stop, cancelled);
    return cancelled ? Outcome{Disposition::kClose, {}} : answer(std::move(response));
  }

  IdempotencyCache::Ticket ticket =
      cache_.Acquire(aws.action, aws.client_token, ParameterFingerprint(aws.params), stop);
  switch (ticket.verdict()) {
    case IdempotencyCache::Verdict::kCancelled:
      return Outcome{Disposition::kClose, {}};
    case IdempotencyCache::Verdict::kReplay: {
      stats_.RecordReplay(aws.action);
      HttpResponse response = ticket.recorded();
      response.headers.emplace_back(kChaosHeader, "idempotent-replay");
      ProxyEvent event = RequestEvent(EventKind::kIdempotentReplay, aws);
      event.status = drop_response ? 0 : response.status;
      Emit(std::move(event));
      return answer(std::move(response));
    }
    case IdempotencyCache::Verdict::kMismatch: {
      stats_.RecordMismatch(aws.action);
      ProxyEvent event = RequestEvent(EventKind::kIdempotencyMismatch, aws);
      event.status = drop_response ? 0 : 400;
      Emit(std::move(event));
      return answer(IdempotentMismatchResponse(request_ids_.Next()));
    }
    case IdempotencyCache::Verdict::kExecute:
      break;
  }
  HttpResponse response = CallUpstream(request, aws, stop, cancelled);
  if (cancelled) return Outcome{Disposition::kClose, {}};
  // Recorded even when the response is about to be dropped: the client's retry gets the original
  // answer.
  ticket.Complete(response);
  return answer(std::move(response));
}

Outcome ChaosProxy::HandleControl(const HttpRequest& request) {
  const std::string_view path = TargetPath(request.target);
  const std::string& method = request.method;
  const auto not_allowed = [](std::string_view allow) {
    HttpResponse response = JsonError(405, "method not allowed; use " + std::string(allow));
    response.headers.emplace_back("Allow", allow);
    return Outcome{Disposition::kRespond, std::move(response)};
  };
  if (path == kStatsAlias || path == "/__chaos/stats") {
    if (method != "GET" && method != "HEAD") return not_allowed("GET");
    return Outcome{Disposition::kRespond, JsonResponse(200, StatsJson())};
  }
  if (path == "/__chaos/rules") {
    if (method == "GET" || method == "HEAD") {
      return Outcome{Disposition::kRespond, JsonResponse(200, RulesToJson(CurrentRules()))};
    }
    if (method != "PUT") return not_allowed("GET, PUT");
    ParsedRules parsed = ParseRules(request.body);
    if (!parsed.ok()) {
      json errors = json::array();
      for (const ConfigError& error : parsed.errors) errors.push_back(error.ToString());
      return Outcome{
          Disposition::kRespond,
          JsonResponse(400, json{{"error", "invalid rules; the current rules are unchanged"},
                                 {"errors", std::move(errors)}})};
    }
    const std::size_t count = parsed.rules->rules.size();
    const bool throttling = parsed.rules->throttling.has_value();
    ReplaceRules(std::move(*parsed.rules));
    ProxyEvent event;
    event.kind = EventKind::kRulesReplaced;
    event.detail =
        std::to_string(count) + " rule(s), throttling model " + (throttling ? "on" : "off");
    Emit(std::move(event));
    return Outcome{Disposition::kRespond, JsonResponse(200, RulesToJson(CurrentRules()))};
  }
  if (path == "/__chaos/reset") {
    if (method != "POST") return not_allowed("POST");
    Reset();
    ProxyEvent event;
    event.kind = EventKind::kReset;
    Emit(std::move(event));
    return Outcome{Disposition::kRespond, JsonResponse(200, json{{"reset", true}})};
  }
  return Outcome{
      Disposition::kRespond,
      JsonError(404,
                "unknown control endpoint " + std::string(path) +
                    "; try GET /__chaos/stats, GET or PUT /__chaos/rules, POST /__chaos/reset")};
}

void ChaosProxy::ReplaceRules(RuleSet rules) {
  throttle_.Configure(std::exchange(rules.throttling, std::nullopt));
  engine_.ReplaceRules(std::move(rules));
}

RuleSet ChaosProxy::CurrentRules() const {
  RuleSet rules = engine_.rules();
  rules.throttling = throttle_.config();
  return rules;
}

void ChaosProxy::Reset() {
  engine_.Reset();
  throttle_.Reset();
  stats_.Reset();
  cache_.Clear();
}

json ChaosProxy::StatsJson() const {
  json stats = stats_.ToJson();
  json rules = json::array();
  std::size_t index = 0;
  for (const RuleHits& hits : engine_.Hits()) {
    rules.push_back({{"index", index++}, {"name", hits.name}, {"hits", hits.hits}});
  }
  return json{{"elapsed_seconds", resilience::ToSeconds(engine_.Elapsed())},
              {"totals", std::move(stats["totals"])},
              {"actions", std::move(stats["actions"])},
              {"rules", std::move(rules)},
              {"idempotency", {{"enabled", options_.idempotency}, {"recorded", cache_.size()}}},
              {"throttling", throttle_.ToJson()}};
}

void ChaosProxy::Emit(ProxyEvent event) {
  if (events_ == nullptr) return;
  event.elapsed = engine_.Elapsed();
  events_->OnEvent(event);
}

}  // namespace ohfp::chaos_proxy
