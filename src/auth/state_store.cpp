#include "auth/state_store.hpp"

#include <sqlite3.h>

#include <array>
#include <cmath>

#include "auth/account_store.hpp"
#include "auth/store_detail.hpp"
#include "base/strings.hpp"
#include "policy/cidr.hpp"

namespace postern::auth {

namespace {

constexpr int busy_timeout_ms = 5000;

// migrations[i] takes the state database from user_version i to i + 1. Append, never edit.
constexpr std::array<const char*, state_schema_version> migrations = {
    // 0 -> 1
    R"sql(
-- Live sliding-window counters (policy::CounterRow), one family per window and kind.
CREATE TABLE counters (
  family TEXT    NOT NULL,
  key    TEXT    NOT NULL,
  bucket INTEGER NOT NULL,  -- bucket start, unix seconds
  count  INTEGER NOT NULL,
  PRIMARY KEY (family, key, bucket)
) WITHOUT ROWID;

-- Messages and recipients per subject ("a:account", "c:account/credential", "i:address")
-- and hour (unix seconds / 3600).
CREATE TABLE usage (
  subject    TEXT    NOT NULL,
  hour       INTEGER NOT NULL,
  messages   INTEGER NOT NULL DEFAULT 0,
  recipients INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (subject, hour)
) WITHOUT ROWID;
CREATE INDEX usage_by_hour ON usage (hour);

-- Clients that logged in to an account from an address (policy::AuthThrottle::KnownClient).
CREATE TABLE known_clients (
  account      TEXT    NOT NULL,
  address      TEXT    NOT NULL,
  last_success INTEGER NOT NULL,
  PRIMARY KEY (account, address)
) WITHOUT ROWID;

-- The lockouts the server last published, in its order, and when.
CREATE TABLE lockouts (
  position    INTEGER PRIMARY KEY,
  scope       TEXT    NOT NULL CHECK (scope IN ('address', 'network', 'account')),
  key         TEXT    NOT NULL,
  failures    INTEGER NOT NULL,
  until       INTEGER NOT NULL,  -- unix seconds, rounded up
  slowed_only INTEGER NOT NULL DEFAULT 0 CHECK (slowed_only IN (0, 1))
);
CREATE TABLE published (
  what    TEXT    PRIMARY KEY,
  written INTEGER NOT NULL
) WITHOUT ROWID;

-- `postern lockout clear` requests, taken (and deleted) by the server.
CREATE TABLE clear_requests (
  id        INTEGER PRIMARY KEY,
  target    TEXT    NOT NULL,
  actor     TEXT    NOT NULL,
  requested INTEGER NOT NULL
);
)sql",
};

const base::Clock& system_clock() {
  static const base::SystemClock clock;
  return clock;
}

std::int64_t floor_seconds(TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::int64_t ceil_seconds(TimePoint t) { return std::chrono::ceil<std::chrono::seconds>(t.time_since_epoch()).count(); }

std::optional<policy::ThrottleScope> scope_from(std::string_view text) {
  using policy::ThrottleScope;
  for (auto scope : {ThrottleScope::address, ThrottleScope::network, ThrottleScope::account}) {
    if (text == policy::to_string(scope)) return scope;
  }
  return std::nullopt;
}

base::Result<void> migrate_state(sqlite::Db& db, const std::filesystem::path& file) {
  auto tx = sqlite::Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  auto version = db.query_int("PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  if (*version < 0 || *version > state_schema_version) {
    return base::fail(file.string() + " has schema version " + std::to_string(*version) +
                      ", which this postern does not understand (it knows " + std::to_string(state_schema_version) +
                      "): created by a newer postern?");
  }
  if (*version == state_schema_version) return {};
  for (auto v = *version; v < state_schema_version; ++v) {
    if (auto ok = db.exec(migrations[static_cast<std::size_t>(v)]); !ok) {
      return base::fail(file.string() + ": migration to version " + std::to_string(v + 1) + ": " + ok.error().message);
    }
  }
  if (auto ok = db.exec(("PRAGMA user_version = " + std::to_string(state_schema_version)).c_str()); !ok) return ok;
  return tx->commit();
}

// Runs `sql` with `bind` applied, to completion.
template <class Bind>
base::Result<void> run(sqlite::Db& db, const char* sql, Bind bind) {
  auto stmt = sqlite::Stmt::prepare(db, sql);
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  bind(*stmt);
  return stmt->run();
}

// Steps `stmt` to the end, handing each row to `row`.
template <class Row>
base::Result<void> each_row(sqlite::Stmt& stmt, Row row) {
  sqlite::Stmt::Scope scope(stmt);
  for (;;) {
    auto more = stmt.step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
    row(stmt);
  }
}

}  // namespace

std::int64_t hour_of(TimePoint t) { return std::chrono::floor<std::chrono::hours>(t.time_since_epoch()).count(); }

base::Result<std::string> normalize_clear_target(std::string_view target) {
  if (auto ip = policy::IpAddress::parse(target)) return ip->to_string();
  if (auto cidr = policy::Cidr::parse(target)) return cidr->to_string();
  if (target.find('@') != std::string_view::npos) {
    if (auto address = normalize_address(target)) return *address;
  }
  return base::fail("not an IP address, a network in CIDR notation or an account address: " + std::string(target));
}

bool clear_matches(const policy::Lockout& lockout, std::string_view target) {
  using policy::ThrottleScope;
  if (auto ip = policy::IpAddress::parse(target)) {
    if (lockout.scope == ThrottleScope::account) return false;
    // Address keys are addresses, or /64 networks for IPv6; network keys are networks.
    if (auto key = policy::IpAddress::parse(lockout.key)) return *key == *ip;
    auto network = policy::Cidr::parse(lockout.key);
    return network && network->contains(*ip);
  }
  if (auto cidr = policy::Cidr::parse(target)) {
    if (lockout.scope == ThrottleScope::account) return false;
    auto key = policy::Cidr::parse(lockout.key);  // a bare address parses as /32 or /128
    return key && key->network == cidr->network && key->prefix == cidr->prefix;
  }
  if (lockout.scope != ThrottleScope::account) return false;
  auto address = normalize_address(target);
  return address && base::iequals(*address, lockout.key);
}

base::Result<std::unique_ptr<StateStore>> StateStore::open(const std::filesystem::path& file,
                                                           const base::Clock* clock) {
  if (auto created = detail::create_private(file); !created) return std::unexpected(created.error());
  auto db = sqlite::Db::open(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, busy_timeout_ms);
  if (!db) return std::unexpected(db.error());
  // NORMAL in WAL mode: a power cut may lose the last seconds of counters, never corrupt the
  // file; the server rewrites this state every few seconds anyway.
  if (auto ok = db->exec("PRAGMA synchronous = NORMAL"); !ok)
    return base::fail(file.string() + ": " + ok.error().message);
  auto mode = db->query_text("PRAGMA journal_mode = WAL");
  if (!mode) return base::fail(file.string() + ": " + mode.error().message);
  if (base::to_lower(*mode) != "wal") return base::fail(file.string() + ": cannot switch to WAL mode (" + *mode + ")");
  if (auto ok = migrate_state(*db, file); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<StateStore>(new StateStore(std::move(*db), clock != nullptr ? *clock : system_clock()));
}

StateStore::StateStore(sqlite::Db db, const base::Clock& clock) : db_(std::move(db)), clock_(clock) {}

StateStore::~StateStore() = default;

// ---- counters -----------------------------------------------------------------------------------

base::Result<void> StateStore::save_counters(std::string_view family, const std::vector<policy::CounterRow>& rows) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto cleared = run(db_, "DELETE FROM counters WHERE family = ?1", [&](sqlite::Stmt& s) { s.bind_text(1, family); });
  if (!cleared) return cleared;
  auto insert = sqlite::Stmt::prepare(db_,
                                      "INSERT INTO counters (family, key, bucket, count) VALUES (?1, ?2, ?3, ?4) "
                                      "ON CONFLICT DO UPDATE SET count = count + excluded.count");
  if (!insert) return std::unexpected(insert.error());
  for (const auto& row : rows) {
    sqlite::Stmt::Scope scope(*insert);
    insert->bind_text(1, family);
    insert->bind_text(2, row.key);
    insert->bind_int64(3, row.bucket);
    insert->bind_int64(4, static_cast<std::int64_t>(row.count));
    if (auto ok = insert->run(); !ok) return ok;
  }
  return tx->commit();
}

base::Result<std::vector<policy::CounterRow>> StateStore::load_counters(std::string_view family) const {
  std::lock_guard lock(mutex_);
  auto stmt =
      sqlite::Stmt::prepare(db_, "SELECT key, bucket, count FROM counters WHERE family = ?1 ORDER BY key, bucket");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind_text(1, family);
  std::vector<policy::CounterRow> out;
  auto ok = each_row(*stmt, [&](const sqlite::Stmt& s) {
    out.push_back(policy::CounterRow{std::string(s.column_text(0)), s.column_int64(1),
                                     static_cast<std::uint64_t>(s.column_int64(2))});
  });
  if (!ok) return std::unexpected(ok.error());
  return out;
}

// ---- usage --------------------------------------------------------------------------------------

base::Result<void> StateStore::add_usage(const std::vector<UsageDelta>& deltas) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto upsert = sqlite::Stmt::prepare(db_,
                                      "INSERT INTO usage (subject, hour, messages, recipients) VALUES (?1, ?2, ?3, ?4) "
                                      "ON CONFLICT DO UPDATE SET messages = messages + excluded.messages, "
                                      "recipients = recipients + excluded.recipients");
  if (!upsert) return std::unexpected(upsert.error());
  for (const auto& d : deltas) {
    sqlite::Stmt::Scope scope(*upsert);
    upsert->bind_text(1, d.subject);
    upsert->bind_int64(2, d.hour);
    upsert->bind_int64(3, static_cast<std::int64_t>(d.messages));
    upsert->bind_int64(4, static_cast<std::int64_t>(d.recipients));
    if (auto ok = upsert->run(); !ok) return ok;
  }
  return tx->commit();
}

