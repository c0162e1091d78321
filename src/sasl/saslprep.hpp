#pragma once
// SASLprep (RFC 4013), the stringprep profile SCRAM applies to passwords before hashing
// (RFC 5802 §2.2 Normalize()), for "stored strings" (unassigned code points refused).

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace postern::sasl {

/// SASLprep of `text`, within what this build can do without Unicode tables:
///   - RFC 4013 §2.1 mapping: the "commonly mapped to nothing" characters (RFC 3454 B.1) are
///     removed, then non-ASCII spaces (C.1.2) become U+0020 (in that order, so U+200B, which
///     is in both tables, disappears);
///   - if the result is ASCII, NFKC (§2.2) leaves it as is, and the only prohibited characters
///     left to check (§2.3) are the ASCII controls (C.2.1); bidi rules (§2.4) cannot apply;
///   - if any other non-ASCII character remains, NFKC would be needed and is not available:
///     the text is refused with an error that says so. SCRAM verifiers cannot then be made for
///     that password; PLAIN/LOGIN with argon2id still work, as they hash the bytes as sent.
/// Also refused: text that is not UTF-8, and text that maps to nothing.
base::Result<std::string> saslprep(std::string_view text);

}  // namespace postern::sasl
