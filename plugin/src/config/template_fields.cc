#include "config/template_fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>
#include <system_error>

#include "base/strings.h"

namespace ohfp::config::internal {
namespace {

using base::FormatNumber;
using nlohmann::json;
using nlohmann::ordered_json;

bool IsTemplateIdChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::string> TagProblem(std::string_view key, std::string_view value) {
  if (key.empty()) return "a tag key must not be empty";
  if (key.size() > kMaxTagKey)
    return "the tag key " + base::Quoted(key) + " is longer than 128 characters";
  if (base::EqualsIgnoringCase(key.substr(0, 4), "aws:"))
    return "the tag key " + base::Quoted(key) + " starts with \"aws:\", which AWS reserves";
  if (value.size() > kMaxTagValue)
    return "the value of tag " + base::Quoted(key) + " is longer than 256 characters";
  return std::nullopt;
}

}  // namespace

bool IsValidTemplateId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxTemplateId &&
         std::all_of(id.begin(), id.end(), IsTemplateIdChar);
}

// "subnet-0123abcd": the prefix and at least 8 lowercase hex digits (AWS uses 8 or 17).
bool IsResourceId(std::string_view s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  const std::string_view digits = s.substr(prefix.size());
  return digits.size() >= 8 && digits.size() <= 32 &&
         std::all_of(digits.begin(), digits.end(), IsLowerHex);
}

// "c5.large", "u-6tb1.metal": a family and a size.
bool IsInstanceType(std::string_view s) {
  const std::size_t dot = s.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot + 1 == s.size() || s.size() > 64)
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

bool IsParameterName(std::string_view s) {
  constexpr std::size_t kMaxParameterName = 2048;
  if (s.empty() || s.size() > kMaxParameterName) return false;
  const std::size_t colon = s.find(':');
  const std::string_view name = s.substr(0, colon);
  const std::string_view selector =
      colon == std::string_view::npos ? std::string_view() : s.substr(colon + 1);
  const auto ok = [](std::string_view part) {
    return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-' ||
             c == '/';
    });
  };
  return ok(name) && (colon == std::string_view::npos || ok(selector));
}

// "2", "-1", "0.5": what a Numeric attribute holds.
bool IsDecimal(std::string_view s) {
  if (s.starts_with('-')) s.remove_prefix(1);
  const std::size_t dot = s.find('.');
  if (dot == std::string_view::npos) return IsDigits(s);
  return IsDigits(s.substr(0, dot)) && IsDigits(s.substr(dot + 1));
}

// A whole number above 0 written as digits ("2", "4096").
bool IsPositiveWholeNumber(std::string_view s) {
  return IsDigits(s) && s.find_first_not_of('0') != std::string_view::npos;
}

// "k=v;k2=v2" (spaces around keys and values are dropped; empty pairs, as after a trailing ';', are
// skipped).
std::vector<std::pair<std::string, std::string>> ParseInstanceTags(
    std::string_view text, std::vector<std::string>& problems) {
  std::vector<std::pair<std::string, std::string>> tags;
  std::set<std::string, std::less<>> seen;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = base::Trim(text.substr(start, end - start));
    start = end + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      problems.push_back(base::Quoted(pair) +
                         " is not a key=value pair (expected \"key=value;key2=value2\")");
      continue;
    }
    const std::string_view key = base::Trim(pair.substr(0, eq));
    const std::string_view value = base::Trim(pair.substr(eq + 1));
    if (std::optional<std::string> problem = TagProblem(key, value)) {
      problems.push_back(key.empty() ? base::Quoted(pair) + " has an empty key" : *problem);
      continue;
    }
    if (!seen.emplace(key).second) {
      problems.push_back("the tag key " + base::Quoted(key) + " appears twice");
      continue;
    }
    tags.emplace_back(std::string(key), std::string(value));
  }
  return tags;
}

std::optional<double> ParsePositiveDecimal(std::string_view s) {
  if (!IsDecimal(s) || s.starts_with('-')) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || !(value > 0) || !std::isfinite(value))
    return std::nullopt;
  return value;
}

// The keys of object `value` in file order when the order-preserving parse is at hand, else in
// `value`'s order.
std::vector<std::string> KeyOrder(const json& value, const ordered_json* ordered) {
  std::vector<std::string> keys;
  if (ordered != nullptr && ordered->is_object() && ordered->size() == value.size()) {
    for (auto it = ordered->begin(); it != ordered->end(); ++it) {
      if (!value.contains(it.key())) {
        keys.clear();
        break;
      }
      keys.push_back(it.key());
    }
    if (keys.size() == value.size()) return keys;
  }
  keys.clear();
  for (auto it = value.begin(); it != value.end(); ++it) keys.push_back(it.key());
  return keys;
}

