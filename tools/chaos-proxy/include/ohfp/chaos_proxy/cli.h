// ohfp/chaos_proxy/cli.h
//
// The ohfp-chaos-proxy command line: option parsing (CLI11) with --help, the listen address and the
// rules file. Kept apart from main() so that tests can check what a user sees for --help and for
// mistakes.
//
// Thread-safety: pure functions (LoadRulesFile reads a file); safe from any thread.
//
// Example:
//   CliParse cli = ParseCommandLine(argc, argv);
//   if (!cli.options) {
//     (cli.exit_code == 0 ? std::cout : std::cerr) << cli.output;
//     return cli.exit_code;
//   }
//   ParsedRules rules = LoadRulesFile(*cli.options->config_path);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ohfp/chaos_proxy/rules.h"
#include "ohfp/resilience/result.h"

namespace ohfp::chaos_proxy {

inline constexpr int kExitUsage = 2;    // bad command line or configuration
inline constexpr int kExitRuntime = 1;  // could not listen, write the port file, or serve

struct CliOptions {
  std::string upstream;  // validated: http(s)://HOST[:PORT]
  std::string listen_host = "127.0.0.1";
  int listen_port = 0;
  std::optional<std::string> config_path;
  std::optional<std::uint64_t> seed;
  std::optional<std::string> port_file;
  bool idempotency = true;
  std::size_t idempotency_capacity = 10000;
  std::chrono::milliseconds upstream_timeout{60000};
  std::chrono::milliseconds connect_timeout{5000};
  std::size_t threads = 64;
  bool quiet = false;
  bool check_only = false;
};

struct CliParse {
  std::optional<CliOptions> options;  // set: run with these
  int exit_code = 0;                  // otherwise: exit with this code...
  std::string output;                 // ...after printing this (stdout for 0, stderr otherwise)
};

CliParse ParseCommandLine(int argc, const char* const* argv);

// "127.0.0.1:8080", "localhost:0", "[::1]:8080" -> host and port.
[[nodiscard]] resilience::Result<std::pair<std::string, int>> ParseListenAddress(
    std::string_view text);

// Reads and validates a rules file; a file that cannot be read is one ConfigError whose path is the
// file name.
[[nodiscard]] ParsedRules LoadRulesFile(const std::string& path);

}  // namespace ohfp::chaos_proxy
