#pragma once
// The embedded account store (SQLite): accounts, aliases, their credentials (the account
// password and app passwords, as argon2id hashes and SCRAM verifiers), and the local mailbox
// directory the SMTP policy asks on every RCPT.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
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
#include "policy/cidr.hpp"
#include "policy/directory.hpp"
#include "policy/rate_limit.hpp"
#include "sasl/mechanism.hpp"
#include "sasl/scram.hpp"

namespace postern::auth {

struct LegacyHash;

/// The outcome of a password check. A store that cannot answer says temporary_failure, which the
/// session turns into `454 4.7.0`, never into `535` (STYLE §6).
enum class Verify { ok, bad, temporary_failure };

using TimePoint = std::chrono::system_clock::time_point;

/// The name of an account's own password among its credentials (Identity::credential).
inline constexpr std::string_view password_credential = "password";
/// Identity::credential of a login with a bearer token (OAUTHBEARER, XOAUTH2).
inline constexpr std::string_view token_credential = "oauth";
/// Identity::credential of a login with a TLS client certificate (EXTERNAL).
inline constexpr std::string_view certificate_credential = "certificate";
/// App password names: [A-Za-z0-9._-]{1,64}; "password", "oauth" and "certificate" (any case)
/// are reserved.
bool valid_credential_name(std::string_view name);
/// The generated app passwords: base::random_alnum of this length (~143 bits).
inline constexpr std::size_t app_password_length = 24;

/// A suspended credential of an account, as listed.
struct Suspension {
  std::string credential;  ///< password_credential, token_credential, certificate_credential or an app password
  TimePoint since;
  std::string reason;  ///< the operator's words; may be empty
  friend bool operator==(const Suspension&, const Suspension&) = default;
};

/// One account as listed by the store.
struct Account {
  std::string address;  ///< as it was added (local part case preserved, domain lower-case)
  bool disabled = false;
  bool cram_md5 = false;  ///< CRAM-MD5 enabled for this account
  /// The account password is still an imported hash, waiting for its first PLAIN/LOGIN.
  bool legacy_password = false;
  TimePoint created;
  std::vector<std::string> aliases;  ///< sorted
  std::vector<std::string> sender_grants;  ///< see normalize_sender(); sorted
  std::vector<Suspension> suspensions;     ///< by credential name
};

/// What add_credential creates: an app password's name and restrictions.
struct CredentialSpec {
  std::string name;                             ///< see valid_credential_name()
  std::optional<TimePoint> expires;             ///< none: never
  /// Senders (see normalize_sender()); empty: whatever the account may use. Narrows, never
  /// widens: see Identity::sender_addresses.
  std::vector<std::string> allowed_senders;
  std::vector<policy::Cidr> allowed_networks;   ///< empty: from anywhere
};

/// An app password as listed: never a secret.
struct CredentialInfo {
  std::string name;
  TimePoint created;
  std::optional<TimePoint> expires;
  std::optional<TimePoint> revoked;
  std::optional<TimePoint> last_used;
  std::vector<std::string> allowed_senders;
  std::vector<std::string> allowed_networks;  ///< CIDR text, canonical
  std::optional<TimePoint> suspended;         ///< since when; none: not suspended
  std::string suspend_reason;
};

/// A sending-limit override as listed (see AccountStore::set_limits).
struct LimitEntry {
  std::string account;     ///< the canonical address
  std::string credential;  ///< empty: the account's own override
  policy::LimitOverride limits;
  friend bool operator==(const LimitEntry&, const LimitEntry&) = default;
};

/// One credential as the authenticator needs it: state, restrictions and stored secrets.
struct StoredCredential {
  std::int64_t id = 0;
  std::string name;           ///< password_credential for the account password
  std::string argon2id_hash;  ///< empty while only a legacy hash exists
  std::string legacy_hash;    ///< an imported `{SCHEME}...` string; empty once upgraded
  std::optional<sasl::CramSecret> cram_md5;
  std::optional<sasl::ScramVerifier> scram_sha1;
  std::optional<sasl::ScramVerifier> scram_sha256;
  std::optional<TimePoint> expires;
  std::optional<TimePoint> revoked;
  std::vector<std::string> allowed_senders;
  std::vector<std::string> allowed_networks;

