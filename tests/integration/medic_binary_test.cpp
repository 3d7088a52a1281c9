// ctest-labels: tsan
// Starts the built medic binary as a user would and checks what it serves.
#include "support/black_hole_listener.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <signal.h>

#include <memory>
#include <thread>

using namespace std::chrono_literals;
using medic::test::FindSample;
using medic::test::HttpGet;
using medic::test::HttpPost;
using medic::test::MedicProcess;
using medic::test::RunCommand;

namespace {

const std::string kBasicConfig = R"(
collectors:
  filesystem: {mountpoints: [/, /nonexistent/mount]}
  probe:
    - {name: nowhere, url: "http://127.0.0.1:9/health", timeout: 1s}
)";

}  // namespace

TEST_CASE("scrape passes promtool check metrics and carries the self metrics") {
  MedicProcess medic(kBasicConfig);
  const auto scrape = HttpGet(medic.port(), "/metrics");
  REQUIRE(scrape.status == 200);
  CHECK(scrape.headers.find("Content-Type")->second == "text/plain; version=0.0.4; charset=utf-8");
  const auto check = medic::test::PromtoolCheckMetrics(scrape.body);
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(check.output.empty());

  CHECK(FindSample(scrape.body, "medic_scrape_collector_success", R"(collector="filesystem")") ==
        1);
  CHECK(FindSample(scrape.body, "medic_scrape_collector_success", R"(collector="probe")") == 1);
  CHECK(FindSample(scrape.body, "medic_scrape_collector_success", R"(collector="process")") == 1);
  CHECK(FindSample(scrape.body, "probe_success", R"(target="nowhere",module="http_2xx")") == 0);
  // Labelled with the filesystem the path would be on, as written in the config.
  CHECK(scrape.body.find(",mountpoint=\"/nonexistent/mount\"} 1\n") != std::string::npos);
  CHECK(scrape.body.find("\nnode_filesystem_device_error{device=") != std::string::npos);
  CHECK(scrape.body.find("medic_build_info{version=\"0.1.0\"") != std::string::npos);
  CHECK(FindSample(scrape.body, "process_open_fds") > 0);
  CHECK(FindSample(scrape.body, "medic_config_last_reload_successful") == 1);
}

TEST_CASE("gzip when accepted, 404, 405 with Allow, 413 over the body cap") {
  MedicProcess medic(kBasicConfig);
  const auto gzipped = HttpGet(medic.port(), "/metrics", {{"Accept-Encoding", "gzip"}});
  CHECK(gzipped.status == 200);
  // httplib's client inflates transparently only when asked; here we see the raw header.
  CHECK(gzipped.headers.find("Content-Encoding") != gzipped.headers.end());

  CHECK(HttpGet(medic.port(), "/nope").status == 404);
  const auto wrong_method = HttpPost(medic.port(), "/metrics", "x", "text/plain");
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.headers.find("Allow")->second == "GET, HEAD");
  const auto too_big = HttpPost(medic.port(), "/-/reload", std::string(2 << 20, 'x'), "text/plain");
  CHECK(too_big.status == 413);
}

TEST_CASE("landing page, health and readiness") {
  MedicProcess medic(kBasicConfig);
  CHECK(HttpGet(medic.port(), "/-/healthy").status == 200);
  CHECK(HttpGet(medic.port(), "/-/ready").status == 200);
  const auto page = HttpGet(medic.port(), "/");
  REQUIRE(page.status == 200);
  CHECK(page.body.find("<td>filesystem</td>") != std::string::npos);
  CHECK(page.body.find("href=\"/metrics\"") != std::string::npos);
  CHECK(page.headers.find("Content-Security-Policy") != page.headers.end());
}

