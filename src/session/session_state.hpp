#pragma once
// The inside of Session, shared by the files that implement it by concern:
//   session.cpp      the feed loop, dispatch, reply and error accounting, driver callbacks
//   greeting.cpp     EHLO/HELO, STARTTLS and the verbs that touch no transaction
//   transaction.cpp  MAIL and RCPT with their parameters
//   message.cpp      DATA and BDAT: reading the content, finishing the message
//   received.cpp     the Received: header
//   auth.cpp         AUTH (RFC 4954): the SASL exchange and what EHLO offers

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/registry.hpp"
#include "session/received.hpp"
#include "session/session.hpp"
#include "smtp/command.hpp"
#include "smtp/data_reader.hpp"
#include "smtp/header_from.hpp"
#include "smtp/line_framer.hpp"
#include "smtp/replies.hpp"

namespace postern::session {

/// One mail transaction: from an accepted MAIL to the reply that ends the message, RSET,
/// EHLO/HELO or STARTTLS (RFC 5321 §3.3).
struct Transaction {
  bool active = false;  ///< MAIL was accepted
  std::string sender;   ///< "" for the null path
  std::vector<std::string> recipients;
  std::string body = "7BIT";
  bool smtputf8 = false;
  std::uint64_t declared_size = 0;
  bool bdat_used = false;        ///< a BDAT chunk was accepted: DATA and RCPT are no longer allowed
  bool message_open = false;     ///< begin_message was asked for and not yet committed or aborted
  std::uint64_t bdat_total = 0;  ///< octets of the BDAT chunks accepted so far
  /// The header section as it streamed in, when the header From: is to be checked (message.cpp).
  smtp::HeaderCapture header;
};

/// Where the input stream is: command lines, a DATA body, or the octets of a BDAT chunk.
enum class Mode {
  commands,
  data,             ///< after 354, up to the terminator
  chunk,            ///< inside a BDAT chunk
  awaiting_tls,     ///< start_tls asked for; nothing is read until on_tls_started
  awaiting_commit,  ///< commit_message asked for; nothing is read until on_commit_result
  auth,             ///< inside an AUTH exchange: the next line is a SASL response (or "*")
  awaiting_auth,    ///< authenticate asked for; nothing is read until on_auth_resolved
  closed,
};

/// One AUTH command in progress.
struct AuthExchange {
  std::unique_ptr<sasl::Mechanism> mechanism;
  std::string name;                 ///< as registered
  std::optional<AuthInfo> pending;  ///< the identity the last store answer spoke for
  /// SCRAM's server-final-message went out as a 334 (RFC 4954 §4: SMTP has no success with
  /// data); the client owes an empty line before 235.
  bool awaiting_final = false;
  std::chrono::system_clock::time_point started;  ///< when the AUTH command was read
};

/// Bare CR / bare LF / NUL detection over BDAT chunks, which carry raw octets. Without
/// BINARYMIME the content is still CRLF-delimited text (RFC 3030 §3), and a bare line ending
/// passed on to a DATA-speaking next hop is exactly what SMTP smuggling needs (RFC 5321 §2.3.8).
class ChunkScanner {
 public:
  void scan(std::string_view bytes);
  /// Call at the end of the last chunk: a trailing CR is bare.
  void finish();
  bool bare_line_ending() const { return bare_; }
  bool has_nul() const { return nul_; }

 private:
  bool after_cr_ = false;
  bool bare_ = false;
  bool nul_ = false;
};

/// The current BDAT chunk.
struct Chunk {
  std::uint64_t remaining = 0;
  std::uint64_t size = 0;
  bool last = false;
  bool write = false;                      ///< the octets belong to the open message (else they are read and dropped)
  std::optional<smtp::ReplyCode> refusal;  ///< the reply owed after the octets are read
  std::string_view reason;                 ///< MessageEvent reason when the refusal ends the transaction
};

/// "250 2.0.0": a reply as events name it.
std::string reply_tag(const smtp::ReplyCode& reply);
/// `text` made fit for a reply line (RFC 5321 §4.2: textstring is HT and printable ASCII):
/// other octets become "?", and more than `max` octets are cut short with "...".
std::string reply_text(std::string_view text, std::size_t max = 200);

struct Session::State {
  State(const Settings& settings, const policy::RelayPolicy& relay, const base::Clock& clock, ClientInfo client,
        std::optional<TlsInfo> tls_at_connect);

