#include "server/defences.hpp"

#include <spdlog/spdlog.h>

#include <cstring>

#include "auth/account_store.hpp"
#include "auth/state_store.hpp"
#include "base/random.hpp"
#include "base/strings.hpp"
#include "base/time_format.hpp"
#include "policy/alerts.hpp"
#include "sasl/crypto.hpp"

namespace postern::server {

namespace {

using namespace std::chrono_literals;

// Counter families as the state database names them.
constexpr std::string_view family_address = "failures_address";
constexpr std::string_view family_network = "failures_network";
constexpr std::string_view family_account = "failures_account";
constexpr std::string_view family_connections = "connections";
constexpr std::string_view family_messages_hour = "messages_hour";
constexpr std::string_view family_messages_day = "messages_day";
constexpr std::string_view family_recipients_hour = "recipients_hour";
constexpr std::string_view family_recipients_day = "recipients_day";

// The usage history keeps 30 days of hours (plus the current one) for `postern stats` and the
// volume baseline.
constexpr std::int64_t history_hours = 30 * 24;

// The account a login names: `ADDRESS` or `ADDRESS/CREDENTIAL` (an app password), compared as
// the store compares addresses (ASCII case-insensitive).
std::string account_of_login(std::string_view login) {
  if (auto slash = login.rfind('/'); slash != std::string_view::npos && login.find('@') < slash) {
    login = login.substr(0, slash);
  }
  return base::to_lower(login);
}

std::unique_ptr<policy::Counters> counters(std::chrono::seconds window) {
  return policy::make_memory_counters(std::max(window, std::chrono::seconds(1)));
}

std::string random_key() {
  base::SystemRandom random;
  std::string key(32, '\0');
  random.fill(std::as_writable_bytes(std::span(key.data(), key.size())));
  return key;
}

policy::RateLimitSettings rate_settings(const config::Config& c) { return c.rate_limits.settings; }

std::string_view scope_alert_kind(const policy::Lockout& l) {
  if (l.scope != policy::ThrottleScope::account) return "auth_failure_burst";
  return l.slowed_only ? "account_under_attack" : "lockout";
}

}  // namespace

Defences::Defences(const config::Config& config, const policy::LimitOverrides& overrides, observe::EventLog& events,
                   observe::Metrics& metrics, AlertHook& hook)
    : config_(config),
      events_(events),
      metrics_(metrics),
      hook_(hook),
      fingerprint_key_(random_key()),
      address_failures_(counters(config.abuse.throttle.address.window)),
      network_failures_(counters(config.abuse.throttle.network.window)),
      account_failures_(counters(config.abuse.throttle.account_slow.window)),
      connections_(counters(1min)),
      messages_hour_(counters(config.rate_limits.hour_window)),
      messages_day_(counters(config.rate_limits.day_window)),
      recipients_hour_(counters(config.rate_limits.hour_window)),
      recipients_day_(counters(config.rate_limits.day_window)),
      throttle_(config.abuse.throttle, *address_failures_, *network_failures_, *account_failures_),
      limiter_(rate_settings(config), policy::RateCounters{*messages_hour_, *messages_day_, *recipients_hour_,
                                                           *recipients_day_},
               overrides) {}

Defences::~Defences() = default;

bool Defences::exempt(const policy::IpAddress& ip) const { return throttle_.exempt(ip); }

// ---- connections ----------------------------------------------------------------------------

std::optional<ConnectRefusal> Defences::on_connect(const std::string& ip, std::string_view listener,
                                                   std::uint16_t port, policy::Time now) {
  auto address = policy::IpAddress::parse(ip);
  if (!address || exempt(*address)) return std::nullopt;
  std::optional<ConnectRefusal> refusal;
  if (auto lockout = throttle_.connect_refusal(*address, now)) {
    refusal = ConnectRefusal{smtp::replies::address_throttled, "address throttled"};
  }
  if (config_.abuse.connections_per_minute != 0) {
    // Refused attempts count too: a client that hammers stays refused until it slows down.
    auto key = policy::address_key(*address, config_.abuse.throttle);
    connections_->add(key, now);
    if (!refusal && connections_->sum(key, now) > config_.abuse.connections_per_minute) {
      refusal = ConnectRefusal{smtp::replies::connection_rate_exceeded, "connection rate"};
    }
  }
  if (refusal) connection_refused(ip, port, listener, refusal->reply, refusal->reason, now);
  return refusal;
}

void Defences::connection_refused(const std::string& ip, std::uint16_t port, std::string_view listener,
                                  const smtp::ReplyCode& reply, std::string_view reason, policy::Time now) {
  metrics_.connection_refused(reason);
  observe::ConnectionRefusedEvent e;
  e.time = now;
  e.client_ip = ip;
  e.client_port = port;
  e.listener = std::string(listener);
  e.reply = std::to_string(reply.code) + " " + std::string(reply.status);
  e.reason = std::string(reason);
  events_.write(observe::to_json(e));
}

// ---- AUTH -----------------------------------------------------------------------------------

AuthAttemptFacts Defences::facts(const std::string& ip, const sasl::Request& request) const {
  AuthAttemptFacts f;
  f.attempt.client = policy::IpAddress::parse(ip).value_or(policy::IpAddress{});
  f.attempt.scram = std::holds_alternative<sasl::NeedScramVerifier>(request);
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, sasl::VerifyPassword>) {
          f.login = r.authcid;
        } else if constexpr (std::is_same_v<T, sasl::NeedCramSecret> || std::is_same_v<T, sasl::NeedScramVerifier>) {
          f.login = r.authcid;
        } else if constexpr (std::is_same_v<T, sasl::VerifyToken>) {
          f.login = r.authzid;
        } else {
          f.login = r.certificate ? r.certificate->subject_email : r.authzid;
        }
      },
      request);
  f.attempt.account = account_of_login(f.login);
  if (const auto* p = std::get_if<sasl::VerifyPassword>(&request)) {
    // A keyed hash, so a stale saved password retried by a phone is recognised without the
    // password itself being kept anywhere.
    std::string mac = sasl::crypto::hmac(sasl::ScramHash::sha256, fingerprint_key_, f.attempt.account + '\0' + p->password);
    std::uint64_t fp = 0;
    std::memcpy(&fp, mac.data(), sizeof fp);
    f.attempt.password_fingerprint = fp;
  }
  return f;
}

