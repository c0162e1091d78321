#pragma once
// Helpers shared by the files that implement AccountStore (account_store.cpp,
// credential_store.cpp, login_lookup.cpp). Not part of the store's interface.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/account_store.hpp"
#include "auth/credential_secrets.hpp"
#include "auth/sqlite.hpp"
#include "base/result.hpp"

namespace postern::auth {

/// A reading thread's connection with its prepared statements (see AccountStore::reader()).
struct AccountStore::Reader {
  sqlite::Db db;
  sqlite::Stmt mailbox;
  sqlite::Stmt login;
  sqlite::Stmt generation;
};

}  // namespace postern::auth

namespace postern::auth::detail {

inline std::int64_t to_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

inline TimePoint from_seconds(std::int64_t s) { return TimePoint(std::chrono::seconds(s)); }

/// A nullable time column.
inline std::optional<TimePoint> optional_time(const sqlite::Stmt& stmt, int column) {
  if (stmt.column_is_null(column)) return std::nullopt;
  return from_seconds(stmt.column_int64(column));
}

/// Lists are stored as comma-separated text: addresses and CIDRs never contain a comma (the
/// store refuses one that does).
std::string join_list(const std::vector<std::string>& items);
std::vector<std::string> split_list(std::string_view text, char separator = ',');

/// Creates `file` with mode 0600 unless it exists, before SQLite opens it: SQLite gives its
/// -wal and -shm files the same mode.
base::Result<void> create_private(const std::filesystem::path& file);

base::Result<bool> is_account(sqlite::Db& db, std::string_view address);
base::Result<bool> is_alias(sqlite::Db& db, std::string_view address);
/// Refuses an empty password.
base::Result<void> check_password_text(std::string_view password);

/// The id of the account, or an error "no account ADDRESS".
base::Result<std::int64_t> account_id(sqlite::Db& db, std::string_view address);

/// The account's CRAM-MD5 switch.
base::Result<bool> cram_md5_enabled(sqlite::Db& db, std::int64_t account);

/// Stores `secrets` as the credential's argon2id hash and SCRAM verifiers (replacing any), its
/// CRAM-MD5 secret when `with_cram` (else none), drops its legacy hash and sets `updated`.
base::Result<void> write_secrets(sqlite::Db& db, std::int64_t credential, const PasswordSecrets& secrets,
                                 bool with_cram, std::int64_t now);

/// Inserts or replaces the account's own password credential (kind 'password') with either an
/// argon2id hash or a legacy hash (the other empty), clearing any expiry or revocation, and
/// returns its id. SCRAM verifiers and the CRAM-MD5 secret are write_secrets()' business.
base::Result<std::int64_t> upsert_password_row(sqlite::Db& db, std::int64_t account, std::string_view argon2id,
                                               std::string_view legacy, std::int64_t now);

}  // namespace postern::auth::detail
