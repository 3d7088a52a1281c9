#include "medic/net/server.h"

#include "medic/metric_family_builder.h"
#include "medic/net/tls_server_context.h"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <sys/socket.h>

#include <stdexcept>
#include <thread>

namespace medic::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

std::pair<std::string, std::string> SplitHostPort(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("listen address needs host:port");
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  return {host, address.substr(colon + 1)};
}

// Out of descriptors (or memory for a socket).
bool IsResourceExhaustion(const error_code& error) {
  return error == asio::error::no_descriptors || error == asio::error::no_buffer_space ||
         error == asio::error::no_memory || error.value() == ENFILE;
}

}  // namespace

HttpServer::HttpServer(ServerOptions options)
    : options_(std::move(options)),
      table_(options_.limits.max_connections, options_.limits.max_connections_per_peer) {
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
    state->tls_context = BuildTlsServerContext(web_config->tls);
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
                        Access access, RouteOptions route_options) {
  std::unique_lock lock(routes_mutex_);
  Route& route = routes_[path];
  route.by_method[method] = std::move(handler);
  route.access = access;
  route.options = route_options;
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
  // A request without credentials (a browser's first try) is not a failed login, and anyone
  // may send them by the thousand: only failed logins (throttled per peer) are logged.
  if (web::BasicAuthVerifier::HasCredentials(authorization)) {
    login_throttle_->RecordFailure(request.remote_addr, web::AuthRealm::kWeb);
    spdlog::info("http: unauthorized {} {} from {}", request.method, request.path,
                 request.remote_addr);
  } else {
    spdlog::debug("http: {} {} from {} without credentials", request.method, request.path,
                  request.remote_addr);
  }
  response.status = 401;
  response.SetHeader("WWW-Authenticate", "Basic realm=\"medic\"");
  response.SetContent("Unauthorized\n", "text/plain; charset=utf-8");
  return false;
}

RoutePlan HttpServer::Plan(const Request& request) const {
  RoutePlan plan;
  plan.max_body_bytes = options_.limits.max_body_bytes;
  std::shared_lock lock(routes_mutex_);
  const auto route = routes_.find(request.path);
  if (route == routes_.end()) {
    plan.inline_handler = true;  // a 404 costs nothing
    return plan;
  }
  if (route->second.options.max_body_bytes > 0) {
    plan.max_body_bytes = route->second.options.max_body_bytes;
  }
  // Credentials may cost a bcrypt hash: only public routes run on the I/O thread.
  plan.inline_handler =
      route->second.options.inline_handler && route->second.access == Access::kPublic;
  plan.priority = route->second.options.priority;
  plan.probe = route->second.options.probe;
  return plan;
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
  tcp::resolver resolver(io_);
  error_code error;
  const auto endpoints = resolver.resolve(host, port, tcp::resolver::passive, error);
  if (error) {
    throw std::runtime_error("cannot listen on " + options_.listen_address + ": " +
                             error.message());
  }
  std::string reason = "no address";
  for (const auto& entry : endpoints) {
    acceptor_.open(entry.endpoint().protocol(), error);
    if (!error) acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor_.bind(entry.endpoint(), error);
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (!error) {
      port_ = acceptor_.local_endpoint().port();
      return;
    }
    reason = error.message();
    error_code ignored;
    acceptor_.close(ignored);
  }
  throw std::runtime_error("cannot listen on " + options_.listen_address + ": " + reason);
}

void HttpServer::Serve() {
  if (!acceptor_.is_open()) throw std::runtime_error("http: Serve() before Bind()");
  workers_.emplace(options_.limits.worker_threads);
  // Two: a webhook being journaled while another waits on fsync still leaves one free.
  priority_workers_.emplace(2);
  probe_workers_.emplace(options_.limits.probe_threads);
  context_.emplace(ConnectionContext{
      io_, options_.limits, table_, *workers_, *priority_workers_, *probe_workers_, counters_,
      [this](const Request& request) { return Plan(request); },
      [this](const Request& request, Response& response) { Dispatch(request, response); }});
  accepting_ = true;
  std::thread acceptor([this, guard = asio::make_work_guard(io_)] { AcceptLoop(); });
  ScheduleMemoryRelease();
  io_.run();
  acceptor.join();
  error_code ignored;
  acceptor_.close(ignored);
  // Every connection has ended and every handler answered (each held the loop open).
  workers_.reset();
  priority_workers_.reset();
  probe_workers_.reset();
}

// Accepting on a thread of its own keeps what Asio allocates per socket for its lifetime (its
// reactor's descriptor state, pooled and reused, never freed) in that thread's malloc arena,
// apart from the connections' own memory on the I/O thread. Interleaved, one pooled block per
// connection pinned every heap page after a flood (9.8 MiB stayed of 4,000 idle connections,
// malloc_trim released nothing); apart, the I/O thread's heap empties and is trimmed.
void HttpServer::AcceptLoop() {
  while (accepting_) {
    error_code error;
    tcp::socket socket = acceptor_.accept(io_, error);
    if (!accepting_) break;
    if (error) {
      if (IsResourceExhaustion(error)) {
        // Out of descriptors: close the longest-waiting connection, then try again shortly
        // (the listener stays readable, so accepting again at once would spin).
        spdlog::warn("http: accept: {}; closing the longest-waiting connection", error.message());
        asio::post(io_, [this] { table_.EvictOldestWaiting(); });
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      } else if (error != asio::error::connection_aborted && error != asio::error::interrupted) {
        spdlog::debug("http: accept: {}", error.message());
      }
      continue;
    }
    asio::post(io_,
               [this, socket = std::move(socket)]() mutable { OnAccepted(std::move(socket)); });
  }
}

