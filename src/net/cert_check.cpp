#include "net/cert_check.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace postern::net {

namespace {

struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

// The first error OpenSSL queued is the cause; the later ones only say which call gave up.
std::string openssl_reason() {
  unsigned long e = ERR_get_error();
  std::string text = "unknown OpenSSL error";
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    if (reason != nullptr) {
      text = reason;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      text = buf;
    }
  }
  ERR_clear_error();
  return text;
}

int no_passphrase(char*, int, int, void*) { return 0; }

base::Result<void> readable(const std::filesystem::path& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) return base::fail(file.string() + ": " + std::strerror(errno));
  std::fclose(f);
  return {};
}

}  // namespace

base::Result<void> check_certificate_pair(const std::filesystem::path& cert_file,
                                          const std::filesystem::path& key_file) {
  if (auto ok = readable(cert_file); !ok) return ok;
  if (auto ok = readable(key_file); !ok) return ok;
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return base::fail("cannot create a TLS context: " + openssl_reason());
  // A pass phrase prompt on the terminal would hang a server start; encrypted keys are refused.
  SSL_CTX_set_default_passwd_cb(ctx.get(), no_passphrase);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    return base::fail(cert_file.string() + ": cannot load certificate chain: " + openssl_reason());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return base::fail(key_file.string() + ": does not match certificate " + cert_file.string());
    }
    return base::fail(key_file.string() + ": cannot load private key: " + openssl_reason());
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    return base::fail(key_file.string() + ": does not match certificate " + cert_file.string());
  }
  return {};
}

}  // namespace postern::net
