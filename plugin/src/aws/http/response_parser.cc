#include "aws/http/response_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <utility>

namespace ohfp::aws::http {
namespace {

// A chunk-size or trailer line longer than this is not an HTTP message.
constexpr std::size_t kMaxBodyLine = 4096;

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Calls `f` with each trimmed, non-empty element of every header named `name` (comma lists).
template <typename F>
void ForEachListElement(const Headers& headers, std::string_view name, F&& f) {
  for (const auto& [key, value] : headers) {
    if (!EqualsIgnoreCase(key, name)) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view element = TrimOws(rest.substr(0, comma));
      if (!element.empty()) f(element);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
}

std::optional<std::uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

void ResponseParser::Fail(std::string message) {
  state_ = State::kFailed;
  keep_alive_ = false;
  error_ = std::move(message);
}

void ResponseParser::FailTooLarge() {
  Fail("the response body " +
       (announced_length_ ? "(" + std::to_string(*announced_length_) + " bytes) " : "") +
       "is larger than " + std::to_string(limits_.max_body) + " bytes");
  body_too_large_ = true;
}

void ResponseParser::Finish() { state_ = State::kDone; }

bool ResponseParser::TakeLine(std::string_view& data) {
  const bool in_head = phase_ == Phase::kStatusLine || phase_ == Phase::kHeaders;
  const std::size_t newline = data.find('\n');
  const std::size_t taken = newline == std::string_view::npos ? data.size() : newline + 1;
  if (in_head) {
    head_bytes_ += taken;
    if (head_bytes_ > limits_.max_head) {
      Fail("the response head is longer than " + std::to_string(limits_.max_head) + " bytes");
      return false;
    }
  } else if (line_.size() + taken > kMaxBodyLine) {
    Fail("a chunk-size or trailer line is longer than " + std::to_string(kMaxBodyLine) + " bytes");
    return false;
  } else if (phase_ == Phase::kTrailers && (trailer_bytes_ += taken) > limits_.max_head) {
    Fail("the trailers are longer than " + std::to_string(limits_.max_head) + " bytes");
    return false;
  }
  line_.append(data.substr(0, newline == std::string_view::npos ? data.size() : newline));
  data.remove_prefix(taken);
  if (newline == std::string_view::npos) return false;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

void ResponseParser::OnStatusLine(std::string_view line) {
  // HTTP-version SP status-code [SP reason-phrase]
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ' ||
      (line.size() > 12 && line[12] != ' ')) {
    Fail("malformed status line '" + std::string(line.substr(0, 64)) + "'");
    return;
  }
  const std::optional<std::uint64_t> status = ParseDecimal(line.substr(9, 3));
  if (!status || *status < 100) {
    Fail("malformed status code in '" + std::string(line.substr(0, 64)) + "'");
    return;
  }
  if (*status == 101) {
    Fail("the server switched protocols (101), which an AWS API never does");
    return;
  }
  http10_ = line[7] == '0';
  response_.status = static_cast<int>(*status);
  response_.headers.clear();
  phase_ = Phase::kHeaders;
}

void ResponseParser::OnHeaderLine(std::string_view line) {
  if (IsOws(line.front())) {  // obsolete line folding: the previous value goes on
    const std::string_view more = TrimOws(line);
    if (response_.headers.empty()) {
      Fail("a folded header line before any header");
      return;
    }
    if (!more.empty()) {
      std::string& value = response_.headers.back().second;
      if (!value.empty()) value += ' ';
      value += more;
    }
    return;
  }
  const std::size_t colon = line.find(':');
  const std::string_view name = line.substr(0, colon);
  if (colon == std::string_view::npos || name.empty() ||
      !std::all_of(name.begin(), name.end(), IsTokenChar)) {
    Fail("malformed header line '" + std::string(line.substr(0, 64)) + "'");
    return;
  }
  response_.headers.emplace_back(std::string(name), std::string(TrimOws(line.substr(colon + 1))));
}

void ResponseParser::OnHeadersDone() {
  const int status = response_.status;
  if (status < 200) {  // an interim answer (100 Continue, 103 Early Hints): the real one follows
    phase_ = Phase::kStatusLine;
    return;
  }
  bool close = false;
  bool keep = false;
  ForEachListElement(response_.headers, "Connection", [&](std::string_view token) {
    close = close || EqualsIgnoreCase(token, "close");
    keep = keep || EqualsIgnoreCase(token, "keep-alive");
  });
  keep_alive_ = http10_ ? keep && !close : !close;

  if (limits_.no_body || status == 204 || status == 304) {
    framing_ = Framing::kNone;
    Finish();
    return;
  }
  std::string_view last_coding;
  bool has_transfer_coding = false;
  ForEachListElement(response_.headers, "Transfer-Encoding", [&](std::string_view coding) {
    has_transfer_coding = true;
    last_coding = coding;
  });
  if (has_transfer_coding) {
    // A Content-Length next to a transfer coding is ignored, and the connection not reused.
    if (FindHeader(response_.headers, "Content-Length")) keep_alive_ = false;
    if (EqualsIgnoreCase(last_coding, "chunked")) {
      framing_ = Framing::kChunked;
      phase_ = Phase::kChunkSize;
    } else {
      framing_ = Framing::kUntilEof;
      phase_ = Phase::kBodyUntilEof;
      keep_alive_ = false;
    }
    return;
  }
  std::optional<std::uint64_t> length;
  bool conflicting = false;
  ForEachListElement(response_.headers, "Content-Length", [&](std::string_view value) {
    const std::optional<std::uint64_t> parsed = ParseDecimal(value);
    if (!parsed || (length && *length != *parsed)) conflicting = true;
    if (parsed) length = parsed;
  });
  if (conflicting) {
    Fail("invalid or conflicting Content-Length headers");
    return;
  }
  if (FindHeader(response_.headers, "Content-Length") && !length) {
    Fail("an empty Content-Length header");
    return;
  }
  if (length) {
    announced_length_ = length;
    if (*length > limits_.max_body) {
      FailTooLarge();
      return;
    }
    framing_ = Framing::kLength;
    remaining_ = *length;
    // What is announced, up to 1 MiB: a peer that announces much and sends little costs no more.
    response_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, 1 << 20)));
    phase_ = Phase::kLengthBody;
    if (remaining_ == 0) Finish();
    return;
  }
  framing_ = Framing::kUntilEof;
  phase_ = Phase::kBodyUntilEof;
  keep_alive_ = false;
}