const ordered_json* OrderedChild(const ordered_json* ordered, std::string_view key) {
  if (ordered == nullptr || !ordered->is_object()) return nullptr;
  auto it = ordered->find(key);
  return it == ordered->end() ? nullptr : &*it;
}

// ---- Fields with structure ----

namespace {

// The [type, value] pair of attribute `name` from either form: the pair, or IBM's bare value (a
// number is Numeric, a string String, except that ncpus, nram and ncores are Numeric either way).
// nullopt with a problem otherwise.
std::optional<std::pair<std::string, std::string>> AttributePair(
    const std::string& name, const json& v, const std::string& path,
    std::vector<ConfigProblem>& problems) {
  const bool counted = name == "ncpus" || name == "nram" || name == "ncores";
  if (v.is_number_integer()) return std::pair<std::string, std::string>{"Numeric", v.dump()};
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d)) return std::pair<std::string, std::string>{"Numeric", FormatNumber(d)};
  }
  if (v.is_string()) {
    return std::pair<std::string, std::string>{counted ? "Numeric" : "String",
                                               v.get<std::string>()};
  }
  if (v.is_array() && v.size() == 2 && v[0].is_string()) {
    const std::string& type = v[0].get_ref<const std::string&>();
    if (type != "String" && type != "Numeric") {
      problems.push_back(
          {path, "the type must be \"String\" or \"Numeric\", got " + base::Quoted(type)});
      return std::nullopt;
    }
    if (!v[1].is_string()) {
      problems.push_back(
          {path, "the value must be a string (a Numeric one too, e.g. [\"Numeric\", \"2\"]), got " +
                     JsonTypeName(v[1])});
      return std::nullopt;
    }
    return std::pair<std::string, std::string>{type, v[1].get<std::string>()};
  }
  problems.push_back({path,
                      "must be a [type, value] pair such as [\"Numeric\", \"2\"] or "
                      "[\"String\", \"X86_64\"], or a bare number or string as in IBM's "
                      "reference (\"ncpus\": 2), got " +
                          v.dump()});
  return std::nullopt;
}

}  // namespace

void ReadAttributes(ObjectReader& r, const ordered_json* ordered, model::Template& t,
                    std::vector<ConfigProblem>& problems) {
  const json* v = r.Raw("attributes");
  if (v == nullptr) {
    // ohfp reads ncpus and nram from the instance type; ReadTemplate checks that it can.
    t.attributes.push_back(model::Attribute{"type", "String", "X86_64"});
    return;
  }
  if (!v->is_object()) return r.Problem("attributes", "must be an object, got " + JsonTypeName(*v));
  const std::string base = r.path() + ".attributes";
  for (const std::string& name : KeyOrder(*v, OrderedChild(ordered, "attributes"))) {
    const std::string path = base + "." + name;
    std::optional<std::pair<std::string, std::string>> pair =
        AttributePair(name, v->at(name), path, problems);
    if (!pair) continue;
    const auto& [type, value] = *pair;
    const std::string shown = json::array({type, value}).dump();
    if (name == "type" && (type != "String" || value.empty())) {
      problems.push_back(
          {path, "must be a String attribute such as [\"String\", \"X86_64\"], got " + shown});
      continue;
    }
    if ((name == "ncpus" || name == "nram" || name == "ncores") &&
        (type != "Numeric" || !IsPositiveWholeNumber(value))) {
      problems.push_back(
          {path, "must be a whole number above 0 (2, or [\"Numeric\", \"2\"]), got " + shown});
      continue;
    }
    if (type == "Numeric" && !IsDecimal(value)) {
      problems.push_back({path, "a Numeric value must be a number written as a string, got " +
                                    base::Quoted(value)});
      continue;
    }
    t.attributes.push_back({name, type, value});
  }
  if (!v->contains("type"))
    t.attributes.insert(t.attributes.begin(), model::Attribute{"type", "String", "X86_64"});
}

