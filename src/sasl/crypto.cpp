#include "sasl/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>

namespace postern::sasl::crypto {
namespace {

const EVP_MD* md(ScramHash h) { return h == ScramHash::sha1 ? EVP_sha1() : EVP_sha256(); }

const unsigned char* bytes(std::string_view s) {
  // libcrypto wants a valid pointer even for zero bytes.
  static const unsigned char none = 0;
  return s.empty() ? &none : reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

// Every primitive returns "" when libcrypto fails (only on allocation failure); callers check
// the size, and an empty digest never compares equal to a real one.

std::size_t digest_size(ScramHash h) { return h == ScramHash::sha1 ? 20 : 32; }

std::string digest(ScramHash h, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (EVP_Digest(bytes(data), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len, md(h), nullptr) != 1) {
    return {};
  }
  out.resize(len);
  return out;
}

std::string hmac(ScramHash h, std::string_view key, std::string_view data) {
  if (key.size() > INT_MAX) return {};
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (HMAC(md(h), bytes(key), static_cast<int>(key.size()), bytes(data), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr) {
    return {};
  }
  out.resize(len);
  return out;
}

std::string pbkdf2(ScramHash h, std::string_view password, std::string_view salt, std::uint32_t iterations) {
  if (password.size() > INT_MAX || salt.size() > INT_MAX || iterations == 0 || iterations > INT_MAX) return {};
  std::string out(digest_size(h), '\0');
  if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(bytes(password)), static_cast<int>(password.size()), bytes(salt),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), md(h),
                        static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return {};
  }
  return out;
}

bool equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(bytes(a), bytes(b), a.size()) == 0;
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a);
  for (std::size_t i = 0; i < out.size() && i < b.size(); ++i) out[i] = static_cast<char>(out[i] ^ b[i]);
  return out;
}

void wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace postern::sasl::crypto