void ResponseParser::OnChunkSize(std::string_view line) {
  const std::string_view size = TrimOws(line.substr(0, line.find(';')));
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), value, 16);
  if (size.empty() || ec != std::errc() || end != size.data() + size.size()) {
    Fail("malformed chunk size '" + std::string(line.substr(0, 32)) + "'");
    return;
  }
  if (value == 0) {
    phase_ = Phase::kTrailers;
    return;
  }
  if (value > limits_.max_body - response_.body.size()) {
    FailTooLarge();
    return;
  }
  remaining_ = value;
  phase_ = Phase::kChunkData;
}

void ResponseParser::AppendBody(std::string_view bytes) {
  if (bytes.size() > limits_.max_body - response_.body.size()) {
    FailTooLarge();
    return;
  }
  response_.body.append(bytes);
}

void ResponseParser::Feed(std::string_view data) {
  if (!data.empty()) started_ = true;
  while (!data.empty() && state_ == State::kReading) {
    switch (phase_) {
      case Phase::kStatusLine:
      case Phase::kHeaders:
      case Phase::kChunkSize:
      case Phase::kChunkDataEnd:
      case Phase::kTrailers: {
        if (!TakeLine(data)) break;
        const std::string line = std::exchange(line_, {});
        if (phase_ == Phase::kStatusLine) {
          if (!line.empty()) OnStatusLine(line);  // tolerate blank lines before the status line
        } else if (phase_ == Phase::kHeaders) {
          if (line.empty()) {
            OnHeadersDone();
          } else {
            OnHeaderLine(line);
          }
        } else if (phase_ == Phase::kChunkSize) {
          OnChunkSize(line);
        } else if (phase_ == Phase::kChunkDataEnd) {
          if (!line.empty()) {
            Fail("a chunk is longer than its size");
          } else {
            phase_ = Phase::kChunkSize;
          }
        } else if (line.empty()) {  // kTrailers: ignored up to the empty line
          Finish();
        }
        break;
      }
      case Phase::kLengthBody:
      case Phase::kChunkData: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
        AppendBody(data.substr(0, n));
        data.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0 && state_ == State::kReading) {
          if (phase_ == Phase::kLengthBody) {
            Finish();
          } else {
            phase_ = Phase::kChunkDataEnd;
          }
        }
        break;
      }
      case Phase::kBodyUntilEof:
        AppendBody(data);
        data = {};
        break;
    }
  }
  // Bytes after the end of the message: the connection's framing can no longer be trusted.
  if (state_ == State::kDone && !data.empty()) keep_alive_ = false;
}

void ResponseParser::FinishAtEof() {
  if (state_ != State::kReading) return;
  if (phase_ == Phase::kBodyUntilEof) {
    keep_alive_ = false;
    Finish();
    return;
  }
  Fail(started_ ? "the connection closed before the response ended"
                : "the connection closed without a response");
}

}  // namespace ohfp::aws::http
