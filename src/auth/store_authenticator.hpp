#pragma once
// The Authenticator the server uses: SASL requests answered from the account store (and bearer
// tokens from a TokenValidator).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "auth/account_store.hpp"
#include "auth/authenticator.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"

namespace postern::auth {

struct AuthenticatorOptions {
  /// Verified-credential cache lifetime (config `[auth] cache_ttl`); zero disables the cache.
  std::chrono::seconds cache_ttl{60};
  /// Cache bound: one entry is a few hundred bytes.
  std::size_t cache_max_entries = 10000;
  /// record_success writes a credential's last use at most this often (per credential).
  std::chrono::seconds last_used_interval{60};
  /// The cache's per-process secret; null: the system CSPRNG.
  base::Random* random = nullptr;
  /// Null: the store's clock.
  const base::Clock* clock = nullptr;
  /// Told about store problems that do not change an answer (last-use writes, upgrades).
  std::function<void(const std::string&)> on_error;
};

/// Answers every sasl::Request from `store` (which must outlive it); `tokens` may be null, and
/// then every bearer token is refused (bad_credentials, status "invalid_token").
///
/// Login names (see login_name.hpp): `ADDRESS` checks the account password, then, with
/// PLAIN/LOGIN and a password shaped like a generated one (app_password_length letters and
/// digits), every app password that is neither revoked nor expired; `ADDRESS/NAME` checks
/// only that credential. SCRAM and CRAM-MD5 use the account password for `ADDRESS` and the
/// credential for `ADDRESS/NAME`.
///
/// A disabled account, a revoked, expired or suspended credential, and a client outside the
/// credential's allowed networks are all answered exactly like a wrong password
/// (bad_credentials); only Resolution::reason tells them apart, for the log ("suspended" for a
/// suspension, with every mechanism). Tokens and certificates are credentials of their own
/// (token_credential, certificate_credential): suspending the account password leaves them
/// alone, as revoking an app password does; suspend them by those names, or disable the
/// account, to stop them. Unknown accounts and credentials cost the
/// same argon2id work as a wrong password. An authzid other than the account itself is refused
/// (authzid_not_permitted): there is no delegation yet. Bearer tokens log in as the account
/// the validator names, with Identity::credential token_credential. EXTERNAL logs in as the
/// account the verified client certificate's address names (an alias maps to its account),
/// with Identity::credential certificate_credential; an unverified certificate, one without an
/// address, an unknown address and a disabled account are bad_credentials.
///
/// A successful PLAIN/LOGIN also completes the credential (AccountStore::complete_credential):
/// an imported legacy hash becomes argon2id and SCRAM verifiers, missing verifiers and a
/// missing CRAM-MD5 secret are added. Thread-safe.
std::unique_ptr<Authenticator> make_authenticator(AccountStore& store, const TokenValidator* tokens,
                                                  AuthenticatorOptions options = {});

}  // namespace postern::auth
