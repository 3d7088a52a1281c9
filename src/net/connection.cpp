#include "medic/net/connection.h"

#include "medic/net/field_text.h"

#include "medic/net/gzip.h"
#include "medic/net/request_parser.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace medic::net {
namespace {

constexpr std::size_t kReadChunk = std::size_t{16} * 1024;
// Compressing a few hundred bytes costs more than it saves.
constexpr std::size_t kMinGzipBytes = 512;
// What a refused request may still send that medic reads and discards before closing.
constexpr std::size_t kDefaultDrainBytes = 1 << 20;
constexpr std::size_t kMaxDrainBytes = 64 << 20;

bool IsHttp10(const Request& request) { return request.version == "HTTP/1.0"; }

// HTTP/1.1 keeps the connection unless the client says close; HTTP/1.0 only when it asks.
bool ClientWantsKeepAlive(const Request& request) {
  const std::string connection = request.Header("Connection");
  if (ListHasToken(connection, "close")) return false;
  return !IsHttp10(request) || ListHasToken(connection, "keep-alive");
}

std::string ResponseHead(const Response& response, std::size_t content_length, bool keep_alive,
                         bool http10) {
  std::string head;
  head.reserve(256);
  head += "HTTP/1.1 ";
  std::array<char, 8> digits{};
  const auto [end, unused] =
      std::to_chars(digits.data(), digits.data() + digits.size(), response.status);
  head.append(digits.data(), end);
  head += ' ';
  head += StatusText(response.status);
  head += "\r\n";
  for (const auto& [name, value] : response.headers) {
    // Framing is the connection's to decide, whatever a handler set.
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Connection") ||
        EqualsIgnoreCase(name, "Transfer-Encoding")) {
      continue;
    }
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  head += "Content-Length: ";
  head += std::to_string(content_length);
  head += "\r\n";
  if (!keep_alive) {
    head += "Connection: close\r\n";
  } else if (http10) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  return head;
}

class ConnectionServer {
 public:
  ConnectionServer(SocketStream& stream, const Peer& peer, const ConnectionLimits& limits,
                   int stop_fd, const Dispatcher& dispatch)
      : stream_(stream), peer_(peer), limits_(limits), stop_fd_(stop_fd), dispatch_(dispatch) {}

  void Run() {
    for (std::size_t served = 0; served < limits_.keep_alive_max_requests; ++served) {
      if (input_.empty() && !stream_.HasPending() &&
          !WaitReadable(stream_.fd(), SteadyClock::now() + limits_.keep_alive_timeout, stop_fd_)) {
        return;
      }
      const bool last_allowed = served + 1 == limits_.keep_alive_max_requests;
      if (!ServeOne(last_allowed)) return;
    }
  }

 private:
  enum class Fill { kMore, kClosed, kTimedOut, kFailed };

  // Reads what has arrived into input_, waiting no later than the request deadline.
  Fill ReadMore() {
    std::array<char, kReadChunk> chunk;
    const ReadResult result = stream_.Read(chunk.data(), chunk.size(), deadline_);
    switch (result.status) {
      case ReadStatus::kData:
        input_.append(chunk.data(), result.bytes);
        return Fill::kMore;
      case ReadStatus::kClosed:
        return Fill::kClosed;
      case ReadStatus::kTimedOut:
        return Fill::kTimedOut;
      case ReadStatus::kFailed:
        return Fill::kFailed;
    }
    return Fill::kFailed;
  }

  // Answers an error medic found itself and ends the connection. The client may still be
  // sending; reading what it sends (up to `drain_bytes`, until the request deadline or half a
  // second, whichever is later) keeps the kernel from answering with a reset that would destroy
  // the response before the client reads it.
  void FailRequest(int status, const std::string& reason, bool http10 = false,
                   std::size_t drain_bytes = kDefaultDrainBytes) {
    if (status != 408) {
      spdlog::debug("http: {} from {}:{}: {}", status, peer_.address, peer_.port, reason);
    }
    Response response;
    response.status = status;
    response.SetContent(ErrorBody(status), "text/plain; charset=utf-8");
    if (!stream_.WriteAll(
            ResponseHead(response, response.body.size(), false, http10) + response.body,
            limits_.write_timeout)) {
      return;
    }
    ::shutdown(stream_.fd(), SHUT_WR);
    deadline_ = std::max(deadline_, SteadyClock::now() + std::chrono::milliseconds(500));
    for (std::size_t drained = 0; drained < drain_bytes; drained += input_.size()) {
      input_.clear();
      if (ReadMore() != Fill::kMore) break;
    }
  }

  // 414 when the request line alone is over the limit, 431 when the header fields are.
  void FailHeadTooLarge() {
    const auto newline = input_.find('\n');
    if (newline == std::string::npos || newline > kMaxRequestHeadBytes) {
      FailRequest(414, "request line too long");
    } else {
      FailRequest(431, "request header fields too large");
    }
  }

