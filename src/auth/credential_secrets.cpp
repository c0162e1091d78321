#include "auth/credential_secrets.hpp"

#include <span>

#include "sasl/cram_md5.hpp"
#include "sasl/crypto.hpp"
#include "sasl/saslprep.hpp"
#include "sasl/scram.hpp"

namespace postern::auth {

namespace {

base::Result<std::optional<sasl::ScramVerifier>> verifier_for(sasl::ScramHash hash, std::string_view password,
                                                              base::Random& random, std::uint32_t iterations) {
  std::string salt(sasl::scram_salt_octets, '\0');
  random.fill(std::as_writable_bytes(std::span(salt)));
  auto verifier = sasl::scram_verifier(hash, password, salt, iterations);
  if (!verifier) return std::unexpected(verifier.error());
  return std::optional<sasl::ScramVerifier>(std::move(*verifier));
}

}  // namespace

bool scram_capable(std::string_view password) {
  auto prepared = sasl::saslprep(password);
  if (!prepared) return false;
  sasl::crypto::wipe(*prepared);
  return true;
}

base::Result<PasswordSecrets> derive_secrets(std::string_view password, base::Random& random, const HashParams& hash,
                                             std::uint32_t scram_iterations) {
  PasswordSecrets secrets;
  auto argon = hash_password(password, random, hash);
  if (!argon) return std::unexpected(argon.error());
  secrets.argon2id = std::move(*argon);
  if (scram_capable(password)) {
    auto sha1 = verifier_for(sasl::ScramHash::sha1, password, random, scram_iterations);
    if (!sha1) return std::unexpected(sha1.error());
    auto sha256 = verifier_for(sasl::ScramHash::sha256, password, random, scram_iterations);
    if (!sha256) return std::unexpected(sha256.error());
    secrets.scram_sha1 = std::move(*sha1);
    secrets.scram_sha256 = std::move(*sha256);
  }
  secrets.cram_md5 = sasl::cram_md5_secret(password);
  return secrets;
}

std::string cram_secret_bytes(const sasl::CramSecret& secret) {
  std::string out(secret.outer.begin(), secret.outer.end());
  out.append(secret.inner.begin(), secret.inner.end());
  return out;
}

std::optional<sasl::CramSecret> cram_secret_from_bytes(std::string_view bytes) {
  if (bytes.size() != 32) return std::nullopt;
  sasl::CramSecret secret;
  for (std::size_t i = 0; i < 16; ++i) {
    secret.outer[i] = static_cast<std::uint8_t>(bytes[i]);
    secret.inner[i] = static_cast<std::uint8_t>(bytes[16 + i]);
  }
  return secret;
}

}  // namespace postern::auth
