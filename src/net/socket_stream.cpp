#include "medic/net/socket_stream.h"

#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>

namespace medic::net {
namespace {

// Waits for `events` on `fd` until `deadline`; true when ready (or hung up: the next call says).
bool WaitFor(int fd, short events, SteadyClock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
            .count();
    if (left <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, INT_MAX)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

}  // namespace

bool WaitReadable(int fd, SteadyClock::time_point deadline, int stop_fd) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
            .count();
    if (left <= 0) return false;
    std::array<pollfd, 2> entries{pollfd{fd, POLLIN, 0}, pollfd{stop_fd, POLLIN, 0}};
    const int ready = ::poll(entries.data(), stop_fd >= 0 ? 2 : 1,
                             static_cast<int>(std::min<long long>(left, INT_MAX)));
    if (ready > 0) return stop_fd < 0 || entries[1].revents == 0;
    if (ready < 0 && errno != EINTR) return false;
  }
}

ReadResult PlainStream::Read(char* data, std::size_t size, SteadyClock::time_point deadline) {
  while (true) {
    const ssize_t received = ::recv(fd(), data, size, 0);
    if (received > 0) return {ReadStatus::kData, static_cast<std::size_t>(received)};
    if (received == 0) return {ReadStatus::kClosed, 0};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return {ReadStatus::kFailed, 0};
    if (!WaitFor(fd(), POLLIN, deadline)) return {ReadStatus::kTimedOut, 0};
  }
}

bool PlainStream::WriteAll(std::string_view data, Duration stall_timeout) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    if (!WaitFor(fd(), POLLOUT, SteadyClock::now() + stall_timeout)) return false;
  }
  return true;
}

void PlainStream::Close() { fd_.Reset(); }

bool TlsStream::WaitForSsl(int result, SteadyClock::time_point deadline) {
  switch (SSL_get_error(ssl_.get(), result)) {
    case SSL_ERROR_WANT_READ:
      return WaitFor(fd(), POLLIN, deadline);
    case SSL_ERROR_WANT_WRITE:
      return WaitFor(fd(), POLLOUT, deadline);
    default:
      // A failed connection must not attempt a close_notify later (OpenSSL forbids it).
      failed_ = true;
      ERR_clear_error();
      return false;
  }
}

bool TlsStream::Handshake(SteadyClock::time_point deadline) {
  while (true) {
    const int result = SSL_accept(ssl_.get());
    if (result == 1) return true;
    if (!WaitForSsl(result, deadline)) {
      failed_ = true;
      return false;
    }
  }
}

ReadResult TlsStream::Read(char* data, std::size_t size, SteadyClock::time_point deadline) {
  const int length = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
  while (true) {
    const int received = SSL_read(ssl_.get(), data, length);
    if (received > 0) return {ReadStatus::kData, static_cast<std::size_t>(received)};
    const int error = SSL_get_error(ssl_.get(), received);
    if (error == SSL_ERROR_ZERO_RETURN) return {ReadStatus::kClosed, 0};
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      failed_ = true;
      ERR_clear_error();
      return {ReadStatus::kFailed, 0};
    }
    if (!WaitForSsl(received, deadline)) {
      return {failed_ ? ReadStatus::kFailed : ReadStatus::kTimedOut, 0};
    }
  }
}

bool TlsStream::WriteAll(std::string_view data, Duration stall_timeout) {
  while (!data.empty()) {
    const int length = static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX));
    const int sent = SSL_write(ssl_.get(), data.data(), length);
    if (sent > 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (!WaitForSsl(sent, SteadyClock::now() + stall_timeout)) return false;
  }
  return true;
}

bool TlsStream::HasPending() const { return SSL_pending(ssl_.get()) > 0; }

void TlsStream::Close() {
  // One non-blocking attempt at close_notify; a peer that is gone does not hold the thread.
  if (!failed_ && ssl_) SSL_shutdown(ssl_.get());
  ERR_clear_error();
  ssl_.reset();
  fd_.Reset();
}

}  // namespace medic::net
