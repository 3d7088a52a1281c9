// ctest-labels: tsan
// End to end on a real engine: Alertmanager -> medic -> podman's Docker API. Uses a private
// podman engine because the prune step removes every stopped container of the engine it
// talks to, and the shared test engine serves other tests in parallel.
#include "support/alertmanager.h"
#include "support/podman_env.h"
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

std::string Inspect(const PrivatePodman& engine, const std::string& name,
                    const std::string& format) {
  auto result = Podman({"inspect", "-f", format, name}, 60s, engine.host());
  while (!result.output.empty() && result.output.back() == '\n') result.output.pop_back();
  return result.output;
}

json History(int port) {
  return json::parse(HttpGet(port, "/api/v1/remediations?limit=100").body)["remediations"];
}

// The incident's attempt `attempt` (1: the first run) of `remediation`.
json JobFor(int port, const std::string& remediation, int attempt = 1) {
  for (const auto& job : History(port)) {
    if (job["remediation"] == remediation && job.value("attempt", 1) == attempt) return job;
  }
  return nullptr;
}

bool Finished(const json& job) {
  return job.is_object() && job["state"] != "queued" && job["state"] != "running";
}

}  // namespace

TEST_CASE("ServiceDown restarts, HighMemoryUsage prunes and restarts, HighErrorRate bundles") {
  PrivatePodman engine;
  // `sh` with a TERM trap so restart does not wait for the full stop timeout.
  const std::vector<std::string> command{
      "sh", "-c", "trap 'exit 0' TERM; echo review-bot started; while true; do sleep 1; done"};
  TestContainer bot({.command = command, .host = engine.host()});
  TestContainer leftover({.command = {"true"}, .start = false, .host = engine.host()});

  TempDir data;
  NotificationReceiver receiver;
  data.Write("token", "am-t0ken\n");
  const std::string config =
      "data_dir: " + data.path() + "\n" + "docker: {host: \"" + engine.host() + "\"}\n" +
      "collectors: {filesystem: {mountpoints: [/]}}\n"
      "webhook:\n"
      "  bearer_token_file: " +
      data.Join("token") + "\n" + "targets: [" + bot.name() + "]\n" +
      "notifiers:\n"
      "  slack: {url: \"" +
      receiver.url() + "\"}\n" +
      "workers: 2\n"
      "remediations:\n"
      "  - name: service-down\n"
      "    match: {alertname: ServiceDown, severity: critical}\n"
      "    target_label: name\n"
      "    cooldown: 0s\n"
      "    steps:\n"
      "      - restart: {timeout: 2s}\n"
      "      - verify: {attempts: 20, interval: 500ms}\n"
      "      - escalate: recreate\n"
      "      - notify: slack\n"
      "  - name: high-error-rate\n"
      "    match: {alertname: HighErrorRate}\n"
      "    target_label: name\n"
      "    steps: [{diagnostics: {log_lines: 50, keep: 3}}, {notify: slack}]\n"
      "  - name: high-memory\n"
      "    match: {alertname: HighMemoryUsage}\n"
      "    target_label: name\n"
      "    cooldown: 0s\n"
      "    steps: [prune, {restart: {timeout: 2s}}, {notify: slack}]\n";
  MedicProcess medic(config);
  Alertmanager alertmanager(medic.port(), data.Join("token"));

  {  // ServiceDown
    bot.Stop();
    REQUIRE(Inspect(engine, bot.name(), "{{.State.Running}}") == "false");
    alertmanager.Fire(
        {{"alertname", "ServiceDown"}, {"severity", "critical"}, {"name", bot.name()}});
    REQUIRE(WaitFor([&] { return Finished(JobFor(medic.port(), "service-down")); }, 90s));
    const json job = JobFor(medic.port(), "service-down");
    CHECK(job["state"] == "succeeded");
    CHECK(Inspect(engine, bot.name(), "{{.State.Running}}") == "true");
    REQUIRE(job["steps"].size() == 4);
    CHECK(job["steps"][0]["kind"] == "restart");
    CHECK(job["steps"][0]["state"] == "succeeded");
    CHECK(job["steps"][1]["kind"] == "verify");
    CHECK(job["steps"][1]["state"] == "succeeded");
    CHECK(job["steps"][2]["state"] == "skipped");  // escalate only after a failure
    CHECK(job["steps"][3]["state"] == "succeeded");
    CHECK(receiver.Received("OK: service-down on " + bot.name()));
  }

  {  // HighMemoryUsage
    const std::string started_before = Inspect(engine, bot.name(), "{{.State.StartedAt}}");
    REQUIRE(!Inspect(engine, leftover.name(), "{{.Id}}").empty());
    alertmanager.Fire({{"alertname", "HighMemoryUsage"}, {"name", bot.name()}});
    REQUIRE(WaitFor([&] { return Finished(JobFor(medic.port(), "high-memory")); }, 90s));
    const json job = JobFor(medic.port(), "high-memory");
    CHECK(job["state"] == "succeeded");
    CHECK(job["steps"][0]["output"].get<std::string>().find("SpaceReclaimed") == 0);
    // Observed on the engine: the stopped container is gone, the target was restarted.
    CHECK(Podman({"inspect", leftover.name()}, 60s, engine.host()).exit_code != 0);
    CHECK(Inspect(engine, bot.name(), "{{.State.Running}}") == "true");
    CHECK(Inspect(engine, bot.name(), "{{.State.StartedAt}}") != started_before);
    CHECK(receiver.Received("OK: high-memory on " + bot.name()));
  }

  {  // HighErrorRate
    alertmanager.Fire({{"alertname", "HighErrorRate"}, {"name", bot.name()}});
    REQUIRE(WaitFor([&] { return Finished(JobFor(medic.port(), "high-error-rate")); }, 90s));
    CHECK(JobFor(medic.port(), "high-error-rate")["state"] == "succeeded");
    namespace fs = std::filesystem;
    std::vector<fs::path> bundles;
    std::vector<fs::path> archives;
    for (const auto& entry : fs::directory_iterator(data.Join("diagnostics"))) {
      (entry.is_directory() ? bundles : archives).push_back(entry.path());
    }
    REQUIRE(bundles.size() == 1);
    REQUIRE(archives.size() == 1);
    CHECK(archives[0].string() == bundles[0].string() + ".tar.gz");
    for (const char* file : {"inspect.json", "logs.txt", "stats.json", "system-df.json",
                             "filesystem.txt", "alert.json", "metrics.txt"}) {
      CAPTURE(file);
      CHECK(fs::file_size(bundles[0] / file) > 0);
      CHECK(ReadFile((bundles[0] / file).string()).rfind("error:", 0) != 0);
    }
    CHECK(ReadFile((bundles[0] / "logs.txt").string()).find("review-bot started") !=
          std::string::npos);
    CHECK(ReadFile((bundles[0] / "metrics.txt").string()).find("medic_webhook_requests_total") !=
          std::string::npos);
    CHECK(ReadFile((bundles[0] / "alert.json").string()).find("HighErrorRate") !=
          std::string::npos);
    const auto listing = RunCommand({"/bin/tar", "-tzf", archives[0].string()});
    CHECK(listing.exit_code == 0);
    CHECK(listing.output.find("/inspect.json") != std::string::npos);
    CHECK(receiver.Received(archives[0].string()));
  }
}

