// libFuzzer target for the command-line parsers: the framer, parse_command, MAIL/RCPT
// arguments, paths, BDAT and EHLO names. Crashes, sanitizer reports and broken invariants
// (__builtin_trap) are findings.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/address.hpp"
#include "smtp/command.hpp"
#include "smtp/line_framer.hpp"

namespace {

using namespace postern::smtp;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool has_upper_ascii(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

bool has_non_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

// Invariants of a parsed mailbox: domain folded, UTF-8 flagged, and to_string() parses back
// to the same mailbox.
void check_mailbox(const Mailbox& m, bool smtputf8) {
  check(!m.domain.empty());
  if (m.domain.front() != '[') check(!has_upper_ascii(m.domain));
  check(m.utf8 == (has_non_ascii(m.local) || has_non_ascii(m.domain)));
  if (!smtputf8) check(!m.utf8);
  const std::string text = "<" + m.to_string() + ">";
  auto again = parse_path(text, false, false, true);
  check(again.has_value() && again->mailbox.has_value());
  check(again->mailbox->local == m.local);
  check(again->mailbox->domain == m.domain);
  check(again->mailbox->to_string() == m.to_string());
}

void check_path(std::string_view text, bool allow_null, bool allow_postmaster, bool smtputf8) {
  auto p = parse_path(text, allow_null, allow_postmaster, smtputf8);
  if (!p) {
    // Only a path that is valid with SMTPUTF8 may be refused for being non-ASCII.
    if (p.error() == AddressError::non_ascii) {
      check(!smtputf8);
      check(parse_path(text, allow_null, allow_postmaster, true).has_value());
    }
    return;
  }
  check(text.size() <= 256);
  if (p->postmaster) check(allow_postmaster && !p->mailbox);
  if (!p->mailbox && !p->postmaster) check(allow_null && text == "<>");
  if (p->mailbox) check_mailbox(*p->mailbox, smtputf8);
}

void check_mail_args(const std::expected<MailArgs, MailArgsFailure>& r, bool smtputf8) {
  if (!r) return;
  for (const Parameter& p : r->params) {
    check(!p.keyword.empty());
    check(!has_non_ascii(p.keyword) && p.keyword.find('=') == std::string::npos);
    check(p.has_value || p.value.empty());
    if (!smtputf8) check(!has_non_ascii(p.value));
  }
  if (r->path.mailbox) check_mailbox(*r->path.mailbox, smtputf8);
}

bool mail_has_smtputf8(const MailArgs& m) {
  for (const Parameter& p : m.params) {
    if (p.keyword == "SMTPUTF8") return true;
  }
  return false;
}

void parse_line(std::string_view line) {
  auto cmd = parse_command(line);
  if (!cmd) return;
  check(cmd->verb != Verb::unknown);
  check(cmd->args.empty() || cmd->args.front() != ' ');
  for (char c : cmd->args) {
    auto u = static_cast<unsigned char>(c);
    check(u >= 0x20 || u == '\t');
    check(u != 0x7f);
  }
  switch (cmd->verb) {
    case Verb::mail: {
      auto r = parse_mail_from(cmd->args);
      check_mail_args(r, r && mail_has_smtputf8(*r));
      break;
    }
    case Verb::rcpt:
      check_mail_args(parse_rcpt_to(cmd->args, false), false);
      check_mail_args(parse_rcpt_to(cmd->args, true), true);
      break;
    case Verb::bdat:
      (void)parse_bdat(cmd->args);
      break;
    case Verb::ehlo:
    case Verb::helo:
      (void)is_valid_helo_argument(cmd->args);
      break;
    default:
      break;
  }
}

// Frames `input` fed in pieces of `step` octets through a buffer; returns the lines, with
// too_long events as a marker that cannot be a line.
std::vector<std::string> frame(std::string_view input, std::size_t step, std::size_t max_line) {
  LineFramer framer(max_line);
  std::vector<std::string> lines;
  std::string buffer;
  for (std::size_t pos = 0; pos < input.size(); pos += step) {
    buffer.append(input.substr(pos, step));
    while (true) {
      const std::size_t before = buffer.size();
      auto ev = framer.next(buffer);
      check(ev.consumed <= before);
      if (ev.kind == LineFramer::Kind::line) {
        check(ev.consumed > 0 && ev.line.size() + 1 <= ev.consumed);
        check(ev.line.data() == buffer.data());
        check(ev.line.size() + 2 <= max_line);
        check(ev.line.find('\n') == std::string_view::npos);
        lines.emplace_back(ev.line);
      } else if (ev.kind == LineFramer::Kind::too_long) {
        check(ev.consumed > 0);
        lines.emplace_back("\n");
      }
      buffer.erase(0, ev.consumed);
      if (ev.kind == LineFramer::Kind::need_more) break;
    }
    check(buffer.size() < max_line);
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The whole input as a single path, argument string and EHLO name.
  for (int bits = 0; bits < 8; ++bits) check_path(input, bits & 1, bits & 2, bits & 4);
  {
    auto r = parse_mail_from(input);
    check_mail_args(r, r && mail_has_smtputf8(*r));
  }
  check_mail_args(parse_rcpt_to(input, false), false);
  check_mail_args(parse_rcpt_to(input, true), true);
  (void)parse_bdat(input);
  (void)is_valid_helo_argument(input);

  // The input as a command stream: the same lines whatever the read sizes.
  const std::size_t max_line = size > 0 ? 2 + data[0] % 64 : 16;
  const auto whole = frame(input, input.size() + 1, max_line);
  const std::size_t step = size > 1 ? 1 + data[1] % 17 : 1;
  check(frame(input, step, max_line) == whole);
  for (const auto& line : frame(input, input.size() + 1, 1000)) {
    if (line != "\n") parse_line(line);
  }
  return 0;
}
