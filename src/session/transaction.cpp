// MAIL and RCPT: opening a transaction and collecting its recipients.

#include <charconv>
#include <variant>

#include "base/strings.hpp"
#include "policy/sender.hpp"
#include "session/session_state.hpp"

namespace postern::session {

using smtp::ReplyCode;
namespace replies = smtp::replies;

namespace {

/// The MAIL parameters this server understands, once checked.
struct MailParams {
  std::string body = "7BIT";
  bool body_given = false;
  bool smtputf8 = false;
  std::uint64_t declared_size = 0;
};

bool parse_decimal(std::string_view text, std::uint64_t& value) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

// One parameter; nullopt when accepted.
std::optional<ReplyCode> apply_mail_param(const smtp::Parameter& p, std::size_t max_size, MailParams& params) {
  if (p.keyword == "SIZE") {
    // RFC 1870 §6: a declared size above our limit is refused right at MAIL.
    if (!p.has_value || !parse_decimal(p.value, params.declared_size)) return replies::syntax_params;
    if (params.declared_size > max_size) return replies::message_too_big;
    return std::nullopt;
  }
  if (p.keyword == "BODY") {
    // RFC 6152 §2: 7BIT or 8BITMIME; BINARYMIME (RFC 3030 §3) is not offered.
    if (!p.has_value) return replies::syntax_params;
    if (base::iequals(p.value, "7BIT")) {
      params.body = "7BIT";
    } else if (base::iequals(p.value, "8BITMIME")) {
      params.body = "8BITMIME";
    } else {
      return replies::unsupported_body;
    }
    params.body_given = true;
    return std::nullopt;
  }
  if (p.keyword == "SMTPUTF8") {  // RFC 6531 §3.4: no value
    if (p.has_value) return replies::syntax_params;
    params.smtputf8 = true;
    return std::nullopt;
  }
  // RFC 4954 §5: AUTH=<xtext> names who submitted the message at the previous hop. A client's
  // say-so proves nothing, so it is accepted and not acted upon; the identity in the envelope
  // is only ever the one proved with AUTH on this connection.
  if (p.keyword == "AUTH") return p.has_value ? std::nullopt : std::optional<ReplyCode>(replies::syntax_params);
  return replies::unsupported_parameter;  // RFC 5321 §4.1.1.11: 555
}

std::variant<MailParams, ReplyCode> check_mail_params(const std::vector<smtp::Parameter>& list, std::size_t max_size) {
  MailParams params;
  for (std::size_t i = 0; i < list.size(); ++i) {
    // RFC 5321 §4.1.2 gives each keyword once at most.
    for (std::size_t j = 0; j < i; ++j) {
      if (list[j].keyword == list[i].keyword) return replies::syntax_params;
    }
    if (auto refusal = apply_mail_param(list[i], max_size, params)) return *refusal;
  }
  if (params.smtputf8) {
    // UTF-8 header fields are 8-bit content (RFC 6532 §3), which BODY=7BIT denies.
    if (params.body_given && params.body == "7BIT") return replies::smtputf8_needs_8bit;
    params.body = "8BITMIME";
  }
  return params;
}

ReplyCode address_refusal(const smtp::MailArgsFailure& failure, const ReplyCode& syntax) {
  if (failure.error == smtp::MailArgsError::address && failure.address_error == smtp::AddressError::non_ascii) {
    return replies::utf8_address_needs_smtputf8;  // RFC 6531 §3.5: 553 5.6.7
  }
  return syntax;
}

ReplyCode verdict_reply(policy::RecipientVerdict verdict) {
  switch (verdict) {
    case policy::RecipientVerdict::accept:
      return replies::recipient_ok;
    case policy::RecipientVerdict::unknown_user:
      return replies::unknown_user;
    case policy::RecipientVerdict::relay_denied:
      return replies::relay_denied;
    case policy::RecipientVerdict::temporary_failure:
      return replies::directory_unavailable;
  }
  return replies::directory_unavailable;
}

// A limiter's refusal text as the reply's text; the reply's own when it gave none.
std::string limit_text(std::string_view text, const ReplyCode& reply) {
  return text.empty() ? std::string(reply.text) : reply_text(text);
}

}  // namespace

// MAIL sequencing and standing in one place (RFC 5321 §4.1.4, RFC 4954 §6).
std::optional<ReplyCode> Session::State::mail_refusal() const {
  if (!helo) return replies::need_helo;
  if (txn.active) return replies::nested_mail;
  // RFC 4954 §6 / RFC 6409 §4.3: an identity, or a trusted network, is needed to submit.
  if (settings.require_auth && !client.trusted_network && !identity) return replies::auth_required;
  return std::nullopt;
}

void Session::State::on_mail(std::string_view args, Output& out) {
  if (auto refusal = mail_refusal()) return respond(out, *refusal);
  auto parsed = smtp::parse_mail_from(args);
  if (!parsed) return respond(out, address_refusal(parsed.error(), replies::bad_sender_syntax));
  auto params = check_mail_params(parsed->params, settings.limits.max_message_size);
  if (auto* refusal = std::get_if<ReplyCode>(&params)) return respond(out, *refusal);
  auto& accepted = std::get<MailParams>(params);
  std::string sender = parsed->path.mailbox ? parsed->path.mailbox->to_string() : std::string();
  // DESIGN §3.6: one identity per message, and the envelope sender must be one of its
  // addresses (or in one of its domains). The null path only with the operator's "<>" grant:
  // bounces are the server's to send, not a user's. Without an identity (a trusted network,
  // inbound mail from strangers) there is nobody to own it.
  if (identity && !(parsed->path.mailbox ? policy::sender_owned(*parsed->path.mailbox, identity->senders)
                                         : policy::null_sender_allowed(identity->senders))) {
    message_refused(out, replies::sender_not_owned, "sender not owned", sender, 0, 0);
    return respond(out, replies::sender_not_owned);
  }
  if (settings.send_policy) {
    if (auto text = settings.send_policy->refuse_message(client, identity_or_null(), clock.now())) {
      message_refused(out, replies::rate_limited_messages, "message rate limit", sender, 0, 0);
      return respond(out, replies::rate_limited_messages, limit_text(*text, replies::rate_limited_messages));
    }
  }

  txn = Transaction{};
  txn.active = true;
  txn.sender = std::move(sender);
  txn.body = accepted.body;
  txn.smtputf8 = accepted.smtputf8;
  txn.declared_size = accepted.declared_size;
  respond(out, replies::sender_ok);
}

// RCPT sequencing in one place (RFC 5321 §4.1.4, RFC 3030 §2).
std::optional<ReplyCode> Session::State::rcpt_refusal() const {
  if (!txn.active) return replies::need_mail;
  if (txn.bdat_used) return replies::rcpt_after_bdat;
  // RFC 5321 §4.5.3.1.10: 452 and the client sends the rest in another transaction.
  if (txn.recipients.size() >= settings.limits.max_recipients) return replies::too_many_recipients;
  return std::nullopt;
}

void Session::State::on_rcpt(std::string_view args, Output& out) {
  if (auto refusal = rcpt_refusal()) return respond(out, *refusal);
  auto parsed = smtp::parse_rcpt_to(args, txn.smtputf8);
  if (!parsed) return respond(out, address_refusal(parsed.error(), replies::bad_recipient_syntax));
  // No RCPT parameter is offered yet (DSN's NOTIFY/ORCPT come with delivery status support).
  if (!parsed->params.empty()) return respond(out, replies::unsupported_parameter);

  policy::ClientStanding standing{.authenticated = identity.has_value(), .trusted_network = client.trusted_network};
  auto verdict = relay.check_recipient(parsed->path, standing);
  if (verdict != policy::RecipientVerdict::accept) return respond(out, verdict_reply(verdict));
  // Asked last, for a recipient that would otherwise be taken, so refused ones do not count.
  if (settings.send_policy) {
    auto text = settings.send_policy->refuse_recipient(client, identity_or_null(), txn.recipients.size() + 1,
                                                       clock.now());
    if (text) {
      message_refused(out, replies::rate_limited_recipients, "recipient rate limit", txn.sender,
                      txn.recipients.size(), 0);
      return respond(out, replies::rate_limited_recipients, limit_text(*text, replies::rate_limited_recipients));
    }
  }

  // RFC 5321 §4.1.1.3: a bare <postmaster> is ours; the policy looked it up at the primary
  // domain, and the envelope names that mailbox so delivery sees a full address.
  txn.recipients.push_back(parsed->path.mailbox ? parsed->path.mailbox->to_string()
                                                : "postmaster@" + std::string(relay.primary_domain()));
  respond(out, replies::recipient_ok);
}

}  // namespace postern::session
