#include "medic/remediation/replica_incident.h"

#include "medic/remediation/journal.h"

#include "support/test_support.h"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <thread>

using namespace medic::remediation;
using medic::Alert;
using medic::FleetSettings;
using medic::JournalSettings;
using medic::Notification;
using medic::test::TempDir;

namespace {

// One Prometheus replica's copy of ServiceDown on host-2: Alertmanager fingerprints it with
// the replica label, and startsAt is that replica's evaluation time.
Alert ReplicaAlert(const std::string& replica, const std::string& starts_at,
                   const std::string& status = "firing", const std::string& ends_at = "") {
  Alert alert;
  alert.status = status;
  alert.labels = {{"alertname", "ServiceDown"},
                  {"instance", "host-2:8000"},
                  {"job", "review-bot"},
                  {"replica", replica}};
  alert.starts_at = starts_at;
  alert.ends_at = ends_at;
  alert.fingerprint = "fp-" + replica;
  return alert;
}

Notification Deliver(std::vector<Alert> alerts) {
  Notification notification;
  notification.version.assign(1, '4');
  notification.status = alerts.front().status;
  notification.receiver = "medic";
  notification.alerts = std::move(alerts);
  return notification;
}

ReplicaFolding Folding() {
  FleetSettings fleet;
  fleet.host = "host-2";
  return ReplicaFolding::From(fleet);
}

struct Fixture {
  TempDir dir;
  std::unique_ptr<Journal> journal;

  Fixture() { Open(); }
  void Open() {
    journal.reset();  // a restart: the journal file is all that carries over
    JournalSettings settings;
    settings.path = dir.Join("journal.db");
    journal = std::make_unique<Journal>(settings);
  }
  // The outcome of the one (ServiceDown → service-down) job planned per alert.
  std::vector<IntakeOutcome> Intake(std::vector<Alert> alerts,
                                    const ReplicaFolding& folding = Folding()) {
    std::vector<std::vector<PlannedJob>> plans;
    for (const auto& alert : alerts) {
      plans.push_back(alert.status == "firing"
                          ? std::vector<PlannedJob>{PlannedJob{"service-down", "bot-2", false, ""}}
                          : std::vector<PlannedJob>{});
    }
    const auto result =
        journal->RecordNotification(Deliver(std::move(alerts)), plans, "test", 1000, folding);
    std::vector<IntakeOutcome> outcomes;
    for (const auto& job : result.jobs) outcomes.push_back(job.outcome);
    return outcomes;
  }
  // Runs the next queued job to success, as a worker would.
  void Heal() {
    const auto job = journal->ClaimNextJob({});
    REQUIRE(job);
    journal->FinishJob(job->id, JobState::kSucceeded, JobResult::kSuccess, "");
  }
  std::int64_t Jobs() {
    return journal->CountJobs("service-down", "queued") +
           journal->CountJobs("service-down", "succeeded");
  }
};

constexpr IntakeOutcome kQueued = IntakeOutcome::kQueued;
constexpr IntakeOutcome kDuplicate = IntakeOutcome::kDuplicate;

}  // namespace

TEST_CASE("replicas share a group key: labels without the replica labels") {
  const auto ignore = Folding().ignore_labels;
  const auto a = ReplicaAlert("a", "2026-11-29T03:00:00Z");
  const auto b = ReplicaAlert("b", "2026-11-29T03:00:07Z");
  CHECK(ReplicaGroupKey(a.labels, ignore) == ReplicaGroupKey(b.labels, ignore));
  CHECK(ReplicaGroupKey(a.labels, ignore).size() == 16);
  auto prometheus_replica = a.labels;
  prometheus_replica.erase("replica");
  prometheus_replica["prometheus_replica"] = "prom-1";
  CHECK(ReplicaGroupKey(prometheus_replica, ignore) == ReplicaGroupKey(a.labels, ignore));
  auto other_host = a.labels;
  other_host["instance"] = "host-3:8000";
  CHECK(ReplicaGroupKey(other_host, ignore) != ReplicaGroupKey(a.labels, ignore));
  CHECK(ReplicaGroupKey(a.labels, {}) != ReplicaGroupKey(b.labels, {}));
  // Names and values cannot run into each other.
  CHECK(ReplicaGroupKey({{"ab", "c"}}, {}) != ReplicaGroupKey({{"a", "bc"}}, {}));
  CHECK(AlertTimeSeconds("2026-11-29T03:00:07.5Z").value() -
            AlertTimeSeconds("2026-11-29T03:00:00Z").value() ==
        doctest::Approx(7.5));
  CHECK_FALSE(AlertTimeSeconds("yesterday"));
}

TEST_CASE("two replicas' copies of one incident make one job, delivered apart or together") {
  Fixture f;
  CHECK(f.Intake({ReplicaAlert("a", "2026-11-29T03:00:00Z")}) ==
        std::vector<IntakeOutcome>{kQueued});
  CHECK(f.Intake({ReplicaAlert("b", "2026-11-29T03:00:07.25Z")}) ==
        std::vector<IntakeOutcome>{kDuplicate});
  // The second Alertmanager of the cluster delivers the group again, both copies at once.
  CHECK(f.Intake({ReplicaAlert("a", "2026-11-29T03:00:00Z"),
                  ReplicaAlert("b", "2026-11-29T03:00:07.25Z")}) ==
        std::vector<IntakeOutcome>{kDuplicate, kDuplicate});
  CHECK(f.Jobs() == 1);

  Fixture together;
  CHECK(together.Intake({ReplicaAlert("b", "2026-11-29T03:00:07Z"),
                         ReplicaAlert("a", "2026-11-29T03:00:00Z")}) ==
        std::vector<IntakeOutcome>{kQueued, kDuplicate});
  CHECK(together.Jobs() == 1);
}

