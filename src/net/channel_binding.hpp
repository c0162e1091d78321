#pragma once
// What a TLS connection offers SASL: channel-binding data for SCRAM-*-PLUS (RFC 5056) and the
// client certificate for EXTERNAL. Read from the OpenSSL connection after the handshake.

#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/result.hpp"

namespace postern::net {

/// The channel bindings of one connection; an empty string means "not available here".
struct ChannelBindingData {
  /// RFC 9266: 32 bytes exported with label "EXPORTER-Channel-Binding" and an empty context.
  /// Only on TLS 1.3: on 1.2 it is sound only with the extended master secret, and 1.2 clients
  /// use tls-unique anyway.
  std::string tls_exporter;
  /// RFC 5929 §3: the first Finished message of the handshake. TLS 1.2 only (undefined on 1.3,
  /// RFC 9266 §3), and only with the extended master secret (RFC 7627), without which a
  /// man in the middle can make two connections share it.
  std::string tls_unique;
  /// RFC 5929 §4.1: hash of our certificate, with the hash of its signature algorithm, SHA-256
  /// when that is MD5 or SHA-1 (or has no single hash, as with Ed25519).
  std::string tls_server_end_point;
};

/// Needs a completed handshake on the server side.
ChannelBindingData channel_bindings(SSL* ssl);

/// The client certificate, if one was presented.
struct PeerCertificate {
  bool presented = false;
  bool verified = false;  ///< chains to [auth] client_ca (SSL_get_verify_result == X509_V_OK)
  std::string subject;    ///< one line, for the log
  /// The address it names for SASL EXTERNAL: the first rfc822Name of subjectAltName, else the
  /// subject's emailAddress; lower-cased domain is left to the store.
  std::string email;
  std::string common_name;         ///< the subject's (last) commonName, for the log
  std::string fingerprint_sha256;  ///< lower-case hex of SHA-256 over the DER encoding
};

PeerCertificate peer_certificate(SSL* ssl);

/// The CAs client certificates are checked against (`[auth] client_ca`), loaded once.
class ClientCa {
 public:
  static base::Result<std::shared_ptr<ClientCa>> load(const std::filesystem::path& file);
  ~ClientCa();
  ClientCa(const ClientCa&) = delete;
  ClientCa& operator=(const ClientCa&) = delete;

  /// Asks the client of `ssl` for a certificate before the handshake: SSL_VERIFY_PEER without
  /// FAIL_IF_NO_PEER_CERT, so a client without one still connects (it just cannot use
  /// EXTERNAL), and an unverifiable one is recorded rather than refused.
  void request_on(SSL* ssl) const;

 private:
  ClientCa() = default;
  X509_STORE* store_ = nullptr;
  STACK_OF(X509_NAME)* names_ = nullptr;
};

}  // namespace postern::net
