#pragma once

#include <httplib.h>

#include <string>
#include <thread>

namespace medic::test {

// A real HTTP server on loopback, in this process, standing in for a service's health
// endpoint: /health answers 200 "ok", /broken 503, /slow 200 after 3 s.
class HealthEndpointServer {
 public:
  HealthEndpointServer();
  ~HealthEndpointServer();
  HealthEndpointServer(const HealthEndpointServer&) = delete;
  HealthEndpointServer& operator=(const HealthEndpointServer&) = delete;
  std::string Url(const std::string& path) const;

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace medic::test
