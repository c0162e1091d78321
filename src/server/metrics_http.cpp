#include "server/metrics_http.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <list>

namespace postern::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr std::size_t header_limit = 8 * 1024;
constexpr std::size_t max_connections = 64;
// Text exposition format 0.0.4, as Prometheus asks for it in its Accept header.
constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

std::string endpoint_text(const std::string& address, std::uint16_t port) {
  bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

using Response = http::response<http::string_body>;

Response plain(http::status status, unsigned version, std::string body) {
  Response res{status, version};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// RFC 9110 §9.3.2: HEAD gets the same header fields as GET, without the content.
Response answer(const http::request<http::empty_body>& req, const observe::Metrics& metrics) {
  std::string_view target = req.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path != "/metrics") return plain(http::status::not_found, req.version(), "not found: try /metrics\n");
  bool head = req.method() == http::verb::head;
  if (!head && req.method() != http::verb::get) {
    // RFC 9110 §15.5.6: a 405 lists the methods the resource does support.
    Response res = plain(http::status::method_not_allowed, req.version(), "method not allowed\n");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  Response res{http::status::ok, req.version()};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  std::string body = metrics.render();
  res.content_length(body.size());
  if (!head) res.body() = std::move(body);
  return res;
}

}  // namespace

namespace detail {

struct MetricsEndpointState {
  MetricsEndpointState(asio::io_context& c, const observe::Metrics& m, std::chrono::milliseconds t)
      : context(c), metrics(m), timeout(t), acceptor(c) {}

  asio::io_context& context;
  const observe::Metrics& metrics;
  std::chrono::milliseconds timeout;
  tcp::acceptor acceptor;
  // Touched only on the io_context, so no lock: the connections stop() must close.
  std::list<std::weak_ptr<beast::tcp_stream>> open;
  bool stopped = false;
};

}  // namespace detail

namespace {

using State = std::shared_ptr<detail::MetricsEndpointState>;

asio::awaitable<void> serve(State s, std::shared_ptr<beast::tcp_stream> stream) {
  stream->expires_after(s->timeout);  // one deadline for the whole exchange
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(header_limit);
  auto [ec, n] = co_await http::async_read(*stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted || ec == http::error::end_of_stream) {
    co_return;
  }
  Response res = !ec ? answer(parser.get(), s->metrics)
                 : ec == http::error::header_limit
                     ? plain(http::status::request_header_fields_too_large, 11, "request header larger than 8 KiB\n")
                     : plain(http::status::bad_request, 11, "bad request: " + ec.message() + "\n");
  res.keep_alive(false);
  // A client that went away before reading the answer needs no further handling.
  co_await http::async_write(*stream, res, asio::as_tuple(asio::use_awaitable));
  beast::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream->close();
}

asio::awaitable<void> accept_loop(State s) {
  for (;;) {
    auto [ec, socket] = co_await s->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (s->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors and the like: pause instead of spinning on the error.
      asio::steady_timer pause(s->context, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    s->open.remove_if([](const auto& w) { return w.expired(); });
    if (s->open.size() >= max_connections) continue;  // the socket closes as it goes out of scope
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    s->open.push_back(stream);
    asio::co_spawn(s->context, serve(s, std::move(stream)), asio::detached);
  }
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(asio::io_context& context, const observe::Metrics& metrics,
                                 std::chrono::milliseconds timeout)
    : state_(std::make_shared<detail::MetricsEndpointState>(context, metrics, timeout)) {}

MetricsEndpoint::~MetricsEndpoint() { stop(); }

base::Result<void> MetricsEndpoint::listen(std::string address, std::uint16_t port) {
  auto where = [&] { return endpoint_text(address, port); };
  beast::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return base::fail("metrics: cannot listen on " + where() + ": not an IP address");
  tcp::endpoint endpoint(ip, port);
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor.close(ignored);
    return base::fail("metrics: cannot listen on " + where() + ": " + ec.message());
  }
  return {};
}

std::uint16_t MetricsEndpoint::port() const {
  beast::error_code ec;
  auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void MetricsEndpoint::start() { asio::co_spawn(state_->context, accept_loop(state_), asio::detached); }

void MetricsEndpoint::stop() {
  asio::dispatch(state_->context, [s = state_] {
    if (s->stopped) return;
    s->stopped = true;
    beast::error_code ignored;
    s->acceptor.close(ignored);
    for (auto& w : s->open) {
      if (auto stream = w.lock()) stream->socket().close(ignored);
    }
    s->open.clear();
  });
}

}  // namespace postern::server
