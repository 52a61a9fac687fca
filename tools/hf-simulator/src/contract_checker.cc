// The contract's rules, one function per output shape. Source of every rule:
// docs/hostfactory-contract.md (each rule cited in the comments), nothing else.
#include "ohfp/hf_simulator/contract_checker.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <utility>

namespace ohfp::hf_simulator {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::string_view, 3> kRequestStatuses = {"running", "complete",
                                                              "complete_with_error"};
constexpr std::array<std::string_view, 3> kMachineResults = {"executing", "succeed", "fail"};
constexpr std::array<std::string_view, 3> kPriceTypes = {"ondemand", "spot", "heterogeneous"};
constexpr std::array<std::string_view, 2> kAttributeTypes = {"String", "Numeric"};
// Later than this as a launch time is milliseconds (year 5138 in seconds), not epoch seconds.
constexpr std::int64_t kMaxEpochSeconds = 100'000'000'000;
constexpr std::size_t kMaxTemplateIdLength = 64;

// What a JSON value is, for messages.
constexpr std::pair<Json::value_t, const char*> kTypeNames[] = {
    {Json::value_t::null, "null"},
    {Json::value_t::boolean, "a boolean"},
    {Json::value_t::string, "a string"},
    {Json::value_t::number_integer, "an integer"},
    {Json::value_t::number_unsigned, "an integer"},
    {Json::value_t::number_float, "a fractional number"},
    {Json::value_t::array, "an array"},
    {Json::value_t::object, "an object"},
};

std::string TypeName(const Json& v) {
  for (const auto& [type, name] : kTypeNames) {
    if (type == v.type()) return name;
  }
  return "not JSON";
}

// A short rendering of a value for messages.
std::string Shown(const Json& v) {
  std::string s = v.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

template <std::size_t N>
bool OneOf(const std::array<std::string_view, N>& allowed, std::string_view value) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

template <std::size_t N>
std::string ListOf(const std::array<std::string_view, N>& allowed) {
  std::string s;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) s += i + 1 == N ? " or " : ", ";
    s += "\"" + std::string(allowed[i]) + "\"";
  }
  return s;
}

std::string Index(std::string_view base, std::size_t i) {
  return std::string(base) + "[" + std::to_string(i) + "]";
}

std::string Field(std::string_view base, std::string_view name) {
  return base.empty() ? std::string(name) : std::string(base) + "." + std::string(name);
}

// Appends violations for one command; remembers the command's name.
class Reporter {
 public:
  Reporter(Command command, std::vector<Violation>& out)
      : command_(CommandName(command)), out_(out) {}

  void Add(std::string path, std::string problem) {
    out_.push_back({command_, std::move(path), std::move(problem)});
  }

  // True when `value` (at `path`) is an object; a violation otherwise.
  bool IsObject(const Json& value, const std::string& path) {
    if (value.is_object()) return true;
    Add(path, "must be an object, got " + TypeName(value));
    return false;
  }

  // The member `name` of `object` (at `base`), when present; a violation when required and absent.
  const Json* Member(const Json& object, std::string_view base, std::string_view name,
                     bool required) {
    auto it = object.find(name);
    if (it == object.end()) {
      if (required) Add(Field(base, name), "is required but missing");
      return nullptr;
    }
    return &*it;
  }

  // A required or optional string member; returns it when it is a string.
  const std::string* String(const Json& object, std::string_view base, std::string_view name,
                            bool required, bool non_empty) {
    const Json* v = Member(object, base, name, required);
    if (v == nullptr) return nullptr;
    if (!v->is_string()) {
      Add(Field(base, name), "must be a string, got " + TypeName(*v) + " " + Shown(*v));
      return nullptr;
    }
    const std::string* s = v->get_ptr<const std::string*>();
    if (non_empty && s->empty()) Add(Field(base, name), "must not be empty");
    return s;
  }

  // A required or optional integer member; returns it when it is an integer.
  std::optional<std::int64_t> Integer(const Json& object, std::string_view base,
                                      std::string_view name, bool required) {
    const Json* v = Member(object, base, name, required);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer()) {
      Add(Field(base, name), "must be an integer, got " + TypeName(*v) + " " + Shown(*v));
      return std::nullopt;
    }
    if (v->is_number_unsigned() &&
        v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      Add(Field(base, name), "is out of range: " + Shown(*v));
      return std::nullopt;
    }
    return v->get<std::int64_t>();
  }

  // A required array member; returns it when it is an array.
  const Json* Array(const Json& object, std::string_view base, std::string_view name) {
    const Json* v = Member(object, base, name, /*required=*/true);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) {
      Add(Field(base, name), "must be an array, got " + TypeName(*v));
      return nullptr;
    }
    return v;
  }

  // The top-level "message" of a successful answer: optional, a string when present.
  void OptionalMessage(const Json& doc) {
    (void)String(doc, "", "message", /*required=*/false, /*non_empty=*/false);
  }

 private:
  std::string command_;
  std::vector<Violation>& out_;
};

