#pragma once

#include "medic/net/connection.h"
#include "medic/net/connection_table.h"
#include "medic/net/request.h"
#include "medic/net/response.h"
#include "medic/net/server_limits.h"
#include "medic/web/basic_auth.h"
#include "medic/web/login_throttle.h"
#include "medic/web_config.h"
#include "medic/worker_pool.h"

#include <prometheus/metric_family.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace medic::net {

using Handler = std::function<void(const Request&, Response&)>;

struct ServerOptions {
  std::string listen_address = "127.0.0.1:9469";
  ServerLimits limits;
  std::optional<WebConfigFile> web_config;  // TLS, basic auth users, extra headers
  // Failed logins per peer; shared with the webhook so both realms count against one budget.
  std::shared_ptr<web::LoginThrottle> login_throttle;
};

// Whether a route sits behind the web config's basic_auth_users. Health checks stay open so
// orchestrators can probe them; the webhook has its own credentials.
enum class Access { kProtected, kPublic };

struct RouteOptions {
  std::size_t max_body_bytes = 0;  // 0: ServerLimits::max_body_bytes
  // A handler that never blocks (health checks) answers from the I/O thread, so it answers
  // even while every worker is busy.
  bool inline_handler = false;
  // Runs on workers of its own (the webhook: healing), never queued behind scrapes and pages.
  bool priority = false;
  // Waits on remote targets for up to a scrape timeout (/probe, /scrape): on the probe
  // workers, so hung targets never hold the threads that answer /metrics and the webhook.
  bool probe = false;
};

// The HTTP/1.1 server every medic job goes through (scrapes, webhooks, health checks), on
// Boost.Beast's parser and Asio: accepting, TLS handshakes, reading requests and idling
// keep-alive connections are asynchronous on one I/O thread (Serve()'s caller); handlers run on
// a small worker pool. Exact-path routing with 404 and 405 + Allow, body caps per route (413
// before the body), one deadline per request, keep-alive, gzip, TLS/mTLS and basic auth from
// exporter-toolkit's web config, bounded connections in all and per peer, and a graceful Stop().
class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes are registered before Serve().
  void Handle(const std::string& method, const std::string& path, Handler handler,
              Access access = Access::kProtected, RouteOptions route_options = {});
  // Binds the listen address; throws std::runtime_error with the reason on failure.
  void Bind();
  // Serves until Stop(); returns once in-flight requests are answered. Needs Bind() first.
  void Serve();
  // Thread-safe: stops accepting, closes connections that wait for a request, lets requests
  // being answered finish.
  void Stop();
  // A reload: the users, headers, TLS certificate, key and client CA of `web_config` apply to
  // every request (and TLS handshake) that starts after this returns; requests in flight finish
  // with what they started with. Throws std::runtime_error, changing nothing, when the TLS
  // material does not load. Returns what it could not apply: the listener is TLS or plain for
  // its lifetime, so switching TLS on or off needs a restart.
  std::vector<std::string> ApplyWebConfig(std::optional<WebConfigFile> web_config);
  int port() const { return port_; }
  bool tls() const { return tls_listener_; }
  const std::shared_ptr<web::LoginThrottle>& login_throttle() const { return login_throttle_; }
  const ServerLimits& limits() const { return options_.limits; }
  // medic_http_* families: connections open, accepted, evicted, rejected, timeouts, refusals.
  std::vector<prometheus::MetricFamily> Metrics() const;

 private:
  // What a reload replaces as a whole: one immutable value per web config, swapped atomically.
  struct WebState {
    std::optional<WebConfigFile> config;
    std::shared_ptr<boost::asio::ssl::context> tls_context;
    std::unique_ptr<web::BasicAuthVerifier> basic_auth;
  };
  struct Route {
    std::map<std::string, Handler> by_method;
    Access access = Access::kProtected;
    RouteOptions options;
  };

  std::shared_ptr<WebState> BuildWebState(std::optional<WebConfigFile> web_config) const;
  std::shared_ptr<WebState> CurrentWeb() const;
  // Whether the request may reach a protected route; fills in 401 or 429 when not.
  bool Authorized(const WebState& web, const Request& request, Response& response);
  RoutePlan Plan(const Request& request) const;
  void Dispatch(const Request& request, Response& response);
  // Accepts on its own thread (see server.cpp) and hands each socket to the I/O thread.
  void AcceptLoop();
  void OnAccepted(boost::asio::ip::tcp::socket socket);
  // After a flood, returns the memory its connections used to the kernel (see server.cpp).
  void ScheduleMemoryRelease();

  ServerOptions options_;
  bool tls_listener_ = false;
  std::shared_ptr<web::LoginThrottle> login_throttle_;
  mutable std::mutex web_mutex_;
  std::shared_ptr<WebState> web_;  // guarded by web_mutex_
  mutable std::shared_mutex routes_mutex_;
  std::map<std::string, Route> routes_;

  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  boost::asio::steady_timer memory_release_{io_};
  ConnectionTable table_;
  TransportCounters counters_;
  std::optional<WorkerPool> workers_;           // while Serve() runs
  std::optional<WorkerPool> priority_workers_;  // the same, for priority routes
  std::optional<WorkerPool> probe_workers_;     // the same, for probe routes
  std::optional<ConnectionContext> context_;
  std::atomic<bool> accepting_{false};
  int port_ = 0;
};

}  // namespace medic::net