TEST_CASE(
    "engine killed during a restart step: the step fails clearly, the job fails, medic serves") {
  PrivatePodman engine;
  // Ignores SIGTERM, so the restart waits its whole stop timeout: the window to kill the engine.
  TestContainer bot({.command = {"sh", "-c", "trap '' TERM; while true; do sleep 1; done"},
                     .host = engine.host()});
  TempDir data;
  data.Write("token", "am-t0ken\n");
  MedicProcess medic(
      "data_dir: " + data.path() + "\ndocker: {host: \"" + engine.host() + "\"}\n" +
      "collectors: {filesystem: {mountpoints: [/]}}\n"
      "webhook: {bearer_token_file: " +
      data.Join("token") + "}\n" + "targets: [" + bot.name() +
      "]\n"
      "remediations:\n"
      "  - name: service-down\n"
      "    match: {alertname: ServiceDown}\n"
      "    target_label: name\n"
      "    silent: true\n"
      "    steps: [{restart: {timeout: 20s}}, {verify: {attempts: 2, interval: 200ms}},"
      " escalate: recreate]\n");
  Alertmanager alertmanager(medic.port(), data.Join("token"));
  alertmanager.Fire({{"alertname", "ServiceDown"}, {"name", bot.name()}});
  REQUIRE(WaitFor(
      [&] {
        const json job = JobFor(medic.port(), "service-down");
        return job.is_object() && job["steps"].size() == 1 && job["steps"][0]["state"] == "running";
      },
      60s));
  std::this_thread::sleep_for(1s);  // the engine is now inside its 20 s stop wait
  engine.Kill();

  REQUIRE(WaitFor([&] { return Finished(JobFor(medic.port(), "service-down")); }, 60s));
  const json job = JobFor(medic.port(), "service-down");
  INFO(job.dump(2));
  CHECK(job["state"] == "failed");
  REQUIRE(job["steps"].size() == 3);
  CHECK(job["steps"][0]["state"] == "failed");
  const std::string error = job["steps"][0]["output"];
  CHECK(error.rfind("error: ", 0) == 0);
  CHECK(error.find(bot.name()) != std::string::npos);
  CHECK(job["steps"][1]["state"] == "skipped");
  CHECK(job["steps"][2]["kind"] == "escalate");
  CHECK(job["steps"][2]["state"] == "failed");  // the engine is still down
  // medic itself keeps serving, and says the engine is unreachable.
  const auto scrape = HttpGet(medic.port(), "/metrics");
  CHECK(scrape.status == 200);
  CHECK(FindSample(scrape.body, "medic_remediations_total",
                   R"(remediation="service-down",result="failed")") == 1);
  CHECK(HttpGet(medic.port(), "/-/healthy").status == 200);
  // The failed run did not consume the incident: its next attempt waits for retry_backoff.
  const json retry = JobFor(medic.port(), "service-down", 2);
  REQUIRE(retry.is_object());
  CHECK(retry["state"] == "queued");
  CHECK(retry["not_before"].get<double>() > 0);
  CHECK(job["detail"].get<std::string>().find("medic tries again at") != std::string::npos);
}