  // Reads, parses, dispatches and answers one request; false when the connection must close.
  bool ServeOne(bool last_allowed) {
    deadline_ = SteadyClock::now() + limits_.read_timeout;
    std::size_t head_end = FindEndOfHead(input_);
    while (head_end == std::string::npos) {
      if (input_.size() > kMaxRequestHeadBytes) {
        FailHeadTooLarge();
        return false;
      }
      const Fill fill = ReadMore();
      if (fill == Fill::kTimedOut && !input_.empty()) {
        FailRequest(408, "request not complete before the read timeout");
        return false;
      }
      if (fill != Fill::kMore) return false;
      head_end = FindEndOfHead(input_);
    }
    if (head_end > kMaxRequestHeadBytes + 4) {
      FailHeadTooLarge();
      return false;
    }
    HeadParse parsed = ParseRequestHead(std::string_view(input_).substr(0, head_end));
    input_.erase(0, head_end);
    if (parsed.error_status != 0) {
      FailRequest(parsed.error_status, parsed.error);
      return false;
    }
    Request& request = parsed.request;
    const bool http10 = IsHttp10(request);
    if (!ReadBody(request)) return false;
    request.remote_addr = peer_.address;
    request.remote_port = peer_.port;

    Response response;
    try {
      dispatch_(request, response);
    } catch (const std::exception& error) {
      spdlog::error("http: {} {} failed: {}", request.method, request.path, error.what());
      response = Response{};
      response.status = 500;
      response.SetContent("internal error\n", "text/plain; charset=utf-8");
    }
    const bool keep_alive = ClientWantsKeepAlive(request) && !last_allowed;
    return WriteResponse(request, response, keep_alive, http10) && keep_alive;
  }

  bool ReadBody(Request& request) {
    const BodyFraming framing = ParseBodyFraming(request.headers);
    if (framing.error_status != 0) {
      FailRequest(framing.error_status, framing.error, IsHttp10(request));
      return false;
    }
    if (framing.kind == BodyFraming::Kind::kLength && framing.length > limits_.max_body_bytes) {
      // A client that did not ask with Expect: 100-continue is sending the body now and reads
      // the answer only afterwards; take what it declared (within bounds) so the 413 arrives.
      FailRequest(413, "body larger than the cap", IsHttp10(request),
                  std::min(framing.length, kMaxDrainBytes));
      return false;
    }
    const std::string expect = request.Header("Expect");
    if (!expect.empty()) {
      if (!ListHasToken(expect, "100-continue")) {
        FailRequest(417, "unsupported Expect " + expect, IsHttp10(request));
        return false;
      }
      if (!IsHttp10(request) && framing.kind != BodyFraming::Kind::kNone && input_.empty() &&
          !stream_.WriteAll("HTTP/1.1 100 Continue\r\n\r\n", limits_.write_timeout)) {
        return false;
      }
    }
    if (framing.kind == BodyFraming::Kind::kLength) {
      while (input_.size() < framing.length) {
        if (!ReadBodyBytes()) return false;
      }
      request.body = input_.substr(0, framing.length);
      input_.erase(0, framing.length);
    } else if (framing.kind == BodyFraming::Kind::kChunked) {
      ChunkedBodyDecoder decoder(limits_.max_body_bytes);
      while (true) {
        const auto result = decoder.Consume(input_, request.body);
        if (result == ChunkedBodyDecoder::Result::kDone) break;
        if (result == ChunkedBodyDecoder::Result::kMalformed) {
          FailRequest(400, "malformed chunked body");
          return false;
        }
        if (result == ChunkedBodyDecoder::Result::kTooLarge) {
          FailRequest(413, "chunked body larger than the cap");
          return false;
        }
        if (!ReadBodyBytes()) return false;
      }
    }
    return true;
  }

  bool ReadBodyBytes() {
    const Fill fill = ReadMore();
    if (fill == Fill::kTimedOut) FailRequest(408, "body not complete before the read timeout");
    return fill == Fill::kMore;
  }

  bool WriteResponse(const Request& request, Response& response, bool keep_alive, bool http10) {
    const bool head_only = request.method == "HEAD";
    const std::string content_type = HeaderValue(response.headers, "Content-Type");
    if (IsCompressible(content_type) || response.HasHeader("Content-Encoding")) {
      response.headers.emplace("Vary", "Accept-Encoding");
    }
    if (response.body.size() >= kMinGzipBytes && !response.HasHeader("Content-Encoding") &&
        IsCompressible(content_type) && AcceptsGzip(request.Header("Accept-Encoding"))) {
      try {
        response.body = GzipCompress(response.body);
        response.SetHeader("Content-Encoding", "gzip");
      } catch (const std::exception& error) {
        spdlog::warn("http: sending {} uncompressed: {}", request.path, error.what());
      }
    }
    std::string head = ResponseHead(response, response.body.size(), keep_alive, http10);
    if (head_only || response.body.empty()) return stream_.WriteAll(head, limits_.write_timeout);
    // One write for a typical response; a large body goes out from its own buffer.
    if (response.body.size() <= kReadChunk) {
      head += response.body;
      return stream_.WriteAll(head, limits_.write_timeout);
    }
    return stream_.WriteAll(head, limits_.write_timeout) &&
           stream_.WriteAll(response.body, limits_.write_timeout);
  }

  SocketStream& stream_;
  const Peer& peer_;
  const ConnectionLimits& limits_;
  const int stop_fd_;
  const Dispatcher& dispatch_;
  std::string input_;
  SteadyClock::time_point deadline_;
};

}  // namespace

std::string ErrorBody(int status) {
  // The reason phrase in lower case, as Go's net/http writes it; Prometheus users know
  // "404 page not found" from every Go exporter.
  const std::string reason = status == 404 ? "page not found" : AsciiLowercase(StatusText(status));
  return std::to_string(status) + " " + reason + "\n";
}

void ServeConnection(SocketStream& stream, const Peer& peer, const ConnectionLimits& limits,
                     int stop_fd, const Dispatcher& dispatch) {
  ConnectionServer(stream, peer, limits, stop_fd, dispatch).Run();
  stream.Close();
}

}  // namespace medic::net
