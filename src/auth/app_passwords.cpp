// AccountStore: app passwords (service credentials): named, revocable, optionally expiring,
// optionally limited to some sender addresses and source networks.

#include <sqlite3.h>

#include "auth/account_store.hpp"
#include "auth/store_detail.hpp"

namespace postern::auth {

namespace {

struct CheckedSpec {
  std::vector<std::string> senders;
  std::vector<std::string> networks;
};

base::Result<CheckedSpec> check_spec(const CredentialSpec& spec, TimePoint now) {
  if (!valid_credential_name(spec.name)) {
    return base::fail("invalid credential name \"" + spec.name +
                      "\": use 1 to 64 characters from A-Z a-z 0-9 . _ - (\"password\", \"oauth\" and \"certificate\" are reserved)");
  }
  if (spec.expires && *spec.expires <= now) return base::fail("the expiry time has already passed");
  CheckedSpec out;
  for (const auto& sender : spec.allowed_senders) {
    auto key = normalize_sender(sender);
    if (!key) return std::unexpected(key.error());
    // The list is stored comma-separated; the path grammar has no comma outside quotes, which
    // normalize_sender refuses.
    if (key->find(',') != std::string::npos) return base::fail("sender address contains a comma: " + sender);
    out.senders.push_back(std::move(*key));
  }
  for (const auto& network : spec.allowed_networks) out.networks.push_back(network.to_string());
  return out;
}

std::string describe_spec(const CredentialSpec& spec, const CheckedSpec& checked) {
  std::string out = spec.name;
  if (spec.expires) out += " expires=" + std::to_string(detail::to_seconds(*spec.expires));
  if (!checked.senders.empty()) out += " senders=" + detail::join_list(checked.senders);
  if (!checked.networks.empty()) out += " networks=" + detail::join_list(checked.networks);
  return out;
}

}  // namespace

base::Result<std::string> AccountStore::add_credential(std::string_view address, const CredentialSpec& spec) {
  auto checked = check_spec(spec, clock_->now());
  if (!checked) return std::unexpected(checked.error());
  std::string password;
  auto added = change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    // Under the writer lock, which also serialises the use of random_.
    password = base::random_alnum(*random_, app_password_length);
    auto secrets = derive_secrets(password, *random_, options_.hash, options_.scram_iterations);
    if (!secrets) return std::unexpected(secrets.error());
    auto cram = detail::cram_md5_enabled(writer_, id);
    if (!cram) return std::unexpected(cram.error());
    auto insert = sqlite::Stmt::prepare(
        writer_,
        "INSERT INTO credentials (account_id, name, kind, argon2id_hash, created, updated, expires, allowed_senders, "
        "allowed_networks) VALUES (?1, ?2, 'app', ?3, ?4, ?4, ?5, ?6, ?7)");
    if (!insert) return std::unexpected(insert.error());
    {
      sqlite::Stmt::Scope scope(*insert);
      insert->bind_int64(1, id);
      insert->bind_text(2, spec.name);
      insert->bind_text(3, secrets->argon2id);
      insert->bind_int64(4, now_seconds());
      if (spec.expires) {
        insert->bind_int64(5, detail::to_seconds(*spec.expires));
      } else {
        insert->bind_null(5);
      }
      insert->bind_text(6, detail::join_list(checked->senders));
      insert->bind_text(7, detail::join_list(checked->networks));
      if (auto ok = insert->run(); !ok) {
        if (insert->extended_error() == SQLITE_CONSTRAINT_UNIQUE) {
          return base::fail("credential " + spec.name + " already exists for " + key);
        }
        return ok;
      }
    }
    std::int64_t credential = sqlite3_last_insert_rowid(writer_.get());
    if (auto ok = detail::write_secrets(writer_, credential, *secrets, *cram, now_seconds()); !ok) return ok;
    return audit("credential.add", key, describe_spec(spec, *checked));
  });
  if (!added) return std::unexpected(added.error());
  return password;
}

base::Result<std::vector<CredentialInfo>> AccountStore::list_credentials(std::string_view address) const {
  auto key = normalize_address(address);
  if (!key) return std::unexpected(key.error());
  std::string error;
  Reader* r = reader(error);
  if (r == nullptr) return base::fail(error);
  auto stmt = sqlite::Stmt::prepare(
      r->db,
      "SELECT c.name, c.created, c.expires, c.revoked_at, c.last_used, c.allowed_senders, c.allowed_networks, "
      "s.since, s.reason "
      "FROM accounts a LEFT JOIN credentials c ON c.account_id = a.id AND c.kind = 'app' "
      "LEFT JOIN suspensions s ON s.account_id = a.id AND s.credential = c.name "
      "WHERE a.address = ?1 ORDER BY c.name");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_text(1, *key);
  std::vector<CredentialInfo> out;
  bool account = false;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    account = true;
    if (stmt->column_is_null(0)) continue;  // the account has no app password
    CredentialInfo info;
    info.name = std::string(stmt->column_text(0));
    info.created = detail::from_seconds(stmt->column_int64(1));
    info.expires = detail::optional_time(*stmt, 2);
    info.revoked = detail::optional_time(*stmt, 3);
    info.last_used = detail::optional_time(*stmt, 4);
    info.allowed_senders = detail::split_list(stmt->column_text(5));
    info.allowed_networks = detail::split_list(stmt->column_text(6));
    info.suspended = detail::optional_time(*stmt, 7);
    info.suspend_reason = std::string(stmt->column_text(8));
    out.push_back(std::move(info));
  }
  if (!account) return base::fail("no account " + *key);
  return out;
}

base::Result<void> AccountStore::revoke_credential(std::string_view address, std::string_view name) {
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    auto find = sqlite::Stmt::prepare(
        writer_, "SELECT id, revoked_at IS NOT NULL FROM credentials WHERE account_id = ?1 AND name = ?2 AND kind = 'app'");
    if (!find) return std::unexpected(find.error());
    std::int64_t credential = 0;
    {
      sqlite::Stmt::Scope scope(*find);
      find->bind_int64(1, id);
      find->bind_text(2, name);
      auto row = find->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) return base::fail("no credential " + std::string(name) + " for " + key);
      if (find->column_int64(1) != 0) return base::fail("credential " + std::string(name) + " of " + key + " is already revoked");
      credential = find->column_int64(0);
    }
    // The row stays for `credential list` and the audit trail; what could still log in goes.
    auto revoke = sqlite::Stmt::prepare(
        writer_, "UPDATE credentials SET revoked_at = ?2, updated = ?2, cram_md5_secret = NULL WHERE id = ?1");
    if (!revoke) return std::unexpected(revoke.error());
    {
      sqlite::Stmt::Scope scope(*revoke);
      revoke->bind_int64(1, credential);
      revoke->bind_int64(2, now_seconds());
      if (auto ok = revoke->run(); !ok) return ok;
    }
    auto verifiers = sqlite::Stmt::prepare(writer_, "DELETE FROM scram_verifiers WHERE credential_id = ?1");
    if (!verifiers) return std::unexpected(verifiers.error());
    {
      sqlite::Stmt::Scope scope(*verifiers);
      verifiers->bind_int64(1, credential);
      if (auto ok = verifiers->run(); !ok) return ok;
    }
    return audit("credential.revoke", key, name);
  });
}

}  // namespace postern::auth
