#pragma once
// Keys and signed tokens made inside the JWT tests with OpenSSL directly, so the code under test
// signs nothing it then verifies (TokenIssuer excepted, which is tested against the validator).

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "auth/jwks.hpp"

namespace postern::auth::test {

using PkeyPtr = std::shared_ptr<EVP_PKEY>;

inline PkeyPtr generate(const char* type, const char* param = nullptr) {
  EVP_PKEY* key = nullptr;
  if (std::string_view(type) == "RSA") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(std::stoi(param)));
  } else if (std::string_view(type) == "EC") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", param);
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  }
  if (key == nullptr) throw std::runtime_error(std::string("keygen failed: ") + type);
  return PkeyPtr(key, EVP_PKEY_free);
}

// RSA generation is slow: one key of each kind for the whole test program.
inline const PkeyPtr& rsa_key() {
  static PkeyPtr k = generate("RSA", "2048");
  return k;
}
inline const PkeyPtr& rsa_key_2() {
  static PkeyPtr k = generate("RSA", "2048");
  return k;
}
inline const PkeyPtr& ec_key() {
  static PkeyPtr k = generate("EC", "P-256");
  return k;
}
inline const PkeyPtr& ed_key() {
  static PkeyPtr k = generate("ED25519");
  return k;
}

inline std::string public_pem(const PkeyPtr& key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

inline std::string private_pem(const PkeyPtr& key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

inline VerifyKey verify_key(const PkeyPtr& key, std::string kid = {}) {
  EVP_PKEY_up_ref(key.get());
  auto k = VerifyKey::from_pkey(key.get(), "test key", std::move(kid));
  if (!k) throw std::runtime_error(k.error().message);
  return *k;
}

inline std::string raw_sign(const PkeyPtr& key, const EVP_MD* md, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) {
    throw std::runtime_error("sign init failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) != 1) {
    throw std::runtime_error("sign failed");
  }
  sig.resize(len);
  return sig;
}

// RFC 7518 §3.4: OpenSSL's DER ECDSA signature as the JOSE R || S (32 octets each).
inline std::string der_to_jose(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())),
                                                            ECDSA_SIG_free);
  std::string out(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(out.data() + 32), 32);
  return out;
}

/// The JWS signature bytes of `input` by `key` under `alg` ("RS256", "ES256", "EdDSA").
inline std::string jose_sign(const PkeyPtr& key, std::string_view alg, std::string_view input) {
  if (alg == "EdDSA") return raw_sign(key, nullptr, input);
  std::string sig = raw_sign(key, EVP_sha256(), input);
  return alg == "ES256" ? der_to_jose(sig) : sig;
}

inline std::string hmac_sha256(std::string_view secret, std::string_view input) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

/// A compact JWS of the given header and payload JSON, signed as `sign_alg` says (which may
/// differ from the header's "alg", for the confusion tests).
inline std::string make_token(const PkeyPtr& key, std::string_view sign_alg, std::string_view header,
                              std::string_view payload) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(jose_sign(key, sign_alg, input));
}

/// A directory removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "postern-jwt-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, std::string_view text) const {
    auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace postern::auth::test
