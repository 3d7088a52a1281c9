#pragma once

#include "medic/duration.h"

#include <chrono>
#include <cstddef>

namespace medic::net {

// What one client may cost the server, each from `web:` in the config. Defaults are safe for a
// daemon on a production host: a flood of idle or trickling connections costs memory, never the
// next scrape's latency.
struct ServerLimits {
  // The whole request, first byte to last body byte, must arrive within this.
  Duration read_timeout = std::chrono::seconds(10);
  // Writing one response to a client that stopped reading.
  Duration write_timeout = std::chrono::seconds(10);
  // A connection (new, or kept alive after a response) that sends no byte for this is closed.
  Duration idle_timeout = std::chrono::seconds(5);
  // From accept to a finished TLS handshake.
  Duration tls_handshake_timeout = std::chrono::seconds(5);
  // Request line and header fields together, and how many fields.
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_header_fields = 100;
  // The body cap of routes that set none of their own (the webhook sets its own).
  std::size_t max_body_bytes = std::size_t{1} << 20;
  // Open connections in all. A new one over the cap closes the longest-waiting connection that
  // has not sent a complete request (idle keep-alive first in line), never one being answered.
  std::size_t max_connections = 4096;
  // The same per peer address (IPv6 per /64): a peer over it loses its own longest-waiting one.
  std::size_t max_connections_per_peer = 512;
  std::size_t keep_alive_max_requests = 100;
  // Handlers that may block (collectors, the journal's fsync, bcrypt) run on these threads,
  // never on the I/O thread; past `max_queued_requests` waiting, a request is answered 503.
  std::size_t worker_threads = 4;
  std::size_t max_queued_requests = 256;
  // Threads for routes that wait on remote targets (/probe, /scrape): a hung target holds one
  // for its timeout, so they are apart from worker_threads and started only as needed. Past
  // them requests wait in line (max_queued_requests), as a scrape waits for blackbox.
  std::size_t probe_threads = 64;
  // Requests one peer address may have with handlers (running or queued) at once; past it that
  // peer is answered 503, so a client flooding complete requests cannot starve the others.
  std::size_t max_requests_per_peer = 32;
};

}  // namespace medic::net