TEST_CASE("an engine medic cannot reach: the incident waits, told once, healed when it is back") {
  PrivatePodman engine;
  const std::vector<std::string> command{
      "sh", "-c", "trap 'exit 0' TERM; echo review-bot started; while true; do sleep 1; done"};
  TestContainer bot({.command = command, .host = engine.host()});
  TempDir data;
  NotificationReceiver receiver;
  data.Write("token", "am-t0ken\n");
  // medic reaches the engine through a link: removing it cuts medic off as a moved or
  // deleted socket would, while the engine (and connections already open) keep working.
  const std::string link = data.Join("engine.sock");
  REQUIRE(std::filesystem::exists(engine.socket()));
  std::filesystem::create_symlink(engine.socket(), link);
  MedicProcess medic(
      "data_dir: " + data.path() + "\ndocker: {host: \"unix://" + link + "\"}\n" +
      "collectors: {container: {refresh_interval: 1s}}\n"
      "webhook: {bearer_token_file: " +
      data.Join("token") + "}\n" + "targets: [" + bot.name() + "]\n" +
      "notifiers:\n  slack: {url: \"" + receiver.url() + "\"}\n" +
      "remediations:\n"
      "  - name: service-down\n"
      "    match: {alertname: ServiceDown}\n"
      "    target_label: name\n"
      "    retry_backoff: 1s\n"
      "    steps: [{restart: {timeout: 2s}}, {verify: {attempts: 20, interval: 500ms}},"
      " {notify: slack}]\n");
  const auto docker_up = [&] {
    return FindSample(HttpGet(medic.port(), "/metrics").body, "medic_docker_up", "");
  };
  REQUIRE(WaitFor([&] { return docker_up() == 1.0; }, 30s));

  std::filesystem::remove(link);
  // The scrape's ping opens a new connection: the engine is unreachable for medic now, even
  // though the collector's kept-alive connection would still work.
  CHECK(docker_up() == 0.0);
  REQUIRE(Podman({"stop", "-t", "1", bot.name()}, 60s, engine.host()).exit_code == 0);
  Alertmanager alertmanager(medic.port(), data.Join("token"));
  alertmanager.Fire({{"alertname", "ServiceDown"}, {"name", bot.name()}});
  const auto heard = [&](const std::string& text) {
    int count = 0;
    for (const auto& body : receiver.bodies()) count += body.find(text) != std::string::npos;
    return count;
  };
  REQUIRE_MESSAGE(WaitFor([&] { return heard("WAITING for the Docker engine") == 1; }, 60s),
                  medic.Log());
  json job = JobFor(medic.port(), "service-down");
  INFO(job.dump(2));
  CHECK(job["state"] == "queued");
  CHECK(job["result"] == "failed");
  CHECK(job["steps"].empty());  // nothing was tried on the target
  CHECK(job["detail"].get<std::string>().find("cannot reach the Docker engine") !=
        std::string::npos);
  const auto scrape = HttpGet(medic.port(), "/metrics").body;
  CHECK(FindSample(scrape, "medic_remediation_unhealed",
                   "remediation=\"service-down\",target=\"" + bot.name() + "\"") == 1.0);
  // Several engine checks later, and with the alert re-sent: still one message, one job.
  std::this_thread::sleep_for(3s);
  alertmanager.Fire({{"alertname", "ServiceDown"}, {"name", bot.name()}});
  std::this_thread::sleep_for(2s);
  CHECK(heard("WAITING for the Docker engine") == 1);
  CHECK(History(medic.port()).size() == 1);
  CHECK(FindSample(HttpGet(medic.port(), "/metrics").body, "medic_remediations_total",
                   R"(remediation="service-down",result="failed")") == 1);

  // The engine is back: the same incident runs, as its first attempt, and heals.
  std::filesystem::create_symlink(engine.socket(), link);
  REQUIRE(WaitFor([&] { return Finished(JobFor(medic.port(), "service-down")); }, 60s));
  job = JobFor(medic.port(), "service-down");
  CHECK(job["state"] == "succeeded");
  CHECK(job["attempt"] == 1);
  CHECK(Inspect(engine, bot.name(), "{{.State.Running}}") == "true");
  REQUIRE(WaitFor([&] { return heard("OK: service-down on " + bot.name()) == 1; }, 30s));
  CHECK(heard("FAILED") == 0);
  const auto after = HttpGet(medic.port(), "/metrics").body;
  CHECK(FindSample(after, "medic_remediation_unhealed",
                   "remediation=\"service-down\",target=\"" + bot.name() + "\"") == 0.0);
  CHECK(WaitFor([&] { return docker_up() == 1.0; }, 10s));
}
