#pragma once
// The Prometheus scrape endpoint: GET/HEAD /metrics over plain HTTP/1.1, one request per
// connection. Meant for a loopback or management address; it carries no secrets but says how
// busy the server is, so it is not a public listener.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "observe/metrics.hpp"

namespace boost::asio {
class io_context;
}

namespace postern::server {

namespace detail {
struct MetricsEndpointState;
}

/// Serves `metrics.render()` at /metrics on an io_context. Requests are bounded: 8 KiB of
/// header, no body, `timeout` for the whole exchange, 64 connections at once; each response
/// closes its connection.
///
/// Use: listen() (port 0 picks a free one, see port()); start(); the io_context runs; stop()
/// from any thread (it takes effect on the io_context). `metrics` and the io_context must
/// outlive the endpoint.
class MetricsEndpoint {
 public:
  MetricsEndpoint(boost::asio::io_context& context, const observe::Metrics& metrics,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  /// Binds and listens; the error names the address and the reason.
  base::Result<void> listen(std::string address, std::uint16_t port);
  /// The bound port (0 before listen()).
  std::uint16_t port() const;
  void start();
  /// Closes the listening socket and every open connection.
  void stop();

 private:
  std::shared_ptr<detail::MetricsEndpointState> state_;
};

}  // namespace postern::server
