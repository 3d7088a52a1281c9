#pragma once

#include "medic/duration.h"
#include "medic/net/request.h"
#include "medic/net/response.h"
#include "medic/net/socket_stream.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace medic::net {

struct ConnectionLimits {
  std::size_t max_body_bytes = 1 << 20;
  // The whole request (line, headers, body) must arrive within this of its first byte.
  Duration read_timeout = std::chrono::seconds(10);
  // Each wait for the client to drain the response.
  Duration write_timeout = std::chrono::seconds(10);
  Duration keep_alive_timeout = std::chrono::seconds(5);
  std::size_t keep_alive_max_requests = 100;
};

struct Peer {
  std::string address;
  int port = 0;
};

using Dispatcher = std::function<void(const Request&, Response&)>;

// Serves HTTP/1.0 and 1.1 on one accepted connection until the client closes, keep-alive ends,
// a request fails, or `stop_fd` (an eventfd) is signalled while the connection is idle. Malformed
// or oversized requests get their 4xx and the connection closes; handler exceptions become 500.
void ServeConnection(SocketStream& stream, const Peer& peer, const ConnectionLimits& limits,
                     int stop_fd, const Dispatcher& dispatch);

// The plain-text body medic sends with an error status it generates itself ("404 page not
// found\n").
std::string ErrorBody(int status);

}  // namespace medic::net
