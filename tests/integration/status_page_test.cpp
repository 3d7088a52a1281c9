// The status page on the built binary: served HTML and JSON, basic auth, and a real headless
// Chromium loading it under its CSP (DOM asserted, screenshot saved to the build directory).
#include "support/test_support.h"
#include "support/webhook_payload.h"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace {

using namespace std::chrono_literals;
using medic::test::HttpGet;
using medic::test::MedicProcess;

const std::string kHostile = "x<script>alert(1)</script>";

std::string Config(const medic::test::TempDir& dir) {
  std::filesystem::create_directories(dir.Join("backups"));
  return "collectors:\n  filesystem: {mountpoints: [/]}\n  backup:\n    - {name: \"db" + kHostile +
         "\", path: " + dir.Join("backups") + "}\n  probe:\n    - {name: \"api" + kHostile +
         "\", url: \"http://127.0.0.1:" + std::to_string(medic::test::FreePort()) +
         "/health\", timeout: 1s}\n";
}

// A medic with a real journal: a HighErrorRate alert whose labels are hostile runs the
// diagnostics step (no engine here, so the engine parts of the bundle are error files) and a
// log file with auth failures feeds the log section.
std::string JournalConfig(const medic::test::TempDir& dir) {
  dir.Write("token", "t0ken\n");
  dir.Write("app.log", "");
  return "data_dir: " + dir.path() +
         "\n"
         "collectors:\n"
         "  filesystem: {mountpoints: [/]}\n"
         "  probe:\n"
         "    - {name: \"api" +
         kHostile + "\", url: \"http://127.0.0.1:" + std::to_string(medic::test::FreePort()) +
         "/health\", timeout: 1s}\n"
         "  logs:\n"
         "    poll_interval: 100ms\n"
         "    sources: [{name: app, path: " +
         dir.Join("app.log") +
         "}]\n"
         "webhook: {bearer_token_file: " +
         dir.Join("token") +
         "}\n"
         "targets: [review-bot]\n"
         "remediations:\n"
         "  - name: high-error-rate\n"
         "    match: {alertname: HighErrorRate}\n"
         "    silent: true\n"
         "    target: review-bot\n"
         "    steps: [{diagnostics: {log_lines: 10, keep: 3}}]\n";
}

std::string HostileAlert() {
  return medic::test::WebhookPayload({{"alertname", "HighErrorRate"}, {"instance", kHostile}},
                                     "f00d", {{"summary", kHostile}});
}

const std::multimap<std::string, std::string> kWebhookAuth{{"Authorization", "Bearer t0ken"}};

// Posts the hostile alert and waits until its diagnostics job has finished.
void RunDiagnosticsJob(const MedicProcess& medic) {
  REQUIRE(medic::test::HttpPost(medic.port(), "/webhook", HostileAlert(), "application/json",
                                kWebhookAuth)
              .status == 200);
  const bool finished = medic::test::WaitFor(
      [&] {
        const auto history = HttpGet(medic.port(), "/api/v1/remediations");
        if (history.status != 200) return false;
        const auto jobs = nlohmann::json::parse(history.body)["remediations"];
        return !jobs.empty() && jobs[0]["state"] == "succeeded";
      },
      30s);
  REQUIRE(finished);
}

}  // namespace

