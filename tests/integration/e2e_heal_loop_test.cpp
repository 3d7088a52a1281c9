// ctest-labels: e2e
// The whole loop with real components on loopback: Prometheus (the shipped rules, `for:`
// shortened) → Alertmanager → medic's webhook → podman engine → a healed review-bot container.
// Each hop is asserted within a bound and its time printed.
#include "support/alertmanager.h"
#include "support/podman_env.h"
#include "support/prometheus_server.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <regex>
#include <set>
#include <sstream>

using namespace medic::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The shipped rules with every `for:` shortened to 2s: same expressions, same labels.
std::string ShortenedRules() {
  const std::string rules = ReadFile(std::string(MEDIC_SOURCE_DIR) + "/monitoring/alert-rules.yml");
  REQUIRE(!rules.empty());
  return std::regex_replace(rules, std::regex(R"(for: [0-9a-z]+)"), "for: 2s");
}

// busybox httpd on 127.0.0.1:port serving /health and a static /metrics; exits on SIGTERM.
std::vector<std::string> BotCommand(int port) {
  return {"sh", "-c",
          "mkdir -p /www && echo ok > /www/health && "
          "printf '# TYPE http_requests_total counter\\nhttp_requests_total{status=\"200\"} 1\\n' "
          "> /www/metrics && trap 'exit 0' TERM && httpd -f -p 127.0.0.1:" +
              std::to_string(port) + " -h /www & wait"};
}

bool BotHealthy(int port) { return HttpGet(port, "/health").status == 200; }

json Jobs(int medic_port, const std::string& remediation) {
  json matching = json::array();
  const auto body =
      json::parse(HttpGet(medic_port, "/api/v1/remediations?limit=100").body, nullptr, false);
  if (body.is_discarded() || !body.contains("remediations")) return matching;
  for (const auto& job : body["remediations"]) {
    if (job.value("remediation", "") == remediation) matching.push_back(job);
  }
  return matching;
}

std::string ContainerState(const std::string& name) {
  const auto result =
      Podman({"inspect", "--format", "{{.State.Status}} {{.State.StartedAt}}", name});
  return result.exit_code == 0 ? result.output : "";
}

// One stack for the whole file: bot container, medic, Alertmanager, Prometheus.
struct Stack {
  TempDir dir;
  NotificationReceiver receiver;
  int bot_port = FreePort();
  std::unique_ptr<TestContainer> bot;
  std::unique_ptr<MedicProcess> medic;
  std::unique_ptr<Alertmanager> alertmanager;
  std::unique_ptr<PrometheusServer> prometheus;

  Stack() {
    dir.Write("token", "e2e-webhook-token\n");
    Podman({"rm", "-f", "-t", "0", "review-bot"});  // a leftover of ours from an aborted run
    bot = std::make_unique<TestContainer>(ContainerOptions{
        .name = "review-bot", .command = BotCommand(bot_port), .network = "host", .memory = "64m"});
    REQUIRE(WaitFor([&] { return BotHealthy(bot_port); }, 30s));

    const std::string health = "http://127.0.0.1:" + std::to_string(bot_port) + "/health";
    medic = std::make_unique<MedicProcess>(
        "data_dir: " + dir.path() + "\n" + "docker: {host: \"" + DockerHost() +
        "\", timeout: 5s}\n" +
        "collectors:\n"
        "  timeout: 8s\n"
        "  container: {names: [review-bot]}\n"
        "webhook:\n"
        "  bearer_token_file: " +
        dir.Join("token") + "\n" +
        "targets: [review-bot]\n"
        "notifiers:\n"
        "  slack: {url: \"" +
        receiver.url() + "\"}\n" +
        "remediations:\n"
        "  - name: service-down\n"
        "    match: {alertname: ServiceDown, severity: critical}\n"
        "    target: review-bot\n"
        "    max_per_hour: 10\n"
        "    steps:\n"
        "      - restart: {timeout: 1s}\n"
        "      - verify: {url: \"" +
        health +
        "\", attempts: 40, interval: 500ms}\n"
        "      - escalate: recreate\n"
        "      - notify: slack\n"
        "  - name: high-memory\n"
        "    match: {alertname: HighMemoryUsage}\n"
        "    target: review-bot\n"
        "    max_per_hour: 10\n"
        "    steps: [prune, {restart: {timeout: 1s}}, {notify: slack}]\n");
    alertmanager = std::make_unique<Alertmanager>(
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
        std::to_string(medic->port()) + "/webhook\n" +
        "        send_resolved: true\n"
        "        http_config:\n"
        "          authorization:\n"
        "            credentials_file: " +
        dir.Join("token") + "\n");
    prometheus = std::make_unique<PrometheusServer>(
        "global: {scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 1s}\n"
        "rule_files: [alert-rules.yml]\n"
        "alerting:\n"
        "  alertmanagers:\n"
        "    - static_configs: [{targets: ['127.0.0.1:" +
            std::to_string(alertmanager->port()) +
            "']}]\n"
            "scrape_configs:\n"
            "  - job_name: medic\n"
            "    scrape_timeout: 900ms\n"
            "    static_configs: [{targets: ['127.0.0.1:" +
            std::to_string(medic->port()) + "']}]\n" +
            "  - job_name: review-bot\n"
            "    static_configs: [{targets: ['127.0.0.1:" +
            std::to_string(bot_port) + "']}]\n",
        std::map<std::string, std::string>{{"alert-rules.yml", ShortenedRules()}});
    REQUIRE_MESSAGE(WaitFor(
                        [&] {
                          const auto up = prometheus->Query("up{job=\"review-bot\"} == 1");
                          return up.value("status", "") == "success" &&
                                 !up["data"]["result"].empty();
                        },
                        60s),
                    prometheus->Log());
  }
};

