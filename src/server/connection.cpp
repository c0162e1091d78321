#include "server/connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "smtp/replies.hpp"

namespace postern::server {

namespace asio = boost::asio;
using std::chrono::steady_clock;

namespace {

constexpr std::size_t min_read_chunk = 4096;
constexpr std::size_t max_read_chunk = 64 * 1024;
// The session consumes every complete line and all DATA bytes, so unconsumed input stays below
// one command line plus one read; anything larger means a bug, and closing beats growing.
constexpr std::size_t max_buffered_input = 1024 * 1024;

// Only the types that are sound on this connection are listed (see net::ChannelBindingData).
std::vector<sasl::ChannelBinding> to_sasl(const net::ChannelBindingData& data) {
  std::vector<sasl::ChannelBinding> out;
  if (!data.tls_exporter.empty()) out.push_back({sasl::ChannelBindingType::tls_exporter, data.tls_exporter});
  if (!data.tls_unique.empty()) out.push_back({sasl::ChannelBindingType::tls_unique, data.tls_unique});
  if (!data.tls_server_end_point.empty()) {
    out.push_back({sasl::ChannelBindingType::tls_server_end_point, data.tls_server_end_point});
  }
  return out;
}

// The answer of the request's own kind that says "could not check": used when the resolution
// itself could not run. It can only ever fail the exchange (454).
sasl::Answer temporary_failure_for(const sasl::Request& request) {
  switch (request.index()) {
    case 0:
      return sasl::PasswordAnswer{sasl::Verdict::temporary_failure};
    case 1:
      return sasl::CramSecretAnswer{sasl::Verdict::temporary_failure, {}};
    case 2:
      return sasl::ScramVerifierAnswer{sasl::Verdict::temporary_failure, {}};
    case 3:
      return sasl::TokenAnswer{sasl::Verdict::temporary_failure, "", {}};
    default:
      return sasl::CertificateAnswer{sasl::Verdict::temporary_failure, ""};
  }
}

// Runs Authenticator::resolve on the worker pool; the Resolution is posted back to this
// connection's executor before the coroutine resumes (like async_commit below).
template <class Executor>
asio::awaitable<auth::Resolution> async_resolve(asio::thread_pool& pool, auth::Authenticator& authenticator,
                                                sasl::Request request, auth::ClientFacts client, Executor ex) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(auth::Resolution)>(
      [&pool, &authenticator, ex](auto handler, sasl::Request req, auth::ClientFacts facts) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        asio::post(pool, [h, &authenticator, ex, req = std::move(req), facts = std::move(facts)]() {
          auth::Resolution r = authenticator.resolve(req, facts);
          asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
        });
      },
      asio::use_awaitable, std::move(request), std::move(client));
}

queue::Record to_record(session::Envelope&& e) {
  queue::Record r;
  r.received = e.received;
  r.listener = std::move(e.listener);
  r.client_address = std::move(e.client_address);
  r.client_port = e.client_port;
  r.helo = std::move(e.helo);
  if (e.tls) {
    r.tls_version = e.tls->version;
    r.tls_cipher = e.tls->cipher;
  }
  if (e.auth) {
    r.auth_account = e.auth->account;
    r.auth_credential = e.auth->credential;
    r.auth_mechanism = e.auth->mechanism;
  }
  r.sender = std::move(e.sender);
  r.recipients = std::move(e.recipients);
  r.body = std::move(e.body);
  r.smtputf8 = e.smtputf8;
  return r;
}

// Awaits Spool::commit, whose callback runs on the spool's committer thread: the result is
// posted back to this connection's executor before the coroutine resumes.
template <class Executor>
asio::awaitable<base::Result<std::string>> async_commit(queue::Spool& spool, std::unique_ptr<queue::Writer> writer,
                                                        queue::Record record, Executor ex) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(base::Result<std::string>)>(
      [&spool, ex](auto handler, std::unique_ptr<queue::Writer> w, queue::Record rec) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        spool.commit(std::move(w), std::move(rec), [h, ex](base::Result<std::string> result) {
          asio::post(ex, [h, result = std::move(result)]() mutable { (*h)(std::move(result)); });
        });
      },
      asio::use_awaitable, std::move(writer), std::move(record));
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, const ListenerContext& listener, ServerContext& server,
                       ConnectionRegistry& registry, std::string client_address, std::uint16_t client_port)
    : stream_(std::move(socket)),
      listener_(listener),
      server_(server),
      registry_(registry),
      client_address_(std::move(client_address)),
      client_port_(client_port),
      timer_(stream_.socket().get_executor()),
      delay_timer_(stream_.socket().get_executor()) {
  registry_.insert(this);
  server_.metrics.connection_opened(listener_.settings.listener_name);
}