bool IsDecimalNumber(std::string_view s) {
  // "2", "4096", "0.5": digits, at most one point with digits on both sides, an optional minus.
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const std::size_t int_start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) ++i;
  if (i == int_start) return false;
  if (i == s.size()) return true;
  if (s[i] != '.') return false;
  ++i;
  const std::size_t frac_start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) ++i;
  return i > frac_start && i == s.size();
}

bool IsTemplateId(std::string_view s) {
  return !s.empty() && s.size() <= kMaxTemplateIdLength &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
         });
}

// "attributes": {"name": ["String" | "Numeric", "value"]}; "type", "ncpus", "nram" required.
void CheckAttributes(Reporter& r, const Json& t, const std::string& base) {
  const Json* attrs = r.Member(t, base, "attributes", /*required=*/true);
  if (attrs == nullptr) return;
  const std::string path = Field(base, "attributes");
  if (!attrs->is_object()) {
    r.Add(path, "must be an object of [type, value] pairs, got " + TypeName(*attrs));
    return;
  }
  for (const char* required : {"type", "ncpus", "nram"}) {
    if (attrs->find(required) == attrs->end()) {
      r.Add(Field(path, required), "is required but missing (HostFactory needs type, ncpus, nram)");
    }
  }
  for (const auto& [name, value] : attrs->items()) {
    const std::string at = Field(path, name);
    if (!value.is_array() || value.size() != 2 || !value[0].is_string() || !value[1].is_string()) {
      r.Add(at,
            "must be a pair of strings [\"String\" | \"Numeric\", \"value\"], got " + Shown(value));
      continue;
    }
    const std::string type = value[0].get<std::string>();
    const std::string text = value[1].get<std::string>();
    if (!OneOf(kAttributeTypes, type)) {
      r.Add(Index(at, 0), "must be " + ListOf(kAttributeTypes) + ", got \"" + type + "\"");
      continue;
    }
    if (type == "Numeric" && !IsDecimalNumber(text)) {
      r.Add(Index(at, 1), "is Numeric, so must be a decimal number, got \"" + text + "\"");
    }
    if (name == "type" && type != "String") r.Add(Index(at, 0), "must be \"String\"");
    if (name == "ncpus" || name == "nram" || name == "ncores") {
      if (type != "Numeric") {
        r.Add(Index(at, 0), "must be \"Numeric\"");
      } else if (IsDecimalNumber(text) && std::stod(text) <= 0) {
        r.Add(Index(at, 1), "must be above 0, got \"" + text + "\"");
      }
    }
  }
}

// Rules linking a machine's EC2 state to its result, by request kind.
void CheckMachineState(Reporter& r, const std::string& at, RequestKind kind,
                       const std::string& result, const std::string& status) {
  const auto bad = [&](const std::string& why) {
    r.Add(at, why + " (result \"" + result + "\", status \"" + status + "\")");
  };
  if (kind == RequestKind::kAcquire) {
    // "For an acquire request, a running instance is succeed, a pending one executing, one that
    // died fail." (A pending instance past the pending timeout is terminated and reported failed.)
    if (status == "running" && result != "succeed") bad("a running instance must be succeed");
    if (status == "pending" && result == "succeed") bad("a pending instance cannot be succeed");
    if (status != "running" && status != "pending" && result != "fail") {
      bad("an instance that died must be fail");
    }
  } else if (kind == RequestKind::kReturn) {
    // "For a return request, a terminated instance is succeed, one still shutting down
    // executing."
    if (status == "terminated" && result != "succeed") bad("a terminated instance must be succeed");
    if (status == "shutting-down" && result != "executing") {
      bad("an instance still shutting down must be executing");
    }
    if (result == "succeed" && status != "terminated")
      bad("only a terminated instance is returned");
  }
}

