#include "simulator/trace_json.h"

#include <cmath>
#include <sstream>
#include <string>

#include "aws/resilience_tables.h"
#include "config/json_reader.h"

namespace ohfp::simulator {
namespace {

using config::ObjectReader;
using resilience::ConfigProblem;
using resilience::Duration;
using resilience::Error;
using resilience::ErrorKind;
using resilience::SimAttempt;
using resilience::SimCall;
using resilience::SimEvent;
using resilience::SimFault;

Error Invalid(const std::string& message) {
  return Error(ErrorKind::kValidation, "invalid_input", message);
}

Error FromProblems(const std::vector<ConfigProblem>& problems) {
  std::string message;
  for (const ConfigProblem& p : problems)
    message += (message.empty() ? "" : "; ") + p.path + ": " + p.message;
  return Invalid(message);
}

void NonNegative(ObjectReader& r, std::string_view key, Duration value) {
  if (value < Duration::zero()) r.Problem(key, "must not be negative");
}

std::optional<SimCall> ParseCall(const nlohmann::json& j, const std::string& where,
                                 std::vector<ConfigProblem>& problems) {
  SimCall call;
  ObjectReader r(j, where, problems);
  if (!r.is_object()) return std::nullopt;
  r.Seconds("at", call.at);
  NonNegative(r, "at", call.at);
  r.String("operation", call.operation);
  if (!r.Has("operation")) r.Problem("operation", "is required");
  r.String("service", call.service);
  std::optional<int> resources;
  r.Int("resources", resources);
  if (resources && (*resources < 1 || *resources > 1'000'000)) {
    r.Problem("resources", "must be between 1 and 1000000, got " + std::to_string(*resources));
  } else if (resources) {
    call.resources = static_cast<std::uint32_t>(*resources);
  }
  if (const nlohmann::json* attempts = r.Raw("attempts")) {
    if (!attempts->is_array()) {
      r.Problem("attempts", "must be an array, got " + config::JsonTypeName(*attempts));
    } else {
      for (std::size_t i = 0; i < attempts->size(); ++i) {
        SimAttempt a;
        ObjectReader ar((*attempts)[i], where + ".attempts[" + std::to_string(i) + "]", problems);
        if (!ar.is_object()) continue;
        ar.String("outcome", a.outcome);
        if (!ar.Has("outcome"))
          ar.Problem("outcome",
                     "is required (\"ok\", an AWS error code, \"connection_error\", \"hang\")");
        ar.Seconds("latency", a.latency);
        NonNegative(ar, "latency", a.latency);
        ar.Finish();
        call.attempts.push_back(std::move(a));
      }
    }
  }
  r.Finish();
  return call;
}

std::optional<SimFault> ParseFault(const nlohmann::json& j, const std::string& where,
                                   std::vector<ConfigProblem>& problems) {
  SimFault f;
  ObjectReader r(j, where, problems);
  if (!r.is_object()) return std::nullopt;
  r.String("service", f.service);
  r.String("operation", f.operation);
  r.Seconds("from", f.from);
  NonNegative(r, "from", f.from);
  if (r.Has("until") && r.Has("duration"))
    r.Problem("until", "give \"until\" or \"duration\", not both");
  std::optional<Duration> until;
  std::optional<Duration> duration;
  r.Seconds("until", until);
  r.Seconds("duration", duration);
  if (until) f.until = *until;
  if (duration) f.until = f.from + *duration;
  if (f.until <= f.from) r.Problem(until ? "until" : "duration", "must end after \"from\"");
  r.String("outcome", f.outcome);
  if (!r.Has("outcome")) r.Problem("outcome", "is required");
  r.Seconds("latency", f.latency);
  NonNegative(r, "latency", f.latency);
  r.Double("probability", f.probability);
  if (!(f.probability >= 0.0 && f.probability <= 1.0))
    r.Problem("probability", "must be between 0 and 1");
  r.Finish();
  return f;
}

std::vector<std::string> Names(ObjectReader& r, std::string_view key) {
  std::vector<std::string> out;
  const nlohmann::json* v = r.Raw(key);
  if (v == nullptr) return out;
  if (!v->is_array()) {
    r.Problem(key, "must be a list of bucket names, got " + config::JsonTypeName(*v));
    return out;
  }
  for (const nlohmann::json& item : *v) {
    if (item.is_string()) {
      out.push_back(item.get<std::string>());
    } else {
      r.Problem(key, "must hold bucket names (strings), got " + config::JsonTypeName(item));
    }
  }
  return out;
}

void Positive(ObjectReader& r, std::string_view key, double value) {
  if (!(value > 0.0)) r.Problem(key, "must be more than zero");
}

}  // namespace

resilience::Status ReadServer(std::istream& in, resilience::SimServer& server) {
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return Invalid("the server model is not valid JSON");
  std::vector<ConfigProblem> problems;
  ObjectReader r(j, "server", problems);
  if (!r.is_object()) return FromProblems(problems);
  std::string model;
  r.String("model", model);
  if (model == "aws") {
    const resilience::RateLimiterConfig published = aws::PublishedRateLimits();
    for (const auto& [name, bucket] : published.buckets) server.buckets[name].options = bucket;
    server.operations = published.operations;
  } else if (!model.empty()) {
    r.Problem("model", "must be \"aws\" (EC2's published buckets), got \"" + model + "\"");
  }
  double scale = 1.0;
  r.Double("scale", scale);
  Positive(r, "scale", scale);
  r.String("throttle_code", server.throttle_code);
  r.Entries("buckets", [&](const std::string& name, const nlohmann::json& v, const std::string& p) {
    ObjectReader b(v, p, problems);
    if (!b.is_object()) return;
    const bool known = server.buckets.contains(name);
    resilience::SimServerBucket& bucket = server.buckets[name];
    if (!known && !(b.Has("capacity") && b.Has("refill_rate"))) {
      b.Problem(b.Has("capacity") ? "refill_rate" : "capacity",
                "is required for a bucket the model does not have");
    }
    b.Double("capacity", bucket.options.capacity);
    b.Double("refill_rate", bucket.options.refill_rate);
    b.Double("background_rate", bucket.background_rate);
    Positive(b, "capacity", bucket.options.capacity);
    Positive(b, "refill_rate", bucket.options.refill_rate);
    if (bucket.background_rate < 0) b.Problem("background_rate", "must not be negative");
    b.Finish();
  });
  r.Entries("operations",
            [&](const std::string& name, const nlohmann::json& v, const std::string& p) {
              ObjectReader o(v, p, problems);
              if (!o.is_object()) return;
              resilience::LimiterOperationConfig op;
              op.buckets = Names(o, "buckets");
              op.resource_buckets = Names(o, "resource_buckets");
              o.Finish();
              server.operations[name] = std::move(op);
            });
  r.Finish();
  for (auto& [name, bucket] : server.buckets) {
    bucket.options.capacity *= scale;
    bucket.options.refill_rate *= scale;
  }
  for (const auto& [name, op] : server.operations) {
    for (const auto* list : {&op.buckets, &op.resource_buckets}) {
      for (const std::string& bucket : *list) {
        if (!server.buckets.contains(bucket)) {
          problems.push_back({"server.operations." + name, "no bucket \"" + bucket + "\""});
        }
      }
    }
  }
  if (!problems.empty()) return FromProblems(problems);
  return resilience::OkStatus();
}

resilience::Status ReadTrace(std::istream& in, std::vector<SimCall>& calls) {
  std::string line;
  int number = 0;
  std::vector<ConfigProblem> problems;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = "line " + std::to_string(number);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      problems.push_back({where, "is not valid JSON"});
      continue;
    }
    if (auto call = ParseCall(j, where, problems)) calls.push_back(std::move(*call));
  }
  if (!problems.empty()) return FromProblems(problems);
  return resilience::OkStatus();
}

