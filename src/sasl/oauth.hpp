#pragma once
// Bearer-token mechanisms: OAUTHBEARER (RFC 7628) and Google's XOAUTH2. The token (an RFC 6750
// bearer token, e.g. a JWT) is checked outside, by whatever validates tokens.

#include <memory>
#include <string>

#include "sasl/mechanism.hpp"

namespace postern::sasl {

/// The RFC 7628 §3.2.2 error body: {"status":..,"schemes":..,"scope":..,"openid-configuration":..}
/// in that order, empty fields left out (the order of both RFC 7628 §4 failure examples).
std::string oauth_error_json(const TokenError& error);

/// An OAUTHBEARER exchange.
///
/// Calls: start(client-resp), or start(nullopt) → empty Challenge, then next(client-resp).
/// client-resp = gs2-header %x01 *(key "=" value %x01) %x01 (RFC 7628 §3.1) with an
/// "auth=Bearer <b64token>" pair; "p=" in the GS2 header is malformed (no channel binding).
/// Then a VerifyToken Request; resume(TokenAnswer):
///   - ok: Success{identity, gs2 authzid};
///   - bad_credentials / authzid_not_permitted: Challenge with oauth_error_json(error)
///     (§3.2.2); next() then takes the client's dummy response, a single %x01 (§3.2.3), and
///     the Step is the Failure (the same one whatever the client sent);
///   - temporary_failure: Failure at once (no JSON: the client should retry, not re-authorise).
std::unique_ptr<Mechanism> make_oauthbearer();

/// An XOAUTH2 exchange, as Google describes it: the client sends
/// "user=" user %x01 "auth=Bearer " token %x01 %x01. Same calls as OAUTHBEARER; on a refused
/// token the Challenge is {"status":"401"|"403"|"400","schemes":"bearer",...} (RFC 6750 §3.1
/// maps invalid_token, insufficient_scope, invalid_request to those HTTP codes), the client
/// answers with an empty response, and the Step is the Failure.
std::unique_ptr<Mechanism> make_xoauth2();

}  // namespace postern::sasl
