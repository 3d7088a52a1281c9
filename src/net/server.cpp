#include "medic/net/server.h"

#include "medic/net/connection_pool.h"
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

namespace medic::net {
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
  tls_listener_ = options_.web_config && options_.web_config->tls_enabled;
  login_throttle_ =
      options_.login_throttle ? options_.login_throttle : std::make_shared<web::LoginThrottle>();
  web_ = BuildWebState(std::move(options_.web_config));
  options_.web_config.reset();
}

HttpServer::~HttpServer() = default;

std::shared_ptr<HttpServer::WebState> HttpServer::BuildWebState(
    std::optional<WebConfigFile> web_config) const {
  auto state = std::make_shared<WebState>();
  if (tls_listener_ && web_config && web_config->tls_enabled) {
    state->tls_context =
        std::shared_ptr<SSL_CTX>(SSL_CTX_new(TLS_server_method()), tls::SslCtxDeleter{});
    if (!state->tls_context || !ConfigureTls(*state->tls_context, web_config->tls)) {
      throw std::runtime_error("TLS setup from the web config failed: " + tls::TakeOpenSslErrors());
    }
  }
  if (web_config && !web_config->basic_auth_users.empty()) {
    state->basic_auth = std::make_unique<web::BasicAuthVerifier>(web_config->basic_auth_users);
  }
  state->config = std::move(web_config);
  return state;
}

std::shared_ptr<HttpServer::WebState> HttpServer::CurrentWeb() const {
  std::lock_guard lock(web_mutex_);
  return web_;
}

std::vector<std::string> HttpServer::ApplyWebConfig(std::optional<WebConfigFile> web_config) {
  std::vector<std::string> not_applied;
  const bool wants_tls = web_config && web_config->tls_enabled;
  if (wants_tls != tls_listener_) {
    // Named like the other settings: the key whose change needs the restart.
    not_applied.emplace_back("web.config_file:tls_server_config");
  }
  auto next = BuildWebState(std::move(web_config));
  const bool had_auth = CurrentWeb()->basic_auth != nullptr;
  if (had_auth && !next->basic_auth) {
    spdlog::warn(
        "reload: the web config has no basic_auth_users now: /metrics, the page and the "
        "APIs answer without credentials");
  }
  if (tls_listener_ && !next->tls_context) {
    // TLS stays on until a restart: keep serving the certificate that was loaded last.
    next->tls_context = CurrentWeb()->tls_context;
  }
  std::lock_guard lock(web_mutex_);
  web_ = std::move(next);
  return not_applied;
}

void HttpServer::Handle(const std::string& method, const std::string& path, Handler handler,
                        Access access) {
  std::unique_lock lock(routes_mutex_);
  Route& route = routes_[path];
  route.by_method[method] = std::move(handler);
  route.access = access;
}

bool HttpServer::Authorized(const WebState& web, const Request& request, Response& response) {
  if (!web.basic_auth) return true;
  if (const auto wait = login_throttle_->Throttled(request.remote_addr, web::AuthRealm::kWeb)) {
    // Debug only: a flood would write a line per request; medic_http_auth_failures_total counts.
    spdlog::debug("http: {} {} from {} throttled after failed logins", request.method, request.path,
                  request.remote_addr);
    web::SetThrottledResponse(response, *wait);
    return false;
  }
  const std::string authorization = request.Header("Authorization");
  switch (web.basic_auth->VerifyHeader(authorization)) {
    case web::Verdict::kAllowed:
      return true;
    case web::Verdict::kBusy:
      login_throttle_->RecordBusy(web::AuthRealm::kWeb);
      web::SetThrottledResponse(response, std::chrono::seconds(1));
      return false;
    case web::Verdict::kRejected:
      break;
  }
  // A request without credentials (a browser's first try) is not a failed login.
  if (web::BasicAuthVerifier::HasCredentials(authorization)) {
    login_throttle_->RecordFailure(request.remote_addr, web::AuthRealm::kWeb);
  }
  spdlog::info("http: unauthorized {} {} from {}", request.method, request.path,
               request.remote_addr);
  response.status = 401;
  response.SetHeader("WWW-Authenticate", "Basic realm=\"medic\"");
  response.SetContent("Unauthorized\n", "text/plain; charset=utf-8");
  return false;
}

void HttpServer::Dispatch(const Request& request, Response& response) {
  const auto web = CurrentWeb();
  response.SetHeader("X-Content-Type-Options", "nosniff");
  if (web->config) {
    for (const auto& [name, value] : web->config->headers) response.SetHeader(name, value);
  }
  Handler handler;
  Access access = Access::kProtected;
  std::string allow;
  {
    std::shared_lock lock(routes_mutex_);
    const auto route = routes_.find(request.path);
    if (route == routes_.end()) {
      response.status = 404;
      response.SetContent("404 page not found\n", "text/plain; charset=utf-8");
      return;
    }
    access = route->second.access;
    const std::string method = request.method == "HEAD" ? "GET" : request.method;
    const auto found = route->second.by_method.find(method);
    if (found != route->second.by_method.end()) {
      handler = found->second;
    } else {
      for (const auto& [name, unused] : route->second.by_method) {
        allow += (allow.empty() ? "" : ", ") + name;
        if (name == "GET") allow += ", HEAD";
      }
    }
  }
  // Credentials are checked outside the routes lock: bcrypt takes a while.
  if (access == Access::kProtected && !Authorized(*web, request, response)) return;
  if (!handler) {
    response.status = 405;
    response.SetHeader("Allow", allow);
    response.SetContent("405 method not allowed\n", "text/plain; charset=utf-8");
    return;
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
  if (!tls_listener_) {
    PlainStream stream(std::move(socket));
    ServeConnection(stream, peer, limits_, stop_event_.get(), dispatch);
    return;
  }
  // The context of the latest web config: a renewed certificate serves the next handshake.
  const std::shared_ptr<SSL_CTX> context = CurrentWeb()->tls_context;
  tls::SslPtr ssl(SSL_new(context.get()));
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

}  // namespace medic::net