policy::ThrottleDecision Defences::before_auth(const AuthAttemptFacts& facts, policy::Time now) const {
  auto decision = throttle_.before(facts.attempt, now);
  if (decision.kind == policy::ThrottleDecision::Kind::refuse) {
    metrics_.refusal(decision.because && decision.because->scope == policy::ThrottleScope::account
                         ? "auth throttled account"
                         : "auth throttled address");
  }
  return decision;
}

void Defences::auth_failed(const AuthAttemptFacts& facts, policy::Time now) {
  for (const auto& t : throttle_.failed(facts.attempt, now)) {
    const auto& l = t.lockout;
    metrics_.lockout(policy::to_string(l.scope));
    observe::LockoutEvent e{now, std::string(policy::to_string(l.scope)), l.key, l.failures, l.until, l.slowed_only};
    events_.write(observe::to_json(e));
    std::string detail = std::to_string(l.failures) + " failed logins; " +
                         (l.scope == policy::ThrottleScope::account
                              ? (l.slowed_only ? "slowed down" : "unknown clients refused")
                              : "refused") +
                         " until " + base::format_rfc3339(l.until);
    alert(std::string(scope_alert_kind(l)), l.key, detail, "", now);
  }
}

void Defences::auth_succeeded(const std::string& ip, std::string_view account, policy::Time now) {
  if (auto address = policy::IpAddress::parse(ip)) throttle_.succeeded(*address, base::to_lower(account), now);
}

