#include "net/self_signed.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>

#include "net/cert_check.hpp"

namespace postern::net {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

X509Ptr parse_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

PkeyPtr parse_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return key;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "postern-net-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path operator/(const char* name) const { return path_ / name; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// 2027-01-15 08:00:00 UTC: a fixed issuing time, so validity dates can be checked exactly.
const auto issued = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

// Verifies `cert` as its own trust anchor, like `openssl verify -CAfile cert.pem cert.pem`,
// for a TLS server named `host` (or at `ip`) at time `at`. Returns the X509_V_* result.
int verify(X509* cert, const char* host, const char* ip, std::chrono::system_clock::time_point at) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, cert);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(at));
  if (host != nullptr) X509_VERIFY_PARAM_set1_host(param, host, 0);
  if (ip != nullptr) X509_VERIFY_PARAM_set1_ip_asc(param, ip);
  int ok = X509_verify_cert(ctx);
  int result = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  ERR_clear_error();
  return result;
}

TEST(SelfSigned, CertificateFieldsAreWhatDevModePromises) {
  auto pair = make_self_signed({}, issued);
  ASSERT_TRUE(pair) << pair.error().message;
  X509Ptr cert = parse_cert(pair->certificate);
  ASSERT_TRUE(cert);

  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "localhost");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);

  auto start = std::chrono::system_clock::to_time_t(issued);
  auto end = std::chrono::system_clock::to_time_t(issued + std::chrono::days(365));
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert.get()), start), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert.get()), end), 0);

  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  EXPECT_EQ(serial->type, V_ASN1_INTEGER);  // not V_ASN1_NEG_INTEGER
  EXPECT_EQ(serial->length, 16);

  EVP_PKEY* pub = X509_get0_pubkey(cert.get());
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(pub), EVP_PKEY_EC);
  char group[32] = {};
  ASSERT_EQ(EVP_PKEY_get_group_name(pub, group, sizeof group, nullptr), 1);
  EXPECT_STREQ(group, "prime256v1");

  PkeyPtr key = parse_key(pair->private_key);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_THAT(pair->private_key, HasSubstr("-----BEGIN PRIVATE KEY-----"));  // PKCS #8, unencrypted
}

TEST(SelfSigned, ExtensionsForATlsServerLeaf) {
  auto pair = make_self_signed({}, issued);
  ASSERT_TRUE(pair);
  X509Ptr cert = parse_cert(pair->certificate);
  ASSERT_TRUE(cert);

  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  int bc = X509_get_ext_by_NID(cert.get(), NID_basic_constraints, -1);
  int ku = X509_get_ext_by_NID(cert.get(), NID_key_usage, -1);
  ASSERT_GE(bc, 0);
  ASSERT_GE(ku, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), bc)), 1);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), ku)), 1);

  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  ASSERT_NE(sans, nullptr);
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
    const ASN1_STRING* s = gn->type == GEN_DNS ? gn->d.dNSName : gn->type == GEN_IPADD ? gn->d.iPAddress : nullptr;
    ASSERT_NE(s, nullptr) << "unexpected general name type " << gn->type;
    std::string bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
    (gn->type == GEN_DNS ? dns : ips).push_back(bytes);
  }
  GENERAL_NAMES_free(sans);
  EXPECT_THAT(dns, ::testing::ElementsAre("localhost"));
  EXPECT_THAT(
      ips, ::testing::ElementsAre(std::string("\x7f\x00\x00\x01", 4), std::string(15, '\0') + std::string(1, '\x01')));
}

TEST(SelfSigned, VerifiesAsItsOwnTrustAnchorForLocalhostOnly) {
  auto pair = make_self_signed({}, issued);
  ASSERT_TRUE(pair);
  X509Ptr cert = parse_cert(pair->certificate);
  ASSERT_TRUE(cert);
  auto later = issued + std::chrono::days(30);
  EXPECT_EQ(verify(cert.get(), "localhost", nullptr, later), X509_V_OK);
  EXPECT_EQ(verify(cert.get(), nullptr, "127.0.0.1", later), X509_V_OK);
  EXPECT_EQ(verify(cert.get(), nullptr, "::1", later), X509_V_OK);
  EXPECT_EQ(verify(cert.get(), "mail.example.org", nullptr, later), X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_EQ(verify(cert.get(), nullptr, "127.0.0.2", later), X509_V_ERR_IP_ADDRESS_MISMATCH);
  EXPECT_EQ(verify(cert.get(), "localhost", nullptr, issued + std::chrono::days(366)), X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_EQ(verify(cert.get(), "localhost", nullptr, issued - std::chrono::hours(1)), X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST(SelfSigned, EveryCallMakesANewKeyAndSerial) {
  auto a = make_self_signed({}, issued);
  auto b = make_self_signed({}, issued);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->private_key, b->private_key);
  X509Ptr ca = parse_cert(a->certificate);
  X509Ptr cb = parse_cert(b->certificate);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca.get()), X509_get0_serialNumber(cb.get())), 0);
}