Stack& SharedStack() {
  static Stack stack;
  return stack;
}

}  // namespace

TEST_CASE("ServiceDown: the stopped bot is restarted, verified healthy, notified and resolved") {
  Stack& stack = SharedStack();
  const std::string before = ContainerState("review-bot");
  const auto start = Clock::now();
  stack.bot->Stop();
  REQUIRE(WaitFor([&] { return !BotHealthy(stack.bot_port); }, 10s));

  REQUIRE_MESSAGE(WaitFor(
                      [&] {
                        for (const auto& alert : stack.prometheus->Alerts("ServiceDown")) {
                          if (alert.value("state", "") == "firing") return true;
                        }
                        return false;
                      },
                      90s),
                  "Prometheus never fired ServiceDown");
  const double firing = SecondsSince(start);

  REQUIRE_MESSAGE(WaitFor([&] { return !stack.alertmanager->Alerts("ServiceDown").empty(); }, 30s),
                  stack.alertmanager->Log());
  const double in_alertmanager = SecondsSince(start);

  json job;
  REQUIRE_MESSAGE(WaitFor(
                      [&] {
                        const auto jobs = Jobs(stack.medic->port(), "service-down");
                        if (jobs.empty()) return false;
                        job = jobs.front();
                        return job.value("state", "") != "queued" &&
                               job.value("state", "") != "running";
                      },
                      90s),
                  stack.medic->Log());
  const double journaled = SecondsSince(start);
  INFO(job.dump(2));
  CHECK(job["result"] == "success");
  CHECK(job["target"] == "review-bot");
  std::vector<std::string> kinds;
  for (const auto& step : job["steps"]) kinds.push_back(step.value("kind", ""));
  CHECK(std::find(kinds.begin(), kinds.end(), "restart") != kinds.end());
  CHECK(std::find(kinds.begin(), kinds.end(), "verify") != kinds.end());

  REQUIRE(WaitFor([&] { return BotHealthy(stack.bot_port); }, 30s));
  const std::string after = ContainerState("review-bot");
  CHECK(after.rfind("running", 0) == 0);
  CHECK(after != before);
  const double healthy = SecondsSince(start);

  CHECK(WaitFor([&] { return !stack.receiver.bodies().empty(); }, 30s));

  REQUIRE_MESSAGE(WaitFor([&] { return stack.prometheus->Alerts("ServiceDown").empty(); }, 90s),
                  "ServiceDown never resolved");
  const double resolved = SecondsSince(start);
  MESSAGE("ServiceDown hops (s from stop): Prometheus firing "
          << firing << ", Alertmanager " << in_alertmanager << ", medic job done " << journaled
          << ", bot healthy " << healthy << ", alert resolved " << resolved);
  // Exactly one job, whatever Alertmanager repeated.
  CHECK(Jobs(stack.medic->port(), "service-down").size() == 1);
}

