#pragma once
// Server TLS contexts: OpenSSL 3 through Asio, TLS 1.2 minimum, SNI over several certificates,
// and reload on SIGHUP without dropping connections.

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace postern::net {

struct CertificateFiles {
  std::filesystem::path cert;  ///< PEM chain, leaf first
  std::filesystem::path key;   ///< PEM private key
};

/// An immutable set of server certificates. The first is the default; during the handshake the
/// SNI callback switches to the certificate whose names (subjectAltName DNS entries, or the CN
/// when there are none; `*.x` wildcards match one label) match the requested server name.
///
/// A connection keeps a shared_ptr to the set it was created from for as long as it lives, so a
/// reload never frees a context under a handshake in progress.
class TlsContextSet {
 public:
  /// Loads every chain and key and checks each key matches its certificate.
  /// `min_version`: "TLSv1.2" or "TLSv1.3".
  static base::Result<std::shared_ptr<TlsContextSet>> load(const std::vector<CertificateFiles>& files,
                                                           const std::string& min_version);

  boost::asio::ssl::context& default_context() { return *entries_.front().context; }

 private:
  struct Entry {
    std::unique_ptr<boost::asio::ssl::context> context;
    std::vector<std::string> names;  // lower-case
  };
  static int on_server_name(SSL* ssl, int* alert, void* arg);
  const Entry* find(std::string_view server_name) const;

  std::vector<Entry> entries_;
};

/// The current TlsContextSet, swapped atomically by reload(). Thread-safe.
class TlsProvider {
 public:
  TlsProvider(std::vector<CertificateFiles> files, std::string min_version)
      : files_(std::move(files)), min_version_(std::move(min_version)) {}

  /// Loads the files again; on failure the current set stays in use.
  base::Result<void> reload();
  std::shared_ptr<TlsContextSet> current() const;
  bool empty() const { return files_.empty(); }

 private:
  std::vector<CertificateFiles> files_;
  std::string min_version_;
  mutable std::mutex mutex_;
  std::shared_ptr<TlsContextSet> current_;
};

}  // namespace postern::net
