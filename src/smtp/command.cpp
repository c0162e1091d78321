#include "smtp/command.hpp"

#include <array>
#include <limits>

#include "base/strings.hpp"

namespace postern::smtp {

namespace {

struct VerbName {
  std::string_view name;
  Verb verb;
};

constexpr std::array<VerbName, 14> verbs{{
    {"EHLO", Verb::ehlo},
    {"HELO", Verb::helo},
    {"MAIL", Verb::mail},
    {"RCPT", Verb::rcpt},
    {"DATA", Verb::data},
    {"BDAT", Verb::bdat},
    {"RSET", Verb::rset},
    {"NOOP", Verb::noop},
    {"QUIT", Verb::quit},
    {"VRFY", Verb::vrfy},
    {"EXPN", Verb::expn},
    {"HELP", Verb::help},
    {"STARTTLS", Verb::starttls},
    {"AUTH", Verb::auth},
}};

bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// A control byte: C0, DEL. TAB is judged by the caller.
bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

// RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_esmtp_keyword(std::string_view s) {
  if (s.empty()) return false;
  auto first = static_cast<unsigned char>(s.front());
  if (!is_alpha(first) && !is_digit(first)) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
  }
  return true;
}

// RFC 5321 §4.1.2: esmtp-value = 1*(%d33-60 / %d62-126); RFC 6531 §3.3 adds UTF8-non-ascii.
// The UTF-8 itself is not validated here: values are opaque to the parser and each extension
// checks its own (e.g. xtext for ENVID).
bool is_esmtp_value(std::string_view s, bool smtputf8) {
  if (s.empty()) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      if (!smtputf8) return false;
      continue;
    }
    if (c < 33 || c > 126 || c == '=') return false;
  }
  return true;
}

// Finds the '>' closing a path that starts at text[0] == '<', skipping quoted strings (a
// quoted local part may hold '>' and spaces: <"a> b"@example.org>).
std::size_t find_path_end(std::string_view text) {
  bool in_quotes = false;
  for (std::size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '\\') {
        ++i;  // quoted-pair: the next octet is literal
      } else if (c == '"') {
        in_quotes = false;
      }
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

std::expected<std::vector<Parameter>, MailArgsFailure> split_params(std::string_view rest) {
  std::vector<Parameter> params;
  while (true) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    std::size_t sp = rest.find(' ');
    std::string_view token = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp);

    Parameter p;
    std::size_t eq = token.find('=');
    std::string_view keyword = token.substr(0, eq);
    if (!is_esmtp_keyword(keyword)) return std::unexpected(MailArgsFailure{MailArgsError::syntax});
    p.keyword = base::to_upper(keyword);
    if (eq != std::string_view::npos) {
      p.has_value = true;
      p.value = std::string(token.substr(eq + 1));
    }
    params.push_back(std::move(p));
  }
  return params;
}

std::expected<MailArgs, MailArgsFailure> parse_mail_args(std::string_view args, std::string_view keyword,
                                                         bool allow_null, bool allow_postmaster,
                                                         std::optional<bool> smtputf8) {
  auto fail = [](MailArgsError e, AddressError a = AddressError::syntax) {
    return std::unexpected(MailArgsFailure{e, a});
  };
  if (!base::istarts_with(args, keyword)) return fail(MailArgsError::syntax);
  args.remove_prefix(keyword.size());
  // RFC 5321 §4.1.1.2 has no space after the colon, but many clients send `MAIL FROM: <x>`.
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  if (args.empty() || args.front() != '<') return fail(MailArgsError::syntax);
  std::size_t end = find_path_end(args);
  if (end == std::string_view::npos) return fail(MailArgsError::syntax);
  std::string_view path_text = args.substr(0, end + 1);
  std::string_view rest = args.substr(end + 1);
  // RFC 5321 §4.1.1.2: parameters are separated from the path by SP.
  if (!rest.empty() && rest.front() != ' ') return fail(MailArgsError::syntax);

  auto params = split_params(rest);
  if (!params) return std::unexpected(params.error());
  bool utf8 = false;
  if (smtputf8) {
    utf8 = *smtputf8;
  } else {
    // RFC 6531 §3.4: the SMTPUTF8 parameter on MAIL permits UTF-8 in this transaction.
    for (const Parameter& p : *params) utf8 = utf8 || p.keyword == "SMTPUTF8";
  }
  for (const Parameter& p : *params) {
    if (p.has_value && !is_esmtp_value(p.value, utf8)) return fail(MailArgsError::syntax);
  }

  auto path = parse_path(path_text, allow_null, allow_postmaster, utf8);
  if (!path) return fail(MailArgsError::address, path.error());
  return MailArgs{std::move(*path), std::move(*params)};
}

}  // namespace

std::expected<Command, CommandError> parse_command(std::string_view line) {
  std::size_t sp = line.find(' ');
  std::string_view verb = line.substr(0, sp);
  std::string_view args = sp == std::string_view::npos ? std::string_view{} : line.substr(sp);
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);

  // RFC 5321 §2.3.8 / §4.1.1: CR and LF only end lines, and a command line carries text;
  // NUL and other controls are refused outright rather than guessed at.
  for (char ch : verb) {
    auto c = static_cast<unsigned char>(ch);
    if (is_control(c) || c >= 0x80) return std::unexpected(CommandError::bad_character);
  }
  for (char ch : args) {
    auto c = static_cast<unsigned char>(ch);
    if (is_control(c) && c != '\t') return std::unexpected(CommandError::bad_character);
  }

  for (const VerbName& v : verbs) {
    if (base::iequals(verb, v.name)) return Command{v.verb, args};
  }
  return std::unexpected(CommandError::unrecognized);
}

std::expected<MailArgs, MailArgsFailure> parse_mail_from(std::string_view args) {
  return parse_mail_args(args, "FROM:", /*allow_null=*/true, /*allow_postmaster=*/false, std::nullopt);
}

std::expected<MailArgs, MailArgsFailure> parse_rcpt_to(std::string_view args, bool smtputf8) {
  // RFC 5321 §4.1.1.3: RCPT TO:<Postmaster> must be accepted without a domain.
  return parse_mail_args(args, "TO:", /*allow_null=*/false, /*allow_postmaster=*/true, smtputf8);
}

std::expected<BdatArgs, CommandError> parse_bdat(std::string_view args) {
  // RFC 3030 §2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF;
  // chunk-size = 1*DIGIT; end-marker = "LAST".
  BdatArgs out;
  std::size_t i = 0;
  while (i < args.size() && is_digit(static_cast<unsigned char>(args[i]))) {
    auto d = static_cast<std::uint64_t>(args[i] - '0');
    if (out.size > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
      return std::unexpected(CommandError::unrecognized);
    }
    out.size = out.size * 10 + d;
    ++i;
  }
  if (i == 0) return std::unexpected(CommandError::unrecognized);
  std::string_view rest = args.substr(i);
  if (!rest.empty() && rest.front() != ' ') return std::unexpected(CommandError::unrecognized);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return out;
  if (!base::iequals(rest, "LAST")) return std::unexpected(CommandError::unrecognized);
  out.last = true;
  return out;
}

}  // namespace postern::smtp