// IBM's optional machine fields: "priceType ondemand|spot, instanceType and instanceTags strings,
// cloudHostId a string or null" (a checker accepts them and never requires them).
void CheckOptionalMachineFields(Reporter& r, const Json& m, const std::string& at) {
  if (const std::string* price = r.String(m, at, "priceType", false, true)) {
    if (*price != "ondemand" && *price != "spot") {
      r.Add(Field(at, "priceType"), "must be \"ondemand\" or \"spot\", got \"" + *price + "\"");
    }
  }
  (void)r.String(m, at, "instanceType", false, true);
  (void)r.String(m, at, "instanceTags", false, false);
  const Json* host = r.Member(m, at, "cloudHostId", /*required=*/false);
  if (host != nullptr && !host->is_null() && !host->is_string()) {
    r.Add(Field(at, "cloudHostId"), "must be a string or null, got " + TypeName(*host));
  }
}

void CheckMachine(Reporter& r, const Json& m, const std::string& at, RequestKind kind,
                  int& executing, int& failed) {
  if (!r.IsObject(m, at)) return;
  (void)r.String(m, at, "machineId", true, true);
  // "name is the host name HostFactory will use".
  (void)r.String(m, at, "name", true, true);
  const std::string* result = r.String(m, at, "result", true, false);
  if (result != nullptr && !OneOf(kMachineResults, *result)) {
    r.Add(Field(at, "result"), "must be " + ListOf(kMachineResults) + ", got \"" + *result + "\"");
    result = nullptr;
  }
  // "status is optional (IBM: the machine's state); when present, an EC2 state."
  const std::string* status = r.String(m, at, "status", false, false);
  if (status != nullptr && !OneOf(kEc2States, *status)) {
    r.Add(Field(at, "status"),
          "must be an EC2 state (" + ListOf(kEc2States) + "), got \"" + *status + "\"");
    status = nullptr;
  }
  CheckOptionalMachineFields(r, m, at);
  for (const char* ip : {"privateIpAddress", "publicIpAddress"}) {
    const Json* v = r.Member(m, at, ip, /*required=*/true);
    if (v == nullptr || v->is_null()) continue;
    if (!v->is_string()) {
      r.Add(Field(at, ip), "must be a string or null, got " + TypeName(*v));
    } else if (v->get<std::string>().empty()) {
      r.Add(Field(at, ip), "must be an address or null, got an empty string");
    }
  }
  // "launchtime is epoch seconds."
  if (auto launch = r.Integer(m, at, "launchtime", true)) {
    if (*launch < 0) {
      r.Add(Field(at, "launchtime"),
            "must be epoch seconds (>= 0), got " + std::to_string(*launch));
    } else if (*launch >= kMaxEpochSeconds) {
      r.Add(Field(at, "launchtime"),
            "must be epoch seconds, got " + std::to_string(*launch) + " (milliseconds?)");
    }
  }
  // "message is required when result is fail."
  const bool fail = result != nullptr && *result == "fail";
  const std::string* message = r.String(m, at, "message", fail, false);
  if (fail && message != nullptr && message->empty()) {
    r.Add(Field(at, "message"), "must say why when result is \"fail\"");
  }
  if (result != nullptr && status != nullptr) CheckMachineState(r, at, kind, *result, *status);
  if (result != nullptr && *result == "executing") ++executing;
  if (result != nullptr && *result == "fail") ++failed;
}

std::optional<Json> ParseOneDocument(std::string_view text, std::string* problem) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    *problem = "is empty: expected one JSON document";
    return std::nullopt;
  }
  std::istringstream in{std::string(text)};
  Json doc;
  try {
    in >> doc;
  } catch (const Json::exception& e) {
    *problem = std::string("is not a JSON document: ") + e.what();
    return std::nullopt;
  }
  std::string rest;
  char c = 0;
  while (in.get(c)) rest += c;
  if (const auto pos = rest.find_first_not_of(" \t\r\n"); pos != std::string::npos) {
    std::string extra = rest.substr(pos, 60);
    *problem = "holds more than one JSON document: after the first one comes \"" + extra + "\"";
    return std::nullopt;
  }
  return doc;
}

}  // namespace

std::string_view CommandName(Command command) noexcept {
  switch (command) {
    case Command::kGetAvailableTemplates:
      return "getAvailableTemplates";
    case Command::kRequestMachines:
      return "requestMachines";
    case Command::kGetRequestStatus:
      return "getRequestStatus";
    case Command::kRequestReturnMachines:
      return "requestReturnMachines";
    case Command::kGetReturnRequests:
      return "getReturnRequests";
  }
  return "?";
}

std::optional<Command> ParseCommand(std::string_view name) noexcept {
  for (Command c : kAllCommands) {
    if (CommandName(c) == name) return c;
  }
  return std::nullopt;
}

std::string Violation::ToString() const { return command + ": " + path + ": " + problem; }

nlohmann::json Violation::ToJson() const {
  return {{"command", command}, {"path", path}, {"problem", problem}};
}

