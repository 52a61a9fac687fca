// plugin/tests/config/config_problems.h
//
// What the configuration tests read from a reader's problems: their JSON paths, and the message
// of the only problem at one path; and files that must not load.
//
// Thread-safety: functions over values; MessageAt reports a failure to the running gtest test.
//
// Example:
//   EXPECT_THAT(Paths(problems), ElementsAre("/circuit_breaker/failure_threshold"));
//   EXPECT_THAT(MessageAt(problems, "/region"), HasSubstr("a region"));
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/plugin_config.h"
#include "scratch_dir.h"

namespace ohfp::config {

inline std::vector<std::string> Paths(const std::vector<resilience::ConfigProblem>& problems) {
  std::vector<std::string> out;
  for (const resilience::ConfigProblem& p : problems) out.push_back(p.path);
  return out;
}

// The message of the only problem at `path`; a test failure when there is none, or several.
inline std::string MessageAt(const std::vector<resilience::ConfigProblem>& problems,
                             const std::string& path) {
  std::vector<std::string> found;
  for (const resilience::ConfigProblem& p : problems) {
    if (p.path == path) found.push_back(p.message);
  }
  EXPECT_EQ(found.size(), 1u) << "problems at " << path << ":\n" << FormatProblems(problems);
  return found.empty() ? "" : found.front();
}

// A file that must not load, and what its one problem says.
struct HostileFile {
  std::string content;
  std::string says;
};

// Writes each file as `name` in `dir` and loads it with `load`: each must fail with one validation
// problem that says what `says` and prints as JSON (issue 11: never an exception or a crash).
template <class Load>
void ExpectEachRefused(const ohfp::testing::ScratchDir& dir, const std::string& name,
                       const std::vector<HostileFile>& files, Load load) {
  for (const HostileFile& f : files) {
    const auto loaded = load(dir.Write(name, f.content));
    ASSERT_FALSE(loaded.ok()) << f.content.substr(0, 80);
    EXPECT_EQ(loaded.error().kind(), resilience::ErrorKind::kValidation);
    const std::string message(loaded.error().message());
    EXPECT_THAT(message, ::testing::HasSubstr(f.says));
    EXPECT_NO_THROW(static_cast<void>(nlohmann::json({{"message", message}}).dump()));
  }
}

}  // namespace ohfp::config
