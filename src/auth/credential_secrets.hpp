#pragma once
// Everything the store keeps for one password, derived in one place: the argon2id hash (for
// PLAIN/LOGIN), the SCRAM-SHA-1 and SCRAM-SHA-256 verifiers, and the CRAM-MD5 secret.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/password_hash.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "sasl/mechanism.hpp"

namespace postern::auth {

/// The stored forms of one password. Never holds the password itself.
struct PasswordSecrets {
  std::string argon2id;
  /// Absent when SASLprep refuses the password (non-ASCII text this build cannot normalise,
  /// see sasl/saslprep.hpp): that credential then works with PLAIN/LOGIN only.
  std::optional<sasl::ScramVerifier> scram_sha1;
  std::optional<sasl::ScramVerifier> scram_sha256;
  /// Always derived (it is cheap); stored only while CRAM-MD5 is enabled for the account.
  sasl::CramSecret cram_md5;
};

/// Derives every stored form of `password`: a fresh argon2id salt and an independent fresh
/// 16-byte salt per SCRAM hash (sasl::scram_salt_octets), `scram_iterations` rounds. Costs one
/// argon2id evaluation and two PBKDF2 runs: call it outside any database transaction.
base::Result<PasswordSecrets> derive_secrets(std::string_view password, base::Random& random, const HashParams& hash,
                                             std::uint32_t scram_iterations);

/// Whether SCRAM verifiers can be made for `password` (it passes SASLprep).
bool scram_capable(std::string_view password);

/// The 32 bytes the store keeps for a CramSecret: outer then inner state (Dovecot's order).
std::string cram_secret_bytes(const sasl::CramSecret& secret);
/// The CramSecret of 32 stored bytes, or nullopt for any other size.
std::optional<sasl::CramSecret> cram_secret_from_bytes(std::string_view bytes);

}  // namespace postern::auth
