// AccountStore: what abuse defence keeps per account: sending-limit overrides, sender grants
// and suspended credentials (schema version 3), and operator actions recorded in the audit
// trail.

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <limits>
#include <unordered_map>

#include "auth/account_store.hpp"
#include "auth/store_detail.hpp"
#include "base/strings.hpp"
#include "base/utf8.hpp"
#include "smtp/address.hpp"

namespace postern::auth {

namespace {

constexpr std::size_t max_reason_octets = 500;

// The four limits in column order of limit_overrides, with the names the audit trail uses.
struct LimitField {
  const char* name;
  std::optional<std::uint64_t> policy::SendLimits::*field;
};
constexpr std::array<LimitField, 4> limit_fields{{
    {"messages_per_hour", &policy::SendLimits::messages_per_hour},
    {"messages_per_day", &policy::SendLimits::messages_per_day},
    {"recipients_per_hour", &policy::SendLimits::recipients_per_hour},
    {"recipients_per_day", &policy::SendLimits::recipients_per_day},
}};

// Runs `sql`, a DELETE keyed by ?1 = account id and ?2 = `text`; whether a row went.
base::Result<bool> delete_row(sqlite::Db& db, const char* sql, std::int64_t account_id, std::string_view text) {
  auto stmt = sqlite::Stmt::prepare(db, sql);
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_int64(1, account_id);
  stmt->bind_text(2, text);
  if (auto ok = stmt->run(); !ok) return std::unexpected(ok.error());
  return db.changes() != 0;
}

base::Result<void> check_override(const policy::LimitOverride& o) {
  bool any = o.unlimited;
  for (const auto& f : limit_fields) {
    const auto& value = o.limits.*f.field;
    if (!value) continue;
    any = true;
    // SQLite integers are signed 64-bit.
    if (*value == 0 || *value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return base::fail(std::string(f.name) + " must be a whole number from 1 to " +
                        std::to_string(std::numeric_limits<std::int64_t>::max()));
    }
  }
  if (!any) return base::fail("no limit given (clear the override instead)");
  return {};
}

std::string describe_override(std::string_view credential, const policy::LimitOverride& o) {
  std::string out = credential.empty() ? "" : "credential " + std::string(credential) + ":";
  for (const auto& f : limit_fields) {
    if (const auto& value = o.limits.*f.field)
      out += (out.empty() ? "" : " ") + std::string(f.name) + "=" + std::to_string(*value);
  }
  if (o.unlimited) out += out.empty() ? "unlimited" : " unlimited";
  return out;
}

// Columns first..first+4 of a statement: the four limits, then unlimited.
policy::LimitOverride override_columns(const sqlite::Stmt& stmt, int first) {
  policy::LimitOverride o;
  for (std::size_t i = 0; i < limit_fields.size(); ++i) {
    int column = first + static_cast<int>(i);
    if (!stmt.column_is_null(column))
      o.limits.*limit_fields[i].field = static_cast<std::uint64_t>(stmt.column_int64(column));
  }
  o.unlimited = stmt.column_int64(first + 4) != 0;
  return o;
}

base::Result<void> check_reason(std::string_view reason) {
  if (reason.size() > max_reason_octets) return base::fail("reason longer than 500 octets");
  if (!base::is_valid_utf8(reason)) return base::fail("reason is not valid UTF-8");
  bool control = std::ranges::any_of(reason, [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
  if (control) return base::fail("reason contains control characters");
  return {};
}

bool reserved_credential(std::string_view name) {
  return name == password_credential || name == token_credential || name == certificate_credential;
}

// `<x@domain>` parsed as a path: the domain's syntax is the Mailbox's (RFC 5321 §4.1.2).
base::Result<smtp::Mailbox> parse_mailbox(std::string_view address, std::string_view shown) {
  auto path = smtp::parse_path("<" + std::string(address) + ">", false, false, true);
  if (!path || !path->mailbox || path->had_source_route) return base::fail("invalid sender: " + std::string(shown));
  if (path->mailbox->quoted) return base::fail("quoted local parts are not supported: " + std::string(shown));
  // An address literal names a host, not a mail domain anybody could be granted.
  if (path->mailbox->domain.starts_with('['))
    return base::fail("address literals are not supported: " + std::string(shown));
  return std::move(*path->mailbox);
}

}  // namespace

base::Result<std::string> normalize_sender(std::string_view text) {
  if (text == "<>") return std::string(text);
  if (text.starts_with('@')) {
    // Any local part will do to check the domain with the path grammar.
    auto mailbox = parse_mailbox("x" + std::string(text), text);
    if (!mailbox) return std::unexpected(mailbox.error());
    return "@" + mailbox->domain;
  }
  auto mailbox = parse_mailbox(text, text);
  if (!mailbox) return std::unexpected(mailbox.error());
  return mailbox->local + "@" + mailbox->domain;
}

bool LoginRecord::suspended(std::string_view credential) const {
  return std::ranges::find(suspended_credentials, credential) != suspended_credentials.end();
}

base::Result<void> AccountStore::check_credential_name(std::int64_t id, const std::string& key,
                                                       std::string_view credential) {
  if (reserved_credential(credential)) return {};
  auto stmt =
      sqlite::Stmt::prepare(writer_, "SELECT 1 FROM credentials WHERE account_id = ?1 AND name = ?2 AND kind = 'app'");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_int64(1, id);
  stmt->bind_text(2, credential);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return base::fail("no credential " + std::string(credential) + " for " + key);
  return {};
}

// ---- sending limits ---------------------------------------------------------------------------

base::Result<void> AccountStore::set_limits(std::string_view address, std::string_view credential,
                                            const policy::LimitOverride& limits) {
  if (auto ok = check_override(limits); !ok) return ok;
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    if (!credential.empty()) {
      if (auto ok = check_credential_name(id, key, credential); !ok) return ok;
    }
    auto stmt = sqlite::Stmt::prepare(
        writer_,
        "INSERT OR REPLACE INTO limit_overrides (account_id, credential, messages_per_hour, messages_per_day, "
        "recipients_per_hour, recipients_per_day, unlimited, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!stmt) return std::unexpected(stmt.error());
    {
      sqlite::Stmt::Scope scope(*stmt);
      stmt->bind_int64(1, id);
      stmt->bind_text(2, credential);
      for (std::size_t i = 0; i < limit_fields.size(); ++i) {
        const auto& value = limits.limits.*limit_fields[i].field;
        if (value) {
          stmt->bind_int64(3 + static_cast<int>(i), static_cast<std::int64_t>(*value));
        } else {
          stmt->bind_null(3 + static_cast<int>(i));
        }
      }
      stmt->bind_int64(7, limits.unlimited ? 1 : 0);
      stmt->bind_int64(8, now_seconds());
      if (auto ok = stmt->run(); !ok) return ok;
    }
    return audit("limits.set", key, describe_override(credential, limits));
  });
}

base::Result<void> AccountStore::clear_limits(std::string_view address, std::string_view credential) {
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    auto gone = delete_row(writer_, "DELETE FROM limit_overrides WHERE account_id = ?1 AND credential = ?2", id,
                           credential);
    if (!gone) return std::unexpected(gone.error());
    if (!*gone) {
      return base::fail("no limit override for " + key +
                        (credential.empty() ? "" : " credential " + std::string(credential)));
    }
    return audit("limits.clear", key, credential.empty() ? "" : "credential " + std::string(credential));
  });
}

