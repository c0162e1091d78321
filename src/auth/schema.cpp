#include "auth/schema.hpp"

#include <array>
#include <string>

namespace postern::auth {

namespace {

// migrations[i] takes the database from user_version i to i + 1. Append, never edit: a
// database in the field has run the old text. Later work adds tables (SCRAM verifiers keyed by
// credential id, sender restrictions, lockouts) and columns with ALTER TABLE ... ADD COLUMN.
constexpr std::array<const char*, schema_version> migrations = {
    // 0 -> 1: accounts, aliases, credentials, audit.
    R"sql(
-- One row per identity that can log in. The address is both the SMTP AUTH user name and the
-- account's own mailbox. NOCASE folds ASCII only: local parts compare case-insensitively in
-- ASCII, as the store promises (RFC 5321 §2.4 leaves local-part case to the owning server).
CREATE TABLE accounts (
  id       INTEGER PRIMARY KEY,
  address  TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created  INTEGER NOT NULL  -- unix seconds, as every time column
);

-- Further addresses delivered to an account. An address is an account or an alias, never both
-- (the store checks this inside its write transaction).
CREATE TABLE aliases (
  id         INTEGER PRIMARY KEY,
  address    TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created    INTEGER NOT NULL
);
CREATE INDEX aliases_by_account ON aliases(account_id);

-- Secrets an account authenticates with, as hashes only. kind 'password' is the account's own
-- password (name 'password', one per account); app passwords will be further kinds with their
-- own names, sharing expiry, revocation and last-use bookkeeping.
CREATE TABLE credentials (
  id            INTEGER PRIMARY KEY,
  account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name          TEXT    NOT NULL,
  kind          TEXT    NOT NULL,
  argon2id_hash TEXT    NOT NULL,
  created       INTEGER NOT NULL,
  updated       INTEGER NOT NULL,
  expires       INTEGER,  -- NULL: never
  revoked       INTEGER,  -- NULL: in force
  last_used     INTEGER,
  UNIQUE (account_id, name)
);

-- Administrative changes: who changed which account, and how. Never holds a secret.
CREATE TABLE audit (
  id      INTEGER PRIMARY KEY,
  time    INTEGER NOT NULL,
  actor   TEXT    NOT NULL,
  action  TEXT    NOT NULL,
  subject TEXT    NOT NULL,
  detail  TEXT    NOT NULL DEFAULT ''
);
)sql",
};

}  // namespace

base::Result<void> migrate(sqlite::Db& db) {
  auto tx = sqlite::Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  auto version = db.query_int("PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  if (*version < 0 || *version > schema_version) {
    return base::fail("account database has schema version " + std::to_string(*version) +
                      ", which this postern does not understand (it knows " + std::to_string(schema_version) +
                      "): created by a newer postern?");
  }
  if (*version == schema_version) return {};  // the transaction rolls back: nothing to change
  for (auto v = *version; v < schema_version; ++v) {
    auto ok = db.exec(migrations[static_cast<std::size_t>(v)]);
    if (!ok)
      return base::fail("account database migration to version " + std::to_string(v + 1) + ": " + ok.error().message);
  }
  auto set = db.exec(("PRAGMA user_version = " + std::to_string(schema_version)).c_str());
  if (!set) return set;
  return tx->commit();
}

}  // namespace postern::auth
