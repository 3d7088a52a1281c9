#include "support/health_endpoint_server.h"

#include <chrono>

namespace medic::test {

HealthEndpointServer::HealthEndpointServer() {
  server_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  server_.Get("/broken", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
  server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    res.set_content("late", "text/plain");
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
}

HealthEndpointServer::~HealthEndpointServer() {
  server_.stop();
  thread_.join();
}

std::string HealthEndpointServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

}  // namespace medic::test
