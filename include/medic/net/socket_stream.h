#pragma once

#include "medic/duration.h"
#include "medic/tls/openssl_handles.h"
#include "medic/unique_fd.h"

#include <chrono>
#include <cstddef>
#include <string_view>

namespace medic::net {

using SteadyClock = std::chrono::steady_clock;

enum class ReadStatus { kData, kClosed, kTimedOut, kFailed };

struct ReadResult {
  ReadStatus status = ReadStatus::kFailed;
  std::size_t bytes = 0;
};

// Waits until `fd` is readable, `stop_fd` (an eventfd, -1 for none) is signalled, or
// `deadline`; true only for the first.
bool WaitReadable(int fd, SteadyClock::time_point deadline, int stop_fd = -1);

// One accepted connection's byte stream over a non-blocking socket, plain or TLS. Reads wait
// no later than the caller's deadline; each write waits at most the stall timeout for the peer
// to drain, so a client that stops reading cannot hold its thread.
class SocketStream {
 public:
  virtual ~SocketStream() = default;
  virtual ReadResult Read(char* data, std::size_t size, SteadyClock::time_point deadline) = 0;
  virtual bool WriteAll(std::string_view data, Duration stall_timeout) = 0;
  // Bytes already received and decrypted but not yet read (TLS record buffers).
  virtual bool HasPending() const { return false; }
  virtual void Close() = 0;
  int fd() const { return fd_.get(); }

 protected:
  explicit SocketStream(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

class PlainStream final : public SocketStream {
 public:
  explicit PlainStream(UniqueFd fd) : SocketStream(std::move(fd)) {}
  ReadResult Read(char* data, std::size_t size, SteadyClock::time_point deadline) override;
  bool WriteAll(std::string_view data, Duration stall_timeout) override;
  void Close() override;
};

class TlsStream final : public SocketStream {
 public:
  TlsStream(UniqueFd fd, tls::SslPtr ssl) : SocketStream(std::move(fd)), ssl_(std::move(ssl)) {}
  // The server side of the handshake, bounded by `deadline`; false (logged at debug) on failure.
  bool Handshake(SteadyClock::time_point deadline);
  ReadResult Read(char* data, std::size_t size, SteadyClock::time_point deadline) override;
  bool WriteAll(std::string_view data, Duration stall_timeout) override;
  bool HasPending() const override;
  void Close() override;

 private:
  // Waits for what OpenSSL asked for after `result`; false on a hard error or the deadline.
  bool WaitForSsl(int result, SteadyClock::time_point deadline);
  tls::SslPtr ssl_;
  bool failed_ = false;
};

}  // namespace medic::net
