// ctest-labels: tsan
#include "medic/remediation/journal.h"

#include "support/test_support.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace medic::remediation;
using medic::Alert;
using medic::JournalSettings;
using medic::Notification;
using medic::test::TempDir;

namespace {

Alert MakeAlert(const std::string& fingerprint, const std::string& status = "firing",
                const std::string& starts_at = "2026-11-29T03:00:00Z") {
  Alert alert;
  alert.status = status;
  alert.labels = {{"alertname", "ServiceDown"}, {"name", "review-bot"}};
  alert.starts_at = starts_at;
  alert.fingerprint = fingerprint;
  return alert;
}

Notification MakeNotification(std::vector<Alert> alerts) {
  Notification notification;
  notification.version.assign(1, '4');  // operator=("4") trips GCC 12 -Werror=restrict at -O2
  notification.status = alerts.front().status;
  notification.receiver = "medic";
  notification.alerts = std::move(alerts);
  return notification;
}

std::vector<std::vector<PlannedJob>> Plan(std::size_t alerts,
                                          const std::string& remediation = "service-down") {
  return std::vector<std::vector<PlannedJob>>(alerts,
                                              {PlannedJob{remediation, "review-bot", false, ""}});
}

JournalSettings Settings(const TempDir& dir) {
  JournalSettings settings;
  settings.path = dir.Join("journal.db");
  return settings;
}

}  // namespace

TEST_CASE("idempotency: the same alert delivered five times creates one job") {
  TempDir dir;
  Journal journal(Settings(dir));
  int queued = 0;
  int duplicates = 0;
  for (int i = 0; i < 5; ++i) {
    auto result =
        journal.RecordNotification(MakeNotification({MakeAlert("aa")}), Plan(1), "peer", 100);
    REQUIRE(result.jobs.size() == 1);
    if (result.jobs[0].outcome == IntakeOutcome::kQueued) ++queued;
    if (result.jobs[0].outcome == IntakeOutcome::kDuplicate) ++duplicates;
  }
  CHECK(queued == 1);
  CHECK(duplicates == 4);
  CHECK(journal.QueuedJobs() == 1);
  // A new firing (different startsAt) is a new alert instance.
  auto result = journal.RecordNotification(
      MakeNotification({MakeAlert("aa", "firing", "2026-11-29T04:00:00Z")}), Plan(1), "peer", 100);
  CHECK(result.jobs[0].outcome == IntakeOutcome::kQueued);
  CHECK(journal.QueuedJobs() == 2);
}

TEST_CASE("journal survives close and reopen") {
  TempDir dir;
  {
    Journal journal(Settings(dir));
    journal.RecordNotification(MakeNotification({MakeAlert("aa"), MakeAlert("bb")}), Plan(2),
                               "peer", 100);
  }
  Journal journal(Settings(dir));
  CHECK(journal.QueuedJobs() == 2);
  auto again =
      journal.RecordNotification(MakeNotification({MakeAlert("aa")}), Plan(1), "peer", 100);
  CHECK(again.jobs[0].outcome == IntakeOutcome::kDuplicate);
  CHECK(journal.History(10, 0).size() == 2);
}

TEST_CASE("a file that is not a database is refused with a clear error") {
  TempDir dir;
  dir.Write("journal.db", std::string(8192, 'x'));
  CHECK_THROWS_WITH_AS(Journal(Settings(dir)), doctest::Contains("will not start"),
                       JournalOpenError);
}