Connection::~Connection() {
  server_.metrics.connection_closed(listener_.settings.listener_name);
  registry_.erase(this);
  server_.limiter.release(client_address_);
}

void Connection::arm(steady_clock::duration d) { set_deadline(steady_clock::now() + d); }

// The watchdog sleeps until the timer's expiry and then looks at deadline_. Moving the deadline
// later costs nothing; moving it earlier re-arms the timer (which wakes the watchdog).
void Connection::set_deadline(steady_clock::time_point t) {
  deadline_ = t;
  if (t < timer_.expiry()) timer_.expires_at(t);
}
void Connection::disarm() { deadline_ = steady_clock::time_point::max(); }

void Connection::request_shutdown() {
  shutdown_requested_ = true;
  delay_timer_.cancel();
  // Only interrupt a wait for the client; a commit in flight completes first.
  if (deadline_ != steady_clock::time_point::max()) stream_.cancel();
}

asio::awaitable<void> Connection::watchdog() {
  auto self = shared_from_this();
  while (!finished_) {
    timer_.expires_at(deadline_);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));  // woken early when re-armed
    if (finished_) break;
    if (steady_clock::now() >= deadline_) {
      timed_out_ = true;
      disarm();
      stream_.cancel();
    }
  }
}

asio::awaitable<void> Connection::run() {
  auto self = shared_from_this();
  asio::co_spawn(timer_.get_executor(), watchdog(), asio::detached);
  co_await serve();
  finished_ = true;
  timer_.cancel();
  stream_.close();
}

asio::awaitable<void> Connection::serve() {
  std::optional<session::TlsInfo> tls_at_connect;
  if (listener_.implicit_tls) {
    // RFC 8314 §3.3: the TLS handshake comes first on a submissions port.
    arm(server_.command_timeout);
    boost::system::error_code ec;
    co_await stream_.handshake(server_.tls.current(), ec, listener_.client_ca);
    disarm();
    server_.metrics.tls_handshake(ec ? "failed" : "ok");
    if (ec) {
      spdlog::debug("tls handshake failed client={}:{}: {}", client_address_, client_port_, ec.message());
      co_return;
    }
    tls_at_connect = tls_info();
  }
  session::ClientInfo client{client_address_, client_port_, false};
  if (auto ip = policy::IpAddress::parse(client_address_)) {
    for (const auto& net : listener_.trusted_networks)
      if (net.contains(*ip)) client.trusted_network = true;
  }
  session_.emplace(listener_.settings, server_.relay, server_.clock, client, tls_at_connect);
  out_ = session_->greeting();
  while (co_await flush() && co_await read_more() && co_await drive_session()) {
  }
  if (timed_out_ && session_) {
    co_await say_goodbye(session_->on_timeout());
  } else if (shutdown_requested_ && session_ && !session_->wants_close()) {
    co_await say_goodbye(session_->on_shutdown());
  }
}

asio::awaitable<void> Connection::say_goodbye(std::string reply) {
  out_ += reply;
  timed_out_ = false;
  co_await flush();
}

session::TlsInfo Connection::tls_info() const {
  auto f = stream_.tls_facts();
  session::TlsInfo info{f.version, f.cipher, f.sni, to_sasl(stream_.channel_bindings()), std::nullopt};
  if (auto peer = stream_.peer_certificate(); peer.presented) {
    info.client_certificate =
        sasl::ClientCertificate{peer.email, peer.common_name, peer.fingerprint_sha256, peer.verified};
  }
  return info;
}

