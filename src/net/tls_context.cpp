#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/strings.hpp"

namespace postern::net {

namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// Names a certificate answers to: subjectAltName DNS entries, else the subject CN
// (RFC 6125 §6.4.4: the CN only counts when there is no DNS SAN).
std::vector<std::string> certificate_names(X509* cert) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type != GEN_DNS) continue;
      const unsigned char* data = ASN1_STRING_get0_data(gn->d.dNSName);
      int len = ASN1_STRING_length(gn->d.dNSName);
      names.push_back(base::to_lower(std::string_view(reinterpret_cast<const char*>(data), len)));
    }
    GENERAL_NAMES_free(sans);
  }
  if (names.empty()) {
    char cn[256];
    int len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    if (len > 0) names.push_back(base::to_lower(std::string_view(cn, len)));
  }
  return names;
}

bool name_matches(std::string_view pattern, std::string_view host) {
  if (pattern == host) return true;
  // "*.example.org" matches exactly one label: "mx.example.org", not "a.b.example.org".
  if (pattern.size() > 2 && pattern.starts_with("*.")) {
    auto dot = host.find('.');
    return dot != std::string_view::npos && dot > 0 && host.substr(dot) == pattern.substr(1);
  }
  return false;
}

}  // namespace

base::Result<std::shared_ptr<TlsContextSet>> TlsContextSet::load(const std::vector<CertificateFiles>& files,
                                                                 const std::string& min_version) {
  namespace ssl = boost::asio::ssl;
  if (files.empty()) return base::fail("tls: no certificate configured");
  auto set = std::shared_ptr<TlsContextSet>(new TlsContextSet());
  for (const auto& f : files) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    int min = min_version == "TLSv1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(native, min);
    // No compression (CRIME), no renegotiation, the server's cipher order.
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Idle connections hold no read/write buffers (10,000 idle sessions must stay small).
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(native, f.cert.c_str()) != 1)
      return base::fail("tls: " + f.cert.string() + ": cannot load certificate chain: " + openssl_error());
    if (SSL_CTX_use_PrivateKey_file(native, f.key.c_str(), SSL_FILETYPE_PEM) != 1)
      return base::fail("tls: " + f.key.string() + ": cannot load private key: " + openssl_error());
    if (SSL_CTX_check_private_key(native) != 1)
      return base::fail("tls: " + f.key.string() + " does not match " + f.cert.string());
    Entry e{std::move(ctx), certificate_names(SSL_CTX_get0_certificate(native))};
    set->entries_.push_back(std::move(e));
  }
  SSL_CTX* def = set->entries_.front().context->native_handle();
  SSL_CTX_set_tlsext_servername_callback(def, &TlsContextSet::on_server_name);
  SSL_CTX_set_tlsext_servername_arg(def, set.get());
  return set;
}

const TlsContextSet::Entry* TlsContextSet::find(std::string_view server_name) const {
  std::string host = base::to_lower(server_name);
  for (const auto& e : entries_)
    for (const auto& n : e.names)
      if (name_matches(n, host)) return &e;
  return nullptr;
}

int TlsContextSet::on_server_name(SSL* ssl, int* /*alert*/, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_NOACK;
  const auto* set = static_cast<const TlsContextSet*>(arg);
  const Entry* e = set->find(name);
  // An unknown name gets the default certificate rather than a failed handshake: SMTP clients
  // rarely verify names, and refusing would only push them to plaintext.
  if (e != nullptr && e != &set->entries_.front()) SSL_set_SSL_CTX(ssl, e->context->native_handle());
  return SSL_TLSEXT_ERR_OK;
}

base::Result<void> TlsProvider::reload() {
  auto set = TlsContextSet::load(files_, min_version_);
  if (!set) return std::unexpected(set.error());
  std::lock_guard lock(mutex_);
  current_ = std::move(*set);
  return {};
}

std::shared_ptr<TlsContextSet> TlsProvider::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace postern::net
