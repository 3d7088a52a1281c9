// ctest-labels: tsan
#include "medic/collectors/probe.h"

#include "support/health_endpoint_server.h"
#include "support/metric_lookup.h"
#include "support/test_support.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

using namespace std::chrono_literals;

namespace {

// Accepts TCP connections and never answers: the timeout must end the probe.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

medic::ProbeTarget Target(std::string name, std::string url,
                          std::chrono::milliseconds timeout = 2s) {
  medic::ProbeTarget target;
  target.name = std::move(name);
  target.url = std::move(url);
  target.timeout = timeout;
  return target;
}

}  // namespace

TEST_CASE("probes against a real server, a closed port and a silent listener") {
  medic::test::HealthEndpointServer server;
  SilentListener silent;
  const int closed_port = medic::test::FreePort();
  auto expect_503 = Target("expect-503", server.Url("/broken"));
  expect_503.expected_status = 503;
  const std::vector<medic::ProbeTarget> targets{
      Target("healthy", server.Url("/health")),
      Target("broken", server.Url("/broken")),
      expect_503,
      Target("closed", "http://127.0.0.1:" + std::to_string(closed_port) + "/health"),
      Target("silent", "http://127.0.0.1:" + std::to_string(silent.port()) + "/health", 700ms),
      Target("slow", server.Url("/slow"), 500ms),
  };
  const auto started = std::chrono::steady_clock::now();
  const auto results = medic::RunProbes(targets);
  const auto elapsed = std::chrono::steady_clock::now() - started;

  REQUIRE(results.size() == targets.size());
  CHECK(results[0].success);
  CHECK(results[0].http_status == 200);
  CHECK(results[0].duration_seconds > 0);
  CHECK_FALSE(results[1].success);
  CHECK(results[1].http_status == 503);
  CHECK(results[1].error == "unexpected HTTP status 503");
  CHECK(results[2].success);
  CHECK_FALSE(results[3].success);
  CHECK(results[3].http_status == 0);
  CHECK_FALSE(results[4].success);
  INFO("silent listener error: " << results[4].error);
  CHECK(results[4].error.find("imed out") != std::string::npos);
  CHECK_FALSE(results[5].success);
  // Probes run concurrently: the whole set costs about the longest timeout, not their sum.
  CHECK(elapsed < 1500ms);
}

TEST_CASE("the probe collector exports success, duration and status per target") {
  medic::test::HealthEndpointServer server;
  medic::ProbeCollector collector({Target("bot", server.Url("/health"))});
  const auto families = collector.Collect();
  const std::map<std::string, std::string> bot{{"target", "bot"}, {"module", "http_2xx"}};
  CHECK(medic::test::FindMetric(families, "probe_success", bot) == 1);
  CHECK(medic::test::FindMetric(families, "probe_http_status_code", bot) == 200);
  CHECK(medic::test::FindMetric(families, "probe_duration_seconds", bot) > 0);
  CHECK(medic::test::FindMetric(families, "probe_http_ssl", bot) == 0);
  for (const char* phase : {"resolve", "connect", "tls", "processing", "transfer"}) {
    auto with_phase = bot;
    with_phase["phase"] = phase;
    CHECK(medic::test::FindMetric(families, "probe_http_duration_seconds", with_phase) >= 0);
  }
}