resilience::Status ReadFaults(std::istream& in, std::vector<SimFault>& faults) {
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<ConfigProblem> problems;
  nlohmann::json whole = nlohmann::json::parse(text, nullptr, false);
  if (!whole.is_discarded() && whole.is_array()) {
    for (std::size_t i = 0; i < whole.size(); ++i) {
      if (auto f = ParseFault(whole[i], "fault " + std::to_string(i), problems))
        faults.push_back(std::move(*f));
    }
  } else if (!whole.is_discarded() && whole.is_object()) {
    if (auto f = ParseFault(whole, "fault 0", problems)) faults.push_back(std::move(*f));
  } else {
    std::istringstream lines(text);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
      ++number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string where = "faults line " + std::to_string(number);
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) {
        problems.push_back({where, "is not valid JSON"});
        continue;
      }
      if (auto f = ParseFault(j, where, problems)) faults.push_back(std::move(*f));
    }
  }
  if (!problems.empty()) return FromProblems(problems);
  return resilience::OkStatus();
}

double OutputSeconds(Duration d) { return std::round(resilience::ToSeconds(d) * 1e6) / 1e6; }

nlohmann::ordered_json EventJson(const SimEvent& e) {
  nlohmann::ordered_json j = {{"at", OutputSeconds(e.at)}};
  switch (e.type) {
    case SimEvent::Type::kAttempt:
      j["event"] = "attempt";
      j["call"] = e.call;
      j["operation"] = e.operation;
      j["attempt"] = e.attempt;
      j["outcome"] = e.outcome;
      j["started"] = OutputSeconds(e.started);
      break;
    case SimEvent::Type::kRetry:
      j["event"] = "retry";
      j["call"] = e.call;
      j["attempt"] = e.attempt;
      j["delay"] = OutputSeconds(e.delay);
      break;
    case SimEvent::Type::kCircuit:
      j["event"] = "circuit";
      j["service"] = e.service;
      j["from"] = std::string(resilience::CircuitStateName(e.from));
      j["to"] = std::string(resilience::CircuitStateName(e.to));
      break;
    case SimEvent::Type::kRejected:
      j["event"] = "rejected";
      j["call"] = e.call;
      j["service"] = e.service;
      break;
    case SimEvent::Type::kTimeout:
      j["event"] = "timeout";
      j["call"] = e.call;
      break;
    case SimEvent::Type::kResult:
      j["event"] = "result";
      j["call"] = e.call;
      j["ok"] = e.ok;
      if (!e.ok) j["error"] = e.error;
      j["attempts"] = e.attempts;
      break;
    case SimEvent::Type::kWait:
      j["event"] = "wait";
      j["call"] = e.call;
      j["operation"] = e.operation;
      j["attempt"] = e.attempt;
      j["bucket"] = e.bucket;
      j["delay"] = OutputSeconds(e.delay);
      break;
    case SimEvent::Type::kRate:
      j["event"] = "rate";
      j["bucket"] = e.bucket;
      j["from"] = std::round(e.rate_from * 1000) / 1000;
      j["to"] = std::round(e.rate_to * 1000) / 1000;
      j["lowered"] = e.lowered;
      break;
  }
  return j;
}

