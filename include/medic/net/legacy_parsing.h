#pragma once

#include "medic/net/request.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace medic::net {

// The most header bytes (request line and fields) one request may send.
inline constexpr std::size_t kMaxRequestHeadBytes = std::size_t{16} * 1024;

// Where the head ends in `buffer`: the offset just past the blank line that closes it, or
// npos while it is incomplete. Accepts CRLF and bare LF line endings.
std::size_t FindEndOfHead(std::string_view buffer);

// Takes the next line off `text`: up to LF, without it or one CR before it.
std::string_view NextHeadLine(std::string_view& text);

// Parses header field lines up to the blank line (or the end of `fields`) into `headers`;
// "" on success, else what is wrong. Shared by requests and responses.
std::string ParseFieldLines(std::string_view fields, Headers& headers);

struct HeadParse {
  Request request;       // method, target, path, params, version, headers
  int error_status = 0;  // 0 when the head is valid, else the status to answer with
  std::string error;
};

// Parses a complete head (request line and header fields, up to and including the blank
// line). Strict where leniency is a request-smuggling risk: no whitespace before a colon, no
// obsolete line folding, one Host-independent framing (see ParseBodyFraming).
HeadParse ParseRequestHead(std::string_view head);

struct BodyFraming {
  enum class Kind { kNone, kLength, kChunked } kind = Kind::kNone;
  std::size_t length = 0;  // kLength only
  int error_status = 0;
  std::string error;
};

// How the body is delimited: Content-Length, chunked, or none. Both at once, a list of
// differing lengths or another transfer coding is refused.
BodyFraming ParseBodyFraming(const Headers& headers);

// Incremental chunked transfer-coding decoder (RFC 9112 §7.1); trailers are read and dropped.
class ChunkedBodyDecoder {
 public:
  explicit ChunkedBodyDecoder(std::size_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}
  enum class Result { kNeedMore, kDone, kMalformed, kTooLarge };
  // Consumes what it can from the front of `input` (erasing it) and appends data to `body`.
  Result Consume(std::string& input, std::string& body);

 private:
  enum class State { kSize, kData, kDataEnd, kTrailer, kDone };
  State state_ = State::kSize;
  std::size_t max_body_bytes_;
  std::size_t chunk_left_ = 0;
  std::size_t trailer_bytes_ = 0;
};

}  // namespace medic::net
