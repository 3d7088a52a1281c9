#pragma once

#include "medic/alert/alert.h"
#include "medic/config.h"
#include "medic/remediation/job_state.h"
#include "medic/remediation/replica_incident.h"
#include "medic/remediation/sqlite.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace medic::remediation {

// Thrown when the journal cannot be opened (corrupt file, integrity check failed, ...).
class JournalOpenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by RecordNotification when accepting would exceed the job queue bound.
class QueueFullError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by RecordNotification when the journal is at journal.max_bytes and only unfinished
// work (and the last day's finished runs, which budgets and cooldowns read) is left to shed.
class JournalFullError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The journal's size against its cap, for the metrics.
struct JournalUsage {
  std::uint64_t used_bytes = 0;  // pages in use (the file keeps freed pages for reuse)
  std::uint64_t max_bytes = 0;
  bool full = false;  // the last intake was refused for size
  std::uint64_t evicted_rows = 0;
};

// What the router decided for one (alert, remediation) pair, before it is journaled.
struct PlannedJob {
  std::string remediation;
  std::string target;
  bool dry_run = false;
  std::string refused_reason;  // non-empty: journaled as refused, never queued
  int max_attempts = 3;        // attempts per incident
  double retry_backoff_seconds = 30;
};

enum class IntakeOutcome { kQueued, kDuplicate, kRefused };

struct IntakeJob {
  std::string remediation;
  std::string target;
  IntakeOutcome outcome = IntakeOutcome::kQueued;
  std::int64_t job_id = 0;  // the new job, or for a duplicate the incident's latest attempt
  int attempt = 1;          // the incident's attempt this delivery maps to
  std::optional<JobState> existing_state;  // kDuplicate: where the latest attempt is
  bool notice_added = false;               // a once-per-incident notice was queued
};

struct IntakeResult {
  std::int64_t notification_id = 0;
  std::vector<IntakeJob> jobs;
  std::vector<std::string> cancelled_remediations;  // one entry per job cancelled by a resolve
};

struct JobRecord {
  std::int64_t id = 0;
  std::int64_t alert_id = 0;
  std::string remediation;
  std::string target;
  JobState state = JobState::kQueued;
  std::string result;  // the medic_remediations_total result label once finished
  std::string idempotency_key;
  std::string fingerprint;
  std::string alertname;
  std::string alert_json;
  std::string detail;
  int next_step = 0;  // index of the first step not yet finished
  int attempts = 0;   // times a worker took this job (a resume after a restart adds one)
  int attempt = 1;    // which attempt at its incident this job is
  int max_attempts = 1;
  double retry_backoff_seconds = 30;
  double not_before = 0;  // a scheduled retry waits until then (0: at once)
  bool dry_run = false;
  double created_at = 0;
  double started_at = 0;
  double finished_at = 0;
};

// An open circuit: (remediation, target) used its max_per_hour budget.
struct Circuit {
  std::string remediation;
  std::string target;
  double opened_at = 0;
};

// Something a human must hear about an incident (kind: failed, gave_up, skipped_cooldown,
// skipped_circuit, skipped_duplicate, circuit_open), once per incident and kind.
struct NoticeRecord {
  std::int64_t id = 0;
  std::string remediation;
  std::string target;
  std::string incident_key;
  std::string kind;
  std::string alertname;
  std::string detail;
  double created_at = 0;
  std::string outcome;
};

struct UnhealedIncident;  // healing_state.h

struct RecoveryReport {
  int requeued = 0;
  int interrupted = 0;
};

// The remediation journal: every received notification, alert, job and job step, in SQLite
// (WAL). Writes go through one writer thread that commits whatever is pending in a single
// transaction (group commit), so many concurrent webhook requests share one fsync while each
// caller still returns only after its own data is durable.
//
// Durability: journal_mode=WAL with synchronous=FULL fsyncs the WAL on every commit, so an
// answered 200 survives power loss as well as kill -9. NORMAL would only survive a process
// crash, and Alertmanager does not re-send an alert it got a 200 for; the group commit makes
// FULL affordable.
class Journal {
 public:
  // Called on the writer thread after each successful commit with the number of writes it
  // made durable (one fsync), e.g. to export the group commit's batching as metrics.
  using CommitObserver = std::function<void(std::size_t writes)>;

