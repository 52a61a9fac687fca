#include "base/json_text.h"

#include <algorithm>
#include <string>

#include "base/untrusted_text.h"

namespace ohfp::base {

namespace {

resilience::Error InvalidJson(std::string message) {
  return resilience::Error(resilience::ErrorKind::kValidation, "InvalidJson", ValidUtf8(message));
}

template <class Json>
resilience::Result<Json> Parse(std::string_view text) {
  if (const std::optional<std::size_t> at = FindExcessiveJsonNesting(text)) {
    return InvalidJson("nests arrays and objects deeper than " + std::to_string(kMaxJsonDepth) +
                       " levels (" + LineAndColumn(text, *at) + ")");
  }
  try {
    return Json::parse(text);
  } catch (const typename Json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ...": the
    // position is said once, ours; the reason is nlohmann's.
    std::string what = e.what();
    if (const std::size_t colon = what.find(": "); colon != std::string::npos) {
      what.erase(0, colon + 2);
    }
    return InvalidJson("is not valid JSON (" + LineAndColumn(text, e.byte == 0 ? 0 : e.byte - 1) +
                       "): " + what);
  } catch (const typename Json::out_of_range& e) {
    // "[json.exception.out_of_range.406] number overflow parsing '1e400'": where is that number?
    const std::string what = e.what();
    std::string number;
    std::size_t at = 0;
    if (const std::size_t open = what.find('\''), close = what.rfind('\'');
        open != std::string::npos && close > open) {
      number = what.substr(open + 1, close - open - 1);
      at = std::min(text.find(number), text.size());
    }
    return InvalidJson("has a number beyond the range of a double (" + LineAndColumn(text, at) +
                       "): " + number);
  } catch (const typename Json::exception& e) {
    return InvalidJson(std::string("is not valid JSON: ") + e.what());
  }
}

}  // namespace

std::string LineAndColumn(std::string_view text, std::size_t offset) {
  const std::size_t end = std::min(offset, text.size());
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

resilience::Result<nlohmann::json> ParseJsonText(std::string_view text) {
  return Parse<nlohmann::json>(text);
}

resilience::Result<nlohmann::ordered_json> ParseOrderedJsonText(std::string_view text) {
  return Parse<nlohmann::ordered_json>(text);
}

}  // namespace ohfp::base