void Defences::auth_event(const observe::AuthEvent& event) {
  metrics_.auth_attempt(event.mechanism, event.result);
  events_.write(observe::to_json(event));
}

// ---- messages -------------------------------------------------------------------------------

namespace {
policy::Sender sender_of(const session::ClientInfo& client, const session::AuthInfo* identity) {
  policy::Sender s;
  s.client = policy::IpAddress::parse(client.address).value_or(policy::IpAddress{});
  if (identity) {
    s.account = base::to_lower(identity->account);
    s.credential = identity->credential;
  }
  return s;
}
}  // namespace

std::optional<std::string> Defences::refuse_message(const session::ClientInfo& client,
                                                    const session::AuthInfo* identity,
                                                    std::chrono::system_clock::time_point now) const {
  auto refusal = limiter_.check_message(sender_of(client, identity), now);
  if (!refusal) return std::nullopt;
  metrics_.rate_limit_hit(refusal->scope, refusal->limit);
  return refusal->text();
}

std::optional<std::string> Defences::refuse_recipient(const session::ClientInfo& client,
                                                      const session::AuthInfo* identity, std::size_t recipients,
                                                      std::chrono::system_clock::time_point now) const {
  auto refusal = limiter_.check_recipients(sender_of(client, identity), recipients, now);
  if (!refusal) return std::nullopt;
  metrics_.rate_limit_hit(refusal->scope, refusal->limit);
  return refusal->text();
}

void Defences::message_accepted(const std::string& ip, const session::AuthInfo* identity, std::uint64_t recipients,
                                policy::Time now) {
  session::ClientInfo client{ip, 0, false};
  // The usage history and the volume check follow the subjects the limiter counted.
  auto subjects = limiter_.record(sender_of(client, identity), recipients, now);
  queue_depth_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(usage_mutex_);
  for (const auto& s : subjects) {
    auto& u = usage_[{s, auth::hour_of(now)}];
    u.messages += 1;
    u.recipients += recipients;
    if (!s.starts_with("i:")) active_.insert(s);  // senders, not addresses, have a usual volume
  }
}

void Defences::message_event(const observe::MessageEvent& event) {
  if (event.result == "accepted") {
    metrics_.message_accepted(event.listener, event.size);
  } else {
    metrics_.refusal(event.reason);
  }
  events_.write(observe::to_json(event));
}

// ---- alerts ---------------------------------------------------------------------------------

void Defences::alert(std::string kind, std::string subject, std::string detail, std::string action, policy::Time now) {
  metrics_.alert(kind);
  observe::AlertEvent e{now, std::move(kind), std::move(subject), std::move(detail), std::move(action)};
  std::string line = observe::to_json(e);
  spdlog::warn("alert {} {}: {}{}", e.kind, e.subject, e.detail, e.action.empty() ? "" : " (" + e.action + ")");
  events_.write(line);
  hook_.run(std::move(line));
}

// ---- the state thread -----------------------------------------------------------------------

std::vector<Defences::Family> Defences::families() const {
  return {{family_address, address_failures_.get()},      {family_network, network_failures_.get()},
          {family_account, account_failures_.get()},      {family_connections, connections_.get()},
          {family_messages_hour, messages_hour_.get()},   {family_messages_day, messages_day_.get()},
          {family_recipients_hour, recipients_hour_.get()}, {family_recipients_day, recipients_day_.get()}};
}

void Defences::restore(auth::StateStore& state, policy::Time now) {
  for (const auto& f : families()) {
    auto rows = state.load_counters(f.name);
    if (!rows) {
      spdlog::warn("state: cannot load {}: {}", f.name, rows.error().message);
      continue;
    }
    f.counters->restore(*rows, now);
  }
  if (auto known = state.load_known_clients()) {
    throttle_.restore_known_clients(*known, now);
  } else {
    spdlog::warn("state: cannot load known clients: {}", known.error().message);
  }
}

