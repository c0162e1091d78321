#include "auth/schema.hpp"

#include <array>
#include <string>

namespace postern::auth {

namespace {

// migrations[i] takes the database from user_version i to i + 1. Append, never edit: a
// database in the field has run the old text.
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
    // 1 -> 2: what SMTP AUTH needs. Every credential gets SCRAM verifiers (their own table),
    // an optional CRAM-MD5 secret, an optional imported legacy hash, sender and network
    // restrictions; accounts get the CRAM-MD5 switch; a generation counter lets a running
    // server see changes made by another process. SQLite cannot drop the NOT NULL of
    // argon2id_hash (an imported account has none until its first login), so credentials is
    // rebuilt (https://www.sqlite.org/lang_altertable.html §7); nothing references it yet.
    R"sql(
ALTER TABLE accounts ADD COLUMN cram_md5_enabled INTEGER NOT NULL DEFAULT 0 CHECK (cram_md5_enabled IN (0, 1));

-- kind 'password' is the account's own password (name 'password'); kind 'app' an app password
-- (a service credential) with a name of its own. A credential has an argon2id hash, or a
-- legacy hash imported from another server ('{SCHEME}...', e.g. from a Dovecot passwd-file)
-- that the first successful PLAIN/LOGIN replaces with argon2id and SCRAM verifiers.
CREATE TABLE credentials_v2 (
  id               INTEGER PRIMARY KEY,
  account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name             TEXT    NOT NULL,
  kind             TEXT    NOT NULL CHECK (kind IN ('password', 'app')),
  argon2id_hash    TEXT,
  legacy_hash      TEXT,
  -- The HMAC-MD5 key schedule (sasl::CramSecret), outer then inner state as Dovecot orders
  -- them; a password equivalent, kept only while CRAM-MD5 is enabled for the account.
  cram_md5_secret  BLOB CHECK (cram_md5_secret IS NULL OR length(cram_md5_secret) = 32),
  created          INTEGER NOT NULL,
  updated          INTEGER NOT NULL,
  expires          INTEGER,  -- NULL: never
  revoked_at       INTEGER,  -- NULL: in force
  last_used        INTEGER,
  allowed_senders  TEXT    NOT NULL DEFAULT '',  -- comma-separated addresses; '': the account's own
  allowed_networks TEXT    NOT NULL DEFAULT '',  -- comma-separated CIDRs; '': anywhere
  UNIQUE (account_id, name),
  CHECK (argon2id_hash IS NOT NULL OR legacy_hash IS NOT NULL)
);
INSERT INTO credentials_v2 (id, account_id, name, kind, argon2id_hash, created, updated, expires, revoked_at,
                            last_used)
  SELECT id, account_id, name, kind, argon2id_hash, created, updated, expires, revoked, last_used FROM credentials;
DROP TABLE credentials;
ALTER TABLE credentials_v2 RENAME TO credentials;

-- RFC 5802 §3: salt, iteration count, StoredKey and ServerKey, raw bytes. A credential carried
-- over from version 1 or imported from a legacy hash has none until its next PLAIN/LOGIN.
CREATE TABLE scram_verifiers (
  credential_id INTEGER NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
  mechanism     TEXT    NOT NULL CHECK (mechanism IN ('SCRAM-SHA-1', 'SCRAM-SHA-256')),
  salt          BLOB    NOT NULL,
  iterations    INTEGER NOT NULL,
  stored_key    BLOB    NOT NULL,
  server_key    BLOB    NOT NULL,
  PRIMARY KEY (credential_id, mechanism)
) WITHOUT ROWID;

-- One row, incremented in the same transaction as every administrative change: a server
-- compares it with what its caches saw and so notices a change made by `postern user` or
-- `postern credential` without a restart.
CREATE TABLE generation (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
INSERT INTO generation (id, value) VALUES (1, 1);
)sql",
    // 2 -> 3: what abuse defence needs from the accounts. Sending-limit overrides, further
    // sender addresses an account may use, and suspended credentials. Suspensions are keyed by
    // the credential's name rather than a column of credentials so that the credentials with no
    // stored row (a bearer token: 'oauth', a client certificate: 'certificate') can be
    // suspended too.
    R"sql(
-- An operator's override of the configured sending limits (`postern user limits`), for the
-- account (credential '') or one of its credentials (by name: 'password', 'oauth',
-- 'certificate' or an app password). A NULL limit keeps the configured one; unlimited lifts
-- them all.
CREATE TABLE limit_overrides (
  account_id          INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  credential          TEXT    NOT NULL DEFAULT '',
  messages_per_hour   INTEGER CHECK (messages_per_hour > 0),
  messages_per_day    INTEGER CHECK (messages_per_day > 0),
  recipients_per_hour INTEGER CHECK (recipients_per_hour > 0),
  recipients_per_day  INTEGER CHECK (recipients_per_day > 0),
  unlimited           INTEGER NOT NULL DEFAULT 0 CHECK (unlimited IN (0, 1)),
  updated             INTEGER NOT NULL,
  PRIMARY KEY (account_id, credential)
) WITHOUT ROWID;

-- Envelope senders an account may use besides its address and aliases (DESIGN §3.6 "unless
-- granted more"): one address 'local@domain', a whole domain '@domain', or the null sender
-- '<>' (bounces, RFC 5321 §4.5.5).
CREATE TABLE sender_grants (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  sender     TEXT    NOT NULL COLLATE NOCASE,
  created    INTEGER NOT NULL,
  PRIMARY KEY (account_id, sender)
) WITHOUT ROWID;

-- A suspended credential is refused like a revoked one but keeps its secrets, so that resuming
-- it needs no new password on the client.
CREATE TABLE suspensions (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  credential TEXT    NOT NULL,
  since      INTEGER NOT NULL,
  reason     TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (account_id, credential)
) WITHOUT ROWID;
)sql",
};

}  // namespace

base::Result<void> migrate(sqlite::Db& db, std::int64_t target) {
  if (target < 0 || target > schema_version) return base::fail("no schema version " + std::to_string(target));
  auto tx = sqlite::Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  auto version = db.query_int("PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  if (*version < 0 || *version > schema_version) {
    return base::fail("account database has schema version " + std::to_string(*version) +
                      ", which this postern does not understand (it knows " + std::to_string(schema_version) +
                      "): created by a newer postern?");
  }
  if (*version >= target) return {};  // the transaction rolls back: nothing to change
  for (auto v = *version; v < target; ++v) {
    auto ok = db.exec(migrations[static_cast<std::size_t>(v)]);
    if (!ok)
      return base::fail("account database migration to version " + std::to_string(v + 1) + ": " + ok.error().message);
  }
  auto set = db.exec(("PRAGMA user_version = " + std::to_string(target)).c_str());
  if (!set) return set;
  return tx->commit();
}

}  // namespace postern::auth
