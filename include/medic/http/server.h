#pragma once

#include "medic/duration.h"
#include "medic/http/basic_auth.h"
#include "medic/http/web_config.h"

#include <httplib.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>

namespace medic::http {

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

struct ServerOptions {
  std::string listen_address = "127.0.0.1:9469";
  std::size_t max_body_bytes = 1 << 20;
  Duration read_timeout = std::chrono::seconds(10);
  Duration write_timeout = std::chrono::seconds(10);
  std::size_t threads = 16;       // always running
  std::size_t max_threads = 128;  // while connections wait, up to this many (see ConnectionPool)
  std::optional<WebConfigFile> web_config;  // TLS, basic auth users, extra headers
};

// Whether a route sits behind the web config's basic_auth_users. Health checks stay open so
// orchestrators can probe them; the webhook has its own credentials.
enum class Access { kProtected, kPublic };

// cpp-httplib wired the way an exporter should be: exact-path routing with 404 and 405 + Allow,
// a body cap (413), read/write timeouts (the read timeout a deadline for the whole request on
// plain HTTP, see DeadlineServer), a pool that grows while connections wait, optional TLS/mTLS and
// basic auth from exporter-toolkit's web config, and a graceful Stop() that lets in-flight requests
// finish.
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
  // Serves until Stop(); returns once in-flight requests are done.
  void Serve();
  void Stop();
  int port() const { return port_; }
  bool tls() const { return options_.web_config && options_.web_config->tls_enabled; }

 private:
  void Dispatch(const httplib::Request& request, httplib::Response& response);

  ServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<BasicAuthVerifier> basic_auth_;
  struct Route {
    std::map<std::string, Handler> by_method;
    Access access = Access::kProtected;
  };
  std::shared_mutex routes_mutex_;
  std::map<std::string, Route> routes_;
  std::string host_;
  int port_ = 0;
};

}  // namespace medic::http