  const Settings& settings;
  const policy::RelayPolicy& relay;
  const base::Clock& clock;
  const ClientInfo client;
  const bool tls_at_connect;
  std::optional<TlsInfo> tls;

  std::size_t framer_limit;  ///< command_line_max, or 12288 when AUTH is offered (see auth.cpp)
  smtp::LineFramer framer;
  Mode mode = Mode::commands;
  std::optional<std::string> helo;  ///< the EHLO/HELO argument once accepted
  bool esmtp = false;               ///< EHLO rather than HELO
  Transaction txn;
  std::optional<smtp::DataReader> reader;
  Chunk chunk;
  ChunkScanner scanner;
  std::string pending_received;  ///< the Received: header, written before the first body octet
  std::size_t errors = 0;
  std::size_t commands = 0;
  smtp::LineFramer auth_framer;         ///< SASL response lines (RFC 4954 §4: 12288 octets)
  std::optional<AuthExchange> exchange;
  std::optional<AuthInfo> identity;     ///< after 235; forgotten only at STARTTLS
  /// AUTH exchanges that ended in 535 or 454 on this connection; never reset (not by RSET,
  /// not by STARTTLS): the limit bounds guesses per connection (see auth.cpp).
  std::size_t auth_failures = 0;

  // session.cpp: replies, actions and accounting.
  void respond(Output& out, const smtp::ReplyCode& reply);
  void respond(Output& out, const smtp::ReplyCode& reply, std::string_view text);
  void request(Output& out, Action action);
  void close(Output& out, const smtp::ReplyCode& reply);
  void reset_transaction(Output& out);
  /// A transaction (or its start) refused for policy, for the log (MessageEvent).
  void message_refused(Output& out, const smtp::ReplyCode& reply, std::string_view reason, std::string sender,
                       std::size_t recipients, std::uint64_t size);
  const AuthInfo* identity_or_null() const { return identity ? &*identity : nullptr; }
  bool tls_active() const { return tls.has_value(); }

  // session.cpp: the command stream.
  std::size_t read_commands(std::string_view input, Output& out);
  void on_line(std::string_view line, Output& out);
  std::optional<smtp::ReplyCode> gate(smtp::Verb verb) const;
  void dispatch(const smtp::Command& command, Output& out);

  // greeting.cpp
  void on_ehlo(std::string_view args, bool extended, Output& out);
  std::vector<std::string> ehlo_keywords() const;
  void on_starttls(std::string_view args, Output& out);
  std::optional<smtp::ReplyCode> starttls_refusal(std::string_view args) const;
  void on_simple(const smtp::Command& command, Output& out);

  // auth.cpp
  std::vector<std::string_view> offered_mechanisms() const;
  sasl::Context sasl_context() const;
  void on_auth(std::string_view args, Output& out);
  std::optional<smtp::ReplyCode> auth_refusal() const;
  std::optional<smtp::ReplyCode> mechanism_refusal(std::string_view name) const;
  std::size_t read_auth(std::string_view input, Output& out);
  void on_auth_line(std::string_view line, Output& out);
  void on_auth_step(const sasl::Step& step, Output& out);
  void finish_auth(Output& out, const smtp::ReplyCode& reply, bool success, std::string detail);
  void refuse_auth(Output& out, std::string_view mechanism, const smtp::ReplyCode& reply, std::string detail);
  bool command_line_too_long(std::string_view line) const;

  // transaction.cpp
  void on_mail(std::string_view args, Output& out);
  std::optional<smtp::ReplyCode> mail_refusal() const;
  void on_rcpt(std::string_view args, Output& out);
  std::optional<smtp::ReplyCode> rcpt_refusal() const;

  // message.cpp
  void on_data(std::string_view args, Output& out);
  std::optional<smtp::ReplyCode> data_refusal(std::string_view args) const;
  void on_bdat(std::string_view args, Output& out);
  std::optional<smtp::ReplyCode> bdat_refusal() const;
  std::size_t read_data(std::string_view input, Output& out);
  std::size_t read_chunk(std::string_view input, Output& out);
  void finish_chunk(Output& out);
  void open_message(Output& out);
  void fail_message(Output& out, const smtp::ReplyCode& reply, std::string_view reason,
                    std::optional<std::string> text = std::nullopt);
  void finish_message(Output& out);
  std::uint64_t message_size() const;
  bool header_check_wanted() const;
  void capture_header(std::string_view content);
  bool refuse_header_from(Output& out);
  void commit_message(Output& out);
  Envelope make_envelope() const;
  void write_pending_received(Output& out);
};

}  // namespace postern::session
