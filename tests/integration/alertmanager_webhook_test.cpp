// A real Alertmanager delivering to the real medic binary: bearer credentials from
// credentials_file, group_wait 1s, alerts injected through Alertmanager's /api/v2/alerts.
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

// A local Slack-compatible incoming webhook that records the messages it gets.
class NotificationReceiver {
 public:
  NotificationReceiver() : port_(FreePort()) {
    server_.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      bodies_.push_back(request.body);
      response.set_content("ok", "text/plain");
    });
    thread_ = std::thread([this] { server_.listen("127.0.0.1", port_); });
    WaitFor([this] { return server_.is_running(); }, 10s);
  }
  ~NotificationReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/services/T000/B000/XXXX";
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  int port_;
  httplib::Server server_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> bodies_;
};

// prometheus-alertmanager on free loopback ports with its own storage, clustering off.
class Alertmanager {
 public:
  explicit Alertmanager(int medic_port, const std::string& token_file) : port_(FreePort()) {
    dir_.Write("alertmanager.yml",
               "route:\n"
               "  receiver: medic\n"
               "  group_by: [alertname]\n"
               "  group_wait: 1s\n"
               "  group_interval: 1s\n"
               "  repeat_interval: 1h\n"
               "receivers:\n"
               "  - name: medic\n"
               "    webhook_configs:\n"
               "      - url: http://127.0.0.1:" +
                   std::to_string(medic_port) + "/webhook\n" +
                   "        send_resolved: true\n"
                   "        http_config:\n"
                   "          authorization:\n"
                   "            credentials_file: " +
                   token_file + "\n");
    std::filesystem::create_directories(dir_.Join("data"));
    process_ = std::make_unique<Subprocess>(
        std::vector<std::string>{
            "/usr/bin/prometheus-alertmanager", "--config.file=" + dir_.Join("alertmanager.yml"),
            "--storage.path=" + dir_.Join("data"),
            "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--cluster.listen-address="},
        Subprocess::Options{.stdout_path = dir_.Join("am.log"),
                            .stderr_path = dir_.Join("am.log")});
    const bool ready = WaitFor([&] { return HttpGet(port_, "/-/ready").status == 200; }, 60s);
    if (!ready)
      throw std::runtime_error("alertmanager not ready:\n" + ReadFile(dir_.Join("am.log")));
  }

  void Fire(const json& labels, const json& annotations = json::object()) {
    json alerts = json::array({{{"labels", labels}, {"annotations", annotations}}});
    const auto result = HttpPost(port_, "/api/v2/alerts", alerts.dump(), "application/json");
    REQUIRE(result.status == 200);
  }
  void Resolve(const json& labels) {
    json alerts = json::array({{{"labels", labels}, {"endsAt", "2000-01-01T00:00:00Z"}}});
    REQUIRE(HttpPost(port_, "/api/v2/alerts", alerts.dump(), "application/json").status == 200);
  }
  std::string Log() const { return ReadFile(dir_.Join("am.log")); }

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Subprocess> process_;
};

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
