// The real medic binary with its journal under faults: a full filesystem (a 1 MiB tmpfs), a
// read-only one, and SIGTERM while a remediation is mid-way. Nothing accepted is lost, nothing
// runs twice, and the journal passes PRAGMA integrity_check afterwards.
#include "support/test_support.h"
#include "support/tmpfs_mount.h"
#include "support/webhook_payload.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

using namespace medic::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::multimap<std::string, std::string> kAuth{{"Authorization", "Bearer t0ken"}};

std::string Config(const TempDir& data, const std::string& journal_path,
                   const std::string& remediations) {
  data.Write("token", "t0ken\n");
  return "data_dir: " + data.path() + "\njournal: {path: " + journal_path +
         "}\n"
         "collectors: {filesystem: {mountpoints: [/]}}\n"
         "webhook: {bearer_token_file: " +
         data.Join("token") + "}\ntargets: [app]\nremediations:\n" + remediations;
}

// Runs SQL against the journal with the sqlite3 CLI (read-only) and returns its output.
std::string QueryJournal(const std::string& journal_path, const std::string& sql) {
  const auto result = RunCommand({"sqlite3", "-readonly", journal_path, sql});
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  std::string output = result.output;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output;
}

// Fills the filesystem holding `path` until the kernel says ENOSPC.
void FillUp(const std::string& path) {
  std::ofstream filler(path, std::ios::binary);
  const std::string chunk(4096, 'f');
  while (filler.write(chunk.data(), static_cast<std::streamsize>(chunk.size())) && filler.flush()) {
  }
}

int PostAlert(int port, const std::string& fingerprint, const std::string& alertname = "Disk") {
  // A 2 KiB annotation so the journal needs new pages quickly.
  return HttpPost(port, "/webhook",
                  WebhookPayload({{"alertname", alertname}, {"instance", fingerprint}}, fingerprint,
                                 {{"summary", std::string(2048, 's')}}),
                  "application/json", kAuth)
      .status;
}

}  // namespace

