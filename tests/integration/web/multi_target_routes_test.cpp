// /probe and /scrape on the medic binary, as a Prometheus job written for blackbox_exporter or
// redis_exporter uses them: real targets, real failures, what comes next.
#include "support/black_hole_listener.h"
#include "support/health_endpoint_server.h"
#include "support/redis_server.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

using namespace std::chrono_literals;
using medic::test::FindSample;
using medic::test::HttpGet;
using medic::test::HttpPost;
using medic::test::MedicProcess;

namespace {

std::string Encode(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("/probe: blackbox's answers, errors and timeout; a reload brings a new module") {
  medic::test::HealthEndpointServer target;
  MedicProcess medic("collectors: {process: false}\n");
  const auto up =
      HttpGet(medic.port(), "/probe?module=http_2xx&target=" + Encode(target.Url("/health")));
  REQUIRE(up.status == 200);
  CHECK(FindSample(up.body, "probe_success") == 1);
  CHECK(FindSample(up.body, "probe_http_status_code") == 200);
  CHECK(FindSample(up.body, "probe_http_duration_seconds", R"(phase="connect")") >= 0);
  const auto check = medic::test::PromtoolCheckMetrics(up.body);
  INFO(check.output);
  CHECK(check.exit_code == 0);

  const auto down =
      HttpGet(medic.port(), "/probe?module=http_2xx&target=" + Encode(target.Url("/broken")));
  CHECK(down.status == 200);
  CHECK(FindSample(down.body, "probe_success") == 0);
  CHECK(FindSample(down.body, "probe_http_status_code") == 503);

  // blackbox's tcp prober, and its address hash: FNV-1a of the 4 bytes of 127.0.0.1.
  const auto tcp = HttpGet(
      medic.port(), "/probe?module=tcp_connect&target=127.0.0.1:" + std::to_string(medic.port()));
  CHECK(FindSample(tcp.body, "probe_success") == 1);
  CHECK(FindSample(tcp.body, "probe_ip_protocol") == 4);
  CHECK(FindSample(tcp.body, "probe_ip_addr_hash") == 3668918509.0);
  CHECK(FindSample(tcp.body, "probe_dns_lookup_time_seconds") >= 0);
  CHECK(FindSample(up.body, "probe_ip_addr_hash") == 3668918509.0);

  const auto unknown = HttpGet(medic.port(), "/probe?module=nope&target=x");
  CHECK(unknown.status == 400);
  CHECK(unknown.body.find("Unknown module \"nope\"") != std::string::npos);
  const auto missing = HttpGet(medic.port(), "/probe?module=http_2xx");
  CHECK(missing.status == 400);
  CHECK(missing.body.find("Target parameter is missing") != std::string::npos);

  // Prometheus's scrape timeout bounds the probe (less blackbox's 0.5 s offset).
  medic::test::BlackHoleListener hang;
  const auto started = std::chrono::steady_clock::now();
  const auto hung = HttpGet(
      medic.port(), "/probe?module=http_2xx&target=http://127.0.0.1:" + std::to_string(hang.port()),
      {{"X-Prometheus-Scrape-Timeout-Seconds", "1.5"}});
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(hung.status == 200);
  CHECK(FindSample(hung.body, "probe_success") == 0);
  CHECK(elapsed >= 900ms);
  CHECK(elapsed < 1400ms);

  // A module added to the config works after a reload, without a restart.
  medic.dir().Write("medic.yml",
                    "collectors: {process: false}\n"
                    "modules:\n"
                    "  health_503: {prober: http, http: {valid_status_codes: [503]}}\n");
  CHECK(HttpPost(medic.port(), "/-/reload", "", "text/plain").status == 200);
  const auto custom =
      HttpGet(medic.port(), "/probe?module=health_503&target=" + Encode(target.Url("/broken")));
  CHECK(FindSample(custom.body, "probe_success") == 1);
}

TEST_CASE("/probe: many hung targets at once each get an answer, and /metrics stays quick") {
  MedicProcess medic("collectors: {filesystem: {mountpoints: [/]}}\n");
  medic::test::BlackHoleListener hang;
  // More hung targets than web.worker_threads, from one address, as one Prometheus job does.
  constexpr int kTargets = 24;
  std::atomic<int> answered{0};
  std::atomic<int> failed_probes{0};
  std::vector<std::thread> scrapers;
  for (int i = 0; i < kTargets; ++i) {
    scrapers.emplace_back([&, i] {
      const auto result =
          HttpGet(medic.port(),
                  "/probe?module=http_2xx&target=http://127.0.0.1:" + std::to_string(hang.port()) +
                      "/x" + std::to_string(i),
                  {{"X-Prometheus-Scrape-Timeout-Seconds", "3"}});
      if (result.status == 200) ++answered;
      if (FindSample(result.body, "probe_success") == 0) ++failed_probes;
    });
  }
  std::this_thread::sleep_for(500ms);
  const auto started = std::chrono::steady_clock::now();
  const auto scrape = HttpGet(medic.port(), "/metrics");
  const auto scrape_time = std::chrono::steady_clock::now() - started;
  CHECK(scrape.status == 200);
  CHECK(scrape_time < 1s);
  for (auto& scraper : scrapers) scraper.join();
  CHECK(answered == kTargets);
  CHECK(failed_probes == kTargets);
}

TEST_CASE("/scrape: redis_exporter's target URL; wrong password, then down, then back") {
  medic::test::RedisServer redis("pw-1");
  MedicProcess medic("collectors: {process: false}\n");
  const std::string good = "/scrape?target=" + Encode("redis://:pw-1@" + redis.address());
  auto scrape = HttpGet(medic.port(), good);
  REQUIRE(scrape.status == 200);
  CHECK(FindSample(scrape.body, "redis_up") == 1);
  CHECK(scrape.body.find("redis_instance_info{") != std::string::npos);
  CHECK(scrape.body.find("pw-1") == std::string::npos);
  const auto check = medic::test::PromtoolCheckMetrics(scrape.body);
  INFO(check.output);
  CHECK(check.exit_code == 0);

  const auto wrong =
      HttpGet(medic.port(), "/scrape?target=" + Encode("redis://:nope@" + redis.address()));
  CHECK(wrong.status == 200);
  CHECK(FindSample(wrong.body, "redis_up") == 0);
  CHECK(wrong.body.find("nope") == std::string::npos);

  CHECK(HttpGet(medic.port(), "/scrape").status == 400);
  const auto scheme = HttpGet(medic.port(), "/scrape?target=" + Encode("http://127.0.0.1:1"));
  CHECK(scheme.status == 400);
  CHECK(scheme.body.find("unsupported scheme \"http://\"") != std::string::npos);

  redis.Kill();
  scrape = HttpGet(medic.port(), good);
  CHECK(scrape.status == 200);
  CHECK(FindSample(scrape.body, "redis_up") == 0);
  redis.Start();
  scrape = HttpGet(medic.port(), good);
  CHECK(FindSample(scrape.body, "redis_up") == 1);
}

TEST_CASE("/probe and /scrape sit behind the web config's users, like /metrics") {
  medic::test::TempDir dir;
  dir.Write("web.yml", "basic_auth_users:\n  prom: " + medic::test::BcryptHash("secret", 4) + "\n");
  MedicProcess medic("collectors: {process: false}\n",
                     {"--web.config.file=" + dir.Join("web.yml")});
  CHECK(HttpGet(medic.port(), "/probe?module=http_2xx&target=http://127.0.0.1:1").status == 401);
  CHECK(HttpGet(medic.port(), "/scrape?target=redis://127.0.0.1:1").status == 401);
  const auto header = httplib::make_basic_authentication_header("prom", "secret");
  const std::multimap<std::string, std::string> auth{{header.first, header.second}};
  CHECK(HttpGet(medic.port(), "/probe?module=http_2xx&target=http://127.0.0.1:1", auth).status ==
        200);
}
