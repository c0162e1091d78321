#pragma once
// Sender ownership (DESIGN §3.6): whether an authenticated identity may use an envelope sender
// or a header From: address. Pure, no I/O.

#include <span>
#include <string>

#include "smtp/address.hpp"

namespace postern::policy {

/// Whether `mailbox` is granted by `owned` (auth::Identity::sender_addresses). An entry is one
/// of:
///   - `local@domain`: that mailbox. The domain compares case-insensitively; so does the local
///     part, in ASCII, as the store's keys do. A quoted local part equals its unquoted form when
///     the content is the same (RFC 5321 §4.1.2: the quoting is not part of the mailbox).
///   - `@domain`: every mailbox in that domain (case-insensitive), an operator's grant.
///   - `<>`: the null sender, which names no mailbox (see null_sender_allowed).
/// An empty list owns nothing; an entry of another shape grants nothing.
bool sender_owned(const smtp::Mailbox& mailbox, std::span<const std::string> owned);

/// Whether `owned` holds the null-sender grant `<>`: the identity may send bounces
/// (MAIL FROM:<>, RFC 5321 §4.5.5), which only an operator grants.
bool null_sender_allowed(std::span<const std::string> owned);

}  // namespace postern::policy
