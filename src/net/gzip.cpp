#include "medic/net/gzip.h"

#include "medic/net/field_text.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <stdexcept>

namespace medic::net {
namespace {

// q=0, q=0.0, q=0.000: the client refuses the coding.
bool IsZeroQuality(std::string_view parameters) {
  const std::string lower = AsciiLowercase(parameters);
  const auto q = lower.find("q=");
  if (q == std::string::npos) return false;
  const std::string_view value = TrimOptionalWhitespace(std::string_view(lower).substr(q + 2));
  if (value.empty() || value.front() != '0') return false;
  return value.find_first_not_of("0.") == std::string_view::npos;
}

struct DeflateStreamEnd {
  void operator()(z_stream* stream) const { deflateEnd(stream); }
};

}  // namespace

bool AcceptsGzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding.remove_prefix(comma == std::string_view::npos ? accept_encoding.size()
                                                                  : comma + 1);
    const auto semicolon = item.find(';');
    const std::string coding = AsciiLowercase(TrimOptionalWhitespace(item.substr(0, semicolon)));
    if (coding != "gzip" && coding != "*") continue;
    return semicolon == std::string_view::npos || !IsZeroQuality(item.substr(semicolon + 1));
  }
  return false;
}

bool IsCompressible(std::string_view content_type) {
  const std::string type = AsciiLowercase(content_type);
  return type.starts_with("text/") || type.starts_with("application/json") ||
         type.starts_with("application/openmetrics-text") ||
         type.starts_with("application/javascript") || type.starts_with("image/svg+xml");
}

std::string GzipCompress(std::string_view data) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  const std::unique_ptr<z_stream, DeflateStreamEnd> owner(&stream);
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  // zlib's API is not const-correct; deflate never writes through next_in.
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  if (data.size() > UINT_MAX || deflate(&stream, Z_FINISH) != Z_STREAM_END) {
    throw std::runtime_error("gzip: deflate failed");
  }
  out.resize(stream.total_out);
  return out;
}

}  // namespace medic::net
