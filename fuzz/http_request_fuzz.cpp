// Request heads and chunked bodies from the network: parsing never crashes, never reads out of
// bounds, and what it accepts is self-consistent.
#include "medic/net/request_parser.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t end = medic::net::FindEndOfHead(input);
  if (end != std::string::npos) {
    if (end > input.size()) std::abort();
    const auto parsed = medic::net::ParseRequestHead(std::string_view(input).substr(0, end));
    if (parsed.error_status == 0) {
      if (parsed.request.target.empty() || parsed.request.method.empty()) std::abort();
      const auto framing = medic::net::ParseBodyFraming(parsed.request.headers);
      if (framing.error_status == 0 && framing.kind == medic::net::BodyFraming::Kind::kChunked) {
        medic::net::ChunkedBodyDecoder decoder(4096);
        std::string rest = input.substr(end);
        std::string body;
        const std::size_t before = rest.size();
        decoder.Consume(rest, body);
        if (body.size() > 4096 || rest.size() > before) std::abort();
      }
    } else if (parsed.error.empty()) {
      std::abort();
    }
  }
  // The decoder alone on raw bytes, fed in two pieces.
  medic::net::ChunkedBodyDecoder decoder(1 << 16);
  std::string first = input.substr(0, size / 2);
  std::string body;
  if (decoder.Consume(first, body) == medic::net::ChunkedBodyDecoder::Result::kNeedMore) {
    first += input.substr(size / 2);
    decoder.Consume(first, body);
  }
  return 0;
}
