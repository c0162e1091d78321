// EHLO/HELO, STARTTLS and the verbs that touch no transaction.

#include "base/strings.hpp"
#include "session/session_state.hpp"
#include "smtp/address.hpp"

namespace postern::session {

using smtp::ReplyCode;
using smtp::Verb;
namespace replies = smtp::replies;

void Session::State::on_ehlo(std::string_view args, bool extended, Output& out) {
  auto name = base::trim(args);
  // RFC 5321 §4.1.1.1: the argument is the client's domain or an address literal.
  if (!smtp::is_valid_helo_argument(name)) return respond(out, replies::helo_syntax);

  // RFC 5321 §4.1.4: EHLO/HELO in the middle of a transaction resets it, like RSET.
  reset_transaction(out);
  helo = std::string(name);
  esmtp = extended;

  std::string first = settings.hostname + " " + std::string(replies::helo_ok.text) + " " + *helo + " " +
                      address_literal(client.address);
  if (!extended) return respond(out, replies::helo_ok, first);
  std::vector<std::string> lines{first};
  auto keywords = ehlo_keywords();
  lines.insert(lines.end(), keywords.begin(), keywords.end());
  // RFC 2034 §3: the EHLO reply carries no enhanced code.
  out.replies += smtp::format_multiline(replies::helo_ok.code, replies::helo_ok.status, lines);
}

std::vector<std::string> Session::State::ehlo_keywords() const {
  std::vector<std::string> keywords{
      "PIPELINING",                                                // RFC 2920
      "SIZE " + std::to_string(settings.limits.max_message_size),  // RFC 1870
      "8BITMIME",                                                  // RFC 6152
      "ENHANCEDSTATUSCODES",                                       // RFC 2034
      "SMTPUTF8",                                                  // RFC 6531
      "CHUNKING",                                                  // RFC 3030
  };
  // RFC 3207 §4.2: not offered again once TLS is up, nor on an implicit-TLS listener.
  if (settings.starttls_available && !tls_active() && !tls_at_connect) keywords.emplace_back("STARTTLS");
  // RFC 4954 §3: only the mechanisms that may be used now (see AuthSettings).
  auto mechanisms = offered_mechanisms();
  if (!mechanisms.empty()) {
    std::string line = "AUTH";
    for (auto name : mechanisms) (line += ' ') += name;
    keywords.push_back(std::move(line));
  }
  return keywords;
}

// STARTTLS sequencing in one place (RFC 3207 §4).
std::optional<ReplyCode> Session::State::starttls_refusal(std::string_view args) const {
  if (tls_active()) return replies::tls_already_active;
  if (!base::trim(args).empty()) return replies::syntax_params;  // RFC 3207 §4: no parameters
  // Without a certificate STARTTLS is not offered; the verb is then simply not implemented here.
  if (!settings.starttls_available || tls_at_connect) return replies::not_implemented;
  if (txn.active) return replies::starttls_in_transaction;
  return std::nullopt;
}

void Session::State::on_starttls(std::string_view args, Output& out) {
  if (auto refusal = starttls_refusal(args)) return respond(out, *refusal);
  respond(out, replies::tls_go_ahead);
  // RFC 3207 §4.2 and the STARTTLS injection attacks (CVE-2011-0411): nothing after this line
  // may be read as a command; feed() stops here and the driver drops what it has buffered.
  mode = Mode::awaiting_tls;
  request(out, Action::start_tls);
}

void Session::State::on_simple(const smtp::Command& command, Output& out) {
  bool has_args = !base::trim(command.args).empty();
  switch (command.verb) {
    case Verb::rset:  // RFC 5321 §4.1.1.5: no parameters; clears the transaction, keeps EHLO
      if (has_args) return respond(out, replies::syntax_params);
      reset_transaction(out);
      return respond(out, replies::reset_ok);
    case Verb::noop:  // RFC 5321 §4.1.1.9: a parameter is allowed and ignored
      return respond(out, replies::ok);
    case Verb::quit:  // RFC 5321 §4.1.1.10
      if (has_args) return respond(out, replies::syntax_params);
      return close(out, replies::closing);
    case Verb::vrfy:  // RFC 5321 §3.5.3: 252 whoever is asked about; nothing is revealed
      if (!has_args) return respond(out, replies::syntax_params);
      return respond(out, replies::cannot_vrfy);
    case Verb::expn:  // RFC 5321 §3.5.2: mailing lists are not disclosed
      return respond(out, replies::not_implemented);
    case Verb::help:
      return respond(out, replies::help);
    default:
      return respond(out, replies::unrecognized);
  }
}

}  // namespace postern::session
