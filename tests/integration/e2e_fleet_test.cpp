// ctest-labels: e2e
// A fleet on loopback, on real components: two Prometheus replicas (external_labels
// replica=a/b, the replica label kept, so medic's own folding is what dedupes them), two
// Alertmanagers in one gossip cluster, and three medics standing for hosts host-1..3, each
// owning its own review-bot container on one podman engine. Alertmanager's one "medic"
// receiver lists all three medics (monitoring/fleet/alertmanager.yml, as shipped but for
// addresses and timings), so every medic gets every alert and acts only on its own host's.
//
// The cluster runs with --cluster.peer-timeout=0s: both members send each notification
// without waiting to hear that the other did, the duplicates an HA pair produces on a slow
// network, here on every delivery. Timings shortened: rules' `for:` 2s, scrapes and
// evaluation every 1s, group_wait 1s, group_interval 2s.
#include "support/alertmanager.h"
#include "support/podman_env.h"
#include "support/prometheus_server.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <regex>

using namespace medic::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr int kHosts = 3;

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "not in the shipped file: " << from);
  return text.replace(at, from.size(), to);
}

std::string Shipped(const std::string& relative) {
  const std::string text = ReadFile(std::string(MEDIC_SOURCE_DIR) + "/monitoring/" + relative);
  REQUIRE(!text.empty());
  return text;
}

// PID 1 is a shell without a TERM trap, which ignores SIGTERM: a restart of a running bot
// waits its whole stop timeout (the window in which host-1's medic is killed below).
std::vector<std::string> BotCommand(int port) {
  return {"sh", "-c",
          "mkdir -p /www && echo ok > /www/health && echo 'bot_up 1' > /www/metrics && "
          "httpd -f -p 127.0.0.1:" +
              std::to_string(port) + " -h /www & while true; do sleep 1; done"};
}

json Jobs(int medic_port) {
  const auto body =
      json::parse(HttpGet(medic_port, "/api/v1/remediations?limit=100").body, nullptr, false);
  if (body.is_discarded() || !body.contains("remediations")) return json::array();
  return body["remediations"];
}

bool Finished(const json& job) {
  const std::string state = job.value("state", "");
  return state != "queued" && state != "running";
}

double Metric(int medic_port, const std::string& name, const std::string& labels) {
  return FindSample(HttpGet(medic_port, "/metrics").body, name, labels).value_or(-1);
}

struct Host {
  int index = 0;
  std::string name;  // host-N
  int medic_port = FreePort();
  int bot_port = FreePort();
  std::string config;
  std::unique_ptr<TestContainer> bot;
  std::unique_ptr<MedicProcess> medic;

  bool BotHealthy() const { return HttpGet(bot_port, "/health").status == 200; }
  void StartMedic() {
    medic = std::make_unique<MedicProcess>(config, std::vector<std::string>{},
                                           std::map<std::string, std::string>{}, medic_port);
  }
};

struct Fleet {
  TempDir dir;
  NotificationReceiver human;
  std::vector<Host> hosts{kHosts};
  std::vector<std::unique_ptr<Alertmanager>> alertmanagers;
  std::vector<std::unique_ptr<PrometheusServer>> replicas;

