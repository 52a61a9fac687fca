// Fuzz target: the HTTP/1.1 response parser (aws/http/response_parser.h), chunked decoding
// included, as the socket transport drives it: the bytes of one connection, fed in pieces.
//
// Input: byte 0 picks the limits (HEAD or not, small head and body limits or the defaults), byte 1
// the size of the pieces the bytes arrive in; the rest is what the server sent. The connection
// then ends (FinishAtEof) unless the parser is already done.
//
// Checked: no crash, no sanitizer report; a finished response never has a body over the limit;
// a failure has a reason; the same bytes in other pieces give the same result.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aws/http/response_parser.h"

namespace {

using ohfp::aws::http::ResponseLimits;
using ohfp::aws::http::ResponseParser;

struct Outcome {
  ResponseParser::State state = ResponseParser::State::kReading;
  int status = 0;
  std::string body;
  bool keep_alive = false;
  bool too_large = false;
};

Outcome Run(std::string_view bytes, std::size_t piece, const ResponseLimits& limits) {
  ResponseParser parser(limits);
  while (!bytes.empty()) {  // bytes after the end of the response arrive too
    const std::string_view now = bytes.substr(0, piece);
    bytes.remove_prefix(now.size());
    parser.Feed(now);
  }
  if (parser.state() == ResponseParser::State::kReading) parser.FinishAtEof();
  if (parser.state() == ResponseParser::State::kReading) __builtin_trap();  // EOF must end it
  if (parser.state() == ResponseParser::State::kFailed && parser.error().empty()) __builtin_trap();
  Outcome out;
  out.state = parser.state();
  out.keep_alive = parser.keep_alive();
  out.too_large = parser.body_too_large();
  if (parser.state() == ResponseParser::State::kDone) {
    ohfp::aws::HttpResponse response = parser.Take();
    if (response.body.size() > limits.max_body) __builtin_trap();
    out.status = response.status;
    out.body = std::move(response.body);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  const std::size_t piece = std::size_t{data[1]} + 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  ResponseLimits limits;
  limits.no_body = (mode & 1) != 0;
  if ((mode & 2) != 0) {
    limits.max_head = 256;
    limits.max_body = 1024;
  }
  const Outcome pieces = Run(bytes, piece, limits);
  const Outcome whole = Run(bytes, bytes.size() + 1, limits);
  // How the bytes were split must not change what was read.
  if (pieces.state != whole.state || pieces.status != whole.status || pieces.body != whole.body ||
      pieces.keep_alive != whole.keep_alive || pieces.too_large != whole.too_large) {
    __builtin_trap();
  }
  return 0;
}
