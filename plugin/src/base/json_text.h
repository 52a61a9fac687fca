// base/json_text.h
//
// Parsing JSON text that ohfp did not write (HostFactory's input, a configuration or templates
// file) into a document, with a message a user can act on: where the text is wrong, in valid UTF-8,
// and never an exception or a deep recursion.
//
// Thread-safety: stateless functions.
//
// Example:
//   resilience::Result<nlohmann::json> j = ParseJsonText(text);
//   if (!j.ok()) return Refuse("the input " + std::string(j.error().message()));
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ohfp/resilience/result.h"

namespace ohfp::base {

// Parses JSON text ohfp did not write (a configuration or templates file, a command's input).
// Refused with kValidation "InvalidJson" and a message to put after the name of what was read,
// valid UTF-8 and saying where:
//   text that is not JSON        "is not valid JSON (line 3, column 14): syntax error ..."
//   nesting beyond kMaxJsonDepth "nests arrays and objects deeper than 64 levels (line 1, ...)"
//                                (checked before parsing: a deep document overflows the stack
//                                when nlohmann copies or prints it)
//   a number beyond a double     "has a number beyond the range of a double (line 2, ...): 1e400"
//                                (nlohmann throws out_of_range for it, not parse_error)
[[nodiscard]] resilience::Result<nlohmann::json> ParseJsonText(std::string_view text);
[[nodiscard]] resilience::Result<nlohmann::ordered_json> ParseOrderedJsonText(
    std::string_view text);

// "line L, column C" of a 0-based byte offset in `text`.
std::string LineAndColumn(std::string_view text, std::size_t offset);

}  // namespace ohfp::base