  Fleet() {
    dir.Write("token", "fleet-token\n");
    dir.Write("slack-url", human.url() + "\n");
    const std::string run = UniqueContainerName();
    std::string bot_targets;
    for (int i = 0; i < kHosts; ++i) {
      Host& host = hosts[static_cast<std::size_t>(i)];
      host.index = i + 1;
      host.name = "host-" + std::to_string(host.index);
      host.bot = std::make_unique<TestContainer>(
          ContainerOptions{.name = run + "-bot-" + std::to_string(host.index),
                           .command = BotCommand(host.bot_port),
                           .network = "host"});
      REQUIRE(WaitFor([&] { return host.BotHealthy(); }, 30s));
      bot_targets += "- targets: [\"127.0.0.1:" + std::to_string(host.bot_port) +
                     "\"]\n  labels: {instance: " + host.name + "}\n";
      // host-1's restart waits 4 s for its bot to stop: long enough to kill medic inside it.
      const std::string stop_timeout = host.index == 1 ? "4s" : "1s";
      host.config = "data_dir: " + dir.Join("medic-" + std::to_string(host.index)) + "\n" +
                    "docker: {host: \"" + DockerHost() + "\", timeout: 10s}\n" +
                    "webhook: {bearer_token_file: " + dir.Join("token") + "}\n" +
                    "fleet: {host: " + host.name + "}\n" + "targets: [" + host.bot->name() + "]\n" +
                    "remediations:\n"
                    "  - name: service-down\n"
                    "    match: {alertname: ServiceDown, severity: critical}\n"
                    "    target: " +
                    host.bot->name() +
                    "\n"
                    "    silent: true\n"
                    "    cooldown: 0s\n"
                    "    retry_backoff: 2s\n"
                    "    steps:\n"
                    "      - restart: {timeout: " +
                    stop_timeout +
                    "}\n"
                    "      - verify: {url: \"http://127.0.0.1:" +
                    std::to_string(host.bot_port) +
                    "/health\", attempts: 60, interval: 500ms, timeout: 1s}\n";
      host.StartMedic();
    }
    dir.Write("review-bot.yml", bot_targets);
    dir.Write("medic.yml", "[]\n");

    // The shipped cluster config: every medic on one receiver.
    std::string am_config = Shipped("fleet/alertmanager.yml");
    for (const Host& host : hosts) {
      am_config = Replaced(am_config, "http://" + host.name + ":9469/webhook",
                           "http://127.0.0.1:" + std::to_string(host.medic_port) + "/webhook");
    }
    am_config = Replaced(am_config, "/run/secrets/medic-webhook-token", dir.Join("token"));
    am_config = Replaced(am_config, "/run/secrets/slack-webhook-url", dir.Join("slack-url"));
    am_config = Replaced(am_config, "group_wait: 10s", "group_wait: 1s");
    am_config = Replaced(am_config, "group_interval: 1m", "group_interval: 2s");
    const int gossip[2] = {FreePort(), FreePort()};
    for (int i = 0; i < 2; ++i) {
      alertmanagers.push_back(std::make_unique<Alertmanager>(
          am_config, std::vector<std::string>{
                         "--cluster.listen-address=127.0.0.1:" + std::to_string(gossip[i]),
                         "--cluster.peer=127.0.0.1:" + std::to_string(gossip[1 - i]),
                         "--cluster.peer-timeout=0s", "--cluster.gossip-interval=100ms",
                         "--cluster.pushpull-interval=1s", "--cluster.settle-timeout=1s"}));
    }

    // The shipped Prometheus config, both replicas, without the relabelling that would drop
    // the replica label: medic must fold the two replicas' alerts itself.
    std::string rules = Shipped("alert-rules.yml");
    rules = std::regex_replace(rules, std::regex(R"(for: [0-9a-z]+)"), "for: 2s");
    for (const char* replica : {"a", "b"}) {
      std::string config = Shipped("fleet/prometheus.yml");
      config = Replaced(config, "scrape_interval: 15s", "scrape_interval: 1s");
      config = Replaced(config, "scrape_timeout: 10s", "scrape_timeout: 900ms");
      config = Replaced(config, "evaluation_interval: 15s", "evaluation_interval: 1s");
      config = Replaced(config, "replica: a ", std::string("replica: ") + replica + " ");
      config = Replaced(config, "../alert-rules.yml", "alert-rules.yml");
      config = Replaced(config,
                        "  alert_relabel_configs:\n"
                        "    - action: labeldrop\n"
                        "      regex: replica|prometheus_replica\n",
                        "");
      const std::string alertmanager_targets =
          "\"127.0.0.1:" + std::to_string(alertmanagers[0]->port()) +
          "\", \"127.0.0.1:" + std::to_string(alertmanagers[1]->port()) + "\"";
      config = Replaced(config, "\"alertmanager-1:9093\", \"alertmanager-2:9093\"",
                        alertmanager_targets);
      config = Replaced(config, "\"alertmanager-1:9093\", \"alertmanager-2:9093\"",
                        alertmanager_targets);
      config =
          Replaced(config, "files: [targets/medic.yml]", "files: [" + dir.Join("medic.yml") + "]");
      config = Replaced(config, "files: [targets/review-bot.yml]",
                        "files: [" + dir.Join("review-bot.yml") + "]");
      replicas.push_back(std::make_unique<PrometheusServer>(
          config, std::map<std::string, std::string>{{"alert-rules.yml", rules}}));
    }
    for (const auto& prometheus : replicas) {
      REQUIRE_MESSAGE(WaitFor(
                          [&] {
                            const auto up = prometheus->Query("count(up{job=\"review-bot\"} == 1)");
                            return up.value("status", "") == "success" &&
                                   !up["data"]["result"].empty() &&
                                   up["data"]["result"][0]["value"][1] == "3";
                          },
                          60s),
                      prometheus->Log());
    }
  }

