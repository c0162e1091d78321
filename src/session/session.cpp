#include "session/session.hpp"

#include <algorithm>

#include "session/session_state.hpp"

namespace postern::session {

using smtp::ReplyCode;
using smtp::Verb;
namespace replies = smtp::replies;

namespace {
// RFC 4954 §4: an AUTH line (and each SASL response line) may be up to 12288 octets.
constexpr std::size_t auth_line_max = 12288;

std::size_t command_framer_limit(const Settings& settings) {
  if (settings.auth.mechanisms.empty()) return settings.limits.command_line_max;
  return std::max(settings.limits.command_line_max, auth_line_max);
}
}  // namespace

Session::State::State(const Settings& settings, const policy::RelayPolicy& relay, const base::Clock& clock,
                      ClientInfo client, std::optional<TlsInfo> tls_at_connect)
    : settings(settings),
      relay(relay),
      clock(clock),
      client(std::move(client)),
      tls_at_connect(tls_at_connect.has_value()),
      tls(std::move(tls_at_connect)),
      framer_limit(command_framer_limit(settings)),
      framer(framer_limit),
      auth_framer(auth_line_max) {}

// ---- replies, actions, accounting -------------------------------------------------------------

std::string reply_tag(const ReplyCode& reply) { return std::to_string(reply.code) + " " + std::string(reply.status); }

std::string reply_text(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out += (c == '\t' || (c >= 0x20 && c < 0x7f)) ? c : '?';
  if (text.size() > max) out += "...";
  return out;
}

void Session::State::respond(Output& out, const ReplyCode& reply) { respond(out, reply, reply.text); }

void Session::State::respond(Output& out, const ReplyCode& reply, std::string_view text) {
  out.replies += smtp::format_reply(reply, text);
  // DESIGN §3.8: every refusal counts; a client that keeps failing is cut off (421 4.7.0).
  if (reply.code >= 400 && ++errors >= settings.limits.max_errors) close(out, replies::too_many_errors);
}

void Session::State::request(Output& out, Action action) {
  // Closing wins over anything else asked for in the same step: the driver drops an open
  // message together with the connection.
  if (mode == Mode::closed) return;
  out.action = action;
}

void Session::State::close(Output& out, const ReplyCode& reply) {
  if (mode == Mode::closed) return;
  out.replies += smtp::format_reply(reply);
  out.action = Action::close;
  out.envelope.reset();
  mode = Mode::closed;
}

void Session::State::message_refused(Output& out, const ReplyCode& reply, std::string_view reason, std::string sender,
                                     std::size_t recipients, std::uint64_t size) {
  out.message_events.push_back(MessageEvent{.accepted = false,
                                            .reply = reply_tag(reply),
                                            .reason = std::string(reason),
                                            .sender = std::move(sender),
                                            .recipients = recipients,
                                            .size = size,
                                            .queue_id = {}});
}

void Session::State::reset_transaction(Output& out) {
  // The spool file of a half-received BDAT message must go as well.
  if (txn.message_open) request(out, Action::abort_message);
  txn = Transaction{};
  reader.reset();
  scanner = ChunkScanner{};
  pending_received.clear();
}

// ---- the command stream -----------------------------------------------------------------------

std::size_t Session::State::read_commands(std::string_view input, Output& out) {
  std::size_t used = 0;
  while (mode == Mode::commands && out.action == Action::none) {
    auto event = framer.next(input.substr(used));
    used += event.consumed;
    switch (event.kind) {
      case smtp::LineFramer::Kind::need_more:
        return used;
      case smtp::LineFramer::Kind::too_long:
        if (++commands > settings.limits.max_commands) {
          close(out, replies::too_many_commands);
          return used;
        }
        // RFC 5321 §4.5.3.1.4: the line was dropped whole; the session stays in step.
        respond(out, replies::line_too_long);
        break;
      case smtp::LineFramer::Kind::line:
        on_line(event.line, out);
        break;
    }
  }
  return used;
}

void Session::State::on_line(std::string_view line, Output& out) {
  if (++commands > settings.limits.max_commands) return close(out, replies::too_many_commands);
  if (command_line_too_long(line)) return respond(out, replies::line_too_long);
  auto command = smtp::parse_command(line);
  if (!command) {
    return respond(
        out, command.error() == smtp::CommandError::bad_character ? replies::bad_character : replies::unrecognized);
  }
  // BDAT's octets follow the line whatever the reply, so its gate is applied after them.
  if (command->verb != Verb::bdat) {
    if (auto refusal = gate(command->verb)) return respond(out, *refusal);
  }
  dispatch(*command, out);
}

// The rules that hold for every verb before its own checks.
std::optional<ReplyCode> Session::State::gate(Verb verb) const {
  // RFC 3207 §4: on a listener that requires TLS, only these may precede STARTTLS.
  if (settings.require_tls && !tls_active()) {
    switch (verb) {
      case Verb::ehlo:
      case Verb::helo:
      case Verb::starttls:
      case Verb::noop:
      case Verb::rset:
      case Verb::quit:
        break;
      default:
        return replies::must_starttls;
    }
  }
  return std::nullopt;
}

void Session::State::dispatch(const smtp::Command& command, Output& out) {
  switch (command.verb) {
    case Verb::ehlo:
      return on_ehlo(command.args, true, out);
    case Verb::helo:
      return on_ehlo(command.args, false, out);
    case Verb::starttls:
      return on_starttls(command.args, out);
    case Verb::mail:
      return on_mail(command.args, out);
    case Verb::rcpt:
      return on_rcpt(command.args, out);
    case Verb::data:
      return on_data(command.args, out);
    case Verb::bdat:
      return on_bdat(command.args, out);
    case Verb::auth:
      return on_auth(command.args, out);
    default:
      return on_simple(command, out);
  }
}

// ---- Session ----------------------------------------------------------------------------------

Session::Session(const Settings& settings, const policy::RelayPolicy& relay, const base::Clock& clock,
                 ClientInfo client, std::optional<TlsInfo> tls_at_connect)
    : s_(std::make_unique<State>(settings, relay, clock, std::move(client), std::move(tls_at_connect))) {}

Session::~Session() = default;

std::string Session::greeting() {
  // RFC 5321 §4.3.1: the greeting names us; no enhanced code (RFC 2034 §3).
  return smtp::format_reply(smtp::replies::service_ready,
                            s_->settings.hostname + " " + std::string(smtp::replies::service_ready.text));
}

std::size_t Session::feed(std::string_view input, Output& out) {
  std::size_t used = 0;
  // One action at most per call: stop as soon as one is asked for. Each reader returns when it
  // needs more input or when the stream changed mode (a BDAT line starts a chunk, a chunk ends).
  while (out.action == Action::none) {
    Mode before = s_->mode;
    switch (s_->mode) {
      case Mode::commands:
        used += s_->read_commands(input.substr(used), out);
        break;
      case Mode::data:
        used += s_->read_data(input.substr(used), out);
        break;
      case Mode::chunk:
        used += s_->read_chunk(input.substr(used), out);
        break;
      case Mode::auth:
        used += s_->read_auth(input.substr(used), out);
        break;
      case Mode::awaiting_tls:
      case Mode::awaiting_commit:
      case Mode::awaiting_auth:
      case Mode::closed:
        return used;
    }
    if (s_->mode == before) break;
  }
  return used;
}

void Session::on_tls_started(TlsInfo tls) {
  // RFC 3207 §4.2: the client's knowledge before the handshake is discarded; so is ours,
  // except the counters, which bound the connection rather than the session.
  auto& s = *s_;
  s.tls = std::move(tls);
  s.helo.reset();
  s.esmtp = false;
  s.txn = Transaction{};
  s.reader.reset();
  s.chunk = Chunk{};
  s.scanner = ChunkScanner{};
  s.pending_received.clear();
  s.framer.reset();
  // An identity proved in clear text (insecure_auth_without_tls) does not survive either.
  s.identity.reset();
  s.exchange.reset();
  s.auth_framer.reset();
  if (s.mode == Mode::awaiting_tls) s.mode = Mode::commands;
}

void Session::on_commit_result(const base::Result<std::string>& queue_id, Output& out) {
  auto& s = *s_;
  if (s.mode != Mode::awaiting_commit) return;
  s.mode = Mode::commands;
  const ReplyCode& reply = queue_id ? smtp::replies::queued : smtp::replies::local_error;
  out.message_events.push_back(MessageEvent{.accepted = queue_id.has_value(),
                                            .reply = reply_tag(reply),
                                            .reason = queue_id ? "" : "spool failure",
                                            .sender = s.txn.sender,
                                            .recipients = s.txn.recipients.size(),
                                            .size = s.message_size(),
                                            .queue_id = queue_id ? *queue_id : ""});
  // RFC 5321 §4.1.1.4: whatever the outcome, the transaction is over.
  s.txn = Transaction{};
  s.reader.reset();
  s.scanner = ChunkScanner{};
  if (queue_id) {
    s.respond(out, reply, "OK queued as " + *queue_id);
  } else {
    s.respond(out, reply);
  }
}

std::string Session::on_timeout() {
  Output out;
  s_->close(out, smtp::replies::timeout);
  return out.replies;
}

std::string Session::on_shutdown() {
  Output out;
  s_->close(out, smtp::replies::shutting_down);
  return out.replies;
}

bool Session::wants_close() const { return s_->mode == Mode::closed; }

}  // namespace postern::session