TEST(SelfSigned, WritesPemFilesWithPrivateKeyMode) {
  TempDir dir;
  mode_t old = ::umask(022);
  // A stale, world-readable key must not keep its mode.
  write_text(dir / "key.pem", "old");
  ::chmod((dir / "key.pem").c_str(), 0644);
  auto ok = write_self_signed(dir / "cert.pem", dir / "key.pem");
  ::umask(old);
  ASSERT_TRUE(ok) << ok.error().message;

  struct stat st {};
  ASSERT_EQ(::stat((dir / "key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir / "cert.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("cert.pem", "key.pem"));  // no temporary files left

  X509Ptr cert = parse_cert(read_text(dir / "cert.pem"));
  PkeyPtr key = parse_key(read_text(dir / "key.pem"));
  ASSERT_TRUE(cert && key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(verify(cert.get(), "localhost", nullptr, std::chrono::system_clock::now()), X509_V_OK);
  EXPECT_TRUE(check_certificate_pair(dir / "cert.pem", dir / "key.pem"));
}

TEST(SelfSigned, WriteFailsIntoAMissingDirectory) {
  TempDir dir;
  auto ok = write_self_signed(dir / "nope/cert.pem", dir / "nope/key.pem");
  ASSERT_FALSE(ok);
  EXPECT_THAT(ok.error().message, HasSubstr("nope/key.pem"));
}

TEST(SelfSigned, OpensslVerifyAcceptsIt) {
  if (::access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "no openssl binary";
  TempDir dir;
  ASSERT_TRUE(write_self_signed(dir / "cert.pem", dir / "key.pem"));
  std::string cert = (dir / "cert.pem").string();
  std::string cmd = "/usr/bin/openssl verify -purpose sslserver -verify_hostname localhost -CAfile '" + cert + "' '" +
                    cert + "' >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::string wrong =
      "/usr/bin/openssl verify -verify_hostname example.org -CAfile '" + cert + "' '" + cert + "' >/dev/null 2>&1";
  EXPECT_NE(std::system(wrong.c_str()), 0);
}

// A real handshake through memory BIOs: a client that trusts only this certificate and checks
// the name "localhost" must complete it.
TEST(SelfSigned, TlsHandshakeWithAClientThatVerifiesTheName) {
  TempDir dir;
  ASSERT_TRUE(write_self_signed(dir / "cert.pem", dir / "key.pem"));
  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  ASSERT_EQ(SSL_CTX_use_certificate_chain_file(server_ctx, (dir / "cert.pem").c_str()), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey_file(server_ctx, (dir / "key.pem").c_str(), SSL_FILETYPE_PEM), 1);
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_EQ(SSL_CTX_load_verify_locations(client_ctx, (dir / "cert.pem").c_str(), nullptr), 1);
  SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, nullptr);

  SSL* server = SSL_new(server_ctx);
  SSL* client = SSL_new(client_ctx);
  SSL_set1_host(client, "localhost");
  SSL_set_tlsext_host_name(client, "localhost");
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  ASSERT_EQ(BIO_new_bio_pair(&client_bio, 0, &server_bio, 0), 1);
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);

  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
    if (!client_done) {
      int rc = SSL_do_handshake(client);
      client_done = rc == 1;
      if (rc != 1) {
        ASSERT_EQ(SSL_get_error(client, rc), SSL_ERROR_WANT_READ);
      }
    }
    if (!server_done) {
      int rc = SSL_do_handshake(server);
      server_done = rc == 1;
      if (rc != 1) {
        ASSERT_EQ(SSL_get_error(server, rc), SSL_ERROR_WANT_READ);
      }
    }
  }
  EXPECT_TRUE(client_done && server_done);
  EXPECT_EQ(SSL_get_verify_result(client), X509_V_OK);
  SSL_free(client);
  SSL_free(server);
  SSL_CTX_free(client_ctx);
  SSL_CTX_free(server_ctx);
}

TEST(CertCheck, ReportsEachKindOfProblemWithTheFileName) {
  TempDir dir;
  ASSERT_TRUE(write_self_signed(dir / "a.crt", dir / "a.key"));
  ASSERT_TRUE(write_self_signed(dir / "b.crt", dir / "b.key"));
  EXPECT_TRUE(check_certificate_pair(dir / "a.crt", dir / "a.key"));

  auto mismatch = check_certificate_pair(dir / "a.crt", dir / "b.key");
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().message,
            (dir / "b.key").string() + ": does not match certificate " + (dir / "a.crt").string());

  auto missing = check_certificate_pair(dir / "none.crt", dir / "a.key");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, (dir / "none.crt").string() + ": No such file or directory");

  write_text(dir / "garbage.crt", "not a certificate\n");
  auto garbage = check_certificate_pair(dir / "garbage.crt", dir / "a.key");
  ASSERT_FALSE(garbage);
  EXPECT_THAT(garbage.error().message, HasSubstr((dir / "garbage.crt").string() + ": cannot load certificate chain"));

  auto swapped = check_certificate_pair(dir / "a.key", dir / "a.crt");
  ASSERT_FALSE(swapped);
  EXPECT_THAT(swapped.error().message, HasSubstr("cannot load certificate chain"));
  EXPECT_EQ(ERR_peek_error(), 0u);  // nothing left on OpenSSL's error queue for the next caller
}

TEST(CertCheck, EncryptedKeyIsRefusedWithoutPrompting) {
  TempDir dir;
  ASSERT_TRUE(write_self_signed(dir / "cert.pem", dir / "key.pem"));
  PkeyPtr key = parse_key(read_text(dir / "key.pem"));
  ASSERT_TRUE(key);
  BIO* out = BIO_new_file((dir / "enc.pem").c_str(), "w");
  static char pass[] = "pass phrase";
  ASSERT_EQ(PEM_write_bio_PrivateKey(out, key.get(), EVP_aes_256_cbc(), reinterpret_cast<unsigned char*>(pass),
                                     sizeof pass - 1, nullptr, nullptr),
            1);
  BIO_free(out);
  auto ok = check_certificate_pair(dir / "cert.pem", dir / "enc.pem");
  ASSERT_FALSE(ok);
  EXPECT_THAT(ok.error().message, HasSubstr((dir / "enc.pem").string() + ": cannot load private key"));
}

}  // namespace
}  // namespace postern::net
