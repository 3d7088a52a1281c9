#include "medic/remediation/journal.h"

#include "medic/remediation/healing_state.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

namespace medic::remediation {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS notifications (
  id INTEGER PRIMARY KEY,
  received_at REAL NOT NULL,
  peer TEXT NOT NULL,
  group_key TEXT NOT NULL,
  receiver TEXT NOT NULL,
  status TEXT NOT NULL,
  truncated_alerts INTEGER NOT NULL,
  alert_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  notification_id INTEGER NOT NULL,
  received_at REAL NOT NULL,
  idempotency_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  alertname TEXT NOT NULL,
  status TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  alert_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_received ON alerts(received_at);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL,
  remediation TEXT NOT NULL,
  target TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  alertname TEXT NOT NULL,
  alert_json TEXT NOT NULL,
  state TEXT NOT NULL,
  result TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  dry_run INTEGER NOT NULL,
  next_step INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at REAL NOT NULL,
  started_at REAL,
  finished_at REAL
);
-- Idempotency: one job per attempt at an incident (remediation, fingerprint + startsAt +
-- status): jobs_incident_attempt below, created after the attempt column exists. Refused jobs
-- use a distinct key space (see below).
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE INDEX IF NOT EXISTS jobs_target_started ON jobs(target, started_at);
CREATE INDEX IF NOT EXISTS jobs_fingerprint ON jobs(fingerprint);
CREATE TABLE IF NOT EXISTS job_steps (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL,
  step_index INTEGER NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  started_at REAL NOT NULL,
  finished_at REAL,
  output TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS job_steps_job ON job_steps(job_id);
CREATE TABLE IF NOT EXISTS circuits (
  target TEXT PRIMARY KEY,
  opened_at REAL NOT NULL
);
-- Budgets are per (remediation, target); `circuits` above (per target) is no longer used.
CREATE TABLE IF NOT EXISTS remediation_circuits (
  remediation TEXT NOT NULL,
  target TEXT NOT NULL,
  opened_at REAL NOT NULL,
  PRIMARY KEY (remediation, target)
);
-- Where the max_per_hour budget of (remediation, target) counts from once its circuit closed
-- (by itself or by POST /api/v1/circuits/reset): runs before a close do not reopen it.
CREATE TABLE IF NOT EXISTS remediation_budgets (
  remediation TEXT NOT NULL,
  target TEXT NOT NULL,
  counted_from REAL NOT NULL,
  PRIMARY KEY (remediation, target)
);
-- What medic told (or must tell) a human about an incident: at most one of each kind per
-- incident, whatever Alertmanager re-sends. Sent by the engine's notice loop.
CREATE TABLE IF NOT EXISTS notices (
  id INTEGER PRIMARY KEY,
  remediation TEXT NOT NULL,
  target TEXT NOT NULL,
  incident_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  alertname TEXT NOT NULL,
  detail TEXT NOT NULL,
  created_at REAL NOT NULL,
  sent_at REAL,
  outcome TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS notices_once ON notices(remediation, incident_key, kind);
CREATE INDEX IF NOT EXISTS notices_unsent ON notices(sent_at);
)sql";

// Journals written before incidents had attempts: add the columns, and move the one-job-per-
// incident index to one job per attempt of an incident.
constexpr const char* kJobColumnsAdded[][2] = {
    {"attempt", "INTEGER NOT NULL DEFAULT 1"},
    {"not_before", "REAL"},
    {"max_attempts", "INTEGER NOT NULL DEFAULT 1"},
    {"retry_backoff", "REAL NOT NULL DEFAULT 30"},
    // Replica folding (replica_incident.h): the alert's labels without the replica labels, its
    // startsAt, and when a resolve of the incident said it ended.
    {"replica_group", "TEXT NOT NULL DEFAULT ''"},
    {"starts_unix", "REAL"},
    {"incident_ended_at", "REAL"},
};
constexpr const char* kIncidentIndexes = R"sql(
DROP INDEX IF EXISTS jobs_idempotency;
CREATE UNIQUE INDEX IF NOT EXISTS jobs_incident_attempt ON jobs(remediation, idempotency_key, attempt);
CREATE INDEX IF NOT EXISTS jobs_remediation_target ON jobs(remediation, target, finished_at);
CREATE INDEX IF NOT EXISTS jobs_replica_group ON jobs(replica_group, starts_unix);
)sql";

constexpr const char* kJobColumns =
    "id, alert_id, remediation, target, state, result, idempotency_key, fingerprint, alertname, "
    "alert_json, detail, next_step, attempts, dry_run, created_at, COALESCE(started_at, 0), "
    "COALESCE(finished_at, 0), attempt, max_attempts, retry_backoff, COALESCE(not_before, 0)";

JobRecord ReadJob(const SqliteStatement& row) {
  JobRecord job;
  job.id = row.Int(0);
  job.alert_id = row.Int(1);
  job.remediation = row.Text(2);
  job.target = row.Text(3);
  job.state = ParseJobState(row.Text(4));
  job.result = row.Text(5);
  job.idempotency_key = row.Text(6);
  job.fingerprint = row.Text(7);
  job.alertname = row.Text(8);
  job.alert_json = row.Text(9);
  job.detail = row.Text(10);
  job.next_step = static_cast<int>(row.Int(11));
  job.attempts = static_cast<int>(row.Int(12));
  job.dry_run = row.Int(13) != 0;
  job.created_at = row.Real(14);
  job.started_at = row.Real(15);
  job.finished_at = row.Real(16);
  job.attempt = static_cast<int>(row.Int(17));
  job.max_attempts = static_cast<int>(row.Int(18));
  job.retry_backoff_seconds = row.Real(19);
  job.not_before = row.Real(20);
  return job;
}

// Queues `notice` unless the incident has one of its kind; true when queued.
bool InsertNotice(SqliteDatabase& db, const NoticeRecord& notice) {
  db.Cached(
        "INSERT OR IGNORE INTO notices(remediation, target, incident_key, kind, alertname, "
        "detail, created_at) VALUES (?,?,?,?,?,?,?)")
      .Bind(1, notice.remediation)
      .Bind(2, notice.target)
      .Bind(3, notice.incident_key)
      .Bind(4, notice.kind)
      .Bind(5, notice.alertname)
      .Bind(6, notice.detail.substr(0, 4096))
      .Bind(7, notice.created_at)
      .Run();
  return db.Changes() > 0;
}

// SQLite says only "unable to open database file" when it cannot create its -wal/-shm files;
// name the cause an operator can fix (a read-only mount, permissions). access() reports EROFS
// even for root.
std::string WritableDiagnosis(const std::string& path) {
  for (const auto& candidate : {path, std::filesystem::path(path).parent_path().string()}) {
    if (candidate.empty() || ::access(candidate.c_str(), F_OK) != 0) continue;
    if (::access(candidate.c_str(), W_OK) != 0) {
      return "; " + candidate + " is not writable: " + std::strerror(errno);
    }
  }
  return "";
}

}  // namespace

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Journal::Journal(const JournalSettings& settings, CommitObserver on_commit)
    : path_(settings.path), settings_(settings), on_commit_(std::move(on_commit)) {
  std::error_code ignored;
  const auto parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
  try {
    db_ = std::make_unique<SqliteDatabase>(path_);
    sqlite3_busy_timeout(db_->handle(), 5000);
    // Refuse a damaged journal instead of silently starting empty: the operator must see it.
    auto check = db_->Prepare("PRAGMA integrity_check");
    std::string problems;
    while (check.Step()) {
      const std::string line = check.Text(0);
      if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
    }
    if (!problems.empty()) {
      throw JournalOpenError("journal " + path_ +
                             " failed PRAGMA integrity_check: " + problems.substr(0, 1000) +
                             " (move the file aside or restore a backup; medic will not start "
                             "with a damaged journal)");
    }
    db_->Execute("PRAGMA journal_mode=WAL");
    db_->Execute("PRAGMA synchronous=FULL");
    db_->Execute("PRAGMA foreign_keys=OFF");
    // SQLite's default page cache (2 MiB per connection) grows with the journal until the
    // whole file is cached: measured as a steady RSS climb in a soak (+1.8 MiB over 1,480
    // jobs). Intake and the history API touch recent pages only; 512 KiB bounds the footprint.
    db_->Execute("PRAGMA cache_size=-512");
    // After a checkpoint the WAL is cut back to this, so the disk holds about max_bytes plus
    // this much, not the WAL's high-water mark.
    const std::uint64_t wal_limit = std::min<std::uint64_t>(64ull << 20, settings_.max_bytes / 4);
    db_->Execute("PRAGMA journal_size_limit=" + std::to_string(wal_limit));
    CreateSchema();
    // Checkpoints (copying the WAL back into the database, with its own fsyncs) run on a
    // second connection, so a commit never waits behind one; they do not affect durability,
    // which the WAL's fsync at commit already gives. The hook replaces SQLite's automatic
    // checkpoint on the writer's commits.
    checkpoint_db_ = std::make_unique<SqliteDatabase>(path_);
    sqlite3_busy_timeout(checkpoint_db_->handle(), 5000);
    checkpoint_db_->Execute("PRAGMA synchronous=FULL");
    checkpoint_db_->Execute("PRAGMA cache_size=-128");  // it only copies WAL frames back
    checkpoint_db_->Execute("PRAGMA journal_size_limit=" + std::to_string(wal_limit));
    sqlite3_wal_hook(db_->handle(), &Journal::OnWalCommit, this);
    // The size at start (no other thread runs yet): a journal left over its cap reads as full
    // on the first scrape, and sheds what it can now, instead of reading 0 until a webhook.
    db_->Execute("BEGIN IMMEDIATE");
    MakeRoom(*db_, UnixNow());
    db_->Execute("COMMIT");
  } catch (const SqliteError& error) {
    throw JournalOpenError("cannot open journal " + path_ + ": " + error.what() +
                           WritableDiagnosis(path_) +
                           " (medic will not start with an unreadable journal)");
  }
  checkpointer_ = std::thread([this] { CheckpointLoop(); });
  writer_ = std::thread([this] { WriterLoop(); });
}

