#pragma once
// A TCP connection that may become TLS (STARTTLS) or start as TLS (implicit TLS, RFC 8314).
// All operations report errors as values; none throws.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "net/channel_binding.hpp"
#include "net/tls_context.hpp"

namespace postern::net {

/// What the handshake negotiated.
struct TlsFacts {
  std::string version;
  std::string cipher;
  std::string sni;
};

/// Order of calls: read_some/write any number of times; at most one handshake(), after which
/// reads and writes go through TLS; close() at the end (also done by the destructor).
class Stream {
 public:
  explicit Stream(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

  boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer buffer, boost::system::error_code& ec);
  boost::asio::awaitable<void> write(boost::asio::const_buffer buffer, boost::system::error_code& ec);
  /// Server-side handshake with `contexts` (kept alive as long as this stream). With
  /// `client_ca`, the client is asked for a certificate (optional for it, see ClientCa).
  boost::asio::awaitable<void> handshake(std::shared_ptr<TlsContextSet> contexts, boost::system::error_code& ec,
                                         std::shared_ptr<const ClientCa> client_ca = nullptr);

  bool is_tls() const { return tls_ != nullptr; }
  TlsFacts tls_facts() const;
  /// After the handshake: what SCRAM-*-PLUS may bind to, and the client's certificate.
  ChannelBindingData channel_bindings() const;
  PeerCertificate peer_certificate() const;
  /// Best effort: TLS close_notify is not awaited (SMTP has QUIT for orderly ends).
  void close();
  /// Cancels pending operations (used by timeouts and shutdown).
  void cancel();
  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  boost::asio::ip::tcp::socket socket_;
  SSL* native() const;

  std::shared_ptr<TlsContextSet> contexts_;
  std::shared_ptr<const ClientCa> client_ca_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
};

}  // namespace postern::net
