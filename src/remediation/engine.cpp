#include "medic/remediation/engine.h"

#include "medic/human_format.h"
#include "medic/remediation/healing_state.h"
#include "medic/remediation/notice.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace medic::remediation {
namespace {

// Idle workers wait for a wake-up; these bound the wait when none comes.
constexpr std::chrono::seconds kIdleRecheck{30};
constexpr std::chrono::seconds kClaimRetry{1};
// A step's output is journaled up to this many bytes.
constexpr std::size_t kMaxStepOutput = std::size_t{16} * 1024;

// "exec: exit 1 / stderr line": a failing step's output on one line, for headlines and notices
// (an exec step's output starts with its exit status, then the program's own lines).
std::string FailureSummary(const std::string& kind, const std::string& output) {
  std::string line = kind + ":";
  bool gap = true;
  for (const char c : output.substr(0, 300)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      if (!gap && (c == '\n' || c == '\r')) line += " /";
      gap = true;
      continue;
    }
    if (gap && line.back() != ' ') line += ' ';
    gap = false;
    line += c;
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == '/')) line.pop_back();
  return line;
}

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
  for (const Circuit& circuit : journal_.OpenCircuits()) {
    metrics_.SetCircuitOpen(circuit.remediation, circuit.target, true);
  }
  RefreshQueueDepth();
  RefreshUnhealed();
  const std::size_t workers = std::max<std::size_t>(config_.workers, 1);
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
  notices_ = std::thread([this] { NoticeLoop(); });
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
  notices_wake_.notify_all();  // stopping_ is set: the loop's predicate sees it
  if (notices_.joinable()) notices_.join();
}

