// AUTH (RFC 4954): choosing a mechanism, framing the SASL exchange in 334 lines, and turning
// the mechanism's outcome into the session's identity.

#include <algorithm>

#include "base/base64.hpp"
#include "base/strings.hpp"
#include "sasl/registry.hpp"
#include "session/session_state.hpp"

namespace postern::session {

using smtp::ReplyCode;
namespace replies = smtp::replies;

namespace {

// Bearer tokens (RFC 7628 §5), channel bindings and client certificates exist only under TLS.
bool needs_tls(const sasl::MechanismInfo& info) {
  return info.reveals_token || info.channel_binding || info.client_certificate;
}

// RFC 4422 App. A: EXTERNAL relies on authentication outside SASL; only a certificate that
// chains to the configured client CA counts as one.
bool verified_certificate(const std::optional<TlsInfo>& tls) {
  return tls && tls->client_certificate && tls->client_certificate->verified;
}

// RFC 4954 §4: sasl-mech = 1*20mech-char; mech-char = UPPER-ALPHA / DIGIT / "-" / "_"
// (compared case-insensitively, as clients vary).
bool valid_mechanism_name(std::string_view name) {
  return !name.empty() && name.size() <= 20 && std::ranges::all_of(name, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// RFC 4954 §9 suggests limiting authentication attempts: the connection ends with the reply to
// this many credential failures. Syntax errors (501, 504, ...) are left to the general error limit.
constexpr std::size_t max_auth_failures = 3;

bool credential_failure(const ReplyCode& reply) {
  return reply.code == replies::auth_invalid.code || reply.code == replies::auth_temporary_failure.code;
}

const ReplyCode& failure_reply(sasl::FailureReason reason) {
  switch (reason) {
    case sasl::FailureReason::malformed:
      return replies::auth_malformed;
    case sasl::FailureReason::cancelled:
      return replies::auth_cancelled;
    case sasl::FailureReason::temporary_failure:
    case sasl::FailureReason::internal:
      return replies::auth_temporary_failure;
    case sasl::FailureReason::bad_credentials:
    case sasl::FailureReason::authzid_not_permitted:
    case sasl::FailureReason::channel_binding_mismatch:
    case sasl::FailureReason::downgrade:
    case sasl::FailureReason::unsupported:
      break;
  }
  // DESIGN §3.7: every credential problem looks the same to the client.
  return replies::auth_invalid;
}

}  // namespace

// ---- what may be offered now ------------------------------------------------------------------


sasl::Context Session::State::sasl_context() const {
  std::span<const sasl::ChannelBinding> bindings;
  if (tls) bindings = tls->channel_bindings;
  bool plus = false;
  // RFC 5802 §6: gs2 "y" is a downgrade only if the client saw a -PLUS mechanism offered.
  sasl::Context probe{*settings.auth.random, settings.hostname, clock.now(), bindings, false,
                      settings.auth.fake_salt_secret, settings.auth.scram_iterations};
  probe.client_certificate = verified_certificate(tls);
  for (auto name : offered_mechanisms()) {
    if (const auto* info = sasl::find_mechanism(name); info && info->channel_binding) plus = true;
  }
  probe.plus_advertised = plus;
  return probe;
}

std::vector<std::string_view> Session::State::offered_mechanisms() const {
  std::vector<std::string_view> out;
  if (settings.auth.random == nullptr) return out;
  // DESIGN §3.1: no AUTH at all in clear text unless the listener opts in.
  if (!tls_active() && !settings.auth.allow_without_tls) return out;
  std::span<const sasl::ChannelBinding> bindings;
  if (tls) bindings = tls->channel_bindings;
  sasl::Context context{*settings.auth.random, settings.hostname, clock.now(), bindings, false,
                        settings.auth.fake_salt_secret, settings.auth.scram_iterations};
  context.client_certificate = verified_certificate(tls);
  for (const auto& name : settings.auth.mechanisms) {
    const auto* info = sasl::find_mechanism(name);
    if (info == nullptr) continue;
    if (!tls_active() && needs_tls(*info)) continue;
    if (!sasl::usable(*info, context)) continue;
    out.push_back(info->name);
  }
  return out;
}

// ---- AUTH -------------------------------------------------------------------------------------

// AUTH sequencing in one place (RFC 4954 §4), before the mechanism is looked at.
std::optional<ReplyCode> Session::State::auth_refusal() const {
  if (settings.auth.mechanisms.empty() || settings.auth.random == nullptr) return replies::not_implemented;
  if (!tls_active() && !settings.auth.allow_without_tls) {
    // RFC 3207 §4 / DESIGN §3.1: the client has to encrypt first (or cannot AUTH here at all).
    return settings.starttls_available && !tls_at_connect ? replies::must_starttls : replies::not_implemented;
  }
  if (!helo) return replies::need_helo;
  if (identity) return replies::auth_already;
  if (txn.active) return replies::auth_in_transaction;
  return std::nullopt;
}

std::optional<ReplyCode> Session::State::mechanism_refusal(std::string_view name) const {
  const auto* info = sasl::find_mechanism(name);
  if (info == nullptr) return replies::auth_unknown_mechanism;
  if (std::ranges::find(settings.auth.mechanisms, info->name) == settings.auth.mechanisms.end()) {
    return replies::auth_too_weak;  // known, but this listener's policy leaves it out
  }
  if (!tls_active() && needs_tls(*info)) return replies::auth_needs_encryption;
  auto offered = offered_mechanisms();
  if (std::ranges::find(offered, info->name) == offered.end()) return replies::auth_unknown_mechanism;
  return std::nullopt;
}

void Session::State::on_auth(std::string_view args, Output& out) {
  // The event's start: a store or a hash that takes long shows as the exchange's duration.
  auto started = clock.now();
  auto text = base::trim(args);
  auto space = text.find(' ');
  std::string_view name = text.substr(0, space);
  if (auto refusal = auth_refusal()) return refuse_auth(out, name, *refusal, "AUTH not allowed now");
  std::string_view initial = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
  if (!valid_mechanism_name(name) || initial.find(' ') != std::string_view::npos ||
      (space != std::string_view::npos && initial.empty())) {
    return refuse_auth(out, name, replies::auth_syntax, "syntax");
  }
  if (auto refusal = mechanism_refusal(name)) return refuse_auth(out, name, *refusal, "mechanism not offered");

  // RFC 4954 §4: "=" is an empty initial response; none at all means the server speaks first.
  std::optional<std::string> decoded;
  if (initial == "=") {
    decoded = std::string();
  } else if (!initial.empty()) {
    decoded = base::base64_decode(initial);
    if (!decoded) return refuse_auth(out, name, replies::auth_bad_base64, "initial response is not base64");
  }
  auto mechanism = sasl::create(name, sasl_context());
  if (!mechanism) return refuse_auth(out, name, replies::auth_unknown_mechanism, "mechanism not usable here");
  exchange = AuthExchange{.mechanism = std::move(mechanism),
                          .name = std::string(sasl::find_mechanism(name)->name),
                          .started = started};
  auth_framer.reset();
  auto step = decoded ? exchange->mechanism->start(*decoded) : exchange->mechanism->start(std::nullopt);
  on_auth_step(step, out);
}

void Session::State::refuse_auth(Output& out, std::string_view mechanism, const ReplyCode& reply, std::string detail) {
  const auto* info = sasl::find_mechanism(mechanism);
  out.auth_events.push_back(AuthEvent{.mechanism = info ? std::string(info->name) : std::string(mechanism),
                             .success = false,
                             .identity = std::nullopt,
                             .reply = reply_tag(reply),
                             .detail = std::move(detail),
                             .started = clock.now()});
  respond(out, reply);
}

// ---- the exchange -----------------------------------------------------------------------------

void Session::State::on_auth_step(const sasl::Step& step, Output& out) {
  if (const auto* challenge = std::get_if<sasl::Challenge>(&step)) {
    mode = Mode::auth;
    return respond(out, replies::auth_challenge, base::base64_encode(challenge->data));
  }
  if (const auto* req = std::get_if<sasl::Request>(&step)) {
    out.auth_request = *req;
    if (auto* external = std::get_if<sasl::VerifyCertificate>(&*out.auth_request)) {
      // The certificate comes from the TLS layer, never from the client's SASL message.
      external->certificate = tls ? tls->client_certificate : std::nullopt;
    }
    mode = Mode::awaiting_auth;
    return request(out, Action::authenticate);
  }
  if (const auto* success = std::get_if<sasl::Success>(&step)) {
    if (success->server_final) {
      // RFC 4954 §4: the additional data goes out as a challenge, answered by an empty line.
      exchange->awaiting_final = true;
      mode = Mode::auth;
      return respond(out, replies::auth_challenge, base::base64_encode(*success->server_final));
    }
    return finish_auth(out, replies::auth_ok, true, sasl::describe(step));
  }
  const auto& failure = std::get<sasl::Failure>(step);
  finish_auth(out, failure_reply(failure.reason), false, sasl::describe(step));
}

void Session::State::finish_auth(Output& out, const ReplyCode& reply, bool success, std::string detail) {
  AuthEvent event{.mechanism = exchange->name, .success = false, .identity = std::nullopt,
                  .reply = reply_tag(reply), .detail = std::move(detail), .started = exchange->started};
  const ReplyCode* given = &reply;
  if (success && !exchange->pending) {
    // A mechanism that succeeds without the store having named anyone is a bug somewhere;
    // it must never authenticate.
    given = &replies::auth_temporary_failure;
    event.reply = reply_tag(*given);
    event.detail += " (no identity from the store)";
  } else if (success) {
    identity = *exchange->pending;
    identity->mechanism = exchange->name;
    event.success = true;
    event.identity = identity;
  }
  exchange.reset();
  mode = Mode::commands;
  out.auth_events.push_back(std::move(event));
  respond(out, *given);
  if (credential_failure(*given) && ++auth_failures >= max_auth_failures) {
    close(out, replies::auth_too_many_failures);
  }
}

std::size_t Session::State::read_auth(std::string_view input, Output& out) {
  std::size_t used = 0;
  while (mode == Mode::auth && out.action == Action::none) {
    auto event = auth_framer.next(input.substr(used));
    used += event.consumed;
    switch (event.kind) {
      case smtp::LineFramer::Kind::need_more:
        return used;
      case smtp::LineFramer::Kind::too_long:
        // RFC 4954 §4: the exchange is over; the client is back at the command prompt.
        exchange->mechanism->cancel();
        finish_auth(out, replies::auth_line_too_long, false, "response line too long");
        break;
      case smtp::LineFramer::Kind::line:
        on_auth_line(event.line, out);
        break;
    }
  }
  return used;
}

void Session::State::on_auth_line(std::string_view line, Output& out) {
  if (++commands > settings.limits.max_commands) return close(out, replies::too_many_commands);
  // RFC 4954 §4: "*" cancels, at any step.
  if (line == "*") {
    exchange->mechanism->cancel();
    return finish_auth(out, replies::auth_cancelled, false, "cancelled by the client");
  }
  if (exchange->awaiting_final) {
    if (!line.empty()) return finish_auth(out, replies::auth_malformed, false, "non-empty reply to server-final");
    return finish_auth(out, replies::auth_ok, true, "server-final acknowledged");
  }
  // RFC 4954 §4 spells an empty response as an empty line ("=" only for an empty initial
  // response); curl answers an empty 334 with "=" all the same, and "=" can mean nothing else.
  auto decoded = line == "=" ? std::optional<std::string>(std::string()) : base::base64_decode(line);
  if (!decoded) {
    exchange->mechanism->cancel();
    return finish_auth(out, replies::auth_bad_base64, false, "response is not base64");
  }
  on_auth_step(exchange->mechanism->next(*decoded), out);
}

// Lines up to 12288 octets are framed when AUTH is offered, for AUTH's initial response
// (RFC 4954 §4); every other command keeps the configured limit (RFC 5321 §4.5.3.1.4).
bool Session::State::command_line_too_long(std::string_view line) const {
  if (framer_limit <= settings.limits.command_line_max) return false;
  // The line views into the input, where its terminator follows: CRLF, or a bare LF.
  std::size_t octets = line.size() + (line.data()[line.size()] == '\r' ? 2 : 1);
  if (octets <= settings.limits.command_line_max) return false;
  return !(line.size() > 5 && base::iequals(line.substr(0, 5), "AUTH "));
}

// ---- Session ----------------------------------------------------------------------------------

void Session::on_auth_resolved(const AuthResolution& resolution, Output& out) {
  auto& s = *s_;
  if (s.mode != Mode::awaiting_auth || !s.exchange) return;
  s.mode = Mode::commands;
  s.exchange->pending = resolution.identity;
  s.on_auth_step(s.exchange->mechanism->resume(resolution.answer), out);
}

const std::optional<AuthInfo>& Session::identity() const { return s_->identity; }

}  // namespace postern::session
