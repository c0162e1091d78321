#include "auth/token_issuer.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "auth/jwks.hpp"
#include "base/atomic_file.hpp"

namespace postern::auth {

namespace {

namespace fs = std::filesystem;

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// PEM text from one of OpenSSL's PEM writers.
template <class Write>
base::Result<std::string> to_pem(Write write) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return base::fail("cannot encode the key: " + openssl_error());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}


std::int64_t seconds_since_epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

base::Result<void> TokenIssuer::generate_key_files(const fs::path& private_key_file, const fs::path& public_key_file) {
  std::shared_ptr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free);
  if (!key) return base::fail("cannot generate an Ed25519 key: " + openssl_error());
  auto private_pem = to_pem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!private_pem) return std::unexpected(private_pem.error());
  auto public_pem = to_pem([&](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key.get()); });
  if (!public_pem) return std::unexpected(public_pem.error());
  if (auto ok = base::write_file_atomically(private_key_file, *private_pem, 0600); !ok) return ok;
  return base::write_file_atomically(public_key_file, *public_pem, 0644);
}

base::Result<TokenIssuer> TokenIssuer::load(const fs::path& private_key_file, IssuerSettings settings) {
  std::ifstream in(private_key_file, std::ios::binary);
  if (!in) return base::fail(private_key_file.string() + ": cannot open: " + std::strerror(errno));
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return base::fail(private_key_file.string() + ": read error");
  auto issuer = from_pem(pem, std::move(settings));
  if (!issuer) return base::fail(private_key_file.string() + ": " + issuer.error().message);
  return issuer;
}

base::Result<TokenIssuer> TokenIssuer::from_pem(std::string_view private_key_pem, IssuerSettings settings) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  EVP_PKEY* raw = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (raw == nullptr) return base::fail("not a PEM private key: " + openssl_error());
  TokenIssuer issuer;
  issuer.key_.reset(raw, EVP_PKEY_free);
  if (!EVP_PKEY_is_a(raw, "ED25519")) return base::fail("not an Ed25519 key");
  auto kid = jwk_thumbprint(raw);
  if (!kid) return std::unexpected(kid.error());
  issuer.kid_ = std::move(*kid);
  issuer.settings_ = std::move(settings);
  return issuer;
}

base::Result<std::string> TokenIssuer::mint(std::string_view subject, std::chrono::seconds ttl,
                                            std::chrono::system_clock::time_point now) const {
  if (ttl.count() < 1) return base::fail("token lifetime under one second");
  boost::json::object header{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", kid_}};
  std::int64_t iat = seconds_since_epoch(now);
  boost::json::object claims{{"iss", settings_.issuer},
                             {"aud", settings_.audience},
                             {"sub", subject},
                             {"email", subject},
                             {"iat", iat},
                             {"nbf", iat},
                             {"exp", iat + ttl.count()}};
  const std::string& extra = settings_.account_claim;
  if (!extra.empty() && !claims.contains(extra)) claims[extra] = subject;
  // RFC 7515 §5.1 steps 1-6: the signing input is the two encoded parts joined by '.'.
  std::string input =
      base64url_encode(boost::json::serialize(header)) + "." + base64url_encode(boost::json::serialize(claims));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char signature[64];
  std::size_t len = sizeof signature;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) !=
          1) {
    return base::fail("cannot sign the token: " + openssl_error());
  }
  return input + "." + base64url_encode(std::string_view(reinterpret_cast<const char*>(signature), len));
}

std::string TokenIssuer::public_key_pem() const {
  auto pem = to_pem([&](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key_.get()); });
  return pem ? *pem : std::string();
}

}  // namespace postern::auth
