// DATA and BDAT: receiving the message content and ending the transaction.

#include <algorithm>

#include "base/strings.hpp"
#include "policy/sender.hpp"
#include "session/session_state.hpp"

namespace postern::session {

using smtp::ReplyCode;
namespace replies = smtp::replies;

// ---- bare line endings in BDAT chunks ---------------------------------------------------------

void ChunkScanner::scan(std::string_view bytes) {
  for (char c : bytes) {
    if (after_cr_ && c != '\n') bare_ = true;
    if (!after_cr_ && c == '\n') bare_ = true;
    if (c == '\0') nul_ = true;
    after_cr_ = c == '\r';
  }
}

void ChunkScanner::finish() {
  if (after_cr_) bare_ = true;
  after_cr_ = false;
}

// ---- DATA -------------------------------------------------------------------------------------

// DATA sequencing in one place (RFC 5321 §4.1.4, RFC 3030 §2).
std::optional<ReplyCode> Session::State::data_refusal(std::string_view args) const {
  if (!txn.active) return replies::need_mail;
  if (txn.bdat_used) return replies::data_after_bdat;
  if (txn.recipients.empty()) return replies::need_rcpt;  // RFC 5321 §3.3: 503 (or 554)
  if (!base::trim(args).empty()) return replies::syntax_params;
  return std::nullopt;
}

void Session::State::on_data(std::string_view args, Output& out) {
  if (auto refusal = data_refusal(args)) return respond(out, *refusal);
  respond(out, replies::start_mail_input);
  reader.emplace(settings.limits.max_message_size);
  mode = Mode::data;
  open_message(out);
}

std::size_t Session::State::read_data(std::string_view input, Output& out) {
  write_pending_received(out);
  std::size_t before = out.body.size();
  auto result = reader->feed(input, out.body);
  capture_header(std::string_view(out.body).substr(before));
  if (!result.done) return result.consumed;
  mode = Mode::commands;
  // RFC 5321 §4.1.1.4: the reply to the terminator decides the message. The size is checked
  // first: an oversize body was cut short, so what else it held is unknown.
  if (reader->oversize()) {
    fail_message(out, replies::message_too_big, "message too big");  // RFC 1870 §6
  } else if (reader->bare_line_ending()) {
    fail_message(out, replies::bare_line_ending, "bare line ending");  // RFC 5321 §2.3.8, SMTP smuggling
  } else if (reader->has_nul()) {
    fail_message(out, replies::nul_in_data, "nul byte");
  } else {
    finish_message(out);
  }
  return result.consumed;
}

// ---- BDAT -------------------------------------------------------------------------------------

// BDAT sequencing in one place. Whatever it says, the chunk's octets are read (RFC 3030 §2: a
// refused BDAT's data must still be consumed, or the stream goes out of step).
std::optional<ReplyCode> Session::State::bdat_refusal() const {
  if (auto refusal = gate(smtp::Verb::bdat)) return refusal;
  if (!txn.active || txn.recipients.empty()) return replies::no_transaction_for_bdat;
  return std::nullopt;
}

void Session::State::on_bdat(std::string_view args, Output& out) {
  auto parsed = smtp::parse_bdat(args);
  // The chunk size is unknown, so nothing more can be consumed: the client is out of step and
  // its next "commands" are message octets, which the error count will soon cut short.
  if (!parsed) return respond(out, replies::bdat_syntax);

  chunk = Chunk{.remaining = parsed->size, .size = parsed->size, .last = parsed->last};
  mode = Mode::chunk;
  chunk.refusal = bdat_refusal();
  if (chunk.refusal) return;
  // The limit is checked against the announced size, so an oversize chunk is never written.
  // The transaction fails at this chunk, not at LAST: the 552 comes right after its octets.
  std::uint64_t max = settings.limits.max_message_size;
  if (txn.bdat_total > max || parsed->size > max - txn.bdat_total) {
    chunk.refusal = replies::message_too_big;  // RFC 1870 §6, RFC 3030 §2
    chunk.reason = "message too big";
    return;
  }
  chunk.write = true;
  txn.bdat_used = true;
  if (!txn.message_open) open_message(out);
}

std::size_t Session::State::read_chunk(std::string_view input, Output& out) {
  if (chunk.write) write_pending_received(out);
  auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.remaining, input.size()));
  if (chunk.write) {
    // RFC 3030 §2: chunk octets are the message as is; no dot-unstuffing.
    out.body.append(input.substr(0, n));
    scanner.scan(input.substr(0, n));
    capture_header(input.substr(0, n));
    txn.bdat_total += n;
  }
  chunk.remaining -= n;
  if (chunk.remaining == 0) finish_chunk(out);
  return n;
}

