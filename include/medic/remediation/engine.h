#pragma once

#include "medic/alert/alert.h"
#include "medic/config.h"
#include "medic/remediation/journal.h"
#include "medic/remediation/remediation_metrics.h"
#include "medic/remediation/router.h"
#include "medic/remediation/step_runner.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace medic::remediation {

// Turns journaled alerts into remediation runs. Accept() only journals (the webhook handler
// calls it and answers once it returns); a bounded pool of workers claims due jobs from the
// journal, applies the safety rules and runs the steps, journaling each. Safety, per
// (remediation, target): a circuit after max_per_hour runs that acted (closed after
// circuit_reset_after or by ResetCircuits), a cooldown counted from the last run that
// succeeded, one job per target at a time, dry run. Healing comes first: a failed attempt
// schedules the incident's next one (retry_backoff, doubling, up to max_attempts). Whatever
// was skipped, failed or given up reaches a human once per incident, through journaled notices
// a notice thread sends. The queue lives in the journal, so a crash loses nothing and Start()
// resumes unfinished work exactly once.
class RemediationEngine {
 public:
  RemediationEngine(const Config& config, Journal& journal, RemediationMetrics& metrics,
                    StepRunner& runner);
  ~RemediationEngine();
  RemediationEngine(const RemediationEngine&) = delete;
  RemediationEngine& operator=(const RemediationEngine&) = delete;

  // Recovers unfinished jobs, then starts the workers and the retention cleanup.
  void Start();
  // Stops taking jobs and waits for running ones to finish.
  void Stop();

  // Journals the notification and its planned jobs (durable on return) and wakes the
  // workers. Throws QueueFullError or SqliteError; nothing runs in the caller's thread.
  // `folding`: how replicas' copies of one incident are told apart (fleet:, reloadable).
  IntakeResult Accept(const Notification& notification, const std::string& peer,
                      const ReplicaFolding& folding = {});

  std::size_t QueueCapacity() const { return queue_capacity_; }
  // Workers waiting for a wake-up with nothing to claim.
  std::size_t IdleWorkers();
  // The targets allowlist: the only names a remediation (and a circuit) can have.
  const std::vector<std::string>& Targets() const { return config_.targets; }
  // Closes every open circuit of `target` (POST /api/v1/circuits/reset); returns them.
  std::vector<Circuit> ResetCircuits(const std::string& target);

 private:
  void WorkerLoop();
  void MaintenanceLoop();
  void NoticeLoop();
  void WakeNotices();
  void RunJob(JobRecord job);
  // Cooldown, circuit and budget: finishes the job as skipped (and tells a human once per
  // incident) when one of them says no; false when the job may run.
  bool SkipIfPolicySaysSo(const JobRecord& job, const RemediationSettings& remediation, double now);
  // The job waits until `retry_at` (cooldown end, circuit close) and a human hears once why.
  void Skip(const JobRecord& job, JobResult result, const std::string& detail, double retry_at);
  // A remediation with engine steps whose engine does not answer: the job waits for it (a
  // human hears once) and gives up after circuit_reset_after; false when the engine answers.
  bool WaitIfEngineUnreachable(const JobRecord& job, const RemediationSettings& remediation,
                               double now);
  void FinishRun(const JobRecord& job, const RemediationSettings& remediation,
                 const JobContext& context);
  void AddNotice(const JobRecord& job, const std::string& kind, const std::string& detail,
                 const std::string& incident_key);
  const RemediationSettings* FindRemediation(const std::string& name) const;
  bool Stopping();
  // Runs a journal write, retrying each second while it fails (disk full) until it succeeds
  // or medic stops; rethrows then.
  void Persist(const std::function<void()>& write);
  void RefreshQueueDepth();
  // medic_remediation_unhealed from the journal (it survives restarts).
  void RefreshUnhealed();

  Config config_;
  Journal& journal_;
  RemediationMetrics& metrics_;
  StepRunner& runner_;
  Router router_;
  std::size_t queue_capacity_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::set<std::string> busy_targets_;
  std::set<std::pair<std::string, std::string>> unhealed_;  // (remediation, target) set to 1
  std::size_t idle_workers_ = 0;
  bool stopping_ = false;
  bool started_ = false;
  std::vector<std::thread> workers_;
  std::thread maintenance_;
  std::condition_variable notices_wake_;
  bool notices_pending_ = false;  // guarded by mutex_
  bool unhealed_stale_ = false;   // guarded by mutex_: a resolve came; the notice thread re-reads
  std::thread notices_;           // sends journaled notices to the remediation's notifiers
};

}  // namespace medic::remediation
