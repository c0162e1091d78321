#pragma once
// SMTP command parsing (RFC 5321 §4.1.1; BDAT RFC 3030 §2; parameters RFC 5321 §4.1.2).

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smtp/address.hpp"

namespace postern::smtp {

enum class Verb { ehlo, helo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help, starttls, auth, unknown };

/// A command line split into its verb and the rest (`args`, views into the line, leading
/// spaces removed).
struct Command {
  Verb verb = Verb::unknown;
  std::string_view args;
};

enum class CommandError {
  bad_character,  ///< NUL, bare CR or another control byte in the line (500 5.5.2)
  unrecognized,   ///< unknown verb (500 5.5.2)
};

/// Splits a line (without CRLF). Verbs are case-insensitive. Control bytes other than TAB and
/// bytes >= 0x80 in the verb are refused; bytes >= 0x80 are allowed in arguments (SMTPUTF8).
std::expected<Command, CommandError> parse_command(std::string_view line);

/// An ESMTP parameter `KEYWORD[=value]`; keyword upper-cased, value as sent (xtext not decoded).
struct Parameter {
  std::string keyword;
  std::string value;
  bool has_value = false;
};

/// `MAIL FROM:<path> [params]` / `RCPT TO:<path> [params]`. The `FROM:`/`TO:` keyword is
/// case-insensitive; like most servers, spaces after the colon are tolerated.
struct MailArgs {
  Path path;
  std::vector<Parameter> params;
};

enum class MailArgsError {
  syntax,        ///< missing FROM:/TO:, brackets, or malformed parameter
  address,       ///< the path itself is malformed (see address_error)
};
struct MailArgsFailure {
  MailArgsError error;
  AddressError address_error = AddressError::syntax;
};

/// `smtputf8` for MAIL is decided from the parameters themselves (SMTPUTF8 keyword present); for
/// RCPT the caller passes whether the transaction has it.
std::expected<MailArgs, MailArgsFailure> parse_mail_from(std::string_view args);
std::expected<MailArgs, MailArgsFailure> parse_rcpt_to(std::string_view args, bool smtputf8);

/// `BDAT <chunk-size> [LAST]` (RFC 3030 §2). chunk-size is 1*DIGIT; values that overflow
/// 64 bits are a syntax error.
struct BdatArgs {
  std::uint64_t size = 0;
  bool last = false;
};
std::expected<BdatArgs, CommandError> parse_bdat(std::string_view args);

}  // namespace postern::smtp
