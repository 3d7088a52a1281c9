#include "medic/remediation/engine.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace medic::remediation {
namespace {

// Idle workers wait for a wake-up; these bound the wait when none comes.
constexpr std::chrono::seconds kIdleRecheck{30};
constexpr std::chrono::seconds kClaimRetry{1};

}  // namespace

RemediationEngine::RemediationEngine(const Config& config, Journal& journal,
                                     RemediationMetrics& metrics, StepRunner& runner)
    : config_(config),
      journal_(journal),
      metrics_(metrics),
      runner_(runner),
      router_(config_.remediations, config_.targets, config_.dry_run),
      queue_capacity_(std::max<std::size_t>(config.queue_size, 1)) {}

RemediationEngine::~RemediationEngine() { Stop(); }

void RemediationEngine::Start() {
  {
    std::lock_guard lock(mutex_);
    if (started_) return;
    started_ = true;
  }
  const RecoveryReport report = journal_.RecoverUnfinished(StepIsRepeatable);
  if (report.requeued > 0 || report.interrupted > 0) {
    spdlog::warn("journal recovery: {} unfinished job(s) resumed, {} marked interrupted",
                 report.requeued, report.interrupted);
  }
  for (const auto& target : journal_.OpenCircuits()) metrics_.SetCircuitOpen(target, true);
  RefreshQueueDepth();
  const std::size_t workers = std::max<std::size_t>(config_.workers, 1);
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
}

void RemediationEngine::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  runner_.RequestStop();
  wake_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
  if (maintenance_.joinable()) maintenance_.join();
}

IntakeResult RemediationEngine::Accept(const webhook::Notification& notification,
                                       const std::string& peer) {
  std::vector<std::vector<PlannedJob>> plans;
  plans.reserve(notification.alerts.size());
  for (const auto& alert : notification.alerts) plans.push_back(router_.Plan(alert));
  IntakeResult result;
  try {
    result = journal_.RecordNotification(notification, plans, peer, queue_capacity_);
  } catch (const QueueFullError&) {
    throw;
  } catch (...) {
    metrics_.CountJournalWriteError();
    throw;
  }
  for (const auto& alert : notification.alerts)
    metrics_.CountAlert(alert.AlertName(), alert.status);
  if (notification.truncated_alerts > 0)
    metrics_.CountTruncatedAlerts(notification.truncated_alerts);
  bool queued = false;
  for (const auto& job : result.jobs) {
    switch (job.outcome) {
      case IntakeOutcome::kQueued:
        queued = true;
        break;
      case IntakeOutcome::kDuplicate:
        metrics_.CountRemediation(job.remediation, "skipped_duplicate");
        break;
      case IntakeOutcome::kRefused:
        metrics_.CountRemediation(job.remediation, "refused");
        spdlog::warn("remediation {} refused for target \"{}\": not in the targets allowlist",
                     job.remediation, job.target);
        break;
    }
  }
  for (const auto& remediation : result.cancelled_remediations) {
    metrics_.CountRemediation(remediation, "cancelled");
  }
  if (queued || !result.cancelled_remediations.empty()) RefreshQueueDepth();
  if (queued) {
    // A worker claims under mutex_ and then waits on wake_ holding it: taking the lock here
    // means it has either not looked yet (and will see the job) or is already waiting.
    { std::lock_guard lock(mutex_); }
    wake_.notify_all();
  }
  return result;
}

void RemediationEngine::RefreshQueueDepth() {
  try {
    metrics_.SetQueueDepth(journal_.QueuedJobs());
  } catch (const std::exception& error) {
    spdlog::warn("cannot read the queue depth: {}", error.what());
  }
}

void RemediationEngine::Persist(const std::function<void()>& write) {
  for (bool first = true;; first = false) {
    try {
      write();
      return;
    } catch (const std::exception& error) {
      metrics_.CountJournalWriteError();
      // A job's progress must reach the journal before it goes on: giving up would leave it
      // "running" until a restart, and skipping the write could repeat a step after one.
      if (first) {
        spdlog::error("cannot journal remediation progress: {}; retrying every second",
                      error.what());
      }
      std::unique_lock lock(mutex_);
      if (stopping_) throw;
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  }
}

bool RemediationEngine::Stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

const RemediationSettings* RemediationEngine::FindRemediation(const std::string& name) const {
  for (const auto& remediation : config_.remediations) {
    if (remediation.name == name) return &remediation;
  }
  return nullptr;
}

void RemediationEngine::WorkerLoop() {
  while (true) {
    std::optional<JobRecord> job;
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      // Claim under the lock so two workers never take jobs for the same target.
      bool claim_failed = false;
      try {
        job = journal_.ClaimNextJob(busy_targets_);
      } catch (const std::exception& error) {
        metrics_.CountJournalWriteError();
        spdlog::error("cannot claim a job from the journal: {}", error.what());
        claim_failed = true;
      }
      if (!job) {
        // Woken by Accept, by finished jobs and by Stop; the timeout is only a safety net, and
        // a journal that failed is retried soon. Polling every second was 2 SQLite write
        // transactions a second: a quarter of medic's idle CPU with every collector on.
        wake_.wait_for(lock, claim_failed ? kClaimRetry : kIdleRecheck);
        continue;
      }
      busy_targets_.insert(job->target);
    }
    RefreshQueueDepth();
    const std::string target = job->target;
    try {
      RunJob(std::move(*job));
    } catch (const std::exception& error) {
      metrics_.CountJournalWriteError();
      spdlog::error("remediation job failed to journal: {}", error.what());
    }
    {
      std::lock_guard lock(mutex_);
      busy_targets_.erase(target);
    }
    wake_.notify_all();
  }
}

