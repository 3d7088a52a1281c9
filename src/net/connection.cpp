#include "medic/net/connection.h"

#include "medic/net/field_text.h"
#include "medic/net/request_parser.h"
#include "medic/net/wire_response.h"

#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

namespace medic::net {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
// Over the connection's own socket, made when the client's first bytes arrive: Asio's TLS
// stream allocates two 17 KiB record buffers, which ten thousand connections that never send a
// ClientHello should not cost.
using TlsStream = asio::ssl::stream<tcp::socket&>;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kFirstReadChunk = 1024;
constexpr std::size_t kReadChunk = std::size_t{16} * 1024;
// What a refused request may still send that medic reads and discards before closing: the
// client reads the answer only after it has sent its body, and closing with unread bytes makes
// the kernel answer with a reset that destroys the response before the client reads it.
constexpr std::size_t kDefaultDrainBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxDrainBytes = std::size_t{64} << 20;
constexpr std::size_t kDrainChunk = 4096;
constexpr auto kMinDrainTime = std::chrono::milliseconds(500);
// A TLS connection's first read while idle: a request head usually fits.
constexpr std::size_t kIdleTlsRead = 1024;
constexpr unsigned char kTlsHandshakeRecord = 0x16;
// How often a TLS connection whose first record is incomplete looks again.
constexpr auto kClientHelloPoll = std::chrono::milliseconds(50);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

WireResponse RunHandler(const ConnectionContext& context, const Request& request, bool keep_alive) {
  Response response;
  try {
    context.dispatch(request, response);
  } catch (const std::exception& error) {
    spdlog::error("http: {} {} failed: {}", request.method, request.path, error.what());
    response = Response{};
    response.status = 500;
    response.SetContent("internal error\n", "text/plain; charset=utf-8");
  }
  return ToWire(request, std::move(response), keep_alive);
}

template <bool kTls>
class Connection final : public Evictable, public std::enable_shared_from_this<Connection<kTls>> {
 public:
  Connection(ConnectionContext& context, Peer peer, std::shared_ptr<asio::ssl::context> tls,
             tcp::socket socket)
      : context_(context),
        peer_(std::move(peer)),
        tls_(std::move(tls)),
        socket_(std::move(socket)),
        deadline_(context.io),
        hello_retry_(context.io) {}
  ~Connection() { context_.table.Remove(this); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start(const std::string& peer_key) {
    context_.table.Add(this, peer_key);
    context_.table.MarkWaiting(this);
    if constexpr (kTls) {
      Arm(context_.limits.tls_handshake_timeout);
      AwaitClientHello();
    } else {
      WaitForRequest();
    }
  }

  void Evict() override { Close(); }

 private:
  // Waits until the client's whole first TLS record (its ClientHello) has arrived before the
  // TLS stream exists, so a connection that sends nothing, or a few bytes and stalls, costs a
  // socket, not a TLS stream's record buffers. The record header says how long it is.
  void AwaitClientHello() {
    socket_.async_wait(
        tcp::socket::wait_read, [self = this->shared_from_this()](const error_code& error) {
          if (self->closed_) return;
          if (error) {
            self->OnHandshake(error);
            return;
          }
          std::array<unsigned char, 5> header{};
          const ssize_t peeked = ::recv(self->socket_.native_handle(), header.data(), header.size(),
                                        MSG_PEEK | MSG_DONTWAIT);
          if (peeked <= 0) {
            self->OnHandshake(asio::error::eof);
            return;
          }
          if (header[0] != kTlsHandshakeRecord) {
            self->RefusePlainHttp();
            return;
          }
          const std::size_t record = std::size_t{5} + (std::size_t{header[3]} << 8) + header[4];
          int available = 0;
          if (peeked < 5 || (::ioctl(self->socket_.native_handle(), FIONREAD, &available) == 0 &&
                             static_cast<std::size_t>(available) < record)) {
            // Not all here yet: look again shortly (readiness would not announce the same bytes
            // twice), until the handshake deadline.
            self->hello_retry_.expires_after(kClientHelloPoll);
            self->hello_retry_.async_wait([self](const error_code& wait_error) {
              if (self->closed_) return;
              if (wait_error) {
                self->OnHandshake(wait_error);  // the handshake deadline passed
                return;
              }
              self->AwaitClientHello();
            });
            return;
          }
          self->tls_stream_ = std::make_unique<TlsStream>(self->socket_, *self->tls_);
          self->tls_stream_->async_handshake(
              asio::ssl::stream_base::server,
              [self](const error_code& handshake_error) { self->OnHandshake(handshake_error); });
        });
  }

  // What Go's servers answer to plain HTTP on a TLS port, so a curl without https:// learns why
  // instead of seeing a dropped connection. What the client sent is read first: closing with
  // it unread would reset the connection before the answer arrives.
  void RefusePlainHttp() {
    context_.counters.handshake_failures.fetch_add(1, std::memory_order_relaxed);
    std::array<char, 4096> sent{};
    [[maybe_unused]] const ssize_t dropped =
        ::recv(socket_.native_handle(), sent.data(), sent.size(), MSG_DONTWAIT);
    constexpr std::string_view kAnswer =
        "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Connection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
    [[maybe_unused]] const ssize_t written = ::send(socket_.native_handle(), kAnswer.data(),
                                                    kAnswer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    Close();
  }

  void OnHandshake(const error_code& error) {
    if (closed_) return;
    if (error) {
      context_.counters.handshake_failures.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("http: TLS handshake with {}:{} failed: {}", peer_.address, peer_.port,
                    timed_out_ ? "timed out" : error.message());
      Close();
      return;
    }
    WaitForRequest();
  }

  // Idle: a new or kept-alive connection waits for its next request's first byte. A plain one
  // waits for readiness without a buffer, so ten thousand idle clients cost sockets and a few
  // hundred bytes each. A TLS one reads instead: Asio's TLS layer may already hold the next
  // record (read along with the handshake), which no socket readiness would announce.
  void WaitForRequest() {
    if (closed_) return;
    if (context_.stopping) {
      Close();
      return;
    }
    context_.table.MarkWaiting(this);
    if (!input_.empty()) {
      BeginRequest();
      return;
    }
    input_.clear();
    input_.shrink_to_fit();
    Arm(context_.limits.idle_timeout);
    const auto on_first_byte = [self = this->shared_from_this()](const error_code& error) {
      if (self->closed_) return;
      if (error) {
        if (self->timed_out_) {
          self->context_.counters.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
        }
        self->Close();
        return;
      }
      self->BeginRequest();
    };
    if constexpr (kTls) {
      input_.resize(kIdleTlsRead);
      Io().async_read_some(asio::buffer(input_.data(), input_.size()),
                           [self = this->shared_from_this(), on_first_byte](const error_code& error,
                                                                            std::size_t bytes) {
                             if (self->closed_) return;
                             self->input_.resize(bytes);
                             on_first_byte(bytes > 0 ? error_code() : error);
                           });
    } else {
      socket_.async_wait(tcp::socket::wait_read, on_first_byte);
    }
  }

  // The first byte is here: from now on the whole request has one deadline.
  void BeginRequest() {
    request_deadline_ = SteadyClock::now() + context_.limits.read_timeout;
    ArmAt(request_deadline_);
    parser_ = std::make_unique<RequestParser>(
        RequestParser::Limits{context_.limits.max_header_bytes, context_.limits.max_header_fields,
                              context_.limits.max_body_bytes});
    Consume();
  }

  void Consume() {
    while (true) {
      RequestParser::Progress progress = RequestParser::Progress::kNeedMore;
      const std::size_t used = parser_->Feed(input_, progress);
      input_.erase(0, used);
      switch (progress) {
        case RequestParser::Progress::kRefused:
          Refuse(parser_->refusal());
          return;
        case RequestParser::Progress::kHeadDone:
          if (!OnHead()) return;
          continue;
        case RequestParser::Progress::kDone:
          Dispatch();
          return;
        case RequestParser::Progress::kNeedMore:
          ReadMore();
          return;
      }
    }
  }

  void ReadMore() {
    const std::size_t had = input_.size();
    // A request head is a few hundred bytes: start small and grow with what arrives, so a
    // client trickling its head holds a small buffer, not a full read chunk.
    const std::size_t chunk = std::clamp(had, kFirstReadChunk, kReadChunk);
    input_.resize(had + chunk);
    Io().async_read_some(
        asio::buffer(input_.data() + had, chunk),
        [self = this->shared_from_this(), had](const error_code& error, std::size_t bytes) {
          if (self->closed_) return;
          self->input_.resize(had + bytes);
          if (!error) {
            self->Consume();
            return;
          }
          if (self->timed_out_) {
            self->context_.counters.request_timeouts.fetch_add(1, std::memory_order_relaxed);
            if (self->parser_->started()) {
              self->Refuse({408, "request not complete before web.read_timeout"});
              return;
            }
          }
          self->Close();  // the client went away, or sent only blank lines before timing out
        });
  }

  // The head is in: the route decides the body's cap; a declared body over it is refused
  // before it is read, and 100-continue is answered only for a body medic will take.
  bool OnHead() {
    const Request& request = parser_->request();
    plan_ = context_.plan(request);
    parser_->SetBodyLimit(plan_.max_body_bytes);
    if (const auto length = parser_->content_length(); length && *length > plan_.max_body_bytes) {
      Refuse({413, "body larger than the route's cap"});
      return false;
    }
    const std::string expect = request.Header("Expect");
    if (expect.empty()) return true;
    if (!ListHasToken(expect, "100-continue")) {
      Refuse({417, "unsupported Expect " + expect});
      return false;
    }
    if (request.version == "HTTP/1.1" && parser_->expects_body() && input_.empty()) {
      asio::async_write(Io(), asio::buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](const error_code& error, std::size_t) {
                          if (self->closed_) return;
                          if (error) {
                            self->Close();
                            return;
                          }
                          self->Consume();
                        });
      return false;
    }
    return true;
  }

  // A complete request: it is answered, so it may no longer be evicted.
  void Dispatch() {
    context_.table.MarkBusy(this);
    Disarm();
    Request request = std::move(parser_->request());
    request.remote_addr = peer_.address;
    request.remote_port = peer_.port;
    ++served_;
    keep_alive_ = parser_->keep_alive() && !context_.stopping &&
                  served_ < context_.limits.keep_alive_max_requests;
    parser_.reset();
    if (plan_.inline_handler) {
      Respond(RunHandler(context_, request, keep_alive_));
      return;
    }
    const bool http10 = request.version == "HTTP/1.0";
    // One Prometheus probes all its targets at once from one address: its probes may fill
    // every probe thread on top of its usual share.
    const std::size_t peer_cap =
        context_.limits.max_requests_per_peer + (plan_.probe ? context_.limits.probe_threads : 0);
    if (!context_.table.StartRequest(this, peer_cap)) {
      context_.counters.peer_busy.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("http: request from {} refused: {} of its requests are being answered",
                    peer_.address, peer_cap);
      RespondBusy(http10);
      return;
    }
    // The guard keeps the I/O loop running while the handler does, so the answer is written.
    // The worker hands its reference over with the answer: a connection must end (and leave
    // the table) on the I/O thread, never in a worker dropping the last reference.
    auto handle = [self = this->shared_from_this(), request = std::move(request),
                   keep_alive = keep_alive_, guard = asio::make_work_guard(context_.io)]() mutable {
      auto wire = std::make_shared<WireResponse>(RunHandler(self->context_, request, keep_alive));
      asio::io_context& io = self->context_.io;
      asio::post(io, [connection = std::move(self), wire] {
        connection->context_.table.EndRequest(connection.get());
        connection->Respond(std::move(*wire));
      });
    };
    WorkerPool& workers = plan_.priority ? context_.priority_workers
                          : plan_.probe  ? context_.probe_workers
                                         : context_.workers;
    if (!workers.TrySubmit(std::move(handle), context_.limits.max_queued_requests)) {
      context_.table.EndRequest(this);
      context_.counters.busy.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("http: request from {} refused: {} requests wait for a worker", peer_.address,
                    context_.limits.max_queued_requests);
      RespondBusy(http10);
    }
  }

  void RespondBusy(bool http10) {
    keep_alive_ = false;
    WireResponse busy = RefusalResponse(503, http10);
    busy.set(http::field::retry_after, "1");
    Respond(std::move(busy));
  }

  void Respond(WireResponse wire) {
    if (closed_) return;
    response_ = std::make_unique<WireResponse>(std::move(wire));
    Arm(context_.limits.write_timeout);
    http::async_write(Io(), *response_,
                      [self = this->shared_from_this()](const error_code& error, std::size_t) {
                        self->OnWritten(error);
                      });
  }

  void OnWritten(const error_code& error) {
    if (closed_) return;
    response_.reset();
    // end_of_stream: Beast's word for "written, and the message said Connection: close".
    if (error && error != http::error::end_of_stream) {
      if (timed_out_) context_.counters.write_timeouts.fetch_add(1, std::memory_order_relaxed);
      Close();
      return;
    }
    if (!keep_alive_) {
      // A client may have pipelined more requests than it will get answers to (after the
      // keep-alive maximum): closing with them unread would reset the connection and destroy
      // answers it has not read yet, so read and drop them a moment first.
      request_deadline_ = SteadyClock::now();
      Drain(kDefaultDrainBytes);
      return;
    }
    WaitForRequest();
  }

  // Answers an error medic found itself and ends the connection after a bounded drain: a
  // client that did not ask with Expect: 100-continue is sending its body now and reads the
  // answer only afterwards, so what it declared (within bounds) is read and dropped.
  void Refuse(const Refusal& refusal) {
    std::size_t drain_bytes = kDefaultDrainBytes;
    if (const auto length = parser_ ? parser_->content_length() : std::nullopt) {
      drain_bytes = static_cast<std::size_t>(std::min<std::uint64_t>(*length, kMaxDrainBytes));
    }
    context_.counters.CountRefusal(refusal.status);
    if (refusal.status != 408) {
      spdlog::debug("http: {} from {}:{}: {}", refusal.status, peer_.address, peer_.port,
                    refusal.reason);
    }
    const bool http10 = parser_ && parser_->request().version == "HTTP/1.0";
    response_ = std::make_unique<WireResponse>(RefusalResponse(refusal.status, http10));
    Arm(context_.limits.write_timeout);
    http::async_write(
        Io(), *response_,
        [self = this->shared_from_this(), drain_bytes](const error_code& error, std::size_t) {
          if (self->closed_) return;
          self->response_.reset();
          if (error && error != http::error::end_of_stream) {
            self->Close();
            return;
          }
          self->Drain(drain_bytes);
        });
  }

  void Drain(std::size_t drain_bytes) {
    context_.table.MarkWaiting(this);  // a closing connection may make room for a new one
    if constexpr (!kTls) {
      error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
    }
    ArmAt(std::max(request_deadline_, SteadyClock::now() + kMinDrainTime));
    input_.resize(kDrainChunk);
    DrainSome(drain_bytes);
  }

  void DrainSome(std::size_t left) {
    Io().async_read_some(
        asio::buffer(input_.data(), std::min(left, kDrainChunk)),
        [self = this->shared_from_this(), left](const error_code& error, std::size_t bytes) {
          if (self->closed_) return;
          if (error || bytes >= left) {
            self->Close();
            return;
          }
          self->DrainSome(left - bytes);
        });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    context_.table.Remove(this);
    Disarm();
    hello_retry_.cancel();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    parser_.reset();
    std::string().swap(input_);
  }

  // What requests are read from and answers written to.
  auto& Io() {
    if constexpr (kTls) {
      return *tls_stream_;
    } else {
      return socket_;
    }
  }

  void Arm(Duration timeout) { ArmAt(SteadyClock::now() + timeout); }

  // One deadline at a time; when it passes, the pending operation is cancelled and its
  // handler sees timed_out_.
  void ArmAt(SteadyClock::time_point deadline) {
    timed_out_ = false;
    const std::uint64_t generation = ++deadline_generation_;
    deadline_.expires_at(deadline);
    deadline_.async_wait([self = this->shared_from_this(), generation](const error_code& error) {
      if (error || generation != self->deadline_generation_ || self->closed_) return;
      self->timed_out_ = true;
      error_code ignored;
      self->socket_.cancel(ignored);
      self->hello_retry_.cancel();
    });
  }

  void Disarm() {
    ++deadline_generation_;
    deadline_.cancel();
  }

  ConnectionContext& context_;
  const Peer peer_;
  const std::shared_ptr<asio::ssl::context> tls_;  // outlives the stream's SSL object
  tcp::socket socket_;
  // kTls only, once the client's first TLS record is in. Separate allocations: an idle
  // connection holds neither a parser nor a TLS stream.
  std::unique_ptr<TlsStream> tls_stream_;
  asio::steady_timer deadline_;
  asio::steady_timer hello_retry_;
  std::uint64_t deadline_generation_ = 0;
  bool timed_out_ = false;
  bool closed_ = false;
  SteadyClock::time_point request_deadline_;
  std::string input_;  // received, not yet parsed; empty and unallocated while idle
  std::unique_ptr<RequestParser> parser_;
  RoutePlan plan_;
  std::size_t served_ = 0;
  bool keep_alive_ = false;
  std::unique_ptr<WireResponse> response_;  // kept alive while it is written
};

}  // namespace

void TransportCounters::CountRefusal(int status) {
  constexpr auto kCodes = RefusalCodes();
  std::size_t index = kCodes.size() - 1;  // any other status: the last slot
  for (std::size_t i = 0; i + 1 < kCodes.size(); ++i) {
    if (kCodes[i] == status) index = i;
  }
  refused_by_code[index].fetch_add(1, std::memory_order_relaxed);
}

void StartConnection(ConnectionContext& context, tcp::socket socket, Peer peer,
                     const std::string& peer_key, std::shared_ptr<asio::ssl::context> tls) {
  if (tls) {
    std::make_shared<Connection<true>>(context, std::move(peer), std::move(tls), std::move(socket))
        ->Start(peer_key);
    return;
  }
  std::make_shared<Connection<false>>(context, std::move(peer), nullptr, std::move(socket))
      ->Start(peer_key);
}

}  // namespace medic::net