base::Result<std::vector<StateStore::UsageTotal>> StateStore::usage_since(std::string_view subject_prefix,
                                                                          std::int64_t since_hour) const {
  std::lock_guard lock(mutex_);
  // The prefix is compared as bytes (substr of a BLOB counts octets); `subject >= ?1` lets the
  // primary key start the scan at the prefix.
  auto stmt = sqlite::Stmt::prepare(
      db_,
      "SELECT subject, sum(messages), sum(recipients) FROM usage "
      "WHERE subject >= ?1 AND substr(CAST(subject AS BLOB), 1, length(CAST(?1 AS BLOB))) = CAST(?1 AS BLOB) "
      "AND hour >= ?2 GROUP BY subject ORDER BY subject");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind_text(1, subject_prefix);
  stmt->bind_int64(2, since_hour);
  std::vector<UsageTotal> out;
  auto ok = each_row(*stmt, [&](const sqlite::Stmt& s) {
    out.push_back(UsageTotal{std::string(s.column_text(0)), static_cast<std::uint64_t>(s.column_int64(1)),
                             static_cast<std::uint64_t>(s.column_int64(2))});
  });
  if (!ok) return std::unexpected(ok.error());
  return out;
}

base::Result<void> StateStore::prune_usage(std::int64_t before_hour) {
  std::lock_guard lock(mutex_);
  return run(db_, "DELETE FROM usage WHERE hour < ?1", [&](sqlite::Stmt& s) { s.bind_int64(1, before_hour); });
}

