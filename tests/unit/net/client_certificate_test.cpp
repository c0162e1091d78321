// The client certificate as the server reads it for SASL EXTERNAL: requested with ClientCa,
// optional for the client, verified against the configured CA (or recorded as unverified), and
// the address it names (subjectAltName rfc822Name before the subject's emailAddress).

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>

#include "net/channel_binding.hpp"
#include "net/self_signed.hpp"

namespace postern::net {
namespace {

EVP_PKEY* new_key() { return EVP_EC_gen("P-256"); }

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

/// A certificate and its key; `issuer` null: self-signed.
struct Cert {
  X509* x509 = nullptr;
  EVP_PKEY* key = nullptr;

  Cert(const std::string& cn, const std::string& email_attr, const char* san, const Cert* issuer, bool ca) {
    key = new_key();
    x509 = X509_new();
    X509_set_version(x509, 2);
    static long serial = 1;
    ASN1_INTEGER_set(X509_get_serialNumber(x509), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x509), -60);
    X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
    X509_set_pubkey(x509, key);
    X509_NAME* name = X509_get_subject_name(x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                               0);
    if (!email_attr.empty()) {
      X509_NAME_add_entry_by_NID(name, NID_pkcs9_emailAddress, MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(email_attr.c_str()), -1, -1, 0);
    }
    X509* signer_cert = issuer ? issuer->x509 : x509;
    X509_set_issuer_name(x509, X509_get_subject_name(signer_cert));
    add_extension(x509, signer_cert, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (ca) add_extension(x509, signer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    if (san != nullptr) add_extension(x509, signer_cert, NID_subject_alt_name, san);
    X509_sign(x509, issuer ? issuer->key : key, EVP_sha256());
  }
  ~Cert() {
    X509_free(x509);
    EVP_PKEY_free(key);
  }
  Cert(const Cert&) = delete;
  Cert& operator=(const Cert&) = delete;

  std::string sha256_hex() const {
    std::array<unsigned char, 32> d{};
    unsigned int n = 0;
    X509_digest(x509, EVP_sha256(), d.data(), &n);
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
      static constexpr char digits[] = "0123456789abcdef";
      out += digits[d[i] >> 4];
      out += digits[d[i] & 15];
    }
    return out;
  }
};

class TempFile {
 public:
  explicit TempFile(const X509* cert) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "postern-ca-XXXXXX").string();
    int fd = ::mkstemp(tmpl.data());
    EXPECT_GE(fd, 0);
    path_ = tmpl;
    FILE* f = ::fdopen(fd, "w");
    PEM_write_X509(f, cert);
    ::fclose(f);
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// One in-memory handshake: the server asks for a certificate with `ca` (if any), the client
/// presents `client` (if any).
struct Handshake {
  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  SSL* server = nullptr;
  SSL* client = nullptr;
  bool done = false;

