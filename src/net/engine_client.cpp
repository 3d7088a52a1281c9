#include "medic/net/engine_client.h"

#include "medic/net/field_text.h"
#include "medic/net/request_parser.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

namespace medic::net {
namespace {

using Clock = std::chrono::steady_clock;

// Response heads from local engines are a few hundred bytes.
constexpr std::size_t kMaxResponseHeadBytes = std::size_t{64} * 1024;
constexpr auto kCancelCheck = std::chrono::milliseconds(250);

struct ResponseHead {
  int status = 0;
  bool http10 = false;
  Headers headers;
};

// "HTTP/1.1 200 OK" and its fields; throws ClientError when malformed.
ResponseHead ParseResponseHead(std::string_view head) {
  const std::string_view line = NextHeadLine(head);
  ResponseHead parsed;
  if (!line.starts_with("HTTP/1.") || line.size() < 12 || line[8] != ' ') {
    throw ClientError("malformed response status line");
  }
  parsed.http10 = line.starts_with("HTTP/1.0");
  const std::string_view code = line.substr(9, 3);
  const auto [end, error] = std::from_chars(code.data(), code.data() + code.size(), parsed.status);
  if (error != std::errc() || end != code.data() + code.size() || parsed.status < 100 ||
      (line.size() > 12 && line[12] != ' ')) {
    throw ClientError("malformed response status line");
  }
  if (std::string problem = ParseFieldLines(head, parsed.headers); !problem.empty()) {
    throw ClientError("malformed response: " + problem);
  }
  return parsed;
}

}  // namespace

std::string ClientEndpoint::Describe() const {
  return unix_path.empty() ? host + ":" + std::to_string(port) : "unix://" + unix_path;
}

struct EngineClient::Call {
  Clock::time_point deadline;
  const std::atomic<bool>* cancelled = nullptr;
  std::string what;  // "GET /x via unix:///run/docker.sock" for messages

  [[noreturn]] void Fail(const std::string& reason) const {
    throw ClientError(what + ": " + reason);
  }
  // Waits for `events` on `fd`, a quarter second at a time so cancellation is seen.
  void Wait(int fd, short events) const {
    while (true) {
      if (cancelled != nullptr && cancelled->load()) Fail("cancelled");
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) Fail("timed out");
      pollfd entry{fd, events, 0};
      const int ready =
          ::poll(&entry, 1,
                 static_cast<int>(std::min<std::chrono::milliseconds>(left, kCancelCheck).count()));
      if (ready > 0) return;
      if (ready < 0 && errno != EINTR) Fail(std::string("poll: ") + std::strerror(errno));
    }
  }
};

EngineClient::EngineClient(ClientEndpoint endpoint, std::string host_header,
                           std::size_t max_idle_connections)
    : endpoint_(std::move(endpoint)),
      host_header_(std::move(host_header)),
      max_idle_connections_(max_idle_connections) {}

UniqueFd EngineClient::TakeIdle() {
  std::lock_guard lock(idle_mutex_);
  if (idle_.empty()) return UniqueFd();
  UniqueFd connection = std::move(idle_.back());
  idle_.pop_back();
  return connection;
}

void EngineClient::KeepIdle(UniqueFd connection) {
  std::lock_guard lock(idle_mutex_);
  if (idle_.size() < max_idle_connections_) idle_.push_back(std::move(connection));
}

UniqueFd EngineClient::Connect(const Call& call) {
  const auto connect_one = [&call](int family, const sockaddr* address, socklen_t length) {
    UniqueFd socket(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!socket.valid()) call.Fail(std::string("socket: ") + std::strerror(errno));
    if (::connect(socket.get(), address, length) != 0) {
      if (errno != EINPROGRESS && errno != EAGAIN) {
        call.Fail(std::string("cannot connect: ") + std::strerror(errno));
      }
      call.Wait(socket.get(), POLLOUT);
      int error = 0;
      socklen_t size = sizeof(error);
      ::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &size);
      if (error != 0) call.Fail(std::string("cannot connect: ") + std::strerror(error));
    }
    return socket;
  };
  if (!endpoint_.unix_path.empty()) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (endpoint_.unix_path.size() >= sizeof(address.sun_path)) call.Fail("socket path too long");
    std::copy(endpoint_.unix_path.begin(), endpoint_.unix_path.end(), address.sun_path);
    return connect_one(AF_UNIX, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(endpoint_.port);
  if (const int error = ::getaddrinfo(endpoint_.host.c_str(), service.c_str(), &hints, &found);
      error != 0) {
    call.Fail(std::string("cannot resolve ") + endpoint_.host + ": " + ::gai_strerror(error));
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  std::string last_error = "no address";
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    try {
      UniqueFd socket = connect_one(address->ai_family, address->ai_addr, address->ai_addrlen);
      const int on = 1;
      ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
      return socket;
    } catch (const ClientError& error) {
      last_error = error.what();
      if (Clock::now() >= call.deadline) throw;
    }
  }
  throw ClientError(last_error);
}