// ---- known clients ------------------------------------------------------------------------------

base::Result<void> StateStore::save_known_clients(const std::vector<policy::AuthThrottle::KnownClient>& known) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto ok = db_.exec("DELETE FROM known_clients"); !ok) return ok;
  auto insert = sqlite::Stmt::prepare(
      db_, "INSERT OR REPLACE INTO known_clients (account, address, last_success) VALUES (?1, ?2, ?3)");
  if (!insert) return std::unexpected(insert.error());
  for (const auto& k : known) {
    sqlite::Stmt::Scope scope(*insert);
    insert->bind_text(1, k.account);
    insert->bind_text(2, k.address);
    insert->bind_int64(3, floor_seconds(k.last_success));
    if (auto ok = insert->run(); !ok) return ok;
  }
  return tx->commit();
}

base::Result<std::vector<policy::AuthThrottle::KnownClient>> StateStore::load_known_clients() const {
  std::lock_guard lock(mutex_);
  auto stmt =
      sqlite::Stmt::prepare(db_, "SELECT account, address, last_success FROM known_clients ORDER BY account, address");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<policy::AuthThrottle::KnownClient> out;
  auto ok = each_row(*stmt, [&](const sqlite::Stmt& s) {
    out.push_back(
        {std::string(s.column_text(0)), std::string(s.column_text(1)), detail::from_seconds(s.column_int64(2))});
  });
  if (!ok) return std::unexpected(ok.error());
  return out;
}

// ---- lockouts -----------------------------------------------------------------------------------

