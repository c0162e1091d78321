#pragma once
// PLAIN (RFC 4616): one message, [authzid] NUL authcid NUL passwd.

#include <cstddef>
#include <memory>

#include "sasl/mechanism.hpp"

namespace postern::sasl {

/// The most octets PLAIN and LOGIN accept in one identity or password. RFC 4616 §2 requires
/// servers to accept at least 255; more is refused as malformed, which keeps argon2id input
/// and log lines bounded.
inline constexpr std::size_t max_field_octets = 255;

/// A PLAIN exchange.
///
/// Calls: start(initial response) — without one, the Step is an empty Challenge and next()
/// takes the message. Then a VerifyPassword Request; resume(PasswordAnswer) gives Success or
/// Failure. Malformed messages (missing NULs, empty authcid or password, a field over
/// max_field_octets, not UTF-8) fail with FailureReason::malformed before any lookup.
std::unique_ptr<Mechanism> make_plain();

}  // namespace postern::sasl
