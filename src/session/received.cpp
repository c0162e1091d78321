#include "session/received.hpp"

#include <array>
#include <cstdio>
#include <vector>

namespace postern::session {

namespace {

// RFC 5322 §2.1.1: lines SHOULD be no more than 78 characters excluding CRLF.
constexpr std::size_t kFoldAt = 78;

// Joins tokens with single spaces and folds (CRLF TAB) before a token that would cross the
// limit. A token longer than a line on its own (a 255-octet host name) stays whole: folding is
// only allowed at white space.
std::string fold(const std::vector<std::string>& tokens) {
  std::string out;
  std::size_t line_length = 0;
  for (const auto& token : tokens) {
    if (line_length == 0) {
      out += token;
      line_length = token.size();
    } else if (line_length + 1 + token.size() <= kFoldAt) {
      out += ' ';
      out += token;
      line_length += 1 + token.size();
    } else {
      out += "\r\n\t";
      out += token;
      line_length = 1 + token.size();
    }
  }
  out += "\r\n";
  return out;
}

std::string tls_comment(const TlsInfo& tls) {
  if (tls.version.empty() && tls.cipher.empty()) return "(using TLS)";
  std::string out = "(using " + (tls.version.empty() ? std::string("TLS") : tls.version);
  if (!tls.cipher.empty()) out += " with cipher " + tls.cipher;
  return out + ")";
}

}  // namespace

std::string rfc5322_date(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto secs = floor<seconds>(when);
  auto day = floor<days>(secs);
  year_month_day ymd{day};
  hh_mm_ss hms{secs - day};
  weekday wd{day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %u %s %d %02d:%02d:%02d +0000", kDays[wd.c_encoding()],
                static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string address_literal(std::string_view ip) {
  // RFC 5321 §4.1.3: IPv6 literals carry the "IPv6:" tag.
  if (ip.find(':') != std::string_view::npos) return "[IPv6:" + std::string(ip) + "]";
  return "[" + std::string(ip) + "]";
}

std::string with_protocol(bool esmtp, bool tls, bool authenticated, bool smtputf8) {
  // RFC 3848 defines no TLS or AUTH variant of plain SMTP: HELO clients are "SMTP".
  if (!esmtp) return "SMTP";
  std::string out = smtputf8 ? "UTF8SMTP" : "ESMTP";
  if (tls) out += 'S';
  if (authenticated) out += 'A';
  return out;
}

std::string received_header(const ReceivedFacts& facts) {
  // RFC 5321 §4.4: Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time, where
  // From-domain's TCP-info is an address literal. Comments may stand wherever CFWS may.
  std::vector<std::string> tokens{
      "Received:", "from " + std::string(facts.helo), "(" + address_literal(facts.client_address) + ")",
      "by " + std::string(facts.hostname),
      "with " + with_protocol(facts.esmtp, facts.tls != nullptr, facts.authenticated, facts.smtputf8)};
  if (facts.tls) tokens.push_back(tls_comment(*facts.tls));
  if (!facts.recipient.empty()) tokens.push_back("for <" + std::string(facts.recipient) + ">");
  tokens.back() += ';';
  tokens.push_back(rfc5322_date(facts.when));
  return fold(tokens);
}

}  // namespace postern::session
