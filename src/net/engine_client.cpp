#include "medic/net/engine_client.h"

#include "medic/unique_fd.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace medic::net {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
// One socket type for both endpoints: a unix socket and TCP differ only in how they connect.
using Protocol = asio::generic::stream_protocol;

// Response heads from local engines are a few hundred bytes.
constexpr std::uint32_t kMaxResponseHeadBytes = 64 * 1024;
constexpr auto kCancelCheck = std::chrono::milliseconds(250);

http::request<http::string_body> MakeRequest(const ClientRequest& request,
                                             const std::string& host) {
  http::request<http::string_body> message;
  message.version(11);
  if (const http::verb verb = http::string_to_verb(request.method); verb != http::verb::unknown) {
    message.method(verb);
  } else {
    message.method_string(request.method);
  }
  message.target(request.target);
  message.set(http::field::host, host);
  message.set(http::field::user_agent, "medic");
  for (const auto& [name, value] : request.headers) message.insert(name, value);
  message.body() = request.body;
  // A length on every request that may carry a body, 0 included (a bodiless POST restart or
  // DELETE): what medic has always sent, and servers that insist on a length for those methods
  // (411 Length Required) accept it. Beast's prepare_payload would leave it off a DELETE.
  if (!request.body.empty() ||
      (message.method() != http::verb::get && message.method() != http::verb::head)) {
    message.content_length(request.body.size());
  }
  return message;
}

// What a failed read means, in the words of a ClientError.
std::string ReadFailure(const error_code& error, std::size_t max_body_bytes) {
  if (error == http::error::body_limit) {
    return "response larger than " + std::to_string(max_body_bytes) + " bytes";
  }
  if (error == http::error::header_limit) {
    return "response head larger than " + std::to_string(kMaxResponseHeadBytes) + " bytes";
  }
  if (error == http::error::end_of_stream || error == http::error::partial_message) {
    return "connection closed before the response was complete";
  }
  if (error.category() == make_error_code(http::error::bad_version).category()) {
    return "malformed response: " + error.message();
  }
  return "recv: " + error.message();
}

}  // namespace

std::string ClientEndpoint::Describe() const {
  return unix_path.empty() ? host + ":" + std::to_string(port) : "unix://" + unix_path;
}

// A connection and the io_context it runs on travel together: a call runs its connection's
// io_context on the caller's thread, so concurrent callers never run each other's handlers and
// no thread is started, and a reused connection needs no new epoll set. (Measured on this VM:
// an io_context made per call cost ~30 us of syscalls, as much as the rest of a call to an
// engine that answers at once.)
struct EngineClient::Connection {
  asio::io_context io{1};  // run by one thread at a time: Asio may leave out its locking
  Protocol::socket socket{io};
  asio::steady_timer watchdog{io};
};

// One Send: its deadline, its cancellation flag and the connection it runs on. A watchdog timer
// closes the socket once the deadline has passed or `cancelled` is set, which ends whatever
// operation is pending and makes any later one fail at once.
class EngineClient::Call {
 public:
  Call(std::string what, Clock::time_point deadline, const std::atomic<bool>* cancelled)
      : what_(std::move(what)), deadline_(deadline), cancelled_(cancelled) {}

  Protocol::socket& socket() { return connection_->socket; }

  [[noreturn]] void Fail(const std::string& reason) const {
    throw ClientError(what_ + ": " + reason);
  }

  // Continues on a connection kept from an earlier call; false when there is none.
  bool Adopt(std::unique_ptr<Connection> idle) {
    if (idle == nullptr) return false;
    Use(std::move(idle));
    return true;
  }

  // Hands the connection over for the next call with no handler of this one left in it.
  std::unique_ptr<Connection> Release() {
    released_ = true;  // a wait that completed just now must not re-arm or close
    connection_->watchdog.cancel();
    connection_->io.poll();
    return std::move(connection_);
  }

  // Starts one asynchronous operation with a completion handler and runs the connection's
  // io_context until it completes. Throws when the watchdog ended the call.
  template <class Initiate>
  error_code Await(Initiate&& initiate) {
    if (!expired_.empty()) Fail(expired_);
    bool done = false;
    error_code result;
    std::forward<Initiate>(initiate)([&done, &result](const error_code& error, auto&&...) {
      result = error;
      done = true;
    });
    // The pending operation is work, so run_one does not return for want of it.
    while (!done) connection_->io.run_one();
    if (!expired_.empty()) Fail(expired_);
    return result;
  }

  void Connect(const ClientEndpoint& endpoint) {
    Use(std::make_unique<Connection>());
    if (!endpoint.unix_path.empty()) {
      if (endpoint.unix_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
        Fail("socket path too long");
      }
      const error_code error =
          ConnectTo(Protocol::endpoint(asio::local::stream_protocol::endpoint(endpoint.unix_path)));
      if (error) Fail("cannot connect: " + error.message());
      return;
    }
    error_code error;
    std::vector<asio::ip::tcp::endpoint> addresses;
    const auto port = static_cast<asio::ip::port_type>(endpoint.port);
    if (const auto address = asio::ip::make_address(endpoint.host, error); !error) {
      addresses.emplace_back(address, port);
    } else {
      // A name is resolved synchronously, outside the deadline, as getaddrinfo always was:
      // Asio's async_resolve would start a thread for it. Engine hosts are addresses or local
      // names.
      asio::ip::tcp::resolver resolver(connection_->io);
      const auto found = resolver.resolve(endpoint.host, std::to_string(endpoint.port), error);
      if (error) Fail("cannot resolve " + endpoint.host + ": " + error.message());
      for (const auto& entry : found) addresses.push_back(entry.endpoint());
    }
    std::string last_error = "no address";
    for (const auto& address : addresses) {
      error = ConnectTo(Protocol::endpoint(address));
      if (!error) {
        // The request goes out whole in one write: nothing to gain from Nagle's delay.
        socket().set_option(asio::ip::tcp::no_delay(true), error);
        return;
      }
      last_error = error.message();
    }
    Fail("cannot connect: " + last_error);
  }

