// Channel-binding data against what the client side of the same in-memory handshake computes:
// tls-exporter (RFC 9266) on TLS 1.3, tls-unique (RFC 5929 §3) on TLS 1.2, and
// tls-server-end-point (RFC 5929 §4.1) as the SHA-256 of our ECDSA-SHA256 certificate.

#include "net/channel_binding.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <memory>

#include "net/self_signed.hpp"

namespace postern::net {
namespace {

struct Handshake {
  SSL_CTX* server_ctx = nullptr;
  SSL_CTX* client_ctx = nullptr;
  SSL* server = nullptr;
  SSL* client = nullptr;
  X509* cert = nullptr;

  explicit Handshake(int version) {
    auto pem = make_self_signed(SelfSignedOptions{});
    EXPECT_TRUE(pem.has_value());
    BIO* cb = BIO_new_mem_buf(pem->certificate.data(), static_cast<int>(pem->certificate.size()));
    cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    BIO* kb = BIO_new_mem_buf(pem->private_key.data(), static_cast<int>(pem->private_key.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(kb);
    server_ctx = SSL_CTX_new(TLS_server_method());
    client_ctx = SSL_CTX_new(TLS_client_method());
    for (auto* ctx : {server_ctx, client_ctx}) {
      SSL_CTX_set_min_proto_version(ctx, version);
      SSL_CTX_set_max_proto_version(ctx, version);
    }
    SSL_CTX_use_certificate(server_ctx, cert);
    SSL_CTX_use_PrivateKey(server_ctx, key);
    EVP_PKEY_free(key);
    server = SSL_new(server_ctx);
    client = SSL_new(client_ctx);
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
    EXPECT_TRUE(SSL_is_init_finished(server) && SSL_is_init_finished(client));
  }
  ~Handshake() {
    SSL_free(server);
    SSL_free(client);
    SSL_CTX_free(server_ctx);
    SSL_CTX_free(client_ctx);
    X509_free(cert);
  }
};

std::string sha256_of_der(X509* cert) {
  std::array<unsigned char, 32> d{};
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), d.data(), &n);
  return std::string(reinterpret_cast<const char*>(d.data()), n);
}

TEST(ChannelBinding, Tls13ExporterMatchesTheClientsAndNoTlsUnique) {
  Handshake h(TLS1_3_VERSION);
  auto data = channel_bindings(h.server);
  std::array<unsigned char, 32> client{};
  ASSERT_EQ(SSL_export_keying_material(h.client, client.data(), client.size(), "EXPORTER-Channel-Binding", 24, nullptr,
                                       0, 1),
            1);
  EXPECT_EQ(data.tls_exporter, std::string(reinterpret_cast<const char*>(client.data()), client.size()));
  EXPECT_TRUE(data.tls_unique.empty()) << "tls-unique is undefined on TLS 1.3 (RFC 9266 §3)";
  EXPECT_EQ(data.tls_server_end_point, sha256_of_der(h.cert));
}

TEST(ChannelBinding, Tls12UniqueIsTheClientsFinished) {
  Handshake h(TLS1_2_VERSION);
  ASSERT_EQ(SSL_get_extms_support(h.server), 1);
  auto data = channel_bindings(h.server);
  std::array<unsigned char, 64> finished{};
  std::size_t n = SSL_get_finished(h.client, finished.data(), finished.size());  // the client's own, sent first
  ASSERT_GT(n, 0u);
  EXPECT_EQ(data.tls_unique, std::string(reinterpret_cast<const char*>(finished.data()), n));
  EXPECT_TRUE(data.tls_exporter.empty());
  EXPECT_EQ(data.tls_server_end_point, sha256_of_der(h.cert));
}

TEST(ChannelBinding, NoClientCertificate) {
  Handshake h(TLS1_3_VERSION);
  auto peer = peer_certificate(h.server);
  EXPECT_FALSE(peer.presented);
  EXPECT_FALSE(peer.verified);
  EXPECT_TRUE(peer.email.empty());
}

}  // namespace
}  // namespace postern::net
