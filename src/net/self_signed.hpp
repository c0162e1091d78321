#pragma once
// A self-signed server certificate for dev mode and tests: ECDSA P-256, SHA-256, one year.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace postern::net {

/// What the certificate says. The defaults suit a server on the loopback interface.
struct SelfSignedOptions {
  std::string common_name = "localhost";
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1", "::1"};
  std::chrono::days validity{365};
};

/// A certificate and its private key, PEM encoded (the key as unencrypted PKCS #8).
struct PemPair {
  std::string certificate;
  std::string private_key;
};

/// Generates a fresh P-256 key and a self-signed X.509 v3 certificate for it, valid from `now`
/// for `options.validity`: basicConstraints CA:FALSE, keyUsage digitalSignature,
/// extendedKeyUsage serverAuth, subjectAltName from the DNS names and IP addresses, a random
/// 127-bit serial (RFC 5280 §4.1.2.2: positive, at most 20 octets).
base::Result<PemPair> make_self_signed(const SelfSignedOptions& options,
                                       std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

/// make_self_signed, written to `cert_file` (mode 0644) and `key_file` (mode 0600, created
/// private, never widened afterwards). Each file is written to a temporary name, fsynced and
/// renamed, so a crash leaves either no file or a whole one. Parent directories must exist.
base::Result<void> write_self_signed(const std::filesystem::path& cert_file, const std::filesystem::path& key_file,
                                     const SelfSignedOptions& options = {},
                                     std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace postern::net