TEST_CASE("a bad reload keeps the running config; a good one applies; SIGTERM exits 0 quickly") {
  MedicProcess medic(kBasicConfig);
  medic.dir().Write("medic.yml", "collectors:\n  filesystem: {mountpoints: [/]}\n  bogus: 1\n");
  const auto rejected = HttpPost(medic.port(), "/-/reload", "", "text/plain");
  CHECK(rejected.status == 500);
  CHECK(rejected.body.find("collectors.bogus: unknown key") != std::string::npos);
  auto scrape = HttpGet(medic.port(), "/metrics").body;
  CHECK(FindSample(scrape, "medic_config_last_reload_successful") == 0);
  CHECK(FindSample(scrape, "medic_scrape_collector_success", R"(collector="probe")") == 1);

  // SIGHUP with a valid file: the probe collector is gone afterwards.
  medic.dir().Write("medic.yml", "collectors:\n  filesystem: {mountpoints: [/]}\n");
  ::kill(medic.process().pid(), SIGHUP);
  CHECK(medic::test::WaitFor(
      [&] {
        scrape = HttpGet(medic.port(), "/metrics").body;
        return FindSample(scrape, "medic_config_last_reload_successful") == 1;
      },
      10s));
  INFO(scrape);
  CHECK_FALSE(
      FindSample(scrape, "medic_scrape_collector_success", R"(collector="probe")").has_value());

  const auto started = std::chrono::steady_clock::now();
  const auto status = medic.process().Stop(SIGTERM, 10s);
  REQUIRE(status);
  CHECK(*status == 0);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  CHECK(medic.Log().find("medic stopped") != std::string::npos);
}

TEST_CASE("a collector that hangs past the timeout does not hold the scrape") {
  // A silent TCP listener (listening before its constructor returns) makes the probe wait for
  // its 20s timeout; the collector timeout is 1s.
  medic::test::BlackHoleListener listener;
  const int port = listener.port();
  MedicProcess medic(
      "collectors:\n  timeout: 1s\n  filesystem: {}\n  probe:\n"
      "    - {name: stuck, url: \"http://127.0.0.1:" +
      std::to_string(port) + "/\", timeout: 20s}\n");
  const auto started = std::chrono::steady_clock::now();
  const auto scrape = HttpGet(medic.port(), "/metrics");
  CHECK(std::chrono::steady_clock::now() - started < 4s);
  CHECK(scrape.status == 200);
  CHECK(FindSample(scrape.body, "medic_scrape_collector_success", R"(collector="probe")") == 0);
  CHECK(FindSample(scrape.body, "medic_scrape_collector_success", R"(collector="filesystem")") ==
        1);
}

