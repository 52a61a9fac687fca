// config/json_reader.h
//
// ObjectReader: reads one JSON object of a configuration file into typed fields, collecting every
// problem with its JSON path instead of stopping at the first: a wrong type, a number that cannot
// be a duration, an unknown key. Ranges are checked by the config model's own Validate() functions;
// this file only knows JSON.
//
// Thread-safety: a reader belongs to one thread.
//
// Example:
//   std::vector<ConfigProblem> problems;
//   ObjectReader r(json, "resilience.retry", problems);
//   r.Bool("enabled", config.enabled);
//   r.Int("default_max_attempts", config.default_max_attempts);
//   r.Finish();   // reports keys nobody asked for
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/config.h"
#include "ohfp/resilience/result.h"

namespace ohfp::config {

using resilience::ConfigProblem;
using resilience::Duration;

// "a string", "an integer", ...: how a JSON value's type reads in an error message.
std::string JsonTypeName(const nlohmann::json& value);

class ObjectReader {
 public:
  // Reports "must be an object" when `value` is not one; every read then does nothing.
  ObjectReader(const nlohmann::json& value, std::string path, std::vector<ConfigProblem>& problems);

  bool is_object() const noexcept { return object_ != nullptr; }
  const std::string& path() const noexcept { return path_; }
  bool Has(std::string_view key) const;

  // Each reader marks `key` as known and, when present with the right type, stores it in `out`.
  void Bool(std::string_view key, bool& out);
  void Int(std::string_view key, int& out);
  void Int(std::string_view key, std::optional<int>& out);
  void Double(std::string_view key, double& out);
  void Double(std::string_view key, std::optional<double>& out);
  void String(std::string_view key, std::string& out);
  void String(std::string_view key, std::optional<std::string>& out);
  // A number of seconds (integer or fraction) as a Duration.
  void Seconds(std::string_view key, Duration& out);
  void Seconds(std::string_view key, std::optional<Duration>& out);
  // A nested object, read by `read`.
  void Object(std::string_view key, const std::function<void(ObjectReader&)>& read);
  // An object whose keys are names chosen by the user (services, operations): `read` gets each name
  // and value.
  void Entries(std::string_view key,
               const std::function<void(const std::string& name, const nlohmann::json& value,
                                        const std::string& path)>& read);
  // The raw value of `key` (marks it known); null when absent.
  const nlohmann::json* Raw(std::string_view key);

  void Problem(std::string_view key, std::string message);
  // Reports every key that no reader asked for. Call once, after the reads.
  void Finish();

 private:
  const nlohmann::json* Get(std::string_view key);
  // The value of `key` when `is` says it has the right type; else null, after reporting that it
  // "must be `what`" when present.
  const nlohmann::json* GetTyped(std::string_view key, bool (nlohmann::json::*is)() const noexcept,
                                 std::string_view what);
  // Reads `key` with `read`, the std::optional overload of a reader, into `out` when present.
  template <class T>
  void ReadInto(void (ObjectReader::*read)(std::string_view, std::optional<T>&),
                std::string_view key, T& out) {
    std::optional<T> value;
    (this->*read)(key, value);
    if (value) out = *std::move(value);
  }
  std::string PathOf(std::string_view key) const;

  const nlohmann::json* object_;
  std::string path_;
  std::vector<ConfigProblem>& problems_;
  std::set<std::string, std::less<>> known_;
};

// Seconds as a Duration, or a problem: not a number, not finite, or beyond ±1e9 s.
std::optional<Duration> SecondsFromJson(const nlohmann::json& value, const std::string& path,
                                        std::vector<ConfigProblem>& problems);

}  // namespace ohfp::config
