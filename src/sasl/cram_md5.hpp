#pragma once
// CRAM-MD5 (RFC 2195): the server sends a unique challenge, the client answers
// "user SP hex(HMAC-MD5(password, challenge))". Kept for old clients; the store answers it
// from a CramSecret, never from a clear-text password.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/random.hpp"
#include "sasl/mechanism.hpp"

namespace postern::sasl {

/// The CramSecret of `password` (RFC 2104: a key longer than the 64-byte block is hashed first).
CramSecret cram_md5_secret(std::string_view password);

/// HMAC-MD5(password, message) computed from the password's CramSecret: 16 raw bytes.
std::string cram_md5_digest(const CramSecret& secret, std::string_view message);

/// Dovecot's `{CRAM-MD5}` form without the prefix: 64 lower-case hex digits, outer state first.
std::string to_dovecot_hex(const CramSecret& secret);
/// The secret from Dovecot's form (either case), or nullopt when it is not 64 hex digits.
std::optional<CramSecret> from_dovecot_hex(std::string_view hex);

/// A fresh challenge `<digits.timestamp@hostname>`, the msg-id form RFC 2195 §2 asks for: 64
/// random bits as decimal digits, then `now` in seconds since the epoch.
std::string make_cram_md5_challenge(base::Random& random, std::chrono::system_clock::time_point now,
                                    std::string_view hostname);

/// A CRAM-MD5 exchange with the given challenge (from make_cram_md5_challenge; tests pin it).
///
/// Calls: start(nullopt) gives Challenge{challenge}; an initial response fails as malformed
/// (the server speaks first). next("user SP 32 hex digits") gives a NeedCramSecret Request;
/// resume(CramSecretAnswer) compares the digests in constant time and gives Success (no
/// authzid) or Failure{bad_credentials}.
std::unique_ptr<Mechanism> make_cram_md5(std::string challenge);

}  // namespace postern::sasl
