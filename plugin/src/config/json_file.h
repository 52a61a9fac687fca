// config/json_file.h
//
// Reading a JSON configuration file (config.json, the templates files) into a document, with
// every problem a user can fix named: the file is a directory or unreadable, or not valid JSON at
// line L, column C. One loader for every file ohfp reads.
//
// Thread-safety: stateless functions.
//
// Example:
//   std::vector<ConfigProblem> problems;
//   std::optional<JsonFile> f = ReadJsonFile(confdir / "config.json", problems);
//   if (!f) { /* missing (problems empty) or unreadable (problems say why) */ }
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/resilience/config.h"
#include "ohfp/resilience/result.h"

namespace ohfp::config {

using resilience::ConfigProblem;

struct JsonFile {
  nlohmann::json value{};
  nlohmann::ordered_json ordered{};  // the same document, keys in file order
};

// The file's document; nullopt when it does not exist (no problem added) or cannot be read or
// parsed (a problem added, with path "").
std::optional<JsonFile> ReadJsonFile(const std::filesystem::path& file,
                                     std::vector<ConfigProblem>& problems);

// Parses `text`; nullopt with a problem "is not valid JSON (line L, column C): ..." otherwise.
std::optional<JsonFile> ParseJsonDocument(std::string_view text,
                                          std::vector<ConfigProblem>& problems);

// "<file>: N problem(s):\n  path: message\n  ..." as a kValidation error with `code`.
resilience::Error ProblemsError(const std::filesystem::path& file,
                                const std::vector<ConfigProblem>& problems, std::string code);

}  // namespace ohfp::config
