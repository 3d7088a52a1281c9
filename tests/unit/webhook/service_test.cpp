// ctest-labels: tsan
// The webhook handler and remediation engine together, with real processes for exec steps and
// a real HTTP receiver for notify steps (no container engine needed here).
#include "medic/webhook/service.h"

#include "medic/remediation/sqlite.h"

#include "support/alertmanager.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <httplib.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

using namespace medic;
using namespace std::chrono_literals;
using medic::test::TempDir;
using medic::test::WaitFor;
using nlohmann::json;

namespace {

json AlertJson(const std::string& fingerprint, const std::string& status = "firing",
               const std::string& starts_at = "2026-11-29T03:00:00Z",
               json labels = {{"alertname", "ServiceDown"}, {"severity", "critical"}}) {
  return {{"status", status},
          {"labels", labels},
          {"annotations", json::object()},
          {"startsAt", starts_at},
          {"endsAt", "0001-01-01T00:00:00Z"},
          {"generatorURL", ""},
          {"fingerprint", fingerprint}};
}

std::string Payload(std::vector<json> alerts) {
  json payload = {{"version", "4"},
                  {"groupKey", "g"},
                  {"truncatedAlerts", 0},
                  {"status", alerts.front()["status"]},
                  {"receiver", "medic"},
                  {"groupLabels", json::object()},
                  {"commonLabels", json::object()},
                  {"commonAnnotations", json::object()},
                  {"externalURL", "http://127.0.0.1:9093"},
                  {"alerts", alerts}};
  return payload.dump();
}

struct Fixture {
  TempDir dir;
  test::NotificationReceiver receiver;
  Config config;
  std::unique_ptr<webhook::WebhookService> service;

  explicit Fixture(std::function<void(Config&)> adjust = {}) {
    config.data_dir = dir.path();
    config.journal.path = dir.Join("journal.db");
    config.webhook = WebhookSettings{};
    config.webhook->bearer_token = "s3cret";
    config.targets = {"review-bot"};
    config.notifiers["slack"] = NotifierSettings{"slack", receiver.url(), 5s, 3};
    RemediationSettings rule;
    rule.name = "service-down";
    rule.match = {{"alertname", LabelMatcher::Kind::kEqual, "ServiceDown"}};
    rule.target = "review-bot";
    rule.cooldown = 0ms;
    rule.max_per_hour = 100;
    StepSettings exec;
    exec.kind = StepSettings::Kind::kExec;
    exec.argv = {"/bin/sh", "-c", "echo \"$MEDIC_ALERT_FINGERPRINT\" >> " + dir.Join("runs.txt")};
    exec.timeout = 10s;
    StepSettings notify;
    notify.kind = StepSettings::Kind::kNotify;
    notify.notifier = "slack";
    rule.steps = {exec, notify};
    config.remediations = {rule};
    if (adjust) adjust(config);
    webhook::WebhookService::Options options;
    options.notify_base_delay = 10ms;
    service = std::make_unique<webhook::WebhookService>(config, std::move(options));
    service->Start();
  }

  net::Response Post(const std::string& body, const std::string& authorization = "Bearer s3cret",
                     const std::string& content_type = "application/json") {
    net::Request request;
    request.method = "POST";
    request.path = "/webhook";
    request.remote_addr = "127.0.0.1";
    request.remote_port = 40000;
    request.body = body;
    if (!authorization.empty()) request.headers.emplace("Authorization", authorization);
    if (!content_type.empty()) request.headers.emplace("Content-Type", content_type);
    net::Response response;
    service->HandleWebhook(request, response);
    return response;
  }

