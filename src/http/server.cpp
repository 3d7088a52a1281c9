#include "medic/http/server.h"

#include "medic/http/connection_pool.h"
#include "medic/tls/openssl_handles.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace medic::http {
namespace {

int TlsVersionConstant(const std::string& version) {
  if (version == "TLS10") return TLS1_VERSION;
  if (version == "TLS11") return TLS1_1_VERSION;
  if (version == "TLS13") return TLS1_3_VERSION;
  return TLS1_2_VERSION;
}

bool ConfigureTls(SSL_CTX& context, const TlsServerSettings& tls) {
  SSL_CTX_set_options(&context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(&context, tls.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(&context, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&context) != 1) {
    spdlog::error("web config: cannot load TLS certificate {} / key {}", tls.cert_file,
                  tls.key_file);
    return false;
  }
  SSL_CTX_set_min_proto_version(&context, TlsVersionConstant(tls.min_version));
  if (!tls.max_version.empty()) {
    SSL_CTX_set_max_proto_version(&context, TlsVersionConstant(tls.max_version));
  }
  int mode = SSL_VERIFY_NONE;
  if (tls.client_auth_type == "RequestClientCert") mode = SSL_VERIFY_PEER;
  if (tls.client_auth_type == "RequireAnyClientCert") {
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  if (tls.client_auth_type == "VerifyClientCertIfGiven") mode = SSL_VERIFY_PEER;
  if (tls.client_auth_type == "RequireAndVerifyClientCert") {
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(&context, tls.client_ca_file.c_str(), nullptr) != 1) {
      spdlog::error("web config: cannot load client CA {}", tls.client_ca_file);
      return false;
    }
    SSL_CTX_set_client_CA_list(&context, SSL_load_client_CA_file(tls.client_ca_file.c_str()));
  }
  const bool verify_chain = tls.client_auth_type == "VerifyClientCertIfGiven" ||
                            tls.client_auth_type == "RequireAndVerifyClientCert";
  using VerifyCallback = int (*)(int, X509_STORE_CTX*);
  const VerifyCallback accept_any = [](int, X509_STORE_CTX*) { return 1; };
  SSL_CTX_set_verify(&context, mode, verify_chain ? nullptr : accept_any);
  return true;
}

std::pair<std::string, int> SplitHostPort(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("listen address needs host:port");
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  return {host, std::stoi(address.substr(colon + 1))};
}

Peer PeerOf(const sockaddr_storage& address) {
  Peer peer;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text.data(), text.size());
    peer.port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text.data(), text.size());
    peer.port = ntohs(v6->sin6_port);
  }
  peer.address = text.data();
  return peer;
}

int BoundPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  return PeerOf(address).port;
}

}  // namespace

HttpServer::HttpServer(ServerOptions options)
    : options_(std::move(options)), stop_event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!stop_event_.valid()) {
    throw std::runtime_error(std::string("http: eventfd: ") + std::strerror(errno));
  }
  limits_.max_body_bytes = options_.max_body_bytes;
  limits_.read_timeout = options_.read_timeout;
  limits_.write_timeout = options_.write_timeout;
  if (tls()) {
    tls_context_.reset(SSL_CTX_new(TLS_server_method()));
    if (!tls_context_ || !ConfigureTls(*tls_context_, options_.web_config->tls)) {
      throw std::runtime_error("TLS setup from the web config failed: " + tls::TakeOpenSslErrors());
    }
  }
  if (options_.web_config && !options_.web_config->basic_auth_users.empty()) {
    basic_auth_ = std::make_unique<BasicAuthVerifier>(options_.web_config->basic_auth_users);
  }
}

HttpServer::~HttpServer() = default;

void HttpServer::Handle(const std::string& method, const std::string& path, Handler handler,
                        Access access) {
  std::unique_lock lock(routes_mutex_);
  Route& route = routes_[path];
  route.by_method[method] = std::move(handler);
  route.access = access;
}