  bool is_password() const { return name == password_credential; }
  const std::optional<sasl::ScramVerifier>& scram(sasl::ScramHash h) const {
    return h == sasl::ScramHash::sha1 ? scram_sha1 : scram_sha256;
  }
};

/// An account and all its credentials, read in one snapshot together with the store's
/// generation (see AccountStore::generation()).
struct LoginRecord {
  std::string account;  ///< the canonical address, as stored
  bool disabled = false;
  bool cram_md5 = false;
  std::int64_t generation = 0;
  std::vector<StoredCredential> credentials;  ///< the account password first, then app passwords by name
  std::vector<std::string> aliases;           ///< the account's aliases, sorted
  std::vector<std::string> sender_grants;     ///< see normalize_sender(); sorted
  /// Names of the suspended credentials (any of `credentials`, or token_credential /
  /// certificate_credential), sorted.
  std::vector<std::string> suspended_credentials;

  const StoredCredential* find(std::string_view name) const;
  bool suspended(std::string_view credential) const;
};

/// One administrative change as the audit table records it. Never holds a secret.
struct AuditEntry {
  TimePoint time;
  std::string actor;    ///< StoreOptions::actor of the process that made it
  std::string action;   ///< e.g. "account.add", "credential.revoke"
  std::string subject;  ///< the address (account or alias) it changed
  std::string detail;   ///< e.g. the credential's name; may be empty
};

/// How set_password treats CRAM-MD5 for the account.
enum class CramMd5Change {
  keep,     ///< as it is; a new secret is stored when it is enabled
  enable,   ///< enable it, with the secret of the new password
  disable,  ///< disable it and drop every CRAM-MD5 secret of the account
};

/// The outcome of importing one passwd-file entry. A store failure is an error instead.
struct ImportOutcome {
  bool imported = false;
  std::string skipped_because;  ///< why not, when not imported
};

struct StoreOptions {
  base::Random* random = nullptr;      ///< salts; null: the system CSPRNG
  const base::Clock* clock = nullptr;  ///< created/updated/audit times; null: the system clock
  HashParams hash;                     ///< cost of new password hashes
  /// How long a lookup on an I/O thread waits for a lock before answering temporary_failure.
  /// In WAL mode readers do not wait for writers, so this only bites on a wedged database.
  std::chrono::milliseconds read_busy_timeout{500};
  /// Iteration count of new SCRAM verifiers (config `[auth] scram_iterations`); must lie within
  /// [sasl::scram_min_iterations, sasl::scram_max_iterations].
  std::uint32_t scram_iterations = sasl::scram_default_iterations;
  /// How long an administrative change waits for another writer (e.g. a second `postern user`).
  std::chrono::milliseconds write_busy_timeout{5000};
  /// Who makes the changes, recorded in the audit table (e.g. "cli uid=1000").
  std::string actor = "local";
  /// Told why a lookup answered temporary_failure (the store itself does not log).
  std::function<void(const std::string&)> on_error;
};

/// Accounts, aliases and credentials in one SQLite file (WAL mode), implementing
/// policy::Directory.
///
/// Use: open() creates the file (mode 0600) and migrates the schema; then any thread may call
/// the lookups (find_mailbox, find_login, generation, verify_password, list_*) concurrently,
/// and the changes (administrative calls, complete_credential, record_last_used) are
/// serialised on one writer connection, opened on first use (a server that only looks up never
/// holds one). Each reading thread gets its own read-only connection with its own prepared
/// statements, so lookups on the I/O threads never queue behind one another. Connections live
/// as long as the store: it is meant for a fixed set of threads (I/O and hashing workers), not
/// for a thread per call.
///
/// Every administrative change is recorded in the audit table and increments the generation
/// in the same transaction, so a server's caches notice a change made by another process.
///
/// Addresses are `local@domain`: the domain is lower-cased, the local part compares
/// case-insensitively in ASCII. Passwords are hashed before they reach SQLite; no clear-text
/// password is ever written anywhere. Each credential keeps argon2id (PLAIN/LOGIN), SCRAM-SHA-1
/// and SCRAM-SHA-256 verifiers, and the CRAM-MD5 secret while CRAM-MD5 is enabled for the
/// account. An imported credential keeps its legacy hash instead until complete_credential()
/// replaces it at its first successful PLAIN/LOGIN; until then it cannot use SCRAM or (unless
/// imported as {CRAM-MD5}) CRAM-MD5.
class AccountStore final : public policy::Directory {
 public:
  static base::Result<std::unique_ptr<AccountStore>> open(const std::filesystem::path& file, StoreOptions options = {});
  ~AccountStore() override;
  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;

  // ---- accounts and aliases -------------------------------------------------------------------

