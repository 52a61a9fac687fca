// tests/support/subprocess.h
//
// RunProcess: runs a program with arguments, optional stdin text and extra environment variables,
// and returns its exit code, stdout and stderr. For tests that check what a user sees from the ohfp
// executable.
//
// Thread-safety: safe from any thread (posix_spawn, no shared state).
//
// Example:
//   ProcessResult r = RunProcess({OhfpBinary(), "resilience", "simulate", "--config", path},
//   {.stdin_text = trace}); EXPECT_EQ(r.exit_code, 0);
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace ohfp::testing {

struct ProcessOptions {
  std::string stdin_text{};
  std::map<std::string, std::string> env{};  // added to (or replacing in) the current environment
  std::vector<std::string> unset_env{};      // removed from the environment
  std::string working_directory{};           // empty: the current one
  std::chrono::seconds timeout{
      120};  // the process is killed (SIGKILL) after this; exit_code is then -9
};

struct ProcessResult {
  int exit_code = -1;  // the exit status, or -signal when killed by a signal
  std::string out;
  std::string err;
};

ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// The built ohfp executable.
std::string OhfpBinary();
// A directory under the system temp dir, removed with everything in it when the object is
// destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name,
                    const std::string& content) const;  // returns the file's path

 private:
  std::string path_;
};

// Reads a whole file; empty when it does not exist.
std::string ReadFileText(const std::string& path);

}  // namespace ohfp::testing