  std::vector<std::string> Runs() {
    std::vector<std::string> lines;
    std::istringstream in(test::ReadFile(dir.Join("runs.txt")));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  double Count(const std::string& result, const std::string& remediation = "service-down") {
    return service->metrics()->RemediationCount(remediation, result);
  }

  std::string Exposition() {
    return prometheus::TextSerializer().Serialize(service->metrics()->Collect());
  }

  // Nothing due and nothing running: every worker waits (jobs postponed by a cooldown or an
  // open circuit stay queued until their time).
  bool Idle() {
    return service->engine().IdleWorkers() == config.workers &&
           service->journal().History(1000, 0).dump().find("\"running\"") == std::string::npos;
  }
};

}  // namespace

TEST_CASE("status codes: 401, 415, 413, 400 naming the field, 200") {
  Fixture f;
  CHECK(f.Post(Payload({AlertJson("a")}), "").status == 401);
  CHECK(f.Post(Payload({AlertJson("a")}), "Bearer wrong").status == 401);
  CHECK(f.Post(Payload({AlertJson("a")}), "Bearer s3cret", "text/plain").status == 415);
  CHECK(f.Post(Payload({AlertJson("a")}), "Bearer s3cret", "").status == 415);
  CHECK(f.Post(std::string(2 << 20, ' ')).status == 413);
  auto bad = f.Post("{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":1}]}");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("alerts[0].status") != std::string::npos);
  CHECK(f.Post("{").status == 400);
  CHECK(f.Post(std::string(100000, '[')).status == 400);
  CHECK(f.Post("{\"version\":\"4\",\"truncatedAlerts\":1e400}").status == 400);
  CHECK(f.Post(Payload({AlertJson("a")}), "Bearer s3cret", "application/json; charset=utf-8")
            .status == 200);
  CHECK(f.service->metrics()->RequestCount(401) == 2);
  CHECK(f.service->metrics()->RequestCount(415) == 2);
  CHECK(f.service->metrics()->RequestCount(413) == 1);
  CHECK(f.service->metrics()->RequestCount(400) == 4);
  CHECK(f.service->metrics()->RequestCount(200) == 1);
  REQUIRE(WaitFor([&] { return f.Count("success") == 1; }, 30s));
}

TEST_CASE("no credential configured: every request is refused") {
  Fixture f([](Config& config) { config.webhook->bearer_token.clear(); });
  CHECK(f.Post(Payload({AlertJson("a")}), "").status == 401);
  CHECK(f.Post(Payload({AlertJson("a")}), "Bearer ").status == 401);
  CHECK(f.Post(Payload({AlertJson("a")}), "Bearer s3cret").status == 401);
}

TEST_CASE("every counter is exported at 0 from start-up") {
  Fixture f;
  const std::string text = f.Exposition();
  for (const auto& result : remediation::RemediationMetrics::Results()) {
    CHECK(test::FindSample(text, "medic_remediations_total",
                           "remediation=\"service-down\",result=\"" + result + "\"") == 0.0);
  }
  for (int code : remediation::RemediationMetrics::ResponseCodes()) {
    CHECK(test::FindSample(text, "medic_webhook_requests_total",
                           "code=\"" + std::to_string(code) + "\"") == 0.0);
  }
  CHECK(test::FindSample(text, "medic_alerts_received_total",
                         "alertname=\"ServiceDown\",status=\"firing\"") == 0.0);
  CHECK(test::FindSample(text, "medic_remediation_queue_depth") == 0.0);
  CHECK(test::FindSample(text, "medic_remediation_circuit_open",
                         "remediation=\"service-down\",target=\"review-bot\"") == 0.0);
  CHECK(test::FindSample(text, "medic_journal_write_errors_total") == 0.0);
  CHECK(test::FindSample(text, "medic_journal_commits_total") >= 0.0);
  CHECK(test::FindSample(text, "medic_journal_writes_total") >= 0.0);
  CHECK(test::FindSample(text, "medic_webhook_truncated_alerts_total") == 0.0);
  CHECK(test::FindSample(text, "medic_remediation_duration_seconds_count",
                         "remediation=\"service-down\"") == 0.0);
}

