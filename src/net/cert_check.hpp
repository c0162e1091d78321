#pragma once
// Start-up and `postern check-config` validation of certificate files.

#include <filesystem>

#include "base/result.hpp"

namespace postern::net {

/// Loads a PEM certificate chain and its private key the way a TLS server context does
/// (SSL_CTX_use_certificate_chain_file, SSL_CTX_use_PrivateKey_file) and checks that the key
/// belongs to the leaf certificate. Never prompts for a pass phrase: an encrypted key is an
/// error. Messages name the file, e.g. "/etc/postern/key.pem: does not match certificate
/// /etc/postern/cert.pem".
base::Result<void> check_certificate_pair(const std::filesystem::path& cert_file,
                                          const std::filesystem::path& key_file);

}  // namespace postern::net
