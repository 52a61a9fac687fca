// ohfp/hf_simulator/process.h
//
// RunCommand: runs one program as its own process (posix_spawn), the way HostFactory runs a
// provider script: arguments, an environment (this process's, with additions and removals), stdout
// and stderr captured in full, and an end: the exit status, or SIGKILL when it overruns its timeout
// or when the caller asked for it to be killed at a given moment (crash tests). The process runs
// in its own process group and a kill goes to the whole group (a script's children die with it).
// Timeouts are enforced by poll(2) on the pipes, never by signals sent to the caller.
//
// Thread-safety: safe from any thread; runs share nothing. Ignores SIGPIPE in the calling process
// (a child that exits before reading its input must not kill the caller).
//
// Example:
//   ProcessResult r = RunCommand({"/bin/sh", "getRequestStatus.sh", "-f", file},
//                                {.env = {{"HF_PROVIDER_CONFDIR", "/opt/hf/conf"}},
//                                 .timeout = std::chrono::seconds(60)});
//   if (r.exit_code != 0) std::cerr << r.err;
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ohfp::hf_simulator {

struct ProcessOptions {
  std::map<std::string, std::string>
      env{};                             // added to (or replacing in) this process's environment
  std::vector<std::string> unset_env{};  // removed from it
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};  // then SIGKILL; timed_out is set
  // SIGKILL the process this long after it started (a crash at a chosen moment); killed is set.
  std::optional<std::chrono::milliseconds> kill_after{};
};

struct ProcessResult {
  int exit_code = -1;  // the exit status, or -N when signal N ended it
  std::string out{};
  std::string err{};
  bool timed_out = false;           // killed because it overran the timeout
  bool killed = false;              // killed at kill_after, as asked
  bool started = true;              // false: it could not be started (err says why)
  std::chrono::nanoseconds wall{};  // from spawn to exit
};

ProcessResult RunCommand(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// The environment a child gets: this process's, with `set` added (or replacing) and `unset`
// removed, as NAME=VALUE strings sorted by name (posix_spawn's envp).
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& set,
                                          const std::vector<std::string>& unset);

}  // namespace ohfp::hf_simulator
