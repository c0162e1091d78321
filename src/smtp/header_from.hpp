#pragma once
// The header From: of a message (RFC 5322 §3.6.2, §3.4), for checking it against the
// authenticated identity (DESIGN §3.6). Pure: bytes in, addresses out.

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/address.hpp"

namespace postern::smtp {

/// What the From: fields of a header section name.
struct HeaderFrom {
  /// The addr-spec of every mailbox of every From: field, in order. `local` is the unquoted
  /// content of the local part (`"a b"@x` and obsolete `"a".b@x` give `a b` and `a.b`),
  /// `domain` is lower-cased ASCII (UTF-8 left as is, RFC 6532 §3.2) or a domain literal with
  /// its brackets and without white space; `quoted` when any word of the local part was a
  /// quoted-string. Mailbox::to_string() gives the `local@domain` form.
  std::vector<Mailbox> addresses;
  std::size_t fields = 0;  ///< how many From: fields the header section has
};

enum class HeaderFromError {
  empty,          ///< a From: field names no mailbox at all
  unterminated,   ///< a quoted string, comment, domain literal or angle-addr runs past the field's end
  bad_character,  ///< a control character outside quoted strings and comments, or malformed UTF-8
  syntax,         ///< anything else that is not a mailbox-list
};

/// Parses the From: fields of `header`, a message's header section (the octets up to and
/// including the empty line; what follows the empty line, if given, is not looked at; without
/// an empty line everything is header). Other fields are skipped unparsed.
///
/// Field bodies are unfolded as in RFC 5322 §2.2.3 (CRLF before WSP removed), then read as an
/// address-list: mailbox-list (§3.4) with display names, quoted strings, nested comments, the
/// obsolete forms of §4.4 (empty list elements, routes in angle-addr, CFWS around dots, "From"
/// WSP ":"), and groups (RFC 6854 allows them in From:). RFC 2047 encoded words are atoms of a
/// display name and are not decoded. Non-ASCII octets count as atext, qtext, ctext and dtext
/// (RFC 6532 §3.2) and must be well-formed UTF-8 in an address. Any From: field that cannot be
/// read this way makes the whole answer an error: a message whose sender cannot be told must
/// not pass as one whose sender was checked.
///
/// Linear in the input; comments nest to any depth without recursion.
std::expected<HeaderFrom, HeaderFromError> parse_header_from(std::string_view header);

/// One unstructured field body (after the colon, still folded or not) read as an address-list
/// as parse_header_from does for From:. The addresses of groups are included; an empty group
/// adds none. Exposed for testing with the other address fields of RFC 5322 Appendix A.
std::expected<std::vector<Mailbox>, HeaderFromError> parse_address_list(std::string_view body);

/// Collects a message's header section as the content streams past, bounded.
///
/// Order of calls: feed() with the content octets in order, in pieces of any size; then read
/// header(), complete() and truncated(). After the empty line (or `max` octets) further input is
/// ignored.
class HeaderCapture {
 public:
  static constexpr std::size_t default_max = 256 * 1024;
  HeaderCapture() = default;
  explicit HeaderCapture(std::size_t max) : max_(max) {}

  void feed(std::string_view bytes);
  /// The octets captured: the header section with its empty line when complete().
  std::string_view header() const { return buffer_; }
  /// The empty line that ends the header section (RFC 5322 §2.1) was seen.
  bool complete() const { return complete_; }
  /// `max` octets were captured without the end of the header section among them.
  bool truncated() const { return !complete_ && buffer_.size() >= max_; }

 private:
  std::size_t max_ = default_max;
  std::string buffer_;
  bool complete_ = false;
};

}  // namespace postern::smtp