void RemediationEngine::RunJob(JobRecord job) {
  const RemediationSettings* remediation = FindRemediation(job.remediation);
  if (remediation == nullptr) {
    Persist([&] {
      journal_.FinishJob(job.id, "failed", "failed",
                         "remediation " + job.remediation + " is no longer configured");
    });
    metrics_.CountRemediation(job.remediation, "failed");
    return;
  }
  const double now = UnixNow();
  const bool dry_run = job.dry_run || config_.dry_run || remediation->dry_run;

  if (!dry_run) {
    // Cooldown per (remediation, target).
    const auto last = journal_.LastRunStart(job.remediation, job.target);
    const double cooldown = std::chrono::duration<double>(remediation->cooldown).count();
    if (last && now - *last < cooldown) {
      Persist([&] {
        journal_.FinishJob(job.id, "skipped", "skipped_cooldown",
                           "within cooldown " + FormatDuration(remediation->cooldown) +
                               " of the run at " + std::to_string(*last));
      });
      metrics_.CountRemediation(job.remediation, "skipped_cooldown");
      spdlog::info("remediation {} on {} skipped: cooldown", job.remediation, job.target);
      return;
    }
    // At most max_per_hour runs per target, then give up once (circuit open).
    const int runs = journal_.CountRunsSince(job.target, now - 3600, job.id);
    if (remediation->max_per_hour > 0 && runs >= remediation->max_per_hour) {
      Persist([&] {
        journal_.FinishJob(job.id, "skipped", "skipped_circuit",
                           std::to_string(runs) + " runs on " + job.target +
                               " in the last hour (max_per_hour " +
                               std::to_string(remediation->max_per_hour) + ")");
      });
      metrics_.CountRemediation(job.remediation, "skipped_circuit");
      metrics_.SetCircuitOpen(job.target, true);
      bool newly_opened = false;
      Persist([&] { newly_opened = journal_.MarkCircuitOpen(job.target, now, now - 3600); });
      if (newly_opened) {
        spdlog::error("giving up on {}: {} remediations in the last hour", job.target, runs);
        runner_.NotifyGivingUp(*remediation, job.target, runs);
      }
      return;
    }
    if (journal_.OpenCircuits().count(job.target) > 0) {
      Persist([&] { journal_.CloseCircuit(job.target); });
    }
    metrics_.SetCircuitOpen(job.target, false);
  }

  spdlog::info("remediation {} on {} for {} (job {}){}", job.remediation, job.target, job.alertname,
               job.id, dry_run ? " [dry run]" : "");
  JobContext context;
  context.job = &job;
  context.remediation = remediation;
  context.alert = nlohmann::json::parse(job.alert_json, nullptr, false);
  if (context.alert.is_discarded()) context.alert = nlohmann::json::object();
  context.dry_run = dry_run;
  // Resuming after a restart: rebuild what the finished steps established.
  for (const auto& step : journal_.Steps(job.id)) {
    if (step.index >= job.next_step) continue;
    context.step_outcomes.emplace_back(step.kind, step.state);
    if (step.state == "failed") context.failed = true;
    if (step.kind == "escalate" && step.state == "succeeded") context.failed = false;
    if (step.kind == "diagnostics" && step.state == "succeeded") {
      const auto start = step.output.find("bundle ");
      const auto end = step.output.find('\n');
      if (start == 0) context.bundle_path = step.output.substr(7, end - 7);
    }
  }
  for (int index = 0; index < static_cast<int>(remediation->steps.size()); ++index) {
    const StepSettings& step = remediation->steps[static_cast<std::size_t>(index)];
    if (step.kind == StepSettings::Kind::kVerify) context.last_verify = &step;
    if (index < job.next_step) continue;
    const std::string kind = StepKindName(step.kind);
    if (Stopping()) {
      // Left "running" at this step: recovery requeues it and the job resumes here.
      spdlog::info("remediation job {} paused before step {} {}: medic is stopping", job.id, index,
                   kind);
      return;
    }
    Persist([&] { journal_.RecordStepStart(job.id, index, kind); });
    StepOutcome outcome = runner_.Run(step, context);
    if (outcome.state == StepState::kInterrupted) {
      Persist([&] { journal_.RecordStepInterrupted(job.id, index, outcome.output); });
      spdlog::warn(
          "remediation job {} interrupted by shutdown in step {} {}; it resumes there "
          "after the restart",
          job.id, index, kind);
      return;
    }
    if (outcome.state == StepState::kFailed && step.kind != StepSettings::Kind::kNotify) {
      context.failed = true;
    }
    context.step_outcomes.emplace_back(kind, StepStateName(outcome.state));
    if (outcome.output.size() > 16 * 1024) outcome.output.resize(16 * 1024);
    Persist([&] {
      journal_.RecordStepEnd(job.id, index, StepStateName(outcome.state), outcome.output);
    });
    spdlog::info("  step {} {}: {}", index, kind, StepStateName(outcome.state));
  }
  const std::string result = dry_run ? "dry_run" : (context.failed ? "failed" : "success");
  const std::string state = dry_run ? "dry_run" : (context.failed ? "failed" : "succeeded");
  Persist([&] { journal_.FinishJob(job.id, state, result, ""); });
  const double finished = UnixNow();
  metrics_.CountRemediation(job.remediation, result);
  metrics_.ObserveDuration(job.remediation, finished - job.started_at);
  if (!dry_run) metrics_.SetLastRun(job.remediation, job.target, finished);
}

void RemediationEngine::MaintenanceLoop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      journal_.Cleanup(UnixNow());
    } catch (const std::exception& error) {
      metrics_.CountJournalWriteError();
      spdlog::warn("journal retention cleanup failed: {}", error.what());
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::hours(1), [this] { return stopping_; });
  }
}

}  // namespace medic::remediation