TEST_CASE("journal on a full filesystem: 503 while full, nothing accepted lost, then recovery") {
  TempDir data;
  TempDir journal_dir;
  TmpfsMount mount(journal_dir.path(), "size=1m,mode=0700");
  if (!mount.mounted()) {
    MESSAGE("skipped: cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)");
    return;
  }
  const std::string journal = journal_dir.Join("journal.db");
  // Each job's step runs until the test creates `release` (outside the full filesystem): the
  // job that starts before the disk fills is still running when it is full.
  const std::string release = data.Join("release");
  MedicProcess medic(
      Config(data, journal,
             "  - name: note\n    match: {alertname: Disk}\n    target: app\n    silent: true\n"
             "    cooldown: 0s\n    max_per_hour: 1000\n"
             "    steps: [{exec: {argv: [/bin/sh, -c, 'while [ ! -e " +
                 release + " ]; do sleep 0.05; done'], timeout: 5m}}]\n"));
  const auto current_states = [&] {
    std::multiset<std::string> states;
    const auto history =
        json::parse(HttpGet(medic.port(), "/api/v1/remediations?limit=1000").body, nullptr, false);
    if (!history.is_object()) return states;
    for (const auto& job : history["remediations"]) states.insert(job["state"].get<std::string>());
    return states;
  };
  std::set<std::string> accepted;
  std::vector<std::string> refused;
  CHECK(PostAlert(medic.port(), "before-full") == 200);
  accepted.insert("before-full");
  REQUIRE(WaitFor([&] { return current_states().count("running") == 1; }, 30s));

  FillUp(journal_dir.Join("filler"));
  // SQLite reuses WAL pages it already owns, so a few writes may still fit; keep going until
  // the journal needs space it cannot get.
  std::map<int, int> statuses;
  for (int i = 0; i < 400 && refused.size() < 3; ++i) {
    const std::string fingerprint = "while-full-" + std::to_string(i);
    const int status = PostAlert(medic.port(), fingerprint);
    ++statuses[status];
    if (status == 200) accepted.insert(fingerprint);
    if (status == 503) refused.push_back(fingerprint);
  }
  INFO("statuses while full: " << json(statuses).dump());
  REQUIRE(refused.size() == 3);
  CHECK(statuses.size() <= 2);  // only 200 and 503, never a crash (0) or another 5xx
  CHECK(medic.process().Running());
  CHECK(HttpGet(medic.port(), "/-/healthy").status == 200);
  const std::string scrape = HttpGet(medic.port(), "/metrics").body;
  CHECK(FindSample(scrape, "medic_journal_write_errors_total").value_or(0) >= 3);
  CHECK(medic.Log().find("answering 503") != std::string::npos);
  // The job that was running when the disk filled cannot record its step's end; it waits for
  // space instead of being left "running" or repeating the step.
  CHECK(current_states().count("running") == 1);
  data.Write("release", "");
  CHECK(WaitFor(
      [&] { return medic.Log().find("cannot journal remediation progress") != std::string::npos; },
      10s));

  // Space returns: Alertmanager's retries of the refused alerts and new alerts are accepted.
  std::filesystem::remove(journal_dir.Join("filler"));
  for (const auto& fingerprint : refused) {
    CHECK(PostAlert(medic.port(), fingerprint) == 200);
    accepted.insert(fingerprint);
  }
  CHECK(PostAlert(medic.port(), "after-full") == 200);
  accepted.insert("after-full");

  // Every job reaches an end state: none is left "running" by a write that failed mid-job.
  const bool settled = WaitFor(
      [&] {
        const auto states = current_states();
        return !states.empty() && states.count("queued") == 0 && states.count("running") == 0;
      },
      60s);
  CHECK(settled);
  REQUIRE(medic.process().Stop(SIGTERM, 20s) == 0);

  CHECK(QueryJournal(journal, "PRAGMA integrity_check") == "ok");
  // Each accepted alert is in the journal exactly once, the refused attempts left no rows.
  const std::string rows = QueryJournal(
      journal, "SELECT fingerprint || ' ' || COUNT(*) FROM alerts GROUP BY fingerprint");
  std::set<std::string> journaled;
  std::istringstream lines(rows);
  for (std::string fingerprint, count; lines >> fingerprint >> count;) {
    CAPTURE(fingerprint);
    CHECK(count == "1");
    journaled.insert(fingerprint);
  }
  CHECK(journaled == accepted);
  const std::string job_states =
      QueryJournal(journal, "SELECT DISTINCT state || '/' || result FROM jobs");
  CHECK(job_states == "succeeded/success");
}

TEST_CASE("journal on a read-only filesystem: medic refuses to start and says why, then recovers") {
  TempDir data;
  TempDir journal_dir;
  TmpfsMount mount(journal_dir.path(), "size=4m,mode=0700");
  if (!mount.mounted()) {
    MESSAGE("skipped: cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)");
    return;
  }
  const std::string journal = journal_dir.Join("journal.db");
  const std::string config = Config(data, journal, "  []\n");
  {
    MedicProcess medic(config);
    CHECK(PostAlert(medic.port(), "before-ro") == 200);
  }
  // The kernel refuses to remount read-only while medic holds the journal open for writing,
  // so a read-only journal shows at start-up (e.g. after the disk was remounted ro on errors).
  REQUIRE(mount.Remount("ro"));
  data.Write("medic.yml", config);
  const std::string log = data.Join("ro.log");
  Subprocess refused({MEDIC_BINARY, "--config.file=" + data.Join("medic.yml"),
                      "--web.listen-address=127.0.0.1:" + std::to_string(FreePort())},
                     {.stdout_path = log, .stderr_path = log});
  const auto status = refused.Wait(30s);
  REQUIRE(status);
  CHECK(*status != 0);
  INFO(ReadFile(log));
  CHECK(ReadFile(log).find("journal " + journal) != std::string::npos);
  CHECK(ReadFile(log).find("is not writable: Read-only file system") != std::string::npos);

  REQUIRE(mount.Remount("rw"));
  {
    MedicProcess medic(config);
    CHECK(PostAlert(medic.port(), "after-ro") == 200);
  }
  CHECK(QueryJournal(journal, "PRAGMA integrity_check") == "ok");
  CHECK(QueryJournal(journal, "SELECT fingerprint FROM alerts ORDER BY id") ==
        "before-ro\nafter-ro");
}