 private:
  void Use(std::unique_ptr<Connection> connection) {
    connection_ = std::move(connection);  // a replaced one goes with its pending handlers
    connection_->io.restart();            // after Release()'s poll() ran out of work
    Watch();
  }

  void Watch() {
    const auto now = Clock::now();
    if (cancelled_ != nullptr && cancelled_->load()) {
      expired_ = "cancelled";
    } else if (now >= deadline_) {
      expired_ = "timed out";
    }
    if (!expired_.empty()) {
      error_code ignored;
      socket().close(ignored);
      return;
    }
    connection_->watchdog.expires_after(std::min<Clock::duration>(deadline_ - now, kCancelCheck));
    connection_->watchdog.async_wait([this](const error_code& error) {
      if (!error && !released_) Watch();
    });
  }

  error_code ConnectTo(const Protocol::endpoint& target) {
    error_code error;
    socket().close(error);
    // Opened here rather than by async_connect, which would leave out SOCK_CLOEXEC: a process
    // medic starts must never inherit a descriptor that reaches the engine (root-equivalent).
    UniqueFd fd(::socket(target.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC,
                         target.protocol().protocol()));
    if (!fd.valid()) return {errno, boost::system::system_category()};
    socket().assign(target.protocol(), fd.get(), error);
    if (error) return error;
    fd.Release();
    return Await([this, &target](auto handler) { socket().async_connect(target, handler); });
  }

  const std::string what_;  // "GET /x via unix:///run/docker.sock"
  const Clock::time_point deadline_;
  const std::atomic<bool>* const cancelled_;
  std::string expired_;  // "timed out" or "cancelled" once the watchdog has closed the socket
  bool released_ = false;
  std::unique_ptr<Connection> connection_;
};

EngineClient::EngineClient(ClientEndpoint endpoint, std::string host_header,
                           std::size_t max_idle_connections)
    : endpoint_(std::move(endpoint)),
      host_header_(std::move(host_header)),
      max_idle_connections_(max_idle_connections) {}

EngineClient::~EngineClient() = default;

std::unique_ptr<EngineClient::Connection> EngineClient::TakeIdle() {
  std::lock_guard lock(idle_mutex_);
  if (idle_.empty()) return nullptr;
  std::unique_ptr<Connection> connection = std::move(idle_.back());
  idle_.pop_back();
  return connection;
}

void EngineClient::KeepIdle(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(idle_mutex_);
  if (idle_.size() < max_idle_connections_) idle_.push_back(std::move(connection));
}

ClientResponse EngineClient::Send(const ClientRequest& request, Duration timeout,
                                  std::size_t max_body_bytes, const std::atomic<bool>* cancelled) {
  Call call(request.method + " " + request.target + " via " + endpoint_.Describe(),
            Clock::now() + timeout, cancelled);
  const http::request<http::string_body> message = MakeRequest(request, host_header_);
  for (int attempt = 0;; ++attempt) {
    const bool reused = attempt == 0 && !request.fresh_connection && call.Adopt(TakeIdle());
    if (!reused) call.Connect(endpoint_);
    // A reused connection that fails before any of the answer arrives was closed by the engine
    // while idle: the request is sent again, once, on a new connection.
    error_code error = call.Await(
        [&](auto handler) { http::async_write(call.socket(), message, std::move(handler)); });
    if (error) {
      if (reused) continue;
      call.Fail("send: " + error.message());
    }

    boost::beast::flat_buffer buffer;
    std::optional<http::response_parser<http::string_body>> parser;
    int heads = 0;
    do {
      // A new parser per head: an interim 1xx answer (100 Continue) precedes the real one.
      parser.emplace();
      parser->header_limit(kMaxResponseHeadBytes);
      parser->body_limit(max_body_bytes);
      parser->skip(message.method() == http::verb::head);
      error = call.Await([&](auto handler) {
        http::async_read(call.socket(), buffer, *parser, std::move(handler));
      });
      ++heads;
    } while (!error && parser->get().result_int() < 200);
    if (error) {
      if (reused && heads == 1 && !parser->got_some()) continue;
      call.Fail(ReadFailure(error, max_body_bytes));
    }

    auto& answer = parser->get();
    ClientResponse response;
    response.status = static_cast<int>(answer.result_int());
    for (const auto& field : answer) {
      response.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(answer.body());
    // Kept only if the engine reads another request on it: keep-alive (HTTP/1.1 without
    // "Connection: close", or 1.0 with keep-alive), a framed body, and nothing sent after it.
    if (answer.keep_alive() && !parser->need_eof() && buffer.size() == 0) {
      KeepIdle(call.Release());
    }
    return response;
  }
}

}  // namespace medic::net