void HttpServer::ScheduleMemoryRelease() {
  // Connection state is small blocks on the I/O thread's heap; once thousands of connections
  // are gone, malloc keeps their pages unless asked to return them, and a flood would leave
  // medic tens of MiB larger for good. Checked every second, trimmed only after a drop.
  constexpr std::size_t kDropWorthTrimming = 256;
  memory_release_.expires_after(std::chrono::seconds(1));
  memory_release_.async_wait([this](const error_code& error) {
    if (error || context_->stopping) return;
    if (table_.TakeHighWater() >= table_.open() + kDropWorthTrimming) ::malloc_trim(0);
    ScheduleMemoryRelease();
  });
}

void HttpServer::OnAccepted(tcp::socket socket) {
  error_code ignored;
  if (context_->stopping) {
    socket.close(ignored);
    return;
  }
  counters_.accepted.fetch_add(1, std::memory_order_relaxed);
  // Responses go out in one or two writes; Nagle would hold the second for the client's
  // delayed ACK (~40 ms) on every keep-alive request.
  socket.set_option(tcp::no_delay(true), ignored);
  error_code endpoint_error;
  const auto remote = socket.remote_endpoint(endpoint_error);
  if (endpoint_error) return;  // the client is already gone
  const std::string key = PeerKey(remote.address());
  if (!table_.MakeRoom(key)) {
    counters_.rejected.fetch_add(1, std::memory_order_relaxed);
    socket.close(ignored);
    return;
  }
  // The context of the latest web config: a renewed certificate serves the next handshake.
  StartConnection(*context_, std::move(socket), Peer{remote.address().to_string(), remote.port()},
                  key, tls_listener_ ? CurrentWeb()->tls_context : nullptr);
}

void HttpServer::Stop() {
  asio::post(io_, [this] {
    if (!context_ || context_->stopping) return;
    context_->stopping = true;
    accepting_ = false;
    // Wakes the accept thread's blocking accept(), which then fails and sees accepting_.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    memory_release_.cancel();
    table_.EvictWaiting();
  });
}

std::vector<prometheus::MetricFamily> HttpServer::Metrics() const {
  std::vector<prometheus::MetricFamily> families;
  const auto count = [](const std::atomic<std::uint64_t>& counter) {
    return static_cast<double>(counter.load(std::memory_order_relaxed));
  };
  MetricFamilyBuilder::Gauge("medic_http_connections", "Open HTTP connections.")
      .Add(static_cast<double>(table_.open()))
      .MoveInto(families);
  MetricFamilyBuilder::Counter("medic_http_connections_accepted_total",
                               "HTTP connections accepted.")
      .Add(count(counters_.accepted))
      .MoveInto(families);
  MetricFamilyBuilder::Counter(
      "medic_http_connections_evicted_total",
      "Connections waiting for a request that were closed to make room for a new one "
      "(web.max_connections, web.max_connections_per_peer, or out of file descriptors).")
      .Add(static_cast<double>(table_.evicted()))
      .MoveInto(families);
  MetricFamilyBuilder::Counter(
      "medic_http_connections_rejected_total",
      "Connections closed at once because every connection was being answered.")
      .Add(count(counters_.rejected))
      .MoveInto(families);
  MetricFamilyBuilder::Counter("medic_http_timeouts_total",
                               "Connections closed when a deadline passed, by phase.")
      .Add(count(counters_.idle_timeouts), {{"phase", "idle"}})
      .Add(count(counters_.request_timeouts), {{"phase", "request"}})
      .Add(count(counters_.write_timeouts), {{"phase", "write"}})
      .MoveInto(families);
  MetricFamilyBuilder::Counter("medic_http_tls_handshake_failures_total",
                               "TLS handshakes that failed or timed out.")
      .Add(count(counters_.handshake_failures))
      .MoveInto(families);
  auto refused = MetricFamilyBuilder::Counter(
      "medic_http_requests_refused_total",
      "Requests the transport answered with an error itself, before any handler: malformed "
      "(400, 501, 505), over a limit (413, 414, 431), too slow (408), bad Expect (417).");
  constexpr auto kCodes = RefusalCodes();
  for (std::size_t i = 0; i < kCodes.size(); ++i) {
    const std::string code = kCodes[i] == 0 ? "other" : std::to_string(kCodes[i]);
    refused.Add(count(counters_.refused_by_code[i]), {{"code", code}});
  }
  refused.MoveInto(families);
  MetricFamilyBuilder::Counter(
      "medic_http_requests_shed_total",
      "Complete requests answered 503 without a handler: every worker busy with "
      "web.worker_threads and the queue full, or the peer at web.max_requests_per_peer.")
      .Add(count(counters_.busy), {{"reason", "workers_busy"}})
      .Add(count(counters_.peer_busy), {{"reason", "peer_busy"}})
      .MoveInto(families);
  return families;
}

}  // namespace medic::net
