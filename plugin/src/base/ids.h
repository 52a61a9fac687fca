// base/ids.h
//
// Identifiers ohfp makes: "<prefix>-" followed by a random (version 4) UUID, drawn from the
// injected random source so tests can predict them.
//
// Thread-safety: as safe as the random source.
//
// Example:
//   std::string id = RandomId("req", random);   // "req-1f3e0c2a-9b1d-4c8e-a0f1-5d6e7f8a9b0c"
#pragma once

#include <string>
#include <string_view>

#include "ohfp/resilience/random.h"

namespace ohfp::base {

std::string RandomId(std::string_view prefix, resilience::RandomSource& random);

}  // namespace ohfp::base
