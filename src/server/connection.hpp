#pragma once
// The per-connection driver: owns the socket, feeds the pure Session, performs its actions
// (STARTTLS, spool, commit, close) and enforces timeouts (DESIGN §2).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "auth/authenticator.hpp"
#include "base/clock.hpp"
#include "config/config.hpp"
#include "net/stream.hpp"
#include "net/tls_context.hpp"
#include "policy/cidr.hpp"
#include "policy/relay.hpp"
#include "queue/spool.hpp"
#include "server/connection_limiter.hpp"
#include "server/defences.hpp"
#include "session/session.hpp"

namespace postern::server {

/// What every connection of one listener shares (read-only).
struct ListenerContext {
  session::Settings settings;  ///< starttls_available already decided
  std::vector<policy::Cidr> trusted_networks;
  bool implicit_tls = false;
  /// Set when the listener asks clients for a certificate (request_client_certificate).
  std::shared_ptr<const net::ClientCa> client_ca;
};

/// What every connection shares (thread-safe parts only).
struct ServerContext {
  const policy::RelayPolicy& relay;
  const base::Clock& clock;
  queue::Spool& spool;
  net::TlsProvider& tls;
  ConnectionLimiter& limiter;
  std::chrono::seconds idle_timeout;
  std::chrono::seconds command_timeout;
  /// Answers AUTH's requests; its calls block (argon2id, SQLite), so they run on `auth_pool`,
  /// never on an I/O thread (DESIGN §4).
  auth::Authenticator& authenticator;
  boost::asio::thread_pool& auth_pool;
  /// Pause before every 535 to AUTH (config [auth] failure_delay); zero: none.
  std::chrono::seconds auth_failure_delay{0};
  /// Throttle, rate limits, events and alerts (DESIGN §3.7-§3.9).
  Defences& defences;
  observe::Metrics& metrics;
};

class Connection;

/// The live connections of one worker thread; touched only on that thread.
using ConnectionRegistry = std::unordered_set<Connection*>;

/// One client connection.
///
/// Order of calls: construct on the worker's executor, then co_spawn `run()` there; the
/// connection keeps itself alive (shared_from_this) until it has closed. `request_shutdown()`
/// may be called on the same executor at any time: the client gets `421 4.3.2` at the next
/// command boundary (an in-flight commit finishes first, so accepted mail is never lost).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, const ListenerContext& listener, ServerContext& server,
             ConnectionRegistry& registry, std::string client_address, std::uint16_t client_port);
  ~Connection();

  boost::asio::awaitable<void> run();
  void request_shutdown();

 private:
  boost::asio::awaitable<void> serve();
  boost::asio::awaitable<void> watchdog();
  /// Feeds buffered input to the session and performs its actions; false when the
  /// connection is to be closed.
  boost::asio::awaitable<bool> drive_session();
  boost::asio::awaitable<bool> start_tls();
  boost::asio::awaitable<void> commit_message(session::Envelope envelope);
  /// Resolves the session's auth_request off-thread and feeds the answer back into `out`.
  boost::asio::awaitable<void> authenticate(const sasl::Request& request, session::Output& out);
  /// Writes the replies and message bytes of one step and logs its AUTH outcomes.
  void absorb(session::Output& out);
  void log_auth(const session::AuthEvent& event);
  void log_messages(const session::Output& out);
  void record_auth(const session::AuthEvent& event, const std::string& certificate);
  std::string failure_reason(const session::AuthEvent& event) const;
  /// Waits auth_failure_delay before the replies of a step that refused credentials.
  boost::asio::awaitable<void> delay_auth_failure();
  session::TlsInfo tls_info() const;
  boost::asio::awaitable<bool> flush();
  boost::asio::awaitable<bool> read_more();
  /// The final words when the driver gives up (timeout or shutdown), then close.
  boost::asio::awaitable<void> say_goodbye(std::string reply);
  void arm(std::chrono::steady_clock::duration d);
  void set_deadline(std::chrono::steady_clock::time_point t);
  void disarm();

  net::Stream stream_;
  const ListenerContext& listener_;
  ServerContext& server_;
  ConnectionRegistry& registry_;
  std::string client_address_;
  std::uint16_t client_port_;
  std::optional<session::Session> session_;
  std::unique_ptr<queue::Writer> writer_;
  std::optional<base::Error> writer_error_;
  std::string auth_reason_;  // Resolution::reason of the exchange in progress, for the log
  std::optional<AuthAttemptFacts> auth_facts_;  // what the exchange in progress asked, for the throttle
  std::optional<session::AuthInfo> auth_resolved_;  // whom the store's last answer spoke for
  bool auth_throttled_ = false;                 // the throttle refused the exchange in progress
  std::chrono::seconds extra_failure_delay_{0};  // the account is slowed (AuthThrottle)
  std::string in_;   // unconsumed input
  std::string out_;  // replies not yet written
  std::size_t read_chunk_ = 4096;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer delay_timer_;  // auth_failure_delay; apart from the watchdog's timer_
  bool auth_failed_ = false;  // a 535 went into out_ since the last delay
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point partial_since_{};  // when the pending partial line began
  bool timed_out_ = false;
  bool shutdown_requested_ = false;
  bool finished_ = false;
};

}  // namespace postern::server
