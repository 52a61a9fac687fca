// plugin/tests/config/config_problems.h
//
// What the configuration tests read from a reader's problems: their JSON paths, and the message
// of the only problem at one path.
//
// Thread-safety: functions over values; MessageAt reports a failure to the running gtest test.
//
// Example:
//   EXPECT_THAT(Paths(problems), ElementsAre("/circuit_breaker/failure_threshold"));
//   EXPECT_THAT(MessageAt(problems, "/region"), HasSubstr("a region"));
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/plugin_config.h"

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

}  // namespace ohfp::config
