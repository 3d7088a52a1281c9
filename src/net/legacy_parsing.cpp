#include "medic/net/legacy_parsing.h"
#include "medic/net/request_target.h"

#include "medic/net/field_text.h"

#include <algorithm>
#include <charconv>

namespace medic::net {
namespace {

// RFC 9110 token characters: method names and field names.
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

// Field values may hold visible bytes, obs-text and whitespace, never controls such as a bare
// CR or NUL that a downstream parser could split on.
bool IsFieldValue(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
  });
}

// Request targets are visible ASCII only (RFC 9112 §3.2); spaces and controls are refused.
bool IsTargetText(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f;
  });
}

HeadParse Fail(int status, std::string error) {
  HeadParse result;
  result.error_status = status;
  result.error = std::move(error);
  return result;
}

}  // namespace

std::string_view NextHeadLine(std::string_view& text) {
  const auto end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::size_t FindEndOfHead(std::string_view buffer) {
  // Empty lines before the request line are not the end of a head (RFC 9112 §2.2: a server
  // ought to ignore at least one); ParseRequestHead skips them.
  std::size_t start = 0;
  while (start < buffer.size() && (buffer[start] == '\r' || buffer[start] == '\n')) ++start;
  for (std::size_t newline = buffer.find('\n', start); newline != std::string_view::npos;
       newline = buffer.find('\n', newline + 1)) {
    if (newline + 1 < buffer.size() && buffer[newline + 1] == '\n') return newline + 2;
    if (newline + 2 < buffer.size() && buffer[newline + 1] == '\r' && buffer[newline + 2] == '\n') {
      return newline + 3;
    }
  }
  return std::string_view::npos;
}

std::string ParseFieldLines(std::string_view fields, Headers& headers) {
  while (!fields.empty()) {
    const std::string_view field = NextHeadLine(fields);
    if (field.empty()) break;
    if (field.front() == ' ' || field.front() == '\t') return "obsolete header line folding";
    const auto colon = field.find(':');
    if (colon == std::string_view::npos || !IsToken(field.substr(0, colon))) {
      return "malformed header field";
    }
    const std::string_view value = TrimOptionalWhitespace(field.substr(colon + 1));
    if (!IsFieldValue(value)) return "malformed header field value";
    headers.emplace(std::string(field.substr(0, colon)), std::string(value));
  }
  return "";
}

HeadParse ParseRequestHead(std::string_view head) {
  // A few empty lines before the request line are tolerated (RFC 9112 §2.2).
  while (head.starts_with("\r\n") || head.starts_with("\n")) {
    head.remove_prefix(head.front() == '\r' ? 2 : 1);
  }
  const std::string_view line = NextHeadLine(head);
  const auto first_space = line.find(' ');
  const auto last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return Fail(400, "malformed request line");
  }
  HeadParse result;
  Request& request = result.request;
  request.method = std::string(line.substr(0, first_space));
  request.target = std::string(line.substr(first_space + 1, last_space - first_space - 1));
  request.version = std::string(line.substr(last_space + 1));
  if (!IsToken(request.method)) return Fail(400, "malformed request method");
  if (request.version != "HTTP/1.1" && request.version != "HTTP/1.0") {
    return request.version.starts_with("HTTP/") ? Fail(505, "unsupported HTTP version")
                                                : Fail(400, "malformed HTTP version");
  }
  if (request.target.empty() || !IsTargetText(request.target)) {
    return Fail(400, "malformed request target");
  }
  if (request.target.front() != '/' && !(request.method == "OPTIONS" && request.target == "*")) {
    return Fail(400, "request target must be an absolute path");
  }
  RequestTarget target = ParseRequestTarget(request.target);
  request.path = std::move(target.path);
  request.params = std::move(target.params);

  if (std::string error = ParseFieldLines(head, request.headers); !error.empty()) {
    return Fail(400, std::move(error));
  }
  if (request.version == "HTTP/1.1" && !request.HasHeader("Host")) {
    return Fail(400, "HTTP/1.1 request without Host");
  }
  return result;
}

