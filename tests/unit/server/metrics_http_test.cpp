#include "server/metrics_http.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <thread>
#include <vector>

namespace postern::server {
namespace {

using namespace std::chrono;
using ::testing::HasSubstr;
using ::testing::StartsWith;

/// A connected client socket to 127.0.0.1:port with a receive timeout, closed at the end.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  /// Everything until the server closes (or 5 s pass).
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

struct Response {
  std::string status_line;
  std::string headers;  // with the status line, without the blank line
  std::string body;
};

Response split(const std::string& raw) {
  Response r;
  auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  r.headers = raw.substr(0, end);
  r.status_line = raw.substr(0, raw.find("\r\n"));
  r.body = raw.substr(end + 4);
  return r;
}

/// An endpoint on 127.0.0.1, port chosen by the kernel, served by a background thread.
class MetricsHttpTest : public ::testing::Test {
 protected:
  void start(milliseconds timeout = seconds(10)) {
    endpoint_ = std::make_unique<MetricsEndpoint>(context_, metrics_, timeout);
    auto listening = endpoint_->listen("127.0.0.1", 0);
    ASSERT_TRUE(listening) << listening.error().message;
    ASSERT_NE(endpoint_->port(), 0);
    endpoint_->start();
    thread_ = std::thread([this] { context_.run(); });
  }

  void TearDown() override {
    if (endpoint_) endpoint_->stop();
    guard_.reset();
    context_.stop();
    if (thread_.joinable()) thread_.join();
  }

  Response fetch(std::string_view request) {
    Client c(endpoint_->port());
    EXPECT_TRUE(c.connected());
    c.send(request);
    return split(c.read_all());
  }