void Connection::absorb(session::Output& out) {
  out_ += out.replies;
  if (!out.body.empty() && writer_ && !writer_error_) {
    if (auto w = writer_->write(out.body); !w) writer_error_ = w.error();
  }
  for (const auto& event : out.auth_events) {
    if (!event.success && event.reply.starts_with("535 ")) auth_failed_ = true;
    log_auth(event);
  }
  log_messages(out);
}

void Connection::log_messages(const session::Output& out) {
  auto now = server_.clock.now();
  const auto& identity = session_->identity();
  for (const auto& m : out.message_events) {
    observe::MessageEvent e;
    e.time = now;
    e.result = m.accepted ? "accepted" : "refused";
    e.client_ip = client_address_;
    e.client_port = client_port_;
    e.listener = listener_.settings.listener_name;
    e.queue_id = m.queue_id;
    if (identity) {
      e.account = identity->account;
      e.credential = identity->credential;
    }
    e.sender = m.sender;
    e.recipients = m.recipients;
    e.size = m.size;
    e.reply = m.reply;
    e.reason = m.reason;
    if (m.accepted) server_.defences.message_accepted(client_address_, identity ? &*identity : nullptr, m.recipients, now);
    server_.defences.message_event(e);
  }
}

// DESIGN §3.7: the pause is the same for an unknown account and a wrong password, so timing
// tells a guesser nothing, and it slows guessing. It is the server's wait, not the client's
// idleness: the watchdog is disarmed, and the I/O thread serves other connections meanwhile.
asio::awaitable<void> Connection::delay_auth_failure() {
  auth_failed_ = false;
  auto delay = server_.auth_failure_delay + extra_failure_delay_;
  extra_failure_delay_ = std::chrono::seconds::zero();
  if (delay <= std::chrono::seconds::zero() || shutdown_requested_) co_return;
  disarm();
  delay_timer_.expires_after(delay);
  co_await delay_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
}

// DESIGN §3.9: the line names the mechanism, the outcome and the identity; the step is
// described by sasl::describe and the store's reason, neither of which holds a secret.
void Connection::log_auth(const session::AuthEvent& event) {
  auto tls = stream_.tls_facts();
  // EXTERNAL: which certificate proved it (the address alone could be in several certificates).
  std::string certificate;
  if (event.mechanism == "EXTERNAL") {
    auto peer = stream_.peer_certificate();
    certificate = " certificate=" + (peer.presented ? peer.fingerprint_sha256 : std::string("none"));
  }
  if (event.success && event.identity) {
    spdlog::info("auth ok client={} listener={} tls={} mechanism={} account={} credential={}{}", client_address_,
                 listener_.settings.listener_name, tls.version.empty() ? "none" : tls.version, event.mechanism,
                 event.identity->account, event.identity->credential, certificate);
    auth::Identity who{event.identity->account, event.identity->credential, {}};
    auto now = server_.clock.now();
    asio::post(server_.auth_pool, [&a = server_.authenticator, who = std::move(who), now] { a.record_success(who, now); });
  } else {
    spdlog::info("auth failed client={} listener={} tls={} mechanism={} reply={} reason={} detail={}{}",
                 client_address_, listener_.settings.listener_name, tls.version.empty() ? "none" : tls.version,
                 event.mechanism, event.reply, failure_reason(event), event.detail, certificate);
  }
  record_auth(event, certificate);
  auth_reason_.clear();
  auth_facts_.reset();
  auth_resolved_.reset();
  auth_throttled_ = false;
}

// Why an exchange failed, for the log: the store's reason, except that when the store handed
// out a SCRAM verifier or CRAM-MD5 secret, the refusal was the client's proof not matching it.
std::string Connection::failure_reason(const session::AuthEvent& event) const {
  bool proof = auth_resolved_ && !auth_resolved_->credential.empty() && auth_facts_ &&
               !auth_facts_->attempt.password_fingerprint && !auth_throttled_;
  if (proof && event.reply.starts_with("535 ")) return "wrong password";
  if (!auth_reason_.empty()) return auth_reason_;
  return event.detail.empty() ? "-" : event.detail;
}