TEST_CASE("concurrent posters share commits: all accepted, each journaled once, fewer fsyncs") {
  Fixture f([](Config& config) { config.remediations.clear(); });  // ingestion only
  const auto metric = [&f](const std::string& name) {
    return test::FindSample(f.Exposition(), name).value_or(-1);
  };
  const double commits_before = metric("medic_journal_commits_total");
  const double writes_before = metric("medic_journal_writes_total");
  // Another connection holds the write lock, so the first batch's commit stays in flight
  // while every other poster arrives: they must all join the next batch, not queue one
  // commit each.
  remediation::SqliteDatabase holder(f.config.journal.path);
  // The journal's own threads (start-up, checkpoints) may hold the lock for a moment; wait.
  sqlite3_busy_timeout(holder.handle(), 10000);
  holder.Execute("BEGIN IMMEDIATE");
  constexpr int kPosters = 24;
  std::vector<std::atomic<int>> codes(kPosters);
  std::vector<std::thread> posters;
  for (int i = 0; i < kPosters; ++i) {
    posters.emplace_back([&f, &codes, i] {
      codes[i] = f.Post(Payload({AlertJson("batch-" + std::to_string(i))})).status;
    });
  }
  // Every poster has reached the group commit and waits for its write to be durable.
  REQUIRE(WaitFor([&] { return f.service->journal().WaitingWrites() >= kPosters; }, 30s));
  for (const auto& code : codes) CHECK(code == 0);  // nothing answered before it was durable
  holder.Execute("COMMIT");
  for (auto& poster : posters) poster.join();

  for (const auto& code : codes) CHECK(code == 200);
  remediation::SqliteDatabase reader(f.config.journal.path);
  auto rows = reader.Prepare(
      "SELECT COUNT(*), COUNT(DISTINCT fingerprint) FROM alerts WHERE fingerprint LIKE 'batch-%'");
  REQUIRE(rows.Step());
  CHECK(rows.Int(0) == kPosters);
  CHECK(rows.Int(1) == kPosters);
  const double commits = metric("medic_journal_commits_total") - commits_before;
  const double writes = metric("medic_journal_writes_total") - writes_before;
  INFO("commits: " << commits << ", writes: " << writes);
  CHECK(writes >= kPosters);
  CHECK(commits >= 1);
  CHECK(commits < kPosters / 2);
}

TEST_CASE("the same notification five times runs one job, and notify reaches the receiver") {
  Fixture f;
  for (int i = 0; i < 5; ++i) CHECK(f.Post(Payload({AlertJson("fp-1")})).status == 200);
  REQUIRE(WaitFor([&] { return f.Count("success") == 1 && f.Idle(); }, 30s));
  CHECK(f.Runs() == std::vector<std::string>{"fp-1"});
  CHECK(f.Count("skipped_duplicate") == 4);
  // One report of the run; a repeat that arrived while it ran adds one "already running" note
  // (once per incident), never one per repeat.
  std::vector<std::string> reports;
  int already_running = 0;
  for (const auto& body : f.receiver.bodies()) {
    if (body.find("ALREADY RUNNING") != std::string::npos) {
      ++already_running;
    } else {
      reports.push_back(body);
    }
  }
  CHECK(already_running <= 1);
  REQUIRE(reports.size() == 1);
  const json message = json::parse(reports[0]);
  CHECK(message["text"].get<std::string>().find("service-down on review-bot") != std::string::npos);
  CHECK(message["attachments"][0]["fields"].dump().find("exec: succeeded") != std::string::npos);
  const auto history = f.service->journal().History(10, 0);
  REQUIRE(history.size() == 1);
  CHECK(history[0]["steps"].size() == 2);
  CHECK(history[0]["steps"][0]["output"].get<std::string>().find("exit 0") == 0);
  const std::string text = f.Exposition();
  CHECK(test::FindSample(text, "medic_alerts_received_total",
                         "alertname=\"ServiceDown\",status=\"firing\"") == 5.0);
  CHECK(test::FindSample(text, "medic_remediation_duration_seconds_count",
                         "remediation=\"service-down\"") == 1.0);
  // The run's own report counts among the messages medic sent a person.
  CHECK(test::FindSample(text, "medic_remediation_notices_total",
                         "kind=\"report\",outcome=\"delivered\"") == 1.0);
  CHECK(test::FindSample(text, "medic_remediation_notices_total",
                         "kind=\"report\",outcome=\"failed\"") == 0.0);
}

TEST_CASE("cooldown skips a new firing of the same remediation and target") {
  Fixture f([](Config& config) { config.remediations[0].cooldown = 1h; });
  CHECK(f.Post(Payload({AlertJson("fp", "firing", "2026-11-29T03:00:00Z")})).status == 200);
  REQUIRE(WaitFor([&] { return f.Count("success") == 1; }, 30s));
  CHECK(f.Post(Payload({AlertJson("fp", "firing", "2026-11-29T03:30:00Z")})).status == 200);
  REQUIRE(WaitFor([&] { return f.Count("skipped_cooldown") == 1; }, 30s));
  CHECK(f.Runs().size() == 1);
}