base::Result<std::optional<policy::LimitOverride>> AccountStore::find_limits(std::string_view address,
                                                                             std::string_view credential) const {
  auto key = normalize_address(address);
  if (!key) return std::unexpected(key.error());
  std::string error;
  Reader* r = reader(error);
  if (r == nullptr) return base::fail(error);
  auto stmt = sqlite::Stmt::prepare(
      r->db,
      "SELECT lo.messages_per_hour, lo.messages_per_day, lo.recipients_per_hour, lo.recipients_per_day, "
      "lo.unlimited FROM accounts a LEFT JOIN limit_overrides lo ON lo.account_id = a.id AND lo.credential = ?2 "
      "WHERE a.address = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_text(1, *key);
  stmt->bind_text(2, credential);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return base::fail("no account " + *key);
  if (stmt->column_is_null(4)) return std::optional<policy::LimitOverride>();
  return override_columns(*stmt, 0);
}

base::Result<std::vector<LimitEntry>> AccountStore::list_limits() const {
  std::string error;
  Reader* r = reader(error);
  if (r == nullptr) return base::fail(error);
  auto stmt = sqlite::Stmt::prepare(
      r->db,
      "SELECT a.address, lo.credential, lo.messages_per_hour, lo.messages_per_day, lo.recipients_per_hour, "
      "lo.recipients_per_day, lo.unlimited FROM limit_overrides lo JOIN accounts a ON a.id = lo.account_id "
      "ORDER BY a.address COLLATE NOCASE, a.id, lo.credential");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  std::vector<LimitEntry> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      drop_reader();  // the server refreshes from a background thread: reopen next time
      return std::unexpected(row.error());
    }
    if (!*row) break;
    out.push_back(
        LimitEntry{std::string(stmt->column_text(0)), std::string(stmt->column_text(1)), override_columns(*stmt, 2)});
  }
  return out;
}

// ---- sender grants ----------------------------------------------------------------------------

base::Result<void> AccountStore::add_sender_grant(std::string_view address, std::string_view grant) {
  auto sender = normalize_sender(grant);
  if (!sender) return std::unexpected(sender.error());
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    auto stmt = sqlite::Stmt::prepare(
        writer_, "INSERT INTO sender_grants (account_id, sender, created) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");
    if (!stmt) return std::unexpected(stmt.error());
    {
      sqlite::Stmt::Scope scope(*stmt);
      stmt->bind_int64(1, id);
      stmt->bind_text(2, *sender);
      stmt->bind_int64(3, now_seconds());
      if (auto ok = stmt->run(); !ok) return ok;
    }
    if (writer_.changes() == 0) return base::fail(key + " may already send as " + *sender);
    return audit("sender.add", key, *sender);
  });
}

