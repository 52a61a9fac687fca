#include "config/json_reader.h"

#include <algorithm>
#include <cmath>

namespace ohfp::config {

std::string JsonTypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::binary:
    case nlohmann::json::value_t::discarded:
      return "an unsupported value";
  }
  return "an unsupported value";
}

ObjectReader::ObjectReader(const nlohmann::json& value, std::string path,
                           std::vector<ConfigProblem>& problems)
    : object_(value.is_object() ? &value : nullptr), path_(std::move(path)), problems_(problems) {
  if (object_ == nullptr)
    problems_.push_back({path_, "must be an object, got " + JsonTypeName(value)});
}

std::string ObjectReader::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

bool ObjectReader::Has(std::string_view key) const {
  return object_ != nullptr && object_->find(key) != object_->end();
}

const nlohmann::json* ObjectReader::Get(std::string_view key) {
  known_.emplace(key);
  if (object_ == nullptr) return nullptr;
  auto it = object_->find(key);
  return it == object_->end() ? nullptr : &*it;
}

const nlohmann::json* ObjectReader::Raw(std::string_view key) { return Get(key); }

void ObjectReader::Problem(std::string_view key, std::string message) {
  problems_.push_back({PathOf(key), std::move(message)});
}

const nlohmann::json* ObjectReader::GetTyped(std::string_view key,
                                             bool (nlohmann::json::*is)() const noexcept,
                                             std::string_view what) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr || (v->*is)()) return v;
  Problem(key, "must be " + std::string(what) + ", got " + JsonTypeName(*v));
  return nullptr;
}

void ObjectReader::Bool(std::string_view key, bool& out) {
  if (const nlohmann::json* v = GetTyped(key, &nlohmann::json::is_boolean, "true or false")) {
    out = v->get<bool>();
  }
}

void ObjectReader::Int(std::string_view key, int& out) { ReadInto(&ObjectReader::Int, key, out); }

void ObjectReader::Int(std::string_view key, std::optional<int>& out) {
  const nlohmann::json* v = GetTyped(key, &nlohmann::json::is_number_integer, "an integer");
  if (v == nullptr) return;
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > 1'000'000'000) {
    return Problem(key, "is out of range: " + v->dump());
  }
  const auto n = v->get<std::int64_t>();
  if (n < -1'000'000'000 || n > 1'000'000'000) return Problem(key, "is out of range: " + v->dump());
  out = static_cast<int>(n);
}

void ObjectReader::Double(std::string_view key, double& out) {
  ReadInto(&ObjectReader::Double, key, out);
}

void ObjectReader::Double(std::string_view key, std::optional<double>& out) {
  if (const nlohmann::json* v = GetTyped(key, &nlohmann::json::is_number, "a number")) {
    out = v->get<double>();
  }
}

void ObjectReader::String(std::string_view key, std::string& out) {
  ReadInto(&ObjectReader::String, key, out);
}

void ObjectReader::String(std::string_view key, std::optional<std::string>& out) {
  if (const nlohmann::json* v = GetTyped(key, &nlohmann::json::is_string, "a string")) {
    out = v->get<std::string>();
  }
}

std::optional<Duration> SecondsFromJson(const nlohmann::json& value, const std::string& path,
                                        std::vector<ConfigProblem>& problems) {
  if (!value.is_number()) {
    problems.push_back({path, "must be a number of seconds, got " + JsonTypeName(value)});
    return std::nullopt;
  }
  const double s = value.get<double>();
  if (!std::isfinite(s) || std::fabs(s) > 1e9) {
    problems.push_back({path, "is not a usable number of seconds: " + value.dump()});
    return std::nullopt;
  }
  return resilience::FromSeconds(s);
}

void ObjectReader::Seconds(std::string_view key, Duration& out) {
  ReadInto(&ObjectReader::Seconds, key, out);
}

void ObjectReader::Seconds(std::string_view key, std::optional<Duration>& out) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return;
  if (auto d = SecondsFromJson(*v, PathOf(key), problems_)) out = *d;
}

void ObjectReader::Object(std::string_view key, const std::function<void(ObjectReader&)>& read) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return;
  ObjectReader child(*v, PathOf(key), problems_);
  if (!child.is_object()) return;
  read(child);
  child.Finish();
}

void ObjectReader::Entries(std::string_view key,
                           const std::function<void(const std::string&, const nlohmann::json&,
                                                    const std::string&)>& read) {
  const nlohmann::json* v = GetTyped(key, &nlohmann::json::is_object, "an object");
  if (v == nullptr) return;
  for (auto it = v->begin(); it != v->end(); ++it)
    read(it.key(), it.value(), PathOf(key) + "." + it.key());
}

void ObjectReader::Finish() {
  if (object_ == nullptr) return;
  std::string known;
  for (const std::string& k : known_) known += (known.empty() ? "" : ", ") + k;
  for (auto it = object_->begin(); it != object_->end(); ++it) {
    if (known_.find(it.key()) == known_.end()) {
      problems_.push_back({PathOf(it.key()), "is not a known key (known here: " + known + ")"});
    }
  }
}

}  // namespace ohfp::config
