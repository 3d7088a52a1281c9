#include "medic/remediation/journal.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

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
-- Idempotency: one job per remediation per (fingerprint, startsAt, status), whatever
-- Alertmanager repeats or retries. Refused jobs use a distinct key space (see below).
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs(remediation, idempotency_key);
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
)sql";

constexpr const char* kJobColumns =
    "id, alert_id, remediation, target, state, result, idempotency_key, fingerprint, alertname, "
    "alert_json, detail, next_step, attempts, dry_run, created_at, COALESCE(started_at, 0), "
    "COALESCE(finished_at, 0)";

JobRecord ReadJob(const SqliteStatement& row) {
  JobRecord job;
  job.id = row.Int(0);
  job.alert_id = row.Int(1);
  job.remediation = row.Text(2);
  job.target = row.Text(3);
  job.state = row.Text(4);
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
  return job;
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
    CreateSchema();
    // Checkpoints (copying the WAL back into the database, with its own fsyncs) run on a
    // second connection, so a commit never waits behind one; they do not affect durability,
    // which the WAL's fsync at commit already gives. The hook replaces SQLite's automatic
    // checkpoint on the writer's commits.
    checkpoint_db_ = std::make_unique<SqliteDatabase>(path_);
    sqlite3_busy_timeout(checkpoint_db_->handle(), 5000);
    checkpoint_db_->Execute("PRAGMA synchronous=FULL");
    checkpoint_db_->Execute("PRAGMA cache_size=-128");  // it only copies WAL frames back
    sqlite3_wal_hook(db_->handle(), &Journal::OnWalCommit, this);
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

void Journal::CreateSchema() { db_->Execute(kSchema); }

void Journal::Write(std::function<void(SqliteDatabase&)> write) {
  std::future<void> done;
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) throw std::runtime_error("journal is closing");
    pending_.push_back(PendingWrite{std::move(write), {}});
    done = pending_.back().done.get_future();
  }
  queue_cv_.notify_one();
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

