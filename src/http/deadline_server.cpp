#include "medic/http/deadline_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace medic::http {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for `events` on `fd` until `deadline`; true when ready.
bool WaitUntil(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

void PeerAddress(int fd, bool local, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  auto* raw = reinterpret_cast<sockaddr*>(&address);
  if ((local ? ::getsockname(fd, raw, &length) : ::getpeername(fd, raw, &length)) != 0) return;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text.data(), text.size());
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text.data(), text.size());
    port = ntohs(v6->sin6_port);
  }
  ip = text.data();
}

// A socket stream whose reads share one deadline per request (set by StartRequest) and whose
// writes each wait at most the write timeout. Buffered because httplib reads headers a byte at
// a time.
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(int fd, std::chrono::milliseconds write_timeout)
      : fd_(fd), write_timeout_(write_timeout) {}

  void StartRequest(std::chrono::milliseconds request_timeout) {
    read_deadline_ = Clock::now() + request_timeout;
  }
  bool HasBufferedBytes() const { return offset_ < filled_; }
  // A read ran into the request deadline: whatever httplib answered, the connection must
  // close, or a trickling client would just start its next "request".
  bool DeadlinePassed() const { return deadline_passed_; }

  bool is_readable() const override {
    return HasBufferedBytes() || WaitUntil(fd_, POLLIN, read_deadline_);
  }
  bool is_writable() const override {
    return WaitUntil(fd_, POLLOUT, Clock::now() + write_timeout_);
  }

  ssize_t read(char* ptr, size_t size) override {
    if (!HasBufferedBytes()) {
      if (!WaitUntil(fd_, POLLIN, read_deadline_)) {
        deadline_passed_ = true;
        return -1;
      }
      ssize_t received = 0;
      do {
        received = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
      } while (received < 0 && errno == EINTR);
      if (received <= 0) return received;
      offset_ = 0;
      filled_ = static_cast<std::size_t>(received);
    }
    const std::size_t count = std::min(size, filled_ - offset_);
    std::memcpy(ptr, buffer_.data() + offset_, count);
    offset_ += count;
    return static_cast<ssize_t>(count);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t sent = 0;
    do {
      sent = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    PeerAddress(fd_, false, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    PeerAddress(fd_, true, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  int fd_;
  std::chrono::milliseconds write_timeout_;
  Clock::time_point read_deadline_ = Clock::now();
  std::array<char, 4096> buffer_{};
  std::size_t offset_ = 0;
  std::size_t filled_ = 0;
  bool deadline_passed_ = false;
};

}  // namespace

DeadlineServer::DeadlineServer(std::chrono::milliseconds request_timeout,
                               std::chrono::milliseconds write_timeout)
    : request_timeout_(request_timeout), write_timeout_(write_timeout) {}

bool DeadlineServer::process_and_close_socket(socket_t sock) {
  DeadlineStream stream(sock, write_timeout_);
  bool ok = false;
  for (std::size_t count = keep_alive_max_count_; count > 0 && svr_sock_ != INVALID_SOCKET;
       --count) {
    // Between requests a keep-alive connection may idle for the keep-alive timeout; the
    // request deadline starts once it is readable (its first byte has arrived).
    if (!stream.HasBufferedBytes() &&
        !WaitUntil(sock, POLLIN, Clock::now() + std::chrono::seconds(keep_alive_timeout_sec_))) {
      break;
    }
    stream.StartRequest(request_timeout_);
    bool connection_closed = false;
    ok = process_request(stream, count == 1, connection_closed, nullptr);
    if (!ok || connection_closed || stream.DeadlinePassed()) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace medic::http
