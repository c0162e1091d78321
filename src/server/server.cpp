#include "server/server.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

#include "auth/account_store.hpp"
#include "auth/jwt.hpp"
#include "auth/limit_cache.hpp"
#include "auth/state_store.hpp"
#include "auth/store_authenticator.hpp"
#include "sasl/scram.hpp"
#include "base/strings.hpp"
#include "observe/log.hpp"
#include "policy/access.hpp"
#include "server/alert_hook.hpp"
#include "server/connection.hpp"
#include "server/defences.hpp"
#include "server/metrics_http.hpp"
#include "smtp/replies.hpp"

namespace postern::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

/// One I/O thread with its own io_context: every connection lives on exactly one worker, so a
/// connection's state is never touched by two threads (DESIGN §4: one thread per core).
struct Worker {
  asio::io_context context{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(context);
  ConnectionRegistry connections;
  std::thread thread;
};

struct BoundListener {
  const config::Listener* config;
  ListenerContext context;
  std::unique_ptr<tcp::acceptor> acceptor;
};

std::string client_ip(const tcp::endpoint& ep) {
  auto a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  return a.to_string();
}

/// What AUTH needs on every listener: made once at start.
struct AuthShared {
  base::Random& random;
  std::string fake_salt_secret;  // RFC 5802 §5.1: unknown users get stable fake salts
  std::shared_ptr<const net::ClientCa> client_ca;
};

ListenerContext make_listener_context(const config::Config& cfg, const config::Listener& l, bool have_tls,
                                      const AuthShared& auth, const session::SendPolicy& send_policy) {
  ListenerContext ctx;
  ctx.settings.hostname = cfg.hostname;
  ctx.settings.listener_name = l.name;
  ctx.settings.kind = l.kind;
  ctx.implicit_tls = l.kind == config::ListenerKind::submissions;
  ctx.settings.starttls_available = have_tls && !ctx.implicit_tls;
  ctx.settings.require_tls = l.require_tls;
  ctx.settings.require_auth = l.require_auth;
  ctx.settings.limits = cfg.limits.session;
  ctx.trusted_networks = l.trusted_networks;
  ctx.settings.auth.mechanisms = config::offered_mechanisms(cfg, l);
  ctx.settings.auth.allow_without_tls = l.insecure_auth_without_tls;
  ctx.settings.auth.random = &auth.random;
  ctx.settings.auth.fake_salt_secret = auth.fake_salt_secret;
  ctx.settings.auth.scram_iterations = cfg.auth.scram_iterations;
  if (l.request_client_certificate) ctx.client_ca = auth.client_ca;
  ctx.settings.send_policy = &send_policy;
  return ctx;
}

// The listener's allow_networks/deny_networks verdict for a client. `ip` comes from the socket,
// so it always parses; should it not, the client is refused rather than let past the lists.
bool access_allowed(const config::Listener& l, const std::string& ip) {
  if (l.allow_networks.empty() && l.deny_networks.empty()) return true;
  auto address = policy::IpAddress::parse(ip);
  return address && policy::connection_allowed(*address, l.allow_networks, l.deny_networks);
}

// RFC 5321 §3.1: after a 554 in place of the greeting the server MUST wait for QUIT, answering
// 503 to anything else. A refused client gets a few seconds and a few lines for that, no more.
asio::awaitable<void> await_quit(std::shared_ptr<tcp::socket> socket) {
  constexpr auto patience = std::chrono::seconds(10);
  constexpr int max_lines = 10;
  asio::steady_timer deadline(socket->get_executor(), patience);
  deadline.async_wait([socket](boost::system::error_code ec) {
    boost::system::error_code ignored;
    if (!ec) socket->cancel(ignored);
  });
  std::string buffer;
  for (int lines = 0; lines < max_lines && buffer.size() <= 1024;) {
    char chunk[512];
    auto [ec, n] = co_await socket->async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    buffer.append(chunk, n);
    for (auto eol = buffer.find('\n'); eol != std::string::npos && lines < max_lines; eol = buffer.find('\n')) {
      std::string_view line = std::string_view(buffer).substr(0, eol);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      bool quit = base::iequals(base::trim(line), "QUIT");
      buffer.erase(0, eol + 1);
      ++lines;
      std::string reply = smtp::format_reply(quit ? smtp::replies::closing : smtp::replies::access_denied_quit_only);
      co_await asio::async_write(*socket, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
      if (quit) lines = max_lines;
    }
  }
  deadline.cancel();
}

// Refuses a connection over the limits or outside the listener's networks: plaintext listeners
// hear why (RFC 5321 §3.1 allows 421 or 554 instead of 220; after 554 the client may still say
// QUIT); an implicit-TLS listener just closes, since a handshake would cost more than the
// refusal is worth.
asio::awaitable<void> refuse(tcp::socket socket_, bool implicit_tls, smtp::ReplyCode why) {
  auto socket = std::make_shared<tcp::socket>(std::move(socket_));
  if (!implicit_tls) {
    std::string reply = smtp::format_reply(why);
    auto [ec, n] = co_await asio::async_write(*socket, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
    if (!ec && why.code == 554) co_await await_quit(socket);
  }
  boost::system::error_code ignored;
  socket->shutdown(tcp::socket::shutdown_both, ignored);
  socket->close(ignored);
}

class Server {
 public:
  Server(const config::Config& cfg, ServerContext& shared, const AuthShared& auth,
         std::vector<std::unique_ptr<Worker>>& workers)
      : cfg_(cfg), shared_(shared), auth_(auth), workers_(workers) {}

  base::Result<void> bind(asio::io_context& main) {
    for (const auto& l : cfg_.listeners) {
      BoundListener b{&l, make_listener_context(cfg_, l, !shared_.tls.empty(), auth_, shared_.defences), nullptr};
      boost::system::error_code ec;
      auto address = asio::ip::make_address(l.address, ec);
      if (ec) return base::fail("listener " + l.name + ": bad address " + l.address);
      tcp::endpoint ep(address, l.port);
      b.acceptor = std::make_unique<tcp::acceptor>(main);
      b.acceptor->open(ep.protocol(), ec);
      if (!ec) b.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) b.acceptor->bind(ep, ec);
      if (!ec) b.acceptor->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) return base::fail("listener " + l.name + ": cannot listen on " + l.address + ":" + std::to_string(l.port) + ": " + ec.message());
      listeners_.push_back(std::move(b));
    }
    return {};
  }

  void start(asio::io_context& main) {
    for (auto& l : listeners_) asio::co_spawn(main, accept_loop(l), asio::detached);
    for (auto& l : listeners_) {
      spdlog::info("listening on {}:{} ({} {})", l.config->address, l.config->port, l.config->name,
                   l.context.implicit_tls ? "implicit TLS" : (l.context.settings.require_tls ? "STARTTLS required" : "STARTTLS offered"));
    }
  }

  void stop_accepting() {
    for (auto& l : listeners_) {
      boost::system::error_code ignored;
      l.acceptor->close(ignored);
    }
  }

 private:
  asio::awaitable<void> accept_loop(BoundListener& l) {
    for (std::size_t next = 0;; ++next) {
      Worker& w = *workers_[next % workers_.size()];
      auto [ec, socket] = co_await l.acceptor->async_accept(w.context, asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) {
        // EMFILE and friends: back off briefly rather than spin.
        spdlog::warn("accept on {}: {}", l.config->name, ec.message());
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      boost::system::error_code peer_ec;
      auto peer = socket.remote_endpoint(peer_ec);
      if (peer_ec) continue;
      std::string ip = client_ip(peer);
      socket.set_option(tcp::no_delay(true), peer_ec);
      // Decided before the limiter, so a refused client never holds a connection slot.
      auto now = shared_.clock.now();
      if (!access_allowed(*l.config, ip)) {
        spdlog::info("refused connection from {} on {}: {}", ip, l.config->name, smtp::replies::access_denied.text);
        shared_.defences.connection_refused(ip, peer.port(), l.config->name, smtp::replies::access_denied,
                                            "denied network", now);
        asio::co_spawn(w.context, refuse(std::move(socket), l.context.implicit_tls, smtp::replies::access_denied),
                       asio::detached);
        continue;
      }
      // DESIGN §3.7: an address over the failed-login limit, or opening connections too fast.
      if (auto refusal = shared_.defences.on_connect(ip, l.config->name, peer.port(), now)) {
        spdlog::info("refused connection from {} on {}: {}", ip, l.config->name, refusal->reason);
        asio::co_spawn(w.context, refuse(std::move(socket), l.context.implicit_tls, refusal->reply), asio::detached);
        continue;
      }
      auto verdict = shared_.limiter.try_acquire(ip);
      if (verdict != ConnectionLimiter::Verdict::ok) {
        bool total = verdict == ConnectionLimiter::Verdict::too_many_total;
        auto why = total ? smtp::replies::too_many_connections : smtp::replies::too_many_connections_from_ip;
        spdlog::info("refused connection from {}: {}", ip, why.text);
        shared_.defences.connection_refused(ip, peer.port(), l.config->name, why,
                                            total ? "too many connections" : "too many connections from address", now);
        asio::co_spawn(w.context, refuse(std::move(socket), l.context.implicit_tls, why), asio::detached);
        continue;
      }
      asio::post(w.context, [this, &w, &l, socket = std::move(socket), ip = std::move(ip), port = peer.port()]() mutable {
        auto c = std::make_shared<Connection>(std::move(socket), l.context, shared_, w.connections, std::move(ip), port);
        asio::co_spawn(w.context, c->run(), asio::detached);
      });
    }
  }

  const config::Config& cfg_;
  ServerContext& shared_;
  const AuthShared& auth_;
  std::vector<std::unique_ptr<Worker>>& workers_;
  std::list<BoundListener> listeners_;
};

// Connections get `shutdown_grace` to say 421 and close (a commit in flight finishes in that
// time); whatever still hangs on a client that does not read is then dropped. A message whose
// commit completed but whose 250 was not delivered is kept: the client retries, nothing is lost.
void stop_workers(std::vector<std::unique_ptr<Worker>>& workers) {
  constexpr auto shutdown_grace = std::chrono::seconds(10);
  auto until = std::chrono::steady_clock::now() + shutdown_grace;
  for (auto& w : workers) {
    while (!w->context.stopped() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    w->context.stop();
    w->thread.join();
  }
}

// The defences' background work, once a second: `postern user limits` and `lockout clear`
// reach the running server, and counters, known clients and the usage history reach the disk
// (so a restart keeps them). Nothing here runs on an I/O thread.
class StateThread {
 public:
  StateThread(Defences& defences, auth::StateStore& state, auth::LimitCache& limits, auth::AccountStore& accounts,
              const base::Clock& clock)
      : defences_(defences), state_(state), limits_(limits), accounts_(accounts), clock_(clock) {
    thread_ = std::thread([this] { loop(); });
  }
  ~StateThread() { stop(); }

  /// Persists one last time and joins.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    defences_.persist(state_, clock_.now());
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      if (auto r = limits_.refresh(); !r) spdlog::warn("sending limits: cannot reload: {}", r.error().message);
      defences_.apply_clears(state_);
      auto now = clock_.now();
      defences_.persist(state_, now);
      defences_.check_volume(state_, accounts_, now);
      lock.lock();
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  }

  Defences& defences_;
  auth::StateStore& state_;
  auth::LimitCache& limits_;
  auth::AccountStore& accounts_;
  const base::Clock& clock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

int run(const config::Config& cfg) {
  if (auto r = observe::setup_logging(cfg.log_level); !r) {
    std::fprintf(stderr, "postern: %s\n", r.error().message.c_str());
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);

  auto spool = queue::Spool::open(cfg.data_dir / "queue");
  if (!spool) {
    spdlog::critical("cannot open the spool: {}", spool.error().message);
    return 1;
  }
  // The iteration count must be the one the session gives unknown accounts' fake verifiers, or
  // a SCRAM server-first message would tell real accounts apart (DESIGN §3.7).
  auto store = auth::AccountStore::open(
      cfg.data_dir / "postern.db",
      auth::StoreOptions{.scram_iterations = cfg.auth.scram_iterations,
                         .actor = "server",
                         .on_error = [](const std::string& why) { spdlog::warn("account store: {}", why); }});
  if (!store) {
    spdlog::critical("cannot open the account store: {}", store.error().message);
    return 1;
  }
  std::vector<net::CertificateFiles> certs;
  for (const auto& c : cfg.tls.certificates) certs.push_back({c.cert_file, c.key_file});
  net::TlsProvider tls(certs, cfg.tls.min_version);
  if (!tls.empty()) {
    if (auto r = tls.reload(); !r) {
      spdlog::critical("{}", r.error().message);
      return 1;
    }
  }
  policy::RelayPolicy relay(cfg.local_domains, **store);
  base::SystemClock clock;
  base::SystemRandom random;
  std::unique_ptr<auth::TokenValidator> tokens;
  if (cfg.oauth.enabled) {
    auto validator = auth::make_jwt_validator(cfg.oauth, clock);
    if (!validator) {
      spdlog::critical("[oauth]: {}", validator.error().message);
      return 1;
    }
    tokens = std::move(*validator);
  }
  AuthShared auth_shared{random, sasl::make_fake_salt_secret(random), nullptr};
  if (!cfg.auth.client_ca.empty()) {
    auto ca = net::ClientCa::load(cfg.auth.client_ca);
    if (!ca) {
      spdlog::critical("{}", ca.error().message);
      return 1;
    }
    auth_shared.client_ca = std::move(*ca);
  }
  auto authenticator = auth::make_authenticator(
      **store, tokens.get(),
      auth::AuthenticatorOptions{.cache_ttl = cfg.auth.cache_ttl,
                                 .on_error = [](const std::string& why) { spdlog::warn("auth store: {}", why); }});
  // argon2id and the store block: AUTH is resolved on these threads, never on the I/O ones.
  asio::thread_pool auth_pool(2);
  ConnectionLimiter limiter(cfg.limits.max_connections, cfg.limits.max_connections_per_ip);

  auto events = observe::EventLog::open(cfg.event_log);
  if (!events) {
    spdlog::critical("event_log: {}", events.error().message);
    return 1;
  }
  auto state = auth::StateStore::open(cfg.data_dir / auth::state_file_name);
  if (!state) {
    spdlog::critical("cannot open the state database: {}", state.error().message);
    return 1;
  }
  auth::LimitCache limit_cache(**store);
  if (auto r = limit_cache.refresh(); !r) {
    spdlog::critical("cannot read the sending limits: {}", r.error().message);
    return 1;
  }
  observe::Metrics metrics;
  AlertHook hook(cfg.abuse.alert_hook, cfg.abuse.alert_hook_timeout,
                 [](const std::string& why) { spdlog::warn("{}", why); });
  Defences defences(cfg, limit_cache, **events, metrics, hook);
  defences.restore(**state, clock.now());
  defences.set_queue_depth((*spool)->recovery().committed);
  metrics.set_queue_depth([&defences] { return defences.queue_depth(); });
  ServerContext shared{relay,
                       clock,
                       **spool,
                       tls,
                       limiter,
                       cfg.limits.idle_timeout,
                       cfg.limits.command_timeout,
                       *authenticator,
                       auth_pool,
                       cfg.auth.failure_delay,
                       defences,
                       metrics};

  unsigned n = cfg.threads != 0 ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < n; ++i) workers.push_back(std::make_unique<Worker>());

  asio::io_context main{1};
  // Signals are caught before any thread starts, so an early SIGTERM is never the default kill.
  asio::signal_set stop_signals(main, SIGTERM, SIGINT);
  asio::signal_set hup(main, SIGHUP);
  Server server(cfg, shared, auth_shared, workers);
  if (auto r = server.bind(main); !r) {
    spdlog::critical("{}", r.error().message);
    return 1;
  }
  std::optional<MetricsEndpoint> endpoint;
  if (!cfg.metrics.address.empty()) {
    endpoint.emplace(main, metrics);
    if (auto r = endpoint->listen(cfg.metrics.address, cfg.metrics.port); !r) {
      spdlog::critical("[metrics]: {}", r.error().message);
      return 1;
    }
  }
  StateThread state_thread(defences, **state, limit_cache, **store, clock);
  for (auto& w : workers) w->thread = std::thread([&ctx = w->context] { ctx.run(); });
  server.start(main);
  if (endpoint) {
    endpoint->start();
    spdlog::info("metrics on http://{}:{}/metrics", cfg.metrics.address.find(':') == std::string::npos
                                                         ? cfg.metrics.address
                                                         : "[" + cfg.metrics.address + "]",
                 endpoint->port());
  }

  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      if (tls.empty()) {
        spdlog::info("SIGHUP: no TLS certificates configured, nothing to reload");
      } else if (auto r = tls.reload(); r) {
        spdlog::info("SIGHUP: TLS certificates reloaded; open connections keep theirs");
      } else {
        spdlog::error("SIGHUP: TLS reload failed, keeping the old certificates: {}", r.error().message);
      }
      if (auto r = (*events)->reopen(); !r) spdlog::error("SIGHUP: cannot reopen the event log: {}", r.error().message);
      wait_hup();
    });
  };
  wait_hup();
  stop_signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", sig);
    server.stop_accepting();
    hup.cancel();
    if (endpoint) endpoint->stop();
    for (auto& w : workers) {
      asio::post(w->context, [&w] {
        // Copy: a connection may finish (and unregister) while we walk the set.
        std::vector<Connection*> live(w->connections.begin(), w->connections.end());
        for (auto* c : live) c->request_shutdown();
      });
      w->guard.reset();
    }
  });
  spdlog::info("postern {} ready", POSTERN_VERSION);
  main.run();
  stop_workers(workers);
  auth_pool.join();
  state_thread.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace postern::server