  /// Fails when the address is already an account or an alias. `cram_md5` enables CRAM-MD5
  /// for the new account.
  base::Result<void> add_account(std::string_view address, std::string_view password, bool cram_md5 = false);
  /// Replaces the account password: new argon2id hash, SCRAM verifiers and (when CRAM-MD5 is
  /// or becomes enabled) CRAM-MD5 secret; drops a legacy hash, expiry and revocation.
  base::Result<void> set_password(std::string_view address, std::string_view password,
                                  CramMd5Change cram = CramMd5Change::keep);
  /// A disabled account keeps its credentials but every login fails like a wrong password.
  base::Result<void> set_disabled(std::string_view address, bool disabled);
  /// Enabling CRAM-MD5 needs each credential's password to derive its secret: a credential
  /// gets it at its next set_password / add_credential or its next successful PLAIN/LOGIN.
  /// Disabling drops every secret at once.
  base::Result<void> set_cram_md5(std::string_view address, bool enabled);
  /// Removes the account with its aliases and credentials.
  base::Result<void> delete_account(std::string_view address);
  /// Ordered by address.
  base::Result<std::vector<Account>> list_accounts() const;
  /// Fails when `alias` is already an account or an alias, or `address` is not an account.
  base::Result<void> add_alias(std::string_view alias, std::string_view address);
  base::Result<void> delete_alias(std::string_view alias);

  // ---- app passwords --------------------------------------------------------------------------

  /// Creates an app password and returns it: app_password_length characters from the store's
  /// Random. It is stored only hashed: the caller shows it once.
  base::Result<std::string> add_credential(std::string_view address, const CredentialSpec& spec);
  /// The account's app passwords (not the account password), ordered by name.
  base::Result<std::vector<CredentialInfo>> list_credentials(std::string_view address) const;
  /// Marks it revoked (it stays listed) and drops its SCRAM verifiers and CRAM-MD5 secret.
  base::Result<void> revoke_credential(std::string_view address, std::string_view name);

  // ---- sending limits, sender grants, suspension ----------------------------------------------
  // `credential` names the account password (password_credential), a bearer-token login
  // (token_credential), a certificate login (certificate_credential) or an existing app
  // password. Each change is audited and bumps the generation.

  /// Stores the override of the account (`credential` empty) or of one credential, replacing
  /// any. Each limit must be at least 1 (a credential that must not send is suspended, not
  /// limited to zero); an override with no limit and without `unlimited` is refused.
  base::Result<void> set_limits(std::string_view address, std::string_view credential,
                                const policy::LimitOverride& limits);
  /// Fails when there is no such override.
  base::Result<void> clear_limits(std::string_view address, std::string_view credential);
  /// The override of the account or credential, nullopt when none; an error for no account.
  base::Result<std::optional<policy::LimitOverride>> find_limits(std::string_view address,
                                                                 std::string_view credential) const;
  /// Every override, ordered by account, then credential (the account's own first).
  base::Result<std::vector<LimitEntry>> list_limits() const;

  /// Lets the account use `grant` as envelope sender (and header From:) besides its own
  /// addresses: `local@domain` (any domain), `@domain` (every address there) or `<>`.
  base::Result<void> add_sender_grant(std::string_view address, std::string_view grant);
  base::Result<void> remove_sender_grant(std::string_view address, std::string_view grant);
  /// Sorted; an error for no account.
  base::Result<std::vector<std::string>> list_sender_grants(std::string_view address) const;

  /// Refuses every login with the credential, with any mechanism, like a revoked one (reason
  /// "suspended" in the log), but keeps its secrets: resume_credential() restores it as it was.
  /// The account password's suspension does not touch tokens or certificates (suspend
  /// token_credential / certificate_credential, or disable the account, for those), and
  /// survives set_password. `reason`: at most 500 octets of UTF-8 without control characters.
  base::Result<void> suspend_credential(std::string_view address, std::string_view credential, std::string_view reason);
  base::Result<void> resume_credential(std::string_view address, std::string_view credential);

  // ---- audit trail ----------------------------------------------------------------------------

  /// The newest `limit` entries of the audit table, newest first. With `subject`: only those
  /// about that address (compared like an account address), including the aliases added to it.
  base::Result<std::vector<AuditEntry>> audit_log(std::size_t limit, std::optional<std::string> subject = std::nullopt) const;
  /// Records an operator action that changes nothing in this store (e.g. "lockout.clear" of
  /// an address): an audit entry with the store's actor, and no new generation.
  base::Result<void> record_operator_action(std::string_view action, std::string_view subject,
                                            std::string_view detail = "");

  // ---- import ---------------------------------------------------------------------------------

  /// Adds an account whose password is the password field of a Dovecot passwd-file line
  /// (see legacy_hash.hpp): {PLAIN}/{CLEARTEXT} are hashed at once; {CRAM-MD5} becomes the
  /// account's CRAM-MD5 secret (and enables CRAM-MD5); other schemes are kept as the legacy
  /// hash. An existing address or an unusable field is skipped with the reason.
  base::Result<ImportOutcome> import_account(std::string_view address, std::string_view password_field);

