#include "medic/http/server.h"

#include "medic/http/connection_pool.h"
#include "medic/http/deadline_server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

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

std::string ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 401:
      return "unauthorized";
    case 404:
      return "page not found";
    case 405:
      return "method not allowed";
    case 413:
      return "payload too large";
    case 414:
      return "URI too long";
    case 431:
      return "request header fields too large";
    case 500:
      return "internal server error";
    case 503:
      return "service unavailable";
    default:
      return "error";
  }
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

}  // namespace

HttpServer::HttpServer(ServerOptions options) : options_(std::move(options)) {
  if (tls()) {
    const TlsServerSettings settings = options_.web_config->tls;
    bool configured = false;
    server_ = std::make_unique<httplib::SSLServer>([settings, &configured](SSL_CTX& context) {
      configured = ConfigureTls(context, settings);
      return configured;
    });
    if (!configured) throw std::runtime_error("TLS setup from the web config failed");
  } else {
    server_ = std::make_unique<DeadlineServer>(
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.read_timeout),
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.write_timeout));
  }
  if (options_.web_config && !options_.web_config->basic_auth_users.empty()) {
    basic_auth_ = std::make_unique<BasicAuthVerifier>(options_.web_config->basic_auth_users);
  }
  const std::size_t threads = options_.threads;
  const std::size_t max_threads = options_.max_threads;
  // httplib owns the queue it is handed; it frees it on shutdown.
  server_->new_task_queue = [threads, max_threads] {
    return std::make_unique<ConnectionPool>(threads, max_threads).release();
  };
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_read_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(options_.read_timeout).count(), 0);
  server_->set_write_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(options_.write_timeout).count(), 0);
  // httplib writes the status line and headers and then the body in separate send() calls;
  // with Nagle on, the body waits for the client's delayed ACK (~40 ms) on every keep-alive
  // request, which made a sub-millisecond scrape take 45 ms.
  server_->set_tcp_nodelay(true);
  server_->set_keep_alive_timeout(5);
  server_->set_keep_alive_max_count(100);
  server_->set_exception_handler([](const httplib::Request& request, httplib::Response& response,
                                    const std::exception_ptr& error) {
    std::string what = "unknown error";
    try {
      if (error) std::rethrow_exception(error);
    } catch (const std::exception& exception) {
      what = exception.what();
    } catch (...) {
    }
    spdlog::error("http: {} {} failed: {}", request.method, request.path, what);
    response.status = 500;
    response.set_content("internal error\n", "text/plain; charset=utf-8");
  });
  server_->set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (response.body.empty()) {
      response.set_content(
          std::to_string(response.status) + " " + ReasonPhrase(response.status) + "\n",
          "text/plain; charset=utf-8");
    }
  });
  auto dispatch = [this](const httplib::Request& request, httplib::Response& response) {
    Dispatch(request, response);
  };
  server_->Get(".*", dispatch);
  server_->Post(".*", dispatch);
  server_->Put(".*", dispatch);
  server_->Delete(".*", dispatch);
  server_->Patch(".*", dispatch);
  server_->Options(".*", dispatch);
}

HttpServer::~HttpServer() = default;

void HttpServer::Handle(const std::string& method, const std::string& path, Handler handler,
                        Access access) {
  std::unique_lock lock(routes_mutex_);
  Route& route = routes_[path];
  route.by_method[method] = std::move(handler);
  route.access = access;
}

void HttpServer::Dispatch(const httplib::Request& request, httplib::Response& response) {
  response.set_header("X-Content-Type-Options", "nosniff");
  if (options_.web_config) {
    for (const auto& [name, value] : options_.web_config->headers) response.set_header(name, value);
  }
  Handler handler;
  {
    std::shared_lock lock(routes_mutex_);
    const auto route = routes_.find(request.path);
    if (route == routes_.end()) {
      response.status = 404;
      response.set_content("404 page not found\n", "text/plain; charset=utf-8");
      return;
    }
    if (route->second.access == Access::kProtected && basic_auth_ &&
        !basic_auth_->VerifyHeader(request.get_header_value("Authorization"))) {
      spdlog::info("http: unauthorized {} {} from {}", request.method, request.path,
                   request.remote_addr);
      response.status = 401;
      response.set_header("WWW-Authenticate", "Basic realm=\"medic\"");
      response.set_content("Unauthorized\n", "text/plain; charset=utf-8");
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
      response.set_header("Allow", allow);
      response.set_content("405 method not allowed\n", "text/plain; charset=utf-8");
      return;
    }
    handler = found->second;
  }
  handler(request, response);
}

void HttpServer::Bind() {
  auto [host, port] = SplitHostPort(options_.listen_address);
  host_ = host;
  if (!server_->bind_to_port(host.c_str(), port)) {
    throw std::runtime_error("cannot listen on " + options_.listen_address +
                             " (address in use or not permitted)");
  }
  port_ = port;
}

void HttpServer::Serve() { server_->listen_after_bind(); }

void HttpServer::Stop() { server_->stop(); }

}  // namespace medic::http