TEST_CASE("HighMemoryUsage: /dev/shm filled past 90% of 64m -> prune + restart -> memory down") {
  Stack& stack = SharedStack();
  REQUIRE(WaitFor([&] { return BotHealthy(stack.bot_port); }, 30s));
  const auto start = Clock::now();
  stack.bot->Exec({"sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=59 2>/dev/null"});
  const std::string ratio =
      "container_memory_usage_bytes{name=\"review-bot\"} / "
      "container_spec_memory_limit_bytes{name=\"review-bot\"}";
  REQUIRE_MESSAGE(WaitFor(
                      [&] {
                        for (const auto& alert : stack.prometheus->Alerts("HighMemoryUsage")) {
                          if (alert.value("state", "") == "firing") return true;
                        }
                        return false;
                      },
                      90s),
                  stack.prometheus->Query(ratio).dump());
  const double firing = SecondsSince(start);

  json job;
  REQUIRE_MESSAGE(WaitFor(
                      [&] {
                        const auto jobs = Jobs(stack.medic->port(), "high-memory");
                        if (jobs.empty()) return false;
                        job = jobs.front();
                        return job.value("state", "") != "queued" &&
                               job.value("state", "") != "running";
                      },
                      90s),
                  stack.medic->Log());
  const double journaled = SecondsSince(start);
  INFO(job.dump(2));
  CHECK(job["result"] == "success");
  REQUIRE(job["steps"].size() >= 2);
  CHECK(job["steps"][0]["kind"] == "prune");
  CHECK(job["steps"][1]["kind"] == "restart");

  REQUIRE(WaitFor([&] { return BotHealthy(stack.bot_port); }, 30s));
  bool memory_down = WaitFor(
      [&] {
        const auto answer = stack.prometheus->Query(ratio + " < 0.5");
        return answer.value("status", "") == "success" && !answer["data"]["result"].empty();
      },
      60s);
  CHECK_MESSAGE(memory_down, stack.prometheus->Query(ratio).dump());
  MESSAGE("HighMemoryUsage hops (s from fill): Prometheus firing "
          << firing << ", medic job done " << journaled << ", memory below half "
          << SecondsSince(start));
}

TEST_CASE("every Grafana panel expression parses, and those over present metrics return data") {
  Stack& stack = SharedStack();
  const auto exprs =
      RunCommand({"bash", std::string(MEDIC_SOURCE_DIR) + "/monitoring/grafana/exprs.sh"});
  REQUIRE(exprs.exit_code == 0);
  const auto names_answer = HttpGet(stack.prometheus->port(), "/api/v1/label/__name__/values");
  const auto names_json = json::parse(names_answer.body, nullptr, false);
  REQUIRE(!names_json.is_discarded());
  const std::set<std::string> present(names_json["data"].begin(), names_json["data"].end());

  std::istringstream lines(exprs.output);
  std::string expr;
  int parsed = 0;
  int with_data = 0;
  std::vector<std::string> empty_over_present;
  const std::regex identifier(R"([a-zA-Z_:][a-zA-Z0-9_:]*)");
  while (std::getline(lines, expr)) {
    if (expr.empty()) continue;
    const auto answer = stack.prometheus->Query(expr);
    INFO(expr << " -> " << answer.dump());
    CHECK(answer.value("status", "") == "success");
    ++parsed;
    // An expression "over present metrics" references only metrics Prometheus has data for.
    bool references_metric = false;
    bool all_present = true;
    for (std::sregex_iterator it(expr.begin(), expr.end(), identifier), end; it != end; ++it) {
      const std::string name = it->str();
      const bool looks_like_metric =
          name.rfind("container_", 0) == 0 || name.rfind("medic_", 0) == 0 ||
          name.rfind("process_", 0) == 0 || name == "up" || name.rfind("http_", 0) == 0;
      if (!looks_like_metric) continue;
      references_metric = true;
      if (present.count(name) == 0) all_present = false;
    }
    if (answer.value("status", "") == "success" && !answer["data"]["result"].empty()) ++with_data;
    if (references_metric && all_present && answer["data"]["result"].empty()) {
      empty_over_present.push_back(expr);
    }
  }
  CHECK(parsed > 20);
  std::string listing;
  for (const auto& item : empty_over_present) listing += "  " + item + "\n";
  MESSAGE(parsed << " dashboard expressions parsed, " << with_data << " returned data; empty "
                 << "although every metric is present:\n"
                 << listing);
  // Filters on label values this stack never produces (e.g. a rule that did not match) may
  // legitimately be empty; more than a third empty means the dashboard and medic disagree.
  CHECK(empty_over_present.size() * 3 < static_cast<std::size_t>(parsed));
}
