// AccountStore: the reading side of authentication (find_login, generation, verify_password)
// and the bookkeeping after a login (complete_credential, record_last_used).

#include <algorithm>
#include <span>

#include "auth/account_store.hpp"
#include "auth/legacy_hash.hpp"
#include "auth/store_detail.hpp"
#include "base/strings.hpp"

namespace postern::auth {

namespace {

/// Fixed salt bytes for the dummy hash: it guards timing only and never has to be secret.
class FixedRandom final : public base::Random {
 public:
  void fill(std::span<std::byte> out) override { std::ranges::fill(out, std::byte{0x5a}); }
};

// Columns 13..16 (SCRAM-SHA-1) or 17..20 (SCRAM-SHA-256) of find_login_sql.
std::optional<sasl::ScramVerifier> scram_columns(const sqlite::Stmt& stmt, int first) {
  if (stmt.column_is_null(first)) return std::nullopt;
  sasl::ScramVerifier v;
  v.salt = std::string(stmt.column_blob(first));
  v.iterations = static_cast<std::uint32_t>(stmt.column_int64(first + 1));
  v.stored_key = std::string(stmt.column_blob(first + 2));
  v.server_key = std::string(stmt.column_blob(first + 3));
  return v;
}

StoredCredential credential_columns(const sqlite::Stmt& stmt) {
  StoredCredential c;
  c.id = stmt.column_int64(4);
  c.name = std::string(stmt.column_text(5));
  c.argon2id_hash = std::string(stmt.column_text(6));
  c.legacy_hash = std::string(stmt.column_text(7));
  if (!stmt.column_is_null(8)) c.cram_md5 = cram_secret_from_bytes(stmt.column_blob(8));
  c.expires = detail::optional_time(stmt, 9);
  c.revoked = detail::optional_time(stmt, 10);
  c.allowed_senders = detail::split_list(stmt.column_text(11));
  c.allowed_networks = detail::split_list(stmt.column_text(12));
  c.scram_sha1 = scram_columns(stmt, 13);
  c.scram_sha256 = scram_columns(stmt, 17);
  return c;
}

// Columns 21..23 of find_login_sql: aliases, sender grants, suspended credentials, each joined
// by newlines (none of them holds one).
std::vector<std::string> list_column(std::string_view text) {
  auto out = detail::split_list(text, '\n');
  std::ranges::sort(out);
  return out;
}

}  // namespace

bool valid_credential_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (base::iequals(name, password_credential) || base::iequals(name, token_credential) ||
      base::iequals(name, certificate_credential)) {
    return false;
  }
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

const StoredCredential* LoginRecord::find(std::string_view name) const {
  auto it = std::ranges::find(credentials, name, &StoredCredential::name);
  return it == credentials.end() ? nullptr : &*it;
}

base::Result<std::optional<LoginRecord>> AccountStore::find_login(std::string_view address) const {
  auto key = normalize_address(address);
  if (!key) return std::optional<LoginRecord>();
  std::string error;
  Reader* r = reader(error);
  if (r == nullptr) return base::fail(error);
  std::optional<LoginRecord> record;
  base::Result<bool> row;
  {
    sqlite::Stmt::Scope scope(r->login);
    r->login.bind_text(1, *key);
    while ((row = r->login.step()) && *row) {
      if (!record) {
        record.emplace();
        record->account = std::string(r->login.column_text(0));
        record->disabled = r->login.column_int64(1) != 0;
        record->cram_md5 = r->login.column_int64(2) != 0;
        record->generation = r->login.column_int64(3);
        record->aliases = list_column(r->login.column_text(21));
        record->sender_grants = list_column(r->login.column_text(22));
        record->suspended_credentials = list_column(r->login.column_text(23));
      }
      if (!r->login.column_is_null(4)) record->credentials.push_back(credential_columns(r->login));
    }
  }
  if (!row) {
    drop_reader();  // a replaced or repaired file is picked up by the next lookup
    return std::unexpected(row.error());
  }
  return record;
}

base::Result<std::optional<std::string>> AccountStore::find_alias_account(std::string_view alias) const {
  auto key = normalize_address(alias);
  if (!key) return std::optional<std::string>();
  std::string error;
  Reader* r = reader(error);
  if (r == nullptr) return base::fail(error);
  std::optional<std::string> account;
  base::Result<bool> row = false;
  {
    // Prepared per call: only EXTERNAL logins whose certificate names an alias come here.
    auto stmt = sqlite::Stmt::prepare(
        r->db, "SELECT a.address FROM aliases al JOIN accounts a ON a.id = al.account_id WHERE al.address = ?1");
    if (!stmt) return std::unexpected(stmt.error());
    sqlite::Stmt::Scope scope(*stmt);
    stmt->bind_text(1, *key);
    row = stmt->step();
    if (row && *row) account = std::string(stmt->column_text(0));
  }
  if (!row) {
    drop_reader();  // after the statement is gone: it belongs to the reader's connection
    return std::unexpected(row.error());
  }
  return account;
}

base::Result<std::int64_t> AccountStore::generation() const {
  std::string error;
  Reader* r = reader(error);
  if (r == nullptr) return base::fail(error);
  base::Result<bool> row;
  std::int64_t value = 0;
  {
    sqlite::Stmt::Scope scope(r->generation);
    row = r->generation.step();
    if (row && *row) value = r->generation.column_int64(0);
  }
  if (!row) {
    drop_reader();
    return std::unexpected(row.error());
  }
  if (!*row) return base::fail("the generation row is missing");
  return value;
}

const std::string& AccountStore::dummy_hash() const {
  std::call_once(dummy_once_, [this] {
    FixedRandom fixed;
    auto hash = hash_password("postern-dummy-password", fixed, options_.hash);
    if (hash) dummy_hash_ = std::move(*hash);
  });
  return dummy_hash_;
}

void AccountStore::dummy_verify(std::string_view password) const { (void)check_password(dummy_hash(), password); }

Verify AccountStore::verify_password(std::string_view address, std::string_view password) const {
  auto record = find_login(address);
  if (!record) {
    report(record.error().message);
    return Verify::temporary_failure;
  }
  const StoredCredential* c = *record ? (*record)->find(password_credential) : nullptr;
  if (c == nullptr) {
    dummy_verify(password);
    return Verify::bad;
  }
  auto check = c->argon2id_hash.empty() ? check_legacy_hash(c->legacy_hash, password)
                                        : check_password(c->argon2id_hash, password);
  if (!check) {
    report((*record)->account + ": " + check.error().message);
    return Verify::temporary_failure;
  }
  auto now = clock_->now();
  bool usable = !(*record)->disabled && !c->revoked && (!c->expires || *c->expires > now);
  return *check == HashCheck::match && usable ? Verify::ok : Verify::bad;
}

bool AccountStore::needs_completion(const LoginRecord& account, const StoredCredential& credential,
                                    std::string_view password) const {
  if (!credential.legacy_hash.empty() || credential.argon2id_hash.empty()) return true;
  if (account.cram_md5 && !credential.cram_md5) return true;
  return (!credential.scram_sha1 || !credential.scram_sha256) && scram_capable(password);
}

base::Result<bool> AccountStore::complete_credential(const LoginRecord& account, const StoredCredential& seen,
                                                     std::string_view password) {
  std::lock_guard lock(writer_mutex_);
  if (auto w = writable(); !w) return std::unexpected(w.error());
  auto secrets = derive_secrets(password, *random_, options_.hash, options_.scram_iterations);
  if (!secrets) return std::unexpected(secrets.error());
  auto tx = sqlite::Transaction::begin(writer_);
  if (!tx) return std::unexpected(tx.error());
  // Only if nobody changed the credential since it was verified: else an old password would
  // overwrite the one an administrator just set.
  auto same = sqlite::Stmt::prepare(
      writer_,
      "SELECT c.id, a.cram_md5_enabled FROM credentials c JOIN accounts a ON a.id = c.account_id "
      "WHERE c.id = ?1 AND c.argon2id_hash IS ?2 AND c.legacy_hash IS ?3 AND c.revoked_at IS NULL");
  if (!same) return std::unexpected(same.error());
  bool cram = false;
  {
    sqlite::Stmt::Scope scope(*same);
    same->bind_int64(1, seen.id);
    // Empty means NULL in the row; `IS` compares NULLs as equal.
    auto bind_nullable = [&](int index, const std::string& value) {
      if (value.empty()) {
        same->bind_null(index);
      } else {
        same->bind_text(index, value);
      }
    };
    bind_nullable(2, seen.argon2id_hash);
    bind_nullable(3, seen.legacy_hash);
    auto row = same->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return false;
    cram = same->column_int64(1) != 0;
  }
  if (auto ok = detail::write_secrets(writer_, seen.id, *secrets, cram, now_seconds()); !ok) {
    return std::unexpected(ok.error());
  }
  std::string detail = seen.legacy_hash.empty() ? "verifiers added" : "legacy hash replaced";
  if (auto ok = audit("credential.upgrade", account.account, seen.name + ": " + detail); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return true;
}

base::Result<void> AccountStore::record_last_used(std::string_view address, std::string_view credential,
                                                  TimePoint when) {
  std::lock_guard lock(writer_mutex_);
  if (auto w = writable(); !w) return std::unexpected(w.error());
  auto stmt = sqlite::Stmt::prepare(writer_,
                                    "UPDATE credentials SET last_used = max(coalesce(last_used, 0), ?3) "
                                    "WHERE name = ?2 AND account_id = (SELECT id FROM accounts WHERE address = ?1)");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_text(1, address);
  stmt->bind_text(2, credential);
  stmt->bind_int64(3, detail::to_seconds(when));
  return stmt->run();
}

}  // namespace postern::auth
