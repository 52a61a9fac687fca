// aws/http/response_parser.h
//
// ResponseParser: one HTTP/1.1 response, read incrementally from the bytes of a connection. Pure:
// no I/O, no clock. The socket transport feeds it what it reads until it is done or failed.
//
// What it accepts (RFC 9112): a status line `HTTP/1.x NNN reason`; interim 1xx answers (100
// Continue) are skipped; header lines ended by CRLF or a bare LF, obsolete line folding joined with
// a space; a body delimited by Content-Length, by chunked transfer coding (extensions and trailers
// ignored), or by the end of the connection; none at all for a HEAD request, a CONNECT's 2xx, 204
// and 304. It fails (state kFailed, error() says why) on a malformed status line, header or chunk
// size, on conflicting Content-Length values, on a head over `max_head` bytes or a body over
// `max_body` (body_too_large(): a Content-Length over it fails at the end of the head, before any
// of the body is taken; a chunked or close-delimited body fails as soon as it passes it), and on a
// connection that ends before the message does.
//
// keep_alive() tells whether the connection may carry another request afterwards: HTTP/1.1
// without `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`, and a body that was not
// delimited by the end of the connection.
//
// Example:
//   ResponseParser parser({.no_body = request.method == "HEAD"});
//   while (parser.state() == ResponseParser::State::kReading) {
//     n = read(...);
//     if (n == 0) parser.FinishAtEof(); else parser.Feed({buffer, n});
//   }
//   if (parser.state() == ResponseParser::State::kDone) use(parser.Take());
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aws/http_transport.h"

namespace ohfp::aws::http {

struct ResponseLimits {
  bool no_body = false;                           // HEAD, or the answer to a CONNECT
  std::size_t max_head = std::size_t{64} << 10;   // status line and headers, bytes
  std::size_t max_body = std::size_t{512} << 20;  // decoded body, bytes
};

class ResponseParser {
 public:
  enum class State : std::uint8_t { kReading, kDone, kFailed };

  explicit ResponseParser(ResponseLimits limits = {}) : limits_(limits) {}

  // Consumes `data`. Bytes after the end of the message are not consumed: the message is then
  // done, and the connection is not reused (keep_alive() is false).
  void Feed(std::string_view data);
  // The connection ended: completes a body delimited by the end of the connection, else fails.
  void FinishAtEof();

  State state() const noexcept { return state_; }
  // Whether any byte of an answer arrived.
  bool started() const noexcept { return started_; }
  const std::string& error() const noexcept { return error_; }
  // Whether it failed because the body is larger than `max_body` (announced or as it came).
  bool body_too_large() const noexcept { return body_too_large_; }
  // The Content-Length the response announced, when it had one.
  std::optional<std::uint64_t> announced_length() const noexcept { return announced_length_; }
  bool keep_alive() const noexcept { return state_ == State::kDone && keep_alive_; }
  // Whether the body being read ends only with the connection (no length, no chunks).
  bool reading_until_eof() const noexcept {
    return state_ == State::kReading && phase_ == Phase::kBodyUntilEof;
  }
  // The response; valid once state() is kDone.
  HttpResponse Take() { return std::move(response_); }

 private:
  enum class Phase : std::uint8_t {
    kStatusLine,
    kHeaders,
    kLengthBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kBodyUntilEof,
  };
  enum class Framing : std::uint8_t { kNone, kLength, kChunked, kUntilEof };

  // Takes one line (without its CR LF) from `data` into line_; false when more bytes are needed.
  bool TakeLine(std::string_view& data);
  void OnStatusLine(std::string_view line);
  void OnHeaderLine(std::string_view line);
  void OnHeadersDone();
  void OnChunkSize(std::string_view line);
  void AppendBody(std::string_view bytes);
  void Fail(std::string message);
  void FailTooLarge();
  void Finish();

  ResponseLimits limits_;
  State state_ = State::kReading;
  Phase phase_ = Phase::kStatusLine;
  Framing framing_ = Framing::kNone;
  bool started_ = false;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool body_too_large_ = false;
  std::optional<std::uint64_t> announced_length_;
  std::size_t head_bytes_ = 0;     // status line and headers, interim answers included
  std::size_t trailer_bytes_ = 0;  // after the last chunk
  std::uint64_t remaining_ = 0;    // of a Content-Length body or of the current chunk
  std::string line_;               // a line being assembled across Feed() calls
  std::string error_;
  HttpResponse response_;
};

}  // namespace ohfp::aws::http
