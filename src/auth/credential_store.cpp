// AccountStore: administrative changes to credentials (passwords, app passwords, CRAM-MD5,
// disabling) and the import of legacy hashes.

#include <sqlite3.h>

#include "auth/account_store.hpp"
#include "auth/legacy_hash.hpp"
#include "auth/store_detail.hpp"
#include "sasl/cram_md5.hpp"
#include "sasl/crypto.hpp"

namespace postern::auth {

namespace detail {

namespace {

base::Result<void> insert_verifier(sqlite::Db& db, std::int64_t credential, const char* mechanism,
                                   const sasl::ScramVerifier& v) {
  auto stmt = sqlite::Stmt::prepare(db,
                                    "INSERT INTO scram_verifiers "
                                    "(credential_id, mechanism, salt, iterations, stored_key, server_key) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_int64(1, credential);
  stmt->bind_text(2, mechanism);
  stmt->bind_blob(3, v.salt);
  stmt->bind_int64(4, v.iterations);
  stmt->bind_blob(5, v.stored_key);
  stmt->bind_blob(6, v.server_key);
  return stmt->run();
}

base::Result<void> run_with_id(sqlite::Db& db, const char* sql, std::int64_t id) {
  auto stmt = sqlite::Stmt::prepare(db, sql);
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_int64(1, id);
  return stmt->run();
}

}  // namespace

base::Result<bool> cram_md5_enabled(sqlite::Db& db, std::int64_t account) {
  auto stmt = sqlite::Stmt::prepare(db, "SELECT cram_md5_enabled FROM accounts WHERE id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_int64(1, account);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return *row && stmt->column_int64(0) != 0;
}

base::Result<void> write_secrets(sqlite::Db& db, std::int64_t credential, const PasswordSecrets& secrets,
                                 bool with_cram, std::int64_t now) {
  auto update = sqlite::Stmt::prepare(db,
                                      "UPDATE credentials SET argon2id_hash = ?2, legacy_hash = NULL, "
                                      "cram_md5_secret = ?3, updated = ?4 WHERE id = ?1");
  if (!update) return std::unexpected(update.error());
  {
    sqlite::Stmt::Scope scope(*update);
    update->bind_int64(1, credential);
    update->bind_text(2, secrets.argon2id);
    if (with_cram) {
      update->bind_blob(3, cram_secret_bytes(secrets.cram_md5));
    } else {
      update->bind_null(3);
    }
    update->bind_int64(4, now);
    if (auto ok = update->run(); !ok) return ok;
  }
  if (auto ok = run_with_id(db, "DELETE FROM scram_verifiers WHERE credential_id = ?1", credential); !ok) return ok;
  if (secrets.scram_sha1) {
    if (auto ok = insert_verifier(db, credential, "SCRAM-SHA-1", *secrets.scram_sha1); !ok) return ok;
  }
  if (secrets.scram_sha256) {
    if (auto ok = insert_verifier(db, credential, "SCRAM-SHA-256", *secrets.scram_sha256); !ok) return ok;
  }
  return {};
}

base::Result<std::int64_t> upsert_password_row(sqlite::Db& db, std::int64_t account, std::string_view argon2id,
                                               std::string_view legacy, std::int64_t now) {
  auto stmt = sqlite::Stmt::prepare(
      db,
      "INSERT INTO credentials (account_id, name, kind, argon2id_hash, legacy_hash, created, updated) "
      "VALUES (?1, 'password', 'password', ?2, ?3, ?4, ?4) "
      "ON CONFLICT (account_id, name) DO UPDATE SET argon2id_hash = excluded.argon2id_hash, "
      "legacy_hash = excluded.legacy_hash, updated = excluded.updated, revoked_at = NULL, expires = NULL "
      "RETURNING id");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_int64(1, account);
  if (argon2id.empty()) {
    stmt->bind_null(2);
  } else {
    stmt->bind_text(2, argon2id);
  }
  if (legacy.empty()) {
    stmt->bind_null(3);
  } else {
    stmt->bind_text(3, legacy);
  }
  stmt->bind_int64(4, now);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return base::fail("sqlite: no id returned for the password credential");
  std::int64_t id = stmt->column_int64(0);
  // RETURNING hands out the row before the statement completes; finish it.
  if (auto done = stmt->step(); !done) return std::unexpected(done.error());
  return id;
}

}  // namespace detail

namespace {

const char* cram_action(CramMd5Change cram) {
  switch (cram) {
    case CramMd5Change::enable:
      return "cram-md5 enabled";
    case CramMd5Change::disable:
      return "cram-md5 disabled";
    case CramMd5Change::keep:
      break;
  }
  return "";
}

}  // namespace

base::Result<void> AccountStore::set_password(std::string_view address, std::string_view password,
                                              CramMd5Change cram) {
  if (auto ok = detail::check_password_text(password); !ok) return ok;
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    // Under the writer lock, which also serialises the use of random_.
    auto secrets = derive_secrets(password, *random_, options_.hash, options_.scram_iterations);
    if (!secrets) return std::unexpected(secrets.error());
    if (cram != CramMd5Change::keep) {
      if (auto ok = set_cram_md5_locked(id, cram == CramMd5Change::enable); !ok) return ok;
    }
    auto enabled = detail::cram_md5_enabled(writer_, id);
    if (!enabled) return std::unexpected(enabled.error());
    auto credential = detail::upsert_password_row(writer_, id, secrets->argon2id, "", now_seconds());
    if (!credential) return std::unexpected(credential.error());
    if (auto ok = detail::write_secrets(writer_, *credential, *secrets, *enabled, now_seconds()); !ok) return ok;
    return audit("password.set", key, cram_action(cram));
  });
}

base::Result<void> AccountStore::set_cram_md5_locked(std::int64_t account, bool enabled) {
  auto flag = sqlite::Stmt::prepare(writer_, "UPDATE accounts SET cram_md5_enabled = ?2 WHERE id = ?1");
  if (!flag) return std::unexpected(flag.error());
  {
    sqlite::Stmt::Scope scope(*flag);
    flag->bind_int64(1, account);
    flag->bind_int64(2, enabled ? 1 : 0);
    if (auto ok = flag->run(); !ok) return ok;
  }
  if (enabled) return {};
  // A CRAM-MD5 secret is a password equivalent: it goes as soon as it is not needed.
  auto drop = sqlite::Stmt::prepare(writer_, "UPDATE credentials SET cram_md5_secret = NULL WHERE account_id = ?1");
  if (!drop) return std::unexpected(drop.error());
  sqlite::Stmt::Scope scope(*drop);
  drop->bind_int64(1, account);
  return drop->run();
}

base::Result<void> AccountStore::set_cram_md5(std::string_view address, bool enabled) {
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    if (auto ok = set_cram_md5_locked(id, enabled); !ok) return ok;
    return audit(enabled ? "cram-md5.enable" : "cram-md5.disable", key);
  });
}

