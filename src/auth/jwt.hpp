#pragma once
// Bearer-token validation for OAUTHBEARER and XOAUTH2: a JWT (RFC 7519) in the JWS Compact
// Serialization (RFC 7515 §7.1), signed with RS256, ES256 or EdDSA by one of the configured keys,
// checked against the configured issuer and audience, and mapped to an account address.

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authenticator.hpp"
#include "auth/jwks.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "config/config.hpp"

namespace postern::auth {

/// The longest token looked at (RFC 4954 §4 allows 12288 octets of base64 per AUTH line; a JWT
/// this size is already far beyond what identity providers issue).
inline constexpr std::size_t max_token_size = 8 * 1024;
/// How deeply header and claims JSON may nest.
inline constexpr std::size_t max_json_depth = 16;

/// A compact JWS whose signature checked out with one of the keys.
struct VerifiedJws {
  std::string header;   ///< the decoded JOSE header (JSON text)
  std::string payload;  ///< the decoded payload (any bytes)
  JwsAlg alg = JwsAlg::eddsa;
  std::size_t key_index = 0;  ///< which of the keys verified it
};

/// RFC 7515 §5.2 steps 1-8 for the compact serialization, restricted to what Postern accepts:
/// three strict base64url parts, a JSON-object header whose "alg" is RS256, ES256 or EdDSA, no
/// "crit", a "typ" (when present) of JWT or at+jwt, and a signature that verifies with a key of
/// the kind the algorithm needs. A "kid" picks the keys whose JWK kid or RFC 7638 thumbprint
/// equals it; when none does, only keys without a declared kid (PEM keys) are tried. Claims are
/// not looked at. On refusal: the reason for the log.
std::expected<VerifiedJws, std::string> verify_compact_jws(std::string_view token, std::span<const VerifyKey> keys);

/// What a token must say, besides being signed by one of the keys.
struct JwtRules {
  std::string issuer;                    ///< "iss" must equal it (RFC 7519 §4.1.1, case-sensitive)
  std::string audience;                  ///< "aud" must equal it or, as an array, contain it
  std::string account_claim = "email";  ///< the claim naming the account
  std::chrono::seconds leeway{60};       ///< clock skew allowed for exp, nbf and iat
};

/// Checks JWTs against a fixed set of keys and rules. Immutable after construction, so any
/// number of threads may call validate() at once. Never touches the network or the disk.
///
/// validate() refuses (kind invalid, status "invalid_token" per RFC 6750 §3.1) with a `reason`
/// for the log: a token over max_token_size, anything verify_compact_jws refuses, a payload
/// that is not a JSON object, "exp" missing or now >= exp + leeway (RFC 7519 §4.1.4), nbf or
/// iat later than now + leeway (§4.1.5, §4.1.6), "iss" or "aud" missing or different, the
/// account claim missing, empty or not an address, or "email_verified": false when the account
/// claim is "email". With ok, `subject` is the account claim with its domain lower-cased.
class JwtValidator final : public TokenValidator {
 public:
  JwtValidator(std::vector<VerifyKey> keys, JwtRules rules);

  TokenResult validate(std::string_view token, std::chrono::system_clock::time_point now) const override;

  std::span<const VerifyKey> keys() const { return keys_; }

 private:
  std::vector<VerifyKey> keys_;
  JwtRules rules_;
};

/// The validator for `[oauth]`: every file of `public_keys` (PEM) and the `jwks_file` (if set)
/// are read now. A missing or unreadable file, a key Postern cannot use, an empty issuer,
/// audience or account claim, a negative leeway, or no key at all is a start-up error naming the
/// file. `clock` is not kept: validate() is given the time on every call.
base::Result<std::unique_ptr<TokenValidator>> make_jwt_validator(const config::OAuth& oauth, const base::Clock& clock);

}  // namespace postern::auth
