// cli/resilience_commands.h
//
// `ohfp resilience simulate` and `ohfp resilience compare`: replay calls against one or two
// configurations on virtual time (resilience::Simulator), optionally against a server that
// throttles over its token buckets, and print the events (JSON lines) or a side-by-side summary.
//
// Thread-safety: functions run on the CLI's thread.
//
// Example:
//   SimulateOptions o{.config = "config.json", .trace = "trace.jsonl"};
//   int code = RunSimulate(o, std::cout, std::cerr);
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "ohfp/resilience/config.h"
#include "ohfp/resilience/result.h"

namespace ohfp::cli {

struct SimulateOptions {
  std::string config;                 // a JSON file with a "resilience" object
  std::optional<std::string> trace;   // JSON lines; stdin when absent
  std::optional<std::string> faults;  // fault windows
  std::optional<std::string> server;  // the service's token buckets (simulator/trace_json.h)
  std::uint64_t seed = 1;
};

struct CompareOptions {
  std::vector<std::string> configs;  // two or more
  std::vector<std::string> labels;   // optional names for the columns
  std::optional<std::string> trace;
  std::optional<std::string> faults;
  std::optional<std::string> server;
  std::uint64_t seed = 1;
  bool json = false;
};

int RunSimulate(const SimulateOptions& options, std::ostream& out, std::ostream& err);
int RunCompare(const CompareOptions& options, std::ostream& out, std::ostream& err);

// Reads the "resilience" object of a JSON file. Every problem is in the error's message, one per
// line.
resilience::Result<resilience::ResilienceConfig> LoadResilienceFile(const std::string& path);

}  // namespace ohfp::cli