IntakeResult RemediationEngine::Accept(const Notification& notification, const std::string& peer,
                                       const ReplicaFolding& folding) {
  std::vector<std::vector<PlannedJob>> plans;
  plans.reserve(notification.alerts.size());
  for (const auto& alert : notification.alerts) plans.push_back(router_.Plan(alert));
  IntakeResult result;
  try {
    result = journal_.RecordNotification(notification, plans, peer, queue_capacity_, folding);
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
        if (job.notice_added) WakeNotices();
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
  if (std::any_of(notification.alerts.begin(), notification.alerts.end(),
                  [](const Alert& alert) { return alert.status == "resolved"; })) {
    // A resolve may end an unhealed incident; the notice thread re-reads them, not this
    // request.
    {
      std::lock_guard lock(mutex_);
      unhealed_stale_ = true;
    }
    WakeNotices();
  }
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

void RemediationEngine::RefreshUnhealed() {
  std::set<std::pair<std::string, std::string>> unhealed;
  try {
    for (const auto& incident : journal_.UnhealedIncidents()) {
      unhealed.emplace(incident.remediation, incident.target);
    }
  } catch (const std::exception& error) {
    spdlog::warn("cannot read which incidents are unhealed: {}", error.what());
    return;
  }
  std::lock_guard lock(mutex_);
  for (const auto& pair : unhealed_) {
    if (unhealed.count(pair) == 0) metrics_.SetUnhealed(pair.first, pair.second, false);
  }
  for (const auto& pair : unhealed) metrics_.SetUnhealed(pair.first, pair.second, true);
  unhealed_ = std::move(unhealed);
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

std::size_t RemediationEngine::IdleWorkers() {
  std::lock_guard lock(mutex_);
  return idle_workers_;
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
        // A scheduled retry wakes its worker when it is due.
        auto wait = claim_failed ? std::chrono::duration<double>(kClaimRetry)
                                 : std::chrono::duration<double>(kIdleRecheck);
        if (!claim_failed) {
          try {
            if (const auto due = journal_.NextRetryDue()) {
              wait = std::clamp(std::chrono::duration<double>(*due - UnixNow() + 0.01),
                                std::chrono::duration<double>(0.01), wait);
            }
          } catch (const std::exception& error) {
            spdlog::warn("cannot read the next retry time: {}", error.what());
          }
        }
        ++idle_workers_;
        wake_.wait_for(lock, std::chrono::duration_cast<std::chrono::milliseconds>(wait));
        --idle_workers_;
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

bool RemediationEngine::SkipIfPolicySaysSo(const JobRecord& job,
                                           const RemediationSettings& remediation, double now) {
  // The circuit of (remediation, target): open after max_per_hour runs that acted, closed by
  // itself after circuit_reset_after or by POST /api/v1/circuits/reset.
  const double reset_after = std::chrono::duration<double>(remediation.circuit_reset_after).count();
  for (const Circuit& circuit : journal_.OpenCircuits()) {
    if (circuit.remediation != job.remediation || circuit.target != job.target) continue;
    if (now - circuit.opened_at >= reset_after) {
      Persist([&] { journal_.CloseCircuit(job.remediation, job.target); });
      metrics_.SetCircuitOpen(job.remediation, job.target, false);
      spdlog::info("circuit of {} on {} closed: open for {}", job.remediation, job.target,
                   FormatDuration(remediation.circuit_reset_after));
      break;
    }
    const double closes = circuit.opened_at + reset_after;
    Skip(job, JobResult::kSkippedCircuit,
         "auto-healing is off: " + job.remediation + " used its budget on " + job.target +
             " (max_per_hour " + std::to_string(remediation.max_per_hour) +
             "); the circuit opened at " + human::Time(circuit.opened_at) +
             " and closes by itself at " + human::Time(closes),
         closes);
    return true;
  }

  // Cooldown per (remediation, target), counted from the last run that succeeded: a failed run
  // healed nothing and must not keep the next outage waiting.
  const double cooldown = std::chrono::duration<double>(remediation.cooldown).count();
  if (const auto healed = journal_.LastSuccess(job.remediation, job.target);
      healed && now - *healed < cooldown) {
    const double ends = *healed + cooldown;
    Skip(job, JobResult::kSkippedCooldown,
         job.remediation + " last ran successfully on " + job.target + " at " +
             human::Time(*healed) + "; its cooldown of " + FormatDuration(remediation.cooldown) +
             " ends at " + human::Time(ends) + " (in " + human::Span(ends - now) + ")",
         ends);
    return true;
  }

  // The budget per (remediation, target): max_per_hour runs that acted (since the circuit last
  // closed), then the circuit opens and a human hears "giving up" once per opening.
  const int runs = journal_.CountActedRunsSince(job.remediation, job.target, now - 3600, job.id);
  if (remediation.max_per_hour > 0 && runs >= remediation.max_per_hour) {
    bool opened = false;
    Persist([&] { opened = journal_.OpenCircuit(job.remediation, job.target, now); });
    metrics_.SetCircuitOpen(job.remediation, job.target, true);
    const double closes = now + reset_after;
    const std::string budget = std::to_string(runs) + " runs of " + job.remediation + " on " +
                               job.target + " in the last hour (max_per_hour " +
                               std::to_string(remediation.max_per_hour) + ")";
    if (opened) {
      spdlog::error("giving up on {}: {}", job.target, budget);
      AddNotice(job, "circuit_open",
                "ran " + std::to_string(runs) + " times in the last hour (max_per_hour " +
                    std::to_string(remediation.max_per_hour) + "); auto-healing is off until " +
                    human::Time(closes),
                "circuit|" + std::to_string(static_cast<long long>(now)));
    }
    Skip(job, JobResult::kSkippedCircuit,
         "auto-healing is off: " + budget + "; the circuit closes by itself at " +
             human::Time(closes),
         closes);
    return true;
  }
  return false;
}

bool RemediationEngine::WaitIfEngineUnreachable(const JobRecord& job,
                                                const RemediationSettings& remediation,
                                                double now) {
  const bool needs_engine =
      std::any_of(remediation.steps.begin(), remediation.steps.end(),
                  [](const StepSettings& step) { return StepNeedsEngine(step.kind); });
  if (!needs_engine) return false;
  const std::optional<std::string> error = runner_.EngineUnreachable();
  if (!error) return false;
  // An engine that does not answer is not an attempt at healing: nothing was done to the
  // target. The job waits for the engine (checked often, it is cheap) for as long as a circuit
  // would stay open, and runs as its first attempt once the engine answers.
  const double wait_limit = std::chrono::duration<double>(remediation.circuit_reset_after).count();
  const std::string cannot =
      "cannot reach the Docker engine: " + *error + ". Nothing was done to " + job.target;
  if (now - job.created_at >= wait_limit) {
    const std::string detail = cannot + "; the engine has not answered since " +
                               human::Time(job.created_at) + ", medic stopped waiting";
    Persist([&] { journal_.FinishJob(job.id, JobState::kFailed, JobResult::kGaveUp, detail); });
    metrics_.CountRemediation(job.remediation, "gave_up");
    spdlog::error("remediation {} on {} gave up: {}", job.remediation, job.target, detail);
    AddNotice(job, "engine_gave_up", detail, job.idempotency_key);
    RefreshUnhealed();
    return true;
  }
  const double recheck = std::clamp(job.retry_backoff_seconds, 1.0, 10.0);
  const std::string detail =
      cannot + " yet. medic checks the engine every " + human::Span(recheck) + " and runs " +
      job.remediation + " as soon as it answers, while the alert fires (until " +
      human::Time(job.created_at + wait_limit) + "); this does not use up an attempt";
  Persist([&] { journal_.Postpone(job.id, now + recheck, JobResult::kFailed, detail); });
  if (job.result != JobResultName(JobResult::kFailed)) {
    metrics_.CountRemediation(job.remediation, "failed");
    spdlog::warn("remediation {} on {}: {}", job.remediation, job.target, detail);
  }
  AddNotice(job, "engine_unreachable", detail, job.idempotency_key);
  RefreshQueueDepth();
  RefreshUnhealed();
  return true;
}

void RemediationEngine::Skip(const JobRecord& job, JobResult result, const std::string& detail,
                             double retry_at) {
  // The incident waits (the same job, queued until then): a skip uses up none of its attempts,
  // and a resolved alert cancels it.
  const std::string told =
      detail + "; medic runs it then if the alert still fires and the hour's budget allows";
  Persist([&] { journal_.Postpone(job.id, retry_at, result, told); });
  if (job.result != JobResultName(result)) {
    metrics_.CountRemediation(job.remediation, std::string(JobResultName(result)));
    spdlog::info("remediation {} on {} not run ({}): {}", job.remediation, job.target,
                 JobResultName(result), detail);
  }
  AddNotice(job, std::string(JobResultName(result)), told, job.idempotency_key);
  RefreshQueueDepth();
  RefreshUnhealed();
}

void RemediationEngine::AddNotice(const JobRecord& job, const std::string& kind,
                                  const std::string& detail, const std::string& incident_key) {
  NoticeRecord notice;
  notice.remediation = job.remediation;
  notice.target = job.target;
  notice.incident_key = incident_key;
  notice.kind = kind;
  notice.alertname = job.alertname;
  notice.detail = detail;
  bool added = false;
  Persist([&] { added = journal_.AddNotice(notice); });
  if (added) WakeNotices();
}

void RemediationEngine::RunJob(JobRecord job) {
  const RemediationSettings* remediation = FindRemediation(job.remediation);
  if (remediation == nullptr) {
    Persist([&] {
      journal_.FinishJob(job.id, JobState::kFailed, JobResult::kFailed,
                         "remediation " + job.remediation + " is no longer configured");
    });
    metrics_.CountRemediation(job.remediation, "failed");
    return;
  }
  const double now = UnixNow();
  const bool dry_run = job.dry_run || config_.dry_run || remediation->dry_run;
  if (!dry_run && job.next_step == 0 &&
      (SkipIfPolicySaysSo(job, *remediation, now) ||
       WaitIfEngineUnreachable(job, *remediation, now))) {
    return;
  }

  spdlog::info("remediation {} on {} for {} (job {}, attempt {} of {}){}", job.remediation,
               job.target, job.alertname, job.id, job.attempt, job.max_attempts,
               dry_run ? " [dry run]" : "");
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
    if (step.state == "failed") {
      context.failed = true;
      context.failure = FailureSummary(step.kind, step.output);
    }
    if (step.kind == "escalate" && step.state == "succeeded") context.failed = false;
    if (!step.artifact.empty()) context.bundle_path = step.artifact;
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
    if (index == job.next_step && job.attempts > 1 && step.kind == StepSettings::Kind::kRestart) {
      // Resumed after a crash: did the restart it was in reach the engine?
      context.interrupted_at = journal_.InterruptedStepStart(job.id, index);
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
      context.failure = FailureSummary(kind, outcome.output);
    }
    if (step.kind == StepSettings::Kind::kNotify && outcome.state != StepState::kSkipped) {
      const bool delivered = outcome.state == StepState::kSucceeded;
      metrics_.CountNotice("report", delivered);
      if (!delivered) {
        spdlog::error("the report of remediation {} on {} reached nobody: {}", job.remediation,
                      job.target, outcome.output);
      }
    }
    context.step_outcomes.emplace_back(kind, StepStateName(outcome.state));
    if (outcome.output.size() > kMaxStepOutput) outcome.output.resize(kMaxStepOutput);
    Persist([&] {
      journal_.RecordStepEnd(job.id, index, StepStateName(outcome.state), outcome.output,
                             outcome.artifact);
    });
    spdlog::info("  step {} {}: {}", index, kind, StepStateName(outcome.state));
  }
  FinishRun(job, *remediation, context);
}

void RemediationEngine::FinishRun(const JobRecord& job, const RemediationSettings& remediation,
                                  const JobContext& context) {
  const double finished = UnixNow();
  if (context.dry_run) {
    Persist([&] { journal_.FinishJob(job.id, JobState::kDryRun, JobResult::kDryRun, ""); });
    metrics_.CountRemediation(job.remediation, "dry_run");
    metrics_.ObserveDuration(job.remediation, finished - job.started_at);
    return;
  }
  metrics_.ObserveDuration(job.remediation, finished - job.started_at);
  metrics_.SetLastRun(job.remediation, job.target, finished);
  if (!context.failed) {
    // What it waited for before it ran stays in the history.
    std::string detail;
    if (job.result == JobResultName(JobResult::kFailed)) {
      detail = "ran once the Docker engine answered (it had waited since " +
               human::Time(job.created_at) + ")";
    } else if (job.result == JobResultName(JobResult::kSkippedCooldown)) {
      detail = "ran when its cooldown ended";
    } else if (job.result == JobResultName(JobResult::kSkippedCircuit)) {
      detail = "ran once its circuit closed";
    }
    if (job.attempt > 1) {
      detail = "healed on attempt " + std::to_string(job.attempt) +
               (detail.empty() ? "" : "; " + detail);
    }
    Persist([&] { journal_.FinishJob(job.id, JobState::kSucceeded, JobResult::kSuccess, detail); });
    metrics_.CountRemediation(job.remediation, "success");
    RefreshUnhealed();
    return;
  }
  // A failed run does not consume the incident: the next attempt is scheduled with backoff
  // (doubling) while attempts remain, and a human hears of it once; after the last, once more.
  const bool has_notify = std::any_of(
      remediation.steps.begin(), remediation.steps.end(),
      [](const StepSettings& step) { return step.kind == StepSettings::Kind::kNotify; });
  if (job.attempt < job.max_attempts) {
    const double backoff = RetryDelaySeconds(job.retry_backoff_seconds, job.attempt);
    const double retry_at = finished + backoff;
    const std::string detail = "attempt " + std::to_string(job.attempt) + " of " +
                               std::to_string(job.max_attempts) + " failed at " + context.failure +
                               "; medic tries again at " + human::Time(retry_at) + " (in " +
                               human::Span(backoff) + ")";
    Persist([&] { journal_.FinishJob(job.id, JobState::kFailed, JobResult::kFailed, detail); });
    Persist([&] { journal_.ScheduleRetry(job, retry_at); });
    metrics_.CountRemediation(job.remediation, "failed");
    spdlog::warn("remediation {} on {}: {}", job.remediation, job.target, detail);
    // The chain's own notify step already told the person about the first failure.
    if (!has_notify) AddNotice(job, "failed", detail, job.idempotency_key);
    RefreshQueueDepth();
    RefreshUnhealed();
    return;
  }
  const std::string detail = "all " + std::to_string(job.max_attempts) +
                             " attempt(s) failed; the last at " + context.failure;
  Persist([&] { journal_.FinishJob(job.id, JobState::kFailed, JobResult::kGaveUp, detail); });
  metrics_.CountRemediation(job.remediation, "gave_up");
  spdlog::error("remediation {} on {} gave up: {}", job.remediation, job.target, detail);
  if (!has_notify) AddNotice(job, "gave_up", detail, job.idempotency_key);
  RefreshUnhealed();
}

std::vector<Circuit> RemediationEngine::ResetCircuits(const std::string& target) {
  std::vector<Circuit> closed = journal_.CloseCircuits(target);
  for (const Circuit& circuit : closed) {
    metrics_.SetCircuitOpen(circuit.remediation, circuit.target, false);
    spdlog::info("circuit of {} on {} reset by request", circuit.remediation, circuit.target);
  }
  if (!closed.empty()) {
    // Incidents that waited for these circuits are due now.
    { std::lock_guard lock(mutex_); }
    wake_.notify_all();
  }
  return closed;
}

void RemediationEngine::WakeNotices() {
  {
    std::lock_guard lock(mutex_);
    notices_pending_ = true;
  }
  notices_wake_.notify_all();
}

void RemediationEngine::NoticeLoop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    notices_pending_ = false;
    const bool refresh_unhealed = std::exchange(unhealed_stale_, false);
    lock.unlock();
    if (refresh_unhealed) RefreshUnhealed();
    std::vector<NoticeRecord> pending;
    try {
      pending = journal_.UnsentNotices(50);
    } catch (const std::exception& error) {
      spdlog::warn("cannot read pending notices: {}", error.what());
    }
    for (const NoticeRecord& notice : pending) {
      const RemediationSettings* remediation = FindRemediation(notice.remediation);
      const NoticeDelivery delivery = runner_.SendNotice(remediation, notice);
      // `silent: true` chose to tell nobody: neither an error nor a failed message.
      const bool silent = delivery.no_notifier && remediation != nullptr && remediation->silent;
      if (silent) {
        spdlog::debug("notice {} about {} on {}: silent remediation, no notifier", notice.kind,
                      notice.remediation, notice.target);
      } else {
        metrics_.CountNotice(notice.kind, delivery.delivered);
      }
      if (!delivery.delivered && !silent) {
        spdlog::error("notice {} about {} on {} reached nobody: {}", notice.kind,
                      notice.remediation, notice.target, delivery.detail);
      }
      try {
        journal_.MarkNoticeSent(notice.id, delivery.detail);
      } catch (const std::exception& error) {
        metrics_.CountJournalWriteError();
        spdlog::warn("cannot journal a sent notice: {}", error.what());
        break;  // retried on the next round; a notice may then go out twice, never zero times
      }
    }
    lock.lock();
    if (pending.size() == 50) continue;
    notices_wake_.wait_for(lock, kIdleRecheck, [this] { return stopping_ || notices_pending_; });
  }
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
