#include "ohfp/chaos_proxy/rules.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "enum_names.h"
#include "json_validator.h"

namespace ohfp::chaos_proxy {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, kFaultTypeCount> kFaultTypeNames = {
    "throttle", "error", "capacity", "latency", "hang", "reset", "drop_response", "respond"};

constexpr std::string_view kDefaultRespondContentType = "text/xml;charset=UTF-8";
constexpr double kMaxSeconds = 1e7;                    // about 115 days: far beyond any test run
constexpr std::int64_t kMaxMilliseconds = 86'400'000;  // one day

// Every key a fault object may have, and the ones each type uses.
constexpr std::array<std::string_view, 8> kFaultKeys = {"type", "status", "code", "message",
                                                        "html", "ms",     "body", "content_type"};

std::vector<std::string_view> FaultKeysFor(FaultType type) {
  switch (type) {
    case FaultType::kThrottle:
      return {"type", "message"};
    case FaultType::kError:
      return {"type", "status", "code", "message", "html"};
    case FaultType::kCapacity:
      return {"type", "code", "message"};
    case FaultType::kLatency:
    case FaultType::kHang:
      return {"type", "ms"};
    case FaultType::kReset:
    case FaultType::kDropResponse:
      return {"type"};
    case FaultType::kRespond:
      return {"type", "status", "body", "content_type"};
  }
  return {"type"};
}

using internal::Contains;
using internal::JoinNames;
using internal::Quoted;

// Walks one rules document, collecting every problem instead of stopping at the first.
class Validator : public internal::JsonValidator {
 public:
  using JsonValidator::JsonValidator;

  // Reports keys of a fault object that its type does not use: keys of other fault types are "not
  // used by fault type ...", anything else is unknown.
  void CheckFaultKeys(const json& object, const std::string& path,
                      const std::vector<std::string_view>& allowed, std::string_view type) {
    for (const auto& [key, value] : object.items()) {
      if (Contains(allowed, key)) continue;
      if (Contains(kFaultKeys, key)) {
        Report(path + "." + key,
               "not used by fault type " + Quoted(type) + " (allowed: " + JoinNames(allowed) + ")");
      } else {
        Report(path + "." + key, "unknown key (allowed: " + JoinNames(allowed) + ")");
      }
    }
  }

