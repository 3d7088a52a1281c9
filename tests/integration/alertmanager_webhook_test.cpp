// ctest-labels: tsan
// A real Alertmanager delivering to the real medic binary: bearer credentials from
// credentials_file, group_wait 1s, alerts injected through Alertmanager's /api/v2/alerts.
#include "support/alertmanager.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <mutex>
#include <thread>

using namespace medic::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json History(int port) {
  return json::parse(HttpGet(port, "/api/v1/remediations?limit=100").body)["remediations"];
}

}  // namespace

TEST_CASE(
    "Alertmanager -> medic: exec with hostile labels stays inert, notify delivered, allowlist") {
  TempDir data;
  NotificationReceiver receiver;
  data.Write("token", "am-t0ken\n");
  const std::string marker = data.Join("pwned");
  const std::string env_dump = data.Join("env.txt");
  const std::string config = "data_dir: " + data.path() + "\n" +
                             "collectors: {filesystem: {mountpoints: [/]}}\n"
                             "webhook:\n"
                             "  bearer_token_file: " +
                             data.Join("token") + "\n" +
                             "targets: [review-bot]\n"
                             "notifiers:\n"
                             "  slack: {url: \"" +
                             receiver.url() + "\"}\n" +
                             "remediations:\n"
                             "  - name: disk-cleanup\n"
                             "    match: {alertname: DiskFull}\n"
                             "    target_label: name\n"
                             "    steps:\n"
                             "      - exec: {argv: [/usr/bin/env], timeout: 10s}\n"
                             "      - exec: {argv: [/bin/sh, -c, 'printenv > " +
                             env_dump + "'], timeout: 10s}\n" + "      - notify: slack\n";
  MedicProcess medic(config);
  Alertmanager alertmanager(medic.port(), data.Join("token"));

  alertmanager.Fire({{"alertname", "DiskFull"},
                     {"name", "review-bot"},
                     {"cmd", "$(touch " + marker + ")"},
                     {"tick", "`touch " + marker + "`"},
                     {"semi", "x; touch " + marker}},
                    {{"summary", "disk almost full"}});
  REQUIRE(WaitFor([&] { return receiver.bodies().size() == 1; }, 60s));
  const json message = json::parse(receiver.bodies()[0]);
  CHECK(message["text"].get<std::string>().find("disk-cleanup on review-bot for DiskFull") !=
        std::string::npos);
  const std::string env = ReadFile(env_dump);
  CHECK(env.find("MEDIC_ALERT_LABEL_CMD=$(touch " + marker + ")") != std::string::npos);
  CHECK(env.find("MEDIC_ALERT_LABEL_TICK=`touch " + marker + "`") != std::string::npos);
  CHECK(env.find("MEDIC_ALERT_LABEL_SEMI=x; touch " + marker) != std::string::npos);
  CHECK(env.find("MEDIC_ALERT_ANNOTATION_SUMMARY=disk almost full") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(marker));

  // A target named by a label outside the allowlist: refused, journaled, counted.
  alertmanager.Fire({{"alertname", "DiskFull"}, {"name", "postgres"}});
  REQUIRE(WaitFor(
      [&] {
        const auto metrics = HttpGet(medic.port(), "/metrics").body;
        return FindSample(metrics, "medic_remediations_total",
                          "remediation=\"disk-cleanup\",result=\"refused\"") == 1.0;
      },
      60s));
  bool journaled = false;
  for (const auto& job : History(medic.port())) {
    if (job["target"] == "postgres" && job["state"] == "refused") journaled = true;
  }
  CHECK(journaled);
  const auto metrics = HttpGet(medic.port(), "/metrics").body;
  CHECK(FindSample(metrics, "medic_alerts_received_total",
                   "alertname=\"DiskFull\",status=\"firing\"") >= 2.0);
  CHECK(FindSample(metrics, "medic_webhook_requests_total", "code=\"200\"") >= 2.0);
  CHECK(FindSample(metrics, "medic_webhook_requests_total", "code=\"401\"") == 0.0);
}

TEST_CASE("Alertmanager with wrong credentials gets 401 and drops the notification") {
  TempDir data;
  data.Write("token", "right\n");
  data.Write("wrong-token", "wrong\n");
  const std::string config = "data_dir: " + data.path() + "\n" +
                             "collectors: {filesystem: {mountpoints: [/]}}\n"
                             "webhook:\n"
                             "  bearer_token_file: " +
                             data.Join("token") + "\n" + "targets: [review-bot]\n";
  MedicProcess medic(config);
  Alertmanager alertmanager(medic.port(), data.Join("wrong-token"));
  alertmanager.Fire({{"alertname", "Anything"}});
  REQUIRE(WaitFor(
      [&] {
        return FindSample(HttpGet(medic.port(), "/metrics").body, "medic_webhook_requests_total",
                          "code=\"401\"")
                   .value_or(0) >= 1.0;
      },
      60s));
  CHECK(medic.Log().find("refused request from 127.0.0.1") != std::string::npos);
  CHECK(History(medic.port()).empty());
}
