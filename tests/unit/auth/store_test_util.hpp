#pragma once
// Helpers for the account store and authenticator tests: a temporary data directory, raw SQL
// through a connection of its own (as another process would), and fast hashing parameters.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/account_store.hpp"
#include "fakes.hpp"

namespace postern::auth::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "postern-auth-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs SQL through a connection of its own; returns SQLite's message on failure, "" on success.
inline std::string raw_exec(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) return "cannot open";
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = rc == SQLITE_OK ? "" : (err != nullptr ? err : "error");
  sqlite3_free(err);
  sqlite3_close(db);
  return message;
}

/// Every row of a query, columns joined with "|" (NULL as "NULL", blobs by their length).
inline std::vector<std::string> raw_rows(const std::filesystem::path& file, const std::string& sql) {
  std::vector<std::string> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) return rows;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        if (i > 0) row += "|";
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_NULL:
            row += "NULL";
            break;
          case SQLITE_BLOB:
            row += "blob" + std::to_string(sqlite3_column_bytes(stmt, i));
            break;
          default:
            row += reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        }
      }
      rows.push_back(row);
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

inline std::optional<std::string> raw_value(const std::filesystem::path& file, const std::string& sql) {
  auto rows = raw_rows(file, sql);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

/// argon2id cheap enough for unit tests; the costs themselves are tested in password_hash_test.
inline HashParams fast_hash() { return HashParams{.memory_kib = 256, .passes = 1, .lanes = 1}; }

/// Options for a store on the fake clock and deterministic randomness.
inline StoreOptions test_options(base::Random& random, const base::Clock& clock,
                                 std::vector<std::string>* errors = nullptr) {
  StoreOptions options;
  options.random = &random;
  options.clock = &clock;
  options.hash = fast_hash();
  options.actor = "test";
  if (errors != nullptr) options.on_error = [errors](const std::string& m) { errors->push_back(m); };
  return options;
}

inline std::unique_ptr<AccountStore> open_store(const std::filesystem::path& file, StoreOptions options) {
  auto store = AccountStore::open(file, std::move(options));
  EXPECT_TRUE(store) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

inline std::int64_t seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

/// Every file under `dir` (recursively) that contains `needle`.
inline std::vector<std::string> files_containing(const std::filesystem::path& dir, const std::string& needle) {
  std::vector<std::string> hits;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    if (read_all(entry.path()).find(needle) != std::string::npos) hits.push_back(entry.path().string());
  }
  return hits;
}

}  // namespace postern::auth::test