base::Result<void> StateStore::save_lockouts(const std::vector<policy::Lockout>& lockouts, TimePoint written) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto ok = db_.exec("DELETE FROM lockouts"); !ok) return ok;
  auto insert = sqlite::Stmt::prepare(
      db_, "INSERT INTO lockouts (position, scope, key, failures, until, slowed_only) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert) return std::unexpected(insert.error());
  std::int64_t position = 0;
  for (const auto& l : lockouts) {
    sqlite::Stmt::Scope scope(*insert);
    insert->bind_int64(1, ++position);
    insert->bind_text(2, policy::to_string(l.scope));
    insert->bind_text(3, l.key);
    insert->bind_int64(4, static_cast<std::int64_t>(l.failures));
    // Rounded up: the listing never says a lockout ends before it does.
    insert->bind_int64(5, ceil_seconds(l.until));
    insert->bind_int64(6, l.slowed_only ? 1 : 0);
    if (auto ok = insert->run(); !ok) return ok;
  }
  auto stamp = run(db_, "INSERT OR REPLACE INTO published (what, written) VALUES ('lockouts', ?1)",
                   [&](sqlite::Stmt& s) { s.bind_int64(1, floor_seconds(written)); });
  if (!stamp) return stamp;
  return tx->commit();
}

base::Result<std::vector<policy::Lockout>> StateStore::load_lockouts() const {
  std::lock_guard lock(mutex_);
  return load_lockouts_locked();
}

base::Result<std::vector<policy::Lockout>> StateStore::load_lockouts_locked() const {
  auto stmt =
      sqlite::Stmt::prepare(db_, "SELECT scope, key, failures, until, slowed_only FROM lockouts ORDER BY position");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<policy::Lockout> out;
  std::string bad_scope;
  auto ok = each_row(*stmt, [&](const sqlite::Stmt& s) {
    auto scope = scope_from(s.column_text(0));
    if (!scope) {
      bad_scope = s.column_text(0);
      return;
    }
    out.push_back(policy::Lockout{*scope, std::string(s.column_text(1)), static_cast<std::uint64_t>(s.column_int64(2)),
                                  detail::from_seconds(s.column_int64(3)), s.column_int64(4) != 0});
  });
  if (!ok) return std::unexpected(ok.error());
  if (!bad_scope.empty()) return base::fail("state database: unknown lockout scope " + bad_scope);
  return out;
}

base::Result<std::optional<TimePoint>> StateStore::lockouts_written() const {
  std::lock_guard lock(mutex_);
  auto stmt = sqlite::Stmt::prepare(db_, "SELECT written FROM published WHERE what = 'lockouts'");
  if (!stmt) return std::unexpected(stmt.error());
  std::optional<TimePoint> out;
  auto ok = each_row(*stmt, [&](const sqlite::Stmt& s) { out = detail::from_seconds(s.column_int64(0)); });
  if (!ok) return std::unexpected(ok.error());
  return out;
}

base::Result<std::vector<policy::Lockout>> StateStore::remove_lockouts(std::string_view target) {
  std::lock_guard lock(mutex_);
  // Read and delete in one transaction, so that a listing saved meanwhile is not cut wrongly.
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto all = load_lockouts_locked();
  if (!all) return std::unexpected(all.error());
  auto del = sqlite::Stmt::prepare(db_, "DELETE FROM lockouts WHERE scope = ?1 AND key = ?2");
  if (!del) return std::unexpected(del.error());
  std::vector<policy::Lockout> removed;
  for (const auto& l : *all) {
    if (!clear_matches(l, target)) continue;
    sqlite::Stmt::Scope scope(*del);
    del->bind_text(1, policy::to_string(l.scope));
    del->bind_text(2, l.key);
    if (auto ok = del->run(); !ok) return std::unexpected(ok.error());
    removed.push_back(l);
  }
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return removed;
}

// ---- clear requests -----------------------------------------------------------------------------

base::Result<void> StateStore::request_clear(std::string_view target, std::string_view actor) {
  auto normal = normalize_clear_target(target);
  if (!normal) return std::unexpected(normal.error());
  std::lock_guard lock(mutex_);
  return run(db_, "INSERT INTO clear_requests (target, actor, requested) VALUES (?1, ?2, ?3)", [&](sqlite::Stmt& s) {
    s.bind_text(1, *normal);
    s.bind_text(2, actor);
    s.bind_int64(3, floor_seconds(clock_.now()));
  });
}

base::Result<std::vector<std::string>> StateStore::take_clear_requests() {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto stmt = sqlite::Stmt::prepare(db_, "SELECT target FROM clear_requests ORDER BY id");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<std::string> out;
  auto ok = each_row(*stmt, [&](const sqlite::Stmt& s) { out.emplace_back(s.column_text(0)); });
  if (!ok) return std::unexpected(ok.error());
  if (out.empty()) return out;  // nothing to delete: the transaction rolls back
  if (auto done = db_.exec("DELETE FROM clear_requests"); !done) return std::unexpected(done.error());
  if (auto done = tx->commit(); !done) return std::unexpected(done.error());
  return out;
}

}  // namespace postern::auth
