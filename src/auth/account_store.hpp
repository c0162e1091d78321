#pragma once
// The embedded account store (SQLite): accounts, aliases and password hashes, and the local
// mailbox directory the SMTP policy asks on every RCPT.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "auth/password_hash.hpp"
#include "auth/sqlite.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "policy/directory.hpp"

namespace postern::auth {

/// The outcome of a password check. A store that cannot answer says temporary_failure, which the
/// session turns into `454 4.7.0`, never into `535` (STYLE §6).
enum class Verify { ok, bad, temporary_failure };

/// One account as listed by the store.
struct Account {
  std::string address;  ///< as it was added (local part case preserved, domain lower-case)
  bool disabled = false;
  std::chrono::system_clock::time_point created;
  std::vector<std::string> aliases;  ///< sorted
};

struct StoreOptions {
  base::Random* random = nullptr;      ///< salts; null: the system CSPRNG
  const base::Clock* clock = nullptr;  ///< created/updated/audit times; null: the system clock
  HashParams hash;                     ///< cost of new password hashes
  /// How long a lookup on an I/O thread waits for a lock before answering temporary_failure.
  /// In WAL mode readers do not wait for writers, so this only bites on a wedged database.
  std::chrono::milliseconds read_busy_timeout{500};
  /// How long an administrative change waits for another writer (e.g. a second `postern user`).
  std::chrono::milliseconds write_busy_timeout{5000};
  /// Who makes the changes, recorded in the audit table (e.g. "cli uid=1000").
  std::string actor = "local";
  /// Told why a lookup answered temporary_failure (the store itself does not log).
  std::function<void(const std::string&)> on_error;
};

/// Accounts and aliases in one SQLite file (WAL mode), implementing policy::Directory.
///
/// Use: open() creates the file (mode 0600) and migrates the schema; then any thread may call
/// find_mailbox / verify_password / list_accounts concurrently, and the administrative calls
/// (add_account, set_password, delete_account, add_alias, delete_alias) are serialised on one
/// writer connection, opened on first use (a server that only looks up never holds one).
/// Each reading thread gets its own read-only connection with its own prepared statements, so
/// lookups on the I/O threads never queue behind one another. Connections live as long as the
/// store: it is meant for a fixed set of threads (I/O and hashing workers), not for a thread per
/// call.
///
/// Addresses are `local@domain`: the domain is lower-cased, the local part compares
/// case-insensitively in ASCII. Passwords are hashed with argon2id before they reach SQLite;
/// no clear-text password is ever written anywhere.
class AccountStore final : public policy::Directory {
 public:
  static base::Result<std::unique_ptr<AccountStore>> open(const std::filesystem::path& file, StoreOptions options = {});
  ~AccountStore() override;
  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;

  /// Fails when the address is already an account or an alias.
  base::Result<void> add_account(std::string_view address, std::string_view password);
  /// Replaces the account's password.
  base::Result<void> set_password(std::string_view address, std::string_view password);
  /// Removes the account with its aliases and credentials.
  base::Result<void> delete_account(std::string_view address);
  /// Ordered by address.
  base::Result<std::vector<Account>> list_accounts() const;
  /// Fails when `alias` is already an account or an alias, or `address` is not an account.
  base::Result<void> add_alias(std::string_view alias, std::string_view address);
  base::Result<void> delete_alias(std::string_view alias);

  /// Checks the account's password. An unknown or disabled account is `bad` after the same
  /// argon2id work as a wrong password, so timing does not reveal which accounts exist
  /// (DESIGN §3.7). Costs one argon2id evaluation: call it off the I/O threads.
  Verify verify_password(std::string_view address, std::string_view password) const;

  /// Found for an account address or an alias. Any SQLite error is temporary_failure.
  policy::Lookup find_mailbox(std::string_view local, std::string_view domain) const override;

 private:
  struct Reader;
  AccountStore(std::filesystem::path file, StoreOptions options);

  // The writer connection, opened on the first administrative call. Needs writer_mutex_.
  base::Result<sqlite::Db*> writable();

  // The calling thread's reader, opened on first use; nullptr (with `error` set) on failure.
  Reader* reader(std::string& error) const;
  // Drops the calling thread's reader so that the next call reopens the file from scratch.
  void drop_reader() const;
  base::Result<void> audit(std::string_view action, std::string_view subject, std::string_view detail = "");
  std::int64_t now_seconds() const;
  const std::string& dummy_hash() const;

  std::filesystem::path file_;
  StoreOptions options_;
  base::Random* random_;
  const base::Clock* clock_;

  std::mutex writer_mutex_;
  sqlite::Db writer_;  // closed until the first administrative call

  mutable std::mutex readers_mutex_;
  mutable std::unordered_map<std::thread::id, std::unique_ptr<Reader>> readers_;

  mutable std::once_flag dummy_once_;
  mutable std::string dummy_hash_;
};

/// `local@domain` with the domain lower-cased, or an error when the text has no `@` or an empty
/// side. Full syntax checks (RFC 5321 §4.1.2) belong to the caller; this is the store's key.
base::Result<std::string> normalize_address(std::string_view address);

}  // namespace postern::auth
