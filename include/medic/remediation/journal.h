#pragma once

#include "medic/config.h"
#include "medic/remediation/sqlite.h"
#include "medic/webhook/payload.h"

#include <nlohmann/json.hpp>

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

// What the router decided for one (alert, remediation) pair, before it is journaled.
struct PlannedJob {
  std::string remediation;
  std::string target;
  bool dry_run = false;
  std::string refused_reason;  // non-empty: journaled as refused, never queued
};

enum class IntakeOutcome { kQueued, kDuplicate, kRefused };

struct IntakeJob {
  std::string remediation;
  std::string target;
  IntakeOutcome outcome = IntakeOutcome::kQueued;
  std::int64_t job_id = 0;
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
  std::string
      state;  // queued running succeeded failed skipped cancelled interrupted refused dry_run
  std::string result;  // the medic_remediations_total result label once finished
  std::string idempotency_key;
  std::string fingerprint;
  std::string alertname;
  std::string alert_json;
  std::string detail;
  int next_step = 0;  // index of the first step not yet finished
  int attempts = 0;
  bool dry_run = false;
  double created_at = 0;
  double started_at = 0;
  double finished_at = 0;
};

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
  // fingerprint. Throws QueueFullError (nothing written) if the queued jobs would exceed
  // `queue_capacity`, SqliteError if persisting failed.
  IntakeResult RecordNotification(const webhook::Notification& notification,
                                  const std::vector<std::vector<PlannedJob>>& plans,
                                  const std::string& peer, std::size_t queue_capacity);

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
                     const std::string& output);
  // A step cut short by shutdown: recorded as interrupted, the job left to resume at it.
  void RecordStepInterrupted(std::int64_t job_id, int step_index, const std::string& output);
  void FinishJob(std::int64_t job_id, const std::string& state, const std::string& result,
                 const std::string& detail);

  struct StepRecord {
    int index = 0;
    std::string kind;
    std::string state;
    std::string output;
  };
  // Finished steps of a job in order (for resuming a job and for its notification).
  std::vector<StepRecord> Steps(std::int64_t job_id);

  // Executions (not dry runs, not skips) of a target since `since` (unix seconds), other than
  // job `except_job`.
  int CountRunsSince(const std::string& target, double since, std::int64_t except_job = 0);
  // Start time of the last execution of (remediation, target), if any.
  std::optional<double> LastRunStart(const std::string& remediation, const std::string& target);
  // Records that the circuit of `target` opened at `now`; returns false when it was already
  // recorded open since `window_start` (so "giving up" is sent once per opening).
  bool MarkCircuitOpen(const std::string& target, double now, double window_start);
  void CloseCircuit(const std::string& target);
  std::set<std::string> OpenCircuits();

  std::size_t QueuedJobs();
  std::int64_t CountJobs(const std::string& remediation, const std::string& state);

  // Jobs (newest first) with their steps, for the history API and the landing page.
  nlohmann::json History(std::size_t limit, double since);

  // Deletes finished records older than the retention and beyond max_rows.
  void Cleanup(double now);

  const std::string& path() const { return path_; }

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

  std::string path_;
  JournalSettings settings_;
  std::unique_ptr<SqliteDatabase> db_;
  std::mutex db_mutex_;  // guards db_; held by the writer for a whole batch
  bool recovered_ = false;
  CommitObserver on_commit_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<PendingWrite> pending_;
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
