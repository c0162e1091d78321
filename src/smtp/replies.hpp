#pragma once
// Every reply Postern sends, named once with its enhanced status code (STYLE §7).
// Basic codes: RFC 5321 §4.2; enhanced codes: RFC 3463 and the IANA registry (RFC 5248).
// The enhanced code is omitted on the greeting and on the EHLO/HELO reply (RFC 2034 §3), and on
// 354, which is an intermediate reply.

#include <span>
#include <string>
#include <string_view>

namespace postern::smtp {

/// A reply as declared: code, enhanced status ("" for none) and default text.
struct ReplyCode {
  int code;
  std::string_view status;
  std::string_view text;
};

/// "250 2.0.0 text\r\n"; the text may be replaced, e.g. to name a queue id.
std::string format_reply(const ReplyCode& r);
std::string format_reply(const ReplyCode& r, std::string_view text);
/// A multi-line reply: "250-line1\r\n250 line2\r\n" (RFC 5321 §4.2.1). Lines must not be empty.
std::string format_multiline(int code, std::string_view status, std::span<const std::string> lines);

namespace replies {
// 2xx
inline constexpr ReplyCode closing{221, "2.0.0", "Bye"};
inline constexpr ReplyCode ok{250, "2.0.0", "OK"};
inline constexpr ReplyCode reset_ok{250, "2.0.0", "Reset state"};
inline constexpr ReplyCode sender_ok{250, "2.1.0", "Sender OK"};
inline constexpr ReplyCode recipient_ok{250, "2.1.5", "Recipient OK"};
inline constexpr ReplyCode queued{250, "2.0.0", "OK queued"};        // text names the queue id
inline constexpr ReplyCode chunk_ok{250, "2.0.0", "Chunk accepted"};  // RFC 3030 §2: non-LAST BDAT
// RFC 5321 §3.5.3: 252 when the server will not verify; never reveals whether an account exists.
inline constexpr ReplyCode cannot_vrfy{252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"};
inline constexpr ReplyCode help{214, "2.0.0", "Commands: EHLO HELO AUTH MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS"};
inline constexpr ReplyCode tls_go_ahead{220, "2.0.0", "Ready to start TLS"};  // RFC 3207 §4
// RFC 5321 §4.2, §4.1.1.1; RFC 2034 §3: no enhanced code on the greeting or the EHLO/HELO reply.
// The session puts its host name in front of the text.
inline constexpr ReplyCode service_ready{220, "", "ESMTP Postern"};
inline constexpr ReplyCode helo_ok{250, "", "Hello"};
// RFC 4954 §6: AUTH succeeded.
inline constexpr ReplyCode auth_ok{235, "2.7.0", "Authentication successful"};
// 3xx
inline constexpr ReplyCode start_mail_input{354, "", "End data with <CR><LF>.<CR><LF>"};
// RFC 4954 §4: a SASL challenge; the session puts base64 of the challenge in place of the text
// (an empty challenge is a bare "334 "). Intermediate: no enhanced code.
inline constexpr ReplyCode auth_challenge{334, "", ""};
// 4xx
inline constexpr ReplyCode shutting_down{421, "4.3.2", "Service shutting down, closing transmission channel"};
inline constexpr ReplyCode timeout{421, "4.4.2", "Timeout exceeded, closing transmission channel"};
inline constexpr ReplyCode too_many_errors{421, "4.7.0", "Too many errors, closing transmission channel"};
inline constexpr ReplyCode too_many_commands{421, "4.7.0", "Too many commands, closing transmission channel"};
/// RFC 4954 §9: after the third failed AUTH on one connection.
inline constexpr ReplyCode auth_too_many_failures{421, "4.7.0", "Too many authentication failures, closing connection"};
inline constexpr ReplyCode too_many_connections{421, "4.7.0", "Too many connections, try again later"};
inline constexpr ReplyCode too_many_connections_from_ip{421, "4.7.0", "Too many connections from your address, try again later"};
/// DESIGN §3.7: at connect, for an address (or its network) over the failed-AUTH limit.
inline constexpr ReplyCode address_throttled{421, "4.7.0", "Too many failed logins from your address, try again later"};
/// At connect, over [abuse] connections_per_minute for the address.
inline constexpr ReplyCode connection_rate_exceeded{421, "4.7.0", "Too many new connections from your address, try again later"};
inline constexpr ReplyCode local_error{451, "4.3.0", "Local error in processing, try again later"};
inline constexpr ReplyCode directory_unavailable{451, "4.3.0", "Recipient lookup temporarily unavailable, try again later"};
inline constexpr ReplyCode too_many_recipients{452, "4.5.3", "Too many recipients"};
// Sending rate limits (policy::RateLimiter through session::SendPolicy); the session puts the
// limiter's text in place of these. MAIL: RFC 3463 X.7.1, not authorized now. RCPT: RFC 5321
// §4.5.3.1.10 gives 452 for too many recipients; RFC 3463 X.5.3.
inline constexpr ReplyCode rate_limited_messages{451, "4.7.1", "Message rate limit exceeded, try again later"};
inline constexpr ReplyCode rate_limited_recipients{452, "4.5.3", "Recipient rate limit exceeded, try again later"};
inline constexpr ReplyCode tls_unavailable{454, "4.7.0", "TLS not available due to temporary reason"};
// RFC 4954 §6: the credential store or token validator could not answer (STYLE §6): never 535.
inline constexpr ReplyCode auth_temporary_failure{454, "4.7.0", "Temporary authentication failure"};
// 5xx
inline constexpr ReplyCode line_too_long{500, "5.5.2", "Line too long"};  // RFC 5321 §4.5.3.1.4
inline constexpr ReplyCode bad_character{500, "5.5.2", "Invalid character in command"};
inline constexpr ReplyCode unrecognized{500, "5.5.2", "Syntax error, command unrecognized"};
inline constexpr ReplyCode syntax_params{501, "5.5.4", "Syntax error in parameters or arguments"};
inline constexpr ReplyCode helo_syntax{501, "5.5.4", "Syntax: EHLO hostname"};
inline constexpr ReplyCode bad_sender_syntax{501, "5.1.7", "Bad sender address syntax"};
inline constexpr ReplyCode bad_recipient_syntax{501, "5.1.3", "Bad recipient address syntax"};
inline constexpr ReplyCode bdat_syntax{501, "5.5.4", "Syntax: BDAT size [LAST]"};
inline constexpr ReplyCode auth_syntax{501, "5.5.4", "Syntax: AUTH mechanism [initial-response]"};
// RFC 4954 §4: "*" cancels the exchange; the reply is 501.
inline constexpr ReplyCode auth_cancelled{501, "5.7.0", "Authentication cancelled"};
// RFC 4954 §4: a response that is not base64 ends the exchange with 501.
inline constexpr ReplyCode auth_bad_base64{501, "5.5.2", "Cannot decode base64 response"};
// The mechanism's own syntax was broken (RFC 4422 §3.6: the exchange fails).
inline constexpr ReplyCode auth_malformed{501, "5.5.2", "Malformed authentication response"};
// RFC 4954 §4: a response line longer than 12288 octets ends the exchange.
inline constexpr ReplyCode auth_line_too_long{500, "5.5.6", "Authentication exchange line is too long"};
inline constexpr ReplyCode not_implemented{502, "5.5.1", "Command not implemented"};
inline constexpr ReplyCode need_helo{503, "5.5.1", "Send EHLO or HELO first"};
inline constexpr ReplyCode need_mail{503, "5.5.1", "Need MAIL command first"};
inline constexpr ReplyCode need_rcpt{503, "5.5.1", "Need RCPT command first"};
inline constexpr ReplyCode nested_mail{503, "5.5.1", "Sender already specified"};
inline constexpr ReplyCode tls_already_active{503, "5.5.1", "TLS already active"};
// RFC 4954 §4: no AUTH after a successful one, nor during a mail transaction.
inline constexpr ReplyCode auth_already{503, "5.5.1", "Already authenticated"};
inline constexpr ReplyCode auth_in_transaction{503, "5.5.1", "AUTH not permitted during a mail transaction"};
// RFC 4954 §4, §6: a mechanism this server does not have (or cannot run on this connection).
inline constexpr ReplyCode auth_unknown_mechanism{504, "5.5.4", "Unrecognized authentication type"};
inline constexpr ReplyCode data_after_bdat{503, "5.5.1", "DATA not allowed after BDAT in one transaction"};
inline constexpr ReplyCode no_transaction_for_bdat{503, "5.5.1", "No valid transaction for BDAT"};
// RFC 3030 §2 lets BDAT chunks follow the accepted recipients; a recipient added after the first
// chunk would be missing from the Received line already written, so it is refused.
inline constexpr ReplyCode rcpt_after_bdat{503, "5.5.1", "RCPT not allowed after BDAT in one transaction"};
// RFC 3207 §4.2 throws away all state at the handshake; like Postfix, a transaction in progress
// is not silently dropped that way: the client must finish it or RSET first.
inline constexpr ReplyCode starttls_in_transaction{503, "5.5.1", "STARTTLS not allowed during a mail transaction"};
inline constexpr ReplyCode smtputf8_needs_8bit{555, "5.5.4", "SMTPUTF8 needs BODY=8BITMIME or no BODY parameter"};
// RFC 3207 §4 and RFC 4954 §4/§6.
inline constexpr ReplyCode must_starttls{530, "5.7.0", "Must issue a STARTTLS command first"};
inline constexpr ReplyCode auth_required{530, "5.7.0", "Authentication required"};
// RFC 4954 §6. One reply for every credential failure, whatever the cause (DESIGN §3.7).
inline constexpr ReplyCode auth_invalid{535, "5.7.8", "Authentication credentials invalid"};
// RFC 4954 §6: the mechanism is one this listener's policy does not allow.
inline constexpr ReplyCode auth_too_weak{534, "5.7.9", "Authentication mechanism is too weak"};
// RFC 4954 §6: the mechanism may only be used once the connection is encrypted.
inline constexpr ReplyCode auth_needs_encryption{538, "5.7.11", "Encryption required for requested authentication mechanism"};
inline constexpr ReplyCode unknown_user{550, "5.1.1", "Recipient address rejected: no such user"};
inline constexpr ReplyCode relay_denied{554, "5.7.1", "Relay access denied"};
// RFC 5321 §3.1: 554 instead of 220 at connect, for a client outside the listener's allow/deny
// networks (RFC 3463 §3.8: X.7.1, not authorized). §3.1 would have the server wait for QUIT
// and answer 503 until then; Postern closes at once instead, like a 421, so a refused address
// holds no socket.
inline constexpr ReplyCode access_denied{554, "5.7.1", "Access denied"};
// RFC 5321 §3.1: after 554 in place of the greeting, every command but QUIT gets 503.
inline constexpr ReplyCode access_denied_quit_only{503, "5.7.1", "Access denied; only QUIT is accepted"};
// DESIGN §3.6: an authenticated identity sends only from its own addresses. RFC 5321 §4.2.2:
// 553 "mailbox name not allowed"; RFC 3463 §3.8: X.7.1 "delivery not authorized".
inline constexpr ReplyCode sender_not_owned{553, "5.7.1", "Sender address not owned by user"};
// DESIGN §3.6 for the header From: at the end of the message. RFC 5321 §4.3.2 lists 550
// ("rejections for policy reasons"), not 553, among the replies to the end of DATA. The session
// names the address after the text, or says why the header could not be checked.
inline constexpr ReplyCode header_from_not_owned{550, "5.7.1", "Sender address not owned by user: header From:"};
inline constexpr ReplyCode header_from_unparseable{550, "5.7.1", "The From: header cannot be parsed"};
inline constexpr ReplyCode utf8_address_needs_smtputf8{553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter"};  // RFC 6531 §3.5
inline constexpr ReplyCode message_too_big{552, "5.3.4", "Message size exceeds fixed maximum message size"};  // RFC 1870 §6
// SMTP smuggling: a message with a bare CR or LF is refused, never normalised (RFC 5321 §2.3.8).
inline constexpr ReplyCode bare_line_ending{554, "5.5.2", "Message contains a bare CR or LF, which RFC 5321 §2.3.8 forbids"};
inline constexpr ReplyCode nul_in_data{554, "5.6.0", "Message contains a NUL byte"};
inline constexpr ReplyCode unsupported_parameter{555, "5.5.4", "MAIL FROM/RCPT TO parameter not recognized or not implemented"};  // RFC 5321 §4.1.1.11
inline constexpr ReplyCode unsupported_body{555, "5.5.4", "Unsupported BODY type"};
}  // namespace replies

}  // namespace postern::smtp