// DESIGN §3.9: the JSON event of one AUTH exchange, and what the throttle learns from it.
void Connection::record_auth(const session::AuthEvent& event, const std::string& certificate) {
  auto now = server_.clock.now();
  auto tls = stream_.tls_facts();
  observe::AuthEvent e;
  e.time = now;
  if (event.success) {
    e.result = "ok";
  } else if (auth_throttled_) {
    e.result = "throttled";
  } else if (event.reply.starts_with("535 ")) {
    e.result = "failed";
  } else if (event.reply.starts_with("454 ")) {
    e.result = "temporary";
  } else {
    e.result = "aborted";
  }
  e.client_ip = client_address_;
  e.client_port = client_port_;
  e.listener = listener_.settings.listener_name;
  e.tls_version = tls.version;
  e.tls_cipher = tls.cipher;
  e.mechanism = event.mechanism;
  if (auth_facts_) e.login = auth_facts_->login;
  // The account and credential the name resolved to: on success the identity; on a failed
  // SCRAM or CRAM-MD5 proof, the one whose verifier the store handed out.
  if (event.identity) {
    e.account = event.identity->account;
    e.credential = event.identity->credential;
  } else if (auth_resolved_) {
    e.account = auth_resolved_->account;
    e.credential = auth_resolved_->credential;
  }
  if (!event.success) e.reason = failure_reason(event);
  if (!certificate.empty()) e.reason += (e.reason.empty() ? "" : ";") + certificate.substr(1);
  e.reply = event.reply;
  e.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - event.started).count();
  if (event.started.time_since_epoch().count() == 0 || e.duration_ms < 0) e.duration_ms = 0;
  server_.defences.auth_event(e);
  if (event.success && event.identity) {
    server_.defences.auth_succeeded(client_address_, event.identity->account, now);
  } else if (e.result == "failed" && auth_facts_) {
    server_.defences.auth_failed(*auth_facts_, now);
  }
}

asio::awaitable<void> Connection::authenticate(const sasl::Request& request, session::Output& out) {
  spdlog::debug("auth request client={}: {}", client_address_, sasl::describe(sasl::Step{request}));
  auto now = server_.clock.now();
  auth_facts_ = server_.defences.facts(client_address_, request);
  auto decision = server_.defences.before_auth(*auth_facts_, now);
  auth::Resolution r;
  if (decision.kind == policy::ThrottleDecision::Kind::refuse) {
    // DESIGN §3.7: refused without checking, with 454 (a 4xx keeps the client's saved password).
    auth_throttled_ = true;
    r = auth::Resolution{temporary_failure_for(request), std::nullopt,
                         decision.because ? "throttled: " + std::string(policy::to_string(decision.because->scope)) +
                                                " " + decision.because->key
                                          : "throttled"};
  } else {
    extra_failure_delay_ = decision.failure_delay;
    auth::ClientFacts facts{client_address_, stream_.is_tls()};
    r = co_await async_resolve(server_.auth_pool, server_.authenticator, request, std::move(facts),
                               timer_.get_executor());
  }
  if (r.answer.index() != request.index()) {
    // The contract says the answer matches the request; anything else must not authenticate.
    r = auth::Resolution{temporary_failure_for(request), std::nullopt, "answer of the wrong kind"};
  }
  auth_reason_ = r.reason;
  if (r.identity) {
    auth_resolved_ = session::AuthInfo{r.identity->account, r.identity->credential, "", {}};
  } else if (!r.account.empty()) {
    auth_resolved_ = session::AuthInfo{r.account, "", "", {}};
  }
  session::AuthResolution resolution{std::move(r.answer), std::nullopt};
  if (r.identity) {
    resolution.identity =
        session::AuthInfo{r.identity->account, r.identity->credential, "", std::move(r.identity->sender_addresses)};
  }
  session_->on_auth_resolved(resolution, out);
}

