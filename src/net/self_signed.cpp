#include "net/self_signed.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <functional>
#include <memory>

#include "base/atomic_file.hpp"

namespace postern::net {

namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

base::Result<void> openssl_fail(std::string_view what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return base::fail("self-signed certificate: " + std::string(what) + ": " + buf);
}

base::Result<std::string> to_pem(const std::function<int(BIO*)>& write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) {
    auto f = openssl_fail("PEM encoding");
    return std::unexpected(f.error());
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

base::Result<void> set_random_serial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), bytes.size()) != 1) return openssl_fail("random serial");
  bytes[0] &= 0x7f;  // positive in DER's two's complement
  bytes[0] |= 0x01;  // never zero, and the length stays fixed
  BnPtr bn(BN_bin2bn(bytes.data(), bytes.size(), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) return openssl_fail("serial");
  return {};
}

base::Result<void> add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return openssl_fail(OBJ_nid2sn(nid));
  return {};
}

std::string subject_alt_names(const SelfSignedOptions& options) {
  std::string value;
  for (const auto& name : options.dns_names) value += (value.empty() ? "" : ",") + ("DNS:" + name);
  for (const auto& ip : options.ip_addresses) value += (value.empty() ? "" : ",") + ("IP:" + ip);
  return value;
}

// RFC 5280 §4.2: the extensions a TLS server leaf needs, marked critical where §4.2.1.3 and
// §4.2.1.9 recommend it.
base::Result<void> add_extensions(X509* cert, const SelfSignedOptions& options) {
  if (auto ok = add_extension(cert, NID_basic_constraints, "critical,CA:FALSE"); !ok) return ok;
  if (auto ok = add_extension(cert, NID_key_usage, "critical,digitalSignature"); !ok) return ok;
  if (auto ok = add_extension(cert, NID_ext_key_usage, "serverAuth"); !ok) return ok;
  if (auto ok = add_extension(cert, NID_subject_key_identifier, "hash"); !ok) return ok;
  std::string sans = subject_alt_names(options);
  if (!sans.empty()) {
    if (auto ok = add_extension(cert, NID_subject_alt_name, sans); !ok) return ok;
  }
  return {};
}

base::Result<X509Ptr> build_certificate(EVP_PKEY* key, const SelfSignedOptions& options,
                                        std::chrono::system_clock::time_point now) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    auto f = openssl_fail("X509_new");
    return std::unexpected(f.error());
  }
  if (auto ok = set_random_serial(cert.get()); !ok) return std::unexpected(ok.error());
  auto start = std::chrono::system_clock::to_time_t(now);
  auto end = std::chrono::system_clock::to_time_t(now + options.validity);
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(options.common_name.c_str());
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), start) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), end) == nullptr ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key) != 1) {
    auto f = openssl_fail("certificate fields");
    return std::unexpected(f.error());
  }
  if (auto ok = add_extensions(cert.get(), options); !ok) return std::unexpected(ok.error());
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) {
    auto f = openssl_fail("signing");
    return std::unexpected(f.error());
  }
  return cert;
}

}  // namespace

base::Result<PemPair> make_self_signed(const SelfSignedOptions& options, std::chrono::system_clock::time_point now) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) {
    auto f = openssl_fail("P-256 key generation");
    return std::unexpected(f.error());
  }
  auto cert = build_certificate(key.get(), options, now);
  if (!cert) return std::unexpected(cert.error());
  auto cert_pem = to_pem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert->get()); });
  if (!cert_pem) return std::unexpected(cert_pem.error());
  auto key_pem =
      to_pem([&](BIO* bio) { return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  if (!key_pem) return std::unexpected(key_pem.error());
  return PemPair{std::move(*cert_pem), std::move(*key_pem)};
}

base::Result<void> write_self_signed(const std::filesystem::path& cert_file, const std::filesystem::path& key_file,
                                     const SelfSignedOptions& options, std::chrono::system_clock::time_point now) {
  auto pair = make_self_signed(options, now);
  if (!pair) return std::unexpected(pair.error());
  // The key first: a certificate on disk without its key would look like a finished job.
  if (auto ok = base::write_file_atomically(key_file, pair->private_key, 0600); !ok) return ok;
  return base::write_file_atomically(cert_file, pair->certificate, 0644);
}

}  // namespace postern::net