Journal::~Journal() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

int Journal::OnWalCommit(void* self, sqlite3* db, const char* /*schema*/, int frames) {
  auto* journal = static_cast<Journal*>(self);
  if (frames < journal->checkpoint_requested_at_) journal->checkpoint_requested_at_ = 0;  // reset
  // One background checkpoint per kBackgroundCheckpointFrames new frames, as SQLite's own
  // automatic checkpoint would: every checkpoint costs an fsync of the database file.
  if (frames >= journal->checkpoint_requested_at_ + kBackgroundCheckpointFrames) {
    journal->checkpoint_requested_at_ = frames;
    {
      std::lock_guard lock(journal->checkpoint_mutex_);
      journal->checkpoint_wanted_ = true;
    }
    journal->checkpoint_cv_.notify_one();
  }
  if (frames >= kInlineCheckpointFrames) {
    // The background checkpoint cannot finish while commits keep appending, and the WAL only
    // starts over once every frame is back in the database: catch up here, on the writer, where
    // nothing appends meanwhile. The background work has already copied most frames, so this
    // is short; SQLITE_BUSY (the background one is running) just means try after the next commit.
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

void Journal::CheckpointLoop() {
  while (true) {
    {
      std::unique_lock lock(checkpoint_mutex_);
      checkpoint_cv_.wait(lock, [this] { return checkpoint_stopping_ || checkpoint_wanted_; });
      if (checkpoint_stopping_) return;
      checkpoint_wanted_ = false;
    }
    const int rc = sqlite3_wal_checkpoint_v2(checkpoint_db_->handle(), nullptr,
                                             SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::warn("journal {}: background checkpoint failed: {}", path_, sqlite3_errstr(rc));
    }
  }
}

void Journal::CreateSchema() {
  db_->Execute(kSchema);
  std::set<std::string> columns;
  {
    auto info = db_->Prepare("PRAGMA table_info(jobs)");
    while (info.Step()) columns.insert(info.Text(1));
  }
  for (const auto& [name, definition] : kJobColumnsAdded) {
    if (columns.count(name) == 0) {
      db_->Execute(std::string("ALTER TABLE jobs ADD COLUMN ") + name + " " + definition);
    }
  }
  db_->Execute(kIncidentIndexes);
  std::set<std::string> step_columns;
  {
    auto info = db_->Prepare("PRAGMA table_info(job_steps)");
    while (info.Step()) step_columns.insert(info.Text(1));
  }
  if (step_columns.count("artifact") == 0) {
    db_->Execute("ALTER TABLE job_steps ADD COLUMN artifact TEXT NOT NULL DEFAULT ''");
  }
}

void Journal::Write(std::function<void(SqliteDatabase&)> write) {
  std::future<void> done;
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) throw std::runtime_error("journal is closing");
    pending_.push_back(PendingWrite{std::move(write), {}});
    done = pending_.back().done.get_future();
  }
  queue_cv_.notify_one();
  ++waiting_writes_;
  struct Answered {
    std::atomic<std::size_t>& waiting;
    ~Answered() { --waiting; }
  } answered{waiting_writes_};
  done.get();  // rethrows the write's or the commit's error
}

