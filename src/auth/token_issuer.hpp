#pragma once
// The development token issuer: an Ed25519 key of its own that signs JWTs for local accounts,
// so OAUTHBEARER and XOAUTH2 can be tried without an identity provider.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace postern::auth {

/// The issuer and audience of the dev configuration's `[oauth]`.
inline constexpr std::string_view dev_issuer = "postern-dev";
inline constexpr std::string_view dev_audience = "postern";

/// What every minted token says besides the subject.
struct IssuerSettings {
  std::string issuer{dev_issuer};
  std::string audience{dev_audience};
  /// The claim the validator reads the account from; minted besides "sub" and "email" when it
  /// is neither.
  std::string account_claim = "email";
};

/// Mints EdDSA-signed JWTs (RFC 7519, RFC 8037 §3.1) with header
/// {"alg":"EdDSA","typ":"JWT","kid":<RFC 7638 thumbprint>} and claims iss, aud, sub, email, iat,
/// nbf, exp.
///
/// Use: generate_key_files() once (dev bootstrap); load() the private key; then mint() any
/// number of times, from any thread (the object is immutable).
class TokenIssuer {
 public:
  /// A fresh Ed25519 key pair: `private_key_file` as unencrypted PKCS #8 PEM, mode 0600 from the
  /// moment it exists; `public_key_file` as SubjectPublicKeyInfo PEM, mode 0644. Each is written
  /// to a temporary name, fsynced and renamed over any older file. Parent directories must exist.
  static base::Result<void> generate_key_files(const std::filesystem::path& private_key_file,
                                               const std::filesystem::path& public_key_file);

  /// Reads an Ed25519 private key written by generate_key_files (or `openssl genpkey -algorithm
  /// ed25519`). Errors name the file.
  static base::Result<TokenIssuer> load(const std::filesystem::path& private_key_file, IssuerSettings settings);
  /// The same from PEM text.
  static base::Result<TokenIssuer> from_pem(std::string_view private_key_pem, IssuerSettings settings);

  /// A token for `subject` (the account address) valid from `now` for `ttl`. Times are whole
  /// seconds (RFC 7519 §2 NumericDate), `now` rounded down. Fails for a ttl under one second.
  base::Result<std::string> mint(std::string_view subject, std::chrono::seconds ttl,
                                 std::chrono::system_clock::time_point now) const;

  /// The "kid" written into every header: the public key's RFC 7638 thumbprint.
  const std::string& kid() const { return kid_; }
  /// The public key as SubjectPublicKeyInfo PEM, what a validator is configured with.
  std::string public_key_pem() const;

 private:
  TokenIssuer() = default;

  std::shared_ptr<evp_pkey_st> key_;
  std::string kid_;
  IssuerSettings settings_;
};

}  // namespace postern::auth