TEST_CASE("idle workers wake for each new job at once: they no longer poll the journal") {
  Fixture f;
  for (int i = 0; i < 3; ++i) {
    // Both workers are back in their idle wait (30 s before a recheck): only a wake-up can
    // make the job start within the bound below.
    REQUIRE(WaitFor([&] { return f.service->engine().IdleWorkers() == f.config.workers; }, 20s));
    const auto posted = std::chrono::steady_clock::now();
    CHECK(f.Post(Payload({AlertJson("idle-" + std::to_string(i))})).status == 200);
    REQUIRE(WaitFor([&] { return f.Count("success") == i + 1; }, 20s));
    CHECK(std::chrono::steady_clock::now() - posted < 5s);
  }
}

TEST_CASE("circuit breaker: max_per_hour, then one giving-up notification") {
  Fixture f([](Config& config) { config.remediations[0].max_per_hour = 2; });
  for (int i = 0; i < 4; ++i) {
    CHECK(f.Post(Payload({AlertJson("fp" + std::to_string(i))})).status == 200);
    // The journal shows a skipped job a moment before its counter moves: wait for both.
    REQUIRE(WaitFor(
        [&] { return f.Idle() && f.Count("success") + f.Count("skipped_circuit") == i + 1; }, 30s));
  }
  CHECK(f.Count("success") == 2);
  CHECK(f.Count("skipped_circuit") == 2);
  CHECK(f.Runs().size() == 2);
  CHECK(test::FindSample(f.Exposition(), "medic_remediation_circuit_open",
                         "remediation=\"service-down\",target=\"review-bot\"") == 1.0);
  const auto count_bodies = [&](const std::string& text) {
    int count = 0;
    for (const auto& body : f.receiver.bodies()) count += body.find(text) != std::string::npos;
    return count;
  };
  // Once per opening "giving up", and each skipped incident told once, with what to do.
  REQUIRE(WaitFor([&] { return count_bodies("NOT RUN (auto-healing is off") == 2; }, 30s));
  CHECK(count_bodies("giving up on review-bot") == 1);
  CHECK(count_bodies("/api/v1/circuits/reset?target=review-bot") >= 2);

  // The skipped incidents wait for the circuit: a re-sent alert is a duplicate, not a third
  // skip and not a third message.
  CHECK(f.service->journal().QueuedJobs() == 2);
  CHECK(f.Post(Payload({AlertJson("fp2")})).status == 200);
  CHECK(f.Count("skipped_duplicate") == 1);
  CHECK(f.Count("skipped_circuit") == 2);
  CHECK(f.Runs().size() == 2);

  // The documented way back: reset the circuit. It closes with a fresh budget, both waiting
  // incidents run now, it stays closed (the hour's earlier runs no longer count) and nobody
  // hears "giving up" again.
  net::Request reset;
  reset.method = "POST";
  reset.path = "/api/v1/circuits/reset";
  reset.params.emplace("target", "review-bot");
  net::Response refused;
  f.service->HandleCircuitReset(reset, refused);
  CHECK(refused.status == 401);
  reset.headers.emplace("Authorization", "Bearer s3cret");
  net::Request unknown = reset;
  unknown.params.clear();
  unknown.params.emplace("target", "nope");
  net::Response not_found;
  f.service->HandleCircuitReset(unknown, not_found);
  CHECK(not_found.status == 404);
  CHECK(json::parse(not_found.body)["error"] ==
        "no target \"nope\" in the targets allowlist (review-bot)");
  net::Response closed;
  f.service->HandleCircuitReset(reset, closed);
  CHECK(closed.status == 200);
  CHECK(json::parse(closed.body)["closed"].size() == 1);
  REQUIRE(WaitFor([&] { return f.Count("success") == 4 && f.Idle(); }, 30s));
  CHECK(f.Runs().size() == 4);
  CHECK(f.Count("skipped_circuit") == 2);
  CHECK(f.service->journal().QueuedJobs() == 0);
  CHECK(test::FindSample(f.Exposition(), "medic_remediation_circuit_open",
                         "remediation=\"service-down\",target=\"review-bot\"") == 0.0);
  CHECK(count_bodies("giving up on review-bot") == 1);
  // The budget counts from the reset: a third incident in the hour opens the circuit again.
  CHECK(f.Post(Payload({AlertJson("fp9")})).status == 200);
  REQUIRE(WaitFor([&] { return f.Count("skipped_circuit") == 3; }, 30s));
  CHECK(f.Runs().size() == 4);
}