void CheckTemplatesDocument(const Json& doc, std::vector<Violation>& out) {
  Reporter r(Command::kGetAvailableTemplates, out);
  r.OptionalMessage(doc);
  const Json* templates = r.Array(doc, "", "templates");
  if (templates == nullptr) return;
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < templates->size(); ++i) {
    const Json& t = (*templates)[i];
    const std::string at = Index("templates", i);
    if (!r.IsObject(t, at)) continue;
    // "templateId, maxNumber and attributes with type, ncpus, nram are required."
    if (const std::string* id = r.String(t, at, "templateId", true, true)) {
      if (!id->empty() && !IsTemplateId(*id)) {
        r.Add(Field(at, "templateId"), "must be at most 64 of [A-Za-z0-9_-], got \"" + *id + "\"");
      }
      if (auto [it, fresh] = seen.emplace(*id, i); !fresh) {
        r.Add(Field(at, "templateId"), "\"" + *id + "\" is listed twice (also templates[" +
                                           std::to_string(it->second) + "])");
      }
    }
    // "maxNumber -1 means unlimited."
    const std::optional<std::int64_t> max = r.Integer(t, at, "maxNumber", true);
    if (max && *max < -1) {
      r.Add(Field(at, "maxNumber"), "must be -1 (unlimited) or >= 0, got " + std::to_string(*max));
    }
    if (auto available = r.Integer(t, at, "availableNumber", false)) {
      if (*available < 0) {
        r.Add(Field(at, "availableNumber"), "must be >= 0, got " + std::to_string(*available));
      } else if (max && *max >= 0 && *available > *max) {
        r.Add(Field(at, "availableNumber"),
              "is " + std::to_string(*available) + ", more than maxNumber " + std::to_string(*max));
      }
    }
    CheckAttributes(r, t, at);
    (void)r.String(t, at, "imageId", false, true);
    (void)r.String(t, at, "vmType", false, true);
    if (const std::string* price = r.String(t, at, "priceType", false, false)) {
      if (!OneOf(kPriceTypes, *price)) {
        r.Add(Field(at, "priceType"),
              "must be " + ListOf(kPriceTypes) + ", got \"" + *price + "\"");
      }
    }
  }
}

void CheckRequestIdDocument(Command command, const Json& doc, std::vector<Violation>& out) {
  Reporter r(command, out);
  (void)r.String(doc, "", "requestId", /*required=*/true, /*non_empty=*/true);
  r.OptionalMessage(doc);
}

void CheckRequestStatusDocument(const Json& doc, const CheckContext& context,
                                std::vector<Violation>& out) {
  Reporter r(Command::kGetRequestStatus, out);
  const Json* requests = r.Array(doc, "", "requests");
  if (requests == nullptr) return;
  std::map<std::string, RequestKind> asked;
  for (const AskedRequest& a : context.asked_requests) asked.emplace(a.request_id, a.kind);
  std::map<std::string, std::size_t> answered;
  for (std::size_t i = 0; i < requests->size(); ++i) {
    const Json& q = (*requests)[i];
    const std::string at = Index("requests", i);
    if (!r.IsObject(q, at)) continue;
    RequestKind kind = RequestKind::kUnspecified;
    if (const std::string* id = r.String(q, at, "requestId", true, true)) {
      if (auto [it, fresh] = answered.emplace(*id, i); !fresh) {
        r.Add(Field(at, "requestId"), "\"" + *id + "\" is answered twice (also requests[" +
                                          std::to_string(it->second) + "])");
      }
      if (!asked.empty()) {
        auto a = asked.find(*id);
        if (a == asked.end()) {
          r.Add(Field(at, "requestId"), "\"" + *id + "\" was not asked about");
        } else {
          kind = a->second;
        }
      }
    }
    const std::string* status = r.String(q, at, "status", true, false);
    if (status != nullptr && !OneOf(kRequestStatuses, *status)) {
      r.Add(Field(at, "status"),
            "must be " + ListOf(kRequestStatuses) + ", got \"" + *status + "\"");
      status = nullptr;
    }
    const std::string* message = r.String(q, at, "message", true, false);
    const Json* machines = r.Array(q, at, "machines");
    int executing = 0;
    int failed = 0;
    if (machines != nullptr) {
      const RequestKind machine_kind =
          kind == RequestKind::kNeverIssued ? RequestKind::kUnspecified : kind;
      for (std::size_t j = 0; j < machines->size(); ++j) {
        CheckMachine(r, (*machines)[j], Index(Field(at, "machines"), j), machine_kind, executing,
                     failed);
      }
    }
    if (status == nullptr) continue;
    // "running (still working), complete (all done), complete_with_error (done, some or all
    // failed)": a finished request has no machine still executing, and a complete one no failure.
    if (*status != "running" && executing > 0) {
      r.Add(Field(at, "status"), "is \"" + *status + "\" but " + std::to_string(executing) +
                                     " machine(s) are still executing");
    }
    if (*status == "complete" && failed > 0) {
      r.Add(Field(at, "status"), "is \"complete\" but " + std::to_string(failed) +
                                     " machine(s) failed: must be complete_with_error");
    }
    // "An unknown request id gets an entry with complete_with_error and a message."
    if (kind == RequestKind::kNeverIssued) {
      if (*status != "complete_with_error") {
        r.Add(Field(at, "status"),
              "an unknown request id must be \"complete_with_error\", got \"" + *status + "\"");
      }
      if (message != nullptr && message->empty()) {
        r.Add(Field(at, "message"), "must say why an unknown request id failed");
      }
      if (machines != nullptr && !machines->empty()) {
        r.Add(Field(at, "machines"), "an unknown request id cannot have machines");
      }
    }
  }
  for (const AskedRequest& a : context.asked_requests) {
    if (answered.count(a.request_id) == 0) {
      r.Add("requests", "has no entry for \"" + a.request_id + "\", which was asked about");
    }
  }
}