  std::optional<Match> ParseMatch(const json& match, const std::string& path) {
    if (!ExpectType(match, json::value_t::object, path, "an object")) return std::nullopt;
    CheckKeys(match, path, {"action", "service"});
    Match out;
    bool ok = true;
    if (const auto it = match.find("action"); it != match.end()) {
      const std::string action_path = path + ".action";
      std::vector<std::string> actions;
      if (it->is_string()) {
        actions.push_back(it->get<std::string>());
      } else if (it->is_array()) {
        if (it->empty()) {
          Report(action_path, "must not be an empty list");
          ok = false;
        }
        for (std::size_t i = 0; i < it->size(); ++i) {
          const std::string item_path = action_path + "[" + std::to_string(i) + "]";
          if (ExpectType((*it)[i], json::value_t::string, item_path, "a string")) {
            actions.push_back((*it)[i].get<std::string>());
          } else {
            ok = false;
          }
        }
      } else {
        Report(action_path,
               std::string("must be an action name, \"*\" or a list of action names, got ") +
                   it->type_name());
        ok = false;
      }
      for (const auto& action : actions) {
        if (action.empty()) {
          Report(action_path, "action names must not be empty (use \"*\" for any action)");
          ok = false;
        }
      }
      if (!Contains(actions, "*")) out.actions = std::move(actions);
    }
    if (const auto it = match.find("service"); it != match.end()) {
      const std::string service_path = path + ".service";
      if (ExpectType(*it, json::value_t::string, service_path, "a string")) {
        const auto name = it->get<std::string>();
        if (name != "any" && name != "*") {
          out.service = ServiceFromName(name);
          if (!out.service) {
            Report(service_path,
                   "unknown service " + Quoted(name) +
                       " (expected \"ec2\", \"autoscaling\", \"monitoring\" or \"any\")");
            ok = false;
          }
        }
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  std::optional<Fault> ParseFault(const json& fault, const std::string& path) {
    if (!ExpectType(fault, json::value_t::object, path, "an object")) return std::nullopt;
    const std::size_t errors_before = error_count();
    const auto type_name = String(fault, "type", path, /*required=*/true, /*non_empty=*/false);
    if (!type_name) return std::nullopt;
    const auto type = FaultTypeFromName(*type_name);
    if (!type) {
      Report(path + ".type", "unknown fault type " + Quoted(*type_name) +
                                 " (expected one of: " + JoinNames(kFaultTypeNames) + ")");
      return std::nullopt;
    }
    CheckFaultKeys(fault, path, FaultKeysFor(*type), *type_name);
    Fault out;
    out.type = *type;
    switch (*type) {
      case FaultType::kThrottle:
        out.message = String(fault, "message", path, false, false).value_or("");
        break;
      case FaultType::kError: {
        out.status = static_cast<int>(Integer(fault, "status", path, true, 400, 599).value_or(0));
        if (const auto it = fault.find("html"); it != fault.end()) {
          if (ExpectType(*it, json::value_t::boolean, path + ".html", "true or false")) {
            out.html = it->get<bool>();
          }
        }
        out.code = String(fault, "code", path, /*required=*/!out.html, true).value_or("");
        out.message = String(fault, "message", path, false, false).value_or("");
        break;
      }
      case FaultType::kCapacity:
        out.code = String(fault, "code", path, false, true).value_or("");
        out.message = String(fault, "message", path, false, false).value_or("");
        break;
      case FaultType::kLatency:
      case FaultType::kHang:
        out.delay = std::chrono::milliseconds(
            Integer(fault, "ms", path, true, 0, kMaxMilliseconds).value_or(0));
        break;
      case FaultType::kReset:
      case FaultType::kDropResponse:
        break;
      case FaultType::kRespond:
        out.status =
            static_cast<int>(Integer(fault, "status", path, false, 100, 599).value_or(200));
        out.body = String(fault, "body", path, false, false).value_or("");
        out.content_type = String(fault, "content_type", path, false, true)
                               .value_or(std::string(kDefaultRespondContentType));
        break;
    }
    if (error_count() != errors_before) return std::nullopt;
    return out;
  }

  std::optional<Rule> ParseRule(const json& rule, std::size_t index, std::set<std::string>& names) {
    const std::string path = "$.rules[" + std::to_string(index) + "]";
    if (!ExpectType(rule, json::value_t::object, path, "an object")) return std::nullopt;
    const std::size_t errors_before = error_count();
    CheckKeys(
        rule, path,
        {"name", "description", "match", "probability", "from", "duration", "max_hits", "fault"});
    Rule out;
    if (auto name = String(rule, "name", path, false, true)) {
      if (!names.insert(*name).second)
        Report(path + ".name", "duplicate rule name " + Quoted(*name));
      out.name = std::move(*name);
    } else {
      out.name = "rules[" + std::to_string(index) + "]";
    }
    (void)String(rule, "description", path, false, false);
    if (const auto it = rule.find("match"); it != rule.end()) {
      if (auto match = ParseMatch(*it, path + ".match")) out.match = std::move(*match);
    }
    out.probability = Number(rule, "probability", path, 0.0, 1.0, "between 0 and 1").value_or(1.0);
    if (auto from = Number(rule, "from", path, 0.0, kMaxSeconds, "a number of seconds >= 0")) {
      out.from = resilience::FromSeconds(*from);
    }
    if (auto duration =
            Number(rule, "duration", path, 0.0, kMaxSeconds, "a number of seconds >= 0")) {
      out.duration = resilience::FromSeconds(*duration);
    }
    if (auto max_hits =
            Integer(rule, "max_hits", path, false, 0, std::numeric_limits<std::int64_t>::max())) {
      out.max_hits = static_cast<std::uint64_t>(*max_hits);
    }
    if (const auto it = rule.find("fault"); it != rule.end()) {
      if (auto fault = ParseFault(*it, path + ".fault")) out.fault = std::move(*fault);
    } else {
      Report(path + ".fault", "is required");
    }
    if (error_count() != errors_before) return std::nullopt;
    return out;
  }
};

}  // namespace

std::string_view FaultTypeName(FaultType type) noexcept { return NameOf(kFaultTypeNames, type); }

std::optional<FaultType> FaultTypeFromName(std::string_view name) noexcept {
  return FromName<FaultType>(kFaultTypeNames, name);
}

ParsedRules ParseRules(std::string_view json_text) {
  // Found by fuzzing: nlohmann's messages quote the bytes where parsing stopped (not always UTF-8,
  // and the errors are printed as JSON); a number like 1e400 throws out_of_range, not parse_error;
  // a document nested thousands deep overflows the stack when it is copied or printed.
  constexpr int kMaxDepth = 64;
  struct TooDeep {};
  const auto depth_limit = [](int depth, json::parse_event_t, json&) {
    if (depth > kMaxDepth) throw TooDeep{};
    return true;
  };
  const auto fail = [](std::string message) {
    for (char& c : message) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
    ParsedRules parsed;
    parsed.errors.push_back(ConfigError{"$", std::move(message)});
    return parsed;
  };
  json document;
  try {
    document = json::parse(json_text, depth_limit);
  } catch (const TooDeep&) {
    return fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
  } catch (const json::exception& e) {
    return fail(std::string("not valid JSON: ") + e.what());
  }
  return ParseRulesDocument(document);
}

ParsedRules ParseRulesDocument(const json& document) {
  ParsedRules parsed;
  Validator validator(parsed.errors);
  if (!validator.ExpectType(document, json::value_t::object, "$",
                            "an object with a \"rules\" list")) {
    return parsed;
  }
  validator.CheckKeys(document, "$", {"rules", "description", "throttling"});
  (void)validator.String(document, "description", "$", false, false);
  RuleSet rules;
  const auto it = document.find("rules");
  if (it == document.end()) {
    validator.Report("$.rules", "is required (a list of rules; [] for none)");
  } else if (validator.ExpectType(*it, json::value_t::array, "$.rules", "a list")) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (auto rule = validator.ParseRule((*it)[i], i, names))
        rules.rules.push_back(std::move(*rule));
    }
  }
  if (const auto section = document.find("throttling"); section != document.end()) {
    rules.throttling = ParseThrottlingSection(*section, parsed.errors);
  }
  if (parsed.errors.empty()) parsed.rules = std::move(rules);
  return parsed;
}

json RulesToJson(const RuleSet& rules) {
  json list = json::array();
  for (const Rule& rule : rules.rules) {
    json match = json::object();
    if (rule.match.actions.empty()) {
      match["action"] = "*";
    } else if (rule.match.actions.size() == 1) {
      match["action"] = rule.match.actions.front();
    } else {
      match["action"] = rule.match.actions;
    }
    match["service"] = rule.match.service ? std::string(ServiceName(*rule.match.service)) : "any";

    const Fault& f = rule.fault;
    json fault = {{"type", std::string(FaultTypeName(f.type))}};
    switch (f.type) {
      case FaultType::kThrottle:
        if (!f.message.empty()) fault["message"] = f.message;
        break;
      case FaultType::kError:
        fault["status"] = f.status;
        if (!f.code.empty()) fault["code"] = f.code;
        if (!f.message.empty()) fault["message"] = f.message;
        if (f.html) fault["html"] = true;
        break;
      case FaultType::kCapacity:
        if (!f.code.empty()) fault["code"] = f.code;
        if (!f.message.empty()) fault["message"] = f.message;
        break;
      case FaultType::kLatency:
      case FaultType::kHang:
        fault["ms"] = f.delay.count();
        break;
      case FaultType::kReset:
      case FaultType::kDropResponse:
        break;
      case FaultType::kRespond:
        fault["status"] = f.status;
        fault["body"] = f.body;
        fault["content_type"] = f.content_type;
        break;
    }

    json item = {
        {"name", rule.name}, {"match", std::move(match)}, {"probability", rule.probability}};
    if (rule.from != resilience::Duration::zero()) item["from"] = resilience::ToSeconds(rule.from);
    if (rule.duration) item["duration"] = resilience::ToSeconds(*rule.duration);
    if (rule.max_hits) item["max_hits"] = *rule.max_hits;
    item["fault"] = std::move(fault);
    list.push_back(std::move(item));
  }
  json document = {{"rules", std::move(list)}};
  if (rules.throttling) document["throttling"] = ThrottlingToJson(*rules.throttling);
  return document;
}

}  // namespace ohfp::chaos_proxy