TEST_CASE("a failed run does not start the cooldown: the retry heals, and a human hears once") {
  Fixture f([](Config& config) {
    auto& rule = config.remediations[0];
    rule.cooldown = 1h;
    rule.retry_backoff = 200ms;
    rule.max_attempts = 3;
    // Fails until the file `healthy` exists: an engine that comes back.
    rule.steps[0].argv = {"/bin/sh", "-c",
                          "echo \"$MEDIC_ALERT_FINGERPRINT\" >> " + config.data_dir +
                              "/runs.txt; test -e " + config.data_dir + "/healthy"};
  });
  CHECK(f.Post(Payload({AlertJson("down-1")})).status == 200);
  REQUIRE(WaitFor([&] { return f.Count("failed") == 1; }, 30s));
  f.dir.Write("healthy", "");
  REQUIRE(WaitFor([&] { return f.Count("success") == 1; }, 30s));
  CHECK(f.Count("skipped_cooldown") == 0);
  CHECK(f.Runs().size() == 2);
  // The re-sent alert after the heal is a duplicate of a healed incident: nothing runs.
  CHECK(f.Post(Payload({AlertJson("down-1")})).status == 200);
  CHECK(f.Count("skipped_duplicate") == 1);
  // Who heard what: the first failure (a retry is coming), then the success on attempt 2.
  REQUIRE(WaitFor([&] { return f.receiver.bodies().size() >= 2; }, 30s));
  const auto bodies = f.receiver.bodies();
  CHECK(bodies.size() == 2);
  CHECK(bodies[0].find("FAILED, will retry (attempt 1 of 3)") != std::string::npos);
  CHECK(bodies[1].find("OK on attempt 2") != std::string::npos);
  // A new outage of the same target inside the cooldown is not run now, the person is told,
  // and it is retried when the cooldown ends (not lost).
  CHECK(f.Post(Payload({AlertJson("down-2", "firing", "2026-11-29T04:00:00Z")})).status == 200);
  REQUIRE(WaitFor([&] { return f.Count("skipped_cooldown") == 1; }, 30s));
  REQUIRE(WaitFor([&] { return f.receiver.bodies().size() == 3; }, 30s));
  CHECK(f.receiver.bodies()[2].find("NOT RUN YET (cooldown)") != std::string::npos);
  CHECK(f.receiver.bodies()[2].find("docker restart review-bot") != std::string::npos);
  // It waits, as the same job, for the cooldown's end (not lost, no attempt used up).
  CHECK(f.service->journal().QueuedJobs() == 1);
}

TEST_CASE("the last failed attempt gives up once; re-deliveries change nothing") {
  Fixture f([](Config& config) {
    auto& rule = config.remediations[0];
    rule.retry_backoff = 100ms;
    rule.max_attempts = 2;
    rule.steps[0].argv = {"/bin/false"};
  });
  CHECK(f.Post(Payload({AlertJson("dead")})).status == 200);
  REQUIRE(WaitFor([&] { return f.Count("gave_up") == 1; }, 30s));
  CHECK(f.Count("failed") == 1);
  for (int i = 0; i < 3; ++i) CHECK(f.Post(Payload({AlertJson("dead")})).status == 200);
  CHECK(f.Count("skipped_duplicate") == 3);
  REQUIRE(WaitFor([&] { return f.receiver.bodies().size() >= 2; }, 30s));
  const auto bodies = f.receiver.bodies();
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[0].find("FAILED, will retry (attempt 1 of 2)") != std::string::npos);
  CHECK(bodies[1].find("GAVE UP after 2 attempt(s), manual action needed") != std::string::npos);
}