void Journal::WriterLoop() {
  while (true) {
    std::deque<PendingWrite> batch;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty() && stopping_) return;
      batch.swap(pending_);
    }
    std::vector<std::exception_ptr> errors(batch.size());
    std::exception_ptr commit_error;
    {
      std::lock_guard lock(db_mutex_);
      try {
        db_->Cached("BEGIN IMMEDIATE").Run();
        for (std::size_t i = 0; i < batch.size(); ++i) {
          // A savepoint per write: one request's failure rolls back only its own rows.
          db_->Cached("SAVEPOINT write").Run();
          try {
            batch[i].write(*db_);
            db_->Cached("RELEASE write").Run();
          } catch (...) {
            errors[i] = std::current_exception();
            db_->ResetCached();  // a statement left mid-step must not outlive its savepoint
            db_->Execute("ROLLBACK TO write");
            db_->Execute("RELEASE write");
          }
        }
        // synchronous=FULL: the WAL is fsynced here, once for the whole batch.
        db_->Cached("COMMIT").Run();
      } catch (...) {
        commit_error = std::current_exception();
        db_->ResetCached();
        try {
          db_->Execute("ROLLBACK");
        } catch (...) {
        }
      }
    }
    if (!commit_error && on_commit_) on_commit_(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (commit_error) {
        batch[i].done.set_exception(commit_error);
      } else if (errors[i]) {
        batch[i].done.set_exception(errors[i]);
      } else {
        batch[i].done.set_value();
      }
    }
  }
}