base::Result<void> AccountStore::set_disabled(std::string_view address, bool disabled) {
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    auto stmt = sqlite::Stmt::prepare(writer_, "UPDATE accounts SET disabled = ?2 WHERE id = ?1");
    if (!stmt) return std::unexpected(stmt.error());
    {
      sqlite::Stmt::Scope scope(*stmt);
      stmt->bind_int64(1, id);
      stmt->bind_int64(2, disabled ? 1 : 0);
      if (auto ok = stmt->run(); !ok) return ok;
    }
    return audit(disabled ? "account.disable" : "account.enable", key);
  });
}

base::Result<ImportOutcome> AccountStore::import_account(std::string_view address, std::string_view password_field) {
  auto skip = [](std::string why) { return ImportOutcome{false, std::move(why)}; };
  auto key = normalize_address(address);
  if (!key) return skip(key.error().message);
  auto at = key->rfind('@');
  switch (find_mailbox(std::string_view(*key).substr(0, at), std::string_view(*key).substr(at + 1))) {
    case policy::Lookup::found:
      return skip(*key + " already exists (as an account or an alias)");
    case policy::Lookup::temporary_failure:
      return base::fail("cannot read the account store");
    case policy::Lookup::not_found:
      break;
  }
  std::string clear;
  if (is_cleartext_scheme(password_field, clear)) {
    if (clear.empty()) return skip("empty password");
    // Hashed at once: a clear-text password never reaches the database.
    auto added = add_account_audited(*key, clear, false, "account.import", "{PLAIN}");
    sasl::crypto::wipe(clear);
    if (!added) return std::unexpected(added.error());
    return ImportOutcome{true, ""};
  }
  auto legacy = parse_legacy_hash(password_field);
  if (!legacy) return skip(legacy.error().message);
  return import_legacy(*key, *legacy);
}

base::Result<ImportOutcome> AccountStore::import_legacy(const std::string& address, const LegacyHash& hash) {
  bool cram = hash.scheme == LegacyScheme::cram_md5;
  std::lock_guard lock(writer_mutex_);
  if (auto w = writable(); !w) return std::unexpected(w.error());
  auto tx = sqlite::Transaction::begin(writer_);
  if (!tx) return std::unexpected(tx.error());
  auto insert =
      sqlite::Stmt::prepare(writer_, "INSERT INTO accounts (address, created, cram_md5_enabled) VALUES (?1, ?2, ?3)");
  if (!insert) return std::unexpected(insert.error());
  {
    sqlite::Stmt::Scope scope(*insert);
    insert->bind_text(1, address);
    insert->bind_int64(2, now_seconds());
    insert->bind_int64(3, cram ? 1 : 0);
    if (auto ok = insert->run(); !ok) {
      if (insert->extended_error() == SQLITE_CONSTRAINT_UNIQUE) return ImportOutcome{false, address + " already exists"};
      return std::unexpected(ok.error());
    }
  }
  std::int64_t id = sqlite3_last_insert_rowid(writer_.get());
  auto credential = detail::upsert_password_row(writer_, id, "", hash.text, now_seconds());
  if (!credential) return std::unexpected(credential.error());
  if (cram) {
    // {CRAM-MD5} is the secret CRAM-MD5 needs: usable at once, and a PLAIN/LOGIN check too.
    auto secret = sasl::from_dovecot_hex(hash.text.substr(hash.text.find('}') + 1));
    auto stmt = sqlite::Stmt::prepare(writer_, "UPDATE credentials SET cram_md5_secret = ?2 WHERE id = ?1");
    if (!stmt) return std::unexpected(stmt.error());
    sqlite::Stmt::Scope scope(*stmt);
    stmt->bind_int64(1, *credential);
    stmt->bind_blob(2, cram_secret_bytes(*secret));
    if (auto ok = stmt->run(); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = audit("account.import", address, "{" + std::string(scheme_name(hash.scheme)) + "}"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return ImportOutcome{true, ""};
}

}  // namespace postern::auth
