#include "cli/serve_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>

#include "cli/exit_codes.h"

namespace ohfp::cli {

int ExecServe(const app::AppOptions& options, const std::vector<std::string>& serve_args,
              const aws::Environment& env, std::ostream& err) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string binary =
      env.Get("OHFP_SERVE_BIN")
          .value_or(ec ? std::string("ohfp-serve") : (self.parent_path() / "ohfp-serve").string());
  std::vector<std::string> args = {binary};
  const auto pass = [&](const char* flag, const std::optional<std::filesystem::path>& value) {
    if (value) {
      args.emplace_back(flag);
      args.push_back(value->string());
    }
  };
  pass("--config", options.config_file);
  pass("--confdir", options.confdir);
  pass("--workdir", options.workdir);
  pass("--logdir", options.logdir);
  args.insert(args.end(), serve_args.begin(), serve_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(binary.c_str(), argv.data());
  err << "ohfp: cannot run " << binary << ": " << std::strerror(errno)
      << " (ohfp-serve is installed beside ohfp; OHFP_SERVE_BIN names another)\n";
  return kExitInternal;
}

}  // namespace ohfp::cli
