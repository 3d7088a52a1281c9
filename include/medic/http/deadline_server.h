#pragma once

#include <httplib.h>

#include <chrono>

namespace medic::http {

// httplib's read timeout bounds each recv(), so a client that sends one header byte per
// second keeps a connection (and its thread) forever. This server reads every request through
// a stream with a deadline for the whole request: the request line, headers and body must all
// arrive within `request_timeout` of the request's first byte, or the connection is closed.
// Keep-alive waits between requests stay bounded by the keep-alive timeout. Plain HTTP only:
// TLS connections go through httplib::SSLServer's own handling.
class DeadlineServer : public httplib::Server {
 public:
  explicit DeadlineServer(std::chrono::milliseconds request_timeout,
                          std::chrono::milliseconds write_timeout);

 private:
  bool process_and_close_socket(socket_t sock) override;

  std::chrono::milliseconds request_timeout_;
  std::chrono::milliseconds write_timeout_;
};

}  // namespace medic::http
