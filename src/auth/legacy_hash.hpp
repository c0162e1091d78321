#pragma once
// Password hashes imported from another server (Dovecot passwd-files, Postfix/Cyrus setups), in
// Dovecot's `{SCHEME}hash` notation. They are only ever verified, once: the first successful
// PLAIN/LOGIN replaces them with argon2id and SCRAM verifiers (see AccountStore).

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/password_hash.hpp"
#include "base/result.hpp"

namespace postern::auth {

/// The imported schemes Postern can verify. Clear text ({PLAIN}, {CLEARTEXT}) is not one: the
/// importer hashes it at once and never stores it.
enum class LegacyScheme {
  sha512_crypt,  ///< {SHA512-CRYPT} $6$ (crypt(3), libxcrypt)
  sha256_crypt,  ///< {SHA256-CRYPT} $5$
  md5_crypt,     ///< {MD5-CRYPT} $1$
  blf_crypt,     ///< {BLF-CRYPT} $2y$ / $2b$ / $2a$ (bcrypt)
  argon2id,      ///< {ARGON2ID} $argon2id$ (libargon2)
  argon2i,       ///< {ARGON2I} $argon2i$
  ssha512,       ///< {SSHA512} base64(SHA-512(password || salt) || salt)
  ssha256,       ///< {SSHA256}
  ssha,          ///< {SSHA} with SHA-1
  cram_md5,      ///< {CRAM-MD5} 64 hex digits: sasl::CramSecret in Dovecot's order
};

/// Upper bounds on the cost parameters an imported hash may carry, so that a crafted import
/// cannot make every login attempt burn seconds of CPU or gigabytes of memory.
inline constexpr std::uint32_t legacy_argon2_max_memory_kib = 256 * 1024;  // 256 MiB
inline constexpr std::uint32_t legacy_argon2_max_passes = 10;
inline constexpr std::uint32_t legacy_argon2_max_lanes = 16;
inline constexpr std::uint64_t legacy_sha_crypt_max_rounds = 1'000'000;  // passlib's default is 656,000
inline constexpr unsigned legacy_bcrypt_max_cost = 14;

/// An imported hash, checked and in canonical form: `{SCHEME}` upper case followed by the hash.
struct LegacyHash {
  LegacyScheme scheme = LegacyScheme::sha512_crypt;
  std::string text;  ///< e.g. "{SHA512-CRYPT}$6$salt$hash"
};

/// Checks the password field of a passwd-file line: `{SCHEME}hash`, or a bare crypt(3) string
/// (Dovecot's default scheme, CRYPT). `{CRYPT}` and bare strings are accepted for the modular
/// formats only ($1$, $5$, $6$, $2?$); DES crypt is refused as too weak to keep. The error
/// says why (unsupported scheme, malformed, cost above the bounds).
/// {PLAIN}/{CLEARTEXT} are not accepted here: see is_cleartext_scheme().
base::Result<LegacyHash> parse_legacy_hash(std::string_view field);

/// True for `{PLAIN}...` and `{CLEARTEXT}...` (any case); `clear` gets the password.
bool is_cleartext_scheme(std::string_view field, std::string& clear);

/// Verifies `password` against a hash stored by parse_legacy_hash(). The comparison takes a
/// time that does not depend on where the bytes differ. An error means the stored text cannot
/// be verified (unknown scheme, malformed, cost above the bounds, out of memory): the store's
/// fault, answered as a temporary failure.
base::Result<HashCheck> check_legacy_hash(std::string_view stored, std::string_view password);

/// "SHA512-CRYPT", "BLF-CRYPT", ... as Dovecot names the scheme.
std::string_view scheme_name(LegacyScheme scheme);

}  // namespace postern::auth
