#include "serve/token.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ohfp::serve {
namespace {

using resilience::Error;
using resilience::ErrorKind;

std::array<unsigned char, SHA256_DIGEST_LENGTH> Digest(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

}  // namespace

resilience::Result<std::string> LoadToken(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error(ErrorKind::kValidation, "TokenFile",
                 "cannot read the token file " + path.string() + ": " + std::strerror(errno));
  }
  if ((st.st_mode & S_IROTH) != 0) {
    return Error(ErrorKind::kValidation, "TokenFile",
                 "the token file " + path.string() +
                     " is readable by every user; refusing to start (chmod 600 " + path.string() +
                     ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorKind::kValidation, "TokenFile",
                 "cannot read the token file " + path.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  token.erase(token.find_last_not_of(" \t\r\n") + 1);
  if (token.size() < kMinTokenLength) {
    return Error(ErrorKind::kValidation, "TokenFile",
                 "the token in " + path.string() + " is shorter than " +
                     std::to_string(kMinTokenLength) + " characters (e.g. openssl rand -hex 32 > " +
                     path.string() + ")");
  }
  return token;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i]) {
      return std::nullopt;
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  const std::size_t first = token.find_first_not_of(' ');
  if (first == std::string_view::npos) return std::nullopt;
  return token.substr(first);
}

bool TokenMatches(std::string_view expected, std::string_view presented) {
  const auto a = Digest(expected);
  const auto b = Digest(presented);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0 && !expected.empty();
}

}  // namespace ohfp::serve