IntakeResult Journal::RecordNotification(const webhook::Notification& notification,
                                         const std::vector<std::vector<PlannedJob>>& plans,
                                         const std::string& peer, std::size_t queue_capacity) {
  // Everything that does not need the database is computed here, on the caller's thread, so
  // concurrent requests do it in parallel instead of one after another on the writer thread.
  struct AlertRow {
    std::string key;
    std::string alertname;
    std::string json;
  };
  std::vector<AlertRow> rows;
  rows.reserve(notification.alerts.size());
  for (const auto& alert : notification.alerts) {
    rows.push_back({alert.IdempotencyKey(), alert.AlertName(), alert.ToJsonText()});
  }
  const std::int64_t alert_count = static_cast<std::int64_t>(notification.alerts.size());

  IntakeResult result;
  Write([&](SqliteDatabase& db) {
    result = IntakeResult{};
    const double now = UnixNow();
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
      }
      if (i >= plans.size()) continue;
      for (const auto& plan : plans[i]) {
        const bool refused = !plan.refused_reason.empty();
        auto& insert_job = db.Cached(
            "INSERT OR IGNORE INTO jobs(alert_id, remediation, target, idempotency_key, "
            "fingerprint, alertname, alert_json, state, result, detail, dry_run, created_at, "
            "finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
        // Refused jobs get a per-alert key so they are recorded every time without
        // blocking a later, valid job for the same alert.
        insert_job.Bind(1, alert_id)
            .Bind(2, plan.remediation)
            .Bind(3, plan.target)
            .Bind(4, refused ? row.key + "|refused|" + std::to_string(alert_id) : row.key)
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
        insert_job.Run();
        IntakeJob job{plan.remediation, plan.target, IntakeOutcome::kQueued, 0};
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
                             " FROM jobs WHERE state='queued' ORDER BY id");
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
    claimed->state = "running";
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
                            const std::string& output) {
  Write([&](SqliteDatabase& db) {
    db.Prepare(
          "UPDATE job_steps SET state=?, finished_at=?, output=? WHERE job_id=? AND "
          "step_index=? AND state='running'")
        .Bind(1, state)
        .Bind(2, UnixNow())
        .Bind(3, output)
        .Bind(4, job_id)
        .Bind(5, step_index)
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

void Journal::FinishJob(std::int64_t job_id, const std::string& state, const std::string& result,
                        const std::string& detail) {
  Write([&](SqliteDatabase& db) {
    db.Prepare("UPDATE jobs SET state=?, result=?, detail=?, finished_at=? WHERE id=?")
        .Bind(1, state)
        .Bind(2, result)
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
        "SELECT step_index, kind, state, output FROM job_steps WHERE job_id=? AND "
        "state NOT IN ('running','interrupted') ORDER BY id");
    select.Bind(1, job_id);
    while (select.Step()) {
      steps.push_back(
          {static_cast<int>(select.Int(0)), select.Text(1), select.Text(2), select.Text(3)});
    }
    return steps;
  });
}

int Journal::CountRunsSince(const std::string& target, double since, std::int64_t except_job) {
  return Read<int>([&](SqliteDatabase& db) {
    auto select = db.Prepare(
        "SELECT COUNT(*) FROM jobs WHERE target=? AND started_at>=? AND dry_run=0 AND id<>? AND "
        "state IN ('running','succeeded','failed','interrupted')");
    select.Bind(1, target).Bind(2, since).Bind(3, except_job);
    select.Step();
    return static_cast<int>(select.Int(0));
  });
}

std::optional<double> Journal::LastRunStart(const std::string& remediation,
                                            const std::string& target) {
  return Read<std::optional<double>>([&](SqliteDatabase& db) -> std::optional<double> {
    auto select = db.Prepare(
        "SELECT MAX(started_at) FROM jobs WHERE remediation=? AND target=? AND dry_run=0 AND "
        "state IN ('succeeded','failed','interrupted')");
    select.Bind(1, remediation).Bind(2, target);
    if (!select.Step() || select.IsNull(0)) return std::nullopt;
    return select.Real(0);
  });
}

bool Journal::MarkCircuitOpen(const std::string& target, double now, double window_start) {
  bool newly_opened = false;
  Write([&](SqliteDatabase& db) {
    auto select = db.Prepare("SELECT opened_at FROM circuits WHERE target=?");
    select.Bind(1, target);
    if (select.Step() && select.Real(0) >= window_start) {
      newly_opened = false;
      return;
    }
    db.Prepare("INSERT OR REPLACE INTO circuits(target, opened_at) VALUES (?,?)")
        .Bind(1, target)
        .Bind(2, now)
        .Run();
    newly_opened = true;
  });
  return newly_opened;
}

void Journal::CloseCircuit(const std::string& target) {
  Write([&](SqliteDatabase& db) {
    db.Prepare("DELETE FROM circuits WHERE target=?").Bind(1, target).Run();
  });
}

std::set<std::string> Journal::OpenCircuits() {
  return Read<std::set<std::string>>([](SqliteDatabase& db) {
    std::set<std::string> targets;
    auto select = db.Prepare("SELECT target FROM circuits");
    while (select.Step()) targets.insert(select.Text(0));
    return targets;
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
    auto select = db.Prepare(std::string("SELECT ") + kJobColumns +
                             " FROM jobs WHERE created_at>=? ORDER BY id DESC LIMIT ?");
    select.Bind(1, since).Bind(2, static_cast<std::int64_t>(limit));
    auto steps = db.Prepare(
        "SELECT step_index, kind, state, started_at, COALESCE(finished_at, 0), output FROM "
        "job_steps WHERE job_id=? ORDER BY id");
    while (select.Step()) {
      const JobRecord job = ReadJob(select);
      nlohmann::json entry = {{"id", job.id},
                              {"remediation", job.remediation},
                              {"target", job.target},
                              {"state", job.state},
                              {"result", job.result},
                              {"alertname", job.alertname},
                              {"fingerprint", job.fingerprint},
                              {"dry_run", job.dry_run},
                              {"attempts", job.attempts},
                              {"detail", job.detail},
                              {"created_at", job.created_at},
                              {"started_at", job.started_at},
                              {"finished_at", job.finished_at}};
      nlohmann::json step_list = nlohmann::json::array();
      steps.Reset();
      steps.Bind(1, job.id);
      while (steps.Step()) {
        step_list.push_back({{"index", steps.Int(0)},
                             {"kind", steps.Text(1)},
                             {"state", steps.Text(2)},
                             {"started_at", steps.Real(3)},
                             {"finished_at", steps.Real(4)},
                             {"output", steps.Text(5)}});
      }
      entry["steps"] = std::move(step_list);
      jobs.push_back(std::move(entry));
    }
    return jobs;
  });
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