TEST_CASE("remediation timeline, log counts and diagnostics bundles from a real journal") {
  medic::test::TempDir dir;
  MedicProcess medic(JournalConfig(dir));
  {
    std::ofstream log(dir.Join("app.log"), std::ios::app);
    for (int i = 0; i < 4; ++i) log << "203.0.113.9 - - \"GET /admin\" 401 Unauthorized\n";
  }
  RunDiagnosticsJob(medic);
  REQUIRE(medic::test::WaitFor(
      [&] {
        return medic::test::FindSample(HttpGet(medic.port(), "/metrics").body,
                                       "medic_log_matches_last_hour",
                                       R"(source="app",rule="auth_failure")") == 4;
      },
      10s));

  const auto page = HttpGet(medic.port(), "/");
  REQUIRE(page.status == 200);
  INFO(page.body.substr(0, 6000));
  CHECK(page.body.find("<script") == std::string::npos);
  CHECK(page.body.find("x&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(page.body.find("<strong>HighErrorRate</strong>") != std::string::npos);
  CHECK(page.body.find("<th>last hour</th>") != std::string::npos);
  CHECK(page.body.find("<tr><td>auth_failure</td><td>4</td><td>4</td>") != std::string::npos);

  const auto listing = HttpGet(medic.port(), "/api/v1/diagnostics");
  REQUIRE(listing.status == 200);
  const auto bundles = nlohmann::json::parse(listing.body)["bundles"];
  REQUIRE(bundles.size() == 1);
  const std::string name = bundles[0]["name"];
  CHECK(page.body.find("href=\"/api/v1/diagnostics/archive?name=" + name + "\"") !=
        std::string::npos);
  CHECK(page.body.find("href=\"/api/v1/diagnostics\"") != std::string::npos);

  const auto archive = HttpGet(medic.port(), "/api/v1/diagnostics/archive?name=" + name);
  REQUIRE(archive.status == 200);
  REQUIRE(archive.body.size() > 2);
  CHECK(static_cast<unsigned char>(archive.body[0]) == 0x1f);  // gzip magic
  CHECK(static_cast<unsigned char>(archive.body[1]) == 0x8b);
  CHECK(archive.body.size() == bundles[0]["archive_bytes"].get<std::size_t>());
  CHECK(HttpGet(medic.port(), "/api/v1/diagnostics/archive?name=..%2Ftoken").status == 404);
  CHECK(HttpGet(medic.port(), "/api/v1/diagnostics/archive").status == 404);

  const auto status = nlohmann::json::parse(HttpGet(medic.port(), "/api/v1/status").body);
  bool found = false;
  for (const auto& rule : status["log_rules"]) {
    if (rule["rule"] == "auth_failure") {
      found = true;
      CHECK(rule["matches_last_hour"] == 4);
    }
  }
  CHECK(found);
}

TEST_CASE("GET / and /api/v1/status show the failing checks, escaped, under a strict CSP") {
  medic::test::TempDir dir;
  MedicProcess medic(Config(dir));
  const auto page = HttpGet(medic.port(), "/");
  REQUIRE(page.status == 200);
  CHECK(page.body.find("<script") == std::string::npos);
  CHECK(page.body.find("db x&lt;script&gt;alert(1)&lt;/script&gt;") == std::string::npos);
  CHECK(page.body.find("backup dbx&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(page.body.find("<strong>FAIL</strong>") != std::string::npos);
  CHECK(page.body.find("<td>filesystem</td>") != std::string::npos);
  CHECK(page.body.find("href=\"/metrics\"") != std::string::npos);
  const auto csp = page.headers.find("Content-Security-Policy");
  REQUIRE(csp != page.headers.end());
  CHECK(csp->second.find("default-src 'none'") != std::string::npos);
  CHECK(page.body.size() < 100 * 1024);

  const auto css = HttpGet(medic.port(), "/static/status.css");
  CHECK(css.status == 200);
  CHECK(css.headers.find("Content-Type")->second.find("text/css") != std::string::npos);

  const auto api = HttpGet(medic.port(), "/api/v1/status");
  REQUIRE(api.status == 200);
  const auto json = nlohmann::json::parse(api.body);
  CHECK(json["overall"]["state"] == "FAIL");
  CHECK(json["disks"][0]["mountpoint"] == "/");
  CHECK(json["overall"]["reason"].get<std::string>().find("probe api" + kHostile + " down") !=
        std::string::npos);
}

TEST_CASE("page views show the latest scrape and run no collector while it is recent") {
  // The probe collector is the counting collector: every run is one request to this server.
  httplib::Server target;
  std::atomic<int> probes{0};
  target.Get("/health", [&](const httplib::Request&, httplib::Response& res) {
    ++probes;
    res.set_content("ok", "text/plain");
  });
  const int port = target.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { target.listen_after_bind(); });
  const std::string collectors =
      "collectors:\n  probe:\n    - {name: api, url: \"http://127.0.0.1:" + std::to_string(port) +
      "/health\", timeout: 2s}\n";
  {
    MedicProcess medic(collectors);  // web.status_max_age: 15s by default
    // Ready after its first collection; then one scrape.
    REQUIRE(medic::test::WaitFor([&] { return probes == 1; }, 10s));
    REQUIRE(HttpGet(medic.port(), "/metrics").status == 200);
    CHECK(probes == 2);
    for (int view = 0; view < 5; ++view) {
      const auto page = HttpGet(medic.port(), "/");
      REQUIRE(page.status == 200);
      CHECK(page.body.find(" s ago") != std::string::npos);
      const auto api = HttpGet(medic.port(), "/api/v1/status");
      REQUIRE(api.status == 200);
      const auto json = nlohmann::json::parse(api.body);
      CHECK(json["collected_age_seconds"].get<double>() < 15);
      CHECK(json["collected_at"].get<double>() > 0);
    }
    CHECK(probes == 2);  // ten page views, no probe
  }
  {
    MedicProcess medic("web: {status_max_age: 0s}\n" + collectors);
    REQUIRE(medic::test::WaitFor([&] { return probes == 3; }, 10s));
    for (int view = 0; view < 3; ++view) REQUIRE(HttpGet(medic.port(), "/").status == 200);
    CHECK(probes == 6);  // 0s: every view collects
  }
  target.stop();
  serving.join();
}

TEST_CASE("the page and the API need the web config's basic auth like /metrics") {
  const std::string hash = medic::test::BcryptHash("s3cret");
  medic::test::TempDir dir;
  dir.Write("web.yml", "basic_auth_users:\n  prometheus: " + hash + "\n");
  MedicProcess medic(Config(dir), {"--web.config.file=" + dir.Join("web.yml")});
  CHECK(HttpGet(medic.port(), "/").status == 401);
  CHECK(HttpGet(medic.port(), "/api/v1/status").status == 401);
  CHECK(HttpGet(medic.port(), "/api/v1/diagnostics").status == 401);
  CHECK(HttpGet(medic.port(), "/api/v1/diagnostics/archive?name=x").status == 401);
  const std::multimap<std::string, std::string> auth{
      {"Authorization", "Basic cHJvbWV0aGV1czpzM2NyZXQ="}};
  CHECK(HttpGet(medic.port(), "/", auth).status == 200);
  CHECK(HttpGet(medic.port(), "/api/v1/status", auth).status == 200);
}

TEST_CASE("headless Chromium renders the page without console errors or CSP violations") {
  if (!std::filesystem::exists("/usr/bin/chromium")) {
    FAIL("chromium is not installed (scripts/install-deps.sh test)");
  }
  medic::test::TempDir dir;
  MedicProcess medic(JournalConfig(dir));
  RunDiagnosticsJob(medic);
  const auto served = HttpGet(medic.port(), "/");
  REQUIRE(served.status == 200);
  MESSAGE("page weight " << served.body.size() << " bytes");
  const std::string url = "http://127.0.0.1:" + std::to_string(medic.port()) + "/";
  const std::string screenshot =
      std::string(MEDIC_BINARY).substr(0, std::string(MEDIC_BINARY).rfind('/')) +
      "/status-page.png";
  std::vector<std::string> common{"/usr/bin/chromium",
                                  "--headless",
                                  "--no-sandbox",
                                  "--disable-gpu",
                                  "--disable-quic",
                                  "--no-first-run",
                                  "--disable-background-networking",
                                  "--disable-component-update",
                                  "--disable-sync",
                                  "--disable-dev-shm-usage",
                                  "--enable-logging=stderr",
                                  "--v=0",
                                  "--user-data-dir=" + dir.Join("chromium-profile"),
                                  "--window-size=412,915"};
  auto dump_args = common;
  dump_args.push_back("--dump-dom");
  dump_args.push_back(url);
  const auto start = std::chrono::steady_clock::now();
  const auto dom = medic::test::RunCommand(dump_args, 90s);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("chromium --dump-dom took " << seconds << " s (browser start included)");
  INFO(dom.output.substr(0, 4000));
  REQUIRE(dom.exit_code == 0);
  // The DOM as the browser built it: sections present, hostile names as text, no script nodes.
  CHECK(dom.output.find("<section id=\"state\">") != std::string::npos);
  CHECK(dom.output.find("<section id=\"collectors\">") != std::string::npos);
  CHECK(dom.output.find("<strong>FAIL</strong>") != std::string::npos);
  CHECK(dom.output.find("probe apix&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(dom.output.find("<ol class=\"timeline\">") != std::string::npos);
  CHECK(dom.output.find("<strong>HighErrorRate</strong>") != std::string::npos);
  CHECK(dom.output.find("/api/v1/diagnostics/archive?name=") != std::string::npos);
  CHECK(dom.output.find("<script") == std::string::npos);
  CHECK(dom.output.find("Uncaught") == std::string::npos);
  CHECK(dom.output.find("Content Security Policy") == std::string::npos);
  CHECK(dom.output.find("Refused to") == std::string::npos);

  auto shot_args = common;
  shot_args.push_back("--screenshot=" + screenshot);
  shot_args.push_back(url);
  std::filesystem::remove(screenshot);
  const auto shot = medic::test::RunCommand(shot_args, 90s);
  INFO(shot.output.substr(0, 4000));
  CHECK(shot.exit_code == 0);
  CHECK(std::filesystem::exists(screenshot));
  CHECK(shot.output.find("Refused to") == std::string::npos);
}