TEST_CASE("a resolved alert cancels its queued job, not the running one") {
  Fixture f([](Config& config) {
    // One target, one job at a time: the first (slow) job keeps the second queued.
    config.remediations[0].steps[0].argv = {
        "/bin/sh", "-c",
        "echo \"$MEDIC_ALERT_FINGERPRINT\" >> " + config.data_dir + "/runs.txt; sleep 2"};
    config.workers = 2;
  });
  CHECK(f.Post(Payload({AlertJson("slow")})).status == 200);
  REQUIRE(WaitFor([&] { return f.Runs().size() == 1; }, 30s));
  CHECK(f.Post(Payload({AlertJson("queued")})).status == 200);
  CHECK(f.service->journal().QueuedJobs() == 1);
  CHECK(f.Post(Payload({AlertJson("queued", "resolved"), AlertJson("slow", "resolved")})).status ==
        200);
  REQUIRE(WaitFor([&] { return f.Count("success") == 1 && f.Idle(); }, 30s));
  CHECK(f.Count("cancelled") == 1);
  CHECK(f.Runs() == std::vector<std::string>{"slow"});
}

TEST_CASE("a full queue answers 503 and is counted") {
  Fixture f([](Config& config) {
    config.queue_size = 1;
    config.remediations[0].steps[0].argv = {"/bin/sleep", "2"};
  });
  CHECK(f.Post(Payload({AlertJson("a")})).status == 200);
  REQUIRE(WaitFor([&] { return f.service->journal().QueuedJobs() == 0; }, 30s));  // a is running
  CHECK(f.Post(Payload({AlertJson("b")})).status == 200);
  CHECK(f.Post(Payload({AlertJson("c")})).status == 503);
  CHECK(f.service->metrics()->RequestCount(503) == 1);
  REQUIRE(WaitFor([&] { return f.Idle(); }, 30s));
  CHECK(f.Post(Payload({AlertJson("c")})).status == 200);  // Alertmanager's retry succeeds
}

TEST_CASE("a target label outside the allowlist is refused, journaled and counted") {
  Fixture f([](Config& config) {
    config.remediations[0].target.clear();
    config.remediations[0].target_label = "name";
  });
  auto labels = json{{"alertname", "ServiceDown"}, {"name", "postgres"}};
  CHECK(f.Post(Payload({AlertJson("x", "firing", "2026-11-29T03:00:00Z", labels)})).status == 200);
  CHECK(f.Count("refused") == 1);
  const auto history = f.service->journal().History(10, 0);
  REQUIRE(history.size() == 1);
  CHECK(history[0]["state"] == "refused");
  CHECK(history[0]["detail"].get<std::string>().find("allowlist") != std::string::npos);
  labels["name"] = "review-bot";
  CHECK(f.Post(Payload({AlertJson("y", "firing", "2026-11-29T03:00:00Z", labels)})).status == 200);
  REQUIRE(WaitFor([&] { return f.Count("success") == 1; }, 30s));
  CHECK(f.Runs() == std::vector<std::string>{"y"});
}

TEST_CASE("dry run journals what would happen without running anything") {
  Fixture f([](Config& config) { config.dry_run = true; });
  CHECK(f.Post(Payload({AlertJson("d")})).status == 200);
  REQUIRE(WaitFor([&] { return f.Count("dry_run") == 1; }, 30s));
  CHECK(f.Runs().empty());
  CHECK(f.receiver.bodies().empty());
  const auto history = f.service->journal().History(10, 0);
  CHECK(history[0]["steps"][0]["output"].get<std::string>().find("dry run: would exec") == 0);
}

TEST_CASE("history API parameters") {
  Fixture f;
  net::Request request;
  net::Response response;
  request.params.emplace("limit", "0");
  f.service->HandleHistory(request, response);
  CHECK(response.status == 400);
  request.params.clear();
  request.params.emplace("limit", "5");
  request.params.emplace("since", "1h");
  f.service->HandleHistory(request, response);
  CHECK(response.status == 200);
  CHECK(json::parse(response.body)["remediations"].is_array());
}

