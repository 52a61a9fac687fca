// cli/serve_command.h
//
// `ohfp serve [options]`: runs the ohfp-serve executable installed beside ohfp (serve/serve.h),
// replacing this process (execv), with the global options (--config, --confdir, --workdir,
// --logdir) and the serve options passed on. ohfp-serve is a separate executable so that ohfp,
// which HostFactory starts for every call, does not load the HTTP server's libraries.
// OHFP_SERVE_BIN names another ohfp-serve.
//
// Thread-safety: called from main only.
//
// Example:
//   if (serve->parsed()) return ExecServe(options, serve->remaining(), env, std::cerr);
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "app/plugin_app.h"
#include "aws/environment.h"

namespace ohfp::cli {

// Returns only when ohfp-serve cannot be run (exit code 3, with a message on `err`).
int ExecServe(const app::AppOptions& options, const std::vector<std::string>& serve_args,
              const aws::Environment& env, std::ostream& err);

}  // namespace ohfp::cli
