#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace medic::remediation {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(const std::string& message, int code) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class SqliteStatement;

// An open SQLite connection (RAII). Not thread-safe: callers serialise access.
class SqliteDatabase {
 public:
  enum class Mode { kReadWriteCreate, kReadOnly };
  explicit SqliteDatabase(const std::string& path, Mode mode = Mode::kReadWriteCreate);
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  void Execute(std::string_view sql);
  SqliteStatement Prepare(std::string_view sql);
  // A statement prepared once per connection and reused: compiling SQL costs more than running
  // a small INSERT, so hot paths (the webhook intake, transaction control) use this. Returned
  // reset with its bindings cleared; the reference stays valid for the connection's lifetime.
  // Not re-entrant: finish with one use before asking for the same SQL again.
  SqliteStatement& Cached(const std::string& sql);
  // Resets every cached statement, e.g. before rolling back after a failed write.
  void ResetCached();
  std::int64_t LastInsertId() const;
  int Changes() const;
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
  // Declared after db_ so the statements are finalized before the connection closes.
  std::map<std::string, std::unique_ptr<SqliteStatement>, std::less<>> cached_;
};

// A prepared statement (RAII). Bind with 1-based indexes; Step() returns true for a row.
class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql);

  SqliteStatement& Bind(int index, std::int64_t value);
  SqliteStatement& Bind(int index, int value) { return Bind(index, std::int64_t{value}); }
  SqliteStatement& Bind(int index, double value);
  SqliteStatement& Bind(int index, std::string_view value);
  SqliteStatement& Bind(int index, const char* value) {
    return Bind(index, std::string_view(value));
  }
  SqliteStatement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  SqliteStatement& BindNull(int index);

  bool Step();
  // Runs a statement that returns no rows.
  void Run();
  void Reset();

  std::int64_t Int(int column) const;
  double Real(int column) const;
  std::string Text(int column) const;
  bool IsNull(int column) const;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> statement_;
};

}  // namespace medic::remediation