  Host& host(int index) { return hosts[static_cast<std::size_t>(index - 1)]; }

  bool Firing(const std::string& instance) {
    for (const auto& prometheus : replicas) {
      for (const auto& alert : prometheus->Alerts("ServiceDown")) {
        if (alert.value("state", "") == "firing" &&
            alert["labels"].value("instance", "") == instance) {
          return true;
        }
      }
    }
    return false;
  }

  // Waits until `host`'s medic has finished a job and returns its jobs.
  json WaitForHealed(Host& host) {
    json jobs;
    REQUIRE_MESSAGE(WaitFor(
                        [&] {
                          jobs = Jobs(host.medic_port);
                          return !jobs.empty() && Finished(jobs[0]);
                        },
                        90s),
                    host.medic->Log());
    return jobs;
  }

  std::string Logs() {
    std::string text;
    for (const Host& host : hosts) text += host.name + ":\n" + host.medic->Log() + "\n";
    return text;
  }
};

void CheckHealedOnce(const json& jobs, int restart_steps_expected = 1) {
  INFO(jobs.dump(2));
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0]["state"] == "succeeded");
  int restarts = 0;
  for (const auto& step : jobs[0]["steps"]) {
    if (step["kind"] == "restart" && step["state"] == "succeeded") ++restarts;
  }
  CHECK(restarts == restart_steps_expected);
}

}  // namespace

