#pragma once

#include "medic/duration.h"
#include "medic/net/connection.h"
#include "medic/net/request.h"
#include "medic/net/response.h"
#include "medic/tls/openssl_handles.h"
#include "medic/unique_fd.h"
#include "medic/web/basic_auth.h"
#include "medic/web/login_throttle.h"
#include "medic/web_config.h"

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
  std::size_t max_body_bytes = 1 << 20;
  Duration read_timeout = std::chrono::seconds(10);
  Duration write_timeout = std::chrono::seconds(10);
  // Threads always running. Each idle thread keeps a stack and a malloc arena, so few stay;
  // the pool grows while connections wait.
  std::size_t threads = 2;
  std::size_t max_threads = 128;  // while connections wait, up to this many (see ConnectionPool)
  std::optional<WebConfigFile> web_config;  // TLS, basic auth users, extra headers
  // Failed logins per peer; shared with the webhook so both realms count against one budget.
  std::shared_ptr<web::LoginThrottle> login_throttle;
};

// Whether a route sits behind the web config's basic_auth_users. Health checks stay open so
// orchestrators can probe them; the webhook has its own credentials.
enum class Access { kProtected, kPublic };

// An HTTP/1.1 server the way an exporter needs it: exact-path routing with 404 and 405 + Allow,
// a body cap (413), the read timeout a deadline for the whole request (slow clients are cut),
// keep-alive, gzip when accepted, a thread pool that grows while connections wait, optional
// TLS/mTLS and basic auth from exporter-toolkit's web config, and a graceful Stop() that lets
// in-flight requests finish. Medic's own rather than a library's: no HTTP library, and OpenSSL
// is touched only when TLS is configured, which keeps an idle medic's footprint small.
class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void Handle(const std::string& method, const std::string& path, Handler handler,
              Access access = Access::kProtected);
  // Binds the listen address; throws std::runtime_error with the reason on failure.
  void Bind();
  // Serves until Stop(); returns once in-flight requests are done. Needs Bind() first.
  void Serve();
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

 private:
  // What a reload replaces as a whole: one immutable value per web config, swapped atomically.
  struct WebState {
    std::optional<WebConfigFile> config;
    std::shared_ptr<SSL_CTX> tls_context;  // SSL_new takes its own reference per connection
    std::unique_ptr<web::BasicAuthVerifier> basic_auth;
  };
  std::shared_ptr<WebState> BuildWebState(std::optional<WebConfigFile> web_config) const;
  std::shared_ptr<WebState> CurrentWeb() const;
  // Whether the request may reach a protected route; fills in 401 or 429 when not.
  bool Authorized(const WebState& web, const Request& request, Response& response);
  void Dispatch(const Request& request, Response& response);
  void ServeAccepted(UniqueFd socket, const Peer& peer);

  ServerOptions options_;
  ConnectionLimits limits_;
  bool tls_listener_ = false;
  std::shared_ptr<web::LoginThrottle> login_throttle_;
  mutable std::mutex web_mutex_;
  std::shared_ptr<WebState> web_;  // guarded by web_mutex_
  struct Route {
    std::map<std::string, Handler> by_method;
    Access access = Access::kProtected;
  };
  std::shared_mutex routes_mutex_;
  std::map<std::string, Route> routes_;
  UniqueFd listener_;
  UniqueFd stop_event_;  // an eventfd: signalled once by Stop(), seen by every waiting thread
  int port_ = 0;
};

}  // namespace medic::net