TEST_CASE("folding survives a restart: the journal knows the incident") {
  Fixture f;
  CHECK(f.Intake({ReplicaAlert("a", "2026-11-29T03:00:00Z")}) ==
        std::vector<IntakeOutcome>{kQueued});
  f.Heal();
  f.Open();
  CHECK(f.Intake({ReplicaAlert("b", "2026-11-29T03:00:05Z")}) ==
        std::vector<IntakeOutcome>{kDuplicate});
  CHECK(f.Jobs() == 1);
}

TEST_CASE("one replica resolves while the other still fires: still one run") {
  Fixture f;
  CHECK(f.Intake({ReplicaAlert("a", "2026-11-29T03:00:00Z"),
                  ReplicaAlert("b", "2026-11-29T03:00:06Z")}) ==
        std::vector<IntakeOutcome>{kQueued, kDuplicate});
  f.Heal();
  CHECK(f.Intake({ReplicaAlert("a", "2026-11-29T03:00:00Z", "resolved", "2026-11-29T03:01:30Z"),
                  ReplicaAlert("b", "2026-11-29T03:00:06Z")}) ==
        std::vector<IntakeOutcome>{kDuplicate});
  CHECK(f.Intake({ReplicaAlert("b", "2026-11-29T03:00:06Z")}) ==
        std::vector<IntakeOutcome>{kDuplicate});
  CHECK(f.Jobs() == 1);
}

TEST_CASE("an outage that starts after the incident resolved is a new incident") {
  Fixture f;
  CHECK(f.Intake({ReplicaAlert("a", "2026-11-29T03:00:00Z")}) ==
        std::vector<IntakeOutcome>{kQueued});
  f.Heal();
  f.Intake({ReplicaAlert("a", "2026-11-29T03:00:00Z", "resolved", "2026-11-29T03:00:40Z")});
  // Within replica_window of the first startsAt, but after the resolve: the bot went down again.
  CHECK(f.Intake({ReplicaAlert("b", "2026-11-29T03:01:10Z")}) ==
        std::vector<IntakeOutcome>{kQueued});
  CHECK(f.Intake({ReplicaAlert("a", "2026-11-29T03:01:12Z")}) ==
        std::vector<IntakeOutcome>{kDuplicate});
  CHECK(f.Jobs() == 2);
}

TEST_CASE("not folded: the same series firing anew, startsAt beyond the window, folding off") {
  Fixture same_series;
  CHECK(same_series.Intake({ReplicaAlert("a", "2026-11-29T03:00:00Z")}) ==
        std::vector<IntakeOutcome>{kQueued});
  same_series.Heal();
  // Alertmanager's next incident of the same alert (no resolve reached medic): a new startsAt.
  CHECK(same_series.Intake({ReplicaAlert("a", "2026-11-29T03:00:50Z")}) ==
        std::vector<IntakeOutcome>{kQueued});

  Fixture far;
  far.Intake({ReplicaAlert("a", "2026-11-29T03:00:00Z")});
  CHECK(far.Intake({ReplicaAlert("b", "2026-11-29T03:02:01Z")}) ==
        std::vector<IntakeOutcome>{kQueued});

  Fixture off;
  off.Intake({ReplicaAlert("a", "2026-11-29T03:00:00Z")}, ReplicaFolding{});
  CHECK(off.Intake({ReplicaAlert("b", "2026-11-29T03:00:07Z")}, ReplicaFolding{}) ==
        std::vector<IntakeOutcome>{kQueued});
}

TEST_CASE(
    "an HA pair's second copy while the run is in progress tells nobody; a later re-send does") {
  Fixture f;
  const std::vector<PlannedJob> plan{PlannedJob{"service-down", "bot-2", false, ""}};
  ReplicaFolding folding = Folding();
  folding.window_seconds = 1;  // a short window, so the test can outwait it
  auto deliver = [&](const Alert& alert) {
    return f.journal->RecordNotification(Deliver({alert}), {plan}, "test", 1000, folding)
        .jobs.at(0);
  };
  CHECK(deliver(ReplicaAlert("a", "2026-11-29T03:00:00Z")).outcome == kQueued);
  const auto running = f.journal->ClaimNextJob({});
  REQUIRE(running);
  // The other Prometheus replica's copy, and the other Alertmanager's delivery, at once.
  const auto replica = deliver(ReplicaAlert("b", "2026-11-29T03:00:00.5Z"));
  CHECK(replica.outcome == kDuplicate);
  CHECK_FALSE(replica.notice_added);
  const auto echo = deliver(ReplicaAlert("a", "2026-11-29T03:00:00Z"));
  CHECK(echo.outcome == kDuplicate);
  CHECK_FALSE(echo.notice_added);
  // Alertmanager re-sends the firing alert after the window while the run still goes on: that
  // is told, once.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const auto repeat = deliver(ReplicaAlert("a", "2026-11-29T03:00:00Z"));
  CHECK(repeat.outcome == kDuplicate);
  CHECK(repeat.notice_added);
  CHECK_FALSE(deliver(ReplicaAlert("a", "2026-11-29T03:00:00Z")).notice_added);
}
