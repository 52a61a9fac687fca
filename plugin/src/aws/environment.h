// aws/environment.h
//
// Environment: where configuration from environment variables comes from. Code below the CLI never
// calls getenv; it is handed an Environment. The CLI builds a ProcessEnvironment once; tests build
// a MapEnvironment.
//
// Thread-safety: MapEnvironment is immutable after construction; ProcessEnvironment reads the
// process environment, which must not be modified concurrently (the CLI never does).
//
// Example:
//   MapEnvironment env({{"AWS_REGION", "us-east-1"}});
//   std::optional<std::string> region = env.Get("AWS_REGION");   // "us-east-1"
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ohfp::aws {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value; nullopt when unset. Set-but-empty variables read as nullopt too.
  virtual std::optional<std::string> Get(std::string_view name) const = 0;
};

class MapEnvironment final : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string, std::less<>> values)
      : values_(std::move(values)) {}
  void Set(std::string name, std::string value) {
    values_.insert_or_assign(std::move(name), std::move(value));
  }
  std::optional<std::string> Get(std::string_view name) const override;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> Get(std::string_view name) const override;
};

}  // namespace ohfp::aws
