// ohfp/hf_simulator/cli.h
//
// The ohfp-hf-simulator command line: `cycle` (HostFactory's whole borrowing cycle), `call` (one
// command, checked) and `check` (a saved output, checked; no plugin run). `--help` documents every
// option. Exit codes: 0 everything followed the contract (and, for `cycle`, every request
// finished), 1 a contract violation or a problem, 2 a bad command line.
//
// Thread-safety: RunCli may run on several threads at once; each run has its own simulator.
//
// Example:
//   std::ostringstream out, err;
//   std::istringstream in;
//   int code = RunCli({"cycle", "--template", "OnDemand:2", "--json"}, in, out, err);
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ohfp::hf_simulator {

inline constexpr int kCliOk = 0;
inline constexpr int kCliViolations = 1;
inline constexpr int kCliUsage = 2;

// `args` without the program name. `in` is read by `check` without --output.
int RunCli(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
           std::ostream& err);

}  // namespace ohfp::hf_simulator
