#include "auth/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace postern::auth::sqlite {

base::Result<Db> Db::open(const std::filesystem::path& file, int flags, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  Db db(raw);  // sqlite3_open_v2 may hand out a handle even on failure; it must be closed
  if (rc != SQLITE_OK) {
    return base::fail("sqlite: cannot open " + file.string() + ": " +
                      (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return db;
}

Db::Db(Db&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Db::~Db() {
  // close_v2 defers the close until the last statement is finalized, so member order between a
  // connection and its statements does not matter.
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

base::Result<void> Db::exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return base::fail("sqlite: " + text);
  }
  return {};
}

base::Result<std::int64_t> Db::query_int(const char* sql) {
  auto stmt = Stmt::prepare(*this, sql);
  if (!stmt) return std::unexpected(stmt.error());
  Stmt::Scope scope(*stmt);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return base::fail(std::string("sqlite: no result from ") + sql);
  return stmt->column_int64(0);
}

base::Result<std::string> Db::query_text(const char* sql) {
  auto stmt = Stmt::prepare(*this, sql);
  if (!stmt) return std::unexpected(stmt.error());
  Stmt::Scope scope(*stmt);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return base::fail(std::string("sqlite: no result from ") + sql);
  return std::string(stmt->column_text(0));
}

int Db::changes() const { return sqlite3_changes(db_); }

std::string Db::error(std::string_view what) const {
  return "sqlite: " + std::string(what) + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : "no connection");
}

base::Result<Stmt> Stmt::prepare(const Db& db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return base::fail(db.error("prepare"));
  }
  return Stmt(raw);
}

Stmt::Stmt(Stmt&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

void Stmt::bind_text(int index, std::string_view value) {
  // An empty view may have a null data(), which SQLite would bind as NULL, not as ''.
  static const char none = 0;
  sqlite3_bind_text(stmt_, index, value.empty() ? &none : value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
}

void Stmt::bind_blob(int index, std::string_view value) {
  // A zero-length blob needs a non-null pointer, or SQLite stores NULL.
  static const char none = 0;
  sqlite3_bind_blob(stmt_, index, value.empty() ? &none : value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
}

void Stmt::bind_int64(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void Stmt::bind_null(int index) { sqlite3_bind_null(stmt_, index); }

base::Result<bool> Stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return base::fail(std::string("sqlite: ") + sqlite3_errmsg(sqlite3_db_handle(stmt_)));
}

base::Result<void> Stmt::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

std::string_view Stmt::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

std::string_view Stmt::column_blob(int index) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
  if (data == nullptr) return {};
  return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

std::int64_t Stmt::column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }

bool Stmt::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

void Stmt::reset() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Stmt::extended_error() const { return sqlite3_extended_errcode(sqlite3_db_handle(stmt_)); }

base::Result<Transaction> Transaction::begin(Db& db) {
  auto ok = db.exec("BEGIN IMMEDIATE");
  if (!ok) return std::unexpected(ok.error());
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

base::Result<void> Transaction::commit() {
  auto ok = db_->exec("COMMIT");
  if (!ok) return ok;  // the destructor rolls back
  db_ = nullptr;
  return {};
}

}  // namespace postern::auth::sqlite