TEST_CASE("a fleet heals each host once: HA Prometheus and Alertmanager, one receiver") {
  Fleet fleet;

  // 1. host-2's bot stops: both replicas raise ServiceDown (replica=a and b), both
  //    Alertmanagers deliver them to all three medics; host-2's restarts its bot once.
  fleet.host(2).bot->Stop();
  REQUIRE(WaitFor([&] { return fleet.Firing("host-2"); }, 60s));
  const json healed_2 = fleet.WaitForHealed(fleet.host(2));
  CheckHealedOnce(healed_2);
  REQUIRE(WaitFor([&] { return fleet.host(2).BotHealthy(); }, 30s));
  // Both Alertmanagers delivered (the cluster's duplicates), to every medic.
  REQUIRE_MESSAGE(WaitFor(
                      [&] {
                        return fleet.alertmanagers[0]->Notifications("webhook") >= kHosts &&
                               fleet.alertmanagers[1]->Notifications("webhook") >= kHosts;
                      },
                      30s),
                  fleet.alertmanagers[1]->Log());
  // host-2 journaled both replicas' copies and folded them into the one incident.
  CHECK(Metric(fleet.host(2).medic_port, "medic_alerts_received_total",
               "alertname=\"ServiceDown\",status=\"firing\"") >= 2);
  for (int other : {1, 3}) {
    CAPTURE(other);
    CHECK(Jobs(fleet.host(other).medic_port).empty());
    CHECK(Metric(fleet.host(other).medic_port, "medic_alerts_ignored_total",
                 "reason=\"other_host\"") >= 2);
    CHECK(Metric(fleet.host(other).medic_port, "medic_alerts_received_total",
                 "alertname=\"ServiceDown\",status=\"firing\"") == 0);
  }
  REQUIRE(WaitFor([&] { return !fleet.Firing("host-2"); }, 60s));
  CheckHealedOnce(Jobs(fleet.host(2).medic_port));  // re-deliveries and resolves ran nothing

  // 2. One Alertmanager dies; host-3's bot stops: the survivor delivers, healed once.
  fleet.alertmanagers[0]->Kill();
  fleet.host(3).bot->Stop();
  REQUIRE(WaitFor([&] { return fleet.Firing("host-3"); }, 60s));
  CheckHealedOnce(fleet.WaitForHealed(fleet.host(3)));
  REQUIRE(WaitFor([&] { return fleet.host(3).BotHealthy(); }, 30s));
  REQUIRE(WaitFor([&] { return !fleet.Firing("host-3"); }, 60s));
  CheckHealedOnce(Jobs(fleet.host(3).medic_port));
  CHECK(Jobs(fleet.host(2).medic_port).size() == 1);
  CHECK(Jobs(fleet.host(1).medic_port).empty());

  // 3. host-1's bot stops serving (its container keeps running), and host-1's medic is killed
  //    while its restart waits for the bot to stop. The engine finishes that restart; the
  //    medic, started again, resumes the job once and does not restart the bot a second time.
  Host& host_1 = fleet.host(1);
  host_1.bot->Exec({"killall", "httpd"});
  REQUIRE(WaitFor([&] { return fleet.Firing("host-1"); }, 60s));
  REQUIRE_MESSAGE(WaitFor(
                      [&] {
                        const json jobs = Jobs(host_1.medic_port);
                        return !jobs.empty() && jobs[0]["state"] == "running" &&
                               !jobs[0]["steps"].empty() &&
                               jobs[0]["steps"][0]["kind"] == "restart" &&
                               jobs[0]["steps"][0]["state"] == "running";
                      },
                      90s),
                  host_1.medic->Log());
  REQUIRE(host_1.medic->process().Stop(SIGKILL, 10s));
  // The engine goes on with the restart it was asked for (4 s stop timeout, then start).
  const bool engine_finished = WaitFor([&] { return host_1.BotHealthy(); }, 15s);
  host_1.StartMedic();
  const json resumed = fleet.WaitForHealed(host_1);
  INFO(resumed.dump(2));
  INFO(host_1.medic->Log());
  REQUIRE(resumed.size() == 1);
  CHECK(resumed[0]["state"] == "succeeded");
  CHECK(resumed[0]["worker_runs"] == 2);
  const json& steps = resumed[0]["steps"];
  REQUIRE(steps.size() == 3);
  CHECK(steps[0]["state"] == "interrupted");
  CHECK(steps[1]["kind"] == "restart");
  CHECK(steps[1]["state"] == "succeeded");
  // One restart either way: the engine's, or (had it dropped the request with the connection)
  // the resumed step's.
  CHECK((steps[1]["output"].get<std::string>().find("not restarted again") != std::string::npos) ==
        engine_finished);
  CHECK(steps[2]["kind"] == "verify");
  CHECK(host_1.medic->Log().find("1 unfinished job(s) resumed") != std::string::npos);
  REQUIRE(WaitFor([&] { return !fleet.Firing("host-1"); }, 60s));
  CHECK(Jobs(host_1.medic_port).size() == 1);
  CHECK(Jobs(fleet.host(2).medic_port).size() == 1);
  CHECK(Jobs(fleet.host(3).medic_port).size() == 1);
  MESSAGE("human receiver got " << fleet.human.bodies().size() << " notifications");
}
