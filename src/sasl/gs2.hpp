#pragma once
// The GS2 header that starts SCRAM and OAUTHBEARER messages (RFC 5801 §4, as profiled by
// RFC 5802 §7), and the saslname encoding of names inside it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace postern::sasl {

/// A parsed `gs2-cbind-flag "," [ "a=" saslname ] ","`.
struct Gs2Header {
  enum class Flag {
    n,  ///< client does not support channel binding
    y,  ///< client supports it but thinks the server does not
    p,  ///< client uses channel binding `cb_name`
  };
  Flag flag = Flag::n;
  std::string cb_name;   ///< with Flag::p: 1*(ALPHA / DIGIT / "." / "-")
  std::string authzid;   ///< decoded; empty when the client sent none
  std::size_t size = 0;  ///< bytes of the header in the message, trailing "," included
};

/// The header at the start of `message`, or nullopt when it does not follow the grammar.
/// RFC 5801's non-standard "F," prefix is refused: SCRAM and OAUTHBEARER do not use it.
std::optional<Gs2Header> parse_gs2_header(std::string_view message);

/// RFC 5802 §7 saslname: non-empty UTF-8 without NUL, "," only as "=2C", "=" only as "=3D"
/// (upper-case hex, the only escapes defined). Returns the decoded name or nullopt.
std::optional<std::string> decode_saslname(std::string_view s);

}  // namespace postern::sasl