base::Result<void> AccountStore::remove_sender_grant(std::string_view address, std::string_view grant) {
  auto sender = normalize_sender(grant);
  if (!sender) return std::unexpected(sender.error());
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    auto gone = delete_row(writer_, "DELETE FROM sender_grants WHERE account_id = ?1 AND sender = ?2", id, *sender);
    if (!gone) return std::unexpected(gone.error());
    if (!*gone) return base::fail("no sender grant " + *sender + " for " + key);
    return audit("sender.remove", key, *sender);
  });
}

base::Result<std::vector<std::string>> AccountStore::list_sender_grants(std::string_view address) const {
  auto key = normalize_address(address);
  if (!key) return std::unexpected(key.error());
  std::string error;
  Reader* r = reader(error);
  if (r == nullptr) return base::fail(error);
  auto stmt = sqlite::Stmt::prepare(
      r->db,
      "SELECT g.sender FROM accounts a LEFT JOIN sender_grants g ON g.account_id = a.id WHERE a.address = ?1 "
      "ORDER BY g.sender COLLATE BINARY");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_text(1, *key);
  std::vector<std::string> out;
  bool account = false;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    account = true;
    if (!stmt->column_is_null(0)) out.emplace_back(stmt->column_text(0));
  }
  if (!account) return base::fail("no account " + *key);
  return out;
}

// ---- suspension -------------------------------------------------------------------------------

base::Result<void> AccountStore::suspend_credential(std::string_view address, std::string_view credential,
                                                    std::string_view reason) {
  if (auto ok = check_reason(reason); !ok) return ok;
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    if (auto ok = check_credential_name(id, key, credential); !ok) return ok;
    auto stmt = sqlite::Stmt::prepare(writer_,
                                      "INSERT INTO suspensions (account_id, credential, since, reason) VALUES (?1, ?2, "
                                      "?3, ?4) ON CONFLICT DO NOTHING");
    if (!stmt) return std::unexpected(stmt.error());
    {
      sqlite::Stmt::Scope scope(*stmt);
      stmt->bind_int64(1, id);
      stmt->bind_text(2, credential);
      stmt->bind_int64(3, now_seconds());
      stmt->bind_text(4, reason);
      if (auto ok = stmt->run(); !ok) return ok;
    }
    if (writer_.changes() == 0) {
      return base::fail("credential " + std::string(credential) + " of " + key + " is already suspended");
    }
    std::string detail(credential);
    if (!reason.empty()) detail += ": " + std::string(reason);
    return audit("credential.suspend", key, detail);
  });
}

base::Result<void> AccountStore::resume_credential(std::string_view address, std::string_view credential) {
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    auto gone = delete_row(writer_, "DELETE FROM suspensions WHERE account_id = ?1 AND credential = ?2", id, credential);
    if (!gone) return std::unexpected(gone.error());
    if (!*gone) {
      return base::fail("credential " + std::string(credential) + " of " + key + " is not suspended");
    }
    return audit("credential.resume", key, credential);
  });
}

base::Result<void> AccountStore::add_grants_and_suspensions(Reader& r, std::vector<Account>& accounts) const {
  std::unordered_map<std::string, Account*> by_key;
  for (auto& account : accounts) by_key.emplace(base::to_lower(account.address), &account);
  auto at = [&](std::string_view address) -> Account* {
    auto it = by_key.find(base::to_lower(address));
    return it == by_key.end() ? nullptr : it->second;
  };
  auto grants =
      sqlite::Stmt::prepare(r.db,
                            "SELECT a.address, g.sender FROM sender_grants g JOIN accounts a ON a.id = g.account_id "
                            "ORDER BY g.sender COLLATE BINARY");
  if (!grants) return std::unexpected(grants.error());
  {
    sqlite::Stmt::Scope scope(*grants);
    for (;;) {
      auto row = grants->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      if (Account* a = at(grants->column_text(0))) a->sender_grants.emplace_back(grants->column_text(1));
    }
  }
  auto suspended = sqlite::Stmt::prepare(
      r.db,
      "SELECT a.address, s.credential, s.since, s.reason FROM suspensions s JOIN accounts a ON a.id = s.account_id "
      "ORDER BY s.credential");
  if (!suspended) return std::unexpected(suspended.error());
  sqlite::Stmt::Scope scope(*suspended);
  for (;;) {
    auto row = suspended->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    if (Account* a = at(suspended->column_text(0))) {
      a->suspensions.push_back(Suspension{std::string(suspended->column_text(1)),
                                          detail::from_seconds(suspended->column_int64(2)),
                                          std::string(suspended->column_text(3))});
    }
  }
  return {};
}

// ---- operator actions -------------------------------------------------------------------------

base::Result<void> AccountStore::record_operator_action(std::string_view action, std::string_view subject,
                                                        std::string_view detail) {
  std::lock_guard lock(writer_mutex_);
  if (auto w = writable(); !w) return std::unexpected(w.error());
  return insert_audit(action, subject, detail);
}

}  // namespace postern::auth
