// cli/exit_codes.h
//
// The exit codes of the ohfp executable: base/exit_codes.h, named in the cli namespace.
#pragma once

#include "base/exit_codes.h"

namespace ohfp::cli {

using ohfp::kExitBadInput;
using ohfp::kExitFailed;
using ohfp::kExitInternal;
using ohfp::kExitOk;

}  // namespace ohfp::cli