IntakeResult Journal::RecordNotification(const Notification& notification,
                                         const std::vector<std::vector<PlannedJob>>& plans,
                                         const std::string& peer, std::size_t queue_capacity,
                                         const ReplicaFolding& folding) {
  // Everything that does not need the database is computed here, on the caller's thread, so
  // concurrent requests do it in parallel instead of one after another on the writer thread.
  struct AlertRow {
    std::string key;
    std::string alertname;
    std::string json;
    std::string replica_group;          // folding only
    std::optional<double> starts_unix;  // folding only
  };
  std::vector<AlertRow> rows;
  rows.reserve(notification.alerts.size());
  for (const auto& alert : notification.alerts) {
    AlertRow row{alert.IdempotencyKey(), alert.AlertName(), alert.ToJsonText(), {}, {}};
    if (folding.enabled) {
      row.replica_group = ReplicaGroupKey(alert.labels, folding.ignore_labels);
      row.starts_unix = AlertTimeSeconds(alert.starts_at);
    }
    rows.push_back(std::move(row));
  }
  const std::int64_t alert_count = static_cast<std::int64_t>(notification.alerts.size());

  IntakeResult result;
  bool refused_full = false;
  const bool only_resolved =
      std::all_of(notification.alerts.begin(), notification.alerts.end(),
                  [](const Alert& alert) { return alert.status == "resolved"; });
  Write([&](SqliteDatabase& db) {
    result = IntakeResult{};
    refused_full = false;
    const double now = UnixNow();
    // A full journal refuses the notification but keeps what it shed trying to make room: the
    // early return commits the shedding, where a throw would roll it back.
    // Resolves still pass: they only cancel queued jobs, which is how a full journal drains.
    if (!MakeRoom(db, now) && !only_resolved) {
      refused_full = true;
      return;
    }
    db.Cached(
          "INSERT INTO notifications(received_at, peer, group_key, receiver, status, "
          "truncated_alerts, alert_count) VALUES (?,?,?,?,?,?,?)")
        .Bind(1, now)
        .Bind(2, peer)
        .Bind(3, notification.group_key)
        .Bind(4, notification.receiver)
        .Bind(5, notification.status)
        .Bind(6, notification.truncated_alerts)
        .Bind(7, alert_count)
        .Run();
    result.notification_id = db.LastInsertId();

    for (std::size_t i = 0; i < notification.alerts.size(); ++i) {
      const auto& alert = notification.alerts[i];
      const AlertRow& row = rows[i];
      db.Cached(
            "INSERT INTO alerts(notification_id, received_at, idempotency_key, fingerprint, "
            "alertname, status, starts_at, ends_at, alert_json) VALUES (?,?,?,?,?,?,?,?,?)")
          .Bind(1, result.notification_id)
          .Bind(2, now)
          .Bind(3, row.key)
          .Bind(4, alert.fingerprint)
          .Bind(5, row.alertname)
          .Bind(6, alert.status)
          .Bind(7, alert.starts_at)
          .Bind(8, alert.ends_at)
          .Bind(9, row.json)
          .Run();
      const std::int64_t alert_id = db.LastInsertId();
      if (alert.status == "resolved") {
        auto& cancel = db.Cached(
            "UPDATE jobs SET state='cancelled', result='cancelled', finished_at=?, "
            "detail='alert resolved before the job ran' WHERE fingerprint=? AND state='queued' "
            "RETURNING remediation");
        cancel.Bind(1, now).Bind(2, alert.fingerprint);
        while (cancel.Step()) result.cancelled_remediations.push_back(cancel.Text(0));
        if (folding.enabled && row.starts_unix) {
          // The incident ended here: an alert of its group that starts later is a new one.
          const double ended = AlertTimeSeconds(alert.ends_at).value_or(now);
          db.Cached(
                "UPDATE jobs SET incident_ended_at=? WHERE replica_group=? AND "
                "incident_ended_at IS NULL AND ABS(starts_unix - ?) <= ?")
              .Bind(1, ended)
              .Bind(2, row.replica_group)
              .Bind(3, *row.starts_unix)
              .Bind(4, folding.window_seconds)
              .Run();
        }
      }
      if (i >= plans.size()) continue;
      for (const auto& plan : plans[i]) {
        IntakeJob job{plan.remediation, plan.target, IntakeOutcome::kQueued, 0};
        int attempt = 1;
        std::optional<double> not_before;
        // The incident this delivery belongs to: its own, or a replica's it folds into.
        std::string key = row.key;
        if (folding.enabled && row.starts_unix && plan.refused_reason.empty()) {
          auto& replica = db.Cached(
              "SELECT idempotency_key FROM jobs WHERE remediation=? AND replica_group=? AND "
              "fingerprint<>? AND state<>'refused' AND ABS(starts_unix - ?) <= ? AND "
              "(incident_ended_at IS NULL OR incident_ended_at >= ?) "
              "ORDER BY ABS(starts_unix - ?), id DESC LIMIT 1");
          replica.Bind(1, plan.remediation)
              .Bind(2, row.replica_group)
              .Bind(3, alert.fingerprint)
              .Bind(4, *row.starts_unix)
              .Bind(5, folding.window_seconds)
              .Bind(6, *row.starts_unix)
              .Bind(7, *row.starts_unix);
          if (replica.Step()) key = replica.Text(0);
          replica.Reset();
        }
        if (plan.refused_reason.empty()) {
          // The incident's latest attempt decides what this delivery means: a repeat of work
          // in progress or done, or a new attempt at an incident that is still open.
          auto& latest = db.Cached(
              "SELECT id, state, attempt, COALESCE(finished_at, 0), retry_backoff, created_at "
              "FROM jobs WHERE remediation=? AND idempotency_key=? ORDER BY attempt DESC LIMIT 1");
          latest.Bind(1, plan.remediation).Bind(2, key);
          if (latest.Step()) {
            const std::int64_t latest_id = latest.Int(0);
            const JobState state = ParseJobState(latest.Text(1));
            const int last_attempt = static_cast<int>(latest.Int(2));
            const double finished = latest.Real(3);
            const double backoff = latest.Real(4);
            const double created = latest.Real(5);
            latest.Reset();
            if (!LeavesIncidentOpen(state) || last_attempt >= plan.max_attempts) {
              job.outcome = IntakeOutcome::kDuplicate;
              job.job_id = latest_id;
              job.existing_state = state;
              job.attempt = last_attempt;
              // An HA pair's second copy (the other Alertmanager's delivery, the other
              // Prometheus's alert) arrives within the replica window of the first: that is the
              // fleet working as designed, not a re-sent alert a person should hear about.
              const bool ha_echo = folding.enabled && now - created <= folding.window_seconds;
              if (state == JobState::kRunning && !ha_echo) {
                // Told once per incident: medic is already on it.
                job.notice_added = InsertNotice(
                    db, {0, plan.remediation, plan.target, key, "skipped_duplicate", row.alertname,
                         "attempt " + std::to_string(last_attempt) + " is running", now, ""});
              }
              result.jobs.push_back(std::move(job));
              continue;
            }
            attempt = last_attempt + 1;
            const double due = finished + RetryDelaySeconds(backoff, last_attempt);
            if (due > now) not_before = due;
          } else {
            latest.Reset();
          }
        }
        const bool refused = !plan.refused_reason.empty();
        auto& insert_job = db.Cached(
            "INSERT OR IGNORE INTO jobs(alert_id, remediation, target, idempotency_key, "
            "fingerprint, alertname, alert_json, state, result, detail, dry_run, created_at, "
            "finished_at, attempt, not_before, max_attempts, retry_backoff, replica_group, "
            "starts_unix) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        // Refused jobs get a per-alert key so they are recorded every time without
        // blocking a later, valid job for the same alert.
        insert_job.Bind(1, alert_id)
            .Bind(2, plan.remediation)
            .Bind(3, plan.target)
            .Bind(4, refused ? row.key + "|refused|" + std::to_string(alert_id) : key)
            .Bind(5, alert.fingerprint)
            .Bind(6, row.alertname)
            .Bind(7, row.json)
            .Bind(8, refused ? "refused" : "queued")
            .Bind(9, refused ? "refused" : "")
            .Bind(10, plan.refused_reason)
            .Bind(11, plan.dry_run ? 1 : 0)
            .Bind(12, now);
        if (refused) {
          insert_job.Bind(13, now);
        } else {
          insert_job.BindNull(13);
        }
        insert_job.Bind(14, attempt);
        if (not_before) {
          insert_job.Bind(15, *not_before);
        } else {
          insert_job.BindNull(15);
        }
        insert_job.Bind(16, std::max(1, plan.max_attempts)).Bind(17, plan.retry_backoff_seconds);
        insert_job.Bind(18, row.replica_group);
        if (row.starts_unix) {
          insert_job.Bind(19, *row.starts_unix);
        } else {
          insert_job.BindNull(19);
        }
        insert_job.Run();
        job.attempt = attempt;
        if (refused) {
          job.outcome = IntakeOutcome::kRefused;
          job.job_id = db.LastInsertId();
        } else if (db.Changes() == 0) {
          job.outcome = IntakeOutcome::kDuplicate;
        } else {
          job.job_id = db.LastInsertId();
        }
        result.jobs.push_back(std::move(job));
      }
    }
    auto& count_queued = db.Cached("SELECT COUNT(*) FROM jobs WHERE state='queued'");
    count_queued.Step();
    const auto queued = static_cast<std::size_t>(count_queued.Int(0));
    count_queued.Reset();  // ends the read before the batch commits
    if (queued > queue_capacity) {
      throw QueueFullError("remediation queue is full (" + std::to_string(queue_capacity) +
                           " jobs)");
    }
  });
  if (refused_full) {
    std::lock_guard lock(full_detail_mutex_);
    throw JournalFullError("the journal is full (" + std::to_string(used_bytes_.load()) +
                           " bytes in use, journal.max_bytes " +
                           std::to_string(settings_.max_bytes) + "): " + full_detail_ +
                           "; nothing was written");
  }
  return result;
}

RecoveryReport Journal::RecoverUnfinished(
    const std::function<bool(const std::string& kind)>& repeatable) {
  RecoveryReport report;
  if (recovered_) return report;
  Write([&](SqliteDatabase& db) {
    report = RecoveryReport{};
    const double now = UnixNow();
    std::vector<std::pair<std::int64_t, int>> running;
    {
      auto select = db.Prepare("SELECT id, next_step FROM jobs WHERE state='running'");
      while (select.Step()) running.emplace_back(select.Int(0), static_cast<int>(select.Int(1)));
    }
    for (const auto& [job_id, next_step] : running) {
      // The step caught mid-way, if any: started but never finished.
      std::string kind;
      {
        auto step = db.Prepare(
            "SELECT kind FROM job_steps WHERE job_id=? AND step_index=? AND state='running' "
            "ORDER BY id DESC LIMIT 1");
        step.Bind(1, job_id).Bind(2, next_step);
        if (step.Step()) kind = step.Text(0);
      }
      auto mark_steps = db.Prepare(
          "UPDATE job_steps SET state='interrupted', finished_at=?, "
          "output=output || '[medic stopped during this step]' WHERE job_id=? AND "
          "state='running'");
      mark_steps.Bind(1, now).Bind(2, job_id).Run();
      if (!kind.empty() && !repeatable(kind)) {
        auto update = db.Prepare(
            "UPDATE jobs SET state='interrupted', result='failed', finished_at=?, "
            "detail='medic stopped during step ' || ? || ' (not safe to repeat)' WHERE id=?");
        update.Bind(1, now).Bind(2, kind).Bind(3, job_id).Run();
        ++report.interrupted;
      } else {
        auto update =
            db.Prepare("UPDATE jobs SET state='queued', detail='resumed after restart' WHERE id=?");
        update.Bind(1, job_id).Run();
        ++report.requeued;
      }
    }
  });
  recovered_ = true;
  return report;
}

std::optional<JobRecord> Journal::ClaimNextJob(const std::set<std::string>& busy_targets) {
  std::optional<JobRecord> claimed;
  Write([&](SqliteDatabase& db) {
    claimed.reset();
    auto select = db.Prepare(std::string("SELECT ") + kJobColumns +
                             " FROM jobs WHERE state='queued' AND (not_before IS NULL OR "
                             "not_before<=?) ORDER BY id");
    select.Bind(1, UnixNow());
    while (select.Step()) {
      JobRecord job = ReadJob(select);
      if (busy_targets.count(job.target) > 0) continue;
      claimed = std::move(job);
      break;
    }
    if (!claimed) return;
    const double now = UnixNow();
    auto update = db.Prepare(
        "UPDATE jobs SET state='running', attempts=attempts+1, "
        "started_at=COALESCE(started_at, ?) WHERE id=? AND state='queued'");
    update.Bind(1, now).Bind(2, claimed->id).Run();
    if (db.Changes() != 1) {
      claimed.reset();
      return;
    }
    claimed->state = JobState::kRunning;
    claimed->attempts += 1;
    if (claimed->started_at == 0) claimed->started_at = now;
  });
  return claimed;
}

std::optional<JobRecord> Journal::GetJob(std::int64_t job_id) {
  return Read<std::optional<JobRecord>>([&](SqliteDatabase& db) -> std::optional<JobRecord> {
    auto select = db.Prepare(std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id=?");
    select.Bind(1, job_id);
    if (!select.Step()) return std::nullopt;
    return ReadJob(select);
  });
}

void Journal::RecordStepStart(std::int64_t job_id, int step_index, const std::string& kind) {
  Write([&](SqliteDatabase& db) {
    db.Prepare(
          "INSERT INTO job_steps(job_id, step_index, kind, state, started_at) "
          "VALUES (?,?,?,'running',?)")
        .Bind(1, job_id)
        .Bind(2, step_index)
        .Bind(3, kind)
        .Bind(4, UnixNow())
        .Run();
  });
}

void Journal::RecordStepEnd(std::int64_t job_id, int step_index, const std::string& state,
                            const std::string& output, const std::string& artifact) {
  Write([&](SqliteDatabase& db) {
    db.Prepare(
          "UPDATE job_steps SET state=?, finished_at=?, output=?, artifact=? WHERE job_id=? AND "
          "step_index=? AND state='running'")
        .Bind(1, state)
        .Bind(2, UnixNow())
        .Bind(3, output)
        .Bind(4, artifact)
        .Bind(5, job_id)
        .Bind(6, step_index)
        .Run();
    // The next step advances with the step's end in the same transaction, so recovery
    // never repeats a finished step.
    db.Prepare("UPDATE jobs SET next_step=? WHERE id=?")
        .Bind(1, step_index + 1)
        .Bind(2, job_id)
        .Run();
  });
}

void Journal::RecordStepInterrupted(std::int64_t job_id, int step_index,
                                    const std::string& output) {
  Write([&](SqliteDatabase& db) {
    db.Prepare(
          "UPDATE job_steps SET state='interrupted', finished_at=?, output=? WHERE job_id=? AND "
          "step_index=? AND state='running'")
        .Bind(1, UnixNow())
        .Bind(2, output)
        .Bind(3, job_id)
        .Bind(4, step_index)
        .Run();
    // next_step stays put and the job stays "running": start-up recovery requeues it.
    db.Prepare("UPDATE jobs SET detail=? WHERE id=?")
        .Bind(1, "interrupted by shutdown in step " + std::to_string(step_index) +
                     "; resumes after restart")
        .Bind(2, job_id)
        .Run();
  });
}

void Journal::FinishJob(std::int64_t job_id, JobState state, JobResult result,
                        const std::string& detail) {
  Write([&](SqliteDatabase& db) {
    db.Prepare("UPDATE jobs SET state=?, result=?, detail=?, finished_at=? WHERE id=?")
        .Bind(1, std::string(JobStateName(state)))
        .Bind(2, std::string(JobResultName(result)))
        .Bind(3, detail.substr(0, 4096))
        .Bind(4, UnixNow())
        .Bind(5, job_id)
        .Run();
  });
}

std::vector<Journal::StepRecord> Journal::Steps(std::int64_t job_id) {
  return Read<std::vector<StepRecord>>([&](SqliteDatabase& db) {
    std::vector<StepRecord> steps;
    auto select = db.Prepare(
        "SELECT step_index, kind, state, output, artifact FROM job_steps WHERE job_id=? AND "
        "state NOT IN ('running','interrupted') ORDER BY id");
    select.Bind(1, job_id);
    while (select.Step()) {
      steps.push_back({static_cast<int>(select.Int(0)), select.Text(1), select.Text(2),
                       select.Text(3), select.Text(4)});
    }
    return steps;
  });
}

std::optional<double> Journal::InterruptedStepStart(std::int64_t job_id, int step_index) {
  return Read<std::optional<double>>([&](SqliteDatabase& db) -> std::optional<double> {
    auto select = db.Prepare(
        "SELECT started_at FROM job_steps WHERE job_id=? AND step_index=? AND "
        "state='interrupted' ORDER BY id DESC LIMIT 1");
    select.Bind(1, job_id).Bind(2, step_index);
    if (!select.Step()) return std::nullopt;
    return select.Real(0);
  });
}

void Journal::Postpone(std::int64_t job_id, double not_before, JobResult reason,
                       const std::string& detail) {
  Write([&](SqliteDatabase& db) {
    db.Prepare(
          "UPDATE jobs SET state='queued', not_before=?, result=?, detail=?, started_at=NULL "
          "WHERE id=?")
        .Bind(1, not_before)
        .Bind(2, std::string(JobResultName(reason)))
        .Bind(3, detail.substr(0, 4096))
        .Bind(4, job_id)
        .Run();
  });
}

std::int64_t Journal::ScheduleRetry(const JobRecord& job, double not_before) {
  std::int64_t id = 0;
  Write([&](SqliteDatabase& db) {
    id = 0;
    db.Prepare(
          "INSERT OR IGNORE INTO jobs(alert_id, remediation, target, idempotency_key, "
          "fingerprint, alertname, alert_json, state, result, detail, dry_run, created_at, "
          "attempt, not_before, max_attempts, retry_backoff, replica_group, starts_unix, "
          "incident_ended_at) "
          "SELECT alert_id, remediation, target, idempotency_key, fingerprint, alertname, "
          "alert_json, 'queued', '', ?, dry_run, ?, attempt + 1, ?, max_attempts, retry_backoff, "
          "replica_group, starts_unix, incident_ended_at FROM jobs WHERE id=?")
        .Bind(1, "retry of job " + std::to_string(job.id))
        .Bind(2, UnixNow())
        .Bind(3, not_before)
        .Bind(4, job.id)
        .Run();
    if (db.Changes() > 0) id = db.LastInsertId();
  });
  return id;
}

std::optional<double> Journal::NextRetryDue() {
  return Read<std::optional<double>>([](SqliteDatabase& db) -> std::optional<double> {
    auto select = db.Prepare("SELECT MIN(not_before) FROM jobs WHERE state='queued'");
    if (!select.Step() || select.IsNull(0)) return std::nullopt;
    return select.Real(0);
  });
}

int Journal::CountActedRunsSince(const std::string& remediation, const std::string& target,
                                 double since, std::int64_t except_job) {
  return Read<int>([&](SqliteDatabase& db) {
    // A run acted when one of its steps other than verify and notify succeeded: a run that
    // could not reach the engine changed nothing and does not use up the budget.
    auto select = db.Prepare(
        "SELECT COUNT(*) FROM jobs WHERE remediation=? AND target=? AND started_at>=MAX(?, "
        "COALESCE((SELECT counted_from FROM remediation_budgets b WHERE "
        "b.remediation=jobs.remediation AND b.target=jobs.target), 0)) AND "
        "dry_run=0 AND id<>? AND state IN ('running','succeeded','failed','interrupted') AND "
        "EXISTS (SELECT 1 FROM job_steps s WHERE s.job_id=jobs.id AND s.state='succeeded' AND "
        "s.kind NOT IN ('verify','notify'))");
    select.Bind(1, remediation).Bind(2, target).Bind(3, since).Bind(4, except_job);
    select.Step();
    return static_cast<int>(select.Int(0));
  });
}

std::vector<UnhealedIncident> Journal::UnhealedIncidents() {
  return Read<std::vector<UnhealedIncident>>(ReadUnhealedIncidents);
}

std::optional<double> Journal::LastSuccess(const std::string& remediation,
                                           const std::string& target) {
  return Read<std::optional<double>>([&](SqliteDatabase& db) -> std::optional<double> {
    auto select = db.Prepare(
        "SELECT MAX(finished_at) FROM jobs WHERE remediation=? AND target=? AND dry_run=0 AND "
        "state='succeeded'");
    select.Bind(1, remediation).Bind(2, target);
    if (!select.Step() || select.IsNull(0)) return std::nullopt;
    return select.Real(0);
  });
}

int Journal::RestartsSince(const std::string& target, double since) {
  return Read<int>([&](SqliteDatabase& db) {
    auto select = db.Prepare(
        "SELECT COUNT(*) FROM job_steps s JOIN jobs j ON j.id=s.job_id WHERE j.target=? AND "
        "j.dry_run=0 AND s.kind IN ('restart','escalate') AND s.state='succeeded' AND "
        "s.started_at>=?");
    select.Bind(1, target).Bind(2, since);
    select.Step();
    return static_cast<int>(select.Int(0));
  });
}

bool Journal::OpenCircuit(const std::string& remediation, const std::string& target, double now) {
  bool newly_opened = false;
  Write([&](SqliteDatabase& db) {
    db.Prepare(
          "INSERT OR IGNORE INTO remediation_circuits(remediation, target, opened_at) "
          "VALUES (?,?,?)")
        .Bind(1, remediation)
        .Bind(2, target)
        .Bind(3, now)
        .Run();
    newly_opened = db.Changes() > 0;
  });
  return newly_opened;
}

namespace {

void RestartBudget(SqliteDatabase& db, const std::string& remediation, const std::string& target,
                   double now) {
  db.Prepare(
        "INSERT INTO remediation_budgets(remediation, target, counted_from) VALUES (?,?,?) "
        "ON CONFLICT(remediation, target) DO UPDATE SET counted_from=excluded.counted_from")
      .Bind(1, remediation)
      .Bind(2, target)
      .Bind(3, now)
      .Run();
}

}  // namespace

void Journal::CloseCircuit(const std::string& remediation, const std::string& target) {
  Write([&](SqliteDatabase& db) {
    db.Prepare("DELETE FROM remediation_circuits WHERE remediation=? AND target=?")
        .Bind(1, remediation)
        .Bind(2, target)
        .Run();
    RestartBudget(db, remediation, target, UnixNow());
  });
}

std::vector<Circuit> Journal::CloseCircuits(const std::string& target) {
  std::vector<Circuit> closed;
  Write([&](SqliteDatabase& db) {
    closed.clear();
    auto remove = db.Prepare(
        "DELETE FROM remediation_circuits WHERE target=? RETURNING remediation, target, "
        "opened_at");
    remove.Bind(1, target);
    while (remove.Step()) closed.push_back({remove.Text(0), remove.Text(1), remove.Real(2)});
    remove.Reset();
    const double now = UnixNow();
    for (const Circuit& circuit : closed) RestartBudget(db, circuit.remediation, target, now);
    // Incidents that waited for the circuit run now (if their alert still fires).
    db.Prepare(
          "UPDATE jobs SET not_before=? WHERE target=? AND state='queued' AND "
          "result='skipped_circuit'")
        .Bind(1, now)
        .Bind(2, target)
        .Run();
  });
  return closed;
}

std::vector<Circuit> Journal::OpenCircuits() {
  return Read<std::vector<Circuit>>(ReadOpenCircuits);
}

bool Journal::AddNotice(const NoticeRecord& notice) {
  bool added = false;
  Write([&](SqliteDatabase& db) {
    NoticeRecord stamped = notice;
    stamped.created_at = UnixNow();
    added = InsertNotice(db, stamped);
  });
  return added;
}

std::vector<NoticeRecord> Journal::UnsentNotices(std::size_t limit) {
  return Read<std::vector<NoticeRecord>>([&](SqliteDatabase& db) {
    std::vector<NoticeRecord> notices;
    auto select = db.Prepare(
        "SELECT id, remediation, target, incident_key, kind, alertname, detail, created_at FROM "
        "notices WHERE sent_at IS NULL ORDER BY id LIMIT ?");
    select.Bind(1, static_cast<std::int64_t>(limit));
    while (select.Step()) {
      notices.push_back({select.Int(0), select.Text(1), select.Text(2), select.Text(3),
                         select.Text(4), select.Text(5), select.Text(6), select.Real(7), ""});
    }
    return notices;
  });
}

void Journal::MarkNoticeSent(std::int64_t notice_id, const std::string& outcome) {
  Write([&](SqliteDatabase& db) {
    db.Prepare("UPDATE notices SET sent_at=?, outcome=? WHERE id=?")
        .Bind(1, UnixNow())
        .Bind(2, outcome.substr(0, 1024))
        .Bind(3, notice_id)
        .Run();
  });
}

nlohmann::json Journal::Notices(std::size_t limit) {
  return Read<nlohmann::json>([&](SqliteDatabase& db) {
    nlohmann::json notices = nlohmann::json::array();
    auto select = db.Prepare(
        "SELECT id, remediation, target, kind, alertname, detail, created_at, "
        "COALESCE(sent_at, 0), outcome FROM notices ORDER BY id DESC LIMIT ?");
    select.Bind(1, static_cast<std::int64_t>(limit));
    while (select.Step()) {
      notices.push_back({{"id", select.Int(0)},
                         {"remediation", select.Text(1)},
                         {"target", select.Text(2)},
                         {"kind", select.Text(3)},
                         {"alertname", select.Text(4)},
                         {"detail", select.Text(5)},
                         {"created_at", select.Real(6)},
                         {"sent_at", select.Real(7)},
                         {"outcome", select.Text(8)}});
    }
    return notices;
  });
}

std::size_t Journal::QueuedJobs() {
  return Read<std::size_t>([](SqliteDatabase& db) {
    auto select = db.Prepare("SELECT COUNT(*) FROM jobs WHERE state='queued'");
    select.Step();
    return static_cast<std::size_t>(select.Int(0));
  });
}

std::int64_t Journal::CountJobs(const std::string& remediation, const std::string& state) {
  return Read<std::int64_t>([&](SqliteDatabase& db) {
    auto select = db.Prepare("SELECT COUNT(*) FROM jobs WHERE remediation=? AND state=?");
    select.Bind(1, remediation).Bind(2, state);
    select.Step();
    return select.Int(0);
  });
}

nlohmann::json Journal::History(std::size_t limit, double since) {
  return Read<nlohmann::json>([&](SqliteDatabase& db) {
    nlohmann::json jobs = nlohmann::json::array();
    // alert_resolved: a resolved alert of the job's fingerprint came after it, so its incident
    // is over whatever the job's state says (the page does not call it trouble).
    auto select = db.Prepare(std::string("SELECT ") + kJobColumns + ", " + kJobAlertResolvedSince +
                             " FROM jobs WHERE created_at>=? ORDER BY id DESC LIMIT ?");
    select.Bind(1, since).Bind(2, static_cast<std::int64_t>(limit));
    auto steps = db.Prepare(
        "SELECT step_index, kind, state, started_at, COALESCE(finished_at, 0), output, artifact "
        "FROM job_steps WHERE job_id=? ORDER BY id");
    while (select.Step()) {
      const JobRecord job = ReadJob(select);
      nlohmann::json entry = {
          {"id", job.id},
          {"remediation", job.remediation},
          {"target", job.target},
          {"state", std::string(JobStateName(job.state))},
          {"result", job.result},
          {"alertname", job.alertname},
          {"fingerprint", job.fingerprint},
          {"dry_run", job.dry_run},
          {"worker_runs", job.attempts},  // times a worker took it; a resume adds one
          {"attempt", job.attempt},
          {"max_attempts", job.max_attempts},
          {"not_before", job.not_before},
          {"detail", job.detail},
          {"created_at", job.created_at},
          {"started_at", job.started_at},
          {"finished_at", job.finished_at},
          {"alert_resolved", select.Int(21) != 0}};
      nlohmann::json step_list = nlohmann::json::array();
      steps.Reset();
      steps.Bind(1, job.id);
      while (steps.Step()) {
        step_list.push_back({{"index", steps.Int(0)},
                             {"kind", steps.Text(1)},
                             {"state", steps.Text(2)},
                             {"started_at", steps.Real(3)},
                             {"finished_at", steps.Real(4)},
                             {"output", steps.Text(5)},
                             {"artifact", steps.Text(6)}});
      }
      entry["steps"] = std::move(step_list);
      jobs.push_back(std::move(entry));
    }
    return jobs;
  });
}

namespace {

std::int64_t PragmaInt(SqliteDatabase& db, const char* pragma) {
  auto statement = db.Prepare(std::string("PRAGMA ") + pragma);
  return statement.Step() ? statement.Int(0) : 0;
}

std::uint64_t PagesInUseBytes(SqliteDatabase& db) {
  const std::int64_t pages = PragmaInt(db, "page_count") - PragmaInt(db, "freelist_count");
  return static_cast<std::uint64_t>(std::max<std::int64_t>(pages, 0)) *
         static_cast<std::uint64_t>(PragmaInt(db, "page_size"));
}

// One round of shedding, oldest first: raw alert history no unfinished job needs, then sent
// notices, then what finished jobs carry beyond their outcome (step output, the alert's
// annotations), then finished jobs older than a day. Younger finished jobs stay as rows:
// max_per_hour, cooldowns and duplicate detection read them. Returns the rows changed.
std::int64_t ShedOldestHistory(SqliteDatabase& db, double now) {
  constexpr int kRowsPerRound = 200;
  const char* finished_job = "SELECT id FROM jobs WHERE state NOT IN ('queued','running')";
  std::int64_t changed = 0;
  db.Prepare(
        "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE id NOT IN (SELECT alert_id "
        "FROM jobs WHERE state IN ('queued','running')) ORDER BY id LIMIT ?)")
      .Bind(1, kRowsPerRound)
      .Run();
  changed += db.Changes();
  db.Execute(
      "DELETE FROM notifications WHERE id NOT IN (SELECT DISTINCT notification_id FROM alerts)");
  changed += db.Changes();
  if (changed > 0) return changed;
  db.Prepare(
        "DELETE FROM notices WHERE id IN (SELECT id FROM notices WHERE sent_at IS NOT NULL "
        "ORDER BY id LIMIT ?)")
      .Bind(1, kRowsPerRound)
      .Run();
  changed += db.Changes();
  db.Prepare(std::string("UPDATE job_steps SET output='[output shed to keep journal.max_bytes]' "
                         "WHERE id IN (SELECT id FROM job_steps WHERE length(output) > 256 AND "
                         "job_id IN (") +
             finished_job + ") ORDER BY id LIMIT ?)")
      .Bind(1, kRowsPerRound)
      .Run();
  changed += db.Changes();
  db.Prepare(std::string("UPDATE jobs SET alert_json=json_remove(alert_json, '$.annotations', "
                         "'$.generatorURL') WHERE id IN (SELECT id FROM jobs WHERE id IN (") +
             finished_job +
             ") AND length(alert_json) > 1024 AND json_valid(alert_json) ORDER BY "
             "id LIMIT ?)")
      .Bind(1, kRowsPerRound)
      .Run();
  changed += db.Changes();
  if (changed > 0) return changed;
  db.Prepare(
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state NOT IN "
        "('queued','running') AND COALESCE(finished_at, created_at) < ? ORDER BY id LIMIT ?)")
      .Bind(1, now - 86400)
      .Bind(2, kRowsPerRound)
      .Run();
  const std::int64_t jobs = db.Changes();
  changed += jobs;
  if (jobs > 0) db.Execute("DELETE FROM job_steps WHERE job_id NOT IN (SELECT id FROM jobs)");
  return changed;
}

// What is left once nothing more can be shed, for the 503's message.
std::string JournalContents(SqliteDatabase& db) {
  auto count = db.Prepare(
      "SELECT COUNT(*) FILTER (WHERE state IN ('queued','running')), COUNT(*) FILTER (WHERE "
      "state NOT IN ('queued','running')) FROM jobs");
  if (!count.Step()) return "";
  return std::to_string(count.Int(0)) + " unfinished jobs and " + std::to_string(count.Int(1)) +
         " finished jobs of the last day are left";
}

}  // namespace

bool Journal::MakeRoom(SqliteDatabase& db, double now) {
  std::uint64_t used = PagesInUseBytes(db);
  used_bytes_ = used;
  if (used < settings_.max_bytes) {
    full_ = false;
    return true;
  }
  const std::uint64_t low_water = settings_.max_bytes / 10 * 9;
  std::uint64_t shed = 0;
  while (used >= low_water) {
    const std::int64_t deleted = ShedOldestHistory(db, now);
    if (deleted == 0) break;
    shed += static_cast<std::uint64_t>(deleted);
    used = PagesInUseBytes(db);
  }
  evicted_rows_ += shed;
  used_bytes_ = used;
  if (shed > 0) {
    spdlog::warn(
        "journal: at journal.max_bytes ({} bytes); shed {} rows of the oldest finished "
        "history, {} bytes in use now",
        settings_.max_bytes, shed, used);
  }
  full_ = used >= settings_.max_bytes;
  if (full_) {
    std::lock_guard lock(full_detail_mutex_);
    full_detail_ = JournalContents(db);
  }
  return !full_;
}

JournalUsage Journal::Usage() const {
  return {used_bytes_.load(), settings_.max_bytes, full_.load(), evicted_rows_.load()};
}

void Journal::Cleanup(double now) {
  const double cutoff = now - std::chrono::duration<double>(settings_.retention).count();
  const auto max_rows = static_cast<std::int64_t>(settings_.max_rows);
  Write([&](SqliteDatabase& db) {
    const char* finished = "state NOT IN ('queued','running')";
    db.Prepare(std::string("DELETE FROM jobs WHERE ") + finished + " AND created_at<?")
        .Bind(1, cutoff)
        .Run();
    db.Prepare(std::string("DELETE FROM jobs WHERE ") + finished +
               " AND id <= (SELECT id FROM jobs ORDER BY id DESC LIMIT 1 OFFSET ?)")
        .Bind(1, max_rows)
        .Run();
    db.Execute("DELETE FROM job_steps WHERE job_id NOT IN (SELECT id FROM jobs)");
    db.Prepare("DELETE FROM notices WHERE created_at<? AND sent_at IS NOT NULL")
        .Bind(1, cutoff)
        .Run();
    for (const char* table : {"alerts", "notifications"}) {
      db.Prepare(std::string("DELETE FROM ") + table + " WHERE received_at<?")
          .Bind(1, cutoff)
          .Run();
      db.Prepare(std::string("DELETE FROM ") + table + " WHERE id <= (SELECT id FROM " + table +
                 " ORDER BY id DESC LIMIT 1 OFFSET ?)")
          .Bind(1, max_rows)
          .Run();
    }
  });
}

}  // namespace medic::remediation