ClientResponse EngineClient::Send(const ClientRequest& request, Duration timeout,
                                  std::size_t max_body_bytes, const std::atomic<bool>* cancelled) {
  Call call{Clock::now() + timeout, cancelled,
            request.method + " " + request.target + " via " + endpoint_.Describe()};
  std::string wire = request.method + " " + request.target + " HTTP/1.1\r\nHost: " + host_header_ +
                     "\r\nUser-Agent: medic\r\n";
  for (const auto& [name, value] : request.headers) {
    wire.append(name).append(": ").append(value).append("\r\n");
  }
  if (!request.body.empty() || (request.method != "GET" && request.method != "HEAD")) {
    wire += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  wire += "\r\n";
  wire += request.body;

  for (int attempt = 0;; ++attempt) {
    UniqueFd connection = attempt == 0 && !request.fresh_connection ? TakeIdle() : UniqueFd();
    const bool reused = connection.valid();
    if (!reused) connection = Connect(call);
    // Bytes of the answer seen so far: a reused connection that fails before any arrive was
    // closed by the engine while idle, and the request is sent again on a new one.
    std::size_t received = 0;
    const auto retry_or_fail = [&](const std::string& reason) {
      if (!reused || received > 0) call.Fail(reason);
    };

    bool sent = true;
    for (std::string_view rest = wire; !rest.empty();) {
      const ssize_t written = ::send(connection.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (written > 0) {
        rest.remove_prefix(static_cast<std::size_t>(written));
      } else if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        call.Wait(connection.get(), POLLOUT);
      } else if (written < 0 && errno == EINTR) {
        continue;
      } else {
        retry_or_fail(std::string("send: ") + std::strerror(errno));
        sent = false;
        break;
      }
    }
    if (!sent) continue;

    std::string input;
    bool closed = false;
    // Reads more of the answer; false once the engine has closed the connection.
    const auto read_more = [&]() -> bool {
      std::array<char, std::size_t{16} * 1024> chunk;
      while (true) {
        const ssize_t got = ::recv(connection.get(), chunk.data(), chunk.size(), 0);
        if (got > 0) {
          input.append(chunk.data(), static_cast<std::size_t>(got));
          received += static_cast<std::size_t>(got);
          return true;
        }
        if (got == 0) {
          closed = true;
          return false;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          if (received == 0 && reused) return false;
          call.Fail(std::string("recv: ") + std::strerror(errno));
        }
        call.Wait(connection.get(), POLLIN);
      }
    };

    ResponseHead head;
    bool have_head = false;
    bool retry = false;
    while (!have_head) {
      std::size_t end = FindEndOfHead(input);
      while (end == std::string::npos) {
        if (input.size() > kMaxResponseHeadBytes) call.Fail("response head too large");
        if (!read_more()) {
          if (reused && received == 0) {
            retry = true;
            break;
          }
          call.Fail("connection closed before the response was complete");
        }
        end = FindEndOfHead(input);
      }
      if (retry) break;
      head = ParseResponseHead(std::string_view(input).substr(0, end));
      input.erase(0, end);
      // An interim 1xx answer (100 Continue) is followed by the real one.
      have_head = head.status >= 200;
    }
    if (retry) continue;

    ClientResponse response;
    response.status = head.status;
    response.headers = std::move(head.headers);
    const BodyFraming framing = ParseBodyFraming(response.headers);
    if (framing.error_status != 0) call.Fail("malformed response: " + framing.error);
    const bool no_body =
        request.method == "HEAD" || response.status == 204 || response.status == 304;
    bool reusable =
        !head.http10 && !ListHasToken(HeaderValue(response.headers, "Connection"), "close");
    const auto too_large = [&] {
      call.Fail("response larger than " + std::to_string(max_body_bytes) + " bytes");
    };
    if (no_body) {
      // Nothing to read.
    } else if (framing.kind == BodyFraming::Kind::kLength) {
      if (framing.length > max_body_bytes) too_large();
      while (input.size() < framing.length) {
        if (!read_more()) call.Fail("connection closed before the response was complete");
      }
      response.body = input.substr(0, framing.length);
      input.erase(0, framing.length);
    } else if (framing.kind == BodyFraming::Kind::kChunked) {
      ChunkedBodyDecoder decoder(max_body_bytes);
      while (true) {
        const auto result = decoder.Consume(input, response.body);
        if (result == ChunkedBodyDecoder::Result::kDone) break;
        if (result == ChunkedBodyDecoder::Result::kTooLarge) too_large();
        if (result == ChunkedBodyDecoder::Result::kMalformed) {
          call.Fail("malformed chunked response");
        }
        if (!read_more()) call.Fail("connection closed before the response was complete");
      }
    } else {
      // No length: the body runs until the engine closes the connection.
      reusable = false;
      while (read_more()) {
        if (input.size() > max_body_bytes) too_large();
      }
      response.body = std::move(input);
      input.clear();
    }
    if (reusable && !closed && input.empty()) KeepIdle(std::move(connection));
    return response;
  }
}

}  // namespace medic::net