TEST_CASE("SIGTERM while verify waits: journaled as interrupted, resumed once after restart") {
  TempDir data;
  const std::string journal = data.Join("journal.db");
  const std::string runs = data.Join("runs.txt");
  const int health_port = FreePort();
  const std::string config =
      Config(data, journal,
             "  - name: heal\n    match: {alertname: Down}\n    target: app\n    silent: true\n    "
             "steps:\n"
             "      - exec: {argv: [/bin/sh, -c, 'echo ran >> " +
                 runs +
                 "']}\n"
                 "      - verify: {url: \"http://127.0.0.1:" +
                 std::to_string(health_port) +
                 "/health\", attempts: 200, interval: 500ms, timeout: 1s}\n");
  const auto history = [](int port) {
    return json::parse(HttpGet(port, "/api/v1/remediations").body, nullptr, false);
  };
  {
    MedicProcess medic(config);
    CHECK(PostAlert(medic.port(), "down-1", "Down") == 200);
    // The verify step is waiting for a health endpoint that is not there yet.
    REQUIRE(WaitFor(
        [&] {
          const auto jobs = history(medic.port());
          if (!jobs.is_object() || jobs["remediations"].empty()) return false;
          const auto& steps = jobs["remediations"][0]["steps"];
          return steps.size() == 2 && steps[1]["state"] == "running";
        },
        30s));
    const auto started = std::chrono::steady_clock::now();
    const auto status = medic.process().Stop(SIGTERM, 15s);
    REQUIRE(status);
    CHECK(*status == 0);
    // Not held for the verify's 200 attempts, nor cut by the shutdown timeout.
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK(medic.Log().find("interrupted by shutdown in step 1 verify") != std::string::npos);
  }
  CHECK(QueryJournal(journal, "SELECT state || '|' || next_step || '|' || detail FROM jobs") ==
        "running|1|interrupted by shutdown in step 1; resumes after restart");
  CHECK(QueryJournal(journal, "SELECT kind || '|' || state FROM job_steps ORDER BY id") ==
        "exec|succeeded\nverify|interrupted");

  // The service comes up; after the restart the job resumes at verify, not at the exec.
  TempDir site;
  site.Write("health", "ok\n");
  Subprocess health({"/usr/bin/python3", "-m", "http.server", std::to_string(health_port), "--bind",
                     "127.0.0.1", "--directory", site.path()},
                    {.stdout_path = "/dev/null", .stderr_path = "/dev/null"});
  REQUIRE(WaitFor([&] { return HttpGet(health_port, "/health").status == 200; }, 15s));
  {
    MedicProcess medic(config);
    REQUIRE(WaitFor(
        [&] {
          const auto jobs = history(medic.port());
          return jobs.is_object() && jobs["remediations"].size() == 1 &&
                 jobs["remediations"][0]["state"] == "succeeded";
        },
        30s));
    CHECK(medic.Log().find("1 unfinished job(s) resumed, 0 marked interrupted") !=
          std::string::npos);
    const auto job = history(medic.port())["remediations"][0];
    CHECK(job["worker_runs"] == 2);
    std::vector<std::string> steps;
    for (const auto& step : job["steps"]) {
      steps.push_back(step["kind"].get<std::string>() + "|" + step["state"].get<std::string>());
    }
    CHECK(steps ==
          std::vector<std::string>{"exec|succeeded", "verify|interrupted", "verify|succeeded"});
  }
  CHECK(ReadFile(runs) == "ran\n");
}
