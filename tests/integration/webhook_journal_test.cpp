// ctest-labels: tsan
// The real medic binary: the journal makes an accepted alert survive kill -9 and run exactly
// once after the restart; a damaged journal stops start-up; the webhook answers over HTTP.
#include "support/test_support.h"
#include "support/webhook_payload.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <fstream>
#include <sstream>

using namespace medic::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string Payload(const std::string& alertname, const std::string& fingerprint) {
  return WebhookPayload({{"alertname", alertname}, {"cmd", "$(touch /tmp/medic-pwned)"}},
                        fingerprint);
}

std::string Config(const TempDir& data) {
  data.Write("token", "t0ken\n");
  const std::string runs = data.Join("runs.txt");
  return "data_dir: " + data.path() + "\n" +
         "collectors: {filesystem: {mountpoints: [/]}}\n"
         "webhook:\n"
         "  bearer_token_file: " +
         data.Join("token") + "\n" +
         "targets: [review-bot]\n"
         "remediations:\n"
         "  - name: blocker\n"
         "    match: {alertname: Blocker}\n"
         "    silent: true\n"
         "    target: review-bot\n"
         "    steps:\n"
         "      - exec: {argv: [/bin/sh, -c, 'echo blocker >> " +
         runs +
         "; exec sleep 60'], timeout: 2m}\n"
         "  - name: victim\n"
         "    match: {alertname: Victim}\n"
         "    silent: true\n"
         "    target: review-bot\n"
         "    steps:\n"
         "      - exec: {argv: [/bin/sh, -c, 'echo \"victim $MEDIC_ALERT_LABEL_CMD\" >> " +
         runs + "']}\n";
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::multimap<std::string, std::string> kAuth{{"Authorization", "Bearer t0ken"}};

}  // namespace

TEST_CASE("kill -9 after 200 but before the job runs: after restart it runs exactly once") {
  TempDir data;
  const std::string config = Config(data);
  const std::string runs = data.Join("runs.txt");
  {
    MedicProcess medic(config);
    // The blocker occupies the only target, so the victim's job stays queued.
    CHECK(HttpPost(medic.port(), "/webhook", Payload("Blocker", "b1"), "application/json", kAuth)
              .status == 200);
    REQUIRE(WaitFor([&] { return Lines(runs).size() == 1; }, 30s));
    CHECK(HttpPost(medic.port(), "/webhook", Payload("Victim", "v1"), "application/json", kAuth)
              .status == 200);
    auto history = json::parse(HttpGet(medic.port(), "/api/v1/remediations").body);
    CHECK(history["remediations"][0]["state"] == "queued");
    medic.process().Stop(SIGKILL, 10s);
  }
  CHECK(Lines(runs) == std::vector<std::string>{"blocker"});
  {
    MedicProcess medic(config);
    REQUIRE(WaitFor([&] { return Lines(runs).size() == 2; }, 30s));
    auto history = json::parse(HttpGet(medic.port(), "/api/v1/remediations").body);
    auto jobs = history["remediations"];
    REQUIRE(jobs.size() == 2);
    CHECK(jobs[0]["remediation"] == "victim");
    REQUIRE(WaitFor(
        [&] {
          auto again = json::parse(HttpGet(medic.port(), "/api/v1/remediations").body);
          return again["remediations"][0]["state"] == "succeeded";
        },
        30s));
    // The blocker was killed mid-exec: exec is not safe to repeat, so it is interrupted.
    CHECK(jobs[1]["state"] == "interrupted");
    CHECK(medic.Log().find("0 unfinished job(s) resumed, 1 marked interrupted") !=
          std::string::npos);
    // A repeat of the same notification after the restart is still a duplicate.
    CHECK(HttpPost(medic.port(), "/webhook", Payload("Victim", "v1"), "application/json", kAuth)
              .status == 200);
    medic.process().Stop(SIGKILL, 10s);
  }
  {
    MedicProcess medic(config);
    const std::string metrics = HttpGet(medic.port(), "/metrics").body;
    CHECK(FindSample(metrics, "medic_remediation_queue_depth") == 0.0);
  }
  // The label's $(touch ...) reached the program as inert text.
  CHECK(Lines(runs) == std::vector<std::string>{"blocker", "victim $(touch /tmp/medic-pwned)"});
}

TEST_CASE("a corrupted journal stops start-up with a clear message") {
  TempDir data;
  const std::string config = Config(data);
  data.Write("journal.db", std::string(16384, 'x'));
  data.Write("medic.yml", config);
  const std::string log = data.Join("medic.log");
  Subprocess medic({MEDIC_BINARY, "--config.file=" + data.Join("medic.yml"),
                    "--web.listen-address=127.0.0.1:" + std::to_string(FreePort())},
                   {.stdout_path = log, .stderr_path = log});
  auto status = medic.Wait(30s);
  REQUIRE(status);
  CHECK(*status != 0);
  CHECK(ReadFile(log).find("will not start") != std::string::npos);
}

TEST_CASE("webhook over HTTP: credentials, content type, body size, metrics") {
  TempDir data;
  MedicProcess medic(Config(data));
  CHECK(HttpPost(medic.port(), "/webhook", Payload("Victim", "x"), "application/json").status ==
        401);
  CHECK(HttpPost(medic.port(), "/webhook", Payload("Victim", "x"), "application/json",
                 {{"Authorization", "Bearer nope"}})
            .status == 401);
  CHECK(HttpPost(medic.port(), "/webhook", Payload("Victim", "x"), "text/plain", kAuth).status ==
        415);
  CHECK(HttpPost(medic.port(), "/webhook", std::string(10 << 20, 'a'), "application/json", kAuth)
            .status == 413);
  CHECK(medic.Log().find("refused request from 127.0.0.1") != std::string::npos);
  const std::string metrics = HttpGet(medic.port(), "/metrics").body;
  CHECK(FindSample(metrics, "medic_webhook_requests_total", "code=\"401\"") == 2.0);
  CHECK(FindSample(metrics, "medic_webhook_requests_total", "code=\"415\"") == 1.0);
  CHECK(FindSample(metrics, "medic_remediations_total",
                   "remediation=\"victim\",result=\"success\"") == 0.0);
}
