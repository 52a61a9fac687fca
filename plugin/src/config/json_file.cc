#include "config/json_file.h"

#include <fstream>
#include <sstream>

#include "base/json_text.h"
#include "base/untrusted_text.h"
#include "config/plugin_config.h"

namespace ohfp::config {
std::optional<JsonFile> ParseJsonDocument(std::string_view text,
                                          std::vector<ConfigProblem>& problems) {
  // Parsed twice: nlohmann::json for the reads, ordered_json where the order of keys matters (the
  // order of vmTypes is the instance types' priority).
  resilience::Result<nlohmann::json> value = base::ParseJsonText(text);
  if (!value.ok()) {
    problems.push_back({"", std::string(value.error().message())});
    return std::nullopt;
  }
  resilience::Result<nlohmann::ordered_json> ordered = base::ParseOrderedJsonText(text);
  if (!ordered.ok()) {
    problems.push_back({"", std::string(ordered.error().message())});
    return std::nullopt;
  }
  return JsonFile{std::move(*value), std::move(*ordered)};
}

std::optional<JsonFile> ReadJsonFile(const std::filesystem::path& file,
                                     std::vector<ConfigProblem>& problems) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(file, ec);
  if (status.type() == std::filesystem::file_type::not_found) return std::nullopt;
  if (ec) {
    problems.push_back({"", "cannot read the file: " + ec.message()});
    return std::nullopt;
  }
  if (std::filesystem::is_directory(status)) {
    problems.push_back({"", "is a directory, not a JSON file"});
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    problems.push_back({"", "cannot read the file"});
    return std::nullopt;
  }
  return ParseJsonDocument(text.str(), problems);
}

resilience::Error ProblemsError(const std::filesystem::path& file,
                                const std::vector<ConfigProblem>& problems, std::string code) {
  std::string message =
      base::ValidUtf8(file.string()) + ": " + std::to_string(problems.size()) + " problem(s):";
  for (const ConfigProblem& p : problems) {
    message += "\n  ";
    message += FormatProblems({p});
  }
  return resilience::Error(resilience::ErrorKind::kValidation, std::move(code),
                           base::ValidUtf8(message));
}

}  // namespace ohfp::config