  // ---- authentication -------------------------------------------------------------------------

  /// The account with every credential, or nullopt when `address` is no account (an alias is
  /// not a login name). An error means the store cannot answer (temporary failure).
  base::Result<std::optional<LoginRecord>> find_login(std::string_view address) const;
  /// The canonical address of the account `alias` delivers to, or nullopt when it is no alias.
  /// For logins that name an address rather than type it (EXTERNAL's certificate address).
  base::Result<std::optional<std::string>> find_alias_account(std::string_view alias) const;
  /// The change counter: different from what a cache saw means an administrative change
  /// happened since (in this process or another).
  base::Result<std::int64_t> generation() const;
  /// Whether complete_credential() has something to do for `credential` after `password`
  /// was verified: a legacy hash to replace, SCRAM verifiers or a CRAM-MD5 secret missing.
  bool needs_completion(const LoginRecord& account, const StoredCredential& credential,
                        std::string_view password) const;
  /// After `password` was verified for `seen`: stores argon2id, both SCRAM verifiers and (when
  /// enabled) the CRAM-MD5 secret, and drops the legacy hash. Writes nothing and returns false
  /// when the credential changed since `seen` was read (e.g. `postern user passwd` ran).
  base::Result<bool> complete_credential(const LoginRecord& account, const StoredCredential& seen,
                                         std::string_view password);
  /// Sets the credential's last use. Not an administrative change: no audit, no new generation.
  base::Result<void> record_last_used(std::string_view address, std::string_view credential, TimePoint when);
  /// The argon2id work of one wrong-password check, for logins that have nothing to check, so
  /// that timing does not reveal which accounts and credentials exist (DESIGN §3.7).
  void dummy_verify(std::string_view password) const;

  /// Checks the account password (argon2id or an imported hash; no upgrade). An unknown or
  /// disabled account is `bad` after the same argon2id work as a wrong password. Costs one
  /// hash evaluation: call it off the I/O threads.
  Verify verify_password(std::string_view address, std::string_view password) const;

  /// Found for an account address or an alias. Any SQLite error is temporary_failure.
  policy::Lookup find_mailbox(std::string_view local, std::string_view domain) const override;

  const base::Clock& clock() const { return *clock_; }

 private:
  struct Reader;
  AccountStore(std::filesystem::path file, StoreOptions options);

  // The writer connection, opened on the first administrative call. Needs writer_mutex_.
  base::Result<sqlite::Db*> writable();
  /// Every administrative change to one account: the writer lock, one transaction, the
  /// account's id (an error when there is no such account), then `change(id, key)` — which
  /// writes and audits — and the commit. `key` is the normalised address.
  base::Result<void> change_account(std::string_view address,
                                    const std::function<base::Result<void>(std::int64_t id, const std::string& key)>& change);

  // The calling thread's reader, opened on first use; nullptr (with `error` set) on failure.
  Reader* reader(std::string& error) const;
  // Drops the calling thread's reader so that the next call reopens the file from scratch.
  void drop_reader() const;
  // Records the change and increments the generation; inside the change's transaction.
  base::Result<void> audit(std::string_view action, std::string_view subject, std::string_view detail = "");
  // The audit row alone; needs writer_mutex_.
  base::Result<void> insert_audit(std::string_view action, std::string_view subject, std::string_view detail);
  // Whether `credential` names something of account `id` that limits and suspension can
  // apply to (see the comment above set_limits); needs writer_mutex_.
  base::Result<void> check_credential_name(std::int64_t id, const std::string& key, std::string_view credential);
  // Grants and suspensions of every account, for list_accounts().
  base::Result<void> add_grants_and_suspensions(Reader& r, std::vector<Account>& accounts) const;
  std::int64_t now_seconds() const;
  const std::string& dummy_hash() const;
  void report(const std::string& message) const;
  base::Result<ImportOutcome> import_legacy(const std::string& address, const LegacyHash& hash);
  base::Result<void> add_account_audited(std::string_view address, std::string_view password, bool cram_md5,
                                         std::string_view action, std::string_view detail);
  // Sets the account's CRAM-MD5 switch (dropping the secrets when off); needs writer_mutex_
  // and a transaction.
  base::Result<void> set_cram_md5_locked(std::int64_t account, bool enabled);

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

/// A sender grant or an app password's allowed sender, checked and in the store's form:
/// `local@domain` (RFC 5321 §4.1.2 Mailbox, UTF-8 allowed as with SMTPUTF8, no quoted local
/// part, no address literal), `@domain` (a domain name) or `<>` (the null reverse-path); the
/// domain is lower-cased.
base::Result<std::string> normalize_sender(std::string_view text);

}  // namespace postern::auth
