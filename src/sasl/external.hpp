#pragma once
// EXTERNAL (RFC 4422 Appendix A): the client is authenticated outside SASL — here by its TLS
// client certificate — and its one message only names whom it wants to act as.

#include <memory>

#include "sasl/mechanism.hpp"

namespace postern::sasl {

/// An EXTERNAL exchange.
///
/// Calls: start(initial response) — without one, the Step is an empty Challenge (RFC 4422 §5:
/// the client speaks first) and next() takes the message. The message is the authzid: empty
/// (the common `AUTH EXTERNAL =`) means "act as the identity my certificate gives me". Then a
/// VerifyCertificate Request with the authzid (its `certificate` is for the caller to fill in);
/// resume(CertificateAnswer) gives Success{identity, authzid} or the Failure the verdict means.
/// A message with a NUL, over max_field_octets, or not UTF-8 fails with
/// FailureReason::malformed before anything is asked.
std::unique_ptr<Mechanism> make_external();

}  // namespace postern::sasl