void Session::State::finish_chunk(Output& out) {
  mode = Mode::commands;
  Chunk done = chunk;
  chunk = Chunk{};
  if (done.refusal) {
    // A refused chunk ends any transaction it belonged to (RFC 3030 §2: the client treats
    // the transaction as failed); later chunks find no transaction and are dropped too.
    bool had_transaction = txn.active;
    if (had_transaction && !done.reason.empty()) {
      message_refused(out, *done.refusal, done.reason, txn.sender, txn.recipients.size(), txn.bdat_total + done.size);
    }
    if (had_transaction) reset_transaction(out);
    return respond(out, *done.refusal);
  }
  if (!done.last) return respond(out, replies::chunk_ok, std::to_string(done.size) + " octets received");
  scanner.finish();
  if (scanner.bare_line_ending()) return fail_message(out, replies::bare_line_ending, "bare line ending");
  if (scanner.has_nul()) return fail_message(out, replies::nul_in_data, "nul byte");
  finish_message(out);
}

// ---- the header From: (DESIGN §3.6) -----------------------------------------------------------

bool Session::State::header_check_wanted() const { return identity.has_value() && settings.check_header_from; }

// Only what the client sent is captured: the Received line in front of it is ours.
void Session::State::capture_header(std::string_view content) {
  if (header_check_wanted()) txn.header.feed(content);
}

// An authenticated identity may put only its own addresses in From:, as in MAIL FROM, or the
// envelope check is worth nothing to whoever reads the message. RFC 5321 §4.3.2 lists 550
// among the replies to the end of DATA (RFC 3030 §2 gives BDAT the same).
bool Session::State::refuse_header_from(Output& out) {
  if (!header_check_wanted()) return false;
  // A header section longer than the capture could hide a From: past its end.
  if (txn.header.truncated()) {
    fail_message(out, replies::header_from_unparseable, "header too long",
                 "Header section too long to check the From: header");
    return true;
  }
  auto parsed = smtp::parse_header_from(txn.header.header());
  if (!parsed) {
    fail_message(out, replies::header_from_unparseable, "header from unparseable");
    return true;
  }
  // No From: at all names nobody, so it spoofs nobody; RFC 5322 §3.6 requires one, and the
  // next hop or the reader's program deals with its absence.
  for (const auto& address : parsed->addresses) {
    if (policy::sender_owned(address, identity->senders)) continue;
    fail_message(out, replies::header_from_not_owned, "header from not owned",
                 std::string(replies::header_from_not_owned.text) + " <" + reply_text(address.to_string()) + ">");
    return true;
  }
  return false;
}

// ---- the open message -------------------------------------------------------------------------

void Session::State::open_message(Output& out) {
  txn.message_open = true;
  ReceivedFacts facts{
      .helo = *helo,
      .esmtp = esmtp,
      .client_address = client.address,
      .hostname = settings.hostname,
      .tls = tls ? &*tls : nullptr,
      .authenticated = identity.has_value(),  // RFC 3848: ESMTPA / ESMTPSA
      .smtputf8 = txn.smtputf8,
      .recipient = txn.recipients.size() == 1 ? std::string_view(txn.recipients.front()) : std::string_view(),
      .when = clock.now(),
  };
  // RFC 5321 §4.4: the trace line goes in front of the content; the driver gets it with the
  // first body octets, after it has opened the spool file.
  pending_received = received_header(facts);
  request(out, Action::begin_message);
}

void Session::State::write_pending_received(Output& out) {
  out.body += pending_received;
  pending_received.clear();
}

std::uint64_t Session::State::message_size() const {
  if (txn.bdat_used) return txn.bdat_total;
  return reader ? reader->size() : 0;
}

void Session::State::fail_message(Output& out, const ReplyCode& reply, std::string_view reason,
                                  std::optional<std::string> text) {
  message_refused(out, reply, reason, txn.sender, txn.recipients.size(), message_size());
  reset_transaction(out);  // asks for abort_message: the spool file is open
  if (text) return respond(out, reply, *text);
  respond(out, reply);
}

// The content was read whole and is sound: the checks on what it says, then the spool.
void Session::State::finish_message(Output& out) {
  if (refuse_header_from(out)) return;
  commit_message(out);
}

void Session::State::commit_message(Output& out) {
  out.envelope = make_envelope();
  mode = Mode::awaiting_commit;
  request(out, Action::commit_message);
}

Envelope Session::State::make_envelope() const {
  Envelope e;
  e.listener = settings.listener_name;
  e.client_address = client.address;
  e.client_port = client.port;
  e.helo = helo.value_or("");
  e.tls = tls;
  // The binding data is for this connection's SASL only, never for the queue record.
  if (e.tls) e.tls->channel_bindings.clear();
  e.auth = identity;
  e.sender = txn.sender;
  e.recipients = txn.recipients;
  e.body = txn.body;
  e.smtputf8 = txn.smtputf8;
  e.declared_size = txn.declared_size;
  e.received = clock.now();
  return e;
}

}  // namespace postern::session