  explicit Journal(const JournalSettings& settings, CommitObserver on_commit = {});
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Journals a notification, its alerts and the jobs planned for each alert (plans[i] belongs
  // to notification.alerts[i]) in one transaction. A (remediation, idempotency key) pair that
  // already has a job becomes kDuplicate. Resolved alerts cancel queued jobs of the same
  // fingerprint. With `folding` on, an alert a Prometheus replica raised of an incident the
  // journal already has (replica_incident.h) joins that incident instead of starting one.
  // Throws QueueFullError (nothing written) if the queued jobs would exceed `queue_capacity`,
  // SqliteError if persisting failed.
  IntakeResult RecordNotification(const Notification& notification,
                                  const std::vector<std::vector<PlannedJob>>& plans,
                                  const std::string& peer, std::size_t queue_capacity,
                                  const ReplicaFolding& folding = {});

  // At start-up, before any worker runs: a job caught mid-step whose step is not safe to
  // repeat becomes "interrupted"; every other unfinished job is queued again at the step it
  // reached. Runs once per journal open (a second call does nothing).
  RecoveryReport RecoverUnfinished(const std::function<bool(const std::string& kind)>& repeatable);

  // Atomically moves the oldest queued job whose target is not busy to "running".
  std::optional<JobRecord> ClaimNextJob(const std::set<std::string>& busy_targets);
  std::optional<JobRecord> GetJob(std::int64_t job_id);

  void RecordStepStart(std::int64_t job_id, int step_index, const std::string& kind);
  // Records the step's end and advances the job's next step when it succeeded.
  void RecordStepEnd(std::int64_t job_id, int step_index, const std::string& state,
                     const std::string& output, const std::string& artifact = "");
  // A step cut short by shutdown: recorded as interrupted, the job left to resume at it.
  void RecordStepInterrupted(std::int64_t job_id, int step_index, const std::string& output);
  void FinishJob(std::int64_t job_id, JobState state, JobResult result, const std::string& detail);
  // Puts a claimed job that ran no step back in the queue until `not_before`, with why it
  // waits (`reason`, kept as its result until it runs): a skip for cooldown or circuit, or an
  // engine that did not answer, uses up none of the incident's attempts.
  void Postpone(std::int64_t job_id, double not_before, JobResult reason,
                const std::string& detail);
  // Queues the next attempt at `job`'s incident, due at `not_before` (unix seconds); returns its
  // id, or 0 when that attempt already exists.
  std::int64_t ScheduleRetry(const JobRecord& job, double not_before);
  // The earliest due time of a queued job, if any (workers sleep until then).
  std::optional<double> NextRetryDue();

  struct StepRecord {
    int index = 0;
    std::string kind;
    std::string state;
    std::string output;
    std::string artifact;  // e.g. the diagnostics bundle's path
  };
  // Finished steps of a job in order (for resuming a job and for its notification).
  std::vector<StepRecord> Steps(std::int64_t job_id);
  // When step `step_index` of the job last began, if a crash cut that run short (recovery
  // marked it interrupted): unix seconds.
  std::optional<double> InterruptedStepStart(std::int64_t job_id, int step_index);

  // Runs of (remediation, target) since `since` (unix seconds) that acted: a step other than
  // verify and notify succeeded. Dry runs, skips and runs that reached nothing do not count,
  // nor do runs before the last close of its circuit.
  int CountActedRunsSince(const std::string& remediation, const std::string& target, double since,
                          std::int64_t except_job = 0);
  // See ReadUnhealedIncidents (healing_state.h).
  std::vector<UnhealedIncident> UnhealedIncidents();
  // When (remediation, target) last finished a run that succeeded: the cooldown starts there.
  std::optional<double> LastSuccess(const std::string& remediation, const std::string& target);
  // Restarts (and recreations) medic made of `target` since `since`.
  int RestartsSince(const std::string& target, double since);
  // Opens the circuit of (remediation, target); false when it was open already.
  bool OpenCircuit(const std::string& remediation, const std::string& target, double now);
  // Closes the circuit and restarts the budget from now.
  void CloseCircuit(const std::string& remediation, const std::string& target);
  // Closes every circuit of `target` (POST /api/v1/circuits/reset), restarts their budgets and
  // makes the incidents that waited for them due now; returns what was open.
  std::vector<Circuit> CloseCircuits(const std::string& target);
  std::vector<Circuit> OpenCircuits();

  // Queues a notice unless one of its kind exists for the incident; true when queued.
  bool AddNotice(const NoticeRecord& notice);
  std::vector<NoticeRecord> UnsentNotices(std::size_t limit);
  void MarkNoticeSent(std::int64_t notice_id, const std::string& outcome);
  nlohmann::json Notices(std::size_t limit);

  std::size_t QueuedJobs();
  std::int64_t CountJobs(const std::string& remediation, const std::string& state);

  // Jobs (newest first) with their steps, for the history API and the landing page.
  nlohmann::json History(std::size_t limit, double since);

  // Deletes finished records older than the retention and beyond max_rows.
  void Cleanup(double now);
  JournalUsage Usage() const;

  const std::string& path() const { return path_; }

  // Writes whose callers are waiting for them to be durable (queued or in the open batch):
  // lets a caller (and a test) see that concurrent requests have reached the group commit.
  std::size_t WaitingWrites() const { return waiting_writes_.load(); }

 private:
  struct PendingWrite {
    std::function<void(SqliteDatabase&)> write;
    std::promise<void> done;
  };

  void Write(std::function<void(SqliteDatabase&)> write);
  template <typename Result>
  Result Read(const std::function<Result(SqliteDatabase&)>& read) {
    std::lock_guard lock(db_mutex_);
    return read(*db_);
  }
  void WriterLoop();
  void CreateSchema();
  // sqlite3_wal_hook: after each commit, with the number of frames in the WAL.
  static int OnWalCommit(void* self, sqlite3* db, const char* schema, int frames);
  void CheckpointLoop();

  // SQLite's own automatic checkpoint threshold (pages of 4 KiB).
  static constexpr int kBackgroundCheckpointFrames = 1000;
  // Bounds the WAL (about 32 MiB) when sustained writes outrun the background checkpoint.
  static constexpr int kInlineCheckpointFrames = 8000;

  // Inside an intake's transaction: sheds the oldest finished history until the pages in use
  // are under 90% of max_bytes; false when they stay at max_bytes or above.
  bool MakeRoom(SqliteDatabase& db, double now);

  std::string path_;
  JournalSettings settings_;
  std::atomic<std::uint64_t> used_bytes_ = 0;
  std::atomic<bool> full_ = false;
  std::atomic<std::uint64_t> evicted_rows_ = 0;
  std::mutex full_detail_mutex_;
  std::string full_detail_;  // what is left when full, guarded by full_detail_mutex_
  std::unique_ptr<SqliteDatabase> db_;
  std::mutex db_mutex_;  // guards db_; held by the writer for a whole batch
  bool recovered_ = false;
  CommitObserver on_commit_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<PendingWrite> pending_;
  std::atomic<std::size_t> waiting_writes_ = 0;
  bool stopping_ = false;
  std::thread writer_;

  std::unique_ptr<SqliteDatabase> checkpoint_db_;  // used only by the checkpointer thread
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpoint_stopping_ = false;
  int checkpoint_requested_at_ = 0;  // WAL frames at the last request; only the writer uses it
  std::thread checkpointer_;
};

double UnixNow();

}  // namespace medic::remediation