TEST_CASE("fleet: only this host's alerts are journaled and run; the rest answered and counted") {
  Fixture f([](Config& config) {
    config.fleet = FleetSettings{};
    config.fleet->host = "host-2";
  });
  const auto labels = [](const std::string& instance) {
    json set = {{"alertname", "ServiceDown"}, {"severity", "critical"}};
    if (!instance.empty()) set["instance"] = instance;
    return set;
  };
  const std::string starts = "2026-11-29T03:00:00Z";
  // Exported before the first foreign alert.
  CHECK(f.Exposition().find("medic_alerts_ignored_total{reason=\"other_host\"} 0") !=
        std::string::npos);
  CHECK(f.Exposition().find("medic_alerts_ignored_total{reason=\"no_host_label\"} 0") !=
        std::string::npos);

  // Another host's group: 200, nothing journaled at all.
  const auto foreign = f.Post(Payload({AlertJson("x1", "firing", starts, labels("host-1:8000")),
                                       AlertJson("x2", "firing", starts, labels("host-1:8000"))}));
  CHECK(foreign.status == 200);
  CHECK(json::parse(foreign.body)["ignored"] == 2);
  CHECK(json::parse(foreign.body)["status"] == "ignored");
  CHECK(f.service->journal().History(100, 0).empty());
  CHECK(f.service->metrics()->IgnoredAlertCount("other_host") == 2);

  // A mixed group: only host-2's alert is journaled and run; one without instance is ignored.
  const auto mixed = f.Post(Payload({AlertJson("own", "firing", starts, labels("HOST-2:9469")),
                                     AlertJson("x3", "firing", starts, labels("host-3:8000")),
                                     AlertJson("nolabel", "firing", starts, labels(""))}));
  CHECK(mixed.status == 200);
  CHECK(json::parse(mixed.body)["alerts"] == 1);
  CHECK(json::parse(mixed.body)["ignored"] == 2);
  REQUIRE(WaitFor([&] { return f.Runs() == std::vector<std::string>{"own"}; }, 30s));
  CHECK(f.service->journal().History(100, 0).size() == 1);
  CHECK(f.service->metrics()->IgnoredAlertCount("other_host") == 3);
  CHECK(f.service->metrics()->IgnoredAlertCount("no_host_label") == 1);
  CHECK(f.Exposition().find("medic_alerts_ignored_total{reason=\"other_host\"} 3") !=
        std::string::npos);

  // A reload renames the host and lets this medic take label-less alerts: from the next request.
  FleetSettings renamed;
  renamed.host = "host-3";
  renamed.without_host_label = FleetSettings::WithoutHostLabel::kAct;
  f.service->Reconfigure(*f.config.webhook, renamed);
  CHECK(f.Post(Payload({AlertJson("x3", "firing", starts, labels("host-3:8000")),
                        AlertJson("nolabel", "firing", starts, labels(""))}))
            .status == 200);
  REQUIRE(WaitFor([&] { return f.Runs().size() == 3; }, 30s));
  CHECK(f.service->metrics()->IgnoredAlertCount("no_host_label") == 1);
}

TEST_CASE("fleet: two Prometheus replicas' copies of one incident run once") {
  Fixture f([](Config& config) {
    config.fleet = FleetSettings{};
    config.fleet->host = "host-2";
  });
  const auto replica = [](const std::string& name) {
    return json{{"alertname", "ServiceDown"},
                {"severity", "critical"},
                {"instance", "host-2:8000"},
                {"replica", name}};
  };
  CHECK(f.Post(Payload({AlertJson("fa", "firing", "2026-11-29T03:00:00.120Z", replica("a"))}))
            .status == 200);
  CHECK(f.Post(Payload({AlertJson("fa", "firing", "2026-11-29T03:00:00.120Z", replica("a")),
                        AlertJson("fb", "firing", "2026-11-29T03:00:03.870Z", replica("b"))}))
            .status == 200);
  REQUIRE(WaitFor([&] { return f.Count("success") == 1; }, 30s));
  CHECK(f.Post(Payload({AlertJson("fb", "firing", "2026-11-29T03:00:03.870Z", replica("b"))}))
            .status == 200);
  REQUIRE(WaitFor([&] { return f.Idle(); }, 30s));
  CHECK(f.Runs() == std::vector<std::string>{"fa"});
  CHECK(f.Count("skipped_duplicate") >= 2);
}