nlohmann::ordered_json SummaryJson(const resilience::SimReport& r) {
  nlohmann::ordered_json j = {{"at", OutputSeconds(r.end)},
                              {"event", "summary"},
                              {"success_rate", r.summary.success_rate},
                              {"circuit_breaker_opens", r.summary.circuit_breaker_opens},
                              {"circuit_breaker_closes", r.summary.circuit_breaker_closes},
                              {"retry_attempts", r.summary.retry_attempts},
                              {"retry_successes", r.summary.retry_successes},
                              {"timeout_errors", r.summary.timeout_errors},
                              {"total_operations", r.summary.total_operations},
                              {"successful_operations", r.summary.successful_operations},
                              {"calls", r.calls},
                              {"succeeded", r.succeeded},
                              {"failed", r.failed},
                              {"attempts", r.attempts},
                              {"rejected", r.rejected},
                              {"throttled_attempts", r.summary.throttled_attempts},
                              {"throttled", r.throttled},
                              {"rate_limiter_waits", r.rate_limiter_waits},
                              {"rate_limiter_wait_seconds", OutputSeconds(r.rate_limiter_wait)},
                              {"rate_limited_calls", r.rate_limited_calls},
                              {"rate_decreases", r.rate_decreases}};
  j["last_success_at"] = r.last_success_at
                             ? nlohmann::ordered_json(OutputSeconds(*r.last_success_at))
                             : nlohmann::ordered_json();
  return j;
}

}  // namespace ohfp::simulator
