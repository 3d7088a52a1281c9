#include "medic/remediation/sqlite.h"

namespace medic::remediation {

namespace {

[[noreturn]] void Fail(sqlite3* db, int code, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw SqliteError(message, code);
}

}  // namespace

SqliteDatabase::SqliteDatabase(const std::string& path, Mode mode) : path_(path) {
  sqlite3* raw = nullptr;
  const int flags = (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY
                                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) Fail(raw, rc, "cannot open " + path);
  sqlite3_extended_result_codes(raw, 1);
}

void SqliteDatabase::Execute(std::string_view sql) {
  std::string text(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw SqliteError(path_ + ": " + message, rc);
  }
}

SqliteStatement SqliteDatabase::Prepare(std::string_view sql) { return {db_.get(), sql}; }

SqliteStatement& SqliteDatabase::Cached(const std::string& sql) {
  auto it = cached_.find(sql);
  if (it == cached_.end()) {
    it = cached_.emplace(sql, std::make_unique<SqliteStatement>(db_.get(), sql)).first;
  } else {
    it->second->Reset();
  }
  return *it->second;
}

void SqliteDatabase::ResetCached() {
  for (auto& [sql, statement] : cached_) statement->Reset();
}

std::int64_t SqliteDatabase::LastInsertId() const { return sqlite3_last_insert_rowid(db_.get()); }

int SqliteDatabase::Changes() const { return sqlite3_changes(db_.get()); }

SqliteStatement::SqliteStatement(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  statement_.reset(raw);
  if (rc != SQLITE_OK) Fail(db, rc, "prepare");
}

SqliteStatement& SqliteStatement::Bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(statement_.get(), index, value);
  if (rc != SQLITE_OK) Fail(db_, rc, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, double value) {
  const int rc = sqlite3_bind_double(statement_.get(), index, value);
  if (rc != SQLITE_OK) Fail(db_, rc, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view value) {
  const int rc = sqlite3_bind_text(statement_.get(), index, value.data(),
                                   static_cast<int>(value.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) Fail(db_, rc, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  const int rc = sqlite3_bind_null(statement_.get(), index);
  if (rc != SQLITE_OK) Fail(db_, rc, "bind");
  return *this;
}

bool SqliteStatement::Step() {
  const int rc = sqlite3_step(statement_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Fail(db_, rc, "step");
}

void SqliteStatement::Run() {
  while (Step()) {
  }
}

void SqliteStatement::Reset() {
  sqlite3_reset(statement_.get());
  sqlite3_clear_bindings(statement_.get());
}

std::int64_t SqliteStatement::Int(int column) const {
  return sqlite3_column_int64(statement_.get(), column);
}

double SqliteStatement::Real(int column) const {
  return sqlite3_column_double(statement_.get(), column);
}

std::string SqliteStatement::Text(int column) const {
  const auto* text = sqlite3_column_text(statement_.get(), column);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<std::size_t>(sqlite3_column_bytes(statement_.get(), column))};
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL;
}

}  // namespace medic::remediation
