#include "config/json_file.h"

#include <fstream>
#include <sstream>

#include "config/plugin_config.h"

namespace ohfp::config {
namespace {

std::string LineAndColumn(std::string_view text, std::size_t byte) {
  const std::size_t end = std::min(byte == 0 ? 0 : byte - 1, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(end - line_start + 1);
}

}  // namespace

std::optional<JsonFile> ParseJsonText(std::string_view text, std::vector<ConfigProblem>& problems) {
  try {
    JsonFile f;
    f.value = nlohmann::json::parse(text);
    f.ordered = nlohmann::ordered_json::parse(text);
    return f;
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ...": keep
    // the reason.
    if (const std::size_t colon = what.find(": "); colon != std::string::npos) {
      what.erase(0, colon + 2);
    }
    problems.push_back({"", "is not valid JSON (" + LineAndColumn(text, e.byte) + "): " + what});
    return std::nullopt;
  }
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
  return ParseJsonText(text.str(), problems);
}

resilience::Error ProblemsError(const std::filesystem::path& file,
                                const std::vector<ConfigProblem>& problems, std::string code) {
  std::string message = file.string() + ": " + std::to_string(problems.size()) + " problem(s):";
  for (const ConfigProblem& p : problems) {
    message += "\n  ";
    message += FormatProblems({p});
  }
  return resilience::Error(resilience::ErrorKind::kValidation, std::move(code), std::move(message));
}

}  // namespace ohfp::config