void Defences::persist(auth::StateStore& state, policy::Time now) {
  for (const auto& f : families()) {
    if (auto r = state.save_counters(f.name, f.counters->snapshot(now)); !r) {
      spdlog::warn("state: cannot save {}: {}", f.name, r.error().message);
    }
  }
  if (auto r = state.save_known_clients(throttle_.known_clients(now)); !r) {
    spdlog::warn("state: cannot save known clients: {}", r.error().message);
  }
  if (auto r = state.save_lockouts(throttle_.lockouts(now), now); !r) {
    spdlog::warn("state: cannot save the lockout listing: {}", r.error().message);
  }
  std::vector<auth::StateStore::UsageDelta> deltas;
  {
    std::lock_guard lock(usage_mutex_);
    for (const auto& [key, u] : usage_) deltas.push_back({key.first, key.second, u.messages, u.recipients});
    usage_.clear();
  }
  if (!deltas.empty()) {
    if (auto r = state.add_usage(deltas); !r) {
      // Put them back: the history must not lose counts because the disk hiccupped once.
      spdlog::warn("state: cannot save the usage history: {}", r.error().message);
      std::lock_guard lock(usage_mutex_);
      for (const auto& d : deltas) {
        auto& u = usage_[{d.subject, d.hour}];
        u.messages += d.messages;
        u.recipients += d.recipients;
      }
    }
  }
  if (auto r = state.prune_usage(auth::hour_of(now) - history_hours - 24); !r) {
    spdlog::warn("state: cannot prune the usage history: {}", r.error().message);
  }
}

std::size_t Defences::apply_clears(auth::StateStore& state) {
  auto targets = state.take_clear_requests();
  if (!targets) {
    spdlog::warn("state: cannot read lockout clear requests: {}", targets.error().message);
    return 0;
  }
  for (const auto& t : *targets) {
    if (throttle_.clear(t)) {
      spdlog::info("lockout cleared: {}", t);
    } else {
      spdlog::warn("lockout clear: not an address, network or account: {}", t);
    }
  }
  return targets->size();
}

void Defences::check_volume(auth::StateStore& state, auth::AccountStore& accounts, policy::Time now) {
  std::set<std::string> subjects;
  {
    std::lock_guard lock(usage_mutex_);
    subjects.swap(active_);
  }
  const auto& settings = config_.abuse.anomaly;
  for (const auto& subject : subjects) {
    if (auto it = volume_alerted_.find(subject); it != volume_alerted_.end()) {
      if (now - it->second < config_.rate_limits.hour_window) continue;
      volume_alerted_.erase(it);
    }
    policy::Volume v;
    v.last_hour = messages_hour_->sum(subject, now);
    if (v.last_hour < settings.min_messages) continue;
    // The usual volume: the hours of the last 30 days before the current one.
    std::uint64_t before = 0;
    auto month = state.usage_since(subject, auth::hour_of(now) - history_hours);
    auto current = state.usage_since(subject, auth::hour_of(now));
    if (!month || !current) continue;
    for (const auto& t : *month)
      if (t.subject == subject) before += t.messages;
    for (const auto& t : *current)
      if (t.subject == subject) before -= std::min(before, t.messages);
    v.usual_per_hour = static_cast<double>(before) / static_cast<double>(history_hours);
    auto reason = policy::volume_anomaly(v, settings);
    if (!reason) continue;
    volume_alerted_[subject] = now;
    std::string action;
    if (settings.suspend && subject.starts_with("c:")) {
      auto rest = std::string_view(subject).substr(2);
      auto slash = rest.rfind('/');
      auto r = accounts.suspend_credential(rest.substr(0, slash), rest.substr(slash + 1),
                                           "volume anomaly: " + *reason);
      if (r) {
        action = "credential suspended";
      } else {
        spdlog::error("cannot suspend {}: {}", policy::RateLimiter::subject_name(subject), r.error().message);
      }
    }
    alert("volume_anomaly", policy::RateLimiter::subject_name(subject), *reason, action, now);
  }
}

}  // namespace postern::server