void CheckReturnRequestsDocument(const Json& doc, const CheckContext& context,
                                 std::vector<Violation>& out) {
  Reporter r(Command::kGetReturnRequests, out);
  r.OptionalMessage(doc);
  const Json* requests = r.Array(doc, "", "requests");
  if (requests == nullptr) return;
  std::set<std::string> held;
  for (const MachineRef& m : context.held_machines) {
    if (!m.name.empty()) held.insert(m.name);
    if (!m.machine_id.empty()) held.insert(m.machine_id);
  }
  for (std::size_t i = 0; i < requests->size(); ++i) {
    const Json& q = (*requests)[i];
    const std::string at = Index("requests", i);
    if (!r.IsObject(q, at)) continue;
    if (const std::string* machine = r.String(q, at, "machine", true, true)) {
      if (!held.empty() && !machine->empty() && held.count(*machine) == 0) {
        r.Add(Field(at, "machine"),
              "\"" + *machine + "\" is not one of the machines HostFactory passed in");
      }
    }
    // "gracePeriod is the seconds left."
    if (auto grace = r.Integer(q, at, "gracePeriod", true); grace && *grace < 0) {
      r.Add(Field(at, "gracePeriod"), "must be >= 0 seconds, got " + std::to_string(*grace));
    }
  }
}

void CheckErrorDocument(Command command, const Json& doc, std::vector<Violation>& out) {
  // "On failure, still print a JSON object with a message, and exit non-zero."
  Reporter r(command, out);
  (void)r.String(doc, "", "message", /*required=*/true, /*non_empty=*/true);
}

CheckResult CheckOutput(Command command, int exit_code, std::string_view stdout_text,
                        const CheckContext& context) {
  CheckResult result;
  Reporter r(command, result.violations);
  if (exit_code < 0) {
    r.Add("exit code", "the process was killed by signal " + std::to_string(-exit_code));
  } else if (exit_code != 0 && context.failure_exit_codes.count(exit_code) == 0) {
    std::string allowed;
    for (int c : context.failure_exit_codes)
      allowed += (allowed.empty() ? "" : ", ") + std::to_string(c);
    r.Add("exit code", "must be 0 or a documented failure code (" + allowed + "), got " +
                           std::to_string(exit_code));
  }
  std::string problem;
  std::optional<Json> doc = ParseOneDocument(stdout_text, &problem);
  if (!doc) {
    r.Add("stdout", problem);
    return result;
  }
  result.parsed = true;
  result.document = std::move(*doc);
  if (!result.document.is_object()) {
    r.Add("stdout", "must be a JSON object, got " + TypeName(result.document));
    return result;
  }
  if (exit_code != 0) {
    CheckErrorDocument(command, result.document, result.violations);
    return result;
  }
  switch (command) {
    case Command::kGetAvailableTemplates:
      CheckTemplatesDocument(result.document, result.violations);
      break;
    case Command::kRequestMachines:
    case Command::kRequestReturnMachines:
      CheckRequestIdDocument(command, result.document, result.violations);
      break;
    case Command::kGetRequestStatus:
      CheckRequestStatusDocument(result.document, context, result.violations);
      break;
    case Command::kGetReturnRequests:
      CheckReturnRequestsDocument(result.document, context, result.violations);
      break;
  }
  return result;
}

}  // namespace ohfp::hf_simulator