void HttpServer::Dispatch(const Request& request, Response& response) {
  response.SetHeader("X-Content-Type-Options", "nosniff");
  if (options_.web_config) {
    for (const auto& [name, value] : options_.web_config->headers) response.SetHeader(name, value);
  }
  Handler handler;
  {
    std::shared_lock lock(routes_mutex_);
    const auto route = routes_.find(request.path);
    if (route == routes_.end()) {
      response.status = 404;
      response.SetContent("404 page not found\n", "text/plain; charset=utf-8");
      return;
    }
    if (route->second.access == Access::kProtected && basic_auth_ &&
        !basic_auth_->VerifyHeader(request.Header("Authorization"))) {
      spdlog::info("http: unauthorized {} {} from {}", request.method, request.path,
                   request.remote_addr);
      response.status = 401;
      response.SetHeader("WWW-Authenticate", "Basic realm=\"medic\"");
      response.SetContent("Unauthorized\n", "text/plain; charset=utf-8");
      return;
    }
    const std::string method = request.method == "HEAD" ? "GET" : request.method;
    const auto found = route->second.by_method.find(method);
    if (found == route->second.by_method.end()) {
      std::string allow;
      for (const auto& [name, unused] : route->second.by_method) {
        allow += (allow.empty() ? "" : ", ") + name;
        if (name == "GET") allow += ", HEAD";
      }
      response.status = 405;
      response.SetHeader("Allow", allow);
      response.SetContent("405 method not allowed\n", "text/plain; charset=utf-8");
      return;
    }
    handler = found->second;
  }
  handler(request, response);
  if (response.status >= 400 && response.body.empty()) {
    response.SetContent(ErrorBody(response.status), "text/plain; charset=utf-8");
  }
}

void HttpServer::Bind() {
  const auto [host, port] = SplitHostPort(options_.listen_address);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int error = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); error != 0) {
    throw std::runtime_error("cannot listen on " + options_.listen_address + ": " +
                             ::gai_strerror(error));
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  std::string reason = "no address";
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    UniqueFd socket(
        ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    const int on = 1;
    if (socket.valid() &&
        ::setsockopt(socket.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == 0 &&
        ::bind(socket.get(), address->ai_addr, address->ai_addrlen) == 0 &&
        ::listen(socket.get(), SOMAXCONN) == 0) {
      port_ = BoundPort(socket.get());
      listener_ = std::move(socket);
      return;
    }
    reason = std::strerror(errno);
  }
  throw std::runtime_error("cannot listen on " + options_.listen_address + ": " + reason);
}

void HttpServer::Serve() {
  if (!listener_.valid()) throw std::runtime_error("http: Serve() before Bind()");
  ConnectionPool pool(options_.threads, options_.max_threads);
  while (true) {
    std::array<pollfd, 2> waiting{pollfd{listener_.get(), POLLIN, 0},
                                  pollfd{stop_event_.get(), POLLIN, 0}};
    if (::poll(waiting.data(), waiting.size(), -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("http: poll on the listening socket: {}", std::strerror(errno));
      break;
    }
    if (waiting[1].revents != 0) break;
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    UniqueFd socket(::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length,
                              SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!socket.valid()) {
      // EMFILE and friends: back off briefly rather than spin on a listener that stays ready.
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
        spdlog::warn("http: accept: {}", std::strerror(errno));
        pollfd stop{stop_event_.get(), POLLIN, 0};
        ::poll(&stop, 1, 100);
      }
      continue;
    }
    // Responses go out in one or two writes; Nagle would hold the second for the client's
    // delayed ACK (~40 ms) on every keep-alive request.
    const int on = 1;
    ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    // std::function needs a copyable task, so the descriptor travels as an int and is owned
    // again first thing; the pool runs every queued task, even while shutting down.
    pool.Enqueue([this, fd = socket.Release(), peer = PeerOf(address)] {
      ServeAccepted(UniqueFd(fd), peer);
    });
  }
  listener_.Reset();
  pool.Shutdown();
}

void HttpServer::ServeAccepted(UniqueFd socket, const Peer& peer) {
  const Dispatcher dispatch = [this](const Request& request, Response& response) {
    Dispatch(request, response);
  };
  if (!tls_context_) {
    PlainStream stream(std::move(socket));
    ServeConnection(stream, peer, limits_, stop_event_.get(), dispatch);
    return;
  }
  tls::SslPtr ssl(SSL_new(tls_context_.get()));
  if (!ssl || SSL_set_fd(ssl.get(), socket.get()) != 1) {
    spdlog::warn("http: cannot set up TLS for {}: {}", peer.address, tls::TakeOpenSslErrors());
    return;
  }
  TlsStream stream(std::move(socket), std::move(ssl));
  if (!stream.Handshake(SteadyClock::now() + limits_.read_timeout)) {
    spdlog::debug("http: TLS handshake with {}:{} failed", peer.address, peer.port);
    stream.Close();
    return;
  }
  ServeConnection(stream, peer, limits_, stop_event_.get(), dispatch);
}

void HttpServer::Stop() {
  const std::uint64_t one = 1;
  // An eventfd stays readable once written: the accept loop and every idle connection see it.
  [[maybe_unused]] const auto written = ::write(stop_event_.get(), &one, sizeof(one));
}

}  // namespace medic::http