asio::awaitable<bool> Connection::drive_session() {
  for (;;) {
    session::Output out;
    std::size_t n = session_->feed(in_, out);
    in_.erase(0, n);
    absorb(out);
    // An exchange may ask the store more than once before it replies.
    while (out.action == session::Action::authenticate && out.auth_request) {
      session::Output next;
      co_await authenticate(*out.auth_request, next);
      absorb(next);
      out = std::move(next);
    }
    if (auth_failed_) co_await delay_auth_failure();
    switch (out.action) {
      case session::Action::none:
        if (shutdown_requested_) co_return false;
        co_return true;
      case session::Action::start_tls:
        if (!co_await start_tls()) co_return false;
        break;
      case session::Action::begin_message: {
        writer_error_.reset();
        auto w = server_.spool.begin();
        if (w) {
          writer_ = std::move(*w);
        } else {
          writer_.reset();
          writer_error_ = w.error();
        }
        break;
      }
      case session::Action::commit_message:
        co_await commit_message(std::move(*out.envelope));
        if (session_->wants_close()) {
          co_await flush();
          co_return false;
        }
        break;
      case session::Action::abort_message:
        writer_.reset();
        writer_error_.reset();
        break;
      case session::Action::close:
        co_await flush();
        co_return false;
      case session::Action::authenticate:  // without a request: a session bug; end the connection
        spdlog::error("session asked to authenticate without a request client={}", client_address_);
        co_return false;
    }
  }
}

asio::awaitable<bool> Connection::start_tls() {
  if (!co_await flush()) co_return false;
  // DESIGN §3.2, RFC 3207 §4.2: bytes pipelined after STARTTLS are discarded, never read as
  // commands after the handshake.
  in_.clear();
  in_.shrink_to_fit();
  auto contexts = server_.tls.current();
  if (!contexts) co_return false;
  arm(server_.command_timeout);
  boost::system::error_code ec;
  co_await stream_.handshake(std::move(contexts), ec, listener_.client_ca);
  disarm();
  server_.metrics.tls_handshake(ec ? "failed" : "ok");
  if (ec) {
    spdlog::debug("starttls handshake failed client={}:{}: {}", client_address_, client_port_, ec.message());
    co_return false;
  }
  session_->on_tls_started(tls_info());
  co_return true;
}

asio::awaitable<void> Connection::commit_message(session::Envelope envelope) {
  base::Result<std::string> result = base::fail("spool: no message file");
  if (writer_error_) {
    result = std::unexpected(*writer_error_);
  } else if (writer_) {
    queue::Record record = to_record(std::move(envelope));
    result = co_await async_commit(server_.spool, std::move(writer_), std::move(record), timer_.get_executor());
  }
  writer_.reset();
  writer_error_.reset();
  if (result) {
    spdlog::info("queued id={} client={} listener={}", *result, client_address_, listener_.settings.listener_name);
  } else {
    spdlog::error("spool commit failed client={}: {}", client_address_, result.error().message);
  }
  session::Output out;
  session_->on_commit_result(result, out);
  out_ += out.replies;
  log_messages(out);
}

asio::awaitable<bool> Connection::flush() {
  if (out_.empty()) co_return true;
  // A client that does not read its replies is as idle as one that does not write.
  arm(server_.idle_timeout);
  boost::system::error_code ec;
  co_await stream_.write(asio::buffer(out_), ec);
  disarm();
  out_.clear();
  if (out_.capacity() > max_read_chunk) out_.shrink_to_fit();
  co_return !ec;
}

asio::awaitable<bool> Connection::read_more() {
  if (shutdown_requested_ || session_->wants_close()) co_return false;
  auto now = steady_clock::now();
  if (in_.empty()) {
    partial_since_ = now;
    if (in_.capacity() > max_read_chunk) in_.shrink_to_fit();
  }
  // Idle timeout between bytes; command timeout bounds one command line dribbled slowly.
  set_deadline(std::min(now + server_.idle_timeout, partial_since_ + server_.command_timeout));
  if (in_.size() > max_buffered_input) co_return false;
  std::size_t old = in_.size();
  in_.resize(old + read_chunk_);
  boost::system::error_code ec;
  std::size_t n = co_await stream_.read_some(asio::buffer(in_.data() + old, read_chunk_), ec);
  disarm();
  in_.resize(old + n);
  if (ec) co_return false;
  // Grow reads while the client streams (DATA), shrink back when it is chatty.
  read_chunk_ = n == read_chunk_ ? std::min(read_chunk_ * 2, max_read_chunk) : min_read_chunk;
  co_return true;
}

}  // namespace postern::server
