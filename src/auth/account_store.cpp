#include "auth/account_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "auth/credential_secrets.hpp"
#include "auth/schema.hpp"
#include "auth/store_detail.hpp"
#include "base/strings.hpp"

namespace postern::auth {

namespace {

constexpr const char* find_mailbox_sql =
    "SELECT 1 FROM accounts WHERE address = ?1 UNION ALL SELECT 1 FROM aliases WHERE address = ?1 LIMIT 1";

// Everything a login needs, in one statement so that it reads one snapshot: the account, each
// credential (the account password first) with both SCRAM verifiers, and the generation.
constexpr const char* find_login_sql =
    "SELECT a.address, a.disabled, a.cram_md5_enabled, (SELECT value FROM generation WHERE id = 1), "
    "c.id, c.name, c.argon2id_hash, c.legacy_hash, c.cram_md5_secret, c.expires, c.revoked_at, "
    "c.allowed_senders, c.allowed_networks, "
    "s1.salt, s1.iterations, s1.stored_key, s1.server_key, "
    "s2.salt, s2.iterations, s2.stored_key, s2.server_key, "
    // The aliases in the same snapshot as the generation: a cached login never outlives them.
    "(SELECT group_concat(address, char(10)) FROM aliases WHERE account_id = a.id), "
    // Sender grants and suspended credentials likewise (neither holds a newline: grants are
    // checked addresses, suspended names are credential names).
    "(SELECT group_concat(sender, char(10)) FROM sender_grants WHERE account_id = a.id), "
    "(SELECT group_concat(credential, char(10)) FROM suspensions WHERE account_id = a.id) "
    "FROM accounts a "
    "LEFT JOIN credentials c ON c.account_id = a.id "
    "LEFT JOIN scram_verifiers s1 ON s1.credential_id = c.id AND s1.mechanism = 'SCRAM-SHA-1' "
    "LEFT JOIN scram_verifiers s2 ON s2.credential_id = c.id AND s2.mechanism = 'SCRAM-SHA-256' "
    "WHERE a.address = ?1 "
    "ORDER BY c.kind <> 'password', c.name";

base::Random& system_random() {
  static base::SystemRandom random;
  return random;
}

const base::Clock& system_clock() {
  static const base::SystemClock clock;
  return clock;
}

}  // namespace

namespace detail {

namespace {

base::Result<bool> exists_in(sqlite::Db& db, const char* sql, std::string_view address) {
  auto stmt = sqlite::Stmt::prepare(db, sql);
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_text(1, address);
  return stmt->step();
}

}  // namespace

// The database holds password hashes: it is created private before SQLite opens it, and SQLite
// gives its -wal and -shm files the same mode.
base::Result<void> create_private(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (errno == EEXIST) return {};
  return base::fail("cannot create " + file.string() + ": " + std::strerror(errno));
}

base::Result<bool> is_account(sqlite::Db& db, std::string_view address) {
  return exists_in(db, "SELECT 1 FROM accounts WHERE address = ?1", address);
}

base::Result<bool> is_alias(sqlite::Db& db, std::string_view address) {
  return exists_in(db, "SELECT 1 FROM aliases WHERE address = ?1", address);
}

base::Result<void> check_password_text(std::string_view password) {
  if (password.empty()) return base::fail("empty password");
  return {};
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::vector<std::string> split_list(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto end = text.find(separator);
    if (end != 0) out.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

base::Result<std::int64_t> account_id(sqlite::Db& db, std::string_view address) {
  auto stmt = sqlite::Stmt::prepare(db, "SELECT id FROM accounts WHERE address = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_text(1, address);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return base::fail("no account " + std::string(address));
  return stmt->column_int64(0);
}

}  // namespace detail

base::Result<std::string> normalize_address(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return base::fail("not an address: " + std::string(address));
  }
  bool control = std::ranges::any_of(address, [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
  if (control) return base::fail("address contains control characters");
  return std::string(address.substr(0, at)) + "@" + base::to_lower(address.substr(at + 1));
}

static base::Result<sqlite::Db> open_writer(const std::filesystem::path& file, const StoreOptions& options) {
  auto db = sqlite::Db::open(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             static_cast<int>(options.write_busy_timeout.count()));
  if (!db) return std::unexpected(db.error());
  // secure_delete: a replaced hash, a dropped legacy hash or CRAM-MD5 secret is overwritten
  // on disk, not left in a free page.
  if (auto ok = db->exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON"); !ok) {
    return base::fail(file.string() + ": " + ok.error().message);
  }
  return db;
}

base::Result<std::unique_ptr<AccountStore>> AccountStore::open(const std::filesystem::path& file,
                                                               StoreOptions options) {
  if (options.scram_iterations < sasl::scram_min_iterations || options.scram_iterations > sasl::scram_max_iterations) {
    return base::fail("SCRAM iteration count " + std::to_string(options.scram_iterations) + " outside [" +
                      std::to_string(sasl::scram_min_iterations) + ", " +
                      std::to_string(sasl::scram_max_iterations) + "]");
  }
  if (auto created = detail::create_private(file); !created) return std::unexpected(created.error());
  auto db = open_writer(file, options);
  if (!db) return std::unexpected(db.error());
  // WAL: readers on the I/O threads never wait for a writer, and a writer never waits for them.
  auto mode = db->query_text("PRAGMA journal_mode = WAL");
  if (!mode) return base::fail(file.string() + ": " + mode.error().message);
  if (base::to_lower(*mode) != "wal") return base::fail(file.string() + ": cannot switch to WAL mode (" + *mode + ")");
  if (auto ok = migrate(*db); !ok) return base::fail(file.string() + ": " + ok.error().message);
  // The connection closes here: a server only reads, so it never holds a writer open.
  return std::unique_ptr<AccountStore>(new AccountStore(file, std::move(options)));
}

AccountStore::AccountStore(std::filesystem::path file, StoreOptions options)
    : file_(std::move(file)),
      options_(std::move(options)),
      random_(options_.random != nullptr ? options_.random : &system_random()),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock()) {}

base::Result<sqlite::Db*> AccountStore::writable() {
  if (writer_.get() == nullptr) {
    auto db = open_writer(file_, options_);
    if (!db) return std::unexpected(db.error());
    writer_ = std::move(*db);
  }
  return &writer_;
}

AccountStore::~AccountStore() = default;

std::int64_t AccountStore::now_seconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_->now().time_since_epoch()).count();
}

base::Result<void> AccountStore::audit(std::string_view action, std::string_view subject, std::string_view detail) {
  if (auto ok = insert_audit(action, subject, detail); !ok) return ok;
  return writer_.exec("UPDATE generation SET value = value + 1");
}

base::Result<void> AccountStore::insert_audit(std::string_view action, std::string_view subject,
                                              std::string_view detail) {
  auto stmt = sqlite::Stmt::prepare(
      writer_, "INSERT INTO audit (time, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  stmt->bind_int64(1, now_seconds());
  stmt->bind_text(2, options_.actor);
  stmt->bind_text(3, action);
  stmt->bind_text(4, subject);
  stmt->bind_text(5, detail);
  return stmt->run();
}

void AccountStore::report(const std::string& message) const {
  if (options_.on_error) options_.on_error("account store: " + message);
}

base::Result<void> AccountStore::add_account(std::string_view address, std::string_view password, bool cram_md5) {
  return add_account_audited(address, password, cram_md5, "account.add", cram_md5 ? "cram-md5" : "");
}

base::Result<void> AccountStore::add_account_audited(std::string_view address, std::string_view password,
                                                     bool cram_md5, std::string_view action,
                                                     std::string_view detail) {
  auto key = normalize_address(address);
  if (!key) return std::unexpected(key.error());
  if (auto ok = detail::check_password_text(password); !ok) return ok;
  std::lock_guard lock(writer_mutex_);
  if (auto w = writable(); !w) return std::unexpected(w.error());
  // Hashed before the transaction: the write lock is never held across argon2id's cost.
  auto secrets = derive_secrets(password, *random_, options_.hash, options_.scram_iterations);
  if (!secrets) return std::unexpected(secrets.error());
  auto tx = sqlite::Transaction::begin(writer_);
  if (!tx) return std::unexpected(tx.error());
  auto alias = detail::is_alias(writer_, *key);
  if (!alias) return std::unexpected(alias.error());
  if (*alias) return base::fail(*key + " is already an alias");
  auto insert =
      sqlite::Stmt::prepare(writer_, "INSERT INTO accounts (address, created, cram_md5_enabled) VALUES (?1, ?2, ?3)");
  if (!insert) return std::unexpected(insert.error());
  {
    sqlite::Stmt::Scope scope(*insert);
    insert->bind_text(1, *key);
    insert->bind_int64(2, now_seconds());
    insert->bind_int64(3, cram_md5 ? 1 : 0);
    if (auto ok = insert->run(); !ok) {
      if (insert->extended_error() == SQLITE_CONSTRAINT_UNIQUE)
        return base::fail("account " + *key + " already exists");
      return ok;
    }
  }
  std::int64_t id = sqlite3_last_insert_rowid(writer_.get());
  auto credential = detail::upsert_password_row(writer_, id, secrets->argon2id, "", now_seconds());
  if (!credential) return std::unexpected(credential.error());
  if (auto ok = detail::write_secrets(writer_, *credential, *secrets, cram_md5, now_seconds()); !ok) return ok;
  if (auto ok = audit(action, *key, detail); !ok) return ok;
  return tx->commit();
}

base::Result<void> AccountStore::change_account(
    std::string_view address, const std::function<base::Result<void>(std::int64_t, const std::string&)>& change) {
  auto key = normalize_address(address);
  if (!key) return std::unexpected(key.error());
  std::lock_guard lock(writer_mutex_);
  if (auto w = writable(); !w) return std::unexpected(w.error());
  auto tx = sqlite::Transaction::begin(writer_);
  if (!tx) return std::unexpected(tx.error());
  auto id = detail::account_id(writer_, *key);
  if (!id) return std::unexpected(id.error());
  if (auto ok = change(*id, *key); !ok) return ok;
  return tx->commit();
}

base::Result<void> AccountStore::delete_account(std::string_view address) {
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    auto del = sqlite::Stmt::prepare(writer_, "DELETE FROM accounts WHERE id = ?1");
    if (!del) return std::unexpected(del.error());
    {
      sqlite::Stmt::Scope scope(*del);
      del->bind_int64(1, id);
      // Aliases and credentials go with it: ON DELETE CASCADE (foreign_keys is on for the writer).
      if (auto ok = del->run(); !ok) return ok;
    }
    return audit("account.delete", key);
  });
}

base::Result<void> AccountStore::add_alias(std::string_view alias, std::string_view address) {
  auto alias_key = normalize_address(alias);
  if (!alias_key) return std::unexpected(alias_key.error());
  return change_account(address, [&](std::int64_t id, const std::string& key) -> base::Result<void> {
    auto account = detail::is_account(writer_, *alias_key);
    if (!account) return std::unexpected(account.error());
    if (*account) return base::fail(*alias_key + " is already an account");
    auto insert =
        sqlite::Stmt::prepare(writer_, "INSERT INTO aliases (address, account_id, created) VALUES (?1, ?2, ?3)");
    if (!insert) return std::unexpected(insert.error());
    {
      sqlite::Stmt::Scope scope(*insert);
      insert->bind_text(1, *alias_key);
      insert->bind_int64(2, id);
      insert->bind_int64(3, now_seconds());
      if (auto ok = insert->run(); !ok) {
        if (insert->extended_error() == SQLITE_CONSTRAINT_UNIQUE)
          return base::fail("alias " + *alias_key + " already exists");
        return ok;
      }
    }
    return audit("alias.add", *alias_key, "account " + key);
  });
}

base::Result<void> AccountStore::delete_alias(std::string_view alias) {
  auto key = normalize_address(alias);
  if (!key) return std::unexpected(key.error());
  std::lock_guard lock(writer_mutex_);
  if (auto w = writable(); !w) return std::unexpected(w.error());
  auto tx = sqlite::Transaction::begin(writer_);
  if (!tx) return std::unexpected(tx.error());
  auto del = sqlite::Stmt::prepare(writer_, "DELETE FROM aliases WHERE address = ?1");
  if (!del) return std::unexpected(del.error());
  {
    sqlite::Stmt::Scope scope(*del);
    del->bind_text(1, *key);
    if (auto ok = del->run(); !ok) return ok;
  }
  if (writer_.changes() == 0) return base::fail("no alias " + *key);
  if (auto ok = audit("alias.delete", *key); !ok) return ok;
  return tx->commit();
}

AccountStore::Reader* AccountStore::reader(std::string& error) const {
  auto self = std::this_thread::get_id();
  {
    std::lock_guard lock(readers_mutex_);
    if (auto it = readers_.find(self); it != readers_.end()) return it->second.get();
  }
  // Opened outside the lock: only this thread ever inserts its own entry. No CREATE flag: a
  // database that vanished is an error, never a fresh empty directory that finds nobody.
  auto db = sqlite::Db::open(file_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             static_cast<int>(options_.read_busy_timeout.count()));
  if (!db) {
    error = db.error().message;
    return nullptr;
  }
  if (auto ok = db->exec("PRAGMA query_only = 1"); !ok) {
    error = ok.error().message;
    return nullptr;
  }
  auto mailbox = sqlite::Stmt::prepare(*db, find_mailbox_sql);
  if (!mailbox) {
    error = mailbox.error().message;
    return nullptr;
  }
  auto login = sqlite::Stmt::prepare(*db, find_login_sql);
  if (!login) {
    error = login.error().message;
    return nullptr;
  }
  auto generation = sqlite::Stmt::prepare(*db, "SELECT value FROM generation WHERE id = 1");
  if (!generation) {
    error = generation.error().message;
    return nullptr;
  }
  auto entry = std::make_unique<Reader>(
      Reader{std::move(*db), std::move(*mailbox), std::move(*login), std::move(*generation)});
  std::lock_guard lock(readers_mutex_);
  return readers_.emplace(self, std::move(entry)).first->second.get();
}

void AccountStore::drop_reader() const {
  std::unique_ptr<Reader> dropped;
  std::lock_guard lock(readers_mutex_);
  if (auto it = readers_.find(std::this_thread::get_id()); it != readers_.end()) {
    dropped = std::move(it->second);
    readers_.erase(it);
  }
}

policy::Lookup AccountStore::find_mailbox(std::string_view local, std::string_view domain) const {
  std::string error;
  Reader* r = reader(error);
  if (r == nullptr) {
    if (options_.on_error) options_.on_error("account store: " + error);
    return policy::Lookup::temporary_failure;
  }
  std::string key = std::string(local) + "@" + base::to_lower(domain);
  base::Result<bool> row;
  {
    sqlite::Stmt::Scope scope(r->mailbox);
    r->mailbox.bind_text(1, key);
    row = r->mailbox.step();
  }
  if (!row) {
    if (options_.on_error) options_.on_error("account store: " + row.error().message);
    drop_reader();  // a replaced or repaired file is picked up by the next lookup
    return policy::Lookup::temporary_failure;
  }
  return *row ? policy::Lookup::found : policy::Lookup::not_found;
}

base::Result<std::vector<Account>> AccountStore::list_accounts() const {
  std::string error;
  Reader* r = reader(error);
  if (r == nullptr) return base::fail(error);
  auto stmt = sqlite::Stmt::prepare(
      r->db,
      "SELECT a.address, a.disabled, a.created, a.cram_md5_enabled, "
      "EXISTS (SELECT 1 FROM credentials c WHERE c.account_id = a.id AND c.kind = 'password' "
      "AND c.legacy_hash IS NOT NULL), al.address FROM accounts a "
      "LEFT JOIN aliases al ON al.account_id = a.id "
      "ORDER BY a.address COLLATE NOCASE, a.id, al.address COLLATE NOCASE");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  std::vector<Account> accounts;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    std::string address(stmt->column_text(0));
    if (accounts.empty() || accounts.back().address != address) {
      Account account;
      account.address = address;
      account.disabled = stmt->column_int64(1) != 0;
      account.created = detail::from_seconds(stmt->column_int64(2));
      account.cram_md5 = stmt->column_int64(3) != 0;
      account.legacy_password = stmt->column_int64(4) != 0;
      accounts.push_back(std::move(account));
    }
    if (!stmt->column_is_null(5)) accounts.back().aliases.emplace_back(stmt->column_text(5));
  }
  if (auto ok = add_grants_and_suspensions(*r, accounts); !ok) return std::unexpected(ok.error());
  return accounts;
}

}  // namespace postern::auth
