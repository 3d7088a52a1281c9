// Requests from the network through the server's parser (Beast's, with medic's checks on top),
// fed in two pieces as a connection would: parsing never crashes, never reads out of bounds,
// keeps the body within its cap, and what it accepts is self-consistent.
#include "medic/net/request_parser.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

constexpr std::size_t kMaxBody = 4096;

void ParseInTwo(const std::string& input, std::size_t split) {
  medic::net::RequestParser parser(medic::net::RequestParser::Limits{2048, 32, kMaxBody});
  using Progress = medic::net::RequestParser::Progress;
  Progress progress = Progress::kNeedMore;
  std::string buffer;
  for (const std::string& piece : {input.substr(0, split), input.substr(split)}) {
    buffer += piece;
    while (true) {
      const std::size_t before = buffer.size();
      const std::size_t used = parser.Feed(buffer, progress);
      if (used > before) std::abort();
      buffer.erase(0, used);
      if (progress != Progress::kHeadDone) break;
      const auto& request = parser.request();
      if (request.method.empty() || request.target.empty()) std::abort();
      if (request.version != "HTTP/1.0" && request.version != "HTTP/1.1") std::abort();
    }
    if (progress == Progress::kRefused) {
      const auto& refusal = parser.refusal();
      if (refusal.status < 400 || refusal.status > 599 || refusal.reason.empty()) std::abort();
      return;
    }
    if (progress == Progress::kDone) {
      if (parser.request().body.size() > kMaxBody) std::abort();
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  ParseInTwo(input, size / 2);
  ParseInTwo(input, size > 0 ? 1 : 0);
  return 0;
}
