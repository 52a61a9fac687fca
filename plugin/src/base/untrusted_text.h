// base/untrusted_text.h
//
// Helpers for text ohfp did not write (AWS answers, HostFactory's input, configuration files, the
// instance metadata service), used where that text is parsed or quoted in a message:
//   - ValidUtf8: the text with every byte that is not part of well-formed UTF-8 replaced by '?'.
//     Whatever goes into a JSON document (stdout, app.log) must be valid UTF-8; nlohmann::json
//     throws type_error.316 when dumping anything else.
//   - FindExcessiveJsonNesting: where a JSON text nests arrays and objects deeper than a limit,
//     found by a scan that does not recurse. nlohmann::json parses and destroys deep documents
//     without recursion, but copies, compares and dumps them recursively: a document 200,000
//     levels deep overflows the stack in any of those. Check before parsing.
//
// Thread-safety: pure functions.
//
// Example:
//   if (auto at = FindExcessiveJsonNesting(text)) return Invalid("nested deeper than ...");
//   nlohmann::json j = nlohmann::json::parse(text);
//   message += ValidUtf8(e.what());
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ohfp::base {

// How deep a JSON document ohfp reads may nest (its root array or object is level 1). ohfp's own
// formats nest at most 6 levels (a template's attributes; the resilience section).
inline constexpr int kMaxJsonDepth = 64;

// `text` with each byte that is not part of a well-formed UTF-8 sequence (overlong forms and
// surrogates included) replaced by '?'.
std::string ValidUtf8(std::string_view text);
// Whether `text` is well-formed UTF-8 (what ValidUtf8 would leave unchanged).
bool IsValidUtf8(std::string_view text);

// The byte offset of the first '[' or '{' that opens a level deeper than `max_depth`, outside
// strings; nullopt when there is none. Not a validator: text that is not JSON is for the parser
// to reject.
std::optional<std::size_t> FindExcessiveJsonNesting(std::string_view text,
                                                    int max_depth = kMaxJsonDepth);

}  // namespace ohfp::base