// A string, or a non-empty list of strings, each a resource id with `prefix`.
std::vector<std::string> ReadIdList(ObjectReader& r, std::string_view key, std::string_view prefix,
                                    bool allow_single_string, bool allow_empty,
                                    std::vector<ConfigProblem>& problems) {
  std::vector<std::string> out;
  const json* v = r.Raw(key);
  if (v == nullptr) return out;
  const std::string path = r.path() + "." + std::string(key);
  const std::string example = std::string(prefix) + "0123456789abcdef0";
  auto check = [&](const json& item, const std::string& item_path) {
    if (!item.is_string()) {
      problems.push_back({item_path, "must be a string, got " + JsonTypeName(item)});
      return;
    }
    const std::string& id = item.get_ref<const std::string&>();
    if (!IsResourceId(id, prefix)) {
      problems.push_back(
          {item_path, "must be an id such as " + example + ", got " + base::Quoted(id)});
      return;
    }
    if (std::find(out.begin(), out.end(), id) != out.end()) {
      problems.push_back({item_path, base::Quoted(id) + " is listed twice"});
      return;
    }
    out.push_back(id);
  };
  if (allow_single_string && v->is_string()) {
    check(*v, path);
  } else if (v->is_array()) {
    if (v->empty() && !allow_empty) problems.push_back({path, "must list at least one id"});
    for (std::size_t i = 0; i < v->size(); ++i)
      check((*v)[i], path + "[" + std::to_string(i) + "]");
  } else {
    problems.push_back(
        {path, std::string(allow_single_string ? "must be a string or a list of strings"
                                               : "must be a list of strings") +
                   ", got " + JsonTypeName(*v)});
  }
  return out;
}

std::vector<std::pair<std::string, double>> ReadTypeNumbers(ObjectReader& r, std::string_view key,
                                                            const ordered_json* ordered,
                                                            bool allow_zero,
                                                            std::vector<ConfigProblem>& problems) {
  std::vector<std::pair<std::string, double>> out;
  const json* v = r.Raw(key);
  if (v == nullptr) return out;
  const std::string what = allow_zero ? "priority" : "weight";
  if (!v->is_object()) {
    r.Problem(key, "must be an object of instance type -> " + what + ", e.g. {\"c5.large\": " +
                       (allow_zero ? "0" : "1") + ", \"c5.xlarge\": " + (allow_zero ? "1" : "2") +
                       "}, got " + JsonTypeName(*v));
    return out;
  }
  if (v->empty()) {
    r.Problem(key, "must name at least one instance type");
    return out;
  }
  const std::string base = r.path() + "." + std::string(key);
  for (const std::string& type : KeyOrder(*v, OrderedChild(ordered, key))) {
    const json& number = v->at(type);
    const std::string path = base + "." + type;
    if (!IsInstanceType(type)) {
      problems.push_back({path, "is not an instance type name such as c5.large"});
      continue;
    }
    const bool finite = number.is_number() && std::isfinite(number.get<double>());
    const bool in_range =
        finite && (allow_zero ? number.get<double>() >= 0 : number.get<double>() > 0);
    if (!in_range) {
      problems.push_back({path, "the " + what + " must be a number " +
                                    (allow_zero ? "of 0 or more" : "above 0") + ", got " +
                                    number.dump()});
      continue;
    }
    out.emplace_back(type, number.get<double>());
  }
  return out;
}

void ReadVmTypes(ObjectReader& r, const ordered_json* ordered, model::Template& t,
                 std::vector<ConfigProblem>& problems) {
  t.vm_types = ReadTypeNumbers(r, "vmTypes", ordered, /*allow_zero=*/false, problems);
  if (!t.vm_types.empty()) t.vm_type = t.vm_types.front().first;
  t.vm_types_on_demand =
      ReadTypeNumbers(r, "vmTypesOnDemand", ordered, /*allow_zero=*/false, problems);
  t.vm_types_priority =
      ReadTypeNumbers(r, "vmTypesPriority", ordered, /*allow_zero=*/true, problems);
}

std::optional<std::string> ReadPrice(ObjectReader& r, std::string_view key) {
  const json* v = r.Raw(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) {
    const double price = v->get<double>();
    if (std::isfinite(price) && price > 0) return v->dump();
    r.Problem(key, "must be a price above 0 (US dollars per hour), got " + v->dump());
  } else if (v->is_string()) {
    const auto& text = v->get_ref<const std::string&>();
    if (ParsePositiveDecimal(text)) return text;
    r.Problem(key, "must be a price above 0 (US dollars per hour) such as \"0.05\", got " +
                       base::Quoted(text));
  } else {
    r.Problem(key, "must be a string or a number, got " + JsonTypeName(*v));
  }
  return std::nullopt;
}

std::optional<bool> ReadFlag(ObjectReader& r, std::string_view key) {
  const json* v = r.Raw(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    const std::string_view text = v->get_ref<const std::string&>();
    if (base::EqualsIgnoringCase(text, "true")) return true;
    if (base::EqualsIgnoringCase(text, "false")) return false;
  }
  r.Problem(key, "must be true or false (or \"true\", \"false\"), got " + v->dump());
  return std::nullopt;
}

void ReadInteger(ObjectReader& r, std::string_view key, int min, int max, std::optional<int>& out) {
  std::optional<int> n;
  r.Int(key, n);
  if (!n) return;
  if (*n < min || *n > max) {
    return r.Problem(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                              ", got " + std::to_string(*n));
  }
  out = n;
}

}  // namespace ohfp::config::internal
