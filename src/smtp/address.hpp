#pragma once
// Paths and mailboxes (RFC 5321 §4.1.2; SMTPUTF8 additions RFC 6531 §3.3).

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace postern::smtp {

/// A mailbox `local@domain`. `local` is kept as the client sent it in its unquoted form
/// (a quoted local part "a b"@x has local == `a b` and quoted == true); `domain` is lower-cased
/// ASCII (or UTF-8 when utf8), or an address literal including its brackets.
struct Mailbox {
  std::string local;
  std::string domain;
  bool quoted = false;  ///< the local part was a quoted-string
  bool utf8 = false;    ///< local part or domain has non-ASCII octets (needs SMTPUTF8)

  /// `local@domain`, with the local part re-quoted when it needs quoting.
  std::string to_string() const;
};

/// A reverse-path or forward-path as given in MAIL/RCPT.
struct Path {
  std::optional<Mailbox> mailbox;  ///< empty for the null path `<>`
  bool had_source_route = false;   ///< `<@a,@b:user@c>`: the route is dropped (RFC 5321 §C)
  bool postmaster = false;         ///< `<postmaster>` without a domain (RFC 5321 §4.1.1.3)
};

enum class AddressError {
  syntax,      ///< not a valid path
  too_long,    ///< local part > 64, domain > 255 or path > 256 octets (RFC 5321 §4.5.3.1)
  non_ascii,   ///< non-ASCII octets without SMTPUTF8
};

/// Parses `<...>` (the angle brackets are required; surrounding spaces are not allowed).
/// `allow_null`: `<>` is valid (MAIL FROM). `smtputf8`: UTF-8 is permitted (RFC 6531).
/// `<postmaster>` (any case) is accepted only when `allow_postmaster` (RCPT TO).
std::expected<Path, AddressError> parse_path(std::string_view text, bool allow_null, bool allow_postmaster,
                                             bool smtputf8);

/// Parses a bare domain as given to EHLO/HELO: a domain name or an address literal. Like
/// Postfix, also tolerated: underscores in labels and IP addresses without brackets.
bool is_valid_helo_argument(std::string_view text);

}  // namespace postern::smtp
