#pragma once
// Sender ownership (DESIGN §3.6): whether an authenticated identity may use an envelope sender.
// Pure, no I/O.

#include <span>
#include <string>

#include "smtp/address.hpp"

namespace postern::policy {

/// Whether `mailbox` is one of `owned` (`local@domain` strings, as the account store keeps
/// them). The domain compares case-insensitively; so does the local part, in ASCII, as the
/// store's keys do. A quoted local part equals its unquoted form when the content is the same
/// (RFC 5321 §4.1.2: the quoting is not part of the mailbox). An empty list owns nothing.
bool sender_owned(const smtp::Mailbox& mailbox, std::span<const std::string> owned);

}  // namespace postern::policy