  observe::Metrics metrics_{system_clock::time_point{seconds{1'795'269'780}}, "9.9.9"};
  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(context_);
  std::unique_ptr<MetricsEndpoint> endpoint_;
  std::thread thread_;
};

TEST_F(MetricsHttpTest, GetMetrics) {
  metrics_.auth_attempt("PLAIN", "failed");
  start();
  auto r = fetch("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(r.status_line, "HTTP/1.1 200 OK");
  EXPECT_THAT(r.headers, HasSubstr("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(r.headers, HasSubstr("\r\nConnection: close"));
  EXPECT_THAT(r.headers, HasSubstr("\r\nContent-Length: " + std::to_string(metrics_.render().size())));
  EXPECT_EQ(r.body, metrics_.render());
  EXPECT_THAT(r.body, HasSubstr("postern_auth_attempts_total{mechanism=\"PLAIN\",result=\"failed\"} 1\n"));
}

TEST_F(MetricsHttpTest, EachScrapeSeesCurrentValues) {
  start();
  metrics_.connection_opened("smtp");
  EXPECT_THAT(fetch("GET /metrics HTTP/1.1\r\n\r\n").body,
              HasSubstr("postern_connections_active{listener=\"smtp\"} 1\n"));
  metrics_.connection_closed("smtp");
  EXPECT_THAT(fetch("GET /metrics HTTP/1.1\r\n\r\n").body,
              HasSubstr("postern_connections_active{listener=\"smtp\"} 0\n"));
}

TEST_F(MetricsHttpTest, HeadHasLengthButNoBody) {
  start();
  auto r = fetch("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status_line, "HTTP/1.1 200 OK");
  EXPECT_THAT(r.headers, HasSubstr("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(r.headers, HasSubstr("\r\nContent-Length: " + std::to_string(metrics_.render().size())));
  EXPECT_EQ(r.body, "");
}

TEST_F(MetricsHttpTest, OtherPathIs404) {
  start();
  EXPECT_EQ(fetch("GET / HTTP/1.1\r\n\r\n").status_line, "HTTP/1.1 404 Not Found");
  EXPECT_EQ(fetch("GET /metricsx HTTP/1.1\r\n\r\n").status_line, "HTTP/1.1 404 Not Found");
  EXPECT_EQ(fetch("POST /other HTTP/1.1\r\nContent-Length: 0\r\n\r\n").status_line, "HTTP/1.1 404 Not Found");
  // A query string does not change the resource.
  EXPECT_EQ(fetch("GET /metrics?name[]=x HTTP/1.1\r\n\r\n").status_line, "HTTP/1.1 200 OK");
}

TEST_F(MetricsHttpTest, OtherMethodIs405) {
  start();
  for (std::string method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    auto r = fetch(method + " /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(r.status_line, "HTTP/1.1 405 Method Not Allowed") << method;
    EXPECT_THAT(r.headers, HasSubstr("\r\nAllow: GET, HEAD")) << method;
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr("postern_"))) << method;
  }
}

TEST_F(MetricsHttpTest, OversizeHeaderRefused) {
  start();
  std::string big = "GET /metrics HTTP/1.1\r\nX-Padding: " + std::string(9000, 'a') + "\r\n\r\n";
  auto r = fetch(big);
  EXPECT_EQ(r.status_line, "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_THAT(r.body, ::testing::Not(HasSubstr("postern_")));
  // Just under the limit is still served.
  std::string fits = "GET /metrics HTTP/1.1\r\nX-Padding: " + std::string(7000, 'a') + "\r\n\r\n";
  EXPECT_EQ(fetch(fits).status_line, "HTTP/1.1 200 OK");
}

TEST_F(MetricsHttpTest, GarbageIs400) {
  start();
  EXPECT_EQ(fetch("HELO example.org\r\n\r\n").status_line, "HTTP/1.1 400 Bad Request");
}

TEST_F(MetricsHttpTest, SilentClientTimedOut) {
  start(milliseconds(200));
  Client c(endpoint_->port());
  ASSERT_TRUE(c.connected());
  auto begin = steady_clock::now();
  EXPECT_EQ(c.read_all(), "");
  auto waited = steady_clock::now() - begin;
  EXPECT_GE(waited, milliseconds(150));
  EXPECT_LT(waited, seconds(4));  // closed by the server, not by the client's 5 s read timeout
}

TEST_F(MetricsHttpTest, SlowHeaderTimedOut) {
  start(milliseconds(300));
  Client c(endpoint_->port());
  c.send("GET /metrics HTTP/1.1\r\n");
  auto begin = steady_clock::now();
  std::this_thread::sleep_for(milliseconds(100));
  c.send("X-Slow: 1\r\n");  // still inside one deadline for the whole request
  EXPECT_EQ(c.read_all(), "");
  EXPECT_LT(steady_clock::now() - begin, seconds(4));
}

TEST_F(MetricsHttpTest, CurlFetchesMetrics) {
  metrics_.message_accepted("submission", 512);
  start();
  std::string cmd = "curl -sS --max-time 5 -D - http://127.0.0.1:" + std::to_string(endpoint_->port()) + "/metrics";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(::pclose(p), 0) << out;
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("postern_message_bytes_total{listener=\"submission\"} 512\n"));
  EXPECT_THAT(out, HasSubstr("postern_build_info{version=\"9.9.9\"} 1\n"));
}

TEST_F(MetricsHttpTest, StopClosesListenerAndConnections) {
  start();
  Client idle(endpoint_->port());
  ASSERT_TRUE(idle.connected());
  std::uint16_t port = endpoint_->port();
  // Let the endpoint accept the idle connection before stopping.
  EXPECT_EQ(fetch("GET /metrics HTTP/1.1\r\n\r\n").status_line, "HTTP/1.1 200 OK");
  auto begin = steady_clock::now();
  endpoint_->stop();
  EXPECT_EQ(idle.read_all(), "");
  EXPECT_LT(steady_clock::now() - begin, seconds(4));
  std::this_thread::sleep_for(milliseconds(50));
  Client late(port);
  EXPECT_FALSE(late.connected());
}

TEST_F(MetricsHttpTest, ConnectionsBeyondTheCapAreClosed) {
  start();
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 64; ++i) idle.push_back(std::make_unique<Client>(endpoint_->port()));
  // Accepting is in order, so by the time this one is taken the 64 idle ones are counted.
  Client extra(endpoint_->port());
  extra.send("GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(extra.read_all(), "");
  idle.clear();
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(fetch("GET /metrics HTTP/1.1\r\n\r\n").status_line, "HTTP/1.1 200 OK");
}

TEST(MetricsEndpointListen, PortInUseNamesAddressAndReason) {
  observe::Metrics metrics;
  boost::asio::io_context context;
  MetricsEndpoint first(context, metrics);
  ASSERT_TRUE(first.listen("127.0.0.1", 0));
  MetricsEndpoint second(context, metrics);
  auto r = second.listen("127.0.0.1", first.port());
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("127.0.0.1:" + std::to_string(first.port())));
  EXPECT_THAT(r.error().message, HasSubstr("Address already in use"));
  EXPECT_EQ(second.port(), 0);
}

TEST(MetricsEndpointListen, BadAddressNamed) {
  observe::Metrics metrics;
  boost::asio::io_context context;
  MetricsEndpoint endpoint(context, metrics);
  auto r = endpoint.listen("localhost", 9580);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("localhost:9580"));
  EXPECT_THAT(r.error().message, HasSubstr("not an IP address"));
  auto v6 = endpoint.listen("2001:db8::1", 9580);  // not an address of this host
  ASSERT_FALSE(v6);
  EXPECT_THAT(v6.error().message, HasSubstr("[2001:db8::1]:9580"));
}

}  // namespace
}  // namespace postern::server
