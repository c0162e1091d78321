#pragma once
// JOSE building blocks for bearer tokens: base64url (RFC 7515 §2), the signature algorithms
// Postern accepts, and the public keys a token may be signed with, read from PEM files or from a
// JWK Set file (RFC 7517). Keys never come from the network or from the token itself.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace postern::auth {

/// `bytes` as base64url without padding (RFC 7515 §2, RFC 4648 §5).
std::string base64url_encode(std::string_view bytes);

/// The bytes `text` encodes, or nullopt unless `text` is canonical unpadded base64url: only
/// A-Z a-z 0-9 - _, no "=", no whitespace, a length that is not 1 modulo 4, and zero pad bits
/// (RFC 4648 §3.5), so that every byte string has exactly one accepted encoding.
std::optional<std::string> base64url_decode(std::string_view text);

/// The JWS algorithms Postern verifies (RFC 7518 §3.1, RFC 8037 §3.1). "none", the HMAC family
/// and everything else are refused by name before any key is looked at.
enum class JwsAlg { rs256, es256, eddsa };

/// "RS256", "ES256", "EdDSA" (case-sensitive, RFC 7515 §4.1.1); nullopt for anything else.
std::optional<JwsAlg> parse_jws_alg(std::string_view name);
std::string_view to_string(JwsAlg alg);

/// What a key is; each algorithm works with exactly one kind (RFC 8725 §3.1: the algorithm must
/// fit the key, which is what defeats the alg-confusion attacks).
enum class KeyKind { rsa, ec_p256, ed25519 };

KeyKind key_kind_for(JwsAlg alg);
std::string_view to_string(KeyKind kind);  ///< "RSA", "EC P-256", "Ed25519"

/// The outcome of checking one signature with one key.
enum class SignatureCheck {
  valid,
  invalid,       ///< well-formed, but not made by this key over this input
  wrong_length,  ///< cannot be a signature of this algorithm and key (e.g. ES256 not 64 bytes)
  error,         ///< the crypto library failed (out of memory)
};

/// One public key that may sign tokens: RSA of at least 2048 bits, EC on P-256, or Ed25519.
/// Immutable once made; copies share the key, and any thread may call verify() at any time.
class VerifyKey {
 public:
  KeyKind kind() const { return kind_; }
  /// The JWK "kid" it was declared with; empty for PEM keys and JWKs without one.
  const std::string& kid() const { return kid_; }
  /// RFC 7638 JWK thumbprint (SHA-256, base64url). TokenIssuer uses it as the "kid" it writes,
  /// so a token names a PEM key unambiguously.
  const std::string& thumbprint() const { return thumbprint_; }
  /// The JWK "alg" when declared: the key is then used with that algorithm only.
  std::optional<JwsAlg> alg() const { return alg_; }
  /// Where the key came from, for messages: "FILE" or "FILE keys[2]".
  const std::string& origin() const { return origin_; }

  /// RFC 7515 §5.2 step 8: is `signature` a signature of `signing_input` by this key under
  /// `alg`? An algorithm that does not fit the key is `invalid`, never tried.
  SignatureCheck verify(JwsAlg alg, std::string_view signing_input, std::string_view signature) const;

  /// Takes ownership of `pkey` (one reference); checks kind and size; computes the thumbprint.
  static base::Result<VerifyKey> from_pkey(evp_pkey_st* pkey, std::string origin, std::string kid = {},
                                           std::optional<JwsAlg> alg = std::nullopt);

 private:
  VerifyKey() = default;

  std::shared_ptr<evp_pkey_st> pkey_;
  KeyKind kind_ = KeyKind::rsa;
  std::string kid_;
  std::string thumbprint_;
  std::optional<JwsAlg> alg_;
  std::string origin_;
};

/// The usable keys of a JWK Set, and why the others were passed over.
struct JwkSet {
  std::vector<VerifyKey> keys;
  /// Keys that are well-formed but not for us, e.g. "keys[1]: use \"enc\"", "keys[2]: kty \"oct\"",
  /// "keys[3]: crv \"P-384\"", "keys[4]: alg \"PS256\"".
  std::vector<std::string> skipped;
};

/// The largest key file read (PEM or JWKS).
inline constexpr std::size_t max_key_file_size = 1024 * 1024;

/// One public key from PEM text: a SubjectPublicKeyInfo ("BEGIN PUBLIC KEY") or an X.509
/// certificate ("BEGIN CERTIFICATE", whose key is taken). Exactly one PEM block.
/// Errors name `origin`.
base::Result<VerifyKey> parse_pem_public_key(std::string_view pem, const std::string& origin);

/// A JWK Set (RFC 7517 §5): {"keys":[...]}. Supported: kty "RSA" (n, e), "EC" (crv "P-256", x,
/// y), "OKP" (crv "Ed25519", x; RFC 8037 §2). A key with "use" other than "sig", "key_ops"
/// without "verify", an "alg" other than RS256/ES256/EdDSA, or another kty or curve is skipped.
/// A malformed member of a supported key (bad base64url, wrong length, wrong JSON type), private
/// key material ("d", ...), an "alg" that does not fit the key, or a set with no usable key is
/// an error naming `origin` and the key's index.
base::Result<JwkSet> parse_jwks(std::string_view json, const std::string& origin);

/// The same from files (at most max_key_file_size bytes); errors start with the file name.
base::Result<VerifyKey> load_pem_public_key(const std::filesystem::path& file);
base::Result<JwkSet> load_jwks(const std::filesystem::path& file);

/// RFC 7638 thumbprint of an OpenSSL public key of a supported kind (SHA-256, base64url).
base::Result<std::string> jwk_thumbprint(const evp_pkey_st* pkey);

}  // namespace postern::auth