TEST_CASE("a corrupted journal fails the integrity check and is refused") {
  TempDir dir;
  {
    Journal journal(Settings(dir));
    for (int i = 0; i < 200; ++i) {
      journal.RecordNotification(MakeNotification({MakeAlert(fmt::format("fp{}", i))}), Plan(1),
                                 "peer", 100000);
    }
  }  // closing checkpoints the WAL into the main file
  {
    std::fstream file(dir.Join("journal.db"), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096 * 3 + 100);
    const std::string garbage(2000, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  CHECK_THROWS_AS(Journal(Settings(dir)), JournalOpenError);
}

TEST_CASE("queue bound: a notification that would overflow the queue writes nothing") {
  TempDir dir;
  Journal journal(Settings(dir));
  journal.RecordNotification(MakeNotification({MakeAlert("a1"), MakeAlert("a2")}), Plan(2), "p", 3);
  CHECK_THROWS_AS(journal.RecordNotification(MakeNotification({MakeAlert("a3"), MakeAlert("a4")}),
                                             Plan(2), "p", 3),
                  QueueFullError);
  CHECK(journal.QueuedJobs() == 2);
  // Rolled back entirely: a3 can still be accepted later.
  auto result = journal.RecordNotification(MakeNotification({MakeAlert("a3")}), Plan(1), "p", 3);
  CHECK(result.jobs[0].outcome == IntakeOutcome::kQueued);
}

TEST_CASE("resolved alerts cancel queued jobs, not running ones") {
  TempDir dir;
  Journal journal(Settings(dir));
  journal.RecordNotification(MakeNotification({MakeAlert("run")}), Plan(1), "p", 100);
  auto claimed = journal.ClaimNextJob({});
  REQUIRE(claimed);
  journal.RecordNotification(MakeNotification({MakeAlert("queued")}), Plan(1), "p", 100);
  auto resolved = journal.RecordNotification(
      MakeNotification({MakeAlert("run", "resolved"), MakeAlert("queued", "resolved")}), {}, "p",
      100);
  CHECK(resolved.cancelled_remediations == std::vector<std::string>{"service-down"});
  CHECK(journal.GetJob(claimed->id)->state == JobState::kRunning);
  CHECK(journal.QueuedJobs() == 0);
  CHECK(journal.CountJobs("service-down", "cancelled") == 1);
}

TEST_CASE("refused jobs are journaled, never queued") {
  TempDir dir;
  Journal journal(Settings(dir));
  std::vector<std::vector<PlannedJob>> plans{{PlannedJob{"r", "evil", false, "not allowed"}}};
  for (int i = 0; i < 2; ++i) {
    auto result = journal.RecordNotification(MakeNotification({MakeAlert("x")}), plans, "p", 100);
    CHECK(result.jobs[0].outcome == IntakeOutcome::kRefused);
  }
  CHECK(journal.QueuedJobs() == 0);
  CHECK(journal.CountJobs("r", "refused") == 2);
}

TEST_CASE("claiming respects busy targets and is exclusive") {
  TempDir dir;
  Journal journal(Settings(dir));
  journal.RecordNotification(MakeNotification({MakeAlert("a"), MakeAlert("b")}), Plan(2), "p", 100);
  CHECK_FALSE(journal.ClaimNextJob({"review-bot"}));
  auto first = journal.ClaimNextJob({});
  auto second = journal.ClaimNextJob({});
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->id != second->id);
  CHECK_FALSE(journal.ClaimNextJob({}));
}

TEST_CASE("recovery resumes repeatable steps and interrupts unsafe ones, exactly once") {
  TempDir dir;
  std::int64_t mid_restart = 0;
  std::int64_t between_steps = 0;
  std::int64_t mid_verify = 0;
  {
    Journal journal(Settings(dir));
    journal.RecordNotification(
        MakeNotification({MakeAlert("a"), MakeAlert("b"), MakeAlert("c"), MakeAlert("d")}), Plan(4),
        "p", 100);
    mid_restart = journal.ClaimNextJob({})->id;
    journal.RecordStepStart(mid_restart, 0, "restart");
    between_steps = journal.ClaimNextJob({})->id;
    journal.RecordStepStart(between_steps, 0, "restart");
    journal.RecordStepEnd(between_steps, 0, "succeeded", "ok");
    mid_verify = journal.ClaimNextJob({})->id;
    journal.RecordStepStart(mid_verify, 0, "restart");
    journal.RecordStepEnd(mid_verify, 0, "succeeded", "ok");
    journal.RecordStepStart(mid_verify, 1, "verify");
    // "d" stays queued. The journal closes here as if medic was killed.
  }
  Journal journal(Settings(dir));
  auto report = journal.RecoverUnfinished(
      [](const std::string& kind) { return kind == "verify" || kind == "diagnostics"; });
  CHECK(report.interrupted == 1);
  CHECK(report.requeued == 2);
  CHECK(journal.GetJob(mid_restart)->state == JobState::kInterrupted);
  CHECK(journal.GetJob(between_steps)->state == JobState::kQueued);
  CHECK(journal.GetJob(between_steps)->next_step == 1);
  CHECK(journal.GetJob(mid_verify)->next_step == 1);
  CHECK(journal.QueuedJobs() == 3);
  auto second = journal.RecoverUnfinished([](const std::string&) { return true; });
  CHECK(second.requeued == 0);
  CHECK(second.interrupted == 0);
  CHECK(journal.GetJob(mid_restart)->state == JobState::kInterrupted);
}

TEST_CASE("cooldown, budget and circuit bookkeeping are per (remediation, target)") {
  TempDir dir;
  Journal journal(Settings(dir));
  journal.RecordNotification(MakeNotification({MakeAlert("a"), MakeAlert("b")}), Plan(2), "p", 100);
  auto job = journal.ClaimNextJob({});
  CHECK_FALSE(journal.LastSuccess("service-down", "review-bot"));
  journal.RecordStepStart(job->id, 0, "restart");
  journal.RecordStepEnd(job->id, 0, "succeeded", "restarted");
  journal.FinishJob(job->id, JobState::kSucceeded, JobResult::kSuccess, "");
  CHECK(journal.LastSuccess("service-down", "review-bot"));
  CHECK_FALSE(journal.LastSuccess("high-memory", "review-bot"));
  CHECK(journal.CountActedRunsSince("service-down", "review-bot", UnixNow() - 3600) == 1);
  CHECK(journal.CountActedRunsSince("high-memory", "review-bot", UnixNow() - 3600) == 0);
  CHECK(journal.RestartsSince("review-bot", UnixNow() - 3600) == 1);
  // A run whose only step failed (the engine was unreachable) acted on nothing.
  auto other = journal.ClaimNextJob({});
  journal.RecordStepStart(other->id, 0, "restart");
  journal.RecordStepEnd(other->id, 0, "failed", "error: cannot connect");
  journal.FinishJob(other->id, JobState::kFailed, JobResult::kFailed, "");
  CHECK(journal.CountActedRunsSince("service-down", "review-bot", UnixNow() - 3600) == 1);
  CHECK(journal.LastSuccess("service-down", "review-bot"));
  const double now = UnixNow();
  CHECK(journal.OpenCircuit("service-down", "review-bot", now));
  CHECK_FALSE(journal.OpenCircuit("service-down", "review-bot", now + 1));
  CHECK(journal.OpenCircuit("high-memory", "review-bot", now));
  REQUIRE(journal.OpenCircuits().size() == 2);
  journal.CloseCircuit("high-memory", "review-bot");
  REQUIRE(journal.OpenCircuits().size() == 1);
  CHECK(journal.OpenCircuits()[0].remediation == "service-down");
  CHECK(journal.CloseCircuits("review-bot").size() == 1);
  CHECK(journal.OpenCircuits().empty());
}

TEST_CASE("an incident stays open after a failed attempt: a re-delivery is its next attempt") {
  TempDir dir;
  Journal journal(Settings(dir));
  const auto notification = MakeNotification({MakeAlert("down")});
  std::vector<std::vector<PlannedJob>> plans = Plan(1);
  plans[0][0].max_attempts = 2;
  plans[0][0].retry_backoff_seconds = 0;
  auto first = journal.RecordNotification(notification, plans, "p", 100);
  REQUIRE(first.jobs.size() == 1);
  CHECK(first.jobs[0].outcome == IntakeOutcome::kQueued);
  // While it runs, the same delivery is a duplicate and queues one notice for a human.
  auto job = journal.ClaimNextJob({});
  auto running = journal.RecordNotification(notification, plans, "p", 100);
  CHECK(running.jobs[0].outcome == IntakeOutcome::kDuplicate);
  CHECK(running.jobs[0].existing_state == JobState::kRunning);
  CHECK(running.jobs[0].notice_added);
  CHECK_FALSE(journal.RecordNotification(notification, plans, "p", 100).jobs[0].notice_added);
  journal.FinishJob(job->id, JobState::kFailed, JobResult::kFailed, "engine unreachable");
  auto retried = journal.RecordNotification(notification, plans, "p", 100);
  CHECK(retried.jobs[0].outcome == IntakeOutcome::kQueued);
  CHECK(retried.jobs[0].attempt == 2);
  auto second = journal.ClaimNextJob({});
  REQUIRE(second);
  CHECK(second->attempt == 2);
  journal.FinishJob(second->id, JobState::kFailed, JobResult::kGaveUp, "still unreachable");
  // max_attempts reached: the incident is closed to new attempts.
  auto after = journal.RecordNotification(notification, plans, "p", 100);
  CHECK(after.jobs[0].outcome == IntakeOutcome::kDuplicate);
  CHECK(journal.UnsentNotices(10).size() == 1);
}

TEST_CASE("a scheduled retry waits for its time; a resolve cancels it") {
  TempDir dir;
  Journal journal(Settings(dir));
  journal.RecordNotification(MakeNotification({MakeAlert("flaky")}), Plan(1), "p", 100);
  auto job = journal.ClaimNextJob({});
  journal.FinishJob(job->id, JobState::kFailed, JobResult::kFailed, "");
  REQUIRE(journal.ScheduleRetry(*job, UnixNow() + 3600) != 0);
  CHECK(journal.ScheduleRetry(*job, UnixNow()) == 0);  // that attempt exists already
  CHECK_FALSE(journal.ClaimNextJob({}));               // not due yet
  REQUIRE(journal.NextRetryDue());
  CHECK(*journal.NextRetryDue() > UnixNow() + 3500);
  auto resolved = MakeAlert("flaky");
  resolved.status = "resolved";
  const auto result = journal.RecordNotification(MakeNotification({resolved}), {}, "p", 100);
  CHECK(result.cancelled_remediations.size() == 1);
  CHECK_FALSE(journal.NextRetryDue());
}

TEST_CASE("retention deletes old finished records and caps rows") {
  TempDir dir;
  JournalSettings settings = Settings(dir);
  settings.retention = std::chrono::hours(1);
  settings.max_rows = 3;
  Journal journal(settings);
  for (int i = 0; i < 6; ++i) {
    journal.RecordNotification(MakeNotification({MakeAlert(fmt::format("f{}", i))}), Plan(1), "p",
                               100);
  }
  for (int i = 0; i < 5; ++i) {
    auto job = journal.ClaimNextJob({});
    journal.FinishJob(job->id, JobState::kSucceeded, JobResult::kSuccess, "");
  }
  journal.Cleanup(UnixNow());
  // Six jobs, one still queued: the cap of 3 drops the oldest finished ones only.
  auto history = journal.History(100, 0);
  CHECK(history.size() == 3);
  CHECK(journal.QueuedJobs() == 1);
  // Everything finished is older than the retention two hours from now.
  journal.Cleanup(UnixNow() + 7200);
  CHECK(journal.History(100, 0).size() == 1);
}

TEST_CASE("concurrent writers are all committed (group commit)") {
  TempDir dir;
  std::atomic<std::size_t> commits = 0;
  std::atomic<std::size_t> committed_writes = 0;
  Journal journal(Settings(dir), [&](std::size_t writes) {
    ++commits;
    committed_writes += writes;
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&journal, t] {
      for (int i = 0; i < 50; ++i) {
        journal.RecordNotification(MakeNotification({MakeAlert(fmt::format("t{}-{}", t, i))}),
                                   Plan(1), "p", 100000);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(journal.QueuedJobs() == 200);
  // Every write is reported as committed, and never more commits than writes.
  CHECK(committed_writes == 200);
  CHECK(commits <= 200);
}

TEST_CASE("checkpoints keep the WAL bounded under sustained writes, losing nothing") {
  TempDir dir;
  Journal journal(Settings(dir));
  constexpr int kThreads = 4;
  constexpr int kWritesPerThread = 600;
  constexpr int kAlertsPerWrite = 5;
  const std::string bulky(8000, 'x');  // a few pages per alert: the WAL grows quickly
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&journal, &bulky, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        std::vector<Alert> alerts;
        for (int a = 0; a < kAlertsPerWrite; ++a) {
          alerts.push_back(MakeAlert(fmt::format("c{}-{}-{}", t, i, a)));
          alerts.back().annotations["description"] = bulky;
        }
        journal.RecordNotification(MakeNotification(std::move(alerts)), {}, "p", 100);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // About 100 MB went through the WAL; without checkpoints it would hold all of it.
  const auto wal_bytes = std::filesystem::file_size(dir.Join("journal.db-wal"));
  INFO("WAL bytes: " << wal_bytes);
  CHECK(wal_bytes < 48u * 1024 * 1024);
  // The database file itself grew, which only a checkpoint does while the journal is open.
  CHECK(std::filesystem::file_size(dir.Join("journal.db")) > 64u * 1024 * 1024);
  SqliteDatabase reader(dir.Join("journal.db"));
  auto rows = reader.Prepare("SELECT COUNT(DISTINCT fingerprint) FROM alerts");
  REQUIRE(rows.Step());
  CHECK(rows.Int(0) == kThreads * kWritesPerThread * kAlertsPerWrite);
}

TEST_CASE("a journal holding several attempts at an incident opens again") {
  TempDir dir;
  {
    Journal journal(Settings(dir));
    journal.RecordNotification(MakeNotification({MakeAlert("retried")}), Plan(1), "p", 100);
    auto job = journal.ClaimNextJob({});
    journal.FinishJob(job->id, JobState::kFailed, JobResult::kFailed, "");
    REQUIRE(journal.ScheduleRetry(*job, UnixNow()) != 0);
  }
  // Restart: the second attempt is still there, and the incident still has one job per attempt.
  Journal reopened(Settings(dir));
  auto retry = reopened.ClaimNextJob({});
  REQUIRE(retry);
  CHECK(retry->attempt == 2);
  CHECK(reopened.ScheduleRetry(*retry, UnixNow()) != 0);
  CHECK(reopened.ScheduleRetry(*retry, UnixNow()) == 0);
}

TEST_CASE("a journal full of finished runs sheds their outputs and keeps taking alerts") {
  TempDir dir;
  JournalSettings settings = Settings(dir);
  settings.max_bytes = 1 << 20;
  {
    Journal journal(settings);
    const std::string output(16 << 10, 'o');
    // 100 runs finished this hour, each with 16 KiB of step output: 1.6 MB of recent history
    // that budgets and cooldowns still read.
    for (int i = 0; i < 100; ++i) {
      journal.RecordNotification(MakeNotification({MakeAlert("fp" + std::to_string(i))}), Plan(1),
                                 "peer", 1000);
      auto job = journal.ClaimNextJob({});
      REQUIRE(job);
      journal.RecordStepStart(job->id, 0, "exec");
      journal.RecordStepEnd(job->id, 0, "succeeded", output);
      journal.FinishJob(job->id, JobState::kSucceeded, JobResult::kSuccess, "");
    }
    const auto result =
        journal.RecordNotification(MakeNotification({MakeAlert("after")}), Plan(1), "peer", 1000);
    CHECK(result.jobs.size() == 1);
    const JournalUsage usage = journal.Usage();
    CHECK_FALSE(usage.full);
    CHECK(usage.used_bytes < settings.max_bytes);
    CHECK(usage.evicted_rows > 0);
    // The runs are still there (as outcomes), only their output was shed.
    CHECK(journal.CountActedRunsSince("service-down", "review-bot", UnixNow() - 3600) >= 0);
    const auto steps = journal.Steps(1);
    REQUIRE_FALSE(steps.empty());
    CHECK(steps[0].output.find("shed") != std::string::npos);
  }
}

TEST_CASE("full of unfinished work: firing alerts are refused, resolves still cancel") {
  TempDir dir;
  JournalSettings settings = Settings(dir);
  settings.max_bytes = 1 << 20;
  settings.max_alert_bytes = 64 << 10;
  int accepted = 0;
  {
    Journal journal(settings);
    std::vector<Alert> fired;
    bool refused = false;
    for (int i = 0; i < 400 && !refused; ++i) {
      Alert alert = MakeAlert("big" + std::to_string(i));
      alert.annotations["description"] = std::string(32 << 10, 'd');
      try {
        journal.RecordNotification(MakeNotification({alert}), Plan(1), "peer", 100000);
        fired.push_back(alert);
        ++accepted;
      } catch (const JournalFullError& error) {
        refused = true;
        CHECK(std::string(error.what()).find("unfinished jobs") != std::string::npos);
      }
    }
    REQUIRE(refused);
    CHECK(journal.Usage().full);
    // A resolve of every alert is accepted and cancels the queued jobs.
    std::vector<Alert> resolved;
    for (Alert alert : fired) {
      alert.status = "resolved";
      alert.annotations.clear();
      resolved.push_back(alert);
    }
    const auto result = journal.RecordNotification(
        MakeNotification(resolved), std::vector<std::vector<PlannedJob>>(resolved.size()), "peer",
        100000);
    CHECK(static_cast<int>(result.cancelled_remediations.size()) == accepted);
  }
  // Reopened: the size is known before any intake.
  Journal reopened(settings);
  CHECK(reopened.Usage().used_bytes > 0);
}
