#include "smtp/address.hpp"

#include <algorithm>

#include "base/utf8.hpp"
#include "base/strings.hpp"

namespace postern::smtp {

namespace {

// RFC 5321 §4.5.3.1.1-3.
constexpr std::size_t max_local = 64;
constexpr std::size_t max_domain = 255;
constexpr std::size_t max_path = 256;
// RFC 1035 §2.3.4: a DNS label is at most 63 octets.
constexpr std::size_t max_label = 63;

bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_hex(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_let_dig(unsigned char c) { return is_alpha(c) || is_digit(c); }

// RFC 5322 §3.2.3 atext, as used by RFC 5321 §4.1.2 Atom; RFC 6531 §3.3 adds UTF8-non-ascii.
bool is_atext(unsigned char c, bool utf8) {
  if (c >= 0x80) return utf8;
  if (is_let_dig(c)) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

// RFC 5321 §4.1.2: qtextSMTP = %d32-33 / %d35-91 / %d93-126; RFC 6531 §3.3 adds UTF8-non-ascii.
bool is_qtext(unsigned char c, bool utf8) {
  if (c >= 0x80) return utf8;
  return c >= 32 && c <= 126 && c != '"' && c != '\\';
}

bool has_non_ascii(std::string_view s) {
  return std::ranges::any_of(s, [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// RFC 5321 §4.1.2: sub-domain = Let-dig [Ldh-str]; Ldh-str ends in Let-dig. RFC 6531 §3.3
// allows U-labels: non-ASCII octets count as letters here (IDNA validity is the resolver's
// concern). `underscore` is the leniency for EHLO names.
bool is_label(std::string_view label, bool utf8, bool underscore) {
  if (label.empty()) return false;
  bool ascii = true;
  for (char ch : label) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      if (!utf8) return false;
      ascii = false;
    } else if (!is_let_dig(c) && c != '-' && !(underscore && c == '_')) {
      return false;
    }
  }
  if (label.front() == '-' || label.back() == '-') return false;
  // The 63-octet limit applies to the A-label form, which a U-label is not.
  return !ascii || label.size() <= max_label;
}

bool is_domain_name(std::string_view d, bool utf8, bool underscore = false) {
  if (d.empty()) return false;
  while (true) {
    std::size_t dot = d.find('.');
    if (!is_label(d.substr(0, dot), utf8, underscore)) return false;
    if (dot == std::string_view::npos) return true;
    d.remove_prefix(dot + 1);
  }
}

// RFC 5321 §4.1.3: IPv4-address-literal = Snum 3("." Snum); Snum = 1*3DIGIT, 0-255.
bool is_ipv4(std::string_view s) {
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s.front() != '.') return false;
      s.remove_prefix(1);
    }
    std::size_t n = 0;
    unsigned value = 0;
    while (n < s.size() && n < 3 && is_digit(static_cast<unsigned char>(s[n]))) {
      value = value * 10 + static_cast<unsigned>(s[n] - '0');
      ++n;
    }
    if (n == 0 || value > 255) return false;
    s.remove_prefix(n);
  }
  return s.empty();
}

// Counts the 16-bit groups in one side of an IPv6 address (either side of "::"); an IPv4 tail
// counts as two. Returns -1 when malformed.
int ipv6_groups(std::string_view s, bool v4_tail_allowed) {
  if (s.empty()) return 0;
  int groups = 0;
  while (true) {
    std::size_t colon = s.find(':');
    std::string_view g = s.substr(0, colon);
    if (colon == std::string_view::npos && v4_tail_allowed && g.find('.') != std::string_view::npos) {
      return is_ipv4(g) ? groups + 2 : -1;
    }
    if (g.empty() || g.size() > 4) return -1;
    if (!std::ranges::all_of(g, [](char c) { return is_hex(static_cast<unsigned char>(c)); })) return -1;
    ++groups;
    if (colon == std::string_view::npos) return groups;
    s.remove_prefix(colon + 1);
  }
}

// RFC 5321 §4.1.3 IPv6-addr (full, compressed, and with an IPv4 tail). Like RFC 4291 §2.2,
// "::" may stand for a single zero group.
bool is_ipv6(std::string_view s) {
  std::size_t dc = s.find("::");
  if (dc == std::string_view::npos) return ipv6_groups(s, true) == 8;
  std::string_view left = s.substr(0, dc);
  std::string_view right = s.substr(dc + 2);
  if (right.find("::") != std::string_view::npos) return false;
  int l = ipv6_groups(left, false);
  int r = ipv6_groups(right, true);
  return l >= 0 && r >= 0 && l + r <= 7;
}

// RFC 5321 §4.1.3: address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
// General-address-literal ) "]". No General-address-literal tag other than IPv6 is registered,
// so those are refused.
bool is_address_literal(std::string_view s) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return false;
  std::string_view inner = s.substr(1, s.size() - 2);
  if (base::istarts_with(inner, "IPv6:")) return is_ipv6(inner.substr(5));
  return is_ipv4(inner);
}

// RFC 5321 §4.1.2: Dot-string = Atom *("." Atom).
bool is_dot_string(std::string_view s, bool utf8) {
  if (s.empty()) return false;
  bool prev_dot = true;  // so that a leading dot fails
  for (char ch : s) {
    if (ch == '.') {
      if (prev_dot) return false;
      prev_dot = true;
    } else if (is_atext(static_cast<unsigned char>(ch), utf8)) {
      prev_dot = false;
    } else {
      return false;
    }
  }
  return !prev_dot;
}

struct LocalPart {
  std::string value;  // unquoted form
  bool quoted = false;
  std::size_t length = 0;  // octets as sent, for the §4.5.3.1.1 limit
};

// Parses a Local-part at the start of `s` and returns it with how much it took, or nothing.
std::optional<LocalPart> parse_local(std::string_view s, bool utf8) {
  LocalPart lp;
  if (!s.empty() && s.front() == '"') {
    // RFC 5321 §4.1.2: Quoted-string = DQUOTE *QcontentSMTP DQUOTE;
    // quoted-pairSMTP = %d92 %d32-126.
    lp.quoted = true;
    for (std::size_t i = 1; i < s.size(); ++i) {
      auto c = static_cast<unsigned char>(s[i]);
      if (c == '"') {
        lp.length = i + 1;
        return lp;
      }
      if (c == '\\') {
        if (i + 1 >= s.size()) return std::nullopt;
        auto q = static_cast<unsigned char>(s[i + 1]);
        if (q < 32 || q > 126) return std::nullopt;
        lp.value.push_back(static_cast<char>(q));
        ++i;
      } else if (is_qtext(c, utf8)) {
        lp.value.push_back(static_cast<char>(c));
      } else {
        return std::nullopt;
      }
    }
    return std::nullopt;  // unbalanced quote
  }
  std::size_t at = s.find('@');
  std::string_view dot_string = s.substr(0, at);
  if (!is_dot_string(dot_string, utf8)) return std::nullopt;
  lp.value = std::string(dot_string);
  lp.length = dot_string.size();
  return lp;
}

// Mailbox = Local-part "@" ( Domain / address-literal ).
std::expected<Mailbox, AddressError> parse_mailbox(std::string_view s, bool utf8) {
  auto syntax = std::unexpected(AddressError::syntax);
  auto local = parse_local(s, utf8);
  if (!local) return syntax;
  s.remove_prefix(local->length);
  if (s.empty() || s.front() != '@') return syntax;
  s.remove_prefix(1);

  Mailbox m;
  if (!s.empty() && s.front() == '[') {
    if (!is_address_literal(s)) return syntax;
    m.domain = std::string(s);
  } else {
    if (!is_domain_name(s, utf8)) return syntax;
    m.domain = base::to_lower(s);
  }
  if (local->length > max_local || s.size() > max_domain) return std::unexpected(AddressError::too_long);
  m.local = std::move(local->value);
  m.quoted = local->quoted;
  m.utf8 = has_non_ascii(m.local) || has_non_ascii(m.domain);
  return m;
}

// RFC 5321 §4.1.2: A-d-l = At-domain *( "," At-domain ); At-domain = "@" Domain.
bool is_source_route(std::string_view s, bool utf8) {
  while (true) {
    if (s.empty() || s.front() != '@') return false;
    s.remove_prefix(1);
    std::size_t comma = s.find(',');
    if (!is_domain_name(s.substr(0, comma), utf8)) return false;
    if (comma == std::string_view::npos) return true;
    s.remove_prefix(comma + 1);
  }
}

std::expected<Path, AddressError> parse_path_utf8(std::string_view inner, bool allow_null, bool allow_postmaster) {
  auto syntax = std::unexpected(AddressError::syntax);
  Path path;
  if (inner.empty()) {
    // RFC 5321 §4.1.1.2: the null reverse-path, for bounces.
    if (!allow_null) return syntax;
    return path;
  }
  if (base::iequals(inner, "postmaster")) {
    // RFC 5321 §4.1.1.3: "Postmaster" without a domain must be accepted as a recipient.
    if (!allow_postmaster) return syntax;
    path.postmaster = true;
    return path;
  }
  if (inner.front() == '@') {
    // RFC 5321 §4.1.1.3 and appendix C: the source route is accepted and ignored. A route
    // holds only domains, so its first ':' ends it.
    std::size_t colon = inner.find(':');
    if (colon == std::string_view::npos || !is_source_route(inner.substr(0, colon), true)) return syntax;
    path.had_source_route = true;
    inner.remove_prefix(colon + 1);
  }
  auto mailbox = parse_mailbox(inner, true);
  if (!mailbox) return std::unexpected(mailbox.error());
  path.mailbox = std::move(*mailbox);
  return path;
}

}  // namespace

