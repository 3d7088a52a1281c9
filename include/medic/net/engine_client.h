#pragma once

#include "medic/duration.h"
#include "medic/net/headers.h"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace medic::net {

// Where the engine listens: a unix socket path, or a TCP host and port.
struct ClientEndpoint {
  std::string unix_path;
  std::string host;
  int port = 0;
  // "unix:///run/x.sock" or "host:port" for messages.
  std::string Describe() const;
};

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Connect anew instead of reusing an idle connection: a liveness check must see whether the
  // server accepts connections now (a moved or removed unix socket leaves old ones working).
  bool fresh_connection = false;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

// Transport failures: connect, timeout, cancellation, an oversized or malformed answer.
class ClientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The HTTP/1.1 client for the Docker and podman engine API (plain HTTP on a unix socket or
// tcp://), on Boost.Beast and Asio; remote HTTP(S) URLs go through curl_client.h instead. The
// engine is local and plain, and this client is the one place that needs a unix socket, one
// deadline per call and Asio's cancellation. Thread-safe; idle keep-alive connections are kept for
// reuse, and a request whose reused connection turns out closed by the server is retried once on a
// new one. Every call has one deadline for connect, send and receive; `cancelled`, when set, aborts
// a call within a quarter of a second. Calls are synchronous and run on the caller's thread.
class EngineClient {
 public:
  EngineClient(ClientEndpoint endpoint, std::string host_header,
               std::size_t max_idle_connections = 16);
  ~EngineClient();
  EngineClient(const EngineClient&) = delete;
  EngineClient& operator=(const EngineClient&) = delete;

  // Throws ClientError. A response of any status is returned, not thrown.
  ClientResponse Send(const ClientRequest& request, Duration timeout, std::size_t max_body_bytes,
                      const std::atomic<bool>* cancelled = nullptr);

  const ClientEndpoint& endpoint() const { return endpoint_; }

 private:
  class Call;
  // A connection and the io_context it runs on (defined in the .cpp, so that this header
  // does not bring in Asio).
  struct Connection;
  std::unique_ptr<Connection> TakeIdle();
  void KeepIdle(std::unique_ptr<Connection> connection);

  const ClientEndpoint endpoint_;
  const std::string host_header_;
  const std::size_t max_idle_connections_;
  std::mutex idle_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace medic::net