BodyFraming ParseBodyFraming(const Headers& headers) {
  BodyFraming framing;
  const auto fail = [&framing](int status, std::string error) {
    framing.error_status = status;
    framing.error = std::move(error);
    return framing;
  };
  const auto encodings = headers.equal_range("Transfer-Encoding");
  const auto lengths = headers.equal_range("Content-Length");
  const bool has_encoding = encodings.first != encodings.second;
  const bool has_length = lengths.first != lengths.second;
  if (has_encoding && has_length) {
    return fail(400, "both Transfer-Encoding and Content-Length");
  }
  if (has_encoding) {
    if (std::next(encodings.first) != encodings.second) {
      return fail(501, "only one Transfer-Encoding: chunked is supported");
    }
    const std::string coding = AsciiLowercase(TrimOptionalWhitespace(encodings.first->second));
    if (coding != "chunked") return fail(501, "unsupported Transfer-Encoding " + coding);
    framing.kind = BodyFraming::Kind::kChunked;
    return framing;
  }
  if (!has_length) return framing;
  // Several Content-Length fields (or a list) are acceptable only when they all agree.
  bool seen = false;
  for (auto it = lengths.first; it != lengths.second; ++it) {
    std::string_view list = it->second;
    while (true) {
      const auto comma = list.find(',');
      const std::string_view item = TrimOptionalWhitespace(list.substr(0, comma));
      std::size_t value = 0;
      const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), value);
      if (item.empty() || error != std::errc() || end != item.data() + item.size() ||
          item.front() == '+' || item.front() == '-') {
        return fail(400, "malformed Content-Length");
      }
      if (seen && value != framing.length) return fail(400, "conflicting Content-Length values");
      seen = true;
      framing.length = value;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  framing.kind = BodyFraming::Kind::kLength;
  return framing;
}

ChunkedBodyDecoder::Result ChunkedBodyDecoder::Consume(std::string& input, std::string& body) {
  // Chunk-size lines and trailer fields are short; a longer one is an attack, not a body.
  constexpr std::size_t kMaxLine = 4096;
  constexpr std::size_t kMaxTrailerBytes = std::size_t{16} * 1024;
  std::size_t offset = 0;
  const auto erase_consumed = [&input, &offset] { input.erase(0, offset); };
  while (state_ != State::kDone) {
    if (state_ == State::kData) {
      const std::size_t take = std::min(chunk_left_, input.size() - offset);
      body.append(input, offset, take);
      offset += take;
      chunk_left_ -= take;
      if (chunk_left_ > 0) break;
      state_ = State::kDataEnd;
      continue;
    }
    const auto newline = input.find('\n', offset);
    if (newline == std::string::npos) {
      if (input.size() - offset > kMaxLine) return Result::kMalformed;
      break;
    }
    std::string_view line(input.data() + offset, newline - offset);
    if (line.size() > kMaxLine) return Result::kMalformed;
    offset = newline + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (state_ == State::kDataEnd) {
      if (!line.empty()) return Result::kMalformed;
      state_ = State::kSize;
    } else if (state_ == State::kSize) {
      const std::string_view size_text = TrimOptionalWhitespace(line.substr(0, line.find(';')));
      std::size_t size = 0;
      const auto [end, error] =
          std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
      if (size_text.empty() || error != std::errc() || end != size_text.data() + size_text.size()) {
        return Result::kMalformed;
      }
      if (size > max_body_bytes_ || body.size() > max_body_bytes_ - size) {
        return Result::kTooLarge;
      }
      chunk_left_ = size;
      state_ = size == 0 ? State::kTrailer : State::kData;
    } else {  // kTrailer: fields until the empty line
      trailer_bytes_ += line.size();
      if (trailer_bytes_ > kMaxTrailerBytes) return Result::kMalformed;
      if (line.empty()) state_ = State::kDone;
    }
  }
  erase_consumed();
  return state_ == State::kDone ? Result::kDone : Result::kNeedMore;
}

}  // namespace medic::net