std::string Mailbox::to_string() const {
  std::string out;
  // RFC 5321 §4.1.2: a local part that is not a Dot-string must be sent as a Quoted-string.
  if (is_dot_string(local, true)) {
    out = local;
  } else {
    out.push_back('"');
    for (char c : local) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('@');
  out += domain;
  return out;
}

std::expected<Path, AddressError> parse_path(std::string_view text, bool allow_null, bool allow_postmaster,
                                             bool smtputf8) {
  // RFC 5321 §4.5.3.1.3: a path is at most 256 octets, punctuation included.
  if (text.size() > max_path) return std::unexpected(AddressError::too_long);
  if (text.size() < 2 || text.front() != '<' || text.back() != '>') return std::unexpected(AddressError::syntax);
  std::string_view inner = text.substr(1, text.size() - 2);
  // RFC 6531 §3.3: UTF-8 must be well formed wherever it is allowed.
  if (!base::is_valid_utf8(inner)) return std::unexpected(AddressError::syntax);
  // Parse with UTF-8 allowed, then tell "valid but needs SMTPUTF8" apart from plain garbage so
  // the client gets 553 5.6.7 only when SMTPUTF8 would have helped (RFC 6531 §3.5).
  auto path = parse_path_utf8(inner, allow_null, allow_postmaster);
  if (!path) return path;
  if (!smtputf8 && has_non_ascii(inner)) return std::unexpected(AddressError::non_ascii);
  return path;
}

bool is_valid_helo_argument(std::string_view text) {
  // RFC 5321 §4.1.1.1: ehlo = "EHLO" SP ( Domain / address-literal ). Like Postfix, a few
  // common departures are tolerated since the name is only recorded: underscores in labels
  // (Windows host names) and bare IP addresses without brackets. UTF-8 is not: SMTPUTF8 is not
  // negotiated yet when EHLO is sent.
  if (text.empty()) return false;
  if (text.front() == '[') return is_address_literal(text);
  if (text.size() > max_domain) return false;
  if (text.find(':') != std::string_view::npos) return is_ipv6(text);
  return is_domain_name(text, false, true);
}

}  // namespace postern::smtp