  Handshake(const ClientCa* ca, const Cert* client_cert, int version = TLS1_3_VERSION) {
    auto pem = make_self_signed(SelfSignedOptions{});
    EXPECT_TRUE(pem.has_value());
    BIO* cb = BIO_new_mem_buf(pem->certificate.data(), static_cast<int>(pem->certificate.size()));
    X509* server_cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    BIO* kb = BIO_new_mem_buf(pem->private_key.data(), static_cast<int>(pem->private_key.size()));
    EVP_PKEY* server_key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(kb);
    for (auto* ctx : {server_ctx, client_ctx}) {
      SSL_CTX_set_min_proto_version(ctx, version);
      SSL_CTX_set_max_proto_version(ctx, version);
    }
    SSL_CTX_use_certificate(server_ctx, server_cert);
    SSL_CTX_use_PrivateKey(server_ctx, server_key);
    X509_free(server_cert);
    EVP_PKEY_free(server_key);
    if (client_cert != nullptr) {
      SSL_CTX_use_certificate(client_ctx, client_cert->x509);
      SSL_CTX_use_PrivateKey(client_ctx, client_cert->key);
    }
    server = SSL_new(server_ctx);
    client = SSL_new(client_ctx);
    if (ca != nullptr) ca->request_on(server);
    BIO *a = nullptr, *b = nullptr;
    BIO_new_bio_pair(&a, 0, &b, 0);
    SSL_set_bio(server, a, a);
    SSL_set_bio(client, b, b);
    SSL_set_accept_state(server);
    SSL_set_connect_state(client);
    for (int i = 0; i < 20 && !(SSL_is_init_finished(server) && SSL_is_init_finished(client)); ++i) {
      SSL_do_handshake(client);
      SSL_do_handshake(server);
    }
    done = SSL_is_init_finished(server) && SSL_is_init_finished(client);
  }
  ~Handshake() {
    SSL_free(server);
    SSL_free(client);
    SSL_CTX_free(server_ctx);
    SSL_CTX_free(client_ctx);
  }
};

class ClientCertificate : public ::testing::Test {
 protected:
  ClientCertificate() : ca_file_(ca_.x509) {
    auto loaded = ClientCa::load(ca_file_.path());
    EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message);
    if (loaded) client_ca_ = *loaded;
  }
  Cert ca_{"Test Client CA", "", nullptr, nullptr, true};
  Cert other_ca_{"Another CA", "", nullptr, nullptr, true};
  TempFile ca_file_;
  std::shared_ptr<ClientCa> client_ca_;
};

TEST_F(ClientCertificate, VerifiedWithTheSanEmailFirst) {
  Cert alice("Alice Example", "old-alice@example.test", "email:alice@example.test,email:second@example.test", &ca_,
             false);
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    Handshake h(client_ca_.get(), &alice, version);
    ASSERT_TRUE(h.done);
    auto peer = peer_certificate(h.server);
    EXPECT_TRUE(peer.presented);
    EXPECT_TRUE(peer.verified);
    EXPECT_EQ(peer.email, "alice@example.test") << "the first rfc822Name wins over emailAddress";
    EXPECT_EQ(peer.common_name, "Alice Example");
    EXPECT_EQ(peer.fingerprint_sha256, alice.sha256_hex());
    EXPECT_EQ(peer.fingerprint_sha256.size(), 64u);
    EXPECT_NE(peer.subject.find("CN=Alice Example"), std::string::npos) << peer.subject;
  }
}

TEST_F(ClientCertificate, SubjectEmailAddressWhenNoSanEmail) {
  Cert bob("Bob", "bob@example.test", "DNS:bob.example.test", &ca_, false);
  Handshake h(client_ca_.get(), &bob);
  ASSERT_TRUE(h.done);
  auto peer = peer_certificate(h.server);
  EXPECT_TRUE(peer.verified);
  EXPECT_EQ(peer.email, "bob@example.test");
}

TEST_F(ClientCertificate, NoAddressAtAll) {
  Cert anon("anonymous", "", nullptr, &ca_, false);
  Handshake h(client_ca_.get(), &anon);
  ASSERT_TRUE(h.done);
  auto peer = peer_certificate(h.server);
  EXPECT_TRUE(peer.verified);
  EXPECT_EQ(peer.email, "");
}

TEST_F(ClientCertificate, OtherCaStillConnectsButIsNotVerified) {
  Cert mallory("Mallory", "", "email:alice@example.test", &other_ca_, false);
  Handshake h(client_ca_.get(), &mallory);
  ASSERT_TRUE(h.done) << "the certificate is optional and an unverifiable one is recorded, not refused";
  auto peer = peer_certificate(h.server);
  EXPECT_TRUE(peer.presented);
  EXPECT_FALSE(peer.verified);
  EXPECT_EQ(peer.email, "alice@example.test");
  EXPECT_EQ(peer.fingerprint_sha256, mallory.sha256_hex());
}

TEST_F(ClientCertificate, SelfSignedClientIsNotVerified) {
  Cert self("alice", "", "email:alice@example.test", nullptr, false);
  Handshake h(client_ca_.get(), &self);
  ASSERT_TRUE(h.done);
  EXPECT_FALSE(peer_certificate(h.server).verified);
}

TEST_F(ClientCertificate, ClientWithoutCertificateStillConnects) {
  Handshake h(client_ca_.get(), nullptr);
  ASSERT_TRUE(h.done);
  auto peer = peer_certificate(h.server);
  EXPECT_FALSE(peer.presented);
  EXPECT_FALSE(peer.verified);
  EXPECT_TRUE(peer.fingerprint_sha256.empty());
}

TEST_F(ClientCertificate, NotAskedNotSent) {
  Cert alice("Alice", "", "email:alice@example.test", &ca_, false);
  Handshake h(nullptr, &alice);
  ASSERT_TRUE(h.done);
  EXPECT_FALSE(peer_certificate(h.server).presented) << "a client sends a certificate only when asked";
}

TEST(ClientCaLoad, MissingOrEmptyFileIsAnError) {
  auto missing = ClientCa::load("/nonexistent/postern-client-ca.pem");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot load"), std::string::npos) << missing.error().message;
}

}  // namespace
}  // namespace postern::net
