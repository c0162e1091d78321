#include "net/stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace postern::net {

namespace asio = boost::asio;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<std::size_t> Stream::read_some(asio::mutable_buffer buffer, boost::system::error_code& ec) {
  std::size_t n = 0;
  if (tls_) {
    std::tie(ec, n) = co_await tls_->async_read_some(buffer, use_tuple);
  } else {
    std::tie(ec, n) = co_await socket_.async_read_some(buffer, use_tuple);
  }
  co_return n;
}

asio::awaitable<void> Stream::write(asio::const_buffer buffer, boost::system::error_code& ec) {
  std::size_t n = 0;
  if (tls_) {
    std::tie(ec, n) = co_await asio::async_write(*tls_, buffer, use_tuple);
  } else {
    std::tie(ec, n) = co_await asio::async_write(socket_, buffer, use_tuple);
  }
}

asio::awaitable<void> Stream::handshake(std::shared_ptr<TlsContextSet> contexts, boost::system::error_code& ec,
                                        std::shared_ptr<const ClientCa> client_ca) {
  contexts_ = std::move(contexts);
  client_ca_ = std::move(client_ca);
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, contexts_->default_context());
  if (client_ca_) client_ca_->request_on(tls_->native_handle());
  std::tie(ec) = co_await tls_->async_handshake(asio::ssl::stream_base::server, use_tuple);
}

SSL* Stream::native() const { return const_cast<asio::ssl::stream<asio::ip::tcp::socket&>&>(*tls_).native_handle(); }

ChannelBindingData Stream::channel_bindings() const { return tls_ ? net::channel_bindings(native()) : ChannelBindingData{}; }

PeerCertificate Stream::peer_certificate() const { return tls_ ? net::peer_certificate(native()) : PeerCertificate{}; }

TlsFacts Stream::tls_facts() const {
  if (!tls_) return {};
  SSL* ssl = native();
  TlsFacts f;
  f.version = SSL_get_version(ssl);
  if (const char* c = SSL_get_cipher_name(ssl)) f.cipher = c;
  if (const char* s = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) f.sni = s;
  return f;
}

void Stream::close() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void Stream::cancel() {
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

}  // namespace postern::net
