#pragma once
// A thin RAII layer over the SQLite C API: connections and prepared statements whose failures
// are values carrying SQLite's message.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace postern::auth::sqlite {

/// One connection. Not thread-safe: a connection belongs to one thread at a time (the store
/// keeps one per reading thread and guards its writer with a mutex).
class Db {
 public:
  /// `flags` are SQLITE_OPEN_* flags. `busy_timeout_ms`: how long a statement waits for a lock
  /// held by another connection before failing with SQLITE_BUSY.
  static base::Result<Db> open(const std::filesystem::path& file, int flags, int busy_timeout_ms);

  Db() = default;
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  /// Runs one or more statements that return no rows the caller needs.
  base::Result<void> exec(const char* sql);
  /// Runs a statement returning one integer (e.g. `PRAGMA user_version`).
  base::Result<std::int64_t> query_int(const char* sql);
  /// Runs a statement returning one text value (e.g. `PRAGMA journal_mode = WAL`).
  base::Result<std::string> query_text(const char* sql);
  /// Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int changes() const;
  /// "sqlite: <what>: <SQLite's message>".
  std::string error(std::string_view what) const;
  sqlite3* get() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

/// A prepared statement. Every use starts with bind_* and ends with reset() (a Scope does it),
/// so that no statement keeps a read transaction open between calls.
class Stmt {
 public:
  static base::Result<Stmt> prepare(const Db& db, const char* sql);

  Stmt() = default;
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&& other) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  void bind_text(int index, std::string_view value);
  /// Binds bytes that may hold any octet (salts, keys) as a BLOB.
  void bind_blob(int index, std::string_view value);
  void bind_int64(int index, std::int64_t value);
  void bind_null(int index);
  /// true: a row is ready; false: done. An error carries SQLite's message.
  base::Result<bool> step();
  /// Runs to completion, ignoring rows.
  base::Result<void> run();
  std::string_view column_text(int index) const;
  /// The bytes of a BLOB (or TEXT) column; empty for NULL.
  std::string_view column_blob(int index) const;
  std::int64_t column_int64(int index) const;
  bool column_is_null(int index) const;
  void reset();
  /// SQLITE_CONSTRAINT_UNIQUE etc. of the last step, for callers that turn a constraint into a
  /// message of their own.
  int extended_error() const;

  /// Resets the statement when the scope ends, whatever path leaves it.
  class Scope {
   public:
    explicit Scope(Stmt& stmt) : stmt_(stmt) {}
    ~Scope() { stmt_.reset(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Stmt& stmt_;
  };

 private:
  explicit Stmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  sqlite3_stmt* stmt_ = nullptr;
};

/// BEGIN IMMEDIATE ... COMMIT, rolled back when destroyed uncommitted. IMMEDIATE takes the write
/// lock up front so that a read-then-write transaction cannot fail half-way with SQLITE_BUSY.
class Transaction {
 public:
  static base::Result<Transaction> begin(Db& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  base::Result<void> commit();

 private:
  explicit Transaction(Db& db) : db_(&db) {}
  Db* db_;
};

}  // namespace postern::auth::sqlite
