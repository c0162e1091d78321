#include "net/channel_binding.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <array>

namespace postern::net {

namespace {

std::string server_end_point(X509* cert) {
  if (cert == nullptr) return {};
  int md_nid = NID_undef;
  if (X509_get_signature_info(cert, &md_nid, nullptr, nullptr, nullptr) != 1) md_nid = NID_undef;
  // RFC 5929 §4.1: MD5 and SHA-1 are replaced by SHA-256; a signature without a single hash
  // (Ed25519) has no defined hash, and SHA-256 is what clients use for it in practice.
  const EVP_MD* md = nullptr;
  if (md_nid != NID_undef && md_nid != NID_md5 && md_nid != NID_sha1) md = EVP_get_digestbynid(md_nid);
  if (md == nullptr) md = EVP_sha256();
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (X509_digest(cert, md, digest.data(), &len) != 1) return {};
  return std::string(reinterpret_cast<const char*>(digest.data()), len);
}

// Accepts every chain: whether it verified is read afterwards (PeerCertificate::verified), so a
// client with a bad certificate still gets TLS, just no EXTERNAL.
int accept_any(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

std::string asn1_text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
}

std::string certificate_email(X509* cert) {
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  std::string email;
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans) && email.empty(); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
    if (gn->type == GEN_EMAIL) email = asn1_text(gn->d.rfc822Name);
  }
  if (sans != nullptr) GENERAL_NAMES_free(sans);
  if (!email.empty()) return email;
  X509_NAME* subject = X509_get_subject_name(cert);
  int at = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, -1);
  if (at >= 0) email = asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
  return email;
}

std::string common_name(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  int at = -1;
  std::string cn;
  // The most specific CN is the last one (RFC 6125 §2.3.1 reads it the same way).
  while ((at = X509_NAME_get_index_by_NID(subject, NID_commonName, at)) >= 0) {
    cn = asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
  }
  return cn;
}

std::string sha256_hex(X509* cert) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), digest.data(), &len) != 1) return {};
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += digits[digest[i] >> 4];
    out += digits[digest[i] & 0xf];
  }
  return out;
}

}  // namespace

ChannelBindingData channel_bindings(SSL* ssl) {
  ChannelBindingData data;
  if (SSL_version(ssl) == TLS1_3_VERSION) {
    std::array<unsigned char, 32> out{};
    static constexpr char label[] = "EXPORTER-Channel-Binding";
    if (SSL_export_keying_material(ssl, out.data(), out.size(), label, sizeof label - 1, nullptr, 0, 1) == 1) {
      data.tls_exporter.assign(reinterpret_cast<const char*>(out.data()), out.size());
    }
  } else if (SSL_get_extms_support(ssl) == 1) {
    // RFC 5929 §3.1: the first Finished of the handshake: the client's on a full handshake,
    // ours on an abbreviated (resumed) one.
    std::array<unsigned char, EVP_MAX_MD_SIZE> finished{};
    std::size_t n = SSL_session_reused(ssl) ? SSL_get_finished(ssl, finished.data(), finished.size())
                                            : SSL_get_peer_finished(ssl, finished.data(), finished.size());
    if (n > 0 && n <= finished.size()) data.tls_unique.assign(reinterpret_cast<const char*>(finished.data()), n);
  }
  data.tls_server_end_point = server_end_point(SSL_get_certificate(ssl));
  return data;
}

PeerCertificate peer_certificate(SSL* ssl) {
  PeerCertificate peer;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return peer;
  peer.presented = true;
  peer.verified = SSL_get_verify_result(ssl) == X509_V_OK;
  std::array<char, 512> line{};
  X509_NAME_oneline(X509_get_subject_name(cert), line.data(), static_cast<int>(line.size()));
  peer.subject = line.data();
  peer.email = certificate_email(cert);
  peer.common_name = common_name(cert);
  peer.fingerprint_sha256 = sha256_hex(cert);
  X509_free(cert);
  return peer;
}

base::Result<std::shared_ptr<ClientCa>> ClientCa::load(const std::filesystem::path& file) {
  auto ca = std::shared_ptr<ClientCa>(new ClientCa());
  ca->store_ = X509_STORE_new();
  if (ca->store_ == nullptr || X509_STORE_load_file(ca->store_, file.c_str()) != 1) {
    ERR_clear_error();
    return base::fail("client_ca: " + file.string() + ": cannot load CA certificates");
  }
  ca->names_ = SSL_load_client_CA_file(file.c_str());
  if (ca->names_ == nullptr) {
    ERR_clear_error();
    return base::fail("client_ca: " + file.string() + ": no CA certificate in it");
  }
  return ca;
}

ClientCa::~ClientCa() {
  if (store_ != nullptr) X509_STORE_free(store_);
  if (names_ != nullptr) sk_X509_NAME_pop_free(names_, X509_NAME_free);
}

void ClientCa::request_on(SSL* ssl) const {
  SSL_set_verify(ssl, SSL_VERIFY_PEER, accept_any);
  SSL_set1_verify_cert_store(ssl, store_);
  SSL_set0_CA_list(ssl, SSL_dup_CA_list(names_));
}

}  // namespace postern::net
