// serve/api_json.h
//
// The JSON forms of the model's records in `ohfp serve`'s API (docs/operations.md, "The API"):
// snake_case keys, states by the model's names, times as ISO-8601 UTC with milliseconds (null when
// unset), HostFactory's ids as they are.
//
// Thread-safety: stateless functions.
//
// Example:
//   nlohmann::ordered_json j = RequestJson(request);   // {"id": "req-...", "state": "running",
//   ...}
#pragma once

#include <nlohmann/json.hpp>

#include "model/machine.h"
#include "model/request.h"

namespace ohfp::serve {

nlohmann::ordered_json TimeJson(model::Timestamp t);
nlohmann::ordered_json RequestJson(const model::Request& r);
nlohmann::ordered_json MachineJson(const model::Machine& m);
nlohmann::ordered_json AttemptJson(const model::Attempt& a);
nlohmann::ordered_json ReturnMachineJson(const model::ReturnMachine& m);

}  // namespace ohfp::serve
