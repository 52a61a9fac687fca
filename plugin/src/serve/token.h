// serve/token.h
//
// The bearer token that `ohfp serve`'s operator actions (POST) require. It is read once, at start,
// from the file --token-file names; a file that anyone may read (mode o+r) or that is empty is
// refused with a message saying so, so the token is only as visible as its owner makes it. The
// token never appears in a log or a message. Presented tokens are compared in constant time:
// both are hashed (SHA-256) and the digests compared with CRYPTO_memcmp, so neither the content
// nor the length leaks through timing.
//
// Thread-safety: stateless functions.
//
// Example:
//   Result<std::string> token = LoadToken("/etc/ohfp/serve.token");
//   if (auto presented = BearerToken(request.get_header_value("Authorization"));
//       presented && TokenMatches(*token, *presented)) { ... }
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "ohfp/resilience/result.h"

namespace ohfp::serve {

// At least this many characters (after trailing whitespace is dropped).
inline constexpr std::size_t kMinTokenLength = 16;

// The token in `path`, without trailing whitespace. kValidation errors: unreadable, readable by
// others ("chmod 600 ..."), shorter than kMinTokenLength.
[[nodiscard]] resilience::Result<std::string> LoadToken(const std::filesystem::path& path);

// "Bearer <token>" (the scheme case-insensitive) -> <token>; nullopt for anything else.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// Constant-time equality of an expected and a presented token.
bool TokenMatches(std::string_view expected, std::string_view presented);

}  // namespace ohfp::serve