TEST_CASE("--config.check, --version, --help and bad flags") {
  medic::test::TempDir dir;
  dir.Write("good.yml", kBasicConfig);
  dir.Write("bad.yml", "web:\n  listen_address: 127.0.0.1:1\n  typo: true\n");
  auto good = RunCommand({MEDIC_BINARY, "--config.check=" + dir.Join("good.yml")});
  CHECK(good.exit_code == 0);
  auto bad = RunCommand({MEDIC_BINARY, "--config.check", dir.Join("bad.yml")});
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find(dir.Join("bad.yml") + ":3:3: web.typo: unknown key") != std::string::npos);
  // The shipped example reads its secrets from /run/secrets: point it at dummy files here.
  std::string example_text =
      medic::test::ReadFile(std::string(MEDIC_SOURCE_DIR) + "/deploy/medic.example.yml");
  REQUIRE(!example_text.empty());
  for (std::size_t at = example_text.find("/run/secrets/"); at != std::string::npos;
       at = example_text.find("/run/secrets/", at)) {
    example_text.replace(at, 13, dir.path() + "/");
  }
  dir.Write("medic-webhook-token", "token\n");
  dir.Write("slack-webhook-url", "https://hooks.slack.invalid/services/T/B/X\n");
  dir.Write("example.yml", example_text);
  auto example = RunCommand({MEDIC_BINARY, "--config.check", dir.Join("example.yml")});
  INFO(example.output);
  CHECK(example.exit_code == 0);
  // The web config is checked as start-up reads it: a cipher OpenSSL lacks, a key that is not
  // the certificate's.
  const auto made =
      RunCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                  "/CN=localhost", "-keyout", dir.Join("a.key"), "-out", dir.Join("a.pem")});
  REQUIRE(made.exit_code == 0);
  REQUIRE(
      RunCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                  "/CN=other", "-keyout", dir.Join("b.key"), "-out", dir.Join("b.pem")})
          .exit_code == 0);
  const std::string tls = "tls_server_config:\n  cert_file: " + dir.Join("a.pem") + "\n";
  dir.Write("web-ok.yml", tls + "  key_file: " + dir.Join("a.key") + "\n");
  dir.Write("web-cipher.yml",
            tls + "  key_file: " + dir.Join("a.key") + "\n  cipher_suites: [TLS_NO_SUCH]\n");
  dir.Write("web-key.yml", tls + "  key_file: " + dir.Join("b.key") + "\n");
  const auto check_web = [&](const std::string& web) {
    return RunCommand({MEDIC_BINARY, "--config.check=" + dir.Join("good.yml"),
                       "--web.config.file=" + dir.Join(web)});
  };
  CHECK(check_web("web-ok.yml").exit_code == 0);
  const auto cipher = check_web("web-cipher.yml");
  CHECK(cipher.exit_code == 1);
  CHECK(cipher.output.find("web-cipher.yml:4") != std::string::npos);
  const auto key = check_web("web-key.yml");
  CHECK(key.exit_code == 1);
  CHECK(key.output.find("web-key.yml") != std::string::npos);
  CHECK(RunCommand({MEDIC_BINARY, "--version"}).output.find("medic, version 0.1.0") == 0);
  CHECK(RunCommand({MEDIC_BINARY, "--help"}).output.find("--web.listen-address") !=
        std::string::npos);
  auto unknown = RunCommand({MEDIC_BINARY, "--bogus"});
  CHECK(unknown.exit_code == 2);
  auto missing =
      RunCommand({MEDIC_BINARY, "--config.file=/nonexistent.yml",
                  "--web.listen-address=127.0.0.1:" + std::to_string(medic::test::FreePort())});
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("/nonexistent.yml: cannot open configuration file") !=
        std::string::npos);
}

TEST_CASE("the embedded default runs with no file and serves the root filesystem") {
  const int port = medic::test::FreePort();
  medic::test::TempDir dir;
  medic::test::Subprocess medic(
      {MEDIC_BINARY, "--web.listen-address=127.0.0.1:" + std::to_string(port)},
      {.stdout_path = dir.Join("log"), .stderr_path = dir.Join("log")});
  REQUIRE(medic::test::WaitFor([&] { return HttpGet(port, "/-/ready").status == 200; }, 20s));
  const auto scrape = HttpGet(port, "/metrics").body;
  CHECK(scrape.find("\nnode_filesystem_size_bytes{device=\"") != std::string::npos);
  CHECK(scrape.find(",mountpoint=\"/\"} ") != std::string::npos);
  CHECK(FindSample(scrape, "medic_scrape_collector_success", R"(collector="filesystem")") == 1);
}

TEST_CASE("web config basic auth protects /metrics but not the health checks") {
  const std::string hash = medic::test::BcryptHash("s3cret");
  medic::test::TempDir dir;
  dir.Write("web.yml", "basic_auth_users:\n  prometheus: " + hash + "\n");
  MedicProcess medic(kBasicConfig, {"--web.config.file=" + dir.Join("web.yml")});
  CHECK(HttpGet(medic.port(), "/metrics").status == 401);
  CHECK(HttpGet(medic.port(), "/").status == 401);
  // prometheus:wrong / prometheus:s3cret
  CHECK(HttpGet(medic.port(), "/metrics", {{"Authorization", "Basic cHJvbWV0aGV1czp3cm9uZw=="}})
            .status == 401);
  CHECK(HttpGet(medic.port(), "/metrics", {{"Authorization", "Basic cHJvbWV0aGV1czpzM2NyZXQ="}})
            .status == 200);
  CHECK(HttpGet(medic.port(), "/-/healthy").status == 200);
  CHECK(medic.Log().find("s3cret") == std::string::npos);
}
