#pragma once

#include "medic/net/connection_table.h"
#include "medic/net/request.h"
#include "medic/net/response.h"
#include "medic/net/server_limits.h"
#include "medic/worker_pool.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace medic::net {

struct Peer {
  std::string address;
  int port = 0;
};

// What a route tells the transport once a request's head is in: its body cap, and whether its
// handler is quick enough to run on the I/O thread (health checks) rather than a worker.
struct RoutePlan {
  std::size_t max_body_bytes = 0;
  bool inline_handler = false;
  bool priority = false;  // on the priority workers (healing), never behind scrapes
  bool probe = false;     // on the probe workers (remote targets), never holding the others
};

// Counters of what the transport did, for medic_http_* metrics; read from any thread.
struct TransportCounters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> rejected{0};  // no room: every connection was being answered
  std::atomic<std::uint64_t> idle_timeouts{0};
  std::atomic<std::uint64_t> request_timeouts{0};
  std::atomic<std::uint64_t> write_timeouts{0};
  std::atomic<std::uint64_t> handshake_failures{0};
  // 4xx/5xx medic sent before a handler ran, by status (RefusalCodes() lists them).
  std::array<std::atomic<std::uint64_t>, 9> refused_by_code{};
  void CountRefusal(int status);
  std::atomic<std::uint64_t> busy{0};       // 503: the worker queue was full
  std::atomic<std::uint64_t> peer_busy{0};  // 503: the peer had max_requests_per_peer going
};

// The statuses the transport answers by itself, in the order of refused_by_code.
constexpr std::array<int, 9> RefusalCodes() { return {400, 408, 413, 414, 417, 431, 501, 505, 0}; }

// What every connection of one server shares. Lives as long as the server; touched from the
// I/O thread only, except the worker pool and the counters.
struct ConnectionContext {
  boost::asio::io_context& io;
  const ServerLimits& limits;
  ConnectionTable& table;
  WorkerPool& workers;
  WorkerPool& priority_workers;
  WorkerPool& probe_workers;
  TransportCounters& counters;
  std::function<RoutePlan(const Request&)> plan;
  std::function<void(const Request&, Response&)> dispatch;
  bool stopping = false;
};

// Serves HTTP/1.0 and 1.1 on an accepted socket until the client closes, keep-alive ends, a
// request is refused, a deadline passes, or the table evicts it. Everything but the handler
// runs on the I/O thread; the handler runs on the worker pool (or inline when its route says
// so). `tls` null: plain HTTP; else the handshake comes first, with this context.
// `peer_key` is what the connection counts against in the table (PeerKey()).
void StartConnection(ConnectionContext& context, boost::asio::ip::tcp::socket socket, Peer peer,
                     const std::string& peer_key, std::shared_ptr<boost::asio::ssl::context> tls);

}  // namespace medic::net
